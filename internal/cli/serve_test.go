package cli

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/feed"
)

// TestDataReloaderIgnoresPolicyFile: airlock serve reads its policy file
// at start only, so an edit to the file afterwards, even a broken one,
// must not stop the advisory data from being reloaded after airlock db
// import or update.
func TestDataReloaderIgnoresPolicyFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	pol := filepath.Join(dir, "policy.yaml")
	osv := filepath.Join(dir, "osv")
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(pol, "version: 1\n")
	write(filepath.Join(osv, "PYSEC-2023-74.json"), `{"id": "PYSEC-2023-74", "summary": "leak",
 "affected": [{"package": {"name": "requests", "ecosystem": "PyPI"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}]}]}`)
	a := &app{stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: io.Discard, dataDirFlag: data,
		getenv: func(string) string { return "" }, logger: slog.New(slog.DiscardHandler)}
	reload := a.dataReloader(&policyFlags{policyFile: pol}, data)
	if _, _, changed, err := reload(t.Context()); changed || err != nil {
		t.Fatalf("reload before any update = %v, %v; want no change", changed, err)
	}
	write(pol, "version: 1\nrules: [\n") // an edit in progress
	if _, err := feed.Import(t.Context(), data, []string{osv}, time.Now()); err != nil {
		t.Fatal(err)
	}
	pdata, _, changed, err := reload(t.Context())
	if err != nil || !changed || pdata.Advisories == nil {
		t.Fatalf("reload after db import = %v, %v (advisories %v); want the new data", changed, err, pdata.Advisories != nil)
	}
}
