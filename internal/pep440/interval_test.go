package pep440

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ivPool is a dense neighbourhood of versions around a few releases: every
// class (final, pre, pre+post), post- and dev-releases, trailing zeros,
// epochs and local labels.
var ivPool = func() []string {
	releases := []string{"0", "0.9", "1", "1.0.0", "1.0.1", "1.1", "1.2", "1.10", "2", "2.0.0.1", "2.0.1", "3.0"}
	suffixes := []string{
		"", ".dev0", ".dev1", "a0", "a1", "a1.dev0", "a1.post0", "a1.post1.dev2", "b2", "rc1",
		".post0", ".post1", ".post1.dev0", ".post0.dev0", "+local", ".post1+abc", "a1+x",
	}
	var out []string
	for _, r := range releases {
		for _, s := range suffixes {
			out = append(out, r+s)
		}
	}
	return append(out, "1!0", "1!1.0a1", "1!1.0", "1!1.0.post1", "1!2.0.dev0", "0.0.0.1", "1.0.0.0.1", "1.1.0.0.1")
}()

// ivSpecs are specifiers over versions of the pool.
var ivSpecs = func() []string {
	vs := []string{"1", "1.0", "1.0.0", "1.1", "1.0a1", "1.0.dev0", "1.0.post1", "1.0a1.post0", "1.0.post1.dev0", "2", "2.0rc1", "1!1.0", "0.9"}
	var out []string
	for _, v := range vs {
		for _, op := range []string{"<", "<=", ">", ">=", "==", "!=", "==="} {
			out = append(out, op+v)
		}
		if !strings.Contains(v, "!") {
			out = append(out, "=="+v+"+local", "!="+v+"+local")
		}
	}
	for _, w := range []string{"1", "1.0", "1.0.0", "1.1", "2", "0", "1!1", "1.10"} {
		out = append(out, "=="+w+".*", "!="+w+".*")
	}
	for _, c := range []string{"1.0", "1.0.0", "1.1", "2.0", "1.0a1", "1.0.post1", "1.0.dev0", "1.0rc1", "1!1.0", "0.9", "1.1.post1.dev2", "1.0c1", "v1.0"} {
		out = append(out, "~="+c)
	}
	return out
}()

func mustSet(t testing.TB, spec string) SpecifierSet {
	t.Helper()
	ss, err := ParseSpecifierSet(spec)
	if err != nil {
		t.Fatalf("ParseSpecifierSet(%q): %v", spec, err)
	}
	return ss
}

var pres = []Prereleases{PrereleasesDefault, PrereleasesAllow, PrereleasesExclude}

// TestSpecifierVersionsAgreesWithContains checks, for every specifier (and
// many pairs) and every public version of the pool, that the interval form
// and SpecifierSet.Contains agree.
func TestSpecifierVersionsAgreesWithContains(t *testing.T) {
	var sets []string
	sets = append(sets, ivSpecs...)
	for i, a := range ivSpecs {
		b := ivSpecs[(i*7+3)%len(ivSpecs)]
		c := ivSpecs[(i*13+5)%len(ivSpecs)]
		sets = append(sets, a+","+b, a+","+b+","+c)
	}
	sets = append(sets, "", ">1.0,<1.0.1", ">=1.0.dev0,<1.0", "!=1.*,>=0.9")
	for _, spec := range sets {
		ss := mustSet(t, spec)
		for _, pre := range pres {
			set, err := SpecifierSetVersions(ss, pre)
			if err != nil {
				t.Fatalf("SpecifierSetVersions(%q, %v): %v", spec, pre, err)
			}
			super := irregularCompatible(ss)
			for _, vs := range ivPool {
				v := MustParse(vs)
				if v.HasLocal() {
					continue
				}
				got, want := set.Contains(v), ss.Contains(v, pre)
				if got != want && !(super && got) {
					t.Errorf("SpecifierSetVersions(%q, %v) = %v; Contains(%s) = %v, SpecifierSet.Contains = %v", spec, pre, set, vs, got, want)
				}
			}
		}
	}
}

// irregularCompatible reports whether ss has a "~=" whose prefix is more
// than a release, or a "===", where SpecifierVersions may admit more than
// Contains.
func irregularCompatible(ss SpecifierSet) bool {
	for _, s := range ss.Specifiers() {
		if s.Op == "===" {
			return true
		}
		if s.Op != "~=" {
			continue
		}
		v, err := Parse(compatibleReleasePrefix(s.Version))
		if err != nil || v.String() != v.BaseVersion().String() {
			return true
		}
	}
	return false
}

// TestSpecifierVersionsAgainstPackaging is the same check against
// packaging itself (Debian's python3-packaging), independently of this
// package's Contains.
func TestSpecifierVersionsAgainstPackaging(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("/usr/bin/python3 is not installed (make test-deps installs it)")
	}
	if err := exec.Command(py, "-c", "import packaging.specifiers").Run(); err != nil {
		t.Skip("python3-packaging is not installed (make test-deps installs it)")
	}
	type query struct {
		Spec    string `json:"spec"`
		Version string `json:"version"`
		Pre     *bool  `json:"pre"`
	}
	var qs []query
	tr, fa := true, false
	for i, spec := range ivSpecs {
		specs := []string{spec}
		if i%3 == 0 {
			specs = append(specs, spec+","+ivSpecs[(i*11+1)%len(ivSpecs)])
		}
		for _, s := range specs {
			for _, vs := range ivPool {
				if MustParse(vs).HasLocal() {
					continue
				}
				for _, p := range []*bool{nil, &tr, &fa} {
					qs = append(qs, query{s, vs, p})
				}
			}
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "queries.jsonl")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for _, q := range qs {
		if err := enc.Encode(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/interval_contains.py", in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("interval_contains.py: %v", err)
	}
	type key struct {
		spec string
		pre  Prereleases
	}
	sets := map[key]VersionSet{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	i, mismatches := 0, 0
	for sc.Scan() {
		if i >= len(qs) {
			t.Fatal("interval_contains.py printed too many lines")
		}
		q := qs[i]
		i++
		line := sc.Text()
		if line == "error" {
			continue // packaging raised: nothing to compare
		}
		want := line == "True"
		pre := PrereleasesDefault
		if q.Pre != nil {
			pre = map[bool]Prereleases{true: PrereleasesAllow, false: PrereleasesExclude}[*q.Pre]
		}
		ss := mustSet(t, q.Spec)
		set, ok := sets[key{q.Spec, pre}]
		if !ok {
			set, err = SpecifierSetVersions(ss, pre)
			if err != nil {
				t.Fatalf("SpecifierSetVersions(%q): %v", q.Spec, err)
			}
			sets[key{q.Spec, pre}] = set
		}
		if got := set.Contains(MustParse(q.Version)); got != want && !(got && irregularCompatible(ss)) {
			mismatches++
			if mismatches < 20 {
				t.Errorf("%q contains %s (pre=%v): intervals say %v, packaging %v (set %v)", q.Spec, q.Version, pre, got, want, set)
			}
		}
	}
	if i != len(qs) {
		t.Fatalf("interval_contains.py answered %d of %d queries", i, len(qs))
	}
	t.Logf("%d specifier/version/prereleases triples checked against packaging", len(qs))
}

func TestSetAlgebra(t *testing.T) {
	v := MustParse
	a := Span(Below(v("1.0")), Below(v("2.0")))   // [1.0, 2.0)
	b := Span(Below(v("1.5")), Above(v("3.0")))   // [1.5, 3.0]
	c := Only(v("5"))                             // [5]
	d := Span(AboveRelease(v("2.0")), AboveAll()) // (2.0.*, +inf)
	tests := []struct {
		name string
		got  VersionSet
		want string
	}{
		{"a", a, "[1.0, 2.0)"},
		{"a∪b", a.Union(b), "[1.0, 3.0]"},
		{"a∩b", a.Intersect(b), "[1.5, 2.0)"},
		{"a∪c", a.Union(c), "[1.0, 2.0) ∪ [5]"},
		{"¬a", a.Complement(), "(-inf, 1.0) ∪ [2.0, +inf)"},
		{"¬¬a", a.Complement().Complement(), "[1.0, 2.0)"},
		{"a-b", a.Minus(b), "[1.0, 1.5)"},
		{"b-c", b.Minus(c), "[1.5, 3.0]"},
		{"d", d, "(2.0.*, +inf)"},
		{"b∩d", b.Intersect(d), "(2.0.*, 3.0]"},
		{"all", AllVersions(), "(-inf, +inf)"},
		{"empty", EmptySet(), "∅"},
		{"adjacent", Span(Below(v("1")), Below(v("2"))).Union(Span(Below(v("2")), Below(v("3")))), "[1, 3)"},
		{"touching point", Span(Below(v("1")), Below(v("2"))).Union(Only(v("2"))), "[1, 2]"},
		{"reversed span", Span(Below(v("2")), Below(v("1"))), "∅"},
		{"UnionOf", UnionOf([]Interval{{Below(v("3")), Above(v("4"))}, {Below(v("1")), Below(v("2"))}, {Below(v("1.5")), Below(v("3"))}}), "[1, 4]"},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, got, tt.want)
		}
	}
	if !a.Intersect(b).SubsetOf(a) || a.SubsetOf(b) || !c.SubsetOf(c) {
		t.Error("SubsetOf is wrong")
	}
	if !a.Union(a.Complement()).Equal(AllVersions()) || !a.Intersect(a.Complement()).IsEmpty() {
		t.Error("a ∪ ¬a should be everything and a ∩ ¬a nothing")
	}
	if a.Overlaps(c) || !a.Overlaps(b) {
		t.Error("Overlaps is wrong")
	}
}

func TestContainsBounds(t *testing.T) {
	v := MustParse
	set := Span(Below(v("1.0")), Below(v("2.0"))).Union(Only(v("3.0"))).Union(Span(Above(v("4.0")), Above(v("5.0"))))
	tests := []struct {
		version string
		want    bool
	}{
		{"0.9", false}, {"1.0.dev0", false}, {"1.0", true}, {"1.0.0", true}, {"1.0+local", true},
		{"1.9.post3", true}, {"2.0rc1", true}, {"2.0", false}, {"2.0+local", false},
		{"3.0", true}, {"3", true}, {"3.0+local", false}, {"3.0.post0", false},
		{"4.0", false}, {"4.0+local", true}, {"4.0.post0", true}, {"5.0", true}, {"5.0+local", false},
	}
	for _, tt := range tests {
		if got := set.Contains(v(tt.version)); got != tt.want {
			t.Errorf("%v.Contains(%s) = %v, want %v", set, tt.version, got, tt.want)
		}
	}
	rel := Span(AboveRelease(v("2.0")), Below(v("3")))
	for vs, want := range map[string]bool{"2.0": false, "2.0.post9": false, "2.0.0.0.1": true, "2.1.dev0": true, "3.dev0": true, "3": false, "1!0": false} {
		if got := rel.Contains(v(vs)); got != want {
			t.Errorf("%v.Contains(%s) = %v, want %v", rel, vs, got, want)
		}
	}
}

// TestEmptinessByClass covers intervals that hold versions of some classes
// only, and dense ends where no smallest version exists.
func TestEmptinessByClass(t *testing.T) {
	v := MustParse
	tests := []struct {
		name    string
		set     VersionSet
		example string // "" when empty
	}{
		{"pre-releases of 1.0 only", Span(Below(v("1.0.dev0")), Below(v("1.0"))), "1.0.dev0"},
		{"finals of the same", Span(Below(v("1.0.dev0")), Below(v("1.0"))).FinalsOnly(), ""},
		{"between 1.0 and its first post", Span(Above(v("1.0")), Below(v("1.0.post0"))), "1.0.post0.dev0"},
		{"finals there", Span(Above(v("1.0")), Below(v("1.0.post0"))).FinalsOnly(), ""},
		{"between two devs", Span(Above(v("1.0.dev0")), Below(v("1.0.dev1"))), ""},
		{"above the 2.0 release", Span(AboveRelease(v("2.0")), Below(v("2.0.1"))), "2.0.0.1"},
		{"above 2.0, below 2.1.dev0", Span(AboveRelease(v("2.0")), Below(v("2.1.dev0"))), "2.0.1"},
		{"above 2.0, below 2.0.0.0.1", Span(AboveRelease(v("2.0")), Below(v("2.0.0.0.1"))).FinalsOnly(), "2.0.0.0.0.1"},
		{"above 2.0, below 2.0.post1", Span(AboveRelease(v("2.0")), Below(v("2.0.post1"))), ""},
		{"above 1.0a1, below 1.0a2.dev0", Span(Above(v("1.0a1")), Below(v("1.0a2.dev0"))), "1.0a1.post0.dev0"},
		{"point", Only(v("1.0rc1")), "1.0rc1"},
		{"local point", Only(v("1.0+abc")), ""},
		{"everything", AllVersions(), "0"},
		{"above everything final", Span(Above(v("9")), AboveAll()), "9.post0"},
		{"epochs", Span(AboveRelease(v("5")), Below(v("1!0"))), "5.1"},
	}
	for _, tt := range tests {
		got, ok := tt.set.Example()
		switch {
		case tt.example == "" && ok:
			t.Errorf("%s: %v.Example() = %s, want empty", tt.name, tt.set, got)
		case tt.example != "" && !ok:
			t.Errorf("%s: %v is empty, want example %s", tt.name, tt.set, tt.example)
		case ok && got.String() != tt.example:
			t.Errorf("%s: %v.Example() = %s, want %s", tt.name, tt.set, got, tt.example)
		}
		if ok && !tt.set.Contains(got) {
			t.Errorf("%s: example %s is not in %v", tt.name, got, tt.set)
		}
	}
}

// TestLeastAtLeast checks the smallest-version-of-a-class search against
// brute force over the pool: the answer is of the class, not below the
// start, and no pool version of the class lies in between.
func TestLeastAtLeast(t *testing.T) {
	var pool []Version
	for _, s := range ivPool {
		if v := MustParse(s); !v.HasLocal() {
			pool = append(pool, v)
		}
	}
	for _, start := range pool {
		for c := versionClass(0); c < numClasses; c++ {
			for _, strict := range []bool{false, true} {
				got, ok, err := leastAtLeast(start, c, strict)
				if err != nil {
					t.Fatalf("leastAtLeast(%s, %s, %v): %v", start, classNames[c], strict, err)
				}
				lo := Below(start)
				if strict {
					lo = Above(start)
				}
				if !ok {
					// Nothing of class c in start's release above start.
					for _, w := range pool {
						if classOf(w) == c && !boundAbove(lo, w) && Compare(w.BaseVersion(), start.BaseVersion()) == 0 {
							t.Errorf("leastAtLeast(%s, %s, %v) found nothing, but %s qualifies", start, classNames[c], strict, w)
						}
					}
					continue
				}
				if classOf(got) != c || boundAbove(lo, got) {
					t.Errorf("leastAtLeast(%s, %s, %v) = %s, which is of class %s or too low", start, classNames[c], strict, got, classNames[classOf(got)])
				}
				for _, w := range pool {
					if classOf(w) == c && !boundAbove(lo, w) && Compare(w, got) < 0 {
						t.Errorf("leastAtLeast(%s, %s, %v) = %s, but %s is smaller", start, classNames[c], strict, got, w)
					}
				}
			}
		}
	}
}

func TestCompareBoundsOrder(t *testing.T) {
	v := MustParse
	ordered := []Bound{
		BelowAll(), Below(v("0")), Above(v("0")), Below(v("1.0.dev0")), Below(v("1.0")), Above(v("1.0")),
		Above(v("1.0+zzz")), Below(v("1.0.post1")), AboveRelease(v("1.0rc1")), Below(v("1.0.0.1")),
		AboveRelease(v("1.0.0.1")), Below(v("1!0")), AboveAll(),
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareBounds(a, b); got != want {
				t.Errorf("compareBounds(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
}

// TestFastChecksAgree compares SubsetOf and Overlaps, which walk the
// interval lists without building sets, with Minus and Intersect, on the
// sets of pairs of specifiers (which differ by class).
func TestFastChecksAgree(t *testing.T) {
	var sets []VersionSet
	for i, spec := range ivSpecs {
		if i%2 == 0 {
			continue
		}
		for _, pre := range []Prereleases{PrereleasesDefault, PrereleasesAllow} {
			set, err := SpecifierSetVersions(mustSet(t, spec), pre)
			if err != nil {
				t.Fatal(err)
			}
			sets = append(sets, set)
		}
	}
	for _, x := range sets {
		for _, y := range sets {
			if x.SubsetOf(y) != x.Minus(y).IsEmpty() {
				t.Errorf("%v SubsetOf %v = %v, but the difference is %v", x, y, x.SubsetOf(y), x.Minus(y))
			}
			if x.Overlaps(y) != !x.Intersect(y).IsEmpty() {
				t.Errorf("%v Overlaps %v = %v, but the intersection is %v", x, y, x.Overlaps(y), x.Intersect(y))
			}
			e1, ok1 := x.ExampleIn(y)
			e2, ok2 := x.Intersect(y).Example()
			if ok1 != ok2 || (ok1 && !e1.Equal(e2)) {
				t.Errorf("%v ExampleIn %v = %v, %v; the intersection's example is %v, %v", x, y, e1, ok1, e2, ok2)
			}
		}
	}
}

func TestIntervalsUniform(t *testing.T) {
	s := Span(Below(MustParse("1")), AboveAll()).Union(Only(MustParse("0.5")))
	if ivs, ok := s.Intervals(); !ok || len(ivs) != 2 {
		t.Errorf("Intervals() = %v, %v", ivs, ok)
	}
	ss := mustSet(t, "<2.0")
	set, _ := SpecifierSetVersions(ss, PrereleasesAllow)
	if _, ok := set.Intervals(); ok {
		t.Errorf("<2.0 with pre-releases should differ by class: %v", set)
	}
	if !strings.Contains(set.String(), "final: (-inf, 2.0)") {
		t.Errorf("String() = %s", set)
	}
}

func TestCompatibleReleasePrefix(t *testing.T) {
	// The expected values are those of packaging 23's _compare_compatible.
	for in, want := range map[string]string{
		"2.2": "2", "1.4.5a4": "1.4", "2.2.post3": "2", "1!2.2": "1!2", "1.0c1": "1.0",
		"1.0.pre1": "1.0", "1.0-alpha1": "1", "2.2.0.dev1": "2.2", "v1.0": "v1",
	} {
		if got := compatibleReleasePrefix(in); got != want {
			t.Errorf("compatibleReleasePrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSpecifierVersions checks that building the interval form of any
// specifier set never panics and agrees with Contains on a public version.
func FuzzSpecifierVersions(f *testing.F) {
	for i, s := range ivSpecs {
		f.Add(s, ivPool[i%len(ivPool)])
	}
	f.Add(">1.0,<1.0.1,!=1.0.0.5", "1.0.0.1")
	f.Fuzz(func(t *testing.T, spec, version string) {
		ss, err := ParseSpecifierSet(spec)
		if err != nil || ss.Len() > 8 {
			return
		}
		v, err := Parse(version)
		if err != nil {
			return
		}
		v = v.Public()
		for _, pre := range pres {
			set, err := SpecifierSetVersions(ss, pre)
			if err != nil {
				t.Fatalf("SpecifierSetVersions(%q): %v", spec, err)
			}
			got, want := set.Contains(v), ss.Contains(v, pre)
			if got != want && !(got && irregularCompatible(ss)) {
				t.Fatalf("SpecifierSetVersions(%q, %v) = %v; Contains(%s) = %v, SpecifierSet.Contains = %v", spec, pre, set, v, got, want)
			}
			if ex, ok := set.Example(); ok && !set.Contains(ex) {
				t.Fatalf("%v.Example() = %s, not in the set", set, ex)
			}
			if !set.Union(set.Complement()).Equal(AllVersions()) {
				t.Fatalf("%v ∪ complement is not everything", set)
			}
		}
	})
}

// FuzzSetOps checks the algebra of sets built from fuzzed bounds.
func FuzzSetOps(f *testing.F) {
	f.Add("1.0", "2.0", "1.5", "3", uint8(0x1b))
	f.Add("1.0a1", "1.0", "1.0.post1", "1.0.post1.dev0", uint8(0xff))
	f.Fuzz(func(t *testing.T, a, b, c, d string, kinds uint8) {
		var vs []Version
		for _, s := range []string{a, b, c, d} {
			v, err := Parse(s)
			if err != nil {
				return
			}
			vs = append(vs, v)
		}
		bound := func(i int) Bound {
			switch (kinds >> (2 * i)) & 3 {
			case 0:
				return Below(vs[i])
			case 1:
				return Above(vs[i])
			case 2:
				return AboveRelease(vs[i])
			}
			return Below(vs[i])
		}
		x := Span(bound(0), bound(1))
		y := Span(bound(2), bound(3))
		u, n := x.Union(y), x.Intersect(y)
		for _, v := range vs {
			inX, inY := x.Contains(v), y.Contains(v)
			if u.Contains(v) != (inX || inY) || n.Contains(v) != (inX && inY) || x.Complement().Contains(v) == inX {
				t.Fatalf("x=%v y=%v: set operations disagree at %s", x, y, v)
			}
		}
		if !n.SubsetOf(x) || !x.SubsetOf(u) || !x.Minus(y).SubsetOf(x) {
			t.Fatalf("x=%v y=%v: subset laws fail", x, y)
		}
		if x.SubsetOf(y) != x.Minus(y).IsEmpty() || x.Overlaps(y) != !n.IsEmpty() {
			t.Fatalf("x=%v y=%v: SubsetOf or Overlaps disagrees with Minus or Intersect", x, y)
		}
		if ex, ok := u.Example(); ok && !u.Contains(ex) {
			t.Fatalf("%v.Example() = %s, not in the set", u, ex)
		}
	})
}

func BenchmarkSpecifierSetVersions(b *testing.B) {
	ss := MustParseSpecifierSet(">=2.0,<3,!=2.5.*,~=2.1")
	affected := Span(Below(MustParse("2.3.0")), Below(MustParse("2.31.0")))
	for b.Loop() {
		set, err := SpecifierSetVersions(ss, PrereleasesDefault)
		if err != nil {
			b.Fatal(err)
		}
		_ = set.SubsetOf(affected)
		_ = set.Overlaps(affected)
	}
}
