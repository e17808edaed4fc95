//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
)

// Bwrap runs commands in bubblewrap sandboxes; see the package
// documentation. It is safe for concurrent use.
type Bwrap struct {
	*base
	bin, prlimit string
}

var _ Runner = (*Bwrap)(nil)

// NewBwrap returns the bubblewrap driver. It fails with [ErrNoBwrap] when
// bwrap is missing and with [ErrUnavailable] when the host has no usable
// cgroups, and reaps what earlier runs recorded in opts.StateDir left.
func NewBwrap(ctx context.Context, opts Options) (*Bwrap, error) {
	bin := opts.Bwrap
	if bin == "" {
		bin = "bwrap"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, ErrNoBwrap
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		return nil, ErrNoPrlimit
	}
	b, err := newBase(ctx, opts)
	if err != nil {
		return nil, err
	}
	b.bridges = true
	return &Bwrap{base: b, bin: path, prlimit: prlimit}, nil
}

// Run implements [Runner].
func (d *Bwrap) Run(ctx context.Context, spec Spec) (Result, error) {
	r, err := d.prepare(ctx, spec, "bwrap")
	if err != nil {
		return Result{}, err
	}
	defer r.cleanup(context.WithoutCancel(ctx))
	if err := r.createGroup(); err != nil {
		return Result{}, err
	}
	return r.execute(ctx, &bwrapStart{d: d})
}

// bwrapStart starts bubblewrap for one run.
//
// The order matters. prlimit(1) is started as the sandbox user (never
// root, whose RLIMIT_NPROC is ignored), in its own session, with a
// parent-death signal; it sets the rlimits on itself and executes bwrap,
// which is told to wait on a pipe (--block-fd) after it has built the
// sandbox but before it runs the command. At that point exactly two
// processes exist, both running bwrap's code: bwrap itself and the
// sandbox's init, whose host pid bwrap reports on --info-fd. On cgroup v1
// the runner moves both into the run's cgroup (on v2 the first process is
// born in it, with CLONE_INTO_CGROUP); only then does it write to the
// pipe. Everything the command starts descends from the init and so
// inherits the cgroup and the rlimits: nothing can fork before it is
// contained. If anything fails, both processes are killed before the pipe
// is closed (a closed pipe would also release bwrap).
//
// Re-executing airlock as a small launcher that joins the cgroup and sets
// the limits before exec'ing bwrap would be just as safe, but costs a
// start-up of airlock's whole binary (about 7 ms with its dependencies)
// per run, more than bwrap itself adds; prlimit(1) costs well under 1 ms.
type bwrapStart struct {
	d              *Bwrap
	blockR, blockW *os.File
	infoR, infoW   *os.File
	cgfd           *os.File
}

func (s *bwrapStart) command(r *run) (*exec.Cmd, error) {
	var err error
	if s.blockR, s.blockW, err = os.Pipe(); err != nil {
		return nil, err
	}
	if s.infoR, s.infoW, err = os.Pipe(); err != nil {
		return nil, err
	}
	argv := launchArgv(s.d.prlimit, s.d.bin, r.plan)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{s.blockR, s.infoW} // bwrapBlockFD, bwrapInfoFD
	attr := &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	if s.d.euid == 0 {
		attr.Credential = &syscall.Credential{Uid: uint32(r.plan.UID), Gid: uint32(r.plan.GID), Groups: []uint32{}}
	}
	if r.group.Version == cgroup.V2 {
		if s.cgfd, err = os.Open(r.group.Dirs[0]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		attr.UseCgroupFD, attr.CgroupFD = true, int(s.cgfd.Fd())
	}
	cmd.SysProcAttr = attr
	return cmd, nil
}

// bwrapInfo is what bwrap writes to --info-fd.
type bwrapInfo struct {
	ChildPid int `json:"child-pid"`
}

func (s *bwrapStart) started(ctx context.Context, r *run, cmd *exec.Cmd) (err error) {
	s.blockR.Close()
	s.infoW.Close()
	outer := cmd.Process.Pid
	child := 0
	defer func() {
		if err != nil {
			// Kill before the block pipe can close and release bwrap.
			if child > 0 {
				_ = syscall.Kill(child, syscall.SIGKILL)
			}
			_ = cmd.Process.Kill()
		}
	}()
	info := make(chan bwrapInfo, 1)
	go func() {
		var in bwrapInfo
		_ = json.NewDecoder(s.infoR).Decode(&in)
		info <- in
	}()
	select {
	case in := <-info:
		child = in.ChildPid
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%w: bwrap did not start", ErrUnavailable)
	case <-ctx.Done():
		return ctx.Err()
	}
	if child <= 0 {
		return fmt.Errorf("%w: bwrap failed to set up the sandbox", ErrUnavailable)
	}
	if r.group.Version == cgroup.V1 {
		for _, pid := range []int{outer, child} {
			if err := r.group.Join(pid); err != nil {
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
		}
	}
	if _, err := s.blockW.Write([]byte{'x'}); err != nil {
		return fmt.Errorf("%w: releasing bwrap: %w", ErrUnavailable, err)
	}
	s.blockW.Close()
	return nil
}

func (s *bwrapStart) finished(string) error { return nil }

func (s *bwrapStart) groupFor(r *run) (*cgroup.Group, error) { return r.group, nil }

func (s *bwrapStart) close() {
	for _, f := range []*os.File{s.blockR, s.blockW, s.infoR, s.infoW, s.cgfd} {
		if f != nil {
			f.Close()
		}
	}
}
