package typosquat

import "math/bits"

// This file holds the symmetric-delete index behind the single-character
// edits (omission, insertion, repetition, substitution, swap): every
// protected name is stored under a hash of itself and of each string made by
// deleting one of its characters. A checked name of length n then needs n+1
// probes: its own hash finds the names it is an omission of, and the hash of
// each of its own deletions finds the names it is an insertion into (equal to
// a stored name), a substitution or a swap of (equal to one of a stored
// name's deletions). Hits are confirmed by comparing the strings, so hash
// collisions cost time, never a wrong answer.

const (
	hashBase = 0x100000001b3 // odd, so that multiplication is invertible mod 2^64
	// fullRef marks a stored hash of the whole name (no deletion) in a ref's
	// position byte; names are at most MaxNameLength < fullRef bytes long.
	fullRef = 0xff
)

// powers[k] is hashBase^k mod 2^64.
var powers = func() (p [MaxNameLength + 1]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * hashBase
	}
	return p
}()

// finish mixes a polynomial hash h of a string of length n into a
// well-spread 64-bit value (the murmur3 finaliser).
func finish(h uint64, n int) uint64 {
	h ^= uint64(n) * 0x9e3779b97f4a7c15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// deletionHashes holds the polynomial prefix and suffix hashes of one name,
// from which the hash of the name and of each one-character deletion follow
// in constant time.
type deletionHashes struct {
	n      int
	prefix [MaxNameLength + 1]uint64 // prefix[i] = H(s[:i])
	suffix [MaxNameLength + 1]uint64 // suffix[i] = H(s[i:])
}

func (d *deletionHashes) init(s string) {
	n := len(s)
	d.n = n
	d.prefix[0] = 0
	for i := 0; i < n; i++ {
		d.prefix[i+1] = d.prefix[i]*hashBase + uint64(s[i])
	}
	d.suffix[n] = 0
	for i := n - 1; i >= 0; i-- {
		d.suffix[i] = uint64(s[i])*powers[n-1-i] + d.suffix[i+1]
	}
}

// full returns the hash of the whole string.
func (d *deletionHashes) full() uint64 { return finish(d.prefix[d.n], d.n) }

// without returns the hash of the string with its i-th byte deleted.
func (d *deletionHashes) without(i int) uint64 {
	return finish(d.prefix[i]*powers[d.n-1-i]+d.suffix[i+1], d.n-1)
}

// editTable is a hash multimap from string hashes to refs (id<<8 | position
// deleted, or fullRef), laid out as compressed rows: the refs of bucket b
// are refs[start[b]:start[b+1]], each with the low 32 bits of its hash as a
// fingerprint.
type editTable struct {
	shift uint // bucket = hash >> shift
	start []uint32
	fps   []uint32
	refs  []uint32
}

type hashRef struct {
	h   uint64
	ref uint32
}

func buildEditTable(names []string) editTable {
	total := 0
	for _, s := range names {
		total += len(s) + 1
	}
	pending := make([]hashRef, 0, total)
	var d deletionHashes
	for id, s := range names {
		d.init(s)
		base := uint32(id) << 8
		pending = append(pending, hashRef{d.full(), base | fullRef})
		for i := 0; i < len(s); i++ {
			if i > 0 && s[i] == s[i-1] {
				continue // same string as deleting s[i-1]
			}
			pending = append(pending, hashRef{d.without(i), base | uint32(i)})
		}
	}
	nbits := max(bits.Len(uint(len(pending)/2)), 1)
	t := editTable{
		shift: uint(64 - nbits),
		start: make([]uint32, 1<<nbits+1),
		fps:   make([]uint32, len(pending)),
		refs:  make([]uint32, len(pending)),
	}
	for _, p := range pending {
		t.start[p.h>>t.shift+1]++
	}
	for b := 1; b < len(t.start); b++ {
		t.start[b] += t.start[b-1]
	}
	fill := make([]uint32, 1<<nbits)
	copy(fill, t.start)
	for _, p := range pending {
		b := p.h >> t.shift
		k := fill[b]
		fill[b]++
		t.fps[k] = uint32(p.h)
		t.refs[k] = p.ref
	}
	return t
}

// lookup calls f with every ref stored under hash h (and, rarely, refs of
// other strings whose hash shares the bucket and fingerprint).
func (t *editTable) lookup(h uint64, f func(ref uint32)) {
	if len(t.start) == 0 {
		return
	}
	b := h >> t.shift
	fp := uint32(h)
	for k := t.start[b]; k < t.start[b+1]; k++ {
		if t.fps[k] == fp {
			f(t.refs[k])
		}
	}
}

func (t *editTable) size() int {
	return 4 * (len(t.start) + len(t.fps) + len(t.refs))
}

// classifyEdit reports how c differs from t when the two are one
// single-character edit apart (optimal string alignment distance 1), and
// false otherwise.
func classifyEdit(c, t string) (Transform, bool) {
	switch len(c) - len(t) {
	case 0:
		p := 0
		for p < len(c) && c[p] == t[p] {
			p++
		}
		if p == len(c) {
			return "", false
		}
		q := len(c) - 1
		for c[q] == t[q] {
			q--
		}
		switch {
		case p == q:
			a, b := c[p], t[p]
			switch {
			case isSep(a) || isSep(b):
				return Separator, true
			case lookAlike(a, b):
				return Homoglyph, true
			case adjacentKeys(a, b):
				return Keyboard, true
			}
			return Substitution, true
		case q == p+1 && c[p] == t[q] && c[q] == t[p]:
			return Swap, true
		}
		return "", false
	case 1:
		p := 0
		for p < len(t) && c[p] == t[p] {
			p++
		}
		if c[p+1:] != t[p:] {
			return "", false
		}
		x := c[p]
		switch {
		case isSep(x):
			return Separator, true
		case p > 0 && c[p-1] == x || p+1 < len(c) && c[p+1] == x:
			return Repetition, true
		}
		return Insertion, true
	case -1:
		p := 0
		for p < len(c) && c[p] == t[p] {
			p++
		}
		if t[p+1:] != c[p:] {
			return "", false
		}
		if isSep(t[p]) {
			return Separator, true
		}
		return Omission, true
	}
	return "", false
}

// distance returns the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and adjacent swaps), the
// Damerau–Levenshtein variant that does not edit a substring twice.
func distance(a, b string) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	// Three rolling rows of len(b)+1 cells.
	var stack [3 * (MaxNameLength + 2)]int
	w := len(b) + 1
	var rows []int
	if 3*w <= len(stack) {
		rows = stack[:3*w]
	} else {
		rows = make([]int, 3*w)
	}
	prev2, prev, cur := rows[:w], rows[w:2*w], rows[2*w:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
