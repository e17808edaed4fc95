package typosquat

import (
	"bytes"
	"compress/gzip"
	"runtime"
	"testing"
)

// benchNames is a mix of what a policy sees: typos (the generated corpus),
// protected names, and names that are neither.
func benchNames(b *testing.B) []string {
	b.Helper()
	var names []string
	for _, row := range readTSV(b, "testdata/typos.tsv", 3) {
		names = append(names, row[0])
	}
	for i, e := range DefaultEntries() {
		if i%10 == 0 {
			names = append(names, e.Name)
		}
	}
	names = append(names, "my-company-internal-tool", "x", "a-very-long-project-name-that-matches-nothing-at-all")
	return names
}

// BenchmarkCheck measures names checked per second against the default
// 15,000-name index on one goroutine (goal: 200,000/s).
func BenchmarkCheck(b *testing.B) {
	ix := Default()
	names := benchNames(b)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.Check(names[i%len(names)])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "names/s")
}

// BenchmarkNew measures building the default index from its entries, which
// the CLI does at start.
func BenchmarkNew(b *testing.B) {
	entries := DefaultEntries()
	b.ReportAllocs()
	for b.Loop() {
		New(entries, Options{})
	}
}

// BenchmarkLoadEmbedded measures decompressing and parsing the embedded
// list.
func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(popularData))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Load(zr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexMemory reports the heap an index holds.
func BenchmarkIndexMemory(b *testing.B) {
	entries := DefaultEntries()
	var keep *Index
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		keep = New(entries, Options{})
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
	}
	runtime.KeepAlive(keep)
}
