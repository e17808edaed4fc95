package pyscan

import (
	"strings"
)

// pathClass is what a file path means to the persistence and credential rules.
type pathClass uint8

const (
	pathNone           pathClass = iota
	pathStartupHook              // *.pth, sitecustomize.py, usercustomize.py
	pathAuthorizedKeys           // ~/.ssh/authorized_keys
	pathShellStartup             // ~/.bashrc, /etc/profile.d/..., /etc/ld.so.preload
	pathScheduled                // cron, systemd units, autostart, launch agents
	pathSitePackages             // site-packages, dist-packages, another package's files
	pathCredential               // ~/.ssh/*, ~/.aws/credentials, ~/.netrc, ...
)

var shellStartupNames = map[string]bool{
	".bashrc": true, ".bash_profile": true, ".bash_login": true, ".bash_logout": true, ".profile": true,
	".zshrc": true, ".zprofile": true, ".zshenv": true, ".zlogin": true, ".cshrc": true, ".tcshrc": true,
	".kshrc": true, ".mkshrc": true, ".xprofile": true, ".xinitrc": true, ".xsessionrc": true,
	"config.fish": true, ".pam_environment": true, ".login": true,
}

var shellStartupPrefixes = []string{
	"/etc/profile", "/etc/bash.bashrc", "/etc/bashrc", "/etc/zsh/", "/etc/zshrc", "/etc/zprofile",
	"/etc/environment", "/etc/ld.so.preload", "/etc/csh.cshrc", "/etc/csh.login", "/etc/fish/",
}

var scheduledParts = []string{
	"/etc/cron", "/var/spool/cron", "/etc/anacrontab", "/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/",
	".config/systemd/", "/etc/init.d/", "/etc/rc.local", "/etc/init/", ".config/autostart/",
	"/etc/xdg/autostart/", "LaunchAgents/", "LaunchDaemons/", "/var/spool/at",
}

var credentialParts = []string{
	".ssh/", ".aws/credentials", ".aws/config", ".netrc", "_netrc", ".pypirc", ".git-credentials",
	".docker/config.json", ".kube/config", ".config/gcloud/", ".azure/", ".gnupg/", "/etc/shadow",
	"/etc/gshadow", ".npmrc", ".config/gh/hosts.yml", ".pgpass", ".my.cnf", ".vault-token",
	".terraform.d/credentials", ".config/google-chrome/", "Login Data", ".mozilla/firefox/",
	".password-store", ".bash_history", ".zsh_history", ".python_history", ".psql_history",
	".mysql_history", ".config/hub", ".cargo/credentials", ".gem/credentials", ".m2/settings.xml",
	".boto", ".s3cfg", ".config/rclone/", ".config/pip/pip.conf", ".pip/pip.conf",
}

var credentialNames = map[string]bool{
	"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true,
	"id_ed25519_sk": true, "credentials.json": false,
}

// classifyPath says what writing to or reading from p would touch. Unknown
// parts of p (holes) match nothing, so a partly known path is classified by
// its known parts: hole + "/.bashrc" is a shell start-up file.
func classifyPath(p value) pathClass {
	s, ok := p.text()
	if !ok && p.taint&tSitePkg == 0 {
		return pathNone
	}
	s = strings.ReplaceAll(s, `\`, "/")
	base := s[strings.LastIndexByte(s, '/')+1:]
	if i := strings.LastIndex(base, hole); i >= 0 {
		base = base[i+len(hole):] // the known suffix of the name
	}
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".pth"),
		lower == "sitecustomize.py", lower == "usercustomize.py",
		lower == "sitecustomize.pyc", lower == "usercustomize.pyc":
		return pathStartupHook
	case lower == "authorized_keys" || lower == "authorized_keys2":
		return pathAuthorizedKeys
	case shellStartupNames[lower]:
		return pathShellStartup
	}
	for _, pre := range shellStartupPrefixes {
		if strings.HasPrefix(s, pre) {
			return pathShellStartup
		}
	}
	for _, part := range scheduledParts {
		if strings.Contains(s, part) {
			return pathScheduled
		}
	}
	if p.taint&tSitePkg != 0 || strings.Contains(s, "site-packages") || strings.Contains(s, "dist-packages") {
		return pathSitePackages
	}
	if credentialNames[lower] {
		return pathCredential
	}
	for _, part := range credentialParts {
		if strings.Contains(s, part) {
			return pathCredential
		}
	}
	if strings.HasSuffix(s, "/.ssh") || s == "~/.aws" || strings.HasSuffix(s, "/.aws") || strings.HasSuffix(s, "/.gnupg") {
		return pathCredential
	}
	return pathNone
}

// showPath renders a path for a message.
func showPath(p value) string {
	s, ok := p.text()
	if !ok || s == hole {
		if p.taint&tSitePkg != 0 {
			return "a file in site-packages"
		}
		return "a computed path"
	}
	return "`" + shorten(s, 120) + "`"
}
