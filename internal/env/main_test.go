package env

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/airlock-dev/airlock/internal/sandbox"
)

// hostSitePackages are the host's own Python package directories: the
// whole suite must leave them byte for byte as it found them.
var hostSitePackages = []string{
	"/usr/lib/python3/dist-packages",
	"/usr/local/lib/python3.11/dist-packages",
	"/usr/lib/python3.11",
}

// TestMain lets the test binary serve as airlock's binary inside
// proxy-mode sandboxes (the forwarder), and checks after the whole suite
// that the host's site-packages are unchanged.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.ForwardCommand {
		os.Exit(sandbox.ForwardMain(os.Args[2:]))
	}
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); (f != nil && f.Value.String() != "") || flag.Lookup("test.run").Value.String() == "^$" {
		os.Exit(m.Run()) // fuzzing or benchmarks only: no installs to watch
	}
	before := hashHostSitePackages()
	code := m.Run()
	after := hashHostSitePackages()
	for dir, h := range before {
		if after[dir] != h {
			fmt.Fprintf(os.Stderr, "FAIL: the host's %s changed during the tests (tree hash %s, now %s)\n", dir, h, after[dir])
			code = 1
		}
	}
	os.Exit(code)
}

// hashHostSitePackages returns the tree hash of each host package
// directory that exists.
func hashHostSitePackages() map[string]string {
	out := map[string]string{}
	for _, d := range hostSitePackages {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		h, err := TreeHash(d)
		if err != nil {
			h = "error: " + err.Error()
		}
		out[d] = h
	}
	return out
}
