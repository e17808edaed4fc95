package inspect

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Default limits on artifacts. Real wheels stay well inside them: the
// largest common wheels (torch, tensorflow) have about 20,000 members and
// 2 GiB uncompressed; text compresses about 5 to 10 times.
const (
	// DefaultMaxArchiveSize bounds the file itself: 4 GiB.
	DefaultMaxArchiveSize = 4 << 30
	// DefaultMaxEntries bounds the number of archive members.
	DefaultMaxEntries = 100_000
	// DefaultMaxTotalSize bounds the sum of the members' uncompressed
	// sizes: 8 GiB.
	DefaultMaxTotalSize = 8 << 30
	// DefaultMaxFileSize bounds one member's uncompressed size: 2 GiB.
	DefaultMaxFileSize = 2 << 30
	// DefaultMaxRatio bounds how much a member may expand (uncompressed
	// size over compressed size) once it is larger than RatioMinSize.
	// Deflate tops out near 1032; zip bombs sit at that ceiling.
	DefaultMaxRatio = 200
	// RatioMinSize is the size from which the ratio is checked: small
	// members of repeated bytes compress absurdly well and harm no one.
	RatioMinSize = 1 << 20
	// MaxMetadataSize bounds the files read whole for their content
	// (RECORD, WHEEL, entry_points.txt, top_level.txt, .pth files).
	MaxMetadataSize = 32 << 20
)

// Limits bound the reading of one archive. A zero field takes its default.
type Limits struct {
	MaxArchiveSize int64 `json:"max_archive_size,omitempty" yaml:"max_archive_size,omitempty"`
	MaxEntries     int   `json:"max_entries,omitempty" yaml:"max_entries,omitempty"`
	MaxTotalSize   int64 `json:"max_total_size,omitempty" yaml:"max_total_size,omitempty"`
	MaxFileSize    int64 `json:"max_file_size,omitempty" yaml:"max_file_size,omitempty"`
	MaxRatio       int64 `json:"max_ratio,omitempty" yaml:"max_ratio,omitempty"`
}

func (l Limits) withDefaults() Limits {
	if l.MaxArchiveSize <= 0 {
		l.MaxArchiveSize = DefaultMaxArchiveSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// SourceScanner scans one source file found in an artifact. Implementations
// (pyscan.Scanner) must be safe for concurrent use and return findings with
// their rule's default action; path is the member's path in the archive.
type SourceScanner interface {
	ScanSource(ctx context.Context, path string, src []byte) ([]Finding, error)
}

// InstalledFiles answers, for an environment, which installed distribution
// owns a file. path is relative to site-packages, with forward slashes;
// project is the owner's normalised name.
type InstalledFiles interface {
	Owner(path string) (project string, ok bool)
}

// Options configure [Artifact].
type Options struct {
	// Limits bound the reading; zero fields take the defaults.
	Limits Limits
	// Config sets the action of each finding; the zero Config keeps the
	// rules' defaults.
	Config Config
	// Sources, when set, scans every Python source in the archive (.py
	// members, and the import lines of .pth files).
	Sources SourceScanner
	// Installed, when set, is checked for files the wheel would overwrite.
	Installed InstalledFiles
}

// Kind is the type of an artifact, from its file name.
type Kind uint8

// Artifact kinds.
const (
	KindUnknown Kind = iota
	KindWheel
	KindSdist
)

// String returns "wheel", "sdist" or "unknown".
func (k Kind) String() string {
	switch k {
	case KindWheel:
		return "wheel"
	case KindSdist:
		return "sdist"
	}
	return "unknown"
}

// MarshalText implements [encoding.TextMarshaler].
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// A Report is what [Artifact] found in one file.
type Report struct {
	Filename string    `json:"filename"`
	Kind     Kind      `json:"kind"`
	Project  string    `json:"project,omitempty"` // normalised, from the file name
	Version  string    `json:"version,omitempty"`
	Entries  int       `json:"entries"`  // archive members seen
	Size     int64     `json:"size"`     // uncompressed bytes read
	Sources  int       `json:"sources"`  // Python sources scanned
	Findings []Finding `json:"findings"` // sorted, with the config applied
	Verdict  Action    `json:"verdict"`  // the strongest action of the findings
	Complete bool      `json:"complete"` // false when a limit stopped the reading
}

// Normalize returns the PEP 503 form of a project name: lower case, runs of
// "-", "_" and "." replaced by one "-".
func Normalize(name string) string {
	return strings.ToLower(nameSepRE.ReplaceAllString(name, "-"))
}

var nameSepRE = regexp.MustCompile(`[-_.]+`)

// sdistExts are the archive suffixes of source distributions.
var sdistExts = []string{".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip"}

// KindOf returns the kind of artifact a file name denotes, with the project
// name (normalised) and version read from it.
func KindOf(filename string) (kind Kind, project, version string) {
	base := filename[strings.LastIndexAny(filename, `/\`)+1:]
	lower := strings.ToLower(base)
	if stem, ok := strings.CutSuffix(base, ".whl"); ok || strings.HasSuffix(lower, ".whl") {
		if !ok {
			stem = base[:len(base)-4]
		}
		parts := strings.Split(stem, "-")
		if len(parts) == 5 || len(parts) == 6 {
			return KindWheel, Normalize(parts[0]), parts[1]
		}
		return KindWheel, "", ""
	}
	for _, ext := range sdistExts {
		if strings.HasSuffix(lower, ext) {
			stem := base[:len(base)-len(ext)]
			if i := strings.LastIndexByte(stem, '-'); i > 0 {
				return KindSdist, Normalize(stem[:i]), stem[i+1:]
			}
			return KindSdist, Normalize(stem), ""
		}
	}
	return KindUnknown, "", ""
}

// Artifact inspects a wheel or sdist read from r (size bytes; filename
// gives its kind and name) without extracting it. Wheels get every check
// of the artifact rules; sdists are reported as such (rule AL651, denied by
// default) and checked for unsafe members; their Python sources are scanned
// like a wheel's when opts.Sources is set.
//
// Problems with the archive are findings, not errors: Artifact returns an
// error only when reading r fails or ctx ends. Reading stops at the first
// exceeded limit (the report then has Complete false and a limits finding).
func Artifact(ctx context.Context, r io.ReaderAt, size int64, filename string, opts Options) (*Report, error) {
	kind, project, version := KindOf(filename)
	in := &inspection{
		ctx: ctx, opts: opts, lim: opts.Limits.withDefaults(),
		rep: &Report{Filename: filename, Kind: kind, Project: project, Version: version, Complete: true},
	}
	var err error
	switch {
	case size > in.lim.MaxArchiveSize:
		in.stop(RuleTooLarge, "", "the file is %d bytes, over the limit of %d", size, in.lim.MaxArchiveSize)
	case kind == KindWheel:
		err = in.wheel(r, size)
	case kind == KindSdist:
		in.add(RuleSdist, "", "%s is a source distribution; installing it would run its build code", filename)
		err = in.sdist(r, size, strings.ToLower(filename))
	default:
		in.add(RuleUnsupported, "", "%s is neither a wheel nor a source distribution", filename)
	}
	if err != nil {
		return nil, err
	}
	in.rep.Findings = opts.Config.Apply(in.rep.Findings)
	in.rep.Verdict = Verdict(in.rep.Findings)
	return in.rep, nil
}

// inspection is the state of one Artifact call.
type inspection struct {
	ctx  context.Context
	opts Options
	lim  Limits
	rep  *Report
	read int64 // uncompressed bytes read so far
}

// add records a finding about member path.
func (in *inspection) add(r *Rule, path, format string, args ...any) {
	in.rep.Findings = append(in.rep.Findings, Finding{
		Rule: r, Severity: r.Severity, Action: r.Action, Archive: in.rep.Filename, Path: path,
		Message: fmt.Sprintf(format, args...),
	})
}

// stop records a finding that ends the reading.
func (in *inspection) stop(r *Rule, path, format string, args ...any) {
	in.add(r, path, format, args...)
	in.rep.Complete = false
}

// scanSource hands a Python source to the source scanner.
func (in *inspection) scanSource(path string, src []byte) error {
	if in.opts.Sources == nil {
		return nil
	}
	fs, err := in.opts.Sources.ScanSource(in.ctx, path, src)
	if err != nil {
		return err
	}
	in.rep.Sources++
	for _, f := range fs {
		f.Archive = in.rep.Filename
		f.Path = path
		in.rep.Findings = append(in.rep.Findings, f)
	}
	return nil
}
