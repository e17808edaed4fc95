package sandbox

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as airlock's binary inside proxy-mode
// sandboxes: run as "… __sandbox-forward …" it is the forwarder.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case ForwardCommand:
			os.Exit(ForwardMain(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}
