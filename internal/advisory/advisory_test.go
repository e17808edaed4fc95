package advisory

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/pep440"
)

func loadFixtures(t testing.TB) *Index {
	t.Helper()
	ix, err := LoadFS(os.DirFS("testdata/osv"))
	if err != nil {
		t.Fatalf("LoadFS(testdata/osv): %v", err)
	}
	return ix
}

func TestLoadFixtures(t *testing.T) {
	ix := loadFixtures(t)
	st := ix.Stats()
	want := Stats{Records: 15, Withdrawn: 1, Skipped: 0, Vulns: 12, Malicious: 3, Packages: 11, Problems: 1}
	got := st
	got.ProblemList = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if len(st.ProblemList) != 1 || !strings.HasPrefix(st.ProblemList[0].Path, "misc/broken.json") {
		t.Errorf("ProblemList = %v, want misc/broken.json", st.ProblemList)
	}
	if got := ix.Lookup("hidden"); got != nil {
		t.Errorf("a record under a dot directory was read: %v", got)
	}
	wantPkgs := []string{"demo-lib", "evil-pkg", "git-only", "listed-only", "multi-range", "odd-bounds", "pkg-a", "pkg-b", "requests", "sneaky", "sometimes-evil"}
	if got := ix.Packages(); !slices.Equal(got, wantPkgs) {
		t.Errorf("Packages() = %v, want %v", got, wantPkgs)
	}
}

func TestAliasMergingAndWithdrawn(t *testing.T) {
	ix := loadFixtures(t)
	vs := ix.Lookup("Requests")
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.Title())
	}
	want := []string{
		"PYSEC-2018-28 (CVE-2018-18074)",
		"PYSEC-2023-74 (CVE-2023-32681, GHSA-j8r2-6x86-q33q)",
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("Lookup(requests) = %q, want %q (the withdrawn PYSEC-2099-1 must be gone)", ids, want)
	}
	v := vs[1]
	if v.Summary != "Unintended leak of Proxy-Authorization header in requests" {
		t.Errorf("Summary = %q, want the GHSA record's summary", v.Summary)
	}
	if v.Severity.Level != LevelModerate || v.Severity.Score != 6.1 || v.Severity.Source != SourceCVSSv3 {
		t.Errorf("Severity = %+v, want moderate 6.1 from CVSS v3", v.Severity)
	}
	if got := v.FixedStrings(); !slices.Equal(got, []string{"2.31.0"}) {
		t.Errorf("Fixed = %v, want [2.31.0]", got)
	}
	if v.Published.Format("2006-01-02") != "2023-05-22" || v.Modified.Format("2006-01-02") != "2023-11-08" {
		t.Errorf("Published, Modified = %v, %v: want the earliest and the latest", v.Published, v.Modified)
	}
	for _, id := range []string{"PYSEC-2023-74", "GHSA-j8r2-6x86-q33q", "CVE-2023-32681"} {
		if got := ix.Find(id); len(got) != 1 || got[0] != v {
			t.Errorf("Find(%s) = %v, want the merged entry", id, got)
		}
	}
	if got := ix.Find("PYSEC-2099-1"); got != nil {
		t.Errorf("Find(withdrawn) = %v", got)
	}
	if got := vs[0].Summary; !strings.HasPrefix(got, "The Requests package before 2.20.0 sends") {
		t.Errorf("summary from details = %q", got)
	}

	// One CVE in two packages: each entry is named after its own record.
	for pkg, want := range map[string]string{
		"pkg-a": "PYSEC-2021-10 (CVE-2021-1000, PYSEC-2021-11)",
		"pkg-b": "PYSEC-2021-11 (CVE-2021-1000, PYSEC-2021-10)",
	} {
		vs := ix.Lookup(pkg)
		if len(vs) != 1 || vs[0].Title() != want || !strings.Contains(vs[0].Summary, "this one for "+pkg) {
			t.Errorf("Lookup(%s) = %v, want one entry %s with its own summary", pkg, vs, want)
		}
	}
	if got := ix.Find("CVE-2021-1000"); len(got) != 2 {
		t.Errorf("Find(CVE-2021-1000) = %d entries, want 2", len(got))
	}
}

func TestMalicious(t *testing.T) {
	ix := loadFixtures(t)
	tests := []struct {
		name    string
		version string
		want    []string
	}{
		{"evil-pkg", "0.0.1", []string{"MAL-2024-1"}},
		{"evil-pkg", "99", []string{"MAL-2024-1"}},
		{"sometimes-evil", "1.0.1", []string{"MAL-2024-2"}},
		{"sometimes-evil", "1.0.2", nil},
		{"sneaky", "1.0", []string{"GHSA-aaaa-bbbb-cccc"}},
		{"requests", "2.25.0", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, v := range ix.AffectedBy(tt.name, pep440.MustParse(tt.version)) {
			if v.Malicious {
				got = append(got, v.ID)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("malicious entries affecting %s %s = %v, want %v", tt.name, tt.version, got, tt.want)
		}
	}
	if got := ix.Malicious("Sneaky"); len(got) != 1 || !slices.Equal(got[0].Aliases, []string{"MAL-2024-3"}) {
		t.Errorf("Malicious(sneaky) = %v, want GHSA-aaaa-bbbb-cccc aliasing MAL-2024-3", got)
	}
	if got := ix.Malicious("requests"); got != nil {
		t.Errorf("Malicious(requests) = %v", got)
	}
}

// TestRangeEvaluation checks affected versions over the fixtures:
// boundaries, last_affected, limit, several ranges and records, pre-,
// post- and local versions, versions lists, and unparseable bounds.
func TestRangeEvaluation(t *testing.T) {
	ix := loadFixtures(t)
	tests := []struct {
		pkg, version string
		want         []string // ids of the affecting entries
	}{
		{"requests", "2.2.1", []string{"PYSEC-2018-28"}},
		{"requests", "2.3.0", []string{"PYSEC-2018-28", "PYSEC-2023-74"}},
		{"requests", "2.19.1", []string{"PYSEC-2018-28", "PYSEC-2023-74"}},
		{"requests", "2.20.0", []string{"PYSEC-2023-74"}},
		{"requests", "2.25.0", []string{"PYSEC-2023-74"}},
		{"requests", "2.31.0rc1", []string{"PYSEC-2023-74"}},
		{"requests", "2.30.0+local", []string{"PYSEC-2023-74"}},
		{"requests", "2.31.0", nil},
		{"requests", "2.31.0+local", nil},
		{"requests", "2.31.0.post1", nil},
		{"requests", "2.3.0.dev0", []string{"PYSEC-2018-28"}},
		// last_affected is inclusive; the versions list adds 0.9.
		{"demo-lib", "0.9", []string{"PYSEC-2020-1"}},
		{"demo-lib", "0.95", nil},
		{"demo-lib", "1.0", []string{"PYSEC-2020-1"}},
		{"demo-lib", "1.1", []string{"PYSEC-2020-1"}},
		{"demo-lib", "1.10", []string{"PYSEC-2020-1"}},
		{"demo-lib", "1.10.0", []string{"PYSEC-2020-1"}},
		{"demo-lib", "1.10+local", nil},
		{"demo-lib", "1.10.post1", nil},
		{"demo-lib", "1.11", nil},
		// Two ranges in one record; a limit in another record.
		{"multi-range", "0.9", nil},
		{"multi-range", "1.0", []string{"PYSEC-2020-2"}},
		{"multi-range", "1.2rc1", []string{"PYSEC-2020-2"}},
		{"multi-range", "1.2", nil},
		{"multi-range", "2.0b1", nil},
		{"multi-range", "2.0rc1", []string{"PYSEC-2020-2"}},
		{"multi-range", "2.0", []string{"PYSEC-2020-2"}},
		{"multi-range", "2.0.post0", []string{"PYSEC-2020-2"}},
		{"multi-range", "2.0.post1.dev0", []string{"PYSEC-2020-2"}},
		{"multi-range", "2.0.post1", nil},
		{"multi-range", "3.0", []string{"PYSEC-2020-3"}},
		{"multi-range", "3.5rc1", []string{"PYSEC-2020-3"}},
		{"multi-range", "3.5", nil},
		{"multi-range", "9", nil},
		// Versions lists only; a GIT range ignored; a local version listed.
		{"listed-only", "0.5", []string{"PYSEC-2020-4"}},
		{"listed-only", "0.55", nil},
		{"listed-only", "1.0", nil},
		{"listed-only", "1.0+local", []string{"PYSEC-2020-4"}},
		{"git-only", "1.0", nil},
		// An unparseable fixed is dropped, an unparseable introduced is "0".
		{"odd-bounds", "0.1", []string{"PYSEC-2020-5"}},
		{"odd-bounds", "0.7", nil},
		{"odd-bounds", "1.0", []string{"PYSEC-2020-5"}},
		{"odd-bounds", "2025.1", []string{"PYSEC-2020-5"}},
		{"unknown-package", "1.0", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, v := range ix.AffectedBy(tt.pkg, pep440.MustParse(tt.version)) {
			got = append(got, v.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("AffectedBy(%s, %s) = %v, want %v", tt.pkg, tt.version, got, tt.want)
		}
	}
}

func TestNotes(t *testing.T) {
	ix := loadFixtures(t)
	for _, tt := range []struct{ pkg, note string }{
		{"odd-bounds", `fixed "2019-09-12" is not a PEP 440 version`},
		{"odd-bounds", `introduced "not-a-version" is not a PEP 440 version: counted as "0"`},
		{"listed-only", `1 listed versions are not PEP 440 versions and were ignored ("0.7-bulbasaur")`},
		{"git-only", "no version can be matched"},
	} {
		vs := ix.Lookup(tt.pkg)
		if len(vs) != 1 || !slices.ContainsFunc(vs[0].Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
			t.Errorf("notes of %s = %q, want one containing %q", tt.pkg, vs[0].Notes, tt.note)
		}
	}
}

func TestSummarySanitized(t *testing.T) {
	ix := loadFixtures(t)
	got := ix.Lookup("demo-lib")[0].Summary
	if got != "Demo-lib: last_affected is[31m inclusive" {
		t.Errorf("Summary = %q: control characters and tabs must go", got)
	}
	long := sanitizeLine(strings.Repeat("word ", 100), MaxSummaryLength)
	if n := len([]rune(long)); n > MaxSummaryLength || !strings.HasSuffix(long, "…") {
		t.Errorf("sanitizeLine cut to %d runes: %q", n, long)
	}
	if got := sanitizeLine("a\u202eb\u200bc\n\nd", 50); got != "abc d" {
		t.Errorf("sanitizeLine dropped too little: %q", got)
	}
}

func TestSeverityLevels(t *testing.T) {
	ix := loadFixtures(t)
	tests := []struct {
		pkg, id string
		want    Severity
	}{
		{"requests", "PYSEC-2018-28", Severity{Level: LevelHigh, Score: 7.5, Source: SourceCVSSv3, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}},
		{"demo-lib", "PYSEC-2020-1", Severity{Level: LevelHigh, Source: SourceDatabase}},
		{"multi-range", "PYSEC-2020-2", Severity{Level: LevelLow, Score: 2.8, Source: SourceCVSSv3, Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N"}},
		{"multi-range", "PYSEC-2020-3", Severity{Level: LevelCritical, Score: 9.8, Source: SourceCVSSv4, Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Approximate: true}},
		{"sneaky", "GHSA-aaaa-bbbb-cccc", Severity{Level: LevelCritical, Source: SourceDatabase}},
		{"evil-pkg", "MAL-2024-1", Severity{}},
	}
	for _, tt := range tests {
		var got *Vuln
		for _, v := range ix.Lookup(tt.pkg) {
			if v.ID == tt.id {
				got = v
			}
		}
		if got == nil {
			t.Fatalf("no %s for %s", tt.id, tt.pkg)
		}
		if got.Severity != tt.want {
			t.Errorf("%s severity = %+v, want %+v", tt.id, got.Severity, tt.want)
		}
	}
	for _, tt := range []struct {
		s    Severity
		min  Level
		want bool
	}{
		{Severity{Level: LevelHigh}, LevelModerate, true},
		{Severity{Level: LevelLow}, LevelModerate, false},
		{Severity{Level: LevelModerate}, LevelModerate, true},
		{Severity{}, LevelCritical, true},
		{Severity{Level: LevelNone}, LevelLow, false},
		{Severity{Level: LevelLow}, LevelUnknown, true},
	} {
		if got := tt.s.AtLeast(tt.min); got != tt.want {
			t.Errorf("%v.AtLeast(%v) = %v, want %v", tt.s, tt.min, got, tt.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"low": LevelLow, "MODERATE": LevelModerate, "Medium": LevelModerate, "high": LevelHigh, " critical ": LevelCritical} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("severe"); err == nil {
		t.Error("ParseLevel(severe) succeeded")
	}
	var l Level
	if err := l.UnmarshalText([]byte("high")); err != nil || l != LevelHigh {
		t.Errorf("UnmarshalText(high) = %v, %v", l, err)
	}
	if b, _ := LevelModerate.MarshalText(); string(b) != "moderate" {
		t.Errorf("MarshalText = %s", b)
	}
}

// TestEvalRange checks the event walk directly, including orders and ties
// the OSV pseudocode defines.
func TestEvalRange(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		want   string
	}{
		{"introduced 0", []Event{{Introduced: "0"}}, "(-inf, +inf)"},
		{"fixed", []Event{{Introduced: "0"}, {Fixed: "1.0"}}, "(-inf, 1.0)"},
		{"unsorted events", []Event{{Fixed: "2.0"}, {Introduced: "1.0"}}, "[1.0, 2.0)"},
		{"last_affected", []Event{{Introduced: "1.0"}, {LastAffected: "1.5"}}, "[1.0, 1.5]"},
		{"two ranges", []Event{{Introduced: "1.0"}, {Fixed: "1.2"}, {Introduced: "2.0"}, {Fixed: "2.3"}}, "[1.0, 1.2) ∪ [2.0, 2.3)"},
		{"reopened", []Event{{Introduced: "1.0"}, {Fixed: "2.0"}, {Introduced: "3.0"}}, "[1.0, 2.0) ∪ [3.0, +inf)"},
		{"limit", []Event{{Introduced: "1.0"}, {Limit: "1.5"}}, "[1.0, 1.5)"},
		{"two limits", []Event{{Introduced: "1.0"}, {Limit: "1.5"}, {Limit: "3"}}, "[1.0, 3)"},
		{"limit star", []Event{{Introduced: "1.0"}, {Limit: "1.5"}, {Limit: "*"}}, "[1.0, +inf)"},
		{"fixed and introduced tie", []Event{{Introduced: "1.0"}, {Fixed: "1.0"}}, "∅"},
		{"introduced and last_affected tie", []Event{{Introduced: "1.0"}, {LastAffected: "1.0"}}, "[1.0]"},
		{"equal spellings", []Event{{Introduced: "1"}, {Fixed: "1.0.0"}}, "∅"},
		{"no introduced", []Event{{Fixed: "1.0"}}, "(-inf, 1.0)"},
		{"bad fixed", []Event{{Introduced: "1.0"}, {Fixed: "next"}}, "[1.0, +inf)"},
		{"bad introduced", []Event{{Introduced: "x"}, {Fixed: "2"}}, "(-inf, 2)"},
		{"bad limit", []Event{{Introduced: "1.0"}, {Limit: "?"}}, "[1.0, +inf)"},
		{"two fields", []Event{{Introduced: "1.0", Fixed: "1.5"}}, "[1.0, +inf)"},
		{"fixed and limit in one event", []Event{{Introduced: "0"}, {Fixed: "1.5", Limit: "2"}}, "(-inf, +inf)"},
		{"empty", nil, "∅"},
		{"pre-release bounds", []Event{{Introduced: "2.0rc1"}, {Fixed: "2.0.post1"}}, "[2.0rc1, 2.0.post1)"},
	}
	for _, tt := range tests {
		ivs, _, _ := evalRange(tt.events)
		if got := pep440.UnionOf(ivs).String(); got != tt.want {
			t.Errorf("%s: evalRange(%+v) = %s, want %s", tt.name, tt.events, got, tt.want)
		}
	}
}
