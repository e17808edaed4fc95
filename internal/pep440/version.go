package pep440

import (
	"encoding"
	"math"
	"strings"
	"unicode/utf8"
)

// MaxVersionLength is the longest version string, in bytes, that [Parse]
// accepts. packaging has no limit; real versions are well under 100 bytes.
// It is below CPython's 4,300-digit limit on integer conversion, so no
// number in a version accepted by Parse can hit that limit.
const MaxVersionLength = 4096

// maxIntDigits is CPython's default limit on the digits of a decimal string
// converted to int (sys.int_info.default_max_str_digits, Python >= 3.11).
// packaging's Version calls int() on every number, so a longer number makes
// it raise ValueError; airlock rejects such numbers too.
const maxIntDigits = 4300

// Version is a parsed PEP 440 version, normalised as packaging.version.Version
// normalises it. It is an immutable value: compare two versions with
// [Compare] or [Version.Compare], never with ==. The zero Version is not a
// valid version; it sorts before every parsed one and prints as "".
type Version struct {
	epoch   string // decimal digits without leading zeros ("0" when absent)
	release string // dot-separated decimal numbers without leading zeros
	pre     segment
	post    segment
	dev     segment
	local   string // normalised local label, dot-separated; "" when absent
	// odd is set when the pre- or post-release label keeps a non-ASCII
	// letter (see the package documentation): then String does not parse
	// back to an equal version, and the specifier code must re-parse the
	// public string as packaging does.
	odd bool
}

// segment is a pre-, post- or development-release segment: the normalised
// label ("" when the segment is absent) and its number.
type segment struct {
	label string
	num   string
}

var (
	_ encoding.TextMarshaler   = Version{}
	_ encoding.TextUnmarshaler = (*Version)(nil)
)

// InvalidVersionError reports a string that is not a PEP 440 version.
type InvalidVersionError struct {
	Version string // the input, shortened when it is long
	Reason  string
}

func (e *InvalidVersionError) Error() string {
	return "invalid version " + quoteShort(e.Version) + ": " + e.Reason
}

// failure says why a scan failed: syntax, or a number too long for Python.
type failure uint8

const (
	ok failure = iota
	badSyntax
	tooManyDigits
)

func (f failure) reason() string {
	if f == tooManyDigits {
		return "a number has more than 4300 digits (Python cannot convert it)"
	}
	return "not a PEP 440 version"
}

// Parse parses s as packaging.version.Version(s) does: it accepts every
// spelling packaging accepts (surrounding whitespace, any letter case, a "v"
// prefix, "alpha"/"beta"/"c"/"pre"/"preview"/"rev"/"r" spellings, the
// separators -, _ and ., implicit numbers, implicit post-releases like
// "1.0-1", local versions) and nothing else. Inputs longer than
// [MaxVersionLength] are rejected. The error is an [*InvalidVersionError].
func Parse(s string) (Version, error) {
	if len(s) > MaxVersionLength {
		return Version{}, &InvalidVersionError{Version: s, Reason: "longer than the limit of 4096 bytes"}
	}
	v, f := parse(s)
	if f != ok {
		return Version{}, &InvalidVersionError{Version: s, Reason: f.reason()}
	}
	return v, nil
}

// MustParse is like [Parse] but panics on error. It is meant for tests and
// constants.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// parse is Parse without the length limit.
func parse(s string) (Version, failure) {
	v, f := scanVersion(s, true, 1)
	return v, f
}

// scanVersion parses s, which may carry surrounding Python whitespace. local
// says whether a local segment is allowed; minRelease is the least number of
// release components (2 for "~="). On badSyntax the Version is meaningless;
// on tooManyDigits it is syntactically valid.
func scanVersion(s string, local bool, minRelease int) (Version, failure) {
	v, end, f := scanPrefix(s, skipSpace(s, 0), local, minRelease)
	if f == badSyntax || skipSpace(s, end) != len(s) {
		return v, badSyntax
	}
	return v, f
}

// scanPrefix matches a version at s[i:] the way Python's re.match would
// match packaging's pattern without its end anchor: every optional part is
// taken greedily when it can match, and the scan stops at the first
// character that fits nowhere. It returns the index after the match, which
// is badSyntax only when no release number is there (or fewer than
// minRelease). tooManyDigits is reported when the match is otherwise good.
func scanPrefix(s string, i int, local bool, minRelease int) (Version, int, failure) {
	var v Version
	longest := 0 // longest run of digits converted to a number
	num := func(d string) string {
		if len(d) > longest {
			longest = len(d)
		}
		return trimZeros(d)
	}
	if i < len(s) && (s[i] == 'v' || s[i] == 'V') {
		i++
	}
	d, i := digitRun(s, i)
	if d == "" {
		return v, i, badSyntax
	}
	v.epoch = "0"
	start := i - len(d)
	if i+1 < len(s) && s[i] == '!' && isDigit(s[i+1]) {
		v.epoch = num(d)
		start = i + 1
		d, i = digitRun(s, i+1)
	}
	// The release is kept as its normal text: a slice of s when s already
	// has no leading zeros, which is the common case.
	canonical := num(d) == d
	n := 1
	for i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		d, i = digitRun(s, i+1)
		canonical = num(d) == d && canonical
		n++
	}
	if n < minRelease {
		return v, i, badSyntax
	}
	if canonical {
		v.release = s[start:i]
	} else {
		v.release = normalizeNumbers(s[start:i])
	}

	// Pre-release: [-_.]? label [-_.]? digits?
	j := skipSep(s, i)
	if end, label, odd := matchPreLabel(s, j); end > 0 {
		i = skipSep(s, end)
		d, i = digitRun(s, i)
		v.pre = segment{label, num(orZero(d))}
		v.odd = v.odd || odd
	}

	// Post-release: -digits | [-_.]? label [-_.]? digits?
	if i+1 < len(s) && s[i] == '-' && isDigit(s[i+1]) {
		d, i = digitRun(s, i+1)
		v.post = segment{"post", num(d)}
	} else if end, label, odd := matchPostLabel(s, skipSep(s, i)); end > 0 {
		i = skipSep(s, end)
		d, i = digitRun(s, i)
		v.post = segment{label, num(orZero(d))}
		v.odd = v.odd || odd
	}

	// Development release: [-_.]? dev [-_.]? digits?
	if j := skipSep(s, i); j < len(s) && s[j]|0x20 == 'd' {
		if end, _ := matchWord(s, j, "dev"); end > 0 {
			i = skipSep(s, end)
			d, i = digitRun(s, i)
			v.dev = segment{"dev", num(orZero(d))}
		}
	}

	// Local version: + alnum+ ([-_.] alnum+)*
	if local && i+1 < len(s) && s[i] == '+' && localRun(s, i+1) > i+1 {
		i++
		start := i
		canonical := true
		for {
			p := i
			i = localRun(s, i)
			part := s[p:i]
			if allDigits(part) {
				canonical = num(part) == part && canonical
			} else {
				canonical = canonical && lowerVersionText(part) == part && isASCII(part)
			}
			if i+1 < len(s) && isSep(s[i]) && localRun(s, i+1) > i+1 {
				canonical = canonical && s[i] == '.'
				i++
				continue
			}
			break
		}
		if canonical {
			v.local = s[start:i]
		} else {
			v.local = normalizeLocal(s[start:i])
		}
	}

	if longest > maxIntDigits {
		return v, i, tooManyDigits
	}
	return v, i, ok
}

// normalizeNumbers strips the leading zeros of each dot-separated number.
func normalizeNumbers(s string) string {
	b := make([]byte, 0, len(s))
	for part := range strings.SplitSeq(s, ".") {
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, trimZeros(part)...)
	}
	return string(b)
}

// normalizeLocal joins the parts of a local label with dots, numbers
// without leading zeros, text lower-cased as Python lower-cases it.
func normalizeLocal(s string) string {
	b := make([]byte, 0, len(s)+2)
	for i := 0; i < len(s); {
		j := localRun(s, i)
		part := s[i:j]
		if len(b) > 0 {
			b = append(b, '.')
		}
		if allDigits(part) {
			b = append(b, trimZeros(part)...)
		} else {
			b = append(b, lowerVersionText(part)...)
		}
		i = j + 1
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func orZero(d string) string {
	if d == "" {
		return "0"
	}
	return d
}

// String returns the normalised form, exactly str(packaging.version.Version(s)).
func (v Version) String() string {
	if v.epoch == "0" && v.pre.label == "" && v.post.label == "" && v.dev.label == "" && v.local == "" {
		return v.release
	}
	b := make([]byte, 0, len(v.epoch)+len(v.release)+len(v.local)+32)
	return string(v.appendTo(b, true))
}

// AppendTo appends the normalised form of v to b.
func (v Version) AppendTo(b []byte) []byte { return v.appendTo(b, true) }

func (v Version) appendTo(b []byte, withLocal bool) []byte {
	if v.epoch != "0" && v.epoch != "" {
		b = append(b, v.epoch...)
		b = append(b, '!')
	}
	b = append(b, v.release...)
	if v.pre.label != "" {
		b = append(b, v.pre.label...)
		b = append(b, v.pre.num...)
	}
	if v.post.label != "" {
		b = append(b, ".post"...)
		b = append(b, v.post.num...)
	}
	if v.dev.label != "" {
		b = append(b, ".dev"...)
		b = append(b, v.dev.num...)
	}
	if withLocal && v.local != "" {
		b = append(b, '+')
		b = append(b, v.local...)
	}
	return b
}

// MarshalText implements [encoding.TextMarshaler]: the normalised form.
func (v Version) MarshalText() ([]byte, error) { return v.AppendTo(nil), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] with [Parse].
func (v *Version) UnmarshalText(b []byte) error {
	w, err := Parse(string(b))
	if err != nil {
		return err
	}
	*v = w
	return nil
}

// Epoch returns the epoch (0 when there is none). An epoch beyond the range
// of int saturates at math.MaxInt; [Version.EpochString] is exact.
func (v Version) Epoch() int { return atoiSat(v.epoch) }

// EpochString returns the epoch as decimal digits without leading zeros.
func (v Version) EpochString() string {
	if v.epoch == "" {
		return "0"
	}
	return v.epoch
}

// Release returns the release numbers as decimal digit strings without
// leading zeros, trailing zeros included (packaging's Version.release).
func (v Version) Release() []string {
	if v.release == "" {
		return nil
	}
	return strings.Split(v.release, ".")
}

// Local returns the normalised local version label ("ubuntu.1" for
// "1.0+Ubuntu-1"), or "" when there is none.
func (v Version) Local() string { return v.local }

// HasLocal reports whether v has a local version label.
func (v Version) HasLocal() bool { return v.local != "" }

// Public returns v without its local version label.
func (v Version) Public() Version {
	v.local = ""
	return v
}

// BaseVersion returns the epoch and release of v only (packaging's
// base_version).
func (v Version) BaseVersion() Version {
	return Version{epoch: v.epoch, release: v.release}
}

// IsPrerelease reports whether v has a pre-release or a development
// segment (packaging's is_prerelease).
func (v Version) IsPrerelease() bool { return v.pre.label != "" || v.dev.label != "" }

// IsPostrelease reports whether v has a post-release segment.
func (v Version) IsPostrelease() bool { return v.post.label != "" }

// IsDevrelease reports whether v has a development segment.
func (v Version) IsDevrelease() bool { return v.dev.label != "" }

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w.
func (v Version) Compare(w Version) int { return Compare(v, w) }

// Equal reports whether v and w are equal versions ("1.0" equals "1.0.0").
func (v Version) Equal(w Version) bool { return Compare(v, w) == 0 }

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b in the
// PEP 440 total order that packaging implements: epoch; release with
// trailing zeros ignored; development-only releases before pre-releases
// before finals; post-releases after; local versions after the public
// version, alphanumeric local parts before numeric ones. It plugs into
// slices.SortFunc.
func Compare(a, b Version) int {
	if a.release == "" || b.release == "" {
		// The zero Version sorts before every parsed one.
		if c := cmpInt(min(len(a.release), 1), min(len(b.release), 1)); c != 0 {
			return c
		}
	}
	if c := cmpNum(a.EpochString(), b.EpochString()); c != 0 {
		return c
	}
	if c := cmpRelease(a.release, b.release); c != 0 {
		return c
	}
	if c := cmpSegment(preKey(a), a.pre, preKey(b), b.pre); c != 0 {
		return c
	}
	if c := cmpSegment(absentLow(a.post), a.post, absentLow(b.post), b.post); c != 0 {
		return c
	}
	if c := cmpSegment(absentHigh(a.dev), a.dev, absentHigh(b.dev), b.dev); c != 0 {
		return c
	}
	return cmpLocal(a.local, b.local)
}

// cmpRelease compares two release texts as packaging compares release
// tuples with trailing zeros removed, which is the same as comparing them
// padded with zeros to the same length.
func cmpRelease(a, b string) int {
	if a == b {
		return 0
	}
	for a != "" || b != "" {
		var x, y string
		x, a = nextPart(a)
		y, b = nextPart(b)
		if x == "" {
			x = "0"
		}
		if y == "" {
			y = "0"
		}
		if c := cmpNum(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// nextPart splits s at its first dot.
func nextPart(s string) (part, rest string) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// Key kinds standing in for packaging's NegativeInfinity and Infinity.
const (
	keyLow   = -1
	keyValue = 0
	keyHigh  = 1
)

func preKey(v Version) int {
	switch {
	case v.pre.label == "" && v.post.label == "" && v.dev.label != "":
		return keyLow
	case v.pre.label == "":
		return keyHigh
	}
	return keyValue
}

func absentLow(s segment) int {
	if s.label == "" {
		return keyLow
	}
	return keyValue
}

func absentHigh(s segment) int {
	if s.label == "" {
		return keyHigh
	}
	return keyValue
}

func cmpSegment(ka int, a segment, kb int, b segment) int {
	if ka != kb {
		return cmpInt(ka, kb)
	}
	if ka != keyValue {
		return 0
	}
	if c := strings.Compare(a.label, b.label); c != 0 {
		return c
	}
	return cmpNum(a.num, b.num)
}

// cmpLocal compares local labels: none sorts first; parts compare in turn,
// numbers numerically and after text, text by code point; a label that is
// a prefix of the other sorts first.
func cmpLocal(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	for a != "" && b != "" {
		var pa, pb string
		pa, a = nextPart(a)
		pb, b = nextPart(b)
		na, nb := allDigits(pa), allDigits(pb)
		switch {
		case na && nb:
			if c := cmpNum(pa, pb); c != 0 {
				return c
			}
		case na:
			return 1
		case nb:
			return -1
		default:
			if c := strings.Compare(pa, pb); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

// cmpNum compares two decimal digit strings without leading zeros.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		return cmpInt(len(a), len(b))
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(d string) string {
	for len(d) > 1 && d[0] == '0' {
		d = d[1:]
	}
	return d
}

func atoiSat(d string) int {
	n := 0
	for i := 0; i < len(d); i++ {
		x := int(d[i] - '0')
		if n > (math.MaxInt-x)/10 {
			return math.MaxInt
		}
		n = n*10 + x
	}
	return n
}
