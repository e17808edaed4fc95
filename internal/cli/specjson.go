package cli

import (
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// A small JSON decoder for `airlock spec` requests. It reads exactly the
// request shape (one object of strings, booleans, nulls and one object of
// strings) without reflection, and matches Python's json.loads where it
// matters to the protocol: keys are case-sensitive, the last duplicate wins,
// unknown keys are ignored whatever their value, and a field of the wrong
// type is an error only for the operation that reads it. Lone UTF-16
// surrogates in \u escapes become U+FFFD (Python would keep them).

// Request fields, as bits of specRequest.has and specRequest.bad.
const (
	fOp = 1 << iota
	fVersion
	fA
	fB
	fSpecifier
	fPrereleases
	fRequirement
	fMarker
	fEnvironment
	fName
)

func fieldBit(key string) uint16 {
	switch key {
	case "op":
		return fOp
	case "version":
		return fVersion
	case "a":
		return fA
	case "b":
		return fB
	case "specifier":
		return fSpecifier
	case "prereleases":
		return fPrereleases
	case "requirement":
		return fRequirement
	case "marker":
		return fMarker
	case "environment":
		return fEnvironment
	case "name":
		return fName
	}
	return 0
}

var fieldNames = map[uint16]string{
	fOp: "op", fVersion: "version", fA: "a", fB: "b", fSpecifier: "specifier", fPrereleases: "prereleases",
	fRequirement: "requirement", fMarker: "marker", fEnvironment: "environment", fName: "name",
}

// specRequest is one decoded input line.
type specRequest struct {
	has, bad uint16 // fields present; fields present with the wrong type
	op       string
	version  string
	a, b     string
	spec     string
	req      string
	marker   string
	name     string
	pre      pep440.Prereleases
	env      map[string]string // nil unless the line has an environment object

	// The last environment decoded, kept across lines: clients usually
	// send the same environment with every marker, and decoding it again
	// would cost more than evaluating the marker.
	cache struct {
		raw string
		env map[string]string
		bad bool
	}
}

// field returns a string field; ok is false (with the reason) when it is
// missing or not a string.
func (r *specRequest) field(bit uint16) (string, string) {
	switch {
	case r.bad&bit != 0:
		return "", "field " + quote(fieldNames[bit]) + " must be a string"
	case r.has&bit == 0:
		return "", "missing string field " + quote(fieldNames[bit])
	}
	switch bit {
	case fVersion:
		return r.version, ""
	case fA:
		return r.a, ""
	case fB:
		return r.b, ""
	case fSpecifier:
		return r.spec, ""
	case fRequirement:
		return r.req, ""
	case fMarker:
		return r.marker, ""
	case fName:
		return r.name, ""
	}
	return r.op, ""
}

type jsonDecoder struct {
	s   string
	i   int
	err string
}

// decodeRequest fills req from line; it returns an error message for
// malformed JSON or a line that is not an object.
func decodeRequest(line []byte, req *specRequest) string {
	cache := req.cache
	*req = specRequest{}
	req.cache = cache
	d := &jsonDecoder{s: string(line)}
	d.ws()
	if !d.eat('{') {
		return "bad request: not a JSON object"
	}
	d.ws()
	if !d.eat('}') {
		for {
			d.ws()
			key, ok := d.str()
			if !ok {
				return d.fail("object key")
			}
			d.ws()
			if !d.eat(':') {
				return d.fail("':'")
			}
			d.ws()
			if !d.member(key, req) {
				return d.fail("value")
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			if d.eat('}') {
				break
			}
			return d.fail("',' or '}'")
		}
	}
	d.ws()
	if d.i != len(d.s) {
		return "bad request: extra data after the object"
	}
	return ""
}

func (d *jsonDecoder) fail(what string) string {
	if d.err != "" {
		return "bad request: " + d.err
	}
	return "bad request: expected " + what + " at offset " + itoa(d.i)
}

// member decodes the value of key into req.
func (d *jsonDecoder) member(key string, req *specRequest) bool {
	bit := fieldBit(key)
	if bit == 0 {
		return d.skip(0)
	}
	req.has |= bit
	req.bad &^= bit
	switch bit {
	case fPrereleases:
		switch {
		case d.lit("null"):
			req.pre = pep440.PrereleasesDefault
		case d.lit("true"):
			req.pre = pep440.PrereleasesAllow
		case d.lit("false"):
			req.pre = pep440.PrereleasesExclude
		default:
			req.bad |= bit
			return d.skip(0)
		}
		return true
	case fEnvironment:
		req.env = nil
		if d.lit("null") {
			return true
		}
		if d.peek() != '{' {
			req.bad |= bit
			return d.skip(0)
		}
		start := d.i
		if !d.skip(0) {
			return false
		}
		raw := d.s[start:d.i]
		c := &req.cache
		if raw != c.raw || c.env == nil {
			c.raw, c.bad = raw, false
			c.env = make(map[string]string, 16)
			end := d.i
			d.i = start
			if !d.environment(c) {
				return false
			}
			d.i = end
		}
		req.env = c.env
		if c.bad {
			req.bad |= bit
		}
		return true
	}
	if d.peek() != '"' {
		req.bad |= bit
		return d.skip(0)
	}
	s, ok := d.str()
	if !ok {
		return false
	}
	switch bit {
	case fOp:
		req.op = s
	case fVersion:
		req.version = s
	case fA:
		req.a = s
	case fB:
		req.b = s
	case fSpecifier:
		req.spec = s
	case fRequirement:
		req.req = s
	case fMarker:
		req.marker = s
	case fName:
		req.name = s
	}
	return true
}

// environment decodes an object of strings (null only for "extra", which
// means "") into c.env, noting a value of another type in c.bad.
func (d *jsonDecoder) environment(c *struct {
	raw string
	env map[string]string
	bad bool
}) bool {
	var bad []string // keys whose (last) value is not a string
	d.eat('{')
	d.ws()
	if d.eat('}') {
		return true
	}
	for {
		d.ws()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		switch {
		case d.peek() == '"':
			v, ok := d.str()
			if !ok {
				return false
			}
			c.env[key] = v
			bad = slices.DeleteFunc(bad, func(k string) bool { return k == key })
		case key == "extra" && d.lit("null"):
			c.env[key] = ""
			bad = slices.DeleteFunc(bad, func(k string) bool { return k == key })
		default:
			bad = append(bad, key)
			if !d.skip(0) {
				return false
			}
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		c.bad = len(bad) > 0
		return d.eat('}')
	}
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *jsonDecoder) eat(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *jsonDecoder) lit(w string) bool {
	if strings.HasPrefix(d.s[d.i:], w) {
		d.i += len(w)
		return true
	}
	return false
}

// str decodes a JSON string at the current position.
func (d *jsonDecoder) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], true
		case c == '\\' || c >= utf8.RuneSelf:
			return d.slowStr(start)
		case c < 0x20:
			d.err = "control character in string at offset " + itoa(d.i)
			return "", false
		}
		d.i++
	}
	d.err = "unterminated string"
	return "", false
}

func (d *jsonDecoder) slowStr(start int) (string, bool) {
	var b strings.Builder
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), true
		case c < 0x20:
			d.err = "control character in string at offset " + itoa(d.i)
			return "", false
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(d.s[d.i:])
			b.WriteRune(r) // invalid UTF-8 becomes U+FFFD
			d.i += n
			continue
		case c != '\\':
			b.WriteByte(c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.s) {
			break
		}
		e := d.s[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
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
		case 'u':
			r, ok := d.hex4()
			if !ok {
				d.err = "bad \\u escape"
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if strings.HasPrefix(d.s[d.i:], `\u`) {
					save := d.i
					d.i += 2
					r2, ok := d.hex4()
					if ok {
						if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
							b.WriteRune(c)
							continue
						}
					}
					d.i = save
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			d.err = "bad escape in string"
			return "", false
		}
	}
	d.err = "unterminated string"
	return "", false
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := d.s[d.i+k]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	d.i += 4
	return r, true
}

// skip checks and skips any JSON value (with Python's NaN and Infinity).
func (d *jsonDecoder) skip(depth int) bool {
	if depth > 500 {
		d.err = "nested too deeply"
		return false
	}
	switch c := d.peek(); {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.i++
		d.ws()
		if d.eat(end) {
			return true
		}
		for {
			d.ws()
			if c == '{' {
				if _, ok := d.str(); !ok {
					return false
				}
				d.ws()
				if !d.eat(':') {
					return false
				}
				d.ws()
			}
			if !d.skip(depth + 1) {
				return false
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			return d.eat(end)
		}
	case d.lit("true"), d.lit("false"), d.lit("null"), d.lit("NaN"), d.lit("Infinity"), d.lit("-Infinity"):
		return true
	}
	return d.number()
}

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonDecoder) number() bool {
	digits := func() int {
		n := 0
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	d.eat('-')
	if d.eat('0') {
	} else if digits() == 0 {
		return false
	}
	if d.eat('.') && digits() == 0 {
		return false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

func quote(s string) string { return `"` + s + `"` }

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
