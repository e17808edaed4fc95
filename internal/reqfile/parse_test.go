package reqfile

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/parse/*.txt")

// render is the golden form of an entry: one line, every field that is set.
func render(e Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Pos)
	if e.Pos.EndLine > e.Pos.Line {
		fmt.Fprintf(&b, "-%d", e.Pos.EndLine)
	}
	if e.Pos.Col > 1 {
		fmt.Fprintf(&b, " col=%d", e.Pos.Col)
	}
	fmt.Fprintf(&b, " %s %q", e.Kind, e.Raw)
	if e.Depth > 0 {
		fmt.Fprintf(&b, " depth=%d", e.Depth)
	}
	if e.Constraint {
		b.WriteString(" constraint")
	}
	if e.Ignored {
		fmt.Fprintf(&b, " ignored(%s)", e.IgnoredReason)
	}
	if r := e.Requirement; r != nil {
		fmt.Fprintf(&b, " form=%s", r.Form)
		if r.Name != "" {
			fmt.Fprintf(&b, " name=%s", r.Name)
		}
		if r.Req != nil && !r.Req.Specifier.IsEmpty() {
			fmt.Fprintf(&b, " spec=%q", r.Req.Specifier.String())
		}
		if len(r.Extras) > 0 {
			fmt.Fprintf(&b, " extras=%s", strings.Join(r.Extras, ","))
		}
		if r.Marker != nil {
			fmt.Fprintf(&b, " marker=%q", r.Marker.String())
		}
		if r.URL != "" {
			fmt.Fprintf(&b, " url=%q", r.URL)
		}
		if r.Path != "" {
			fmt.Fprintf(&b, " path=%q", r.Path)
		}
		if r.Wheel != "" {
			fmt.Fprintf(&b, " wheel=%q", r.Wheel)
		}
		for _, h := range r.Hashes {
			fmt.Fprintf(&b, " hash=%s", h)
		}
		for _, o := range r.GlobalOptions {
			fmt.Fprintf(&b, " global-option=%q", o)
		}
		for _, o := range r.InstallOptions {
			fmt.Fprintf(&b, " install-option=%q", o)
		}
	}
	if o := e.Option; o != nil && e.Kind != KindEditable {
		fmt.Fprintf(&b, " option=%s", o.Name)
		if o.Spelling != o.Name {
			fmt.Fprintf(&b, " spelled=%s", o.Spelling)
		}
		if o.HasValue || o.Value != "" {
			fmt.Fprintf(&b, " value=%q", o.Value)
		}
	}
	if i := e.Include; i != nil {
		fmt.Fprintf(&b, " resolved=%q", i.Resolved)
		if i.URL {
			b.WriteString(" url")
		}
		if i.Followed {
			b.WriteString(" followed")
		}
	}
	if len(e.EnvVars) > 0 {
		fmt.Fprintf(&b, " env=%s", strings.Join(e.EnvVars, ","))
	}
	if e.Err != nil {
		msg := e.Err.Err.Error()
		if errors.Is(e.Err, ErrRequirement) {
			// The rest is package pep508's wording.
			msg = ErrRequirement.Error()
		}
		fmt.Fprintf(&b, " err=%q", msg)
	}
	return b.String()
}

// TestParseGolden runs the archives in testdata/parse. Each has the input
// files and a "want" file with the rendered entries; the comment holds
// "key: value" parameters:
//
//	file: NAME       the file to parse (requirements.txt)
//	argv: COMMAND    parse this command line (split by SplitCommand) instead
//	strict: true     use Parse or ParseCommandLine and add "error: ..." to want
//	open: false      parse without an opener
//	constraint: true the file is a constraints file
//
// go test -run TestParseGolden -update rewrites the want files.
func TestParseGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/parse/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no archives: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			params := map[string]string{"file": "requirements.txt"}
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && !strings.Contains(k, " ") {
					params[k] = strings.TrimSpace(v)
				}
			}
			fsys := fstest.MapFS{}
			wantIdx := -1
			for i, f := range ar.Files {
				if f.Name == "want" {
					wantIdx = i
					continue
				}
				fsys[f.Name] = &fstest.MapFile{Data: f.Data}
			}
			cfg := &Config{Open: FSOpener(fsys), Constraint: params["constraint"] == "true"}
			if params["open"] == "false" {
				cfg.Open = nil
			}
			strict := params["strict"] == "true"
			var entries []Entry
			var perr error
			if cmd, ok := params["argv"]; ok {
				argv, err := SplitCommand(cmd)
				if err != nil {
					t.Fatalf("SplitCommand: %v", err)
				}
				if strict {
					entries, perr = ParseCommandLine(argv, cfg)
				} else {
					entries = ParseCommandLineLax(argv, cfg)
				}
			} else {
				data := fsys[params["file"]].Data
				if strict {
					entries, perr = Parse(params["file"], data, cfg)
				} else {
					entries = ParseLax(params["file"], data, cfg)
				}
			}
			var got bytes.Buffer
			for _, e := range entries {
				got.WriteString(render(e))
				got.WriteByte('\n')
			}
			if perr != nil {
				fmt.Fprintf(&got, "error: %v\n", perr)
			}
			if *update {
				if wantIdx < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want"})
					wantIdx = len(ar.Files) - 1
				}
				ar.Files[wantIdx].Data = got.Bytes()
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatalf("no want file (run with -update)\n%s", got.String())
			}
			if want := string(ar.Files[wantIdx].Data); got.String() != want {
				t.Errorf("entries differ (-update rewrites them):\n got:\n%s\nwant:\n%s", got.String(), want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("a", MaxLineLength+1)
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want error
		pos  string
	}{
		{"physical line", fstest.MapFS{"r.txt": {Data: []byte("ok\n" + long + "\nok2\n")}}, ErrLineTooLong, "r.txt:2"},
		{"joined line", fstest.MapFS{"r.txt": {Data: []byte("x\n" + strings.Repeat(strings.Repeat("b", 1000)+"\\\n", MaxLineLength/1000+1) + "end\n")}}, ErrLineTooLong, "r.txt:2"},
		{"file size", fstest.MapFS{"r.txt": {Data: bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)}}, ErrTooLarge, "r.txt"},
		{"included file size", fstest.MapFS{"r.txt": {Data: []byte("-r big.txt\n")}, "big.txt": {Data: bytes.Repeat([]byte("#\n"), MaxFileSize/2+1)}}, ErrTooLarge, "big.txt"},
		{"total size", totalFS(), ErrTooLarge, "big.txt"},
		{"NUL", fstest.MapFS{"r.txt": {Data: []byte("a\nb\x00\n")}}, ErrBinary, "r.txt:2"},
		{"invalid UTF-8", fstest.MapFS{"r.txt": {Data: []byte("a\n\xff\n")}}, ErrEncoding, "r.txt:2"},
		{"cycle", fstest.MapFS{"r.txt": {Data: []byte("-r sub/a.txt\n")}, "sub/a.txt": {Data: []byte("x\n-r ../r.txt\n")}}, ErrIncludeCycle, "sub/a.txt:2"},
		{"depth", depthFS(MaxIncludeDepth + 1), ErrIncludeDepth, fmt.Sprintf("%d.txt:1", MaxIncludeDepth)},
		{"files", filesFS(MaxFiles + 1), ErrTooManyFiles, "r.txt:256"},
		{"entries", fstest.MapFS{"r.txt": {Data: bytes.Repeat([]byte("--pre\n"), MaxEntries+1)}}, ErrTooManyEntries, fmt.Sprintf("r.txt:%d", MaxEntries+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.fsys["r.txt"].Data
			cfg := &Config{Open: FSOpener(tc.fsys)}
			_, err := Parse("r.txt", data, cfg)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.want) {
				t.Fatalf("Parse: %v, want an *Error wrapping %v", err, tc.want)
			}
			if e.Pos.String() != tc.pos {
				t.Errorf("error at %s, want %s (%v)", e.Pos, tc.pos, err)
			}
			lax := ParseLax("r.txt", data, cfg)
			errs := Errors(lax)
			if len(errs) == 0 || !errors.Is(errs[0], tc.want) {
				t.Errorf("ParseLax errors %v, want %v", errs, tc.want)
			}
		})
	}
}

// depthFS is a chain of n includes: r.txt -> 1.txt -> ... -> n.txt.
func depthFS(n int) fstest.MapFS {
	fsys := fstest.MapFS{"r.txt": {Data: []byte("-r 1.txt\n")}}
	for i := 1; i <= n; i++ {
		fsys[fmt.Sprintf("%d.txt", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("-r %d.txt\n", i+1))}
	}
	fsys[fmt.Sprintf("%d.txt", n+1)] = &fstest.MapFile{Data: []byte("x\n")}
	return fsys
}

// totalFS includes one large file more times than MaxTotalSize allows.
func totalFS() fstest.MapFS {
	line := append(append([]byte("#"), bytes.Repeat([]byte("x"), 60000)...), '\n')
	big := bytes.Repeat(line, MaxFileSize/2/len(line))
	n := MaxTotalSize/len(big) + 1
	return fstest.MapFS{"r.txt": {Data: bytes.Repeat([]byte("-r big.txt\n"), n)}, "big.txt": {Data: big}}
}

// filesFS is one file that includes n others.
func filesFS(n int) fstest.MapFS {
	var top strings.Builder
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&top, "-r f%d.txt\n", i)
		fsys[fmt.Sprintf("f%d.txt", i)] = &fstest.MapFile{Data: []byte("x\n")}
	}
	fsys["r.txt"] = &fstest.MapFile{Data: []byte(top.String())}
	return fsys
}

func TestLaxKeepsGoing(t *testing.T) {
	data := []byte("good==1\n--target /tmp/x numpy\nbad req\n--hash=md5:x\n-r missing.txt\nafter\n")
	entries := ParseLax("r.txt", data, &Config{Open: FSOpener(fstest.MapFS{})})
	var got []string
	for _, e := range entries {
		got = append(got, render(e))
	}
	want := []string{
		`r.txt:1 requirement "good==1" form=name name=good spec="==1"`,
		`r.txt:2 unknown-option "--target /tmp/x" option=--target value="/tmp/x" err="no such option: --target"`,
		`r.txt:2 col=17 ignored-argument "numpy" ignored(pip discards words after the options of a line)`,
		`r.txt:3 error "bad req" err="invalid requirement"`,
		`r.txt:4 error "--hash=md5:x" err="bad option: --hash: allowed hash algorithms are sha256, sha384, sha512"`,
		`r.txt:5 include "-r missing.txt" option=--requirement spelled=-r value="missing.txt" resolved="missing.txt"`,
		`r.txt:5 error "missing.txt" err="cannot open included file: open missing.txt: file does not exist"`,
		`r.txt:6 requirement "after" form=name name=after`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ParseLax:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Parse("r.txt", data, nil); err == nil || !strings.HasPrefix(err.Error(), "r.txt:2: no such option: --target") {
		t.Errorf("Parse: %v, want the error at r.txt:2", err)
	}
}

func TestFSOpener(t *testing.T) {
	open := FSOpener(fstest.MapFS{"a/b.txt": {Data: []byte("x")}})
	for _, tc := range []struct {
		name string
		want error
	}{
		{"a/b.txt", nil},
		{"a/../a/b.txt", nil},
		{"./a/b.txt", nil},
		{"/etc/passwd", fs.ErrPermission},
		{"../outside.txt", fs.ErrPermission},
		{"a/../../outside.txt", fs.ErrPermission},
		{"missing.txt", fs.ErrNotExist},
	} {
		rc, err := open(tc.name)
		if rc != nil {
			rc.Close()
		}
		if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("open(%q) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestKindAndFormText(t *testing.T) {
	for k := KindRequirement; k <= KindError; k++ {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatalf("%d.MarshalText: %v", k, err)
		}
		var back Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("Kind %s round trip: %v, %v", b, back, err)
		}
	}
	for f := FormName; f <= FormPath; f++ {
		b, err := f.MarshalText()
		if err != nil {
			t.Fatalf("%d.MarshalText: %v", f, err)
		}
		var back Form
		if err := back.UnmarshalText(b); err != nil || back != f {
			t.Errorf("Form %s round trip: %v, %v", b, back, err)
		}
	}
	if _, err := Kind(0).MarshalText(); err == nil {
		t.Error("Kind(0).MarshalText succeeded")
	}
	var k Kind
	if err := k.UnmarshalText([]byte("nonsense")); err == nil {
		t.Error("UnmarshalText(nonsense) succeeded")
	}
}
