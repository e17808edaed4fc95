package pyscan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScan scans the top-level modules of the system's Python standard
// library (about 130,000 lines) on one goroutine, and reports lines per
// second. scripts/bench/scan.sh compares the CLI with bandit.
func BenchmarkScan(b *testing.B) {
	files, _ := filepath.Glob("/usr/lib/python3*/*.py")
	if len(files) == 0 {
		b.Skip("no Python standard library under /usr/lib")
	}
	var srcs [][]byte
	var size, lines int64
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err == nil {
			srcs = append(srcs, src)
			size += int64(len(src))
			lines += int64(bytes.Count(src, []byte("\n")))
		}
	}
	s := New()
	ctx := context.Background()
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for i, src := range srcs {
			if _, err := s.ScanSource(ctx, files[i], src); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
