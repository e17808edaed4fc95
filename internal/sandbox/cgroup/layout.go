// Package cgroup creates, limits, measures, kills and removes the control
// group that holds one sandboxed run, on cgroup v2 (the unified hierarchy)
// and on cgroup v1 hosts, including hybrid hosts whose controllers are all
// mounted as v1 hierarchies and whose v2 mount holds no controllers.
//
// A run's group is always created below the cgroup airlock itself sits in,
// so whatever limits the host put on airlock also bound its sandboxes:
//
//   - v1: each hierarchy has its own path for airlock (read from
//     /proc/self/cgroup), so the run gets one directory per hierarchy, e.g.
//     /sys/fs/cgroup/memory/<airlock's memory path>/airlock-<id> and
//     /sys/fs/cgroup/pids/<airlock's pids path>/airlock-<id>.
//   - v2: the run's directory is a child of airlock's own cgroup when the
//     controllers can be enabled there; the "no internal processes" rule
//     forbids that when airlock's cgroup holds processes and is not the root,
//     and then the run goes next to it (a child of its parent), which is
//     what runc does with relative cgroup paths.
//
// Traps this package handles: writing a pid into a hierarchy moves only
// that process (not its existing children), so a process must be born in
// the group or join before it forks ([Group.JoinThread] on v1,
// CLONE_INTO_CGROUP on v2); v2 has cgroup.kill, v1 needs a kill loop,
// frozen first where the group has a freezer (a fork bomb can outrun a kill
// loop; the pids limit bounds it otherwise); rmdir fails with EBUSY until
// the last task has exited; and memory.memsw (v1) or memory.swap.max (v2)
// must be set too or a memory limit only moves pages to swap.
//
// The package does no logging. Layout parsing is pure; every other function
// works on the paths of a [Layout], so tests can point it at a fake tree.
package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Version is the cgroup version whose controllers a [Layout] uses.
type Version int

// The cgroup versions.
const (
	V1 Version = 1
	V2 Version = 2
)

// String returns "v1" or "v2".
func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2:
		return "v2"
	}
	return fmt.Sprintf("Version(%d)", int(v))
}

// Required are the controllers a sandbox cannot do without: memory bounds
// RAM and tmpfs, pids bounds fork bombs (RLIMIT_NPROC is per user, not per
// run, and ignored for root).
var Required = []string{"memory", "pids"}

// Hierarchy is one mounted cgroup hierarchy.
type Hierarchy struct {
	// Mount is where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory.
	Mount string
	// Controllers are the controllers attached to it ("cpu", "cpuacct", or
	// a named hierarchy such as "name=systemd"). Empty for a v2 mount.
	Controllers []string
	// Own is the path of this process's cgroup inside the hierarchy, as
	// /proc/self/cgroup gives it ("/" or "/user.slice/...").
	Own string
}

// Dir returns the directory of this process's own cgroup in h.
func (h Hierarchy) Dir() string { return path.Join(h.Mount, h.Own) }

// Layout says which cgroup version provides the controllers and where this
// process sits in each hierarchy.
type Layout struct {
	Version Version
	// Unified is the v2 hierarchy; for V2 layouts it is the one used.
	Unified Hierarchy
	// V1 lists the v1 hierarchies (named ones such as name=systemd too).
	V1 []Hierarchy
}

// ErrNoCgroups means the host lacks the controllers a sandbox needs.
var ErrNoCgroups = errors.New("cgroup controllers unavailable")

// ParseLayout builds a Layout from the contents of /proc/self/mountinfo,
// /proc/self/cgroup and, for v2, the unified hierarchy's root
// cgroup.controllers file (nil when there is no v2 mount). It prefers v1
// when the v1 hierarchies carry every [Required] controller (hybrid hosts),
// and v2 when the unified hierarchy does.
func ParseLayout(mountinfo, procCgroup, v2Controllers []byte) (Layout, error) {
	var l Layout
	own := map[string]string{} // controller list as in /proc/self/cgroup ("" for v2) → path
	for _, line := range lines(procCgroup) {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return Layout{}, fmt.Errorf("/proc/self/cgroup: malformed line %q", line)
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	haveV2 := false
	for _, line := range lines(mountinfo) {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		mount := unescapeMount(pf[4])
		switch qf[0] {
		case "cgroup2":
			if haveV2 {
				continue
			}
			p, ok := own[""]
			if !ok {
				continue
			}
			haveV2 = true
			l.Unified = Hierarchy{Mount: mount, Own: p}
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(qf[2], ",") {
				if isController(o) {
					ctrls = append(ctrls, o)
				}
			}
			if len(ctrls) == 0 {
				continue
			}
			p, ok := own[ctrls[0]]
			if !ok {
				continue
			}
			if slices.ContainsFunc(l.V1, func(h Hierarchy) bool { return slices.Equal(h.Controllers, ctrls) }) {
				continue // the same hierarchy mounted twice
			}
			l.V1 = append(l.V1, Hierarchy{Mount: mount, Controllers: ctrls, Own: p})
		}
	}
	if allIn(Required, l.v1Controllers()) {
		l.Version = V1
		return l, nil
	}
	if haveV2 && allIn(Required, strings.Fields(string(v2Controllers))) {
		l.Version = V2
		return l, nil
	}
	return Layout{}, fmt.Errorf("%w: need the %s controllers (cgroup v2, or v1 hierarchies)", ErrNoCgroups, strings.Join(Required, " and "))
}

// v1Controllers lists the controllers of every v1 hierarchy.
func (l Layout) v1Controllers() []string {
	var cs []string
	for _, h := range l.V1 {
		cs = append(cs, h.Controllers...)
	}
	return cs
}

// V1Hierarchy returns the v1 hierarchy that carries controller.
func (l Layout) V1Hierarchy(controller string) (Hierarchy, bool) {
	for _, h := range l.V1 {
		if slices.Contains(h.Controllers, controller) {
			return h, true
		}
	}
	return Hierarchy{}, false
}

// isController reports whether a v1 mount option names a controller (or a
// named hierarchy) rather than a mount flag.
func isController(opt string) bool {
	if strings.HasPrefix(opt, "name=") {
		return true
	}
	switch opt {
	case "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children",
		"noprefix", "xattr", "sane_behavior", "cpuset_v2_mode", "favordynmods":
		return false
	}
	return !strings.ContainsAny(opt, "=")
}

func allIn(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
