package pep508

import (
	"errors"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// MaxMarkerLength is the longest marker, in bytes, that [ParseMarker]
// accepts. packaging has no limit.
const MaxMarkerLength = 4096

// MaxEnvironmentValueLength is the longest environment value, in bytes,
// that [Marker.Evaluate] accepts. Real values (platform_version is the
// longest) are well under 200 bytes.
const MaxEnvironmentValueLength = 1024

// Marker is a parsed environment marker such as
// `python_version >= "3.8" and sys_platform == "linux"`. It is immutable
// and safe for concurrent use.
type Marker struct {
	list      []mnode
	backslash bool // a quoted value contained a backslash
}

// mnode is one element of packaging's marker list: a comparison, a
// parenthesised sub-list, or the word "and" or "or".
type mnode struct {
	kind     nodeKind
	lhs, rhs markerVar
	op       string
	list     []mnode
}

type nodeKind uint8

const (
	nodeItem nodeKind = iota
	nodeList
	nodeAnd
	nodeOr
)

// markerVar is one side of a comparison: an environment variable (by its
// normal name) or a string value.
type markerVar struct {
	value string
	isVar bool
}

// ParseMarker parses a marker as packaging.markers.Marker(s) does, with one
// deliberate difference: text after a complete marker is an error, as in
// packaging 23.1 and in pip, where packaging 23.0 silently ignored it
// (Marker('os_name == "a" junk') was os_name == "a").
func ParseMarker(s string) (*Marker, error) {
	if len(s) > MaxMarkerLength {
		return nil, &SyntaxError{Source: s, Msg: "marker longer than the limit of 4096 bytes"}
	}
	t := &tokenizer{src: s}
	list, err := t.parseMarker()
	if err != nil {
		return nil, err
	}
	if _, err := t.expect(tEnd, "end of marker expression"); err != nil {
		return nil, err
	}
	return &Marker{list: normalizeExtraValues(list), backslash: t.backslash}, nil
}

// PipReadsDifferently reports whether pip 23.0.1 may read the marker
// differently from packaging 23.0 (and so from airlock): one of its quoted
// values contains a backslash. packaging 23.0 decodes it as a Python string
// escape; the packaging 21.3 that pip 23.0.1 vendors keeps it as written,
// so `sys_platform != "\x6cinux"` is false for airlock on Linux and true for
// pip. PEP 508 allows no backslash in marker strings. A policy should refuse
// such a marker rather than trust its value. It is false for a nil Marker.
func (m *Marker) PipReadsDifferently() bool { return m != nil && m.backslash }

// MustParseMarker is like [ParseMarker] but panics on error.
func MustParseMarker(s string) *Marker {
	m, err := ParseMarker(s)
	if err != nil {
		panic(err)
	}
	return m
}

// parseMarker: marker = marker_atom (BOOLOP marker_atom)*
func (t *tokenizer) parseMarker() ([]mnode, error) {
	atom, err := t.parseMarkerAtom()
	if err != nil {
		return nil, err
	}
	list := []mnode{atom}
	for t.check(tBoolOp, false) {
		kind := nodeAnd
		if t.read() == "or" {
			kind = nodeOr
		}
		right, err := t.parseMarkerAtom()
		if err != nil {
			return nil, err
		}
		list = append(list, mnode{kind: kind}, right)
	}
	return list, nil
}

// parseMarkerAtom: WS? "(" WS? marker WS? ")" WS? | WS? marker_item WS?
func (t *tokenizer) parseMarkerAtom() (mnode, error) {
	t.consume(tWS)
	var node mnode
	if t.check(tLeftParen, true) {
		err := t.enclosed(tLeftParen, tRightParen, func() error {
			t.consume(tWS)
			list, err := t.parseMarker()
			if err != nil {
				return err
			}
			t.consume(tWS)
			node = mnode{kind: nodeList, list: list}
			return nil
		})
		if err != nil {
			return mnode{}, err
		}
	} else {
		item, err := t.parseMarkerItem()
		if err != nil {
			return mnode{}, err
		}
		node = item
	}
	t.consume(tWS)
	return node, nil
}

// parseMarkerItem: WS? marker_var WS? marker_op WS? marker_var WS?
func (t *tokenizer) parseMarkerItem() (mnode, error) {
	t.consume(tWS)
	lhs, err := t.parseMarkerVar()
	if err != nil {
		return mnode{}, err
	}
	t.consume(tWS)
	op, err := t.parseMarkerOp()
	if err != nil {
		return mnode{}, err
	}
	t.consume(tWS)
	rhs, err := t.parseMarkerVar()
	if err != nil {
		return mnode{}, err
	}
	t.consume(tWS)
	return mnode{kind: nodeItem, lhs: lhs, op: op, rhs: rhs}, nil
}

func (t *tokenizer) parseMarkerVar() (markerVar, error) {
	if t.check(tVariable, false) {
		name := strings.ReplaceAll(t.read(), ".", "_")
		if name == "python_implementation" {
			name = "platform_python_implementation"
		}
		return markerVar{value: name, isVar: true}, nil
	}
	if t.check(tQuotedString, false) {
		start := t.pos
		tok := t.read()
		if strings.IndexByte(tok, '\\') >= 0 {
			t.backslash = true
		}
		v, msg := pyStringLiteral(tok)
		if msg != "" {
			return markerVar{}, t.errorf(start, t.pos, "Invalid string literal: "+msg)
		}
		return markerVar{value: v}, nil
	}
	return markerVar{}, t.errorf(-1, -1, "Expected a marker variable or quoted string")
}

func (t *tokenizer) parseMarkerOp() (string, error) {
	switch {
	case t.check(tIn, false):
		t.read()
		return "in", nil
	case t.check(tNot, false):
		t.read()
		if _, err := t.expect(tWS, "whitespace after 'not'"); err != nil {
			return "", err
		}
		if _, err := t.expect(tIn, "'in' after 'not'"); err != nil {
			return "", err
		}
		return "not in", nil
	case t.check(tOp, false):
		return t.read(), nil
	}
	return "", t.errorf(-1, -1, "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}

// normalizeExtraValues is packaging's _normalize_extra_values: when the
// first element of the top-level list is a comparison with the variable
// extra, the other side is replaced by its normalised name (as a value,
// even if it was a variable). Later comparisons are left alone.
func normalizeExtraValues(list []mnode) []mnode {
	if len(list) == 0 || list[0].kind != nodeItem {
		return list
	}
	it := list[0]
	switch {
	case it.lhs.isVar && it.lhs.value == "extra":
		it.rhs = markerVar{value: Normalize(it.rhs.value)}
	case it.rhs.isVar && it.rhs.value == "extra":
		it.lhs = markerVar{value: Normalize(it.lhs.value)}
	}
	list[0] = it
	return list
}

// String returns the marker in packaging's canonical form (str(Marker)):
// single spaces around operators, values in double quotes, redundant
// parentheses dropped. Three deliberate differences make it parse back to
// the same marker where packaging's string does not:
//
//   - a value containing '"', '\' or a newline, carriage return or NUL is
//     quoted with ' or escaped (packaging wraps it in "..." unchanged);
//   - parentheses nested directly in parentheses keep one pair (packaging
//     prints `a and ((b or c))` as `a and b or c`, which means something
//     else);
//   - the first comparison is kept in parentheses when it compares extra
//     with a value that is not normalised, which only happens when it was
//     parenthesised (`(extra == "Foo") and x`): without them the parser
//     would normalise the value.
func (m *Marker) String() string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	top := collapse(m.list)
	for i, n := range top {
		if i > 0 {
			b.WriteByte(' ')
		}
		if n.kind == nodeList {
			if c := collapse(n.list); len(c) == 1 {
				n = c[0]
			}
		}
		switch n.kind {
		case nodeItem:
			if i == 0 && extraChanges(n) {
				b.WriteByte('(')
				formatItem(&b, n)
				b.WriteByte(')')
			} else {
				formatItem(&b, n)
			}
		case nodeList:
			formatList(&b, n.list)
		case nodeAnd:
			b.WriteString("and")
		case nodeOr:
			b.WriteString("or")
		}
	}
	return b.String()
}

// collapse unwraps lists that hold nothing but one list.
func collapse(list []mnode) []mnode {
	for len(list) == 1 && list[0].kind == nodeList {
		list = list[0].list
	}
	return list
}

// extraChanges reports whether normalizeExtraValues would change n.
func extraChanges(n mnode) bool {
	switch {
	case n.lhs.isVar && n.lhs.value == "extra":
		return n.rhs.isVar || Normalize(n.rhs.value) != n.rhs.value
	case n.rhs.isVar && n.rhs.value == "extra":
		return n.lhs.isVar || Normalize(n.lhs.value) != n.lhs.value
	}
	return false
}

// formatList writes a nested list of several elements in parentheses.
func formatList(b *strings.Builder, list []mnode) {
	list = collapse(list)
	if len(list) == 1 {
		formatItem(b, list[0])
		return
	}
	b.WriteByte('(')
	for i, n := range list {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch n.kind {
		case nodeItem:
			formatItem(b, n)
		case nodeList:
			formatList(b, n.list)
		case nodeAnd:
			b.WriteString("and")
		case nodeOr:
			b.WriteString("or")
		}
	}
	b.WriteByte(')')
}

func formatItem(b *strings.Builder, n mnode) {
	formatVar(b, n.lhs)
	b.WriteByte(' ')
	b.WriteString(n.op)
	b.WriteByte(' ')
	formatVar(b, n.rhs)
}

func formatVar(b *strings.Builder, v markerVar) {
	if v.isVar {
		b.WriteString(v.value)
		return
	}
	b.WriteString(quoteValue(v.value))
}

// quoteValue writes a marker value as a quoted string that packaging reads
// back as the same value: "v" when that works (packaging's own form), else
// 'v', else "..." with escapes.
func quoteValue(v string) string {
	if survivesQuotes(v, '"') {
		return `"` + v + `"`
	}
	if survivesQuotes(v, '\'') {
		return "'" + v + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\x22`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\x00`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// survivesQuotes reports whether Python reads q+v+q back as v: v has no q,
// no newline, carriage return or NUL, and every backslash is followed by a
// character that does not start an escape sequence.
func survivesQuotes(v string, q byte) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case q, '\n', '\r', 0:
			return false
		case '\\':
			if i+1 == len(v) || strings.IndexByte("\\'\"abfnrtv01234567xuUN\n\r", v[i+1]) >= 0 {
				return false
			}
		}
	}
	return true
}

// UndefinedEnvironmentNameError reports a marker that names a variable the
// environment does not define (packaging raises KeyError).
type UndefinedEnvironmentNameError struct{ Name string }

func (e *UndefinedEnvironmentNameError) Error() string {
	return "undefined environment name " + quoteShort(e.Name)
}

// UndefinedComparisonError reports an operator that is not defined on the
// two values (packaging's UndefinedComparison): ~= or === where the right
// side is not a valid specifier version.
type UndefinedComparisonError struct{ Op, LHS, RHS string }

func (e *UndefinedComparisonError) Error() string {
	return "undefined " + e.Op + " on " + quoteShort(e.LHS) + " and " + quoteShort(e.RHS)
}

// Evaluate reports whether the marker holds in env, as packaging's
// Marker.evaluate(env) does. A nil *Marker (a requirement without one)
// always holds. env maps variable names (python_version,
// sys_platform, ..., and extra) to values; "extra" defaults to "". Unlike
// packaging, which fills missing variables from the running interpreter,
// a missing variable is an [*UndefinedEnvironmentNameError]: airlock
// evaluates markers for another interpreter, whose environment the caller
// must supply. Every comparison is evaluated, left to right, as packaging
// does, so an error anywhere is returned even when the result is already
// decided. Values longer than [MaxEnvironmentValueLength] are an error.
//
// Comparisons follow packaging 23.0: the right side, prefixed by the
// operator, is tried as a version specifier; if that parses, the left side
// must be a version (else an error, packaging's InvalidVersion) and is
// matched with pre-releases allowed. Otherwise "in", "not in" and the
// ordering operators compare strings (by code point) and ~= and === are an
// [*UndefinedComparisonError]. For the variable extra both sides are
// normalised with [Normalize] first. A comparison whose left side is a
// variable takes its right side literally, even when that is a variable
// too (os_name == sys_platform compares os_name with the text
// "sys_platform"); one whose left side is a string looks its right side up
// in env, even when that is a string too ('posix' == 'os_name' compares
// env["os_name"]).
func (m *Marker) Evaluate(env map[string]string) (bool, error) {
	if m == nil {
		return true, nil
	}
	return evaluate(m.list, env)
}

func evaluate(list []mnode, env map[string]string) (bool, error) {
	// any(all(group) for group in groups), groups split at "or"; every
	// element is evaluated.
	result, group := false, true
	for _, n := range list {
		switch n.kind {
		case nodeOr:
			result = result || group
			group = true
		case nodeAnd:
		case nodeList:
			v, err := evaluate(n.list, env)
			if err != nil {
				return false, err
			}
			group = group && v
		case nodeItem:
			v, err := evalItem(n, env)
			if err != nil {
				return false, err
			}
			group = group && v
		}
	}
	return result || group, nil
}

func lookup(env map[string]string, key string) (string, error) {
	if v, ok := env[key]; ok {
		if len(v) > MaxEnvironmentValueLength {
			return "", errors.New("environment value of " + quoteShort(key) + " longer than the limit of 1024 bytes")
		}
		return v, nil
	}
	if key == "extra" {
		return "", nil
	}
	return "", &UndefinedEnvironmentNameError{Name: key}
}

func evalItem(n mnode, env map[string]string) (bool, error) {
	var lhs, rhs, key string
	var err error
	if n.lhs.isVar {
		key = n.lhs.value
		if lhs, err = lookup(env, key); err != nil {
			return false, err
		}
		rhs = n.rhs.value
	} else {
		lhs = n.lhs.value
		key = n.rhs.value
		if rhs, err = lookup(env, key); err != nil {
			return false, err
		}
	}
	if key == "extra" {
		lhs, rhs = Normalize(lhs), Normalize(rhs)
	}
	return evalOp(lhs, n.op, rhs)
}

// evalOp is packaging's _eval_op.
func evalOp(lhs, op, rhs string) (bool, error) {
	if spec, err := pep440.ParseSpecifier(op + rhs); err == nil {
		v, err := pep440.Parse(lhs)
		if err != nil {
			return false, err
		}
		return spec.Match(v, pep440.PrereleasesAllow)
	}
	switch op {
	case "in":
		return strings.Contains(rhs, lhs), nil
	case "not in":
		return !strings.Contains(rhs, lhs), nil
	case "<":
		return lhs < rhs, nil
	case "<=":
		return lhs <= rhs, nil
	case "==":
		return lhs == rhs, nil
	case "!=":
		return lhs != rhs, nil
	case ">=":
		return lhs >= rhs, nil
	case ">":
		return lhs > rhs, nil
	}
	return false, &UndefinedComparisonError{Op: op, LHS: lhs, RHS: rhs}
}
