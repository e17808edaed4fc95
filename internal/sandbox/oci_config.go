package sandbox

import (
	"path"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ociVersion is the runtime-spec version written into config.json: the
// oldest one that has everything used here, so Debian's runc 1.1 (spec
// 1.0.2) accepts the bundle.
const ociVersion = "1.0.2"

// ociRootfs is the bundle's root directory, relative to the bundle; it is
// empty but for the mount points and the /bin, /lib... symlinks, and
// mounted read-only.
const ociRootfs = "rootfs"

// ociParams are the OCI-specific parts of a run.
type ociParams struct {
	// CgroupsPath is linux.cgroupsPath (see cgroup.Manager.RuntimePath).
	CgroupsPath string
	// Setpriv is the path, inside the container, of util-linux's setpriv,
	// which gives the command a parent-death signal: OCI runtimes have no
	// such option, and without it a container outlives a killed airlock.
	Setpriv string
	// Prlimit is the path, inside the container, of util-linux's prlimit.
	Prlimit string
}

// ociConfig returns the OCI runtime configuration for p. It is a pure
// function of its arguments.
//
// The container gets the same view as a bwrap sandbox (see bwrapArgs): a
// read-only root with /usr and a few /etc files, fresh /proc and /dev, a
// size-limited tmpfs /tmp, the work directory read-write. The process runs
// as the sandbox user with no capabilities at all, no_new_privs, the run's
// rlimits, and [seccompProfile]. It has new pid, net, ipc, uts, mount and
// cgroup namespaces; runc brings the new loopback up. Limits go to the
// runtime's cgroup at CgroupsPath. Unlike bwrap, no user namespace is made:
// runc runs as root and the process's user is already unprivileged.
func ociConfig(p plan, o ociParams) *specs.Spec {
	ro := []string{"rbind", "ro", "nosuid", "nodev"}
	rw := []string{"rbind", "rw", "nosuid", "nodev"}
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(int64(p.Limits.Tmpfs), 10)}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/usr", Type: "bind", Source: "/usr", Options: ro},
	}
	for _, d := range p.RootBinds {
		mounts = append(mounts, specs.Mount{Destination: d, Type: "bind", Source: d, Options: ro})
	}
	for _, e := range p.EtcBinds {
		mounts = append(mounts, specs.Mount{Destination: e, Type: "bind", Source: e, Options: ro})
	}
	for _, f := range etcFiles {
		mounts = append(mounts, specs.Mount{Destination: "/etc/" + f, Type: "bind", Source: path.Join(p.EtcDir, f), Options: ro})
	}
	mounts = append(mounts,
		// runc ignores mode= here: the mount point in the rootfs is 1777.
		specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "nodev", "mode=1777", "size=" + strconv.FormatInt(int64(p.Limits.Tmpfs), 10)}},
		specs.Mount{Destination: WorkPath, Type: "bind", Source: p.WorkDir, Options: rw},
	)
	for _, b := range p.Binds {
		opts := ro
		if b.Writable {
			opts = rw
		}
		mounts = append(mounts, specs.Mount{Destination: bindTarget(b), Type: "bind", Source: b.Src, Options: opts})
	}
	if p.Proxy != nil {
		mounts = append(mounts,
			specs.Mount{Destination: ForwarderInside, Type: "bind", Source: p.Proxy.Forwarder, Options: []string{"bind", "ro", "nosuid", "nodev"}},
			specs.Mount{Destination: socketInside, Type: "bind", Source: p.Proxy.Socket, Options: []string{"bind", "nosuid", "nodev", "noexec"}},
		)
	}

	var rlimits []specs.POSIXRlimit
	var inner []string // rlimits set inside, by prlimit(1)
	for _, rl := range p.Limits.rlimits() {
		if rl.Resource == rlimitAS {
			// The runtime's own init (Go, a large address space) runs
			// under the config's rlimits and fails to load the seccomp
			// filter under a small RLIMIT_AS; set it just before the
			// command instead.
			v := strconv.FormatUint(rl.Value, 10)
			inner = append(inner, "--"+rl.Flag+"="+v+":"+v)
			continue
		}
		rlimits = append(rlimits, specs.POSIXRlimit{Type: rl.Name, Hard: rl.Value, Soft: rl.Value})
	}
	args := p.Argv
	if len(inner) > 0 {
		args = append(append(append([]string{o.Prlimit}, inner...), "--"), args...)
	}
	if o.Setpriv != "" {
		args = append([]string{o.Setpriv, "--pdeathsig", "KILL", "--"}, args...)
	}
	mem := int64(p.Limits.Memory)
	pids := int64(p.Limits.Pids)
	res := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:  &specs.LinuxMemory{Limit: &mem, Swap: &mem},
		Pids:    &specs.LinuxPids{Limit: &pids},
	}
	if q, per := cpuQuota(p.Limits.CPUs); q > 0 {
		uper := uint64(per)
		res.CPU = &specs.LinuxCPU{Quota: &q, Period: &uper}
	}
	none := []string{}
	return &specs.Spec{
		Version: ociVersion,
		Process: &specs.Process{
			User: specs.User{UID: uint32(p.UID), GID: uint32(p.GID)},
			Args: args,
			Env:  p.Env,
			Cwd:  WorkPath,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: none, Effective: none, Permitted: none, Inheritable: none, Ambient: none,
			},
			Rlimits:         rlimits,
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: ociRootfs, Readonly: true},
		Hostname: sandboxHostname,
		Mounts:   mounts,
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace}, {Type: specs.CgroupNamespace},
			},
			Resources:   res,
			CgroupsPath: o.CgroupsPath,
			Seccomp:     seccompProfile(),
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}

// Namespace flags of clone(2).
const (
	cloneNewNS     = 0x00020000
	cloneNewCgroup = 0x02000000
	cloneNewUTS    = 0x04000000
	cloneNewIPC    = 0x08000000
	cloneNewUser   = 0x10000000
	cloneNewPID    = 0x20000000
	cloneNewNet    = 0x40000000
)

// seccompDenied are the system calls an OCI sandbox may not make: new or
// other namespaces, mounts of any kind, tracing other processes, BPF,
// kernel keyrings, io_uring (which bypasses seccomp for its operations),
// and loading kernel code. They fail with EPERM.
var seccompDenied = []string{
	"unshare", "setns",
	"mount", "umount", "umount2", "pivot_root", "chroot",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"bpf", "perf_event_open",
	"add_key", "request_key", "keyctl",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
}

// seccompProfile returns the OCI sandbox's seccomp filter: allow by
// default, refuse [seccompDenied], refuse clone(2) with any namespace flag,
// and make clone3(2) fail with ENOSYS (its flags are behind a pointer that
// seccomp cannot read; the C library then falls back to clone).
func seccompProfile() *specs.LinuxSeccomp {
	eperm, enosys := uint(1), uint(38)
	sys := []specs.LinuxSyscall{
		{Names: seccompDenied, Action: specs.ActErrno, ErrnoRet: &eperm},
		{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
	}
	for _, f := range []uint64{cloneNewNS, cloneNewCgroup, cloneNewUTS, cloneNewIPC, cloneNewUser, cloneNewPID, cloneNewNet} {
		sys = append(sys, specs.LinuxSyscall{
			Names: []string{"clone"}, Action: specs.ActErrno, ErrnoRet: &eperm,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: f, ValueTwo: f, Op: specs.OpMaskedEqual}},
		})
	}
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchARM},
		Syscalls:      sys,
	}
}
