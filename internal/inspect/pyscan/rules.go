package pyscan

import "github.com/airlock-dev/airlock/internal/inspect"

func rule(id, name string, fam inspect.Family, sev inspect.Severity, act inspect.Action, summary, help string) *inspect.Rule {
	return &inspect.Rule{ID: id, Name: name, Family: fam, Severity: sev, Action: act, Summary: summary, Help: help, Engine: "airlock"}
}

const (
	low      = inspect.SeverityLow
	medium   = inspect.SeverityMedium
	high     = inspect.SeverityHigh
	critical = inspect.SeverityCritical
	review   = inspect.ActionReview
	deny     = inspect.ActionDeny
)

// The source rules. Their ids are stable: policies and suppressions name them.
var (
	RuleRuntimeInstall = rule("AL101", "runtime-install", inspect.FamilyInstall, high, deny,
		"Installs packages at run time with pip, uv, conda, easy_install or a similar tool started as a process.",
		"Declare the dependency and install it with `airlock install` before running the code; installs at run time skip airlock's vetting.")
	RulePipAPI = rule("AL102", "pip-api", inspect.FamilyInstall, high, deny,
		"Calls an installer's Python API (pip.main, pip._internal, setuptools' easy_install, conda.cli).",
		"Declare the dependency and install it with `airlock install`; calling pip from Python skips airlock's vetting.")
	RuleRunpyInstall = rule("AL103", "runpy-install", inspect.FamilyInstall, high, deny,
		"Runs an installer module (pip, easy_install, uv, conda) through runpy.",
		"Declare the dependency and install it with `airlock install` instead of running pip in-process.")
	RuleNotebookInstall = rule("AL104", "notebook-install", inspect.FamilyInstall, high, deny,
		"A notebook line (%pip, !pip, %conda, get_ipython().system) installs packages.",
		"Remove the install line and install the dependency with `airlock install` before running the notebook.")

	RuleShellCommand = rule("AL201", "shell-command", inspect.FamilyExec, medium, review,
		"Runs a command through a shell (os.system, os.popen, shell=True, create_subprocess_shell, notebook ! lines).",
		"Pass an argument list without a shell; if part of the command is computed, make sure no outside text can reach it.")
	RuleProcessExec = rule("AL203", "process-exec", inspect.FamilyExec, low, review,
		"Starts another program (subprocess without a shell, os.exec*, os.spawn*, pty.spawn).",
		"Check which program runs and with which arguments; prefer a library call over a subprocess.")
	RuleDynamicCode = rule("AL204", "dynamic-code", inspect.FamilyExec, medium, review,
		"Runs computed text as code with eval, exec, execfile or compile.",
		"Replace eval/exec of computed text with explicit code (ast.literal_eval for data).")
	RuleDynamicImport = rule("AL205", "dynamic-import", inspect.FamilyExec, medium, review,
		"Imports a module whose name is computed at run time (__import__, importlib.import_module).",
		"Import modules by literal name, or check the computed name against a fixed list first.")

	RuleDecodeExec = rule("AL301", "decode-exec", inspect.FamilyObfuscation, critical, deny,
		"Runs code that was decoded first (base64, zlib, marshal, codecs, hex, chr() chains).",
		"Treat this as malware unless the decoded code is known; legitimate code does not hide what it runs.")
	RuleCharChain = rule("AL302", "chr-chain", inspect.FamilyObfuscation, medium, review,
		"Builds a string out of chr() calls, hiding its text from readers and scanners.",
		"Read the decoded text in the message; replace the chain with the literal string.")
	RuleEncodedBlob = rule("AL303", "encoded-blob", inspect.FamilyObfuscation, low, review,
		"Holds a long base64 or hex string constant.",
		"Check what the blob decodes to; ship data as data files rather than encoded in code.")
	RuleIndirectCall = rule("AL304", "indirect-call", inspect.FamilyObfuscation, medium, review,
		"Reaches a dangerous function (os.system, eval, ...) through getattr, __dict__ or a computed module name.",
		"Call the function directly so that reviewers can see it; a computed name for a dangerous function suggests evasion.")

	RuleEnvExfil = rule("AL401", "env-exfiltration", inspect.FamilyExfiltration, critical, deny,
		"Sends environment variables (which hold tokens and keys) over the network.",
		"Send only the values the service needs; never forward os.environ as a whole.")
	RuleCredExfil = rule("AL402", "credential-exfiltration", inspect.FamilyExfiltration, critical, deny,
		"Sends the contents of credential files (SSH keys, cloud credentials, .netrc, .pypirc) over the network.",
		"Treat this as malware: nothing legitimate uploads a user's keys.")
	RuleCredRead = rule("AL403", "credential-read", inspect.FamilyExfiltration, high, review,
		"Reads credential files: ~/.ssh, ~/.aws/credentials, ~/.netrc, ~/.pypirc, ~/.docker/config.json, ...",
		"Check why the code needs the user's credentials; pass them explicitly through configuration instead.")
	RuleDownloadExec = rule("AL404", "download-exec", inspect.FamilyExfiltration, critical, deny,
		"Downloads code and runs it (curl | sh, exec of an HTTP response, running a downloaded file).",
		"Never run downloaded code; ship the code in the package, or install it through airlock.")
	RuleReverseShell = rule("AL405", "reverse-shell", inspect.FamilyExfiltration, critical, deny,
		"Connects a socket to a process's standard streams (a reverse shell).",
		"Treat this as malware.")

	RuleWriteStartupHook = rule("AL501", "write-startup-hook", inspect.FamilyPersistence, critical, deny,
		"Writes a .pth file, sitecustomize.py or usercustomize.py, which run at every Python start.",
		"Remove the write; code that must run at start-up belongs in the program's own entry point.")
	RuleWriteShellStartup = rule("AL502", "write-shell-startup", inspect.FamilyPersistence, high, deny,
		"Writes a shell start-up file (~/.bashrc, ~/.profile, /etc/profile.d, ...) or /etc/ld.so.preload.",
		"Do not change the user's shell start-up; print the line for the user to add instead.")
	RuleScheduledTask = rule("AL503", "scheduled-task", inspect.FamilyPersistence, high, deny,
		"Installs a cron job, systemd unit, autostart entry or launch agent.",
		"Programs an agent writes should not schedule themselves; remove the scheduling.")
	RuleTamperPackages = rule("AL504", "tamper-packages", inspect.FamilyPersistence, high, deny,
		"Writes into site-packages or another package's files.",
		"Install packages through airlock; never patch installed packages in place.")
	RuleAuthorizedKeys = rule("AL505", "ssh-authorized-keys", inspect.FamilyPersistence, critical, deny,
		"Writes ~/.ssh/authorized_keys, granting remote logins.",
		"Treat this as malware.")

	RuleNotScanned = rule("AL901", "not-scanned", inspect.FamilyLimits, low, review,
		"A source file could not be scanned (over the size or time limit, or undecodable).",
		"Review the file by hand, or split it.")
)

// Rules returns the source rules, in id order.
func Rules() []*inspect.Rule {
	return []*inspect.Rule{
		RuleRuntimeInstall, RulePipAPI, RuleRunpyInstall, RuleNotebookInstall,
		RuleShellCommand, RuleProcessExec, RuleDynamicCode, RuleDynamicImport,
		RuleDecodeExec, RuleCharChain, RuleEncodedBlob, RuleIndirectCall,
		RuleEnvExfil, RuleCredExfil, RuleCredRead, RuleDownloadExec, RuleReverseShell,
		RuleWriteStartupHook, RuleWriteShellStartup, RuleScheduledTask, RuleTamperPackages, RuleAuthorizedKeys,
		RuleNotScanned,
	}
}
