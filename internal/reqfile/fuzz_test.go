package reqfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"
)

// seedFiles adds every file of the testdata archives to the corpus.
func seedFiles(f *testing.F) {
	for _, glob := range []string{"testdata/conform/*.txt", "testdata/parse/*.txt"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				f.Fatal(err)
			}
			for _, file := range ar.Files {
				f.Add(file.Data)
			}
		}
	}
	for _, s := range []string{"", "\\", "a \\\n# c \\\nb", "-r", "--hash", "\xff\xfe", "\x00\x00\xfe\xff", "# coding: latin-1\n\xe9"} {
		f.Add([]byte(s))
	}
}

// checkEntries checks what must hold of any parse: strict and lax agree
// until the first error, and every entry is well formed.
func checkEntries(t *testing.T, strict []Entry, err error, lax []Entry) {
	t.Helper()
	errs := Errors(lax)
	if err == nil {
		if len(errs) > 0 {
			t.Fatalf("Parse succeeds, ParseLax reports %v", errs)
		}
		if !reflect.DeepEqual(strict, lax) {
			t.Fatalf("Parse and ParseLax differ without errors")
		}
	} else {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not an *Error", err)
		}
		if len(errs) == 0 {
			t.Fatalf("Parse fails (%v), ParseLax reports no error", err)
		}
		if len(strict) > len(lax) {
			t.Fatalf("Parse has %d entries, ParseLax %d", len(strict), len(lax))
		}
		for i := range strict {
			if !reflect.DeepEqual(strict[i], lax[i]) {
				t.Fatalf("entry %d differs:\nParse:    %s\nParseLax: %s", i, render(strict[i]), render(lax[i]))
			}
		}
	}
	for _, e := range lax {
		if e.Kind < KindRequirement || e.Kind > KindError {
			t.Fatalf("entry with kind %d", e.Kind)
		}
		if (e.Kind == KindError || e.Kind == KindUnknownOption) != (e.Err != nil) {
			t.Fatalf("%s entry with error %v", e.Kind, e.Err)
		}
		if (e.Kind == KindRequirement) != (e.Requirement != nil && !e.Requirement.Editable) {
			t.Fatalf("%s entry with requirement %+v", e.Kind, e.Requirement)
		}
		if e.Kind == KindEditable && !e.Ignored && (e.Requirement == nil || !e.Requirement.Editable) {
			t.Fatalf("editable entry without an editable requirement")
		}
		if (e.Kind == KindInclude || e.Kind == KindConstraint) != (e.Include != nil) {
			t.Fatalf("%s entry with include %+v", e.Kind, e.Include)
		}
		if e.Kind == KindOption && e.Option == nil {
			t.Fatalf("option entry without an option")
		}
		if e.Pos.EndLine < e.Pos.Line {
			t.Fatalf("entry at lines %d-%d", e.Pos.Line, e.Pos.EndLine)
		}
		if r := e.Requirement; r != nil && (r.Form < FormName || r.Form > FormPath) {
			t.Fatalf("requirement with form %d", r.Form)
		}
	}
}

func FuzzParse(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"r.txt": {Data: data}, "sub/a.txt": {Data: data}}
		cfg := &Config{Open: FSOpener(fsys)}
		strict, err := Parse("r.txt", data, cfg)
		lax := ParseLax("r.txt", data, cfg)
		checkEntries(t, strict, err, lax)
		for _, e := range lax {
			if e.Pos.Source == "r.txt" && e.Pos.Line == 0 && e.Kind != KindError {
				t.Fatalf("entry without a line: %+v", e)
			}
		}
	})
}

// FuzzIncludes reads three files that may include each other (cycles
// included): it must end, without a panic.
func FuzzIncludes(f *testing.F) {
	f.Add([]byte("-r a.txt\nx"), []byte("-r sub/b.txt\n-c ../r.txt"), []byte("-r ../a.txt\n-r ../r.txt"))
	f.Add([]byte("-r r.txt"), []byte(""), []byte(""))
	f.Add([]byte("-r ./a.txt -r a.txt\n-c a.txt"), []byte("-c ./sub/../a.txt"), []byte("-r /etc/passwd\n-r https://h/r.txt"))
	f.Add([]byte("-r a.txt\n-r a.txt\n-r a.txt"), []byte("-r sub/b.txt\n-r sub/b.txt"), []byte("y\n-r b.txt"))
	f.Fuzz(func(t *testing.T, r, a, b []byte) {
		fsys := fstest.MapFS{"r.txt": {Data: r}, "a.txt": {Data: a}, "sub/b.txt": {Data: b}}
		cfg := &Config{Open: FSOpener(fsys)}
		strict, err := Parse("r.txt", r, cfg)
		lax := ParseLax("r.txt", r, cfg)
		checkEntries(t, strict, err, lax)
		for _, e := range lax {
			if e.Depth > MaxIncludeDepth {
				t.Fatalf("entry at depth %d", e.Depth)
			}
		}
	})
}

func FuzzSplitCommand(f *testing.F) {
	data, _ := os.ReadFile("testdata/argv.txt")
	for _, line := range strings.Split(string(data), "\n") {
		f.Add(line)
	}
	for _, s := range []string{"pip install 'a'\"b\"\\c", "a \\\nb", "x # y", "A=1 pip", "$(x)", "'", "\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err != nil {
			return
		}
		// Quoting each word in single quotes gives the same words back.
		var b strings.Builder
		for i, w := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("'" + strings.ReplaceAll(w, "'", `'\''`) + "'")
		}
		again, err := SplitCommand(b.String())
		if err != nil || !reflect.DeepEqual(again, words) {
			t.Fatalf("SplitCommand(%q) = %q; requoted %q gives %q, %v", s, words, b.String(), again, err)
		}
	})
}

func FuzzParseCommandLine(f *testing.F) {
	data, _ := os.ReadFile("testdata/argv.txt")
	for _, line := range strings.Split(string(data), "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv, err := SplitCommand(s)
		if err != nil {
			argv = strings.Fields(s)
		}
		fsys := fstest.MapFS{"requirements.txt": {Data: []byte(s)}}
		cfg := &Config{Open: FSOpener(fsys)}
		strict, err := ParseCommandLine(argv, cfg)
		lax := ParseCommandLineLax(argv, cfg)
		checkEntries(t, strict, err, lax)
	})
}
