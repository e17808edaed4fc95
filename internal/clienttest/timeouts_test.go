package clienttest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/server"
)

// TestClientTimeoutsOutlastServer checks that the Python client waits longer
// for an answer than the server may take to give one: a client that gives
// up first reports a timeout for an install or a check the server then
// carries out anyway.
func TestClientTimeoutsOutlastServer(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "clients", "python", "airlock_client", "__init__.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		constant string
		server   time.Duration
	}{
		{"DEFAULT_TIMEOUT", server.DefaultCheckTimeout},
		{"DEFAULT_INSTALL_TIMEOUT", server.DefaultInstallTimeout},
		{"RUN_GRACE", server.RunGrace},
	} {
		m := regexp.MustCompile(`(?m)^` + tc.constant + ` = ([0-9.]+)\s*$`).FindSubmatch(src)
		if m == nil {
			t.Errorf("airlock_client has no %s = SECONDS line", tc.constant)
			continue
		}
		secs, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			t.Fatalf("%s: %v", tc.constant, err)
		}
		if client := time.Duration(secs * float64(time.Second)); client <= tc.server {
			t.Errorf("airlock_client.%s is %s, not longer than the server's %s", tc.constant, client, tc.server)
		}
	}
}
