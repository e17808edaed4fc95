package sandbox

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"time"
)

// Runner runs one command in a fresh sandbox and waits for it.
//
// Contract, for every implementation:
//   - Run returns a nil error whenever the command was started, whatever
//     became of it: a non-zero exit, a signal, a limit that stopped it, or
//     ctx being cancelled (Reason [Killed]) are all described by the
//     [Result]. A non-nil error means no result: the spec was invalid
//     (wrapping [ErrSpec]), or the sandbox could not be set up (the driver
//     is missing, cgroups are unavailable, ...). Callers fail closed on it.
//   - When Run returns, every process the command started has exited and
//     everything the run created on the host (cgroups, temporary
//     directories, sockets, runtime state) has been removed; if airlock
//     itself dies mid-run, its processes die with it and the rest is
//     reaped when the next Runner is created with the same state directory.
//   - Run never changes the caller's process (its rlimits, cgroup,
//     credentials or working directory).
//   - Run is safe for concurrent use; runs do not see each other.
type Runner interface {
	Run(ctx context.Context, spec Spec) (Result, error)
}

// WorkPath is where the work directory appears inside a sandbox; it is
// also the command's current directory.
const WorkPath = "/work"

// DefaultPath is the PATH inside a sandbox, after [Spec.PathPrefix].
const DefaultPath = "/usr/local/bin:/usr/bin:/bin"

// Spec describes one command to run.
type Spec struct {
	// Argv is the command and its arguments. Argv[0] is a path inside the
	// sandbox, or a name looked up in PATH there (e.g. /usr/bin/python3).
	Argv []string
	// Env holds extra NAME=value variables. The environment is otherwise
	// cleared: PATH, HOME=/tmp and LANG=C.UTF-8 are set (Env may override
	// HOME and LANG, but not PATH: use PathPrefix).
	Env []string
	// PathPrefix are directories inside the sandbox put before
	// [DefaultPath] in PATH, e.g. an environment's venv bin directory.
	PathPrefix []string
	// WorkDir is a host directory mounted read-write at [WorkPath]. Empty
	// means a fresh temporary directory, removed after the run. Files the
	// command creates in it belong to the directory's owner (see the
	// package documentation for how this works when airlock runs as root).
	WorkDir string
	// Files are written into the work directory before the command starts,
	// owned by the sandbox user; e.g. a script to run.
	Files []File
	// Binds are extra host paths to mount, read-only unless Writable.
	Binds []Bind
	// Net is the sandbox's network.
	Net Network
	// Limits bound the run; zero fields take the [DefaultLimits] values.
	Limits Limits
	// Stdin is the command's standard input; nil means empty.
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the command's output as it is
	// produced, and Result.Stdout/Stderr stay empty. Either way the output
	// is counted against Limits.Output.
	Stdout, Stderr io.Writer
}

// File is a file to put into the work directory.
type File struct {
	// Name is a path relative to the work directory ("main.py", "pkg/a.py").
	Name string
	Data []byte
	// Mode is the permission bits; 0 means 0644.
	Mode uint32
}

// Bind mounts a host path into the sandbox.
type Bind struct {
	// Src is the host path, Dst the absolute path inside the sandbox (Src
	// when empty).
	Src, Dst string
	// Writable makes the mount read-write.
	Writable bool
}

// NetMode is a sandbox's network mode.
type NetMode int

// The network modes.
const (
	// NetNone gives the sandbox only a loopback interface of its own.
	NetNone NetMode = iota
	// NetProxy adds one TCP port on the sandbox's loopback that leads to a
	// single target outside (see [Network]).
	NetProxy
)

var (
	_ encoding.TextMarshaler   = NetMode(0)
	_ encoding.TextUnmarshaler = (*NetMode)(nil)
)

// String returns "none" or "proxy".
func (m NetMode) String() string {
	switch m {
	case NetNone:
		return "none"
	case NetProxy:
		return "proxy"
	}
	return fmt.Sprintf("NetMode(%d)", int(m))
}

// ParseNetMode parses "none" or "proxy".
func ParseNetMode(s string) (NetMode, error) {
	switch s {
	case "none":
		return NetNone, nil
	case "proxy":
		return NetProxy, nil
	}
	return 0, fmt.Errorf("unknown network mode %q (want none or proxy)", s)
}

// MarshalText implements [encoding.TextMarshaler].
func (m NetMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (m *NetMode) UnmarshalText(b []byte) error {
	v, err := ParseNetMode(string(b))
	*m = v
	return err
}

// DefaultProxyPort is the loopback port the sandbox reaches the proxy on.
const DefaultProxyPort = 3128

// Network configures a sandbox's network.
//
// In [NetProxy] mode, a forwarder (airlock's own binary, mounted read-only
// and run as the sandbox's first process) listens on 127.0.0.1:Port inside
// the sandbox and carries each connection over a unix socket bind-mounted
// from the host to a listener the [Runner] runs outside for the length of
// the run, which connects it to Target (or calls Dial). Nothing else leaves
// the sandbox: it has no other interface.
type Network struct {
	Mode NetMode
	// Port is the loopback port inside the sandbox; 0 means
	// [DefaultProxyPort].
	Port int
	// Target is the host:port every connection is forwarded to.
	Target string
	// Dial, when set, is used instead of dialling Target.
	Dial func(ctx context.Context) (net.Conn, error)
}

// Limits bound a run. A zero field takes its [DefaultLimits] value, except
// where the field says zero means unlimited.
type Limits struct {
	// Wall is the wall-clock limit; the run is killed when it passes.
	Wall time.Duration
	// CPUTime is RLIMIT_CPU for each process (SIGXCPU, then SIGKILL); zero
	// means unlimited (Wall and CPUs still bound it).
	CPUTime time.Duration
	// CPUs caps the CPU rate (cgroup CFS quota), e.g. 0.5 or 2; zero means
	// unlimited.
	CPUs float64
	// Memory caps RAM, tmpfs included, with no swap (cgroup); the kernel's
	// OOM killer ends the run with SIGKILL (Reason [Memory]).
	Memory Bytes
	// AddressSpace is RLIMIT_AS for each process, which makes allocations
	// fail (Python raises MemoryError) instead of the run being killed;
	// zero means unlimited.
	AddressSpace Bytes
	// Pids caps the number of processes and threads (cgroup).
	Pids int
	// OpenFiles is RLIMIT_NOFILE.
	OpenFiles int
	// FileSize is RLIMIT_FSIZE: the largest file a process may write.
	FileSize Bytes
	// Output caps each of stdout and stderr; a run that writes more is
	// killed (Reason [Output]) and the captured stream is truncated.
	Output Bytes
	// Tmpfs is the size of the sandbox's /tmp (also charged to Memory).
	Tmpfs Bytes
}

// DefaultLimits are the limits of a run that sets none.
func DefaultLimits() Limits {
	return Limits{
		Wall:      60 * time.Second, // long enough for a resolve, short enough for an agent's loop
		Memory:    1 * GiB,
		Pids:      256,  // pip and a test suite's workers, not a fork bomb
		OpenFiles: 1024, // the usual soft default
		FileSize:  1 * GiB,
		Output:    16 * MiB, // more than any agent will read
		Tmpfs:     256 * MiB,
	}
}

// WithDefaults returns l with its zero fields set from [DefaultLimits].
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.Wall == 0 {
		l.Wall = d.Wall
	}
	if l.Memory == 0 {
		l.Memory = d.Memory
	}
	if l.Pids == 0 {
		l.Pids = d.Pids
	}
	if l.OpenFiles == 0 {
		l.OpenFiles = d.OpenFiles
	}
	if l.FileSize == 0 {
		l.FileSize = d.FileSize
	}
	if l.Output == 0 {
		l.Output = d.Output
	}
	if l.Tmpfs == 0 {
		l.Tmpfs = d.Tmpfs
	}
	return l
}

// Minimums below which a sandbox cannot start a Python interpreter.
const (
	MinMemory = 16 * MiB
	MinPids   = 4 // the sandbox's init, the forwarder, the command and one child
)

// Validate reports the first limit that is negative or too small to work.
func (l Limits) Validate() error {
	switch {
	case l.Wall < 0 || l.CPUTime < 0 || l.CPUs < 0 || l.AddressSpace < 0 || l.FileSize < 0 || l.Output < 0 || l.Tmpfs < 0 || l.OpenFiles < 0:
		return fmt.Errorf("%w: negative limit", ErrSpec)
	case l.Memory != 0 && l.Memory < MinMemory:
		return fmt.Errorf("%w: memory limit %s is below the minimum %s", ErrSpec, l.Memory, MinMemory)
	case l.Pids != 0 && l.Pids < MinPids:
		return fmt.Errorf("%w: process limit %d is below the minimum %d", ErrSpec, l.Pids, MinPids)
	}
	return nil
}

// ErrSpec is wrapped by every error about an invalid [Spec].
var ErrSpec = errors.New("invalid sandbox spec")

// Validate checks s for what every driver refuses: an empty command, NUL
// bytes, malformed variables, relative or overlapping mount targets.
func (s Spec) Validate() error {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return fmt.Errorf("%w: no command", ErrSpec)
	}
	for _, a := range s.Argv {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("%w: NUL byte in an argument", ErrSpec)
		}
	}
	for _, e := range s.Env {
		name, _, ok := strings.Cut(e, "=")
		if !ok || name == "" || strings.IndexByte(e, 0) >= 0 {
			return fmt.Errorf("%w: environment entry %q is not NAME=value", ErrSpec, e)
		}
		if name == "PATH" {
			return fmt.Errorf("%w: set PATH through PathPrefix", ErrSpec)
		}
	}
	for _, p := range s.PathPrefix {
		if !path.IsAbs(p) || strings.ContainsAny(p, ":\x00") {
			return fmt.Errorf("%w: PATH entry %q must be absolute and contain no ':'", ErrSpec, p)
		}
	}
	for _, f := range s.Files {
		if !localName(f.Name) {
			return fmt.Errorf("%w: file name %q must be a relative path inside the work directory", ErrSpec, f.Name)
		}
	}
	for _, b := range s.Binds {
		dst := b.Dst
		if dst == "" {
			dst = b.Src
		}
		if !path.IsAbs(b.Src) || !path.IsAbs(dst) || strings.IndexByte(b.Src+dst, 0) >= 0 {
			return fmt.Errorf("%w: bind %q -> %q: paths must be absolute", ErrSpec, b.Src, dst)
		}
		if reservedTarget(path.Clean(dst)) {
			return fmt.Errorf("%w: bind target %q would replace part of the sandbox", ErrSpec, dst)
		}
	}
	if s.Net.Mode != NetNone && s.Net.Mode != NetProxy {
		return fmt.Errorf("%w: unknown network mode %d", ErrSpec, s.Net.Mode)
	}
	if s.Net.Mode == NetProxy {
		if s.Net.Target == "" && s.Net.Dial == nil {
			return fmt.Errorf("%w: proxy network without a target", ErrSpec)
		}
		if s.Net.Port < 0 || s.Net.Port > 65535 {
			return fmt.Errorf("%w: proxy port %d out of range", ErrSpec, s.Net.Port)
		}
	}
	return s.Limits.Validate()
}

// reservedTarget reports whether a bind at p would cover the sandbox's own
// mounts: its root, /proc, /dev, /etc, /tmp, /work or /run/airlock.
func reservedTarget(p string) bool {
	for _, r := range []string{"/", "/proc", "/dev", "/etc", "/tmp", WorkPath, "/run", "/run/airlock", "/usr"} {
		if p == r {
			return true
		}
	}
	for _, r := range []string{"/proc/", "/dev/", "/run/airlock/", "/etc/"} {
		if strings.HasPrefix(p, r) {
			return true
		}
	}
	return false
}

// localName reports whether name is a clean relative path with no ".."
// element.
func localName(name string) bool {
	if name == "" || path.IsAbs(name) || strings.IndexByte(name, 0) >= 0 {
		return false
	}
	c := path.Clean(name)
	return c == name && c != "." && c != ".." && !strings.HasPrefix(c, "../")
}

// Reason says why a run ended.
type Reason int

// The reasons, in the order [Result] gives them precedence.
const (
	// Exited: the command exited by itself.
	Exited Reason = iota
	// Signaled: the command was killed by a signal it did not get from airlock.
	Signaled
	// Timeout: airlock killed the run when Limits.Wall passed.
	Timeout
	// Memory: the memory limit's OOM killer killed a process.
	Memory
	// Pids: the process limit refused a fork and the command failed.
	Pids
	// Output: airlock killed the run when it wrote more than Limits.Output.
	Output
	// Killed: airlock killed the run because the caller cancelled it.
	Killed
)

var reasonNames = [...]string{"exited", "signaled", "timeout", "memory", "pids", "output", "killed"}

var (
	_ encoding.TextMarshaler   = Reason(0)
	_ encoding.TextUnmarshaler = (*Reason)(nil)
)

// String returns the reason's name: "exited", "signaled", "timeout",
// "memory", "pids", "output" or "killed".
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// MarshalText implements [encoding.TextMarshaler].
func (r Reason) MarshalText() ([]byte, error) {
	if r < 0 || int(r) >= len(reasonNames) {
		return nil, fmt.Errorf("invalid reason %d", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (r *Reason) UnmarshalText(b []byte) error {
	for i, n := range reasonNames {
		if n == string(b) {
			*r = Reason(i)
			return nil
		}
	}
	return fmt.Errorf("unknown reason %q", b)
}

// Result describes a finished run.
type Result struct {
	// ExitCode is the command's exit status, or 128+Signal when a signal
	// ended it.
	ExitCode int `json:"exit_code"`
	// Signal is the signal that ended the command, 0 if it exited.
	Signal int `json:"signal"`
	// Reason says why the run ended.
	Reason Reason `json:"reason"`
	// Stdout and Stderr are the captured output (empty when streamed to
	// Spec.Stdout/Stderr), each cut at Limits.Output.
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// StdoutTruncated and StderrTruncated report that output was cut.
	StdoutTruncated bool `json:"stdout_truncated"`
	StderrTruncated bool `json:"stderr_truncated"`
	// WallMS is the run's wall-clock time, CPUMS the CPU time of all its
	// processes, in milliseconds.
	WallMS int64 `json:"wall_ms"`
	CPUMS  int64 `json:"cpu_ms"`
	// PeakMemoryBytes is the run's peak memory use, 0 when unknown.
	PeakMemoryBytes int64 `json:"peak_memory_bytes"`
}

// Explain returns a short human explanation of why the run ended, for
// reasons other than a plain exit ("" for those).
func (r Result) Explain(l Limits) string {
	l = l.WithDefaults()
	switch r.Reason {
	case Timeout:
		return fmt.Sprintf("killed: wall-clock limit of %s reached", l.Wall)
	case Memory:
		return fmt.Sprintf("killed by the out-of-memory killer: memory limit of %s reached", l.Memory)
	case Pids:
		return fmt.Sprintf("process limit of %d reached (fork failed)", l.Pids)
	case Output:
		return fmt.Sprintf("killed: output limit of %s per stream reached", l.Output)
	case Killed:
		return "killed: the run was cancelled"
	case Signaled:
		return fmt.Sprintf("terminated by signal %d", r.Signal)
	}
	return ""
}
