package env

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
	"github.com/airlock-dev/airlock/internal/sandbox"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// fixture is one test's world: a test upstream, an artifact cache, a
// sandbox runner, an environment manager in a private data directory, a
// policy (the default one with the advisory fixtures in testdata), and an
// installer over all of them.
type fixture struct {
	t      *testing.T
	up     *testpypi.Server
	data   string
	cache  *cache.Store
	runner sandbox.Runner
	mgr    *Manager
	pol    *policy.Policy
	in     *Installer
	audit  *FileAuditor

	mu       sync.Mutex
	progress []string
}

type fixtureOpts struct {
	// policy is a policy file; "" means the default policy.
	policy string
	// judge is the proxy's judge while resolving; nil means the policy's
	// (as airlock install has it), unless filtersOnly asks for the
	// built-in filters alone.
	judge       index.Judge
	filtersOnly bool
}

// reachableTempDir returns a fresh directory the sandbox user (65534 when
// the tests run as root) can traverse.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for _, p := range []string{d, filepath.Dir(d)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	testpypi.NeedSandbox(t)
	fx := &fixture{t: t, up: testpypi.New(t), data: reachableTempDir(t)}
	var err error
	fx.cache, err = cache.Open(filepath.Join(fx.data, "cache"), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.cache.Close() })
	fx.runner, err = sandbox.NewBwrap(context.Background(), sandbox.Options{
		StateDir: filepath.Join(fx.data, "sandbox-state"),
		TempDir:  testpypi.ShortDir(t),
	})
	if err != nil {
		t.Fatalf("NewBwrap: %v", err)
	}
	fx.mgr, err = NewManager(filepath.Join(fx.data, "envs"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := policy.Default()
	if o.policy != "" {
		if cfg, err = policy.Parse("policy.yaml", []byte(o.policy)); err != nil {
			t.Fatalf("policy: %v", err)
		}
	}
	adv, err := advisory.LoadFS(os.DirFS("testdata/advisories"))
	if err != nil {
		t.Fatal(err)
	}
	fx.pol, err = policy.New(cfg, policy.Data{Advisories: adv})
	if err != nil {
		t.Fatal(err)
	}
	client, err := index.NewClient(fx.up.URL(), index.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	judge := o.judge
	if judge == nil && !o.filtersOnly {
		judge = index.Filters{AllowSdists: true, AllowYanked: true}.Wrap(index.PolicyJudge(fx.pol))
	}
	insp, err := PackageInspection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fx.audit = NewFileAuditor(filepath.Join(fx.data, "audit.jsonl"))
	fx.in, err = NewInstaller(context.Background(), Options{
		Runner:    fx.runner,
		Upstreams: &index.Upstreams{Default: client},
		Cache:     fx.cache,
		Judge:     judge,
		Policy:    fx.pol,
		Inspect:   insp,
		Audit:     fx.audit,
		Logger:    slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Progress: func(msg string) {
			fx.mu.Lock()
			fx.progress = append(fx.progress, msg)
			fx.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// ctx bounds one test's pip runs.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// create makes an environment.
func (fx *fixture) create(name string) *Env {
	fx.t.Helper()
	e, err := fx.mgr.Create(testCtx(fx.t), name, CreateOptions{})
	if err != nil {
		fx.t.Fatalf("Create(%s): %v", name, err)
	}
	return e
}

// install installs command-line requirements into e.
func (fx *fixture) install(e *Env, reqs ...string) *Result {
	fx.t.Helper()
	argv := append([]string{"pip", "install"}, reqs...)
	entries, err := reqfile.ParseCommandLine(argv, nil)
	if err != nil {
		fx.t.Fatalf("ParseCommandLine(%q): %v", argv, err)
	}
	res, err := fx.in.Install(testCtx(fx.t), e, Request{Inputs: []policy.Input{{Entries: entries}}, Actor: "test"})
	if err != nil {
		fx.t.Fatalf("Install(%q): %v", reqs, err)
	}
	return res
}

// mustInstall installs and fails the test unless the outcome is Installed.
func (fx *fixture) mustInstall(e *Env, reqs ...string) *Result {
	fx.t.Helper()
	res := fx.install(e, reqs...)
	if res.Outcome != Installed {
		fx.t.Fatalf("install %q: outcome %s, want installed\n%s", reqs, res.Outcome, describe(res))
	}
	return res
}

// describe renders a result for failure messages.
func describe(r *Result) string {
	var b strings.Builder
	b.WriteString("outcome " + string(r.Outcome) + "\n")
	if r.Error != "" {
		b.WriteString("error: " + r.Error + "\n")
	}
	for _, f := range r.Findings() {
		b.WriteString("finding: " + string(f.Rule) + ": " + f.Message + " path=" + strings.Join(f.Path, " → ") + "\n")
	}
	for _, rr := range r.Releases {
		b.WriteString("release: " + rr.Name + " " + rr.Version + " " + rr.Decision.Action.String() + "\n")
	}
	return b.String()
}

// treeHash returns the environment directory's tree hash, leaving out the
// flock file (which an install may create).
func treeHash(t *testing.T, e *Env) string {
	t.Helper()
	h, err := TreeHash(filepath.Join(e.Dir(), currentDir))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// python runs code with e's interpreter in a sandbox with the venv mounted
// read-only, as `airlock run --env` does.
func (fx *fixture) python(e *Env, code string) sandbox.Result {
	fx.t.Helper()
	res, err := fx.runner.Run(testCtx(fx.t), sandbox.Spec{
		Argv:       []string{"python", "-c", code},
		PathPrefix: []string{e.BinDir()},
		Binds:      []sandbox.Bind{{Src: e.Venv(), Dst: e.Venv()}},
	})
	if err != nil {
		fx.t.Fatalf("run: %v", err)
	}
	return res
}
