package inspect

import (
	"regexp"
	"strings"
)

// stdlibModules are the top-level modules of the Python standard library
// (sys.stdlib_module_names of CPython 3.11, which includes modules of other
// platforms). A wheel that installs one of them shadows the standard library
// for every program in the environment. The test suite's own "test" package
// is not listed: wheels ship stray test packages often and harmlessly.
var stdlibModules = toSet(
	"__future__", "_abc", "_aix_support", "_ast", "_asyncio", "_bisect", "_blake2", "_bootsubprocess",
	"_bz2", "_codecs", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr",
	"_codecs_tw", "_collections", "_collections_abc", "_compat_pickle", "_compression", "_contextvars",
	"_crypt", "_csv", "_ctypes", "_curses", "_curses_panel", "_datetime", "_dbm", "_decimal",
	"_elementtree", "_frozen_importlib", "_frozen_importlib_external", "_functools", "_gdbm",
	"_hashlib", "_heapq", "_imp", "_io", "_json", "_locale", "_lsprof", "_lzma", "_markupbase", "_md5",
	"_msi", "_multibytecodec", "_multiprocessing", "_opcode", "_operator", "_osx_support",
	"_overlapped", "_pickle", "_posixshmem", "_posixsubprocess", "_py_abc", "_pydecimal", "_pyio",
	"_queue", "_random", "_scproxy", "_sha1", "_sha256", "_sha3", "_sha512", "_signal", "_sitebuiltins",
	"_socket", "_sqlite3", "_sre", "_ssl", "_stat", "_statistics", "_string", "_strptime", "_struct",
	"_symtable", "_thread", "_threading_local", "_tkinter", "_tokenize", "_tracemalloc", "_typing",
	"_uuid", "_warnings", "_weakref", "_weakrefset", "_winapi", "_zoneinfo", "abc", "aifc",
	"antigravity", "argparse", "array", "ast", "asynchat", "asyncio", "asyncore", "atexit", "audioop",
	"base64", "bdb", "binascii", "bisect", "builtins", "bz2", "cProfile", "calendar", "cgi", "cgitb",
	"chunk", "cmath", "cmd", "code", "codecs", "codeop", "collections", "colorsys", "compileall",
	"concurrent", "configparser", "contextlib", "contextvars", "copy", "copyreg", "crypt", "csv",
	"ctypes", "curses", "dataclasses", "datetime", "dbm", "decimal", "difflib", "dis", "distutils",
	"doctest", "email", "encodings", "ensurepip", "enum", "errno", "faulthandler", "fcntl", "filecmp",
	"fileinput", "fnmatch", "fractions", "ftplib", "functools", "gc", "genericpath", "getopt",
	"getpass", "gettext", "glob", "graphlib", "grp", "gzip", "hashlib", "heapq", "hmac", "html", "http",
	"idlelib", "imaplib", "imghdr", "imp", "importlib", "inspect", "io", "ipaddress", "itertools",
	"json", "keyword", "lib2to3", "linecache", "locale", "logging", "lzma", "mailbox", "mailcap",
	"marshal", "math", "mimetypes", "mmap", "modulefinder", "msilib", "msvcrt", "multiprocessing",
	"netrc", "nis", "nntplib", "nt", "ntpath", "nturl2path", "numbers", "opcode", "operator",
	"optparse", "os", "ossaudiodev", "pathlib", "pdb", "pickle", "pickletools", "pipes", "pkgutil",
	"platform", "plistlib", "poplib", "posix", "posixpath", "pprint", "profile", "pstats", "pty", "pwd",
	"py_compile", "pyclbr", "pydoc", "pydoc_data", "pyexpat", "queue", "quopri", "random", "re",
	"readline", "reprlib", "resource", "rlcompleter", "runpy", "sched", "secrets", "select",
	"selectors", "shelve", "shlex", "shutil", "signal", "site", "smtpd", "smtplib", "sndhdr", "socket",
	"socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants", "sre_parse", "ssl", "stat",
	"statistics", "string", "stringprep", "struct", "subprocess", "sunau", "symtable", "sys",
	"sysconfig", "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios", "textwrap",
	"this", "threading", "time", "timeit", "tkinter", "token", "tokenize", "tomllib", "trace",
	"traceback", "tracemalloc", "tty", "turtle", "turtledemo", "types", "typing", "unicodedata",
	"unittest", "urllib", "uu", "uuid", "venv", "warnings", "wave", "weakref", "webbrowser", "winreg",
	"winsound", "wsgiref", "xdrlib", "xml", "xmlrpc", "zipapp", "zipfile", "zipimport", "zlib",
	"zoneinfo",
)

// toolingModules are top-level names of the packaging tools; only the
// project named next to each may install them.
var toolingModules = map[string]string{
	"pip": "pip", "setuptools": "setuptools", "pkg_resources": "setuptools", "_distutils_hack": "setuptools",
	"easy_install": "setuptools", "wheel": "wheel", "virtualenv": "virtualenv", "_virtualenv": "virtualenv",
	"pipx": "pipx", "uv": "uv", "conda": "conda", "poetry": "poetry", "pdm": "pdm", "pipenv": "pipenv",
	"installer": "installer", "build": "build", "airlock": "airlock",
}

// shadowedCommands are the script names a wheel may not install (as console
// or GUI scripts, or as data scripts): interpreters, installers, shells and
// common system commands, which an agent or a person would run believing
// they are the real ones. Names matching [shadowedCommandRE] (pip3.11,
// python3.12, python3-config, ...) count too. docs/scan.md lists them.
var shadowedCommands = toSet(
	"pip", "pip3", "python", "python3", "pythonw", "python-config", "python3-config", "pydoc", "pydoc3",
	"idle", "idle3", "2to3", "py", "sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "ls", "cat",
	"cp", "mv", "rm", "ln", "chmod", "chown", "mkdir", "rmdir", "touch", "find", "grep", "sed", "awk", "tar",
	"gzip", "unzip", "zip", "sudo", "su", "doas", "env", "which", "id", "whoami", "ps", "kill", "ssh", "scp",
	"sftp", "rsync", "git", "curl", "wget", "nc", "make", "gcc", "cc", "ld", "apt", "apt-get", "dpkg", "yum",
	"dnf", "rpm", "pacman", "brew", "npm", "npx", "node", "uv", "uvx", "conda", "mamba", "pipx", "poetry",
	"pdm", "pipenv", "virtualenv", "easy_install", "airlock", "bwrap", "docker", "kubectl", "systemctl",
	"crontab", "login", "passwd", "mount", "umount", "echo", "head", "tail", "less", "more", "vi", "vim",
	"nano", "date", "uname", "hostname", "ip", "ifconfig", "iptables", "openssl", "gpg", "tee", "xargs",
	"test", "true", "false",
)

// shadowedCommandRE matches versioned interpreter and installer names.
var shadowedCommandRE = regexp.MustCompile(`^(pip|python|pydoc|idle|easy_install)[0-9.]*(-config|w|m|d|u)?$`)

// ownScripts are the command names a project may install despite
// [shadowedCommands]: its own.
var ownScripts = map[string][]string{
	"pip": {"pip"}, "setuptools": {"easy_install"}, "uv": {"uv", "uvx"}, "virtualenv": {"virtualenv"},
	"pipx": {"pipx"}, "poetry": {"poetry"}, "pdm": {"pdm"}, "pipenv": {"pipenv"}, "conda": {"conda"},
	"mamba": {"mamba"}, "airlock": {"airlock"},
}

// shadowsCommand reports whether a script called name, installed by
// project (normalised), would shadow a system command.
func shadowsCommand(project, name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".exe", ".py", ".sh", ".cmd", ".bat"} {
		n = strings.TrimSuffix(n, ext)
	}
	if !shadowedCommands[n] && !shadowedCommandRE.MatchString(n) {
		return false
	}
	for _, own := range ownScripts[project] {
		if n == own || strings.HasPrefix(n, own) && strings.Trim(n[len(own):], "0123456789.") == "" {
			return false
		}
	}
	return true
}

func toSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
