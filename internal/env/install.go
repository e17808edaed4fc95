package env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// Policy is what the install pipeline asks of the policy; *policy.Policy
// implements it. Implementations must be safe for concurrent use.
type Policy interface {
	// Check decides the request's entries, as `airlock check` does.
	Check(opts policy.CheckOptions, inputs ...policy.Input) policy.Report
	// Decide decides one resolved release.
	Decide(c policy.Candidate) policy.Decision
	// Notes says what the policy could not cover (no advisory data, ...).
	Notes() []string
}

// Auditor records every install decision. RecordInstall must return only
// once the record is durable: an install whose record cannot be written
// is not carried out.
type Auditor interface {
	RecordInstall(ctx context.Context, r *Result) error
}

// Options configure an [Installer].
type Options struct {
	// Runner runs pip in sandboxes; required.
	Runner sandbox.Runner
	// Upstreams are the indexes the proxy reads; required unless Offline.
	Upstreams *index.Upstreams
	// Offline resolves from the cache only.
	Offline bool
	// Cache is the verified artifact cache; required.
	Cache *cache.Store
	// Judge is the proxy's judge while pip resolves: what it refuses, pip
	// does not see, so pip resolves to allowed versions. Nil means the
	// built-in filters alone. The pipeline vets every resolved release
	// with Policy in any case.
	Judge index.Judge
	// Policy decides the request and every resolved release; required.
	Policy Policy
	// Inspect configures the artifact inspection of every fetched file
	// (its Installed field is set by the pipeline).
	Inspect inspect.Options
	// Audit receives one record per install; nil records nothing.
	Audit Auditor
	// PipRunner is the system pip's runner script; "" finds it
	// ([FindPipRunner]).
	PipRunner string
	// Limits bound each sandboxed pip run; zero fields take DefaultPip*
	// values and then the sandbox's defaults.
	Limits sandbox.Limits
	// SandboxUID and SandboxGID own the staging copy of a venv while pip
	// installs into it, when airlock runs as root (the sandbox then runs
	// as that user); zero means 65534 (nobody).
	SandboxUID, SandboxGID int
	// Progress, when set, receives one line per long step ("resolving
	// with pip in a sandbox").
	Progress func(msg string)
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Installer runs the vetted install pipeline (see the package
// documentation). It is safe for concurrent use: installs into one
// environment are serialised, installs into different environments run in
// parallel.
type Installer struct {
	opts    Options
	runner  string
	steer   *index.Handler // judged proxy: what pip resolves against first
	explain *index.Handler // built-in filters only, yanked files shown: for dependency paths of refusals
	uid     int
	gid     int
}

// NewInstaller checks opts and returns an Installer.
func NewInstaller(ctx context.Context, opts Options) (*Installer, error) {
	if opts.Runner == nil || opts.Cache == nil || opts.Policy == nil {
		return nil, errors.New("env: Runner, Cache and Policy are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Progress == nil {
		opts.Progress = func(string) {}
	}
	if opts.Limits.Wall == 0 {
		opts.Limits.Wall = DefaultPipWall
	}
	if opts.Limits.Memory == 0 {
		opts.Limits.Memory = DefaultPipMemory
	}
	if opts.Limits.Tmpfs == 0 {
		opts.Limits.Tmpfs = DefaultPipTmpfs
	}
	runner := opts.PipRunner
	if runner == "" {
		var err error
		if runner, err = FindPipRunner(ctx); err != nil {
			return nil, err
		}
	}
	judge := opts.Judge
	if judge == nil {
		judge = index.Filters{}.Wrap(index.AllowAll)
	}
	mk := func(j index.Judge) (*index.Handler, error) {
		return index.New(index.Options{
			Upstreams: opts.Upstreams, Offline: opts.Offline, Judge: j, Cache: opts.Cache,
			RenderTTL: -1, Logger: opts.Logger.With("component", "install-proxy"),
		})
	}
	steer, err := mk(judge)
	if err != nil {
		return nil, err
	}
	// The explaining proxy shows yanked files (pip takes them only for an
	// exact pin, which the policy's yanked rule then refuses with the
	// path); sdists stay hidden, as pip resolves wheels only.
	explain, err := mk(index.Filters{AllowYanked: true}.Wrap(index.AllowAll))
	if err != nil {
		return nil, err
	}
	uid, gid := opts.SandboxUID, opts.SandboxGID
	if uid == 0 {
		uid = 65534
	}
	if gid == 0 {
		gid = 65534
	}
	return &Installer{opts: opts, runner: runner, steer: steer, explain: explain, uid: uid, gid: gid}, nil
}

// Request is what to install: requirements files and command-line
// requirements, each read the way `airlock check` reads it.
type Request struct {
	Inputs []policy.Input
	// Actor is who asked: "cli", or a token's name.
	Actor string
}

// Outcome is how an install ended.
type Outcome string

// The outcomes. Installed and Unchanged succeed; the others leave the
// environment exactly as it was.
const (
	Installed Outcome = "installed" // the vetted set was installed
	Unchanged Outcome = "unchanged" // everything asked for was already installed
	Denied    Outcome = "denied"    // the policy refused something
	Review    Outcome = "review"    // something needs a person's review
	Failed    Outcome = "failed"    // airlock could not finish (fails closed)
)

// Result is the account of one install: its audit record, and what the
// CLI and the server report.
type Result struct {
	// ID names the install (and the lock entries it wrote).
	ID string `json:"id"`
	// Env is the environment's name; Actor who asked.
	Env   string `json:"env"`
	Actor string `json:"actor"`
	// Started and Finished bound the install.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Outcome is how it ended.
	Outcome Outcome `json:"outcome"`
	// Requirements are the requirement lines given to pip's resolver.
	Requirements []string `json:"requirements"`
	// Check is the decision on the request's entries (step 1).
	Check *policy.Report `json:"check,omitempty"`
	// Releases are the resolved closure with each release's decision
	// (steps 3 and 4), in the resolver's order.
	Releases []ReleaseResult `json:"releases"`
	// Resolution explains a resolution the proxy's refusals made
	// impossible (a denied project pip needed, a project whose every file
	// was refused), when the dependency paths could not be found.
	Resolution []policy.Finding `json:"resolution,omitempty"`
	// Installed are the lock entries this install added or changed.
	Installed []Package `json:"installed"`
	// Error says why an install Failed.
	Error string `json:"error,omitempty"`
	// Notes are what the decisions could not cover (no advisory data) and
	// other remarks.
	Notes []string `json:"notes"`
}

// ReleaseResult is one release of the closure and its decision.
type ReleaseResult struct {
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	Filename  string          `json:"filename"`
	SHA256    string          `json:"sha256"`
	Requested bool            `json:"requested"`
	Path      []string        `json:"path"`
	Decision  policy.Decision `json:"decision"`
	// Replaces is the version in the lock this release replaces, if any.
	Replaces string `json:"replaces,omitempty"`
}

// Findings returns every finding of the result that is not an allow: the
// request's and the releases'.
func (r *Result) Findings() []policy.Finding {
	var out []policy.Finding
	if r.Check != nil {
		for _, res := range r.Check.Results {
			out = append(out, res.Findings...)
		}
	}
	for _, rr := range r.Releases {
		out = append(out, rr.Decision.Findings...)
	}
	return append(out, r.Resolution...)
}

// Action returns the policy action the outcome stands for: allow for
// Installed and Unchanged, deny, review; Failed reports deny.
func (r *Result) Action() policy.Action {
	switch r.Outcome {
	case Installed, Unchanged:
		return policy.Allow
	case Review:
		return policy.Review
	}
	return policy.Deny
}

// Install runs the pipeline for req into e. It returns a Result for every
// install that was decided — installed, unchanged, denied, review or failed
// (Result.Error then says why) — after recording it with the Auditor; a
// non-nil error means the install could not even be recorded (or ctx
// ended), and nothing was changed either way.
func (in *Installer) Install(ctx context.Context, e *Env, req Request) (*Result, error) {
	res := &Result{ID: newInstallID(), Env: e.Name(), Actor: req.Actor, Started: in.opts.Now().UTC(),
		Releases: []ReleaseResult{}, Installed: []Package{}, Requirements: []string{}, Notes: []string{}}
	if res.Actor == "" {
		res.Actor = "cli"
	}
	res.Notes = append(res.Notes, in.opts.Policy.Notes()...)
	err := in.install(ctx, e, req, res)
	if res.Outcome != Installed {
		res.Finished = in.opts.Now().UTC()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ae errAudit
		if errors.As(err, &ae) {
			return nil, ae.err
		}
		res.Outcome, res.Error = Failed, err.Error()
	}
	if res.Notes == nil {
		res.Notes = []string{}
	}
	// Installed results were recorded before the swap (see commit).
	if res.Outcome != Installed {
		if aerr := in.audit(ctx, res); aerr != nil {
			return nil, aerr
		}
	}
	return res, nil
}

func (in *Installer) audit(ctx context.Context, res *Result) error {
	if in.opts.Audit == nil {
		return nil
	}
	if err := in.opts.Audit.RecordInstall(context.WithoutCancel(ctx), res); err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	return nil
}

// install runs the steps; it fills res and returns an error for a failed
// install.
func (in *Installer) install(ctx context.Context, e *Env, req Request, res *Result) error {
	fl, err := lockEnv(ctx, e, func() { in.opts.Progress("waiting for another install into " + e.Name() + " to finish") })
	if err != nil {
		return err
	}
	defer fl.unlock()
	lock, err := e.Lock()
	if err != nil {
		return err
	}
	installed := lock.Installed()

	// 1. The request, as airlock check decides it.
	rep := in.opts.Policy.Check(policy.CheckOptions{Stage: policy.StageInstall, Installed: installed}, req.Inputs...)
	res.Check = &rep
	res.Notes = mergeNotes(res.Notes, rep.Notes)
	if a := rep.Action(); a != policy.Allow {
		res.Outcome = outcomeOf(a)
		return nil
	}
	rq, err := requestOf(req.Inputs)
	if err != nil {
		return err
	}
	res.Notes = append(res.Notes, rq.notes...)
	res.Requirements = rq.lines
	if len(rq.lines) == 0 {
		return errors.New("nothing to install: the request names no requirement")
	}

	// 2. Resolve in the sandbox, through the judged proxy; when that
	// fails because something was refused, resolve again with the
	// built-in filters only, so that step 3 can say which release on
	// which dependency path was refused.
	in.opts.Progress("resolving " + strings.Join(rq.lines, " ") + " with pip in a sandbox (network: airlock's proxy only)")
	nodes, rerr := in.resolve(ctx, e, rq, in.steer)
	if rerr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *PipError
		if !errors.As(rerr, &pe) {
			return rerr
		}
		in.opts.Progress("resolution refused; resolving again without the policy's filters to find the dependency paths")
		nodes, err = in.resolve(ctx, e, rq, in.explain)
		if err != nil {
			return in.explainFailure(ctx, rerr, res)
		}
		if !in.vet(nodes, rq, installed, lock, res) {
			return nil
		}
		res.Releases = res.Releases[:0]
		return in.explainFailure(ctx, rerr, res)
	}

	// 3. Vet every release with its concrete version and file.
	if !in.vet(nodes, rq, installed, lock, res) {
		return nil
	}
	if len(nodes) == 0 {
		res.Outcome = Unchanged
		return nil
	}

	// Staging: a copy of the environment's current directory, which the
	// install sandbox mounts at the environment's own path.
	st, err := in.stage(e)
	if err != nil {
		return err
	}
	defer st.remove()

	// 4. Fetch every chosen file into the artifact cache (verified), copy
	// it into the vetted directory (verified again) and inspect it.
	in.opts.Progress(fmt.Sprintf("fetching and inspecting %d wheel(s)", len(nodes)))
	if err := in.fetchAndInspect(ctx, e, nodes, rq, installed, st, res); err != nil {
		return err
	}
	if a := worst(res.Releases); a != policy.Allow {
		res.Outcome = outcomeOf(a)
		return nil
	}

	// 5. Install exactly that set, offline, then pip check.
	in.opts.Progress(fmt.Sprintf("installing %d vetted wheel(s) offline in a sandbox, then pip check", len(nodes)))
	if err := in.installStaged(ctx, e, nodes, st); err != nil {
		return err
	}

	// 6. The new lock, the audit record, and the swap.
	res.Finished = in.opts.Now().UTC()
	newLock, added := in.newLock(lock, nodes, res)
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	if err := st.verify(newLock, names); err != nil {
		return err
	}
	res.Installed = added
	res.Outcome = Installed
	if err := newLock.write(st.lockPath()); err != nil {
		return err
	}
	if err := in.audit(ctx, res); err != nil {
		res.Outcome, res.Installed = Failed, []Package{}
		res.Error = err.Error()
		return errAudit{err}
	}
	if err := st.swap(e); err != nil {
		return fmt.Errorf("swapping the new environment in: %w", err)
	}
	return nil
}

// errAudit is an audit failure after the decision; Install reports it as
// an error without trying to audit again.
type errAudit struct{ err error }

func (e errAudit) Error() string { return e.err.Error() }
func (e errAudit) Unwrap() error { return e.err }

// outcomeOf maps a policy action to an outcome.
func outcomeOf(a policy.Action) Outcome {
	switch a {
	case policy.Deny:
		return Denied
	case policy.Review:
		return Review
	}
	return Installed
}

func worst(rs []ReleaseResult) policy.Action {
	a := policy.Allow
	for _, r := range rs {
		a = max(a, r.Decision.Action)
	}
	return a
}

func mergeNotes(notes, more []string) []string {
	for _, n := range more {
		if !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	return notes
}

// request is what the request's entries ask pip for.
type request struct {
	// lines are the requirements, in pep508's canonical form; constraints
	// the constraint lines.
	lines, constraints []string
	// pre is set by a --pre option.
	pre bool
	// specs are the specifiers the request puts on each project.
	specs map[string][]string
	// hashes are the --hash values given for each project.
	hashes map[string][]string
	notes  []string
}

// requestOf turns checked entries into requirement lines for pip: every
// index requirement in canonical PEP 508 form (never the text as written,
// and never an option, which could point pip elsewhere), constraints
// apart, and --pre. Anything else the policy allowed is ignored with a
// note.
func requestOf(inputs []policy.Input) (*request, error) {
	rq := &request{specs: map[string][]string{}, hashes: map[string][]string{}}
	var entries []*reqfile.Entry
	for _, in := range inputs {
		for i := range in.Entries {
			entries = append(entries, &in.Entries[i])
		}
	}
	for _, en := range entries {
		if en.Ignored {
			continue
		}
		switch en.Kind {
		case reqfile.KindRequirement:
			r := en.Requirement
			if r == nil || r.Form != reqfile.FormName || r.Req == nil || r.Editable {
				return nil, fmt.Errorf("%s: only requirements by name can be installed", en.Pos)
			}
			line := r.Req.String()
			name := r.Req.CanonicalName()
			if en.Constraint {
				rq.constraints = append(rq.constraints, line)
				continue
			}
			rq.lines = append(rq.lines, line)
			if !r.Req.Specifier.IsEmpty() {
				rq.specs[name] = append(rq.specs[name], r.Req.Specifier.String())
			}
			for _, h := range r.Hashes {
				if h.Alg == "sha256" {
					rq.hashes[name] = append(rq.hashes[name], strings.ToLower(h.Digest))
				} else {
					rq.notes = append(rq.notes, fmt.Sprintf("%s: --hash=%s ignored: airlock checks sha256 hashes only", en.Pos, h))
				}
			}
		case reqfile.KindOption:
			if en.Option != nil && en.Option.Name == "--pre" {
				rq.pre = true
				continue
			}
			if en.Option != nil {
				rq.notes = append(rq.notes, fmt.Sprintf("%s: option %s ignored: airlock resolves wheels from its own proxy", en.Pos, en.Option))
			}
		case reqfile.KindInclude, reqfile.KindConstraint, reqfile.KindIgnoredArgument:
			// Followed includes are inline; ignored arguments do nothing.
		default:
			return nil, fmt.Errorf("%s: %s entries cannot be installed", en.Pos, en.Kind)
		}
	}
	return rq, nil
}

// requested returns the specifier the request puts on name.
func (rq *request) requested(name string) pep440.SpecifierSet {
	if len(rq.specs[name]) == 0 {
		return pep440.SpecifierSet{}
	}
	ss, err := pep440.ParseSpecifierSet(strings.Join(rq.specs[name], ","))
	if err != nil {
		return pep440.SpecifierSet{}
	}
	return ss
}

func (rq *request) prereleases() pep440.Prereleases {
	if rq.pre {
		return pep440.PrereleasesAllow
	}
	return pep440.PrereleasesDefault
}

// candidate builds the policy candidate for node n.
func (in *Installer) candidate(n *Node, nodes []*Node, rq *request, installed map[string]pep440.Version, f *policy.File) policy.Candidate {
	rel := &policy.Release{Name: n.Name, Version: n.Version, File: f}
	if n.Requested {
		rel.Requested = rq.requested(n.Name)
	} else {
		rel.Requested = requestedSpec(nodes, n.Name)
		rel.Path = n.Path
	}
	return policy.Candidate{Stage: policy.StageInstall, Release: rel, Installed: installed, Prereleases: rq.prereleases()}
}

// vet decides every node (step 3) and records the results; it reports
// whether everything was allowed.
func (in *Installer) vet(nodes []*Node, rq *request, installed map[string]pep440.Version, lock *Lock, res *Result) bool {
	res.Releases = res.Releases[:0]
	for _, n := range nodes {
		f := &policy.File{Filename: n.Filename, SHA256: n.SHA256, UploadTime: n.UploadTime, Yanked: n.Yanked}
		d := in.opts.Policy.Decide(in.candidate(n, nodes, rq, installed, f))
		d = in.hashCheck(n, rq, d)
		rr := ReleaseResult{Name: n.Name, Version: n.Version.String(), Filename: n.Filename, SHA256: n.SHA256,
			Requested: n.Requested, Path: n.Path, Decision: d}
		if p := lock.Find(n.Name); p != nil {
			rr.Replaces = p.Version
		}
		res.Releases = append(res.Releases, rr)
	}
	a := worst(res.Releases)
	if a != policy.Allow {
		res.Outcome = outcomeOf(a)
		return false
	}
	return true
}

// RuleHash is the finding rule for a requested release whose file matches
// none of the request's --hash values.
const RuleHash policy.Rule = "hash"

// hashCheck denies a requested release whose chosen file has none of the
// sha256 hashes the request pinned for it.
func (in *Installer) hashCheck(n *Node, rq *request, d policy.Decision) policy.Decision {
	want := rq.hashes[n.Name]
	if !n.Requested || len(want) == 0 || slices.Contains(want, n.SHA256) {
		return d
	}
	d.Findings = append(d.Findings, policy.Finding{Rule: RuleHash, Action: policy.Deny,
		Message: fmt.Sprintf("%s has sha256 %s, which is not one of the hashes the request pins (%s)", n.Filename, n.SHA256, strings.Join(want, ", "))})
	d.Action = policy.Deny
	return d
}

// newLock returns the lock after installing nodes, and the entries it
// added or changed.
func (in *Installer) newLock(old *Lock, nodes []*Node, res *Result) (*Lock, []Package) {
	l := *old
	l.Packages = slices.Clone(old.Packages)
	l.Updated = res.Finished
	var added []Package
	for i, n := range nodes {
		p := Package{Name: n.Name, Version: n.Version.String(), Filename: n.Filename, SHA256: n.SHA256,
			InstalledAt: res.Finished, InstallID: res.ID}
		if n.Requested {
			p.Requested = requestedLine(res.Requirements, n.Name)
		} else {
			p.Path = n.Path
		}
		for _, f := range res.Releases[i].Decision.Findings {
			p.Notes = append(p.Notes, string(f.Rule)+": "+f.Message)
		}
		l.Packages = slices.DeleteFunc(l.Packages, func(q Package) bool { return q.Name == n.Name })
		l.Packages = append(l.Packages, p)
		added = append(added, p)
	}
	slices.SortFunc(l.Packages, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(added, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
	return &l, added
}

// requestedLine returns the request's line for the project name.
func requestedLine(lines []string, name string) string {
	for _, l := range lines {
		if reqName(l) == name {
			return l
		}
	}
	return name
}

// newInstallID returns a random, sortable-enough install id.
func newInstallID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// getPage asks h for a project's JSON page, in-process.
func getPage(ctx context.Context, h http.Handler, name string) (int, []byte) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://airlock/simple/"+name+"/", nil)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	w := newBufferWriter()
	h.ServeHTTP(w, req)
	return w.code, w.buf.Bytes()
}
