package reqfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
)

// OpenFunc opens an included file. name is the include's
// [Include.Resolved] path: what pip would open, relative to pip's working
// directory unless absolute. It must return an error wrapping
// fs.ErrNotExist for a missing file.
type OpenFunc func(name string) (io.ReadCloser, error)

// FSOpener returns an [OpenFunc] that opens names in fsys, which stands
// for pip's working directory. Names are cleaned first; an absolute name,
// or one that leaves fsys (through ".."), fails with fs.ErrPermission:
// the caller decides what a requirements file may reach.
func FSOpener(fsys fs.FS) OpenFunc {
	return func(name string) (io.ReadCloser, error) {
		clean := path.Clean(name)
		if path.IsAbs(clean) || !fs.ValidPath(clean) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		return fsys.Open(clean)
	}
}

// Config says how to read a requirements file.
type Config struct {
	// Open reads -r and -c includes; when nil, includes are recorded
	// but not read.
	Open OpenFunc
	// Constraint reports that the file is a constraints file (pip -c).
	Constraint bool
}

// Parse reads a requirements file strictly: the first problem, the one
// that makes pip refuse the file, is returned as an [*Error] (with the
// entries before it). name is the file's name as pip would be given it;
// includes are resolved relative to it. cfg may be nil.
func Parse(name string, data []byte, cfg *Config) ([]Entry, error) {
	p := newParser(cfg, false)
	p.file(name, data, p.cfg.Constraint, 0)
	if p.err != nil {
		return p.entries, p.err
	}
	return p.entries, nil
}

// ParseLax reads a requirements file leniently, for agent input: every
// problem becomes a [KindError] or [KindUnknownOption] entry at its
// position, and parsing goes on with the next line (after a problem with a
// whole file, such as [ErrBinary], with the next file). [Errors] lists the
// problems. Entries that are not errors are the same as [Parse] would
// return.
func ParseLax(name string, data []byte, cfg *Config) []Entry {
	p := newParser(cfg, true)
	p.file(name, data, p.cfg.Constraint, 0)
	return p.entries
}

type parser struct {
	cfg     Config
	lax     bool
	entries []Entry
	err     *Error   // the first error, in strict mode
	stop    bool     // a fatal error: stop everything
	files   int      // files read
	size    int      // bytes read
	stack   []string // cleaned names of the files being read
	noIndex bool     // pip's finder has --no-index (it sticks)
}

func newParser(cfg *Config, lax bool) *parser {
	p := &parser{lax: lax}
	if cfg != nil {
		p.cfg = *cfg
	}
	return p
}

// done reports whether parsing must stop.
func (p *parser) done() bool { return p.stop || p.err != nil }

// add appends an entry, enforcing MaxEntries.
func (p *parser) add(e Entry) {
	if p.done() {
		return
	}
	if len(p.entries) >= MaxEntries {
		p.fatal(&Error{Pos: e.Pos, Err: fmt.Errorf("%w: more than %d", ErrTooManyEntries, MaxEntries)})
		return
	}
	p.entries = append(p.entries, e)
}

// fail records a problem: the error in strict mode, an error entry in lax
// mode. kind is KindError or KindUnknownOption; e is the entry's context.
func (p *parser) fail(err *Error, e Entry) {
	if p.done() {
		return
	}
	if !p.lax {
		p.err = err
		return
	}
	if e.Kind != KindUnknownOption {
		e.Kind = KindError
	}
	e.Err = err
	e.Requirement = nil
	e.Include = nil
	e.Ignored, e.IgnoredReason = false, ""
	p.add(e)
}

// fatal records a problem after which nothing more is read.
func (p *parser) fatal(err *Error) {
	if p.done() {
		return
	}
	if p.lax {
		p.entries = append(p.entries, Entry{Pos: err.Pos, Kind: KindError, Raw: err.Text, Err: err})
	} else {
		p.err = err
	}
	p.stop = true
}

// file reads one requirements file.
func (p *parser) file(name string, data []byte, constraint bool, depth int) {
	p.files++
	filePos := Position{Source: name, Arg: -1}
	fileErr := func(err error) { p.fail(&Error{Pos: filePos, Text: name, Err: err}, Entry{Pos: filePos, Depth: depth}) }
	if len(data) > MaxFileSize {
		fileErr(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxFileSize))
		return
	}
	if p.size += len(data); p.size > MaxTotalSize {
		p.fatal(&Error{Pos: filePos, Text: name, Err: fmt.Errorf("%w: more than %d bytes in all files", ErrTooLarge, MaxTotalSize)})
		return
	}
	text, err := decode(data)
	if err != nil {
		if ue, ok := errors.AsType[*utf8Error](err); ok {
			filePos.Line = bytes.Count(data[:ue.off], []byte("\n")) + 1
			filePos.EndLine = filePos.Line
		}
		fileErr(err)
		return
	}
	if i := strings.IndexByte(text, 0); i >= 0 {
		filePos.Line = len(splitLines(text[:i+1]))
		filePos.EndLine = filePos.Line
		fileErr(ErrBinary)
		return
	}
	p.stack = append(p.stack, path.Clean(name))
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	lines := preprocess(text)
	p.entries = slices.Grow(p.entries, min(len(lines), MaxEntries-len(p.entries)))
	for _, ll := range lines {
		if p.done() {
			return
		}
		if ll.tooLong {
			pos := Position{Source: name, Line: ll.first, EndLine: ll.last, Arg: -1}
			err := &Error{Pos: pos, Err: fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, MaxLineLength)}
			p.fail(err, Entry{Pos: pos, Depth: depth, Constraint: constraint})
			continue
		}
		p.line(name, ll, constraint, depth)
	}
}

// Ignored reasons.
const (
	whyOnRequirementLine = "pip ignores this option on a requirement line"
	whyOnEditableLine    = "pip ignores this option on an -e line"
	whyOnIncludeLine     = "pip ignores the other options on a -r or -c line"
	whyPerRequirement    = "pip applies this option only on a requirement line"
	whyFirstFindLinks    = "pip uses only the first -f on a line"
	whyLastIndexURL      = "pip uses only the last --index-url on a line"
	whyNoIndex           = "pip ignores index URLs after --no-index"
	whyFirstEditable     = "pip uses only the first -e on a line"
	whyFirstInclude      = "pip reads only the first -r (or, without -r, the first -c) on a line"
	whyArgument          = "pip discards words after the options of a line"
)

func isPerRequirement(o *optSpec) bool {
	return o == optHash || o == optGlobalOption || o == optInstallOption
}

// line parses one logical line as pip's line parser and handle_line do.
func (p *parser) line(src string, ll logicalLine, constraint bool, depth int) {
	text := ll.text
	base := Entry{
		Pos:        Position{Source: src, Line: ll.first, EndLine: ll.last, Col: 1, Arg: -1},
		Line:       text,
		Depth:      depth,
		Constraint: constraint,
		EnvVars:    envVarRefs(text),
	}
	lineErr := func(err error, opt string) *Error {
		return &Error{Pos: base.Pos, Option: opt, Text: text, Err: err}
	}
	args, optStart := breakArgsOptions(text)
	words, err := shlexSplit(text[optStart:])
	if err != nil {
		e := base
		e.Raw = text
		p.fail(lineErr(fmt.Errorf("%w: could not split options: %w", ErrOption, err), ""), e)
		return
	}
	items, _ := optparse(words, fileOptions, installOptions, true)
	entryFor := func(it optItem) Entry {
		e := base
		s, t := words[it.first].start, words[it.last].end
		e.Raw = text[optStart+s : optStart+t]
		e.Pos.Col = optStart + s + 1
		return e
	}
	// Errors first: pip refuses the line before acting on any of it.
	var good []optItem
	for _, it := range items {
		if it.err == nil {
			good = append(good, it)
			continue
		}
		e := entryFor(it)
		name := it.spelling
		if errors.Is(it.err, ErrUnknownOption) {
			e.Kind = KindUnknownOption
			o := &Option{Name: it.spelling, Spelling: it.spelling, Value: it.value}
			if h := installOptions.lookup(it.spelling); h != nil {
				o.Name, o.HasValue = h.name(), h.takesValue()
			}
			e.Option = o
		}
		p.fail(lineErr(it.err, name), e)
		if !p.lax {
			return
		}
	}
	// What kind of line is it? (pip's ParsedLine and _parse_and_recurse.)
	first := -1 // the index in good of the -e, -r or -c pip acts on
	lineKind := KindOption
	switch {
	case args != "":
		lineKind = KindRequirement
	case firstOpt(good, optEditable) >= 0:
		lineKind = KindEditable
		first = firstOpt(good, optEditable)
	case firstOpt(good, optRequirement) >= 0:
		lineKind = KindInclude
		first = firstOpt(good, optRequirement)
	case firstOpt(good, optConstraint) >= 0:
		lineKind = KindInclude
		first = firstOpt(good, optConstraint)
	}
	if lineKind == KindRequirement {
		e := base
		e.Kind = KindRequirement
		e.Raw = strings.TrimRightFunc(args, pyIsSpace)
		req, err := classifyLine(args)
		if err != nil {
			p.fail(lineErr(err, ""), e)
		} else {
			for _, it := range good {
				switch it.spec {
				case optHash:
					alg, digest, _ := strings.Cut(it.value, ":")
					req.Hashes = append(req.Hashes, Hash{Alg: alg, Digest: digest})
				case optGlobalOption:
					req.GlobalOptions = append(req.GlobalOptions, it.value)
				case optInstallOption:
					req.InstallOptions = append(req.InstallOptions, it.value)
				}
			}
			e.Requirement = req
			p.add(e)
		}
	}
	lastIndex := -1
	lineNoIndex := false
	firstFindLinks := true
	for i, it := range good {
		if it.spec == optIndexURL {
			lastIndex = i
		}
		if it.spec == optNoIndex {
			lineNoIndex = true
		}
	}
	var follow *Include
	var followPos Position
	for i, it := range good {
		if it.arg {
			e := entryFor(it)
			e.Kind = KindIgnoredArgument
			e.Ignored, e.IgnoredReason = true, whyArgument
			p.add(e)
			continue
		}
		if lineKind == KindRequirement && isPerRequirement(it.spec) {
			continue // applied to the requirement above
		}
		e := entryFor(it)
		e.Option = &Option{Name: it.spec.name(), Spelling: it.spelling, Value: it.value, HasValue: it.spec.takesValue()}
		e.Kind = KindOption
		acting := i == first
		switch it.spec {
		case optEditable:
			e.Kind = KindEditable
		case optRequirement, optConstraint:
			e.Kind = KindInclude
			if it.spec == optConstraint {
				e.Kind = KindConstraint
			}
			e.Include = p.include(src, it.value, it.spec == optConstraint)
		}
		switch {
		case it.spec == optNoBinary || it.spec == optOnlyBinary:
			// pip applies these to its finder while parsing the line.
		case lineKind == KindRequirement:
			e.Ignored, e.IgnoredReason = true, whyOnRequirementLine
		case lineKind == KindEditable && !acting:
			e.Ignored, e.IgnoredReason = true, whyOnEditableLine
			if it.spec == optEditable {
				e.IgnoredReason = whyFirstEditable
			}
		case lineKind == KindInclude && !acting:
			e.Ignored, e.IgnoredReason = true, whyOnIncludeLine
			if it.spec == optRequirement || it.spec == optConstraint {
				e.IgnoredReason = whyFirstInclude
			}
		case lineKind != KindOption:
			// the -e, -r or -c pip acts on
		case isPerRequirement(it.spec):
			e.Ignored, e.IgnoredReason = true, whyPerRequirement
		case it.spec == optFindLinks:
			if !firstFindLinks {
				e.Ignored, e.IgnoredReason = true, whyFirstFindLinks
			}
			firstFindLinks = false
		case it.spec == optIndexURL && (p.noIndex || lineNoIndex):
			e.Ignored, e.IgnoredReason = true, whyNoIndex
		case it.spec == optIndexURL && i != lastIndex:
			e.Ignored, e.IgnoredReason = true, whyLastIndexURL
		case it.spec == optExtraIndexURL && (p.noIndex || lineNoIndex):
			e.Ignored, e.IgnoredReason = true, whyNoIndex
		}
		if it.spec == optTrustedHost && !e.Ignored {
			// pip adds the host to its session as it reads the line.
			if err := checkTrustedHost(it.value); err != nil {
				p.fail(lineErr(fmt.Errorf("%w: --trusted-host %q: %w", ErrOption, it.value, err), it.spelling), e)
				continue
			}
		}
		if e.Kind == KindEditable && !e.Ignored {
			req, err := classifyEditable(it.value)
			if err != nil {
				p.fail(lineErr(err, it.spelling), e)
				continue
			}
			e.Requirement = req
		}
		if e.Include != nil && !e.Ignored {
			follow, followPos = e.Include, e.Pos
		}
		p.add(e)
	}
	if lineKind == KindOption && lineNoIndex {
		p.noIndex = true
	}
	if follow != nil {
		p.follow(follow, followPos, depth)
	}
}

// firstOpt returns the index of the first item for o, or -1.
func firstOpt(items []optItem, o *optSpec) int {
	for i := range items {
		if items[i].spec == o {
			return i
		}
	}
	return -1
}

// schemeRE is pip's SCHEME_RE, ^(http|https|file): ignoring case.
func hasIncludeScheme(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "file":
		return true
	}
	return false
}

// include resolves an include as pip's _parse_and_recurse does.
func (p *parser) include(parent, value string, constraint bool) *Include {
	inc := &Include{Path: value, Resolved: value, Constraint: constraint}
	switch {
	case hasIncludeScheme(parent):
		inc.URL = true
		if b, err := url.Parse(parent); err == nil {
			if r, err := url.Parse(value); err == nil {
				inc.Resolved = b.ResolveReference(r).String()
			}
		}
	case hasIncludeScheme(value):
		inc.URL = true
	default:
		inc.Resolved = pyJoin(pyDirname(parent), value)
	}
	return inc
}

// pyDirname is Python's posixpath.dirname.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// pyJoin is Python's posixpath.join(a, b).
func pyJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/"):
		return b
	case a == "" || strings.HasSuffix(a, "/"):
		return a + b
	}
	return a + "/" + b
}

// follow reads an included file, if there is an opener.
func (p *parser) follow(inc *Include, pos Position, depth int) {
	if inc.URL || p.cfg.Open == nil || p.done() {
		return
	}
	fail := func(err error) {
		p.fail(&Error{Pos: pos, Option: inc.Path, Text: inc.Resolved, Err: err}, Entry{Pos: pos, Raw: inc.Path, Depth: depth})
	}
	key := path.Clean(inc.Resolved)
	for i, s := range p.stack {
		if s == key {
			chain := append(append([]string(nil), p.stack[i:]...), key)
			fail(fmt.Errorf("%w: %s", ErrIncludeCycle, strings.Join(chain, " -> ")))
			return
		}
	}
	if depth+1 > MaxIncludeDepth {
		fail(fmt.Errorf("%w: more than %d levels", ErrIncludeDepth, MaxIncludeDepth))
		return
	}
	if p.files >= MaxFiles {
		p.fatal(&Error{Pos: pos, Text: inc.Resolved, Err: fmt.Errorf("%w: more than %d", ErrTooManyFiles, MaxFiles)})
		return
	}
	rc, err := p.cfg.Open(inc.Resolved)
	if err != nil {
		fail(fmt.Errorf("%w: %w", ErrOpen, err))
		return
	}
	data, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
	rc.Close()
	if err != nil {
		fail(fmt.Errorf("%w: %w", ErrOpen, err))
		return
	}
	inc.Followed = true
	p.file(inc.Resolved, data, inc.Constraint, depth+1)
}

// ErrNotOneLine is the error of [JoinLines] for a line that would not stay
// one line.
var ErrNotOneLine = errors.New("not a single line")

// JoinLines joins requirement lines given one by one (command-line
// arguments, the items of a JSON array) into the text of a requirements
// file. A line that would not stay one line in that text is refused: one
// with a line break (any that Python's str.splitlines knows, as pip does)
// or ending in a backslash, which would join the next line to it and so
// read two items as one. The error names the line by its 1-based index.
func JoinLines(lines []string) (string, error) {
	var b strings.Builder
	for i, l := range lines {
		if len(splitLines(l)) > 1 || strings.ContainsAny(l, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029") {
			return "", fmt.Errorf("item %d: %w: it contains a line break", i+1, ErrNotOneLine)
		}
		if strings.HasSuffix(strings.TrimRight(l, " \t"), `\`) {
			return "", fmt.Errorf("item %d: %w: it ends in a backslash, which would join the next item to it", i+1, ErrNotOneLine)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String(), nil
}
