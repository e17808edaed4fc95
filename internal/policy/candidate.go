package policy

import (
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/reqfile"
)

// Stage is where a decision is made.
type Stage string

const (
	StageCheck   Stage = "check"   // airlock check, POST /v1/check: requirement text only
	StageInstall Stage = "install" // the vetted install: concrete releases from the resolver
	StageProxy   Stage = "proxy"   // the filtering index: projects and files
)

// Candidate is one thing to decide. Exactly one of Entry, Release and
// Project describes it:
//
//   - Entry: an entry of a requirements file or pip command line (a
//     requirement, an option, an include);
//   - Release: a concrete release, with its file when known (the install
//     pipeline's resolved closure, the proxy's files);
//   - Project: a whole project by name (the proxy's project pages).
type Candidate struct {
	Stage Stage

	Entry   *reqfile.Entry
	Release *Release
	Project string // PEP 503 form

	// BaseDir is the directory of the top requirements file: includes
	// may not leave it. "" for command lines and request bodies, where
	// every file include is refused.
	BaseDir string
	// Prereleases is the pre-release rule pip applies to requirements: the
	// default, or allow after a --pre option.
	Prereleases pep440.Prereleases
	// Installed maps PEP 503 names to the versions the target environment
	// has now (its lock), for the downgrade rule. Nil: nothing installed.
	Installed map[string]pep440.Version
}

// Release is a concrete release: a name and a version, and the file when
// one has been chosen.
type Release struct {
	Name    string // PEP 503 form
	Version pep440.Version
	// Requested is the specifier the request (or the dependent's
	// Requires-Dist) put on this project; an exact pin there allows a
	// pre-release.
	Requested pep440.SpecifierSet
	// Path is the dependency path from a requested project to this one,
	// e.g. ["app 1.0", "evil-dep 0.1"]; nil for a requested project.
	Path []string
	File *File
}

// File describes a distribution file.
type File struct {
	Filename string
	// Sdist reports a source distribution (anything but a wheel).
	Sdist      bool
	Yanked     bool
	UploadTime time.Time // zero when unknown
	SHA256     string
	// Inspection holds the artifact findings of internal/inspect, once
	// the file was fetched and inspected; each becomes an artifact
	// finding at its own action.
	Inspection []ArtifactFinding
}

// ArtifactFinding is one finding of the artifact inspection, passed in by
// the install pipeline (policy does not import inspect).
type ArtifactFinding struct {
	ID      string // the inspection's rule id, e.g. "pth-exec"
	Path    string // the file inside the archive
	Message string
	Deny    bool // false: review
}

// Decision is the answer for one candidate: the strictest action of its
// findings (allow when there are none).
type Decision struct {
	Action   Action    `json:"decision"`
	Findings []Finding `json:"findings"`
}

// Finding is one reason for a decision, written for the agent that must
// correct its request and for the person reading the audit log.
type Finding struct {
	Rule Rule `json:"rule"`
	// Action is what this finding asks for, after exceptions.
	Action  Action `json:"action"`
	Message string `json:"message"`
	// Custom names the custom rule, for rule "custom".
	Custom string `json:"custom,omitempty"`
	// Advisories are the advisory ids behind a vulnerable or malicious
	// finding, each vulnerability's ids together: "PYSEC-2023-74
	// (CVE-2023-32681, GHSA-j8r2-6x86-q33q)".
	Advisories []string `json:"advisories,omitempty"`
	// SimilarTo is the popular or protected name a typosquat or
	// confusion finding resembles.
	SimilarTo string `json:"similar_to,omitempty"`
	// Suggestion is what to ask for instead: "requests>=2.31.0",
	// `did you mean "requests"?`.
	Suggestion string `json:"suggestion,omitempty"`
	// Exception is the accepted risk that turned this finding into an
	// allow.
	Exception *AppliedException `json:"exception,omitempty"`
	// Path is the dependency path, for findings on transitive releases.
	Path []string `json:"path,omitempty"`
}

// AppliedException names the policy exception that allowed a finding.
type AppliedException struct {
	Name    string    `json:"name"`
	Version string    `json:"version,omitempty"`
	Rule    Rule      `json:"rule"`
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires"`
}
