package pyscan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

var wantRE = regexp.MustCompile(`# want: ([A-Z0-9 ]+)`)

// wants reads the "# want: ID ..." annotations of a source: line -> ids.
func wants(src string) map[int][]string {
	w := map[int][]string{}
	for i, l := range strings.Split(src, "\n") {
		if m := wantRE.FindStringSubmatch(l); m != nil {
			ids := strings.Fields(m[1])
			slices.Sort(ids)
			w[i+1] = ids
		}
	}
	return w
}

// got groups findings by line: line -> sorted ids.
func got(fs []inspect.Finding) map[int][]string {
	g := map[int][]string{}
	for _, f := range fs {
		g[f.Line] = append(g[f.Line], f.Rule.ID)
	}
	for l := range g {
		slices.Sort(g[l])
	}
	return g
}

func compareLines(t *testing.T, name string, want, have map[int][]string, fs []inspect.Finding) {
	t.Helper()
	lines := map[int]bool{}
	for l := range want {
		lines[l] = true
	}
	for l := range have {
		lines[l] = true
	}
	keys := make([]int, 0, len(lines))
	for l := range lines {
		keys = append(keys, l)
	}
	slices.Sort(keys)
	for _, l := range keys {
		if !slices.Equal(want[l], have[l]) {
			var msgs []string
			for _, f := range fs {
				if f.Line == l {
					msgs = append(msgs, f.Rule.ID+": "+f.Message)
				}
			}
			t.Errorf("%s:%d: got %v, want %v\n\t%s", name, l, have[l], want[l], strings.Join(msgs, "\n\t"))
		}
	}
}

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.py")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	s := New()
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := s.ScanSource(context.Background(), file, src)
			if err != nil {
				t.Fatal(err)
			}
			w := wants(string(src))
			if strings.HasPrefix(filepath.Base(file), "benign_") && len(w) > 0 {
				t.Fatalf("benign file with want annotations")
			}
			compareLines(t, file, w, got(fs), fs)
		})
	}
}

func TestCorpusNotebook(t *testing.T) {
	file := "testdata/corpus/notebook.ipynb"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := New().ScanNotebook(context.Background(), file, src)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []nbCell `json:"cells"`
	}
	if err := json.Unmarshal(src, &nb); err != nil {
		t.Fatal(err)
	}
	for i, c := range nb.Cells {
		var cellFs []inspect.Finding
		for _, f := range fs {
			if f.Cell == i+1 {
				cellFs = append(cellFs, f)
			}
		}
		w := map[int][]string{}
		if c.CellType == "code" {
			w = wants(c.text())
		}
		compareLines(t, fmt.Sprintf("%s:cell %d", file, i+1), w, got(cellFs), cellFs)
	}
}

func TestNotScanned(t *testing.T) {
	s := New()
	big := []byte(strings.Repeat("x = 1\n", pysyntaxMaxLines()))
	fs, err := s.ScanSource(context.Background(), "big.py", big)
	if err != nil || len(fs) != 1 || fs[0].Rule != RuleNotScanned {
		t.Errorf("ScanSource(%d bytes) = %v, %v; want one AL901", len(big), fs, err)
	}
	fs, err = s.ScanNotebook(context.Background(), "bad.ipynb", []byte("{not json"))
	if err != nil || len(fs) != 1 || fs[0].Rule != RuleNotScanned || !strings.Contains(fs[0].Message, "not a readable notebook") {
		t.Errorf("ScanNotebook(bad JSON) = %v, %v", fs, err)
	}
	// nbformat 3 keeps cells under worksheets, with "input" for the source.
	v3 := `{"worksheets": [{"cells": [{"cell_type": "code", "input": ["!pip install x\n"]}]}]}`
	fs, err = s.ScanNotebook(context.Background(), "v3.ipynb", []byte(v3))
	if err != nil || len(fs) != 1 || fs[0].Rule != RuleNotebookInstall || fs[0].Cell != 1 {
		t.Errorf("ScanNotebook(nbformat 3) = %v, %v", fs, err)
	}
	// ScanFile dispatches on the extension.
	fs, _ = s.ScanFile(context.Background(), "x.IPYNB", []byte(v3))
	if len(fs) != 1 {
		t.Errorf("ScanFile(.IPYNB) = %v", fs)
	}
}

func pysyntaxMaxLines() int { return pysyntax.MaxSourceSize/6 + 1 }

// TestConcurrentScan scans the corpus from several goroutines at once with
// one Scanner (run with -race) and expects the sequential results.
func TestConcurrentScan(t *testing.T) {
	files, _ := filepath.Glob("testdata/corpus/*.py")
	s := New()
	want := map[string]int{}
	srcs := map[string][]byte{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs[f] = src
		fs, _ := s.ScanSource(context.Background(), f, src)
		want[f] = len(fs)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for f, src := range srcs {
				fs, err := s.ScanSource(context.Background(), f, src)
				if err != nil || len(fs) != want[f] {
					t.Errorf("%s: %d findings (%v), want %d", f, len(fs), err, want[f])
				}
			}
		})
	}
	wg.Wait()
}
