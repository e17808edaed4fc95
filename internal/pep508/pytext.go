package pep508

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The reference implementation runs on CPython 3.11, whose Unicode database
// is version 14.0; Go's is newer. These are the code points assigned after
// 14.0 that Go's tables know: Python treats them as unassigned (not
// alphanumeric, not cased, not case-ignorable).
var newerThanPython = &unicode.RangeTable{
	R16: []unicode.Range16{{0x0cf3, 0x0cf3, 1}, {0x0ece, 0x0ece, 1}},
	R32: []unicode.Range32{
		{0x10efd, 0x10eff, 1}, {0x1123f, 0x11241, 1}, {0x11b00, 0x11b09, 1}, {0x11f00, 0x11f10, 1},
		{0x11f12, 0x11f3a, 1}, {0x11f3e, 0x11f59, 1}, {0x1342f, 0x1342f, 1}, {0x13439, 0x13455, 1},
		{0x1b132, 0x1b132, 1}, {0x1b155, 0x1b155, 1}, {0x1d2c0, 0x1d2d3, 1}, {0x1df25, 0x1df2a, 1},
		{0x1e030, 0x1e06d, 1}, {0x1e08f, 0x1e08f, 1}, {0x1e4d0, 0x1e4f9, 1}, {0x1f6dc, 0x1f6dc, 1},
		{0x1f774, 0x1f776, 1}, {0x1f77b, 0x1f77f, 1}, {0x1f7d9, 0x1f7d9, 1}, {0x1fa75, 0x1fa77, 1},
		{0x1fa87, 0x1fa88, 1}, {0x1faad, 0x1faaf, 1}, {0x1fabb, 0x1fabd, 1}, {0x1fabf, 0x1fabf, 1},
		{0x1face, 0x1facf, 1}, {0x1fada, 0x1fadb, 1}, {0x1fae8, 0x1fae8, 1}, {0x1faf7, 0x1faf8, 1},
		{0x2b739, 0x2b739, 1}, {0x31350, 0x323af, 1},
	},
}

// isWordRune reports whether r is a word character for Python's \b and \w
// (str patterns): alphanumeric by str.isalnum, or "_".
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return (unicode.IsLetter(r) || unicode.IsNumber(r)) && !unicode.Is(newerThanPython, r)
}

// wordBoundary reports whether Python's \b matches at byte offset i of s.
func wordBoundary(s string, i int) bool {
	before, after := false, false
	if i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		before = !(r == utf8.RuneError && n <= 1) && isWordRune(r)
	}
	if i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		after = !(r == utf8.RuneError && n <= 1) && isWordRune(r)
	}
	return before != after
}

// pyLower is Python's str.lower(): the full Unicode lower-case mapping,
// which differs from the simple one only for U+0130 (to "i" U+0307), and the
// Final_Sigma rule for U+03A3.
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteByte(s[i])
		case r == 0x130:
			b.WriteString("i\u0307")
		case r == 0x3a3:
			if finalSigma(s, i, i+n) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		case unicode.Is(newerThanPython, r):
			b.WriteRune(r)
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += n
	}
	return b.String()
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// finalSigma reports whether the capital sigma at s[start:end] is in the
// Final_Sigma context, as CPython's handle_capital_sigma decides: preceded
// by a cased letter (skipping case-ignorable characters) and not followed
// by one.
func finalSigma(s string, start, end int) bool {
	j := start
	var c rune = -1
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if !caseIgnorable(r) {
			c = r
			break
		}
	}
	if c < 0 || !cased(c) {
		return false
	}
	for j = end; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if !caseIgnorable(r) {
			return !cased(r)
		}
	}
	return true
}

// cased is Unicode's Cased property (Lu, Ll, Lt, Other_Lowercase,
// Other_Uppercase) as of Python's database.
func cased(r rune) bool {
	if unicode.Is(newerThanPython, r) {
		return false
	}
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is Unicode's Case_Ignorable property: Mn, Me, Cf, Lm, Sk
// and the Word_Break classes MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	if unicode.Is(newerThanPython, r) {
		return false
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// pyStringLiteral decodes a quoted-string token ('...' or "...", no prefix)
// as Python's ast.literal_eval does. It rejects what Python rejects (a raw
// newline or carriage return, a NUL, a backslash escaping the closing
// quote, malformed \x, \u and \U escapes) and, as a documented deviation,
// the \N{name} escape and \u/\U escapes of surrogates, which airlock cannot
// represent. Unknown escapes such as "\d" are kept as written.
func pyStringLiteral(tok string) (string, string) {
	body := tok[1 : len(tok)-1]
	if !strings.ContainsAny(body, "\\\r\n\x00") {
		return body, ""
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch c {
		case 0:
			return "", "source code string cannot contain null bytes"
		case '\n', '\r':
			return "", "unterminated string literal"
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(body) {
			return "", "unterminated string literal (the closing quote is escaped)"
		}
		c = body[i]
		switch c {
		case '\n':
			// A line continuation.
		case '\r':
			// "\r\n" and "\r" are newlines for Python's tokenizer.
			if i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := rune(c - '0')
			for k := 0; k < 2 && i+1 < len(body) && body[i+1] >= '0' && body[i+1] <= '7'; k++ {
				i++
				v = v*8 + rune(body[i]-'0')
			}
			b.WriteRune(v)
		case 'x', 'u', 'U':
			n := 2
			switch c {
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			var v rune
			for k := 1; k <= n; k++ {
				if i+k >= len(body) {
					return "", "truncated \\" + string(c) + " escape"
				}
				h := hexVal(body[i+k])
				if h < 0 {
					return "", "truncated \\" + string(c) + " escape"
				}
				v = v<<4 | rune(h)
			}
			i += n
			switch {
			case v > unicode.MaxRune:
				return "", "illegal Unicode character"
			case v >= 0xd800 && v < 0xe000:
				return "", "escapes of surrogates are not supported"
			}
			b.WriteRune(v)
		case 'N':
			return "", "\\N{...} escapes are not supported"
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
