package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/typosquat"
)

// Data are the snapshots a policy decides with. They are immutable, so a
// [Policy] built from them is too.
type Data struct {
	// Advisories is the vulnerability and malicious-package data; nil
	// means none is loaded, which every answer then says (see
	// [Policy.Notes]).
	Advisories *advisory.Index
	// Popular is the protected popular-name set for typosquat detection;
	// nil means the embedded top-15,000 list.
	Popular *typosquat.Index
	// Exceptions are accepted risks from outside the policy file, such as
	// reviews an administrator approved; they work like the file's.
	Exceptions []Exception
	// Now is the clock for exception expiries and cooldowns; nil means
	// time.Now.
	Now func() time.Time
}

// Policy decides candidates. Build one with [New]; it is immutable and
// safe for concurrent use.
type Policy struct {
	cfg         *Config
	allow       map[string]*NameRule
	deny        map[string]*NameRule
	rules       map[Rule]RuleConfig
	exceptions  []Exception
	custom      []compiledRule
	advisories  *advisory.Index
	popular     *typosquat.Index
	confusion   *typosquat.Confusion
	minSeverity advisory.Level
	now         func() time.Time
}

// New builds a policy from a validated configuration and the data
// snapshots. It compiles the custom rules, so a CEL error is reported
// here, with its position.
func New(cfg *Config, data Data) (*Policy, error) {
	if cfg == nil {
		cfg = Default()
	}
	p := &Policy{
		cfg:        cfg,
		allow:      map[string]*NameRule{},
		deny:       map[string]*NameRule{},
		rules:      cfg.Rules,
		exceptions: slices.Concat(cfg.Exceptions, data.Exceptions),
		advisories: data.Advisories,
		popular:    data.Popular,
		now:        data.Now,
	}
	if p.popular == nil {
		p.popular = typosquat.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	for i := range cfg.Allow {
		p.allow[cfg.Allow[i].Name] = &cfg.Allow[i]
	}
	for i := range cfg.Deny {
		p.deny[cfg.Deny[i].Name] = &cfg.Deny[i]
	}
	if len(cfg.Protected) > 0 {
		var names, patterns []string
		for _, s := range cfg.Protected {
			if isPattern(s) {
				patterns = append(patterns, s)
			} else {
				names = append(names, s)
			}
		}
		c, err := typosquat.NewConfusion(names, patterns)
		if err != nil {
			return nil, &Error{Source: cfg.Source, Msg: "protected: " + err.Error()}
		}
		if shadowed := c.Shadowed(p.popular); len(shadowed) > 0 {
			return nil, &Error{Source: cfg.Source, Msg: fmt.Sprintf(
				"protected: the patterns capture popular public projects (%s); make them more specific", quoteNames(shadowed, 5))}
		}
		p.confusion = c
	}
	if ms := p.rules[RuleVulnerable].MinSeverity; ms != "" {
		lvl, err := advisory.ParseLevel(ms)
		if err != nil {
			return nil, &Error{Source: cfg.Source, Pos: p.rules[RuleVulnerable].Pos, Msg: "rules vulnerable: " + err.Error()}
		}
		p.minSeverity = lvl
	}
	for _, r := range cfg.Custom {
		cr, err := compileCustom(cfg.Source, r)
		if err != nil {
			return nil, err
		}
		p.custom = append(p.custom, cr)
	}
	return p, nil
}

// Config returns the configuration the policy was built from.
func (p *Policy) Config() *Config { return p.cfg }

// HasAdvisories reports whether advisory data is loaded.
func (p *Policy) HasAdvisories() bool { return p.advisories != nil }

// Notes says what the policy's answers cannot cover, for every answer to
// carry: missing advisory data, expired exceptions.
func (p *Policy) Notes() []string {
	var notes []string
	if p.advisories == nil {
		if p.rules[RuleVulnerable].RequireData {
			notes = append(notes, "no advisory data is loaded: every requirement is refused because the policy sets rules.vulnerable.require_data (run `airlock db update` or pass --advisories)")
		} else {
			notes = append(notes, "no advisory data is loaded: known vulnerabilities and malicious packages were NOT checked (run `airlock db update` or pass --advisories)")
		}
	}
	now := p.now()
	for _, x := range p.exceptions {
		if now.After(x.Expires) {
			notes = append(notes, fmt.Sprintf("exception %s expired on %s and no longer applies", x, x.Expires.Format(time.DateOnly)))
		}
	}
	return notes
}

// UnusedExceptions returns the unexpired exceptions that no decision in
// used applied: accepted risks that may no longer be needed.
func (p *Policy) UnusedExceptions(used []Decision) []Exception {
	applied := map[string]bool{}
	for _, d := range used {
		for _, f := range d.Findings {
			if f.Exception != nil {
				applied[exceptionKey(f.Exception.Name, f.Exception.Version, f.Exception.Rule)] = true
			}
		}
	}
	now := p.now()
	var out []Exception
	for _, x := range p.exceptions {
		if !now.After(x.Expires) && !applied[exceptionKey(x.Name, x.Version, x.Rule)] {
			out = append(out, x)
		}
	}
	return out
}

func exceptionKey(name, version string, rule Rule) string {
	return name + "\x00" + version + "\x00" + string(rule)
}

func isPattern(s string) bool {
	for _, c := range s {
		if c == '*' || c == '?' || c == '[' {
			return true
		}
	}
	return false
}

func quoteNames(names []string, max int) string {
	s := ""
	for i, n := range names {
		if i == max {
			s += fmt.Sprintf(", and %d more", len(names)-max)
			break
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}

// pinnedVersion returns the version an exact pin (== without a wildcard,
// or ===) in ss names.
func pinnedVersion(ss pep440.SpecifierSet) (pep440.Version, bool) {
	for _, s := range ss.Specifiers() {
		if (s.Op == "==" && !isWildcard(s.Version)) || s.Op == "===" {
			if v, err := pep440.Parse(s.Version); err == nil {
				return v, true
			}
		}
	}
	return pep440.Version{}, false
}

func isWildcard(v string) bool { return len(v) >= 2 && v[len(v)-2:] == ".*" }
