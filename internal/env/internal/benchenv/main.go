// Command benchenv measures the vetted install for scripts/bench/env.sh:
// a warm-cache `airlock install` of a 20-wheel closure built by the test
// upstream (package testpypi), against a raw `pip install --no-index
// --find-links` of the same wheels into an empty venv, and the creation of
// an environment. It prints medians and whether the goals are met (install
// at most 1.5 times raw pip; creation under a second).
//
//	go build -o benchenv ./internal/env/internal/benchenv && ./benchenv -runs 5
//
// The binary is also the proxy forwarder inside the resolve sandbox, as
// airlock's own binary is.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
	"github.com/airlock-dev/airlock/internal/sandbox"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == sandbox.ForwardCommand {
		os.Exit(sandbox.ForwardMain(os.Args[2:]))
	}
	runs := flag.Int("runs", 7, "measured runs of each kind")
	out := flag.String("out", "", "also write the figures to this file")
	flag.Parse()
	if err := run(*runs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchenv:", err)
		os.Exit(1)
	}
}

// closure returns the 20 wheels: bench-app needs ten libraries, which
// need the other nine, in chains and diamonds. Each wheel holds a package
// of a dozen modules, a few kilobytes of Python, like a small library.
func closure() []testpypi.Wheel {
	var ws []testpypi.Wheel
	mod := func(name string) map[string]string {
		pkg := strings.ReplaceAll(name, "-", "_")
		files := map[string]string{pkg + "/__init__.py": "__version__ = '1.0'\n"}
		for i := range 12 {
			var b strings.Builder
			for j := range 20 {
				fmt.Fprintf(&b, "def f%d_%d(x):\n    return x * %d + %d\n\n", i, j, i+1, j)
			}
			files[fmt.Sprintf("%s/m%02d.py", pkg, i)] = b.String()
		}
		return files
	}
	var appDeps []string
	for i := 1; i <= 10; i++ {
		appDeps = append(appDeps, fmt.Sprintf("bench-lib-%02d>=1", i))
	}
	ws = append(ws, testpypi.Wheel{Name: "bench-app", Version: "1.0", Deps: appDeps, Files: mod("bench-app")})
	for i := 1; i <= 10; i++ {
		deps := []string{fmt.Sprintf("bench-dep-%02d", 10+(i%9)+1-1)}
		if i < 10 {
			deps = append(deps, fmt.Sprintf("bench-lib-%02d", i+1))
		}
		name := fmt.Sprintf("bench-lib-%02d", i)
		ws = append(ws, testpypi.Wheel{Name: name, Version: "1.0", Deps: deps, Files: mod(name)})
	}
	for i := 10; i <= 18; i++ {
		name := fmt.Sprintf("bench-dep-%02d", i)
		ws = append(ws, testpypi.Wheel{Name: name, Version: "1.0", Files: mod(name)})
	}
	return ws
}

func run(runs int, outFile string) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "airlock-benchenv-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	srv := testpypi.Start()
	defer srv.Close()
	wheels := closure()
	srv.AddWheels(wheels...)
	if len(wheels) != 20 {
		return fmt.Errorf("closure has %d wheels, want 20", len(wheels))
	}

	// Raw pip: the same wheels from a local directory into an empty venv,
	// on the host, nothing checked.
	wheelDir := filepath.Join(tmp, "wheels")
	if err := os.Mkdir(wheelDir, 0o755); err != nil {
		return err
	}
	for _, w := range wheels {
		data, name := w.Build()
		if err := os.WriteFile(filepath.Join(wheelDir, name), data, 0o644); err != nil {
			return err
		}
	}
	rawRun := func(i int) (time.Duration, error) {
		venv := filepath.Join(tmp, fmt.Sprintf("raw-%d", i))
		if out, err := exec.Command(testpypi.SystemPython, "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("venv: %v: %s", err, out)
		}
		cmd := exec.Command(testpypi.SystemPython, "-m", "pip", "--python", filepath.Join(venv, "bin", "python"),
			"install", "--no-index", "--find-links", wheelDir, "--quiet", "bench-app")
		cmd.Env = testpypi.PipEnv()
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("raw pip: %v: %s", err, out)
		}
		return time.Since(start), nil
	}

	// airlock install, warm cache: pages and files are in the artifact
	// cache after a first install; every measured run installs into a
	// fresh environment.
	data := filepath.Join(tmp, "data")
	store, err := cache.Open(filepath.Join(data, "cache", "index"), cache.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	runner, err := sandbox.NewBwrap(ctx, sandbox.Options{StateDir: filepath.Join(data, "sandbox", "runs")})
	if err != nil {
		return err
	}
	mgr, err := env.NewManager(filepath.Join(data, "envs"))
	if err != nil {
		return err
	}
	pol, err := policy.New(policy.Default(), policy.Data{})
	if err != nil {
		return err
	}
	client, err := index.NewClient(srv.URL(), index.ClientOptions{})
	if err != nil {
		return err
	}
	steps := &stepClock{}
	inst, err := env.NewInstaller(ctx, env.Options{
		Runner: runner, Upstreams: &index.Upstreams{Default: client}, Cache: store, Policy: pol,
		Judge:    index.Filters{AllowSdists: true, AllowYanked: true}.Wrap(index.PolicyJudge(pol)), // as airlock install has it
		Audit:    env.NewFileAuditor(filepath.Join(data, "audit", "install.jsonl")),
		Progress: steps.mark, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	entries, err := reqfile.ParseCommandLine([]string{"pip", "install", "bench-app"}, nil)
	if err != nil {
		return err
	}
	req := env.Request{Inputs: []policy.Input{{Entries: entries}}, Actor: "bench"}
	var raw, create, install []time.Duration
	stepTimes := map[string][]time.Duration{}
	// Runs alternate between raw pip and airlock, so that the machine's
	// load drifts over both alike; run 0 of each warms the caches (the
	// file system's, and airlock's artifact cache).
	for i := range runs + 1 {
		r, err := rawRun(i)
		if err != nil {
			return err
		}
		start := time.Now()
		e, err := mgr.Create(ctx, fmt.Sprintf("run-%d", i), env.CreateOptions{})
		if err != nil {
			return err
		}
		created := time.Since(start)
		steps.reset()
		start = time.Now()
		res, err := inst.Install(ctx, e, req)
		if err != nil {
			return err
		}
		took := time.Since(start)
		if res.Outcome != env.Installed || len(res.Installed) != 20 {
			return fmt.Errorf("install: outcome %s, %d installed: %s", res.Outcome, len(res.Installed), res.Error)
		}
		if i == 0 {
			continue
		}
		raw = append(raw, r)
		create = append(create, created)
		install = append(install, took)
		for k, v := range steps.durations(start.Add(took)) {
			stepTimes[k] = append(stepTimes[k], v)
		}
	}

	rawMed, instMed, createMed := median(raw), median(install), median(create)
	ratio := float64(instMed) / float64(rawMed)
	var b strings.Builder
	fmt.Fprintf(&b, "env bench (%s, %d cores, shared machine: figures are noisy; medians of %d runs)\n",
		time.Now().UTC().Format(time.RFC3339), numCPU(), runs)
	fmt.Fprintf(&b, "closure: 20 wheels built by testpypi, %d modules in all\n", 20*13)
	fmt.Fprintf(&b, "%-52s %8s\n", "raw pip install --no-index --find-links (host)", ms(rawMed))
	fmt.Fprintf(&b, "%-52s %8s\n", "airlock install, warm cache (sandboxed, vetted)", ms(instMed))
	for _, k := range steps.order() {
		fmt.Fprintf(&b, "  %-50s %8s\n", k, ms(median(stepTimes[k])))
	}
	fmt.Fprintf(&b, "ratio airlock/raw pip: %.2f (goal <= 1.5: %s)\n", ratio, verdict(ratio <= 1.5))
	fmt.Fprintf(&b, "%-52s %8s (goal < 1 s: %s)\n", "airlock env create", ms(createMed), verdict(createMed < time.Second))
	fmt.Print(b.String())
	if outFile != "" {
		return os.WriteFile(outFile, []byte(b.String()), 0o644)
	}
	return nil
}

// stepClock records when each progress line arrived, to split an install
// into its steps.
type stepClock struct {
	mu    sync.Mutex
	start time.Time
	marks []mark
	names []string
}

type mark struct {
	name string
	at   time.Time
}

func (s *stepClock) reset() {
	s.mu.Lock()
	s.start, s.marks = time.Now(), nil
	s.mu.Unlock()
}

// mark is the installer's Progress function.
func (s *stepClock) mark(msg string) {
	name := msg
	for _, step := range []struct{ prefix, name string }{
		{"resolving", "1-2. check, then resolve with pip in a sandbox"},
		{"fetching", "3-4. vet, fetch, verify and inspect"},
		{"installing", "5. install offline in a sandbox, pip check"},
	} {
		if strings.HasPrefix(msg, step.prefix) {
			name = step.name
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marks = append(s.marks, mark{name, time.Now()})
	if !slices.Contains(s.names, name) {
		s.names = append(s.names, name)
	}
}

// durations returns how long each step took, the last one until end (so
// it includes writing the lock and the swap); the first step starts with
// the install (so it includes the check).
func (s *stepClock) durations(end time.Time) map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Duration{}
	for i, m := range s.marks {
		from := m.at
		if i == 0 {
			from = s.start
		}
		to := end
		if i+1 < len(s.marks) {
			to = s.marks[i+1].at
		}
		out[m.name] += to.Sub(from)
	}
	return out
}

func (s *stepClock) order() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.names)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}
