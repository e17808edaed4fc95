package feed

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// fixtureDir holds the advisory package's OSV fixtures, JSON and YAML.
const fixtureDir = "../advisory/testdata/osv"

// osvZip builds a zip of OSV JSON records shaped like OSV's all.zip: one
// file per record at the top level.
func osvZip(t testing.TB, records map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range records {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func record(id, pkg, introduced, fixed string) string {
	return fmt.Sprintf(`{"id": %q, "summary": "test record %s", "aliases": ["CVE-%s"],
		"affected": [{"package": {"ecosystem": "PyPI", "name": %q},
		"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": %q}, {"fixed": %q}]}]}]}`, id, id, id, pkg, introduced, fixed)
}

// server is a test origin with ETag and Last-Modified support and
// switchable failures.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	etags    map[string]string
	mode     string // "", "500", "truncate"
	requests []*http.Request
}

func newServer(t *testing.T) *server {
	s := &server{files: map[string][]byte{}, etags: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

const lastModified = "Mon, 02 Jan 2006 15:04:05 GMT"

func (s *server) set(path string, body []byte, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
	s.etags[path] = etag
}

func (s *server) remove(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, path)
}

func (s *server) setMode(m string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

func (s *server) last() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1]
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	body, ok := s.files[r.URL.Path]
	etag, mode := s.etags[r.URL.Path], s.mode
	s.mu.Unlock()
	switch {
	case mode == "500":
		http.Error(w, "upstream broke", http.StatusInternalServerError)
		return
	case !ok:
		http.NotFound(w, r)
		return
	case etag != "" && r.Header.Get("If-None-Match") == etag:
		w.WriteHeader(http.StatusNotModified)
		return
	case etag == "" && r.Header.Get("If-Modified-Since") == lastModified:
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Last-Modified", lastModified)
	if mode == "truncate" {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body[:len(body)/2])
		return
	}
	w.Write(body)
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func readDB(t *testing.T, dataDir string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Dir(dataDir), advisoryFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUpdateAndConditionalRequests(t *testing.T) {
	srv := newServer(t)
	srv.set("/PyPI/all.zip", osvZip(t, map[string]string{
		"PYSEC-1.json": record("PYSEC-1", "requests", "2.3.0", "2.31.0"),
		"PYSEC-2.json": record("PYSEC-2", "Flask_Thing", "0", "1.0"),
		"README.txt":   "not a record",
	}), `"v1"`)
	dataDir := t.TempDir()
	clk := &clock{time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	u := &Updater{AdvisoryURL: srv.URL + "/PyPI/all.zip", Now: clk.now}

	res, err := u.Update(context.Background(), dataDir)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if res.Advisories.NotModified || res.Advisories.Bytes == 0 || res.Popular != nil {
		t.Errorf("first Update = %+v", res)
	}
	if got := srv.last().Header.Get("If-None-Match"); got != "" {
		t.Errorf("first request sent If-None-Match %q", got)
	}
	if ua := srv.last().Header.Get("User-Agent"); !strings.Contains(ua, "airlock") {
		t.Errorf("User-Agent = %q", ua)
	}
	ix, st, err := LoadAdvisories(dataDir)
	if err != nil {
		t.Fatalf("LoadAdvisories: %v", err)
	}
	if st.Stats.Records != 2 || st.Stats.Packages != 2 || len(st.Sources) != 1 || st.Sources[0].ETag != `"v1"` || !st.Sources[0].Fetched.Equal(clk.t) {
		t.Errorf("status = %+v", st)
	}
	if got := ix.AffectedBy("requests", pep440.MustParse("2.25.0")); len(got) != 1 || got[0].ID != "PYSEC-1" {
		t.Errorf("AffectedBy(requests 2.25.0) = %v", got)
	}
	if got := ix.Lookup("flask-thing"); len(got) != 1 {
		t.Errorf("Lookup(flask-thing) = %v", got)
	}
	first := readDB(t, dataDir)

	// Unchanged upstream: one conditional request, the same snapshot, a
	// later "checked" time.
	clk.t = clk.t.Add(48 * time.Hour)
	res, err = u.Update(context.Background(), dataDir)
	if err != nil {
		t.Fatalf("second Update: %v", err)
	}
	if !res.Advisories.NotModified || res.Advisories.Bytes != 0 {
		t.Errorf("second Update = %+v, want not modified", res.Advisories)
	}
	if got := srv.last().Header.Get("If-None-Match"); got != `"v1"` {
		t.Errorf("second request sent If-None-Match %q", got)
	}
	st = res.Status.Advisories
	if !st.Sources[0].Checked.Equal(clk.t) || !st.Sources[0].Fetched.Equal(clk.t.Add(-48*time.Hour)) || !st.Checked().Equal(clk.t) {
		t.Errorf("after 304: %+v", st.Sources[0])
	}
	_, snap1, _ := splitDBFile(first)
	_, snap2, _ := splitDBFile(readDB(t, dataDir))
	if !bytes.Equal(snap1, snap2) {
		t.Error("a 304 changed the snapshot")
	}

	// Changed upstream: downloaded again.
	srv.set("/PyPI/all.zip", osvZip(t, map[string]string{"PYSEC-3.json": record("PYSEC-3", "urllib3", "0", "2.0")}), `"v2"`)
	if res, err = u.Update(context.Background(), dataDir); err != nil || res.Advisories.NotModified {
		t.Fatalf("third Update = %+v, %v", res, err)
	}
	if ix, _, _ := LoadAdvisories(dataDir); ix.Lookup("urllib3") == nil || ix.Lookup("requests") != nil {
		t.Error("the new download did not replace the old database")
	}
	if entries, _ := os.ReadDir(Dir(dataDir)); len(entries) != 1 {
		t.Errorf("db directory holds %v, want only %s (no temporary files)", entries, advisoryFile)
	}
}

func TestUpdateKeepsOldDataOnFailure(t *testing.T) {
	srv := newServer(t)
	good := osvZip(t, map[string]string{"PYSEC-1.json": record("PYSEC-1", "requests", "2.3.0", "2.31.0")})
	srv.set("/all.zip", good, `"good"`)
	srv.set("/popular.tsv", []byte("1\trequests\n2\tnumpy\n"), `"p1"`)
	dataDir := t.TempDir()
	u := &Updater{AdvisoryURL: srv.URL + "/all.zip", PopularURL: srv.URL + "/popular.tsv"}
	if _, err := u.Update(context.Background(), dataDir); err != nil {
		t.Fatalf("Update: %v", err)
	}
	before := readDB(t, dataDir)
	popBefore, _ := os.ReadFile(filepath.Join(Dir(dataDir), popularFile))

	tests := []struct {
		name  string
		setup func()
		want  string
	}{
		{"server error", func() { srv.setMode("500") }, "HTTP 500"},
		{"truncated download", func() { srv.setMode("truncate"); srv.set("/all.zip", good, `"new"`) }, "unexpected EOF"},
		{"not a zip", func() { srv.set("/all.zip", []byte("<html>captive portal</html>"), `"html"`) }, "not a readable zip"},
		{"no records", func() { srv.set("/all.zip", osvZip(t, map[string]string{"x.txt": "hello"}), `"empty"`) }, "no OSV records"},
		{"bad popular list", func() {
			srv.set("/all.zip", osvZip(t, map[string]string{"PYSEC-9.json": record("PYSEC-9", "numpy", "0", "1")}), `"newer"`)
			srv.set("/popular.tsv", []byte("1\trequests\nnot a line\n"), `"p2"`)
		}, "line 2"},
		{"missing popular list", func() { srv.remove("/popular.tsv") }, "HTTP 404"},
	}
	for _, tt := range tests {
		srv.setMode("")
		tt.setup()
		_, err := u.Update(context.Background(), dataDir)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Update error = %v, want one containing %q", tt.name, err, tt.want)
		}
		if !bytes.Equal(readDB(t, dataDir), before) {
			t.Fatalf("%s: the advisory database changed after a failed update", tt.name)
		}
		if pop, _ := os.ReadFile(filepath.Join(Dir(dataDir), popularFile)); !bytes.Equal(pop, popBefore) {
			t.Fatalf("%s: the popular-name list changed after a failed update", tt.name)
		}
		if entries, _ := os.ReadDir(Dir(dataDir)); len(entries) != 3 {
			t.Errorf("%s: db directory holds %v (temporary files left?)", tt.name, entries)
		}
	}
}

func TestUpdatePopular(t *testing.T) {
	srv := newServer(t)
	srv.set("/all.zip", osvZip(t, map[string]string{"PYSEC-1.json": record("PYSEC-1", "requests", "2.3.0", "2.31.0")}), `"a"`)
	srv.set("/top.tsv", []byte("# rank\tname\n1\tboto3\n2\tRequests\n"), "") // Last-Modified only
	dataDir := t.TempDir()
	if _, _, err := LoadPopular(dataDir); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("LoadPopular before any update: %v, want ErrNoDatabase", err)
	}
	u := &Updater{AdvisoryURL: srv.URL + "/all.zip", PopularURL: srv.URL + "/top.tsv"}
	res, err := u.Update(context.Background(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Popular == nil || res.Popular.NotModified || res.Status.Popular == nil || res.Status.Popular.Entries != 2 {
		t.Fatalf("Update = %+v, status %+v", res.Popular, res.Status.Popular)
	}
	entries, st, err := LoadPopular(dataDir)
	if err != nil || len(entries) != 2 || entries[1].Name != "requests" || st.Source.LastModified != lastModified {
		t.Fatalf("LoadPopular = %v, %+v, %v", entries, st, err)
	}
	res, err = u.Update(context.Background(), dataDir)
	if err != nil || !res.Popular.NotModified || !res.Advisories.NotModified {
		t.Fatalf("second Update = %+v, %+v, %v", res.Advisories, res.Popular, err)
	}
	if got := srv.last().Header.Get("If-Modified-Since"); got != lastModified {
		t.Errorf("If-Modified-Since = %q", got)
	}

	// A damaged record makes the next request unconditional.
	if err := os.WriteFile(filepath.Join(Dir(dataDir), popularMetaFile), []byte(`{"sha256": "00"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = u.Update(context.Background(), dataDir); err != nil || res.Popular.NotModified {
		t.Fatalf("Update after damage = %+v, %v; want a fresh download", res.Popular, err)
	}
}

func TestUpdateRefetchesDamagedDatabase(t *testing.T) {
	srv := newServer(t)
	srv.set("/all.zip", osvZip(t, map[string]string{"PYSEC-1.json": record("PYSEC-1", "requests", "2.3.0", "2.31.0")}), `"a"`)
	dataDir := t.TempDir()
	u := &Updater{AdvisoryURL: srv.URL + "/all.zip"}
	if _, err := u.Update(context.Background(), dataDir); err != nil {
		t.Fatal(err)
	}
	data := readDB(t, dataDir)
	data[len(data)-10] ^= 0xff
	if err := os.WriteFile(filepath.Join(Dir(dataDir), advisoryFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadAdvisories(dataDir); err == nil {
		t.Fatal("LoadAdvisories accepted a damaged snapshot")
	}
	res, err := u.Update(context.Background(), dataDir)
	if err != nil || res.Advisories.NotModified || srv.last().Header.Get("If-None-Match") != "" {
		t.Fatalf("Update of a damaged database = %+v, %v; want an unconditional download", res.Advisories, err)
	}
	if _, _, err := LoadAdvisories(dataDir); err != nil {
		t.Fatalf("after the refetch: %v", err)
	}
}

func TestUpdateRefusesBadURLs(t *testing.T) {
	for _, u := range []*Updater{
		{AdvisoryURL: "ftp://example.org/all.zip"},
		{AdvisoryURL: "/tmp/all.zip"},
		{AdvisoryURL: "http://127.0.0.1:1/all.zip", PopularURL: "file:///etc/passwd"},
	} {
		if _, err := u.Update(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "not an http or https URL") {
			t.Errorf("Update(%q, %q) = %v", u.AdvisoryURL, u.PopularURL, err)
		}
	}
	srv := newServer(t)
	u := &Updater{AdvisoryURL: strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/missing.zip"}
	_, err := u.Update(context.Background(), t.TempDir())
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %v: want a failure that does not show the password", err)
	}
}

func TestProgressBar(t *testing.T) {
	srv := newServer(t)
	srv.set("/PyPI/all.zip", osvZip(t, map[string]string{"PYSEC-1.json": record("PYSEC-1", "requests", "2.3.0", "2.31.0")}), `"a"`)
	var bar bytes.Buffer
	u := &Updater{AdvisoryURL: srv.URL + "/PyPI/all.zip", Progress: &bar}
	if _, err := u.Update(context.Background(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if got := bar.String(); !strings.Contains(got, "PyPI/all.zip") || !strings.Contains(got, "100%") || !strings.HasSuffix(got, "\n") {
		t.Errorf("progress output = %q", got)
	}
	if got := HumanBytes(31_457_280); got != "30.0 MiB" {
		t.Errorf("humanBytes = %q", got)
	}
}

func TestImportAndOpenPaths(t *testing.T) {
	dataDir := t.TempDir()
	zipPath := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(zipPath, osvZip(t, map[string]string{
		"GHSA-x.json": `{"id": "GHSA-x", "aliases": ["PYSEC-2020-1"], "summary": "zip record", "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-lib"}, "versions": ["5.0"]}]}`,
	}), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	st, err := Import(context.Background(), dataDir, []string{fixtureDir, zipPath}, now)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if len(st.Sources) != 2 || st.Sources[0].Kind != "import" || !filepath.IsAbs(st.Sources[0].Location) || st.Sources[1].Bytes == 0 {
		t.Errorf("sources = %+v", st.Sources)
	}
	ix, _, err := LoadAdvisories(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	// The zip's GHSA record merges with the directory's PYSEC-2020-1.
	vs := ix.Lookup("demo-lib")
	if len(vs) != 1 || vs[0].ID != "PYSEC-2020-1" || !vs[0].Affects(pep440.MustParse("5.0")) {
		t.Errorf("Lookup(demo-lib) = %v", vs)
	}
	direct, err := OpenPaths([]string{fixtureDir, zipPath})
	if err != nil || direct.Stats().Records != ix.Stats().Records {
		t.Errorf("OpenPaths = %+v, %v; want the same records as Import", direct.Stats(), err)
	}

	// One file, and paths that hold nothing usable.
	single := filepath.Join(fixtureDir, "requests", "PYSEC-2023-74.yaml")
	if ix, err := OpenPath(single); err != nil || len(ix.Lookup("requests")) != 1 {
		t.Errorf("OpenPath(single file) = %v, %v", ix, err)
	}
	before := readDB(t, dataDir)
	empty := t.TempDir()
	for _, bad := range []string{empty, filepath.Join(fixtureDir, "misc", "notes.txt"), filepath.Join(fixtureDir, "misc", "broken.json"), filepath.Join(empty, "missing")} {
		if _, err := Import(context.Background(), dataDir, []string{bad}, now); err == nil {
			t.Errorf("Import(%s) succeeded", bad)
		}
	}
	if !bytes.Equal(readDB(t, dataDir), before) {
		t.Error("a failed import changed the database")
	}
}

func TestReadStatus(t *testing.T) {
	dataDir := t.TempDir()
	st, err := ReadStatus(dataDir)
	if err != nil || st.Advisories != nil || st.Popular != nil || st.Dir != filepath.Join(dataDir, "db") {
		t.Errorf("ReadStatus(empty) = %+v, %v", st, err)
	}
	if _, _, err := LoadAdvisories(dataDir); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("LoadAdvisories(empty) = %v, want ErrNoDatabase", err)
	}
	if _, err := Import(context.Background(), dataDir, []string{fixtureDir}, time.Now()); err != nil {
		t.Fatal(err)
	}
	st, err = ReadStatus(dataDir)
	if err != nil || st.Advisories == nil || st.Advisories.Stats.Records != 15 || st.Advisories.Stats.Problems != 1 {
		t.Errorf("ReadStatus = %+v, %v", st.Advisories, err)
	}
	if err := os.WriteFile(filepath.Join(Dir(dataDir), advisoryFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatus(dataDir); err == nil {
		t.Error("ReadStatus accepted a damaged database")
	}
}

func TestDataDirCreatedPrivate(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "new", "airlock")
	if _, err := Import(context.Background(), dataDir, []string{fixtureDir}, time.Now()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("a new data directory has mode %v, want 0700 (it also holds the token store)", perm)
	}
}
