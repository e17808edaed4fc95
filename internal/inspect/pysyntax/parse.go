package pysyntax

/*
#cgo CFLAGS: -std=c11 -O2 -D_POSIX_C_SOURCE=200112L
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The few tree-sitter (v0.25) declarations this file uses, copied from
// tree_sitter/api.h; the runtime itself is compiled and linked by
// github.com/tree-sitter/go-tree-sitter. Doing the parse and the walk in one
// C call avoids go-tree-sitter's per-chunk Go input callback (which copies the
// rest of the source on every read) and a cgo call per node.
typedef struct TSLanguage TSLanguage;
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct { uint32_t row; uint32_t column; } TSPoint;
typedef struct { uint32_t context[4]; const void *id; const TSTree *tree; } TSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;
typedef enum { TSInputEncodingUTF8, TSInputEncodingUTF16LE, TSInputEncodingUTF16BE, TSInputEncodingCustom } TSInputEncoding;
typedef uint32_t (*DecodeFunction)(const uint8_t *string, uint32_t length, int32_t *code_point);
typedef struct {
	void *payload;
	const char *(*read)(void *payload, uint32_t byte_index, TSPoint position, uint32_t *bytes_read);
	TSInputEncoding encoding;
	DecodeFunction decode;
} TSInput;
typedef struct { void *payload; uint32_t current_byte_offset; bool has_error; } TSParseState;
typedef struct { void *payload; bool (*progress_callback)(TSParseState *state); } TSParseOptions;

extern TSParser *ts_parser_new(void);
extern void ts_parser_delete(TSParser *);
extern bool ts_parser_set_language(TSParser *, const TSLanguage *);
extern void ts_parser_reset(TSParser *);
extern TSTree *ts_parser_parse_with_options(TSParser *, const TSTree *, TSInput, TSParseOptions);
extern void ts_tree_delete(TSTree *);
extern TSNode ts_tree_root_node(const TSTree *);
extern TSTreeCursor ts_tree_cursor_new(TSNode);
extern void ts_tree_cursor_delete(TSTreeCursor *);
extern bool ts_tree_cursor_goto_first_child(TSTreeCursor *);
extern bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *);
extern bool ts_tree_cursor_goto_parent(TSTreeCursor *);
extern TSNode ts_tree_cursor_current_node(const TSTreeCursor *);
extern uint16_t ts_tree_cursor_current_field_id(const TSTreeCursor *);
extern uint16_t ts_node_symbol(TSNode);
extern bool ts_node_is_named(TSNode);
extern uint32_t ts_node_start_byte(TSNode);
extern uint32_t ts_node_end_byte(TSNode);
extern TSPoint ts_node_start_point(TSNode);
extern void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t), void *(*)(void *, size_t), void (*)(void *));

// use_libc_allocator points tree-sitter back at libc's allocator.
static void use_libc_allocator(void) { ts_set_allocator(NULL, NULL, NULL, NULL); }

// flat_node is the C twin of the Go type node; keep them in step.
typedef struct {
	uint16_t sym, field;
	uint32_t start, end, row, col;
	int32_t parent, first, next;
} flat_node;

typedef struct { const char *src; uint32_t len; } input_payload;

static const char *read_input(void *payload, uint32_t byte_index, TSPoint pos, uint32_t *bytes_read) {
	input_payload *in = payload;
	if (byte_index >= in->len) { *bytes_read = 0; return ""; }
	*bytes_read = in->len - byte_index;
	return in->src + byte_index;
}

typedef struct { int64_t deadline_ns; volatile int32_t *cancel; } progress_payload;

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool progress(TSParseState *st) {
	progress_payload *p = st->payload;
	if (*p->cancel) return true;
	return now_ns() > p->deadline_ns;
}

enum { FLAT_OK = 0, FLAT_STOPPED = 1, FLAT_NOMEM = 2 };

// flat_parse parses src and writes the kept nodes of the tree in preorder to
// *out (malloc'd; the caller frees it). A node is kept when it is named and
// not a comment, or when it has a field name (operators). Children of a
// dropped node hang from its nearest kept ancestor.
static int flat_parse(TSParser *parser, const char *src, uint32_t len, int64_t timeout_ns,
		volatile int32_t *cancel, uint16_t comment_sym, const uint8_t *op_parent, flat_node **out, uint32_t *count) {
	*out = NULL;
	*count = 0;
	input_payload in = { src, len };
	progress_payload pp = { now_ns() + timeout_ns, cancel };
	TSInput input = { &in, read_input, TSInputEncodingUTF8, NULL };
	TSParseOptions opts = { &pp, progress };
	TSTree *tree = ts_parser_parse_with_options(parser, NULL, input, opts);
	if (tree == NULL) {
		ts_parser_reset(parser);
		return FLAT_STOPPED;
	}
	uint32_t cap = 1024, n = 0;
	flat_node *nodes = malloc(cap * sizeof(flat_node));
	uint32_t scap = 64, depth = 0;
	int32_t *kept = malloc(scap * sizeof(int32_t)); // kept index per cursor depth, or -1
	int32_t *last = malloc(scap * sizeof(int32_t)); // last kept child of that node
	if (!nodes || !kept || !last) goto nomem;
	TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(tree));
	for (;;) {
		TSNode nd = ts_tree_cursor_current_node(&c);
		uint16_t sym = ts_node_symbol(nd);
		bool named = ts_node_is_named(nd);
		// Anonymous tokens are kept only as the operator of an operation;
		// looking up their field anywhere else is wasted work.
		int32_t kp = -1;
		for (int64_t d = (int64_t)depth - 1; d >= 0; d--) {
			if (kept[d] >= 0) { kp = kept[d]; break; }
		}
		uint16_t field = 0;
		if (named || (kp >= 0 && op_parent[nodes[kp].sym])) {
			field = ts_tree_cursor_current_field_id(&c);
		}
		int32_t idx = -1;
		if ((named && sym != comment_sym) || field != 0) {
			if (n == cap) {
				cap *= 2;
				flat_node *g = realloc(nodes, cap * sizeof(flat_node));
				if (!g) { ts_tree_cursor_delete(&c); goto nomem; }
				nodes = g;
			}
			int32_t parent = kp;
			idx = (int32_t)n++;
			flat_node *r = &nodes[idx];
			TSPoint p = ts_node_start_point(nd);
			r->sym = sym;
			r->field = field;
			r->start = ts_node_start_byte(nd);
			r->end = ts_node_end_byte(nd);
			r->row = p.row;
			r->col = p.column;
			r->parent = parent;
			r->first = -1;
			r->next = -1;
			if (parent >= 0) {
				int32_t d = (int32_t)depth - 1;
				while (kept[d] != parent) d--;
				if (last[d] < 0) nodes[parent].first = idx; else nodes[last[d]].next = idx;
				last[d] = idx;
			}
		}
		if (depth == scap) {
			scap *= 2;
			int32_t *k2 = realloc(kept, scap * sizeof(int32_t));
			if (k2) kept = k2;
			int32_t *l2 = realloc(last, scap * sizeof(int32_t));
			if (l2) last = l2;
			if (!k2 || !l2) { ts_tree_cursor_delete(&c); goto nomem; }
		}
		kept[depth] = idx;
		last[depth] = -1;
		if (ts_tree_cursor_goto_first_child(&c)) { depth++; continue; }
		while (!ts_tree_cursor_goto_next_sibling(&c)) {
			if (depth == 0 || !ts_tree_cursor_goto_parent(&c)) goto done;
			depth--;
		}
	}
done:
	ts_tree_cursor_delete(&c);
	ts_tree_delete(tree);
	free(kept);
	free(last);
	*out = nodes;
	*count = n;
	return FLAT_OK;
nomem:
	ts_tree_delete(tree);
	free(nodes);
	free(kept);
	free(last);
	return FLAT_NOMEM;
}

static TSParser *new_parser(const TSLanguage *lang) {
	TSParser *p = ts_parser_new();
	if (p && !ts_parser_set_language(p, lang)) { ts_parser_delete(p); return NULL; }
	return p;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Limits on untrusted source text.
const (
	// MaxSourceSize is the largest source [Parser.Parse] accepts: 4 MiB. The
	// tree of an adversarial file can take tens of bytes per source byte, so
	// this bounds memory too. Real modules are far smaller (the largest in
	// CPython 3.11's standard library is about 400 KiB).
	MaxSourceSize = 4 << 20
	// MaxParseTime bounds the time tree-sitter spends on one source. A
	// normal module takes milliseconds.
	MaxParseTime = 10 * time.Second
)

var (
	// ErrTooLarge is returned for sources larger than [MaxSourceSize].
	ErrTooLarge = errors.New("python source larger than the limit")
	// ErrTimeout is returned when a parse takes longer than [MaxParseTime].
	ErrTimeout = errors.New("python parse took longer than the limit")
)

// go-tree-sitter's init routes every tree-sitter allocation through a Go
// callback (C to Go to C), which made parsing about a third slower; both
// allocators end in libc's malloc, so memory from either can be freed by the
// other.
func init() { C.use_libc_allocator() }

// A Parser parses Python source. It keeps tree-sitter's parser state between
// calls, so reuse one per goroutine; it is not safe for concurrent use. The
// zero value is not usable: call [NewParser].
type Parser struct {
	c       *cParser
	cleanup runtime.Cleanup
}

// cParser is the C side of a Parser.
type cParser struct {
	p      *C.TSParser
	cancel *C.int32_t // C memory: written by Go while C reads it
}

func (c *cParser) free() {
	C.ts_parser_delete(c.p)
	C.free(unsafe.Pointer(c.cancel))
}

// NewParser returns a parser. Close releases its C memory; a parser that
// becomes unreachable without Close (dropped from a sync.Pool, say) is
// released by a cleanup.
func NewParser() *Parser {
	p := C.new_parser((*C.TSLanguage)(language()))
	if p == nil {
		panic("pysyntax: tree-sitter refused the Python grammar (ABI mismatch)")
	}
	cancel := (*C.int32_t)(C.malloc(C.size_t(unsafe.Sizeof(C.int32_t(0)))))
	*cancel = 0
	pp := &Parser{c: &cParser{p: p, cancel: cancel}}
	pp.cleanup = runtime.AddCleanup(pp, (*cParser).free, pp.c)
	return pp
}

// Close releases the parser. It is safe to call more than once.
func (p *Parser) Close() {
	if p.c != nil {
		p.cleanup.Stop()
		p.c.free()
		p.c = nil
	}
}

// Parse parses src, which should be UTF-8 (invalid bytes are tolerated), into
// a [Tree]. Syntax errors do not fail the parse: they appear as [KindError]
// nodes and the rest of the file is still parsed. It fails only for sources
// over [MaxSourceSize], parses over [MaxParseTime], and ctx's cancellation.
func (p *Parser) Parse(ctx context.Context, src []byte) (*Tree, error) {
	if len(src) > MaxSourceSize {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, len(src), MaxSourceSize)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.c == nil {
		return nil, errors.New("pysyntax: parser is closed")
	}
	defer runtime.KeepAlive(p) // the cleanup must not free the C parser mid-parse
	flag := (*int32)(unsafe.Pointer(p.c.cancel))
	atomic.StoreInt32(flag, 0)
	stop := context.AfterFunc(ctx, func() { atomic.StoreInt32(flag, 1) })
	defer stop()

	var srcPtr *C.char
	if len(src) > 0 {
		srcPtr = (*C.char)(unsafe.Pointer(&src[0]))
	}
	var out *C.flat_node
	var count C.uint32_t
	rc := C.flat_parse(p.c.p, srcPtr, C.uint32_t(len(src)), C.int64_t(MaxParseTime), p.c.cancel,
		C.uint16_t(commentSymbol), (*C.uint8_t)(unsafe.Pointer(&operatorParents[0])), &out, &count)
	switch rc {
	case C.FLAT_OK:
	case C.FLAT_STOPPED:
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, ErrTimeout
	default:
		return nil, errors.New("pysyntax: out of memory")
	}
	defer C.free(unsafe.Pointer(out))
	t := &Tree{src: src, nodes: make([]node, int(count))}
	if count > 0 {
		copy(t.nodes, unsafe.Slice((*node)(unsafe.Pointer(out)), int(count)))
	}
	return t, nil
}

// Parse parses src with a parser used only for this call; see [Parser.Parse].
func Parse(ctx context.Context, src []byte) (*Tree, error) {
	p := NewParser()
	defer p.Close()
	return p.Parse(ctx, src)
}

// The layout of node must match flat_node.
var _ = [1]struct{}{}[unsafe.Sizeof(node{})-unsafe.Sizeof(C.flat_node{})]
