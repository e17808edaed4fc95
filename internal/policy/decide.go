package policy

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
	"github.com/airlock-dev/airlock/internal/reqfile"
)

// installerTools are the projects pip itself is made of. An agent that
// pins them can break or replace the installer; they are refused unless
// the policy allows them by name.
var installerTools = []string{"pip", "setuptools", "wheel"}

// Decide reports whether c may be installed, with the reasons. It does no
// I/O, so tests can exercise it with a table.
func (p *Policy) Decide(c Candidate) Decision {
	d := &decider{p: p, c: &c}
	switch {
	case c.Entry != nil:
		d.entry(c.Entry)
	case c.Release != nil:
		d.release(c.Release)
	case c.Project != "":
		d.project(c.Project)
	default:
		d.add(RuleSyntax, "nothing to decide", finding{})
	}
	return d.decision()
}

// decider collects the findings for one candidate.
type decider struct {
	p        *Policy
	c        *Candidate
	findings []Finding
	name     string          // PEP 503 name, once known
	version  *pep440.Version // concrete or pinned version, once known
	cel      *CELCandidate
}

// finding holds a finding's optional parts.
type finding struct {
	action     *Action // overrides the rule's action
	advisories []string
	similarTo  string
	suggestion string
	custom     string
	path       []string
}

func (d *decider) add(rule Rule, msg string, f finding) {
	act := d.p.rules[rule].Action.action()
	switch {
	case rule == RuleCustom:
		// Custom rules carry their own action.
		act = *f.action
	case f.action != nil:
		// A finding's own action can soften its rule's, never harden it:
		// "artifact: review" sends even deny-level inspection findings to
		// review.
		act = min(*f.action, act)
	}
	if act == Allow {
		return
	}
	fd := Finding{Rule: rule, Action: act, Message: msg, Advisories: f.advisories, SimilarTo: f.similarTo,
		Suggestion: f.suggestion, Custom: f.custom, Path: f.path}
	if fd.Path == nil && d.c.Release != nil {
		fd.Path = d.c.Release.Path
	}
	d.applyException(&fd)
	d.findings = append(d.findings, fd)
}

func (d *decider) decision() Decision {
	act := Allow
	for _, f := range d.findings {
		act = max(act, f.Action)
	}
	if d.findings == nil {
		d.findings = []Finding{}
	}
	return Decision{Action: act, Findings: d.findings}
}

// applyException turns a finding into an allow when an unexpired
// exception covers it.
func (d *decider) applyException(f *Finding) {
	if d.name == "" || f.Action == Allow {
		return
	}
	now := d.p.now()
	for _, x := range d.p.exceptions {
		if x.Name != d.name || x.Rule != f.Rule || now.After(x.Expires) {
			continue
		}
		if x.Version != "" && (d.version == nil || !x.versions.Contains(*d.version, pep440.PrereleasesAllow)) {
			continue
		}
		if x.ReviewOnly && f.Action != Review {
			continue
		}
		if x.Rule == RuleDirectURL && !strings.HasPrefix(d.directURL(), x.URL) {
			continue
		}
		if x.Rule == RuleCustom && x.Custom != "" && x.Custom != f.Custom {
			continue
		}
		f.Action = Allow
		f.Exception = &AppliedException{Name: x.Name, Version: x.Version, Rule: x.Rule, Reason: x.Reason, Expires: x.Expires}
		return
	}
}

// directURL returns the URL or path of the candidate's direct reference,
// or "" (which no direct-url exception's URL prefix matches, since the
// prefix is never empty).
func (d *decider) directURL() string {
	if d.c.Entry == nil || d.c.Entry.Requirement == nil {
		return ""
	}
	r := d.c.Entry.Requirement
	if r.Form == reqfile.FormPath {
		return r.Path
	}
	return r.URL
}

// deferred reports whether findings about some of the versions a range
// admits are left to the concrete release: at the install stage the
// resolver's choice is vetted exactly (vulnerable, denied and allowed
// versions, pre-releases), so "some versions of requests>=2.0 are
// affected" must not stop an install that will get 2.32.3. A range whose
// every version is refused is still refused here, before anything runs.
func (d *decider) deferred() bool {
	return d.c.Stage == StageInstall && d.c.Entry != nil
}

// entry decides one entry of a requirements file or command line.
func (d *decider) entry(e *reqfile.Entry) {
	for _, v := range e.EnvVars {
		d.add(RuleEnvVar, fmt.Sprintf("${%s} is expanded by pip from its environment, which can leak secrets into URLs and names; write the value out", v), finding{})
	}
	switch e.Kind {
	case reqfile.KindRequirement:
		d.requirement(e)
	case reqfile.KindEditable:
		msg := "editable installs (-e) install from a path or VCS URL, bypassing the package index and its checks"
		d.nameFromRequirement(e.Requirement)
		d.add(RuleDirectURL, msg, finding{suggestion: d.pinSuggestion(e.Requirement)})
	case reqfile.KindOption:
		d.option(e)
	case reqfile.KindInclude, reqfile.KindConstraint:
		d.include(e)
	case reqfile.KindUnknownOption:
		d.add(RuleUnknownOption, fmt.Sprintf("%s: pip does not accept this option here; airlock refuses what it does not know", optionText(e)), finding{})
	case reqfile.KindIgnoredArgument:
		d.add(RuleSyntax, fmt.Sprintf("pip ignores %q after an option on this line; put each requirement on a line of its own", e.Raw), finding{})
	case reqfile.KindError:
		d.entryError(e)
	default:
		d.add(RuleSyntax, fmt.Sprintf("unknown entry kind %v", e.Kind), finding{})
	}
	d.customRules()
}

func optionText(e *reqfile.Entry) string {
	if e.Option != nil && e.Option.Spelling != "" {
		return e.Option.Spelling
	}
	return e.Raw
}

// entryError decides a line pip would refuse.
func (d *decider) entryError(e *reqfile.Entry) {
	msg := "invalid line"
	if e.Err != nil {
		msg = e.Err.Err.Error()
	}
	switch {
	case e.Err != nil && (errors.Is(e.Err, reqfile.ErrIncludeCycle) || errors.Is(e.Err, reqfile.ErrIncludeDepth) ||
		errors.Is(e.Err, reqfile.ErrOpen) || errors.Is(e.Err, reqfile.ErrTooManyFiles)):
		d.add(RuleInclude, msg, finding{})
	default:
		if tok := leadingName(e.Raw); tok != "" && suspiciousName(tok) {
			sug := ""
			if sk := asciiSkeleton(tok); sk != "" && sk != tok && pep508.ValidName(sk) {
				sug = fmt.Sprintf("did you mean %q?", pep508.Normalize(sk))
			}
			d.add(RuleInvalidName, fmt.Sprintf("%q is not a valid project name: it contains %s", tok, describeOddRunes(tok)), finding{suggestion: sug})
			return
		}
		d.add(RuleSyntax, msg, finding{})
	}
}

// optionRules classifies pip's options (canonical long names, as package
// reqfile reports them). An option missing here is refused as unknown: a
// new pip option must be classified before airlock lets it through.
var optionRules = map[string]Rule{
	// Where packages come from.
	"--index-url": RuleIndexOption, "--extra-index-url": RuleIndexOption, "--no-index": RuleIndexOption,
	"--find-links": RuleIndexOption, "--trusted-host": RuleIndexOption, "--proxy": RuleIndexOption,
	"--cert": RuleIndexOption, "--client-cert": RuleIndexOption, "--cache-dir": RuleIndexOption,
	// How packages build.
	"--no-binary": RuleBuildOption, "--global-option": RuleBuildOption, "--install-option": RuleBuildOption,
	"--config-settings": RuleBuildOption, "--no-build-isolation": RuleBuildOption, "--use-pep517": RuleBuildOption,
	"--no-use-pep517": RuleBuildOption, "--check-build-dependencies": RuleBuildOption, "--no-clean": RuleBuildOption,
	// Where packages go, and other files pip writes.
	"--target": RuleInstallLocation, "--prefix": RuleInstallLocation, "--root": RuleInstallLocation,
	"--user": RuleInstallLocation, "--src": RuleInstallLocation, "--python": RuleInstallLocation,
	"--break-system-packages": RuleInstallLocation, "--log": RuleInstallLocation, "--report": RuleInstallLocation,
	"--platform": RuleInstallLocation, "--python-version": RuleInstallLocation, "--implementation": RuleInstallLocation,
	"--abi": RuleInstallLocation,
	// Pre-releases for every requirement.
	"--pre": RulePrerelease,
}

// harmlessOptions change nothing airlock vets: output, safety switches,
// and behaviour the vetted install controls itself.
var harmlessOptions = []string{
	"--only-binary", "--prefer-binary", "--require-hashes", "--hash", "--use-feature", "--use-deprecated",
	"--upgrade", "--upgrade-strategy", "--force-reinstall", "--ignore-installed", "--no-deps",
	"--ignore-requires-python", "--no-user", "--dry-run", "--compile", "--no-compile",
	"--no-warn-script-location", "--no-warn-conflicts", "--progress-bar", "--root-user-action",
	"--debug", "--isolated", "--require-virtualenv", "--verbose", "--quiet", "--no-input", "--retries",
	"--timeout", "--exists-action", "--no-cache-dir", "--disable-pip-version-check", "--no-color",
	"--no-python-version-warning", "--help", "--version",
}

func (d *decider) option(e *reqfile.Entry) {
	o := e.Option
	if o == nil {
		d.add(RuleSyntax, "option without a name", finding{})
		return
	}
	ignored := ""
	if e.Ignored {
		ignored = " (pip ignores it on this line, but an agent that writes it is trying to change where packages come from)"
	}
	rule, ok := optionRules[o.Name]
	switch {
	case ok && rule == RulePrerelease:
		d.add(RulePrerelease, "--pre lets pip choose pre-releases for every requirement; pin the pre-release you need with == instead", finding{})
	case ok && rule == RuleIndexOption:
		d.add(rule, fmt.Sprintf("%s changes where pip finds packages%s; airlock's index is the only source", o.Spelling, ignored), finding{})
	case ok && rule == RuleBuildOption:
		d.add(rule, fmt.Sprintf("%s changes how packages are built, which runs package code; airlock installs vetted wheels only", o.Spelling), finding{})
	case ok && rule == RuleInstallLocation:
		d.add(rule, fmt.Sprintf("%s changes where pip installs or writes files; airlock installs into isolated environments only", o.Spelling), finding{})
	case ok:
		d.add(rule, o.Spelling, finding{})
	case slices.Contains(harmlessOptions, o.Name):
	default:
		d.add(RuleUnknownOption, fmt.Sprintf("%s: airlock does not know what this option does, so it refuses it", o.Spelling), finding{})
	}
}

func (d *decider) include(e *reqfile.Entry) {
	inc := e.Include
	if inc == nil {
		d.add(RuleSyntax, "include without a path", finding{})
		return
	}
	what := "-r"
	if inc.Constraint {
		what = "-c"
	}
	switch {
	case inc.URL:
		d.add(RuleInclude, fmt.Sprintf("%s %s reads requirements from a URL, which airlock cannot vet; inline them", what, inc.Path), finding{})
	case d.c.BaseDir == "":
		d.add(RuleInclude, fmt.Sprintf("%s %s: includes are only read from files under the checked file's directory", what, inc.Path), finding{})
	case !insideDir(d.c.BaseDir, inc.Resolved):
		d.add(RuleInclude, fmt.Sprintf("%s %s leaves the directory of the file being checked", what, inc.Path), finding{})
	}
}

// insideDir reports whether name (relative to the working directory, or
// absolute) is base or below it.
func insideDir(base, name string) bool {
	absBase, err1 := filepath.Abs(base)
	absName, err2 := filepath.Abs(name)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(absBase, absName)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func (d *decider) nameFromRequirement(r *reqfile.Requirement) {
	if r != nil && r.Name != "" {
		d.name = pep508.Normalize(r.Name)
	}
}

// pinSuggestion suggests the index form of a direct requirement.
func (d *decider) pinSuggestion(r *reqfile.Requirement) string {
	if r == nil || r.Req == nil || r.Req.Name == "" {
		return "ask for the project by name and version, e.g. name==1.2.3"
	}
	if v, ok := pinnedVersion(r.Req.Specifier); ok {
		return fmt.Sprintf("%s==%s", pep508.Normalize(r.Req.Name), v)
	}
	return fmt.Sprintf("ask for %s by name and version, e.g. %s==<version>", pep508.Normalize(r.Req.Name), pep508.Normalize(r.Req.Name))
}

// requirement decides a requirement entry.
func (d *decider) requirement(e *reqfile.Entry) {
	r := e.Requirement
	if r == nil {
		d.add(RuleSyntax, "requirement without text", finding{})
		return
	}
	d.nameFromRequirement(r)
	for _, o := range slices.Concat(r.GlobalOptions, r.InstallOptions) {
		d.add(RuleBuildOption, fmt.Sprintf("per-requirement build option %q runs the package's build with extra arguments; airlock installs vetted wheels only", o), finding{})
	}
	if r.Direct() {
		d.add(RuleDirectURL, fmt.Sprintf("%s installs from a %s, bypassing the package index and every check on it", r.Text, formWord(r.Form)),
			finding{suggestion: d.pinSuggestion(r)})
		return
	}
	if r.Req == nil || d.name == "" {
		d.add(RuleSyntax, "requirement without a project name", finding{})
		return
	}
	if r.Marker.PipReadsDifferently() {
		d.add(RuleSyntax, "the marker has a backslash in a quoted value, which pip 23 keeps as written while PEP 508 tools decode it; write the value without escapes", finding{})
	}
	spec := r.Req.Specifier
	for _, s := range spec.Specifiers() {
		if canon, ok := textMatchedSpecifier(s); ok {
			d.add(RuleSyntax, fmt.Sprintf("pip 23 compares %s on its text as written, which can admit other versions than it says; write it as %s", s, canon), finding{suggestion: canon})
		}
	}
	pre := d.c.Prereleases
	if v, ok := pinnedVersion(spec); ok {
		d.version = &v
	}
	admitted, err := pep440.SpecifierSetVersions(spec, pre)
	if err != nil {
		admitted = pep440.AllVersions()
	}
	d.nameRules(admitted)
	d.names()
	d.advisoryRequest(spec, pre)
	if d.version == nil {
		if pep440.AdmitsPrereleases(spec, pre) && pre != pep440.PrereleasesAllow && !d.deferred() {
			d.add(RulePrerelease, fmt.Sprintf("%s admits pre-releases; pin the one you need with == or drop the pre-release bound", r.Req), finding{})
		}
		d.add(RuleUnpinned, fmt.Sprintf("%s is not pinned to one version with ==", r.Req), finding{suggestion: pinHint(d.name, spec)})
	}
	if inst, ok := d.c.Installed[d.name]; ok {
		d.downgradeRequest(inst, admitted)
	}
}

// textMatchedSpecifier reports a wildcard (==V.*, !=V.*) or compatible
// (~=V) specifier whose version is not written in canonical form: pip
// 23.0.1's packaging 21.3 matches those on the text as written (so
// "!=v1.1.*" does not exclude 1.1.5 for pip), and returns the canonical
// spelling, which pip and airlock read alike.
func textMatchedSpecifier(s pep440.Specifier) (string, bool) {
	if s.Op != "~=" && !((s.Op == "==" || s.Op == "!=") && isWildcard(s.Version)) {
		return "", false
	}
	text := strings.TrimSuffix(s.Version, ".*")
	v, err := pep440.Parse(text)
	if err != nil || v.String() == text {
		return "", false
	}
	canon := s.Op + v.String()
	if isWildcard(s.Version) {
		canon += ".*"
	}
	return canon, true
}

func formWord(f reqfile.Form) string {
	switch f {
	case reqfile.FormVCS:
		return "version-control URL"
	case reqfile.FormPath:
		return "local path"
	}
	return "URL"
}

func pinHint(name string, spec pep440.SpecifierSet) string {
	return fmt.Sprintf("pin it: %s==<version>", name)
}

// nameRules applies the allow and deny lists to the versions a request
// admits (a release passes Only(version)).
func (d *decider) nameRules(admitted pep440.VersionSet) {
	if nr, ok := d.p.deny[d.name]; ok {
		denied := versionsOf(nr.Versions)
		switch {
		case nr.Versions.IsEmpty() || admitted.SubsetOf(denied):
			d.add(RuleDenied, denyMessage(d.name, nr), finding{})
		case admitted.Overlaps(denied) && !d.deferred():
			act := Review
			d.add(RuleDenied, denyMessage(d.name, nr)+"; this request also admits them", finding{action: &act,
				suggestion: fmt.Sprintf("exclude %s %s", d.name, nr.Versions)})
		}
	}
	nr, allowed := d.p.allow[d.name]
	if !allowed {
		if d.p.cfg.Mode == ModeAllowlist {
			d.add(RuleNotAllowed, fmt.Sprintf("%s is not on the policy's allow list", d.name), finding{})
		}
		if slices.Contains(installerTools, d.name) && (d.c.Release == nil || d.c.Release.Path == nil) {
			d.add(RuleInstallerPin, fmt.Sprintf("%s is part of the installer; changing it can break or subvert every later install", d.name), finding{})
		}
		return
	}
	if nr.Versions.IsEmpty() {
		return
	}
	ok := versionsOf(nr.Versions)
	switch {
	case admitted.SubsetOf(ok):
	case !admitted.Overlaps(ok):
		d.add(RuleNotAllowed, fmt.Sprintf("the policy allows only %s%s", d.name, nr.Versions), finding{suggestion: d.name + nr.Versions.String()})
	case d.deferred():
	default:
		act := Review
		d.add(RuleNotAllowed, fmt.Sprintf("the policy allows only %s%s, and this request admits other versions too", d.name, nr.Versions),
			finding{action: &act, suggestion: d.name + nr.Versions.String()})
	}
}

func denyMessage(name string, nr *NameRule) string {
	s := name + " is denied by policy"
	if !nr.Versions.IsEmpty() {
		s = fmt.Sprintf("%s %s is denied by policy", name, nr.Versions)
	}
	if nr.Reason != "" {
		s += ": " + nr.Reason
	}
	return s
}

// versionsOf returns the versions a list entry's specifier covers,
// pre-releases included.
func versionsOf(ss pep440.SpecifierSet) pep440.VersionSet {
	if ss.IsEmpty() {
		return pep440.AllVersions()
	}
	s, err := pep440.SpecifierSetVersions(ss, pep440.PrereleasesAllow)
	if err != nil {
		return pep440.AllVersions()
	}
	return s
}

// names applies the typosquat and dependency-confusion checks to the
// name. Allowed names and protected names are never typosquats.
func (d *decider) names() {
	if d.p.confusion != nil {
		if m, ok := d.p.confusion.Check(d.name); ok {
			d.add(RuleConfusion, fmt.Sprintf("%s matches the protected internal name %q; a public project of that name is dependency confusion", d.name, m.Target),
				finding{similarTo: m.Target})
			return
		}
	}
	if _, ok := d.p.allow[d.name]; ok {
		return
	}
	if m, ok := d.p.popular.Check(d.name); ok {
		d.add(RuleTyposquat, fmt.Sprintf("%s looks like the popular project %q (rank %d; %s)", d.name, m.Target, m.Rank, m.Transform),
			finding{similarTo: m.Target, suggestion: fmt.Sprintf("did you mean %q?", m.Target)})
	}
}

// advisoryRequest applies the malicious and vulnerable rules to a
// requirement's specifier.
func (d *decider) advisoryRequest(spec pep440.SpecifierSet, pre pep440.Prereleases) {
	if d.p.advisories == nil {
		d.noData()
		return
	}
	a := d.p.advisories.Assess(d.name, spec, pre, advisory.Options{MinSeverity: d.p.minSeverity})
	for _, m := range a.Malicious {
		d.add(RuleMalicious, fmt.Sprintf("%s is reported as malicious: %s", d.name, m.Vuln.Summary), finding{advisories: []string{m.Vuln.Title()}})
	}
	if len(a.Vulns) == 0 {
		return
	}
	ids := make([]string, len(a.Vulns))
	for i, f := range a.Vulns {
		ids[i] = f.Vuln.Title()
	}
	msg := vulnMessage(d.name, a)
	switch a.Kind {
	case advisory.KindAll:
		d.add(RuleVulnerable, msg, finding{advisories: ids, suggestion: a.Suggestion})
	case advisory.KindSome:
		act := d.p.rules[RuleVulnerable].Partial.action()
		if act == Allow || d.deferred() {
			return
		}
		d.add(RuleVulnerable, msg, finding{action: &act, advisories: ids, suggestion: a.Suggestion})
	}
}

// vulnMessage writes "affected by PYSEC-2023-74 (CVE-2023-32681): <summary>;
// fixed in 2.31.0".
func vulnMessage(name string, a advisory.Assessment) string {
	var b strings.Builder
	if a.Kind == advisory.KindSome {
		fmt.Fprintf(&b, "some versions this request admits are affected by ")
	} else {
		fmt.Fprintf(&b, "affected by ")
	}
	for i, f := range a.Vulns {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 3 {
			fmt.Fprintf(&b, "and %d more", len(a.Vulns)-3)
			break
		}
		b.WriteString(f.Vuln.Title())
		if f.Vuln.Summary != "" {
			b.WriteString(": " + f.Vuln.Summary)
		}
	}
	if len(a.Fixed) > 0 {
		fmt.Fprintf(&b, "; fixed in %s", strings.Join(a.Fixed, ", "))
	}
	return b.String()
}

func (d *decider) noData() {
	if d.p.rules[RuleVulnerable].RequireData {
		d.add(RuleVulnerable, fmt.Sprintf("no advisory data is loaded, so airlock cannot tell whether %s is vulnerable or malicious", d.name), finding{})
	}
}

// downgradeRequest refuses a request whose every admitted version is
// below the installed one.
func (d *decider) downgradeRequest(inst pep440.Version, admitted pep440.VersionSet) {
	notLower := pep440.Span(pep440.Below(inst), pep440.AboveAll())
	if admitted.IsEmpty() || admitted.Overlaps(notLower) {
		return
	}
	req := "this request"
	if d.version != nil {
		req = d.version.String()
	}
	d.add(RuleDowngrade, fmt.Sprintf("%s %s is installed; %s would downgrade it", d.name, inst, req),
		finding{suggestion: fmt.Sprintf("%s>=%s", d.name, inst)})
}

// release decides a concrete release.
func (d *decider) release(r *Release) {
	d.name = r.Name
	v := r.Version
	d.version = &v
	d.nameRules(pep440.Only(v))
	d.names()
	if d.p.advisories == nil {
		d.noData()
	} else {
		var vulns []string
		var fixed []string
		summary := ""
		for _, x := range d.p.advisories.AffectedBy(d.name, v) {
			if x.Malicious {
				d.add(RuleMalicious, fmt.Sprintf("%s %s is reported as malicious: %s", d.name, v, x.Summary), finding{advisories: []string{x.Title()}})
				continue
			}
			if !x.Severity.AtLeast(d.p.minSeverity) {
				continue
			}
			vulns = append(vulns, x.Title())
			fixed = append(fixed, x.FixedStrings()...)
			if summary == "" {
				summary = x.Summary
			}
		}
		if len(vulns) > 0 {
			msg := fmt.Sprintf("%s %s is affected by %s", d.name, v, strings.Join(vulns, "; "))
			if summary != "" {
				msg += ": " + summary
			}
			sug := ""
			if fx := newestFixed(fixed); fx != "" {
				msg += "; fixed in " + fx
				sug = fmt.Sprintf("%s>=%s", d.name, fx)
			}
			d.add(RuleVulnerable, msg, finding{advisories: vulns, suggestion: sug})
		}
	}
	if v.IsPrerelease() && d.c.Stage != StageProxy {
		if pin, ok := pinnedVersion(r.Requested); !ok || !pin.Equal(v) {
			d.add(RulePrerelease, fmt.Sprintf("%s %s is a pre-release that was not pinned with ==", d.name, v), finding{})
		}
	}
	if inst, ok := d.c.Installed[d.name]; ok && pep440.Compare(v, inst) < 0 {
		d.add(RuleDowngrade, fmt.Sprintf("%s %s is installed; %s would downgrade it", d.name, inst, v),
			finding{suggestion: fmt.Sprintf("%s>=%s", d.name, inst)})
	}
	if f := r.File; f != nil {
		d.file(f)
	}
	d.customRules()
}

// newestFixed returns the highest fixed version, which fixes every
// vulnerability listed with it in the common case of one fix line.
func newestFixed(fixed []string) string {
	var best *pep440.Version
	for _, s := range fixed {
		v, err := pep440.Parse(s)
		if err == nil && (best == nil || pep440.Compare(v, *best) > 0) {
			best = &v
		}
	}
	if best == nil {
		return ""
	}
	return best.String()
}

func (d *decider) file(f *File) {
	if f.Sdist {
		d.add(RuleSdist, fmt.Sprintf("%s is a source distribution: building it runs the package's own code; airlock installs wheels only", f.Filename), finding{})
	}
	if f.Yanked {
		d.add(RuleYanked, fmt.Sprintf("%s was yanked by its maintainers", f.Filename), finding{})
	}
	if cfg := d.p.rules[RuleCooldown]; cfg.Action != RuleOff {
		switch {
		case f.UploadTime.IsZero():
			d.add(RuleCooldown, fmt.Sprintf("%s has no upload time, so its age (cooldown %s) cannot be checked", f.Filename, formatAge(cfg.MinAge)), finding{})
		case d.p.now().Sub(f.UploadTime) < cfg.MinAge:
			d.add(RuleCooldown, fmt.Sprintf("%s was uploaded %s ago; the policy waits %s before installing new releases",
				f.Filename, formatAge(d.p.now().Sub(f.UploadTime)), formatAge(cfg.MinAge)), finding{})
		}
	}
	for _, a := range f.Inspection {
		act := Review
		if a.Deny {
			act = Deny
		}
		msg := a.Message
		if a.Path != "" {
			msg = fmt.Sprintf("%s: %s: %s", f.Filename, a.Path, a.Message)
		}
		d.add(RuleArtifact, fmt.Sprintf("%s [%s]", msg, a.ID), finding{action: &act})
	}
}

func formatAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return d.Round(time.Minute).String()
}

// project decides a whole project at the proxy.
func (d *decider) project(name string) {
	d.name = pep508.Normalize(name)
	if nr, ok := d.p.deny[d.name]; ok && nr.Versions.IsEmpty() {
		d.add(RuleDenied, denyMessage(d.name, nr), finding{})
	}
	if _, ok := d.p.allow[d.name]; !ok && d.p.cfg.Mode == ModeAllowlist {
		d.add(RuleNotAllowed, fmt.Sprintf("%s is not on the policy's allow list", d.name), finding{})
	}
	d.names()
	if d.p.advisories != nil {
		for _, x := range d.p.advisories.Malicious(d.name) {
			if x.Affected.Equal(pep440.AllVersions()) {
				d.add(RuleMalicious, fmt.Sprintf("%s is reported as malicious: %s", d.name, x.Summary), finding{advisories: []string{x.Title()}})
			}
		}
	}
	d.customRules()
}
