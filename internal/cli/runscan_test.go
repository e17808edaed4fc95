package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanBeforeRunLargeFile: a file too large to scan is not run
// unscanned; it gets the scanner's not-scanned finding (AL901, review).
func TestScanBeforeRunLargeFile(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "scan.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nscan:\n  before_run: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	src := append([]byte("import os\nos.system('pip install evil')\n"), bytes.Repeat([]byte("# padding\n"), (maxScriptSize/10)+1)...)
	if err := os.WriteFile(filepath.Join(work, "big.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, "run", "--policy", pol, "--workdir", work, "--", "/usr/bin/python3", "big.py")
	if code != ExitReview || !strings.Contains(errOut, "AL901") {
		t.Errorf("exit %d, want %d with AL901\n%s%s", code, ExitReview, out, errOut)
	}
}
