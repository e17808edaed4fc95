package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// pypiServers holds each script's test upstream, started by its first
// pypi command.
var pypiServers sync.Map // *testscript.TestScript -> *testpypi.Server

// cmdPypi adds projects to the script's own test upstream (package
// testpypi: real wheels and sdists built on the spot), starting it on
// first use and setting $TESTPYPI to its index URL:
//
//	pypi wheel NAME VERSION [dep=REQ]... [script=NAME]... [pth=FILE.pth:LINE]
//	pypi sdist NAME VERSION [canary=PATH]
//
// A script=NAME console script runs NAME's module's main(); a pth= file is
// a top-level .pth file holding LINE.
func cmdPypi(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: pypi wheel|sdist NAME VERSION [key=value...]")
	}
	v, loaded := pypiServers.LoadOrStore(ts, (*testpypi.Server)(nil))
	srv, _ := v.(*testpypi.Server)
	if !loaded || srv == nil {
		srv = testpypi.Start()
		pypiServers.Store(ts, srv)
		ts.Defer(func() {
			srv.Close()
			pypiServers.Delete(ts)
		})
		ts.Setenv("TESTPYPI", srv.URL())
	}
	kind, name, version := args[0], args[1], args[2]
	switch kind {
	case "wheel":
		w := testpypi.Wheel{Name: name, Version: version}
		mod := strings.ReplaceAll(testpypi.Normalize(name), "-", "_")
		for _, kv := range args[3:] {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				ts.Fatalf("pypi: %q is not key=value", kv)
			}
			switch k {
			case "dep":
				w.Deps = append(w.Deps, val)
			case "script":
				if w.ConsoleScripts == nil {
					w.ConsoleScripts = map[string]string{}
				}
				w.ConsoleScripts[val] = mod + ":main"
			case "pth":
				file, line, _ := strings.Cut(val, ":")
				if w.Files == nil {
					w.Files = map[string]string{mod + "/__init__.py": "__version__ = '" + version + "'\ndef main():\n    print('" + name + " main')\n"}
				}
				w.Files[file] = line + "\n"
			default:
				ts.Fatalf("pypi: unknown key %q", k)
			}
		}
		if w.Files == nil && w.ConsoleScripts != nil {
			w.Files = map[string]string{mod + "/__init__.py": "__version__ = '" + version + "'\ndef main():\n    print('" + name + " main')\n"}
		}
		srv.AddWheels(w)
	case "sdist":
		s := testpypi.Sdist{Name: name, Version: version}
		for _, kv := range args[3:] {
			k, val, _ := strings.Cut(kv, "=")
			if k != "canary" {
				ts.Fatalf("pypi: unknown key %q", k)
			}
			s.Canary = val
		}
		srv.Add(testpypi.Project{Name: name, Dists: []testpypi.Dist{s.Dist()}})
	default:
		ts.Fatalf("pypi: unknown kind %q (want wheel or sdist)", kind)
	}
}

// TestInstallError: airlock install and airlock pip install map an install
// that returned no result to the same exit codes.
func TestInstallError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{context.Canceled, ExitInterrupted},
		{fmt.Errorf("lock: %w", context.Canceled), ExitInterrupted},
		{fmt.Errorf("open: %w", env.ErrNotFound), ExitUsage},
		{errors.New("audit record: disk full"), ExitFailed},
	} {
		err := installError("job", tc.err)
		if got := exitCode(err); got != tc.want {
			t.Errorf("exitCode(installError(%v)) = %d, want %d", tc.err, got, tc.want)
		}
		if tc.want != ExitInterrupted && !strings.Contains(err.Error(), "job") {
			t.Errorf("installError(%v) = %q, which does not name the environment", tc.err, err)
		}
	}
}
