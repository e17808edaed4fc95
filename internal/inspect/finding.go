package inspect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Severity ranks how dangerous a finding is, independently of what the
// policy does about it.
type Severity uint8

// Severities, lowest first.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high", SeverityCritical: "critical"}

// String returns "low", "medium", "high" or "critical".
func (s Severity) String() string {
	if int(s) < len(severityNames) && severityNames[s] != "" {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// MarshalText implements [encoding.TextMarshaler].
func (s Severity) MarshalText() ([]byte, error) {
	if int(s) >= len(severityNames) || severityNames[s] == "" {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if n != "" && n == string(b) {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q (want low, medium, high or critical)", b)
}

// Action is what airlock does about a finding: report nothing (off), ask a
// person (review), or refuse (deny). The zero value is ActionOff; for a set
// of findings, the strongest action wins (see [Verdict]).
type Action uint8

// Actions, weakest first.
const (
	ActionOff Action = iota
	ActionReview
	ActionDeny
)

var actionNames = [...]string{ActionOff: "off", ActionReview: "review", ActionDeny: "deny"}

// String returns "off", "review" or "deny".
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// MarshalText implements [encoding.TextMarshaler].
func (a Action) MarshalText() ([]byte, error) {
	if int(a) >= len(actionNames) {
		return nil, fmt.Errorf("invalid action %d", uint8(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts "off",
// "review" and "deny".
func (a *Action) UnmarshalText(b []byte) error {
	for i, n := range actionNames {
		if n == string(b) {
			*a = Action(i)
			return nil
		}
	}
	return fmt.Errorf("unknown action %q (want deny, review or off)", b)
}

// Family groups rules for policy: the policy maps a family to an action.
type Family string

// The rule families. The first five are about Python source; the rest about
// the structure of wheels and sdists.
const (
	// FamilyInstall: installs at run time that bypass airlock (pip, uv,
	// conda, easy_install through a subprocess, pip's API, runpy, notebook
	// magics).
	FamilyInstall Family = "install"
	// FamilyExec: process execution, shell commands, eval/exec of computed
	// text, imports of computed names.
	FamilyExec Family = "exec"
	// FamilyObfuscation: code hidden by encoding (base64, zlib, marshal,
	// chr() chains, long encoded blobs) and indirect calls.
	FamilyObfuscation Family = "obfuscation"
	// FamilyExfiltration: environment variables or credentials sent over the
	// network, and download-then-execute.
	FamilyExfiltration Family = "exfiltration"
	// FamilyPersistence: writing .pth files, sitecustomize, shell start-up
	// files, cron and other packages' files.
	FamilyPersistence Family = "persistence"
	// FamilyStartupHook: files in an artifact that run at every interpreter
	// start (.pth files with import lines, sitecustomize).
	FamilyStartupHook Family = "startup-hook"
	// FamilyShadowing: scripts named like system commands and files that
	// would overwrite another package or a standard library module.
	FamilyShadowing Family = "shadowing"
	// FamilyIntegrity: RECORD mismatches, files missing from RECORD,
	// malformed wheel metadata.
	FamilyIntegrity Family = "integrity"
	// FamilyArchive: unsafe archive structure (path traversal, links,
	// duplicate or overlapping entries, unreadable archives).
	FamilyArchive Family = "archive"
	// FamilyLimits: inputs over a size limit (zip bombs, huge sources) that
	// were not, or not fully, checked.
	FamilyLimits Family = "limits"
	// FamilySdist: source distributions, whose build runs package code.
	FamilySdist Family = "sdist"
	// FamilyBandit: findings of the optional bandit engine.
	FamilyBandit Family = "bandit"
)

// Families lists every family, in documentation order.
var Families = []Family{
	FamilyInstall, FamilyExec, FamilyObfuscation, FamilyExfiltration, FamilyPersistence,
	FamilyStartupHook, FamilyShadowing, FamilyIntegrity, FamilyArchive, FamilyLimits, FamilySdist,
	FamilyBandit,
}

// Valid reports whether f is one of [Families].
func (f Family) Valid() bool { return slices.Contains(Families, f) }

// A Rule is one check. Rules are defined once, as package variables, and
// findings point at them.
type Rule struct {
	ID       string   // stable identifier: "AL101"; bandit's own ids ("B602") for bandit
	Name     string   // short kebab-case name: "runtime-install"
	Family   Family   // what the policy maps to an action
	Severity Severity // default severity; a finding may raise or lower it
	Action   Action   // action when the policy says nothing about the rule or its family
	Summary  string   // one sentence: what the rule finds
	Help     string   // what a person should do about it
	Engine   string   // "airlock", or "bandit"
}

// A Finding is one occurrence of a rule.
type Finding struct {
	Rule     *Rule    `json:"-"`
	Severity Severity `json:"severity"`
	// Action is the effective action once a [Config] has been applied
	// ([Config.Apply]); before that, the rule's default.
	Action  Action `json:"action"`
	Message string `json:"message"`
	// Archive is the wheel or sdist holding Path, or "" for a plain file.
	Archive string `json:"archive,omitempty"`
	// Path is the file (for archives, the member's path inside the archive).
	Path string `json:"path"`
	// Line and Column (1-based, code points) locate the finding in a
	// source file; 0 when it is about a whole file.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Cell is the 1-based index of the notebook cell holding Line, or 0.
	Cell int `json:"cell,omitempty"`
	// Snippet is the offending source line, trimmed and shortened.
	Snippet string `json:"snippet,omitempty"`
}

// Location renders where the finding is: archive:path:line:column, with
// the parts that apply ("dist/x.whl:x/__init__.py:3:5", "nb.ipynb:cell 2:1:1").
func (f Finding) Location() string {
	var b strings.Builder
	if f.Archive != "" {
		b.WriteString(f.Archive)
		if f.Path != "" {
			b.WriteString(":")
		}
	}
	b.WriteString(f.Path)
	if f.Cell > 0 {
		fmt.Fprintf(&b, ":cell %d", f.Cell)
	}
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
		if f.Column > 0 {
			fmt.Fprintf(&b, ":%d", f.Column)
		}
	}
	return b.String()
}

// String renders the finding on one line: location, rule, action, severity
// and message.
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s %s [%s, %s] %s", f.Location(), f.Rule.ID, f.Rule.Name, f.Action, f.Severity, f.Message)
}

// Compare orders findings by archive, path, cell, line, column and rule id,
// for stable output.
func Compare(a, b Finding) int {
	return cmp.Or(
		strings.Compare(a.Archive, b.Archive),
		strings.Compare(a.Path, b.Path),
		cmp.Compare(a.Cell, b.Cell),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		strings.Compare(a.Rule.ID, b.Rule.ID),
		strings.Compare(a.Message, b.Message),
	)
}

// Verdict returns the strongest action among findings: ActionOff when there
// are none.
func Verdict(findings []Finding) Action {
	v := ActionOff
	for _, f := range findings {
		v = max(v, f.Action)
	}
	return v
}

// Config is the part of the policy the scanners need: an action per family
// and, more specific, per rule id. A rule not mentioned keeps the action of
// its family when the family is mentioned, else its own default. The zero
// Config keeps every default.
type Config struct {
	Families map[Family]Action `json:"families,omitempty" yaml:"families,omitempty"`
	Rules    map[string]Action `json:"rules,omitempty" yaml:"rules,omitempty"`
}

// ActionFor returns the action for findings of r.
func (c Config) ActionFor(r *Rule) Action {
	if a, ok := c.Rules[r.ID]; ok {
		return a
	}
	if a, ok := c.Families[r.Family]; ok {
		return a
	}
	return r.Action
}

// Apply sets each finding's Action from the config, drops the findings
// whose action is off, and returns the rest sorted with [Compare]. It
// reuses the backing array of findings.
func (c Config) Apply(findings []Finding) []Finding {
	out := findings[:0]
	for _, f := range findings {
		f.Action = c.ActionFor(f.Rule)
		if f.Action != ActionOff {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, Compare)
	return out
}

// Set records action a for name, which is a family ("exec") or a rule id
// ("AL203", "B602"). Rule ids are not checked against a catalogue, since
// engines bring their own.
func (c *Config) Set(name string, a Action) error {
	if Family(name).Valid() {
		if c.Families == nil {
			c.Families = map[Family]Action{}
		}
		c.Families[Family(name)] = a
		return nil
	}
	if !isRuleID(name) {
		return fmt.Errorf("%q is neither a rule family (%s) nor a rule id like AL101 or B602", name, familyList())
	}
	if c.Rules == nil {
		c.Rules = map[string]Action{}
	}
	c.Rules[name] = a
	return nil
}

func familyList() string {
	s := make([]string, len(Families))
	for i, f := range Families {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// isRuleID reports whether s looks like a rule id: capital letters then digits.
func isRuleID(s string) bool {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	if i == 0 || i == len(s) {
		return false
	}
	for _, c := range s[i:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// findingJSON is the JSON form of a Finding: the rule inline.
type findingJSON struct {
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Family   Family   `json:"family"`
	Engine   string   `json:"engine"`
	Severity Severity `json:"severity"`
	Action   Action   `json:"action"`
	Message  string   `json:"message"`
	Archive  string   `json:"archive,omitempty"`
	Path     string   `json:"path"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Cell     int      `json:"cell,omitempty"`
	Snippet  string   `json:"snippet,omitempty"`
}

// MarshalJSON renders the finding with its rule's id, name, family and engine.
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(findingJSON{
		Rule: f.Rule.ID, Name: f.Rule.Name, Family: f.Rule.Family, Engine: f.Rule.Engine,
		Severity: f.Severity, Action: f.Action, Message: f.Message, Archive: f.Archive, Path: f.Path,
		Line: f.Line, Column: f.Column, Cell: f.Cell, Snippet: f.Snippet,
	})
}
