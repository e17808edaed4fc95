package testpypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func zipMembers(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		m[f.Name] = string(b)
	}
	return m
}

func TestWheelBuild(t *testing.T) {
	w := Wheel{
		Name: "My.Pkg", Version: "1.2.0", Deps: []string{"dep-a>=1", `dep-b; extra == "x"`},
		RequiresPython: ">=3.8", Extras: []string{"x"},
		Files:          map[string]string{"my_pkg/__init__.py": "X = 1\n", "my_pkg-hook.pth": "import os\n"},
		ConsoleScripts: map[string]string{"mytool": "my_pkg:main"},
		Scripts:        map[string]string{"helper.sh": "#!/bin/sh\necho hi\n"},
	}
	data, name := w.Build()
	if name != "my_pkg-1.2.0-py3-none-any.whl" {
		t.Errorf("Build() name = %q", name)
	}
	m := zipMembers(t, data)
	di := "my_pkg-1.2.0.dist-info/"
	for _, want := range []string{"my_pkg/__init__.py", "my_pkg-hook.pth", "my_pkg-1.2.0.data/scripts/helper.sh",
		di + "METADATA", di + "WHEEL", di + "RECORD", di + "entry_points.txt"} {
		if _, ok := m[want]; !ok {
			t.Errorf("wheel lacks %s", want)
		}
	}
	meta := m[di+"METADATA"]
	for _, want := range []string{"Metadata-Version: 2.1\n", "Name: My.Pkg\n", "Version: 1.2.0\n",
		"Requires-Python: >=3.8\n", "Requires-Dist: dep-a>=1\n", "Requires-Dist: dep-b; extra == \"x\"\n", "Provides-Extra: x\n"} {
		if !strings.Contains(meta, want) {
			t.Errorf("METADATA lacks %q:\n%s", want, meta)
		}
	}
	if !strings.Contains(m[di+"entry_points.txt"], "[console_scripts]\nmytool = my_pkg:main\n") {
		t.Errorf("entry_points.txt = %q", m[di+"entry_points.txt"])
	}
	// Every RECORD line but RECORD's own carries the member's correct hash
	// and size, and every member is listed.
	lines := strings.Split(strings.TrimSpace(m[di+"RECORD"]), "\n")
	if len(lines) != len(m) {
		t.Errorf("RECORD has %d lines for %d members", len(lines), len(m))
	}
	for _, line := range lines {
		parts := strings.Split(line, ",")
		if len(parts) != 3 {
			t.Fatalf("RECORD line %q", line)
		}
		content, ok := m[parts[0]]
		if !ok {
			t.Errorf("RECORD lists %s, not in the wheel", parts[0])
			continue
		}
		if parts[0] == di+"RECORD" {
			if parts[1] != "" || parts[2] != "" {
				t.Errorf("RECORD's own line = %q", line)
			}
			continue
		}
		if want := RecordHash([]byte(content)); parts[1] != want {
			t.Errorf("RECORD hash of %s = %s, want %s", parts[0], parts[1], want)
		}
	}
	// Builds are reproducible, so published hashes are stable.
	again, _ := w.Build()
	if !bytes.Equal(data, again) {
		t.Error("two builds of one wheel differ")
	}
	if got := string(w.Dist().Metadata); got != meta {
		t.Errorf("Dist().Metadata differs from METADATA")
	}
}

func TestSdistBuild(t *testing.T) {
	s := Sdist{Name: "Old_Pkg", Version: "0.1", Canary: "/tmp/canary", Deps: []string{"x"}}
	data, name := s.Build()
	if name != "old_pkg-0.1.tar.gz" {
		t.Errorf("name = %q", name)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b)
	}
	for _, want := range []string{"old_pkg-0.1/PKG-INFO", "old_pkg-0.1/setup.py", "old_pkg-0.1/pyproject.toml", "old_pkg-0.1/old_pkg/__init__.py"} {
		if _, ok := got[want]; !ok {
			t.Errorf("sdist lacks %s", want)
		}
	}
	if setup := got["old_pkg-0.1/setup.py"]; !strings.Contains(setup, `"/tmp/canary"`) || !strings.Contains(setup, `install_requires=["x"]`) {
		t.Errorf("setup.py = %s", setup)
	}
	zdata, zname := Sdist{Name: "z", Version: "1", Zip: true, NoPyproject: true}.Build()
	if zname != "z-1.zip" {
		t.Errorf("zip name = %q", zname)
	}
	if m := zipMembers(t, zdata); m["z-1/setup.py"] == "" || m["z-1/pyproject.toml"] != "" {
		t.Errorf("zip sdist members: %v", m)
	}
}

func get(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestServerPages(t *testing.T) {
	srv := New(t)
	w := Wheel{Name: "foo", Version: "1.0", RequiresPython: ">=3.7"}
	old := Wheel{Name: "foo", Version: "0.9"}.Dist()
	old.Yanked, old.YankedReason = true, "broken <build>"
	up := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	d := w.Dist()
	d.UploadTime = up
	srv.Add(Project{Name: "Foo", Dists: []Dist{d, old, Sdist{Name: "foo", Version: "1.0"}.Dist()}})

	resp, body := get(t, srv.URL()+"foo/", jsonType)
	if ct := resp.Header.Get("Content-Type"); ct != jsonType {
		t.Fatalf("Content-Type = %q", ct)
	}
	var doc struct {
		Meta     map[string]string `json:"meta"`
		Versions []string          `json:"versions"`
		Files    []map[string]any  `json:"files"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta["api-version"] != "1.1" || len(doc.Files) != 3 || strings.Join(doc.Versions, ",") != "0.9,1.0" {
		t.Fatalf("JSON page: %s", body)
	}
	byName := map[string]map[string]any{}
	for _, f := range doc.Files {
		byName[f["filename"].(string)] = f
	}
	wf := byName["foo-1.0-py3-none-any.whl"]
	if wf["hashes"].(map[string]any)["sha256"] != srv.SHA256("foo-1.0-py3-none-any.whl") ||
		wf["requires-python"] != ">=3.7" || wf["upload-time"] != "2025-05-06T07:08:09.000000Z" || wf["yanked"] != false ||
		wf["core-metadata"].(map[string]any)["sha256"] != hexSHA256(w.Metadata()) {
		t.Errorf("wheel entry: %v", wf)
	}
	if y := byName["foo-0.9-py3-none-any.whl"]["yanked"]; y != "broken <build>" {
		t.Errorf("yanked = %v", y)
	}

	_, htmlBody := get(t, srv.URL()+"foo/", "text/html")
	page := string(htmlBody)
	for _, want := range []string{
		`href="../../files/foo-1.0-py3-none-any.whl#sha256=` + srv.SHA256("foo-1.0-py3-none-any.whl") + `"`,
		`data-requires-python="&gt;=3.7"`, `data-yanked="broken &lt;build&gt;"`,
		`data-dist-info-metadata="sha256=` + hexSHA256(w.Metadata()) + `"`, "foo-1.0.tar.gz",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML page lacks %s:\n%s", want, page)
		}
	}
	srv.SetJSON(false)
	if resp, _ := get(t, srv.URL()+"foo/", jsonType); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("SetJSON(false): Content-Type = %q", resp.Header.Get("Content-Type"))
	}

	if resp, _ := get(t, srv.URL()+"FOO/", ""); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/simple/foo/" {
		t.Errorf("GET /simple/FOO/ = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := get(t, srv.URL()+"nope/", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown project: %d", resp.StatusCode)
	}
	_, meta := get(t, srv.FileURL("foo-1.0-py3-none-any.whl.metadata"), "")
	if !bytes.Equal(meta, w.Metadata()) {
		t.Errorf("metadata file = %q", meta)
	}

	srv.ResetCounts()
	srv.Replace("foo-1.0-py3-none-any.whl", []byte("evil"))
	if _, b := get(t, srv.FileURL("foo-1.0-py3-none-any.whl"), ""); string(b) != "evil" {
		t.Errorf("after Replace: %q", b)
	}
	if srv.SHA256("foo-1.0-py3-none-any.whl") != hexSHA256(d.Data) {
		t.Error("Replace changed the published hash")
	}
	if n := srv.FileRequests("foo-1.0-py3-none-any.whl"); n != 1 {
		t.Errorf("FileRequests = %d, want 1", n)
	}

	srv.SetFailure(Unavailable)
	if resp, _ := get(t, srv.URL()+"foo/", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("Unavailable: %d", resp.StatusCode)
	}
	srv.SetFailure(Reset)
	req, _ := http.NewRequest("GET", srv.URL()+"foo/", nil)
	if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Errorf("Reset: got an answer %d", resp.StatusCode)
	}
	srv.SetFailure(Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL()+"foo/", nil)
	if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Errorf("Hang: got an answer %d", resp.StatusCode)
	}
	srv.SetFailure(Healthy)
	if resp, _ := get(t, srv.URL(), jsonType); resp.StatusCode != http.StatusOK {
		t.Errorf("root after recovery: %d", resp.StatusCode)
	}
}

// TestPipInstalls checks the built wheels against the real pip: a wheel with
// a dependency, a console script, a data script and a .pth file installs
// and works; a yanked version is skipped; and the sdist's setup.py really
// writes its canary when pip is allowed to run it, which is what makes the
// canary's absence meaningful in the proxy's tests.
func TestPipInstalls(t *testing.T) {
	srv := New(t)
	srv.AddWheels(
		Wheel{Name: "app", Version: "1.0", Deps: []string{"lib-one>=2"},
			Files:          map[string]string{"app/__init__.py": "def main():\n    print('app main')\n", "app_hook.pth": "import os; os.environ['APP_HOOK'] = 'ran'\n"},
			ConsoleScripts: map[string]string{"app-tool": "app:main"},
			Scripts:        map[string]string{"app-data": "#!python\nprint('data script')\n"}},
		Wheel{Name: "lib_one", Version: "2.0"},
	)
	yanked := Wheel{Name: "lib_one", Version: "2.5"}.Dist()
	yanked.Yanked = true
	srv.Add(Project{Name: "lib-one", Dists: []Dist{yanked}})
	canary := filepath.Join(t.TempDir(), "canary")
	srv.Add(Project{Name: "srconly", Dists: []Dist{Sdist{Name: "srconly", Version: "1.0", Canary: canary, NoPyproject: true}.Dist()}})

	venv := NewVenv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := venv.Pip(ctx, "install", "--index-url", srv.URL(), "app")
	if err != nil {
		t.Fatalf("pip install app: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Successfully installed app-1.0 lib-one-2.0") && !strings.Contains(out, "Successfully installed app-1.0 lib_one-2.0") {
		t.Errorf("pip output:\n%s", out)
	}
	got, err := venv.Run(ctx, "import os, app, lib_one; print(lib_one.__version__, os.environ.get('APP_HOOK'))")
	if err != nil || strings.TrimSpace(got) != "2.0 ran" {
		t.Errorf("import: %v %q", err, got)
	}
	for _, script := range []string{"app-tool", "app-data"} {
		if _, err := os.Stat(filepath.Join(venv.Dir, "bin", script)); err != nil {
			t.Errorf("script %s not installed: %v", script, err)
		}
	}

	// The control for every "setup.py never ran" test: when pip may build
	// the sdist (here the system pip with the system setuptools), the canary
	// appears.
	dl := t.TempDir()
	cmd := exec.CommandContext(ctx, SystemPython, "-m", "pip", "download", "--no-deps", "--no-build-isolation", "-d", dl, "--index-url", srv.URL(), "srconly")
	cmd.Env = PipEnv()
	outb, err := cmd.CombinedOutput()
	out = string(outb)
	if err != nil {
		t.Fatalf("pip download srconly: %v\n%s", err, out)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Errorf("setup.py did not write its canary: %v\n%s", err, out)
	}
}
