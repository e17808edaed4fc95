package server_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/sandbox"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// withEnvironments gives the server environments, the bubblewrap sandbox
// and, when up is set, the vetted install from that upstream.
func withEnvironments(t *testing.T, up *testpypi.Server) serverOpt {
	t.Helper()
	data := testpypi.ShortDir(t)
	mgr, err := env.NewManager(filepath.Join(data, "envs"))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := sandbox.NewBwrap(context.Background(), sandbox.Options{StateDir: filepath.Join(data, "state"), TempDir: testpypi.ShortDir(t)})
	if err != nil {
		t.Fatalf("NewBwrap: %v", err)
	}
	return func(o *server.Options) {
		o.Environments, o.Runner, o.RunTempDir = mgr, runner, testpypi.ShortDir(t)
		if up != nil {
			c, err := cache.Open(filepath.Join(data, "cache"), cache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			cl, err := index.NewClient(up.URL(), index.ClientOptions{})
			if err != nil {
				t.Fatal(err)
			}
			o.Install = &env.Options{Upstreams: &index.Upstreams{Default: cl}, Cache: c}
		}
	}
}

type runAnswer struct {
	Result struct {
		ExitCode int    `json:"exit_code"`
		Reason   string `json:"reason"`
		Stdout   string `json:"stdout"`
		Stderr   string `json:"stderr"`
	} `json:"result"`
	Explanation string `json:"explanation"`
	Files       []struct {
		Path          string  `json:"path"`
		Content       *string `json:"content"`
		ContentBase64 *string `json:"content_base64"`
		Size          int64   `json:"size"`
	} `json:"files"`
}

func TestEnvironmentsAndRun(t *testing.T) {
	testpypi.NeedSandbox(t)
	ts := newTestServer(t, withEnvironments(t, nil))
	inst := ts.token("installer", store.Scopes(store.ScopeInstall), time.Time{})
	runner := ts.token("runner", store.Scopes(store.ScopeRun), time.Time{})

	r := do(t, "POST", ts.url+"/v1/environments", inst, map[string]any{"name": "job-1"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "/tmp/") {
		t.Errorf("the answer shows a host path: %s", r.body)
	}
	for _, c := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{"name": "job-1"}, 409},
		{map[string]any{"name": "../x"}, 400},
		{map[string]any{"name": "job-2", "python": "/root/python3"}, 400},
	} {
		if r := do(t, "POST", ts.url+"/v1/environments", inst, c.body); r.status != c.status {
			t.Errorf("create %v: %d, want %d: %s", c.body, r.status, c.status, r.body)
		}
	}
	if r := do(t, "POST", ts.url+"/v1/environments", runner, map[string]any{"name": "job-3"}); r.status != 403 {
		t.Errorf("create with the run scope: %d", r.status)
	}
	var list struct {
		Environments []struct {
			Name     string            `json:"name"`
			Packages []json.RawMessage `json:"packages"`
		} `json:"environments"`
	}
	do(t, "GET", ts.url+"/v1/environments", runner, nil).json(t, &list)
	if len(list.Environments) != 1 || list.Environments[0].Name != "job-1" || list.Environments[0].Packages == nil {
		t.Errorf("list: %+v", list)
	}

	run := func(body map[string]any) (runAnswer, response) {
		t.Helper()
		r := do(t, "POST", ts.url+"/v1/environments/job-1/run", runner, body)
		var a runAnswer
		if r.status == 200 {
			r.json(t, &a)
		}
		return a, r
	}
	script := `import os, sys
print("hello from", sys.prefix)
open("out.txt", "w").write("result")
os.makedirs("pkg", exist_ok=True)
open("pkg/data.bin", "wb").write(bytes(range(256)))
os.symlink("/etc/passwd", "link")
sys.exit(3)
`
	a, r := run(map[string]any{
		"command":      []string{"python", "main.py"},
		"files":        []map[string]any{{"path": "main.py", "content": script}},
		"limits":       map[string]any{"timeout_seconds": 60, "memory": "256MiB"},
		"return_files": true,
	})
	if r.status != 200 {
		t.Fatalf("run: %d %s", r.status, r.body)
	}
	if a.Result.ExitCode != 3 || !strings.Contains(a.Result.Stdout, "hello from") || !strings.Contains(a.Result.Stdout, "envs/job-1") {
		t.Errorf("result %+v", a.Result)
	}
	got := map[string]string{}
	for _, f := range a.Files {
		switch {
		case f.Content != nil:
			got[f.Path] = *f.Content
		case f.ContentBase64 != nil:
			got[f.Path] = "base64:" + strconv.Itoa(len(*f.ContentBase64))
		}
	}
	if len(got) != 2 || got["out.txt"] != "result" || got["pkg/data.bin"] != "base64:344" {
		t.Errorf("files %v (want out.txt and pkg/data.bin; not the unchanged main.py, not the link)", got)
	}

	a, r = run(map[string]any{"command": []string{"python", "-c", "import time; time.sleep(60)"}, "limits": map[string]any{"timeout_seconds": 1}})
	if r.status != 200 || a.Result.Reason != "timeout" || a.Explanation == "" {
		t.Errorf("timeout: %d %+v %q", r.status, a.Result, a.Explanation)
	}
	a, r = run(map[string]any{"command": []string{"cat"}, "stdin": "piped"})
	if r.status != 200 || a.Result.Stdout != "piped" {
		t.Errorf("stdin: %d %+v", r.status, a.Result)
	}
	for _, body := range []map[string]any{
		{"command": []string{}},
		{"command": []string{"python"}, "files": []map[string]any{{"path": "../escape.py", "content": "x"}}},
		{"command": []string{"python"}, "files": []map[string]any{{"path": "/abs.py", "content": "x"}}},
		{"command": []string{"python"}, "files": []map[string]any{{"path": "a.py"}}},
		{"command": []string{"python"}, "limits": map[string]any{"memory": "100GiB"}},
		{"command": []string{"python"}, "limits": map[string]any{"timeout_seconds": 86400}},
		{"command": []string{"python"}, "env": map[string]any{"PATH": "/tmp"}},
		{"command": []string{"python"}, "limits": map[string]any{"memory": "lots"}},
	} {
		if _, r := run(body); r.status != 400 {
			t.Errorf("run %v: %d, want 400: %s", body, r.status, r.body)
		}
	}
	if r := do(t, "POST", ts.url+"/v1/environments/nope/run", runner, map[string]any{"command": []string{"true"}}); r.status != 404 {
		t.Errorf("run in a missing environment: %d", r.status)
	}
	if r := do(t, "POST", ts.url+"/v1/environments/job-1/run", inst, map[string]any{"command": []string{"true"}}); r.status != 403 {
		t.Errorf("run with the install scope: %d", r.status)
	}

	evs := events(t, ts.url, ts.admin, "action=run")
	if len(evs) != 3 || evs[len(evs)-1].Subject != "python main.py" || evs[len(evs)-1].Actor != "runner" ||
		!strings.Contains(string(evs[len(evs)-1].Extra), `"exit_code":3`) {
		t.Errorf("run events: %+v", evs)
	}
	if r := do(t, "DELETE", ts.url+"/v1/environments/job-1", inst, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", ts.url+"/v1/environments/job-1", inst, nil); r.status != 404 {
		t.Errorf("after delete: %d", r.status)
	}
	for _, a := range []string{"environment-create", "environment-delete"} {
		if evs := events(t, ts.url, ts.admin, "action="+a); len(evs) != 1 || evs[0].Subject != "job-1" {
			t.Errorf("%s events: %+v", a, evs)
		}
	}
	if _, err := ts.st.Environment(t.Context(), "job-1"); err == nil {
		t.Errorf("the store still has the environment's record")
	}
}

// blockingRunner is a sandbox.Runner whose runs wait until released: it
// makes concurrency observable without timing.
type blockingRunner struct {
	started chan struct{}
	release chan struct{}
}

func (b *blockingRunner) Run(ctx context.Context, spec sandbox.Spec) (sandbox.Result, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return sandbox.Result{Reason: sandbox.Exited}, nil
}

func TestRunConcurrencyLimit(t *testing.T) {
	dir := testpypi.ShortDir(t)
	mgr, err := env.NewManager(filepath.Join(dir, "envs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Create(t.Context(), "job", env.CreateOptions{}); err != nil {
		t.Skipf("cannot make an environment here: %v", err)
	}
	br := &blockingRunner{started: make(chan struct{}, 8), release: make(chan struct{})}
	ts := newTestServer(t, withLimits(server.Limits{Rate: -1, RunsPerToken: 1, MaxRuns: 2}), func(o *server.Options) {
		o.Environments, o.Runner, o.RunTempDir = mgr, br, dir
	})
	a := ts.token("agent-a", store.Scopes(store.ScopeRun), time.Time{})
	b := ts.token("agent-b", store.Scopes(store.ScopeRun), time.Time{})
	c := ts.token("agent-c", store.Scopes(store.ScopeRun), time.Time{})
	body := map[string]any{"command": []string{"true"}}
	var wg sync.WaitGroup
	results := make(chan int, 2)
	for _, tok := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- do(t, "POST", ts.url+"/v1/environments/job/run", tok, body).status
		}()
		<-br.started
	}
	// agent-a is at its limit: 429; agent-c is within its own, but the
	// server's two runs are taken: 503. Both say when to retry.
	r := do(t, "POST", ts.url+"/v1/environments/job/run", a, body)
	if code, _, _ := r.apiErr(t); r.status != 429 || code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("agent-a's second run: %d %s", r.status, r.body)
	}
	r = do(t, "POST", ts.url+"/v1/environments/job/run", c, body)
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Errorf("agent-c's run at the server's limit: %d %s", r.status, r.body)
	}
	close(br.release)
	wg.Wait()
	close(results)
	for s := range results {
		if s != 200 {
			t.Errorf("a blocked run answered %d", s)
		}
	}
	// The slots are free again.
	br.release = make(chan struct{})
	close(br.release)
	if r := do(t, "POST", ts.url+"/v1/environments/job/run", a, body); r.status != 200 {
		t.Errorf("after the runs ended: %d %s", r.status, r.body)
	}
}

func TestInstall(t *testing.T) {
	testpypi.NeedSandbox(t)
	up := testpypi.New(t)
	up.AddWheels(
		testpypi.Wheel{Name: "app", Version: "1.0", Deps: []string{"lib>=2"}},
		testpypi.Wheel{Name: "lib", Version: "2.1"},
	)
	ts := newTestServer(t, withEnvironments(t, up), withPolicy(t, "version: 1\nrules:\n  typosquat: review\n"))
	agent := ts.token("agent", store.Scopes(store.ScopeInstall|store.ScopeRun), time.Time{})
	if r := do(t, "POST", ts.url+"/v1/environments", agent, map[string]any{"name": "job"}); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var res env.Result
	r := do(t, "POST", ts.url+"/v1/environments/job/install", agent, map[string]any{"requirements": []string{"app==1.0"}})
	if r.status != 200 {
		t.Fatalf("install: %d %s", r.status, r.body)
	}
	r.json(t, &res)
	var names []string
	for _, p := range res.Installed {
		names = append(names, p.Name+" "+p.Version)
	}
	if res.Outcome != env.Installed || strings.Join(names, ", ") != "app 1.0, lib 2.1" {
		t.Fatalf("outcome %s, installed %v: %s", res.Outcome, names, r.body)
	}
	var a runAnswer
	do(t, "POST", ts.url+"/v1/environments/job/run", agent, map[string]any{"command": []string{"python", "-c", "import app, lib; print(lib.__version__)"}}).json(t, &a)
	if a.Result.ExitCode != 0 || strings.TrimSpace(a.Result.Stdout) != "2.1" {
		t.Errorf("import after install: %+v", a.Result)
	}
	var view struct {
		Packages []env.Package `json:"packages"`
	}
	do(t, "GET", ts.url+"/v1/environments/job", agent, nil).json(t, &view)
	if len(view.Packages) != 2 {
		t.Errorf("lock: %+v", view.Packages)
	}
	rec, err := ts.st.Environment(t.Context(), "job")
	if err != nil || !strings.Contains(string(rec.Lock), `"lib"`) {
		t.Errorf("the store's record of the environment: %v %s", err, rec.Lock)
	}

	// A direct URL is refused at the check, before pip runs.
	res = env.Result{}
	r = do(t, "POST", ts.url+"/v1/environments/job/install", agent, map[string]any{"text": "app @ https://example.com/app-1.0-py3-none-any.whl\n"})
	r.json(t, &res)
	if r.status != 200 || res.Outcome != env.Denied {
		t.Errorf("direct URL install: %d %s", r.status, r.body)
	}
	// A typosquat needs a review under this policy: the install opens one.
	res = env.Result{}
	r = do(t, "POST", ts.url+"/v1/environments/job/install", agent, map[string]any{"requirements": []string{"reqeusts==2.31.0"}})
	r.json(t, &res)
	id := r.header.Get("Airlock-Reviews")
	if r.status != 200 || res.Outcome != env.Review || id == "" || !strings.Contains(strings.Join(res.Notes, "\n"), "review "+id+" is pending") {
		t.Errorf("typosquat install: %d, reviews %q: %s", r.status, id, r.body)
	}
	var rev store.Review
	do(t, "GET", ts.url+"/v1/reviews/"+id, ts.admin, nil).json(t, &rev)
	if rev.State != store.ReviewPending || rev.Requester != "agent" || !strings.Contains(string(rev.Findings), `"stage":"install"`) ||
		!strings.Contains(string(rev.Findings), `"environment":"job"`) || rev.EventID == 0 {
		t.Errorf("review %+v %s", rev, rev.Findings)
	}
	if r := do(t, "POST", ts.url+"/v1/environments/nope/install", agent, map[string]any{"requirements": []string{"app"}}); r.status != 404 {
		t.Errorf("install into a missing environment: %d", r.status)
	}
	evs := events(t, ts.url, ts.admin, "action=install")
	if len(evs) != 3 || evs[0].Decision != store.DecisionReview || evs[0].ID != rev.EventID || evs[1].Decision != store.DecisionDeny ||
		evs[2].Decision != store.DecisionAllow || evs[2].Actor != "agent" || evs[2].Subject != "app==1.0" ||
		!strings.Contains(string(evs[2].Extra), `"outcome":"installed"`) || evs[2].RequestID == "" {
		t.Errorf("install events: %+v", evs)
	}
}

// TestRunScanBeforeRun: with the policy's scan.before_run, code that
// installs packages at run time is refused before it runs (422, recorded),
// and clean code runs.
func TestRunScanBeforeRun(t *testing.T) {
	dir := testpypi.ShortDir(t)
	mgr, err := env.NewManager(filepath.Join(dir, "envs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Create(t.Context(), "job", env.CreateOptions{}); err != nil {
		t.Skipf("cannot make an environment here: %v", err)
	}
	br := &blockingRunner{started: make(chan struct{}, 8), release: make(chan struct{})}
	close(br.release)
	ts := newTestServer(t, withPolicy(t, "version: 1\nscan:\n  before_run: true\n"), func(o *server.Options) {
		o.Environments, o.Runner, o.RunTempDir = mgr, br, dir
	})
	installer := "import subprocess\nsubprocess.run([\"pip\", \"install\", \"evil\"])\n"
	for _, body := range []map[string]any{
		{"command": []string{"python", "main.py"}, "files": []map[string]any{{"path": "main.py", "content": installer}}},
		{"command": []string{"python", "-c", `import os; os.system("pip install evil")`}},
		// However -c is written, and whatever the script's name.
		{"command": []string{"python", `-cimport os; os.system("pip install evil")`}},
		{"command": []string{"python3", "-Ic", `import os; os.system("pip install evil")`}},
		{"command": []string{"python", "-u", "job"}, "files": []map[string]any{{"path": "job", "content": installer}}},
	} {
		r := do(t, "POST", ts.url+"/v1/environments/job/run", ts.admin, body)
		code, msg, _ := r.apiErr(t)
		if r.status != 422 || code != "run_refused" || !strings.Contains(msg, "AL101") {
			t.Errorf("run %v: %d %s %q", body["command"], r.status, code, msg)
		}
	}
	if len(br.started) != 0 {
		t.Errorf("refused code ran")
	}
	evs := events(t, ts.url, ts.admin, "action=run&decision=deny")
	if len(evs) != 5 || !strings.Contains(string(evs[0].Findings), "AL101") {
		t.Errorf("refusals in the log: %+v", evs)
	}
	r := do(t, "POST", ts.url+"/v1/environments/job/run", ts.admin, map[string]any{
		"command": []string{"python", "main.py"}, "files": []map[string]any{{"path": "main.py", "content": "print('hello')\n"}}})
	if r.status != 200 || len(br.started) != 1 {
		t.Errorf("clean code: %d %s", r.status, r.body)
	}
}
