package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
)

// ErrUnavailable is wrapped by the errors of constructors and runs that
// could not set up a sandbox at all (missing bubblewrap or runtime, no
// usable cgroups). Callers fail closed.
var ErrUnavailable = errors.New("sandbox unavailable")

// Options configure a [Runner] built by [NewBwrap] or [NewOCI].
type Options struct {
	// StateDir holds the records of runs in progress, so a run whose airlock
	// process died is reaped by the next Runner made with the same StateDir.
	// Required.
	StateDir string
	// TempDir is where run directories are made. It must be reachable by
	// the sandbox user (see UID). Empty means os.TempDir(), or /tmp when a
	// root airlock's $TMPDIR is out of the sandbox user's reach.
	TempDir string
	// UID and GID are the sandbox user's ids when airlock runs as root and
	// the work directory is root's or temporary; zero means 65534
	// (nobody/nogroup). When airlock is not root the sandbox runs as
	// airlock's own user; when the work directory belongs to another user,
	// as that user.
	UID, GID int
	// Forwarder is the binary mounted into proxy-mode sandboxes. It must
	// dispatch its first argument [ForwardCommand] to [ForwardMain]. Empty
	// means os.Executable().
	Forwarder string
	// Bwrap is the bubblewrap binary for [NewBwrap]; empty means "bwrap"
	// on PATH.
	Bwrap string
	// Runtime is the OCI runtime for [NewOCI]: runc, crun, runsc or a path;
	// empty means runc.
	Runtime string
	// Logger receives warnings about leftovers that could not be reaped;
	// nil discards them.
	Logger *slog.Logger
}

// nobody is the default sandbox user and group for root-run sandboxes.
const nobody = 65534

// ErrNoBwrap means bubblewrap is not installed.
var ErrNoBwrap = fmt.Errorf("%w: bubblewrap (bwrap) is not installed: install the Debian package \"bubblewrap\"", ErrUnavailable)

// ErrNoPrlimit means prlimit(1), which the bwrap driver starts bwrap with,
// is missing.
var ErrNoPrlimit = fmt.Errorf("%w: prlimit is not installed: install the Debian package \"util-linux\"", ErrUnavailable)
