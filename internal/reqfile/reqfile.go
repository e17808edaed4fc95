// Package reqfile reads requirements files and pip command lines exactly as
// pip 23 reads them, and reports what they ask for as a list of typed
// [Entry] values with file:line positions. Judging the entries is the
// policy's job, not this package's.
//
// # Requirements files
//
// The reference is pip 23.0.1's pip/_internal/req/req_file.py, with
// req/constructors.py for how a requirement is classified and
// cli/cmdoptions.py for the option table. A file is read in these steps,
// each one pip's:
//
//   - Decoding. A byte-order mark selects UTF-8, UTF-16 or UTF-32 (pip's
//     BOM table, in pip's order, so a UTF-32-LE mark reads as UTF-16-LE). Without
//     one, a PEP 263 declaration (a line starting with "#" that matches
//     coding[:=]) on one of the first two lines selects the encoding; this
//     package knows Python's names for UTF-8, Latin-1 and ASCII and refuses
//     any other declared encoding ([ErrEncoding]), where pip might accept it.
//     Otherwise the file is UTF-8 (what pip uses under a UTF-8 or C
//     locale). Text that does not decode, and text with a NUL character,
//     is an error ([ErrEncoding], [ErrBinary]).
//   - Lines are split as Python's str.splitlines splits them: besides \n, \r
//     and \r\n, also \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028 and U+2029.
//   - A line ending in a backslash is joined with the next line, unless it is
//     a comment line; all backslashes at both ends of a continued line are
//     removed (Python's str.strip("\\")); a trailing backslash at the end of
//     the file is dropped. A comment line ends a continuation. The joined
//     line takes the number of its first physical line, which is what pip
//     reports ("line N").
//   - A comment starts at a "#" at the start of the line or after
//     whitespace (Python's \s, which includes no-break spaces), so the "#" in
//     "pkg @ https://host/p.zip#sha256=..." or "-e git+https://h/r#egg=x" is
//     not a comment. Lines are then stripped of Python whitespace; empty lines
//     are skipped.
//   - ${NAME} references, NAME made of [A-Z0-9_], are recorded in
//     [Entry.EnvVars] and never expanded. pip expands them from its
//     environment after removing comments and before splitting options,
//     so a value can change everything about a line; this package reads
//     the line as pip does when the variables are unset.
//   - The line is split at the first space-separated word that starts with
//     "-": the words before it are the requirement, the rest is split as
//     Python's shlex.split does and parsed as optparse parses it,
//     including unambiguous abbreviations of long options ("--index" is
//     "--index-url", "--h" is "--hash", "--pre" is exact and so not
//     "--prefer-binary"), "--opt=value", "--opt value", "-ivalue",
//     "-i value", and "--" ending the options. Words that optparse
//     collects as arguments are discarded by pip; they become
//     [KindIgnoredArgument] entries.
//
// Options allowed in a file are pip's SUPPORTED_OPTIONS (-i/--index-url/
// --pypi-url, --extra-index-url, --no-index, -c/--constraint,
// -r/--requirement, -e/--editable, -f/--find-links, --no-binary,
// --only-binary, --prefer-binary, --require-hashes, --pre, --trusted-host,
// --use-feature) and the per-requirement options (--install-option,
// --global-option, --hash). pip 23.0 does not accept --config-settings in a
// file (pip 23.1 does): it is an unknown option here as it is there. Any
// other option makes pip reject the file.
//
// pip acts on a line in one of four ways, and [Entry.Ignored] records
// every option that pip parses but does not act on:
//
//   - a requirement line (words before the first option): the requirement,
//     with --hash, --global-option and --install-option applied to it;
//     every other option on the line is ignored;
//   - an editable line (-e, no requirement words): the first -e; every
//     other option is ignored, the per-requirement ones included;
//   - an include line (-r or -c, neither of the above): the first -r, or
//     the first -c when there is no -r, is read in place; every other
//     option is ignored;
//   - an option line: each option takes effect, except --hash,
//     --global-option and --install-option (ignored), all but the first
//     -f, all but the last -i, and -i and --extra-index-url once
//     --no-index has been seen.
//
// --no-binary and --only-binary are never ignored: pip applies them to its
// package finder while the line is parsed, whatever the line turns out to
// be.
//
// # Requirements
//
// A requirement is classified as pip's install_req_from_line and
// parse_editable classify it: a URL (http, https, ftp, file, or a
// version-control scheme such as git+https) is [FormURL] or [FormVCS]; text
// that looks like a path (it contains "/" or starts with ".") and is not
// "name @ URL", or names an archive file (.whl, .zip, .tar.gz, ...), is
// [FormPath] (pip installs a directory of that name when there is one, even
// when the text is also a valid requirement such as "name===1/2"); anything
// else is a PEP 508 requirement ([FormName], or [FormURL] for "name @ URL"). Markers are split off first, at "; " for a URL
// and at ";" otherwise. A wheel file name gives the requirement
// "name==version"; a URL's #egg= fragment gives its name. pip decides some
// of this by looking at the file system (is the path a directory?); this
// package does no I/O and reports such text as [FormPath] where pip would
// install a local directory or fail.
//
// Requirement strings are parsed with package pep508, which follows
// packaging 23. pip 23.0 vendors packaging 21.3, which also accepts legacy
// version specifiers such as "==1.0-foo-bar"; those are errors here (the
// package fails closed). pip's stricter 21.3 URL checks for "name @ URL" are
// applied on top.
//
// # Includes
//
// -r and -c name another file relative to the including file's directory
// (os.path.join, not cleaned: [Include.Resolved] is the name pip uses in
// its messages), or a URL (http, https or file), which is recorded and never
// fetched. Files are read through [Config.Open], so this package does no
// I/O of its own; with no opener, includes are recorded but not read. A
// -r inside a constraints file reads a requirements file and a -c inside a
// requirements file reads a constraints file, as in pip. pip has no cycle
// check and fails with a RecursionError; here a cycle is an error at the
// include that closes it ([ErrIncludeCycle]).
//
// # Command lines
//
// [ParseCommandLine] reads an argv (as a shell split it; [SplitCommand]
// splits a single command string, refusing what it cannot split safely)
// that runs pip install: pip, pip3, pip3.11, or python, python3,
// /usr/bin/python3 ... -m pip. Options before "install" go through pip's
// general option parser, as pip does, and the rest through the install
// command's parser, using pip's own option table: which options take values,
// their aliases and abbreviations, choices and value checks. Every option
// becomes an entry, so install-location options (--target, --prefix, --root,
// --user) and behaviour options (--upgrade, --no-deps, --python, ...) are
// visible to the policy. Positional arguments are requirements.
//
// # Strict and lax
//
// [Parse] and [ParseCommandLine] are strict: the first problem is returned
// as an [*Error], the way pip refuses the whole file. [ParseLax] and
// [ParseCommandLineLax] are for agent input: each problem becomes a
// [KindError] or [KindUnknownOption] entry and parsing goes on, so a
// policy can report everything wrong at once.
//
// # Limits
//
// Input is bounded by [MaxFileSize], [MaxTotalSize], [MaxLineLength],
// [MaxIncludeDepth], [MaxFiles] and [MaxEntries]; going over a limit is an
// error with a position.
//
// All functions are safe for concurrent use; [Config.Open] is called from the
// calling goroutine only.
package reqfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep508"
)

// Limits on untrusted input. Each one is far above what a real
// requirements file or command line needs.
const (
	// MaxFileSize is the largest file, in bytes, that is read. A
	// hash-pinned lock of a thousand projects is about 2 MB.
	MaxFileSize = 8 << 20
	// MaxLineLength is the longest line, in bytes, before or after joining
	// continuation lines, and the longest command-line argument.
	MaxLineLength = 64 << 10
	// MaxTotalSize is the most bytes one parse reads, over all files: a
	// file included many times counts each time.
	MaxTotalSize = 32 << 20
	// MaxIncludeDepth is how deeply -r and -c may nest; the top file is
	// depth 0.
	MaxIncludeDepth = 16
	// MaxFiles is how many files one parse reads, the top file included.
	MaxFiles = 256
	// MaxEntries is how many entries one parse produces.
	MaxEntries = 200_000
)

// CommandLine is the [Position.Source] of entries read from a command line.
const CommandLine = "<command line>"

// Sentinel errors, wrapped in an [*Error]; test with errors.Is.
var (
	ErrEncoding       = errors.New("cannot decode text")
	ErrBinary         = errors.New("binary content (NUL character)")
	ErrTooLarge       = errors.New("file too large")
	ErrLineTooLong    = errors.New("line too long")
	ErrTooManyEntries = errors.New("too many entries")
	ErrTooManyFiles   = errors.New("too many included files")
	ErrIncludeCycle   = errors.New("include cycle")
	ErrIncludeDepth   = errors.New("includes nested too deeply")
	ErrOpen           = errors.New("cannot open included file")
	ErrUnknownOption  = errors.New("no such option")
	ErrOption         = errors.New("bad option")
	ErrRequirement    = errors.New("invalid requirement")
	ErrNotPipInstall  = errors.New("not a pip install command")
	ErrShell          = errors.New("cannot split shell command safely")
)

// Kind is what an [Entry] is.
type Kind int

// The kinds of entries.
const (
	// KindRequirement is a requirement: a name with specifiers, a URL, a
	// path or a wheel file; see [Requirement.Form].
	KindRequirement Kind = iota + 1
	// KindEditable is an -e/--editable requirement.
	KindEditable
	// KindOption is any other option pip knows in that place.
	KindOption
	// KindInclude is -r/--requirement: another requirements file.
	KindInclude
	// KindConstraint is -c/--constraint: a constraints file.
	KindConstraint
	// KindUnknownOption is an option pip does not accept in that place
	// (lax parsing only; strict parsing returns an error). pip refuses
	// the whole file or command.
	KindUnknownOption
	// KindIgnoredArgument is a word after the options of a file line that
	// pip's option parser collects and pip then discards.
	KindIgnoredArgument
	// KindError is a problem that makes pip refuse the input (lax parsing
	// only; strict parsing returns it as the error).
	KindError
)

var kindNames = [...]string{
	KindRequirement:     "requirement",
	KindEditable:        "editable",
	KindOption:          "option",
	KindInclude:         "include",
	KindConstraint:      "constraint",
	KindUnknownOption:   "unknown-option",
	KindIgnoredArgument: "ignored-argument",
	KindError:           "error",
}

// String returns the kind's name: "requirement", "editable", "option",
// "include", "constraint", "unknown-option", "ignored-argument" or "error".
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText implements [encoding.TextMarshaler].
func (k Kind) MarshalText() ([]byte, error) {
	if k <= 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("reqfile: invalid kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if i > 0 && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("reqfile: unknown kind %q", b)
}

// Form is where a requirement's distribution comes from.
type Form int

// The forms of requirements.
const (
	// FormName is a project name, with extras, specifiers and a marker,
	// found through the package index.
	FormName Form = iota + 1
	// FormURL is an http, https, ftp or file URL, bare or as
	// "name @ URL"; it bypasses the index.
	FormURL
	// FormVCS is a version-control URL such as git+https://host/repo.
	FormVCS
	// FormPath is a local path: a project directory or an archive file.
	FormPath
)

var formNames = [...]string{FormName: "name", FormURL: "url", FormVCS: "vcs", FormPath: "path"}

// String returns "name", "url", "vcs" or "path".
func (f Form) String() string {
	if f > 0 && int(f) < len(formNames) {
		return formNames[f]
	}
	return fmt.Sprintf("Form(%d)", int(f))
}

// MarshalText implements [encoding.TextMarshaler].
func (f Form) MarshalText() ([]byte, error) {
	if f <= 0 || int(f) >= len(formNames) {
		return nil, fmt.Errorf("reqfile: invalid form %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (f *Form) UnmarshalText(b []byte) error {
	for i, n := range formNames {
		if i > 0 && n == string(b) {
			*f = Form(i)
			return nil
		}
	}
	return fmt.Errorf("reqfile: unknown form %q", b)
}

// Position is where an entry or error is.
type Position struct {
	// Source is the file, named as pip names it (the name given to Parse,
	// or an include's [Include.Resolved]), or [CommandLine].
	Source string
	// Line is the 1-based number of the first physical line of the logical
	// line: the number pip reports. It is 0 on a command line and for
	// problems with a whole file.
	Line int
	// EndLine is the last physical line the logical line spans.
	EndLine int
	// Col is the 1-based byte offset of the entry in the logical line
	// (after joining and comment removal), or 0.
	Col int
	// Arg is the index in argv of the word that holds the entry, on a
	// command line; -1 in a file.
	Arg int
}

// String returns "file:line", "file" or "argv[N]".
func (p Position) String() string {
	switch {
	case p.Source == CommandLine:
		return fmt.Sprintf("argv[%d]", p.Arg)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.Source, p.Line)
	default:
		return p.Source
	}
}

// Entry is one thing a requirements file or command line asks pip to do.
type Entry struct {
	Pos  Position
	Kind Kind
	// Raw is the entry's own text: the requirement, or the option words
	// (with the option's value) as written, quotes included.
	Raw string
	// Line is the whole logical line the entry comes from, after joining
	// continuations and removing the comment; on a command line, the
	// arguments joined by spaces.
	Line string
	// Depth is the include depth: 0 for the top file or command line.
	Depth int
	// Constraint reports whether the entry comes from a constraints file.
	Constraint bool
	// Ignored reports whether pip parses the entry but does not act on it
	// (see the package documentation); IgnoredReason says why.
	Ignored       bool
	IgnoredReason string
	// Requirement is set for KindRequirement, and for KindEditable unless
	// the entry is ignored (pip does not read an ignored -e).
	Requirement *Requirement
	// Option is set for KindOption, KindInclude, KindConstraint,
	// KindEditable, and for KindUnknownOption (Name is then the option's
	// canonical name when it is one pip install knows elsewhere, and the
	// spelling otherwise).
	Option *Option
	// Include is set for KindInclude and KindConstraint.
	Include *Include
	// EnvVars are the ${NAME} references on the entry's logical line, in
	// order. pip would expand them before parsing the line.
	EnvVars []string
	// Err is set for KindError and KindUnknownOption.
	Err *Error
}

// Option is one option as written.
type Option struct {
	// Name is the option's canonical long name, such as "--index-url".
	Name string
	// Spelling is how it was written: "-i", "--index", "--pypi-url".
	Spelling string
	// Value is the option's value; HasValue reports whether the option
	// takes one.
	Value    string
	HasValue bool
}

// String returns the option in canonical form: "--index-url=URL" or
// "--pre".
func (o *Option) String() string {
	if o.HasValue {
		return o.Name + "=" + o.Value
	}
	return o.Name
}

// Include is a -r or -c option.
type Include struct {
	// Path is the file or URL as written.
	Path string
	// Resolved is what pip opens: Path joined to the including file's
	// directory (Python's os.path.join, so not cleaned), or the URL.
	Resolved string
	// URL reports whether Path is an http, https or file URL. URLs are
	// never fetched.
	URL bool
	// Constraint reports whether the included file is a constraints file
	// (-c).
	Constraint bool
	// Followed reports whether the file was read; its entries follow the
	// include entry.
	Followed bool
}

// Hash is a --hash value.
type Hash struct {
	Alg    string // sha256, sha384 or sha512
	Digest string // as written
}

// String returns "alg:digest".
func (h Hash) String() string { return h.Alg + ":" + h.Digest }

// Requirement is a requirement as pip classifies it.
type Requirement struct {
	// Text is the requirement as written, without options: what pip passes
	// on from the line.
	Text string
	Form Form
	// Editable reports an -e requirement.
	Editable bool
	// Name is the project name as written, or "" when pip cannot know it
	// before building (a URL without #egg=, a path).
	Name string
	// Extras are the extras as written, in order.
	Extras []string
	// Marker is the environment marker, nil when there is none.
	Marker *pep508.Marker
	// URL is the URL for FormURL and FormVCS (also "name @ URL").
	URL string
	// Path is the local path for FormPath, as written, without extras.
	Path string
	// Wheel is the wheel file name when the URL or path names a .whl
	// file; Req is then "name==version" from it, except for
	// "name @ URL", where Req is that.
	Wheel string
	// Req is the PEP 508 requirement pip derives: the text itself, the
	// #egg= fragment of a URL, or name==version from a wheel file name;
	// nil when the requirement is unnamed. Its Marker is Marker.
	Req *pep508.Requirement
	// Hashes, GlobalOptions and InstallOptions are the per-requirement
	// options pip applies, in order.
	Hashes         []Hash
	GlobalOptions  []string
	InstallOptions []string
}

// Direct reports whether the requirement bypasses the package index: a
// URL, a VCS URL or a local path.
func (r *Requirement) Direct() bool { return r.Form != FormName }

// CanonicalName returns the PEP 503 form of Name, or "".
func (r *Requirement) CanonicalName() string {
	if r.Name == "" {
		return ""
	}
	return pep508.Normalize(r.Name)
}

// Error is a problem at a position.
type Error struct {
	Pos Position
	// Option is the option concerned, as written, when there is one.
	Option string
	// Text is the text concerned (a line, an argument), when there is one.
	Text string
	Err  error
}

// Error returns "file:line: message".
func (e *Error) Error() string {
	var b strings.Builder
	if s := e.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// MarshalText implements [encoding.TextMarshaler]: the error's message.
func (e *Error) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errors returns the errors of the KindError and KindUnknownOption entries,
// in order.
func Errors(entries []Entry) []*Error {
	var errs []*Error
	for i := range entries {
		if entries[i].Err != nil {
			errs = append(errs, entries[i].Err)
		}
	}
	return errs
}
