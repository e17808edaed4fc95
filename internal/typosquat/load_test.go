package typosquat

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	got, err := Load(strings.NewReader("# comment\n\n1\tRequests\n3\tzope.interface\n2\tSetup_Tools\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{"requests", 1}, {"zope-interface", 3}, {"setup-tools", 2}}
	if !slices.Equal(got, want) {
		t.Errorf("Load = %v, want %v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		msg  string
	}{
		{"requests\n", 1, `want "rank<TAB>name"`},
		{"1 requests\n", 1, `want "rank<TAB>name"`},
		{"x\trequests\n", 1, "bad rank"},
		{"0\trequests\n", 1, "bad rank"},
		{"-1\trequests\n", 1, "bad rank"},
		{"+1\trequests\n", 1, "bad rank"},
		{"1000000001\trequests\n", 1, "bad rank"},
		{"1\t\n", 1, "bad project name"},
		{"1\t-requests\n", 1, "bad project name"},
		{"1\treq uests\n", 1, "bad project name"},
		{"1\trequests\t2\n", 1, "bad project name"},
		{"1\tréquests\n", 1, "bad project name"},
		{"1\t" + strings.Repeat("a", MaxNameLength+1) + "\n", 1, "bad project name"},
		{"1\trequests\n2\tRequests\n", 2, `"requests" already listed on line 1`},
		{"1\ta\n" + strings.Repeat("x", maxLineLength+1) + "\n", 2, "line longer than"},
	}
	for _, tt := range tests {
		_, err := Load(strings.NewReader(tt.in))
		var le *LoadError
		if !errors.As(err, &le) || le.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Load(%.40q) error = %v, want line %d containing %q", tt.in, err, tt.line, tt.msg)
		}
	}
}

func TestDefaultEntries(t *testing.T) {
	entries := DefaultEntries()
	if len(entries) < 14000 || len(entries) > 15000 {
		t.Fatalf("embedded list has %d names", len(entries))
	}
	if entries[0] != (Entry{"boto3", 1}) {
		t.Errorf("first entry = %v", entries[0])
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].Rank <= entries[i-1].Rank {
			t.Fatalf("entries %d and %d out of rank order: %v %v", i-1, i, entries[i-1], entries[i])
		}
	}
	entries[0].Name = "changed"
	if DefaultEntries()[0].Name != "boto3" {
		t.Error("DefaultEntries returns shared storage")
	}
	if Default() != Default() {
		t.Error("Default builds a new index on each call")
	}
}

// TestEmbeddedListIsCurrent checks that the embedded list is what the
// generator makes from the shared data (run `go generate` when it fails).
func TestEmbeddedListIsCurrent(t *testing.T) {
	path := os.Getenv("AIRLOCK_TEST_PYPI_TOP")
	if path == "" {
		t.Skip("AIRLOCK_TEST_PYPI_TOP is not set (.ci/run sets it to ../shared/data/pypi-top.tsv)")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	source, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(source, func(a, b Entry) int { return a.Rank - b.Rank })
	source = source[:min(len(source), 15000)]
	if got := DefaultEntries(); !slices.Equal(got, source) {
		t.Errorf("embedded list (%d names) differs from %s (%d names): run go generate ./internal/typosquat", len(got), path, len(source))
	}
}
