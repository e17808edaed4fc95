package testpypi

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SystemPython is the interpreter that tests use: Debian's, never a pyenv
// shim found on PATH.
const SystemPython = "/usr/bin/python3"

// Venv is a throw-away virtual environment without pip of its own, driven
// by the system pip through its --python option (pip 22.3 and later).
type Venv struct {
	// Dir is the environment's directory.
	Dir string
	// Python is the environment's interpreter.
	Python string
}

// NewVenv creates a virtual environment in a temporary directory. It skips
// the test when the system Python, its venv module or its pip is missing.
func NewVenv(t testing.TB) *Venv {
	t.Helper()
	if err := PipAvailable(); err != nil {
		t.Skipf("real pip unavailable: %v (install python3-venv and python3-pip)", err)
	}
	dir := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command(SystemPython, "-m", "venv", "--without-pip", dir).CombinedOutput(); err != nil {
		t.Fatalf("python3 -m venv: %v\n%s", err, out)
	}
	return &Venv{Dir: dir, Python: filepath.Join(dir, "bin", "python")}
}

// PipAvailable reports why the system pip cannot be used, or nil.
func PipAvailable() error {
	if _, err := os.Stat(SystemPython); err != nil {
		return err
	}
	if out, err := exec.Command(SystemPython, "-c", "import venv, pip").CombinedOutput(); err != nil {
		return errors.New("python3 -c 'import venv, pip': " + string(out))
	}
	return nil
}

// PipEnv is the environment pip runs with: no user or site configuration,
// no version check, no cache, and no proxy variables from the caller.
func PipEnv() []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + os.TempDir(),
		"PIP_CONFIG_FILE=/dev/null",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_NO_CACHE_DIR=1",
		"PIP_NO_INPUT=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"LC_ALL=C.UTF-8",
	}
}

// Pip runs "python3 -m pip --python <venv> ARGS..." and returns its combined
// output. A non-zero exit is an *exec.ExitError.
func (v *Venv) Pip(ctx context.Context, args ...string) (string, error) {
	all := append([]string{"-m", "pip", "--python", v.Python}, args...)
	cmd := exec.CommandContext(ctx, SystemPython, all...)
	cmd.Env = PipEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Run runs the environment's interpreter with -c code and returns its
// combined output.
func (v *Venv) Run(ctx context.Context, code string) (string, error) {
	cmd := exec.CommandContext(ctx, v.Python, "-c", code)
	cmd.Env = PipEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}
