// Package pysyntax parses Python source into a compact syntax tree for
// airlock's source rules.
//
// Parsing uses tree-sitter's Python grammar (github.com/tree-sitter/tree-sitter-python,
// linked through github.com/tree-sitter/go-tree-sitter). tree-sitter is an
// error-tolerant parser: a file with syntax errors still yields a tree in
// which the bad region is an [KindError] node and everything else is parsed
// as usual, which is what a scanner of hostile input needs. It reads Python 2
// constructs too (print and exec statements).
//
// The whole parse and a preorder walk of the result happen in one C call;
// the tree is then copied into Go memory as a flat slice of nodes (32 bytes
// each), so walking it costs no cgo calls and holds no C memory. Only named
// nodes are kept (identifiers, calls, strings, ...), plus the anonymous
// tokens that carry a field name (the operator of a binary operation);
// punctuation, keywords and comments are dropped. Comments therefore never
// reach a rule.
//
// Untrusted input is bounded by [MaxSourceSize] and [MaxParseTime].
package pysyntax

import (
	"iter"
	"unicode/utf8"
)

// node is one kept syntax node; its layout matches the C flat_node.
type node struct {
	sym, field        uint16
	start, end        uint32
	row, col          uint32
	parent, first, nx int32
}

// A Tree is the syntax tree of one source text. It is read-only and safe for
// concurrent use.
type Tree struct {
	src   []byte
	nodes []node
}

// Source returns the text the tree was parsed from.
func (t *Tree) Source() []byte { return t.src }

// Len returns the number of nodes in the tree.
func (t *Tree) Len() int { return len(t.nodes) }

// Root returns the module node; it is invalid only for an empty tree.
func (t *Tree) Root() Node {
	if len(t.nodes) == 0 {
		return Node{}
	}
	return Node{t, 0}
}

// Nodes yields every node in preorder (source order).
func (t *Tree) Nodes() iter.Seq[Node] {
	return func(yield func(Node) bool) {
		for i := range t.nodes {
			if !yield(Node{t, int32(i)}) {
				return
			}
		}
	}
}

// HasError reports whether the tree holds a syntax error.
func (t *Tree) HasError() bool {
	for i := range t.nodes {
		if kindOf[t.nodes[i].sym] == KindError {
			return true
		}
	}
	return false
}

// A Node is a handle on one node of a [Tree]. The zero Node is invalid: its
// methods return zero values, and navigation from it stays invalid, so
// chains like n.Child(FieldFunction).Child(FieldObject) need no checks.
type Node struct {
	t *Tree
	i int32
}

// Valid reports whether n refers to a node.
func (n Node) Valid() bool { return n.t != nil }

func (n Node) at(i int32) Node {
	if i < 0 || n.t == nil {
		return Node{}
	}
	return Node{n.t, i}
}

func (n Node) raw() *node { return &n.t.nodes[n.i] }

// Index returns the node's position in preorder, unique within its tree.
func (n Node) Index() int { return int(n.i) }

// Kind returns the node's kind, or [KindInvalid] for an invalid node.
func (n Node) Kind() Kind {
	if n.t == nil {
		return KindInvalid
	}
	return kindOf[n.raw().sym]
}

// Is reports whether n is valid and of kind k.
func (n Node) Is(k Kind) bool { return n.Kind() == k }

// KindName returns tree-sitter's name for the node's kind ("call",
// "identifier", "+", ...), for messages and debugging.
func (n Node) KindName() string {
	if n.t == nil {
		return ""
	}
	return symbolName(n.raw().sym)
}

// Field returns the field name under which n hangs from its parent.
func (n Node) Field() Field {
	if n.t == nil {
		return FieldNone
	}
	return fieldOf(n.raw().field)
}

// Parent returns the nearest kept ancestor.
func (n Node) Parent() Node {
	if n.t == nil {
		return Node{}
	}
	return n.at(n.raw().parent)
}

// FirstChild returns the first kept child.
func (n Node) FirstChild() Node {
	if n.t == nil {
		return Node{}
	}
	return n.at(n.raw().first)
}

// Next returns the next kept sibling.
func (n Node) Next() Node {
	if n.t == nil {
		return Node{}
	}
	return n.at(n.raw().nx)
}

// Children yields the kept children in order.
func (n Node) Children() iter.Seq[Node] {
	return func(yield func(Node) bool) {
		for c := n.FirstChild(); c.Valid(); c = c.Next() {
			if !yield(c) {
				return
			}
		}
	}
}

// Child returns the first child with field f.
func (n Node) Child(f Field) Node {
	for c := n.FirstChild(); c.Valid(); c = c.Next() {
		if c.Field() == f {
			return c
		}
	}
	return Node{}
}

// NamedChild returns the i'th child (0-based) that has no field name, the
// way positional children (list elements, arguments) hang.
func (n Node) NamedChild(i int) Node {
	for c := n.FirstChild(); c.Valid(); c = c.Next() {
		if c.Field() == FieldNone {
			if i == 0 {
				return c
			}
			i--
		}
	}
	return Node{}
}

// ChildCount returns the number of kept children.
func (n Node) ChildCount() int {
	k := 0
	for c := n.FirstChild(); c.Valid(); c = c.Next() {
		k++
	}
	return k
}

// Contains reports whether m is n or one of its descendants.
func (n Node) Contains(m Node) bool {
	if n.t == nil || n.t != m.t {
		return false
	}
	for ; m.Valid(); m = m.Parent() {
		if m.i == n.i {
			return true
		}
	}
	return false
}

// Descendants yields n and every node below it, in preorder.
func (n Node) Descendants() iter.Seq[Node] {
	return func(yield func(Node) bool) {
		if n.t == nil {
			return
		}
		end := n.subtreeEnd()
		for i := n.i; i < end; i++ {
			if !yield(Node{n.t, i}) {
				return
			}
		}
	}
}

// subtreeEnd returns the preorder index just past n's subtree: the nodes of
// a subtree are contiguous in preorder, and the first node after them is the
// next sibling of n or of its nearest ancestor that has one.
func (n Node) subtreeEnd() int32 {
	for m := n; m.Valid(); m = m.Parent() {
		if nx := m.raw().nx; nx >= 0 {
			return nx
		}
	}
	return int32(len(n.t.nodes))
}

// StartByte and EndByte give the node's byte range in the source.
func (n Node) StartByte() int {
	if n.t == nil {
		return 0
	}
	return int(n.raw().start)
}

// EndByte returns the byte offset just past the node.
func (n Node) EndByte() int {
	if n.t == nil {
		return 0
	}
	return int(n.raw().end)
}

// Text returns the node's source text. It aliases the source: do not modify it.
func (n Node) Text() []byte {
	if n.t == nil {
		return nil
	}
	r := n.raw()
	if int(r.end) > len(n.t.src) || r.start > r.end {
		return nil
	}
	return n.t.src[r.start:r.end]
}

// TextIs reports whether the node's text is s, without allocating.
func (n Node) TextIs(s string) bool { return string(n.Text()) == s }

// Line returns the 1-based line of the node's start.
func (n Node) Line() int {
	if n.t == nil {
		return 0
	}
	return int(n.raw().row) + 1
}

// Column returns the 1-based column of the node's start, counted in Unicode
// code points from the start of the line.
func (n Node) Column() int {
	if n.t == nil {
		return 0
	}
	r := n.raw()
	lineStart := int(r.start) - int(r.col)
	if lineStart < 0 || int(r.start) > len(n.t.src) {
		return int(r.col) + 1
	}
	return utf8.RuneCount(n.t.src[lineStart:r.start]) + 1
}
