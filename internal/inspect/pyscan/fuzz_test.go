package pyscan

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzScan checks that no source makes the scanner panic or loop: every
// input finishes (the fuzzer's own timeout catches hangs).
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.py")
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("x = 'a'\nfor i in range(30): x = x + x\nos.system(x)\n"))
	f.Add([]byte("a = b\nb = a + a\nexec(a)\n"))
	f.Add([]byte("exec('exec(\"exec(\\'exec(1)\\')\")')\n"))
	s := New()
	f.Fuzz(func(t *testing.T, src []byte) {
		fs, err := s.ScanSource(context.Background(), "f.py", src)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range fs {
			if x.Rule == nil || x.Line < 0 || x.Message == "" {
				t.Fatalf("malformed finding %+v", x)
			}
		}
		if _, err := s.ScanNotebook(context.Background(), "f.ipynb", src); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzShell checks the shell command splitter and the installer detection.
func FuzzShell(f *testing.F) {
	f.Add("pip install x && curl a | sh; echo $(id) > ~/.bashrc 2>&1 &")
	f.Add(`bash -c "python -m pip install 'a b'" <<< x`)
	f.Add("sudo -u root env A=1 timeout 5s nice -n 3 pip3.11 install -r r.txt")
	f.Fuzz(func(t *testing.T, line string) {
		for _, c := range parseShell(line) {
			installCmd(c.words)
			for _, w := range c.words {
				classifyPath(strVal(w))
			}
		}
	})
}
