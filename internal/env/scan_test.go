package env

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/sandbox"
)

// TestRunSources: the code a run is about to execute is collected however
// the command line hands it to Python, so that the scan before run cannot
// be stepped around by spelling -c differently or naming the script
// without .py.
func TestRunSources(t *testing.T) {
	files := []sandbox.File{
		{Name: "main.py", Data: []byte("main")},
		{Name: "job.txt", Data: []byte("job")},
		{Name: "data.csv", Data: []byte("csv")},
	}
	disk := map[string]string{"tool.py": "tool", "other": "other", "lib/x.py": "x"}
	read := func(name string) ([]byte, bool, error) {
		if name == "locked.py" {
			return nil, false, errors.New("permission denied")
		}
		s, ok := disk[name]
		return []byte(s), ok, nil
	}
	for _, tc := range []struct {
		argv []string
		want []string // name=data
	}{
		{[]string{"python3", "main.py"}, []string{"main.py=main"}},
		{[]string{"python3", "./main.py"}, []string{"main.py=main"}},
		{[]string{"python3", "/work/main.py"}, []string{"main.py=main"}},
		{[]string{"python3", "-c", "CODE"}, []string{"main.py=main", "<python -c>=CODE"}},
		{[]string{"python3", "-cCODE"}, []string{"main.py=main", "<python -c>=CODE"}},
		{[]string{"python3", "-Ic", "CODE"}, []string{"main.py=main", "<python -c>=CODE"}},
		{[]string{"python3", "-IScCODE"}, []string{"main.py=main", "<python -c>=CODE"}},
		{[]string{"python3", "-W", "ignore", "-X", "dev", "-c", "CODE"}, []string{"main.py=main", "<python -c>=CODE"}},
		{[]string{"python3", "-Wignore", "-c", "CODE", "-c", "ARG"}, []string{"main.py=main", "<python -c>=CODE"}},
		{[]string{"/usr/bin/python3.11", "--check-hash-based-pycs", "never", "-c", "CODE"}, []string{"main.py=main", "<python -c>=CODE"}},
		// Python runs whatever file it is given, whatever its name.
		{[]string{"python", "job.txt", "-c", "ARG"}, []string{"main.py=main", "job.txt=job"}},
		{[]string{"python", "-u", "--", "other"}, []string{"main.py=main", "other=other"}},
		{[]string{"python", "-m", "pytest", "lib/x.py"}, []string{"main.py=main", "lib/x.py=x"}},
		{[]string{"python", "-"}, []string{"main.py=main"}},
		// Other commands: the arguments that name Python files.
		{[]string{"pytest", "/work/tool.py", "job.txt", "missing.py"}, []string{"main.py=main", "/work/tool.py=tool"}},
		{[]string{"sh", "-c", "CODE"}, []string{"main.py=main"}},
	} {
		got, err := RunSources(tc.argv, files, read)
		if err != nil {
			t.Errorf("RunSources(%q): %v", tc.argv, err)
			continue
		}
		var have []string
		for _, s := range got {
			have = append(have, s.Name+"="+string(s.Data))
		}
		if !slices.Equal(have, tc.want) {
			t.Errorf("RunSources(%q) = %q, want %q", tc.argv, have, tc.want)
		}
	}
	// Code that cannot be read cannot be scanned: the run must not go on.
	if _, err := RunSources([]string{"python3", "locked.py"}, files, read); err == nil || !strings.Contains(err.Error(), "locked.py") {
		t.Errorf("RunSources of an unreadable script: %v, want an error naming it", err)
	}
	// Without a reader, only the placed files are read.
	got, err := RunSources([]string{"python3", "other"}, files, nil)
	if err != nil || len(got) != 1 || got[0].Name != "main.py" {
		t.Errorf("RunSources without a reader = %v, %v", got, err)
	}
}
