package pep508

import (
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// A port of packaging 23.0's _tokenizer.py. Each rule matches at the
// current position the way Python's re.match would with the rule's regular
// expression (leftmost, first alternative that succeeds).

type tokenKind uint8

const (
	tLeftParen tokenKind = iota
	tRightParen
	tLeftBracket
	tRightBracket
	tSemicolon
	tComma
	tQuotedString
	tOp
	tBoolOp
	tIn
	tNot
	tVariable
	tSpecifier
	tAt
	tURL
	tIdentifier
	tWS
	tEnd
)

var tokenNames = [...]string{
	tLeftParen: "LEFT_PARENTHESIS", tRightParen: "RIGHT_PARENTHESIS", tLeftBracket: "LEFT_BRACKET",
	tRightBracket: "RIGHT_BRACKET", tSemicolon: "SEMICOLON", tComma: "COMMA", tQuotedString: "QUOTED_STRING",
	tOp: "OP", tBoolOp: "BOOLOP", tIn: "IN", tNot: "NOT", tVariable: "VARIABLE", tSpecifier: "SPECIFIER",
	tAt: "AT", tURL: "URL", tIdentifier: "IDENTIFIER", tWS: "WS", tEnd: "END",
}

// SyntaxError reports where a requirement or marker stops making sense, like
// packaging's ParserSyntaxError (and its other errors: a bad URL, specifier
// or string literal).
type SyntaxError struct {
	Source     string // the input (shortened when long)
	Start, End int    // byte offsets of the offending span
	Msg        string
}

func (e *SyntaxError) Error() string {
	src := e.Source
	if len(src) > 120 {
		src = src[:120] + "..."
	}
	return e.Msg + " at offset " + strconv.Itoa(e.Start) + " in " + strconv.Quote(src)
}

type tokenizer struct {
	src       string
	pos       int
	next      tokenKind
	text      string // text of the checked token; valid while has
	has       bool
	backslash bool // a quoted string held a backslash
}

// match returns the length of the token of kind k at the current position,
// or -1.
func (t *tokenizer) match(k tokenKind) int {
	s, p := t.src, t.pos
	rest := s[p:]
	one := func(c byte) int {
		if rest != "" && rest[0] == c {
			return 1
		}
		return -1
	}
	switch k {
	case tLeftParen:
		return one('(')
	case tRightParen:
		return one(')')
	case tLeftBracket:
		return one('[')
	case tRightBracket:
		return one(']')
	case tSemicolon:
		return one(';')
	case tComma:
		return one(',')
	case tAt:
		return one('@')
	case tQuotedString:
		if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
			return -1
		}
		if i := strings.IndexByte(rest[1:], rest[0]); i >= 0 {
			return i + 2
		}
		return -1
	case tOp:
		for _, op := range [...]string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"} {
			if strings.HasPrefix(rest, op) {
				return len(op)
			}
		}
		return -1
	case tBoolOp:
		if n := t.word("or"); n > 0 {
			return n
		}
		return t.word("and")
	case tIn:
		return t.word("in")
	case tNot:
		return t.word("not")
	case tVariable:
		if !wordBoundary(s, p) {
			return -1
		}
		for _, name := range variableSpellings {
			if strings.HasPrefix(rest, name) && wordBoundary(s, p+len(name)) {
				return len(name)
			}
		}
		return -1
	case tSpecifier:
		if n := pep440.ScanSpecifier(rest); n > 0 {
			return n
		}
		return -1
	case tURL:
		n := 0
		for n < len(rest) && rest[n] != ' ' && rest[n] != '\t' {
			n++
		}
		if n == 0 {
			return -1
		}
		return n
	case tIdentifier:
		if rest == "" || !isAlnum(rest[0]) || !wordBoundary(s, p) {
			return -1
		}
		n := 1
		for n < len(rest) && (isAlnum(rest[n]) || rest[n] == '.' || rest[n] == '_' || rest[n] == '-') {
			n++
		}
		for ; n > 0; n-- {
			if wordBoundary(s, p+n) {
				return n
			}
		}
		return -1
	case tWS:
		n := 0
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
			n++
		}
		if n == 0 {
			return -1
		}
		return n
	case tEnd:
		// Python's $ also matches before a final newline.
		if rest == "" || rest == "\n" {
			return 0
		}
		return -1
	}
	return -1
}

// word matches \bw\b.
func (t *tokenizer) word(w string) int {
	if strings.HasPrefix(t.src[t.pos:], w) && wordBoundary(t.src, t.pos) && wordBoundary(t.src, t.pos+len(w)) {
		return len(w)
	}
	return -1
}

// variableSpellings are the marker variables in the order of packaging's
// VARIABLE pattern.
var variableSpellings = [...]string{
	"python_version", "python_full_version", "os_name", "os.name", "sys_platform", "sys.platform",
	"platform_release", "platform_system", "platform_version", "platform.version",
	"platform_machine", "platform.machine", "platform_python_implementation",
	"platform.python_implementation", "python_implementation", "implementation_name",
	"implementation_version", "extra",
}

// check reports whether the next token is of kind k; unless peek, the
// token is loaded for read.
func (t *tokenizer) check(k tokenKind, peek bool) bool {
	n := t.match(k)
	if n < 0 {
		return false
	}
	if !peek {
		t.next, t.text, t.has = k, t.src[t.pos:t.pos+n], true
	}
	return true
}

// read consumes the checked token and returns its text.
func (t *tokenizer) read() string {
	text := t.text
	t.pos += len(text)
	t.has = false
	t.text = ""
	return text
}

func (t *tokenizer) consume(k tokenKind) {
	if t.check(k, false) {
		t.read()
	}
}

func (t *tokenizer) expect(k tokenKind, expected string) (string, error) {
	if !t.check(k, false) {
		return "", t.errorf(-1, -1, "Expected "+expected)
	}
	return t.read(), nil
}

// errorf returns a SyntaxError spanning start..end (-1 for the current
// position).
func (t *tokenizer) errorf(start, end int, msg string) error {
	if start < 0 {
		start = t.pos
	}
	if end < 0 {
		end = t.pos
	}
	return &SyntaxError{Source: t.src, Start: start, End: end, Msg: msg}
}

// enclosed runs body between the open and close tokens when the open token
// is next, and without them otherwise, like packaging's enclosing_tokens.
func (t *tokenizer) enclosed(open, close tokenKind, body func() error) error {
	openPos := -1
	if t.check(open, false) {
		openPos = t.pos
		t.read()
	}
	if err := body(); err != nil {
		return err
	}
	if openPos < 0 {
		return nil
	}
	if !t.check(close, false) {
		return t.errorf(openPos, -1, "Expected closing "+tokenNames[close])
	}
	t.read()
	return nil
}
