package bandit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/bandit"
	"github.com/airlock-dev/airlock/internal/inspect/pyscan"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

func needBandit(t *testing.T) string {
	t.Helper()
	bin, err := bandit.Find()
	if errors.Is(err, bandit.ErrNotInstalled) {
		t.Skip("bandit is not installed (make test installs Debian's bandit)")
	}
	return bin
}

const sample = `import subprocess
assert True
subprocess.call("ls " + x, shell=True)
eval(input())
`

func TestScanFiles(t *testing.T) {
	bin := needBandit(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "app.py")
	if err := os.WriteFile(p, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := bandit.Runner{Bin: bin}.Scan(context.Background(), []bandit.Source{{Path: p}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%d %s %s", f.Line, f.Rule.ID, f.Severity))
		if f.Path != p || f.Rule.Family != inspect.FamilyBandit || f.Rule.Engine != "bandit" || f.Action != inspect.ActionReview {
			t.Errorf("finding %+v: wrong path, family, engine or action", f)
		}
	}
	slices.Sort(got)
	// B404 (import subprocess) and B101 (assert) are low: dropped by default.
	want := []string{"3 B602 high", "4 B307 medium", "4 B322 high"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for _, f := range fs {
		if f.Rule.ID == "B602" && f.Snippet != `subprocess.call("ls " + x, shell=True)` {
			t.Errorf("B602 snippet %q", f.Snippet)
		}
	}
	all, err := bandit.Runner{Bin: bin, MinSeverity: inspect.SeverityLow}.Scan(context.Background(), []bandit.Source{{Path: p}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Errorf("with low findings: %d, want 5", len(all))
	}
}

// TestScanArchive scans a wheel built at test time with airlock's scanner
// and collects its sources for bandit through the decorator.
func TestScanArchive(t *testing.T) {
	bin := needBandit(t)
	data, name := testpypi.Wheel{Name: "demo", Version: "1.0", Files: map[string]string{
		"demo/__init__.py": sample, "demo/ok.py": "x = 1\n", "demo/data.txt": "eval(input())\n"}}.Build()
	col := &bandit.Collector{Next: pyscan.New(), Archive: name}
	rep, err := inspect.Artifact(context.Background(), bytes.NewReader(data), int64(len(data)), name, inspect.Options{Sources: col})
	if err != nil {
		t.Fatal(err)
	}
	sources, dropped := col.Sources()
	if len(sources) != 2 || dropped != 0 {
		t.Fatalf("collected %d sources (%d dropped), want the 2 .py files", len(sources), dropped)
	}
	fs, err := bandit.Runner{Bin: bin}.Scan(context.Background(), sources)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 {
		t.Fatalf("bandit found %d, want 3: %v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Archive != name || f.Path != "demo/__init__.py" {
			t.Errorf("finding located at %s:%s", f.Archive, f.Path)
		}
	}
	// airlock's own scanner saw the same file.
	var own []string
	for _, f := range rep.Findings {
		own = append(own, f.Rule.ID)
	}
	if !slices.Contains(own, "AL201") || !slices.Contains(own, "AL204") {
		t.Errorf("airlock's findings %v, want AL201 and AL204", own)
	}
}

func TestMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := bandit.Find(); !errors.Is(err, bandit.ErrNotInstalled) {
		t.Errorf("Find() with an empty PATH: %v", err)
	}
	_, err := bandit.Runner{}.Scan(context.Background(), []bandit.Source{{Path: "x.py"}})
	if !errors.Is(err, bandit.ErrNotInstalled) {
		t.Errorf("Scan without bandit: %v", err)
	}
}

func TestBrokenBandit(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "bandit")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'Traceback: boom' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := bandit.Runner{Bin: fake}.Scan(context.Background(), []bandit.Source{{Path: "x.py"}})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("boom")) {
		t.Errorf("Scan with a failing bandit: %v, want its stderr in the error", err)
	}
}
