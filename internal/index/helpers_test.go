package index

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// tableJudge denies the projects and project versions in its tables. Keys
// of versions are "<project> <version>".
type tableJudge struct {
	projects map[string]string
	versions map[string]string
}

func (j tableJudge) Project(name string) Verdict {
	if reason, ok := j.projects[name]; ok {
		return Deny("denied", reason)
	}
	return Allowed
}

func (j tableJudge) File(f File) Verdict {
	if reason, ok := j.versions[f.Project+" "+f.Version]; ok {
		return Deny("vulnerable", reason)
	}
	return Allowed
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is an upstream, a cache and a proxy in front of them.
type fixture struct {
	up       *testpypi.Server
	cacheDir string
	cache    *cache.Store
	handler  *Handler
	proxy    *httptest.Server
	clock    *fakeClock
}

type fixtureOpts struct {
	judge    Judge
	offline  bool
	cacheDir string
	up       *testpypi.Server
	client   ClientOptions
	internal map[string]*Client
	cacheOpt cache.Options
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	fx := &fixture{up: o.up, cacheDir: o.cacheDir, clock: newClock()}
	if fx.up == nil {
		fx.up = testpypi.New(t)
	}
	if fx.cacheDir == "" {
		fx.cacheDir = t.TempDir()
	}
	var err error
	fx.cache, err = cache.Open(fx.cacheDir, o.cacheOpt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.cache.Close() })
	var ups *Upstreams
	if !o.offline {
		c, err := NewClient(fx.up.URL(), o.client)
		if err != nil {
			t.Fatal(err)
		}
		ups = &Upstreams{Default: c, Internal: o.internal}
	}
	fx.handler, err = New(Options{
		Upstreams: ups, Judge: o.judge, Cache: fx.cache, Offline: o.offline, Now: fx.clock.Now,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.proxy = httptest.NewServer(fx.handler)
	t.Cleanup(fx.proxy.Close)
	return fx
}

func (fx *fixture) URL() string { return fx.proxy.URL + "/simple/" }

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fetch does one request without following redirects and returns the
// response with its body read.
func fetch(t *testing.T, method, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// pipCtx bounds one pip run.
func pipCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pip runs pip install through the proxy into a fresh venv.
func (fx *fixture) pipInstall(t *testing.T, args ...string) (*testpypi.Venv, string, error) {
	t.Helper()
	v := testpypi.NewVenv(t)
	out, err := v.Pip(pipCtx(t), append([]string{"install", "--index-url", fx.URL(), "--retries", "0", "--timeout", "30"}, args...)...)
	return v, out, err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
