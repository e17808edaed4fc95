package clienttest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/cli"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// python is the interpreter the client supports and the tests use: the
// system one (a pyenv shim on PATH may be another).
const python = "/usr/bin/python3"

// TestMain makes this test binary airlock itself when it runs under the
// name airlock: the server, `airlock token create`, the pip shims' `airlock
// pip`, and the proxy forwarder inside sandboxes, which re-executes the
// running binary.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "airlock" {
		// As cmd/airlock's main: SIGTERM drains the server.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// fakePytest is the pytest wheel of the test index: `python -m pytest
// FILE...` runs the unittest cases of each file. It stands for the real
// pytest, which the index cannot build, and proves that what runs in the
// sandbox came from a vetted install.
const fakePytest = `import os, sys, unittest
loader = unittest.TestLoader()
suite = unittest.TestSuite()
for arg in [a for a in sys.argv[1:] if not a.startswith("-")] or ["."]:
    if os.path.isdir(arg):
        suite.addTests(loader.discover(arg))
        continue
    sys.path.insert(0, os.path.dirname(os.path.abspath(arg)))
    suite.addTests(loader.loadTestsFromName(os.path.splitext(os.path.basename(arg))[0]))
res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
bad = len(res.failures) + len(res.errors)
print("fake pytest: %d test(s), %d bad" % (res.testsRun, bad))
sys.exit(0 if res.wasSuccessful() else 1)
`

// upstream starts the test index with what the Python tests install.
func upstream(t *testing.T) *testpypi.Server {
	srv := testpypi.New(t)
	srv.AddWheels(
		testpypi.Wheel{Name: "helper-lib", Version: "1.2"},
		testpypi.Wheel{Name: "webapp-kit", Version: "1.0", Deps: []string{"helper-lib>=1"}},
		testpypi.Wheel{Name: "reqeusts", Version: "2.31.0"},
		testpypi.Wheel{Name: "pytest", Version: "8.0.0", Files: map[string]string{
			"pytest/__init__.py": "__version__ = '8.0.0'\n",
			"pytest/__main__.py": fakePytest,
		}},
	)
	return srv
}

// airlockBinary copies this test binary to dir/airlock, where it runs the
// CLI (see TestMain).
func airlockBinary(t *testing.T, dir string) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "airlock")
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// serve starts `airlock serve` on a free loopback port and returns its URL.
// The server is stopped with SIGTERM when the test ends, and must exit 0.
func serve(t *testing.T, bin string, environ []string) string {
	dir := t.TempDir()
	addrFile := filepath.Join(dir, "addr")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--addr-file", addrFile, "--log-level", "warn")
	cmd.Env = environ
	cmd.Stdout = io.Discard // the first admin token: this test makes its own
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("airlock serve exited with %v after SIGTERM; its log:\n%s", err, stderr.String())
			}
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("airlock serve did not stop within 60s of SIGTERM")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, err := os.ReadFile(addrFile)
		if err == nil && len(bytes.TrimSpace(data)) > 0 {
			return "http://" + strings.TrimSpace(string(data))
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("airlock serve exited early (%v):\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("airlock serve wrote no address within 60s:\n%s", stderr.String())
		}
	}
}

// TestPythonClient runs clients/python/tests against a real server.
func TestPythonClient(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is not installed (Debian package python3): %v", python, err)
	}
	if _, err := exec.LookPath("bwrap"); err != nil {
		t.Skip("bwrap is not installed (Debian package bubblewrap): the server's installs and runs need it")
	}
	clientDir, err := filepath.Abs(filepath.Join("..", "..", "clients", "python"))
	if err != nil {
		t.Fatal(err)
	}
	binDir := t.TempDir()
	bin := airlockBinary(t, binDir)
	home := filepath.Join(t.TempDir(), "airlock")
	index := upstream(t)

	base := []string{
		"PATH=" + binDir + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"LANG=C.UTF-8",
		"AIRLOCK_HOME=" + home,
		"AIRLOCK_UPSTREAM=" + index.URL(),
	}
	if v := os.Getenv("AIRLOCK_BWRAP"); v != "" {
		base = append(base, "AIRLOCK_BWRAP="+v)
	}
	url := serve(t, bin, base)

	create := exec.Command(bin, "token", "create", "--name", "python-tests", "--scopes", "check,install,run")
	create.Env = base
	out, err := create.Output()
	if err != nil {
		t.Fatalf("airlock token create: %v", err)
	}
	token := strings.TrimSpace(string(out))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v")
	cmd.Dir = clientDir
	cmd.Env = append(base,
		"AIRLOCK_URL="+url,
		"AIRLOCK_TOKEN="+token,
		"AIRLOCK_BIN="+bin,
		// The server-backed tests fail, rather than skip, without a server.
		"AIRLOCK_TEST_SERVER=1",
		"PYTHONDONTWRITEBYTECODE=1",
	)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start).Round(time.Millisecond)
	if err != nil {
		t.Fatalf("python -m unittest failed after %s (%v):\n%s", elapsed, err, output.String())
	}
	// unittest ends with "Ran N tests in Xs" and "OK" (with any skips in
	// parentheses); a skip here would hide a missing feature.
	summary := lastLines(output.String(), 3)
	if strings.Contains(summary, "skipped") {
		t.Fatalf("python tests skipped some tests:\n%s", output.String())
	}
	t.Logf("python -m unittest (%s):\n%s", elapsed, summary)
	if testing.Verbose() {
		t.Log(output.String())
	}
}

func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprint(strings.Join(lines, "\n"))
}
