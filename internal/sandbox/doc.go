// Package sandbox runs untrusted commands (generated code, pip) in
// sandboxes whose only way out is, at most, one forwarded TCP port.
//
// A [Spec] says what to run, with which files, network and [Limits]; a
// [Runner] runs it and returns a [Result]: exit code, signal, the [Reason]
// it ended, captured output, wall and CPU time and peak memory. There are
// three Runners:
//
//   - [Bwrap] (the default) uses bubblewrap: new user, mount, pid, ipc, uts,
//     net and cgroup namespaces, no nested user namespaces, its own session,
//     a read-only root made of the host's /usr and a few /etc files, a
//     size-limited tmpfs /tmp, and the work directory read-write at
//     [WorkPath]. The environment is cleared (PATH, HOME=/tmp,
//     LANG=C.UTF-8 and the spec's variables).
//   - [OCI] writes an OCI bundle for runc (crun and gVisor's runsc take the
//     same bundle): the same mounts, no capabilities, no_new_privs, and a
//     seccomp profile that refuses namespaces, mount, ptrace, bpf, keyrings
//     and io_uring.
//   - [Unsafe] runs the command on the host with only the wall-clock and
//     output limits. It exists for `airlock run --unsafe-no-sandbox`.
//
// # Limits
//
// bwrap sets no limits itself. Each run gets its own cgroup (see package
// [github.com/airlock-dev/airlock/internal/sandbox/cgroup]; v2, or v1 on
// hybrid hosts) for memory (tmpfs included, no swap), processes and CPU
// rate, plus rlimits for open files, file size, core dumps (none), CPU time
// and, optionally, address space. A memory-cgroup kill is SIGKILL and is
// reported as Reason [Memory]; an RLIMIT_AS failure is an ordinary
// allocation failure (Python's MemoryError) and the command decides what
// happens. The wall-clock and output limits are enforced by the Runner,
// which kills the whole cgroup.
//
// # Who the sandbox runs as
//
// Never root: as root, RLIMIT_NPROC is ignored and files written to the
// work directory would be root's. When airlock is not root, the sandbox
// runs as airlock's user. When it is root, the sandbox runs as the owner of
// the work directory if that is not root, so what the command creates is
// theirs; otherwise as Options.UID (default 65534, nobody), and a
// root-owned work directory is lent to that user for the run: its top
// directory changes owner, and afterwards every file the sandbox user owns
// in it goes back to root, set-id bits stripped. Host paths the sandbox
// user cannot reach (anything under /root, for instance) are bind-mounted
// by root onto "bridges" in the run directory, which only that user may
// enter, and unmounted after the run.
//
// # Starting without a race
//
// The command must not run a single instruction before it is inside the
// run's cgroup with its rlimits. bwrap is told to wait on a pipe once the
// sandbox is built; the Runner then moves bwrap and the sandbox's init into
// the cgroup, sets their rlimits and only then releases it (see
// bwrapStart). On cgroup v2, bwrap is even born in the cgroup
// (CLONE_INTO_CGROUP).
//
// # Cleaning up
//
// A run records what it creates (cgroups, run directory, bridges, lent
// ownership, OCI container) in Options.StateDir before creating it, under a
// lock held for the run's life. When Run returns, all of it is gone. If
// airlock is killed, bwrap dies with it (parent-death signal), the
// sandbox's init dies with bwrap, and the kernel kills the rest of the pid
// namespace; the next Runner built with the same StateDir calls [Reap],
// which removes the leftovers of every record whose lock is free.
//
// # Proxy mode
//
// With [NetProxy], airlock's own binary is mounted read-only at
// [ForwarderInside] and runs as the sandbox's first process
// ([ForwardCommand], [ForwardMain]): it listens on 127.0.0.1:Port and
// carries each connection over a unix socket, bind-mounted from the run
// directory, to a listener the Runner serves on the host for the length of
// the run, which connects it to the spec's target. The sandbox still has
// no network interface but its own loopback.
//
// # Exit status
//
// bwrap and runc report a command killed by signal N as exit status 128+N,
// as shells do; Result reports such a status as signal N (a command that
// calls exit(137) is indistinguishable from one killed by SIGKILL).
package sandbox
