package reqfile

import (
	"errors"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// vcsSchemes are pip's vcs.all_schemes.
var vcsSchemes = []string{
	"bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file",
	"git+http", "git+https", "git+ssh", "git+git", "git+file",
	"hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http",
	"svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
}

// vcsNames are pip's VCS backends, in pip's order.
var vcsNames = []string{"bzr", "git", "hg", "svn"}

func isVCSScheme(s string) bool {
	for _, v := range vcsSchemes {
		if s == v {
			return true
		}
	}
	return false
}

// pipURLScheme is pip's get_url_scheme: the lower-cased text before the
// first ":", or "" when there is no ":".
func pipURLScheme(s string) string {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	return strings.ToLower(scheme)
}

// isPipURL is pip's vcs.is_url.
func isPipURL(s string) bool {
	switch sc := pipURLScheme(s); sc {
	case "":
		return false
	case "http", "https", "file", "ftp":
		return true
	default:
		return isVCSScheme(sc)
	}
}

// splitResult is Python's urllib.parse.SplitResult.
type splitResult struct {
	scheme, netloc, path, query, fragment string
}

const schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

// pyURLSplit is Python 3.11's urllib.parse.urlsplit, including the checks
// that raise ValueError. A host with non-ASCII characters is refused:
// Python refuses some of them after NFKC normalisation, which the standard
// library here cannot do, so this fails closed.
func pyURLSplit(u string) (splitResult, error) {
	var r splitResult
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	u = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(u)
	if i := strings.IndexByte(u, ':'); i > 0 && (u[0]|0x20 >= 'a' && u[0]|0x20 <= 'z') {
		ok := true
		for j := 0; j < i; j++ {
			if strings.IndexByte(schemeChars, u[j]) < 0 {
				ok = false
				break
			}
		}
		if ok {
			r.scheme, u = strings.ToLower(u[:i]), u[i+1:]
		}
	}
	if strings.HasPrefix(u, "//") {
		end := len(u)
		if i := strings.IndexAny(u[2:], "/?#"); i >= 0 {
			end = 2 + i
		}
		r.netloc, u = u[2:end], u[end:]
		open, close := strings.Contains(r.netloc, "["), strings.Contains(r.netloc, "]")
		if open != close {
			return r, errors.New("invalid IPv6 URL")
		}
		if open {
			if err := checkBracketedNetloc(r.netloc); err != nil {
				return r, err
			}
		}
	}
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u, r.fragment = u[:i], u[i+1:]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, r.query = u[:i], u[i+1:]
	}
	r.path = u
	for i := 0; i < len(r.netloc); i++ {
		if r.netloc[i] >= utf8.RuneSelf {
			return r, errors.New("non-ASCII characters in a URL's host are not supported")
		}
	}
	return r, nil
}

// checkBracketedNetloc is Python's _check_bracketed_netloc.
func checkBracketedNetloc(netloc string) error {
	hostPort := netloc[strings.LastIndexByte(netloc, '@')+1:]
	before, bracketed, open := strings.Cut(hostPort, "[")
	var host string
	if open {
		if before != "" {
			return errors.New("invalid IPv6 URL")
		}
		var port string
		host, port, _ = strings.Cut(bracketed, "]")
		if port != "" && !strings.HasPrefix(port, ":") {
			return errors.New("invalid IPv6 URL")
		}
	} else {
		host, _, _ = strings.Cut(hostPort, ":")
	}
	if strings.HasPrefix(host, "v") {
		// \Av[a-fA-F0-9]+\..+\Z
		rest := host[1:]
		n := 0
		for n < len(rest) && strings.IndexByte("0123456789abcdefABCDEF", rest[n]) >= 0 {
			n++
		}
		if n == 0 || n >= len(rest)-1 || rest[n] != '.' {
			return errors.New("IPvFuture address is invalid")
		}
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return errors.New("invalid IPv6 address in URL")
	}
	if a.Is4() {
		return errors.New("an IPv4 address cannot be in brackets")
	}
	return nil
}

// usesNetloc is Python's urllib.parse.uses_netloc.
var usesNetloc = []string{"", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms",
	"https", "shttp", "snews", "prospero", "rtsp", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs",
	"git", "git+ssh", "ws", "wss"}

// usesParams is Python's urllib.parse.uses_params.
var usesParams = []string{"", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp",
	"rtspu", "sip", "sips", "mms", "sftp", "tel"}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkRequirementURL is packaging 21.3's URL check in Requirement (the
// packaging that pip 23.0 vendors): a file URL must survive
// urlunparse(urlparse(url)) unchanged; any other URL needs a scheme and a
// host.
func checkRequirementURL(u string) error {
	r, err := pyURLSplit(u)
	if err != nil {
		return err
	}
	if r.scheme == "file" {
		// urlparse splits ";params" off the last path segment for some
		// schemes (not file), so urlunparse(urlparse(u)) is urlunsplit.
		if pyURLUnsplit(r) != u {
			return errors.New("invalid URL given")
		}
		return nil
	}
	if r.scheme == "" || r.netloc == "" {
		return errors.New("invalid URL: " + u)
	}
	return nil
}

// pyURLUnsplit is Python's urllib.parse.urlunsplit.
func pyURLUnsplit(r splitResult) string {
	u := r.path
	if r.netloc != "" || (r.scheme != "" && contains(usesNetloc, r.scheme) && !strings.HasPrefix(u, "//")) {
		if u != "" && !strings.HasPrefix(u, "/") {
			u = "/" + u
		}
		u = "//" + r.netloc + u
	}
	if r.scheme != "" {
		u = r.scheme + ":" + u
	}
	if r.query != "" {
		u += "?" + r.query
	}
	if r.fragment != "" {
		u += "#" + r.fragment
	}
	return u
}

// checkTrustedHost does what pip's parse_netloc does with a --trusted-host
// value, failing where Python raises ValueError.
func checkTrustedHost(host string) error {
	netloc := host
	if strings.Count(netloc, ":") >= 2 && !strings.Contains(netloc, "@") && !strings.Contains(netloc, "[") {
		netloc = "[" + netloc + "]"
	}
	r, err := pyURLSplit("https://" + netloc)
	if err != nil {
		return err
	}
	// SplitResult.port, from _hostinfo.
	hostPort := r.netloc[strings.LastIndexByte(r.netloc, '@')+1:]
	var port string
	if _, bracketed, open := strings.Cut(hostPort, "["); open {
		_, rest, _ := strings.Cut(bracketed, "]")
		_, port, _ = strings.Cut(rest, ":")
	} else {
		_, port, _ = strings.Cut(hostPort, ":")
	}
	if port == "" {
		return nil
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return errors.New("port could not be cast to integer value as " + strconv.Quote(port))
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n > 65535 {
		return errors.New("port out of range 0-65535")
	}
	return nil
}

// pyUnquote is Python's urllib.parse.unquote: %XX escapes become bytes,
// which are then read as UTF-8 with invalid sequences replaced.
func pyUnquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(v))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

// pySplitext is pip's splitext: posixpath.splitext, with ".tar" kept in
// the extension (".tar.gz").
func pySplitext(p string) (base, ext string) {
	base, ext = posixSplitext(p)
	if strings.HasSuffix(strings.ToLower(base), ".tar") {
		ext = base[len(base)-4:] + ext
		base = base[:len(base)-4]
	}
	return base, ext
}

// posixSplitext is Python's posixpath.splitext: the extension starts at the
// last dot of the last component, unless the component is all dots before
// it.
func posixSplitext(p string) (string, string) {
	slash := strings.LastIndexByte(p, '/')
	dot := strings.LastIndexByte(p, '.')
	if dot > slash {
		for i := slash + 1; i < dot; i++ {
			if p[i] != '.' {
				return p[:dot], p[dot:]
			}
		}
	}
	return p, ""
}

// archiveExtensions are pip's ARCHIVE_EXTENSIONS.
var archiveExtensions = []string{".zip", ".whl", ".tar.bz2", ".tbz", ".tar.gz", ".tgz", ".tar",
	".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma"}

// isArchiveFile is pip's is_archive_file.
func isArchiveFile(name string) bool {
	_, ext := pySplitext(name)
	return contains(archiveExtensions, strings.ToLower(ext))
}

// looksLikePath is pip's _looks_like_path on a POSIX system.
func looksLikePath(name string) bool {
	return strings.Contains(name, "/") || strings.HasPrefix(name, ".")
}

// normAbs stands for Python's os.path.normpath(os.path.abspath(name)):
// only its last component and suffix matter here, so the working
// directory is a placeholder.
func normAbs(name string) string {
	if !strings.Contains(name, "/") && !strings.HasPrefix(name, ".") {
		return name // a single component: cleaning changes nothing after it
	}
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Clean("/cwd/" + name)
}

// stripExtras is pip's _strip_extras: a trailing "[...]" (at least one
// character inside, no "]" inside) after at least one character.
func stripExtras(p string) (string, string) {
	if !strings.HasSuffix(p, "]") {
		return p, ""
	}
	body := p[:len(p)-1]
	lo := max(strings.LastIndexByte(body, ']')+1, 1)
	for k := len(body) - 2; k >= lo; k-- {
		if body[k] == '[' {
			return p[:k], p[k:]
		}
	}
	return p, ""
}

// eggFragment is pip's Link.egg_fragment: the first [#&]egg=([^&]*)
// anywhere in the URL; ok is false when there is none.
func eggFragment(u string) (string, bool) {
	for i := 0; i+5 <= len(u); i++ {
		if (u[i] == '#' || u[i] == '&') && strings.HasPrefix(u[i+1:], "egg=") {
			v := u[i+5:]
			if j := strings.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
			return v, true
		}
	}
	return "", false
}

// linkFilename is pip's Link.filename for a URL.
func linkFilename(r splitResult) string {
	p := strings.TrimRight(pyUnquote(r.path), "/")
	name := p[strings.LastIndexByte(p, '/')+1:]
	if name == "" {
		netloc := r.netloc
		if i := strings.LastIndexByte(netloc, '@'); i >= 0 {
			netloc = netloc[i+1:]
		}
		return netloc
	}
	return pyUnquote(name)
}

// linkIsWheel is pip's Link.is_wheel: the extension of the unquoted path is
// exactly ".whl" (case matters).
func linkIsWheel(r splitResult) bool {
	p := strings.TrimRight(pyUnquote(r.path), "/")
	_, ext := pySplitext(p[strings.LastIndexByte(p, '/')+1:])
	return ext == ".whl"
}

// parseWheelName matches pip's Wheel.wheel_file_re against a file name
// ending in ".whl" and returns the name and version, with "_" read as "-"
// as pip reads them.
func parseWheelName(filename string) (name, version string, ok bool) {
	stem, found := strings.CutSuffix(filename, ".whl")
	if !found {
		return "", "", false
	}
	parts := strings.Split(stem, "-")
	noSpace := func(s string, empty bool) bool {
		if s == "" {
			return empty
		}
		return strings.IndexFunc(s, pyIsSpace) < 0
	}
	switch len(parts) {
	case 5:
	case 6:
		if b := parts[2]; b == "" || b[0] < '0' || b[0] > '9' {
			return "", "", false
		}
	default:
		return "", "", false
	}
	n := len(parts)
	if !noSpace(parts[0], false) || !noSpace(parts[1], true) ||
		!noSpace(parts[n-3], false) || !noSpace(parts[n-2], false) || !noSpace(parts[n-1], false) {
		return "", "", false
	}
	return strings.ReplaceAll(parts[0], "_", "-"), strings.ReplaceAll(parts[1], "_", "-"), true
}
