package advisory

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
)

// Limits on what one record may bring in.
const (
	// MaxIDLength bounds record ids and aliases; longer ones are ignored.
	MaxIDLength = 128
	// MaxSummaryLength is the length, in runes, at which summaries are cut.
	MaxSummaryLength = 160
	// maxProblems is how many problems Stats lists (all are counted).
	maxProblems = 50
)

// Vuln is one vulnerability, or one malicious-package report, as it applies
// to one package. Records that alias each other are merged into one Vuln.
// Vulns belong to their [Index] and must not be modified.
type Vuln struct {
	// ID is the primary id (see the package documentation).
	ID string
	// Aliases are the other ids of the same vulnerability, CVE ids first.
	Aliases []string
	// Package is the affected package's PEP 503 name.
	Package string
	// Summary is one line of plain text (control characters removed).
	Summary string
	// Severity is the most severe of the records' severities.
	Severity Severity
	// Malicious reports that this is a malicious-package report (a MAL id,
	// or OSV's database_specific "malicious-packages-origins").
	Malicious bool
	// Affected is the set of affected versions.
	Affected pep440.VersionSet
	// Fixed are the versions named as fixes (that are not themselves
	// affected), in ascending order.
	Fixed []pep440.Version
	// Published is the earliest publication time and Modified the latest
	// modification time of the merged records (zero when unknown).
	Published, Modified time.Time
	// Notes explain the choices made for data that could not be used as
	// written (a bound that is not a PEP 440 version, an event with two
	// fields, ...).
	Notes []string

	fixedText []string // Fixed as strings, for Assess
}

// IDs returns the primary id followed by the aliases.
func (v *Vuln) IDs() []string { return append([]string{v.ID}, v.Aliases...) }

// Title returns the ids for a message: "PYSEC-2023-74 (CVE-2023-32681,
// GHSA-j8r2-6x86-q33q)".
func (v *Vuln) Title() string {
	if len(v.Aliases) == 0 {
		return v.ID
	}
	return v.ID + " (" + strings.Join(v.Aliases, ", ") + ")"
}

// Affects reports whether version ver of the package is affected.
func (v *Vuln) Affects(ver pep440.Version) bool { return v.Affected.Contains(ver) }

// FixedStrings returns Fixed as canonical version strings.
func (v *Vuln) FixedStrings() []string {
	s := make([]string, len(v.Fixed))
	for i, f := range v.Fixed {
		s[i] = f.String()
	}
	return s
}

// Index is a set of vulnerabilities by package, ready to query. A nil
// *Index holds no data. An Index is immutable and safe for concurrent use.
type Index struct {
	pkgs   map[string][]*Vuln // by PEP 503 name, ordered by ID
	byID   map[string][]*Vuln // every id and alias
	stats  Stats
	unions sync.Map // unionKey → pep440.VersionSet, filled by Assess
}

// Stats describes what went into an index.
type Stats struct {
	// Records is the number of records read, Withdrawn how many of them were
	// withdrawn, and Skipped how many were unusable (no valid id, or no
	// PyPI package).
	Records   int `json:"records"`
	Withdrawn int `json:"withdrawn"`
	Skipped   int `json:"skipped"`
	// Vulns is the number of vulnerabilities after merging aliases
	// (malicious-package reports included), Malicious how many of those are
	// malicious-package reports, and Packages the number of packages named.
	Vulns     int `json:"vulns"`
	Malicious int `json:"malicious"`
	Packages  int `json:"packages"`
	// Problems counts the files that could not be read as records;
	// ProblemList lists the first few.
	Problems    int       `json:"problems"`
	ProblemList []Problem `json:"problem_list,omitempty"`
}

// Problem is a file that could not be used.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Stats returns what went into ix.
func (ix *Index) Stats() Stats {
	if ix == nil {
		return Stats{}
	}
	return ix.stats
}

// Lookup returns every vulnerability and malicious-package report for the
// named package (any spelling: names are compared in PEP 503 form). The
// slice must not be modified.
func (ix *Index) Lookup(name string) []*Vuln {
	if ix == nil {
		return nil
	}
	return ix.pkgs[pep508Name(name)]
}

func pep508Name(name string) string { return pep508.Normalize(name) }

// AffectedBy returns the vulnerabilities and malicious-package reports
// that affect version v of the named package.
func (ix *Index) AffectedBy(name string, v pep440.Version) []*Vuln {
	var out []*Vuln
	for _, x := range ix.Lookup(name) {
		if x.Affects(v) {
			out = append(out, x)
		}
	}
	return out
}

// Malicious returns the malicious-package reports for the named package,
// whatever versions they cover.
func (ix *Index) Malicious(name string) []*Vuln {
	var out []*Vuln
	for _, x := range ix.Lookup(name) {
		if x.Malicious {
			out = append(out, x)
		}
	}
	return out
}

// Find returns the entries (one per package) of the vulnerability with the
// given id or alias.
func (ix *Index) Find(id string) []*Vuln {
	if ix == nil {
		return nil
	}
	return ix.byID[id]
}

// Packages returns the names of the packages with entries, sorted.
func (ix *Index) Packages() []string {
	if ix == nil {
		return nil
	}
	names := make([]string, 0, len(ix.pkgs))
	for n := range ix.pkgs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ---- Building ----

// Builder collects OSV records and builds an [Index]. The zero value is
// ready to use. A Builder is not safe for concurrent use.
type Builder struct {
	recs  []*Record
	stats Stats
}

// LoadFS reads every OSV file under the root of fsys (see
// [Builder.AddFS]) and builds the index.
func LoadFS(fsys fs.FS) (*Index, error) {
	var b Builder
	if err := b.AddFS(fsys); err != nil {
		return nil, err
	}
	return b.Index(), nil
}

// Add adds one record. Withdrawn records are counted and dropped here.
func (b *Builder) Add(r *Record) {
	b.stats.Records++
	if strings.TrimSpace(r.Withdrawn) != "" {
		b.stats.Withdrawn++
		return
	}
	if !validID(r.ID) {
		b.stats.Skipped++
		return
	}
	b.recs = append(b.recs, r)
}

// AddFile parses one file by its extension (.json, .yaml or .yml) and adds
// the record. A file that does not parse is counted as a problem; files
// with other extensions are ignored.
func (b *Builder) AddFile(name string, data []byte) {
	var r *Record
	var err error
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		r, err = ParseJSON(data)
	case ".yaml", ".yml":
		r, err = ParseYAML(data)
	default:
		return
	}
	if err != nil {
		b.problem(name, err)
		return
	}
	b.Add(r)
}

func (b *Builder) problem(name string, err error) {
	b.stats.Problems++
	if len(b.stats.ProblemList) < maxProblems {
		msg := err.Error()
		if re, ok := err.(*RecordError); ok {
			msg = re.Err.Error()
			if re.Line > 0 {
				name = fmt.Sprintf("%s:%d", name, re.Line)
			}
		}
		b.stats.ProblemList = append(b.stats.ProblemList, Problem{Path: name, Message: sanitizeLine(msg, 300)})
	}
}

// AddFS reads every .json, .yaml and .yml file under the root of fsys,
// skipping directories whose names start with a dot. Files that do not
// parse, or are larger than [MaxRecordSize], are counted as problems; an
// error is returned only when the tree itself cannot be read.
func (b *Builder) AddFS(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		switch strings.ToLower(path.Ext(p)) {
		case ".json", ".yaml", ".yml":
		default:
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxRecordSize {
			b.problem(p, ErrTooLarge)
			return nil
		}
		data, err := readLimited(fsys, p)
		if err != nil {
			if err == ErrTooLarge {
				b.problem(p, err)
				return nil
			}
			return err
		}
		b.AddFile(p, data)
		return nil
	})
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRecordSize {
		return nil, ErrTooLarge
	}
	return data, nil
}

// Stats returns the counts so far (Vulns and Packages are filled in by
// Index).
func (b *Builder) Stats() Stats { return b.stats }

// Index validates and merges the records added so far into an index. The
// builder may be used again afterwards.
func (b *Builder) Index() *Index {
	stats := b.stats
	stats.ProblemList = slices.Clone(stats.ProblemList)
	ix := &Index{pkgs: map[string][]*Vuln{}, byID: map[string][]*Vuln{}}

	// Union-find over ids: records that share an id (their own or an
	// alias) describe one vulnerability.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, c string) {
		if _, ok := parent[a]; !ok {
			parent[a] = a
		}
		if _, ok := parent[c]; !ok {
			parent[c] = c
		}
		ra, rc := find(a), find(c)
		if ra != rc {
			parent[ra] = rc
		}
	}
	for _, r := range b.recs {
		union(r.ID, r.ID)
		for _, a := range r.Aliases {
			if validID(a) {
				union(r.ID, a)
			}
		}
	}
	groups := map[string][]*Record{}
	var roots []string
	for _, r := range b.recs {
		root := find(r.ID)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], r)
	}
	slices.Sort(roots)

	for _, root := range roots {
		vulns := buildGroup(groups[root])
		if len(vulns) == 0 {
			stats.Skipped += len(groups[root])
			continue
		}
		stats.Vulns++
		if vulns[0].Malicious {
			stats.Malicious++
		}
		for _, v := range vulns {
			ix.pkgs[v.Package] = append(ix.pkgs[v.Package], v)
			for _, id := range v.IDs() {
				ix.byID[id] = append(ix.byID[id], v)
			}
		}
	}
	for _, vs := range ix.pkgs {
		slices.SortFunc(vs, func(a, c *Vuln) int { return strings.Compare(a.ID, c.ID) })
		for _, v := range vs {
			if len(v.Fixed) > 0 {
				v.fixedText = v.FixedStrings()
			}
		}
	}
	stats.Packages = len(ix.pkgs)
	ix.stats = stats
	return ix
}

// validID reports whether id is usable as an OSV id: printable ASCII
// without spaces or slashes, at most MaxIDLength bytes.
func validID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// idRank orders candidate primary ids: MAL, PYSEC, GHSA, others, CVE.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "MAL-"):
		return 0
	case strings.HasPrefix(id, "PYSEC-"):
		return 1
	case strings.HasPrefix(id, "GHSA-"):
		return 2
	case strings.HasPrefix(id, "CVE-"):
		return 4
	}
	return 3
}

// aliasRank orders aliases: CVE, GHSA, PYSEC, MAL, others.
func aliasRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 0
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	case strings.HasPrefix(id, "PYSEC-"):
		return 2
	case strings.HasPrefix(id, "MAL-"):
		return 3
	}
	return 4
}

func isMaliciousRecord(r *Record) bool {
	if strings.HasPrefix(r.ID, "MAL-") {
		return true
	}
	if _, ok := r.DatabaseSpecific["malicious-packages-origins"]; ok {
		return true
	}
	return slices.ContainsFunc(r.Aliases, func(a string) bool { return strings.HasPrefix(a, "MAL-") })
}

// buildGroup merges the records of one vulnerability into one Vuln per
// PyPI package.
func buildGroup(recs []*Record) []*Vuln {
	slices.SortFunc(recs, func(a, b *Record) int {
		return cmp.Or(cmp.Compare(idRank(a.ID), idRank(b.ID)), strings.Compare(a.ID, b.ID))
	})
	idSet := map[string]bool{}
	malicious := false
	var published, modified time.Time
	for _, r := range recs {
		idSet[r.ID] = true
		for _, a := range r.Aliases {
			if validID(a) {
				idSet[a] = true
			}
		}
		malicious = malicious || isMaliciousRecord(r)
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(r.Published)); err == nil && (published.IsZero() || t.Before(published)) {
			published = t.UTC().Truncate(time.Second)
		}
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(r.Modified)); err == nil && t.After(modified) {
			modified = t.UTC().Truncate(time.Second)
		}
	}
	// Each package's entry takes its primary id and summary from the
	// records that name that package (one CVE may cover two packages, each
	// with its own PYSEC record).
	type acc struct {
		recs     []*Record
		ivs      []pep440.Interval
		fixed    []pep440.Version
		notes    []string
		severity Severity
	}
	byPkg := map[string]*acc{}
	var order []string
	for _, r := range recs {
		dbLevel := databaseSeverity(r)
		for i := range r.Affected {
			a := &r.Affected[i]
			if !strings.EqualFold(strings.TrimSpace(a.Package.Ecosystem), "PyPI") {
				continue
			}
			name := pep508.Normalize(strings.TrimSpace(a.Package.Name))
			if !pep508.ValidName(name) {
				continue
			}
			p := byPkg[name]
			if p == nil {
				p = &acc{}
				byPkg[name] = p
				order = append(order, name)
			}
			if !slices.Contains(p.recs, r) {
				p.recs = append(p.recs, r)
			}
			ivs, fixed, notes := evalAffected(a)
			p.ivs = append(p.ivs, ivs...)
			p.fixed = append(p.fixed, fixed...)
			for _, n := range notes {
				p.notes = append(p.notes, r.ID+": "+n)
			}
			scores := a.Severity
			if len(scores) == 0 {
				scores = r.Severity
			}
			if s := recordSeverity(scores, dbLevel); s.moreSevere(p.severity) {
				p.severity = s
			}
		}
	}
	out := make([]*Vuln, 0, len(order))
	for _, name := range order {
		p := byPkg[name]
		set := pep440.UnionOf(p.ivs)
		var fixed []pep440.Version
		for _, f := range p.fixed {
			if set.Contains(f) || slices.ContainsFunc(fixed, f.Equal) {
				continue
			}
			fixed = append(fixed, f)
		}
		slices.SortFunc(fixed, pep440.Compare)
		if set.IsEmpty() {
			p.notes = append(p.notes, "no PyPI versions or ECOSYSTEM ranges: no version can be matched")
		}
		primary := p.recs[0].ID
		var aliases []string
		for id := range idSet {
			if id != primary {
				aliases = append(aliases, id)
			}
		}
		slices.SortFunc(aliases, func(a, b string) int {
			return cmp.Or(cmp.Compare(aliasRank(a), aliasRank(b)), strings.Compare(a, b))
		})
		summary := groupSummary(p.recs)
		if summary == "" {
			summary = groupSummary(recs)
		}
		out = append(out, &Vuln{
			ID:        primary,
			Aliases:   aliases,
			Package:   name,
			Summary:   summary,
			Severity:  p.severity,
			Malicious: malicious,
			Affected:  set,
			Fixed:     fixed,
			Published: published,
			Modified:  modified,
			Notes:     dedupe(p.notes),
		})
	}
	return out
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// groupSummary picks a one-line summary: a GHSA record's summary, else any
// summary, else the first sentence of the primary record's details.
func groupSummary(recs []*Record) string {
	for _, pass := range []func(*Record) bool{
		func(r *Record) bool { return strings.HasPrefix(r.ID, "GHSA-") },
		func(*Record) bool { return true },
	} {
		for _, r := range recs {
			if pass(r) && strings.TrimSpace(r.Summary) != "" {
				return sanitizeLine(r.Summary, MaxSummaryLength)
			}
		}
	}
	for _, r := range recs {
		if d := strings.TrimSpace(r.Details); d != "" {
			return sanitizeLine(firstSentence(d), MaxSummaryLength)
		}
	}
	return ""
}

// firstSentence returns the text up to the end of the first sentence or
// paragraph.
func firstSentence(s string) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && (s[i+1] == ' ' || s[i+1] == '\n') {
			return s[:i+1]
		}
	}
	return s
}

// sanitizeLine makes untrusted text safe to print on one line: control and
// format characters (including bidirectional overrides and escape
// sequences) are dropped, runs of white space become one space, and the
// result is cut to at most max runes.
func sanitizeLine(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			continue
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) {
			continue
		}
		need := 1
		if space {
			need++
		}
		if n+need > max-1 {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n += need
	}
	return b.String()
}

// databaseSeverity reads database_specific.severity (GitHub's level).
func databaseSeverity(r *Record) Level {
	raw, ok := r.DatabaseSpecific["severity"]
	if !ok {
		return LevelUnknown
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return LevelUnknown
	}
	l, err := ParseLevel(s)
	if err != nil || l == LevelNone {
		return LevelUnknown
	}
	return l
}

// recordSeverity picks a record's severity: the highest CVSS v3 score, else
// the database's level, else the highest approximate CVSS v4 score.
func recordSeverity(scores []Score, db Level) Severity {
	var v3, v4 Severity
	for _, s := range scores {
		switch strings.ToUpper(strings.TrimSpace(s.Type)) {
		case "CVSS_V3":
			if score, err := CVSS3BaseScore(s.Score); err == nil {
				c := Severity{Level: levelOfScore(score), Score: score, Source: SourceCVSSv3, Vector: strings.TrimSpace(s.Score)}
				if c.moreSevere(v3) {
					v3 = c
				}
			}
		case "CVSS_V4":
			if score, err := CVSS4ApproxScore(s.Score); err == nil {
				c := Severity{Level: levelOfScore(score), Score: score, Source: SourceCVSSv4, Vector: strings.TrimSpace(s.Score), Approximate: true}
				if c.moreSevere(v4) {
					v4 = c
				}
			}
		}
	}
	switch {
	case v3.Source != SourceNone:
		return v3
	case db != LevelUnknown:
		return Severity{Level: db, Source: SourceDatabase}
	}
	return v4
}

// ---- Range evaluation ----

type eventKind uint8

const (
	evIntroduced eventKind = iota
	evFixed
	evLastAffected
)

type event struct {
	kind     eventKind
	v        pep440.Version
	minusInf bool // introduced "0"
}

// evalAffected returns the intervals of versions an affected entry covers,
// its fixed versions, and notes on data it could not use as written.
func evalAffected(a *Affected) (ivs []pep440.Interval, fixed []pep440.Version, notes []string) {
	for _, r := range a.Ranges {
		switch strings.ToUpper(strings.TrimSpace(r.Type)) {
		case "ECOSYSTEM", "SEMVER":
			rivs, rfixed, rnotes := evalRange(r.Events)
			ivs = append(ivs, rivs...)
			fixed = append(fixed, rfixed...)
			notes = append(notes, rnotes...)
		case "GIT":
		default:
			notes = append(notes, fmt.Sprintf("range of unknown type %q ignored", sanitizeLine(r.Type, 40)))
		}
	}
	// Listed versions usually lie inside the ranges (OSV fills the list
	// from them); only the others need intervals of their own.
	ranges := pep440.UnionOf(ivs)
	var bad []string
	for _, s := range a.Versions {
		v, err := pep440.Parse(strings.TrimSpace(s))
		if err != nil {
			bad = append(bad, s)
			continue
		}
		if !ranges.Contains(v) {
			ivs = append(ivs, pep440.Interval{Lo: pep440.Below(v), Hi: pep440.Above(v)})
		}
	}
	if len(bad) > 0 {
		notes = append(notes, fmt.Sprintf("%d listed versions are not PEP 440 versions and were ignored (%s)", len(bad), quoteList(bad, 3)))
	}
	return ivs, fixed, notes
}

func quoteList(s []string, n int) string {
	q := make([]string, 0, n+1)
	for i, x := range s {
		if i == n {
			q = append(q, "...")
			break
		}
		q = append(q, fmt.Sprintf("%q", sanitizeLine(x, 40)))
	}
	return strings.Join(q, ", ")
}

// evalRange turns a range's events into intervals, following the OSV
// evaluation pseudocode: events sorted by version (ties keep their order),
// a version's state is set by the last event that applies to it
// (introduced and fixed apply from their version on, last_affected from
// above it), and limit events cap the whole range.
func evalRange(evs []Event) (ivs []pep440.Interval, fixed []pep440.Version, notes []string) {
	var events []event
	var limits []pep440.Version
	unlimited := false
	for _, e := range evs {
		n := 0
		for _, f := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if f != "" {
				n++
			}
		}
		if n != 1 {
			notes = append(notes, fmt.Sprintf("event with %d fields: only its introduced (if any) was used", n))
		}
		switch {
		case e.Introduced != "":
			s := strings.TrimSpace(e.Introduced)
			if s == "0" {
				events = append(events, event{kind: evIntroduced, minusInf: true})
				continue
			}
			v, err := pep440.Parse(s)
			if err != nil {
				notes = append(notes, fmt.Sprintf("introduced %q is not a PEP 440 version: counted as \"0\"", sanitizeLine(s, 40)))
				events = append(events, event{kind: evIntroduced, minusInf: true})
				continue
			}
			events = append(events, event{kind: evIntroduced, v: v})
		case n != 1:
		case e.Fixed != "", e.LastAffected != "":
			kind, s, label := evFixed, e.Fixed, "fixed"
			if e.Fixed == "" {
				kind, s, label = evLastAffected, e.LastAffected, "last_affected"
			}
			v, err := pep440.Parse(strings.TrimSpace(s))
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s %q is not a PEP 440 version: ignored, so the range extends beyond it", label, sanitizeLine(s, 40)))
				continue
			}
			events = append(events, event{kind: kind, v: v})
			if kind == evFixed {
				fixed = append(fixed, v)
			}
		case e.Limit != "":
			s := strings.TrimSpace(e.Limit)
			if strings.Contains(s, "*") {
				unlimited = true
				continue
			}
			v, err := pep440.Parse(s)
			if err != nil {
				notes = append(notes, fmt.Sprintf("limit %q is not a PEP 440 version: ignored", sanitizeLine(s, 40)))
				continue
			}
			limits = append(limits, v)
		}
	}
	if !slices.ContainsFunc(events, func(e event) bool { return e.kind == evIntroduced }) {
		if len(events) == 0 {
			return nil, fixed, notes
		}
		notes = append(notes, "range without an introduced event: counted from \"0\"")
		events = append([]event{{kind: evIntroduced, minusInf: true}}, events...)
	}
	slices.SortStableFunc(events, func(a, b event) int {
		switch {
		case a.minusInf && b.minusInf:
			return 0
		case a.minusInf:
			return -1
		case b.minusInf:
			return +1
		}
		return pep440.Compare(a.v, b.v)
	})

	affected := func(k eventKind) bool { return k == evIntroduced }
	state := false // before any event
	i := 0
	for i < len(events) && events[i].minusInf {
		state = affected(events[i].kind)
		i++
	}
	lo := pep440.BelowAll()
	for i < len(events) {
		p := events[i].v
		j := i
		pointState := state
		for j < len(events) && pep440.Compare(events[j].v, p) == 0 {
			if events[j].kind != evLastAffected {
				pointState = affected(events[j].kind)
			}
			j++
		}
		after := affected(events[j-1].kind)
		if state {
			ivs = append(ivs, pep440.Interval{Lo: lo, Hi: pep440.Below(p)})
		}
		if pointState {
			ivs = append(ivs, pep440.Interval{Lo: pep440.Below(p), Hi: pep440.Above(p)})
		}
		lo, state, i = pep440.Above(p), after, j
	}
	if state {
		ivs = append(ivs, pep440.Interval{Lo: lo, Hi: pep440.AboveAll()})
	}
	if len(limits) > 0 && !unlimited {
		top := slices.MaxFunc(limits, pep440.Compare)
		capped := pep440.UnionOf(ivs).Intersect(pep440.Span(pep440.BelowAll(), pep440.Below(top)))
		ivs, _ = capped.Intervals()
	}
	return ivs, fixed, notes
}
