package advisory

import (
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/pep440"
)

func TestAssess(t *testing.T) {
	ix := loadFixtures(t)
	mrFixed := []string{"1.2", "2.0.post1"}
	tests := []struct {
		name, spec string
		pre        pep440.Prereleases
		opt        Options
		kind       Kind
		vulns      []string // "ID:kind"
		malicious  []string
		fixed      []string
		suggestion string
		note       string
	}{
		// The seed case: an exact pin on a vulnerable release.
		{name: "requests", spec: "==2.25.0", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: "===2.25.0", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: "==2.19.0", kind: KindAll, vulns: []string{"PYSEC-2018-28:all", "PYSEC-2023-74:all"}, fixed: []string{"2.20.0", "2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "Requests", spec: "==2.31.0", kind: KindNone},
		{name: "requests", spec: "==2.31.0+local", kind: KindNone},
		{name: "requests", spec: "==2.30.0+local", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		// Ranges: some affected (review, with the part of the request that is safe).
		{name: "requests", spec: ">=2.0,<3", kind: KindSome, vulns: []string{"PYSEC-2018-28:some", "PYSEC-2023-74:some"}, fixed: []string{"2.20.0", "2.31.0"}, suggestion: "requests>=2.31.0,<3"},
		{name: "requests", spec: "", kind: KindSome, vulns: []string{"PYSEC-2018-28:some", "PYSEC-2023-74:some"}, fixed: []string{"2.20.0", "2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: "~=2.28", kind: KindSome, vulns: []string{"PYSEC-2023-74:some"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0,~=2.28"},
		{name: "requests", spec: "!=2.*", kind: KindSome, vulns: []string{"PYSEC-2018-28:some"}, fixed: []string{"2.20.0"}, suggestion: "requests>=2.31.0,!=2.*"},
		{name: "requests", spec: ">=2.31", kind: KindNone},
		// Every admitted version affected (deny), several records together.
		{name: "requests", spec: "<2.31", kind: KindAll, vulns: []string{"PYSEC-2018-28:some", "PYSEC-2023-74:some"}, fixed: []string{"2.20.0", "2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: ">=2.24,<2.26,!=2.25.0", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: "==2.25.*", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: ">=2.31.0rc1,<=2.31.0rc2", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: "==2.31.0rc1", kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		{name: "requests", spec: ">=2.30,<2.32", pre: pep440.PrereleasesAllow, kind: KindSome, vulns: []string{"PYSEC-2023-74:some"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0,<2.32"},
		// Severity thresholds and skipped entries.
		{name: "requests", spec: ">=2.21,<2.31", opt: Options{MinSeverity: LevelHigh}, kind: KindNone},
		{name: "requests", spec: "==2.19.0", opt: Options{MinSeverity: LevelHigh}, kind: KindAll, vulns: []string{"PYSEC-2018-28:all"}, fixed: []string{"2.20.0"}, suggestion: "requests>=2.20.0"},
		{name: "requests", spec: "==2.19.0", opt: Options{MinSeverity: LevelCritical}, kind: KindNone},
		{name: "requests", spec: "==2.19.0", opt: Options{Skip: func(v *Vuln) bool { return v.ID == "PYSEC-2018-28" }}, kind: KindAll, vulns: []string{"PYSEC-2023-74:all"}, fixed: []string{"2.31.0"}, suggestion: "requests>=2.31.0"},
		// Unions of ranges, limits, pre- and post-release bounds.
		{name: "multi-range", spec: ">=1.0,<1.2", kind: KindAll, vulns: []string{"PYSEC-2020-2:all"}, fixed: mrFixed, suggestion: "multi-range>=1.2,<2.0rc1"},
		{name: "multi-range", spec: ">=1.1,<3.2", kind: KindSome, vulns: []string{"PYSEC-2020-2:some", "PYSEC-2020-3:some"}, fixed: mrFixed, suggestion: "multi-range>=2.0.post1,<3.0"},
		{name: "multi-range", spec: "~=1.1", kind: KindSome, vulns: []string{"PYSEC-2020-2:some"}, fixed: mrFixed, suggestion: "multi-range>=1.2,~=1.1"},
		{name: "multi-range", spec: "==2.0.post0", kind: KindAll, vulns: []string{"PYSEC-2020-2:all"}, fixed: mrFixed, suggestion: "multi-range>=2.0.post1,<3.0"},
		{name: "multi-range", spec: ">2.0a1,<2.0rc2", kind: KindSome, vulns: []string{"PYSEC-2020-2:some"}, fixed: mrFixed, suggestion: "multi-range>=2.0.post1,<3.0", note: "pre-releases count"},
		{name: "multi-range", spec: ">=3.4", kind: KindSome, vulns: []string{"PYSEC-2020-3:some"}, suggestion: "multi-range>=3.5"},
		{name: "multi-range", spec: ">=3.4", opt: Options{MinSeverity: LevelCritical}, kind: KindSome, vulns: []string{"PYSEC-2020-3:some"}, suggestion: "multi-range>=3.5"},
		// Points excluded with !=, last_affected, a listed local version.
		{name: "listed-only", spec: ">=0.4,<0.7,!=0.5,!=0.6", kind: KindNone},
		{name: "listed-only", spec: ">=0.4,<0.7,!=0.5", kind: KindSome, vulns: []string{"PYSEC-2020-4:some"}, suggestion: "listed-only>0.6,<0.7"},
		{name: "listed-only", spec: ">=1.0", kind: KindNone},
		{name: "demo-lib", spec: "<=1.10", kind: KindSome, vulns: []string{"PYSEC-2020-1:some"}, suggestion: "demo-lib>0.9,<1.0"},
		{name: "demo-lib", spec: ">=1.10", kind: KindSome, vulns: []string{"PYSEC-2020-1:some"}, suggestion: "demo-lib>1.10"},
		// Malicious reports: any admitted malicious version.
		{name: "evil-pkg", spec: "==1.0", kind: KindNone, malicious: []string{"MAL-2024-1:all"}},
		{name: "evil-pkg", spec: "", kind: KindNone, malicious: []string{"MAL-2024-1:all"}},
		{name: "sometimes-evil", spec: ">=1.0", kind: KindNone, malicious: []string{"MAL-2024-2:some"}, suggestion: "sometimes-evil>1.0.1"},
		{name: "sometimes-evil", spec: "==1.0.0", kind: KindNone},
		// Nothing to judge.
		{name: "requests", spec: ">2,<1", kind: KindNone, note: "admits no version"},
		{name: "requests", spec: ">2.30.0,<2.30.0.post0", kind: KindNone, note: "admits no version"},
		{name: "requests", spec: "===2.25.00", kind: KindNone, note: "matches no PEP 440 version"},
		{name: "unknown", spec: "==1.0", kind: KindNone},
	}
	for _, tt := range tests {
		spec := pep440.MustParseSpecifierSet(tt.spec)
		a := ix.Assess(tt.name, spec, tt.pre, tt.opt)
		desc := tt.name + tt.spec
		if a.Kind != tt.kind {
			t.Errorf("%s: Kind = %v, want %v", desc, a.Kind, tt.kind)
		}
		if got := findingIDs(a.Vulns); !slices.Equal(got, tt.vulns) {
			t.Errorf("%s: Vulns = %v, want %v", desc, got, tt.vulns)
		}
		if got := findingIDs(a.Malicious); !slices.Equal(got, tt.malicious) {
			t.Errorf("%s: Malicious = %v, want %v", desc, got, tt.malicious)
		}
		if !slices.Equal(a.Fixed, tt.fixed) {
			t.Errorf("%s: Fixed = %v, want %v", desc, a.Fixed, tt.fixed)
		}
		if a.Suggestion != tt.suggestion {
			t.Errorf("%s: Suggestion = %q, want %q", desc, a.Suggestion, tt.suggestion)
		}
		if tt.note != "" && !slices.ContainsFunc(a.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
			t.Errorf("%s: Notes = %q, want one with %q", desc, a.Notes, tt.note)
		}
		checkAssessment(t, ix, tt.name, spec, tt.pre, a)
	}
}

func findingIDs(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Vuln.ID+":"+f.Kind.String())
	}
	return out
}

// checkAssessment verifies an assessment's evidence: each finding's example
// is admitted and affected, the safe example is admitted and affected by
// nothing kept, and the suggestion admits no affected version.
func checkAssessment(t *testing.T, ix *Index, name string, spec pep440.SpecifierSet, pre pep440.Prereleases, a Assessment) {
	t.Helper()
	for _, f := range append(slices.Clone(a.Vulns), a.Malicious...) {
		if !f.Vuln.Affects(f.Example) {
			t.Errorf("%s%s: example %s of %s is not affected", name, spec, f.Example, f.Vuln.ID)
		}
		if !a.Exact && !spec.Contains(f.Example, pre) && !spec.Contains(f.Example, pep440.PrereleasesAllow) {
			t.Errorf("%s%s: example %s of %s is not admitted", name, spec, f.Example, f.Vuln.ID)
		}
	}
	if a.Kind == KindSome {
		if !spec.Contains(a.Safe, pre) && !spec.Contains(a.Safe, pep440.PrereleasesAllow) {
			t.Errorf("%s%s: safe example %s is not admitted", name, spec, a.Safe)
		}
		for _, f := range a.Vulns {
			if f.Vuln.Affects(a.Safe) {
				t.Errorf("%s%s: safe example %s is affected by %s", name, spec, a.Safe, f.Vuln.ID)
			}
		}
	}
	if a.Suggestion == "" {
		return
	}
	ss, err := pep440.ParseSpecifierSet(strings.TrimPrefix(a.Suggestion, name))
	if err != nil {
		t.Fatalf("%s%s: suggestion %q does not parse: %v", name, spec, a.Suggestion, err)
	}
	sugg := ix.Assess(name, ss, pre, Options{})
	if len(sugg.Malicious) > 0 {
		t.Errorf("%s%s: suggestion %q admits malicious versions", name, spec, a.Suggestion)
	}
	for _, f := range sugg.Vulns {
		if slices.ContainsFunc(a.Vulns, func(g Finding) bool { return g.Vuln == f.Vuln }) {
			t.Errorf("%s%s: suggestion %q still admits %s (e.g. %s)", name, spec, a.Suggestion, f.Vuln.ID, f.Example)
		}
	}
}

func TestNilIndex(t *testing.T) {
	var ix *Index
	if ix.Lookup("requests") != nil || ix.AffectedBy("requests", pep440.MustParse("1")) != nil || ix.Stats().Records != 0 || ix.Packages() != nil {
		t.Error("a nil index should answer empty")
	}
	a := ix.Assess("requests", pep440.MustParseSpecifierSet("==1.0"), pep440.PrereleasesDefault, Options{})
	if a.Kind != KindNone || a.Vulns != nil {
		t.Errorf("Assess on a nil index = %+v", a)
	}
}

// TestAssessConcurrent runs assessments from several goroutines at once
// (the cached unions are shared); run with -race.
func TestAssessConcurrent(t *testing.T) {
	ix := loadFixtures(t)
	specs := []string{"", ">=2.0,<3", "==2.25.0", "~=1.1"}
	done := make(chan Kind, 8*len(specs))
	for g := range 8 {
		go func() {
			for _, s := range specs {
				a := ix.Assess([]string{"requests", "multi-range"}[g%2], pep440.MustParseSpecifierSet(s), pep440.PrereleasesDefault, Options{MinSeverity: levelFor(g % 3)})
				done <- a.Kind
			}
		}()
	}
	for range 8 * len(specs) {
		<-done
	}
}

// levelFor maps 0, 1, 2 to unknown, low, high.
func levelFor(i int) Level { return []Level{LevelUnknown, LevelLow, LevelHigh}[i] }
