package advisory

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// The snapshot format: a magic string, a format version, then the index as
// varint-encoded tables (strings, versions, vulnerabilities, package
// entries), and a CRC-32 of everything before it. Every version is stored
// once, as its canonical string, and parsed once on load; interval sets are
// stored as their bounds. The format version changes whenever the layout
// does; an old airlock refuses a newer snapshot rather than misreading it.
const (
	snapshotMagic   = "AIRLOCK-OSV\x00"
	snapshotVersion = 1
)

// ErrSnapshotVersion is returned for a snapshot written in another format
// version.
var ErrSnapshotVersion = errors.New("advisory snapshot has an unsupported format version")

// SnapshotError is a snapshot that could not be decoded.
type SnapshotError struct{ Reason string }

func (e *SnapshotError) Error() string { return "corrupt advisory snapshot: " + e.Reason }

var _ encoding.BinaryMarshaler = (*Index)(nil)

// MarshalBinary encodes ix as a snapshot that [UnmarshalIndex] reads back.
// A nil index encodes as an empty one.
func (ix *Index) MarshalBinary() ([]byte, error) {
	if ix == nil {
		ix = &Index{}
	}
	e := &snapEncoder{strs: map[string]uint64{}, vers: map[string]uint64{}}

	// Entries share their vulnerability-wide fields (ids, summary, flags,
	// times), stored once, in a stable order.
	names := ix.Packages()
	var groups []*Vuln
	groupIdx := map[string]uint64{}
	type entry struct {
		group uint64
		v     *Vuln
	}
	var entries []entry
	for _, n := range names {
		for _, v := range ix.pkgs[n] {
			key := fmt.Sprint(v.ID, "\x00", v.Aliases, "\x00", v.Summary, "\x00", v.Malicious, v.Published.Unix(), v.Modified.Unix())
			g, ok := groupIdx[key]
			if !ok {
				g = uint64(len(groups))
				groupIdx[key] = g
				groups = append(groups, v)
			}
			entries = append(entries, entry{g, v})
		}
	}

	var body []byte
	st := ix.stats
	for _, n := range []int{st.Records, st.Withdrawn, st.Skipped, st.Vulns, st.Malicious, st.Packages, st.Problems} {
		body = binary.AppendUvarint(body, uint64(n))
	}
	body = binary.AppendUvarint(body, uint64(len(st.ProblemList)))
	for _, p := range st.ProblemList {
		body = e.str(body, p.Path)
		body = e.str(body, p.Message)
	}
	body = binary.AppendUvarint(body, uint64(len(groups)))
	for _, g := range groups {
		body = e.str(body, g.ID)
		body = binary.AppendUvarint(body, uint64(len(g.Aliases)))
		for _, a := range g.Aliases {
			body = e.str(body, a)
		}
		body = e.str(body, g.Summary)
		body = append(body, boolByte(g.Malicious))
		body = appendTime(body, g.Published)
		body = appendTime(body, g.Modified)
	}
	body = binary.AppendUvarint(body, uint64(len(entries)))
	for _, en := range entries {
		v := en.v
		body = binary.AppendUvarint(body, en.group)
		body = e.str(body, v.Package)
		s := v.Severity
		body = append(body, byte(s.Level), byte(s.Source), boolByte(s.Approximate))
		body = binary.AppendUvarint(body, uint64(math.Round(s.Score*10)))
		body = e.str(body, s.Vector)
		ivs, ok := v.Affected.Intervals()
		if !ok {
			return nil, fmt.Errorf("advisory: %s: affected set differs by version class", v.ID)
		}
		body = binary.AppendUvarint(body, uint64(len(ivs)))
		for _, iv := range ivs {
			body = e.bound(body, iv.Lo)
			body = e.bound(body, iv.Hi)
		}
		body = binary.AppendUvarint(body, uint64(len(v.Fixed)))
		for _, f := range v.Fixed {
			body = e.ver(body, f)
		}
		body = binary.AppendUvarint(body, uint64(len(v.Notes)))
		for _, n := range v.Notes {
			body = e.str(body, n)
		}
	}

	out := []byte(snapshotMagic)
	out = binary.AppendUvarint(out, snapshotVersion)
	out = e.appendTables(out)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out)), nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, math.MinInt64)
	}
	return binary.AppendVarint(b, t.Unix())
}

type snapEncoder struct {
	strs, vers       map[string]uint64
	strList, verList []string
}

func (e *snapEncoder) str(b []byte, s string) []byte {
	i, ok := e.strs[s]
	if !ok {
		i = uint64(len(e.strList))
		e.strs[s] = i
		e.strList = append(e.strList, s)
	}
	return binary.AppendUvarint(b, i)
}

func (e *snapEncoder) ver(b []byte, v pep440.Version) []byte {
	s := v.String()
	i, ok := e.vers[s]
	if !ok {
		i = uint64(len(e.verList))
		e.vers[s] = i
		e.verList = append(e.verList, s)
	}
	return binary.AppendUvarint(b, i)
}

func (e *snapEncoder) bound(b []byte, bd pep440.Bound) []byte {
	b = append(b, byte(bd.Kind()))
	switch bd.Kind() {
	case pep440.BoundBelowAll, pep440.BoundAboveAll:
		return b
	}
	return e.ver(b, bd.Version())
}

func (e *snapEncoder) appendTables(b []byte) []byte {
	for _, list := range [][]string{e.strList, e.verList} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// UnmarshalIndex decodes a snapshot made by [Index.MarshalBinary]. It
// checks the checksum and every count and index, so a damaged file gives a
// [*SnapshotError], never a panic or a wrong index.
func UnmarshalIndex(data []byte) (*Index, error) {
	if len(data) < len(snapshotMagic)+5 || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return nil, &SnapshotError{"not an advisory snapshot"}
	}
	payload, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	d := &snapDecoder{b: payload[len(snapshotMagic):]}
	if v := d.uvarint(); d.err == nil && v != snapshotVersion {
		return nil, fmt.Errorf("%w (%d, want %d)", ErrSnapshotVersion, v, snapshotVersion)
	}
	if crc32.ChecksumIEEE(payload) != sum {
		return nil, &SnapshotError{"checksum mismatch"}
	}
	d.strList = d.table()
	verText := d.table()
	if d.err != nil {
		return nil, d.err
	}
	d.verText = verText
	d.verList = make([]pep440.Version, len(verText))
	for i, s := range verText {
		v, err := pep440.Parse(s)
		if err != nil {
			return nil, &SnapshotError{fmt.Sprintf("version %q: %v", s, err)}
		}
		d.verList[i] = v
	}

	ix := &Index{pkgs: map[string][]*Vuln{}, byID: map[string][]*Vuln{}}
	st := &ix.stats
	for _, p := range []*int{&st.Records, &st.Withdrawn, &st.Skipped, &st.Vulns, &st.Malicious, &st.Packages, &st.Problems} {
		*p = d.int()
	}
	n := d.count(2)
	for range n {
		st.ProblemList = append(st.ProblemList, Problem{Path: d.str(), Message: d.str()})
	}
	n = d.count(6)
	groups := make([]Vuln, n)
	for i := range groups {
		g := &groups[i]
		g.ID = d.str()
		if na := d.count(1); na > 0 {
			g.Aliases = make([]string, na)
			for j := range g.Aliases {
				g.Aliases[j] = d.str()
			}
		}
		g.Summary = d.str()
		g.Malicious = d.byte() == 1
		g.Published = d.time()
		g.Modified = d.time()
	}
	n = d.count(8)
	vulns := make([]Vuln, n)
	for i := range vulns {
		gi := d.int()
		if d.err == nil && gi >= len(groups) {
			d.fail("group index out of range")
		}
		if d.err != nil {
			return nil, d.err
		}
		v := &vulns[i]
		*v = groups[gi]
		v.Package = d.str()
		v.Severity = Severity{Level: Level(d.byte()), Source: SeveritySource(d.byte()), Approximate: d.byte() == 1}
		v.Severity.Score = float64(d.uvarint()) / 10
		v.Severity.Vector = d.str()
		ivs := make([]pep440.Interval, d.count(2))
		for j := range ivs {
			ivs[j] = pep440.Interval{Lo: d.bound(), Hi: d.bound()}
		}
		v.Affected = pep440.UnionOf(ivs)
		if nf := d.count(1); nf > 0 {
			v.Fixed = make([]pep440.Version, nf)
			v.fixedText = make([]string, nf)
			for j := range v.Fixed {
				v.Fixed[j], v.fixedText[j] = d.verAndText()
			}
		}
		if nn := d.count(1); nn > 0 {
			v.Notes = make([]string, nn)
			for j := range v.Notes {
				v.Notes[j] = d.str()
			}
		}
		if d.err != nil {
			return nil, d.err
		}
		ix.pkgs[v.Package] = append(ix.pkgs[v.Package], v)
		for _, id := range v.IDs() {
			ix.byID[id] = append(ix.byID[id], v)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("data after the last entry")
	}
	if d.err != nil {
		return nil, d.err
	}
	for _, vs := range ix.pkgs {
		if !slices.IsSortedFunc(vs, func(a, b *Vuln) int { return strings.Compare(a.ID, b.ID) }) {
			slices.SortFunc(vs, func(a, b *Vuln) int { return strings.Compare(a.ID, b.ID) })
		}
	}
	return ix, nil
}

type snapDecoder struct {
	b       []byte
	err     error
	strList []string
	verList []pep440.Version
	verText []string
}

func (d *snapDecoder) fail(reason string) {
	if d.err == nil {
		d.err = &SnapshotError{reason}
	}
	d.b = nil
}

func (d *snapDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *snapDecoder) int() int {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.fail("count out of range")
		return 0
	}
	return int(v)
}

// count reads a count of items that take at least min bytes each, so that
// a damaged count cannot make the decoder allocate more than the input.
func (d *snapDecoder) count(min int) int {
	n := d.int()
	if n > len(d.b)/min {
		d.fail("count larger than the data")
		return 0
	}
	return n
}

func (d *snapDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *snapDecoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated")
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}

func (d *snapDecoder) table() []string {
	n := d.count(1)
	list := make([]string, n)
	for i := range list {
		l := d.int()
		if l > len(d.b) {
			d.fail("string longer than the data")
		}
		if d.err != nil {
			return nil
		}
		list[i] = string(d.b[:l])
		d.b = d.b[l:]
	}
	return list
}

func (d *snapDecoder) str() string {
	i := d.uvarint()
	if d.err == nil && i >= uint64(len(d.strList)) {
		d.fail("string index out of range")
	}
	if d.err != nil {
		return ""
	}
	return d.strList[i]
}

func (d *snapDecoder) verAndText() (pep440.Version, string) {
	i := d.uvarint()
	if d.err == nil && i >= uint64(len(d.verList)) {
		d.fail("version index out of range")
	}
	if d.err != nil {
		return pep440.Version{}, ""
	}
	return d.verList[i], d.verText[i]
}

func (d *snapDecoder) ver() pep440.Version {
	i := d.uvarint()
	if d.err == nil && i >= uint64(len(d.verList)) {
		d.fail("version index out of range")
	}
	if d.err != nil {
		return pep440.Version{}
	}
	return d.verList[i]
}

func (d *snapDecoder) bound() pep440.Bound {
	k := pep440.BoundKind(d.byte())
	var v pep440.Version
	switch k {
	case pep440.BoundBelowAll, pep440.BoundAboveAll:
	default:
		v = d.ver()
	}
	if d.err != nil {
		return pep440.Bound{}
	}
	b, err := pep440.NewBound(k, v)
	if err != nil {
		d.fail(err.Error())
	}
	return b
}
