package pep440

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Character classes of packaging's regular expressions, which Python
// compiles with re.IGNORECASE over str: besides ASCII case folding, "i"
// also matches U+0130 and U+0131, "s" matches U+017F and "k" matches
// U+212A (Kelvin sign). \s is Python's str.isspace.

// isSpace reports whether r is whitespace for Python's str.isspace and the
// \s of Python's re module: ASCII \t \n \v \f \r and space, U+001C..U+001F,
// U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F
// and U+3000. (Go's unicode.IsSpace lacks U+001C..U+001F.)
func isSpace(r rune) bool {
	switch {
	case r == ' ', r >= '\t' && r <= '\r', r >= 0x1c && r <= 0x1f:
		return true
	case r < 0x85:
		return false
	case r == 0x85, r == 0xa0, r == 0x1680, r >= 0x2000 && r <= 0x200a,
		r == 0x2028, r == 0x2029, r == 0x202f, r == 0x205f, r == 0x3000:
		return true
	}
	return false
}

// skipSpace returns the index of the first non-whitespace rune at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) {
				i++
				continue
			}
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !isSpace(r) {
			return i
		}
		i += n
	}
	return i
}

// trimSpaceRight returns the index just after the last non-whitespace rune
// of s[:end].
func trimSpaceRight(s string, end int) int {
	for end > 0 {
		c := s[end-1]
		if c < utf8.RuneSelf {
			if c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) {
				end--
				continue
			}
			return end
		}
		r, n := utf8.DecodeLastRuneInString(s[:end])
		if r == utf8.RuneError && n == 1 || !isSpace(r) {
			return end
		}
		end -= n
	}
	return end
}

// trimSpace removes leading and trailing Python whitespace (str.strip()).
func trimSpace(s string) string {
	i := skipSpace(s, 0)
	if i == len(s) {
		return ""
	}
	return s[i:trimSpaceRight(s, len(s))]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

func skipSep(s string, i int) int {
	if i < len(s) && isSep(s[i]) {
		return i + 1
	}
	return i
}

// digitRun returns the run of ASCII digits at i and the index after it.
func digitRun(s string, i int) (string, int) {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return s[i:j], j
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// The non-ASCII letters that Python's case-insensitive matching equates with
// ASCII letters, in UTF-8.
const (
	capitalIDot  = "\u0130" // İ matches i; lower-cases to "i\u0307"
	dotlessI     = "\u0131" // ı matches i; lower-cases to itself
	longS        = "\u017f" // ſ matches s; lower-cases to itself
	kelvin       = "\u212a" // K matches k; lower-cases to "k"
	combiningDot = "\u0307"
)

// foldAt reports whether s[i:] starts with a character that matches the
// lower-case ASCII letter c case-insensitively, and returns its length and
// whether it is one of the non-ASCII equivalents.
func foldAt(s string, i int, c byte) (n int, odd bool) {
	if i >= len(s) {
		return 0, false
	}
	if x := s[i]; x == c || (x >= 'A' && x <= 'Z' && x+'a'-'A' == c) {
		return 1, false
	}
	if s[i] < utf8.RuneSelf {
		return 0, false
	}
	switch c {
	case 'i':
		if strings.HasPrefix(s[i:], capitalIDot) || strings.HasPrefix(s[i:], dotlessI) {
			return 2, true
		}
	case 's':
		if strings.HasPrefix(s[i:], longS) {
			return 2, true
		}
	case 'k':
		if strings.HasPrefix(s[i:], kelvin) {
			return 3, true
		}
	}
	return 0, false
}

// matchWord matches the lower-case ASCII word w case-insensitively at s[i:],
// returning the index after it (0 when it does not match).
func matchWord(s string, i int, w string) (end int, odd bool) {
	for k := 0; k < len(w); k++ {
		n, o := foldAt(s, i, w[k])
		if n == 0 {
			return 0, false
		}
		odd = odd || o
		i += n
	}
	return i, odd
}

// preLabels are the pre-release spellings, longest first where one is a
// prefix of another, with their normal forms.
var preLabels = [...]struct{ word, norm string }{
	{"preview", "rc"}, {"pre", "rc"}, {"alpha", "a"}, {"a", "a"},
	{"beta", "b"}, {"b", "b"}, {"rc", "rc"}, {"c", "rc"},
}

var postLabels = [...]struct{ word, norm string }{
	{"post", "post"}, {"rev", "post"}, {"r", "post"},
}

// matchPreLabel matches a pre-release label at s[i:]. label is its normal
// form; a spelling with a non-ASCII letter keeps its lower-cased text, as
// packaging does (its mapping only knows the ASCII spellings).
func matchPreLabel(s string, i int) (end int, label string, odd bool) {
	if i >= len(s) {
		return 0, "", false
	}
	switch s[i] | 0x20 {
	case 'p', 'a', 'b', 'r', 'c':
	default:
		return 0, "", false
	}
	for _, l := range preLabels {
		if e, o := matchWord(s, i, l.word); e > 0 {
			if o {
				return e, lowerVersionText(s[i:e]), true
			}
			return e, l.norm, false
		}
	}
	return 0, "", false
}

func matchPostLabel(s string, i int) (end int, label string, odd bool) {
	if i >= len(s) || (s[i]|0x20 != 'p' && s[i]|0x20 != 'r') {
		return 0, "", false
	}
	for _, l := range postLabels {
		if e, o := matchWord(s, i, l.word); e > 0 {
			if o {
				return e, lowerVersionText(s[i:e]), true
			}
			return e, l.norm, false
		}
	}
	return 0, "", false
}

// localRun returns the index after the run of local-label characters
// ([a-z0-9] case-insensitively) at s[i:].
func localRun(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c), c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			i++
		case c < utf8.RuneSelf:
			return i
		case strings.HasPrefix(s[i:], capitalIDot), strings.HasPrefix(s[i:], dotlessI), strings.HasPrefix(s[i:], longS):
			i += 2
		case strings.HasPrefix(s[i:], kelvin):
			i += 3
		default:
			return i
		}
	}
	return i
}

// lowerVersionText is Python's str.lower() restricted to the characters a
// version label can hold.
func lowerVersionText(s string) string {
	lower := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			lower = false
			break
		}
	}
	if lower {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
			i++
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		case strings.HasPrefix(s[i:], kelvin):
			b.WriteByte('k')
			i += 3
		case strings.HasPrefix(s[i:], capitalIDot):
			b.WriteString("i" + combiningDot)
			i += 2
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// lowerArbitrary lower-cases s as far as it matters for comparing it with a
// normalised version string: every character whose Python lower-case form
// can appear in a normalised version (ASCII capitals, U+0130, U+212A) is
// mapped as Python maps it; any other character can never be equal to a
// version character before or after lower-casing, so it is kept.
func lowerArbitrary(s string) string { return lowerVersionText(s) }

// quoteShort quotes s for an error message, shortening long inputs.
func quoteShort(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
