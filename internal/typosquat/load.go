package typosquat

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
)

//go:generate go run ./internal/gen -out popular.tsv.gz
//go:generate go run ./internal/corpusgen -in popular.tsv.gz -out testdata/typos.tsv

// popularData is the embedded popular-name list: the generator's gzipped
// copy of the 15,000 most-downloaded PyPI projects, in [Load]'s format.
//
//go:embed popular.tsv.gz
var popularData []byte

// Limits on what [Load] accepts: a popular-name list comes from a
// configurable URL, so its size is bounded like any other untrusted input.
const (
	// MaxEntries is the most names a list may hold.
	MaxEntries = 1_000_000
	// MaxRank is the largest rank a list may give.
	MaxRank = 1_000_000_000
	// maxLineLength bounds one line: a rank, a tab and a name.
	maxLineLength = MaxNameLength + 16
)

// LoadError reports a malformed line of a popular-name list.
type LoadError struct {
	Line int // 1-based; 0 when the error is not about one line
	Err  error
}

func (e *LoadError) Error() string {
	if e.Line == 0 {
		return "popular names: " + e.Err.Error()
	}
	return fmt.Sprintf("popular names: line %d: %v", e.Line, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// Load reads a popular-name list: one "rank<TAB>name" line per project, rank
// a positive decimal integer (1 is the most downloaded), name a valid PEP 508
// project name, which Load normalises (PEP 503). Blank lines and lines
// starting with '#' are ignored. Ranks need be neither contiguous nor
// sorted, but a name may appear only once. Load is strict: the first
// malformed line fails the whole list with a [*LoadError], so that a
// refresh from a broken source never replaces a good list.
func Load(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxLineLength+1), maxLineLength+1)
	var out []Entry
	seen := make(map[string]int)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		rankText, name, ok := bytes.Cut(text, []byte{'\t'})
		if !ok {
			return nil, &LoadError{line, errors.New(`want "rank<TAB>name"`)}
		}
		rank, err := strconv.Atoi(string(rankText))
		if err != nil || rank < 1 || rank > MaxRank || rankText[0] == '+' {
			return nil, &LoadError{line, fmt.Errorf("bad rank %q", rankText)}
		}
		if !validName(name) {
			return nil, &LoadError{line, fmt.Errorf("bad project name %q", name)}
		}
		n := normalize(string(name))
		if prev, dup := seen[n]; dup {
			return nil, &LoadError{line, fmt.Errorf("project %q already listed on line %d", n, prev)}
		}
		if len(out) == MaxEntries {
			return nil, &LoadError{line, fmt.Errorf("more than %d names", MaxEntries)}
		}
		seen[n] = line
		out = append(out, Entry{n, rank})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LoadError{line + 1, fmt.Errorf("line longer than %d bytes", maxLineLength)}
		}
		return nil, &LoadError{0, err}
	}
	return out, nil
}

// validName reports whether name is a PEP 508 project name of at most
// MaxNameLength bytes: ASCII letters and digits, with '.', '_' and '-'
// allowed inside.
func validName(name []byte) bool {
	if len(name) == 0 || len(name) > MaxNameLength {
		return false
	}
	for i, c := range name {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// DefaultEntries returns the embedded popular-name list: the 15,000
// most-downloaded PyPI projects when it was generated (`go generate`), in
// PEP 503 form, most popular first.
func DefaultEntries() []Entry {
	return slices.Clone(defaultEntries())
}

var defaultEntries = sync.OnceValue(func() []Entry {
	zr, err := gzip.NewReader(bytes.NewReader(popularData))
	if err != nil {
		panic("typosquat: embedded popular names: " + err.Error())
	}
	entries, err := Load(zr)
	if err != nil {
		panic("typosquat: embedded " + err.Error())
	}
	return entries
})

// Default returns the index over the embedded popular-name list with the
// default options. It is built on first use (a few milliseconds) and shared.
func Default() *Index { return defaultIndex() }

var defaultIndex = sync.OnceValue(func() *Index {
	return New(defaultEntries(), Options{})
})
