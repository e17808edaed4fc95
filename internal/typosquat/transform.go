package typosquat

// Transform names the kind of change that turns a protected name into the
// name that was checked. Its values are stable: they appear in findings, the
// audit log and the policy's CEL variables.
type Transform string

// The transforms [Index.Check] and [Confusion.Check] report. One match has
// exactly one transform: the first that applies in the order below.
const (
	// Omission: one character of the target is missing ("reqests").
	Omission Transform = "omission"
	// Insertion: one character was added ("requestsx").
	Insertion Transform = "insertion"
	// Repetition: one character was doubled ("reequests").
	Repetition Transform = "repetition"
	// Swap: two adjacent characters were exchanged ("reqeusts").
	Swap Transform = "swap"
	// Keyboard: one character was replaced by a neighbour on a QWERTY
	// keyboard ("requesrs").
	Keyboard Transform = "keyboard"
	// Substitution: one character was replaced by another that is neither a
	// keyboard neighbour nor a look-alike ("djanga").
	Substitution Transform = "substitution"
	// Homoglyph: characters were replaced by look-alikes, including the
	// multi-character ones: rn/m, vv/w, cl/d, 1/l/i, 0/o, 5/s, 3/e
	// ("rnatplotlib", "pi11ow", "jeIlyfish").
	Homoglyph Transform = "homoglyph"
	// Separator: separators were added, removed or moved
	// ("pythondateutil", "setup-tools").
	Separator Transform = "separator"
	// Reorder: the hyphen-separated words are the same, in another order
	// ("dateutil-python").
	Reorder Transform = "reorder"
	// Affix: a common prefix or suffix (python-, python3-, py-, -py,
	// -python, -lib, -dev, -sdk, -api, -core, ...) was added, removed or
	// exchanged for another ("python-requests", "requests-py",
	// "py-dateutil", "python3-dateutil").
	Affix Transform = "affix"
	// Version: a version number was added, changed or removed at the end
	// ("requests2", "urllib4", "urllib").
	Version Transform = "version"
	// AffixVersion: an affix and a version suffix together ("pytz3-dev").
	AffixVersion Transform = "affix+version"

	// Internal: the name is one of the policy's internal names
	// ([Confusion] only).
	Internal Transform = "internal"
	// Pattern: the name matches one of the policy's internal name patterns
	// ([Confusion] only).
	Pattern Transform = "pattern"
)

// String returns t itself.
func (t Transform) String() string { return string(t) }

// isSep reports whether c is the separator of a PEP 503 normalised name.
func isSep(c byte) bool { return c == '-' }

// normalize returns name in PEP 503 form: ASCII letters lower-cased and every
// run of '-', '_' and '.' replaced by one '-'. It equals pep508.Normalize for
// ASCII names; other bytes are kept as they are (PEP 508 names are ASCII, so
// such names never look like a protected one unless only their ASCII part
// differs). It does not allocate when name is already normalised.
func normalize(name string) string {
	clean := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' || c == '_' || c == '.' || c == '-' && i > 0 && name[i-1] == '-' {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isSepByte(c):
			if i == 0 || !isSepByte(name[i-1]) {
				b = append(b, '-')
			}
		case 'A' <= c && c <= 'Z':
			b = append(b, c+('a'-'A'))
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isSepByte(c byte) bool { return c == '-' || c == '_' || c == '.' }

// keyPos holds the row and the horizontal position (in key widths, with the
// usual stagger) of each key of a QWERTY keyboard that can appear in a name.
var keyPos = func() (pos [256]struct{ row, x int8 }) {
	rows := []string{"1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm"}
	stagger := []int8{0, 2, 3, 5} // quarter key widths
	for i := range pos {
		pos[i].row = -1
	}
	for r, keys := range rows {
		for c := range len(keys) {
			pos[keys[c]] = struct{ row, x int8 }{int8(r), int8(c*4) + stagger[r]}
		}
	}
	return pos
}()

// adjacentKeys reports whether a and b are neighbours on a QWERTY keyboard:
// next to each other in a row, or touching in the row above or below.
func adjacentKeys(a, b byte) bool {
	pa, pb := keyPos[a], keyPos[b]
	if pa.row < 0 || pb.row < 0 || a == b {
		return false
	}
	dx := pa.x - pb.x
	if dx < 0 {
		dx = -dx
	}
	switch pa.row - pb.row {
	case 0:
		return dx == 4
	case 1, -1:
		return dx < 4
	}
	return false
}

// glyphClass maps each character to the class of characters that look like
// it, or 0. Two characters look alike when their classes are equal and
// non-zero.
var glyphClass = func() (g [256]byte) {
	for _, set := range []string{"1li|!", "0o", "5s", "3e"} {
		for i := range len(set) {
			g[set[i]] = set[0]
		}
	}
	return g
}()

// lookAlike reports whether a and b are distinct look-alike characters.
func lookAlike(a, b byte) bool {
	return a != b && glyphClass[a] != 0 && glyphClass[a] == glyphClass[b]
}

// appendSkeleton appends to dst the visual skeleton of name: separators
// dropped, the multi-character look-alikes rn, vv and cl folded to m, w and
// d, and each single-character look-alike folded to one representative. Two
// names with the same skeleton are hard to tell apart when read.
func appendSkeleton(dst []byte, name string) []byte {
	var prev byte // last letter kept from name, separators skipped
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isSep(c) {
			continue
		}
		if n := len(dst); n > 0 {
			switch {
			case prev == 'r' && c == 'n':
				dst[n-1], prev = 'm', 0
				continue
			case prev == 'v' && c == 'v':
				dst[n-1], prev = 'w', 0
				continue
			case prev == 'c' && c == 'l':
				dst[n-1], prev = 'd', 0
				continue
			}
		}
		prev = c
		if g := glyphClass[c]; g != 0 {
			c = g
		}
		dst = append(dst, c)
	}
	return dst
}

// appendBare appends name without its separators.
func appendBare(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if !isSep(name[i]) {
			dst = append(dst, name[i])
		}
	}
	return dst
}
