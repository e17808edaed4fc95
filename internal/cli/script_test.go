package cli

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain registers the airlock command with testscript, so scripts run the
// real CLI (in a subprocess made from this test binary).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"airlock": func() {
			os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the end-to-end CLI scenarios in testdata/script.
// Run with -update to rewrite the expected output in place.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script"))
}
