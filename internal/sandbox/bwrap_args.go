package sandbox

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// launchArgv returns the whole command line that starts a bwrap sandbox
// for p: prlimit(1) sets the rlimits on itself and executes bwrap, so
// bwrap and everything it starts inherit them. (Setting them with
// prlimit(2) on bwrap's processes from outside needs CAP_SYS_RESOURCE,
// which root lacks in most containers.)
func launchArgv(prlimit, bwrap string, p plan) []string {
	a := []string{prlimit}
	for _, rl := range p.Limits.rlimits() {
		v := strconv.FormatUint(rl.Value, 10)
		a = append(a, "--"+rl.Flag+"="+v+":"+v)
	}
	a = append(a, "--", bwrap)
	return append(a, bwrapArgs(p)...)
}

// bwrapFirstDataFD is the descriptor of the first data file bwrap is given
// (see bwrapData): the runner passes them as its first extra files.
const bwrapFirstDataFD = 3

// bwrapData returns the contents bwrap copies into the sandbox, in the
// order of their descriptors in bwrapArgs: the /etc files when the plan
// has no host EtcDir, then the spec's files when the work directory is a
// tmpfs.
func bwrapData(p plan) [][]byte {
	var d [][]byte
	if p.EtcDir == "" {
		for _, f := range etcFiles {
			d = append(d, []byte(etcContent(f, p.UID, p.GID)))
		}
	}
	if p.WorkDir == "" {
		for _, f := range p.Files {
			d = append(d, f.Data)
		}
	}
	return d
}

// fileMode returns f's permission bits, 0644 by default.
func fileMode(f File) uint32 {
	if m := f.Mode & 0o777; m != 0 {
		return m
	}
	return 0o644
}

// bwrapArgs returns bubblewrap's arguments (without the program name) for
// p. It is a pure function of the plan.
//
// Every namespace is new (user, mount, pid, ipc, uts, net, cgroup), the
// sandbox may not create further user namespaces, it gets its own session
// (no TIOCSTI into the caller's terminal) and dies with airlock. The root is
// an empty tmpfs, remounted read-only once the mounts are in place: /usr and
// a few /etc files from the host read-only, fresh /proc and /dev, a
// size-limited tmpfs /tmp, and the work directory read-write. The rlimits
// come from prlimit(1) and the cgroup from the way the runner starts it
// (see bwrapStart).
func bwrapArgs(p plan) []string {
	a := []string{
		"--unshare-all", "--unshare-user", "--unshare-cgroup", "--disable-userns",
		"--new-session", "--die-with-parent",
		"--hostname", sandboxHostname,
		"--ro-bind", "/usr", "/usr",
	}
	for _, l := range p.RootLinks {
		a = append(a, "--symlink", l.Target, l.Path)
	}
	for _, d := range p.RootBinds {
		a = append(a, "--ro-bind", d, d)
	}
	for _, e := range p.EtcBinds {
		a = append(a, "--ro-bind", e, e)
	}
	fd := bwrapFirstDataFD
	for _, f := range etcFiles {
		if p.EtcDir != "" {
			a = append(a, "--ro-bind", path.Join(p.EtcDir, f), "/etc/"+f)
		} else {
			a = append(a, "--perms", "0644", "--ro-bind-data", strconv.Itoa(fd), "/etc/"+f)
			fd++
		}
	}
	a = append(a,
		"--proc", "/proc",
		"--dev", "/dev",
		"--perms", "1777", "--size", strconv.FormatInt(int64(p.Limits.Tmpfs), 10), "--tmpfs", "/dev/shm",
		"--remount-ro", "/dev",
		"--perms", "1777", "--size", strconv.FormatInt(int64(p.Limits.Tmpfs), 10), "--tmpfs", "/tmp",
	)
	if p.WorkDir != "" {
		a = append(a, "--bind", p.WorkDir, WorkPath)
	} else {
		// No work directory to keep: a tmpfs, with the spec's files copied in.
		a = append(a, "--perms", "0755", "--size", strconv.FormatInt(int64(p.Limits.Tmpfs), 10), "--tmpfs", WorkPath)
		var made []string
		for _, f := range p.Files {
			var parents []string
			for d := path.Dir(f.Name); d != "."; d = path.Dir(d) {
				parents = append(parents, d)
			}
			for i := len(parents) - 1; i >= 0; i-- {
				if !slices.Contains(made, parents[i]) {
					made = append(made, parents[i])
					a = append(a, "--dir", path.Join(WorkPath, parents[i]))
				}
			}
			a = append(a, "--perms", fmt.Sprintf("%04o", fileMode(f)), "--file", strconv.Itoa(fd), path.Join(WorkPath, f.Name))
			fd++
		}
	}
	for _, b := range p.Binds {
		op := "--ro-bind"
		if b.Writable {
			op = "--bind"
		}
		a = append(a, op, b.Src, bindTarget(b))
	}
	if p.Proxy != nil {
		a = append(a,
			"--ro-bind", p.Proxy.Forwarder, ForwarderInside,
			"--bind", p.Proxy.Socket, socketInside,
		)
	}
	a = append(a,
		"--remount-ro", "/",
		"--chdir", WorkPath,
		"--clearenv",
	)
	for _, e := range p.Env {
		name, value, _ := strings.Cut(e, "=")
		a = append(a, "--setenv", name, value)
	}
	a = append(a, "--")
	return append(a, p.Argv...)
}
