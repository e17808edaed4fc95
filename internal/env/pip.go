package env

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox"
)

// DefaultPipRunner is Debian's pip runner script: it runs exactly that copy
// of pip under another interpreter, which is what `pip --python` does
// (pip 22.3 and later) minus one interpreter start.
const DefaultPipRunner = "/usr/lib/python3/dist-packages/pip/__pip-runner__.py"

// Paths inside the install sandboxes.
const (
	// vettedInside holds the vetted wheels and the generated requirements
	// file, mounted read-only.
	vettedInside = "/run/vetted"
	// requirementsName and constraintsName are the generated files of a
	// resolution, in the sandbox's work directory.
	requirementsName = "requirements.txt"
	constraintsName  = "constraints.txt"
	// installName is the hash-pinned requirements file of the install.
	installName = "install.txt"
	// wheelsName is the directory of vetted wheels.
	wheelsName = "wheels"
)

// Limits of the sandboxed pip runs, unless Options.Limits says otherwise.
const (
	// DefaultPipWall bounds one pip run. Resolving a large closure against
	// PyPI takes minutes; a hung index must not hold the environment's
	// lock for ever.
	DefaultPipWall = 15 * time.Minute
	// DefaultPipMemory bounds pip's memory, its /tmp included.
	DefaultPipMemory = 2 * sandbox.GiB
	// DefaultPipTmpfs is the sandbox's /tmp, where pip unpacks wheels.
	DefaultPipTmpfs = 1 * sandbox.GiB
)

// FindPipRunner returns the system pip's runner script: [DefaultPipRunner]
// when it exists, else the one next to the pip that /usr/bin/python3
// imports. It must lie under /usr, which sandboxes mount.
func FindPipRunner(ctx context.Context) (string, error) {
	if _, err := os.Stat(DefaultPipRunner); err == nil {
		return DefaultPipRunner, nil
	}
	py, err := DefaultPython()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, py, "-I", "-B", "-c", "import os, pip; print(os.path.dirname(pip.__file__))")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"}
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("the system pip is missing: install the Debian package python3-pip")
	}
	runner := filepath.Join(strings.TrimSpace(string(out)), "__pip-runner__.py")
	if !strings.HasPrefix(runner, systemPrefix) {
		return "", fmt.Errorf("the system pip at %s is outside /usr, which sandboxes cannot see", runner)
	}
	if _, err := os.Stat(runner); err != nil {
		return "", fmt.Errorf("pip at %s has no __pip-runner__.py: airlock needs pip 22.3 or later", filepath.Dir(runner))
	}
	return runner, nil
}

// pipEnv is the environment of every sandboxed pip run: no configuration
// files, no version check, no cache, no prompts, no user site.
func pipEnv(bytecode bool) []string {
	env := []string{
		"PIP_CONFIG_FILE=/dev/null",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_NO_CACHE_DIR=1",
		"PIP_NO_INPUT=1",
		"PYTHONNOUSERSITE=1",
	}
	if !bytecode {
		env = append(env, "PYTHONDONTWRITEBYTECODE=1")
	}
	return env
}

// resolveArgv is the dry run that resolves the closure: only wheels (no
// build backend runs), only airlock's proxy, a JSON report on stdout. It
// does not pass --ignore-installed: pip keeps every installed release that
// satisfies the request, so the report lists exactly what would change and
// an install never moves packages it need not touch.
func resolveArgv(python, runner string, port int, constraints, pre bool) []string {
	a := []string{python, runner, "install",
		"--dry-run", "--quiet", "--report", "-",
		"--only-binary", ":all:",
		"--index-url", "http://127.0.0.1:" + strconv.Itoa(port) + "/simple/",
		"--retries", "0", "--timeout", "120", "--progress-bar", "off",
		"-r", sandbox.WorkPath + "/" + requirementsName,
	}
	if constraints {
		a = append(a, "-c", sandbox.WorkPath+"/"+constraintsName)
	}
	if pre {
		a = append(a, "--pre")
	}
	return a
}

// installArgv installs exactly the vetted set — no index, no dependencies
// of its own, every file pinned by hash, wheels only, from a directory that
// holds only the vetted files — and then runs pip check, both in one
// interpreter through [installDriver] (a second pip process would cost a
// third of a second of start-up).
func installArgv(python, runner string) []string {
	return []string{python, "-I", sandbox.WorkPath + "/" + driverName, filepath.Dir(filepath.Dir(runner)),
		"install",
		"--no-index", "--no-deps", "--require-hashes", "--only-binary", ":all:",
		"--find-links", vettedInside + "/" + wheelsName,
		"--no-warn-script-location", "--progress-bar", "off", "--quiet",
		"-r", vettedInside + "/" + installName,
	}
}

// driverName is the install driver's file in the sandbox's work directory.
const driverName = "airlock_install.py"

// checkFailed is the driver's exit status when the install succeeded and
// pip check failed; checkMarker separates the two commands' output.
const (
	checkFailed = 101
	checkMarker = "airlock: pip check\n"
)

// installDriver runs the system pip (from the directory given as its first
// argument, exactly as pip's own __pip-runner__.py does for pip --python)
// with the remaining arguments, and then `pip check`, in the same
// interpreter. It exits with pip install's status, or with checkFailed
// when the install succeeded and pip check did not.
var installDriver = strings.ReplaceAll(`# airlock's install driver: pip install, then pip check, in one interpreter.
import importlib
import sys
from importlib.machinery import PathFinder

PIP_ROOT = sys.argv[1]


class PipFinder:
    """Imports pip, and only pip, from PIP_ROOT (what __pip-runner__.py does)."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname != "pip":
            return None
        return PathFinder.find_spec(fullname, [PIP_ROOT], target)


sys.meta_path.insert(0, PipFinder)
from pip._internal.cli.main import main

rc = main(sys.argv[2:])
if rc:
    sys.exit(rc)
sys.stdout.write("airlock: pip check\n")
sys.stdout.flush()
importlib.invalidate_caches()
rc = main(["check"])
sys.exit(CHECK_FAILED if rc else 0)
`, "CHECK_FAILED", strconv.Itoa(checkFailed))

// PipError is a sandboxed pip run that did not succeed.
type PipError struct {
	// Step is "resolve", "install" or "check".
	Step string
	// Result is the sandbox's account of the run.
	Result sandbox.Result
	// Why is the sandbox's explanation when a limit ended the run.
	Why string
}

func (e *PipError) Error() string {
	msg := "pip " + e.Step
	if e.Why != "" {
		msg += ": " + e.Why
	} else {
		msg += " exited with status " + strconv.Itoa(e.Result.ExitCode)
	}
	if tail := tailLines(e.Result.Stderr+e.Result.Stdout, 12); tail != "" {
		msg += ":\n" + tail
	}
	return msg
}

// tailLines returns the last n non-empty lines of s, each indented.
func tailLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \r\t"); strings.TrimSpace(l) != "" {
			lines = append(lines, "  "+l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runPip runs one pip command in the sandbox and turns anything but a
// zero exit into a [*PipError]. A nil result with an error means the
// sandbox itself failed.
func runPip(ctx context.Context, r sandbox.Runner, step string, spec sandbox.Spec) (sandbox.Result, error) {
	res, err := r.Run(ctx, spec)
	if err != nil {
		return res, fmt.Errorf("pip %s: sandbox: %w", step, err)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if res.Reason != sandbox.Exited || res.ExitCode != 0 {
		return res, &PipError{Step: step, Result: res, Why: res.Explain(spec.Limits)}
	}
	return res, nil
}
