package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusIsReproducible regenerates the corpus from the embedded list and
// compares it with the committed one: the corpus is a pure function of the
// list and the seed.
func TestCorpusIsReproducible(t *testing.T) {
	out := filepath.Join(t.TempDir(), "typos.tsv")
	if err := run("../../popular.tsv.gz", out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/typos.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("testdata/typos.tsv is not what corpusgen makes: run go generate ./internal/typosquat")
	}
	names, err := readNames("../../popular.tsv.gz")
	if err != nil {
		t.Fatal(err)
	}
	popular := map[string]bool{}
	for _, n := range names {
		popular[n] = true
	}
	perClass := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || popular[f[0]] || !popular[f[1]] || f[0] == f[1] {
			t.Fatalf("bad corpus line %q", line)
		}
		perClass[f[2]]++
	}
	if len(perClass) != len(classes) {
		t.Errorf("classes = %v", perClass)
	}
	for c, n := range perClass {
		if n != wantPerClass {
			t.Errorf("class %s has %d variants, want %d", c, n, wantPerClass)
		}
	}
}

const wantPerClass = perClass
