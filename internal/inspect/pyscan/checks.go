package pyscan

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

// procStyle says where a process-starting function takes its command.
type procStyle uint8

const (
	procArgs    procStyle = iota // args as the first argument (a list, or a string)
	procExecv                    // os.execv(path, args)
	procExecl                    // os.execl(path, arg0, arg1, ...)
	procSpawnv                   // os.spawnv(mode, path, args)
	procSpawnl                   // os.spawnl(mode, path, arg0, ...)
	procVarargs                  // create_subprocess_exec(program, *args)
	procPosix                    // os.posix_spawn(path, argv, env)
)

type procSpec struct {
	shell bool
	style procStyle
}

// procFuncs are the functions that start processes.
var procFuncs = map[string]procSpec{
	"subprocess.Popen": {false, procArgs}, "subprocess.run": {false, procArgs}, "subprocess.call": {false, procArgs},
	"subprocess.check_call": {false, procArgs}, "subprocess.check_output": {false, procArgs},
	"subprocess.getoutput": {true, procArgs}, "subprocess.getstatusoutput": {true, procArgs},
	"os.system": {true, procArgs}, "os.popen": {true, procArgs}, "os.popen2": {true, procArgs},
	"os.popen3": {true, procArgs}, "os.popen4": {true, procArgs}, "popen2.popen2": {true, procArgs},
	"popen2.popen3": {true, procArgs}, "popen2.popen4": {true, procArgs}, "commands.getoutput": {true, procArgs},
	"commands.getstatusoutput": {true, procArgs}, "platform.popen": {true, procArgs},
	"asyncio.create_subprocess_shell": {true, procArgs}, "asyncio.create_subprocess_exec": {false, procVarargs},
	"os.execv": {false, procExecv}, "os.execve": {false, procExecv}, "os.execvp": {false, procExecv},
	"os.execvpe": {false, procExecv}, "os.execl": {false, procExecl}, "os.execle": {false, procExecl},
	"os.execlp": {false, procExecl}, "os.execlpe": {false, procExecl}, "os.spawnv": {false, procSpawnv},
	"os.spawnve": {false, procSpawnv}, "os.spawnvp": {false, procSpawnv}, "os.spawnvpe": {false, procSpawnv},
	"os.spawnl": {false, procSpawnl}, "os.spawnle": {false, procSpawnl}, "os.spawnlp": {false, procSpawnl},
	"os.spawnlpe": {false, procSpawnl}, "os.posix_spawn": {false, procPosix}, "os.posix_spawnp": {false, procPosix},
	"pty.spawn": {false, procArgs}, "pexpect.spawn": {false, procArgs}, "pexpect.run": {false, procArgs},
	"IPython.get_ipython().system": {true, procArgs}, "IPython.get_ipython().getoutput": {true, procArgs},
	"IPython.get_ipython().system_raw": {true, procArgs}, "IPython.get_ipython().system_piped": {true, procArgs},
}

var codeFuncs = map[string]string{
	"builtins.eval": "eval", "builtins.exec": "exec", "builtins.execfile": "execfile", "builtins.compile": "compile",
}

// netPrefixes are the modules whose calls talk to the network.
var netPrefixes = []string{
	"requests.", "httpx.", "aiohttp.", "urllib3.", "urllib.request.urlopen", "urllib.request.Request",
	"urllib.urlopen", "urllib.request.build_opener", "http.client.", "httplib.", "smtplib.", "ftplib.",
	"telnetlib.", "websocket.", "websockets.", "dns.resolver.", "xmlrpc.client.", "pycurl.", "tornado.httpclient.",
}

// isFetch reports whether calling ref returns data from the network.
func isFetch(ref string) bool {
	for _, p := range netPrefixes {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	return false
}

// isNetSink reports whether calling ref can send its arguments over the network.
func isNetSink(ref string) bool {
	if isFetch(ref) {
		return true
	}
	switch ref {
	case "socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo", "socket.create_connection":
		return true
	}
	if m, ok := strings.CutPrefix(ref, "socket.socket()."); ok {
		return strings.HasPrefix(m, "send") || m == "connect"
	}
	return false
}

// suspiciousHosts are services that collect data sent to them, favoured
// by exfiltration payloads.
var suspiciousHosts = []string{
	"webhook.site", "requestbin", "pipedream.net", "ngrok.io", "ngrok-free.app", "ngrok.app",
	"burpcollaborator.net", "oastify.com", "oast.", "interact.sh", "canarytokens", "/api/webhooks/",
	"api.telegram.org/bot", "pastebin.com", "transfer.sh", "hookbin.com", "beeceptor.com",
}

func suspiciousURL(s string) bool {
	l := strings.ToLower(s)
	for _, h := range suspiciousHosts {
		if strings.Contains(l, h) {
			return true
		}
	}
	// A bare IPv4 address as the host.
	if _, rest, ok := strings.Cut(l, "://"); ok {
		host, _, _ := strings.Cut(rest, "/")
		host, _, _ = strings.Cut(host, ":")
		dots := 0
		for _, c := range host {
			switch {
			case c == '.':
				dots++
			case c < '0' || c > '9':
				return false
			}
		}
		return dots == 3 && !strings.HasPrefix(host, "127.")
	}
	return false
}

// dangerousFuncs are reached indirectly only to hide them (AL304).
func dangerousFunc(ref string) bool {
	if _, ok := procFuncs[ref]; ok {
		return true
	}
	if _, ok := codeFuncs[ref]; ok {
		return true
	}
	return ref == "builtins.__import__" || ref == "importlib.import_module" || isPipAPI(ref)
}

func isPipAPI(ref string) bool {
	switch {
	case ref == "pip.main", ref == "pip.__main__._main":
		return true
	case strings.HasPrefix(ref, "pip._internal."):
		// main() of pip's CLI or of one of its commands:
		// pip._internal.cli.main.main, create_command("install").main.
		return strings.HasSuffix(ref, ".main") || strings.HasSuffix(ref, "._main")
	case strings.HasPrefix(ref, "setuptools.command.easy_install.") || strings.HasPrefix(ref, "easy_install."):
		return strings.HasSuffix(ref, ".main")
	case ref == "conda.cli.main", ref == "conda.cli.main.main", ref == "conda.cli.python_api.run_command",
		ref == "conda.cli.main_install.execute":
		return true
	}
	return false
}

var installerModules = map[string]bool{
	"pip": true, "pip3": true, "easy_install": true, "setuptools.command.easy_install": true, "uv": true,
	"conda": true, "pipx": true, "mamba": true,
}

// describe names the function a finding is about, for messages.
func describe(ref string) string {
	ref = strings.TrimPrefix(ref, "builtins.")
	return strings.TrimPrefix(ref, "IPython.")
}

// checkCall applies the call rules to call n.
func (a *analyzer) checkCall(n pysyntax.Node) {
	ref, method, recv, isMethod := a.callee(n, 0)
	ca := collectArgs(n)
	if isMethod {
		a.checkMethod(n, recv, method, ca)
		return
	}
	if ref == "" {
		return
	}
	if dangerousFunc(ref) && a.isIndirect(n.Child(pysyntax.FieldFunction), 0) {
		a.report(RuleIndirectCall, 0, n, "calls %s through getattr, __import__ or a lookup table; the plain name would be %s(...)", describe(ref), describe(ref))
	}
	if spec, ok := procFuncs[ref]; ok {
		a.checkProcess(n, ref, spec, ca)
		return
	}
	if name, ok := codeFuncs[ref]; ok {
		if name == "execfile" {
			if p := a.eval(ca.arg(0, ""), 0); p.isStr() && p.exact && a.downloads[p.s] {
				a.report(RuleDownloadExec, 0, n, "execfile() runs %s, which was downloaded", showPath(p))
			}
			return
		}
		a.checkCode(n, ca.arg(0, "source"), name)
		return
	}
	switch {
	case ref == "builtins.__import__" || ref == "importlib.import_module":
		name := a.eval(ca.arg(0, "name"), 0)
		switch {
		case !name.isStr() || !name.exact:
			a.report(RuleDynamicImport, 0, n, "%s() imports a module whose name is computed at run time", describe(ref))
		case name.folded && (dangerousModule(name.s)):
			a.report(RuleIndirectCall, 0, n, "%s() imports %q under a name built at run time", describe(ref), name.s)
		}
	case isPipAPI(ref):
		a.report(RulePipAPI, 0, n, "calls %s() to install packages at run time, bypassing airlock", ref)
	case ref == "runpy.run_module" || ref == "runpy._run_module_as_main" || ref == "runpy.run_path":
		mod := a.eval(ca.arg(0, ""), 0)
		if mod.isStr() && mod.exact {
			m := strings.TrimSuffix(mod.s, ".__main__")
			if ref != "runpy.run_path" && installerModules[m] {
				a.report(RuleRunpyInstall, 0, n, "runs the %s module with runpy to install packages at run time, bypassing airlock", m)
			}
			if ref == "runpy.run_path" && a.downloads[mod.s] {
				a.report(RuleDownloadExec, 0, n, "runpy.run_path() runs %s, which was downloaded", showPath(mod))
			}
		}
	case strings.HasPrefix(ref, "IPython.get_ipython()."):
		a.checkIPython(posOf(n), strings.TrimPrefix(ref, "IPython.get_ipython()."), ca)
	case ref == "os.dup2":
		if a.eval(ca.arg(0, ""), 0).taint&tSocket != 0 {
			a.report(RuleReverseShell, 0, n, "os.dup2() connects a socket to the process's standard streams")
		}
	case ref == "urllib.urlretrieve":
		p := a.eval(ca.arg(1, "filename"), 0)
		a.markDownload(p)
		a.checkWrite(posOf(n), p, "urlretrieve() downloads to")
	case ref == "shutil.copyfileobj":
		src, dst := a.eval(ca.arg(0, "fsrc"), 0), a.eval(ca.arg(1, "fdst"), 0)
		if src.taint&tDownload != 0 && dst.file != nil {
			a.markDownload(dst.file.path)
		}
	default:
		a.checkFileFunc(n, ref, ca)
	}
	if isNetSink(ref) {
		a.checkSend(n, ref, ca)
	}
}

func dangerousModule(m string) bool {
	switch m {
	case "os", "subprocess", "pty", "socket", "ctypes", "base64", "marshal", "builtins", "__builtin__",
		"pip", "importlib", "codecs", "zlib", "posix", "commands", "runpy", "requests", "urllib.request":
		return true
	}
	return false
}

// isIndirect reports whether the callee expression reaches its function
// through a call or a subscript (getattr, __import__, __dict__[...]),
// following simple aliases.
func (a *analyzer) isIndirect(fn pysyntax.Node, depth int) bool {
	if depth > 3 {
		return false
	}
	for d := range fn.Descendants() {
		if d.Is(pysyntax.KindSubscript) {
			return true
		}
		if d.Is(pysyntax.KindCall) {
			switch a.eval(d.Child(pysyntax.FieldFunction), 0).ref {
			case "builtins.getattr", "builtins.__import__", "importlib.import_module", "builtins.vars",
				"builtins.globals", "builtins.locals":
				return true
			}
		}
	}
	if fn.Is(pysyntax.KindIdentifier) {
		if _, imported := a.imports[string(fn.Text())]; imported {
			return false
		}
		_, defs, _ := a.lookup(a.scopeOf(fn), string(fn.Text()))
		for _, d := range defs {
			if d.kind == defPlain && a.isIndirect(d.node, depth+1) {
				return true
			}
		}
	}
	return false
}

// checkMethod applies the rules to method calls on strings, paths and files.
func (a *analyzer) checkMethod(n pysyntax.Node, recv value, method string, ca callArgs) {
	switch {
	case recv.isStr() && !recv.isPath && method == "join":
		arg := ca.arg(0, "")
		// Only constant codes hide text; chr() over a computed range is
		// ordinary code.
		if isChrIterable(a, arg) {
			if v := a.eval(n, 0); v.exact && len(v.s) >= 4 {
				a.report(RuleCharChain, 0, n, "builds %s from chr() codes", preview(v))
			}
		}
	case recv.file != nil && (method == "write" || method == "writelines"):
		if a.eval(ca.arg(0, ""), 0).taint&tDownload != 0 {
			a.markDownload(recv.file.path)
		}
	case recv.isPath:
		switch method {
		case "write_text", "write_bytes", "touch", "symlink_to", "hardlink_to", "mkdir":
			if method == "write_bytes" || method == "write_text" {
				if a.eval(ca.arg(0, "data"), 0).taint&tDownload != 0 {
					a.markDownload(recv)
				}
			}
			if method != "mkdir" {
				a.checkWrite(posOf(n), recv, "writes")
			}
		case "open":
			mode := a.eval(ca.arg(0, "mode"), 0)
			if mode.isStr() && strings.ContainsAny(mode.s, "wax+") {
				a.checkWrite(posOf(n), recv, "opens for writing")
			} else {
				a.checkRead(posOf(n), recv)
			}
		case "read_text", "read_bytes", "iterdir", "glob", "rglob":
			a.checkRead(posOf(n), recv)
		case "rename", "replace":
			a.checkWrite(posOf(n), a.eval(ca.arg(0, "target"), 0), "moves a file to")
		}
	}
}

// isChrIterable reports whether n is an iterable of chr() results: a
// generator or list comprehension whose body calls chr, or map(chr, ...).
func isChrIterable(a *analyzer, n pysyntax.Node) bool {
	switch n.Kind() {
	case pysyntax.KindGeneratorExpression, pysyntax.KindListComprehension:
		body := n.Child(pysyntax.FieldBody)
		return body.Is(pysyntax.KindCall) && a.eval(body.Child(pysyntax.FieldFunction), 0).ref == "builtins.chr"
	case pysyntax.KindCall:
		if a.eval(n.Child(pysyntax.FieldFunction), 0).ref == "builtins.map" {
			args := collectArgs(n)
			return a.eval(args.arg(0, ""), 0).ref == "builtins.chr"
		}
	}
	return false
}

// checkCharChain reports a + chain of four or more chr() calls.
func (a *analyzer) checkCharChain(n pysyntax.Node) {
	if !n.Child(pysyntax.FieldOperator).Is(pysyntax.KindPlus) {
		return
	}
	if p := n.Parent(); p.Is(pysyntax.KindBinaryOperator) || p.Is(pysyntax.KindParenthesizedExpression) && p.Parent().Is(pysyntax.KindBinaryOperator) {
		return // only the outermost + of a chain
	}
	count := 0
	var leaves func(pysyntax.Node, int)
	leaves = func(m pysyntax.Node, depth int) {
		if depth > maxEvalDepth*4 || count >= 4 {
			return
		}
		switch {
		case m.Is(pysyntax.KindParenthesizedExpression):
			leaves(m.FirstChild(), depth+1)
		case m.Is(pysyntax.KindBinaryOperator) && m.Child(pysyntax.FieldOperator).Is(pysyntax.KindPlus):
			leaves(m.Child(pysyntax.FieldLeft), depth+1)
			leaves(m.Child(pysyntax.FieldRight), depth+1)
		case m.Is(pysyntax.KindCall):
			if a.eval(m.Child(pysyntax.FieldFunction), 0).ref == "builtins.chr" {
				count++
			}
		}
	}
	leaves(n, 0)
	if count >= 4 {
		a.report(RuleCharChain, 0, n, "builds %s from chr() codes", preview(a.eval(n, 0)))
	}
}

// preview renders a folded value for a message.
func preview(v value) string {
	s, ok := v.text()
	if !ok || s == hole {
		return "a string"
	}
	if !utf8.ValidString(s) {
		return fmt.Sprintf("%d bytes", len(s))
	}
	return fmt.Sprintf("%q", shorten(s, 100))
}

// checkCode applies the rules to code run by eval, exec, compile or an
// exec statement.
func (a *analyzer) checkCode(n, code pysyntax.Node, fn string) {
	v := a.eval(code, 0)
	switch {
	case v.taint&tDownload != 0:
		a.report(RuleDownloadExec, 0, n, "%s() runs code downloaded from the network", fn)
	case v.taint&tDecoded != 0:
		if v.isStr() && v.exact {
			a.report(RuleDecodeExec, 0, n, "%s() runs decoded code: %s", fn, preview(v))
		} else {
			a.report(RuleDecodeExec, 0, n, "%s() runs code produced by a decoder (base64, zlib, marshal, chr, ...)", fn)
		}
	case v.isStr() && v.exact:
		// Literal code is visible: scan it like any other code.
	case fn == "compile":
		return // flagged where the code object runs
	default:
		sev := RuleDynamicCode.Severity
		if v.taint&(tEnvAll|tEnvVar|tSocket) != 0 {
			sev = high
		}
		a.report(RuleDynamicCode, sev, n, "%s() runs text computed at run time as code", fn)
	}
	if v.isStr() && v.exact {
		a.nest(v.s, posOf(n), "in code run by "+fn+"()")
	}
}

// checkSend reports environment variables or credentials passed to a
// network call.
func (a *analyzer) checkSend(n pysyntax.Node, ref string, ca callArgs) {
	t := a.argsTaint(ca, 0)
	switch {
	case t&tEnvAll != 0:
		a.report(RuleEnvExfil, 0, n, "%s() sends the process environment (os.environ), which holds tokens and keys", describe(ref))
	case t&tCred != 0:
		a.report(RuleCredExfil, 0, n, "%s() sends the contents of a credential file", describe(ref))
	case t&tEnvVar != 0:
		url := a.eval(ca.arg(0, "url"), 0)
		if s, ok := url.text(); ok && suspiciousURL(s) {
			a.report(RuleEnvExfil, 0, n, "%s() sends an environment variable to %s", describe(ref), shorten(strings.ReplaceAll(s, hole, "…"), 80))
		}
	}
}

// checkFileFunc applies the file rules to calls of file functions.
func (a *analyzer) checkFileFunc(n pysyntax.Node, ref string, ca callArgs) {
	arg := func(i int, name string) value { return a.eval(ca.arg(i, name), 0) }
	switch ref {
	case "builtins.open", "io.open", "codecs.open", "builtins.file":
		v := a.eval(n, 0)
		if v.file == nil {
			return
		}
		if v.file.write {
			a.checkWrite(posOf(n), v.file.path, "opens for writing")
		} else {
			a.checkRead(posOf(n), v.file.path)
		}
	case "os.open":
		flags := string(ca.arg(1, "flags").Text())
		if strings.Contains(flags, "O_WR") || strings.Contains(flags, "O_RDWR") || strings.Contains(flags, "O_CREAT") || strings.Contains(flags, "O_APPEND") {
			a.checkWrite(posOf(n), arg(0, "path"), "opens for writing")
		} else {
			a.checkRead(posOf(n), arg(0, "path"))
		}
	case "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move":
		a.checkRead(posOf(n), arg(0, "src"))
		a.checkWrite(posOf(n), arg(1, "dst"), "copies a file to")
	case "os.rename", "os.replace", "os.renames", "os.symlink", "os.link":
		a.checkWrite(posOf(n), arg(1, "dst"), "creates")
	case "os.listdir", "os.scandir", "os.walk", "glob.glob", "glob.iglob":
		a.checkRead(posOf(n), arg(0, ""))
	default:
		if strings.HasSuffix(ref, ".extractall") || strings.HasSuffix(ref, ".extract") {
			if strings.HasPrefix(ref, "tarfile.") || strings.HasPrefix(ref, "zipfile.") || strings.HasPrefix(ref, "shutil.") {
				p := ca.arg(0, "path")
				if strings.HasSuffix(ref, ".extract") {
					p = ca.arg(1, "path")
				}
				if p.Valid() {
					a.checkWrite(posOf(n), a.eval(p, 0), "extracts files into")
				}
			}
		}
		if ref == "shutil.unpack_archive" {
			a.checkWrite(posOf(n), arg(1, "extract_dir"), "extracts files into")
		}
	}
}

// checkWrite reports a write to a start-up, scheduling, site-packages or
// authorized_keys path.
func (a *analyzer) checkWrite(at pos, p value, how string) {
	switch classifyPath(p) {
	case pathStartupHook:
		a.reportAt(RuleWriteStartupHook, 0, at, "%s %s, which Python runs at every start", how, showPath(p))
	case pathShellStartup:
		a.reportAt(RuleWriteShellStartup, 0, at, "%s %s, a shell or loader start-up file", how, showPath(p))
	case pathScheduled:
		a.reportAt(RuleScheduledTask, 0, at, "%s %s, which schedules code to run later", how, showPath(p))
	case pathSitePackages:
		a.reportAt(RuleTamperPackages, 0, at, "%s %s, changing installed packages", how, showPath(p))
	case pathAuthorizedKeys:
		a.reportAt(RuleAuthorizedKeys, 0, at, "%s %s, granting remote logins", how, showPath(p))
	}
}

// checkRead reports reads of credential files.
func (a *analyzer) checkRead(at pos, p value) {
	if classifyPath(p) == pathCredential {
		a.reportAt(RuleCredRead, 0, at, "reads %s, which holds credentials", showPath(p))
	}
}

func (a *analyzer) markDownload(p value) {
	if s, ok := p.text(); ok && p.exact && s != "" {
		a.downloads[s] = true
	}
}

// checkIPython applies the rules to IPython's API, the form notebook magics
// take in exported scripts.
func (a *analyzer) checkIPython(at pos, method string, ca callArgs) {
	arg := func(i int) value { return a.eval(ca.arg(i, ""), 0) }
	switch method {
	case "run_line_magic", "magic":
		var name, line value
		if method == "magic" {
			s, _ := arg(0).text()
			first, rest, _ := strings.Cut(strings.TrimLeft(s, "%"), " ")
			name, line = strVal(first), strVal(rest)
		} else {
			name, line = arg(0), arg(1)
		}
		nm, _ := name.text()
		ln, _ := line.text()
		a.magic(at, nm, ln, line.taint)
	case "run_cell_magic":
		nm, _ := arg(0).text()
		ln, _ := arg(1).text()
		cell := arg(2)
		body, _ := cell.text()
		a.cellMagic(at, nm, ln, body, cell.taint)
	}
}

// magic checks a line magic (%name line).
func (a *analyzer) magic(at pos, name, line string, t taint) {
	switch name {
	case "pip", "conda", "mamba", "micromamba", "uv":
		argv := append([]string{name}, wordsOf(line)...)
		if d, ok := installCmd(argv); ok {
			a.reportAt(RuleNotebookInstall, 0, at, "the notebook magic `%%%s` installs packages at run time (`%s`), bypassing airlock", name, d)
		}
	case "sx", "system", "sc":
		a.shellCommand(at, "%"+name, line, t, true, true)
	}
}

// cellMagic checks a cell magic (%%name line, then the cell body).
func (a *analyzer) cellMagic(at pos, name, line, body string, t taint) {
	if isShellCellMagic(name, line) {
		a.shellCommand(at, "%%"+name, body, t, true, true)
	}
}

// isShellCellMagic reports whether %%name line runs its body in a shell.
func isShellCellMagic(name, line string) bool {
	switch name {
	case "bash", "sh", "system", "zsh":
		return true
	case "script":
		return isShell(progName(strings.Fields(line + " x")[0]))
	}
	return false
}

// wordsOf splits a magic's argument line like a shell would.
func wordsOf(line string) []string {
	var w []string
	for _, c := range parseShell(line) {
		w = append(w, c.words...)
	}
	return w
}

// checkProcess applies the rules to a call that starts a process.
func (a *analyzer) checkProcess(n pysyntax.Node, ref string, spec procSpec, ca callArgs) {
	shell := spec.shell
	if sh := ca.kw["shell"]; sh.Valid() {
		v := a.eval(sh, 0)
		shell = shell || !(v.exact && (v.kind == vInt && v.n == 0 || v.kind == vNone))
	}
	for _, k := range []string{"stdin", "stdout", "stderr"} {
		if v := ca.kw[k]; v.Valid() && a.eval(v, 0).taint&tSocket != 0 {
			a.report(RuleReverseShell, 0, n, "%s() connects a socket to the new process's %s", describe(ref), k)
		}
	}
	var argv []value
	var cmd value
	switch spec.style {
	case procArgs:
		cmd = a.eval(ca.arg(0, "args"), 0)
		if !ca.arg(0, "args").Valid() {
			cmd = a.eval(ca.arg(0, "command"), 0)
		}
		if cmd.kind == vSeq {
			argv = cmd.items
		} else {
			argv = []value{cmd}
		}
	case procExecv, procPosix:
		cmd = a.eval(ca.arg(1, "args"), 0)
		argv = cmd.items
		if cmd.kind != vSeq {
			argv = []value{a.eval(ca.arg(0, "path"), 0)}
		}
	case procSpawnv:
		cmd = a.eval(ca.arg(2, "args"), 0)
		argv = cmd.items
	case procExecl, procSpawnl, procVarargs:
		skip := map[procStyle]int{procExecl: 1, procSpawnl: 2, procVarargs: 0}[spec.style]
		for i, p := range ca.pos {
			if i >= skip {
				argv = append(argv, a.eval(p, 0))
			}
		}
		if len(argv) == 0 && skip > 0 && len(ca.pos) >= skip {
			argv = []value{a.eval(ca.pos[skip-1], 0)}
		}
	}
	t := cmd.taint | seqTaint(argv)
	words := make([]string, len(argv))
	exact := true
	for i, v := range argv {
		words[i] = textOrHole(v)
		exact = exact && v.exact
	}
	magic := strings.HasPrefix(ref, "IPython.")
	if shell || (len(words) == 1 && strings.ContainsAny(words[0], " \t")) {
		// A single string: a shell command line (shell=True), or on
		// POSIX the program name, which people write as a command line
		// by mistake; read it as one either way.
		line := strings.Join(words, " ")
		if shell {
			a.shellCommand(posOf(n), describe(ref)+"()", line, t, exact, magic)
			return
		}
		words = wordsOf(line)
	}
	if a.commands(posOf(n), describe(ref)+"()", []shellCmd{{words: words}}, t, magic, 0) {
		return
	}
	a.report(RuleProcessExec, 0, n, "%s() runs `%s`", describe(ref), shellJoin(words))
}

// shellCommand checks a command line run through a shell.
func (a *analyzer) shellCommand(at pos, via, line string, t taint, exact, magic bool) {
	if a.commands(at, via, parseShell(line), t, magic, 0) {
		return
	}
	sev := medium
	if !exact {
		sev = high
	}
	what := "a shell command"
	if !exact {
		what = "a shell command built at run time (injection risk)"
	}
	a.reportAt(RuleShellCommand, sev, at, "%s runs %s: `%s`", via, what, shorten(strings.ReplaceAll(line, hole, "…"), 120))
}

// commands checks the simple commands of one command line and reports
// whether it found something more specific than running a command.
func (a *analyzer) commands(at pos, via string, cmds []shellCmd, t taint, magic bool, depth int) bool {
	found := false
	rep := func(r *inspect.Rule, format string, args ...any) {
		a.reportAt(r, 0, at, format, args...)
		found = true
	}
	for i, c := range cmds {
		words := stripPrefixes(c.words)
		for _, r := range c.redirs {
			if r.op == "<" || r.op == "<<" {
				if classifyPath(strVal(r.target)) == pathCredential && pipelineHasNet(cmds, i) {
					rep(RuleCredExfil, "%s sends %s over the network", via, "`"+r.target+"`")
				}
				continue
			}
			if strings.Contains(r.target, "/dev/tcp/") || strings.Contains(r.target, "/dev/udp/") {
				rep(RuleReverseShell, "%s connects a shell to %s", via, r.target)
				continue
			}
			if a.reportWrite(at, strVal(r.target), via+" writes") {
				found = true
			}
		}
		if len(words) == 0 {
			continue
		}
		prog := progName(words[0])
		if d, ok := installCmd(words); ok {
			if magic {
				rep(RuleNotebookInstall, "%s installs packages at run time (`%s`), bypassing airlock", via, d)
			} else {
				rep(RuleRuntimeInstall, "%s installs packages at run time (`%s`), bypassing airlock", via, d)
			}
			continue
		}
		if isShell(prog) {
			if j := indexOf(words, "-c"); j > 0 && j+1 < len(words) && depth < MaxNestDepth {
				if a.commands(at, via, parseShell(words[j+1]), t, magic, depth+1) {
					found = true
				}
			}
		}
		if isPython(prog) {
			if j := indexOf(words, "-c"); j > 0 && j+1 < len(words) {
				before := len(a.top().findings)
				a.nest(words[j+1], at, "in python -c code run by "+via)
				found = found || len(a.top().findings) > before
			}
		}
		for _, w := range words {
			if a.downloads[w] && i >= 0 {
				rep(RuleDownloadExec, "%s runs %s, which was downloaded", via, "`"+w+"`")
				break
			}
			if isInterpreter(prog) && (strings.Contains(w, "$(curl") || strings.Contains(w, "$(wget") ||
				strings.Contains(w, "<(curl") || strings.Contains(w, "<(wget") || strings.Contains(w, "`curl") || strings.Contains(w, "`wget")) {
				rep(RuleDownloadExec, "%s runs a script downloaded with %s", via, "`"+shorten(w, 80)+"`")
				break
			}
		}
		if (prog == "curl" || prog == "wget" || prog == "fetch") && c.pipeTo && i+1 < len(cmds) {
			next := stripPrefixes(cmds[i+1].words)
			if len(next) > 0 && isInterpreter(progName(next[0])) {
				rep(RuleDownloadExec, "%s pipes a download from %s into %s", via, prog, progName(next[0]))
			}
		}
		switch prog {
		case "nc", "ncat", "netcat":
			if containsAny(words, "-e", "-c") {
				rep(RuleReverseShell, "%s runs %s with -e, serving a shell over the network", via, prog)
			}
		case "socat":
			for _, w := range words {
				if strings.HasPrefix(strings.ToLower(w), "exec:") || strings.HasPrefix(strings.ToLower(w), "system:") {
					rep(RuleReverseShell, "%s connects a program to the network with socat", via)
					break
				}
			}
		case "crontab":
			if !(len(words) == 2 && words[1] == "-l") {
				rep(RuleScheduledTask, "%s installs a cron table (`%s`)", via, shellJoin(words))
			}
		case "systemctl", "launchctl":
			if containsAny(words, "enable", "load", "bootstrap") {
				rep(RuleScheduledTask, "%s enables a service (`%s`)", via, shellJoin(words))
			}
		case "at", "batch":
			rep(RuleScheduledTask, "%s schedules a job with %s", via, prog)
		case "cp", "mv", "install", "ln", "rsync":
			if dst := lastOperand(words); dst != "" && a.reportWrite(at, strVal(dst), via+" copies into") {
				found = true
			}
		case "tee":
			for _, w := range words[1:] {
				if !strings.HasPrefix(w, "-") && a.reportWrite(at, strVal(w), via+" writes") {
					found = true
				}
			}
		case "env", "printenv", "set":
			if c.pipeTo && pipelineHasNet(cmds, i) {
				rep(RuleEnvExfil, "%s pipes the environment into a network command", via)
			}
		}
		if isNetTool(prog) {
			if t&tEnvAll != 0 {
				rep(RuleEnvExfil, "%s passes the process environment to %s", via, prog)
			} else if t&tCred != 0 {
				rep(RuleCredExfil, "%s passes credential file contents to %s", via, prog)
			}
			for _, w := range words[1:] {
				if classifyPath(strVal(strings.TrimLeft(strings.TrimPrefix(w, "@"), "="))) == pathCredential ||
					strings.Contains(w, "@") && classifyPath(strVal(w[strings.IndexByte(w, '@')+1:])) == pathCredential {
					rep(RuleCredExfil, "%s sends `%s` with %s", via, shorten(w, 80), prog)
					break
				}
			}
		} else {
			for _, w := range words[1:] {
				if classifyPath(strVal(w)) == pathCredential {
					if pipelineHasNet(cmds, i) {
						rep(RuleCredExfil, "%s sends `%s` over the network", via, shorten(w, 80))
					} else {
						rep(RuleCredRead, "%s reads `%s`, which holds credentials", via, shorten(w, 80))
					}
					break
				}
			}
		}
	}
	return found
}

func (a *analyzer) top() *analyzer {
	for a.outer != nil {
		a = a.outer
	}
	return a
}

// reportWrite is checkWrite that says whether it reported.
func (a *analyzer) reportWrite(at pos, p value, how string) bool {
	top := a.top()
	before := len(top.findings)
	a.checkWrite(at, p, how)
	return len(top.findings) > before || classifyPath(p) != pathNone && classifyPath(p) != pathCredential
}

// pipelineHasNet reports whether a network tool runs in the same pipeline
// as command i.
func pipelineHasNet(cmds []shellCmd, i int) bool {
	start := i
	for start > 0 && cmds[start-1].pipeTo {
		start--
	}
	for j := start; j < len(cmds); j++ {
		if w := stripPrefixes(cmds[j].words); len(w) > 0 && isNetTool(progName(w[0])) {
			return true
		}
		if !cmds[j].pipeTo {
			break
		}
	}
	return false
}

func indexOf(ws []string, s string) int {
	for i, w := range ws {
		if w == s {
			return i
		}
	}
	return -1
}

// lastOperand returns the last word that is not an option.
func lastOperand(words []string) string {
	for i := len(words) - 1; i > 0; i-- {
		if !strings.HasPrefix(words[i], "-") {
			return words[i]
		}
	}
	return ""
}
