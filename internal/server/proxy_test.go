package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// withProxy serves /simple/ from up, with an artifact cache in dir.
func withProxy(t *testing.T, up *testpypi.Server) serverOpt {
	t.Helper()
	c, err := cache.Open(filepath.Join(t.TempDir(), "cache"), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl, err := index.NewClient(up.URL(), index.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return func(o *server.Options) {
		o.Proxy = &server.ProxyOptions{Upstreams: &index.Upstreams{Default: cl}, Cache: c}
	}
}

// TestProxy: the package index answers pip's basic authentication, and
// every page and file it serves or refuses is in the audit log first.
func TestProxy(t *testing.T) {
	up := testpypi.New(t)
	wheel := testpypi.Wheel{Name: "demo", Version: "1.0"}
	sdist := testpypi.Sdist{Name: "demo", Version: "0.9"}
	up.Add(testpypi.Project{Name: "demo", Dists: []testpypi.Dist{wheel.Dist(), sdist.Dist()}})
	ts := newTestServer(t, withProxy(t, up))
	pipTok := ts.token("pip", store.Scopes(store.ScopeProxy), time.Time{})

	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.url+path, nil)
		req.SetBasicAuth("__token__", pipTok)
		req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	resp, page := get("/simple/demo/")
	var pj struct {
		Files []struct {
			Filename string `json:"filename"`
		} `json:"files"`
	}
	if err := json.Unmarshal(page, &pj); err != nil || resp.StatusCode != 200 || len(pj.Files) != 1 || pj.Files[0].Filename != wheel.Filename() {
		t.Fatalf("page %d: %s", resp.StatusCode, page)
	}
	wheelData, _ := wheel.Build()
	resp, got := get("/simple/demo/" + up.SHA256(wheel.Filename()) + "/" + wheel.Filename())
	if resp.StatusCode != 200 || !bytes.Equal(got, wheelData) {
		t.Fatalf("wheel: %d, %d bytes", resp.StatusCode, len(got))
	}
	// The sdist is not on the page, but its URL can be asked for: it is
	// refused, with the reason in the status line (pip prints it).
	resp, got = get("/simple/demo/" + up.SHA256(sdist.Filename()) + "/" + sdist.Filename())
	if resp.StatusCode != 403 || !strings.Contains(resp.Status, "airlock:") {
		t.Fatalf("sdist: %s: %s", resp.Status, got)
	}

	evs := events(t, ts.url, ts.admin, "action=proxy")
	if len(evs) != 3 {
		t.Fatalf("%d proxy events, want 3: %+v", len(evs), evs)
	}
	want := []struct {
		subject  string
		decision store.Decision
	}{
		{"demo/" + sdist.Filename(), store.DecisionDeny},
		{"demo/" + wheel.Filename(), store.DecisionAllow},
		{"demo/", store.DecisionAllow},
	}
	for i, w := range want {
		e := evs[i]
		if e.Subject != w.subject || e.Decision != w.decision || e.Actor != "pip" || e.RequestID == "" {
			t.Errorf("event %d: %s %s %q by %s", i, e.Action, e.Decision, e.Subject, e.Actor)
		}
	}
	if !strings.Contains(string(evs[0].Extra), "source distribution") {
		t.Errorf("the refusal's reason is not recorded: %s", evs[0].Extra)
	}

	// pip itself, with the token in the index URL.
	if err := testpypi.PipAvailable(); err != nil {
		t.Logf("skipping the pip half: %v", err)
		return
	}
	venv := testpypi.NewVenv(t)
	u := strings.Replace(ts.url, "http://", "http://__token__:"+pipTok+"@", 1) + "/simple/"
	out, err := venv.Pip(t.Context(), "install", "--index-url", u, "demo")
	if err != nil {
		t.Fatalf("pip install through the server: %v\n%s", err, out)
	}
	if out, err := venv.Run(t.Context(), "import demo; print(demo.__version__)"); err != nil || strings.TrimSpace(out) != "1.0" {
		t.Errorf("import demo: %q %v", out, err)
	}
	bad := strings.Replace(ts.url, "http://", "http://__token__:"+ts.token("no-proxy", store.Scopes(store.ScopeCheck), time.Time{})+"@", 1) + "/simple/"
	if out, err := venv.Pip(t.Context(), "install", "--index-url", bad, "--force-reinstall", "demo"); err == nil {
		t.Errorf("pip with a token without the proxy scope succeeded:\n%s", out)
	}
}
