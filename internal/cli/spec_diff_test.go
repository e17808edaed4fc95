package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential test: thousands of generated questions (versions,
// comparisons, specifiers with every prereleases flag, requirements,
// markers with environments, names; valid and invalid, odd spellings,
// Unicode, whitespace, huge numbers) go to `airlock spec` (in-process) and
// to testdata/spec_reference.py, which answers them with Debian's
// python3-packaging 23.0. Every answer must agree; error texts are not
// compared. The reference applies airlock's documented deviations (see the
// script's header), so everything else is compared exactly.
//
// AIRLOCK_SPEC_SEED picks another seed; AIRLOCK_SPEC_CASES scales the count.

const systemPython = "/usr/bin/python3"

func havePackaging(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(systemPython); err != nil {
		t.Skipf("%s is not installed (make test installs python3-packaging)", systemPython)
	}
	out, err := exec.Command(systemPython, "-c", "import packaging; print(packaging.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("python3-packaging is not installed (make test installs it): %s", out)
	}
	if v := strings.TrimSpace(string(out)); v != "23.0" {
		t.Logf("warning: packaging %s, the reference is 23.0", v)
	}
}

// runReference answers input with the Python reference.
func runReference(t testing.TB, input []byte) []byte {
	t.Helper()
	cmd := exec.Command(systemPython, "testdata/spec_reference.py")
	cmd.Stdin = bytes.NewReader(input)
	cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0", "PYTHONIOENCODING=utf-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference: %v\n%s", err, stderr.Bytes())
	}
	return out
}

func runAirlockSpec(t testing.TB, input []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := runSpec(bytes.NewReader(input), &out); err != nil {
		t.Fatalf("runSpec: %v", err)
	}
	return out.Bytes()
}

func TestSpecDifferential(t *testing.T) {
	havePackaging(t)
	seed := uint64(20240611)
	if s := os.Getenv("AIRLOCK_SPEC_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("AIRLOCK_SPEC_SEED: %v", err)
		}
		seed = n
	}
	scale := 1.0
	if s := os.Getenv("AIRLOCK_SPEC_CASES"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("AIRLOCK_SPEC_CASES: %v", err)
		}
		scale = f
	}
	g := newGen(seed, scale)
	cases := g.all()
	var in bytes.Buffer
	for _, c := range cases {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		in.Write(b)
		in.WriteByte('\n')
	}
	start := time.Now()
	ours := runAirlockSpec(t, in.Bytes())
	oursTime := time.Since(start)
	start = time.Now()
	theirs := runReference(t, in.Bytes())
	theirsTime := time.Since(start)
	t.Logf("%d cases (seed %d): airlock %v, packaging %v", len(cases), seed, oursTime, theirsTime)

	inLines := bytes.Split(bytes.TrimSuffix(in.Bytes(), []byte("\n")), []byte("\n"))
	a := bytes.Split(bytes.TrimSuffix(ours, []byte("\n")), []byte("\n"))
	b := bytes.Split(bytes.TrimSuffix(theirs, []byte("\n")), []byte("\n"))
	if len(a) != len(inLines) || len(b) != len(inLines) {
		t.Fatalf("answers: airlock %d, packaging %d, for %d questions", len(a), len(b), len(inLines))
	}
	failures := 0
	okCount := map[string][2]int{}
	for i := range inLines {
		op := cases[i]["op"].(string)
		diff := compareAnswers(a[i], b[i])
		counts := okCount[op]
		if bytes.Contains(b[i], []byte(`"ok": true`)) {
			counts[0]++
		} else {
			counts[1]++
		}
		okCount[op] = counts
		if diff == "" {
			continue
		}
		failures++
		if failures <= 40 {
			t.Errorf("question %s\n  airlock:   %s\n  packaging: %s\n  %s", inLines[i], a[i], b[i], diff)
		}
	}
	for op, c := range okCount {
		t.Logf("%-12s %5d accepted, %5d refused by packaging", op, c[0], c[1])
	}
	if failures > 0 {
		t.Errorf("%d of %d answers differ", failures, len(inLines))
	}
}

// compareAnswers returns "" when the answers agree (error texts aside).
func compareAnswers(ours, theirs []byte) string {
	var x, y map[string]any
	dx := json.NewDecoder(bytes.NewReader(ours))
	dx.UseNumber()
	if err := dx.Decode(&x); err != nil {
		return "airlock answer is not JSON: " + err.Error()
	}
	dy := json.NewDecoder(bytes.NewReader(theirs))
	dy.UseNumber()
	if err := dy.Decode(&y); err != nil {
		return "reference answer is not JSON: " + err.Error()
	}
	if x["ok"] != y["ok"] {
		return fmt.Sprintf("ok: airlock %v, packaging %v", x["ok"], y["ok"])
	}
	if x["ok"] == false {
		return ""
	}
	delete(x, "error")
	delete(y, "error")
	if !reflect.DeepEqual(x, y) {
		for k := range y {
			if !reflect.DeepEqual(x[k], y[k]) {
				return fmt.Sprintf("field %q differs", k)
			}
		}
		return "fields differ"
	}
	return ""
}

// gen makes the questions.
type gen struct {
	r     *rand.Rand
	scale float64
}

func newGen(seed uint64, scale float64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), scale: scale}
}

func (g *gen) n(base int) int { return max(1, int(float64(base)*g.scale)) }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

type question = map[string]any

func (g *gen) all() []question {
	var qs []question
	for _, s := range versionSeeds {
		qs = append(qs, question{"op": "version", "version": s})
	}
	for range g.n(4000) {
		qs = append(qs, question{"op": "version", "version": g.version()})
	}
	pool := g.versionPool(600)
	for range g.n(4000) {
		a, b := pool[g.r.IntN(len(pool))], pool[g.r.IntN(len(pool))]
		if g.chance(0.2) {
			b = g.respell(a)
		}
		qs = append(qs, question{"op": "compare", "a": a, "b": b})
	}
	for range g.n(9000) {
		q := question{"op": "contains", "specifier": g.specifierSet(pool), "version": pool[g.r.IntN(len(pool))]}
		switch g.r.IntN(3) {
		case 0:
			q["prereleases"] = nil
		case 1:
			q["prereleases"] = true
		case 2:
			q["prereleases"] = false
		}
		qs = append(qs, q)
	}
	for _, s := range requirementSeeds {
		qs = append(qs, question{"op": "requirement", "requirement": s})
	}
	for range g.n(5000) {
		qs = append(qs, question{"op": "requirement", "requirement": g.requirement(pool)})
	}
	for _, s := range markerSeeds {
		qs = append(qs, question{"op": "marker", "marker": s, "environment": g.environment()})
	}
	for range g.n(4000) {
		qs = append(qs, question{"op": "marker", "marker": g.marker(pool, 3), "environment": g.environment()})
	}
	for range g.n(3000) {
		qs = append(qs, question{"op": "requirement", "requirement": g.soup(pool, true)})
	}
	for range g.n(2500) {
		qs = append(qs, question{"op": "marker", "marker": g.soup(pool, false), "environment": g.environment()})
	}
	for range g.n(1500) {
		qs = append(qs, question{"op": "requirement", "requirement": g.reqName() + g.pick(" @ ", "@", " @", "@ ") + g.url()})
	}
	for _, s := range nameSeeds {
		qs = append(qs, question{"op": "normalize", "name": s})
	}
	for range g.n(1500) {
		qs = append(qs, question{"op": "normalize", "name": g.name()})
	}
	return qs
}

var versionSeeds = []string{
	"1.0", "v1.0", " 1.0\n", "1.0a", "1.0a.", "1.0-1", "1.0_1", "1.0.", "1!", "1.0+", "1.0+a.", "1.0+a..b",
	"1.0po\u017ft1", "1.0prev\u0131ew1", "1.0prev\u0130ew1", "1.0+\u212a", "1.0+\u0130", "\u00a01.0\u3000", "\x1c1\x1f",
	"1.0\u200b", "\u0661", strings.Repeat("9", 4000), strings.Repeat("1", 4097), "0!0.0.0", "1.0a1-1", "1.0-a-1",
	"1.0rc1rc2", "1.0.post1.post2", "1.0dev1a1", "1.0.*", "", " ", "v", "V1.0.POST1.DEV1+ABC-DEF_1",
}

func (g *gen) num() string {
	switch g.r.IntN(12) {
	case 0:
		return "0"
	case 1:
		return "00"
	case 2:
		return "01"
	case 3:
		return strconv.Itoa(g.r.IntN(3))
	case 4:
		return strings.Repeat("9", 20+g.r.IntN(10))
	case 5:
		return "18446744073709551616"
	case 6:
		return strconv.Itoa(g.r.IntN(100))
	case 7:
		return "1" + strings.Repeat("0", g.r.IntN(40))
	}
	return strconv.Itoa(1 + g.r.IntN(10))
}

func (g *gen) sep() string { return g.pick("", "", "", ".", "-", "_") }

func (g *gen) version() string {
	var b strings.Builder
	if g.chance(0.1) {
		b.WriteString(g.pick(" ", "\t", "\u00a0", "\n", "\x1f"))
	}
	if g.chance(0.15) {
		b.WriteString(g.pick("v", "V"))
	}
	if g.chance(0.15) {
		b.WriteString(g.num() + "!")
	}
	n := 1 + g.r.IntN(4)
	for i := range n {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(g.num())
	}
	if g.chance(0.35) {
		b.WriteString(g.sep())
		b.WriteString(g.pick("a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "A", "RC", "Alpha", "PreView", "prev\u0130ew", "prev\u0131ew"))
		b.WriteString(g.sep())
		if g.chance(0.8) {
			b.WriteString(g.num())
		}
	}
	if g.chance(0.3) {
		if g.chance(0.3) {
			b.WriteString("-" + g.num())
		} else {
			b.WriteString(g.sep())
			b.WriteString(g.pick("post", "rev", "r", "POST", "Rev", "po\u017ft"))
			b.WriteString(g.sep())
			if g.chance(0.8) {
				b.WriteString(g.num())
			}
		}
	}
	if g.chance(0.25) {
		b.WriteString(g.sep())
		b.WriteString(g.pick("dev", "DEV", "Dev"))
		b.WriteString(g.sep())
		if g.chance(0.8) {
			b.WriteString(g.num())
		}
	}
	if g.chance(0.2) {
		b.WriteByte('+')
		parts := 1 + g.r.IntN(3)
		for i := range parts {
			if i > 0 {
				b.WriteString(g.pick(".", "-", "_"))
			}
			b.WriteString(g.pick("abc", "1", "01", "ubuntu", "ABC", "x86", "cu118", "\u212a", "k", "z9", "000"))
		}
	}
	if g.chance(0.1) {
		b.WriteString(g.pick(" ", "\n", "\r\n", "\u2003"))
	}
	s := b.String()
	if g.chance(0.12) {
		s = g.mutate(s)
	}
	return s
}

// mutate inserts, deletes or replaces one character.
func (g *gen) mutate(s string) string {
	alphabet := []string{".", "-", "_", "+", "!", "*", "a", "r", "v", " ", ",", ";", ")", "(", "=", "<", "0", "9", "é", "\u00a0", "\"", "'", "\\", "@", "[", "]", "\t", "#"}
	c := alphabet[g.r.IntN(len(alphabet))]
	if s == "" {
		return c
	}
	i := g.r.IntN(len(s))
	for i > 0 && (s[i]&0xc0) == 0x80 {
		i--
	}
	switch g.r.IntN(3) {
	case 0:
		return s[:i] + c + s[i:]
	case 1:
		j := i + 1
		for j < len(s) && (s[j]&0xc0) == 0x80 {
			j++
		}
		return s[:i] + s[j:]
	}
	j := i + 1
	for j < len(s) && (s[j]&0xc0) == 0x80 {
		j++
	}
	return s[:i] + c + s[j:]
}

func (g *gen) versionPool(n int) []string {
	var pool []string
	for len(pool) < n {
		v := g.version()
		if g.chance(0.7) && isPlausible(v) {
			pool = append(pool, v)
		} else if g.chance(0.1) {
			pool = append(pool, v)
		}
	}
	return append(pool, "1.0", "1.0.0", "1", "1.0a1", "1.0.post1", "1.0+local", "2.0", "0.9", "1!1.0", "1.0.dev1", "1.1", "1.5", "1.0rc1")
}

// isPlausible keeps most of the pool valid: no mutations.
func isPlausible(v string) bool { return !strings.ContainsAny(v, "*,;()=<\"'\\@[]#") }

// respell writes the same version differently.
func (g *gen) respell(v string) string {
	r := strings.NewReplacer("a", "alpha", "b", "beta", "rc", "c", ".post", "-", ".dev", "dev", "+", "+0.")
	switch g.r.IntN(4) {
	case 0:
		return strings.ToUpper(v)
	case 1:
		return r.Replace(v)
	case 2:
		return "v" + v + ".0"
	}
	return " " + v + " "
}

var specOps = []string{"==", "!=", "<=", ">=", "<", ">", "~=", "==="}

func (g *gen) specifier(pool []string) string {
	op := specOps[g.r.IntN(len(specOps))]
	v := pool[g.r.IntN(len(pool))]
	switch {
	case op == "===" && g.chance(0.3):
		v = g.pick("foo", "", "1.0", "1.0.0", "1.0A1", "1.0+local", "Foo-Bar", "1.0+\u0130", "1.0+i\u0307")
	case (op == "==" || op == "!=") && g.chance(0.3):
		v = strings.Join(strings.Split(g.pick("1", "1.0", "1.0.0", "2", "1!1.0", "v1.1", "0"), "."), ".") + ".*"
	case op == "~=" && g.chance(0.3):
		v = g.pick("1.0", "1.4.5", "1.0.pre1", "1.0rc1", "1.0.0.pre1", "1.0.post1", "1!1.0", "v2.2", "1.0-1", "1.0.c1", "1.0.DEV1", "1.0.0.r1")
	}
	sp := op + v
	if g.chance(0.2) {
		sp = op + g.pick(" ", "\t", "\u00a0") + v + g.pick("", " ")
	}
	return sp
}

func (g *gen) specifierSet(pool []string) string {
	n := g.r.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.specifier(pool)
	}
	s := strings.Join(parts, g.pick(",", ", ", " ,"))
	if g.chance(0.05) {
		s += ","
	}
	if g.chance(0.05) {
		s = g.mutate(s)
	}
	return s
}

var requirementSeeds = []string{
	"foo", "foo_", "_foo", "foo-", "foo.", "1foo", "f", "foo bar", "foo\n", "foo\n\n", "foo>=1\n", "foo>=1,",
	"foo===", "foo===a,>=1", "foo===a,b", "foo (>=1)", "foo()", "foo (", "foo[]", "foo[ ]", "foo[a,]", "foo[a b]",
	"foo[a,a,B]", "foo @ http://x", "foo@http://x", "foo @ http://x\n", "foo @ http://x;os_name=='a'",
	"foo @ http://x ;os_name=='a'", "foo @ http://x ; os_name=='a' ", "foo @", "foo @ ", "foo @ x",
	"foo @ file:///tmp/x", "foo @ file:/tmp/x", "foo @ FILE:///tmp/x", "foo @ file:///tmp/x?", "foo @ file:////x",
	"foo @ file://host/x", "foo @ file:x", "foo @ http://[::1]/x", "foo @ http://[::1/x", "foo @ http://::1]/x",
	"foo @ http://[1.2.3.4]/x", "foo @ http://[v1.x]/x", "foo @ http://[vz.x]/x", "foo @ http://[fe80::1%eth0]:8080/x",
	"foo @ http://a[::1]/x", "foo @ http://[::1]x/x", "foo @ http://\u2100/x", "foo @ http://\uff0f/x", "foo @ git+https://github.com/a/b@v1#egg=foo",
	"foo @ http:///x", "foo @ //x/y", "foo @ \x01http://x", "foo @ http://x\ty", "foo;", "foo ;", "foo; ",
	"foo; os_name == 'a' garbage", "foo>=1.0a1b2", "foo==1.0.*", "foo==1.0.*.0", "foo ==1.0 ; extra == 'Foo_Bar'",
	"foo; (extra == 'Foo') and os_name == 'a'", "foo; ((os_name == 'a' or os_name == 'b')) and os_name == 'c'",
	"foo; os_name == 'a\"b'", "foo; os_name == \"a'b\"", "foo; os_name == 'a\\\\b'", "foo; os_name == 'a\\x22b\\x27'",
	"foo; os_name == '\\N{DIGIT ONE}'", "foo; os_name == '\\ud800'", "foo; extra == extra", "foo; os_name == extra",
	"foo; (extra == os_name)", "foo; ((extra == 'A_B'))", "foo; (extra == 'a' and os_name == 'b')",
	"foo>=1; python_version>='3'and os_name=='a'", "foo ; python_version>='3'andos_name=='a'",
	"foo>=1.0 ,< 2", "foo >= 1.0 ; os_name == 'a'", "Foo.Bar_Baz-Qux", "foo>=\u00a01.0", "foo>=\n1.0", "foo ~= 1.0",
	"foo~=1", "foo (>=1.0) ; os_name == 'a'", "foo[bar](>=1)", "foo[bar] @ http://x ; os_name == 'a'",
	"\tfoo\t>=\t1\t", "foo>=1 os_name=='a'", "f\u00e9o", "foo-\u00e9", "fo\u0301o", "foo; os_name in 'a b'",
	"foo; 'a' not in os_name", "foo; 'a' not  in os_name", "foo; 'a' notin os_name", "foo; os_name ~= '1.0'",
}

func (g *gen) name() string {
	parts := []string{"foo", "Foo", "FOO", "bar", "a", "1", "z9", "x_", "_", "-", ".", "__", "--", "..", "-_.",
		"\u00e9", "\u03a3", "\u0130", "\u212a", "\u017f", "\u0131", "\u00df", "A\u03a3", "\u03a3a", " ", "\t", "\u03a3\u0301", "'"}
	n := 1 + g.r.IntN(4)
	var b strings.Builder
	for range n {
		b.WriteString(parts[g.r.IntN(len(parts))])
	}
	return b.String()
}

var nameSeeds = []string{"", "a", "A", "a-", "-a", "a_", "a.b", "A.B-C_D", "Foo__Bar..Baz", "foo bar", "\u0130stanbul",
	"\u039f\u0394\u039f\u03a3", "\u039f\u0394\u039f\u03a3.x", "\u039f\u0394\u039f\u03a3-x", "\u03a3", "a\u03a3", "a\u03a3b", "a'\u03a3", "a\u03a3'b", "\u212aelvin", "stra\u00dfe", "\U0001d400"}

func (g *gen) reqName() string {
	if g.chance(0.1) {
		return g.name()
	}
	return g.pick("foo", "Foo_Bar", "requests", "a", "A.B-C", "x1", "foo_", "foo-bar.baz", "numpy")
}

func (g *gen) ws() string {
	if g.chance(0.7) {
		return ""
	}
	return g.pick(" ", "  ", "\t", " \t")
}

func (g *gen) requirement(pool []string) string {
	var b strings.Builder
	b.WriteString(g.ws())
	b.WriteString(g.reqName())
	b.WriteString(g.ws())
	if g.chance(0.25) {
		b.WriteByte('[')
		b.WriteString(g.ws())
		n := g.r.IntN(3)
		for i := range n {
			if i > 0 {
				b.WriteString(g.ws() + "," + g.ws())
			}
			b.WriteString(g.pick("socks", "Security", "a_", "b", "x-y", "tests", "b"))
		}
		b.WriteString(g.ws())
		b.WriteByte(']')
		b.WriteString(g.ws())
	}
	hasURL := g.chance(0.15)
	if hasURL {
		b.WriteString("@" + g.ws())
		b.WriteString(g.pick("https://example.com/foo-1.0.tar.gz", "git+https://github.com/a/b.git@v1.0#egg=foo",
			"file:///tmp/foo.whl", "file:/tmp/foo.whl", "http://[::1]:8000/x", "http://[1.2.3.4]/x", "ftp://h/x;type=a",
			"file://localhost/x", "https://user:pw@host/x?q=1#frag", "relative/path", "C:\\x", "http://", "file:///x;y", "http://h/\u00e9"))
		if g.chance(0.5) {
			b.WriteString(g.pick(" ", "\t", " ; ", ";"))
			if g.chance(0.7) {
				b.WriteString(g.pick("", "; ") + g.marker(pool, 2))
			}
		}
	} else {
		if g.chance(0.7) {
			spec := g.specifierSet(pool)
			if g.chance(0.3) {
				spec = "(" + g.ws() + spec + g.ws() + ")"
			}
			b.WriteString(spec)
		}
		if g.chance(0.35) {
			b.WriteString(g.ws() + ";" + g.ws())
			b.WriteString(g.marker(pool, 2))
		}
	}
	b.WriteString(g.ws())
	s := b.String()
	if g.chance(0.1) {
		s = g.mutate(s)
	}
	if g.chance(0.02) {
		s += "\n"
	}
	return s
}

var markerVariables = []string{"python_version", "python_full_version", "os_name", "os.name", "sys_platform", "sys.platform",
	"platform_release", "platform_system", "platform_version", "platform.version", "platform_machine", "platform.machine",
	"platform_python_implementation", "platform.python_implementation", "python_implementation", "implementation_name",
	"implementation_version", "extra"}

var markerOps = []string{"==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"}

func (g *gen) markerValue(pool []string) string {
	var v string
	switch g.r.IntN(6) {
	case 0:
		v = pool[g.r.IntN(len(pool))]
	case 1:
		v = g.pick("3.8", "3.11", "3", "2.7", "3.11.2", "3.12.0rc1", "3.*", "3.11.*")
	case 2:
		v = g.pick("posix", "linux", "win32", "Linux", "cpython", "CPython", "x86_64", "nt", "darwin")
	case 3:
		v = g.pick("Foo_Bar", "foo-bar", "test", "Security", "a.b", "\u03a3", "A\u03a3", "")
	case 4:
		v = g.pick("a\\x41", "\\u00e9", "tab\\there", "\\101", "a\\db", "\\\\", "line\\\nbreak", "quote\\'s", "\\777")
	default:
		v = g.pick("python_version", "os_name", "foo", "1.0 ", " 3.8", "3.8;", "a b", ">=3")
	}
	q := "\""
	if strings.Contains(v, "\"") || g.chance(0.4) {
		q = "'"
	}
	if strings.Contains(v, q) {
		v = strings.ReplaceAll(v, q, "")
	}
	return q + v + q
}

func (g *gen) markerAtom(pool []string) string {
	lhs := g.pick("var", "var", "val")
	rhs := g.pick("val", "val", "var")
	side := func(kind string) string {
		if kind == "var" {
			return markerVariables[g.r.IntN(len(markerVariables))]
		}
		return g.markerValue(pool)
	}
	op := markerOps[g.r.IntN(len(markerOps))]
	return side(lhs) + g.pick(" ", "", "  ", "\t") + op + g.pick(" ", "", " ") + side(rhs)
}

func (g *gen) marker(pool []string, depth int) string {
	if depth == 0 || g.chance(0.4) {
		a := g.markerAtom(pool)
		if g.chance(0.15) {
			a = "(" + g.ws() + a + g.ws() + ")"
		}
		return a
	}
	n := 2 + g.r.IntN(2)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.marker(pool, depth-1)
		if g.chance(0.2) {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(g.pick(" and ", " or ", " and ", ")and(", " or("))
		}
		b.WriteString(p)
	}
	s := b.String()
	if g.chance(0.05) {
		s = g.mutate(s)
	}
	return s
}

var markerSeeds = []string{
	"python_version >= '3.8'", "python_version == '3.11.*'", "python_version ~= '3.8'", "python_version === '3.11'",
	"python_version > '3.11' ", "os_name == 'a' garbage", "'posix' == 'os_name'", "'bar' == 'foo'",
	"os_name == sys_platform", "extra == 'Foo_Bar'", "'Foo_Bar' == extra", "extra == extra", "(extra == 'Foo')",
	"platform_release >= '5'", "'foo' == python_version", "python_version == 'foo'", "python_version ~= 'x'",
	"os_name in 'posix nt'", "'os' in os_name", "'x' not in os_name", "python_version < '3.11' or python_version >= '3.11'",
	"(python_version < '3.11' and os_name == 'posix') or extra == 'test'", "os_name == \"\\N{DIGIT ONE}\"",
	"os_name == 'a\\'", "os_name == 'a\nb'", "os_name == 'a\\\nb'", "os_name == 'a\\\r\nb'", "os_name == '\\x4'",
	"os_name == '\\U00110000'", "os_name == '\\x00'", "python_full_version >= '3.11.2rc1'", "implementation_version > '3'",
	"python_version > '3.11.2.post1'", "python_version > '3.11+local'", "python_version == '3.11+local'",
	"(", "()", "os_name", "os_name ==", "os_name = 'a'", "os_name <> 'a'", "", " ", "os_name == 'a' and", "os_name == 'a' and (os_name == 'b'",
	"python_version\t>=\t'3'", "os_name=='a'and os_name=='b'", "os_name=='a'andos_name=='b'",
}

func (g *gen) environment() map[string]any {
	env := map[string]any{
		"implementation_name":            g.pick("cpython", "pypy", "CPython"),
		"implementation_version":         g.pick("3.11.2", "3.12.0rc1", "7.3.11", "3.11.2+local", "garbage"),
		"os_name":                        g.pick("posix", "nt", "os_name", "java"),
		"platform_machine":               g.pick("x86_64", "aarch64", "AMD64"),
		"platform_release":               g.pick("6.1.0-18-amd64", "5.15", "10", "22.04"),
		"platform_system":                g.pick("Linux", "Windows", "Darwin"),
		"platform_version":               g.pick("#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)", "10.0.19045", "1.0"),
		"python_full_version":            g.pick("3.11.2", "3.8.10", "3.12.0rc1", "3.13.0a1+", "2.7.18"),
		"platform_python_implementation": g.pick("CPython", "PyPy"),
		"python_version":                 g.pick("3.11", "3.8", "3.12", "2.7", "3.10", "3"),
		"sys_platform":                   g.pick("linux", "win32", "darwin", "sys_platform"),
	}
	switch g.r.IntN(5) {
	case 0:
		env["extra"] = g.pick("test", "Foo_Bar", "foo-bar", "security", "a.b", "A\u03a3")
	case 1:
		env["extra"] = nil
	case 2:
		env["foo"] = "bar"
		env["posix"] = "x"
	}
	return env
}

// BenchmarkSpecStream runs `airlock spec` in-process over 20,000 generated
// questions of every kind (the differential test's mix).
func BenchmarkSpecStream(b *testing.B) {
	g := newGen(1, 1)
	pool := g.versionPool(300)
	var in bytes.Buffer
	env := g.environment()
	for i := 0; i < 20000; i++ {
		var q question
		switch i % 6 {
		case 0:
			q = question{"op": "version", "version": g.version()}
		case 1:
			q = question{"op": "compare", "a": pool[g.r.IntN(len(pool))], "b": pool[g.r.IntN(len(pool))]}
		case 2:
			q = question{"op": "contains", "specifier": g.specifierSet(pool), "version": pool[g.r.IntN(len(pool))]}
		case 3:
			q = question{"op": "requirement", "requirement": g.requirement(pool)}
		case 4:
			q = question{"op": "marker", "marker": g.marker(pool, 2), "environment": env}
		default:
			q = question{"op": "normalize", "name": g.name()}
		}
		line, _ := json.Marshal(q)
		in.Write(line)
		in.WriteByte('\n')
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := runSpec(bytes.NewReader(data), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/20000, "ns/question")
}

// soupTokens are pieces of the requirement and marker grammars, put
// together at random to reach the parser's corners.
var soupTokens = []string{
	" ", " ", "\t", "  ", "\n", "\u00a0", "(", ")", "[", "]", ",", ";", "@", "==", "!=", "<=", ">=", "<", ">", "~=", "===",
	"=", "!", "in", "not", "not in", "and", "or", "andx", "ino", "extra", "python_version", "os.name", "os_name",
	"sys.platform", "platform_release", "'3.8'", "\"3.8\"", "'a b'", "''", "'", "\"", "'x\\'y'", "'\\x41'", "foo", "Foo_",
	"bar-baz", "1.0", "1.0.*", "v2", "1.0a1", "+local", ".post1", "dev", "*", "é", "ſ", "K", "İ", "#", "\\", "-", "_", ".",
	"http://x", "file:///x", "0", "9", "a", "Z",
}

func (g *gen) soup(pool []string, requirement bool) string {
	var b strings.Builder
	if requirement {
		b.WriteString(g.reqName())
	}
	n := 1 + g.r.IntN(9)
	for range n {
		switch g.r.IntN(8) {
		case 0:
			b.WriteString(pool[g.r.IntN(len(pool))])
		case 1:
			b.WriteString(g.markerValue(pool))
		case 2:
			b.WriteString(markerVariables[g.r.IntN(len(markerVariables))])
		default:
			b.WriteString(soupTokens[g.r.IntN(len(soupTokens))])
		}
	}
	return b.String()
}

// url makes URLs of many shapes for "name @ URL".
func (g *gen) url() string {
	scheme := g.pick("http", "https", "HTTP", "file", "FILE", "git+https", "git+ssh", "ftp", "sftp", "svn+ssh", "c", "1http", "h.t-t+p", "", "data", "tel", "sip")
	var b strings.Builder
	if scheme != "" || g.chance(0.3) {
		b.WriteString(scheme + ":")
	}
	if g.chance(0.85) {
		b.WriteString("//")
		if g.chance(0.2) {
			b.WriteString(g.pick("user@", "user:pw@", "@", "a@b@", "::@"))
		}
		b.WriteString(g.pick("example.com", "localhost", "", "[::1]", "[::1", "::1]", "[1.2.3.4]", "[v1.x]", "[vz.x]",
			"[fe80::1%eth0]", "[fe80::1%]", "[1::2::3]", "[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8:9]", "[::ffff:1.2.3.4]",
			"[::ffff:1.2.3.256]", "[::01.2.3.4]", "a[::1]", "[::1]x", "[::1]:8080", "h\u2100", "h\uff0f", "h\u00e9", "h\u212a",
			"[12345::1]", "[:1::]", "[1::]", "[::]", "[:::]", "[1:2:3:4:5:6:7::]", "[::2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7]"))
		if g.chance(0.2) {
			b.WriteString(g.pick(":80", ":", ":x"))
		}
	}
	b.WriteString(g.pick("", "/", "/path/to/pkg.whl", "//double", "/a;b/c;d", ";p", "/x?", "/x?q=1", "/x#", "/x#frag", "/x?#",
		"relative", "/\u00e9", "/x%20y", "/x\ty", "/x\ry"))
	s := b.String()
	if g.chance(0.05) {
		s = g.pick("\x01", "\x1f", " ", "\x00") + s
	}
	if g.chance(0.05) {
		s += g.pick(" ; os_name == 'a'", ";os_name=='a'", " ", "\n")
	}
	return s
}
