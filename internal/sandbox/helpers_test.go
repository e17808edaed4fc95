//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// python is the interpreter every sandbox test runs: the system one under
// /usr, which the sandboxes mount (the python3 on PATH may be a pyenv shim).
const python = "/usr/bin/python3"

// driver builds one Runner for the shared suites.
type driver struct {
	name string
	new  func(t testing.TB, opts Options) Runner
}

// drivers returns the drivers this host can run: bwrap, and the OCI
// driver with runc (which needs root). A driver whose tool is missing is
// skipped with a message; `make test` installs them.
func drivers() []driver {
	var ds []driver
	ds = append(ds, driver{"bwrap", func(t testing.TB, opts Options) Runner {
		if _, err := exec.LookPath("bwrap"); err != nil {
			t.Skip("bwrap is not installed (Debian package bubblewrap)")
		}
		r, err := NewBwrap(context.Background(), opts)
		if err != nil {
			t.Fatalf("NewBwrap: %v", err)
		}
		return r
	}})
	ds = append(ds, driver{"oci-runc", func(t testing.TB, opts Options) Runner {
		if _, err := exec.LookPath("runc"); err != nil {
			t.Skip("runc is not installed (Debian package runc)")
		}
		if os.Geteuid() != 0 {
			t.Skip("the oci driver needs root")
		}
		opts.Runtime = "runc"
		r, err := NewOCI(context.Background(), opts)
		if err != nil {
			t.Fatalf("NewOCI: %v", err)
		}
		return r
	}})
	return ds
}

// env is one driver's test environment: its runner and the host
// directories it uses, checked for leftovers when the test ends.
type env struct {
	t        *testing.T
	r        Runner
	stateDir string
	tempDir  string
}

// newEnv makes a runner for d whose state and run directories are private
// to the test, and checks at the end that every run cleaned up after
// itself.
func newEnv(t *testing.T, d driver) *env {
	t.Helper()
	e := &env{t: t, stateDir: t.TempDir(), tempDir: reachableTempDir(t)}
	e.r = d.new(t, Options{StateDir: e.stateDir, TempDir: e.tempDir})
	t.Cleanup(func() { e.assertClean() })
	return e
}

// reachableTempDir returns a fresh directory that the sandbox user (65534
// when the tests run as root) can traverse, as os.TempDir() is.
func reachableTempDir(t testing.TB) string {
	t.Helper()
	d := t.TempDir()
	for _, p := range []string{d, filepath.Dir(d)} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// assertClean checks the host side of the cleanup contract: no run
// records, no run directories, no cgroups.
func (e *env) assertClean() {
	t := e.t
	t.Helper()
	if ents, _ := os.ReadDir(e.stateDir); len(ents) > 0 {
		for _, x := range ents {
			if strings.HasSuffix(x.Name(), ".json") {
				t.Errorf("run record %s left in the state directory", x.Name())
			}
		}
	}
	if ents, _ := os.ReadDir(e.tempDir); len(ents) > 0 {
		for _, x := range ents {
			t.Errorf("run directory %s left behind", x.Name())
		}
	}
}

// marker returns a unique string to put into a sandboxed command line, so
// the host can look for its processes.
func marker() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "airlock-probe-" + hex.EncodeToString(b[:])
}

// hostProcesses returns the host pids whose command line contains m.
func hostProcesses(m string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(m)) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// assertNoProcesses checks that nothing whose command line holds m is
// running on the host any more.
func assertNoProcesses(t *testing.T, m string) {
	t.Helper()
	// Killed processes may take a moment to be reaped by their parent.
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := hostProcesses(m)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			out, _ := exec.Command("ps", "-o", "pid,ppid,uid,stat,args", "-p", strings.Join(pids, ",")).CombinedOutput()
			t.Errorf("processes of the run still on the host:\n%s", out)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runPy runs a Python program in e's sandbox; the program gets a marker
// comment so the host can check that none of its processes survive.
func (e *env) runPy(code string, lim Limits, mods ...func(*Spec)) Result {
	e.t.Helper()
	m := marker()
	spec := Spec{Argv: []string{python, "-c", code + "\n# " + m}, Limits: lim}
	for _, f := range mods {
		f(&spec)
	}
	res, err := e.r.Run(context.Background(), spec)
	if err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	assertNoProcesses(e.t, m)
	return res
}

// expect fails the test unless the result's reason and exit code match.
func expect(t *testing.T, res Result, reason Reason, code int) {
	t.Helper()
	if res.Reason != reason || res.ExitCode != code {
		t.Errorf("reason %s, exit %d, signal %d; want %s, exit %d\nstdout: %.2000s\nstderr: %.2000s",
			res.Reason, res.ExitCode, res.Signal, reason, code, res.Stdout, res.Stderr)
	}
}
