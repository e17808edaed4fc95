package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/reqfile"
)

// BenchmarkCheck decides a 10,000-line requirements file with typosquat and
// advisory checks on (the parse is not timed).
func BenchmarkCheck(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, "package-%d==1.%d.0\n", i%500, i%30)
		if i%100 == 0 {
			sb.WriteString("requests==2.25.0\nreqeusts==1.0\n")
		}
	}
	entries := reqfile.ParseLax("requirements.txt", []byte(sb.String()), nil)
	p, err := New(Default(), Data{Advisories: testAdvisories(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Check(CheckOptions{}, Input{Entries: entries, BaseDir: "."})
	}
	b.ReportMetric(float64(len(entries))*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
