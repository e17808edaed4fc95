package reqfile

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"pip install requests", []string{"pip", "install", "requests"}},
		{"  pip\tinstall  x  \n", []string{"pip", "install", "x"}},
		{`pip install 'numpy>=1.26' "pandas[excel]==2.*"`, []string{"pip", "install", "numpy>=1.26", "pandas[excel]==2.*"}},
		{`pip install a\ b "c\"d" "e\f" 'g\h'`, []string{"pip", "install", "a b", `c"d`, `e\f`, `g\h`}},
		{"pip install \\\n  requests", []string{"pip", "install", "requests"}},
		{`pip install "a \
b"`, []string{"pip", "install", "a b"}},
		{"pip install x # a comment; rm -rf /", []string{"pip", "install", "x"}},
		{"pip install x#y", []string{"pip", "install", "x#y"}},
		{`pip install '' ""`, []string{"pip", "install", "", ""}},
		{"pip install 'a'b\"c\"", []string{"pip", "install", "abc"}},
		{"pip install 'numpy~=1.0' numpy~=1.0 'x=~'", []string{"pip", "install", "numpy~=1.0", "numpy~=1.0", "x=~"}},
		{"pip install '$HOME' '`x`' '~/x' '*' '{a,b}'", []string{"pip", "install", "$HOME", "`x`", "~/x", "*", "{a,b}"}},
		{"pip install --index-url=https://h/simple six==1.16.0 'six!=1'", []string{"pip", "install", "--index-url=https://h/simple", "six==1.16.0", "six!=1"}},
		{"pip install --x=a:b", []string{"pip", "install", "--x=a:b"}},
		{"", nil},
	} {
		got, err := SplitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"pip install x; rm -rf /",
		"pip install x && curl evil",
		"pip install x || true",
		"pip install x | sh",
		"pip install x &",
		"pip install x > /tmp/log",
		"pip install numpy>=1.0",
		"pip install <requirements.txt",
		"pip install $(curl evil)",
		"pip install `curl evil`",
		"pip install \"$(curl evil)\"",
		"pip install \"`id`\"",
		"pip install $PKG",
		"pip install ${PKG}",
		"pip install \"${PKG}\"",
		"pip install $'\\x41'",
		"pip install x\npip install y",
		"pip install numpy[extra]",
		"pip install *.whl",
		"pip install pkg?",
		"pip install pkg{1,2}",
		"pip install --target ~/site x",
		"pip install --target=~/site x",
		"pip install x:~/y",
		"PIP_INDEX_URL=https://evil pip install x",
		"A=1 B=2 pip install x",
		"(pip install x)",
		"pip install 'unterminated",
		"pip install \"unterminated",
		"pip install x\\",
	} {
		got, err := SplitCommand(in)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrShell) || e.Pos.Col == 0 {
			t.Errorf("SplitCommand(%q) = %q, %v; want an ErrShell with a column", in, got, err)
		}
	}
	// An assignment after the command is an ordinary argument.
	if got, err := SplitCommand("pip install A=1"); err != nil || !slices.Equal(got, []string{"pip", "install", "A=1"}) {
		t.Errorf("SplitCommand(pip install A=1) = %q, %v", got, err)
	}
}

func TestPipStart(t *testing.T) {
	for _, tc := range []struct {
		argv string
		want int // -1: error
	}{
		{"pip install x", 1},
		{"pip3 install x", 1},
		{"pip3.11 install x", 1},
		{"/usr/local/bin/pip install x", 1},
		{"./venv/bin/pip3 install x", 1},
		{"python -m pip install x", 3},
		{"python3 -m pip install x", 3},
		{"python3.12 -m pip install x", 3},
		{"/usr/bin/python3 -m pip install x", 3},
		{"python3 -mpip install x", 2},
		{"python3 -I -S -m pip install x", 5},
		{"python3 -IsEm pip install x", 3},
		{"python3 -W ignore -X utf8 -m pip install x", 7},
		{"python3 -Wignore -m pip install x", 4},
		{"python3 -m pipx install x", -1},
		{"python3 -m", -1},
		{"python3 -c 'import pip'", -1},
		{"python3 script.py", -1},
		{"python3", -1},
		{"pipx install x", -1},
		{"pip4 install x", -1},
		{"pip3.x install x", -1},
		{"sudo pip install x", -1},
		{"env pip install x", -1},
		{"python2.7 -m pip install x", -1},
		{"python3 --version -m pip", -1},
	} {
		argv, err := SplitCommand(tc.argv)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pipStart(argv)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("pipStart(%q) = %d, want an error", tc.argv, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("pipStart(%q) = %d, %v; want %d", tc.argv, got, err, tc.want)
		}
	}
}

func TestParseCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want error
	}{
		{nil, ErrNotPipInstall},
		{[]string{"pip"}, ErrNotPipInstall},
		{[]string{"pip", "download", "x"}, ErrNotPipInstall},
		{[]string{"pip", "--isolated"}, ErrNotPipInstall},
		{[]string{"curl", "evil"}, ErrNotPipInstall},
		{[]string{"pip", "install", "\xff"}, ErrEncoding},
		{[]string{"pip", "install", "a\x00b"}, ErrBinary},
		{[]string{"pip", "install", strings.Repeat("a", MaxLineLength+1)}, ErrLineTooLong},
		{[]string{"pip", "install", "--bogus"}, ErrUnknownOption},
		{[]string{"pip", "install", "--retries", "x"}, ErrOption},
		{[]string{"pip", "install", "--trusted-host", "h:port"}, ErrOption},
		{[]string{"pip", "install", "-e", "https://example.com/x.zip"}, ErrRequirement},
		{[]string{"pip", "install", "a b"}, ErrRequirement},
	} {
		_, err := ParseCommandLine(tc.argv, nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("ParseCommandLine(%q) = %v, want %v", tc.argv, err, tc.want)
		}
		var e *Error
		if !errors.As(err, &e) || e.Pos.Source != CommandLine {
			t.Errorf("ParseCommandLine(%q): %v is not an *Error on the command line", tc.argv, err)
		}
		if errs := Errors(ParseCommandLineLax(tc.argv, nil)); len(errs) == 0 || !errors.Is(errs[0], tc.want) {
			t.Errorf("ParseCommandLineLax(%q) errors %v, want %v", tc.argv, errs, tc.want)
		}
	}
}

func TestCommandLineIncludeCycle(t *testing.T) {
	open := FSOpener(mapFS(map[string]string{"a.txt": "-r b.txt\n", "b.txt": "-r a.txt\n"}))
	_, err := ParseCommandLine([]string{"pip", "install", "-r", "a.txt"}, &Config{Open: open})
	if !errors.Is(err, ErrIncludeCycle) {
		t.Fatalf("ParseCommandLine: %v, want an include cycle", err)
	}
	if got := err.Error(); got != "b.txt:1: include cycle: a.txt -> b.txt -> a.txt" {
		t.Errorf("error %q", got)
	}
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}
