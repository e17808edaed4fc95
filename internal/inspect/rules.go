package inspect

func artifactRule(id, name string, fam Family, sev Severity, act Action, summary, help string) *Rule {
	return &Rule{ID: id, Name: name, Family: fam, Severity: sev, Action: act, Summary: summary, Help: help, Engine: "airlock"}
}

// The artifact rules. Their ids are stable.
var (
	RulePthExec = artifactRule("AL601", "pth-exec", FamilyStartupHook, SeverityCritical, ActionDeny,
		"Ships a .pth file with import lines, which Python executes at every start of every program in the environment.",
		"Do not install it: a library has no reason to run code at interpreter start-up.")
	RulePthFile = artifactRule("AL602", "pth-file", FamilyStartupHook, SeverityLow, ActionReview,
		"Ships a .pth file that adds directories to sys.path at every start.",
		"Check the directories it adds; they change what every program in the environment imports.")
	RuleSitecustomize = artifactRule("AL603", "sitecustomize", FamilyStartupHook, SeverityCritical, ActionDeny,
		"Ships a sitecustomize or usercustomize module, which Python imports at every start.",
		"Do not install it: these modules belong to the environment's owner, not to a library.")
	RuleShadowCommand = artifactRule("AL611", "script-shadows-command", FamilyShadowing, SeverityHigh, ActionDeny,
		"Installs a script named like an interpreter, installer or system command (pip, python, sh, git, ...).",
		"Do not install it: running that command in the environment would run the package's code instead.")
	RuleShadowStdlib = artifactRule("AL612", "shadows-stdlib", FamilyShadowing, SeverityHigh, ActionDeny,
		"Installs a top-level module named like a standard library module.",
		"Do not install it: it replaces part of the standard library for every program in the environment (old backports do this too; drop them).")
	RuleOutsideTopLevel = artifactRule("AL613", "outside-top-level", FamilyShadowing, SeverityHigh, ActionDeny,
		"Installs files outside its declared top-level names, or into site-packages through the data scheme.",
		"Check which package the files belong to: they may overwrite another distribution's files.")
	RuleShadowTooling = artifactRule("AL614", "shadows-tooling", FamilyShadowing, SeverityHigh, ActionDeny,
		"Installs a top-level package of a packaging tool (pip, setuptools, pkg_resources, wheel, ...) without being that tool.",
		"Do not install it: it replaces the installer that later installs run with.")
	RuleOverwritesInstalled = artifactRule("AL615", "overwrites-installed", FamilyShadowing, SeverityHigh, ActionDeny,
		"Would overwrite a file that another installed distribution owns.",
		"Do not install it into this environment; find out why two distributions claim the same file.")
	RuleRecordHash = artifactRule("AL621", "record-hash-mismatch", FamilyIntegrity, SeverityCritical, ActionDeny,
		"A file's hash differs from the one in the wheel's RECORD.",
		"Do not install it: the wheel was modified after it was built.")
	RuleRecordSize = artifactRule("AL622", "record-size-mismatch", FamilyIntegrity, SeverityHigh, ActionDeny,
		"A file's size differs from the one in the wheel's RECORD.",
		"Do not install it: the wheel was modified after it was built.")
	RuleNotInRecord = artifactRule("AL623", "not-in-record", FamilyIntegrity, SeverityHigh, ActionDeny,
		"A file in the wheel is not listed in its RECORD.",
		"Do not install it: files added after the build escape every check that trusts RECORD.")
	RuleRecordMissingFile = artifactRule("AL624", "record-missing-file", FamilyIntegrity, SeverityMedium, ActionReview,
		"RECORD lists a file the wheel does not contain.",
		"Rebuild the wheel; a RECORD that does not match the archive is a sign of tampering or a broken build.")
	RuleBadRecord = artifactRule("AL625", "bad-record", FamilyIntegrity, SeverityHigh, ActionDeny,
		"The wheel's RECORD is missing, unreadable, or lacks a strong hash (sha256 or better) for a file.",
		"Rebuild the wheel with a standard build backend.")
	RuleBadMetadata = artifactRule("AL626", "bad-metadata", FamilyIntegrity, SeverityHigh, ActionDeny,
		"The wheel's metadata is missing or contradicts its file name (no single .dist-info, wrong name or version, unknown Wheel-Version).",
		"Rebuild the wheel; installers disagree on how to treat such wheels.")
	RuleUnsafePath = artifactRule("AL631", "unsafe-path", FamilyArchive, SeverityCritical, ActionDeny,
		"An archive member has an absolute path, a .. component, a backslash or NUL, or an unknown .data scheme.",
		"Do not install it: the member would be written outside the install location.")
	RuleLink = artifactRule("AL632", "link-or-device", FamilyArchive, SeverityHigh, ActionDeny,
		"An archive member is a symbolic or hard link, a device or a FIFO.",
		"Do not install it: links in archives are how extraction escapes its target directory.")
	RuleDuplicate = artifactRule("AL633", "duplicate-entry", FamilyArchive, SeverityHigh, ActionDeny,
		"An archive holds two members with the same name; tools disagree on which one wins.",
		"Do not install it: what was checked may not be what gets installed.")
	RuleOverlap = artifactRule("AL634", "overlapping-entries", FamilyArchive, SeverityCritical, ActionDeny,
		"Zip members share compressed data (a zip bomb technique).",
		"Do not install it.")
	RuleCorrupt = artifactRule("AL635", "corrupt-archive", FamilyArchive, SeverityHigh, ActionDeny,
		"The archive cannot be read: bad format, checksum error, encryption or an unsupported compression.",
		"Download the file again; if it stays unreadable, do not install it.")
	RuleUnsupported = artifactRule("AL636", "unsupported-type", FamilyArchive, SeverityMedium, ActionDeny,
		"The file is neither a wheel nor an sdist airlock can read (eggs, installers, unknown extensions).",
		"Use a wheel.")
	RuleTooManyEntries = artifactRule("AL641", "too-many-entries", FamilyLimits, SeverityHigh, ActionDeny,
		"The archive has more members than the limit.",
		"Do not install it, or raise the limit in the policy if the package is known and this large.")
	RuleTooLarge = artifactRule("AL642", "too-large", FamilyLimits, SeverityHigh, ActionDeny,
		"The archive, one member, or all members together are larger than the limits.",
		"Do not install it, or raise the limit in the policy if the package is known and this large.")
	RuleCompressionRatio = artifactRule("AL643", "compression-ratio", FamilyLimits, SeverityHigh, ActionDeny,
		"A member expands far more than real files do (a zip bomb).",
		"Do not install it.")
	RuleSdist = artifactRule("AL651", "sdist", FamilySdist, SeverityMedium, ActionDeny,
		"The file is a source distribution: installing it runs its build backend (setup.py), which is package code.",
		"Use a wheel. If none exists, build one in a sandbox and review it, or allow sdists for this package in the policy.")
)

// ArtifactRules returns the artifact rules, in id order.
func ArtifactRules() []*Rule {
	return []*Rule{
		RulePthExec, RulePthFile, RuleSitecustomize, RuleShadowCommand, RuleShadowStdlib, RuleOutsideTopLevel,
		RuleShadowTooling, RuleOverwritesInstalled, RuleRecordHash, RuleRecordSize, RuleNotInRecord,
		RuleRecordMissingFile, RuleBadRecord, RuleBadMetadata, RuleUnsafePath, RuleLink, RuleDuplicate,
		RuleOverlap, RuleCorrupt, RuleUnsupported, RuleTooManyEntries, RuleTooLarge, RuleCompressionRatio, RuleSdist,
	}
}
