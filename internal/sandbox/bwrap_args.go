package sandbox

import (
	"path"
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
	for _, f := range etcFiles {
		a = append(a, "--ro-bind", path.Join(p.EtcDir, f), "/etc/"+f)
	}
	a = append(a,
		"--proc", "/proc",
		"--dev", "/dev",
		"--perms", "1777", "--size", strconv.FormatInt(int64(p.Limits.Tmpfs), 10), "--tmpfs", "/dev/shm",
		"--remount-ro", "/dev",
		"--perms", "1777", "--size", strconv.FormatInt(int64(p.Limits.Tmpfs), 10), "--tmpfs", "/tmp",
		"--bind", p.WorkDir, WorkPath,
	)
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
