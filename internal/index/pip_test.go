package index

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/internal/testpypi"
)

// These tests drive Debian's pip 23 through the proxy, over real HTTP,
// against the in-process test upstream. Each pip run gets its own venv.

func TestPipInstallsAllowedWithDependencies(t *testing.T) {
	fx := newFixture(t, fixtureOpts{judge: Filters{}.Wrap(AllowAll)})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "app", Version: "1.0", Deps: []string{"lib-a>=1", "lib-b"}},
		testpypi.Wheel{Name: "lib-a", Version: "1.2", Deps: []string{"lib-b<3"}},
		testpypi.Wheel{Name: "Lib_B", Version: "2.0"},
	)
	// The HTML-only path of the upstream is exercised for lib-b by
	// switching JSON off after the first page; the proxy answers pip in
	// JSON either way.
	v, out, err := fx.pipInstall(t, "app")
	if err != nil {
		t.Fatalf("pip install app: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Successfully installed") {
		t.Fatalf("pip output:\n%s", out)
	}
	got, err := v.Run(pipCtx(t), "import app, lib_a, lib_b; print(app.__version__, lib_a.__version__, lib_b.__version__)")
	if err != nil || strings.TrimSpace(got) != "1.0 1.2 2.0" {
		t.Errorf("installed versions: %v %q", err, got)
	}
	// Every file came through the cache exactly once.
	for _, f := range []string{"app-1.0-py3-none-any.whl", "lib_a-1.2-py3-none-any.whl", "lib_b-2.0-py3-none-any.whl"} {
		if n := fx.up.FileRequests(f); n != 1 {
			t.Errorf("upstream requests for %s = %d, want 1", f, n)
		}
	}
}

func TestPipInstallsFromHTMLUpstream(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	fx.up.SetJSON(false)
	fx.up.AddWheels(testpypi.Wheel{Name: "app", Version: "1.0", Deps: []string{"lib"}}, testpypi.Wheel{Name: "lib", Version: "0.5"})
	if _, out, err := fx.pipInstall(t, "app"); err != nil {
		t.Fatalf("pip install app: %v\n%s", err, out)
	}
}

func TestPipDeniedProjectShowsReason(t *testing.T) {
	judge := tableJudge{projects: map[string]string{"evil-dep": "evil-dep is denied: known bad (policy rule denied)"}}
	fx := newFixture(t, fixtureOpts{judge: Filters{}.Wrap(judge)})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "evil-dep", Version: "0.1"},
		testpypi.Wheel{Name: "app", Version: "1.0", Deps: []string{"evil-dep"}},
	)
	for _, req := range []string{"evil-dep", "app"} { // denied directly and as a dependency
		t.Run(req, func(t *testing.T) {
			_, out, err := fx.pipInstall(t, req)
			if err == nil {
				t.Fatalf("pip install %s succeeded:\n%s", req, out)
			}
			want := "HTTP error 403 Client Error: airlock: evil-dep is denied: known bad (policy rule denied) for url"
			if !strings.Contains(out, want) {
				t.Errorf("pip's output lacks %q:\n%s", want, out)
			}
		})
	}
	if n := fx.up.FileRequests("evil_dep-0.1-py3-none-any.whl"); n != 0 {
		t.Errorf("the denied file was fetched from upstream %d times", n)
	}
}

func TestPipSdistOnlyNeverBuilds(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	canary := filepath.Join(t.TempDir(), "canary")
	fx.up.Add(testpypi.Project{Name: "srconly", Dists: []testpypi.Dist{
		testpypi.Sdist{Name: "srconly", Version: "1.0", Canary: canary}.Dist(),
		testpypi.Sdist{Name: "srconly", Version: "1.1", Canary: canary, NoPyproject: true, Zip: true}.Dist(),
	}})
	_, out, err := fx.pipInstall(t, "--no-build-isolation", "srconly")
	if err == nil {
		t.Fatalf("pip installed an sdist-only project:\n%s", out)
	}
	if !strings.Contains(out, "No matching distribution found for srconly") {
		t.Errorf("pip output:\n%s", out)
	}
	if exists(canary) {
		t.Error("setup.py ran: the canary file exists")
	}
	// The file URL, asked for directly, is refused with the reason.
	sum := fx.up.SHA256("srconly-1.0.tar.gz")
	resp, body := fetch(t, "GET", fx.URL()+"srconly/"+sum+"/srconly-1.0.tar.gz")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Status, "source distribution") || !strings.Contains(body, "only wheels") {
		t.Errorf("direct sdist request: %s\n%s", resp.Status, body)
	}
	if n := fx.up.FileRequests("srconly-1.0.tar.gz"); n != 0 {
		t.Errorf("the sdist was fetched from upstream %d times", n)
	}
}

func TestPipVulnerablePinRefused(t *testing.T) {
	judge := tableJudge{versions: map[string]string{"reqlib 2.25.0": "reqlib 2.25.0 is affected by PYSEC-2023-74; use reqlib>=2.31.0"}}
	fx := newFixture(t, fixtureOpts{judge: Filters{}.Wrap(judge)})
	fx.up.AddWheels(testpypi.Wheel{Name: "reqlib", Version: "2.25.0"}, testpypi.Wheel{Name: "reqlib", Version: "2.31.0"})
	_, out, err := fx.pipInstall(t, "reqlib==2.25.0")
	if err == nil {
		t.Fatalf("pip installed the vulnerable pin:\n%s", out)
	}
	if !strings.Contains(out, "from versions: 2.31.0") {
		t.Errorf("pip output:\n%s", out)
	}
	v, out, err := fx.pipInstall(t, "reqlib")
	if err != nil {
		t.Fatalf("pip install reqlib: %v\n%s", err, out)
	}
	if got, _ := v.Run(pipCtx(t), "import reqlib; print(reqlib.__version__)"); strings.TrimSpace(got) != "2.31.0" {
		t.Errorf("installed %q", got)
	}
	// The JSON page says why 2.25.0 is missing.
	_, body := fetch(t, "GET", fx.URL()+"reqlib/", "Accept", "application/vnd.pypi.simple.v1+json")
	if !strings.Contains(body, `"_airlock":{"hidden":[{"filename":"reqlib-2.25.0-py3-none-any.whl","rule":"vulnerable","reason":"reqlib 2.25.0 is affected by PYSEC-2023-74; use reqlib>=2.31.0"}]}`) {
		t.Errorf("JSON page:\n%s", body)
	}
}

func TestPipTamperedFileRefused(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(testpypi.Wheel{Name: "victim", Version: "1.0"})
	evil, _ := testpypi.Wheel{Name: "victim", Version: "1.0", Files: map[string]string{"victim/__init__.py": "import os; os.system('id')\n"}}.Build()
	fx.up.Replace("victim-1.0-py3-none-any.whl", evil)
	_, out, err := fx.pipInstall(t, "victim")
	if err == nil {
		t.Fatalf("pip installed a tampered file:\n%s", out)
	}
	if !strings.Contains(out, "HTTP error 502 Server Error: airlock: upstream file does not match its published sha256; refused") {
		t.Errorf("pip output:\n%s", out)
	}
	if bytes, files := fx.cache.Size(); files != 0 {
		t.Errorf("the cache holds %d files (%d bytes) after a mismatch", files, bytes)
	}
}

func TestPipUpstreamDown(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(testpypi.Wheel{Name: "app", Version: "1.0"})
	// The page is fetched (and cached) while the upstream works; then the
	// upstream fails and the file download fails closed, with a reason
	// pip prints.
	if resp, _ := fetch(t, "GET", fx.URL()+"app/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("page: %s", resp.Status)
	}
	fx.up.SetFailure(testpypi.Unavailable)
	_, out, err := fx.pipInstall(t, "app")
	if err == nil {
		t.Fatalf("pip install succeeded with the upstream down:\n%s", out)
	}
	if !strings.Contains(out, "HTTP error 502 Server Error: airlock: upstream index answered HTTP 503 (failing closed)") {
		t.Errorf("pip output:\n%s", out)
	}
}

func TestPipOfflineServesCache(t *testing.T) {
	online := newFixture(t, fixtureOpts{})
	online.up.AddWheels(testpypi.Wheel{Name: "app", Version: "1.0", Deps: []string{"lib"}}, testpypi.Wheel{Name: "lib", Version: "1.0"},
		testpypi.Wheel{Name: "other", Version: "1.0"})
	if _, out, err := online.pipInstall(t, "app"); err != nil {
		t.Fatalf("online install: %v\n%s", err, out)
	}
	online.proxy.Close()
	online.cache.Close()
	online.up.Close() // nothing answers upstream any more

	offline := newFixture(t, fixtureOpts{offline: true, cacheDir: online.cacheDir, up: online.up})
	v, out, err := offline.pipInstall(t, "app")
	if err != nil {
		t.Fatalf("offline install of a cached project: %v\n%s", err, out)
	}
	if got, _ := v.Run(pipCtx(t), "import app, lib; print('ok')"); strings.TrimSpace(got) != "ok" {
		t.Errorf("import after offline install: %q", got)
	}
	resp, _ := fetch(t, "GET", offline.URL()+"other/")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(resp.Status, "offline") {
		t.Errorf("offline, uncached project: %s", resp.Status)
	}
}

func TestConcurrentRequestsFetchOnce(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	w := testpypi.Wheel{Name: "big", Version: "1.0", Files: map[string]string{"big/__init__.py": strings.Repeat("# padding\n", 200_000)}}
	fx.up.AddWheels(w)
	data, name := w.Build()
	url := fx.URL() + "big/" + fx.up.SHA256(name) + "/" + name
	const clients = 50
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	for range clients {
		wg.Go(func() {
			resp, err := http.Get(url)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(b, data) {
				errs <- resp.Status
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a client failed: %s", e)
	}
	if n := fx.up.FileRequests(name); n != 1 {
		t.Errorf("upstream file requests = %d, want 1", n)
	}
	if n := fx.up.Requests("/simple/big/"); n != 1 {
		t.Errorf("upstream page requests = %d, want 1", n)
	}
}
