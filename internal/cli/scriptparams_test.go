package cli

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update", false, "rewrite testscript files with the actual output")

// scriptParams returns the testscript parameters shared by every script
// suite: a private data directory per script, the test-data variables that
// .ci/run sets, and conditions for optional tools ([bwrap], [runc], ...).
func scriptParams(t *testing.T, dir string) testscript.Params {
	return testscript.Params{
		Dir:           dir,
		UpdateScripts: *updateScripts,
		Setup: func(e *testscript.Env) error {
			e.Setenv("AIRLOCK_HOME", filepath.Join(e.WorkDir, ".airlock"))
			e.Setenv("HOME", filepath.Join(e.WorkDir, "home"))
			for _, k := range []string{"AIRLOCK_TEST_ADVISORY_DB", "AIRLOCK_TEST_PYPI_TOP"} {
				if v := os.Getenv(k); v != "" {
					e.Setenv(k, v)
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exit":      cmdExit,
			"pypi":      cmdPypi,
			"httpserve": cmdHTTPServe,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "bwrap", "runc", "crun", "runsc", "bandit":
				_, err := exec.LookPath(cond)
				return err == nil, nil
			case "root":
				return os.Geteuid() == 0, nil
			}
			return false, &unknownCondition{cond}
		},
	}
}

type unknownCondition struct{ cond string }

func (u *unknownCondition) Error() string { return "unknown condition " + u.cond }

// cmdExit runs a command and checks its exit status:
//
//	exit 3 airlock check -r requirements.txt
//
// stdout and stderr are kept for the following stdout/stderr checks.
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit CODE COMMAND [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exit: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exit: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Logf("stdout:\n%s", ts.ReadFile("stdout"))
		ts.Logf("stderr:\n%s", ts.ReadFile("stderr"))
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
