package reqfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// pyIsSpace reports whether Python's str.isspace (and the regular expression
// \s) is true for r.
func pyIsSpace(r rune) bool {
	switch {
	case r >= '\t' && r <= '\r', r >= 0x1c && r <= 0x20, r == 0x85, r == 0xa0,
		r == 0x1680, r >= 0x2000 && r <= 0x200a, r == 0x2028, r == 0x2029,
		r == 0x202f, r == 0x205f, r == 0x3000:
		return true
	}
	return false
}

// pyStrip is Python's str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// decode turns file bytes into text as pip's auto_decode does, within
// the encodings this package supports.
func decode(data []byte) (string, error) {
	// pip's BOM table, in pip's order: BOM_UTF16 is the native (little
	// endian) UTF-16 mark, which also starts a UTF-32-LE mark.
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return decodeUTF8(data[3:], 3)
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		// Python's "utf-16" codec: a second mark picks the byte order,
		// otherwise little endian.
		rest := data[2:]
		switch {
		case bytes.HasPrefix(rest, []byte{0xff, 0xfe}):
			return decodeUTF16(rest[2:], binary.LittleEndian)
		case bytes.HasPrefix(rest, []byte{0xfe, 0xff}):
			return decodeUTF16(rest[2:], binary.BigEndian)
		}
		return decodeUTF16(rest, binary.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return decodeUTF16(data[2:], binary.BigEndian)
	case bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff}):
		return decodeUTF32(data[4:], binary.BigEndian)
	}
	// PEP 263: the first two lines (split at \n only), starting with "#".
	lines := bytes.SplitN(data, []byte("\n"), 3)
	for i, line := range lines {
		if i == 2 {
			break
		}
		if len(line) > 0 && line[0] == '#' {
			if enc, ok := codingDeclaration(line); ok {
				return decodeAs(enc, data)
			}
		}
	}
	return decodeUTF8(data, 0)
}

// codingDeclaration finds pip's ENCODING_RE, rb"coding[:=]\s*([-\w.]+)",
// in line.
func codingDeclaration(line []byte) (string, bool) {
	for i := 0; ; {
		j := bytes.Index(line[i:], []byte("coding"))
		if j < 0 {
			return "", false
		}
		k := i + j + len("coding")
		i = i + j + 1
		if k >= len(line) || (line[k] != ':' && line[k] != '=') {
			continue
		}
		k++
		for k < len(line) && bytes.IndexByte([]byte(" \t\n\r\f\v"), line[k]) >= 0 {
			k++
		}
		start := k
		for k < len(line) && (isWordByte(line[k]) || line[k] == '-' || line[k] == '.') {
			k++
		}
		if k > start {
			return string(line[start:k]), true
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// pyCodecName normalises an encoding name as Python's codec lookup does
// (lower case, then encodings.normalize_encoding).
func pyCodecName(name string) string {
	var b strings.Builder
	punct := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' {
			if punct && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(c)
			punct = false
		} else {
			punct = true
		}
	}
	return b.String()
}

// codecModules are the Python codec modules this package decodes, by
// normalised name.
var codecModules = map[string]string{
	"utf_8": "utf-8", "utf_8_sig": "utf-8-sig", "latin_1": "latin-1", "ascii": "ascii",
}

// codecAliases are Python's aliases (encodings/aliases.py) for them.
var codecAliases = map[string]string{
	// utf_8
	"u8": "utf_8", "utf": "utf_8", "utf8": "utf_8", "utf8_ucs2": "utf_8", "utf8_ucs4": "utf_8", "cp65001": "utf_8",
	// latin_1
	"8859": "latin_1", "cp819": "latin_1", "csisolatin1": "latin_1", "ibm819": "latin_1", "iso8859": "latin_1",
	// latin_1
	"iso8859_1": "latin_1", "iso_8859_1": "latin_1", "iso_8859_1_1987": "latin_1", "iso_ir_100": "latin_1",
	// latin_1
	"l1": "latin_1", "latin": "latin_1", "latin1": "latin_1",
	// ascii
	"646": "ascii", "ansi_x3.4_1968": "ascii", "ansi_x3.4_1986": "ascii", "ansi_x3_4_1968": "ascii",
	// ascii
	"cp367": "ascii", "csascii": "ascii", "ibm367": "ascii", "iso646_us": "ascii", "iso_646.irv_1991": "ascii",
	// ascii
	"iso_ir_6": "ascii", "us": "ascii", "us_ascii": "ascii",
}

// lookupCodec returns the codec a declared encoding name selects, as
// Python's encodings.search_function finds it, or "" for one this package
// does not decode.
func lookupCodec(name string) string {
	n := pyCodecName(name)
	mod, ok := codecAliases[n]
	if !ok {
		mod, ok = codecAliases[strings.ReplaceAll(n, ".", "_")]
	}
	if ok {
		return codecModules[mod]
	}
	return codecModules[n]
}

func decodeAs(name string, data []byte) (string, error) {
	switch lookupCodec(name) {
	case "utf-8":
		return decodeUTF8(data, 0)
	case "utf-8-sig":
		return decodeUTF8(data, 0) // a mark would have been seen already
	case "latin-1":
		r := make([]rune, len(data))
		for i, c := range data {
			r[i] = rune(c)
		}
		return string(r), nil
	case "ascii":
		for i, c := range data {
			if c >= 0x80 {
				return "", fmt.Errorf("%w: byte 0x%02x at offset %d is not ASCII", ErrEncoding, c, i)
			}
		}
		return string(data), nil
	}
	return "", fmt.Errorf("%w: unsupported coding declaration %q", ErrEncoding, name)
}

// utf8Error is invalid UTF-8 at a byte offset of the file.
type utf8Error struct{ off int }

func (e *utf8Error) Error() string { return fmt.Sprintf("invalid UTF-8 at byte %d", e.off) }

func decodeUTF8(data []byte, base int) (string, error) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return "", fmt.Errorf("%w: %w", ErrEncoding, &utf8Error{base + off})
	}
	return string(data), nil
}

func decodeUTF16(data []byte, order binary.ByteOrder) (string, error) {
	if len(data)%2 != 0 {
		return "", fmt.Errorf("%w: truncated UTF-16 data", ErrEncoding)
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	var b strings.Builder
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u < 0xd800 || u > 0xdfff:
			b.WriteRune(rune(u))
		case u <= 0xdbff && i+1 < len(units) && units[i+1] >= 0xdc00 && units[i+1] <= 0xdfff:
			b.WriteRune(utf16.DecodeRune(rune(u), rune(units[i+1])))
			i++
		default:
			return "", fmt.Errorf("%w: unpaired UTF-16 surrogate at offset %d", ErrEncoding, 2*i)
		}
	}
	return b.String(), nil
}

func decodeUTF32(data []byte, order binary.ByteOrder) (string, error) {
	if len(data)%4 != 0 {
		return "", fmt.Errorf("%w: truncated UTF-32 data", ErrEncoding)
	}
	var b strings.Builder
	for i := 0; i < len(data); i += 4 {
		r := rune(order.Uint32(data[i:]))
		if r < 0 || r > utf8.MaxRune || r >= 0xd800 && r <= 0xdfff {
			return "", fmt.Errorf("%w: invalid UTF-32 code point at offset %d", ErrEncoding, i)
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// physLine is a physical line and its 1-based number.
type physLine struct {
	n    int
	text string
}

// splitLines splits text as Python's str.splitlines does.
func splitLines(text string) []physLine {
	lines := make([]physLine, 0, strings.Count(text, "\n")+1)
	n := 1
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		end := -1
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			end = i + size
		case '\r':
			end = i + size
			if end < len(text) && text[end] == '\n' {
				end++
			}
		}
		if end < 0 {
			i += size
			continue
		}
		lines = append(lines, physLine{n, text[start:i]})
		n++
		start, i = end, end
	}
	if start < len(text) {
		lines = append(lines, physLine{n, text[start:]})
	}
	return lines
}

// logicalLine is a line after joining continuations and removing the
// comment: what pip's preprocess yields.
type logicalLine struct {
	first, last int // physical line numbers
	text        string
	// tooLong reports a line (physical or joined) over MaxLineLength; text
	// is then empty.
	tooLong bool
}

// isCommentLine is pip's COMMENT_RE.match: a "#" after optional leading
// whitespace.
func isCommentLine(s string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(s, pyIsSpace), "#")
}

// stripComment is pip's COMMENT_RE.sub("", s): everything from the first
// "#" that starts the line or follows whitespace.
func stripComment(s string) string {
	prevSpace := true // "^" matches at the start
	for i, r := range s {
		if r == '#' && prevSpace {
			return s[:i]
		}
		prevSpace = pyIsSpace(r)
	}
	return s
}

// preprocess is pip's preprocess minus variable expansion: join_lines,
// then ignore_comments. A line over MaxLineLength, physical or joined, is
// returned with tooLong set instead of its text.
func preprocess(text string) []logicalLine {
	phys := splitLines(text)
	out := make([]logicalLine, 0, len(phys))
	emit := func(first, last int, s string) {
		s = pyStrip(stripComment(s))
		if s != "" {
			out = append(out, logicalLine{first: first, last: last, text: s})
		}
	}
	var joined []string
	inJoin, tooLong := false, false
	size, primary, last := 0, 0, 0
	for _, p := range phys {
		last = p.n
		line := p.text
		comment := isCommentLine(line)
		cont := strings.HasSuffix(line, `\`) && !comment
		if !inJoin {
			primary = p.n
		}
		if len(line) > MaxLineLength {
			tooLong = true
		}
		if !cont {
			if comment {
				// pip prefixes a space so that the comment is removed
				// after joining.
				line = " " + line
			}
			size += len(line)
			switch {
			case tooLong || size > MaxLineLength:
				out = append(out, logicalLine{first: primary, last: p.n, tooLong: true})
			case inJoin:
				emit(primary, p.n, strings.Join(append(joined, line), ""))
			default:
				emit(p.n, p.n, line)
			}
			joined, inJoin, tooLong, size = nil, false, false, 0
			continue
		}
		inJoin = true
		part := strings.Trim(line, `\`)
		size += len(part)
		if !tooLong && size <= MaxLineLength {
			joined = append(joined, part)
		}
	}
	if inJoin {
		if tooLong || size > MaxLineLength {
			out = append(out, logicalLine{first: primary, last: last, tooLong: true})
		} else {
			emit(primary, last, strings.Join(joined, ""))
		}
	}
	return out
}

// envVarRefs returns the names of the ${NAME} references in s that pip's
// ENV_VAR_RE, \$\{([A-Z0-9_]+)\}, finds.
func envVarRefs(s string) []string {
	var names []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return names
		}
		j := i + 2
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
			j++
		}
		if j > i+2 && j < len(s) && s[j] == '}' {
			names = append(names, s[i+2:j])
			s = s[j+1:]
		} else {
			s = s[i+2:]
		}
	}
}
