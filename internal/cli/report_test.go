package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/policy"
)

// TestFindingLinesAgree: a finding reads the same whether airlock check
// prints it, or airlock install prints it for the request or for a
// resolved release: the custom rule's name, the advisory ids, the
// exception and the suggestion, escaped.
func TestFindingLinesAgree(t *testing.T) {
	findings := []policy.Finding{
		{Rule: policy.RuleMalicious, Action: policy.Deny, Message: "evilpkg is reported as malicious: Malicious code in evilpkg",
			Advisories: []string{"MAL-2024-1"}},
		{Rule: policy.RuleCustom, Custom: "internal-mirror", Action: policy.Deny, Message: "use the mirror\x1b[2J",
			Suggestion: "ask for it by name"},
		{Rule: policy.RuleVulnerable, Action: policy.Allow, Message: "affected by PYSEC-1",
			Advisories: []string{"PYSEC-1"}, Exception: &policy.AppliedException{Reason: "patched", Expires: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}},
	}
	want := []string{
		"        malicious: evilpkg is reported as malicious: Malicious code in evilpkg [MAL-2024-1]",
		`        custom (internal-mirror): use the mirror\x1b[2J`,
		"        suggestion: ask for it by name",
		"        vulnerable: affected by PYSEC-1 [allowed by exception: patched, until 2030-01-02]",
	}
	name := "evilpkg"
	rep := policy.Report{Results: []policy.Result{{Input: "evilpkg==0.1", Source: "<arguments>", Line: 1, Name: &name,
		Decision: policy.Deny, Findings: findings}}, Summary: policy.Summary{Deny: 1}}
	var check, request, release bytes.Buffer
	writeReport(&check, &bytes.Buffer{}, &rep, false)
	writeInstall(&request, &bytes.Buffer{}, &env.Result{Env: "job", Outcome: env.Denied, Check: &rep}, false)
	writeInstall(&release, &bytes.Buffer{}, &env.Result{Env: "job", Outcome: env.Denied, Releases: []env.ReleaseResult{
		{Name: "evilpkg", Version: "0.1", Requested: true, Decision: policy.Decision{Action: policy.Deny, Findings: findings}}}}, false)
	for what, out := range map[string]string{"check": check.String(), "install's request": request.String(), "install's release": release.String()} {
		var got []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "        ") {
				got = append(got, l)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s prints the findings as\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestPipShow: airlock pip show prints what the lock says, with the wheel's
// file name (which the upstream chose) escaped, a separator only between
// packages it shows, and exit 1 for a package that is not installed.
func TestPipShow(t *testing.T) {
	lock := &env.Lock{Packages: []env.Package{
		{Name: "evil", Version: "1.0", Filename: "evil-1.0-py3-none-\x1b]0;x\x07any.whl", Requested: "evil"},
		{Name: "good", Version: "2.0", Filename: "good-2.0-py3-none-any.whl", Requested: "good"},
	}}
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut}
	err := a.pipShow(lock, "/envs/job/venv", []string{"missing", "evil", "good"})
	if exitCode(err) != ExitDenied || !strings.Contains(errOut.String(), "not found: missing") {
		t.Errorf("pip show of a missing package: %v, %q", err, errOut.String())
	}
	want := "Name: evil\nVersion: 1.0\nLocation: /envs/job/venv\nInstaller: airlock\nFile: evil-1.0-py3-none-\\x1b]0;x\\x07any.whl\n"
	if got := out.String(); !strings.HasPrefix(got, want) || strings.Count(got, "---\n") != 1 {
		t.Errorf("pip show printed\n%q\nwant it to start with\n%q and hold one separator", got, want)
	}
}
