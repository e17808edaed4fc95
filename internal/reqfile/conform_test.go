package reqfile

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/airlock-dev/airlock/internal/pep508"
	"github.com/rogpeppe/go-internal/txtar"
)

// The conformance tests run pip 23.0.1 itself (Debian's python3-pip, under
// /usr/bin/python3) through testdata/pipconform.py and compare what it
// makes of each file and command line in testdata/conform with what this
// package makes of them.

const python = "/usr/bin/python3"

type pipProc struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	stderr *limitedBuffer
	in     *json.Encoder
	out    *bufio.Scanner
}

// The one pipconform.py process the tests share (they do not run in
// parallel); TestMain stops it.
var (
	sharedPip    *pipProc
	sharedPipErr string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedPip != nil {
		sharedPip.stdin.Close()
		if err := sharedPip.cmd.Wait(); err != nil {
			fmt.Fprintf(os.Stderr, "pipconform.py: %v\n%s", err, sharedPip.stderr)
			code = 1
		}
	}
	os.Exit(code)
}

// startPip returns the running testdata/pipconform.py, starting it the
// first time, or skips the test when Debian's python3-pip is not installed
// (make test installs it).
func startPip(t *testing.T) *pipProc {
	t.Helper()
	if sharedPip != nil {
		return sharedPip
	}
	if sharedPipErr != "" {
		t.Skip(sharedPipErr)
	}
	if _, err := os.Stat(python); err != nil {
		sharedPipErr = fmt.Sprintf("%s not found: install python3 and python3-pip (make test-deps)", python)
		t.Skip(sharedPipErr)
	}
	if err := exec.Command(python, "-c", "import pip._internal").Run(); err != nil {
		sharedPipErr = fmt.Sprintf("pip is not importable by %s: install python3-pip (make test-deps)", python)
		t.Skip(sharedPipErr)
	}
	script, err := filepath.Abs("testdata/pipconform.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script)
	cmd.Env = pipEnv()
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 64<<20)
	sharedPip = &pipProc{cmd: cmd, stdin: stdin, stderr: stderr, in: json.NewEncoder(stdin), out: sc}
	return sharedPip
}

// pipEnv is the environment without pip's own configuration.
func pipEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "PYTHON") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	return append(env, "PIP_CONFIG_FILE=/dev/null", "PYTHONDONTWRITEBYTECODE=1", "LC_ALL=C.UTF-8")
}

type limitedBuffer struct {
	b   []byte
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

func (p *pipProc) call(t *testing.T, req, resp any) {
	t.Helper()
	if err := p.in.Encode(req); err != nil {
		t.Fatalf("pipconform.py: %v\n%s", err, p.stderr)
	}
	if !p.out.Scan() {
		t.Fatalf("pipconform.py: no answer (%v)\n%s", p.out.Err(), p.stderr)
	}
	if err := json.Unmarshal(p.out.Bytes(), resp); err != nil {
		t.Fatalf("pipconform.py answer %s: %v", p.out.Bytes(), err)
	}
}

type pipReq struct {
	Requirement string                     `json:"requirement"`
	Editable    bool                       `json:"editable"`
	ComesFrom   string                     `json:"comes_from"`
	Constraint  bool                       `json:"constraint"`
	Options     map[string]json.RawMessage `json:"options"`
	Name        *string                    `json:"name"`
	Specifier   *string                    `json:"specifier"`
	URL         *string                    `json:"url"`
	Link        *string                    `json:"link"`
	VCS         bool                       `json:"vcs"`
	Wheel       *string                    `json:"wheel"`
	Marker      *string                    `json:"marker"`
	Extras      []string                   `json:"extras"`
}

type formatControl struct {
	NoBinary   []string `json:"no_binary"`
	OnlyBinary []string `json:"only_binary"`
}

type finderState struct {
	IndexURLs     []string      `json:"index_urls"`
	FindLinks     []string      `json:"find_links"`
	NoIndex       bool          `json:"no_index"`
	TrustedHosts  []string      `json:"trusted_hosts"`
	Pre           bool          `json:"pre"`
	PreferBinary  bool          `json:"prefer_binary"`
	FormatControl formatControl `json:"format_control"`
	RequireHashes bool          `json:"require_hashes"`
	Features      []string      `json:"features"`
}

type pipFileResult struct {
	OK          bool     `json:"ok"`
	Error       string   `json:"error"`
	Reqs        []pipReq `json:"reqs"`
	OptionLines []struct {
		File string `json:"file"`
		Line int    `json:"line"`
	} `json:"option_lines"`
	Finder finderState `json:"finder"`
}

// fixture is a txtar archive of testdata/conform: the files, and in the
// comment, "key: value" lines:
//
//	file: NAME          the file to parse (requirements.txt)
//	constraint: true    parse it as a constraints file
//	escape: NAME...     decode \xHH, \uHHHH, \r, \t and \\ in these files
//	encode: NAME ENC    write NAME as utf-16-le, utf-16-be (with a BOM),
//	                    utf-32-be (with a BOM) or utf-8-bom
//	deviation: WHY      pip accepts the file but reqfile refuses it (it
//	                    fails closed); WHY says why
type fixture struct {
	name       string
	file       string
	constraint bool
	deviation  string
	dir        string
}

func loadFixture(t *testing.T, path string) fixture {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{name: filepath.Base(path), file: "requirements.txt", dir: t.TempDir()}
	escape := map[string]bool{}
	encode := map[string]string{}
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "file":
			f.file = v
		case "constraint":
			f.constraint = v == "true"
		case "deviation":
			f.deviation = v
		case "escape":
			for _, n := range strings.Fields(v) {
				escape[n] = true
			}
		case "encode":
			n, enc, _ := strings.Cut(v, " ")
			encode[n] = enc
		}
	}
	for _, af := range ar.Files {
		data := af.Data
		if escape[af.Name] {
			data = unescape(t, data)
		}
		if enc, ok := encode[af.Name]; ok {
			data = encodeAs(t, string(data), enc)
		}
		p := filepath.Join(f.dir, af.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// unescape decodes \xHH, \uHHHH, \r, \t and \\; a backslash before anything
// else stays.
func unescape(t *testing.T, data []byte) []byte {
	var out []byte
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' || i+1 >= len(data) {
			out = append(out, data[i])
			continue
		}
		switch data[i+1] {
		case 'x':
			v, err := strconv.ParseUint(string(data[i+2:i+4]), 16, 8)
			if err != nil {
				t.Fatalf("bad \\x escape: %v", err)
			}
			out = append(out, byte(v))
			i += 3
		case 'u':
			v, err := strconv.ParseUint(string(data[i+2:i+6]), 16, 32)
			if err != nil {
				t.Fatalf("bad \\u escape: %v", err)
			}
			out = append(out, string(rune(v))...)
			i += 5
		case 'r':
			out = append(out, '\r')
			i++
		case 't':
			out = append(out, '\t')
			i++
		case '\\':
			out = append(out, '\\')
			i++
		default:
			out = append(out, '\\')
		}
	}
	return out
}

func encodeAs(t *testing.T, s, enc string) []byte {
	switch enc {
	case "utf-8-bom":
		return append([]byte{0xef, 0xbb, 0xbf}, s...)
	case "utf-16-le", "utf-16-be":
		var order binary.AppendByteOrder = binary.LittleEndian
		out := []byte{0xff, 0xfe}
		if enc == "utf-16-be" {
			order, out = binary.BigEndian, []byte{0xfe, 0xff}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			out = order.AppendUint16(out, u)
		}
		return out
	case "utf-32-be":
		out := []byte{0, 0, 0xfe, 0xff}
		for _, r := range s {
			out = binary.BigEndian.AppendUint32(out, uint32(r))
		}
		return out
	}
	t.Fatalf("unknown encoding %q", enc)
	return nil
}

func TestConformanceFiles(t *testing.T) {
	pip := startPip(t)
	paths, err := filepath.Glob("testdata/conform/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			f := loadFixture(t, path)
			var got pipFileResult
			pip.call(t, map[string]any{"op": "file", "dir": f.dir, "file": f.file, "constraint": f.constraint}, &got)
			compareFile(t, f, got)
		})
	}
}

func parseFixture(f fixture) ([]Entry, error, []Entry) {
	data, err := os.ReadFile(filepath.Join(f.dir, f.file))
	if err != nil {
		panic(err)
	}
	cfg := &Config{Open: FSOpener(os.DirFS(f.dir)), Constraint: f.constraint}
	strict, err := Parse(f.file, data, cfg)
	lax := ParseLax(f.file, data, cfg)
	return strict, err, lax
}

func compareFile(t *testing.T, f fixture, pip pipFileResult) {
	t.Helper()
	entries, err, lax := parseFixture(f)
	switch {
	case !pip.OK && err == nil && pathOrError(pip.Error, entries):
		t.Logf("pip fails where there is no such directory (%s); reqfile reports a path", pip.Error)
		return
	case !pip.OK && err == nil:
		t.Fatalf("pip refuses the file (%s); Parse accepts it", pip.Error)
	case pip.OK && err != nil && f.deviation == "":
		t.Fatalf("pip accepts the file; Parse: %v", err)
	case pip.OK && err != nil:
		t.Logf("known deviation (%s): pip accepts the file; Parse: %v", f.deviation, err)
		if len(Errors(lax)) == 0 {
			t.Errorf("ParseLax reports no error")
		}
		return
	case pip.OK && f.deviation != "":
		t.Errorf("fixture says %q, but Parse accepts the file", f.deviation)
	case !pip.OK:
		t.Logf("pip: %s\nParse: %v", pip.Error, err)
		if len(Errors(lax)) == 0 {
			t.Errorf("ParseLax reports no error")
		}
	}
	// Lax parsing agrees with strict parsing until the first error.
	for i, e := range entries {
		if i >= len(lax) || !reflect.DeepEqual(lax[i], e) {
			t.Errorf("ParseLax entry %d differs from Parse's:\n%+v\n%+v", i, e, lax[min(i, len(lax)-1)])
			break
		}
	}

	// The requirements pip yields and classifies, in order.
	var reqs []Entry
	for _, e := range entries {
		if (e.Kind == KindRequirement || e.Kind == KindEditable) && !e.Ignored {
			reqs = append(reqs, e)
		}
	}
	want := pip.Reqs
	if !pip.OK && len(want) > 0 && want[len(want)-1].Name == nil && want[len(want)-1].Link == nil {
		// pip failed classifying its last requirement.
		want = want[:len(want)-1]
	}
	if !pip.OK && len(reqs) < len(want) {
		// pip went further before failing (an include cycle).
		want = want[:len(reqs)]
	}
	if len(reqs) != len(want) {
		t.Errorf("%d requirements, pip has %d:", len(reqs), len(want))
		for _, e := range reqs[:min(len(reqs), 20)] {
			t.Logf("  reqfile: %s %q", e.Pos, e.Requirement.Text)
		}
		for _, r := range want[:min(len(want), 20)] {
			t.Logf("  pip: %s %q", r.ComesFrom, r.Requirement)
		}
		return
	}
	for i, e := range reqs {
		compareReq(t, e, want[i])
	}
	if !pip.OK {
		return
	}

	// The lines pip handles as option lines (lines without entries, such
	// as "--", have no effect).
	pipLines := map[string]bool{}
	for _, l := range pip.OptionLines {
		pipLines[fmt.Sprintf("%s:%d", l.File, l.Line)] = true
	}
	for _, g := range lineGroups(entries) {
		if pos := g[0].Pos.String(); isOptionLine(g) != pipLines[pos] {
			t.Errorf("%s: option line is %v; pip: %v", pos, isOptionLine(g), pipLines[pos])
		}
	}
	if got := replayFinder(entries); !reflect.DeepEqual(got, pip.Finder) {
		t.Errorf("pip's finder after the file:\n got %+v\nwant %+v (pip)", got, pip.Finder)
	}
}

func compareReq(t *testing.T, e Entry, p pipReq) {
	t.Helper()
	r := e.Requirement
	flag := "-r"
	if e.Constraint {
		flag = "-c"
	}
	comesFrom := fmt.Sprintf("%s %s (line %d)", flag, e.Pos.Source, e.Pos.Line)
	if r.Text != p.Requirement || r.Editable != p.Editable || comesFrom != p.ComesFrom || e.Constraint != p.Constraint {
		t.Errorf("%s: requirement %q editable=%v from %q constraint=%v; pip: %q editable=%v from %q constraint=%v",
			e.Pos, r.Text, r.Editable, comesFrom, e.Constraint, p.Requirement, p.Editable, p.ComesFrom, p.Constraint)
		return
	}
	where := fmt.Sprintf("%s %q", e.Pos, r.Text)
	// Per-requirement options.
	opts := map[string]any{}
	if len(r.Hashes) > 0 {
		h := map[string][]string{}
		for _, x := range r.Hashes {
			h[x.Alg] = append(h[x.Alg], x.Digest)
		}
		opts["hashes"] = h
	}
	if len(r.GlobalOptions) > 0 {
		opts["global_options"] = r.GlobalOptions
	}
	if len(r.InstallOptions) > 0 {
		opts["install_options"] = r.InstallOptions
	}
	gotOpts, _ := json.Marshal(opts)
	wantOpts, _ := json.Marshal(p.Options)
	if r.Editable {
		wantOpts = []byte("{}") // pip drops them for editables
	}
	if string(gotOpts) != string(wantOpts) {
		t.Errorf("%s: options %s; pip %s", where, gotOpts, wantOpts)
	}
	if name := deref(p.Name); r.Name != name {
		t.Errorf("%s: name %q; pip %q", where, r.Name, name)
	}
	if r.Req != nil && p.Specifier != nil && r.Req.Specifier.String() != *p.Specifier {
		t.Errorf("%s: specifier %q; pip %q", where, r.Req.Specifier.String(), *p.Specifier)
	}
	var form Form
	switch {
	case p.Link == nil:
		form = FormName
	case p.VCS:
		form = FormVCS
	case r.Path != "" && strings.HasPrefix(*p.Link, "file:"):
		form = FormPath
	default:
		form = FormURL
	}
	if r.Form != form {
		t.Errorf("%s: form %v; pip's link %q means %v", where, r.Form, deref(p.Link), form)
	}
	if form == FormURL && !strings.Contains(r.URL, "../") && r.URL != deref(p.Link) {
		t.Errorf("%s: URL %q; pip's link %q", where, r.URL, deref(p.Link))
	}
	if r.Wheel != deref(p.Wheel) {
		t.Errorf("%s: wheel %q; pip %q", where, r.Wheel, deref(p.Wheel))
	}
	if (r.Marker != nil) != (p.Marker != nil) {
		t.Errorf("%s: marker %v; pip %q", where, r.Marker, deref(p.Marker))
	}
	var extras []string
	for _, x := range r.Extras {
		extras = append(extras, safeExtra(x))
	}
	if len(extras) > 0 || len(p.Extras) > 0 {
		slices.Sort(extras)
		extras = slices.Compact(extras)
		if !slices.Equal(extras, p.Extras) {
			t.Errorf("%s: extras %q; pip %q", where, extras, p.Extras)
		}
	}
}

// pathOrError reports whether pip's error is one it gives only because a
// directory does not exist, for text that reqfile (which does no I/O)
// reports as a path: pip would install the directory if it existed.
func pathOrError(pipErr string, entries []Entry) bool {
	if !strings.Contains(pipErr, "It looks like a path") && !strings.Contains(pipErr, "is not a valid editable requirement") {
		return false
	}
	for _, e := range entries {
		if r := e.Requirement; r != nil && r.Form == FormPath && strings.Contains(pipErr, r.Path) {
			return true
		}
	}
	return false
}

var unsafeExtra = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// safeExtra is pip's safe_extra.
func safeExtra(s string) string { return strings.ToLower(unsafeExtra.ReplaceAllString(s, "_")) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// lineGroups splits entries into the logical lines they come from.
func lineGroups(entries []Entry) [][]Entry {
	var groups [][]Entry
	for i, e := range entries {
		if i > 0 {
			p := entries[i-1].Pos
			if p.Source == e.Pos.Source && p.Line == e.Pos.Line && entries[i-1].Depth == e.Depth {
				groups[len(groups)-1] = append(groups[len(groups)-1], e)
				continue
			}
		}
		groups = append(groups, []Entry{e})
	}
	return groups
}

// isOptionLine reports whether pip handles a line's options
// (handle_option_line): a line with no requirement, -e, -r or -c.
func isOptionLine(g []Entry) bool {
	for _, e := range g {
		switch e.Kind {
		case KindRequirement, KindEditable, KindInclude, KindConstraint, KindError:
			return false
		}
	}
	return true
}

// replayFinder applies the entries pip acts on to a package finder the
// way pip's handle_option_line does, starting from pipconform.py's finder.
func replayFinder(entries []Entry) finderState {
	s := finderState{IndexURLs: []string{"DEFAULT"}, FindLinks: []string{}, TrustedHosts: []string{}, Features: []string{},
		FormatControl: formatControl{NoBinary: []string{}, OnlyBinary: []string{}}}
	noBinary, onlyBinary := map[string]bool{}, map[string]bool{}
	for _, g := range lineGroups(entries) {
		for _, e := range g {
			if e.Kind == KindOption && e.Err == nil {
				switch e.Option.Name {
				case "--no-binary":
					mutualExcludes(e.Option.Value, noBinary, onlyBinary)
				case "--only-binary":
					mutualExcludes(e.Option.Value, onlyBinary, noBinary)
				}
			}
		}
		if !isOptionLine(g) {
			continue
		}
		acting := map[string][]string{}
		for _, e := range g {
			if e.Kind == KindOption && !e.Ignored {
				acting[e.Option.Name] = append(acting[e.Option.Name], e.Option.Value)
			}
		}
		if acting["--no-index"] != nil {
			s.NoIndex = true
			s.IndexURLs = []string{}
		}
		if v := acting["--index-url"]; v != nil {
			s.IndexURLs = []string{v[len(v)-1]}
		}
		s.IndexURLs = append(s.IndexURLs, acting["--extra-index-url"]...)
		s.FindLinks = append(s.FindLinks, acting["--find-links"]...)
		s.TrustedHosts = append(s.TrustedHosts, acting["--trusted-host"]...)
		s.Pre = s.Pre || acting["--pre"] != nil
		s.PreferBinary = s.PreferBinary || acting["--prefer-binary"] != nil
		s.RequireHashes = s.RequireHashes || acting["--require-hashes"] != nil
		for _, f := range acting["--use-feature"] {
			if !slices.Contains(s.Features, f) {
				s.Features = append(s.Features, f)
			}
		}
	}
	for n := range noBinary {
		s.FormatControl.NoBinary = append(s.FormatControl.NoBinary, n)
	}
	for n := range onlyBinary {
		s.FormatControl.OnlyBinary = append(s.FormatControl.OnlyBinary, n)
	}
	slices.Sort(s.FormatControl.NoBinary)
	slices.Sort(s.FormatControl.OnlyBinary)
	return s
}

// mutualExcludes is pip's FormatControl.handle_mutual_excludes.
func mutualExcludes(value string, target, other map[string]bool) {
	clear := func(m map[string]bool) {
		for k := range m {
			delete(m, k)
		}
	}
	names := strings.Split(value, ",")
	for slices.Contains(names, ":all:") {
		clear(other)
		clear(target)
		target[":all:"] = true
		names = names[slices.Index(names, ":all:")+1:]
		if !slices.Contains(names, ":none:") {
			return
		}
	}
	for _, n := range names {
		if n == ":none:" {
			clear(target)
			continue
		}
		n = pep508.Normalize(n)
		delete(other, n)
		target[n] = true
	}
}

// TestConformanceCommandLines compares testdata/argv.txt, one shell
// command per line, with pip's own parsers.
func TestConformanceCommandLines(t *testing.T) {
	pip := startPip(t)
	data, err := os.ReadFile("testdata/argv.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range []string{"local", "localdir"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "setup.py"), []byte("from setuptools import setup\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for n, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		argv, err := SplitCommand(line)
		if err != nil {
			t.Errorf("line %d: SplitCommand(%q): %v", n+1, line, err)
			continue
		}
		t.Run(fmt.Sprintf("%d", n+1), func(t *testing.T) { compareArgv(t, pip, dir, line, argv) })
	}
}

type pipArgvResult struct {
	OK           bool                       `json:"ok"`
	Exit         *int                       `json:"exit"`
	Error        string                     `json:"error"`
	Args         []string                   `json:"args"`
	Options      map[string]json.RawMessage `json:"options"`
	Defaults     map[string]json.RawMessage `json:"defaults"`
	InstallError string                     `json:"install_error"`
}

func compareArgv(t *testing.T, pip *pipProc, dir, line string, argv []string) {
	t.Helper()
	entries, err := ParseCommandLine(argv, nil)
	lax := ParseCommandLineLax(argv, nil)
	start, serr := pipStart(argv)
	if serr != nil {
		if err == nil {
			t.Errorf("%q: not a pip command (%v), but ParseCommandLine accepts it", line, serr)
		}
		return
	}
	var res pipArgvResult
	pip.call(t, map[string]any{"op": "argv", "dir": dir, "argv": argv[start:]}, &res)
	switch {
	case res.Exit != nil && *res.Exit == 0 && !slices.Contains(argv, "install"):
		// pip -h, pip --version: not an install.
		if !errors.Is(err, ErrNotPipInstall) {
			t.Errorf("%q: ParseCommandLine: %v, want ErrNotPipInstall", line, err)
		}
		return
	case res.Exit != nil && *res.Exit == 0:
		// --help or --version: pip prints and exits without installing.
		if err != nil {
			t.Errorf("%q: pip exits 0 (help or version); ParseCommandLine: %v", line, err)
		}
		if !slices.ContainsFunc(entries, func(e Entry) bool {
			return e.Option != nil && (e.Option.Name == "--help" || e.Option.Name == "--version")
		}) {
			t.Errorf("%q: pip exits 0 (help or version); no --help or --version entry", line)
		}
		return
	case !res.OK:
		if err == nil {
			t.Errorf("%q: pip refuses it (%s); ParseCommandLine accepts it", line, res.Error)
		}
		if len(Errors(lax)) == 0 {
			t.Errorf("%q: ParseCommandLineLax reports no error", line)
		}
		return
	case res.InstallError != "":
		// pip install fails before installing: a trusted host its session
		// refuses, or an argument or editable it cannot make a
		// requirement of.
		if err == nil && pathOrError(res.InstallError, entries) {
			t.Logf("%q: pip fails where there is no such directory (%s); reqfile reports a path", line, res.InstallError)
			return
		}
		if err == nil {
			t.Errorf("%q: pip install fails (%s); ParseCommandLine accepts it", line, res.InstallError)
		}
		return
	case err != nil:
		t.Errorf("%q: pip accepts it; ParseCommandLine: %v", line, err)
		return
	}
	var args []string
	for _, e := range entries {
		if e.Kind == KindRequirement {
			args = append(args, e.Requirement.Text)
		}
	}
	if len(args) != len(res.Args) || !slices.Equal(args, res.Args) {
		t.Errorf("%q: requirements %q; pip's arguments %q", line, args, res.Args)
	}
	got := replayOptions(t, entries, res.Defaults, dir)
	for dest, want := range res.Options {
		g, _ := json.Marshal(got[dest])
		var w any
		json.Unmarshal(want, &w)
		wb, _ := json.Marshal(w)
		if string(g) != string(wb) {
			t.Errorf("%q: option %s = %s; pip %s", line, dest, g, wb)
		}
	}
}

// replayOptions applies command-line entries to pip's defaults as
// optparse and pip's callbacks do.
func replayOptions(t *testing.T, entries []Entry, defaults map[string]json.RawMessage, dir string) map[string]any {
	r := newReplay(defaults, dir)
	for _, e := range entries {
		if e.Option == nil || e.Err != nil {
			continue
		}
		o := installOptions.long[e.Option.Name]
		if o == nil {
			t.Fatalf("%s: option %q is not in the install table", e.Pos, e.Option.Name)
		}
		r.apply(t, o, e.Option.Value)
	}
	return r.values()
}

// replay is optparse's Values, built up option by option.
type replay struct {
	vals                 map[string]any
	noBinary, onlyBinary map[string]bool
	dir                  string
}

func newReplay(defaults map[string]json.RawMessage, dir string) *replay {
	r := &replay{vals: map[string]any{}, noBinary: map[string]bool{}, onlyBinary: map[string]bool{}, dir: dir}
	for k, v := range defaults {
		var x any
		json.Unmarshal(v, &x)
		r.vals[k] = x
	}
	if fc, ok := r.vals["format_control"].(map[string]any); ok {
		for _, n := range fc["no_binary"].([]any) {
			r.noBinary[n.(string)] = true
		}
		for _, n := range fc["only_binary"].([]any) {
			r.onlyBinary[n.(string)] = true
		}
	}
	return r
}

func (r *replay) apply(t *testing.T, o *optSpec, v string) {
	home := os.Getenv("HOME")
	expand := func(v string) string {
		if v == "~" || strings.HasPrefix(v, "~/") {
			return home + v[1:]
		}
		return v
	}
	vals := r.vals
	switch o.action {
	case actStore:
		switch o.typ {
		case typInt:
			n, _ := strconv.ParseInt(v, 0, 64)
			vals[o.dest] = float64(n)
		case typFloat:
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			switch {
			case math.IsInf(f, 1):
				vals[o.dest] = "inf"
			case math.IsInf(f, -1):
				vals[o.dest] = "-inf"
			case math.IsNaN(f):
				vals[o.dest] = "nan"
			default:
				vals[o.dest] = f
			}
		case typPath:
			vals[o.dest] = expand(v)
		default:
			vals[o.dest] = v
		}
	case actAppend:
		l, _ := vals[o.dest].([]any)
		vals[o.dest] = append(l, v)
	case actStoreTrue:
		vals[o.dest] = true
	case actStoreFalse:
		vals[o.dest] = false
	case actCount:
		n, _ := vals[o.dest].(float64)
		vals[o.dest] = n + 1
	case actCallback:
		switch o.name() {
		case "--no-binary":
			mutualExcludes(v, r.noBinary, r.onlyBinary)
		case "--only-binary":
			mutualExcludes(v, r.onlyBinary, r.noBinary)
		case "--no-cache-dir", "--no-use-pep517":
			vals[o.dest] = false
		case "--hash":
			m, _ := vals[o.dest].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			alg, digest, _ := strings.Cut(v, ":")
			l, _ := m[alg].([]any)
			m[alg] = append(l, digest)
			vals[o.dest] = m
		case "--config-settings":
			m, _ := vals[o.dest].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			k, val, _ := strings.Cut(v, "=")
			m[k] = val
			vals[o.dest] = m
		case "--src":
			p := expand(v)
			if !filepath.IsAbs(p) {
				p = filepath.Join(r.dir, p)
			}
			vals[o.dest] = filepath.Clean(p)
		case "--python-version":
			var parts []any
			ps := strings.Split(v, ".")
			if len(ps) == 1 && len(v) > 1 {
				ps = []string{v[:1], v[1:]}
			}
			for _, p := range ps {
				n, _ := strconv.Atoi(p)
				parts = append(parts, float64(n))
			}
			vals[o.dest] = parts
			if v == "" {
				vals[o.dest] = nil
			}
		default:
			t.Fatalf("no replay for callback option %s", o.name())
		}
	case actHelp:
	}
}

func (r *replay) values() map[string]any {
	fc := formatControl{NoBinary: []string{}, OnlyBinary: []string{}}
	for n := range r.noBinary {
		fc.NoBinary = append(fc.NoBinary, n)
	}
	for n := range r.onlyBinary {
		fc.OnlyBinary = append(fc.OnlyBinary, n)
	}
	slices.Sort(fc.NoBinary)
	slices.Sort(fc.OnlyBinary)
	r.vals["format_control"] = map[string]any{"no_binary": fc.NoBinary, "only_binary": fc.OnlyBinary}
	return r.vals
}

// TestOptionTableMatchesPip compares the option tables with pip's own
// parsers: names, aliases, destinations, actions, value types and choices.
func TestOptionTableMatchesPip(t *testing.T) {
	pip := startPip(t)
	type row struct {
		Short      []string `json:"short"`
		Long       []string `json:"long"`
		Dest       *string  `json:"dest"`
		Action     string   `json:"action"`
		Type       *string  `json:"type"`
		TakesValue bool     `json:"takes_value"`
		Choices    []string `json:"choices"`
	}
	var res struct {
		File    []row `json:"file"`
		Main    []row `json:"main"`
		Install []row `json:"install"`
	}
	pip.call(t, map[string]any{"op": "options"}, &res)
	actions := map[action]string{actStore: "store", actAppend: "append", actStoreTrue: "store_true",
		actStoreFalse: "store_false", actCount: "count", actCallback: "callback", actHelp: "help"}
	types := map[valueType]string{typString: "string", typChoice: "choice", typInt: "int", typFloat: "float", typPath: "path"}
	for _, tc := range []struct {
		name  string
		table *optTable
		rows  []row
	}{{"file", fileOptions, res.File}, {"main", mainOptions, res.Main}, {"install", installOptions, res.Install}} {
		if len(tc.table.specs) != len(tc.rows) {
			t.Errorf("%s: %d options, pip has %d", tc.name, len(tc.table.specs), len(tc.rows))
		}
		for _, r := range tc.rows {
			o := tc.table.long[r.Long[0]]
			if o == nil {
				t.Errorf("%s: pip's %s is missing", tc.name, r.Long[0])
				continue
			}
			got := row{Short: append([]string{}, o.short...), Long: o.long, Dest: &o.dest, Action: actions[o.action], TakesValue: o.takesValue(), Choices: o.choices}
			if o.typ != typNone {
				s := types[o.typ]
				got.Type = &s
			}
			if r.Type != nil && *r.Type == "str" {
				s := "string"
				r.Type = &s
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(r)
			if string(gb) != string(wb) {
				t.Errorf("%s: option %s:\n got %s\nwant %s (pip)", tc.name, r.Long[0], gb, wb)
			}
		}
	}
}

// TestTrustedHostMatchesPip checks checkTrustedHost against pip's
// PipSession.add_trusted_host.
func TestTrustedHostMatchesPip(t *testing.T) {
	pip := startPip(t)
	for _, h := range []string{
		"example.com", "example.com:8080", "example.com:", "example.com:x", "example.com:99999",
		"example.com:65535", "[::1]", "[::1]:80", "::1", "fe80::1", "[::1", "::1]", "user@host",
		"user@[::1]:3", "[1.2.3.4]", "[v1.x]", "[vz.x]", "a/b", "a?b", "a#b", "host:+1", "host:１",
		"[::1]x", "x[::1]", "", "@", "h:0", "h:00080",
	} {
		var res struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		pip.call(t, map[string]any{"op": "trusted_host", "host": h}, &res)
		if err := checkTrustedHost(h); (err == nil) != res.OK {
			t.Errorf("checkTrustedHost(%q) = %v; pip: ok=%v %s", h, err, res.OK, res.Error)
		}
	}
}

// TestCodecNamesMatchPython checks that every name this package decodes
// is one Python maps to the same codec.
func TestCodecNamesMatchPython(t *testing.T) {
	pip := startPip(t)
	pyName := map[string]string{"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "latin-1": "iso8859-1", "ascii": "ascii"}
	names := []string{"UTF-8", "utf8", "Utf_8", "u8", "utf", "cp65001", "latin-1", "Latin1", "ISO-8859-1",
		"iso8859_1", "l1", "8859", "ascii", "US-ASCII", "646", "utf-8-sig", "-utf-8-", "utf--8", "utf.8",
		"ansi_x3.4_1968", "iso_646.irv_1991", "cp1252", "utf-16", "koi8-r", "rot13", "nonsense"}
	for name := range codecModules {
		names = append(names, name)
	}
	for name := range codecAliases {
		names = append(names, name, strings.ToUpper(name), strings.ReplaceAll(name, "_", "-"))
	}
	for _, n := range names {
		var res struct {
			Codec *string `json:"codec"`
		}
		pip.call(t, map[string]any{"op": "codec", "name": n}, &res)
		got := lookupCodec(n)
		if got == "" {
			continue // refused here; Python may know it (documented)
		}
		if res.Codec == nil || pyName[got] != *res.Codec {
			t.Errorf("lookupCodec(%q) = %q; Python: %v", n, got, deref(res.Codec))
		}
	}
}
