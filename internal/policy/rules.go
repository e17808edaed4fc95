package policy

import (
	"fmt"
	"slices"
)

// Action is what a decision or a finding asks for: allow, review (a person
// must approve) or deny. The order matters: a decision takes the strictest
// action of its findings.
type Action int

const (
	Allow Action = iota
	Review
	Deny
)

var actionNames = [...]string{Allow: "allow", Review: "review", Deny: "deny"}

func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("Action(%d)", int(a))
	}
	return actionNames[a]
}

// MarshalText implements [encoding.TextMarshaler].
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (a *Action) UnmarshalText(b []byte) error {
	i := slices.Index(actionNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("unknown action %q (want allow, review or deny)", b)
	}
	*a = Action(i)
	return nil
}

// RuleAction is what the policy file says a rule does: deny, review, or
// nothing at all (off).
type RuleAction int

const (
	RuleOff RuleAction = iota
	RuleReview
	RuleDeny
)

var ruleActionNames = [...]string{RuleOff: "off", RuleReview: "review", RuleDeny: "deny"}

func (r RuleAction) String() string {
	if r < 0 || int(r) >= len(ruleActionNames) {
		return fmt.Sprintf("RuleAction(%d)", int(r))
	}
	return ruleActionNames[r]
}

// action is the decision action a finding of this rule carries.
func (r RuleAction) action() Action {
	switch r {
	case RuleDeny:
		return Deny
	case RuleReview:
		return Review
	}
	return Allow
}

// MarshalText implements [encoding.TextMarshaler].
func (r RuleAction) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (r *RuleAction) UnmarshalText(b []byte) error {
	i := slices.Index(ruleActionNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("unknown rule action %q (want deny, review or off)", b)
	}
	*r = RuleAction(i)
	return nil
}

// Rule identifies what a finding is about. Rule ids are stable: they appear
// in policy files, JSON output, exceptions and the audit log.
type Rule string

// The rules. docs/policy.md describes each with an example.
const (
	RuleSyntax          Rule = "syntax"           // a line pip would reject, or that airlock cannot read unambiguously
	RuleDirectURL       Rule = "direct-url"       // name @ URL, VCS and file URLs, local paths, wheel files, editables
	RuleIndexOption     Rule = "index-option"     // options that change where packages come from
	RuleBuildOption     Rule = "build-option"     // options that change how packages build (--no-binary, --global-option, ...)
	RuleInstallLocation Rule = "install-location" // --target, --prefix, --root, --user, ...
	RuleInclude         Rule = "include"          // -r/-c includes that are URLs, leave the directory, or loop
	RuleEnvVar          Rule = "env-var"          // ${VAR} references, which pip expands from the environment
	RuleUnknownOption   Rule = "unknown-option"   // an option airlock does not know
	RuleInvalidName     Rule = "invalid-name"     // not a valid PEP 508 name (look-alikes, invisible characters)
	RuleDenied          Rule = "denied"           // on the policy's deny list
	RuleNotAllowed      Rule = "not-allowed"      // outside the allow list in allowlist mode
	RuleInstallerPin    Rule = "installer-pin"    // pip, setuptools or wheel requested without being allowed
	RuleTyposquat       Rule = "typosquat"        // looks like a popular name
	RuleConfusion       Rule = "confusion"        // matches a protected internal name or pattern
	RuleMalicious       Rule = "malicious"        // reported as malicious
	RuleVulnerable      Rule = "vulnerable"       // affected by a known vulnerability
	RuleDowngrade       Rule = "downgrade"        // would move an installed package to a lower version
	RulePrerelease      Rule = "prerelease"       // a pre-release that was not pinned exactly
	RuleUnpinned        Rule = "unpinned"         // not pinned with == or ===
	RuleSdist           Rule = "sdist"            // a source distribution, whose build runs package code
	RuleYanked          Rule = "yanked"           // a yanked release
	RuleCooldown        Rule = "cooldown"         // uploaded more recently than the cooldown allows
	RuleArtifact        Rule = "artifact"         // the artifact's contents failed inspection
	RuleCustom          Rule = "custom"           // a custom CEL rule (the finding names which)
)

// Rules lists every rule id, in documentation order.
var Rules = []Rule{
	RuleSyntax, RuleDirectURL, RuleIndexOption, RuleBuildOption, RuleInstallLocation, RuleInclude,
	RuleEnvVar, RuleUnknownOption, RuleInvalidName, RuleDenied, RuleNotAllowed, RuleInstallerPin,
	RuleTyposquat, RuleConfusion, RuleMalicious, RuleVulnerable, RuleDowngrade, RulePrerelease,
	RuleUnpinned, RuleSdist, RuleYanked, RuleCooldown, RuleArtifact,
}

// knownRule reports whether r names a configurable rule.
func knownRule(r Rule) bool { return slices.Contains(Rules, r) }
