//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
)

// OCI runs commands in containers made by an OCI runtime (runc, crun or
// gVisor's runsc) from a bundle whose root is the host's /usr; see
// [ociConfig]. It needs root. It is safe for concurrent use.
type OCI struct {
	*base
	runtime string // absolute path
	name    string // runc, crun, runsc, ...
	root    string // the runtime's state directory
	// keep is set for runtimes whose run command takes --keep (runc): the
	// container and its cgroup survive the command until airlock has read
	// the cgroup's totals (peak memory, OOM kills, CPU). Others (crun)
	// remove the cgroup as the command exits, so those totals are lost and
	// an OOM kill is reported as a plain SIGKILL.
	keep bool
}

var _ Runner = (*OCI)(nil)

// setprivPath and prlimitPath are util-linux's setpriv and prlimit,
// visible inside the container through the /usr mount.
const (
	setprivPath = "/usr/bin/setpriv"
	prlimitPath = "/usr/bin/prlimit"
)

// NewOCI returns the OCI driver for opts.Runtime (default runc). It fails
// with [ErrUnavailable] when the runtime is missing, airlock is not root,
// or the host has no usable cgroups, and reaps what earlier runs recorded
// in opts.StateDir left.
func NewOCI(ctx context.Context, opts Options) (*OCI, error) {
	rt := opts.Runtime
	if rt == "" {
		rt = "runc"
	}
	path, err := exec.LookPath(rt)
	if err != nil {
		return nil, fmt.Errorf("%w: OCI runtime %q is not installed (Debian packages runc and crun; runsc from gVisor)", ErrUnavailable, rt)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: the oci driver needs root; use the bwrap driver", ErrUnavailable)
	}
	for _, p := range []string{setprivPath, prlimitPath} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: %s is missing: install the Debian package \"util-linux\"", ErrUnavailable, p)
		}
	}
	b, err := newBase(ctx, opts)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	root := filepath.Join(b.opts.StateDir, "oci-"+name)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return &OCI{base: b, runtime: path, name: name, root: root, keep: name == "runc"}, nil
}

// Run implements [Runner].
func (d *OCI) Run(ctx context.Context, spec Spec) (Result, error) {
	id := newID()
	s := &ociStart{d: d, id: "airlock-" + id}
	g, err := d.cg.Open(s.id)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r, err := d.prepare(ctx, spec, "oci-"+d.name, id, g.Dirs, true)
	if err != nil {
		return Result{}, err
	}
	defer r.cleanup(context.WithoutCancel(ctx))
	if err := s.bundle(r); err != nil {
		return Result{}, err
	}
	return r.execute(ctx, s)
}

// ociStart starts one container with `runtime run`, which creates the
// container (its cgroup with the limits, namespaces, mounts, seccomp),
// starts the command and waits for it. The runtime writes --pid-file once
// the container exists, which tells a runtime failure (no pid file: an
// error) from the command's own exit.
type ociStart struct {
	d      *OCI
	id     string
	dir    string // the bundle
	group  *cgroup.Group
	pidOut string
}

// bundle writes the bundle and records the container and its cgroup.
func (s *ociStart) bundle(r *run) error {
	cgPath, err := s.d.cg.RuntimePath(s.id)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if s.group, err = s.d.cg.Open(s.id); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r.group = s.group
	r.rec.rec.Runtime = &runtimeRef{Binary: s.d.runtime, Root: s.d.root, ID: s.id}
	if err := r.rec.save(); err != nil {
		return err
	}
	s.dir = filepath.Join(r.runDir, "bundle")
	rootfs := filepath.Join(s.dir, ociRootfs)
	for _, d := range []string{s.dir, rootfs, filepath.Join(rootfs, "tmp"), filepath.Join(rootfs, strings.TrimPrefix(WorkPath, "/"))} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), os.ModeSticky|0o777); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	for _, l := range r.plan.RootLinks {
		if err := os.Symlink(l.Target, filepath.Join(rootfs, strings.TrimPrefix(l.Path, "/"))); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	cfg := ociConfig(r.plan, ociParams{CgroupsPath: cgPath, Setpriv: setprivPath, Prlimit: prlimitPath})
	b, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "config.json"), b, 0o600); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.pidOut = filepath.Join(r.runDir, "container.pid")
	return nil
}

func (s *ociStart) command(r *run) (*exec.Cmd, error) {
	args := []string{"--root", s.d.root, "run", "--bundle", s.dir, "--pid-file", s.pidOut}
	if s.d.keep {
		args = append(args, "--keep")
	}
	cmd := exec.Command(s.d.runtime, append(args, s.id)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	return cmd, nil
}

// birthGroup is nil: the runtime makes the container's cgroup and applies
// it, the rlimits and seccomp before it executes the command.
func (s *ociStart) birthGroup(r *run) *cgroup.Group { return nil }

func (s *ociStart) groupFor(r *run) (*cgroup.Group, error) { return s.group, nil }

func (s *ociStart) close() {}

// finished reports a runtime that failed before it created the container
// (no pid file) as an error rather than as the command's exit.
func (s *ociStart) finished(stderrHead string) error {
	if _, err := os.Stat(s.pidOut); err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s could not create the container: %s", ErrUnavailable, s.d.name, strings.TrimSpace(stderrHead))
}
