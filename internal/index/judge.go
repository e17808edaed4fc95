package index

import (
	"fmt"
	"time"

	"github.com/airlock-dev/airlock/internal/index/simple"
)

// Judge decides what the proxy serves. The proxy asks it at three levels:
//
//  1. Project: once per project page and once per file request, before any
//     file is considered. A denied project's page still lists its files
//     (so that pip picks one and downloads it), but every download answers
//     403 with the verdict's reason in the HTTP reason phrase and the body,
//     and the JSON page carries the reason under "_airlock". pip hides a
//     403 on a page but prints the reason phrase of a 403 on a download.
//  2. File, when a page is rendered: a file the judge refuses is left out
//     of the page, so pip resolves to the allowed versions (and a version
//     whose every file is refused disappears from "versions").
//  3. File, again, when the file (or its PEP 658 metadata) is requested,
//     because an agent can ask for a file URL without reading the page. A
//     refusal answers 403 with the reason, like a denied project.
//
// Contract: implementations must be safe for concurrent use, must not
// block or do I/O (they run for every file of every page served), and
// should be deterministic for a given input and clock. The zero [Verdict]
// denies, so a judge that forgets to decide fails closed. A judge that
// cannot decide (a "review" decision, missing data) must deny with a reason
// that says so: the proxy has nobody to ask.
//
// Files the proxy cannot judge never reach the judge: names that are not a
// wheel or sdist of the project, versions that are not PEP 440, and files
// without a sha256 are refused by the proxy itself (rules "file-name" and
// "no-hash").
type Judge interface {
	// Project decides a project by its normalised (PEP 503) name.
	Project(name string) Verdict
	// File decides one file of a project that Project allowed.
	File(f File) Verdict
}

// File is what a [Judge] knows about one file, from the upstream's page.
type File struct {
	// Project is the normalised project name.
	Project string
	// Version is the version in the file name, as written there: not
	// necessarily normalised, but always accepted by pep440.Parse.
	Version  string
	Filename string
	Kind     simple.Kind
	// Yanked and YankedReason are the PEP 592 flag and its reason.
	Yanked       bool
	YankedReason string
	// UploadTime is zero when the upstream did not say (PEP 503 HTML pages
	// never do).
	UploadTime time.Time
	// RequiresPython is the data-requires-python specifier, or "".
	RequiresPython string
	// Hashes maps hash names to lower-case hex digests; sha256 is always
	// present.
	Hashes map[string]string
	// Size is the size in bytes, or -1 when the upstream did not say.
	Size int64
}

// Verdict is a [Judge]'s answer. The zero value denies without a reason.
type Verdict struct {
	// Allow lets the project or file through.
	Allow bool
	// Rule names the rule that denied, e.g. "denied", "vulnerable",
	// "sdist", "cooldown".
	Rule string
	// Reason is one line a person, or an agent, can act on. The proxy
	// sanitises it before it goes into an HTTP reason phrase.
	Reason string
}

// Allowed is the verdict that lets a project or file through.
var Allowed = Verdict{Allow: true}

// Deny returns a denying verdict.
func Deny(rule, reason string) Verdict { return Verdict{Rule: rule, Reason: reason} }

// Message returns the reason, or a generic one naming the rule.
func (v Verdict) Message() string {
	switch {
	case v.Allow:
		return "allowed"
	case v.Reason != "":
		return v.Reason
	case v.Rule != "":
		return "denied by rule " + v.Rule
	}
	return "denied by policy"
}

// AllowAll is a Judge that allows everything; [Filters.Wrap] it to get the
// built-in filters alone.
var AllowAll Judge = allowAll{}

type allowAll struct{}

func (allowAll) Project(string) Verdict { return Allowed }
func (allowAll) File(File) Verdict      { return Allowed }

// Filters are the built-in file filters, which need no policy. The zero
// value is the default: sdists and yanked files hidden, pre-releases
// passed through (pip itself installs them only when asked for), no
// cooldown.
//
// They are a decorator: [Filters.Wrap] puts them in front of another Judge
// (the policy's), which then sees only the files they let through. A
// policy that wants to decide these questions itself (say, an sdist
// allow-list) sets the matching Allow field and decides in its own File.
type Filters struct {
	// AllowSdists serves source distributions. Off by default: pip builds
	// an sdist by running its setup.py or build backend, which is package
	// code running at resolve time.
	AllowSdists bool
	// AllowYanked serves yanked files (with their yanked flag, which pip
	// honours for all but exact pins). Off by default.
	AllowYanked bool
	// HidePrereleases hides pre-releases and development releases.
	HidePrereleases bool
	// Cooldown hides files uploaded less than this long ago (0: off), so
	// that a freshly published malicious release has time to be reported
	// before anything installs it. Files whose upload time is unknown are
	// hidden while a cooldown is set.
	Cooldown time.Duration
	// Now is the clock for the cooldown; nil means time.Now.
	Now func() time.Time
}

// Wrap returns a Judge that applies the filters, then asks next.
func (f Filters) Wrap(next Judge) Judge {
	if next == nil {
		next = AllowAll
	}
	if f.Now == nil {
		f.Now = time.Now
	}
	return filtered{f, next}
}

type filtered struct {
	f    Filters
	next Judge
}

func (j filtered) Project(name string) Verdict { return j.next.Project(name) }

func (j filtered) File(file File) Verdict {
	if v := j.f.check(file); !v.Allow {
		return v
	}
	return j.next.File(file)
}

func (f Filters) check(file File) Verdict {
	id := file.Project + " " + file.Version
	if file.Kind == simple.Sdist && !f.AllowSdists {
		return Deny("sdist", fmt.Sprintf("%s: %s is a source distribution; only wheels are served (building an sdist runs its code)", id, file.Filename))
	}
	if file.Yanked && !f.AllowYanked {
		reason := "yanked"
		if file.YankedReason != "" {
			reason = "yanked: " + file.YankedReason
		}
		return Deny("yanked", id+" was "+reason)
	}
	if f.HidePrereleases && simple.IsPrerelease(file.Version) {
		return Deny("prerelease", id+" is a pre-release; pre-releases are not served")
	}
	if f.Cooldown > 0 {
		if file.UploadTime.IsZero() {
			return Deny("cooldown", fmt.Sprintf("%s: upload time unknown, and a cooldown of %s is set", id, f.Cooldown))
		}
		if age := f.Now().Sub(file.UploadTime); age < f.Cooldown {
			return Deny("cooldown", fmt.Sprintf("%s was uploaded %s ago, less than the cooldown of %s", id, age.Truncate(time.Minute), f.Cooldown))
		}
	}
	return Allowed
}
