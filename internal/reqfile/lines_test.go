package reqfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestSplitLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\n\n", []string{"a", ""}},
		{"a\r\nb\rc\n", []string{"a", "b", "c"}},
		{"a\r\r\nb", []string{"a", "", "b"}},
		{"a\vb\fc\x1cd\x1de\x1ef\u0085g\u2028h\u2029i", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}},
		{"a\x1fb", []string{"a\x1fb"}},
	} {
		var got []string
		for i, l := range splitLines(tc.in) {
			if l.n != i+1 {
				t.Errorf("splitLines(%q): line %d numbered %d", tc.in, i+1, l.n)
			}
			got = append(got, l.text)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("splitLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPreprocess(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // "first-last:text"
	}{
		{"a\n\n  \n# c\nb # c\n", []string{"1-1:a", "5-5:b"}},
		{"a \\\nb\n", []string{"1-2:a b"}},
		{"a\\\n\\b\\\nc", []string{"1-3:abc"}},
		{"a \\\n# c \\\nb", []string{"1-2:a", "3-3:b"}},
		{"a \\\n  # c\nb", []string{"1-2:a", "3-3:b"}},
		{"a \\\\\\\nb", []string{"1-2:a b"}},
		{"last \\", []string{"1-1:last"}},
		{"x \\\n", []string{"1-1:x"}},
		{"pkg @ https://h/p.zip#sha256=1 #c", []string{"1-1:pkg @ https://h/p.zip#sha256=1"}},
		{"a\u00a0#c", []string{"1-1:a"}},
		{"a\t#c", []string{"1-1:a"}},
		{"#only", nil},
		{"\\", nil},
	} {
		var got []string
		for _, l := range preprocess(tc.in) {
			got = append(got, fmt.Sprintf("%d-%d:%s", l.first, l.last, l.text))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("preprocess(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEnvVarRefs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"${A}", []string{"A"}},
		{"x${A_1}y${B}", []string{"A_1", "B"}},
		{"$A ${a} ${} ${A-B} ${${C}}", []string{"C"}},
		{"${A", nil},
	} {
		if got := envVarRefs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("envVarRefs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestShlexSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  error
	}{
		{"", nil, nil},
		{"  a  b ", []string{"a", "b"}, nil},
		{`a"b c"d`, []string{"ab cd"}, nil},
		{`'' ""`, []string{"", ""}, nil},
		{`"a\"b\\c\d"`, []string{`a"b\c\d`}, nil},
		{`'a\b'`, []string{`a\b`}, nil},
		{`a\ b`, []string{"a b"}, nil},
		{"a\tb\rc\nd", []string{"a", "b", "c", "d"}, nil},
		{"'open", nil, errNoClosingQuote},
		{`"open`, nil, errNoClosingQuote},
		{`a\`, nil, errNoEscaped},
	} {
		words, err := shlexSplit(tc.in)
		if err != tc.err {
			t.Errorf("shlexSplit(%q) error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		var got []string
		for _, w := range words {
			got = append(got, w.text)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("shlexSplit(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBreakArgsOptions(t *testing.T) {
	for _, tc := range []struct {
		in, args, opts string
	}{
		{"numpy", "numpy", ""},
		{"numpy --hash=x", "numpy", "--hash=x"},
		{"numpy  --hash=x", "numpy ", "--hash=x"},
		{"-r a.txt", "", "-r a.txt"},
		{"a b -c d", "a b", "-c d"},
		{"numpy\t--hash=x", "numpy\t--hash=x", ""},
	} {
		args, off := breakArgsOptions(tc.in)
		if args != tc.args || tc.in[off:] != tc.opts {
			t.Errorf("breakArgsOptions(%q) = %q, %q; want %q, %q", tc.in, args, tc.in[off:], tc.args, tc.opts)
		}
	}
}

func TestOptparse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // items: name=value, "arg:x", or "err:..."
	}{
		{"-r a.txt", "--requirement=a.txt"},
		{"-ra.txt", "--requirement=a.txt"},
		{"--requirement=a.txt", "--requirement=a.txt"},
		{"--requirem a.txt", "--requirement=a.txt"},
		{"--req a.txt", "err:bad option: ambiguous option: --req (--require-hashes, --requirement?) arg:a.txt"},
		{"--pre", "--pre"},
		{"--pr", "err:bad option: ambiguous option: --pr (--pre, --prefer-binary?)"},
		{"--pre=1", "err:bad option: --pre option does not take a value"},
		{"-r", "err:bad option: -r option requires 1 argument"},
		{"-r --pre", "--requirement=--pre"},
		{"-i=x", "--index-url==x"},
		{"--hash sha256:x extra", "--hash=sha256:x arg:extra"},
		{"-- -r x", "arg:-r arg:x"},
		{"-x", "err:no such option: -x"},
		{"-", "arg:-"},
		{"--", ""},
		{"--=x", "err:bad option: ambiguous option: -- (--constraint, --editable, --extra-index-url, --find-links, --global-option, --hash, --index-url, --install-option, --no-binary, --no-index, --only-binary, --pre, --prefer-binary, --pypi-url, --require-hashes, --requirement, --trusted-host, --use-feature?)"},
	} {
		words, err := shlexSplit(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		items, _ := optparse(words, fileOptions, nil, true)
		var got []string
		for _, it := range items {
			switch {
			case it.err != nil:
				got = append(got, "err:"+it.err.Error())
			case it.arg:
				got = append(got, "arg:"+words[it.first].text)
			case it.spec.takesValue():
				got = append(got, it.spec.name()+"="+it.value)
			default:
				got = append(got, it.spec.name())
			}
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("optparse(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
		err  bool
	}{
		{"plain", []byte("a\n"), "a\n", false},
		{"utf-8 bom", []byte("\xef\xbb\xbfa"), "a", false},
		{"utf-16le bom", []byte("\xff\xfea\x00\xe9\x00"), "aé", false},
		{"utf-16be bom", []byte("\xfe\xff\x00a"), "a", false},
		{"utf-16 double bom", []byte("\xff\xfe\xfe\xff\x00a"), "a", false},
		{"utf-32le bom reads as utf-16", []byte("\xff\xfe\x00\x00a\x00\x00\x00"), "\x00a\x00", false},
		{"utf-32be bom", []byte("\x00\x00\xfe\xff\x00\x00\x00a"), "a", false},
		{"odd utf-16", []byte("\xff\xfea"), "", true},
		{"lone surrogate", []byte("\xff\xfe\x00\xd8a\x00"), "", true},
		{"latin-1 line 1", []byte("# coding: latin-1\n\xe9"), "# coding: latin-1\né", false},
		{"latin-1 line 2", []byte("#!x\n# -*- coding=iso-8859-1 -*-\n\xe9"), "#!x\n# -*- coding=iso-8859-1 -*-\né", false},
		{"declaration on line 3", []byte("#\n#\n# coding: latin-1\n\xe9"), "", true},
		{"declaration not in a comment", []byte("x # coding: latin-1\n\xe9"), "", true},
		{"ascii", []byte("# coding: ascii\nabc"), "# coding: ascii\nabc", false},
		{"not ascii", []byte("# coding: ascii\n\xc3\xa9"), "", true},
		{"unsupported", []byte("# coding: cp1252\n"), "", true},
		{"invalid utf-8", []byte("a\xffb"), "", true},
		{"surrogate in utf-8", []byte("\xed\xa0\x80"), "", true},
	} {
		got, err := decode(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: decode(%q) = %q, %v; want %q, error %v", tc.name, tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestLinesMatchPip is a differential test of the line machinery: random
// texts made of the characters and words that matter go through pip's
// preprocess, break_args_options, shlex.split and option parser, and
// through this package's.
func TestLinesMatchPip(t *testing.T) {
	pip := startPip(t)
	pieces := []string{
		"a", "b", "numpy", "1", "==1.0", " ", " ", "  ", "\t", "#", " #", "\\", "\\\\", "\n", "\n", "\r\n", "\r",
		"\x0c", "\u2028", "\u00a0", "\x1c", "'", "\"", "-", "--", "-r", "-r ", "-e ", "-c ", "-i", "-f ",
		"--hash=sha256:x", "--hash ", "--pre", "--pr", "--index", "--no", "--no-binary=", ":all:", ":none:",
		"--only-binary ", "--use-feature=", "truststore", "=", ":", "${A}", "$", "{", "}", ";", "@", "/", ".",
		"--global-option=", "--trusted-host ", "--requirement=", "--extra-index-url ", "--xyz", "-z", "--=",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	texts := make([]string, n)
	for i := range texts {
		var b strings.Builder
		for range 1 + rng.IntN(14) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts[i] = b.String()
	}
	type row struct {
		N          int                        `json:"n"`
		Line       string                     `json:"line"`
		Args       string                     `json:"args"`
		Words      []string                   `json:"words"`
		SplitError string                     `json:"split_error"`
		Opts       map[string]json.RawMessage `json:"opts"`
		OptError   string                     `json:"opt_error"`
		Largs      []string                   `json:"largs"`
	}
	var res struct {
		Results  [][]row                    `json:"results"`
		Defaults map[string]json.RawMessage `json:"defaults"`
	}
	pip.call(t, map[string]any{"op": "lines", "texts": texts}, &res)
	failures, lines, splitErrs, optErrs, parsed := 0, 0, 0, 0, 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 20 {
			t.Errorf(format, args...)
		}
	}
	for i, text := range texts {
		want := res.Results[i]
		got := preprocess(text)
		if len(got) != len(want) {
			fail("preprocess(%q): %d lines, pip %d: %+v", text, len(got), len(want), want)
			continue
		}
		for j, l := range got {
			w := want[j]
			if l.first != w.N || l.text != w.Line {
				fail("preprocess(%q) line %d = %d %q; pip %d %q", text, j, l.first, l.text, w.N, w.Line)
				continue
			}
			lines++
			args, off := breakArgsOptions(l.text)
			if args != w.Args {
				fail("breakArgsOptions(%q) = %q; pip %q", l.text, args, w.Args)
				continue
			}
			words, err := shlexSplit(l.text[off:])
			if (err != nil) != (w.SplitError != "") {
				fail("shlexSplit(%q) error %v; pip %q", l.text[off:], err, w.SplitError)
				continue
			}
			if err != nil {
				splitErrs++
				continue
			}
			var texts []string
			for _, w := range words {
				texts = append(texts, w.text)
			}
			if !slices.Equal(texts, w.Words) {
				fail("shlexSplit(%q) = %q; pip %q", l.text[off:], texts, w.Words)
				continue
			}
			items, _ := optparse(words, fileOptions, nil, true)
			var firstErr error
			for _, it := range items {
				if it.err != nil {
					firstErr = it.err
					break
				}
			}
			if (firstErr != nil) != (w.OptError != "") {
				fail("optparse(%q) error %v; pip %q", texts, firstErr, w.OptError)
				continue
			}
			if firstErr != nil {
				optErrs++
				continue
			}
			parsed++
			r := newReplay(res.Defaults, "")
			var largs []string
			for _, it := range items {
				if it.arg {
					largs = append(largs, words[it.first].text)
				} else {
					r.apply(t, it.spec, it.value)
				}
			}
			vals := r.values()
			for dest, raw := range w.Opts {
				var wv any
				json.Unmarshal(raw, &wv)
				gb, _ := json.Marshal(vals[dest])
				wb, _ := json.Marshal(wv)
				if string(gb) != string(wb) {
					fail("optparse(%q): %s = %s; pip %s", texts, dest, gb, wb)
				}
			}
			if len(largs) != len(w.Largs) || !slices.Equal(largs, w.Largs) {
				fail("optparse(%q): arguments %q; pip %q", texts, largs, w.Largs)
			}
		}
	}
	if failures > 20 {
		t.Errorf("... %d failures in all", failures)
	}
	t.Logf("%d texts, %d logical lines: %d shlex errors, %d option errors, %d parsed", n, lines, splitErrs, optErrs, parsed)
	if splitErrs == 0 || optErrs == 0 || parsed < n/2 {
		t.Errorf("the random texts no longer cover every outcome")
	}
}

func TestJoinLines(t *testing.T) {
	if got, err := JoinLines([]string{"numpy==1.26", "pandas>=2 # comment"}); err != nil || got != "numpy==1.26\npandas>=2 # comment\n" {
		t.Errorf("JoinLines = %q, %v", got, err)
	}
	for _, lines := range [][]string{
		{"numpy", "pandas\n--index-url https://evil/simple"},
		{"numpy\r--pre"},
		{"numpy\u2028--pre"},
		{"numpy\x0c--pre"},
		{"numpy==1.0 \\", "--index-url https://evil/simple"},
		{"numpy==1.0 \\  "},
	} {
		if _, err := JoinLines(lines); !errors.Is(err, ErrNotOneLine) {
			t.Errorf("JoinLines(%q) = %v, want ErrNotOneLine", lines, err)
		}
	}
}
