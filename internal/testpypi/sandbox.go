package testpypi

import (
	"os"
	"os/exec"
	"testing"
)

// NeedSandbox skips the test when bubblewrap or the system pip is missing
// (make test installs both), for tests that run pip in airlock's sandbox.
func NeedSandbox(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("bwrap"); err != nil {
		t.Skip("bwrap is not installed (Debian package bubblewrap; make test-deps installs it)")
	}
	if err := PipAvailable(); err != nil {
		t.Skipf("the system pip is unavailable: %v (Debian packages python3-pip, python3-venv)", err)
	}
}

// ShortDir returns a fresh directory with a short path that the sandbox
// user (65534 when the tests run as root) can traverse, removed at the end
// of the test: sandbox run directories hold the unix socket of proxy mode,
// and socket paths are limited to 107 bytes, which t.TempDir's long names
// can exceed.
func ShortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "al")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
