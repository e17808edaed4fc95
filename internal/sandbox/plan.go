package sandbox

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Paths inside every sandbox.
const (
	// runDirInside holds what airlock itself puts into a sandbox.
	runDirInside = "/run/airlock"
	// ForwarderInside is where airlock's binary is mounted in proxy mode.
	ForwarderInside = runDirInside + "/airlock"
	// socketInside is the unix socket that leads to the proxy listener.
	socketInside = runDirInside + "/proxy.sock"
)

// ForwardCommand is the hidden subcommand (the first argument after the
// program name) that airlock's binary must dispatch to [ForwardMain]: the
// forwarder that runs inside a sandbox in proxy mode.
const ForwardCommand = "__sandbox-forward"

// sandboxHostname is the sandbox's host name, so the host's is not leaked.
const sandboxHostname = "sandbox"

// symlink is a symbolic link created in the sandbox's root.
type symlink struct{ Target, Path string }

// plan is a [Spec] resolved against the host: every path, identity and
// limit decided. The drivers turn a plan into a bwrap command line or an
// OCI config with pure functions, which golden files test.
type plan struct {
	// UID and GID are the sandbox user's ids on the host (and inside).
	UID, GID int
	// WorkDir is the host directory mounted at WorkPath; empty means a
	// tmpfs (bwrap, when the spec has no work directory).
	WorkDir string
	// RootLinks are /bin, /lib, ... on merged-/usr hosts; RootBinds are
	// those that are real directories on other hosts.
	RootLinks []symlink
	RootBinds []string
	// EtcBinds are host /etc entries mounted read-only (ld.so.cache, ...).
	EtcBinds []string
	// EtcDir is a host directory with the sandbox's own passwd, group,
	// hosts and nsswitch.conf, mounted over /etc's. Empty (bwrap): they are
	// handed to bwrap as data.
	EtcDir string
	// Files are the spec's files when WorkDir is empty (a tmpfs, bwrap):
	// bwrap copies them in. Otherwise they were written to WorkDir.
	Files []File
	// Binds are the spec's binds with Dst filled in and Src possibly
	// replaced by a bridge (see bridge.go).
	Binds []Bind
	// Env is the complete environment.
	Env []string
	// Argv is the command line run inside (the forwarder's, in proxy mode).
	Argv []string
	// Limits has every default filled in.
	Limits Limits
	// Proxy is set in proxy mode.
	Proxy *proxyPlan
}

// proxyPlan is the host side of proxy mode.
type proxyPlan struct {
	// Forwarder is the host path of the binary mounted at ForwarderInside.
	Forwarder string
	// Socket is the host path of the unix socket mounted at socketInside.
	Socket string
	// Port is the loopback port inside.
	Port int
}

// etcFiles are the sandbox's own /etc files, written per run into
// plan.EtcDir: a user entry so getpass and `id` work, localhost, and an
// nsswitch.conf that consults only those files.
var etcFiles = []string{"passwd", "group", "hosts", "nsswitch.conf"}

// etcContent returns the content of one of [etcFiles].
func etcContent(name string, uid, gid int) string {
	switch name {
	case "passwd":
		return "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
			"sandbox:x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(gid) + ":airlock sandbox:/tmp:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	case "group":
		return "root:x:0:\nsandbox:x:" + strconv.Itoa(gid) + ":\nnogroup:x:65534:\n"
	case "hosts":
		return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + sandboxHostname + "\n"
	case "nsswitch.conf":
		return "passwd: files\ngroup: files\nshadow: files\nhosts: files\n"
	}
	return ""
}

// environ builds the sandbox's environment: PATH, HOME, LANG, then the
// spec's variables (later ones win).
func environ(s Spec) []string {
	p := strings.Join(append(slices.Clone(s.PathPrefix), DefaultPath), ":")
	env := []string{"PATH=" + p, "HOME=/tmp", "LANG=C.UTF-8"}
	for _, e := range s.Env {
		name, _, _ := strings.Cut(e, "=")
		env = slices.DeleteFunc(env, func(x string) bool { return strings.HasPrefix(x, name+"=") })
		env = append(env, e)
	}
	return env
}

// innerArgv returns the command line run in the sandbox: the spec's, or in
// proxy mode the forwarder's, which starts the spec's command once its
// port listens.
func innerArgv(s Spec, p *proxyPlan) []string {
	if p == nil {
		return slices.Clone(s.Argv)
	}
	return append([]string{ForwarderInside, ForwardCommand,
		"-listen", "127.0.0.1:" + strconv.Itoa(p.Port), "-socket", socketInside, "--"}, s.Argv...)
}

// bindTarget returns where b appears inside the sandbox.
func bindTarget(b Bind) string {
	if b.Dst != "" {
		return path.Clean(b.Dst)
	}
	return path.Clean(b.Src)
}

// rlimitSpec is one resource limit set on the sandbox's processes.
type rlimitSpec struct {
	Name     string // RLIMIT_NOFILE, as in the OCI spec
	Flag     string // nofile, as prlimit(1) names it
	Resource int
	Value    uint64
}

// rlimits lists the rlimits a plan sets (soft = hard).
func (l Limits) rlimits() []rlimitSpec {
	out := []rlimitSpec{
		{"RLIMIT_CORE", "core", rlimitCore, 0},
		{"RLIMIT_NOFILE", "nofile", rlimitNofile, uint64(l.OpenFiles)},
		{"RLIMIT_FSIZE", "fsize", rlimitFsize, uint64(l.FileSize)},
	}
	if l.CPUTime > 0 {
		secs := uint64((l.CPUTime + 999999999) / 1e9)
		out = append(out, rlimitSpec{"RLIMIT_CPU", "cpu", rlimitCPU, secs})
	}
	if l.AddressSpace > 0 {
		out = append(out, rlimitSpec{"RLIMIT_AS", "as", rlimitAS, uint64(l.AddressSpace)})
	}
	return out
}

// Resource numbers (the same on every Linux architecture Go supports for
// these five).
const (
	rlimitCPU    = 0
	rlimitFsize  = 1
	rlimitCore   = 4
	rlimitNofile = 7
	rlimitAS     = 9
)

// cpuQuota converts a CPUs limit to a CFS quota per 100ms period.
func cpuQuota(cpus float64) (quotaMicros, periodMicros int64) {
	if cpus <= 0 {
		return 0, 0
	}
	const period = 100000
	q := int64(cpus * period)
	if q < 1000 {
		q = 1000 // the kernel's minimum quota is 1ms
	}
	return q, period
}

func (p plan) String() string { return fmt.Sprintf("plan{uid=%d argv=%q}", p.UID, p.Argv) }
