package advisory

import (
	"slices"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// Kind says how many of the versions a request admits are affected.
type Kind uint8

// The kinds of assessment.
const (
	// KindNone: no admitted version is affected (allow).
	KindNone Kind = iota
	// KindSome: some admitted versions are affected and some are not
	// (review, with a suggestion that avoids them).
	KindSome
	// KindAll: every admitted version is affected (deny).
	KindAll
)

var kindNames = [...]string{"none", "some", "all"}

// String returns "none", "some" or "all".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(?)"
}

// MarshalText implements [encoding.TextMarshaler].
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Options narrows what [Index.Assess] considers. The zero value considers
// everything.
type Options struct {
	// MinSeverity ignores vulnerabilities whose severity is known and below
	// it (an unknown severity is never ignored). It does not apply to
	// malicious-package reports.
	MinSeverity Level
	// Skip, when set, ignores the entries for which it returns true (for
	// example accepted risks listed by id).
	Skip func(*Vuln) bool
}

// Finding is one vulnerability or malicious-package report that affects a
// version a request admits.
type Finding struct {
	Vuln *Vuln
	// Kind is KindAll when the entry affects every admitted version, else
	// KindSome.
	Kind Kind
	// Example is an admitted version it affects.
	Example pep440.Version
}

// Assessment is the verdict on a request for a package.
type Assessment struct {
	// Kind is how many admitted versions the vulnerabilities (not the
	// malicious-package reports) affect, taken together: with one
	// vulnerability up to 2.0 and another from 2.0 on, every version is
	// affected.
	Kind Kind
	// Vulns are the vulnerabilities that affect an admitted version,
	// ordered by id.
	Vulns []Finding
	// Malicious are the malicious-package reports that cover an admitted
	// version. Any of them should deny the request.
	Malicious []Finding
	// Fixed are the fixed versions named by Vulns, ascending.
	Fixed []string
	// Suggestion is a requirement that admits no affected or malicious
	// version, as close to the request as airlock finds one (see
	// [Index.Assess]), or "" when there is none.
	Suggestion string
	// Exact reports that the request was an exact pin (== or ===), checked
	// as that one version.
	Exact bool
	// Safe is an admitted version that nothing affects, when Kind is
	// KindSome.
	Safe pep440.Version
	// Notes say what the verdict assumed (an empty request, the pre-release
	// fallback, an unparseable specifier).
	Notes []string

	fixedVersions []pep440.Version
}

// Assess judges a request for the named package: specifier set spec under
// the pre-release rule pre (as pip passes it to packaging).
//
// An exact pin (==X without a wildcard, or ===X) is checked as that one
// version, local label included. Otherwise the admitted versions are the
// public versions spec admits under pre (pep440.SpecifierSetVersions); with
// the default rule and no final release admitted, pre-releases are
// admitted instead, as pip's fallback does. The verdict is computed on
// intervals of the PEP 440 order, so it holds for versions not yet released
// too: "requests>=2.0" is KindSome when a fix exists, KindAll only when no
// version from 2.0 up escapes the advisories.
//
// The suggestion keeps the request's own specifiers where they still
// matter and adds bounds that exclude every affected and malicious
// version: for a range, the highest part of the request that is safe
// ("requests>=2.0,<3" becomes "requests>=2.31.0,<3"); for a pin, or a
// range with nothing safe in it, the nearest safe versions above it
// ("requests==2.25.0" becomes "requests>=2.31.0"), else below it. Every
// suggestion is checked: it admits some version and no affected one.
func (ix *Index) Assess(name string, spec pep440.SpecifierSet, pre pep440.Prereleases, opt Options) Assessment {
	var a Assessment
	all := ix.Lookup(name)
	counts := make([]bool, len(all)) // which entries this assessment considers
	for i, v := range all {
		counts[i] = opt.Skip == nil || !opt.Skip(v)
	}
	isKept := func(i int) bool {
		return counts[i] && !all[i].Malicious && all[i].Severity.AtLeast(opt.MinSeverity)
	}

	admitted, pin, exact := admittedVersions(spec, pre, &a.Notes)
	a.Exact = exact
	if pin == nil && admitted.IsEmpty() {
		a.Notes = append(a.Notes, "the specifier admits no version")
		return a
	}

	var fixed []string
	seen := map[string]bool{}
	for i, v := range all {
		if !counts[i] || (!v.Malicious && !isKept(i)) {
			continue
		}
		f, ok := finding(v, admitted, pin)
		if !ok {
			continue
		}
		if v.Malicious {
			a.Malicious = append(a.Malicious, f)
			continue
		}
		a.Vulns = append(a.Vulns, f)
		for j, t := range v.fixedText {
			if !seen[t] {
				seen[t] = true
				fixed = append(fixed, t)
				a.fixedVersions = append(a.fixedVersions, v.Fixed[j])
			}
		}
	}
	a.Fixed = sortedFixed(fixed, a.fixedVersions)
	if len(a.Vulns) == 0 && len(a.Malicious) == 0 {
		return a
	}

	// Unions of the entries considered: the vulnerabilities kept, and those
	// plus the malicious reports (what a suggestion must avoid).
	union := func(malicious bool) pep440.VersionSet {
		build := func() pep440.VersionSet {
			var ivs []pep440.Interval
			for i, v := range all {
				if isKept(i) || (malicious && counts[i] && v.Malicious) {
					part, _ := v.Affected.Intervals()
					ivs = append(ivs, part...)
				}
			}
			return pep440.UnionOf(ivs)
		}
		if opt.Skip != nil {
			return build()
		}
		return ix.cachedUnion(unionKey{pep508Name(name), opt.MinSeverity, malicious}, build)
	}
	switch {
	case len(a.Vulns) == 0:
		a.Kind = KindNone
	case pin != nil:
		a.Kind = KindAll
	default:
		if safe, ok := admitted.Minus(union(false)).Example(); ok {
			a.Kind, a.Safe = KindSome, safe
		} else {
			a.Kind = KindAll
		}
	}
	a.Suggestion = suggest(name, spec, pre, admitted, pin, union(true))
	return a
}

// unionKey names a cached union of a package's affected sets.
type unionKey struct {
	pkg       string
	min       Level
	malicious bool
}

// cachedUnion returns the union for key, building it once. Packages with
// a hundred advisories (django) would otherwise sort a thousand intervals
// on every request.
func (ix *Index) cachedUnion(key unionKey, build func() pep440.VersionSet) pep440.VersionSet {
	if v, ok := ix.unions.Load(key); ok {
		return v.(pep440.VersionSet)
	}
	v, _ := ix.unions.LoadOrStore(key, build())
	return v.(pep440.VersionSet)
}

// finding reports whether v affects an admitted version.
func finding(v *Vuln, admitted pep440.VersionSet, pin *pep440.Version) (Finding, bool) {
	if pin != nil {
		if v.Affects(*pin) {
			return Finding{Vuln: v, Kind: KindAll, Example: *pin}, true
		}
		return Finding{}, false
	}
	ex, ok := admitted.ExampleIn(v.Affected)
	if !ok {
		return Finding{}, false
	}
	kind := KindSome
	if admitted.SubsetOf(v.Affected) {
		kind = KindAll
	}
	return Finding{Vuln: v, Kind: kind, Example: ex}, true
}

// admittedVersions returns the versions spec admits under pre; for an
// exact pin, the pinned version too (nil when the pin admits nothing).
func admittedVersions(spec pep440.SpecifierSet, pre pep440.Prereleases, notes *[]string) (set pep440.VersionSet, pin *pep440.Version, exact bool) {
	for _, s := range spec.Specifiers() {
		text := strings.TrimSpace(s.Version)
		if s.Op != "===" && (s.Op != "==" || strings.HasSuffix(text, ".*")) {
			continue
		}
		exact = true
		v, err := pep440.Parse(text)
		if err != nil || (s.Op == "===" && !strings.EqualFold(v.String(), text)) {
			*notes = append(*notes, "=== "+text+" matches no PEP 440 version")
			return pep440.VersionSet{}, nil, true
		}
		if !spec.Contains(v, pre) {
			return pep440.VersionSet{}, nil, true
		}
		return pep440.Only(v), &v, true
	}
	set, err := pep440.SpecifierSetVersions(spec, pre)
	if err != nil {
		*notes = append(*notes, "could not compute the versions "+spec.String()+" admits ("+err.Error()+"): assumed every version")
		return pep440.AllVersions(), nil, false
	}
	if pre == pep440.PrereleasesDefault && set.IsEmpty() {
		with, err := pep440.SpecifierSetVersions(spec, pep440.PrereleasesAllow)
		if err == nil && !with.IsEmpty() {
			*notes = append(*notes, "no final release matches, so pre-releases count (as pip falls back to them)")
			return with, nil, false
		}
	}
	return set, nil, false
}

// sortedFixed orders the distinct fixed versions (text[i] is vs[i]'s
// canonical string) by version.
func sortedFixed(text []string, vs []pep440.Version) []string {
	idx := make([]int, len(text))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return pep440.Compare(vs[a], vs[b]) })
	var out []string
	for n, i := range idx {
		if n > 0 && vs[idx[n-1]].Equal(vs[i]) {
			continue // 1.0 and 1.0.0
		}
		out = append(out, text[i])
	}
	return out
}

// ---- Suggestions ----

// suggest returns a requirement for name that admits some version and no
// version in bad, or "".
func suggest(name string, spec pep440.SpecifierSet, pre pep440.Prereleases, admitted pep440.VersionSet, pin *pep440.Version, bad pep440.VersionSet) string {
	safe, ok := bad.Complement().Intervals()
	if !ok || len(safe) == 0 {
		return ""
	}
	own := spec.Specifiers()
	if pin == nil {
		// The highest safe part of the request itself.
		for i := len(safe) - 1; i >= 0; i-- {
			part := admitted.Intersect(pep440.Span(safe[i].Lo, safe[i].Hi))
			if part.IsEmpty() {
				continue
			}
			if s := buildSuggestion(name, safe[i], own, pre, bad); s != "" {
				return s
			}
		}
	}
	// Nothing safe inside: the nearest safe versions above the request (or
	// below it), without the request's own specifiers.
	ref, ok := admitted.Example()
	if pin != nil {
		ref, ok = *pin, true
	}
	if !ok {
		return ""
	}
	var above, below []pep440.Interval
	for _, iv := range safe {
		if pep440.Span(pep440.BelowAll(), iv.Lo).Contains(ref) {
			above = append(above, iv)
		} else {
			below = append(below, iv)
		}
	}
	slices.Reverse(below)
	for _, iv := range append(above, below...) {
		if s := buildSuggestion(name, iv, nil, pep440.PrereleasesDefault, bad); s != "" {
			return s
		}
	}
	return ""
}

// buildSuggestion returns name with the bounds of region and the
// specifiers of own that still narrow it, if that admits some final
// release and nothing in bad; else "".
func buildSuggestion(name string, region pep440.Interval, own []pep440.Specifier, pre pep440.Prereleases, bad pep440.VersionSet) string {
	// Each bound becomes a specifier admitting at most the region's side of
	// it: ">v" for finals starts above every v.post release, and a local
	// version (not allowed in these specifiers) rounds inwards to its
	// public version.
	var lo, hi []string
	switch b := region.Lo; b.Kind() {
	case pep440.BoundBelow:
		if b.Version().Local() == "" {
			lo = []string{">=" + b.Version().String()}
		} else {
			lo = []string{">" + b.Version().Public().String()}
		}
	case pep440.BoundAbove, pep440.BoundAboveRelease:
		lo = []string{">" + b.Version().Public().String()}
	}
	switch b := region.Hi; b.Kind() {
	case pep440.BoundBelow:
		if b.Version().Local() == "" {
			hi = []string{"<" + b.Version().String()}
		} else {
			hi = []string{"<=" + b.Version().Public().String()}
		}
	case pep440.BoundAbove:
		hi = []string{"<=" + b.Version().Public().String()}
	case pep440.BoundAboveRelease:
		return ""
	}
	var mine []string
	for _, s := range own {
		t := s.Op + strings.TrimSpace(s.Version)
		if !slices.Contains(mine, t) && !slices.Contains(lo, t) && !slices.Contains(hi, t) {
			mine = append(mine, t)
		}
	}
	all := slices.Concat(lo, mine, hi)
	if len(all) == 0 {
		return ""
	}
	set, err := versionsOf(all, pre)
	if err != nil || set.FinalsOnly().IsEmpty() || set.Overlaps(bad) {
		return ""
	}
	// Drop the specifiers that do not change the result, the added bounds
	// first, so that as much of the request as matters stays as written.
	keep := func(list []string, rest func(without []string) []string) []string {
		for i := 0; i < len(list); {
			without := slices.Delete(slices.Clone(list), i, i+1)
			if other, err := versionsOf(rest(without), pre); err == nil && other.Equal(set) {
				list = without
				continue
			}
			i++
		}
		return list
	}
	hi = keep(hi, func(w []string) []string { return slices.Concat(lo, mine, w) })
	lo = keep(lo, func(w []string) []string { return slices.Concat(w, mine, hi) })
	mine = keep(mine, func(w []string) []string { return slices.Concat(lo, w, hi) })
	return name + strings.Join(slices.Concat(lo, mine, hi), ",")
}

func versionsOf(specs []string, pre pep440.Prereleases) (pep440.VersionSet, error) {
	ss, err := pep440.ParseSpecifierSet(strings.Join(specs, ","))
	if err != nil {
		return pep440.VersionSet{}, err
	}
	set, err := pep440.SpecifierSetVersions(ss, pre)
	if err != nil {
		return pep440.VersionSet{}, err
	}
	if pre == pep440.PrereleasesDefault && set.IsEmpty() {
		return pep440.SpecifierSetVersions(ss, pep440.PrereleasesAllow)
	}
	return set, nil
}
