package policy

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultYAMLMatchesDefaultRules(t *testing.T) {
	c := Default()
	want := defaultRules()
	for _, r := range Rules {
		got := c.Rules[r]
		got.Pos = Pos{}
		if !reflect.DeepEqual(got, want[r]) {
			t.Errorf("default.yaml rule %s = %+v, defaultRules has %+v", r, got, want[r])
		}
	}
	if len(c.Rules) != len(Rules) {
		t.Errorf("default policy has %d rules, want every one of the %d", len(c.Rules), len(Rules))
	}
	if c.Mode != ModeOpen {
		t.Errorf("default mode = %q, want open", c.Mode)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		yaml string
		want string // substring of the error, with its position
	}{
		{"mode: open\n", "policy.yaml:1:1: version: missing"},
		{"version: 2\n", "policy.yaml:1:10: version: \"2\" is not supported"},
		{"version: 1\nmode: closed\n", "policy.yaml:2:7: mode: \"closed\" is not open or allowlist"},
		{"version: 1\nbogus: 1\n", "policy.yaml:2:1: unknown field \"bogus\""},
		{"version: 1\nversion: 1\n", "policy.yaml:2:1: mapping key \"version\" already defined"},
		{"version: 1\nallow:\n  - name: pandas\n    versions: \">=two\"\n", "policy.yaml:4:15: allow pandas: versions:"},
		{"version: 1\nallow:\n  - {name: pandas, version: \">=2\"}\n", "unknown field \"version\""},
		{"version: 1\nallow: [\"r\u0435quests\"]\n", "policy.yaml:2:9: allow: \"r\u0435quests\" is not a valid project name"},
		{"version: 1\nallow: [numpy, NumPy]\n", "allow: numpy is listed twice"},
		{"version: 1\nrules:\n  typosquatting: deny\n", "policy.yaml:3:3: rules: unknown rule \"typosquatting\""},
		{"version: 1\nrules:\n  typosquat: block\n", "policy.yaml:3:14: rules typosquat: unknown rule action \"block\""},
		{"version: 1\nrules:\n  vulnerable: {action: deny, min_severty: low}\n", "policy.yaml:3:30: unknown field \"min_severty\""},
		{"version: 1\nrules:\n  vulnerable: {action: deny, min_severity: severe}\n", "min_severity \"severe\" is not one of low, medium, high, critical"},
		{"version: 1\nrules:\n  typosquat: {action: deny, min_severity: low}\n", "rules typosquat: min_severity applies only to vulnerable"},
		{"version: 1\nrules:\n  cooldown: review\n", "rules cooldown: min_age is missing"},
		{"version: 1\nrules:\n  cooldown: {action: review, min_age: soon}\n", "min_age: \"soon\" is not a duration"},
		{"version: 1\nexceptions:\n  - {name: requests, rule: vulnerable, expires: 2027-01-01}\n", "policy.yaml:3:5: exceptions requests: reason is missing"},
		{"version: 1\nexceptions:\n  - {name: requests, rule: vulnerable, reason: x}\n", "expires is missing"},
		{"version: 1\nexceptions:\n  - {name: requests, rule: vulnerable, reason: x, expires: tomorrow}\n", "expires: \"tomorrow\" is not a date"},
		{"version: 1\nexceptions:\n  - {name: requests, rule: vuln, reason: x, expires: 2027-01-01}\n", "unknown rule \"vuln\""},
		{"version: 1\ncustom:\n  - {name: a, expr: 'true', message: m}\n  - {name: a, expr: 'true', message: m}\n", "custom: rule \"a\" is defined twice"},
		{"version: 1\ncustom:\n  - {name: a, expr: 'true'}\n", "custom a: message is missing"},
		{"version: 1\ncustom:\n  - {name: a, expr: 'true', message: m, action: allow}\n", "unknown rule action \"allow\""},
		{"version: 1\nprotected: [\"[\"]\n", "protected: \"[\" is not a valid glob pattern"},
		{"version: 1\nallow: {numpy: 1}\n", "policy.yaml:2"},
		{"version: 1\n\tbad: tab\n", "policy.yaml:"},
		// Nesting deeper than MaxPolicyDepth is refused before the YAML
		// parser, whose time grows with the square of the depth (a 1 MB
		// file of "[" or of "- " took minutes).
		{"version: 1\nallow: " + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "\n", "policy.yaml:2:71: collections nested more than 64 levels deep"},
		{"version: 1\nallow: " + strings.Repeat("{a: ", 2000) + "\n", "policy.yaml:2:260: collections nested more than 64 levels deep"},
		{"version: 1\nallow:\n" + strings.Repeat("- ", 2000) + "x\n", "policy.yaml:3:129: collections nested more than 64 levels deep"},
		{"version: 1\nallow:\n" + func() string {
			var b strings.Builder
			for i := range 100 {
				b.WriteString(strings.Repeat(" ", i) + "- \n")
			}
			return b.String()
		}(), "policy.yaml:67:65: collections nested more than 64 levels deep"},
	}
	for _, tt := range tests {
		_, err := Parse("policy.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.yaml, err, tt.want)
		}
	}
}

func TestCustomRuleErrors(t *testing.T) {
	for src, want := range map[string]string{
		"version: 1\ncustom:\n  - {name: typo, expr: 'candidate.nmae == \"x\"', message: m}\n": "policy.yaml:3:5: custom typo:",
		"version: 1\ncustom:\n  - {name: notbool, expr: 'candidate.name', message: m}\n":       "custom notbool: expr must be a bool",
		"version: 1\ncustom:\n  - {name: syntax, expr: 'candidate.name ==', message: m}\n":     "custom syntax:",
	} {
		cfg, err := Parse("policy.yaml", []byte(src))
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		if _, err := New(cfg, Data{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q) = %v, want an error containing %q", src, err, want)
		}
	}
}

func TestProtectedShadowingPopular(t *testing.T) {
	cfg, err := Parse("policy.yaml", []byte("version: 1\nprotected: [\"requests*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, Data{}); err == nil || !strings.Contains(err.Error(), "capture popular public projects") {
		t.Errorf("New with a pattern capturing requests = %v, want an error", err)
	}
}

func TestParseFullExample(t *testing.T) {
	src := `version: 1
mode: allowlist
allow:
  - numpy
  - name: pandas
    versions: ">=2.0"
deny:
  - name: evil-dep
    reason: known bad
protected: ["acme-*", internal_tool]
rules:
  typosquat: deny
  malicious: deny
  vulnerable: {action: deny, min_severity: low}
  prerelease: review
  unpinned: off
  cooldown: {action: review, min_age: 3d}
exceptions:
  - {name: requests, version: "2.25.0", rule: vulnerable, reason: "patched", expires: 2027-01-31}
custom:
  - name: internal-prefix
    expr: 'candidate.name.startsWith("acme-")'
    action: deny
    message: internal packages come from the internal index only
`
	c, err := Parse("policy.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeAllowlist || len(c.Allow) != 2 || c.Allow[1].Versions.String() != ">=2.0" || c.Deny[0].Reason != "known bad" {
		t.Errorf("parsed %+v", c)
	}
	if !reflect.DeepEqual(c.Protected, []string{"acme-*", "internal-tool"}) {
		t.Errorf("protected = %q", c.Protected)
	}
	if c.Rules[RulePrerelease].Action != RuleReview || c.Rules[RuleCooldown].MinAge != 72*time.Hour || c.Rules[RuleVulnerable].MinSeverity != "low" {
		t.Errorf("rules = %+v", c.Rules)
	}
	if c.Rules[RuleSdist].Action != RuleDeny {
		t.Errorf("unmentioned rule sdist = %v, want the default deny", c.Rules[RuleSdist].Action)
	}
	if x := c.Exceptions[0]; x.Expires.Format(time.DateOnly) != "2027-01-31" || x.Rule != RuleVulnerable {
		t.Errorf("exception = %+v", x)
	}
	if _, err := New(c, Data{}); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestParseScan(t *testing.T) {
	c, err := Parse("policy.yaml", []byte("version: 1\nscan:\n  before_run: true\n  families: {exec: review, obfuscation: deny}\n  rules: {AL203: off}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []ScanSetting{{"exec", RuleReview, Pos{4, 14}}, {"obfuscation", RuleDeny, Pos{4, 28}}, {"AL203", RuleOff, Pos{5, 11}}}
	if !c.Scan.BeforeRun || !reflect.DeepEqual(c.Scan.Settings, want) {
		t.Errorf("scan = %+v, want before_run and %+v", c.Scan, want)
	}
	for src, msg := range map[string]string{
		"version: 1\nscan: {before_run: maybe}\n":                          "scan: before_run must be true or false",
		"version: 1\nscan: {families: {exec: block}}\n":                    "scan families exec: unknown rule action \"block\"",
		"version: 1\nscan: {families: {exec: deny}, rules: {exec: off}}\n": "scan: exec is set twice",
		"version: 1\nscan: {colour: red}\n":                                "unknown field \"colour\"",
	} {
		if _, err := Parse("policy.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want %q", src, err, msg)
		}
	}
}
