package pyscan

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// A shellCmd is one simple command of a shell command line.
type shellCmd struct {
	words  []string
	redirs []redir
	pipeTo bool // its output is piped into the next command
}

type redir struct {
	op     string // ">", ">>", "<", ">&"
	target string
}

// maxShellWords bounds the words kept from one command line.
const maxShellWords = 4096

// parseShell splits a POSIX shell command line into simple commands. It
// understands quoting, escapes, ; & && || | and newlines, redirections, and
// keeps $(...) and `...` inside their word. It is not a full shell: it is
// enough to find which programs run with which arguments.
func parseShell(s string) []shellCmd {
	var cmds []shellCmd
	var cur shellCmd
	var word strings.Builder
	inWord := false
	pendingRedir := ""
	words := 0
	flushWord := func() {
		if !inWord {
			return
		}
		w := word.String()
		word.Reset()
		inWord = false
		if words >= maxShellWords {
			return
		}
		words++
		if pendingRedir != "" {
			cur.redirs = append(cur.redirs, redir{pendingRedir, w})
			pendingRedir = ""
			return
		}
		cur.words = append(cur.words, w)
	}
	endCmd := func(pipe bool) {
		flushWord()
		if len(cur.words) > 0 || len(cur.redirs) > 0 {
			cur.pipeTo = pipe
			cmds = append(cmds, cur)
		}
		cur = shellCmd{}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				word.WriteByte(s[i])
			}
		case c == '$' && i+1 < len(s) && s[i+1] == '(' || c == '`' || (c == '<' || c == '>') && i+1 < len(s) && s[i+1] == '(':
			// Command or process substitution: keep it whole in the word.
			end := matchSubst(s, i)
			word.WriteString(s[i:end])
			inWord = true
			i = end - 1
		case c == ' ' || c == '\t':
			flushWord()
		case c == '#' && !inWord:
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j - 1
			}
		case c == '\n' || c == ';':
			endCmd(false)
		case c == '&':
			if i+1 < len(s) && s[i+1] == '>' { // &> file
				flushWord()
				i++
				if i+1 < len(s) && s[i+1] == '>' {
					i++
				}
				pendingRedir = ">"
				continue
			}
			if i+1 < len(s) && s[i+1] == '&' {
				i++
			}
			endCmd(false)
		case c == '|':
			if i+1 < len(s) && s[i+1] == '|' {
				i++
				endCmd(false)
			} else {
				if i+1 < len(s) && s[i+1] == '&' {
					i++
				}
				endCmd(true)
			}
		case c == '(' || c == ')' || c == '{' && !inWord && (i+1 == len(s) || s[i+1] == ' ') || c == '}' && !inWord:
			endCmd(false)
		case c == '>' || c == '<':
			// A file descriptor number just before belongs to the operator.
			if inWord && isDigits(word.String()) {
				word.Reset()
				inWord = false
			} else {
				flushWord()
			}
			op := string(c)
			if i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '&' || s[i+1] == '<') {
				op += string(s[i+1])
				i++
			}
			if op == ">&" || op == "<&" {
				// >&2 duplicates a descriptor; >& file redirects both streams.
				j := i + 1
				for j < len(s) && s[j] == ' ' {
					j++
				}
				k := j
				for k < len(s) && s[k] >= '0' && s[k] <= '9' {
					k++
				}
				if k > j && (k == len(s) || strings.IndexByte(" \t\n;&|", s[k]) >= 0) {
					i = k - 1
					continue
				}
				op = ">"
			}
			pendingRedir = op
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCmd(false)
	return cmds
}

// matchSubst returns the index just past the substitution starting at i.
func matchSubst(s string, i int) int {
	if s[i] == '`' {
		if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
			return i + j + 2
		}
		return len(s)
	}
	depth := 0
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// progName is the program a word names: base name, lower case, no .exe.
func progName(w string) string {
	return strings.TrimSuffix(strings.ToLower(path.Base(strings.ReplaceAll(w, `\`, "/"))), ".exe")
}

var (
	pythonRE = regexp.MustCompile(`^(python|pypy|py)(\d+(\.\d+)?)?[wmdu]?$`)
	pipRE    = regexp.MustCompile(`^pip(\d+(\.\d+)?)?$`)
)

func isPython(prog string) bool { return pythonRE.MatchString(prog) }

func isShell(prog string) bool {
	switch prog {
	case "sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "busybox":
		return true
	}
	return false
}

// isNetTool reports whether prog sends data over the network.
func isNetTool(prog string) bool {
	switch prog {
	case "curl", "wget", "nc", "ncat", "netcat", "socat", "scp", "sftp", "ftp", "rsync", "ssh",
		"sendmail", "mail", "telnet", "http", "httpie", "aria2c":
		return true
	}
	return false
}

// isInterpreter reports whether prog runs code it reads from stdin or a file.
func isInterpreter(prog string) bool {
	if isShell(prog) || isPython(prog) {
		return true
	}
	switch prog {
	case "perl", "ruby", "node", "php", "lua", "tclsh", "osascript", "powershell", "pwsh", "source", ".":
		return true
	}
	return false
}

// stripPrefixes drops the words that only wrap another command: variable
// assignments, sudo, env, nohup, exec, time, nice, timeout, xargs, ...
func stripPrefixes(w []string) []string {
	for len(w) > 0 {
		p := progName(w[0])
		switch {
		case strings.Contains(w[0], "=") && !strings.HasPrefix(w[0], "-") && !strings.ContainsAny(w[0], "/"):
			w = w[1:]
		case p == "sudo" || p == "doas" || p == "env" || p == "nohup" || p == "exec" || p == "command" ||
			p == "time" || p == "nice" || p == "ionice" || p == "timeout" || p == "xargs" || p == "stdbuf" ||
			p == "chroot":
			w = w[1:]
			for len(w) > 0 && (strings.HasPrefix(w[0], "-") || (p == "env" && strings.Contains(w[0], "=")) ||
				(p == "timeout" && isDuration(w[0]))) {
				opt := w[0]
				w = w[1:]
				if len(w) > 0 && (opt == "-u" || opt == "-g" || opt == "-n" || opt == "-C" || opt == "-I" || opt == "-s") && p != "env" {
					w = w[1:]
				}
			}
			if p == "timeout" && len(w) > 0 && isDuration(w[0]) {
				w = w[1:]
			}
		default:
			return w
		}
	}
	return w
}

func isDuration(s string) bool {
	s = strings.TrimRight(s, "smhd")
	return isDigits(strings.Replace(s, ".", "", 1))
}

// installCmd reports whether argv installs Python packages, and describes how.
func installCmd(argv []string) (string, bool) {
	argv = stripPrefixes(argv)
	if len(argv) == 0 {
		return "", false
	}
	prog := progName(argv[0])
	if isPython(prog) {
		for i := 1; i < len(argv); i++ {
			x := argv[i]
			switch {
			case x == "-m" && i+1 < len(argv):
				return installerArgs(argv[i+1], argv[i+2:])
			case strings.HasPrefix(x, "-m") && len(x) > 2:
				return installerArgs(x[2:], argv[i+1:])
			case x == "-c":
				return "", false
			case x == "-W" || x == "-X":
				i++
			case strings.HasPrefix(x, "-"):
			default:
				b := progName(x)
				if b == "setup.py" && containsAny(argv[i+1:], "install", "develop", "easy_install") {
					return "setup.py install", true
				}
				if b == "get-pip.py" {
					return "get-pip.py", true
				}
				return "", false
			}
		}
		return "", false
	}
	if d, ok := installerArgs(argv[0], argv[1:]); ok {
		return d, true
	}
	// An unknown program (a computed interpreter path) running "-m pip install".
	for i, w := range argv {
		if pipRE.MatchString(progName(w)) && i > 0 && (argv[i-1] == "-m") {
			return installerArgs(w, argv[i+1:])
		}
	}
	return "", false
}

func containsAny(ws []string, any ...string) bool {
	for _, w := range ws {
		if slices.Contains(any, w) {
			return true
		}
	}
	return false
}

// installerArgs reports whether running tool with args installs packages.
func installerArgs(tool string, args []string) (string, bool) {
	tool = progName(strings.TrimSuffix(tool, ".__main__"))
	var sub []string // the non-option words
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			sub = append(sub, a)
		}
	}
	first := ""
	if len(sub) > 0 {
		first = sub[0]
	}
	describe := func(n int) string {
		return shellJoin(append([]string{tool}, args[:min(len(args), n)]...))
	}
	switch {
	case pipRE.MatchString(tool):
		if containsAny(sub, "install", "download") {
			return describe(8), true
		}
	case tool == "uv":
		switch {
		case first == "add" || first == "sync" || first == "pip" && containsAny(sub, "install", "sync"),
			first == "tool" && containsAny(sub, "install", "run"), first == "run" && containsAny(args, "--with"):
			return describe(8), true
		}
	case tool == "uvx" || strings.HasPrefix(tool, "easy_install") || tool == "pip-sync":
		return describe(8), true
	case tool == "conda" || tool == "mamba" || tool == "micromamba":
		if containsAny(sub, "install", "create", "update", "upgrade") {
			return describe(8), true
		}
	case tool == "pipx":
		if containsAny(sub[:min(1, len(sub))], "install", "run", "inject", "upgrade") {
			return describe(8), true
		}
	case tool == "poetry" || tool == "pdm" || tool == "pipenv":
		if containsAny(sub[:min(1, len(sub))], "add", "install", "sync", "update") {
			return describe(8), true
		}
	}
	return "", false
}

// shellJoin renders argv for a message, holes shown as "…".
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, w := range argv {
		if w == "" || strings.ContainsAny(w, " \t\n'\"") {
			w = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		parts[i] = w
	}
	return shorten(strings.Join(parts, " "), 120)
}
