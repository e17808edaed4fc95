package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// osvZipFixture is a zip shaped like OSV's PyPI/all.zip: one JSON record
// per file.
func osvZipFixture(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"PYSEC-2023-74.json": `{"id": "PYSEC-2023-74", "aliases": ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
			"summary": "Requests leaks Proxy-Authorization headers",
			"affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}]}]}`,
		"MAL-2024-1.json": `{"id": "MAL-2024-1", "summary": "Malicious code in evil-pkg (PyPI)",
			"affected": [{"package": {"ecosystem": "PyPI", "name": "evil-pkg"},
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}`,
		"broken.json": `{"id": `,
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDBUpdate runs airlock db update end to end against a local server:
// a download, a conditional request that finds nothing new, a failure that
// keeps the old data, and db status afterwards.
func TestDBUpdate(t *testing.T) {
	body := osvZipFixture(t)
	var fail atomic.Bool
	var conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case fail.Load():
			http.Error(w, "down", http.StatusServiceUnavailable)
		case r.URL.Path == "/top.tsv":
			w.Write([]byte("1\tboto3\n2\trequests\n"))
		case r.Header.Get("If-None-Match") == `"x1"`:
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("ETag", `"x1"`)
			w.Write(body)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	url := srv.URL + "/PyPI/all.zip"

	code, stdout, stderr := runCLI(t, "--data-dir", dir, "db", "update", "--url", url, "--popular-url", srv.URL+"/top.tsv")
	if code != ExitOK {
		t.Fatalf("db update: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"advisories: downloaded ",
		"2 records (1 unreadable file): 1 vulnerability, 1 malicious-package report, 2 packages",
		"popular names: downloaded 2 names from " + srv.URL + "/top.tsv",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("db update printed %q, want %q", stdout, want)
		}
	}
	if !strings.Contains(stderr, "broken.json") {
		t.Errorf("db update should name the unreadable file on stderr: %q", stderr)
	}

	code, stdout, stderr = runCLI(t, "--data-dir", dir, "db", "update", "--url", url)
	if code != ExitOK || !strings.Contains(stdout, "advisories: up to date") || conditional.Load() != 1 {
		t.Fatalf("second db update: exit %d, %q %q; conditional requests %d", code, stdout, stderr, conditional.Load())
	}

	before, err := os.ReadFile(filepath.Join(dir, "db", "advisories.db"))
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	code, _, stderr = runCLI(t, "--data-dir", dir, "db", "update", "--url", url)
	if code != ExitFailed || !strings.Contains(stderr, "the old data is kept") || !strings.Contains(stderr, "HTTP 503") {
		t.Errorf("db update against a failing server: exit %d, %q", code, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "db", "advisories.db"))
	if !bytes.Equal(before, after) {
		t.Error("a failed update changed the database")
	}

	code, stdout, _ = runCLI(t, "--data-dir", dir, "db", "status", "--format", "json")
	if code != ExitOK {
		t.Fatalf("db status: exit %d", code)
	}
	var st struct {
		Dir        string
		Advisories struct {
			Sources []struct{ Kind, Location, ETag string }
			Stats   struct{ Records, Malicious, Problems int }
			Age     *int64 `json:"age_seconds"`
		}
		Popular struct{ Entries int }
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("db status --format json: %v\n%s", err, stdout)
	}
	src := st.Advisories.Sources
	if len(src) != 1 || src[0].Kind != "download" || src[0].Location != url || src[0].ETag != `"x1"` ||
		st.Advisories.Stats.Records != 2 || st.Advisories.Stats.Malicious != 1 || st.Advisories.Age == nil || st.Popular.Entries != 2 {
		t.Errorf("db status = %s", stdout)
	}

	for _, bad := range [][]string{{"--url", "ftp://example.org/all.zip"}, {"--popular-url", "file:///etc/passwd"}, {"--timeout", "0s"}} {
		code, _, stderr = runCLI(t, append([]string{"--data-dir", dir, "db", "update"}, bad...)...)
		if code != ExitUsage {
			t.Errorf("db update %v: exit %d (%s), want %d", bad, code, stderr, ExitUsage)
		}
	}
	t.Setenv(advisoryURLEnv, srv.URL+"/from-env.zip")
	fail.Store(false)
	if code, _, stderr = runCLI(t, "--data-dir", dir, "db", "update"); code != ExitOK {
		t.Errorf("db update with $%s: exit %d: %s", advisoryURLEnv, code, stderr)
	}
}

func TestDBHelpers(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := dbCommas(n); got != want {
			t.Errorf("dbCommas(%d) = %q, want %q", n, got, want)
		}
	}
}
