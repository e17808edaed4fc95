package advisory

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// sameIndex reports the first difference between two indexes.
func sameIndex(a, b *Index) error {
	if !reflect.DeepEqual(a.Stats(), b.Stats()) {
		return fmt.Errorf("stats %+v != %+v", a.Stats(), b.Stats())
	}
	pa, pb := a.Packages(), b.Packages()
	if !reflect.DeepEqual(pa, pb) {
		return fmt.Errorf("packages %v != %v", pa, pb)
	}
	for _, p := range pa {
		va, vb := a.Lookup(p), b.Lookup(p)
		if len(va) != len(vb) {
			return fmt.Errorf("%s: %d entries != %d", p, len(va), len(vb))
		}
		for i := range va {
			x, y := *va[i], *vb[i]
			if x.Affected.String() != y.Affected.String() || !x.Affected.Equal(y.Affected) {
				return fmt.Errorf("%s %s: affected %v != %v", p, x.ID, x.Affected, y.Affected)
			}
			if fmt.Sprint(x.FixedStrings()) != fmt.Sprint(y.FixedStrings()) {
				return fmt.Errorf("%s %s: fixed %v != %v", p, x.ID, x.Fixed, y.Fixed)
			}
			if !reflect.DeepEqual(x.fixedText, x.FixedStrings()) && len(x.Fixed) > 0 || !reflect.DeepEqual(y.fixedText, y.FixedStrings()) && len(y.Fixed) > 0 {
				return fmt.Errorf("%s %s: cached fixed strings %v, %v", p, x.ID, x.fixedText, y.fixedText)
			}
			x.Affected, y.Affected, x.Fixed, y.Fixed, x.fixedText, y.fixedText = pep440.VersionSet{}, pep440.VersionSet{}, nil, nil, nil, nil
			if !reflect.DeepEqual(x, y) {
				return fmt.Errorf("%s: %+v != %+v", p, x, y)
			}
		}
		for _, id := range va[0].IDs() {
			if len(a.Find(id)) != len(b.Find(id)) {
				return fmt.Errorf("Find(%s) differs", id)
			}
		}
	}
	return nil
}

func TestSnapshotRoundTrip(t *testing.T) {
	for name, ix := range map[string]*Index{
		"fixtures":  loadFixtures(t),
		"synthetic": syntheticIndex(t, 500),
		"empty":     new(Builder).Index(),
	} {
		data, err := ix.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: MarshalBinary: %v", name, err)
		}
		back, err := UnmarshalIndex(data)
		if err != nil {
			t.Fatalf("%s: UnmarshalIndex: %v", name, err)
		}
		if err := sameIndex(ix, back); err != nil {
			t.Errorf("%s: round trip: %v", name, err)
		}
		again, _ := back.MarshalBinary()
		if string(again) != string(data) {
			t.Errorf("%s: a second MarshalBinary differs", name)
		}
	}
}

func TestSnapshotDamage(t *testing.T) {
	data, err := loadFixtures(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		if _, err := UnmarshalIndex(data[:n]); err == nil {
			t.Fatalf("UnmarshalIndex accepted a snapshot cut to %d of %d bytes", n, len(data))
		}
	}
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x40
		if _, err := UnmarshalIndex(bad); err == nil {
			t.Fatalf("UnmarshalIndex accepted a snapshot with byte %d changed", i)
		}
	}
	newer := append([]byte(nil), data...)
	newer[len(snapshotMagic)] = snapshotVersion + 1
	if _, err := UnmarshalIndex(newer); !errors.Is(err, ErrSnapshotVersion) {
		t.Errorf("a newer format version gave %v, want ErrSnapshotVersion", err)
	}
}

// syntheticRecords makes n records shaped like OSV's PyPI export: ids with
// aliases, summaries, ECOSYSTEM ranges with versions lists (mostly inside
// the ranges, a few outside), some last_affected, CVSS vectors, and one
// malicious-package report in five.
func syntheticRecords(n int) []*Record {
	rng := rand.New(rand.NewPCG(1, 2))
	pkgs := n / 4
	recs := make([]*Record, 0, n)
	for i := range n {
		pkg := fmt.Sprintf("package-%d", rng.IntN(pkgs))
		if i%5 == 4 {
			recs = append(recs, &Record{
				ID:       fmt.Sprintf("MAL-2024-%d", i),
				Summary:  "Malicious code in " + pkg + " (PyPI)",
				Modified: "2024-05-01T00:00:00Z",
				Affected: []Affected{{
					Package: Package{Ecosystem: "PyPI", Name: pkg},
					Ranges:  []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}}}},
				}},
			})
			continue
		}
		major := rng.IntN(5)
		lo, hi := rng.IntN(20), 20+rng.IntN(20)
		var versions []string
		for m := lo; m < hi; m++ {
			versions = append(versions, fmt.Sprintf("%d.%d.0", major, m))
		}
		if rng.IntN(4) == 0 {
			versions = append(versions, fmt.Sprintf("%d.%d.1rc1", major+1, rng.IntN(9)))
		}
		end := Event{Fixed: fmt.Sprintf("%d.%d.0", major, hi)}
		if rng.IntN(10) == 0 {
			end = Event{LastAffected: fmt.Sprintf("%d.%d.0", major, hi-1)}
		}
		recs = append(recs, &Record{
			ID:        fmt.Sprintf("PYSEC-2023-%d", i),
			Aliases:   []string{fmt.Sprintf("CVE-2023-%05d", i), fmt.Sprintf("GHSA-%04x-%04x-%04x", i, i*7%65536, i*13%65536)},
			Summary:   fmt.Sprintf("Synthetic vulnerability %d in %s lets a remote attacker do something bad", i, pkg),
			Published: "2023-05-26T18:15:00Z",
			Modified:  "2023-06-05T01:13:00Z",
			Severity:  []Score{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}},
			Affected: []Affected{{
				Package:  Package{Ecosystem: "PyPI", Name: pkg},
				Ranges:   []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: fmt.Sprintf("%d.%d.0", major, lo)}, end}}},
				Versions: versions,
			}},
		})
	}
	return recs
}

func syntheticIndex(t testing.TB, n int) *Index {
	t.Helper()
	var b Builder
	for _, r := range syntheticRecords(n) {
		b.Add(r)
	}
	return b.Index()
}

// BenchmarkUnmarshalIndex20k loads a snapshot of 20,000 records, the size
// of OSV's PyPI export. Goal: under 300 ms.
func BenchmarkUnmarshalIndex20k(b *testing.B) {
	data, err := syntheticIndex(b, 20000).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := UnmarshalIndex(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "snapshot-bytes")
}

// BenchmarkBuildIndex20k merges 20,000 parsed records into an index (what
// db update and db import do after reading the files).
func BenchmarkBuildIndex20k(b *testing.B) {
	recs := syntheticRecords(20000)
	for b.Loop() {
		var bl Builder
		for _, r := range recs {
			bl.Add(r)
		}
		bl.Index()
	}
}

func BenchmarkAssess(b *testing.B) {
	ix := syntheticIndex(b, 20000)
	spec := pep440.MustParseSpecifierSet(">=1.5.0,<3")
	pkgs := ix.Packages()
	for i := 0; b.Loop(); i++ {
		ix.Assess(pkgs[i%len(pkgs)], spec, pep440.PrereleasesDefault, Options{})
	}
}
