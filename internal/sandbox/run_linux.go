//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
	"golang.org/x/sys/unix"
)

// base is what both container drivers share: options, the host's layout
// and cgroups, and the run engine.
type base struct {
	opts       Options
	host       hostLayout
	cg         *cgroup.Manager
	euid, egid int
	// bridges is set for drivers that mount as the sandbox user (bwrap)
	// and so need bridges to paths only root can reach.
	bridges bool
}

func newBase(ctx context.Context, opts Options) (*base, error) {
	if opts.StateDir == "" {
		return nil, fmt.Errorf("sandbox: Options.StateDir is required")
	}
	if opts.UID == 0 {
		opts.UID = nobody
	}
	if opts.GID == 0 {
		opts.GID = nobody
	}
	root := os.Geteuid() == 0
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
		if root && !traversable(filepath.Join(opts.TempDir, "x"), opts.UID, opts.GID) {
			// $TMPDIR is private (a test harness's, a user's); the sandbox
			// user must be able to reach its run's files.
			opts.TempDir = "/tmp"
		}
	}
	if root && !traversable(filepath.Join(opts.TempDir, "x"), opts.UID, opts.GID) {
		return nil, fmt.Errorf("%w: the sandbox user %d cannot reach the temporary directory %s", ErrUnavailable, opts.UID, opts.TempDir)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	inheritOnce.Do(closeInherited)
	cg, err := cgroup.Host()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := Reap(ctx, opts.StateDir); err != nil {
		opts.Logger.Warn("sandbox: leftovers of earlier runs could not all be removed", "err", err)
	}
	return &base{opts: opts, host: detectHost(), cg: cg, euid: os.Geteuid(), egid: os.Getegid()}, nil
}

// inheritOnce makes sure stray inherited descriptors are closed on exec
// before the first sandbox starts.
var inheritOnce sync.Once

// run is one run in progress.
type run struct {
	b          *base
	id         string
	spec       Spec
	plan       plan
	rec        *recordFile
	runDir     string
	madeRunDir bool
	hostFiles  bool // the driver needs /etc files and the work directory on the host
	group      *cgroup.Group
	proxy      *proxyListener
	nBr        int // bridges made
}

// newID returns a random run id.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// prepare validates spec and creates everything a run needs on the host
// except the sandbox itself: the record (listing cgroups, the run's
// cgroup directories, planned in advance), and as needed the run
// directory, the work directory and its files, the sandbox's /etc files,
// bridges, and the proxy listener. With hostFiles false (bwrap) the work
// directory of a spec without one is a tmpfs and the /etc files and
// spec.Files are handed to bwrap as data, so a plain run touches no host
// file system besides its record. On error, what was made is removed.
func (b *base) prepare(ctx context.Context, spec Spec, driver, id string, cgroups []string, hostFiles bool) (r *run, err error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.Limits = spec.Limits.WithDefaults()
	runDir := filepath.Join(b.opts.TempDir, "airlock-"+id)
	rf, err := createRecord(b.opts.StateDir, record{ID: id, PID: os.Getpid(), Driver: driver, RunDir: runDir, Cgroups: cgroups})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r = &run{b: b, id: id, spec: spec, rec: rf, runDir: runDir, hostFiles: hostFiles}
	defer func() {
		if err != nil {
			r.cleanup(ctx)
			r = nil
		}
	}()
	if err := r.identity(); err != nil {
		return r, err
	}
	if r.plan.WorkDir != "" {
		if err := r.writeFiles(); err != nil {
			return r, err
		}
	} else {
		r.plan.Files = spec.Files
	}
	if hostFiles {
		if err := r.writeEtc(); err != nil {
			return r, err
		}
	}
	r.plan.RootLinks, r.plan.RootBinds, r.plan.EtcBinds = b.host.rootLinks, b.host.rootBinds, b.host.etcBinds
	r.plan.Limits = clampRlimits(spec.Limits)
	r.plan.Env = environ(spec)
	if r.plan.WorkDir != "" {
		if r.plan.WorkDir, err = r.reach(r.plan.WorkDir); err != nil {
			return r, err
		}
	}
	for _, bd := range spec.Binds {
		if _, err := os.Stat(bd.Src); err != nil {
			return r, fmt.Errorf("%w: bind source: %w", ErrSpec, err)
		}
		src, err := r.reach(bd.Src)
		if err != nil {
			return r, err
		}
		r.plan.Binds = append(r.plan.Binds, Bind{Src: src, Dst: bindTarget(bd), Writable: bd.Writable})
	}
	if spec.Net.Mode == NetProxy {
		if err := r.startProxy(ctx); err != nil {
			return r, err
		}
	}
	r.plan.Argv = innerArgv(spec, r.plan.Proxy)
	return r, nil
}

// ensureRunDir creates the run directory the first time it is needed.
// Only root and the sandbox user may traverse it (0711: no listing).
func (r *run) ensureRunDir() error {
	if r.madeRunDir {
		return nil
	}
	if err := os.Mkdir(r.runDir, 0o711); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	r.madeRunDir = true
	if err := os.Chmod(r.runDir, 0o711); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// identity decides the sandbox user and the work directory.
func (r *run) identity() error {
	b, spec := r.b, r.spec
	uid, gid := b.opts.UID, b.opts.GID
	if b.euid != 0 {
		uid, gid = b.euid, b.egid
	}
	r.plan.UID, r.plan.GID = uid, gid
	if spec.WorkDir == "" {
		if !r.hostFiles {
			return nil // a tmpfs
		}
		if err := r.ensureRunDir(); err != nil {
			return err
		}
		wd := filepath.Join(r.runDir, "work")
		if err := os.Mkdir(wd, 0o700); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		if b.euid == 0 {
			if err := os.Chown(wd, uid, gid); err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
		}
		r.plan.WorkDir = wd
		return nil
	}
	wd, err := filepath.Abs(spec.WorkDir)
	if err != nil {
		return fmt.Errorf("%w: work directory: %w", ErrSpec, err)
	}
	fi, err := os.Stat(wd)
	if err != nil {
		return fmt.Errorf("%w: work directory: %w", ErrSpec, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: work directory %s is not a directory", ErrSpec, wd)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if b.euid == 0 {
		if st.Uid != 0 {
			// Run as the directory's owner: what the command creates is theirs.
			uid, gid = int(st.Uid), int(st.Gid)
		} else {
			// Lend root's directory to the sandbox user for the run; its
			// files go back to root afterwards (also if airlock dies).
			r.rec.rec.Chown = &chownBack{Dir: wd, UID: uid, ToUID: 0, ToGID: int(st.Gid), DirUID: 0, DirGID: int(st.Gid)}
			if err := r.rec.save(); err != nil {
				return err
			}
			if err := os.Chown(wd, uid, -1); err != nil {
				return fmt.Errorf("sandbox: lending %s: %w", wd, err)
			}
		}
	}
	r.plan.UID, r.plan.GID, r.plan.WorkDir = uid, gid, wd
	return nil
}

// writeFiles puts spec.Files into the work directory, owned by the sandbox
// user, without following any symbolic link out of it.
func (r *run) writeFiles() error {
	if len(r.spec.Files) == 0 {
		return nil
	}
	root, err := os.OpenRoot(r.plan.WorkDir)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer root.Close()
	chown := r.b.euid == 0
	for _, f := range r.spec.Files {
		if dir := filepath.Dir(f.Name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
			if chown {
				for d := dir; d != "."; d = filepath.Dir(d) {
					_ = root.Lchown(d, r.plan.UID, r.plan.GID)
				}
			}
		}
		mode := fs.FileMode(f.Mode).Perm()
		if mode == 0 {
			mode = 0o644
		}
		w, err := root.OpenFile(f.Name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		_, err = w.Write(f.Data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		if chown {
			if err := root.Lchown(f.Name, r.plan.UID, r.plan.GID); err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
		}
		if err := root.Chmod(f.Name, mode); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	return nil
}

// writeEtc writes the sandbox's own passwd, group, hosts and nsswitch.conf.
func (r *run) writeEtc() error {
	if err := r.ensureRunDir(); err != nil {
		return err
	}
	dir := filepath.Join(r.runDir, "etc")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	for _, f := range etcFiles {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, []byte(etcContent(f, r.plan.UID, r.plan.GID)), 0o644); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	r.plan.EtcDir = dir
	return nil
}

// reach returns a path to src that the sandbox user can reach. bwrap mounts
// with the sandbox user's permissions, so when a root airlock must mount a
// path the sandbox user cannot reach (a work directory under /root, say), it
// bind-mounts src on a "bridge" in the run directory first, in a directory
// only the sandbox user and root may enter. Bridges are unmounted after the
// run (or by the reaper).
func (r *run) reach(src string) (string, error) {
	if !r.b.bridges || r.b.euid != 0 || traversable(src, r.plan.UID, r.plan.GID) {
		return src, nil
	}
	fi, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	if err := r.ensureRunDir(); err != nil {
		return "", err
	}
	mdir := filepath.Join(r.runDir, "m")
	if r.nBr == 0 {
		if err := os.Mkdir(mdir, 0o700); err != nil {
			return "", fmt.Errorf("sandbox: %w", err)
		}
		if err := os.Chown(mdir, r.plan.UID, r.plan.GID); err != nil {
			return "", fmt.Errorf("sandbox: %w", err)
		}
	}
	target := filepath.Join(mdir, strconv.Itoa(r.nBr))
	r.nBr++
	if fi.IsDir() {
		err = os.Mkdir(target, 0o700)
	} else {
		err = os.WriteFile(target, nil, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	r.rec.rec.Bridges = append(r.rec.rec.Bridges, target)
	if err := r.rec.save(); err != nil {
		return "", err
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return "", fmt.Errorf("sandbox: bridging %s: %w", src, err)
	}
	_ = unix.Mount("", target, "", unix.MS_PRIVATE|unix.MS_REC, "")
	return target, nil
}

// createGroup makes the run's cgroup with its limits (its directories are
// already in the record).
func (r *run) createGroup() error {
	g, err := r.b.cg.Create("airlock-"+r.id, groupLimits(r.spec.Limits))
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: %w (creating cgroups needs root, or a delegated cgroup v2 such as systemd-run --user --scope -p Delegate=yes gives)", ErrUnavailable, err)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r.group = g
	return nil
}

func groupLimits(l Limits) cgroup.Limits {
	q, p := cpuQuota(l.CPUs)
	return cgroup.Limits{
		Memory:    int64(l.Memory),
		Pids:      int64(l.Pids),
		CPUQuota:  time.Duration(q) * time.Microsecond,
		CPUPeriod: time.Duration(p) * time.Microsecond,
	}
}

// cleanup removes everything the run made. If something could not be
// removed, the record stays for the next reaper.
func (r *run) cleanup(ctx context.Context) {
	if r.proxy != nil {
		r.proxy.close()
	}
	if err := cleanupRecord(ctx, &r.rec.rec, r.b.cg); err != nil {
		r.b.opts.Logger.Warn("sandbox: cleanup incomplete; the next start will retry", "run", r.id, "err", err)
		r.rec.release()
		return
	}
	r.rec.close()
}

// starter is a driver's part of a run: the command that starts the
// sandbox, the cgroup it is born in (nil when the runtime makes its own),
// the cgroup to measure and kill, and a check of how it ended.
type starter interface {
	command(r *run) (*exec.Cmd, error)
	// birthGroup is the cgroup the command must be born in, or nil.
	birthGroup(r *run) *cgroup.Group
	// groupFor returns the run's cgroup once the sandbox exists.
	groupFor(r *run) (*cgroup.Group, error)
	// finished is called after the process ended, with the start of its
	// stderr; an error means the sandbox never ran the command.
	finished(stderrHead string) error
	// close releases what command opened, after the process was waited for.
	close()
}

// execute starts the sandbox with s, feeds and drains its standard
// streams, enforces the wall-clock and output limits, and returns the
// result once every process of the run is gone.
func (r *run) execute(ctx context.Context, s starter) (Result, error) {
	lim := r.spec.Limits
	cmd, err := s.command(r)
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	stdin, stdinW, err := r.stdin()
	if err != nil {
		return Result{}, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return Result{}, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		outR.Close()
		outW.Close()
		return Result{}, err
	}
	over := make(chan struct{}, 2)
	outP := &pump{limit: int64(lim.Output), dst: r.spec.Stdout, over: over}
	errP := &pump{limit: int64(lim.Output), dst: r.spec.Stderr, over: over, keepHead: true}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, outW, errW

	start := time.Now()
	release, err := startContained(cmd, s.birthGroup(r))
	defer release()
	stdin.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		if stdinW != nil {
			stdinW.Close()
		}
		return Result{}, fmt.Errorf("%w: starting %s: %w", ErrUnavailable, cmd.Path, err)
	}
	if cmd.Process == nil {
		// Started, but airlock's thread could not leave the run's cgroup;
		// startContained killed the command.
		outR.Close()
		errR.Close()
		return Result{}, fmt.Errorf("%w: %w", ErrUnavailable, errNoReturn)
	}
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); outP.run(outR) }()
	go func() { defer pumps.Done(); errP.run(errR) }()
	if stdinW != nil {
		go func() {
			_, _ = io.Copy(stdinW, r.spec.Stdin)
			stdinW.Close()
		}()
	}
	waitDone := make(chan error, 1)

	finish := func() {
		pumpsDone := make(chan struct{})
		go func() { pumps.Wait(); close(pumpsDone) }()
		select {
		case <-pumpsDone:
		case <-time.After(2 * time.Second):
			// Something outside the run still holds a pipe; stop reading.
		}
		outR.Close()
		errR.Close()
		<-pumpsDone
		if stdinW != nil {
			stdinW.Close()
		}
	}

	go func() { waitDone <- cmd.Wait() }()

	timer := time.NewTimer(lim.Wall - time.Since(start))
	defer timer.Stop()
	why := notKilled
	var waitErr error
	select {
	case waitErr = <-waitDone:
	case <-timer.C:
		why = killTimeout
	case <-over:
		why = killOutput
	case <-ctx.Done():
		why = killCancel
	}
	group, _ := s.groupFor(r)
	killAll := func() {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if group != nil {
			_ = group.Kill(kctx)
		}
	}
	if why != notKilled {
		killAll()
		_ = cmd.Process.Kill()
		waitErr = <-waitDone
	}
	wall := time.Since(start)
	// The sandbox's init is gone, so its pid namespace is; kill anything
	// else still in the group (an OCI runtime's leftovers) before reading
	// the totals.
	killAll()
	finish()
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) {
		return Result{}, fmt.Errorf("sandbox: waiting for %s: %w", cmd.Path, waitErr)
	}
	if why == notKilled {
		if err := s.finished(errP.headString()); err != nil {
			return Result{}, err
		}
	}
	var st cgroup.Stats
	if group != nil {
		st = group.Stats()
	}
	res := classify(statusOf(cmd.ProcessState), why, st)
	res.WallMS = wall.Milliseconds()
	if st.HaveCPU {
		res.CPUMS = st.CPU.Milliseconds()
	} else if ps := cmd.ProcessState; ps != nil {
		res.CPUMS = (ps.UserTime() + ps.SystemTime()).Milliseconds()
	}
	res.PeakMemoryBytes = st.PeakMemory
	if res.PeakMemoryBytes == 0 {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.PeakMemoryBytes = ru.Maxrss * 1024
		}
	}
	res.Stdout, res.StdoutTruncated = outP.buf.String(), outP.truncated
	res.Stderr, res.StderrTruncated = errP.buf.String(), errP.truncated
	if r.spec.Stdout != nil {
		res.Stdout = ""
	}
	if r.spec.Stderr != nil {
		res.Stderr = ""
	}
	return res, nil
}

// errNoReturn means a thread of airlock could not be moved back out of a
// run's cgroup after starting the sandbox in it.
var errNoReturn = errors.New("could not leave the run's cgroup")

// startContained starts cmd so that its first instruction already runs in
// group (when not nil) and so that its parent-death signal stays armed for
// as long as it runs.
//
// The parent-death signal fires when the thread that forked the process
// exits, not the process, so the fork happens on a thread locked to a
// goroutine that lives until release is called (after the process has
// been waited for). On cgroup v2 the process is born in the group with
// CLONE_INTO_CGROUP; on v1, where that does not exist, the locked thread
// itself joins the group (v1 moves single threads), forks, and moves back.
// If it cannot move back, the command is killed at once and cmd.Process is
// nil; the thread is then destroyed rather than reused.
func startContained(cmd *exec.Cmd, group *cgroup.Group) (release func(), err error) {
	var cgfd *os.File
	if group != nil && group.Version == cgroup.V2 {
		if cgfd, err = os.Open(group.Dirs[0]); err != nil {
			return func() {}, err
		}
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(cgfd.Fd())
	}
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		clean := true
		defer func() {
			<-done
			if clean {
				runtime.UnlockOSThread()
			} // else the goroutine exits locked and the thread is destroyed
		}()
		var back func() error
		if group != nil && group.Version == cgroup.V1 {
			b, err := group.JoinThread()
			if err != nil {
				clean = false
				started <- err
				return
			}
			back = b
		}
		err := cmd.Start()
		if back != nil {
			if berr := back(); berr != nil {
				clean = false
				if err == nil {
					_ = cmd.Process.Kill()
					_, _ = cmd.Process.Wait()
					cmd.Process = nil
				}
			}
		}
		started <- err
	}()
	err = <-started
	if cgfd != nil {
		cgfd.Close()
	}
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }, err
}

// stdin returns the file the sandbox reads as standard input and, when
// Spec.Stdin is set, the pipe end to copy it into. A pipe is used even for
// an *os.File so the sandbox never holds the caller's terminal.
func (r *run) stdin() (*os.File, *os.File, error) {
	if r.spec.Stdin == nil {
		f, err := os.Open(os.DevNull)
		return f, nil, err
	}
	return os.Pipe()
}

// statusOf returns how a waited-for process ended.
func statusOf(ps *os.ProcessState) exitStatus {
	if ps == nil {
		return exitStatus{}
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return exitStatus{signal: int(ws.Signal())}
	}
	return exitStatus{code: ws.ExitStatus()}
}

// pump copies one output stream of the sandbox: to dst when streaming,
// into buf otherwise, up to limit bytes; past the limit it signals over
// once and discards the rest.
type pump struct {
	limit     int64
	dst       io.Writer
	over      chan<- struct{}
	keepHead  bool
	buf       bytes.Buffer
	head      []byte
	n         int64
	truncated bool
}

// headMax is how much of stderr is kept to explain a failed start.
const headMax = 4096

func (p *pump) run(r io.Reader) {
	chunk := make([]byte, 32*1024)
	for {
		k, err := r.Read(chunk)
		if k > 0 {
			b := chunk[:k]
			if p.keepHead && len(p.head) < headMax {
				p.head = append(p.head, b[:min(len(b), headMax-len(p.head))]...)
			}
			if !p.truncated {
				room := p.limit - p.n
				if int64(len(b)) > room {
					b = b[:room]
					p.truncated = true
					select {
					case p.over <- struct{}{}:
					default:
					}
				}
				p.n += int64(len(b))
				if p.dst != nil {
					_, _ = p.dst.Write(b)
				} else {
					p.buf.Write(b)
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *pump) headString() string { return string(p.head) }

// startProxy sets up proxy mode: the unix socket the sandbox's forwarder
// connects to, and the binary that runs the forwarder.
func (r *run) startProxy(ctx context.Context) error {
	if err := r.ensureRunDir(); err != nil {
		return err
	}
	dir := filepath.Join(r.runDir, "net")
	if err := os.Mkdir(dir, 0o711); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	sock := filepath.Join(dir, "proxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("sandbox: proxy listener: %w", err)
	}
	if r.b.euid == 0 {
		if err := os.Chown(sock, r.plan.UID, r.plan.GID); err != nil {
			l.Close()
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("sandbox: %w", err)
	}
	r.proxy = serveProxy(ctx, l, r.spec.Net)
	fwd := r.b.opts.Forwarder
	if fwd == "" {
		if fwd, err = os.Executable(); err != nil {
			return fmt.Errorf("%w: cannot find airlock's binary for the proxy forwarder: %w", ErrUnavailable, err)
		}
	}
	if fwd, err = r.reach(fwd); err != nil {
		return err
	}
	port := r.spec.Net.Port
	if port == 0 {
		port = DefaultProxyPort
	}
	r.plan.Proxy = &proxyPlan{Forwarder: fwd, Socket: sock, Port: port}
	return nil
}
