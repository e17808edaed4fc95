package pep508

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// MaxRequirementLength is the longest requirement, in bytes, that
// [ParseRequirement] accepts. packaging has no limit; it is below CPython's
// 4,300-digit limit on integer conversion, so that limit never makes
// packaging fail on a requirement airlock accepts.
const MaxRequirementLength = 4096

// Requirement is a parsed dependency specifier (PEP 508) such as
// `requests[socks]>=2.31; python_version >= "3.8"` or `pkg @ https://...`.
type Requirement struct {
	Name      string              // as written
	Extras    []string            // as written, deduplicated and sorted (packaging keeps a set)
	Specifier pep440.SpecifierSet // empty when there is none (always with a URL)
	URL       string              // "" unless "name @ URL"
	Marker    *Marker             // nil when there is none
}

// ParseRequirement parses s as packaging.requirements.Requirement(s) does
// (see the package documentation for what that accepts). The error is a
// [*SyntaxError].
func ParseRequirement(s string) (*Requirement, error) {
	if len(s) > MaxRequirementLength {
		return nil, &SyntaxError{Source: s, Msg: "requirement longer than the limit of 4096 bytes"}
	}
	t := &tokenizer{src: s}
	t.consume(tWS)
	name, err := t.expect(tIdentifier, "package name at the start of dependency specifier")
	if err != nil {
		return nil, err
	}
	t.consume(tWS)
	extras, err := t.parseExtras()
	if err != nil {
		return nil, err
	}
	t.consume(tWS)
	r := &Requirement{Name: name}
	specStart := t.pos
	url, spec, marker, err := t.parseRequirementDetails()
	if err != nil {
		return nil, err
	}
	if _, err := t.expect(tEnd, "end of dependency specifier"); err != nil {
		return nil, err
	}
	if url != "" {
		if msg := checkURL(url); msg != "" {
			return nil, &SyntaxError{Source: s, Start: specStart, End: len(s), Msg: msg}
		}
		r.URL = url
	}
	if len(extras) > 0 {
		slices.Sort(extras)
		r.Extras = slices.Compact(extras)
	}
	if r.Specifier, err = pep440.ParseSpecifierSet(spec); err != nil {
		return nil, &SyntaxError{Source: s, Start: specStart, End: len(s), Msg: err.Error()}
	}
	if marker != nil {
		r.Marker = &Marker{list: normalizeExtraValues(marker), backslash: t.backslash}
	}
	return r, nil
}

// MustParseRequirement is like [ParseRequirement] but panics on error.
func MustParseRequirement(s string) *Requirement {
	r, err := ParseRequirement(s)
	if err != nil {
		panic(err)
	}
	return r
}

// parseExtras: (LEFT_BRACKET WS? extras_list? WS? RIGHT_BRACKET)?
func (t *tokenizer) parseExtras() ([]string, error) {
	if !t.check(tLeftBracket, true) {
		return nil, nil
	}
	var extras []string
	err := t.enclosed(tLeftBracket, tRightBracket, func() error {
		t.consume(tWS)
		var err error
		extras, err = t.parseExtrasList()
		t.consume(tWS)
		return err
	})
	return extras, err
}

// parseExtrasList: identifier (WS? "," WS? identifier)*
func (t *tokenizer) parseExtrasList() ([]string, error) {
	if !t.check(tIdentifier, false) {
		return nil, nil
	}
	extras := []string{t.read()}
	for {
		t.consume(tWS)
		if t.check(tIdentifier, true) {
			return nil, t.errorf(-1, -1, "Expected comma between extra names")
		} else if !t.check(tComma, false) {
			break
		}
		t.read()
		t.consume(tWS)
		extra, err := t.expect(tIdentifier, "extra name after comma")
		if err != nil {
			return nil, err
		}
		extras = append(extras, extra)
	}
	return extras, nil
}

// parseRequirementDetails: AT URL (WS requirement_marker?)?
// | specifier WS? requirement_marker?
func (t *tokenizer) parseRequirementDetails() (url, spec string, marker []mnode, err error) {
	if t.check(tAt, false) {
		t.read()
		t.consume(tWS)
		urlStart := t.pos
		if url, err = t.expect(tURL, "URL after @"); err != nil {
			return
		}
		if t.check(tEnd, true) {
			return
		}
		if _, err = t.expect(tWS, "whitespace after URL"); err != nil {
			return
		}
		if t.check(tEnd, true) {
			return
		}
		marker, err = t.parseRequirementMarker(urlStart, "URL and whitespace")
		return
	}
	specStart := t.pos
	if spec, err = t.parseSpecifier(); err != nil {
		return
	}
	t.consume(tWS)
	if t.check(tEnd, true) {
		return
	}
	after := "name and no valid version specifier"
	if spec != "" {
		after = "version specifier"
	}
	marker, err = t.parseRequirementMarker(specStart, after)
	return
}

// parseRequirementMarker: SEMICOLON marker WS?
func (t *tokenizer) parseRequirementMarker(spanStart int, after string) ([]mnode, error) {
	if !t.check(tSemicolon, false) {
		return nil, t.errorf(spanStart, -1, "Expected end or semicolon (after "+after+")")
	}
	t.read()
	marker, err := t.parseMarker()
	if err != nil {
		return nil, err
	}
	t.consume(tWS)
	return marker, nil
}

// parseSpecifier: "(" WS? version_many WS? ")" | WS? version_many WS?
func (t *tokenizer) parseSpecifier() (string, error) {
	var spec string
	err := t.enclosed(tLeftParen, tRightParen, func() error {
		t.consume(tWS)
		spec = t.parseVersionMany()
		t.consume(tWS)
		return nil
	})
	return spec, err
}

// parseVersionMany: (SPECIFIER (WS? "," WS? SPECIFIER)*)? — the token texts
// are concatenated (without the whitespace) and a trailing comma is kept.
func (t *tokenizer) parseVersionMany() string {
	// Without whitespace between the tokens the result is a slice of the
	// input; otherwise it is built.
	start, end := t.pos, t.pos
	var b []byte
	for t.check(tSpecifier, false) {
		b, end = t.appendToken(b, start, end)
		t.consume(tWS)
		if !t.check(tComma, false) {
			break
		}
		b, end = t.appendToken(b, start, end)
		t.consume(tWS)
	}
	if b != nil {
		return string(b)
	}
	return t.src[start:end]
}

// appendToken reads the checked token and adds it to the text being built
// from start..end of the source, copying into b only once the tokens stop
// being contiguous.
func (t *tokenizer) appendToken(b []byte, start, end int) ([]byte, int) {
	pos := t.pos
	text := t.read()
	if b == nil && pos == end {
		return nil, t.pos
	}
	if b == nil {
		b = append(make([]byte, 0, 64), t.src[start:end]...)
	}
	return append(b, text...), end
}

// CanonicalName returns the PEP 503 normal form of the name.
func (r *Requirement) CanonicalName() string { return Normalize(r.Name) }

// String returns the requirement in packaging's canonical form
// (str(Requirement)): name, sorted extras, sorted specifiers, "@ URL",
// "; marker". ParseRequirement(r.String()) gives back an equal requirement
// (see [Marker.String] for the two places where this needs a form other
// than packaging's).
func (r *Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(r.Extras, ","))
		b.WriteByte(']')
	}
	b.WriteString(r.Specifier.String())
	if r.URL != "" {
		b.WriteString("@ ")
		b.WriteString(r.URL)
		if r.Marker != nil {
			b.WriteByte(' ')
		}
	}
	if r.Marker != nil {
		b.WriteString("; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}

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
