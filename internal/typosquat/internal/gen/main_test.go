package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/airlock-dev/airlock/internal/typosquat"
)

func TestRunRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "top.tsv")
	if err := os.WriteFile(in, []byte("3\tZope.Interface\n1\tboto3\n2\trequests\n4\tsix\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "popular.tsv.gz")
	if err := run(in, out, 3); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	got, err := typosquat.Load(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := []typosquat.Entry{{Name: "boto3", Rank: 1}, {Name: "requests", Rank: 2}, {Name: "zope-interface", Rank: 3}}
	if !slices.Equal(got, want) {
		t.Errorf("round trip = %v, want %v", got, want)
	}
	if err := run(in, out, 3); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(out); !bytes.Equal(first, second) {
		t.Error("output is not deterministic")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "top.tsv")
	if err := os.WriteFile(in, []byte("1\tboto3\nnot a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "popular.tsv.gz")
	if err := run(in, out, 10); err == nil {
		t.Fatal("run accepted a malformed list")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written despite the error: %v", err)
	}
}
