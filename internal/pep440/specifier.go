package pep440

import (
	"encoding"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxSpecifierLength is the longest specifier or comma-separated specifier
// set, in bytes, that [ParseSpecifier] and [ParseSpecifierSet] accept. It is
// below CPython's 4,300-digit limit on integer conversion, so that limit
// can never make packaging's set-building raise on an input that airlock
// accepts.
const MaxSpecifierLength = 4096

// Prereleases is the prereleases argument of packaging's
// SpecifierSet.contains: None, True or False.
type Prereleases int

const (
	// PrereleasesDefault (None) admits pre-releases only when a specifier
	// of the set names one with ==, >=, <=, ~= or ===; an empty set
	// excludes them.
	PrereleasesDefault Prereleases = iota
	// PrereleasesAllow (True) admits pre-releases that match.
	PrereleasesAllow
	// PrereleasesExclude (False) never admits a pre-release.
	PrereleasesExclude
)

func (p Prereleases) String() string {
	switch p {
	case PrereleasesAllow:
		return "True"
	case PrereleasesExclude:
		return "False"
	}
	return "None"
}

// Specifier is one version specifier such as ">=1.0" or "==2.*". Op is one
// of ~= == != <= >= < > ===; Version is the version text as written (with
// surrounding whitespace removed, any ".*" kept). A Specifier made by
// [ParseSpecifier] is valid; one built by hand is matched as if parsed.
type Specifier struct {
	Op      string
	Version string
}

var (
	_ encoding.TextMarshaler   = Specifier{}
	_ encoding.TextUnmarshaler = (*Specifier)(nil)
	_ encoding.TextMarshaler   = SpecifierSet{}
	_ encoding.TextUnmarshaler = (*SpecifierSet)(nil)
)

// InvalidSpecifierError reports a string that is not a version specifier
// (or specifier set).
type InvalidSpecifierError struct {
	Specifier string // the input, shortened when it is long
	Reason    string
}

func (e *InvalidSpecifierError) Error() string {
	return "invalid specifier " + quoteShort(e.Specifier) + ": " + e.Reason
}

// ParseSpecifier parses one specifier exactly as
// packaging.specifiers.Specifier(s) does. Local versions are allowed only
// with == and !=, ".*" only with == and !=, ~= needs two release numbers,
// and === takes any text without whitespace, ";" or ")".
func ParseSpecifier(s string) (Specifier, error) {
	if len(s) > MaxSpecifierLength {
		return Specifier{}, &InvalidSpecifierError{Specifier: s, Reason: "longer than the limit of 4096 bytes"}
	}
	sp, ok := parseSpecifier(s)
	if !ok {
		return Specifier{}, &InvalidSpecifierError{Specifier: s, Reason: "not a PEP 440 version specifier"}
	}
	return sp, nil
}

// specOps are the operators in the order packaging's regular expression
// tries them; "===" is tried first here, which gives the same result since
// "==" followed by "=" can never be completed.
var specOps = [...]string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

func parseSpecifier(s string) (Specifier, bool) {
	sp, _, _, good := parseSpecifierVersion(s)
	return sp, good
}

// parseSpecifierVersion is parseSpecifier that also returns the parsed
// version and its failure (ok or tooManyDigits) for operators whose text is
// a version (not === and not wildcards; f is badSyntax for those).
func parseSpecifierVersion(s string) (sp Specifier, v Version, f failure, good bool) {
	f = badSyntax
	i := skipSpace(s, 0)
	op := ""
	for _, o := range specOps {
		if strings.HasPrefix(s[i:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return
	}
	i = skipSpace(s, i+len(op))
	if op == "===" {
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == ';' || r == ')' || (isSpace(r) && !(r == utf8.RuneError && n == 1)) {
				break
			}
			j += n
		}
		if skipSpace(s, j) != len(s) {
			return
		}
		return Specifier{Op: op, Version: s[i:j]}, v, f, true
	}
	end := trimSpaceRight(s, len(s))
	if i >= end {
		return
	}
	text := s[i:end]
	switch op {
	case "==", "!=":
		if base, isWild := strings.CutSuffix(text, ".*"); isWild {
			if !isWildcardBase(base) {
				return
			}
			return Specifier{Op: op, Version: text}, v, f, true
		}
		v, f = scanVersion(text, true, 1)
	case "~=":
		v, f = scanVersion(text, false, 2)
	default:
		v, f = scanVersion(text, false, 1)
	}
	if f == badSyntax {
		return
	}
	return Specifier{Op: op, Version: text}, v, f, true
}

// ScanSpecifier returns the length of the version specifier at the start of
// s as the requirement tokenizer of packaging 23.0 matches it (its
// SPECIFIER token: the Specifier pattern without anchors), or 0 when there
// is none. The match is greedy and stops where the specifier can go no
// further: for "==1.0a1b2" it is 7 ("==1.0a1"). With === it takes all
// text up to whitespace, ";" or ")", commas included.
func ScanSpecifier(s string) int {
	op := ""
	for _, o := range specOps {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	if op == "" {
		return 0
	}
	i := skipSpace(s, len(op))
	if op == "===" {
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == ';' || r == ')' || (isSpace(r) && !(r == utf8.RuneError && n == 1)) {
				break
			}
			i += n
		}
		return i
	}
	local := op == "==" || op == "!="
	minRelease := 1
	if op == "~=" {
		minRelease = 2
	}
	if local {
		// "\.\*" is tried before the suffixes.
		if end, ok := scanWildcard(s, i); ok {
			return end
		}
	}
	_, end, f := scanPrefix(s, i, local, minRelease)
	if f == badSyntax {
		return 0
	}
	return end
}

// scanWildcard matches v?(digits!)?digits(.digits)*.* at s[i:].
func scanWildcard(s string, i int) (int, bool) {
	if i < len(s) && (s[i] == 'v' || s[i] == 'V') {
		i++
	}
	d, j := digitRun(s, i)
	if d == "" {
		return 0, false
	}
	if j+1 < len(s) && s[j] == '!' && isDigit(s[j+1]) {
		_, j = digitRun(s, j+1)
	}
	for j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		_, j = digitRun(s, j+1)
	}
	if strings.HasPrefix(s[j:], ".*") {
		return j + 2, true
	}
	return 0, false
}

// isWildcardBase reports whether s is v?(digits!)?digits(.digits)*, the part
// of a prefix-matching version before ".*".
func isWildcardBase(s string) bool {
	i := 0
	if i < len(s) && (s[i] == 'v' || s[i] == 'V') {
		i++
	}
	d, i := digitRun(s, i)
	if d == "" {
		return false
	}
	if i < len(s) && s[i] == '!' {
		if d, i = digitRun(s, i+1); d == "" {
			return false
		}
	}
	for i < len(s) {
		if s[i] != '.' {
			return false
		}
		if d, i = digitRun(s, i+1); d == "" {
			return false
		}
	}
	return true
}

// String returns the specifier as packaging prints it: the operator
// followed by the version text as written.
func (s Specifier) String() string { return s.Op + s.Version }

// MarshalText implements [encoding.TextMarshaler].
func (s Specifier) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseSpecifier].
func (s *Specifier) UnmarshalText(b []byte) error {
	sp, err := ParseSpecifier(string(b))
	if err != nil {
		return err
	}
	*s = sp
	return nil
}

// Contains reports whether v satisfies s, as packaging's
// Specifier.contains(v, prereleases) does. Where packaging raises (an
// "===" specifier whose text is not a version, asked with
// PrereleasesDefault), it reports false; [Specifier.Match] returns the
// error instead.
func (s Specifier) Contains(v Version, pre Prereleases) bool {
	ok, err := s.Match(v, pre)
	return ok && err == nil
}

// Match is [Specifier.Contains] with the error packaging would raise.
func (s Specifier) Match(v Version, pre Prereleases) (bool, error) {
	it := newSpecItem(s)
	allow := pre == PrereleasesAllow
	if pre == PrereleasesDefault {
		if it.preFail != ok {
			return false, it.preError()
		}
		allow = it.pre
	}
	return it.contains(v, allow)
}

// specItem is a specifier with what matching needs worked out once.
type specItem struct {
	spec    Specifier
	ver     Version // the parsed version text, for operators that parse it
	verFail failure
	pre     bool // packaging's Specifier.prereleases
	preFail failure
}

func newSpecItem(s Specifier) specItem {
	var v Version
	f := badSyntax
	if s.Op != "===" && !strings.HasSuffix(s.Version, ".*") {
		v, f = parse(s.Version)
	}
	return newSpecItemParsed(s, v, f)
}

// newSpecItemParsed is newSpecItem with the version already parsed (f is
// badSyntax for === and wildcards, where it is not used).
func newSpecItemParsed(s Specifier, v Version, f failure) specItem {
	it := specItem{spec: s, ver: v, verFail: f}
	switch s.Op {
	case "==", ">=", "<=", "~=", "===":
		text := s.Version
		if s.Op == "==" {
			text = strings.TrimSuffix(text, ".*")
		}
		pv := it.ver
		if text != s.Version || it.verFail != ok || s.Op == "===" {
			pv, it.preFail = parse(text)
		}
		it.pre = it.preFail == ok && pv.IsPrerelease()
	}
	return it
}

func (it *specItem) preError() error {
	text := it.spec.Version
	if it.spec.Op == "==" {
		text = strings.TrimSuffix(text, ".*")
	}
	return &InvalidVersionError{Version: text, Reason: it.preFail.reason()}
}

func (it *specItem) verError() error {
	return &InvalidVersionError{Version: it.spec.Version, Reason: it.verFail.reason()}
}

// contains is packaging's Specifier.contains with an explicit prereleases.
func (it *specItem) contains(v Version, allow bool) (bool, error) {
	if v.IsPrerelease() && !allow {
		return false, nil
	}
	spec := it.spec.Version
	switch it.spec.Op {
	case "===":
		return v.String() == lowerArbitrary(spec), nil
	case "==", "!=":
		eq, err := it.equal(v)
		if it.spec.Op == "!=" {
			eq = !eq
		}
		return eq && err == nil, err
	case "~=":
		if it.verFail != ok {
			return false, it.verError()
		}
		pub, f := pyPublic(v)
		if f != ok {
			return false, &InvalidVersionError{Version: string(v.appendTo(nil, false)), Reason: f.reason()}
		}
		if Compare(pub, it.ver) < 0 {
			return false, nil
		}
		return wildcardEqual(v, compatiblePrefix(spec)+".*")
	}
	if it.verFail != ok {
		return false, it.verError()
	}
	sv := it.ver
	switch it.spec.Op {
	case "<=", ">=":
		pub, f := pyPublic(v)
		if f != ok {
			return false, &InvalidVersionError{Version: string(v.appendTo(nil, false)), Reason: f.reason()}
		}
		c := Compare(pub, sv)
		if it.spec.Op == "<=" {
			return c <= 0, nil
		}
		return c >= 0, nil
	case "<":
		if Compare(v, sv) >= 0 {
			return false, nil
		}
		if !sv.IsPrerelease() && v.IsPrerelease() && Compare(v.BaseVersion(), sv.BaseVersion()) == 0 {
			return false, nil
		}
		return true, nil
	case ">":
		if Compare(v, sv) <= 0 {
			return false, nil
		}
		if !sv.IsPostrelease() && v.IsPostrelease() && Compare(v.BaseVersion(), sv.BaseVersion()) == 0 {
			return false, nil
		}
		if v.local != "" && Compare(v.BaseVersion(), sv.BaseVersion()) == 0 {
			return false, nil
		}
		return true, nil
	}
	return false, &InvalidSpecifierError{Specifier: it.spec.String(), Reason: "unknown operator"}
}

// equal is packaging's Specifier._compare_equal.
func (it *specItem) equal(v Version) (bool, error) {
	if strings.HasSuffix(it.spec.Version, ".*") {
		return wildcardEqual(v, it.spec.Version)
	}
	if it.verFail != ok {
		return false, it.verError()
	}
	if it.ver.local == "" {
		pub, f := pyPublic(v)
		if f != ok {
			return false, &InvalidVersionError{Version: string(v.appendTo(nil, false)), Reason: f.reason()}
		}
		v = pub
	}
	return Compare(v, it.ver) == 0, nil
}

// pyPublic is packaging's Version(v.public): v without its local label,
// re-parsed from its string form. Re-parsing only changes anything for a
// label spelled with a non-ASCII letter, where it can change the label
// ("poſt" prints as "post") or fail ("previ̇ew").
func pyPublic(v Version) (Version, failure) {
	if !v.odd {
		return v.Public(), ok
	}
	return parse(string(v.appendTo(nil, false)))
}

// wildcardEqual is the prefix-matching branch of packaging's
// Specifier._compare_equal, ported string for string: both sides are
// canonicalised, split at dots (and between a release number and a
// following a/b/c/rc label), the candidate is padded with zeros to the
// length of the specifier's release and cut to the specifier's length.
func wildcardEqual(v Version, spec string) (bool, error) {
	var vbuf [64]byte
	pub := v.appendTo(vbuf[:0], false)
	pros, f := canonicalizeVersion(string(pub), true)
	if f != ok {
		return false, &InvalidVersionError{Version: string(pub), Reason: f.reason()}
	}
	base := spec[:len(spec)-2]
	norm, f := canonicalizeVersion(base, false)
	if f != ok {
		return false, &InvalidVersionError{Version: base, Reason: f.reason()}
	}
	var sbuf, pbuf, padBuf [12]string
	splitSpec := versionSplit(sbuf[:0], norm)
	padded := padVersion(padBuf[:0], versionSplit(pbuf[:0], pros), splitSpec)
	if len(padded) > len(splitSpec) {
		padded = padded[:len(splitSpec)]
	}
	return slices.Equal(padded, splitSpec), nil
}

// canonicalizeVersion is packaging.utils.canonicalize_version: the
// normalised form, optionally without trailing ".0" release numbers, or s
// itself when it does not parse. Only a too-long number is an error.
func canonicalizeVersion(s string, stripTrailingZero bool) (string, failure) {
	v, f := parse(s)
	switch f {
	case badSyntax:
		return s, ok
	case tooManyDigits:
		return "", f
	}
	if !stripTrailingZero {
		return v.String(), ok
	}
	for strings.HasSuffix(v.release, ".0") {
		v.release = v.release[:len(v.release)-2]
	}
	return v.String(), ok
}

// versionSplit is packaging.specifiers._version_split, appending to dst.
func versionSplit(dst []string, s string) []string {
	for {
		item, rest, more := strings.Cut(s, ".")
		if n, ok := splitPrefix(item); ok {
			dst = append(dst, item[:n], item[n:])
		} else {
			dst = append(dst, item)
		}
		if !more {
			return dst
		}
		s = rest
	}
}

// splitPrefix matches ^([0-9]+)((?:a|b|c|rc)[0-9]+)$ and returns the length
// of the first group.
func splitPrefix(item string) (int, bool) {
	d, i := digitRun(item, 0)
	if d == "" {
		return 0, false
	}
	j := i
	switch {
	case strings.HasPrefix(item[j:], "rc"):
		j += 2
	case j < len(item) && (item[j] == 'a' || item[j] == 'b' || item[j] == 'c'):
		j++
	default:
		return 0, false
	}
	d, j = digitRun(item, j)
	if d == "" || j != len(item) {
		return 0, false
	}
	return i, true
}

// padVersion is the left half of packaging.specifiers._pad_version,
// appending to dst.
func padVersion(dst, left, right []string) []string {
	lrel := leadingDigits(left)
	rrel := leadingDigits(right)
	if rrel <= lrel {
		return left
	}
	dst = append(dst, left[:lrel]...)
	for range rrel - lrel {
		dst = append(dst, "0")
	}
	return append(dst, left[lrel:]...)
}

func leadingDigits(items []string) int {
	n := 0
	for n < len(items) && allDigits(items[n]) {
		n++
	}
	return n
}

// compatiblePrefix is the prefix packaging's ~= matches with ".*": the
// dot-separated items of the specifier text up to the first suffix item
// ("dev", "a", "b", "rc", "post"...), without the last one.
func compatiblePrefix(spec string) string {
	var buf [12]string
	items := versionSplit(buf[:0], spec)
	n := 0
	for n < len(items) && isNotSuffix(items[n]) {
		n++
	}
	if n > 0 {
		n--
	}
	return strings.Join(items[:n], ".")
}

func isNotSuffix(seg string) bool {
	for _, p := range [...]string{"dev", "a", "b", "rc", "post"} {
		if strings.HasPrefix(seg, p) {
			return false
		}
	}
	return true
}

// SpecifierSet is a set of specifiers, all of which a version must satisfy.
// The zero value is the empty set, which admits every final version (and,
// with [PrereleasesAllow], every pre-release).
type SpecifierSet struct {
	items []specItem // deduplicated, sorted by their string form
}

// ParseSpecifierSet parses a comma-separated list of specifiers as
// packaging.specifiers.SpecifierSet(s) does: whitespace around each is
// ignored, empty entries are skipped ("" and "," are the empty set), and a
// specifier equal to an earlier one (same operator, same version once
// normalised, trailing zeros ignored except for ~=) is dropped.
func ParseSpecifierSet(s string) (SpecifierSet, error) {
	if len(s) > MaxSpecifierLength {
		return SpecifierSet{}, &InvalidSpecifierError{Specifier: s, Reason: "longer than the limit of 4096 bytes"}
	}
	n := strings.Count(s, ",") + 1
	items := make([]specItem, 0, n)
	var keyBuf [4]specKey
	keys := keyBuf[:0]
	for part := range strings.SplitSeq(s, ",") {
		part = trimSpace(part)
		if part == "" {
			continue
		}
		sp, v, f, good := parseSpecifierVersion(part)
		if !good {
			return SpecifierSet{}, &InvalidSpecifierError{Specifier: part, Reason: "not a PEP 440 version specifier"}
		}
		it := newSpecItemParsed(sp, v, f)
		key, f := it.key()
		if f != ok {
			return SpecifierSet{}, &InvalidSpecifierError{Specifier: part, Reason: f.reason()}
		}
		if slices.Contains(keys, key) {
			continue
		}
		keys = append(keys, key)
		items = append(items, it)
	}
	if len(items) == 0 {
		return SpecifierSet{}, nil
	}
	slices.SortFunc(items, func(a, b specItem) int { return compareSpecs(a.spec, b.spec) })
	return SpecifierSet{items: items}, nil
}

// compareSpecs compares a.String() and b.String() without building them.
func compareSpecs(a, b Specifier) int {
	if a.Op == b.Op {
		return strings.Compare(a.Version, b.Version)
	}
	la, lb := len(a.Op)+len(a.Version), len(b.Op)+len(b.Version)
	at := func(s Specifier, i int) byte {
		if i < len(s.Op) {
			return s.Op[i]
		}
		return s.Version[i-len(s.Op)]
	}
	for i := 0; i < la && i < lb; i++ {
		if x, y := at(a, i), at(b, i); x != y {
			return cmpInt(int(x), int(y))
		}
	}
	return cmpInt(la, lb)
}

// specKey identifies a specifier the way packaging's Specifier.__eq__ and
// __hash__ do: the operator and canonicalize_version of the version text
// (trailing zeros stripped except for ~=), where text that is not a
// version (wildcards, most === text) stands for itself. It compares
// normal-form strings without building them.
type specKey struct {
	op      string
	raw     string // the text itself, when it is not a version
	epoch   string
	release string
	pre     string // label and number, as printed
	preNum  string
	post    string // number, "" when absent (the label is not printed)
	hasPost bool
	dev     string
	hasDev  bool
	local   string
}

func (it *specItem) key() (specKey, failure) {
	k := specKey{op: it.spec.Op}
	var v Version
	switch {
	case it.spec.Op != "===" && !strings.HasSuffix(it.spec.Version, ".*"):
		if it.verFail != ok {
			return k, it.verFail
		}
		v = it.ver
	default:
		var f failure
		v, f = parse(it.spec.Version)
		switch f {
		case badSyntax:
			k.raw = it.spec.Version
			return k, ok
		case tooManyDigits:
			return k, f
		}
	}
	if strings.Contains(v.pre.label, combiningDot) || strings.Contains(v.local, combiningDot) {
		// The normal form does not parse again, so some text that is not
		// a version (in ===) can equal it: compare strings.
		norm, _ := canonicalizeVersion(it.spec.Version, it.spec.Op != "~=")
		k.raw = norm
		return k, ok
	}
	k.epoch, k.release, k.local = v.epoch, v.release, v.local
	if it.spec.Op != "~=" {
		for strings.HasSuffix(k.release, ".0") {
			k.release = k.release[:len(k.release)-2]
		}
	}
	k.pre, k.preNum = v.pre.label, v.pre.num
	k.post, k.hasPost = v.post.num, v.post.label != ""
	k.dev, k.hasDev = v.dev.num, v.dev.label != ""
	// The epoch prints only when it is not 0; the raw text of a version
	// that parses never equals a normal form with the same key, so raw
	// stays empty.
	return k, ok
}

// MustParseSpecifierSet is like [ParseSpecifierSet] but panics on error.
func MustParseSpecifierSet(s string) SpecifierSet {
	set, err := ParseSpecifierSet(s)
	if err != nil {
		panic(err)
	}
	return set
}

// Specifiers returns the specifiers of s, sorted by their string form.
func (s SpecifierSet) Specifiers() []Specifier {
	out := make([]Specifier, len(s.items))
	for i, it := range s.items {
		out[i] = it.spec
	}
	return out
}

// All returns an iterator over the specifiers of s, sorted by their string
// form, without copying them.
func (s SpecifierSet) All() iter.Seq[Specifier] {
	return func(yield func(Specifier) bool) {
		for i := range s.items {
			if !yield(s.items[i].spec) {
				return
			}
		}
	}
}

// Len returns the number of specifiers in s.
func (s SpecifierSet) Len() int { return len(s.items) }

// IsEmpty reports whether s has no specifiers.
func (s SpecifierSet) IsEmpty() bool { return len(s.items) == 0 }

// String returns str(packaging.specifiers.SpecifierSet(...)): the
// specifiers sorted by their string form, joined by commas.
func (s SpecifierSet) String() string {
	var b strings.Builder
	for i, it := range s.items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(it.spec.Op)
		b.WriteString(it.spec.Version)
	}
	return b.String()
}

// MarshalText implements [encoding.TextMarshaler].
func (s SpecifierSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] with
// [ParseSpecifierSet].
func (s *SpecifierSet) UnmarshalText(b []byte) error {
	set, err := ParseSpecifierSet(string(b))
	if err != nil {
		return err
	}
	*s = set
	return nil
}

// Prereleases is packaging's SpecifierSet.prereleases property: whether
// the set admits pre-releases when [PrereleasesDefault] is asked, which is
// when one of its specifiers has ==, >=, <=, ~= or === with a pre-release
// version. It is false for the empty set (packaging's None, which
// SpecifierSet.contains treats as false). The error is packaging's
// InvalidVersion for a === specifier whose text is not a version (see
// [SpecifierSet.Match] for why airlock returns it whatever the other
// specifiers say).
func (s SpecifierSet) Prereleases() (bool, error) {
	allow := false
	for i := range s.items {
		it := &s.items[i]
		if it.preFail != ok {
			return false, it.preError()
		}
		allow = allow || it.pre
	}
	return allow, nil
}

// Contains reports whether v satisfies every specifier of s, as packaging's
// SpecifierSet.contains(v, prereleases) does. Where packaging raises (see
// [SpecifierSet.Match]) it reports false.
func (s SpecifierSet) Contains(v Version, pre Prereleases) bool {
	ok, err := s.Match(v, pre)
	return ok && err == nil
}

// Match is [SpecifierSet.Contains] with the error packaging raises: with
// PrereleasesDefault, a "===" specifier whose text is not a version makes
// packaging's SpecifierSet.prereleases raise InvalidVersion, and a
// candidate whose public part does not parse again makes ==, !=, <=, >=
// and ~= raise. packaging stops at the first specifier that names a
// pre-release, or that the candidate fails, in the iteration order of a
// Python frozenset, which changes from run to run, so whether it reaches
// the raising one is a matter of chance; airlock checks every specifier and
// returns the error whenever one raises.
func (s SpecifierSet) Match(v Version, pre Prereleases) (bool, error) {
	allow := pre == PrereleasesAllow
	if pre == PrereleasesDefault {
		var err error
		if allow, err = s.Prereleases(); err != nil {
			return false, err
		}
	}
	if !allow && v.IsPrerelease() {
		return false, nil
	}
	result := true
	for i := range s.items {
		good, err := s.items[i].contains(v, allow)
		if err != nil {
			return false, err
		}
		result = result && good
	}
	return result, nil
}
