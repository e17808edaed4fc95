package typosquat

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	// Expected values are packaging.utils.canonicalize_name's.
	tests := []struct{ in, want string }{
		{"requests", "requests"},
		{"Requests", "requests"},
		{"Setup_Tools", "setup-tools"},
		{"zope.interface", "zope-interface"},
		{"a-_.b", "a-b"},
		{"a--b", "a-b"},
		{"-a-", "-a-"},
		{"", ""},
		{"ÄBC", "Äbc"}, // non-ASCII bytes are kept
	}
	for _, tt := range tests {
		if got := normalize(tt.in); got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAdjacentKeys(t *testing.T) {
	tests := []struct {
		a, b byte
		want bool
	}{
		{'q', 'w', true}, {'q', 'a', true}, {'q', '1', true}, {'q', '2', true},
		{'a', 'z', true}, {'a', 'x', false}, {'g', 'h', true}, {'g', 'b', true},
		{'g', 'n', false}, {'m', 'n', true}, {'m', 'k', true}, {'p', '-', true},
		{'o', '0', true}, {'a', 'a', false}, {'a', 'p', false}, {'a', '_', false},
	}
	for _, tt := range tests {
		if got := adjacentKeys(tt.a, tt.b); got != tt.want {
			t.Errorf("adjacentKeys(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := adjacentKeys(tt.b, tt.a); got != tt.want {
			t.Errorf("adjacentKeys(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	tests := []struct{ in, want string }{
		{"rnatplotlib", skeletonOf("matplotlib")},
		{"pi11ow", skeletonOf("pillow")},
		{"python-dateutil", skeletonOf("pythondateutil")},
		{"vvheel", skeletonOf("wheel")},
		{"dick", skeletonOf("click")},
		{"b0t03", skeletonOf("boto3")},
		{"r5a", skeletonOf("rsa")},
		{"jeilyfish", skeletonOf("jellyfish")},
	}
	for _, tt := range tests {
		if got := skeletonOf(tt.in); got != tt.want {
			t.Errorf("skeleton(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := skeletonOf("clrn-vv1"); got != "dmw1" {
		t.Errorf("skeleton(clrn-vv1) = %q, want dmw1", got)
	}
	if skeletonOf("pillow") == skeletonOf("pxllow") {
		t.Error("skeleton folds unrelated letters")
	}
}

func skeletonOf(s string) string { return string(appendSkeleton(nil, s)) }

func TestClassifyEdit(t *testing.T) {
	tests := []struct {
		c, t string
		want Transform
	}{
		{"reqests", "requests", Omission},
		{"requestsx", "requests", Insertion},
		{"reequests", "requests", Repetition},
		{"requestss", "requests", Repetition},
		{"reqeusts", "requests", Swap},
		{"erquests", "requests", Swap},
		{"requesrs", "requests", Keyboard},
		{"requestd", "requests", Keyboard},
		{"requestb", "requests", Substitution},
		{"reque5ts", "requests", Homoglyph},
		{"requ-ests", "requests", Separator},
		{"pythondateutil", "python-dateutil", Separator},
		{"python-dateutil", "pythondateutil", Separator},
		{"python-dateuti1", "python-dateutil", Homoglyph},
		{"requests", "requests", ""},
		{"requsets", "requests", Swap},
		{"rueqests", "requests", ""}, // two apart
		{"reqxests1", "requests", ""},
		{"abc", "abcde", ""},
	}
	for _, tt := range tests {
		got, ok := classifyEdit(tt.c, tt.t)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("classifyEdit(%q, %q) = %q, %v; want %q", tt.c, tt.t, got, ok, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"requests", "requests", 0}, {"reqeusts", "requests", 1},
		{"python-requests", "requests", 7}, {"ca", "abc", 3}, {"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distance(tt.b, tt.a); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
	long := strings.Repeat("ab", MaxNameLength)
	if got := distance(long, long+"c"); got != 1 {
		t.Errorf("distance of long names = %d, want 1", got)
	}
}

func TestVersionBase(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"requests2", "requests", true},
		{"urllib3", "urllib", true},
		{"requests-2", "requests", true},
		{"requests-v2", "requests", true},
		{"boto123", "boto", true},
		{"boto1234", "", false},
		{"web3", "", false},
		{"requests", "", false},
		{"2", "", false},
	}
	for _, tt := range tests {
		got, ok := versionBase(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("versionBase(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAffixCores(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"python-requests", []string{"requests"}},
		{"py-dateutil-api", []string{"dateutil-api", "dateutil", "py-dateutil"}},
		{"requests-python", []string{"requests"}},
		{"pythonkafka", []string{"kafka"}},
		{"pyrequests", []string{"requests"}},
		{"pyre", nil},
		{"py-re", nil},
		{"requests", nil},
	}
	for _, tt := range tests {
		var got []string
		for core := range affixCores(tt.in) {
			got = append(got, core)
		}
		want := slices.Compact(slices.Sorted(slices.Values(tt.want)))
		got = slices.Compact(slices.Sorted(slices.Values(got)))
		if !slices.Equal(got, want) {
			t.Errorf("affixCores(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestNewNormalisesAndDeduplicates(t *testing.T) {
	ix := New([]Entry{
		{"Foo_Bar", 7}, {"foo-bar", 3}, {"", 1}, {strings.Repeat("x", MaxNameLength+1), 1}, {"zero", -5},
	}, Options{})
	if got := ix.Entries(); !slices.Equal(got, []Entry{{"zero", 1}, {"foo-bar", 3}}) {
		t.Errorf("Entries() = %v", got)
	}
	if !ix.Contains("FOO.BAR") || ix.Rank("foo_bar") != 3 || ix.Rank("nope") != 0 || ix.Len() != 2 {
		t.Errorf("Contains/Rank/Len wrong: %v %d %d", ix.Contains("FOO.BAR"), ix.Rank("foo_bar"), ix.Len())
	}
}

// TestCheckPrefersPopularTargets checks the documented choice among several
// targets: the fewest transforms first, then the most popular target.
func TestCheckPrefersPopularTargets(t *testing.T) {
	ix := New([]Entry{{"alphabet", 50}, {"alphabets", 10}, {"alphabet-x", 1}}, Options{RankRatio: 1})
	// "alphabett" is one edit from alphabet (rank 50) and alphabets (rank 10).
	m, ok := ix.Check("alphabett")
	if !ok || m.Target != "alphabets" || m.Rank != 10 {
		t.Errorf("Check(alphabett) = %v, %v; want alphabets", m, ok)
	}
	// Ties on rank are broken by name.
	ix = New([]Entry{{"bravo-one", 5}, {"bravo-onf", 5}}, Options{})
	if m, ok := ix.Check("bravo-onx"); !ok || m.Target != "bravo-one" {
		t.Errorf("Check(bravo-onx) = %v, %v; want bravo-one", m, ok)
	}
}

func TestRankRatio(t *testing.T) {
	var entries []Entry
	for i := range 100 {
		entries = append(entries, Entry{strings.Repeat(string(rune('a'+i%26)), 3+i/26) + "-pkg", i + 1})
	}
	entries = append(entries, Entry{"pyspark", 10}, Entry{"pyrarely", 90}, Entry{"py-seldom", 91})
	ix := New(entries, Options{}) // weak evidence only against ranks <= 103/4
	tests := []struct{ name, want string }{
		{"spark", "pyspark"},           // lacks a glued affix, but rank 10 is popular enough
		{"rarely", ""},                 // lacks a glued affix, and rank 90 is not
		{"seldom", ""},                 // lacks a separated affix: weak as well
		{"python-seldom", "py-seldom"}, // exchanges a separated affix: strong
		{"seldom-py", "py-seldom"},
	}
	for _, tt := range tests {
		m, ok := ix.Check(tt.name)
		if ok != (tt.want != "") || m.Target != tt.want {
			t.Errorf("Check(%q) = %v, %v; want %q", tt.name, m, ok, tt.want)
		}
	}
	all := New(entries, Options{RankRatio: 1})
	if m, ok := all.Check("rarely"); !ok || m.Target != "pyrarely" {
		t.Errorf(`RankRatio 1: Check("rarely") = %v, %v; want pyrarely`, m, ok)
	}
}

func TestCheckBounds(t *testing.T) {
	ix := Default()
	for _, name := range []string{"", "-", "a", strings.Repeat("requests", 100), "requests\x00", "réquests", "\xff\xfe"} {
		m, ok := ix.Check(name)
		if ok && (m.Target == "" || m.Distance == 0) {
			t.Errorf("Check(%q) = %v", name, m)
		}
	}
	if _, ok := ix.Check(strings.Repeat("-", 5*MaxNameLength) + "requests"); ok {
		// Normalised, this is "-requests": a separator in front.
	} else {
		t.Error(`Check("----...requests") not flagged, want a separator match`)
	}
	if _, ok := ix.Check(strings.Repeat("r", MaxNameLength+1)); ok {
		t.Error("a name longer than MaxNameLength was flagged")
	}
	empty := New(nil, Options{})
	if m, ok := empty.Check("requests"); ok || empty.Len() != 0 {
		t.Errorf("empty index: Check = %v, %v", m, ok)
	}
}

func TestMatchString(t *testing.T) {
	tests := []struct {
		m    Match
		want string
	}{
		{Match{Kind: KindTyposquat, Target: "requests", Rank: 6, Transform: Swap, Distance: 1}, `similar to "requests" (rank 6, swap)`},
		{Match{Kind: KindConfusion, Target: "acme-billing", Transform: Internal}, `is internal name "acme-billing"`},
		{Match{Kind: KindConfusion, Target: "acme-*", Transform: Pattern}, `matches internal name pattern "acme-*"`},
		{Match{Kind: KindConfusion, Target: "acme-billing", Transform: Omission, Distance: 1}, `similar to internal name "acme-billing" (omission)`},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

// TestConcurrentUse builds the default index from several goroutines at once
// and checks names concurrently (run with -race).
func TestConcurrentUse(t *testing.T) {
	names := []string{"reqeusts", "requests", "pi11ow", "python-requests", "nothing-like-it"}
	done := make(chan Match, 8*len(names))
	for range 8 {
		go func() {
			for _, n := range names {
				m, _ := Default().Check(n)
				done <- m
			}
		}()
	}
	got := map[string]int{}
	for range 8 * len(names) {
		got[(<-done).Target]++
	}
	if got["requests"] != 8*2 || got["pillow"] != 8 || got[""] != 8*2 {
		t.Errorf("concurrent results = %v", got)
	}
}
