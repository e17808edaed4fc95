package policy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// leadingName returns the name-like text a requirement line starts with:
// everything up to the first character that ends a PEP 508 name.
func leadingName(line string) string {
	line = strings.TrimLeft(line, " \t")
	end := strings.IndexAny(line, " \t[(;@<>=!~,")
	if end < 0 {
		end = len(line)
	}
	return line[:end]
}

// suspiciousName reports whether s has characters that make a name look
// like another: anything outside printable ASCII.
func suspiciousName(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf || r < ' ' || r == 0x7f {
			return true
		}
	}
	return false
}

// confusables maps characters that look like ASCII letters and digits to
// them: the Cyrillic, Greek and Armenian look-alikes seen in attacks on
// package names (a subset of Unicode's confusables.txt).
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'к': 'k', 'ӏ': 'l',
	'м': 'm', 'п': 'n', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', 'т': 't', 'υ': 'u', 'ѵ': 'v',
	'ԝ': 'w', 'х': 'x', 'у': 'y', 'ʏ': 'y', 'ᴢ': 'z',
	'А': 'a', 'В': 'b', 'С': 'c', 'Е': 'e', 'Н': 'h', 'І': 'i', 'Ј': 'j', 'К': 'k', 'М': 'm', 'О': 'o',
	'Р': 'p', 'Ѕ': 's', 'Т': 't', 'Х': 'x', 'У': 'y',
	'α': 'a', 'β': 'b', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'χ': 'x',
	'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'i', 'Κ': 'k', 'Μ': 'm', 'Ν': 'n', 'Ο': 'o',
	'Ρ': 'p', 'Τ': 't', 'Υ': 'y', 'Χ': 'x',
	'օ': 'o', 'ս': 'u', 'ց': 'g', 'ı': 'i', 'ℓ': 'l', '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-',
}

// asciiSkeleton maps s to the ASCII name it imitates: full-width forms and
// look-alikes become ASCII, invisible characters disappear. It returns ""
// when some character has no ASCII reading.
func asciiSkeleton(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			b.WriteRune(r - 0xFF01 + '!')
		case invisible(r):
		default:
			a, ok := confusables[r]
			if !ok {
				return ""
			}
			b.WriteRune(a)
		}
	}
	return b.String()
}

// invisible reports format and zero-width characters that render as
// nothing.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == 0x034F || r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0
}

// describeOddRunes lists the characters of s outside printable ASCII, for
// a message a person can check: `U+0435 CYRILLIC-LIKE "е"`.
func describeOddRunes(s string) string {
	var parts []string
	seen := map[rune]bool{}
	for _, r := range s {
		if r >= ' ' && r < 0x7f || seen[r] {
			continue
		}
		seen[r] = true
		switch {
		case invisible(r) || r < ' ' || r == 0x7f:
			parts = append(parts, fmt.Sprintf("invisible U+%04X", r))
		default:
			parts = append(parts, fmt.Sprintf("non-ASCII %q (U+%04X)", r, r))
		}
		if len(parts) == 4 {
			parts = append(parts, "…")
			break
		}
	}
	return strings.Join(parts, ", ")
}
