// Package simple reads and writes the Python package index's Simple
// Repository API: PEP 503 HTML pages and PEP 691 JSON pages, with the
// extensions airlock relies on — PEP 592 yanked files, PEP 629 repository
// versions, PEP 658 and PEP 714 metadata files, and PEP 700 versions, sizes
// and upload times.
//
// Pages come from an untrusted upstream, so the parsers are lax about what
// they ignore (unknown keys and tags, files with unusable URLs) and strict
// about limits: a page larger than [MaxPageSize] or with more than
// [MaxFiles] files is an error, as is a major API version other than 1.
// The writers produce api-version 1.1 pages.
//
// The package does no I/O of its own.
package simple

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// Content types of the Simple API (PEP 691).
const (
	JSONType       = "application/vnd.pypi.simple.v1+json"
	HTMLType       = "application/vnd.pypi.simple.v1+html"
	LegacyHTMLType = "text/html"
	latestJSON     = "application/vnd.pypi.simple.latest+json"
	latestHTML     = "application/vnd.pypi.simple.latest+html"
)

// Limits on what an upstream page may hold.
const (
	// MaxPageSize is the largest page, in bytes, that a parser accepts.
	// The largest project pages on PyPI (projects with thousands of
	// releases and many wheels per release) are tens of megabytes in HTML.
	MaxPageSize = 64 << 20
	// MaxFiles is the largest number of files on one page.
	MaxFiles = 200_000
	// MaxFilenameLength is the longest file name kept; longer ones are
	// skipped.
	MaxFilenameLength = 255
)

// APIVersion is the api-version of the pages this package writes.
const APIVersion = "1.1"

// Project is a project page.
type Project struct {
	// Name is the project's name as the page gives it (JSON) or as it was
	// asked for (HTML).
	Name string `json:"name"`
	// Files are the page's files in page order.
	Files []File `json:"files"`
	// Versions are the PEP 700 versions, when the page lists them.
	Versions []string `json:"versions,omitempty"`
}

// File is one file on a project page.
type File struct {
	Filename string `json:"filename"`
	// URL is absolute: relative links are resolved against the page URL.
	URL string `json:"url"`
	// Hashes maps lower-case hash names to lower-case hex digests.
	Hashes         map[string]string `json:"hashes,omitempty"`
	RequiresPython string            `json:"requires-python,omitempty"`
	Yanked         bool              `json:"yanked,omitempty"`
	YankedReason   string            `json:"yanked-reason,omitempty"`
	// Metadata is the PEP 658 metadata file, or nil when the page offers
	// none.
	Metadata *Metadata `json:"metadata,omitempty"`
	// Size is the file's size in bytes, or -1 when the page does not say.
	Size int64 `json:"size"`
	// UploadTime is zero when the page does not say.
	UploadTime time.Time `json:"upload-time,omitzero"`
}

// Metadata describes a PEP 658 metadata file, served at the file's URL
// with ".metadata" appended.
type Metadata struct {
	// Hashes of the metadata file; empty when the page only says that it
	// exists.
	Hashes map[string]string `json:"hashes,omitempty"`
}

// SHA256 returns the file's sha256 hex digest, or "".
func (f *File) SHA256() string { return f.Hashes["sha256"] }

// Normalize returns name in PEP 503 normal form: lower case, with every run
// of "-", "_" and "." replaced by a single "-".
func Normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

var separators = regexp.MustCompile(`[-_.]+`)

var validName = regexp.MustCompile(`^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$`)

// ValidName reports whether name is a valid project name (PEP 508).
func ValidName(name string) bool {
	return len(name) <= 200 && validName.MatchString(name)
}

// IsNormalized reports whether name is a valid project name in normal
// form.
func IsNormalized(name string) bool {
	return ValidName(name) && Normalize(name) == name
}

// Kind is the kind of a distribution file.
type Kind int

const (
	// Unknown is any other file: eggs, Windows installers, and names that do
	// not parse.
	Unknown Kind = iota
	// Wheel is a built distribution (.whl).
	Wheel
	// Sdist is a source distribution (.tar.gz, .zip, ...), which runs code
	// when pip builds it.
	Sdist
)

func (k Kind) String() string {
	switch k {
	case Wheel:
		return "wheel"
	case Sdist:
		return "sdist"
	}
	return "unknown"
}

// sdistExts are the source distribution extensions pip accepts.
var sdistExts = []string{".tar.gz", ".zip", ".tar.bz2", ".tbz", ".tgz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", ".tar"}

// ErrFilename is returned by [ParseFilename] for names it cannot read.
var ErrFilename = errors.New("not a wheel or sdist file name of this project")

// ParseFilename returns the version (as written; [pep440.Parse] accepts
// it) and kind of a wheel or sdist file of
// project, read the way pip reads them: a wheel name has five or six
// dash-separated parts, and an sdist's version follows the first dash whose
// prefix normalises to the project's name. It returns [ErrFilename] (wrapped
// with the file name) for any other file, including files of another
// project, and for versions that are not valid PEP 440 versions.
func ParseFilename(project, filename string) (version string, kind Kind, err error) {
	want := Normalize(project)
	bad := func(why string) (string, Kind, error) {
		return "", Unknown, fmt.Errorf("%q: %w: %s", filename, ErrFilename, why)
	}
	if strings.ContainsAny(filename, "/\\") || len(filename) > MaxFilenameLength {
		return bad("bad characters or length")
	}
	// The parts are cut from the name as written: lower-casing can change
	// a name's length in bytes (U+212A KELVIN SIGN is "k"), so offsets in
	// a lower-cased copy do not point into the original.
	if stem, ok := cutSuffixFold(filename, ".whl"); ok {
		parts := strings.Split(stem, "-")
		if len(parts) != 5 && len(parts) != 6 {
			return bad("a wheel name has 5 or 6 parts")
		}
		if Normalize(parts[0]) != want {
			return bad("another project's wheel")
		}
		version, kind = parts[1], Wheel
	} else {
		stem := ""
		for _, ext := range sdistExts {
			if s, ok := cutSuffixFold(filename, ext); ok {
				stem = s
				break
			}
		}
		if stem == "" {
			return bad("unsupported file type")
		}
		for i := range len(stem) {
			if stem[i] == '-' && Normalize(stem[:i]) == want {
				version = stem[i+1:]
				break
			}
		}
		if version == "" {
			return bad("no version after the project name")
		}
		kind = Sdist
	}
	if strings.TrimSpace(version) != version {
		return bad("not a PEP 440 version")
	}
	if _, err := pep440.Parse(version); err != nil {
		return bad("not a PEP 440 version")
	}
	return version, kind, nil
}

// cutSuffixFold is strings.CutSuffix for an ASCII suffix, ignoring ASCII
// case.
func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) {
		return s, false
	}
	tail := s[len(s)-len(suffix):]
	for i := range len(suffix) {
		c := tail[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return s, false
		}
	}
	return s[:len(s)-len(suffix)], true
}

// IsPrerelease reports whether version is a PEP 440 pre-release or
// development release (what pip installs only when asked), as packaging
// reads it; an invalid version is not one.
func IsPrerelease(version string) bool {
	v, err := pep440.Parse(version)
	return err == nil && v.IsPrerelease()
}
