package pyscan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

// MaxNotebookSize is the largest notebook ScanNotebook reads: 32 MiB (cell
// outputs, images included, make notebooks much larger than their code).
const MaxNotebookSize = 32 << 20

// ScanNotebook scans the code cells of a Jupyter notebook (nbformat 4, and
// the worksheets of nbformat 3). Findings carry the 1-based index of their
// cell in Cell and the line within the cell in Line. %pip, %conda, !pip and
// %%bash cells are checked as commands.
func (s *Scanner) ScanNotebook(ctx context.Context, path string, src []byte) ([]inspect.Finding, error) {
	if len(src) > MaxNotebookSize {
		return []inspect.Finding{notScannedMsg(path, fmt.Sprintf("notebook larger than the limit (%d bytes, limit %d)", len(src), MaxNotebookSize))}, nil
	}
	var nb struct {
		Cells      []nbCell `json:"cells"`
		Worksheets []struct {
			Cells []nbCell `json:"cells"`
		} `json:"worksheets"`
	}
	if err := json.Unmarshal(src, &nb); err != nil {
		return []inspect.Finding{notScannedMsg(path, "not a readable notebook: "+err.Error())}, nil
	}
	cells := nb.Cells
	for _, w := range nb.Worksheets {
		cells = append(cells, w.Cells...)
	}
	p := s.parser()
	defer s.parsers.Put(p)
	var out []inspect.Finding
	for i, c := range cells {
		if c.CellType != "code" {
			continue
		}
		code := c.text()
		a, err := analyze(ctx, p, path, []byte(code), 0, true)
		if err != nil {
			if f, ok := notScanned(path, err); ok {
				f.Cell = i + 1
				out = append(out, f)
				continue
			}
			return nil, err
		}
		for _, f := range a.findings {
			f.Cell = i + 1
			out = append(out, f)
		}
	}
	return out, nil
}

type nbCell struct {
	CellType string          `json:"cell_type"`
	Source   json.RawMessage `json:"source"`
	Input    json.RawMessage `json:"input"` // nbformat 3
}

// text returns the cell's source, which is a string or a list of strings.
func (c nbCell) text() string {
	raw := c.Source
	if len(raw) == 0 {
		raw = c.Input
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	if json.Unmarshal(raw, &lines) == nil {
		return strings.Join(lines, "")
	}
	return ""
}

func notScannedMsg(path, msg string) inspect.Finding {
	return inspect.Finding{Rule: RuleNotScanned, Severity: RuleNotScanned.Severity, Action: RuleNotScanned.Action, Path: path, Message: "not scanned: " + msg}
}

// A magicLine is an IPython line (or cell) magic or shell escape, which is
// not Python: %pip install x, !ls, files = !ls, %%bash.
type magicLine struct {
	at   pos
	text string // from the % or ! on, continuation lines joined
	cell bool   // a %% cell magic: text runs to the end of the source
	end  int    // byte offset just past the magic
}

var assignMagicRE = regexp.MustCompile(`^[ \t]*[A-Za-z_][\w., \t]*=[ \t]*[!%]`)

// findMagics returns the magic lines of src. A line counts only where
// Python could not parse it (inside an ERROR node) and not inside a string,
// so "%" continuation lines and strings that mention !pip are left alone.
func findMagics(src []byte, t *pysyntax.Tree) []magicLine {
	if !t.HasError() && !bytes.HasPrefix(bytes.TrimLeft(src, " \t\r\n"), []byte("%%")) {
		return nil
	}
	var errs, strs [][2]int
	for n := range t.Nodes() {
		switch n.Kind() {
		case pysyntax.KindError:
			errs = append(errs, [2]int{n.StartByte(), n.EndByte()})
		case pysyntax.KindString:
			strs = append(strs, [2]int{n.StartByte(), n.EndByte()})
		}
	}
	in := func(rs [][2]int, off int) bool {
		for _, r := range rs {
			if off >= r[0] && off < r[1] {
				return true
			}
		}
		return false
	}
	var out []magicLine
	line := 1
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += off
		}
		l := src[off:end]
		trim := bytes.TrimLeft(l, " \t")
		start := off + len(l) - len(trim)
		if loc := assignMagicRE.FindIndex(l); loc != nil {
			start = off + loc[1] - 1
		}
		c := byte(0)
		if start < end {
			c = src[start]
		}
		isMagic := (c == '%' || c == '!') && !bytes.HasPrefix(src[start:end], []byte("!=")) && !in(strs, start)
		if isMagic && bytes.HasPrefix(src[start:end], []byte("%%")) {
			if off == 0 || len(bytes.TrimSpace(src[:off])) == 0 {
				// A cell magic: the rest of the source is its body.
				out = append(out, magicLine{at: pos{line, start - off + 1, start}, text: string(src[start:]), cell: true, end: len(src)})
				return out
			}
		}
		if isMagic && (in(errs, start) || !in(errs, off) && errorNear(t, start)) {
			text := string(src[start:end])
			next := end
			for strings.HasSuffix(text, "\\") && next < len(src) {
				e := bytes.IndexByte(src[next+1:], '\n')
				if e < 0 {
					e = len(src)
				} else {
					e += next + 1
				}
				text = strings.TrimSuffix(text, "\\") + " " + string(src[next+1:e])
				next = e
				line++
			}
			out = append(out, magicLine{at: pos{line, start - off + 1, start}, text: text, end: next})
			end = next
		}
		off = end + 1
		line++
	}
	return out
}

// errorNear reports whether an ERROR node starts on the same line as off
// (tree-sitter sometimes attaches the stray % or ! to the statement before).
func errorNear(t *pysyntax.Tree, off int) bool {
	src := t.Source()
	ls := bytes.LastIndexByte(src[:off], '\n') + 1
	le := bytes.IndexByte(src[off:], '\n')
	if le < 0 {
		le = len(src)
	} else {
		le += off
	}
	for n := range t.Nodes() {
		if n.Is(pysyntax.KindError) && n.EndByte() > ls && n.StartByte() < le {
			return true
		}
	}
	return false
}

// blank replaces the magic lines with spaces (keeping newlines and byte
// offsets) so that the rest parses as Python.
func blank(src []byte, ms []magicLine) []byte {
	out := bytes.Clone(src)
	for _, m := range ms {
		for i := m.at.off; i < m.end && i < len(out); i++ {
			if out[i] != '\n' {
				out[i] = ' '
			}
		}
	}
	return out
}

// checkMagic applies the rules to one magic line.
func (a *analyzer) checkMagic(m magicLine) {
	text := m.text
	switch {
	case m.cell:
		first, body, _ := strings.Cut(text, "\n")
		name, line, _ := strings.Cut(strings.TrimPrefix(first, "%%"), " ")
		if !isShellCellMagic(name, line) {
			return
		}
		// Check the body line by line, so findings point at their line.
		off := m.at.off + len(first) + 1
		ln := m.at.line + 1
		for _, l := range strings.SplitAfter(body, "\n") {
			if strings.TrimSpace(l) != "" {
				a.shellCommand(pos{ln, 1, off}, "the %%"+name+" cell", strings.TrimSuffix(l, "\n"), 0, true, true)
			}
			off += len(l)
			ln++
		}
	case strings.HasPrefix(text, "!"):
		a.shellCommand(m.at, "the notebook line `!`", strings.TrimLeft(text, "!"), 0, true, true)
	case strings.HasPrefix(text, "%"):
		name, line, _ := strings.Cut(strings.TrimPrefix(text, "%"), " ")
		a.magic(m.at, name, line, 0)
	}
}

// minBlobLen is the length from which a string constant is checked as an
// encoded blob.
const minBlobLen = 512

// checkBlob reports long base64 or hex constants, and scans what they
// decode to when it is Python.
func (a *analyzer) checkBlob(n pysyntax.Node) {
	v := a.literal(n, 0)
	if !v.exact || !v.isStr() {
		return
	}
	kind := blobKind(v, n)
	if kind == "" {
		return
	}
	out := v.s
	if kind != "escaped bytes" {
		var ok bool
		if out, ok = decode(kind, v.s); !ok {
			out = ""
		}
	}
	compressed := false
	for _, c := range []struct{ magic, kind string }{{"\x78", "zlib"}, {"\x1f\x8b", "gzip"}, {"BZh", "bz2"}} {
		if strings.HasPrefix(out, c.magic) {
			if d, ok := decode(c.kind, out); ok {
				out, compressed = d, true
			}
			break
		}
	}
	// Escaped bytes are everywhere in generated code (protobuf
	// descriptors); only a compressed payload makes them suspect.
	if kind == "escaped bytes" && !compressed {
		return
	}
	if compressed {
		kind = "compressed " + kind
	}
	a.report(RuleEncodedBlob, 0, n, "holds a %d-character %s constant", len(v.s), kind)
	if looksLikeCode(out) {
		a.nest(out, posOf(n), "in code hidden in a "+kind+" blob")
	}
}

// blobKind says whether v (the value of string node n) is an encoded blob.
func blobKind(v value, n pysyntax.Node) string {
	s := stripSpace(v.s)
	if len(s) < minBlobLen {
		return ""
	}
	if v.kind == vBytes && bytes.Count(n.Text(), []byte(`\x`)) >= minBlobLen/4 {
		return "escaped bytes"
	}
	var upper, lower, digit, other int
	for i := range len(s) {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		case c >= '0' && c <= '9':
			digit++
		case c == '+' || c == '/' || c == '=' || c == '-' || c == '_':
		default:
			other++
		}
	}
	if other > 0 {
		return ""
	}
	isHex := true
	for i := range len(s) {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			isHex = false
			break
		}
	}
	switch {
	case isHex && digit > 0 && len(s)%2 == 0:
		return "hex"
	case upper > len(s)/20 && lower > len(s)/20 && digit > 0:
		return "base64"
	}
	return ""
}

// looksLikeCode reports whether decoded bytes are Python-looking text.
func looksLikeCode(s string) bool {
	if len(s) < 8 || !utf8.ValidString(s) {
		return false
	}
	printable := 0
	for _, r := range s {
		if r >= 0x20 || r == '\n' || r == '\t' || r == '\r' {
			printable++
		}
	}
	return printable*100 >= len([]rune(s))*95 && strings.ContainsAny(s, "(=")
}
