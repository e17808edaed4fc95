//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestEscape is the escape and abuse suite: real sandboxes, the real
// /usr/bin/python3, for every driver the host has. Each case states what
// must hold, checks it from inside, and checks the host side too (a
// listener that saw no connection, a file that was not written, a process
// that was not killed, nothing left running). Every run also ends with the
// cleanup checks of newEnv: no record, no run directory, no process.
func TestEscape(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, d)
			for _, c := range escapeCases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, &env{t: t, r: e.r, stateDir: e.stateDir, tempDir: e.tempDir})
				})
			}
		})
	}
}

// small are the limits most cases run with, so a failing case fails fast.
var small = Limits{Wall: 20 * time.Second, Memory: 128 * MiB, Pids: 32, Output: MiB, Tmpfs: 8 * MiB}

var escapeCases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"network to a host listener on loopback", func(t *testing.T, e *env) {
		// The sandbox has its own network namespace: 127.0.0.1 inside is
		// not the host's, so a host service on loopback is unreachable.
		l, hits := listen(t, "tcp", "127.0.0.1:0")
		port := l.Addr().(*net.TCPAddr).Port
		res := e.runPy(fmt.Sprintf(`
import socket
try:
    socket.create_connection(("127.0.0.1", %d), timeout=2)
    print("CONNECTED")
except OSError as e:
    print("refused", e.errno)
print(sorted(n for _, n in socket.if_nameindex()))
`, port), small)
		expect(t, res, Exited, 0)
		if strings.Contains(res.Stdout, "CONNECTED") || !strings.Contains(res.Stdout, "['lo']") {
			t.Errorf("sandbox output: %s", res.Stdout)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("host listener accepted %d connections", n)
		}
	}},
	{"network to the host's external address", func(t *testing.T, e *env) {
		ip := externalIPv4(t)
		l, hits := listen(t, "tcp", net.JoinHostPort(ip, "0"))
		port := l.Addr().(*net.TCPAddr).Port
		res := e.runPy(fmt.Sprintf(`
import socket
for host in (%q, "1.1.1.1", "example.com"):
    try:
        socket.create_connection((host, %d), timeout=2)
        print("CONNECTED", host)
    except OSError as e:
        print("failed", host, e)
`, ip, port), small)
		expect(t, res, Exited, 0)
		if strings.Contains(res.Stdout, "CONNECTED") {
			t.Errorf("sandbox reached the network: %s", res.Stdout)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("host listener on %s accepted %d connections", ip, n)
		}
	}},
	{"abstract unix sockets", func(t *testing.T, e *env) {
		// Abstract sockets belong to the network namespace: the host's are
		// invisible.
		name := marker()
		_, hits := listen(t, "unix", "@"+name)
		res := e.runPy(fmt.Sprintf(`
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0%s")
    print("CONNECTED")
except OSError as e:
    print("refused", e.errno)
`, name), small)
		expect(t, res, Exited, 0)
		if strings.Contains(res.Stdout, "CONNECTED") {
			t.Errorf("sandbox output: %s", res.Stdout)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("host abstract socket accepted %d connections", n)
		}
	}},
	{"writes outside the work directory and /tmp", func(t *testing.T, e *env) {
		// The root, /usr, /etc, home directories and /var/tmp are read-only
		// or absent; nothing reaches the host's.
		name := marker()
		home, _ := os.UserHomeDir()
		targets := []string{"/" + name, "/usr/" + name, "/usr/lib/" + name, "/etc/" + name, "/var/tmp/" + name,
			"/root/" + name, filepath.Join(home, name), "/home/" + name, "/proc/" + name, "/dev/" + name}
		var py strings.Builder
		py.WriteString("import os\n")
		for _, p := range targets {
			fmt.Fprintf(&py, "try:\n    open(%q, 'w').write('x'); print('WROTE', %q)\nexcept OSError as e:\n    print('denied', %q, e.errno)\n", p, p, p)
		}
		res := e.runPy(py.String(), small)
		expect(t, res, Exited, 0)
		if strings.Contains(res.Stdout, "WROTE") {
			t.Errorf("sandbox wrote outside its directories:\n%s", res.Stdout)
		}
		for _, p := range targets {
			if _, err := os.Lstat(p); err == nil {
				os.Remove(p)
				t.Errorf("host file %s was created", p)
			}
		}
	}},
	{"host secrets", func(t *testing.T, e *env) {
		// The data directory, /root, /etc/shadow, pid 1's root and
		// environment, and the caller's environment are all out of reach.
		secret := envSecret // in airlock's environment since TestMain
		dataDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dataDir, "token"), []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(e.stateDir, "secret"), []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(e.stateDir, "secret"))
		paths := []string{filepath.Join(dataDir, "token"), filepath.Join(e.stateDir, "secret"), "/root/.bashrc",
			"/etc/shadow", "/proc/1/root/etc/shadow", "/proc/1/environ", "/proc/self/environ",
			fmt.Sprintf("/proc/%d/environ", os.Getpid())}
		var py strings.Builder
		py.WriteString("import os\nprint(dict(os.environ))\n")
		for _, p := range paths {
			fmt.Fprintf(&py, "try:\n    print(%q, open(%q, 'rb').read()[:4096])\nexcept OSError as e:\n    print('denied', %q, e.errno)\n", p, p, p)
		}
		res := e.runPy(py.String(), small)
		expect(t, res, Exited, 0)
		if strings.Contains(res.Stdout+res.Stderr, secret) {
			t.Errorf("the secret leaked into the sandbox:\n%s", res.Stdout)
		}
		for _, s := range []string{"root:", "AIRLOCK_HOME", "AIRLOCK_TEST_SECRET"} {
			if strings.Contains(res.Stdout, s) {
				t.Errorf("sandbox read %q:\n%s", s, res.Stdout)
			}
		}
	}},
	{"inherited file descriptors", func(t *testing.T, e *env) {
		// A descriptor airlock inherited (or opened without O_CLOEXEC) does
		// not reach the sandbox: it sees only stdin, stdout and stderr.
		secret := marker()
		f := filepath.Join(t.TempDir(), "open")
		if err := os.WriteFile(f, []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		fd, err := syscall.Open(f, syscall.O_RDONLY, 0) // no O_CLOEXEC
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		closeInherited() // what the runner does once, at construction
		res := e.runPy(`
import os
fds = sorted(int(x) for x in os.listdir("/proc/self/fd"))
print(fds)
for fd in fds[3:]:
    try: print(os.readlink("/proc/self/fd/%d" % fd), os.read(fd, 100))
    except OSError as e: print("fd", fd, e)
`, small)
		expect(t, res, Exited, 0)
		if !strings.HasPrefix(res.Stdout, "[0, 1, 2, 3]\n") || strings.Contains(res.Stdout, secret) {
			t.Errorf("sandbox descriptors:\n%s", res.Stdout)
		}
	}},
	{"host processes", func(t *testing.T, e *env) {
		// The sandbox has its own pid namespace: it sees only its own
		// processes and cannot signal or trace the host's.
		victim := exec.Command("/bin/sleep", "60")
		if err := victim.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { victim.Process.Kill(); victim.Wait() }()
		pid := victim.Process.Pid
		res := e.runPy(fmt.Sprintf(`
import os, signal, ctypes
procs = [p for p in os.listdir("/proc") if p.isdigit()]
print("procs", len(procs))
for p in (%d, %d, 1):
    try:
        os.kill(p, signal.SIGKILL); print("KILLED", p)
    except OSError as e:
        print("kill", p, e.errno)
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, %d, 0, 0)  # PTRACE_ATTACH
print("ptrace", r, ctypes.get_errno())
`, pid, os.Getpid(), pid), small)
		expect(t, res, Exited, 0)
		if strings.Contains(res.Stdout, "KILLED "+strconv.Itoa(pid)) || strings.Contains(res.Stdout, "ptrace 0 ") {
			t.Errorf("sandbox reached a host process:\n%s", res.Stdout)
		}
		n := 0
		fmt.Sscanf(res.Stdout, "procs %d", &n)
		if n == 0 || n > 4 {
			t.Errorf("sandbox sees %d processes, want its own few:\n%s", n, res.Stdout)
		}
		if err := victim.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("host process %d is gone: %v", pid, err)
		}
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); !strings.Contains(string(st), "TracerPid:\t0\n") {
			t.Errorf("host process %d is being traced", pid)
		}
	}},
	{"privileges, namespaces and mounts", func(t *testing.T, e *env) {
		// Not root, no capabilities, no new user namespaces (which would
		// bring capabilities back), no mount, no terminal.
		res := e.runPy(`
import os, ctypes
libc = ctypes.CDLL(None, use_errno=True)
print("uid", os.getuid(), os.geteuid())
st = open("/proc/self/status").read()
print([l for l in st.splitlines() if l.startswith(("CapEff", "CapPrm", "CapAmb", "NoNewPrivs"))])
for name, flag in (("user", 0x10000000), ("mount", 0x20000), ("net", 0x40000000), ("pid", 0x20000000)):
    r = libc.unshare(flag)
    print("unshare", name, r, ctypes.get_errno())
os.makedirs("/tmp/m", exist_ok=True)
print("mount", libc.mount(b"none", b"/tmp/m", b"tmpfs", 0, None), ctypes.get_errno())
try:
    open("/dev/tty"); print("TTY")
except OSError as e:
    print("tty", e.errno)
`, small)
		expect(t, res, Exited, 0)
		out := res.Stdout
		if strings.Contains(out, "uid 0 ") || strings.Contains(out, "TTY") {
			t.Errorf("sandbox is root or has a terminal:\n%s", out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "unshare") || strings.HasPrefix(l, "mount") {
				if f := strings.Fields(l); f[len(f)-2] != "-1" {
					t.Errorf("allowed: %s", l)
				}
			}
		}
		if !strings.Contains(out, "'CapEff:\\t0000000000000000'") {
			t.Errorf("sandbox has capabilities:\n%s", out)
		}
	}},
	{"fork bomb", func(t *testing.T, e *env) {
		// The pids cgroup stops the fork; the run reports it.
		res := e.runPy(`
import os, sys, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
except OSError as e:
    print("fork failed after", n, e.errno)
    sys.exit(3)
`, Limits{Wall: 20 * time.Second, Pids: 16})
		expect(t, res, Pids, 3)
		n := 0
		fmt.Sscanf(res.Stdout, "fork failed after %d", &n)
		if n == 0 || n >= 16 {
			t.Errorf("forked %d children under a limit of 16", n)
		}
	}},
	{"fork bomb until the wall limit", func(t *testing.T, e *env) {
		res := e.runPy(`
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`, Limits{Wall: 2 * time.Second, Pids: 16})
		if res.Reason != Timeout && res.Reason != Pids {
			t.Errorf("reason %s, want timeout or pids", res.Reason)
		}
	}},
	{"memory bomb", func(t *testing.T, e *env) {
		// The memory cgroup's OOM killer ends the run with SIGKILL.
		res := e.runPy(`
chunks = []
while True:
    chunks.append(b"x" * (1 << 20))
`, Limits{Wall: 30 * time.Second, Memory: 64 * MiB})
		expect(t, res, Memory, 137)
		if res.Signal != 9 {
			t.Errorf("signal %d, want 9", res.Signal)
		}
		if res.PeakMemoryBytes < 32<<20 || res.PeakMemoryBytes > 80<<20 {
			t.Errorf("peak memory %d, want close to the 64MiB limit", res.PeakMemoryBytes)
		}
	}},
	{"memory bomb under an address-space limit", func(t *testing.T, e *env) {
		// RLIMIT_AS makes the allocation fail instead: Python raises
		// MemoryError and the command decides what to do.
		res := e.runPy(`
import sys
chunks = []
try:
    while True:
        chunks.append(b"x" * (1 << 20))
except MemoryError:
    chunks = None
    print("MemoryError")
    sys.exit(5)
`, Limits{Wall: 30 * time.Second, Memory: 512 * MiB, AddressSpace: 256 * MiB})
		expect(t, res, Exited, 5)
		if !strings.Contains(res.Stdout, "MemoryError") {
			t.Errorf("stdout %q", res.Stdout)
		}
	}},
	{"CPU spin", func(t *testing.T, e *env) {
		// RLIMIT_CPU kills a spinning process (SIGXCPU).
		res := e.runPy("while True: pass", Limits{Wall: 30 * time.Second, CPUTime: time.Second})
		if res.Reason != Signaled || (res.Signal != int(syscall.SIGXCPU) && res.Signal != int(syscall.SIGKILL)) {
			t.Errorf("reason %s signal %d, want signaled by SIGXCPU", res.Reason, res.Signal)
		}
	}},
	{"CPU rate", func(t *testing.T, e *env) {
		// The CPU quota holds a spinning process to a tenth of a CPU: far
		// less CPU time than wall time.
		res := e.runPy("while True: pass", Limits{Wall: 1500 * time.Millisecond, CPUs: 0.1})
		expect(t, res, Timeout, 137)
		if res.CPUMS > res.WallMS/2 {
			t.Errorf("used %d ms of CPU in %d ms under a 0.1 CPU quota", res.CPUMS, res.WallMS)
		}
	}},
	{"sleep past the wall limit", func(t *testing.T, e *env) {
		// 3s: long enough for Python to start on a loaded machine.
		res := e.runPy("import time; print('start', flush=True); time.sleep(60)", Limits{Wall: 3 * time.Second})
		expect(t, res, Timeout, 137)
		if res.Signal != 9 || res.Stdout != "start\n" {
			t.Errorf("signal %d, stdout %q", res.Signal, res.Stdout)
		}
	}},
	{"output flood", func(t *testing.T, e *env) {
		// Past the output limit the run is killed and the capture cut.
		res := e.runPy(`
import sys
while True:
    sys.stdout.write("x" * 65536)
`, Limits{Wall: 30 * time.Second, Output: MiB})
		expect(t, res, Output, 137)
		if len(res.Stdout) != int(MiB) || !res.StdoutTruncated || res.StderrTruncated {
			t.Errorf("captured %d bytes, truncated %v/%v", len(res.Stdout), res.StdoutTruncated, res.StderrTruncated)
		}
	}},
	{"tmpfs and file size floods", func(t *testing.T, e *env) {
		// /tmp is full at its size (ENOSPC); a file cannot grow past the
		// file size limit (EFBIG) in a host work directory either.
		res := e.runPy(`
import os
for path in ("/tmp/flood", "/work/flood"):
    n = 0
    try:
        with open(path, "wb") as f:
            while True:
                f.write(b"x" * (1 << 20)); f.flush(); n += 1
    except OSError as e:
        print(path, n, e.errno)
    os.remove(path)
`, Limits{Wall: 30 * time.Second, Tmpfs: 8 * MiB, FileSize: 16 * MiB, Memory: 256 * MiB},
			func(s *Spec) { s.WorkDir = reachableTempDir(t) })
		expect(t, res, Exited, 0)
		if !strings.Contains(res.Stdout, "/tmp/flood ") || !strings.Contains(res.Stdout, " 28\n") || !strings.Contains(res.Stdout, "/work/flood 16 27") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
		}
	}},
}

// listen listens on addr and counts the connections it accepts.
func listen(t *testing.T, network, addr string) (net.Listener, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l, &hits
}

// externalIPv4 returns a non-loopback address of the host.
func externalIPv4(t *testing.T) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("the host has no external IPv4 address")
	return ""
}

// TestKilledMidRun kills a process that is running a sandbox (as airlock
// would be killed) and checks that its sandboxed processes die with it at
// once, and that the next runner's start-up removes the rest: the cgroup,
// the run directory and the record.
func TestKilledMidRun(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, d) // checks the state and temp directories at the end
			m := marker()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "AIRLOCK_SANDBOX_HELPER="+d.name,
				"AIRLOCK_SANDBOX_STATE="+e.stateDir, "AIRLOCK_SANDBOX_TEMP="+e.tempDir, "AIRLOCK_SANDBOX_MARKER="+m)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			// Wait for the sandboxed program and its child (not merely bwrap,
			// whose command line also holds the marker).
			for len(pythonProcesses(m)) < 2 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatal("the sandboxed processes never appeared")
				}
				time.Sleep(20 * time.Millisecond)
			}
			groups := runGroups(t, e.stateDir)
			if len(groups) == 0 {
				t.Fatal("the run recorded no cgroup")
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			assertNoProcesses(t, m)
			if err := Reap(context.Background(), e.stateDir); err != nil {
				t.Fatalf("Reap: %v", err)
			}
			for _, g := range groups {
				if _, err := os.Stat(g); err == nil {
					t.Errorf("cgroup %s survived the reaper", g)
				}
			}
		})
	}
}

// pythonProcesses returns the host pids of Python processes whose command
// line contains m.
func pythonProcesses(m string) []string {
	var out []string
	for _, p := range hostProcesses(m) {
		if b, _ := os.ReadFile("/proc/" + p + "/cmdline"); strings.HasPrefix(string(b), python+"\x00") {
			out = append(out, p)
		}
	}
	return out
}

// runGroups returns the cgroup directories recorded in stateDir.
func runGroups(t *testing.T, stateDir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(stateDir)
	var dirs []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(stateDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, rec.Cgroups...)
	}
	return dirs
}

// killedMidRunHelper is the process TestKilledMidRun kills: it runs a
// sandbox that sleeps, and never returns.
func killedMidRunHelper(name string) {
	opts := Options{StateDir: os.Getenv("AIRLOCK_SANDBOX_STATE"), TempDir: os.Getenv("AIRLOCK_SANDBOX_TEMP")}
	var r Runner
	var err error
	if name == "bwrap" {
		r, err = NewBwrap(context.Background(), opts)
	} else {
		opts.Runtime = strings.TrimPrefix(name, "oci-")
		r, err = NewOCI(context.Background(), opts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	m := os.Getenv("AIRLOCK_SANDBOX_MARKER")
	_, err = r.Run(context.Background(), Spec{Argv: []string{python, "-c", "import os, time; os.fork(); time.sleep(60) # " + m}})
	fmt.Fprintln(os.Stderr, "helper: run returned:", err)
	os.Exit(1)
}
