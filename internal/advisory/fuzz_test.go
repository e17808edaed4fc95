package advisory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// FuzzLoadRecord feeds arbitrary files through the loader, the builder,
// the matcher and the snapshot codec: nothing may panic, and a snapshot of
// whatever was built must read back.
func FuzzLoadRecord(f *testing.F) {
	files, _ := filepath.Glob("testdata/osv/*/*")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(filepath.Ext(p) == ".json", data)
		}
	}
	f.Add(false, []byte("id: X\naffected:\n- package: {name: a, ecosystem: PyPI}\n  versions: [1.0, !!str 2, ~, yes]\n"))
	f.Add(false, []byte("a: &x [1]\nb: *x\n"))
	f.Add(true, []byte(`{"id":"X","affected":[{"package":{"name":"a","ecosystem":"PyPI"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1"},{"last_affected":"1"},{"limit":"0"}]}]}]}`))
	specs := []pep440.SpecifierSet{
		{},
		pep440.MustParseSpecifierSet("==1.0"),
		pep440.MustParseSpecifierSet(">=1.0,!=1.5.*,<3"),
		pep440.MustParseSpecifierSet("~=2.1rc1"),
	}
	f.Fuzz(func(t *testing.T, isJSON bool, data []byte) {
		var r *Record
		var err error
		if isJSON {
			r, err = ParseJSON(data)
		} else {
			r, err = ParseYAML(data)
		}
		if err != nil {
			return
		}
		var b Builder
		b.Add(r)
		ix := b.Index()
		for _, p := range ix.Packages() {
			for _, s := range specs {
				for _, pre := range []pep440.Prereleases{pep440.PrereleasesDefault, pep440.PrereleasesAllow} {
					a := ix.Assess(p, s, pre, Options{})
					for _, fd := range a.Vulns {
						if !fd.Vuln.Affects(fd.Example) {
							t.Fatalf("%s%s: example %s is not affected", p, s, fd.Example)
						}
					}
				}
			}
		}
		snap, err := ix.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary: %v", err)
		}
		back, err := UnmarshalIndex(snap)
		if err != nil {
			t.Fatalf("UnmarshalIndex of a fresh snapshot: %v", err)
		}
		if err := sameIndex(ix, back); err != nil {
			t.Fatalf("snapshot round trip: %v", err)
		}
	})
}

// FuzzUnmarshalIndex checks that no input makes the snapshot decoder panic
// or allocate without bound.
func FuzzUnmarshalIndex(f *testing.F) {
	ix, err := LoadFS(os.DirFS("testdata/osv"))
	if err != nil {
		f.Fatal(err)
	}
	data, err := ix.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(snapshotMagic + "\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ix, err := UnmarshalIndex(data); err == nil {
			for _, p := range ix.Packages() {
				ix.Assess(p, pep440.SpecifierSet{}, pep440.PrereleasesDefault, Options{})
			}
		}
	})
}

// FuzzCVSS checks that no vector makes the scorers panic and that scores
// stay within 0 to 10.
func FuzzCVSS(f *testing.F) {
	for _, tt := range cvss3Tests {
		f.Add(tt.vector)
	}
	f.Add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
	f.Fuzz(func(t *testing.T, v string) {
		for _, fn := range []func(string) (float64, error){CVSS3BaseScore, CVSS4ApproxScore} {
			if s, err := fn(v); err == nil && (s < 0 || s > 10) {
				t.Fatalf("score of %q = %v", v, s)
			}
		}
	})
}
