package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// runFlags are the flags of airlock run.
type runFlags struct {
	timeout     time.Duration
	memory      sandbox.Bytes
	cpus        float64
	pids        int
	net         string
	proxyTarget string
	workdir     string
	driver      string
	runtime     string
	format      string
	unsafe      bool
	env         string
	policy      string
	advisories  []string
	upstream    string
}

// Defaults of airlock run that differ from the sandbox package's.
const (
	// defaultRunCPUs keeps one agent's run from taking the whole machine.
	defaultRunCPUs = 1.0
	// maxScriptSize bounds the FILE.py airlock run copies into a sandbox.
	maxScriptSize = 16 << 20
	// runPython is the interpreter FILE.py runs with: the system one under
	// /usr, which every sandbox mounts.
	runPython = "/usr/bin/python3"
)

func (a *app) runCommand() *cobra.Command {
	var f runFlags
	d := sandbox.DefaultLimits()
	cmd := &cobra.Command{
		Use:   "run [flags] (-- COMMAND [ARG...] | FILE.py)",
		Short: "Run a command or a Python file in a sandbox",
		Long: `Run a command, or a Python file with /usr/bin/python3, in a sandbox: new user,
mount, pid, ipc, uts, net and cgroup namespaces; a read-only root made of the
host's /usr and a few /etc files; a private /tmp; the work directory
read-write at /work (also the current directory); a cleared environment
(PATH, HOME=/tmp, LANG=C.UTF-8); never root. Limits: --timeout (wall clock),
--memory (RAM and /tmp, no swap), --cpus, --pids, and 1024 open files, 1GiB
files, 256MiB of /tmp and 16MiB of output per stream.

Without --workdir the command gets a fresh temporary directory, removed
afterwards. With --workdir DIR, files it creates belong to DIR's owner.
FILE.py is copied into the work directory unless it is already inside it.

The network is none by default: only the sandbox's own loopback. With
--net proxy, 127.0.0.1:3128 inside leads to airlock's own filtering package
index (the policy, --advisories and --upstream as for airlock proxy; served
in memory, with no port on the host), and pip and uv inside are pointed at
it (PIP_INDEX_URL, UV_DEFAULT_INDEX): the sandbox's only network exit is the
index. --proxy-target HOST:PORT forwards the port to another target instead.

Output is streamed and airlock exits with the command's exit code, 128+N
when signal N killed it (137 when a limit did; the reason is printed). With
--format json the output is captured and the result printed as JSON:
exit_code, signal, reason (exited, signaled, timeout, memory, pids, output,
killed), stdout, stderr, stdout_truncated, stderr_truncated, wall_ms,
cpu_ms, peak_memory_bytes; the exit code is the command's as well. When the
sandbox cannot be set up, airlock exits 4 and runs nothing.

When the policy (--policy, $AIRLOCK_POLICY) sets scan.before_run, the code
is scanned first (FILE.py, the script python is given whatever its name,
other Python files the command names, python -c code however it is
written): a deny finding refuses the run (exit 1), a review finding too
(exit 3), and code that cannot be read is not run (exit 4).

The default sandbox is bubblewrap (Debian package bubblewrap); --sandbox oci
uses an OCI runtime (--runtime runc, crun or runsc) and needs root. See
docs/sandbox.md.`,
		Example: `  airlock run -- /usr/bin/python3 -c 'print("hello")'
  airlock run --timeout 10s --memory 256MiB solution.py
  airlock run --workdir . --format json -- /usr/bin/python3 -m pytest -q`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRun(cmd.Context(), cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&f.timeout, "timeout", d.Wall, "wall-clock limit")
	f.memory = d.Memory
	fl.Var(&f.memory, "memory", "memory limit, /tmp included (e.g. 256MiB, 2GiB)")
	fl.Float64Var(&f.cpus, "cpus", defaultRunCPUs, "CPU limit in CPUs, e.g. 0.5 or 2; 0 for none")
	fl.IntVar(&f.pids, "pids", d.Pids, "limit on processes and threads")
	fl.StringVar(&f.net, "net", "none", "network: none, or proxy (127.0.0.1:3128 inside leads to airlock's package index, or to --proxy-target)")
	fl.StringVar(&f.proxyTarget, "proxy-target", "", "HOST:PORT that --net proxy forwards to instead of airlock's package index")
	fl.StringVar(&f.upstream, "upstream", "", "upstream index of --net proxy's package index (default $AIRLOCK_UPSTREAM or "+index.DefaultUpstream+")")
	fl.StringArrayVar(&f.advisories, "advisories", nil, "OSV records for --net proxy's package index instead of the local database (repeatable)")
	fl.StringVar(&f.workdir, "workdir", "", "directory mounted read-write as the work directory (default: a fresh temporary one)")
	fl.StringVar(&f.driver, "sandbox", "bwrap", "sandbox driver: bwrap or oci")
	fl.StringVar(&f.runtime, "runtime", "runc", "OCI runtime for --sandbox oci: runc, crun, runsc or a path")
	fl.StringVar(&f.format, "format", "text", "output: text (stream the output) or json (print the result)")
	fl.BoolVar(&f.unsafe, "unsafe-no-sandbox", false, "run on this machine without any isolation (only the limits on time and output apply)")
	fl.StringVar(&f.policy, "policy", "", "policy file: its scan section (before_run) decides whether the code is scanned first, and it judges --net proxy's package index (default $AIRLOCK_POLICY)")
	fl.StringVar(&f.env, "env", "", "use this environment (airlock env): its interpreter first on PATH, its venv mounted read-only")
	return cmd
}

// forwardCommand is the proxy forwarder that runs inside proxy-mode
// sandboxes, where airlock's binary is mounted read-only.
func (a *app) forwardCommand() *cobra.Command {
	return &cobra.Command{
		Use:                sandbox.ForwardCommand,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := sandbox.ForwardMain(args); code != 0 {
				return withCode(code, nil)
			}
			return nil
		},
	}
}

func (a *app) runRun(ctx context.Context, cmd *cobra.Command, f runFlags, args []string) error {
	spec, err := a.runSpec(cmd, f, args)
	if err != nil {
		return err
	}
	if err := a.scanBeforeRun(ctx, f.policy, &spec); err != nil {
		return err
	}
	if spec.Net.Mode == sandbox.NetProxy && spec.Net.Target == "" {
		stop, err := a.serveRunIndex(ctx, f, &spec)
		if err != nil {
			return err
		}
		defer stop()
	}
	runner, err := a.runner(ctx, f)
	if errors.Is(err, sandbox.ErrNoBwrap) {
		// Only airlock run has these choices (install and serve use bwrap).
		return withCode(ExitFailed, fmt.Errorf("%w; or use --sandbox oci (as root), or --unsafe-no-sandbox", err))
	}
	if err != nil {
		return err
	}
	asJSON := f.format == "json"
	if !asJSON {
		spec.Stdout, spec.Stderr = a.stdout, a.stderr
	}
	spec.Stdin = a.stdin
	res, err := runner.Run(ctx, spec)
	if errors.Is(err, sandbox.ErrSpec) {
		return usageError{err}
	}
	if err != nil {
		return withCode(ExitFailed, err)
	}
	if res.Reason == sandbox.Killed && ctx.Err() != nil {
		return withCode(ExitInterrupted, errors.New("interrupted; the sandbox was killed"))
	}
	if asJSON {
		enc := jsonEncoder(a.stdout)
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if why := res.Explain(spec.Limits); why != "" && res.Reason != sandbox.Signaled {
		fmt.Fprintf(a.stderr, "airlock: run: %s\n", why)
	}
	if res.ExitCode != 0 {
		return withCode(res.ExitCode, nil)
	}
	return nil
}

// jsonEncoder returns the encoder of every --format json output: indented,
// with <, > and & kept as they are (requirements hold them, and the
// server's answers keep them too).
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc
}

// runSpec builds the sandbox.Spec from the flags and arguments.
func (a *app) runSpec(cmd *cobra.Command, f runFlags, args []string) (sandbox.Spec, error) {
	var spec sandbox.Spec
	switch f.format {
	case "text", "json":
	default:
		return spec, usageErrorf("--format: %q is not text or json", f.format)
	}
	mode, err := sandbox.ParseNetMode(f.net)
	if err != nil {
		return spec, usageErrorf("--net: %v", err)
	}
	switch {
	case mode == sandbox.NetNone && f.proxyTarget != "":
		return spec, usageErrorf("--proxy-target needs --net proxy")
	case mode == sandbox.NetNone && (f.upstream != "" || len(f.advisories) > 0):
		return spec, usageErrorf("--upstream and --advisories configure the package index of --net proxy")
	case f.proxyTarget != "" && (f.upstream != "" || len(f.advisories) > 0):
		return spec, usageErrorf("--proxy-target replaces airlock's package index, which --upstream and --advisories configure")
	}
	spec.Net = sandbox.Network{Mode: mode, Target: f.proxyTarget}
	if f.timeout <= 0 || f.cpus < 0 || f.pids <= 0 || f.memory <= 0 {
		return spec, usageErrorf("--timeout, --memory and --pids must be positive, --cpus zero or more")
	}
	spec.Limits = sandbox.Limits{Wall: f.timeout, Memory: f.memory, CPUs: f.cpus, Pids: f.pids}
	if err := spec.Limits.Validate(); err != nil {
		return spec, usageError{err}
	}
	if f.workdir != "" {
		wd, err := filepath.Abs(f.workdir)
		if err != nil {
			return spec, usageErrorf("--workdir: %v", err)
		}
		if fi, err := os.Stat(wd); err != nil || !fi.IsDir() {
			return spec, usageErrorf("--workdir %s: not a directory", f.workdir)
		}
		spec.WorkDir = wd
	}
	dash := cmd.ArgsLenAtDash()
	switch {
	case dash == 0 && len(args) > 0:
		spec.Argv = args
	case dash > 0:
		return spec, usageErrorf("unexpected arguments before --: %q", args[:dash])
	case len(args) == 1 && strings.HasSuffix(args[0], ".py"):
		if err := a.scriptSpec(&spec, args[0]); err != nil {
			return spec, err
		}
	case len(args) == 0:
		return spec, usageErrorf("nothing to run: give FILE.py, or a command after --")
	default:
		return spec, usageErrorf("put the command after --, as in: airlock run -- %s", strings.Join(args, " "))
	}
	// --env NAME binds the environment's venv read-only at its own path
	// (where its scripts' shebangs point), puts its bin directory first on
	// PATH, and runs FILE.py with its interpreter (env.go).
	if f.env != "" {
		if err := a.applyEnv(&spec, f.env); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

// scriptSpec makes spec run the Python file name: in place when it is in
// the work directory, else from a copy put there.
func (a *app) scriptSpec(spec *sandbox.Spec, name string) error {
	p, err := filepath.Abs(name)
	if err != nil {
		return usageErrorf("%s: %v", name, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if !fi.Mode().IsRegular() {
		return usageErrorf("%s is not a regular file", name)
	}
	if spec.WorkDir != "" {
		if rel, err := filepath.Rel(spec.WorkDir, p); err == nil && filepath.IsLocal(rel) {
			spec.Argv = []string{runPython, filepath.ToSlash(rel)}
			return nil
		}
	}
	if fi.Size() > maxScriptSize {
		return usageErrorf("%s is larger than %d bytes", name, maxScriptSize)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return usageErrorf("%v", err)
	}
	base := filepath.Base(p)
	spec.Files = append(spec.Files, sandbox.File{Name: base, Data: data, Mode: 0o644})
	spec.Argv = []string{runPython, base}
	return nil
}

// runner returns the Runner the flags ask for. The bubblewrap and OCI
// runners reap what earlier runs left when they are made.
func (a *app) runner(ctx context.Context, f runFlags) (sandbox.Runner, error) {
	if f.unsafe {
		fmt.Fprintln(a.stderr, "airlock: WARNING: --unsafe-no-sandbox: the command runs on this machine, as you, with no isolation at all (only the time and output limits apply)")
		return &sandbox.Unsafe{}, nil
	}
	dd, err := a.dataDir()
	if err != nil {
		return nil, withCode(ExitFailed, err)
	}
	opts := sandbox.Options{StateDir: filepath.Join(dd, "sandbox", "runs"), Bwrap: a.getenv("AIRLOCK_BWRAP"), Logger: a.logger}
	var r sandbox.Runner
	switch f.driver {
	case "bwrap":
		r, err = sandbox.NewBwrap(ctx, opts)
	case "oci":
		opts.Runtime = f.runtime
		r, err = sandbox.NewOCI(ctx, opts)
	default:
		return nil, usageErrorf("--sandbox: %q is not bwrap or oci", f.driver)
	}
	if err != nil {
		return nil, withCode(ExitFailed, err)
	}
	return r, nil
}
