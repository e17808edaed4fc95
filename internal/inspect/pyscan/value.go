package pyscan

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

// Limits on constant folding, so hostile code cannot make the scanner
// build huge strings or follow long chains.
const (
	// MaxFoldSize is the largest string or bytes value the evaluator
	// builds (by concatenation, repetition or decoding); larger results
	// become unknown.
	MaxFoldSize = 1 << 20
	// MaxSeqLen is the longest list or tuple the evaluator keeps.
	MaxSeqLen = 1 << 16
	// maxEvalDepth bounds the recursion of the evaluator. Chains of +
	// are folded in a loop, so only real nesting counts.
	maxEvalDepth = 256
	// maxEvalSteps bounds the evaluator's work for one checked node (the
	// budget starts afresh at each, so padding early in a file cannot
	// exhaust it for the code that follows).
	maxEvalSteps = 1_000_000
)

// hole stands for an unknown part of a partly known string.
const hole = "\uffff"

// taint marks where a value's data comes from.
type taint uint16

const (
	tEnvAll   taint = 1 << iota // the whole environment (os.environ, its copy, items, ...)
	tEnvVar                     // one environment variable
	tCred                       // the contents of a credential file
	tDownload                   // data received from the network
	tDecoded                    // the output of a decoder: base64, zlib, marshal, hex, chr()
	tSocket                     // a socket, or something derived from one (its fileno)
	tSitePkg                    // a path in site-packages or in another package
)

type vkind uint8

const (
	vUnknown vkind = iota
	vStr
	vBytes
	vInt
	vSeq
	vNone
)

// A value is what the evaluator knows about an expression: a constant
// (maybe with holes), a reference to a module or function (ref), where its
// data comes from (taint), and for file objects the path they were opened on.
type value struct {
	kind   vkind
	exact  bool // the whole value is known (no holes, no unknown items)
	s      string
	n      int64
	items  []value
	ref    string // qualified name: "os.system", "builtins.eval", "socket.socket()" for an instance
	taint  taint
	folded bool // computed by folding, not a single plain literal
	isPath bool // a pathlib path
	file   *fileVal
}

// fileVal is an open file: its path and whether it was opened for writing.
type fileVal struct {
	path  value
	write bool
}

var unknown = value{}

func strVal(s string) value   { return value{kind: vStr, exact: !strings.Contains(s, hole), s: s} }
func bytesVal(s string) value { return value{kind: vBytes, exact: !strings.Contains(s, hole), s: s} }
func refVal(ref string) value { return value{ref: ref} }
func intVal(n int64) value    { return value{kind: vInt, exact: true, n: n} }

func (v value) isStr() bool { return v.kind == vStr || v.kind == vBytes }

// text returns the value as text, holes included, and whether it is text.
func (v value) text() (string, bool) {
	switch v.kind {
	case vStr, vBytes:
		return v.s, true
	case vInt:
		if v.exact {
			return strconv.FormatInt(v.n, 10), true
		}
	}
	return hole, false
}

// withTaint returns v with extra taint.
func (v value) withTaint(t taint) value { v.taint |= t; return v }

// seqTaint is the union of the taints of vs.
func seqTaint(vs []value) taint {
	var t taint
	for _, v := range vs {
		t |= v.taint
	}
	return t
}

// concat joins two strings or bytes (holes stay holes).
func concat(a, b value) value {
	if !a.isStr() || !b.isStr() {
		return value{taint: a.taint | b.taint, folded: true}
	}
	if len(a.s)+len(b.s) > MaxFoldSize {
		return value{kind: a.kind, s: hole, taint: a.taint | b.taint, folded: true}
	}
	r := value{kind: a.kind, s: a.s + b.s, exact: a.exact && b.exact, taint: a.taint | b.taint, folded: true, isPath: a.isPath}
	return r
}

// holeStr is a string whose contents are unknown, with taint t.
func holeStr(t taint) value { return value{kind: vStr, s: hole, taint: t, folded: true} }

// --- string literals

// literal decodes a string node (with its prefix, escapes and f-string
// interpolations).
func (a *analyzer) literal(n pysyntax.Node, depth int) value {
	var prefix string
	var b strings.Builder
	exact := true
	var t taint
	isBytes, raw, isF := false, false, false
	for c := range n.Children() {
		switch c.Kind() {
		case pysyntax.KindStringStart:
			st := c.Text()
			i := bytes.IndexAny(st, `"'`)
			if i < 0 {
				i = len(st)
			}
			prefix = strings.ToLower(string(st[:i]))
			isBytes = strings.Contains(prefix, "b")
			raw = strings.Contains(prefix, "r")
			isF = strings.Contains(prefix, "f")
		case pysyntax.KindStringContent:
			txt := string(c.Text())
			if isF {
				txt = strings.ReplaceAll(strings.ReplaceAll(txt, "{{", "{"), "}}", "}")
			}
			if raw {
				b.WriteString(txt)
			} else {
				s, ok := unescape(txt, isBytes)
				exact = exact && ok
				b.WriteString(s)
			}
		case pysyntax.KindInterpolation:
			v := a.eval(c.Child(pysyntax.FieldExpression), depth+1)
			t |= v.taint
			if s, ok := v.text(); ok && v.exact && !c.Child(pysyntax.FieldFormatSpecifier).Valid() {
				b.WriteString(s)
			} else {
				if s, ok := v.text(); ok {
					b.WriteString(s)
				} else {
					b.WriteString(hole)
				}
				exact = false
			}
		}
		if b.Len() > MaxFoldSize {
			return value{kind: vStr, s: hole, taint: t}
		}
	}
	v := value{kind: vStr, s: b.String(), exact: exact, taint: t, folded: isF}
	if isBytes {
		v.kind = vBytes
	}
	return v
}

// unescape decodes Python's backslash escapes. It reports false when an
// escape could not be decoded (\N{...}); that part becomes a hole.
func unescape(s string, isBytes bool) (string, bool) {
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	ok := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 32)
			writeCode(&b, rune(n), isBytes)
			i = j - 1
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if isBytes && e != 'x' {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			if i+1+width > len(s) {
				b.WriteString(hole)
				ok = false
				i = len(s)
				continue
			}
			n, err := strconv.ParseUint(s[i+1:i+1+width], 16, 32)
			if err != nil {
				b.WriteString(hole)
				ok = false
			} else {
				writeCode(&b, rune(n), isBytes)
			}
			i += width
		case 'N':
			if j := strings.IndexByte(s[i:], '}'); !isBytes && j > 0 {
				i += j
				b.WriteString(hole)
				ok = false
			} else {
				b.WriteString(`\N`)
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String(), ok
}

func writeCode(b *strings.Builder, r rune, isBytes bool) {
	if isBytes || r < utf8.RuneSelf {
		b.WriteByte(byte(r))
		return
	}
	b.WriteRune(r)
}

// parseInt reads a Python integer literal.
func parseInt(s string) (int64, bool) {
	s = strings.ReplaceAll(strings.ToLower(s), "_", "")
	s = strings.TrimSuffix(s, "l") // Python 2 long
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "0o"):
		base, s = 8, s[2:]
	case strings.HasPrefix(s, "0b"):
		base, s = 2, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8 // Python 2 octal
	}
	n, err := strconv.ParseInt(s, base, 64)
	return n, err == nil
}

// --- decoders

// decode applies a named decoding to exact bytes: base64, base32, base16,
// ascii85, base85, hex, rot13, zlib, gzip, bz2. It returns false when the
// input is not valid for it or the output exceeds MaxFoldSize.
func decode(kind string, in string) (string, bool) {
	var out []byte
	var err error
	switch kind {
	case "base64":
		out, err = decodeBase64(in, base64.StdEncoding)
	case "urlsafe_base64":
		out, err = decodeBase64(in, base64.URLEncoding)
	case "base32":
		out, err = base32.StdEncoding.DecodeString(stripSpace(in))
	case "base16", "hex":
		out, err = hex.DecodeString(stripSpace(in))
	case "ascii85":
		s := strings.TrimSuffix(strings.TrimPrefix(stripSpace(in), "<~"), "~>")
		buf := make([]byte, len(s))
		var n int
		n, _, err = ascii85.Decode(buf, []byte(s), true)
		out = buf[:n]
	case "base85":
		out, err = decodeBase85(stripSpace(in))
	case "rot13":
		return rot13(in), true
	case "zlib":
		var r io.ReadCloser
		if r, err = zlib.NewReader(strings.NewReader(in)); err == nil {
			out, err = readBounded(r)
		}
	case "gzip":
		var r io.ReadCloser
		if r, err = gzip.NewReader(strings.NewReader(in)); err == nil {
			out, err = readBounded(r)
		}
	case "bz2":
		out, err = readBounded(io.NopCloser(bzip2.NewReader(strings.NewReader(in))))
	default:
		return "", false
	}
	if err != nil || len(out) > MaxFoldSize {
		return "", false
	}
	return string(out), true
}

func decodeBase64(in string, enc *base64.Encoding) ([]byte, error) {
	s := stripSpace(in)
	if r := len(s) % 4; r != 0 {
		s += strings.Repeat("=", 4-r) // Python's decoder is lenient about padding
	}
	if strings.ContainsAny(s, "-_") && !strings.ContainsAny(s, "+/") {
		enc = base64.URLEncoding
	}
	return enc.DecodeString(s)
}

func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

func readBounded(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, MaxFoldSize+1))
	if err != nil && len(b) == 0 {
		return nil, err
	}
	return b, nil
}

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// decodeBase85 decodes Python's base64.b85decode alphabet.
func decodeBase85(s string) ([]byte, error) {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
	var idx [256]int
	for i := range idx {
		idx[i] = -1
	}
	for i := range len(alphabet) {
		idx[alphabet[i]] = i
	}
	pad := (5 - len(s)%5) % 5
	s += strings.Repeat("~", pad)
	out := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var acc uint64
		for j := range 5 {
			d := idx[s[i+j]]
			if d < 0 {
				return nil, strconv.ErrSyntax
			}
			acc = acc*85 + uint64(d)
		}
		if acc > 0xffffffff {
			return nil, strconv.ErrRange
		}
		out = append(out, byte(acc>>24), byte(acc>>16), byte(acc>>8), byte(acc))
	}
	return out[:len(out)-pad], nil
}

// decoderFuncs maps decoding functions to the decoding they apply.
var decoderFuncs = map[string]string{
	"base64.b64decode": "base64", "base64.standard_b64decode": "base64", "base64.decodebytes": "base64",
	"base64.decodestring": "base64", "base64.urlsafe_b64decode": "urlsafe_base64", "binascii.a2b_base64": "base64",
	"base64.b32decode": "base32", "base64.b16decode": "base16", "base64.a85decode": "ascii85",
	"base64.b85decode": "base85", "binascii.unhexlify": "hex", "binascii.a2b_hex": "hex",
	"builtins.bytes.fromhex": "hex", "builtins.bytearray.fromhex": "hex", "zlib.decompress": "zlib", "gzip.decompress": "gzip",
	"bz2.decompress": "bz2", "lzma.decompress": "lzma", "marshal.loads": "marshal", "pickle.loads": "pickle",
	"codecs.decode": "", "binascii.a2b_uu": "uu",
}

// codecName maps a codecs / str.decode encoding name to a decoding.
func codecName(enc string) string {
	switch strings.ReplaceAll(strings.ToLower(enc), "-", "_") {
	case "base64", "base_64", "base64_codec":
		return "base64"
	case "hex", "hex_codec":
		return "hex"
	case "rot13", "rot_13":
		return "rot13"
	case "zlib", "zip", "zlib_codec":
		return "zlib"
	case "bz2", "bz2_codec":
		return "bz2"
	}
	return ""
}
