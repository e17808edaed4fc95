//go:build linux

package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

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
	id := newID()
	dirs, err := d.cg.Dirs("airlock-"+id, groupLimits(spec.Limits.WithDefaults()))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r, err := d.prepare(ctx, spec, "bwrap", id, dirs, false)
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
// parent-death signal, already inside the run's cgroup (see
// startContained); it sets the rlimits on itself and executes bwrap. So
// bwrap, and everything the command starts, is contained from its first
// instruction: there is no moment at which a process of the run could
// fork outside the cgroup or without its rlimits. bwrap's --die-with-parent
// then ties the sandbox's life to bwrap's, and bwrap's to airlock's.
//
// Alternatives measured against this: re-executing airlock as a small
// launcher that joins the cgroup and sets the limits before exec'ing bwrap
// costs a start-up of airlock's whole binary (about 7 ms with its
// dependencies) per run, more than bwrap itself adds; moving bwrap into the
// cgroup after it started (with --block-fd holding the command back) leaves
// a window in which airlock's death releases the command outside the
// cgroup. prlimit(1) costs well under 1 ms.
type bwrapStart struct {
	d     *Bwrap
	files []*os.File // the data bwrap copies into the sandbox (bwrapData)
}

func (s *bwrapStart) command(r *run) (*exec.Cmd, error) {
	argv := launchArgv(s.d.prlimit, s.d.bin, r.plan)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{}
	cmd.Dir = "/"
	attr := &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	if s.d.euid == 0 {
		attr.Credential = &syscall.Credential{Uid: uint32(r.plan.UID), Gid: uint32(r.plan.GID), Groups: []uint32{}}
	}
	cmd.SysProcAttr = attr
	for _, data := range bwrapData(r.plan) {
		f, err := memFile(data)
		if err != nil {
			return nil, err
		}
		s.files = append(s.files, f)
	}
	cmd.ExtraFiles = s.files // bwrapFirstDataFD onwards
	return cmd, nil
}

// memFile returns a file holding data, at offset 0, that lives only in
// memory (no host file system is touched).
func memFile(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("airlock-sandbox", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: memfd: %w", ErrUnavailable, err)
	}
	f := os.NewFile(uintptr(fd), "memfd")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: memfd: %w", ErrUnavailable, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: memfd: %w", ErrUnavailable, err)
	}
	return f, nil
}

func (s *bwrapStart) birthGroup(r *run) *cgroup.Group { return r.group }

func (s *bwrapStart) finished(string) error { return nil }

func (s *bwrapStart) groupFor(r *run) (*cgroup.Group, error) { return r.group, nil }

func (s *bwrapStart) close() {
	for _, f := range s.files {
		f.Close()
	}
}
