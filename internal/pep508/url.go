package pep508

import "strings"

// checkURL applies packaging's check on the URL of a "name @ URL"
// requirement, with Python 3.11's urllib.parse (as patched in Debian's
// 3.11.2) underneath: a file: URL must survive urlunparse(urlparse(url))
// unchanged; any other URL needs a scheme and a network location. It
// returns "" when the URL is accepted, else the reason.
func checkURL(url string) string {
	u, msg := urlparse(url)
	if msg != "" {
		return msg
	}
	if u.scheme == "file" {
		if urlunparse(u) != url {
			return "Invalid URL given"
		}
		return ""
	}
	if u.scheme == "" || u.netloc == "" {
		return "Invalid URL: " + quoteShort(url)
	}
	return ""
}

type parsedURL struct {
	scheme, netloc, path, params, query, fragment string
}

const schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

var usesParams = []string{"", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtspu", "sip", "sips", "mms", "sftp", "tel"}

var usesNetloc = []string{"", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp", "snews", "prospero", "rtsp", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss"}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// urlparse is urllib.parse.urlparse(url); a non-empty message is the
// ValueError it raises.
func urlparse(url string) (parsedURL, string) {
	var u parsedURL
	// Only leading C0 controls and spaces are stripped; tabs and newlines
	// are removed everywhere.
	url = strings.TrimLeft(url, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	if strings.ContainsAny(url, "\t\r\n") {
		url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	}
	if i := strings.IndexByte(url, ':'); i > 0 && isASCIILetter(url[0]) {
		good := true
		for j := 0; j < i; j++ {
			if strings.IndexByte(schemeChars, url[j]) < 0 {
				good = false
				break
			}
		}
		if good {
			u.scheme, url = asciiLower(url[:i]), url[i+1:]
		}
	}
	if strings.HasPrefix(url, "//") {
		delim := len(url)
		for _, c := range "/?#" {
			if w := strings.IndexRune(url[2:], c); w >= 0 && w+2 < delim {
				delim = w + 2
			}
		}
		u.netloc, url = url[2:delim], url[delim:]
		open, close := strings.Contains(u.netloc, "["), strings.Contains(u.netloc, "]")
		if open != close {
			return u, "Invalid IPv6 URL"
		}
		if open && close {
			if msg := checkBracketedNetloc(u.netloc); msg != "" {
				return u, msg
			}
		}
	}
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, u.fragment = url[:i], url[i+1:]
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, u.query = url[:i], url[i+1:]
	}
	if msg := checkNetloc(u.netloc); msg != "" {
		return u, msg
	}
	if contains(usesParams, u.scheme) && strings.Contains(url, ";") {
		// _splitparams
		var i int
		if slash := strings.LastIndexByte(url, '/'); slash >= 0 {
			i = strings.IndexByte(url[slash:], ';')
			if i >= 0 {
				i += slash
			}
		} else {
			i = strings.IndexByte(url, ';')
		}
		if i >= 0 {
			url, u.params = url[:i], url[i+1:]
		}
	}
	u.path = url
	return u, ""
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// urlunparse is urllib.parse.urlunparse.
func urlunparse(u parsedURL) string {
	url := u.path
	if u.params != "" {
		url += ";" + u.params
	}
	if u.netloc != "" || (u.scheme != "" && contains(usesNetloc, u.scheme) && !strings.HasPrefix(url, "//")) {
		if url != "" && url[0] != '/' {
			url = "/" + url
		}
		url = "//" + u.netloc + url
	}
	if u.scheme != "" {
		url = u.scheme + ":" + url
	}
	if u.query != "" {
		url += "?" + u.query
	}
	if u.fragment != "" {
		url += "#" + u.fragment
	}
	return url
}

// nfkcSpecials are the characters whose NFKC form contains one of
// "/?#@:" (Unicode 14), which urllib refuses in a non-ASCII netloc.
var nfkcSpecials = []rune{
	0x2047, 0x2048, 0x2049, 0x2100, 0x2101, 0x2105, 0x2106, 0x2a74, 0xfe13, 0xfe16,
	0xfe55, 0xfe56, 0xfe5f, 0xfe6b, 0xff03, 0xff0f, 0xff1a, 0xff1f, 0xff20,
}

// checkNetloc is urllib.parse._checknetloc.
func checkNetloc(netloc string) string {
	for _, r := range netloc {
		for _, x := range nfkcSpecials {
			if r == x {
				return "netloc " + quoteShort(netloc) + " contains invalid characters under NFKC normalization"
			}
		}
	}
	return ""
}

// checkBracketedNetloc is urllib.parse._check_bracketed_netloc.
func checkBracketedNetloc(netloc string) string {
	hostAndPort := netloc
	if i := strings.LastIndexByte(netloc, '@'); i >= 0 {
		hostAndPort = netloc[i+1:]
	}
	var hostname string
	if before, bracketed, ok := strings.Cut(hostAndPort, "["); ok {
		if before != "" {
			return "Invalid IPv6 URL"
		}
		var port string
		hostname, port, _ = strings.Cut(bracketed, "]")
		if port != "" && port[0] != ':' {
			return "Invalid IPv6 URL"
		}
	} else {
		hostname, _, _ = strings.Cut(hostAndPort, ":")
	}
	return checkBracketedHost(hostname)
}

// checkBracketedHost is urllib.parse._check_bracketed_host.
func checkBracketedHost(host string) string {
	if strings.HasPrefix(host, "v") {
		// \Av[a-fA-F0-9]+\..+\Z
		i := 1
		for i < len(host) && hexVal(host[i]) >= 0 {
			i++
		}
		if i == 1 || i >= len(host) || host[i] != '.' || i+1 >= len(host) || strings.Contains(host[i+1:], "\n") {
			return "IPvFuture address is invalid"
		}
		return ""
	}
	if isIPv4(host) {
		return "An IPv4 address cannot be in brackets"
	}
	if !isIPv6(host) {
		return quoteShort(host) + " does not appear to be an IPv4 or IPv6 address"
	}
	return ""
}

// isIPv4 is ipaddress.IPv4Address(s) succeeding.
func isIPv4(s string) bool {
	if s == "" || strings.Contains(s, "/") {
		return false
	}
	octets := strings.Split(s, ".")
	if len(octets) != 4 {
		return false
	}
	for _, o := range octets {
		if o == "" || len(o) > 3 || !allASCIIDigits(o) || (o != "0" && o[0] == '0') {
			return false
		}
		n := 0
		for i := 0; i < len(o); i++ {
			n = n*10 + int(o[i]-'0')
		}
		if n > 255 {
			return false
		}
	}
	return true
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isIPv6 is ipaddress.IPv6Address(s) succeeding (scope id included).
func isIPv6(s string) bool {
	if strings.Contains(s, "/") {
		return false
	}
	if addr, scope, ok := strings.Cut(s, "%"); ok {
		if scope == "" || strings.Contains(scope, "%") {
			return false
		}
		s = addr
	}
	if s == "" {
		return false
	}
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return false
	}
	if last := parts[len(parts)-1]; strings.Contains(last, ".") {
		if !isIPv4(last) {
			return false
		}
		parts = append(parts[:len(parts)-1], "0", "0")
	}
	const hextets = 8
	if len(parts) > hextets+1 {
		return false
	}
	skip := -1
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] == "" {
			if skip >= 0 {
				return false
			}
			skip = i
		}
	}
	var hi, lo int
	if skip >= 0 {
		hi, lo = skip, len(parts)-skip-1
		if parts[0] == "" {
			if hi--; hi != 0 {
				return false
			}
		}
		if parts[len(parts)-1] == "" {
			if lo--; lo != 0 {
				return false
			}
		}
		if hextets-(hi+lo) < 1 {
			return false
		}
	} else {
		if len(parts) != hextets || parts[0] == "" || parts[len(parts)-1] == "" {
			return false
		}
		hi, lo = len(parts), 0
	}
	check := func(h string) bool {
		if h == "" || len(h) > 4 {
			return false
		}
		for i := 0; i < len(h); i++ {
			if hexVal(h[i]) < 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < hi; i++ {
		if !check(parts[i]) {
			return false
		}
	}
	for i := len(parts) - lo; i < len(parts); i++ {
		if !check(parts[i]) {
			return false
		}
	}
	return true
}
