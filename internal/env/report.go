package env

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
)

// Limits on pip's installation report, which comes out of a sandbox and is
// therefore untrusted input.
const (
	// MaxReportSize bounds the report: a closure of a thousand projects
	// with long metadata takes a few megabytes.
	MaxReportSize = 32 << 20
	// MaxClosure bounds the number of releases one install may resolve to.
	MaxClosure = 5000
	// maxRequiresDist bounds the Requires-Dist entries read per release.
	maxRequiresDist = 2000
)

// Node is one release of a resolved closure: what pip's resolver chose,
// checked against what the proxy served.
type Node struct {
	// Name is the project name in PEP 503 form.
	Name string
	// Version is the chosen version.
	Version pep440.Version
	// Filename and SHA256 identify the chosen file (always a wheel).
	Filename string
	SHA256   string
	// URLPath is the file's path on the proxy:
	// /simple/<name>/<sha256>/<filename>.
	URLPath string
	// Requested reports whether the request named the project.
	Requested bool
	// Requires are the project's dependencies that apply in the target
	// environment (markers evaluated), by PEP 503 name, with the specifier
	// each puts on it.
	Requires []Dependency
	// Path is the dependency path from a requested project: for "app 1.0
	// → lib 2.0", ["app 1.0", "lib 2.0"]; for a requested project, just
	// itself.
	Path []string
	// UploadTime is the file's upload time from the proxy's page, zero
	// when the upstream did not say; Yanked is its PEP 592 flag there
	// (pip picks a yanked file only for an exact pin).
	UploadTime time.Time
	Yanked     bool
}

// Dependency is one applicable Requires-Dist entry of a release.
type Dependency struct {
	Name      string
	Specifier pep440.SpecifierSet
}

// ID returns "name version".
func (n *Node) ID() string { return n.Name + " " + n.Version.String() }

// ReportError is a pip report that airlock refuses to act on.
type ReportError struct{ Msg string }

func (e *ReportError) Error() string { return "pip's resolution report: " + e.Msg }

func reportErrorf(format string, args ...any) error {
	return &ReportError{fmt.Sprintf(format, args...)}
}

// pipReport is pip's installation report, format version 1 (pip 22.2 and
// later): https://pip.pypa.io/en/stable/reference/installation-report/.
type pipReport struct {
	Version     string            `json:"version"`
	Install     []reportItem      `json:"install"`
	Environment map[string]string `json:"environment"`
}

type reportItem struct {
	DownloadInfo struct {
		URL         string `json:"url"`
		ArchiveInfo *struct {
			Hash   string            `json:"hash"`
			Hashes map[string]string `json:"hashes"`
		} `json:"archive_info"`
		DirInfo json.RawMessage `json:"dir_info"`
		VCSInfo json.RawMessage `json:"vcs_info"`
	} `json:"download_info"`
	IsDirect        bool     `json:"is_direct"`
	Requested       bool     `json:"requested"`
	RequestedExtras []string `json:"requested_extras"`
	Metadata        struct {
		Name         string   `json:"name"`
		Version      string   `json:"version"`
		RequiresDist []string `json:"requires_dist"`
	} `json:"metadata"`
}

// parseReport reads pip's report and checks every item against what the
// proxy can have served: a wheel (never a direct URL, a directory or a
// VCS checkout) at a proxy file path, /simple/<name>/<sha256>/<filename>,
// on proxyHost, whose name and version agree with the file name and the
// metadata, with the sha256 the path names. It returns the nodes in the
// report's order, their dependency edges (markers evaluated in the
// report's environment) and dependency paths, and the target's marker
// environment.
func parseReport(data []byte, proxyHost string) ([]*Node, map[string]string, error) {
	if len(data) > MaxReportSize {
		return nil, nil, reportErrorf("larger than %d bytes", MaxReportSize)
	}
	var rep pipReport
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rep); err != nil {
		return nil, nil, reportErrorf("not JSON: %v", err)
	}
	if dec.More() {
		return nil, nil, reportErrorf("trailing data after the report")
	}
	if rep.Version != "1" {
		return nil, nil, reportErrorf("version %q, want 1", rep.Version)
	}
	if len(rep.Install) > MaxClosure {
		return nil, nil, reportErrorf("%d releases, over the limit of %d", len(rep.Install), MaxClosure)
	}
	if rep.Environment == nil {
		return nil, nil, reportErrorf("no marker environment")
	}
	nodes := make([]*Node, 0, len(rep.Install))
	byName := map[string]*Node{}
	extras := map[string][]string{}
	for i := range rep.Install {
		it := &rep.Install[i]
		n, err := checkItem(it, proxyHost)
		if err != nil {
			return nil, nil, err
		}
		if byName[n.Name] != nil {
			return nil, nil, reportErrorf("%s appears twice", n.Name)
		}
		byName[n.Name] = n
		nodes = append(nodes, n)
		extras[n.Name] = it.RequestedExtras
	}
	// Edges: each release's Requires-Dist entries that apply, with the
	// extras something asked of it. pip 23.0 reports requested_extras only
	// for requested projects; extras asked for by dependents are found by
	// walking the edges until nothing changes.
	for changed := true; changed; {
		changed = false
		for i := range rep.Install {
			n := nodes[i]
			deps, err := applicable(rep.Install[i].Metadata.RequiresDist, extras[n.Name], rep.Environment)
			if err != nil {
				return nil, nil, reportErrorf("%s: %v", n.ID(), err)
			}
			n.Requires = n.Requires[:0]
			for _, d := range deps {
				n.Requires = append(n.Requires, Dependency{Name: d.name, Specifier: d.spec})
				for _, x := range d.extras {
					if !slices.Contains(extras[d.name], x) {
						extras[d.name] = append(extras[d.name], x)
						changed = true
					}
				}
			}
		}
	}
	setPaths(nodes, byName)
	return nodes, rep.Environment, nil
}

// checkItem validates one report item and makes its node.
func checkItem(it *reportItem, proxyHost string) (*Node, error) {
	di := it.DownloadInfo
	if it.IsDirect || di.DirInfo != nil || di.VCSInfo != nil || di.ArchiveInfo == nil {
		return nil, reportErrorf("%q was not chosen from the index (direct URL, directory or VCS)", it.Metadata.Name)
	}
	u, err := url.Parse(di.URL)
	if err != nil || u.Scheme != "http" || u.Host != proxyHost || u.RawQuery != "" || u.User != nil {
		return nil, reportErrorf("%q: file URL %q is not on airlock's proxy", it.Metadata.Name, di.URL)
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/simple/"), "/")
	if !strings.HasPrefix(u.Path, "/simple/") || len(parts) != 3 {
		return nil, reportErrorf("%q: file URL %q is not a proxy file path", it.Metadata.Name, di.URL)
	}
	project, sum, filename := parts[0], parts[1], parts[2]
	if !validSHA256(sum) {
		return nil, reportErrorf("%q: file URL %q has no sha256", it.Metadata.Name, di.URL)
	}
	if got := reportSHA256(di.ArchiveInfo.Hash, di.ArchiveInfo.Hashes); got != sum {
		return nil, reportErrorf("%s: the reported sha256 %q is not the one in the file URL", filename, got)
	}
	if !pep508.ValidName(it.Metadata.Name) {
		return nil, reportErrorf("invalid project name %q", it.Metadata.Name)
	}
	name := pep508.Normalize(it.Metadata.Name)
	if name != project {
		return nil, reportErrorf("%s: metadata names %q, the file came from project %q", filename, it.Metadata.Name, project)
	}
	v, err := pep440.Parse(it.Metadata.Version)
	if err != nil {
		return nil, reportErrorf("%s: version %q: %v", name, it.Metadata.Version, err)
	}
	wname, wver, ok := parseWheelName(filename)
	if !ok {
		return nil, reportErrorf("%s: %q is not a wheel", name, filename)
	}
	fv, err := pep440.Parse(wver)
	if pep508.Normalize(wname) != name || err != nil || pep440.Compare(fv, v) != 0 {
		return nil, reportErrorf("%s %s: file %q is not a wheel of that release", name, v, filename)
	}
	if len(it.Metadata.RequiresDist) > maxRequiresDist {
		return nil, reportErrorf("%s: %d dependencies, over the limit of %d", name, len(it.Metadata.RequiresDist), maxRequiresDist)
	}
	return &Node{
		Name: name, Version: v, Filename: filename, SHA256: sum,
		URLPath:   "/simple/" + project + "/" + sum + "/" + filename,
		Requested: it.Requested,
	}, nil
}

// reportSHA256 returns the sha256 a report item's archive_info gives, from
// "hashes" (pip 23) or "hash" ("sha256=<hex>").
func reportSHA256(hash string, hashes map[string]string) string {
	if h := hashes["sha256"]; h != "" {
		return h
	}
	if alg, h, ok := strings.Cut(hash, "="); ok && alg == "sha256" {
		return h
	}
	return ""
}

// parseWheelName splits a wheel file name
// ({name}-{version}(-{build})?-{python}-{abi}-{platform}.whl) into its name
// and version.
func parseWheelName(filename string) (name, version string, ok bool) {
	stem, ok := strings.CutSuffix(filename, ".whl")
	if !ok || strings.ContainsAny(stem, "/\\\x00") {
		return "", "", false
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return "", "", false
	}
	for _, p := range parts {
		if p == "" {
			return "", "", false
		}
	}
	return parts[0], parts[1], true
}

type dep struct {
	name   string
	spec   pep440.SpecifierSet
	extras []string
}

// applicable returns the Requires-Dist entries that apply in env, for a
// release installed with the given extras.
func applicable(requires []string, extras []string, env map[string]string) ([]dep, error) {
	var out []dep
	for _, s := range requires {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			return nil, fmt.Errorf("Requires-Dist %q: %v", s, err)
		}
		if r.Marker != nil {
			ok, err := markerHolds(r.Marker, extras, env)
			if err != nil {
				return nil, fmt.Errorf("Requires-Dist %q: %v", s, err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, dep{name: r.CanonicalName(), spec: r.Specifier, extras: r.Extras})
	}
	return out, nil
}

// markerHolds evaluates m with extra set to each of extras in turn (and to
// "" when there are none), as pip does.
func markerHolds(m *pep508.Marker, extras []string, env map[string]string) (bool, error) {
	e := make(map[string]string, len(env)+1)
	for k, v := range env {
		e[k] = v
	}
	for _, x := range append([]string{""}, extras...) {
		e["extra"] = x
		ok, err := m.Evaluate(e)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// setPaths gives every node the shortest dependency path from a requested
// node (breadth first, in report order, so paths are deterministic). A
// node that no requested node reaches (pip only reports what it would
// install, so a dependency of an already installed release can appear
// alone) gets just itself.
func setPaths(nodes []*Node, byName map[string]*Node) {
	var queue []*Node
	for _, n := range nodes {
		n.Path = nil
		if n.Requested {
			n.Path = []string{n.ID()}
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range n.Requires {
			m := byName[d.Name]
			if m == nil || m.Path != nil {
				continue
			}
			m.Path = append(slices.Clone(n.Path), m.ID())
			queue = append(queue, m)
		}
	}
	for _, n := range nodes {
		if n.Path == nil {
			n.Path = []string{n.ID()}
		}
	}
}

// requestedSpec returns the specifier the dependents in nodes put on name,
// joined (for the policy's pre-release rule).
func requestedSpec(nodes []*Node, name string) pep440.SpecifierSet {
	var parts []string
	for _, n := range nodes {
		for _, d := range n.Requires {
			if d.Name == name && !d.Specifier.IsEmpty() {
				parts = append(parts, d.Specifier.String())
			}
		}
	}
	if len(parts) == 0 {
		return pep440.SpecifierSet{}
	}
	ss, err := pep440.ParseSpecifierSet(strings.Join(parts, ","))
	if err != nil {
		return pep440.SpecifierSet{}
	}
	return ss
}
