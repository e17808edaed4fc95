package pep440

// Sets of versions as unions of intervals.
//
// A VersionSet answers questions such as "does this specifier admit a
// version that an advisory says is affected?" by arithmetic on intervals of
// the PEP 440 order rather than by trying versions one by one.
//
// Two facts about specifiers shape the design. First, a specifier's set is
// not always one interval of the order: "<2.0" admits 1.9 but not 2.0rc1,
// although 1.9 < 2.0rc1 < 2.0; ">2.0" admits neither 2.0.post1 nor any
// other post-release of 2.0. These exclusions depend only on whether a
// version is a pre-release and whether it is a post-release, so a VersionSet
// keeps one interval union for each of three classes of version: finals
// (neither pre- nor dev-release; post-releases included), pre-releases that
// are not post-releases (1.0a1, 1.0.dev3) and pre-releases that are also
// post-releases (1.0a1.post2, 1.0.post1.dev0). Second, the order is dense in
// places: there is no smallest release above 2.0 (2.0.0.1, 2.0.0.0.1, ...),
// so an interval's ends are [Bound]s (positions between versions), not
// versions.
//
// Sets are exact over public versions (versions without a local label):
// PyPI refuses uploads with local labels, so these are the versions an
// installer can find there. IsEmpty, SubsetOf and Example consider public
// versions only. Contains answers for any version by its place in the order,
// where a local version sorts just above its public version: that is the
// OSV evaluation model. For specifier sets, local versions are not modelled
// ("<=1.0" admits 1.0+cpu in packaging but not in [SpecifierSetVersions]):
// check a pinned local version with [SpecifierSet.Contains].

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// versionClass partitions versions by the two properties specifiers care
// about: pre-release (pre or dev segment) and post-release.
type versionClass uint8

const (
	classFinal   versionClass = iota // not a pre-release (may be a post-release)
	classPre                         // pre-release, not a post-release
	classPrePost                     // pre-release and post-release
	numClasses
)

var classNames = [numClasses]string{"final", "pre", "pre+post"}

func classOf(v Version) versionClass {
	switch {
	case !v.IsPrerelease():
		return classFinal
	case v.IsPostrelease():
		return classPrePost
	}
	return classPre
}

// BoundKind says where a [Bound] lies.
type BoundKind uint8

// The kinds of bound.
const (
	// BoundBelowAll lies below every version.
	BoundBelowAll BoundKind = iota
	// BoundBelow lies just below its version: below v, above everything
	// smaller than v.
	BoundBelow
	// BoundAbove lies just above its version: above v, below everything
	// greater than v (including v's local versions).
	BoundAbove
	// BoundAboveRelease lies above every version with the same epoch and
	// release as its version (all pre-, post-, dev- and local versions of
	// that release) and below every greater release.
	BoundAboveRelease
	// BoundAboveAll lies above every version.
	BoundAboveAll
)

// Bound is a position between versions: an end of an [Interval]. Bounds are
// never versions themselves, so an interval's ends are never in it; [Below]
// and [Above] make inclusive ends.
type Bound struct {
	kind BoundKind
	v    Version
}

// BelowAll returns the bound below every version.
func BelowAll() Bound { return Bound{kind: BoundBelowAll} }

// AboveAll returns the bound above every version.
func AboveAll() Bound { return Bound{kind: BoundAboveAll} }

// Below returns the bound just below v: as a lower end it includes v, as an
// upper end it excludes v.
func Below(v Version) Bound { return Bound{kind: BoundBelow, v: v} }

// Above returns the bound just above v: as a lower end it excludes v, as an
// upper end it includes v (but not v's local versions).
func Above(v Version) Bound { return Bound{kind: BoundAbove, v: v} }

// AboveRelease returns the bound above every version of v's epoch and
// release: as a lower end it is what ">2.0" means for finals.
func AboveRelease(v Version) Bound { return Bound{kind: BoundAboveRelease, v: v.BaseVersion()} }

// NewBound returns the bound of kind k at v (v is ignored for
// BoundBelowAll and BoundAboveAll). It is the inverse of Kind and Version.
func NewBound(k BoundKind, v Version) (Bound, error) {
	switch k {
	case BoundBelowAll, BoundAboveAll:
		return Bound{kind: k}, nil
	case BoundBelow, BoundAbove:
		return Bound{kind: k, v: v}, nil
	case BoundAboveRelease:
		return AboveRelease(v), nil
	}
	return Bound{}, fmt.Errorf("unknown bound kind %d", k)
}

// Kind returns b's kind.
func (b Bound) Kind() BoundKind { return b.kind }

// Version returns b's version (the zero Version for BoundBelowAll and
// BoundAboveAll).
func (b Bound) Version() Version { return b.v }

// String describes b: "-inf", "below 1.0", "above 1.0", "above 1.0.*",
// "+inf".
func (b Bound) String() string {
	switch b.kind {
	case BoundBelowAll:
		return "-inf"
	case BoundBelow:
		return "below " + b.v.String()
	case BoundAbove:
		return "above " + b.v.String()
	case BoundAboveRelease:
		return "above " + b.v.String() + ".*"
	}
	return "+inf"
}

// compareBounds orders bounds: -1, 0 or +1.
func compareBounds(a, b Bound) int {
	if a.kind == b.kind {
		switch a.kind {
		case BoundBelowAll, BoundAboveAll:
			return 0
		case BoundAboveRelease:
			return Compare(a.v, b.v) // both are base versions
		}
		return Compare(a.v, b.v)
	}
	switch {
	case a.kind == BoundBelowAll || b.kind == BoundAboveAll:
		return -1
	case a.kind == BoundAboveAll || b.kind == BoundBelowAll:
		return +1
	case a.kind == BoundAboveRelease:
		return compareReleaseBound(a.v, b)
	case b.kind == BoundAboveRelease:
		return -compareReleaseBound(b.v, a)
	}
	// One Below, one Above.
	if c := Compare(a.v, b.v); c != 0 {
		return c
	}
	if a.kind == BoundBelow {
		return -1
	}
	return +1
}

// compareReleaseBound compares AboveRelease(base) with a Below or Above
// bound b.
func compareReleaseBound(base Version, b Bound) int {
	if Compare(base, b.v.BaseVersion()) >= 0 {
		return +1
	}
	return -1
}

// boundAbove reports whether bound b lies above version v.
func boundAbove(b Bound, v Version) bool {
	switch b.kind {
	case BoundBelowAll:
		return false
	case BoundAboveAll:
		return true
	case BoundBelow:
		return Compare(b.v, v) > 0
	case BoundAbove:
		return Compare(b.v, v) >= 0
	}
	return Compare(b.v, v.BaseVersion()) >= 0
}

func (b Bound) lowerString() string {
	switch b.kind {
	case BoundBelowAll:
		return "(-inf"
	case BoundBelow:
		return "[" + b.v.String()
	case BoundAbove:
		return "(" + b.v.String()
	case BoundAboveRelease:
		return "(" + b.v.String() + ".*"
	}
	return "(+inf"
}

func (b Bound) upperString() string {
	switch b.kind {
	case BoundBelowAll:
		return "-inf)"
	case BoundBelow:
		return b.v.String() + ")"
	case BoundAbove:
		return b.v.String() + "]"
	case BoundAboveRelease:
		return b.v.String() + ".*]"
	}
	return "+inf)"
}

// Interval is the set of versions strictly between two bounds.
type Interval struct {
	Lo, Hi Bound
}

// String returns the interval in mathematical notation: "[1.0, 2.0)",
// "(2.0.*, +inf)" (above every 2.0 version), "[1.5]" (just 1.5).
func (iv Interval) String() string {
	if iv.Lo.kind == BoundBelow && iv.Hi.kind == BoundAbove && Compare(iv.Lo.v, iv.Hi.v) == 0 {
		return "[" + iv.Lo.v.String() + "]"
	}
	return iv.Lo.lowerString() + ", " + iv.Hi.upperString()
}

func (iv Interval) contains(v Version) bool {
	return !boundAbove(iv.Lo, v) && boundAbove(iv.Hi, v)
}

// VersionSet is a set of versions: for each class of version (final,
// pre-release, pre-release that is also a post-release), a union of
// disjoint intervals. The zero value is the empty set. VersionSets are
// immutable values, safe for concurrent use.
type VersionSet struct {
	parts [numClasses][]Interval
}

// EmptySet returns the empty set (the zero value).
func EmptySet() VersionSet { return VersionSet{} }

// AllVersions returns the set of every version.
func AllVersions() VersionSet {
	return uniform([]Interval{{BelowAll(), AboveAll()}})
}

// Span returns the versions strictly between lo and hi (empty when lo is
// not below hi), of every class.
func Span(lo, hi Bound) VersionSet {
	if compareBounds(lo, hi) >= 0 {
		return VersionSet{}
	}
	return uniform([]Interval{{lo, hi}})
}

// Only returns the set holding just v.
func Only(v Version) VersionSet { return Span(Below(v), Above(v)) }

func uniform(ivs []Interval) VersionSet {
	var s VersionSet
	for c := range s.parts {
		s.parts[c] = ivs
	}
	return s
}

// Intervals returns the set as one interval union when it is the same for
// every class of version (as every set built from [Span], [Only],
// [AllVersions] and their unions, intersections and complements is), and
// ok=false otherwise (sets from specifiers). The slice must not be modified.
func (s VersionSet) Intervals() (ivs []Interval, ok bool) {
	for c := 1; c < int(numClasses); c++ {
		if !slices.Equal(s.parts[0], s.parts[c]) {
			return nil, false
		}
	}
	return s.parts[0], true
}

// Union returns the versions in s or t.
func (s VersionSet) Union(t VersionSet) VersionSet {
	return s.combine(t, unionIntervals)
}

// Intersect returns the versions in both s and t.
func (s VersionSet) Intersect(t VersionSet) VersionSet {
	return s.combine(t, intersectIntervals)
}

// Complement returns the versions not in s.
func (s VersionSet) Complement() VersionSet {
	var r VersionSet
	for c := range s.parts {
		if c > 0 && slicesSame(s.parts[c], s.parts[c-1]) {
			r.parts[c] = r.parts[c-1]
			continue
		}
		r.parts[c] = complementIntervals(s.parts[c])
	}
	return r
}

// Minus returns the versions in s but not in t.
func (s VersionSet) Minus(t VersionSet) VersionSet {
	return s.Intersect(t.Complement())
}

// FinalsOnly returns the versions of s that are not pre-releases.
func (s VersionSet) FinalsOnly() VersionSet {
	var r VersionSet
	r.parts[classFinal] = s.parts[classFinal]
	return r
}

func (s VersionSet) combine(t VersionSet, op func(a, b []Interval) []Interval) VersionSet {
	var r VersionSet
	for c := range s.parts {
		if c > 0 && slicesSame(s.parts[c], s.parts[c-1]) && slicesSame(t.parts[c], t.parts[c-1]) {
			r.parts[c] = r.parts[c-1]
			continue
		}
		r.parts[c] = op(s.parts[c], t.parts[c])
	}
	return r
}

// slicesSame reports whether a and b are the same slice (not just equal),
// which lets uniform sets stay shared and cheap.
func slicesSame(a, b []Interval) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Contains reports whether v is in s.
func (s VersionSet) Contains(v Version) bool {
	ivs := s.parts[classOf(v)]
	// The first interval whose upper end lies above v.
	i, _ := slices.BinarySearchFunc(ivs, v, func(iv Interval, v Version) int {
		if boundAbove(iv.Hi, v) {
			return +1
		}
		return -1
	})
	return i < len(ivs) && ivs[i].contains(v)
}

// IsEmpty reports whether s holds no public version.
func (s VersionSet) IsEmpty() bool {
	_, ok := s.Example()
	return !ok
}

// Example returns a public version in s, preferring finals and, among
// them, the lowest; ok is false when s holds no public version.
func (s VersionSet) Example() (v Version, ok bool) {
	for c := range s.parts {
		for _, iv := range s.parts[c] {
			if w, ok := witness(iv, versionClass(c)); ok {
				return w, true
			}
		}
	}
	return Version{}, false
}

// SubsetOf reports whether every public version in s is in t.
func (s VersionSet) SubsetOf(t VersionSet) bool {
	for c := range s.parts {
		if differenceHolds(s.parts[c], t.parts[c], versionClass(c)) {
			return false
		}
	}
	return true
}

// Overlaps reports whether s and t have a public version in common.
func (s VersionSet) Overlaps(t VersionSet) bool {
	_, ok := s.ExampleIn(t)
	return ok
}

// ExampleIn returns a public version in both s and t, as
// s.Intersect(t).Example() would, without building the intersection.
func (s VersionSet) ExampleIn(t VersionSet) (Version, bool) {
	for c := range s.parts {
		if v, ok := intersectionHolds(s.parts[c], t.parts[c], versionClass(c)); ok {
			return v, true
		}
	}
	return Version{}, false
}

// intersectionHolds returns the first public version of class c in a ∩ b,
// without building the intersection.
func intersectionHolds(a, b []Interval, c versionClass) (Version, bool) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := a[i].Lo, a[i].Hi
		if compareBounds(b[j].Lo, lo) > 0 {
			lo = b[j].Lo
		}
		if compareBounds(b[j].Hi, hi) < 0 {
			hi = b[j].Hi
		}
		if compareBounds(lo, hi) < 0 {
			if v, ok := witness(Interval{lo, hi}, c); ok {
				return v, true
			}
		}
		if compareBounds(a[i].Hi, b[j].Hi) < 0 {
			i++
		} else {
			j++
		}
	}
	return Version{}, false
}

// differenceHolds reports whether a minus b holds a public version of
// class c, without building the difference.
func differenceHolds(a, b []Interval, c versionClass) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && compareBounds(b[j].Hi, x.Lo) <= 0 {
			j++ // b[j] lies wholly below x
		}
		cur := x.Lo
		for k := j; k < len(b) && compareBounds(b[k].Lo, x.Hi) < 0; k++ {
			if compareBounds(cur, b[k].Lo) < 0 {
				if _, ok := witness(Interval{cur, b[k].Lo}, c); ok {
					return true
				}
			}
			if compareBounds(b[k].Hi, cur) > 0 {
				cur = b[k].Hi
			}
		}
		if compareBounds(cur, x.Hi) < 0 {
			if _, ok := witness(Interval{cur, x.Hi}, c); ok {
				return true
			}
		}
	}
	return false
}

// Equal reports whether s and t hold the same public versions.
func (s VersionSet) Equal(t VersionSet) bool { return s.SubsetOf(t) && t.SubsetOf(s) }

// String describes s: "[1.0, 2.0) ∪ [3.0]", "∅", or, when the classes
// differ, "final: ...; pre: ...; pre+post: ...".
func (s VersionSet) String() string {
	if ivs, ok := s.Intervals(); ok {
		return intervalsString(ivs)
	}
	var b strings.Builder
	for c := range s.parts {
		if c > 0 {
			b.WriteString("; ")
		}
		b.WriteString(classNames[c] + ": " + intervalsString(s.parts[c]))
	}
	return b.String()
}

func intervalsString(ivs []Interval) string {
	if len(ivs) == 0 {
		return "∅"
	}
	parts := make([]string, len(ivs))
	for i, iv := range ivs {
		parts[i] = iv.String()
	}
	return strings.Join(parts, " ∪ ")
}

// unionIntervals merges two normalised interval lists.
func unionIntervals(a, b []Interval) []Interval {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	all := make([]Interval, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next Interval
		if j >= len(b) || (i < len(a) && compareBounds(a[i].Lo, b[j].Lo) <= 0) {
			next = a[i]
			i++
		} else {
			next = b[j]
			j++
		}
		if n := len(all); n > 0 && compareBounds(next.Lo, all[n-1].Hi) <= 0 {
			if compareBounds(next.Hi, all[n-1].Hi) > 0 {
				all[n-1].Hi = next.Hi
			}
			continue
		}
		all = append(all, next)
	}
	return all
}

// intersectIntervals intersects two normalised interval lists.
func intersectIntervals(a, b []Interval) []Interval {
	var out []Interval
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo := a[i].Lo
		if compareBounds(b[j].Lo, lo) > 0 {
			lo = b[j].Lo
		}
		hi := a[i].Hi
		if compareBounds(b[j].Hi, hi) < 0 {
			hi = b[j].Hi
		}
		if compareBounds(lo, hi) < 0 {
			out = append(out, Interval{lo, hi})
		}
		if compareBounds(a[i].Hi, b[j].Hi) < 0 {
			i++
		} else {
			j++
		}
	}
	return out
}

// complementIntervals returns the gaps of a normalised interval list.
func complementIntervals(a []Interval) []Interval {
	var out []Interval
	lo := BelowAll()
	for _, iv := range a {
		if compareBounds(lo, iv.Lo) < 0 {
			out = append(out, Interval{lo, iv.Lo})
		}
		lo = iv.Hi
	}
	if compareBounds(lo, AboveAll()) < 0 {
		out = append(out, Interval{lo, AboveAll()})
	}
	return out
}

// normalize sorts and merges arbitrary intervals, dropping empty ones.
func normalize(ivs []Interval) []Interval {
	ivs = slices.DeleteFunc(slices.Clone(ivs), func(iv Interval) bool { return compareBounds(iv.Lo, iv.Hi) >= 0 })
	slices.SortFunc(ivs, func(a, b Interval) int { return compareBounds(a.Lo, b.Lo) })
	var out []Interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && compareBounds(iv.Lo, out[n-1].Hi) <= 0 {
			if compareBounds(iv.Hi, out[n-1].Hi) > 0 {
				out[n-1].Hi = iv.Hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// UnionOf returns the union of the given intervals, which may overlap and
// come in any order. It is the fast way to build a large set.
func UnionOf(ivs []Interval) VersionSet {
	return uniform(normalize(ivs))
}

// ---- Public versions of a class inside an interval ----

// vparts is a public version taken apart from its canonical string:
// [epoch!]release[{a|b|rc}N][.postN][.devN]. Numbers stay digit strings,
// so that they may be arbitrarily large.
type vparts struct {
	epoch   string // "" for epoch 0
	release string // "1.2.3"
	preL    string // "", "a", "b" or "rc"
	preN    string
	post    string
	hasPost bool
	dev     string
	hasDev  bool
}

func partsOf(v Version) vparts {
	s := v.Public().String()
	var p vparts
	if e, rest, ok := strings.Cut(s, "!"); ok {
		p.epoch, s = e, rest
	}
	if i := strings.Index(s, ".dev"); i >= 0 {
		p.dev, p.hasDev, s = s[i+4:], true, s[:i]
	}
	if i := strings.Index(s, ".post"); i >= 0 {
		p.post, p.hasPost, s = s[i+5:], true, s[:i]
	}
	if i := strings.IndexAny(s, "abr"); i >= 0 {
		p.release, s = s[:i], s[i:]
		switch {
		case strings.HasPrefix(s, "rc"):
			p.preL, p.preN = "rc", s[2:]
		default:
			p.preL, p.preN = s[:1], s[1:]
		}
	} else {
		p.release = s
	}
	return p
}

func (p vparts) String() string {
	var b strings.Builder
	if p.epoch != "" {
		b.WriteString(p.epoch + "!")
	}
	b.WriteString(p.release)
	if p.preL != "" {
		b.WriteString(p.preL + p.preN)
	}
	if p.hasPost {
		b.WriteString(".post" + p.post)
	}
	if p.hasDev {
		b.WriteString(".dev" + p.dev)
	}
	return b.String()
}

// incDigits adds one to a decimal digit string.
func incDigits(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// errConstruct reports a version that could not be built, which would be a
// bug: callers then answer conservatively.
var errConstruct = errors.New("pep440: internal error building a version")

func (p vparts) version() (Version, error) {
	v, err := Parse(p.String())
	if err != nil {
		return Version{}, errConstruct
	}
	return v, nil
}

// release returns p with only its epoch and release.
func (p vparts) releaseOnly() vparts { return vparts{epoch: p.epoch, release: p.release} }

// leastAtLeast returns the smallest public version of class c that is >= v
// (or > v when strict). ok is false when no version of class c with v's
// release qualifies: the versions of class c above v then start at a later
// release, and there is no smallest one.
func leastAtLeast(v Version, c versionClass, strict bool) (Version, bool, error) {
	if v.Local() != "" {
		v, strict = v.Public(), true
	}
	p := partsOf(v)
	if classOf(v) == c {
		if !strict {
			return v, true, nil
		}
		return successor(p, c)
	}
	var q vparts
	switch c {
	case classFinal:
		q = p.releaseOnly()
		if p.hasPost && p.preL == "" { // R.postN.devM
			q.post, q.hasPost = p.post, true
		}
	case classPre:
		if p.preL == "" { // a final, or R.postN.devM: nothing later in this release
			return Version{}, false, nil
		}
		q = p.releaseOnly() // RxN.postM[.devK]
		q.preL, q.preN = p.preL, incDigits(p.preN)
		q.dev, q.hasDev = "0", true
	case classPrePost:
		q = p
		switch {
		case p.preL == "" && !p.hasPost: // R.devN or R
			if p.hasDev {
				q = p.releaseOnly()
				q.preL, q.preN = "a", "0"
			}
			q.post, q.hasPost = "0", true
		case p.preL == "": // R.postN
			q.post = incDigits(p.post)
		default: // RxN or RxN.devM
			q.hasDev = false
			q.post, q.hasPost = "0", true
		}
		q.dev, q.hasDev = "0", true
	}
	w, err := q.version()
	return w, err == nil, err
}

// successor returns the next public version of class c after v, itself of
// class c.
func successor(p vparts, c versionClass) (Version, bool, error) {
	q := p
	switch c {
	case classFinal:
		if p.hasPost {
			q.post = incDigits(p.post)
		} else {
			q.post, q.hasPost = "0", true
		}
	case classPre:
		if p.hasDev {
			q.dev = incDigits(p.dev)
		} else { // RxN
			q.preN = incDigits(p.preN)
			q.dev, q.hasDev = "0", true
		}
	case classPrePost:
		if p.hasDev {
			q.dev = incDigits(p.dev)
		} else { // RxN.postM
			q.post = incDigits(p.post)
			q.dev, q.hasDev = "0", true
		}
	}
	w, err := q.version()
	return w, err == nil, err
}

// firstOfClass is the smallest version of each class.
var firstOfClass = [numClasses]string{"0", "0.dev0", "0a0.post0.dev0"}

// witness returns a public version of class c inside iv, if there is one.
// When it cannot build one (which would be a bug), it reports the interval
// non-empty with a zero version, so that callers err towards "may contain".
func witness(iv Interval, c versionClass) (Version, bool) {
	var cand Version
	var found bool
	var err error
	var release Version // for the dense case: versions start above this release
	switch iv.Lo.kind {
	case BoundAboveAll:
		return Version{}, false
	case BoundBelowAll:
		cand, err = Parse(firstOfClass[c])
		found = err == nil
	case BoundBelow, BoundAbove:
		cand, found, err = leastAtLeast(iv.Lo.v, c, iv.Lo.kind == BoundAbove)
		release = iv.Lo.v
	case BoundAboveRelease:
		release = iv.Lo.v
	}
	if err != nil {
		return Version{}, true
	}
	if !found {
		cand, err = denseWitness(release, iv.Hi, c)
		if err != nil {
			return Version{}, true
		}
	}
	if boundAbove(iv.Hi, cand) {
		return cand, true
	}
	return Version{}, false
}

// denseWitness returns a version of class c whose release is above r's
// release and, when possible, below hi: the release r.0...0.1, with enough
// zeros to stay under hi's release.
func denseWitness(r Version, hi Bound, c versionClass) (Version, error) {
	p := partsOf(r).releaseOnly()
	n := strings.Count(p.release, ".") + 1
	if hi.kind == BoundBelow || hi.kind == BoundAbove || hi.kind == BoundAboveRelease {
		n = max(n, strings.Count(partsOf(hi.v).release, ".")+1)
	}
	p.release += strings.Repeat(".0", n-strings.Count(p.release, ".")-1) + ".1"
	switch c {
	case classPre:
		p.dev, p.hasDev = "0", true
	case classPrePost:
		p.preL, p.preN = "a", "0"
		p.post, p.hasPost = "0", true
		p.dev, p.hasDev = "0", true
	}
	return p.version()
}

// ---- Specifiers ----

// SpecifierVersions returns the public versions that s admits when
// pre-releases are admitted (pre-release admission is a property of a
// whole [SpecifierSet]; see [SpecifierSetVersions]). The result may hold
// more versions than s admits only for "~=" with a version spelled with
// "c", "pre", "r" or "rev" segments, where packaging's prefix rule is
// irregular; it never holds fewer.
func SpecifierVersions(s Specifier) (VersionSet, error) {
	op, text := s.Op, strings.TrimSpace(s.Version)
	if op == "===" {
		v, err := Parse(text)
		if err != nil || !strings.EqualFold(v.String(), text) {
			return VersionSet{}, nil // no PEP 440 version prints as text
		}
		return Only(v), nil
	}
	if (op == "==" || op == "!=") && strings.HasSuffix(text, ".*") {
		w, err := wildcardVersions(strings.TrimSuffix(text, ".*"))
		if err != nil {
			return VersionSet{}, err
		}
		if op == "!=" {
			return w.Complement(), nil
		}
		return w, nil
	}
	v, err := Parse(text)
	if err != nil {
		return VersionSet{}, fmt.Errorf("specifier %s: %w", s, err)
	}
	switch op {
	case "==":
		return Only(v), nil
	case "!=":
		return Only(v).Complement(), nil
	case ">=":
		return Span(Below(v), AboveAll()), nil
	case "<=":
		return Span(BelowAll(), Above(v)), nil
	case "<":
		if v.IsPrerelease() {
			return Span(BelowAll(), Below(v)), nil
		}
		// Pre-releases of v's own release are excluded: they all lie in
		// [base.dev0, v), and base.dev0 is the smallest of them.
		devZero, err := partsOf(v).releaseOnly().withDev0()
		if err != nil {
			return VersionSet{}, err
		}
		var r VersionSet
		r.parts[classFinal] = []Interval{{BelowAll(), Below(v)}}
		r.parts[classPre] = []Interval{{BelowAll(), Below(devZero)}}
		r.parts[classPrePost] = r.parts[classPre]
		return r, nil
	case ">":
		if v.IsPostrelease() {
			return Span(Above(v), AboveAll()), nil
		}
		// Post-releases of v's own release are excluded: above v within
		// its release, only finals of that release (the release itself)
		// and pre-releases that are not post-releases remain.
		base := v.BaseVersion()
		var r VersionSet
		rest := Interval{AboveRelease(v), AboveAll()}
		if Compare(v, base) < 0 {
			r.parts[classFinal] = []Interval{{Below(base), Above(base)}, rest}
		} else {
			r.parts[classFinal] = []Interval{rest}
		}
		r.parts[classPre] = []Interval{{Above(v), AboveAll()}}
		r.parts[classPrePost] = []Interval{rest}
		return r, nil
	case "~=":
		prefix := compatibleReleasePrefix(text)
		w, err := wildcardVersions(prefix)
		if err != nil {
			// An irregular prefix: keep just the lower bound, a superset.
			return Span(Below(v), AboveAll()), nil
		}
		return w.Intersect(Span(Below(v), AboveAll())), nil
	}
	return VersionSet{}, fmt.Errorf("specifier %s: unknown operator %q", s, op)
}

func (p vparts) withDev0() (Version, error) {
	p.dev, p.hasDev = "0", true
	return p.version()
}

// wildcardVersions returns the versions "==prefix.*" matches: every version
// whose release starts with prefix's release, that is
// [prefix.dev0, next.dev0) where next increments prefix's last release
// number. A prefix with more than a release (possible only through "~=",
// see SpecifierVersions) is widened to its release.
func wildcardVersions(prefix string) (VersionSet, error) {
	v, err := Parse(prefix)
	if err != nil {
		return VersionSet{}, fmt.Errorf("wildcard prefix %q: %w", prefix, err)
	}
	p := partsOf(v).releaseOnly()
	lo, err := p.withDev0()
	if err != nil {
		return VersionSet{}, err
	}
	i := strings.LastIndexByte(p.release, '.') + 1
	p.release = p.release[:i] + incDigits(p.release[i:])
	hi, err := p.withDev0()
	if err != nil {
		return VersionSet{}, err
	}
	set := Span(Below(lo), Below(hi))

	// packaging 23 compares the dot-split strings of the prefix and of the
	// candidate's canonical form (trailing zeros stripped), padding only a
	// numeric first segment. An epoch glues itself to the first segment
	// ("1!2"), which gives three irregularities that pip inherits:
	release := strings.Split(partsOf(v).release, ".")
	if v.Epoch() == 0 {
		// An all-zero prefix ("==0.*") pads every candidate with an epoch
		// to zeros, so it matches every version with an epoch.
		if strings.Trim(partsOf(v).release, "0.") == "" {
			one, err := Parse("1!0.dev0")
			if err != nil {
				return VersionSet{}, errConstruct
			}
			set = set.Union(Span(Below(one), AboveAll()))
		}
		return set, nil
	}
	// With an epoch nothing is padded: a candidate whose release, trailing
	// zeros stripped, is shorter than the prefix does not match ("==1!1.0.*"
	// rejects 1!1.0 but takes 1!1.0.5) ...
	stripped := len(release)
	for stripped > 1 && strings.Trim(release[stripped-1], "0") == "" {
		stripped--
	}
	if stripped < len(release) {
		set = set.Minus(Span(Below(lo), AboveRelease(v)))
	}
	// ... and with a one-number prefix, a pre-release label glued to that
	// number hides it ("==1!1.*" rejects 1!1a1, but takes 1!1.dev0).
	if len(release) == 1 {
		q := partsOf(v).releaseOnly()
		top, err := q.version()
		if err != nil {
			return VersionSet{}, err
		}
		q.preL, q.preN = "a", "0"
		first, err := q.withDev0()
		if err != nil {
			return VersionSet{}, err
		}
		set = set.Minus(Span(Below(first), Below(top)))
	}
	return set, nil
}

// compatibleReleasePrefix returns the prefix that "~=text" matches with
// "==prefix.*", computed as packaging 23 does: split text on dots (and
// between a number and a pre-release label), keep the segments up to the
// first that starts with dev, a, b, rc or post, and drop the last one kept.
func compatibleReleasePrefix(text string) string {
	var segs []string
	for _, item := range strings.Split(text, ".") {
		if n := leadingDigitCount(item); n > 0 && n < len(item) && isPreLabelSegment(item[n:]) {
			segs = append(segs, item[:n], item[n:])
			continue
		}
		segs = append(segs, item)
	}
	var kept []string
	for _, s := range segs {
		if hasAnyPrefix(s, "dev", "a", "b", "rc", "post") {
			break
		}
		kept = append(kept, s)
	}
	if len(kept) > 0 {
		kept = kept[:len(kept)-1]
	}
	return strings.Join(kept, ".")
}

func leadingDigitCount(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// isPreLabelSegment reports whether s is (a|b|c|rc) followed by digits:
// the part packaging's _prefix_regex splits off a release number.
func isPreLabelSegment(s string) bool {
	for _, l := range []string{"rc", "a", "b", "c"} {
		if rest, ok := strings.CutPrefix(s, l); ok && len(rest) > 0 && leadingDigitCount(rest) == len(rest) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// specifierMentionsPrerelease is packaging's Specifier.prereleases: an
// inclusive operator whose version is a pre-release.
func specifierMentionsPrerelease(s Specifier) bool {
	switch s.Op {
	case "==", ">=", "<=", "~=", "===":
	default:
		return false
	}
	text := strings.TrimSuffix(strings.TrimSpace(s.Version), ".*")
	v, err := Parse(text)
	return err == nil && v.IsPrerelease()
}

// AdmitsPrereleases reports whether ss admits pre-releases under pre, as
// SpecifierSet.contains decides: always with PrereleasesAllow, never with
// PrereleasesExclude, and by default only when one of its specifiers names a
// pre-release with an inclusive operator (==, >=, <=, ~=, ===).
func AdmitsPrereleases(ss SpecifierSet, pre Prereleases) bool {
	switch pre {
	case PrereleasesAllow:
		return true
	case PrereleasesExclude:
		return false
	}
	return slices.ContainsFunc(ss.Specifiers(), specifierMentionsPrerelease)
}

// SpecifierSetVersions returns the public versions ss admits under pre,
// as [SpecifierSet.Contains] decides for public versions (see
// [SpecifierVersions] for the one case where it may hold more). The empty
// specifier set admits every version (but pre-releases only when pre
// allows).
func SpecifierSetVersions(ss SpecifierSet, pre Prereleases) (VersionSet, error) {
	s := AllVersions()
	for _, sp := range ss.Specifiers() {
		w, err := SpecifierVersions(sp)
		if err != nil {
			return VersionSet{}, err
		}
		s = s.Intersect(w)
	}
	if !AdmitsPrereleases(ss, pre) {
		s = s.FinalsOnly()
	}
	return s, nil
}
