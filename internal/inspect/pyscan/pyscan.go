// Package pyscan finds dangerous behaviour in Python source: installs at run
// time that bypass airlock, process execution and shell injection,
// obfuscated code, exfiltration of secrets and downloads that get executed,
// and persistence (start-up hooks, shell start-up files, cron, other
// packages' files). Its rules are listed by [Rules]; each finding names one.
//
// The rules work on the syntax tree ([pysyntax]), never on raw text, so the
// same words in comments and strings do not trigger them. Around the tree
// sits a small abstract evaluator that sees through the usual evasions:
//
//   - aliasing: import subprocess as sp; from os import system as s;
//     x = os.system; getattr(os, "sys"+"tem"); __import__("os");
//     importlib.import_module("subprocess"); sys.modules["os"];
//     os.__dict__["system"]; from os import *;
//   - constant folding: concatenation (also implicit and +=), repetition,
//     %-formatting, f-strings, str.join, str.format, replace, [::-1],
//     chr() chains, bytes([...]), os.path.join and pathlib;
//   - decoding of constants: base64 (all variants), base32, base16, hex,
//     ascii85, base85, rot13, zlib, gzip and bz2, applied at scan time;
//   - nesting: code passed to exec/eval/compile, python -c, sh -c and
//     decoded blobs is parsed and scanned in turn (up to [MaxNestDepth]);
//   - data flow: where a value comes from (os.environ, a credential file, a
//     network response, a decoder, a socket) follows it through variables,
//     calls and containers, so that "send os.environ over HTTP" or
//     "exec what was downloaded" is found when the two halves are apart.
//
// The analysis is flow-insensitive and intraprocedural: a name's value is
// what its assignments give it anywhere in the file (the last one wins for
// constants; taints are merged), and values do not flow through function
// parameters. Jupyter notebooks (.ipynb) are scanned cell by cell, with
// %pip/!pip magic lines checked as commands.
package pyscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

// MaxNestDepth bounds how deep code inside code (exec of a string,
// python -c, a decoded blob) is scanned.
const MaxNestDepth = 4

// maxNestedBytes bounds the total size of nested code scanned for one file.
const maxNestedBytes = 4 << 20

// A Scanner scans Python sources and notebooks. It is safe for concurrent
// use; it keeps a pool of parsers.
type Scanner struct {
	parsers sync.Pool
}

// New returns a Scanner.
func New() *Scanner {
	s := &Scanner{}
	s.parsers.New = func() any { return pysyntax.NewParser() }
	return s
}

func (s *Scanner) parser() *pysyntax.Parser { return s.parsers.Get().(*pysyntax.Parser) }

// ScanSource scans one Python file. path is used in the findings only.
// Findings carry their rule's default action; apply an [inspect.Config] to
// them. A source over [pysyntax.MaxSourceSize] or [pysyntax.MaxParseTime]
// yields an AL901 finding rather than an error; errors are only ctx's.
func (s *Scanner) ScanSource(ctx context.Context, path string, src []byte) ([]inspect.Finding, error) {
	p := s.parser()
	defer s.parsers.Put(p)
	return scanPython(ctx, p, path, src)
}

// ScanFile scans a file by its name: notebooks (.ipynb) cell by cell,
// anything else as Python source.
func (s *Scanner) ScanFile(ctx context.Context, name string, src []byte) ([]inspect.Finding, error) {
	if strings.EqualFold(path.Ext(name), ".ipynb") {
		return s.ScanNotebook(ctx, name, src)
	}
	return s.ScanSource(ctx, name, src)
}

func scanPython(ctx context.Context, p *pysyntax.Parser, path string, src []byte) ([]inspect.Finding, error) {
	a, err := analyze(ctx, p, path, src, 0, false)
	if err != nil {
		if f, ok := notScanned(path, err); ok {
			return []inspect.Finding{f}, nil
		}
		return nil, err
	}
	return a.findings, nil
}

// notScanned turns a parse limit error into an AL901 finding.
func notScanned(path string, err error) (inspect.Finding, bool) {
	if !errors.Is(err, pysyntax.ErrTooLarge) && !errors.Is(err, pysyntax.ErrTimeout) {
		return inspect.Finding{}, false
	}
	return inspect.Finding{
		Rule: RuleNotScanned, Severity: RuleNotScanned.Severity, Action: RuleNotScanned.Action,
		Path: path, Message: "not scanned: " + err.Error(),
	}, true
}

// def is one binding of a name.
type def struct {
	node pysyntax.Node
	kind defKind
}

type defKind uint8

const (
	defPlain defKind = iota // name = node
	defAug                  // name += node
	defElem                 // for name in node; a, b = node: an element of node
	defWith                 // with node as name
)

// analyzer holds the state of one file's scan.
type analyzer struct {
	ctx    context.Context
	parser *pysyntax.Parser
	t      *pysyntax.Tree
	src    []byte
	path   string
	depth  int  // nesting depth (0 for the file itself)
	nb     bool // a notebook cell: installs are AL104

	imports   map[string]string // local name -> qualified name (in any scope)
	star      []string          // modules imported with *
	scope     []int32           // per node: the scope it is in (see scopes)
	classes   map[int32]bool    // scopes that are class bodies
	defs      map[nameKey][]def
	shadowed  map[nameKey]bool // names bound by def, class or parameters
	nameCache map[nameKey]value
	bound     map[string]value // comprehension variables being evaluated
	downloads map[string]bool  // paths that received downloaded data

	steps    int
	memo     map[int32]value
	nested   *int // bytes of nested code scanned so far, shared with sub-analyzers
	findings []inspect.Finding
	seen     map[seenKey]bool

	// at, when set, is where findings of a nested scan are reported, and
	// via says what ran the nested code.
	outer *analyzer
	at    pos
	via   string
}

// nameKey is a name in a scope: the preorder index of the function,
// lambda or class whose body binds it, or 0 for the module.
type nameKey struct {
	scope int32
	name  string
}

type seenKey struct {
	rule string
	line int
}

func analyze(ctx context.Context, p *pysyntax.Parser, path string, src []byte, depth int, nb bool) (*analyzer, error) {
	t, err := p.Parse(ctx, src)
	if err != nil {
		return nil, err
	}
	magics := findMagics(src, t)
	if len(magics) > 0 {
		if t, err = p.Parse(ctx, blank(src, magics)); err != nil {
			return nil, err
		}
	}
	a := &analyzer{
		ctx: ctx, parser: p, t: t, src: src, path: path, depth: depth, nb: nb,
		imports: map[string]string{}, downloads: map[string]bool{}, seen: map[seenKey]bool{},
	}
	zero := 0
	a.nested = &zero
	a.run()
	for _, m := range magics {
		a.checkMagic(m)
	}
	return a, nil
}

func (a *analyzer) run() {
	a.collect()
	a.check()
}

// isScope reports whether n opens a scope for the nodes below it.
func isScope(n pysyntax.Node) bool {
	switch n.Kind() {
	case pysyntax.KindFunctionDefinition, pysyntax.KindLambda, pysyntax.KindClassDefinition:
		return true
	}
	return false
}

// scopes computes the scope of every node. Nodes come in preorder, so a
// parent's scope is known before its children's.
func (a *analyzer) scopes() {
	a.scope = make([]int32, a.t.Len())
	a.classes = map[int32]bool{}
	a.defs = map[nameKey][]def{}
	a.shadowed = map[nameKey]bool{}
	a.nameCache = map[nameKey]value{}
	for n := range a.t.Nodes() {
		p := n.Parent()
		if !p.Valid() {
			continue
		}
		if isScope(p) && n.Field() != pysyntax.FieldName {
			a.scope[n.Index()] = int32(p.Index())
			if p.Is(pysyntax.KindClassDefinition) {
				a.classes[int32(p.Index())] = true
			}
		} else {
			a.scope[n.Index()] = a.scope[p.Index()]
		}
	}
}

// lookup finds the bindings of name as seen from scope s: the scope
// itself, then the enclosing functions (not classes), then the module.
func (a *analyzer) lookup(s int32, name string) (nameKey, []def, bool) {
	start := s
	for {
		k := nameKey{s, name}
		if d := a.defs[k]; len(d) > 0 {
			return k, d, false
		}
		if a.shadowed[k] {
			return k, nil, true
		}
		if s == 0 {
			return k, nil, false
		}
		s = a.scope[s]
		for s != 0 && a.classes[s] && s != start {
			s = a.scope[s]
		}
	}
}

// scopeOf returns the scope of node n.
func (a *analyzer) scopeOf(n pysyntax.Node) int32 {
	if i := n.Index(); n.Valid() && i < len(a.scope) {
		return a.scope[i]
	}
	return 0
}

// collect records imports and bindings (the flow-insensitive symbol table).
func (a *analyzer) collect() {
	a.scopes()
	for n := range a.t.Nodes() {
		switch n.Kind() {
		case pysyntax.KindImportStatement:
			for c := range n.Children() {
				switch c.Kind() {
				case pysyntax.KindDottedName:
					full := string(c.Text())
					first, _, _ := strings.Cut(full, ".")
					a.imports[first] = normRef(first)
				case pysyntax.KindAliasedImport:
					if alias := c.Child(pysyntax.FieldAlias); alias.Valid() {
						a.imports[string(alias.Text())] = normRef(dotted(c.Child(pysyntax.FieldName)))
					}
				}
			}
		case pysyntax.KindImportFromStatement:
			mod := n.Child(pysyntax.FieldModuleName)
			if !mod.Is(pysyntax.KindDottedName) {
				continue // relative imports name the package's own modules
			}
			m := dotted(mod)
			for c := range n.Children() {
				if c.Field() != pysyntax.FieldName {
					if c.Is(pysyntax.KindWildcardImport) {
						a.star = append(a.star, normRef(m))
					}
					continue
				}
				switch c.Kind() {
				case pysyntax.KindDottedName:
					name := dotted(c)
					a.imports[name] = normRef(m + "." + name)
				case pysyntax.KindAliasedImport:
					if alias := c.Child(pysyntax.FieldAlias); alias.Valid() {
						a.imports[string(alias.Text())] = normRef(m + "." + dotted(c.Child(pysyntax.FieldName)))
					}
				}
			}
		case pysyntax.KindAssignment:
			if n.Parent().Is(pysyntax.KindAssignment) {
				continue // a = b = x: handled from the outer assignment
			}
			right := n.Child(pysyntax.FieldRight)
			for right.Is(pysyntax.KindAssignment) {
				a.bind(right.Child(pysyntax.FieldLeft), right.Child(pysyntax.FieldRight), defPlain)
				right = right.Child(pysyntax.FieldRight)
			}
			a.bind(n.Child(pysyntax.FieldLeft), right, defPlain)
		case pysyntax.KindAugmentedAssignment:
			if n.Child(pysyntax.FieldOperator).Is(pysyntax.KindPlusEq) {
				a.bind(n.Child(pysyntax.FieldLeft), n.Child(pysyntax.FieldRight), defAug)
			} else {
				a.bind(n.Child(pysyntax.FieldLeft), n.Child(pysyntax.FieldRight), defElem)
			}
		case pysyntax.KindNamedExpression:
			a.bind(n.Child(pysyntax.FieldName), n.Child(pysyntax.FieldValue), defPlain)
		case pysyntax.KindForStatement, pysyntax.KindForInClause:
			a.bind(n.Child(pysyntax.FieldLeft), n.Child(pysyntax.FieldRight), defElem)
		case pysyntax.KindWithItem:
			v := n.Child(pysyntax.FieldValue)
			if v.Is(pysyntax.KindAsPattern) {
				target := v.Child(pysyntax.FieldAlias)
				if target.Is(pysyntax.KindAsPatternTarget) {
					target = target.FirstChild()
				}
				a.bind(target, v.FirstChild(), defWith)
			}
		case pysyntax.KindFunctionDefinition, pysyntax.KindClassDefinition:
			a.shadowed[nameKey{a.scopeOf(n), string(n.Child(pysyntax.FieldName).Text())}] = true
		case pysyntax.KindParameters:
			for c := range n.Children() {
				name := c
				if !c.Is(pysyntax.KindIdentifier) {
					name = c.Child(pysyntax.FieldName)
					if !name.Valid() {
						name = c.FirstChild()
					}
				}
				if name.Is(pysyntax.KindIdentifier) {
					a.shadowed[nameKey{a.scopeOf(name), string(name.Text())}] = true
				}
			}
		}
	}
}

// bind records that target (an identifier, or a tuple/list of them) is
// bound to expr.
func (a *analyzer) bind(target, expr pysyntax.Node, kind defKind) {
	switch target.Kind() {
	case pysyntax.KindIdentifier:
		k := nameKey{a.scopeOf(target), string(target.Text())}
		a.defs[k] = append(a.defs[k], def{expr, kind})
	case pysyntax.KindPatternList, pysyntax.KindTuplePattern, pysyntax.KindListPattern,
		pysyntax.KindTuple, pysyntax.KindList, pysyntax.KindExpressionList, pysyntax.KindParenthesizedExpression:
		// a, b = x, y binds pairwise; a, b = f() binds each to an element.
		var targets, exprs []pysyntax.Node
		for c := range target.Children() {
			targets = append(targets, c)
		}
		if kind == defPlain && (expr.Is(pysyntax.KindExpressionList) || expr.Is(pysyntax.KindTuple) || expr.Is(pysyntax.KindList)) {
			for c := range expr.Children() {
				exprs = append(exprs, c)
			}
		}
		for i, t := range targets {
			if len(exprs) == len(targets) {
				a.bind(t, exprs[i], kind)
			} else {
				a.bind(t, expr, defElem)
			}
		}
	}
}

// dotted returns the text of a dotted name without spaces or comments.
func dotted(n pysyntax.Node) string {
	if !n.Is(pysyntax.KindDottedName) {
		return string(n.Text())
	}
	var parts []string
	for c := range n.Children() {
		parts = append(parts, string(c.Text()))
	}
	return strings.Join(parts, ".")
}

// check runs the rules over every node.
func (a *analyzer) check() {
	for n := range a.t.Nodes() {
		if n.Index()&1023 == 0 && a.ctx.Err() != nil {
			return
		}
		a.steps = 0
		switch n.Kind() {
		case pysyntax.KindCall:
			a.checkCall(n)
		case pysyntax.KindExecStatement:
			a.checkCode(n, n.Child(pysyntax.FieldCode), "exec")
		case pysyntax.KindString:
			if n.EndByte()-n.StartByte() >= minBlobLen {
				a.checkBlob(n)
			}
		case pysyntax.KindBinaryOperator:
			a.checkCharChain(n)
		}
	}
}

// pos is where a finding is reported.
type pos struct{ line, col, off int }

func posOf(n pysyntax.Node) pos { return pos{n.Line(), n.Column(), n.StartByte()} }

// report records a finding at node n.
func (a *analyzer) report(r *inspect.Rule, sev inspect.Severity, n pysyntax.Node, format string, args ...any) {
	a.reportAt(r, sev, posOf(n), format, args...)
}

// reportAt records a finding at p (or, in nested code, where the nested
// code was run).
func (a *analyzer) reportAt(r *inspect.Rule, sev inspect.Severity, p pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	top := a
	for top.outer != nil {
		msg = top.via + ": " + msg
		p = top.at
		top = top.outer
	}
	key := seenKey{r.ID, p.line}
	if top.seen[key] {
		return
	}
	top.seen[key] = true
	if sev == 0 {
		sev = r.Severity
	}
	top.findings = append(top.findings, inspect.Finding{
		Rule: r, Severity: sev, Action: r.Action, Message: msg, Path: top.path,
		Line: p.line, Column: p.col, Snippet: snippet(top.src, p.off),
	})
}

// maxSnippet bounds the source line quoted in a finding.
const maxSnippet = 160

// snippet returns the source line holding byte off, trimmed and shortened.
func snippet(src []byte, off int) string {
	if off > len(src) {
		return ""
	}
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	end := bytes.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += off
	}
	return shorten(strings.TrimSpace(string(src[start:end])), maxSnippet)
}

// shorten cuts s to at most n bytes on a rune boundary, marking the cut,
// and makes it printable.
func shorten(s string, n int) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	s = strings.ReplaceAll(s, hole, "…")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// nest scans code found inside this file (exec of a string, python -c, a
// decoded blob) and reports its findings at node at.
func (a *analyzer) nest(code string, at pos, via string) {
	if a.depth+1 > MaxNestDepth || *a.nested+len(code) > maxNestedBytes || len(code) == 0 {
		return
	}
	*a.nested += len(code)
	// Parse on a fresh tree; our own tree lives in Go memory, so reusing
	// the parser is safe.
	t, err := a.parser.Parse(a.ctx, []byte(code))
	if err != nil {
		return
	}
	sub := &analyzer{
		ctx: a.ctx, parser: a.parser, t: t, src: []byte(code), path: a.path, depth: a.depth + 1, nb: a.nb,
		imports: map[string]string{}, downloads: a.downloads, seen: map[seenKey]bool{},
		nested: a.nested, outer: a, at: at, via: via,
	}
	sub.run()
}
