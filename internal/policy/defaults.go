package policy

// defaultRules returns the action of every rule when a policy file does not
// mention it. default.yaml spells out the same table (a test keeps the two
// equal), so that `airlock policy show` prints a complete, commented policy.
func defaultRules() map[Rule]RuleConfig {
	deny := RuleConfig{Action: RuleDeny}
	return map[Rule]RuleConfig{
		RuleSyntax:          deny,
		RuleDirectURL:       deny,
		RuleIndexOption:     deny,
		RuleBuildOption:     deny,
		RuleInstallLocation: deny,
		RuleInclude:         deny,
		RuleEnvVar:          deny,
		RuleUnknownOption:   deny,
		RuleInvalidName:     deny,
		RuleDenied:          deny,
		RuleNotAllowed:      deny,
		RuleInstallerPin:    deny,
		RuleTyposquat:       deny,
		RuleConfusion:       deny,
		RuleMalicious:       deny,
		// A range that admits some affected versions is sent to review
		// with a suggestion that excludes them; only-affected is denied.
		RuleVulnerable: {Action: RuleDeny, Partial: RuleReview},
		RuleDowngrade:  deny,
		// Pre-releases only when pinned exactly (DESIGN.md's default).
		RulePrerelease: deny,
		RuleUnpinned:   {Action: RuleOff},
		// An sdist's build backend runs package code at install time.
		RuleSdist:    deny,
		RuleYanked:   deny,
		RuleCooldown: {Action: RuleOff},
		RuleArtifact: deny,
	}
}
