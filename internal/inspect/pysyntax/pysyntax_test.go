package pysyntax

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sexp renders the kept tree under n: (kind field:(kind ...) ...).
func sexp(n Node) string {
	var b strings.Builder
	var walk func(Node)
	walk = func(n Node) {
		if f := n.Field(); f != FieldNone {
			b.WriteString(fieldName(f) + ":")
		}
		b.WriteString("(" + n.KindName())
		if n.Is(KindIdentifier) || n.Is(KindInteger) {
			b.WriteString(" " + string(n.Text()))
		}
		for c := range n.Children() {
			b.WriteString(" ")
			walk(c)
		}
		b.WriteString(")")
	}
	walk(n)
	return b.String()
}

func fieldName(f Field) string {
	for k, v := range fieldNames {
		if v == f {
			return k
		}
	}
	return "?"
}

func mustParse(t testing.TB, src string) *Tree {
	t.Helper()
	tr, err := Parse(context.Background(), []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return tr
}

func TestParseShape(t *testing.T) {
	tests := []struct{ src, want string }{
		{"os.system(x)\n", "(module (expression_statement (call function:(attribute object:(identifier os) attribute:(identifier system)) arguments:(argument_list (identifier x)))))"},
		{"a = 'p' + \"ip\"  # comment os.system\n", "(module (expression_statement (assignment left:(identifier a) right:(binary_operator left:(string (string_start) (string_content) (string_end)) operator:(+) right:(string (string_start) (string_content) (string_end))))))"},
		{"import subprocess as sp\n", "(module (import_statement name:(aliased_import name:(dotted_name (identifier subprocess)) alias:(identifier sp))))"},
		{"from os import system as s, popen\n", "(module (import_from_statement module_name:(dotted_name (identifier os)) name:(aliased_import name:(dotted_name (identifier system)) alias:(identifier s)) name:(dotted_name (identifier popen))))"},
		{"f(shell=True)\n", "(module (expression_statement (call function:(identifier f) arguments:(argument_list (keyword_argument name:(identifier shell) value:(true))))))"},
		{"exec 'x'\n", "(module (exec_statement code:(string (string_start) (string_content) (string_end))))"},
	}
	for _, tt := range tests {
		tr := mustParse(t, tt.src)
		if got := sexp(tr.Root()); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestNavigation(t *testing.T) {
	src := "x = 1\n\ndef f():\n    return os.popen(\"ls\")\n"
	tr := mustParse(t, src)
	var call Node
	for n := range tr.Nodes() {
		if n.Is(KindCall) {
			call = n
		}
	}
	if !call.Valid() {
		t.Fatal("no call node")
	}
	if got := call.Line(); got != 4 {
		t.Errorf("call.Line() = %d, want 4", got)
	}
	if got := call.Column(); got != 12 {
		t.Errorf("call.Column() = %d, want 12", got)
	}
	if got := string(call.Child(FieldFunction).Child(FieldAttribute).Text()); got != "popen" {
		t.Errorf("attribute = %q, want popen", got)
	}
	if got := string(call.Child(FieldArguments).NamedChild(0).Text()); got != `"ls"` {
		t.Errorf("first argument = %q", got)
	}
	if call.Child(FieldObject).Valid() || call.Child(FieldObject).Child(FieldName).Valid() {
		t.Error("missing child should be invalid, and stay invalid")
	}
	// Descendants of the function definition: all of the call and nothing after.
	var def Node
	for n := range tr.Nodes() {
		if n.Is(KindFunctionDefinition) {
			def = n
		}
	}
	var kinds []string
	for d := range def.Descendants() {
		kinds = append(kinds, d.KindName())
		if !def.Contains(d) {
			t.Errorf("Descendants yielded %s outside the definition", d.KindName())
		}
	}
	if len(kinds) < 8 || kinds[0] != "function_definition" {
		t.Errorf("Descendants = %v", kinds)
	}
	if got := call.Parent().Parent().KindName(); got != "block" {
		t.Errorf("call's grandparent = %s, want block", got)
	}
}

func TestColumnCountsCodePoints(t *testing.T) {
	tr := mustParse(t, "s = 'héé'; os.system(s)\n")
	for n := range tr.Nodes() {
		if n.Is(KindCall) {
			if got := n.Column(); got != 12 {
				t.Errorf("Column() = %d, want 12", got)
			}
			return
		}
	}
	t.Fatal("no call")
}

func TestCommentsAreDropped(t *testing.T) {
	tr := mustParse(t, "# os.system('pip install x')\nx = 1  # eval(y)\n")
	for n := range tr.Nodes() {
		if n.KindName() == "comment" || n.Is(KindCall) {
			t.Errorf("found %s node %q in the tree", n.KindName(), n.Text())
		}
	}
}

func TestErrorTolerance(t *testing.T) {
	src := "%pip install evil\nimport os\nos.system('id')\n"
	tr := mustParse(t, src)
	if !tr.HasError() {
		t.Error("HasError() = false for a notebook magic line")
	}
	found := false
	for n := range tr.Nodes() {
		if n.Is(KindCall) && bytes.HasPrefix(n.Text(), []byte("os.system")) {
			found = true
		}
	}
	if !found {
		t.Errorf("the call after the syntax error was lost:\n%s", sexp(tr.Root()))
	}
}

func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte("x\n"), MaxSourceSize/2+1)
	if _, err := Parse(context.Background(), big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(%d bytes) error = %v, want ErrTooLarge", len(big), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Parse(ctx, []byte("x = 1\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("Parse with a cancelled context: error = %v", err)
	}
	tr := mustParse(t, "")
	if tr.Len() != 1 || !tr.Root().Is(KindModule) {
		t.Errorf("empty source: %d nodes, root %s", tr.Len(), tr.Root().KindName())
	}
	// A parser keeps working after a cancelled parse.
	p := NewParser()
	defer p.Close()
	if _, err := p.Parse(ctx, []byte("x=1")); err == nil {
		t.Error("cancelled parse succeeded")
	}
	if tr, err := p.Parse(context.Background(), []byte("y = 2\n")); err != nil || tr.Len() < 3 {
		t.Errorf("parse after cancel: %v", err)
	}
	p.Close()
	p.Close()
}

func TestDeepNesting(t *testing.T) {
	src := strings.Repeat("(", 5000) + "x" + strings.Repeat(")", 5000) + "\n" + strings.Repeat("[", 3000) + "\n"
	tr := mustParse(t, src)
	if tr.Len() < 5000 {
		t.Errorf("deeply nested source: only %d nodes", tr.Len())
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("import os\nos.system('ls')\n"))
	f.Add([]byte("def f(:\n\tpass\n%pip install x\n"))
	f.Add([]byte("s = f'{a!r:>{w}}' rb'\\x00' '''\n"))
	f.Add([]byte{0xff, 0xfe, 0, '(', '\n'})
	p := NewParser()
	f.Cleanup(p.Close)
	f.Fuzz(func(t *testing.T, src []byte) {
		tr, err := p.Parse(context.Background(), src)
		if err != nil {
			return
		}
		for n := range tr.Nodes() {
			if n.StartByte() > n.EndByte() || n.EndByte() > len(src) {
				t.Fatalf("node %s has range %d..%d in %d bytes", n.KindName(), n.StartByte(), n.EndByte(), len(src))
			}
			if p := n.Parent(); p.Valid() && !p.Contains(n) {
				t.Fatal("parent does not contain child")
			}
			_ = n.Column()
		}
	})
}

// BenchmarkParse parses the Python standard library's top-level modules,
// when the system has them.
func BenchmarkParse(b *testing.B) {
	files, _ := filepath.Glob("/usr/lib/python3*/*.py")
	if len(files) == 0 {
		b.Skip("no Python standard library under /usr/lib")
	}
	var srcs [][]byte
	var size int64
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err == nil && len(src) <= MaxSourceSize {
			srcs = append(srcs, src)
			size += int64(len(src))
		}
	}
	p := NewParser()
	defer p.Close()
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, src := range srcs {
			if _, err := p.Parse(context.Background(), src); err != nil {
				b.Fatal(err)
			}
		}
	}
}
