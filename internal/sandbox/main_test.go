package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// envSecret is put into the test process's environment: no sandbox may
// see it.
var envSecret = func() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "airlock-env-secret-" + hex.EncodeToString(b[:])
}()

// TestMain lets the test binary serve as airlock's binary inside proxy-mode
// sandboxes (run as "… __sandbox-forward …" it is the forwarder) and as the
// process TestKilledMidRun kills.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ForwardCommand {
		os.Exit(ForwardMain(os.Args[2:]))
	}
	if h := os.Getenv("AIRLOCK_SANDBOX_HELPER"); h != "" {
		killedMidRunHelper(h)
	}
	os.Setenv("AIRLOCK_TEST_SECRET", envSecret)
	os.Exit(m.Run())
}
