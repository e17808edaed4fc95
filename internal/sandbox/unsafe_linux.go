//go:build linux

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
)

// Unsafe runs commands directly on the host, as airlock's own user, with
// no isolation at all: only the cleared environment, the work directory,
// and the wall-clock and output limits apply. It backs
// `airlock run --unsafe-no-sandbox` and nothing else.
type Unsafe struct {
	// TempDir is where temporary work directories are made; empty means
	// os.TempDir().
	TempDir string
}

var _ Runner = (*Unsafe)(nil)

// Run implements [Runner]. Binds and proxy mode need a sandbox and are
// refused.
func (u *Unsafe) Run(ctx context.Context, spec Spec) (Result, error) {
	if err := spec.Validate(); err != nil {
		return Result{}, err
	}
	if len(spec.Binds) > 0 || spec.Net.Mode != NetNone {
		return Result{}, fmt.Errorf("%w: binds and proxy networking need a sandbox", ErrSpec)
	}
	spec.Limits = spec.Limits.WithDefaults()
	wd := spec.WorkDir
	if wd == "" {
		d, err := os.MkdirTemp(u.TempDir, "airlock-unsafe-")
		if err != nil {
			return Result{}, err
		}
		defer removeAll(d)
		wd = d
	}
	for _, f := range spec.Files {
		p := filepath.Join(wd, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return Result{}, err
		}
		mode := os.FileMode(f.Mode).Perm()
		if mode == 0 {
			mode = 0o644
		}
		if err := os.WriteFile(p, f.Data, mode); err != nil {
			return Result{}, err
		}
	}
	inheritOnce.Do(closeInherited)
	env := environ(spec)
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	if lp, err := lookPathIn(spec.Argv[0], env); err == nil {
		cmd.Path, cmd.Err = lp, nil
	}
	cmd.Env, cmd.Dir = env, wd
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if spec.Stdin != nil {
		cmd.Stdin = spec.Stdin
	}
	over := make(chan struct{}, 2)
	outP := &pump{limit: int64(spec.Limits.Output), dst: spec.Stdout, over: over}
	errP := &pump{limit: int64(spec.Limits.Output), dst: spec.Stderr, over: over}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	release, err := startContained(cmd, nil)
	defer release()
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); outP.run(outR) }()
	go func() { defer wg.Done(); errP.run(errR) }()
	done := make(chan struct{})
	var waitErr error
	go func() { wg.Wait(); waitErr = cmd.Wait(); close(done) }()
	timer := time.NewTimer(spec.Limits.Wall)
	defer timer.Stop()
	why := notKilled
	select {
	case <-done:
	case <-timer.C:
		why = killTimeout
	case <-over:
		why = killOutput
	case <-ctx.Done():
		why = killCancel
	}
	if why != notKilled {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) && !errors.Is(waitErr, io.EOF) {
		return Result{}, waitErr
	}
	res := classify(statusOf(cmd.ProcessState), why, cgroup.Stats{})
	res.WallMS = time.Since(start).Milliseconds()
	res.CPUMS = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Milliseconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakMemoryBytes = ru.Maxrss * 1024
	}
	if spec.Stdout == nil {
		res.Stdout, res.StdoutTruncated = outP.buf.String(), outP.truncated
	} else {
		res.StdoutTruncated = outP.truncated
	}
	if spec.Stderr == nil {
		res.Stderr, res.StderrTruncated = errP.buf.String(), errP.truncated
	} else {
		res.StderrTruncated = errP.truncated
	}
	return res, nil
}

// lookPathIn finds name on the PATH of env, like the sandboxed runners do.
func lookPathIn(name string, env []string) (string, error) {
	if filepath.IsAbs(name) || filepath.Base(name) != name {
		return name, nil
	}
	for _, e := range env {
		if len(e) > 5 && e[:5] == "PATH=" {
			for _, dir := range filepath.SplitList(e[5:]) {
				p := filepath.Join(dir, name)
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
					return p, nil
				}
			}
		}
	}
	return "", exec.ErrNotFound
}
