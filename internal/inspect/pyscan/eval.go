package pyscan

import (
	"path"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

// builtinNames are the builtins the rules care about; a bare name resolves
// to builtins.NAME unless the file binds it.
var builtinNames = map[string]bool{
	"eval": true, "exec": true, "execfile": true, "compile": true, "__import__": true, "getattr": true,
	"open": true, "chr": true, "ord": true, "str": true, "bytes": true, "bytearray": true, "list": true,
	"tuple": true, "map": true, "reversed": true, "vars": true, "globals": true, "locals": true,
	"dict": true, "input": true, "raw_input": true, "unichr": true, "file": true,
}

// starExports lists, for modules often imported with *, the names the rules
// care about.
var starExports = map[string][]string{
	"os":         {"system", "popen", "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "environ", "getenv", "dup2", "posix_spawn", "posix_spawnp"},
	"subprocess": {"Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"},
	"base64":     {"b64decode", "b32decode", "b16decode", "a85decode", "b85decode", "urlsafe_b64decode", "standard_b64decode", "decodebytes", "decodestring"},
	"socket":     {"socket", "create_connection"},
	"pty":        {"spawn"},
	"marshal":    {"loads"},
	"zlib":       {"decompress"},
	"codecs":     {"decode", "encode", "open"},
	"shutil":     {"copy", "copy2", "copyfile", "move"},
}

// normRef maps aliases of modules to one spelling.
func normRef(q string) string {
	for _, p := range [...]struct{ from, to string }{
		{"__builtins__", "builtins"}, {"__builtin__", "builtins"},
		{"posixpath", "os.path"}, {"ntpath", "os.path"}, {"genericpath", "os.path"},
		{"posix", "os"}, {"nt", "os"}, {"importlib.__import__", "builtins.__import__"},
		{"urllib.request.urlretrieve", "urllib.urlretrieve"}, {"urllib2", "urllib.request"},
	} {
		if q == p.from {
			return p.to
		}
		if strings.HasPrefix(q, p.from+".") {
			return p.to + q[len(p.from):]
		}
	}
	return q
}

const (
	asciiLower = "abcdefghijklmnopqrstuvwxyz"
	asciiUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits     = "0123456789"
	punct      = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// refValue is the value of a qualified name: mostly a plain reference, but
// some names carry data (os.environ, sys.executable, string constants).
func refValue(q string) value {
	switch q {
	case "os.environ", "os.environb":
		return value{ref: q, taint: tEnvAll}
	case "sys.executable", "sys._base_executable":
		return strVal("python")
	case "os.sep", "os.path.sep", "os.altsep":
		return strVal("/")
	case "os.linesep":
		return strVal("\n")
	case "os.pathsep":
		return strVal(":")
	case "os.curdir":
		return strVal(".")
	case "os.pardir":
		return strVal("..")
	case "string.ascii_lowercase", "string.lowercase":
		return strVal(asciiLower)
	case "string.ascii_uppercase", "string.uppercase":
		return strVal(asciiUpper)
	case "string.ascii_letters", "string.letters":
		return strVal(asciiLower + asciiUpper)
	case "string.digits":
		return strVal(digits)
	case "string.hexdigits":
		return strVal("0123456789abcdefABCDEF")
	case "string.octdigits":
		return strVal("01234567")
	case "string.punctuation":
		return strVal(punct)
	case "string.whitespace":
		return strVal(" \t\n\r\x0b\x0c")
	case "string.printable":
		return strVal(digits + asciiLower + asciiUpper + punct + " \t\n\r\x0b\x0c")
	case "site.USER_SITE", "site.PREFIXES":
		return value{kind: vStr, s: hole, ref: q, taint: tSitePkg}
	case "pwd.getpwuid().pw_dir", "pwd.getpwnam().pw_dir":
		return strVal("~")
	}
	if mod, ok := strings.CutSuffix(q, ".__file__"); ok && mod != "builtins" && !strings.Contains(mod, "()") {
		return value{kind: vStr, s: hole, taint: tSitePkg}
	}
	if mod, ok := strings.CutSuffix(q, ".__path__"); ok && !strings.Contains(mod, "()") {
		return value{kind: vStr, s: hole, taint: tSitePkg}
	}
	return refVal(q)
}

// eval returns what is known about expression n.
func (a *analyzer) eval(n pysyntax.Node, depth int) value {
	if !n.Valid() || depth > maxEvalDepth || a.steps > maxEvalSteps {
		return unknown
	}
	// Results do not depend on where evaluation starts, except inside a
	// comprehension being expanded; memoising keeps nested calls linear.
	memo := len(a.bound) == 0
	if memo {
		if v, ok := a.memo[int32(n.Index())]; ok {
			return v
		}
	}
	v := a.eval1(n, depth)
	if memo && a.steps <= maxEvalSteps {
		if a.memo == nil {
			a.memo = map[int32]value{}
		}
		a.memo[int32(n.Index())] = v
	}
	return v
}

func (a *analyzer) eval1(n pysyntax.Node, depth int) value {
	a.steps++
	switch n.Kind() {
	case pysyntax.KindString:
		return a.literal(n, depth)
	case pysyntax.KindConcatenatedString:
		var v value
		first := true
		for c := range n.Children() {
			cv := a.eval(c, depth+1)
			if first {
				v, first = cv, false
			} else {
				folded := v.folded || cv.folded
				v = concat(v, cv)
				v.folded = folded
			}
		}
		return v
	case pysyntax.KindInteger:
		if x, ok := parseInt(string(n.Text())); ok {
			return intVal(x)
		}
	case pysyntax.KindTrue:
		return intVal(1)
	case pysyntax.KindFalse:
		return intVal(0)
	case pysyntax.KindNone:
		return value{kind: vNone, exact: true}
	case pysyntax.KindParenthesizedExpression, pysyntax.KindAwait:
		return a.eval(n.FirstChild(), depth+1)
	case pysyntax.KindNamedExpression:
		return a.eval(n.Child(pysyntax.FieldValue), depth+1)
	case pysyntax.KindIdentifier:
		return a.evalName(a.scopeOf(n), string(n.Text()), depth)
	case pysyntax.KindAttribute:
		return a.evalAttr(n, depth)
	case pysyntax.KindSubscript:
		return a.evalSubscript(n, depth)
	case pysyntax.KindCall:
		return a.evalCall(n, depth)
	case pysyntax.KindBinaryOperator:
		return a.evalBinary(n, depth)
	case pysyntax.KindUnaryOperator:
		v := a.eval(n.Child(pysyntax.FieldArgument), depth+1)
		if v.kind == vInt && v.exact && n.Child(pysyntax.FieldOperator).Is(pysyntax.KindMinus) {
			return intVal(-v.n)
		}
		return value{taint: v.taint}
	case pysyntax.KindList, pysyntax.KindTuple, pysyntax.KindSet, pysyntax.KindExpressionList:
		v := value{kind: vSeq, exact: true}
		for c := range n.Children() {
			if len(v.items) >= MaxSeqLen {
				v.exact = false
				break
			}
			cv := a.eval(c, depth+1)
			if c.Is(pysyntax.KindListSplat) {
				cv = a.eval(c.FirstChild(), depth+1)
				if cv.kind == vSeq {
					v.items = append(v.items, cv.items...)
					v.exact = v.exact && cv.exact
					v.taint |= cv.taint
					continue
				}
				cv = value{taint: cv.taint}
			}
			v.items = append(v.items, cv)
			v.exact = v.exact && cv.exact
			v.taint |= cv.taint
			v.folded = v.folded || cv.folded
		}
		return v
	case pysyntax.KindGeneratorExpression, pysyntax.KindListComprehension, pysyntax.KindSetComprehension:
		return a.evalComprehension(n, depth)
	}
	// Anything else: unknown, but with the taint of its parts.
	var t taint
	for c := range n.Children() {
		t |= a.eval(c, depth+1).taint
	}
	return value{taint: t}
}

// evalName resolves a bare name.
func (a *analyzer) evalName(scope int32, name string, depth int) value {
	if v, ok := a.bound[name]; ok {
		return v
	}
	if q, ok := a.imports[name]; ok {
		return refValue(q)
	}
	k, defs, shadowed := a.lookup(scope, name)
	if v, ok := a.nameCache[k]; ok && !shadowed {
		return v
	}
	if len(defs) > 0 {
		a.nameCache[k] = unknown // breaks cycles: x = x + "a"
		v := a.evalDefs(defs, depth)
		a.nameCache[k] = v
		return v
	}
	if shadowed {
		return unknown
	}
	for _, m := range a.star {
		for _, e := range starExports[m] {
			if e == name {
				return refValue(m + "." + name)
			}
		}
	}
	if builtinNames[name] {
		return refVal("builtins." + name)
	}
	switch name {
	case "__builtins__", "__builtin__", "builtins":
		return refVal("builtins")
	case "__file__":
		return value{kind: vStr, s: hole}
	case "get_ipython":
		return refVal("IPython.get_ipython")
	}
	return unknown
}

// evalDefs combines a name's bindings: the last plain binding, extended by
// the += bindings after it; taints of every binding are merged.
func (a *analyzer) evalDefs(defs []def, depth int) value {
	var cur value
	var t taint
	have := false
	for _, d := range defs {
		v := a.eval(d.node, depth+1)
		t |= v.taint
		switch d.kind {
		case defPlain, defWith:
			cur, have = v, true
		case defAug:
			if have {
				folded := true
				cur = concat(cur, v)
				cur.folded = folded
			}
		case defElem:
			e := value{taint: v.taint}
			if v.kind == vSeq && len(v.items) > 0 {
				e = v.items[len(v.items)-1]
				e.taint |= v.taint
			}
			cur, have = e, true
		}
	}
	cur.taint |= t
	return cur
}

func (a *analyzer) evalAttr(n pysyntax.Node, depth int) value {
	obj := a.eval(n.Child(pysyntax.FieldObject), depth+1)
	attr := string(n.Child(pysyntax.FieldAttribute).Text())
	if obj.ref != "" {
		v := refValue(normRef(obj.ref + "." + attr))
		v.taint |= obj.taint
		return v
	}
	return value{taint: obj.taint}
}

// benignEnv are environment variables that hold no secrets.
var benignEnv = map[string]bool{
	"PATH": true, "USER": true, "LOGNAME": true, "SHELL": true, "PWD": true, "LANG": true, "TERM": true,
	"TMPDIR": true, "TEMP": true, "TMP": true, "PYTHONPATH": true, "VIRTUAL_ENV": true, "LC_ALL": true,
	"HOSTNAME": true, "DISPLAY": true, "EDITOR": true, "CI": true, "DEBUG": true,
}

// envValue is the value of os.environ[key] / os.getenv(key).
func envValue(key value) value {
	if key.isStr() && key.exact {
		switch k := strings.ToUpper(key.s); {
		case k == "HOME" || k == "USERPROFILE":
			return strVal("~")
		case benignEnv[k], strings.HasPrefix(k, "XDG_"):
			return holeStr(0)
		}
	}
	return holeStr(tEnvVar | key.taint)
}

func (a *analyzer) evalSubscript(n pysyntax.Node, depth int) value {
	val := a.eval(n.Child(pysyntax.FieldValue), depth+1)
	sub := n.Child(pysyntax.FieldSubscript)
	if sub.Is(pysyntax.KindSlice) {
		return sliceValue(val, a.sliceBounds(sub, depth))
	}
	key := a.eval(sub, depth+1)
	switch {
	case val.ref == "os.environ" || val.ref == "os.environb":
		return envValue(key)
	case val.ref == "sys.modules" && key.isStr() && key.exact:
		return refValue(normRef(key.s))
	case strings.HasSuffix(val.ref, ".__dict__") && key.isStr() && key.exact:
		return refValue(normRef(strings.TrimSuffix(val.ref, ".__dict__") + "." + key.s))
	case val.ref == "builtins.globals()" && key.isStr() && key.exact:
		return a.evalName(0, key.s, depth+1)
	case val.isStr() && val.exact && key.kind == vInt && key.exact:
		r := []rune(val.s)
		i := key.n
		if i < 0 {
			i += int64(len(r))
		}
		if i >= 0 && i < int64(len(r)) {
			v := strVal(string(r[i]))
			v.kind, v.folded, v.taint = val.kind, true, val.taint
			return v
		}
	case val.kind == vSeq && key.kind == vInt && key.exact:
		i := key.n
		if i < 0 {
			i += int64(len(val.items))
		}
		if i >= 0 && i < int64(len(val.items)) {
			v := val.items[i]
			v.taint |= val.taint
			return v
		}
	}
	t := val.taint | key.taint
	if val.isStr() || t&tSitePkg != 0 {
		return value{kind: vStr, s: hole, taint: t}
	}
	return value{taint: t}
}

type bounds struct {
	start, stop, step *int64
	ok                bool
}

func (a *analyzer) sliceBounds(n pysyntax.Node, depth int) bounds {
	// The slice's children are its non-empty parts; the ':' tokens are
	// dropped, so recover positions from the text.
	var b bounds
	b.ok = true
	parts := []*int64{nil, nil, nil}
	i := 0
	pos := n.StartByte()
	src := n.Text()
	for c := range n.Children() {
		// Count the colons between the previous part and this child.
		for _, ch := range src[pos-n.StartByte() : c.StartByte()-n.StartByte()] {
			if ch == ':' {
				i++
			}
		}
		pos = c.EndByte()
		v := a.eval(c, depth+1)
		if v.kind != vInt || !v.exact || i > 2 {
			b.ok = false
			return b
		}
		x := v.n
		parts[i] = &x
	}
	b.start, b.stop, b.step = parts[0], parts[1], parts[2]
	return b
}

// sliceValue applies a slice to a known string, following Python's rules.
func sliceValue(v value, b bounds) value {
	if !v.isStr() || !v.exact || !b.ok {
		return value{kind: v.kind, s: hole, taint: v.taint}
	}
	r := []rune(v.s)
	if v.kind == vBytes {
		r = make([]rune, len(v.s))
		for i := range len(v.s) {
			r[i] = rune(v.s[i])
		}
	}
	n := int64(len(r))
	step := int64(1)
	if b.step != nil {
		step = *b.step
	}
	if step == 0 {
		return value{taint: v.taint}
	}
	clamp := func(p *int64, def int64) int64 {
		if p == nil {
			return def
		}
		x := *p
		if x < 0 {
			x += n
		}
		if step > 0 {
			return min(max(x, 0), n)
		}
		return min(max(x, -1), n-1)
	}
	var out []rune
	if step > 0 {
		for i := clamp(b.start, 0); i < clamp(b.stop, n); i += step {
			out = append(out, r[i])
		}
	} else {
		for i := clamp(b.start, n-1); i > clamp(b.stop, -1); i += step {
			out = append(out, r[i])
		}
	}
	res := value{kind: v.kind, exact: true, taint: v.taint, folded: true}
	if v.kind == vBytes {
		bs := make([]byte, len(out))
		for i, c := range out {
			bs[i] = byte(c)
		}
		res.s = string(bs)
	} else {
		res.s = string(out)
	}
	return res
}

func (a *analyzer) evalBinary(n pysyntax.Node, depth int) value {
	if n.Child(pysyntax.FieldOperator).Is(pysyntax.KindPlus) && isPlus(n.Child(pysyntax.FieldLeft)) {
		return a.evalPlusChain(n, depth)
	}
	l := a.eval(n.Child(pysyntax.FieldLeft), depth+1)
	r := a.eval(n.Child(pysyntax.FieldRight), depth+1)
	t := l.taint | r.taint
	switch n.Child(pysyntax.FieldOperator).Kind() {
	case pysyntax.KindPlus:
		switch {
		case l.isStr() && r.isStr():
			return concat(l, r)
		case l.kind == vInt && r.kind == vInt && l.exact && r.exact:
			return intVal(l.n + r.n)
		case l.kind == vSeq && r.kind == vSeq && len(l.items)+len(r.items) <= MaxSeqLen:
			return value{kind: vSeq, items: append(append([]value(nil), l.items...), r.items...), exact: l.exact && r.exact, taint: t}
		case l.isStr() || r.isStr():
			return value{kind: vStr, s: textOrHole(l) + textOrHole(r), taint: t, folded: true}
		}
	case pysyntax.KindMinus:
		if l.kind == vInt && r.kind == vInt && l.exact && r.exact {
			return intVal(l.n - r.n)
		}
	case pysyntax.KindCaret:
		if l.kind == vInt && r.kind == vInt && l.exact && r.exact {
			return intVal(l.n ^ r.n)
		}
	case pysyntax.KindStar:
		if l.kind == vInt && r.kind == vInt && l.exact && r.exact {
			return intVal(l.n * r.n)
		}
		s, k := l, r
		if r.isStr() {
			s, k = r, l
		}
		if s.isStr() && k.kind == vInt && k.exact && k.n >= 0 && int64(len(s.s))*k.n <= MaxFoldSize {
			v := s
			v.s = strings.Repeat(s.s, int(k.n))
			v.folded = true
			v.taint = t
			return v
		}
	case pysyntax.KindPercent:
		if l.isStr() {
			return formatPercent(l, r)
		}
	case pysyntax.KindSlash:
		if l.isPath || (l.isStr() && r.isStr() && r.isPath) {
			return joinPath(l, r)
		}
	}
	if l.isStr() && r.isStr() {
		return value{kind: vStr, s: hole, taint: t, folded: true}
	}
	return value{taint: t}
}

func isPlus(n pysyntax.Node) bool {
	return n.Is(pysyntax.KindBinaryOperator) && n.Child(pysyntax.FieldOperator).Is(pysyntax.KindPlus)
}

// evalPlusChain folds a + b + c + ... (a left-leaning tree) in a loop, so
// that long chains neither recurse deeply nor defeat the depth limit.
func (a *analyzer) evalPlusChain(n pysyntax.Node, depth int) value {
	var operands []pysyntax.Node
	for isPlus(n) {
		operands = append(operands, n.Child(pysyntax.FieldRight))
		n = n.Child(pysyntax.FieldLeft)
	}
	acc := a.eval(n, depth+1)
	for i := len(operands) - 1; i >= 0; i-- {
		r := a.eval(operands[i], depth+1)
		t := acc.taint | r.taint
		switch {
		case acc.isStr() && r.isStr():
			acc = concat(acc, r)
		case acc.kind == vInt && r.kind == vInt && acc.exact && r.exact:
			acc = intVal(acc.n + r.n)
		case acc.isStr() || r.isStr():
			s := textOrHole(acc) + textOrHole(r)
			if len(s) > MaxFoldSize {
				s = hole
			}
			acc = value{kind: vStr, s: s, taint: t, folded: true}
		default:
			acc = value{taint: t}
		}
		if a.steps > maxEvalSteps {
			return value{taint: t}
		}
	}
	return acc
}

func textOrHole(v value) string {
	if s, ok := v.text(); ok {
		return s
	}
	return hole
}

// formatPercent applies printf-style formatting: %s, %d, %r and %% with
// known arguments; unknown arguments become holes.
func formatPercent(f, args value) value {
	items := []value{args}
	if args.kind == vSeq {
		items = args.items
	}
	var b strings.Builder
	exact := f.exact
	s := f.s
	k := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("#0- +.0123456789", s[j]) >= 0 {
			j++
		}
		if j == len(s) {
			b.WriteString(s[i:])
			break
		}
		if s[j] == '%' {
			b.WriteByte('%')
		} else if k < len(items) {
			t, ok := items[k].text()
			if !ok || !items[k].exact {
				exact = false
			}
			b.WriteString(t)
			k++
		} else {
			b.WriteString(hole)
			exact = false
		}
		i = j
		if b.Len() > MaxFoldSize {
			return value{kind: f.kind, s: hole, taint: f.taint | args.taint}
		}
	}
	return value{kind: f.kind, s: b.String(), exact: exact, taint: f.taint | args.taint, folded: true}
}

// joinPath joins path parts like os.path.join and pathlib: an absolute part
// restarts the path.
func joinPath(parts ...value) value {
	res := value{kind: vStr, exact: true, isPath: true}
	for i, p := range parts {
		res.taint |= p.taint
		s, ok := p.text()
		if !ok || !p.exact {
			res.exact = false
		}
		switch {
		case i == 0 || strings.HasPrefix(s, "/"):
			res.s = s
		case strings.HasSuffix(res.s, "/"):
			res.s += s
		default:
			res.s += "/" + s
		}
	}
	if len(res.s) > MaxFoldSize {
		res.s, res.exact = hole, false
	}
	return res
}

// callArgs holds a call's arguments.
type callArgs struct {
	pos []pysyntax.Node
	kw  map[string]pysyntax.Node
	all []pysyntax.Node // every argument expression, for taint
}

func collectArgs(n pysyntax.Node) callArgs {
	var ca callArgs
	args := n.Child(pysyntax.FieldArguments)
	if args.Is(pysyntax.KindGeneratorExpression) {
		ca.pos = []pysyntax.Node{args}
		ca.all = ca.pos
		return ca
	}
	for c := range args.Children() {
		switch c.Kind() {
		case pysyntax.KindKeywordArgument:
			if ca.kw == nil {
				ca.kw = map[string]pysyntax.Node{}
			}
			v := c.Child(pysyntax.FieldValue)
			ca.kw[string(c.Child(pysyntax.FieldName).Text())] = v
			ca.all = append(ca.all, v)
		case pysyntax.KindListSplat, pysyntax.KindDictionarySplat:
			ca.all = append(ca.all, c.FirstChild())
		default:
			ca.pos = append(ca.pos, c)
			ca.all = append(ca.all, c)
		}
	}
	return ca
}

// arg returns positional argument i, or keyword argument name.
func (ca callArgs) arg(i int, name string) pysyntax.Node {
	if i >= 0 && i < len(ca.pos) {
		return ca.pos[i]
	}
	if name != "" {
		return ca.kw[name]
	}
	return pysyntax.Node{}
}

func (a *analyzer) argsTaint(ca callArgs, depth int) taint {
	var t taint
	for _, n := range ca.all {
		t |= a.eval(n, depth+1).taint
	}
	return t
}

// callee returns the qualified name of the function a call calls, and the
// receiver when it is a method call on a non-reference value.
func (a *analyzer) callee(n pysyntax.Node, depth int) (ref, method string, recv value, isMethod bool) {
	fn := n.Child(pysyntax.FieldFunction)
	if fn.Is(pysyntax.KindAttribute) {
		recv = a.eval(fn.Child(pysyntax.FieldObject), depth+1)
		method = string(fn.Child(pysyntax.FieldAttribute).Text())
		if recv.ref != "" && !recv.isStr() && recv.file == nil {
			return normRef(recv.ref + "." + method), method, recv, false
		}
		return "", method, recv, true
	}
	v := a.eval(fn, depth+1)
	return v.ref, "", value{}, false
}

func (a *analyzer) evalCall(n pysyntax.Node, depth int) value {
	ref, method, recv, isMethod := a.callee(n, depth)
	ca := collectArgs(n)
	if isMethod {
		return a.evalMethod(recv, method, ca, depth)
	}
	if ref == "" {
		return value{taint: a.argsTaint(ca, depth)}
	}
	arg := func(i int, name string) value { return a.eval(ca.arg(i, name), depth+1) }
	switch ref {
	case "builtins.chr", "builtins.unichr":
		if v := arg(0, ""); v.kind == vInt && v.exact && v.n >= 0 && v.n <= 0x10ffff {
			return value{kind: vStr, s: string(rune(v.n)), exact: true, folded: true, taint: tDecoded}
		}
		return value{kind: vStr, s: hole, folded: true, taint: tDecoded}
	case "builtins.ord":
		if v := arg(0, ""); v.isStr() && v.exact {
			if r := []rune(v.s); len(r) == 1 {
				return intVal(int64(r[0]))
			}
		}
	case "builtins.str":
		v := arg(0, "object")
		if v.kind == vBytes || v.kind == vStr {
			v.kind = vStr
			return v
		}
		if s, ok := v.text(); ok {
			return value{kind: vStr, s: s, exact: v.exact, taint: v.taint}
		}
		return value{kind: vStr, s: hole, taint: v.taint}
	case "builtins.bytes", "builtins.bytearray":
		v := arg(0, "source")
		switch {
		case v.kind == vSeq && v.exact:
			b := make([]byte, 0, len(v.items))
			for _, it := range v.items {
				if it.kind != vInt || it.n < 0 || it.n > 255 {
					return value{kind: vBytes, s: hole, taint: v.taint | tDecoded}
				}
				b = append(b, byte(it.n))
			}
			return value{kind: vBytes, s: string(b), exact: true, folded: true, taint: v.taint | tDecoded}
		case v.isStr():
			v.kind = vBytes
			return v
		}
		return value{kind: vBytes, s: hole, taint: v.taint}
	case "builtins.list", "builtins.tuple":
		v := arg(0, "")
		if v.isStr() && v.exact {
			seq := value{kind: vSeq, exact: true, taint: v.taint}
			for _, r := range v.s {
				if len(seq.items) >= MaxSeqLen {
					return value{taint: v.taint}
				}
				seq.items = append(seq.items, strVal(string(r)))
			}
			return seq
		}
		return v
	case "builtins.reversed":
		v := arg(0, "")
		if v.kind == vSeq {
			out := v
			out.items = make([]value, len(v.items))
			for i, it := range v.items {
				out.items[len(v.items)-1-i] = it
			}
			return out
		}
		if v.isStr() {
			return sliceValue(v, bounds{step: ptr(-1), ok: true})
		}
		return v
	case "builtins.map":
		fn, seq := arg(0, ""), arg(1, "")
		if fn.ref == "builtins.chr" && seq.kind == vSeq && seq.exact {
			out := value{kind: vSeq, exact: true, taint: seq.taint | tDecoded, folded: true}
			for _, it := range seq.items {
				if it.kind != vInt || it.n < 0 || it.n > 0x10ffff {
					return value{taint: seq.taint | tDecoded}
				}
				out.items = append(out.items, value{kind: vStr, s: string(rune(it.n)), exact: true})
			}
			return out
		}
		t := seq.taint
		if fn.ref == "builtins.chr" {
			t |= tDecoded
		}
		return value{taint: t}
	case "builtins.getattr":
		obj, name := arg(0, ""), arg(1, "")
		if obj.ref != "" && name.isStr() && name.exact {
			v := refValue(normRef(obj.ref + "." + name.s))
			v.taint |= obj.taint
			return v
		}
		return value{taint: obj.taint | name.taint}
	case "builtins.__import__", "importlib.import_module":
		name := arg(0, "name")
		if name.isStr() && name.exact {
			mod := name.s
			if ref == "builtins.__import__" && !ca.arg(3, "fromlist").Valid() {
				mod, _, _ = strings.Cut(mod, ".")
			}
			return refValue(normRef(mod))
		}
		return value{taint: name.taint}
	case "builtins.vars":
		if obj := arg(0, "object"); obj.ref != "" {
			return refVal(obj.ref + ".__dict__")
		}
		return refVal("builtins.globals()")
	case "builtins.globals", "builtins.locals":
		return refVal("builtins.globals()")
	case "builtins.open", "io.open", "codecs.open", "builtins.file":
		p := arg(0, "file")
		if !ca.arg(0, "file").Valid() {
			p = arg(0, "filename")
		}
		mode := arg(1, "mode")
		write := mode.isStr() && strings.ContainsAny(mode.s, "wax+")
		return value{ref: "builtins.open()", file: &fileVal{path: p, write: write}, taint: p.taint & tSitePkg}
	case "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath":
		var parts []value
		for _, p := range ca.pos {
			parts = append(parts, a.eval(p, depth+1))
		}
		if len(parts) == 0 {
			return value{kind: vStr, s: ".", exact: true, isPath: true}
		}
		return joinPath(parts...)
	case "pathlib.Path.home":
		return value{kind: vStr, s: "~", exact: true, isPath: true}
	case "os.path.join":
		var parts []value
		for _, p := range ca.pos {
			parts = append(parts, a.eval(p, depth+1))
		}
		v := joinPath(parts...)
		v.isPath = false
		return v
	case "os.path.expanduser", "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.fspath", "os.path.expandvars":
		v := arg(0, "")
		if v.isStr() && ref == "os.path.expandvars" {
			v.s = strings.NewReplacer("${HOME}", "~", "$HOME", "~").Replace(v.s)
		}
		return v
	case "os.path.dirname", "os.path.basename":
		v := arg(0, "")
		if v.isStr() && v.exact {
			if ref == "os.path.dirname" {
				v.s = path.Dir(v.s)
			} else {
				v.s = path.Base(v.s)
			}
			return v
		}
		return value{kind: vStr, s: hole, taint: v.taint}
	case "os.getenv", "os.environ.get", "os.getenvb", "os.environ.setdefault", "os.environ.pop":
		return envValue(arg(0, "key"))
	case "site.getsitepackages", "site.getusersitepackages", "sysconfig.get_paths", "sysconfig.get_path",
		"distutils.sysconfig.get_python_lib", "sysconfig.get_python_lib", "inspect.getfile",
		"inspect.getsourcefile", "importlib.util.find_spec", "pkgutil.get_loader", "importlib.resources.files":
		return value{kind: vStr, s: hole, taint: tSitePkg}
	case "codecs.decode", "codecs.encode":
		in := arg(0, "obj")
		enc := arg(1, "encoding")
		kind := ""
		if enc.isStr() && enc.exact {
			kind = codecName(enc.s)
		}
		if kind == "" {
			return in
		}
		return decoded(in, kind)
	case "builtins.compile":
		return arg(0, "source")
	case "socket.socket", "socket.create_connection", "ssl.wrap_socket":
		return value{ref: "socket.socket()", taint: tSocket}
	}
	if kind, ok := decoderFuncs[ref]; ok && kind != "" {
		return decoded(arg(0, ""), kind)
	}
	if isFetch(ref) {
		return value{ref: ref + "()", taint: tDownload}
	}
	v := value{ref: ref + "()", taint: a.argsTaint(ca, depth) | recv.taint}
	if strings.HasPrefix(ref, "socket.socket().") {
		v.taint |= tSocket
		if m := ref[len("socket.socket()."):]; strings.HasPrefix(m, "recv") || m == "makefile" {
			v.taint |= tDownload
		}
	}
	return v
}

func ptr(x int64) *int64 { return &x }

// decoded applies decoding kind to in: known input is decoded now; either
// way the result is marked as decoded.
func decoded(in value, kind string) value {
	if in.isStr() && in.exact {
		if out, ok := decode(kind, in.s); ok {
			return value{kind: vBytes, s: out, exact: true, folded: true, taint: in.taint | tDecoded}
		}
	}
	return value{kind: vBytes, s: hole, folded: true, taint: in.taint | tDecoded}
}

// evalMethod evaluates a method call on a value that is not a module
// reference: strings, paths, files and instances.
func (a *analyzer) evalMethod(recv value, method string, ca callArgs, depth int) value {
	arg := func(i int, name string) value { return a.eval(ca.arg(i, name), depth+1) }
	if recv.file != nil {
		switch method {
		case "read", "readlines", "readline", "__iter__":
			return a.fileRead(recv.file.path)
		}
		return value{taint: recv.taint}
	}
	if recv.isPath {
		switch method {
		case "read_text", "read_bytes":
			return a.fileRead(recv)
		case "open":
			mode := arg(0, "mode")
			write := mode.isStr() && strings.ContainsAny(mode.s, "wax+")
			return value{ref: "builtins.open()", file: &fileVal{path: recv, write: write}}
		case "joinpath":
			parts := []value{recv}
			for _, p := range ca.pos {
				parts = append(parts, a.eval(p, depth+1))
			}
			return joinPath(parts...)
		case "expanduser", "resolve", "absolute", "as_posix":
			if method == "as_posix" {
				recv.isPath = false
			}
			return recv
		}
	}
	if recv.isStr() {
		switch method {
		case "join":
			seq := arg(0, "")
			if seq.kind == vSeq {
				parts := make([]string, len(seq.items))
				exact := recv.exact && seq.exact
				for i, it := range seq.items {
					s, ok := it.text()
					if !ok || !it.exact {
						exact = false
					}
					parts[i] = s
				}
				s := strings.Join(parts, recv.s)
				if len(s) > MaxFoldSize {
					return value{kind: recv.kind, s: hole, taint: seq.taint}
				}
				return value{kind: recv.kind, s: s, exact: exact, folded: true, taint: recv.taint | seq.taint}
			}
			return value{kind: recv.kind, s: hole, folded: true, taint: recv.taint | seq.taint}
		case "decode", "encode":
			enc := arg(0, "encoding")
			if enc.isStr() && enc.exact {
				if kind := codecName(enc.s); kind != "" {
					return decoded(recv, kind)
				}
			}
			if method == "decode" {
				recv.kind = vStr
			} else {
				recv.kind = vBytes
			}
			return recv
		case "replace":
			old, new := arg(0, ""), arg(1, "")
			if recv.exact && old.isStr() && old.exact && new.isStr() && new.exact && old.s != "" {
				if s := strings.ReplaceAll(recv.s, old.s, new.s); len(s) <= MaxFoldSize {
					return value{kind: recv.kind, s: s, exact: true, folded: true, taint: recv.taint}
				}
			}
			return value{kind: recv.kind, s: hole, taint: recv.taint | old.taint | new.taint, folded: true}
		case "format":
			return a.formatMethod(recv, ca, depth)
		case "lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "title", "capitalize", "casefold":
			if len(ca.all) == 0 {
				v := recv
				switch method {
				case "lower", "casefold":
					v.s = strings.ToLower(v.s)
				case "upper":
					v.s = strings.ToUpper(v.s)
				case "strip":
					v.s = strings.TrimSpace(v.s)
				case "lstrip":
					v.s = strings.TrimLeft(v.s, " \t\r\n")
				case "rstrip":
					v.s = strings.TrimRight(v.s, " \t\r\n")
				}
				return v
			}
		case "split", "splitlines":
			return value{taint: recv.taint}
		case "expanduser":
			return recv
		}
		return value{taint: recv.taint | a.argsTaint(ca, depth)}
	}
	v := value{taint: recv.taint | a.argsTaint(ca, depth)}
	if recv.taint&tSocket != 0 && (strings.HasPrefix(method, "recv") || method == "makefile") {
		v.taint |= tDownload
	}
	return v
}

// formatMethod applies str.format with positional and keyword arguments.
func (a *analyzer) formatMethod(f value, ca callArgs, depth int) value {
	var b strings.Builder
	exact := f.exact
	t := f.taint
	s := f.s
	auto := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '{' && i+1 < len(s) && s[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		if c == '}' && i+1 < len(s) && s[i+1] == '}' {
			b.WriteByte('}')
			i++
			continue
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		field := s[i+1 : i+j]
		field, _, _ = strings.Cut(field, ":")
		field, _, _ = strings.Cut(field, "!")
		var n pysyntax.Node
		switch k, err := strconv.Atoi(field); {
		case field == "":
			n = ca.arg(auto, "")
			auto++
		case err == nil:
			n = ca.arg(k, "")
		default:
			n = ca.kw[field]
		}
		v := a.eval(n, depth+1)
		t |= v.taint
		txt, ok := v.text()
		if !ok || !v.exact || !n.Valid() {
			exact = false
		}
		b.WriteString(txt)
		i += j
		if b.Len() > MaxFoldSize {
			return value{kind: f.kind, s: hole, taint: t}
		}
	}
	return value{kind: f.kind, s: b.String(), exact: exact, folded: true, taint: t}
}

// evalComprehension expands a comprehension over a known sequence
// (”.join(chr(c) for c in [112, 105, 112])); otherwise it returns the
// taint of its body.
func (a *analyzer) evalComprehension(n pysyntax.Node, depth int) value {
	body := n.Child(pysyntax.FieldBody)
	var clause pysyntax.Node
	clauses := 0
	for c := range n.Children() {
		switch c.Kind() {
		case pysyntax.KindForInClause:
			clause = c
			clauses++
		case pysyntax.KindIfClause:
			clauses++
		}
	}
	target := clause.Child(pysyntax.FieldLeft)
	iter := a.eval(clause.Child(pysyntax.FieldRight), depth+1)
	if clauses != 1 || !target.Is(pysyntax.KindIdentifier) {
		return value{taint: iter.taint | a.eval(body, depth+1).taint}
	}
	name := string(target.Text())
	var items []value
	switch {
	case iter.kind == vSeq && iter.exact:
		items = iter.items
	case iter.isStr() && iter.exact && len(iter.s) <= MaxSeqLen:
		for _, r := range iter.s {
			if iter.kind == vBytes {
				items = append(items, intVal(int64(r)))
			} else {
				items = append(items, strVal(string(r)))
			}
		}
	}
	if a.bound == nil {
		a.bound = map[string]value{}
	}
	old, had := a.bound[name]
	defer func() {
		if had {
			a.bound[name] = old
		} else {
			delete(a.bound, name)
		}
	}()
	if items == nil {
		a.bound[name] = value{taint: iter.taint}
		return value{taint: iter.taint | a.eval(body, depth+1).taint}
	}
	out := value{kind: vSeq, exact: true, taint: iter.taint}
	for _, it := range items {
		a.bound[name] = it
		v := a.eval(body, depth+1)
		out.items = append(out.items, v)
		out.exact = out.exact && v.exact
		out.taint |= v.taint
		out.folded = out.folded || v.folded
		if a.steps > maxEvalSteps {
			return value{taint: out.taint}
		}
	}
	return out
}

// fileRead is the value read from a file at path p.
func (a *analyzer) fileRead(p value) value {
	v := value{kind: vStr, s: hole, taint: p.taint &^ tSitePkg}
	if c := classifyPath(p); c == pathCredential {
		v.taint |= tCred
	}
	if p.isStr() && p.exact && a.downloads[p.s] {
		v.taint |= tDownload
	}
	return v
}
