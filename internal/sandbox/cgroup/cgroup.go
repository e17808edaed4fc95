package cgroup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits are what a [Group] enforces. Zero means "not limited".
type Limits struct {
	// Memory caps RAM plus swap (swap is not allowed to grow past it), tmpfs
	// pages included. Exceeding it triggers the OOM killer (SIGKILL).
	Memory int64
	// Pids caps the number of tasks; fork and clone fail with EAGAIN.
	Pids int64
	// CPUQuota and CPUPeriod cap the CPU rate: CPUQuota of every CPUPeriod
	// (CFS bandwidth control), e.g. 50ms of 100ms for half a CPU.
	CPUQuota, CPUPeriod time.Duration
}

// Stats are what a [Group] measured.
type Stats struct {
	// CPU is the CPU time used by every task that was in the group;
	// HaveCPU is false when the host does not account it.
	CPU     time.Duration
	HaveCPU bool
	// PeakMemory is the high-water mark of memory use, 0 if unknown.
	PeakMemory int64
	// OOMKills counts tasks the memory limit killed.
	OOMKills int64
	// PidsLimitHits counts forks refused by the pids limit.
	PidsLimitHits int64
}

// fileSystem is the part of the cgroup file system this package uses, so
// tests can substitute a model of cgroupfs.
type fileSystem interface {
	Mkdir(name string) error
	Rmdir(name string) error
	ReadFile(name string) ([]byte, error)
	// WriteFile writes data in one write(2) to an existing file.
	WriteFile(name string, data []byte) error
	Exists(name string) bool
}

type osFS struct{}

func (osFS) Mkdir(name string) error               { return os.Mkdir(name, 0o755) }
func (osFS) Rmdir(name string) error               { return syscall.Rmdir(name) }
func (osFS) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (osFS) Exists(name string) bool               { _, err := os.Stat(name); return err == nil }
func (osFS) WriteFile(name string, b []byte) error { return writeExisting(name, b) }

func writeExisting(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Manager creates groups in one [Layout]. All its methods are safe for
// concurrent use.
type Manager struct {
	layout Layout
	fs     fileSystem

	mu       sync.Mutex
	v2Parent string // v2: the cgroup (path inside the hierarchy) runs go under
}

// NewManager returns a Manager for l on the real file system.
func NewManager(l Layout) *Manager { return &Manager{layout: l, fs: osFS{}} }

// Host reads this process's cgroup layout from /proc and returns a Manager
// for it.
func Host() (*Manager, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	pc, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	var v2c []byte
	for _, m := range []string{"/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/unified/cgroup.controllers"} {
		if b, err := os.ReadFile(m); err == nil {
			v2c = b
			break
		}
	}
	l, err := ParseLayout(mi, pc, v2c)
	if err != nil {
		return nil, err
	}
	if l.Version == V2 && l.Unified.Mount != "/sys/fs/cgroup" {
		// The controllers file read above may belong to another mount.
		if b, err := os.ReadFile(path.Join(l.Unified.Mount, "cgroup.controllers")); err == nil {
			l, err = ParseLayout(mi, pc, b)
			if err != nil {
				return nil, err
			}
		}
	}
	return NewManager(l), nil
}

// Layout returns the layout the Manager works in.
func (m *Manager) Layout() Layout { return m.layout }

// hierarchies lists every hierarchy of a v1 layout, including the
// controller-less v2 mount of a hybrid host, where OCI runtimes also make
// a directory.
func (l Layout) hierarchies() []Hierarchy {
	hs := slices.Clone(l.V1)
	if l.Unified.Mount != "" {
		hs = append(hs, l.Unified)
	}
	return hs
}

// v1Used returns the v1 controllers a group with lim joins: memory and
// pids for the limits, cpuacct for CPU time, cpu only for a rate limit.
// Each hierarchy joined costs a migration per run, so no more than that
// (runs are killed through their pid namespace and a kill loop; OCI
// runtimes make their own groups in every hierarchy, freezer included).
func v1Used(lim Limits) []string {
	cs := []string{"memory", "pids", "cpuacct"}
	if lim.CPUQuota > 0 {
		cs = append(cs, "cpu")
	}
	return cs
}

// v2Wanted are the v2 controllers enabled for runs when available.
var v2Wanted = []string{"memory", "pids", "cpu"}

// validName reports whether name can be a single cgroup directory name.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00\n")
}

// Create makes the group name below airlock's own cgroup (see the package
// documentation) and applies lim. On error nothing is left behind.
func (m *Manager) Create(name string, lim Limits) (*Group, error) {
	if !validName(name) {
		return nil, fmt.Errorf("cgroup: bad group name %q", name)
	}
	g := &Group{Version: m.layout.Version, fs: m.fs}
	switch m.layout.Version {
	case V1:
		for _, c := range v1Used(lim) {
			h, ok := m.layout.V1Hierarchy(c)
			if !ok {
				continue
			}
			dir := path.Join(h.Dir(), name)
			if !slices.Contains(g.Dirs, dir) {
				if err := m.fs.Mkdir(dir); err != nil {
					g.Remove()
					return nil, fmt.Errorf("cgroup: %w", err)
				}
			}
			g.add(dir, h)
		}
	case V2:
		parent, err := m.v2RunParent()
		if err != nil {
			return nil, err
		}
		dir := path.Join(m.layout.Unified.Mount, parent, name)
		if err := m.fs.Mkdir(dir); err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		g.add(dir, m.layout.Unified)
	default:
		return nil, fmt.Errorf("cgroup: %w", ErrNoCgroups)
	}
	if err := g.apply(lim); err != nil {
		g.Remove()
		return nil, err
	}
	return g, nil
}

// Dirs returns the directories [Manager.Create] makes for name and lim,
// so they can be recorded before they exist.
func (m *Manager) Dirs(name string, lim Limits) ([]string, error) {
	if !validName(name) {
		return nil, fmt.Errorf("cgroup: bad group name %q", name)
	}
	switch m.layout.Version {
	case V1:
		var dirs []string
		for _, c := range v1Used(lim) {
			if h, ok := m.layout.V1Hierarchy(c); ok && !slices.Contains(dirs, path.Join(h.Dir(), name)) {
				dirs = append(dirs, path.Join(h.Dir(), name))
			}
		}
		return dirs, nil
	case V2:
		parent, err := m.v2RunParent()
		if err != nil {
			return nil, err
		}
		return []string{path.Join(m.layout.Unified.Mount, parent, name)}, nil
	}
	return nil, fmt.Errorf("cgroup: %w", ErrNoCgroups)
}

// RuntimePath returns the cgroup path an OCI runtime should be given in
// linux.cgroupsPath for a run called name, so that the runtime's group lands
// where [Manager.Create] would put it: on v1 a relative path (runc resolves
// it against its own cgroup in every hierarchy, which is airlock's), on v2 an
// absolute one below the parent [Manager.Create] uses, whose controllers it
// enables first.
func (m *Manager) RuntimePath(name string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("cgroup: bad group name %q", name)
	}
	if m.layout.Version == V1 {
		return name, nil
	}
	parent, err := m.v2RunParent()
	if err != nil {
		return "", err
	}
	return path.Join(parent, name), nil
}

// Open returns the group an OCI runtime made for name at
// [Manager.RuntimePath], in every hierarchy the runtime may have joined.
// The directories need not exist yet.
func (m *Manager) Open(name string) (*Group, error) {
	p, err := m.RuntimePath(name)
	if err != nil {
		return nil, err
	}
	g := &Group{Version: m.layout.Version, fs: m.fs}
	if m.layout.Version == V2 {
		g.add(path.Join(m.layout.Unified.Mount, p), m.layout.Unified)
		return g, nil
	}
	for _, h := range m.layout.hierarchies() {
		g.add(path.Join(h.Dir(), p), h)
	}
	return g, nil
}

// FromDirs rebuilds a group from the directories a [Group] reported in
// Dirs, e.g. to reap the group of a run whose airlock process died. Any
// directory outside the layout's hierarchies is refused, so a corrupted
// record cannot make airlock remove arbitrary directories.
func (m *Manager) FromDirs(dirs []string) (*Group, error) {
	g := &Group{Version: m.layout.Version, fs: m.fs}
	for _, d := range dirs {
		d = path.Clean(d)
		var h *Hierarchy
		if m.layout.Version == V2 {
			h = &m.layout.Unified
		} else {
			hs := m.layout.hierarchies()
			for i := range hs {
				if strings.HasPrefix(d, hs[i].Mount+"/") {
					h = &hs[i]
				}
			}
		}
		if h == nil || !strings.HasPrefix(d, h.Mount+"/") || !strings.HasPrefix(path.Base(d), "airlock-") {
			return nil, fmt.Errorf("cgroup: %q is not a run group in this host's hierarchies", d)
		}
		g.add(d, *h)
	}
	return g, nil
}

// v2RunParent finds (once) the v2 cgroup runs go under and enables the
// controllers in it.
func (m *Manager) v2RunParent() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.v2Parent != "" {
		return m.v2Parent, nil
	}
	own := path.Clean("/" + m.layout.Unified.Own)
	cands := []string{own}
	if own != "/" {
		cands = append(cands, path.Dir(own))
	}
	var errs []error
	for _, c := range cands {
		err := m.enableV2(c)
		if err == nil {
			m.v2Parent = c
			return c, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, syscall.EBUSY) {
			break
		}
	}
	return "", fmt.Errorf("%w: %w (run airlock as root, or in a delegated cgroup: systemd-run --scope -p Delegate=yes)", ErrNoCgroups, errors.Join(errs...))
}

// enableV2 enables the wanted controllers in the subtree of cgroup c.
func (m *Manager) enableV2(c string) error {
	dir := path.Join(m.layout.Unified.Mount, c)
	avail, err := m.fs.ReadFile(path.Join(dir, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", c, err)
	}
	if !allIn(Required, strings.Fields(string(avail))) {
		return fmt.Errorf("cgroup %s offers only %q", c, strings.TrimSpace(string(avail)))
	}
	on, err := m.fs.ReadFile(path.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", c, err)
	}
	var add []string
	for _, w := range v2Wanted {
		if slices.Contains(strings.Fields(string(avail)), w) && !slices.Contains(strings.Fields(string(on)), w) {
			add = append(add, "+"+w)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := m.fs.WriteFile(path.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(add, " "))); err != nil {
		return fmt.Errorf("cgroup %s: enabling %s: %w", c, strings.Join(add, " "), err)
	}
	return nil
}

// Group is one run's control group: a single directory on v2, one per
// hierarchy on v1. Its methods may be called from several goroutines.
type Group struct {
	Version Version
	// Dirs are the group's directories, the ones [Group.Remove] removes.
	Dirs   []string
	fs     fileSystem
	byCtrl map[string]string    // v1: controller → directory
	hier   map[string]Hierarchy // directory → its hierarchy
}

// add records dir as the group's directory in hierarchy h.
func (g *Group) add(dir string, h Hierarchy) {
	if g.byCtrl == nil {
		g.byCtrl = map[string]string{}
		g.hier = map[string]Hierarchy{}
	}
	if !slices.Contains(g.Dirs, dir) {
		g.Dirs = append(g.Dirs, dir)
	}
	g.hier[dir] = h
	for _, c := range h.Controllers {
		g.byCtrl[c] = dir
	}
}

// dir returns the directory holding controller c's files.
func (g *Group) dir(c string) (string, bool) {
	if g.Version == V2 {
		return g.Dirs[0], len(g.Dirs) == 1
	}
	d, ok := g.byCtrl[c]
	return d, ok
}

func (g *Group) write(c, file, value string) error {
	d, ok := g.dir(c)
	if !ok {
		return fmt.Errorf("cgroup: no %s controller", c)
	}
	if err := g.fs.WriteFile(path.Join(d, file), []byte(value)); err != nil {
		return fmt.Errorf("cgroup: %s=%s: %w", file, value, err)
	}
	return nil
}

func (g *Group) has(c, file string) bool {
	d, ok := g.dir(c)
	return ok && g.fs.Exists(path.Join(d, file))
}

func (g *Group) apply(lim Limits) error {
	v1 := g.Version == V1
	if lim.Memory > 0 {
		mem := strconv.FormatInt(lim.Memory, 10)
		if v1 {
			if err := g.write("memory", "memory.limit_in_bytes", mem); err != nil {
				return err
			}
			if g.has("memory", "memory.memsw.limit_in_bytes") {
				if err := g.write("memory", "memory.memsw.limit_in_bytes", mem); err != nil {
					return err
				}
			}
		} else {
			if err := g.write("memory", "memory.max", mem); err != nil {
				return err
			}
			if g.has("memory", "memory.swap.max") {
				if err := g.write("memory", "memory.swap.max", "0"); err != nil {
					return err
				}
			}
			if g.has("memory", "memory.oom.group") {
				// Kill the whole run on OOM, as v1 effectively does by
				// killing the biggest task, so the result is unambiguous.
				if err := g.write("memory", "memory.oom.group", "1"); err != nil {
					return err
				}
			}
		}
	}
	if lim.Pids > 0 {
		if err := g.write("pids", "pids.max", strconv.FormatInt(lim.Pids, 10)); err != nil {
			return err
		}
	}
	if lim.CPUQuota > 0 {
		period := lim.CPUPeriod
		if period <= 0 {
			period = 100 * time.Millisecond
		}
		q, p := strconv.FormatInt(lim.CPUQuota.Microseconds(), 10), strconv.FormatInt(period.Microseconds(), 10)
		if v1 {
			if err := g.write("cpu", "cpu.cfs_period_us", p); err != nil {
				return err
			}
			if err := g.write("cpu", "cpu.cfs_quota_us", q); err != nil {
				return err
			}
		} else if err := g.write("cpu", "cpu.max", q+" "+p); err != nil {
			return err
		}
	}
	return nil
}

// Join moves process pid into the group (on v1, into every hierarchy).
// Its existing children stay where they are: join before forking.
func (g *Group) Join(pid int) error {
	for _, d := range g.Dirs {
		if err := g.fs.WriteFile(path.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid))); err != nil {
			return fmt.Errorf("cgroup: moving %d into %s: %w", pid, d, err)
		}
	}
	return nil
}

// JoinThread moves the calling thread (not its whole process) into the
// group on v1, where each hierarchy's "tasks" file moves single threads,
// and returns a function that moves it back where it was. The caller must
// have locked its goroutine to the thread (runtime.LockOSThread) and must
// call restore from it too. A process the thread forks meanwhile is born in
// the group, so it never runs a single instruction outside it. On v2 use
// CLONE_INTO_CGROUP instead; JoinThread refuses.
//
// The thread writes "0" (itself) rather than its id: for the calling
// thread alone the kernel skips the process-wide lock whose write side
// waits for an RCU grace period, which otherwise costs milliseconds per
// move.
func (g *Group) JoinThread() (restore func() error, err error) {
	if g.Version != V1 {
		return nil, fmt.Errorf("cgroup: JoinThread needs cgroup v1")
	}
	home, err := g.threadHome()
	if err != nil {
		return nil, err
	}
	restore = func() error {
		var errs []error
		for _, d := range home {
			if err := g.fs.WriteFile(path.Join(d, "tasks"), []byte("0")); err != nil {
				errs = append(errs, fmt.Errorf("cgroup: moving the thread back to %s: %w", d, err))
			}
		}
		return errors.Join(errs...)
	}
	for _, d := range g.Dirs {
		if err := g.fs.WriteFile(path.Join(d, "tasks"), []byte("0")); err != nil {
			if rerr := restore(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return nil, fmt.Errorf("cgroup: moving the thread into %s: %w", d, err)
		}
	}
	return restore, nil
}

// threadHome returns, for each of the group's hierarchies, the directory
// of the cgroup the calling thread is in now.
func (g *Group) threadHome() ([]string, error) {
	b, err := g.fs.ReadFile("/proc/thread-self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	where := map[string]string{} // controller → path
	for _, line := range lines(b) {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			for _, c := range strings.Split(parts[1], ",") {
				where[c] = parts[2]
			}
		}
	}
	var home []string
	for _, d := range g.Dirs {
		h, ok := g.hier[d]
		key := ""
		if len(h.Controllers) > 0 {
			key = h.Controllers[0]
		}
		p, found := where[key]
		if !ok || !found {
			return nil, fmt.Errorf("cgroup: cannot tell where the thread sits for %s", d)
		}
		home = append(home, path.Join(h.Mount, p))
	}
	return home, nil
}

// Procs lists the processes in the group, in any of its hierarchies.
// The calling process itself is never listed (see [Group.JoinThread]).
func (g *Group) Procs() ([]int, error) {
	var pids []int
	self := os.Getpid()
	for _, d := range g.Dirs {
		b, err := g.fs.ReadFile(path.Join(d, "cgroup.procs"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil && p != self && !slices.Contains(pids, p) {
				pids = append(pids, p)
			}
		}
	}
	return pids, nil
}

// Kill kills every process in the group and waits until the group is
// empty or ctx is done. On v2 it writes cgroup.kill; on v1 (or old v2) it
// freezes the group first, when a freezer is available, so no task can fork
// while the others are being killed.
func (g *Group) Kill(ctx context.Context) error {
	if g.Version == V2 && g.has("", "cgroup.kill") {
		if err := g.write("", "cgroup.kill", "1"); err != nil {
			return err
		}
		return g.waitEmpty(ctx)
	}
	frozen := g.freeze(ctx, true)
	for {
		pids, err := g.Procs()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		if frozen {
			g.freeze(ctx, false)
			frozen = false
		}
		if err := sleepCtx(ctx, time.Millisecond); err != nil {
			return err
		}
	}
	if frozen {
		g.freeze(ctx, false)
	}
	return g.waitEmpty(ctx)
}

// freeze freezes (or thaws) the group and reports whether it is frozen.
func (g *Group) freeze(ctx context.Context, on bool) bool {
	var file, want string
	var ctrl string
	if g.Version == V1 {
		ctrl, file = "freezer", "freezer.state"
		want = map[bool]string{true: "FROZEN", false: "THAWED"}[on]
	} else {
		file = "cgroup.freeze"
		want = map[bool]string{true: "1", false: "0"}[on]
	}
	if !g.has(ctrl, file) || g.write(ctrl, file, want) != nil {
		return false
	}
	if !on || g.Version == V2 {
		return on
	}
	// v1 passes through FREEZING; wait briefly for FROZEN.
	d, _ := g.dir(ctrl)
	for i := 0; i < 100; i++ {
		b, err := g.fs.ReadFile(path.Join(d, file))
		if err != nil {
			return false
		}
		if strings.TrimSpace(string(b)) == "FROZEN" {
			return true
		}
		if sleepCtx(ctx, time.Millisecond) != nil {
			return false
		}
	}
	return false
}

func (g *Group) waitEmpty(ctx context.Context) error {
	for delay := 100 * time.Microsecond; ; delay = min(2*delay, 20*time.Millisecond) {
		pids, err := g.Procs()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if err := sleepCtx(ctx, delay); err != nil {
			return fmt.Errorf("cgroup: %d processes still running: %w", len(pids), err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Stats reads what the group measured. Call it after the run's processes
// have exited and before [Group.Remove]. Files the host lacks are skipped.
func (g *Group) Stats() Stats {
	var s Stats
	read := func(ctrl, file string) string {
		d, ok := g.dir(ctrl)
		if !ok {
			return ""
		}
		b, _ := g.fs.ReadFile(path.Join(d, file))
		return string(b)
	}
	if g.Version == V1 {
		if v, err := strconv.ParseInt(strings.TrimSpace(read("cpuacct", "cpuacct.usage")), 10, 64); err == nil {
			s.CPU, s.HaveCPU = time.Duration(v), true
		}
		s.PeakMemory, _ = strconv.ParseInt(strings.TrimSpace(read("memory", "memory.max_usage_in_bytes")), 10, 64)
		s.OOMKills = keyed(read("memory", "memory.oom_control"), "oom_kill")
	} else {
		if v := keyed(read("cpu", "cpu.stat"), "usage_usec"); v > 0 || strings.Contains(read("cpu", "cpu.stat"), "usage_usec") {
			s.CPU, s.HaveCPU = time.Duration(v)*time.Microsecond, true
		}
		s.PeakMemory, _ = strconv.ParseInt(strings.TrimSpace(read("memory", "memory.peak")), 10, 64)
		s.OOMKills = keyed(read("memory", "memory.events"), "oom_kill")
	}
	s.PidsLimitHits = keyed(read("pids", "pids.events"), "max")
	return s
}

// keyed returns the value of "key N" in a flat-keyed cgroup file.
func keyed(content, key string) int64 {
	for _, line := range strings.Split(content, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// Remove removes the group's directories. A directory that still holds
// tasks is retried for up to a second (exiting tasks leave it shortly after
// they are reaped); directories that are already gone are not an error.
func (g *Group) Remove() error {
	var errs []error
	for _, d := range g.Dirs {
		var err error
		for i := 0; i < 200; i++ {
			err = g.fs.Rmdir(d)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				err = nil
				break
			}
			if !errors.Is(err, syscall.EBUSY) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("cgroup: removing %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
