package typosquat

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// The quality tests measure the default index on labelled data (see the
// package documentation and README for the figures and what they mean).

// readTSV returns the tab-separated fields of each non-comment line of a
// testdata file.
func readTSV(t testing.TB, path string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || text[0] == '#' {
			continue
		}
		row := strings.Split(text, "\t")
		if len(row) != fields {
			t.Fatalf("%s:%d: %d fields, want %d", path, line, len(row), fields)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

type tally struct{ flagged, right, total int }

func (c *tally) add(flagged, right bool) {
	c.total++
	if flagged {
		c.flagged++
	}
	if right {
		c.right++
	}
}

func (c tally) recall() float64 { return float64(c.flagged) / float64(max(c.total, 1)) }

func (c tally) String() string {
	return fmt.Sprintf("%d/%d flagged (%.1f%%), %d with the labelled target", c.flagged, c.total, 100*c.recall(), c.right)
}

// TestCorpusRecall measures recall on the generated typo corpus
// (testdata/typos.tsv, written by internal/corpusgen, which shares no code
// with the detector) and on squats from public malicious-package reports
// (testdata/known.tsv).
func TestCorpusRecall(t *testing.T) {
	ix := Default()
	var all, generated, known tally
	perClass := map[string]*tally{}
	var misses []string

	for _, row := range readTSV(t, "testdata/typos.tsv", 3) {
		variant, target, class := row[0], row[1], row[2]
		if !ix.Contains(target) {
			t.Fatalf("typos.tsv: target %q is not a protected name", target)
		}
		if ix.Contains(variant) {
			t.Fatalf("typos.tsv: variant %q is a protected name", variant)
		}
		m, ok := ix.Check(variant)
		right := ok && m.Target == target
		generated.add(ok, right)
		all.add(ok, right)
		if perClass[class] == nil {
			perClass[class] = &tally{}
		}
		perClass[class].add(ok, right)
		if !ok {
			misses = append(misses, fmt.Sprintf("%s (%s of %s)", variant, class, target))
		}
	}
	for _, row := range readTSV(t, "testdata/known.tsv", 3) {
		name, target := row[0], row[1]
		if !ix.Contains(target) {
			t.Fatalf("known.tsv: target %q is not a protected name", target)
		}
		m, ok := ix.Check(name)
		right := ok && m.Target == target
		known.add(ok, right)
		all.add(ok, right)
		switch {
		case !ok:
			t.Logf("known squat missed: %s (of %s)", name, target)
		case !right:
			t.Logf("known squat %s (of %s) flagged as %v", name, target, m)
		}
	}

	classes := make([]string, 0, len(perClass))
	for c := range perClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		t.Logf("generated %-10s %v", c, *perClass[c])
	}
	t.Logf("generated corpus: %v", generated)
	t.Logf("generated misses: %s", strings.Join(misses, ", "))
	t.Logf("public reports:   %v", known)
	t.Logf("all labelled:     %v", all)
	if generated.total < 500 {
		t.Errorf("generated corpus has %d variants, want at least 500", generated.total)
	}
	if r := all.recall(); r < 0.95 {
		t.Errorf("recall on the labelled corpus = %.3f, want >= 0.95", r)
	}
	if r := generated.recall(); r < 0.95 {
		t.Errorf("recall on the generated corpus = %.3f, want >= 0.95", r)
	}
	// The public reports include squats outside every class the issue
	// asks for (botaa3 is two edits, matplatlib-plus an edit plus an
	// unlisted suffix); this floor catches regressions on the rest.
	if r := known.recall(); r < 0.75 {
		t.Errorf("recall on public reports = %.3f, want >= 0.75", r)
	}
}

// TestIssueExamples checks the names the issue says PyPI's own check misses,
// and a few more from each class, with the target and transform reported.
func TestIssueExamples(t *testing.T) {
	ix := Default()
	tests := []struct {
		name, target string
		transform    Transform
	}{
		{"rnatplotlib", "matplotlib", Homoglyph},
		{"requests2", "requests", Version},
		{"python-requests", "requests", Affix},
		{"requests-py", "requests", Affix},
		{"py-dateutil", "python-dateutil", Affix},
		{"pi11ow", "pillow", Homoglyph},
		{"reqeusts", "requests", Swap},
		{"python3-dateutil", "python-dateutil", Affix},
		{"jeIlyfish", "jellyfish", Homoglyph},
		{"urllib4", "urllib3", Version},
		{"urllib", "urllib3", Version},
		{"colourama", "colorama", Insertion},
		{"reequests", "requests", Repetition},
		{"reqests", "requests", Omission},
		{"requesrs", "requests", Keyboard},
		{"djanga", "django", Substitution},
		{"pythondateutil", "python-dateutil", Separator},
		{"setup-tools", "setuptools", Separator},
		{"Setup_Tools", "setuptools", Separator},
		{"dateutil-python", "python-dateutil", Reorder},
		{"pytz3-dev", "pytz", AffixVersion},
		{"pythonkafka", "kafka-python", Affix},
		{"vvheel", "wheel", Homoglyph},
		{"c1ick", "click", Homoglyph},
		{"nurnpy", "numpy", Homoglyph},
		{"panclas", "pandas", Homoglyph},
		{"b0to3", "boto3", Homoglyph},
		{"5ix", "", ""}, // three letters: too short to judge by one change
		{"six2", "", ""},
	}
	for _, tt := range tests {
		m, ok := ix.Check(tt.name)
		if tt.target == "" {
			if ok {
				t.Errorf("Check(%q) = %v, want no match", tt.name, m)
			}
			continue
		}
		if !ok || m.Target != tt.target || m.Transform != tt.transform || m.Kind != KindTyposquat {
			t.Errorf("Check(%q) = %v, %v; want %s by %s", tt.name, m, ok, tt.target, tt.transform)
			continue
		}
		if want := ix.Rank(tt.target); m.Rank != want {
			t.Errorf("Check(%q).Rank = %d, want %d", tt.name, m.Rank, want)
		}
		if want := distance(normalize(tt.name), tt.target); m.Distance != want || want == 0 {
			t.Errorf("Check(%q).Distance = %d, want %d", tt.name, m.Distance, want)
		}
	}
}

// TestProtectedNamesNeverFlagged is the negative corpus: every protected
// name, checked against all the others, in its normal form and in other
// spellings that normalise to it.
func TestProtectedNamesNeverFlagged(t *testing.T) {
	ix := Default()
	entries := ix.Entries()
	if len(entries) < 14000 {
		t.Fatalf("default index has %d names", len(entries))
	}
	flagged := 0
	for _, e := range entries {
		for _, spelling := range []string{e.Name, strings.ToUpper(e.Name), strings.ReplaceAll(e.Name, "-", "_"), strings.ReplaceAll(e.Name, "-", "._")} {
			if m, ok := ix.Check(spelling); ok {
				flagged++
				t.Errorf("protected name %q (as %q) flagged: %v", e.Name, spelling, m)
			}
		}
	}
	t.Logf("negative corpus: %d protected names in 4 spellings each, %d flagged", len(entries), flagged)

	// What protection prevents: each name checked as if it were not
	// protected, against all the others.
	var lookAlikes, morePopular int
	var examples []string
	for id, e := range entries {
		s := search{name: e.Name, skip: int32(id)}
		ix.search(&s)
		if !s.found {
			continue
		}
		lookAlikes++
		if ix.ranks[s.best.id] < int32(e.Rank) {
			morePopular++
		}
		if len(examples) < 12 && id%7 == 0 {
			examples = append(examples, fmt.Sprintf("%s~%s(%s)", e.Name, ix.names[s.best.id], s.best.transform))
		}
	}
	t.Logf("leave-one-out: %d of %d protected names (%.1f%%) look like another protected name (%d like a more popular one), e.g. %s",
		lookAlikes, len(entries), 100*float64(lookAlikes)/float64(len(entries)), morePopular, strings.Join(examples, " "))
}

// TestNonPopularNames reports the share of real, non-squat projects outside
// the protected set that gets flagged. The data holds only the top names, so
// the sample is held out: the index is built from the names ranked 1 to
// 12,000 and checked against those ranked 12,001 to 15,000, which are real
// projects that are not squats (PyPI removes those) and that are less popular
// than every protected name, as any unlisted name is. The figure is the
// false-positive rate a policy would see on uncommon but legitimate names.
// It is a figure to watch, not a quality bar; the test fails only on a large
// regression.
func TestNonPopularNames(t *testing.T) {
	const cut = 12000
	var top, rest []Entry
	for _, e := range DefaultEntries() {
		if e.Rank <= cut {
			top = append(top, e)
		} else {
			rest = append(rest, e)
		}
	}
	for _, ratio := range []int{DefaultRankRatio, 1} {
		ix := New(top, Options{RankRatio: ratio})
		byTransform := map[Transform]int{}
		flagged := 0
		for _, e := range rest {
			if m, ok := ix.Check(e.Name); ok {
				flagged++
				byTransform[m.Transform]++
			}
		}
		share := float64(flagged) / float64(len(rest))
		keys := make([]Transform, 0, len(byTransform))
		for k := range byTransform {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b Transform) int {
			return cmp.Or(byTransform[b]-byTransform[a], strings.Compare(string(a), string(b)))
		})
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, byTransform[k]))
		}
		t.Logf("RankRatio %d: %d of %d held-out names flagged (%.2f%%): %s", ratio, flagged, len(rest), 100*share, strings.Join(parts, ", "))
		if ratio == DefaultRankRatio && share > 0.08 {
			t.Errorf("%.2f%% of held-out names flagged, regression guard is 8%%", 100*share)
		}
	}
}
