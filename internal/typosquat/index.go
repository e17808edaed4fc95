package typosquat

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// MaxNameLength is the longest name, in bytes, that an [Index] stores or
// checks. [New] skips longer entries and [Load] rejects them; [Index.Check]
// reports no match for a longer name without looking at it. The longest of
// the 15,000 most-downloaded projects has 55 bytes, so a name this long is
// not one transform away from any of them.
const MaxNameLength = 200

// Entry is one protected name with its popularity rank (1 is the most
// downloaded project).
type Entry struct {
	Name string
	Rank int
}

// Kind says what a [Match] protects against.
type Kind string

const (
	// KindTyposquat is a name that looks like a popular project's name.
	KindTyposquat Kind = "typosquat"
	// KindConfusion is a name that is, matches or looks like one of the
	// policy's internal names (dependency confusion).
	KindConfusion Kind = "confusion"
)

// String returns k itself.
func (k Kind) String() string { return string(k) }

// Match explains why a name was flagged.
type Match struct {
	// Kind is KindTyposquat for [Index.Check] and KindConfusion for
	// [Confusion.Check].
	Kind Kind
	// Target is the protected name the checked name looks like (for
	// [Pattern], the pattern it matches).
	Target string
	// Rank is the target's popularity rank, or 0 for internal names and
	// patterns.
	Rank int
	// Transform is the change that turns Target into the checked name.
	Transform Transform
	// Distance is the optimal string alignment edit distance between the
	// checked name (normalised) and Target: 1 for "reqeusts", 7 for
	// "python-requests"; 0 for [Internal] and [Pattern]. It is informative:
	// the choice of target does not use it.
	Distance int
}

// String describes m for a person, e.g. `similar to "requests" (rank 6, swap)`.
func (m Match) String() string {
	switch {
	case m.Transform == Pattern:
		return fmt.Sprintf("matches internal name pattern %q", m.Target)
	case m.Transform == Internal:
		return fmt.Sprintf("is internal name %q", m.Target)
	case m.Kind == KindConfusion:
		return fmt.Sprintf("similar to internal name %q (%s)", m.Target, m.Transform)
	}
	return fmt.Sprintf("similar to %q (rank %d, %s)", m.Target, m.Rank, m.Transform)
}

// Options tunes an [Index]. The zero value gives the defaults that the
// quality tests measure; see the package documentation.
type Options struct {
	// RankRatio limits the weaker kinds of evidence to popular targets. A
	// name that is not protected is less popular than every protected name,
	// but not necessarily by much: "spark" is not a squat of "pyspark" just
	// because it lacks the "py". Weak evidence (an affix glued on without a
	// separator, or a name that lacks the target's affix or version suffix)
	// counts only against targets at least RankRatio times more popular than
	// the least popular protected name. Zero means [DefaultRankRatio]; 1
	// applies weak evidence to every target.
	RankRatio int
}

// The defaults behind the zero [Options] and the fixed length limits of the
// other transforms. Shorter targets collide with each other by chance too
// often: six/sip, tox/tax, idna/dna.
const (
	// DefaultRankRatio is the default [Options.RankRatio]: with the
	// 15,000-name list, weak evidence counts against the top 3,750.
	DefaultRankRatio = 4
	// minSkeletonLength is the shortest skeleton compared for separator and
	// look-alike confusion.
	minSkeletonLength = 4
	// minCoreLength is the shortest name left after removing an affix that
	// still counts as the same project: "python-six" is a look-alike of six,
	// but "py-re" says nothing about "re".
	minCoreLength = 3
	// minGluedCoreLength is the same for affixes without a separator
	// ("pyrequests"), which ordinary names start with by chance.
	minGluedCoreLength = 5
	// minVersionBase is the shortest name left after removing a version
	// suffix ("requests" from "requests2").
	minVersionBase = 4
	// maxVersionDigits is the longest version suffix removed.
	maxVersionDigits = 3
	// maxWords is the most hyphen-separated words compared when looking for
	// a reordering.
	maxWords = 8
	// maxIndexNames is the most names an index holds: ids have 24 bits in
	// the edit table.
	maxIndexNames = 1<<24 - 1
)

// Index answers which protected name a name looks like. It is immutable
// after [New] and safe for concurrent use.
type Index struct {
	names      []string // by id; ids are in order of rank, then name
	ranks      []int32
	exact      map[string]int32
	edits      editTable
	skel       multimap // skeleton -> ids
	words      multimap // sorted words -> ids
	cores      multimap // name without an affix -> ids
	gluedCores multimap // name without an affix that had no separator -> ids
	bases      multimap // name without its version suffix -> ids
	// weakRank is the worst rank against which weak evidence counts.
	weakRank int32
}

// New builds an index over entries. Names are normalised (PEP 503); an empty
// name or one longer than [MaxNameLength] is skipped, a name given more than
// once keeps its best rank, and ranks below 1 count as 1. Of more than
// 16,777,215 names, only that many of the most popular are kept. Building
// the default 15,000-name index takes 10 to 35 ms.
func New(entries []Entry, opts Options) *Index {
	if opts.RankRatio <= 0 {
		opts.RankRatio = DefaultRankRatio
	}
	at := make(map[string]int, len(entries)) // name -> index in list
	list := make([]Entry, 0, len(entries))
	for _, e := range entries {
		name := normalize(e.Name)
		if name == "" || len(name) > MaxNameLength {
			continue
		}
		rank := max(e.Rank, 1)
		if i, ok := at[name]; !ok {
			at[name] = len(list)
			list = append(list, Entry{name, rank})
		} else if rank < list[i].Rank {
			list[i].Rank = rank
		}
	}
	if len(list) > maxIndexNames {
		// Keep the most popular; the edit table has 24 bits for an id.
		slices.SortStableFunc(list, func(a, b Entry) int { return cmp.Compare(a.Rank, b.Rank) })
		list = list[:maxIndexNames]
	}
	byRank := func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), strings.Compare(a.Name, b.Name))
	}
	if !slices.IsSortedFunc(list, byRank) { // lists from Load usually are
		slices.SortFunc(list, byRank)
	}

	ix := &Index{
		names: make([]string, len(list)),
		ranks: make([]int32, len(list)),
		exact: make(map[string]int32, len(list)),
	}
	ix.skel.init(len(list))
	ix.words.init(len(list) / 2)
	ix.cores.init(len(list) / 4)
	ix.gluedCores.init(len(list) / 4)
	ix.bases.init(len(list) / 16)
	var buf []byte
	for i, e := range list {
		id := int32(i)
		ix.names[i] = e.Name
		ix.ranks[i] = int32(min(e.Rank, 1<<31-1))
		ix.exact[e.Name] = id

		buf = appendSkeleton(buf[:0], e.Name)
		if len(buf) >= minSkeletonLength {
			ix.skel.add(string(buf), id)
		}
		if key, ok := appendWordKey(buf[:0], e.Name); ok {
			ix.words.add(string(key), id)
		}
		for core, glued := range affixCores(e.Name) {
			if glued {
				ix.gluedCores.add(core, id)
			} else {
				ix.cores.add(core, id)
			}
		}
		if base, ok := versionBase(e.Name); ok {
			ix.bases.add(base, id)
		}
	}
	ix.edits = buildEditTable(ix.names)
	if len(list) > 0 {
		ix.weakRank = int32(min(int64(list[len(list)-1].Rank)/int64(opts.RankRatio), 1<<31-1))
	}
	return ix
}

// Len returns the number of protected names.
func (ix *Index) Len() int { return len(ix.names) }

// Entries returns the protected names, most popular first.
func (ix *Index) Entries() []Entry {
	out := make([]Entry, len(ix.names))
	for i, n := range ix.names {
		out[i] = Entry{n, int(ix.ranks[i])}
	}
	return out
}

// Contains reports whether name (normalised first) is a protected name.
func (ix *Index) Contains(name string) bool {
	_, ok := ix.exact[normalize(name)]
	return ok
}

// Rank returns the rank of name (normalised first), or 0 when it is not a
// protected name.
func (ix *Index) Rank(name string) int {
	if id, ok := ix.exact[normalize(name)]; ok {
		return int(ix.ranks[id])
	}
	return 0
}

// Check reports whether name looks like a protected name without being one,
// and which: among the targets reachable by the fewest transforms (one, or
// two for [AffixVersion]), the most popular. Name is normalised (PEP 503)
// first, so callers may pass it as written. A protected name is never
// flagged, nor is a name longer than [MaxNameLength].
func (ix *Index) Check(name string) (Match, bool) {
	name = normalize(name)
	if name == "" || len(name) > MaxNameLength {
		return Match{}, false
	}
	if _, ok := ix.exact[name]; ok {
		return Match{}, false
	}
	s := search{name: name, skip: -1}
	ix.search(&s)
	if !s.found {
		return Match{}, false
	}
	t := ix.names[s.best.id]
	return Match{
		Kind:      KindTyposquat,
		Target:    t,
		Rank:      int(ix.ranks[s.best.id]),
		Transform: s.best.transform,
		Distance:  distance(name, t),
	}, true
}

// candidate is one protected name a checked name was found to look like.
type candidate struct {
	id        int32
	steps     int8 // transforms applied: 1, or 2 for AffixVersion
	transform Transform
}

// search collects the best candidate for one checked name.
type search struct {
	name  string
	skip  int32 // an id never to report, or -1; for the leave-one-out figure
	best  candidate
	found bool
}

// offer records c if it beats the best so far: fewer steps, then a more
// popular target (lower id). On a tie the earlier transform stays, so the
// result does not depend on map order.
func (s *search) offer(c candidate) {
	if c.id == s.skip {
		return
	}
	if !s.found || c.steps < s.best.steps || c.steps == s.best.steps && c.id < s.best.id {
		s.best, s.found = c, true
	}
}

func (ix *Index) search(s *search) {
	name := s.name
	// The more specific transforms go first: on a tie (same target, same
	// number of steps) the first one found is reported, so "requests2" is a
	// version suffix rather than an insertion and "pythondateutil" a
	// separator removal rather than a glued affix.
	var stack [MaxNameLength]byte
	if sk := appendSkeleton(stack[:0], name); len(sk) >= minSkeletonLength {
		for id := range ix.skel.getBytes(sk) {
			t := ix.names[id]
			if t == name {
				continue
			}
			tr := Homoglyph
			if sameBare(name, t) {
				tr = Separator
			}
			s.offer(candidate{id, 1, tr})
		}
	}

	if key, ok := appendWordKey(stack[:0], name); ok {
		for id := range ix.words.getBytes(key) {
			if ix.names[id] != name {
				s.offer(candidate{id, 1, Reorder})
			}
		}
	}

	ix.searchAffixes(s, name, 0, false)
	for core, glued := range affixCores(name) {
		ix.searchAffixes(s, core, 1, glued)
	}

	ix.searchEdits(s)
}

// searchEdits finds the protected names one single-character edit away.
func (ix *Index) searchEdits(s *search) {
	name := s.name
	var d deletionHashes
	d.init(name)
	try := func(ref uint32) {
		id := int32(ref >> 8)
		t := ix.names[id]
		tr, ok := classifyEdit(name, t)
		if !ok || min(len(name), len(t)) < minEditLength[tr] {
			return
		}
		// A trailing digit added, changed or dropped is a version suffix;
		// dropped, it is weak evidence ("urllib" for urllib3).
		if versionEdit(name, t) {
			ix.offerWeak(s, candidate{id, 1, Version}, len(name) < len(t))
			return
		}
		s.offer(candidate{id, 1, tr})
	}
	// name is a protected name with one character deleted: an omission.
	ix.edits.lookup(d.full(), func(ref uint32) {
		if ref&0xff != fullRef {
			try(ref)
		}
	})
	// name with one character deleted is a protected name (an insertion) or
	// equals it with one character deleted (a substitution or a swap).
	for i := 0; i < len(name); i++ {
		if i > 0 && name[i] == name[i-1] {
			continue
		}
		ix.edits.lookup(d.without(i), try)
	}
}

// minEditLength is, for each single-character edit, the length from which
// the shorter of the two names is checked for it. Short names collide with
// each other by chance (six/sip, tox/tax, idna/dna), and the less likely a
// slip of the hand, the longer the name must be: a look-alike, doubled or
// swapped character from 4 bytes, a keyboard neighbour, a missing or extra
// character from 5, any other substitution from 6.
var minEditLength = map[Transform]int{
	Swap:         4,
	Repetition:   4,
	Homoglyph:    4,
	Keyboard:     5,
	Omission:     5,
	Insertion:    5,
	Separator:    5,
	Substitution: 6,
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// versionEdit reports whether name, one edit away from t, differs from it
// only in its last character, and that character is a digit in both, or in
// the one that has it: a version suffix added, changed or dropped.
func versionEdit(name, t string) bool {
	n, m := len(name), len(t)
	switch {
	case n == m:
		return isDigit(name[n-1]) && isDigit(t[m-1]) && name[:n-1] == t[:m-1]
	case n == m+1:
		return isDigit(name[n-1]) && name[:m] == t
	case n+1 == m:
		return isDigit(t[m-1]) && t[:n] == name
	}
	return false
}

// searchAffixes looks for protected names that equal core, or that have an
// affix around the same core, or that differ from it in a version suffix.
// steps is 1 when core came from removing an affix from the checked name,
// and glued whether that affix had no separator.
func (ix *Index) searchAffixes(s *search, core string, steps int8, glued bool) {
	name := s.name
	if steps > 0 {
		// "requests-py": the core itself is protected.
		if id, ok := ix.exact[core]; ok {
			ix.offerWeak(s, candidate{id, 1, Affix}, glued)
		}
	}
	// "py-dateutil", "dateutil": a protected name has the same core. A
	// name that merely lacks the target's affix ("dateutil") is weaker
	// evidence than one that exchanges it.
	for id := range ix.cores.get(core) {
		if ix.names[id] != name {
			ix.offerWeak(s, candidate{id, 1, Affix}, glued || steps == 0)
		}
	}
	for id := range ix.gluedCores.get(core) {
		if ix.names[id] != name {
			ix.offerWeak(s, candidate{id, 1, Affix}, true)
		}
	}
	tr := Version
	if steps > 0 {
		tr = AffixVersion
	}
	if base, ok := versionBase(core); ok {
		// "requests2": the name without its version is protected.
		if id, ok := ix.exact[base]; ok {
			ix.offerWeak(s, candidate{id, steps + 1, tr}, glued)
		}
		// "urllib4": a protected name has another version.
		for id := range ix.bases.get(base) {
			if ix.names[id] != name {
				ix.offerWeak(s, candidate{id, steps + 1, tr}, glued)
			}
		}
	} else if len(core) >= minVersionBase {
		// "urllib": a protected name adds a version.
		for id := range ix.bases.get(core) {
			if ix.names[id] != name {
				ix.offerWeak(s, candidate{id, steps + 1, tr}, true)
			}
		}
	}
}

// offerWeak offers c, unless it is weak evidence (an affix without a
// separator, or a name that lacks the target's affix or version) and the
// target is not popular enough for that to matter; see [Options.RankRatio].
func (ix *Index) offerWeak(s *search, c candidate, weak bool) {
	if weak && ix.ranks[c.id] > ix.weakRank {
		return
	}
	s.offer(c)
}

// sameBare reports whether a and b are equal once separators are removed.
func sameBare(a, b string) bool {
	var x, y [MaxNameLength]byte
	return string(appendBare(x[:0], a)) == string(appendBare(y[:0], b))
}

// appendWordKey appends the hyphen-separated words of name, sorted and
// joined by '-', and reports whether name has between two and maxWords
// words.
func appendWordKey(dst []byte, name string) ([]byte, bool) {
	n := strings.Count(name, "-") + 1
	if n < 2 || n > maxWords {
		return dst, false
	}
	var words [maxWords]string
	rest := name
	for i := range n {
		words[i], rest, _ = strings.Cut(rest, "-")
	}
	w := words[:n]
	for _, x := range w {
		if x == "" {
			return dst, false
		}
	}
	slices.Sort(w)
	for i, x := range w {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = append(dst, x...)
	}
	return dst, true
}

// multimap maps strings to lists of ids without a slice per key: head holds
// the index+1 of a key's first node, and nodes chain the rest.
type multimap struct {
	head  map[string]int32
	nodes []mmNode
}

type mmNode struct {
	id, next int32 // next is an index+1 into nodes, or 0
}

func (m *multimap) init(n int) {
	m.head = make(map[string]int32, n)
	m.nodes = make([]mmNode, 0, n)
}

func (m *multimap) add(key string, id int32) {
	m.nodes = append(m.nodes, mmNode{id, m.head[key]})
	m.head[key] = int32(len(m.nodes))
}

// get returns the ids stored under key, most recently added first.
func (m *multimap) get(key string) func(yield func(int32) bool) {
	return m.from(m.head[key])
}

// getBytes is get for a key held in a byte slice, without a copy.
func (m *multimap) getBytes(key []byte) func(yield func(int32) bool) {
	return m.from(m.head[string(key)])
}

func (m *multimap) from(k int32) func(yield func(int32) bool) {
	return func(yield func(int32) bool) {
		for ; k != 0; k = m.nodes[k-1].next {
			if !yield(m.nodes[k-1].id) {
				return
			}
		}
	}
}
