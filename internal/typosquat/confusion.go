package typosquat

import (
	"errors"
	"fmt"
	"strings"
)

// Limits on a policy's internal names and patterns.
const (
	// MaxInternalNames is the most internal names and patterns, together,
	// that [NewConfusion] accepts.
	MaxInternalNames = 100_000
	// maxPatternStars bounds the '*' in one pattern, which bounds the cost
	// of matching it.
	maxPatternStars = 8
)

// Confusion matches names against a policy's internal project names and
// name patterns, for dependency-confusion protection: a name that is, looks
// like, or matches the pattern of an internal project must not be fetched
// from a public index. It is immutable and safe for concurrent use.
type Confusion struct {
	internal *Index
	patterns []string // normalised globs
}

// NewConfusion builds a matcher over internal project names and glob
// patterns. Names must be valid project names; they are normalised (PEP 503).
// Patterns are normalised the same way and may use '*' (any run of
// characters, possibly empty) and '?' (one character); everything else is
// literal. A pattern must have at least two literal characters, so that
// "*" or "?*" cannot deny every name by accident. Errors name the offending
// entry.
func NewConfusion(names, patterns []string) (*Confusion, error) {
	if len(names)+len(patterns) > MaxInternalNames {
		return nil, fmt.Errorf("more than %d internal names and patterns", MaxInternalNames)
	}
	entries := make([]Entry, 0, len(names))
	for i, n := range names {
		if !validName([]byte(n)) {
			return nil, fmt.Errorf("internal name %q: not a valid project name", n)
		}
		entries = append(entries, Entry{n, i + 1})
	}
	c := &Confusion{
		// Every internal name is worth protecting, however it ranks.
		internal: New(entries, Options{RankRatio: 1}),
	}
	for _, p := range patterns {
		norm, err := normalizePattern(p)
		if err != nil {
			return nil, fmt.Errorf("internal name pattern %q: %w", p, err)
		}
		c.patterns = append(c.patterns, norm)
	}
	return c, nil
}

// normalizePattern validates a glob and puts it in PEP 503 form.
func normalizePattern(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty")
	}
	if len(p) > MaxNameLength {
		return "", fmt.Errorf("longer than %d bytes", MaxNameLength)
	}
	literal := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			literal++
		case c == '*' || c == '?' || isSepByte(c):
		default:
			return "", fmt.Errorf("character %q is not allowed (letters, digits, '-', '_', '.', '*', '?')", c)
		}
	}
	if literal < 2 {
		return "", errors.New("needs at least two letters or digits")
	}
	if strings.Count(p, "*") > maxPatternStars {
		return "", fmt.Errorf("more than %d '*'", maxPatternStars)
	}
	return normalize(p), nil
}

// Check reports whether name (normalised first) is an internal name
// ([Internal]), matches an internal pattern ([Pattern], with the pattern as
// the target), or looks like an internal name by any of the transforms of
// [Index.Check]. The match's Kind is [KindConfusion] and its Rank 0.
//
// Whether that is a finding depends on where the name would come from,
// which is the policy's business: fetching an internal name from the
// internal index is the point of having one, fetching it (or a look-alike)
// from a public index is dependency confusion.
func (c *Confusion) Check(name string) (Match, bool) {
	name = normalize(name)
	if name == "" || len(name) > MaxNameLength {
		return Match{}, false
	}
	if c.internal.Contains(name) {
		return Match{Kind: KindConfusion, Target: name, Transform: Internal}, true
	}
	for _, p := range c.patterns {
		if globMatch(p, name) {
			return Match{Kind: KindConfusion, Target: p, Transform: Pattern}, true
		}
	}
	if m, ok := c.internal.Check(name); ok {
		m.Kind, m.Rank = KindConfusion, 0
		return m, true
	}
	return Match{}, false
}

// Shadowed returns the protected names of ix that are internal names or
// match an internal pattern, most popular first. A policy should refuse (or
// at least warn about) such a configuration: it would treat a popular public
// project as internal.
func (c *Confusion) Shadowed(ix *Index) []string {
	var out []string
	for _, n := range ix.names {
		if c.internal.Contains(n) {
			out = append(out, n)
			continue
		}
		for _, p := range c.patterns {
			if globMatch(p, n) {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// globMatch reports whether name matches pattern, where '*' matches any run
// of bytes and '?' one byte. It backtracks only to the last '*', so it runs
// in O(len(pattern)·len(name)) at worst.
func globMatch(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
