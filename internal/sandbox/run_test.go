//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
)

// TestRunBasics covers what every driver must do besides confining: the
// environment, the work directory and its files, streaming, stdin, and
// cancellation.
func TestRunBasics(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, d)
			t.Run("environment and files", func(t *testing.T) {
				res := e.runPy(`
import os, getpass, sys
print(os.getcwd(), getpass.getuser(), os.environ["HOME"], os.environ["LANG"], os.environ["EXTRA"])
print(os.environ["PATH"])
print(open("pkg/data.txt").read(), oct(os.stat("pkg/run.sh").st_mode & 0o777))
print(sorted(set(os.environ) - {"PWD", "LC_CTYPE"}))  # set by bwrap's --chdir and by Python
`, small, func(s *Spec) {
					s.Env = []string{"EXTRA=yes", "LANG=C"}
					s.PathPrefix = []string{"/opt/env/bin"}
					s.Files = []File{{Name: "pkg/data.txt", Data: []byte("payload")}, {Name: "pkg/run.sh", Data: []byte("#!/bin/sh\n"), Mode: 0o755}}
				})
				expect(t, res, Exited, 0)
				want := "/work sandbox /tmp C yes\n/opt/env/bin:" + DefaultPath + "\npayload 0o755\n['EXTRA', 'HOME', 'LANG', 'PATH']\n"
				if res.Stdout != want {
					t.Errorf("stdout:\n%s\nwant:\n%s\nstderr: %s", res.Stdout, want, res.Stderr)
				}
			})
			t.Run("stream and stdin", func(t *testing.T) {
				var out, errb bytes.Buffer
				res := e.runPy(`
import sys
data = sys.stdin.read()
sys.stdout.write(data.upper()); sys.stderr.write("err\n")
sys.exit(7)
`, small, func(s *Spec) { s.Stdin, s.Stdout, s.Stderr = strings.NewReader("abc"), &out, &errb })
				expect(t, res, Exited, 7)
				if out.String() != "ABC" || errb.String() != "err\n" || res.Stdout != "" || res.Stderr != "" {
					t.Errorf("streamed %q %q, captured %q %q", out.String(), errb.String(), res.Stdout, res.Stderr)
				}
			})
			t.Run("signal", func(t *testing.T) {
				// A fault, not kill(2): the command is pid 1 of its pid namespace
				// under the oci driver, and pid 1 ignores signals it does not
				// handle when they come from inside.
				res := e.runPy("import ctypes; ctypes.string_at(0)", small)
				expect(t, res, Signaled, 128+11)
				if res.Signal != 11 {
					t.Errorf("signal %d, want 11", res.Signal)
				}
			})
			t.Run("missing command", func(t *testing.T) {
				res, err := e.r.Run(context.Background(), Spec{Argv: []string{"/usr/bin/no-such-program"}})
				if err != nil {
					t.Fatal(err)
				}
				if res.ExitCode == 0 || res.Reason != Exited {
					t.Errorf("reason %s exit %d", res.Reason, res.ExitCode)
				}
			})
			t.Run("cancel", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(300*time.Millisecond, cancel)
				m := marker()
				res, err := e.r.Run(ctx, Spec{Argv: []string{python, "-c", "import time; time.sleep(60) # " + m}})
				if err != nil {
					t.Fatal(err)
				}
				expect(t, res, Killed, 137)
				assertNoProcesses(t, m)
			})
			t.Run("invalid spec", func(t *testing.T) {
				_, err := e.r.Run(context.Background(), Spec{Argv: []string{python}, Env: []string{"PATH=/x"}})
				if !errors.Is(err, ErrSpec) {
					t.Errorf("err = %v, want ErrSpec", err)
				}
				_, err = e.r.Run(context.Background(), Spec{Argv: []string{python}, Binds: []Bind{{Src: "/no/such/dir"}}})
				if !errors.Is(err, ErrSpec) {
					t.Errorf("missing bind source: err = %v, want ErrSpec", err)
				}
			})
		})
	}
}

// TestWorkDirOwnership checks, from the host, who owns what a sandbox
// writes into a caller's work directory when airlock runs as root.
func TestWorkDirOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the ownership rules for a root airlock need root")
	}
	const write = `
import os
print(os.getuid())
open("made", "w").write("x")
open("suid", "w").write("x"); os.chmod("suid", 0o6755)
os.mkdir("sub"); open("sub/f", "w").write("x")
`
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, d)
			t.Run("belongs to another user", func(t *testing.T) {
				// The sandbox runs as the directory's owner.
				dir := filepath.Join(reachableTempDir(t), "w")
				mkdirOwned(t, dir, 4321, 4322)
				res := e.runPy(write, small, func(s *Spec) { s.WorkDir = dir })
				expect(t, res, Exited, 0)
				if res.Stdout != "4321\n" {
					t.Errorf("sandbox uid %q, want 4321", res.Stdout)
				}
				for _, f := range []string{"made", "suid", "sub", "sub/f"} {
					assertOwner(t, filepath.Join(dir, f), 4321, 4322)
				}
			})
			t.Run("belongs to root", func(t *testing.T) {
				// The sandbox runs as nobody on a directory lent to it; what
				// it made goes back to root, set-id bits stripped.
				dir := filepath.Join(reachableTempDir(t), "w")
				mkdirOwned(t, dir, 0, 0)
				if err := os.WriteFile(filepath.Join(dir, "existing"), []byte("root's"), 0o644); err != nil {
					t.Fatal(err)
				}
				res := e.runPy(write+`
try:
    open("existing", "w").write("overwritten")
except OSError as e:
    print("existing", e.errno)
`, small, func(s *Spec) { s.WorkDir = dir })
				expect(t, res, Exited, 0)
				if res.Stdout != "65534\nexisting 13\n" {
					t.Errorf("stdout %q", res.Stdout)
				}
				for _, f := range []string{".", "made", "suid", "sub", "sub/f", "existing"} {
					assertOwner(t, filepath.Join(dir, f), 0, 0)
				}
				if fi, err := os.Stat(filepath.Join(dir, "suid")); err != nil || fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
					t.Errorf("suid: %v %v", fi.Mode(), err)
				}
			})
			t.Run("out of the sandbox user's reach", func(t *testing.T) {
				// A directory under a root-only (0700) parent is bridged for
				// bwrap; the bridge is unmounted afterwards.
				dir := filepath.Join(t.TempDir(), "w")
				mkdirOwned(t, dir, 0, 0)
				if err := os.Chmod(filepath.Dir(dir), 0o700); err != nil {
					t.Fatal(err)
				}
				res := e.runPy(`open("made", "w").write("x"); print(open("/etc/passwd").read().count("\n"))`, small, func(s *Spec) { s.WorkDir = dir })
				expect(t, res, Exited, 0)
				assertOwner(t, filepath.Join(dir, "made"), 0, 0)
				if mi, _ := os.ReadFile("/proc/self/mountinfo"); bytes.Contains(mi, []byte(e.tempDir)) {
					t.Errorf("a bridge is still mounted:\n%s", mi)
				}
			})
		})
	}
}

func mkdirOwned(t *testing.T, dir string, uid, gid int) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func assertOwner(t *testing.T, p string, uid, gid int) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Error(err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s belongs to %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
	}
}

// TestProxy checks proxy mode end to end: a plain HTTP server on the host
// is reachable from inside only through the sandbox's loopback port, and
// nothing else is.
func TestProxy(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, d)
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				body, _ := io.ReadAll(r.Body)
				fmt.Fprintf(w, "host saw %s %s %q", r.Method, r.URL.Path, body)
			}))
			defer srv.Close()
			_, other := listen(t, "tcp", "127.0.0.1:0")
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			res := e.runPy(fmt.Sprintf(`
import urllib.request, socket
print(urllib.request.urlopen("http://127.0.0.1:3128/simple/", timeout=10).read().decode())
req = urllib.request.Request("http://localhost:3128/upload", data=b"wheel", method="PUT")
print(urllib.request.urlopen(req, timeout=10).read().decode())
try:
    socket.create_connection(("127.0.0.1", %s), timeout=2); print("DIRECT")
except OSError as e:
    print("direct refused", e.errno)
print(sorted(n for _, n in socket.if_nameindex()))
`, port), small, func(s *Spec) { s.Net = Network{Mode: NetProxy, Target: srv.Listener.Addr().String()} })
			expect(t, res, Exited, 0)
			want := "host saw GET /simple/ \"\"\nhost saw PUT /upload \"wheel\"\n"
			if !strings.HasPrefix(res.Stdout, want) || strings.Contains(res.Stdout, "DIRECT") || !strings.Contains(res.Stdout, "['lo']") {
				t.Errorf("stdout:\n%s\nwant it to start with:\n%s\nstderr: %s", res.Stdout, want, res.Stderr)
			}
			if hits.Load() != 2 {
				t.Errorf("server saw %d requests, want 2", hits.Load())
			}
			if other.Load() != 0 {
				t.Errorf("another host listener got %d connections", other.Load())
			}
			// The forwarder passes the command's status through.
			res = e.runPy("import sys; sys.exit(9)", small, func(s *Spec) { s.Net = Network{Mode: NetProxy, Target: srv.Listener.Addr().String(), Port: 8080} })
			expect(t, res, Exited, 9)
		})
	}
}

func TestUnsafe(t *testing.T) {
	u := &Unsafe{TempDir: t.TempDir()}
	res, err := u.Run(context.Background(), Spec{Argv: []string{python, "-c", "import os; print(os.environ['X'], sorted(os.environ))"}, Env: []string{"X=1"}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, Exited, 0)
	if res.Stdout != "1 ['HOME', 'LANG', 'PATH', 'X']\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	m := marker()
	res, err = u.Run(context.Background(), Spec{Argv: []string{python, "-c", "import os, time; os.fork(); time.sleep(60) # " + m}, Limits: Limits{Wall: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, Timeout, 137)
	assertNoProcesses(t, m)
	if _, err := u.Run(context.Background(), Spec{Argv: []string{python}, Net: Network{Mode: NetProxy, Target: "127.0.0.1:1"}}); !errors.Is(err, ErrSpec) {
		t.Errorf("proxy mode without a sandbox: err = %v", err)
	}
}

// TestReap checks the reaper on records a dead process left: it removes
// what they list, skips records whose owner still holds the lock, and
// refuses records that point outside the run's cgroups.
func TestReap(t *testing.T) {
	state, tmp := t.TempDir(), t.TempDir()
	dead := filepath.Join(tmp, "airlock-dead")
	if err := os.MkdirAll(filepath.Join(dead, "work", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A read-only directory inside, as a sandbox may leave.
	if err := os.Chmod(filepath.Join(dead, "work", "sub"), 0o500); err != nil {
		t.Fatal(err)
	}
	rf, err := createRecord(state, record{ID: "dead", PID: 1, RunDir: dead})
	if err != nil {
		t.Fatal(err)
	}
	rf.release() // the owner "dies": the lock goes, the record stays

	live := filepath.Join(tmp, "airlock-live")
	if err := os.Mkdir(live, 0o755); err != nil {
		t.Fatal(err)
	}
	lf, err := createRecord(state, record{ID: "live", PID: os.Getpid(), RunDir: live})
	if err != nil {
		t.Fatal(err)
	}
	defer lf.close()

	bad, err := createRecord(state, record{ID: "bad", Cgroups: []string{"/etc"}})
	if err != nil {
		t.Fatal(err)
	}
	bad.release()

	err = Reap(context.Background(), state)
	if err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("Reap: err = %v, want a complaint about the bad record", err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("the dead run's directory survived")
	}
	if _, err := os.Stat(recordPath(state, "dead")); err == nil {
		t.Error("the dead run's record survived")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live run's directory was removed: %v", err)
	}
	if _, err := os.Stat(recordPath(state, "live")); err != nil {
		t.Errorf("the live run's record was removed: %v", err)
	}
	if _, err := os.Stat("/etc"); err != nil {
		t.Fatal("/etc is gone")
	}
}

// TestOCIOtherRuntimes runs a trivial command with the OCI runtimes other
// than runc that the host has. crun refuses hybrid cgroup hosts (like this
// project's development VMs); there, the refusal must come back as an
// ErrUnavailable error that quotes crun, not as the command's failure.
func TestOCIOtherRuntimes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the oci driver needs root")
	}
	for _, rt := range []string{"crun", "runsc"} {
		t.Run(rt, func(t *testing.T) {
			if _, err := exec.LookPath(rt); err != nil {
				t.Skipf("%s is not installed", rt)
			}
			r, err := NewOCI(context.Background(), Options{StateDir: t.TempDir(), TempDir: reachableTempDir(t), Runtime: rt})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Run(context.Background(), Spec{Argv: []string{python, "-c", "print('in', __import__('os').getcwd())"}})
			if hybridHost(t) && rt == "crun" {
				if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "hybrid") {
					t.Errorf("crun on a hybrid host: %+v, %v; want ErrUnavailable quoting crun", res, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res, Exited, 0)
			if res.Stdout != "in /work\n" {
				t.Errorf("stdout %q", res.Stdout)
			}
		})
	}
}

// hybridHost reports whether the host's controllers are on v1 while a v2
// hierarchy is mounted too.
func hybridHost(t *testing.T) bool {
	m, err := cgroup.Host()
	if err != nil {
		t.Fatal(err)
	}
	l := m.Layout()
	return l.Version == cgroup.V1 && l.Unified.Mount != ""
}
