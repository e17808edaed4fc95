package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes. They are the same for every subcommand that makes a decision,
// and documented in the README. airlock run exits with the sandboxed
// command's own code instead (128+signal when it was killed).
const (
	// ExitOK: everything was allowed, or the command succeeded.
	ExitOK = 0
	// ExitDenied: at least one thing was denied.
	ExitDenied = 1
	// ExitUsage: a usage or input error (bad flag, missing file, bad policy).
	ExitUsage = 2
	// ExitReview: nothing was denied but something needs a person's review.
	ExitReview = 3
	// ExitFailed: airlock could not finish and decided nothing (upstream
	// down, sandbox unavailable, store error). It fails closed.
	ExitFailed = 4
	// ExitInterrupted: airlock was interrupted by a signal.
	ExitInterrupted = 130
)

// exitCodes names each exit code for the documentation and for tests.
var exitCodes = map[int]string{
	ExitOK:          "ok: everything allowed, or the command succeeded",
	ExitDenied:      "denied: at least one entry was denied",
	ExitUsage:       "usage: bad flags, unreadable input or a bad policy",
	ExitReview:      "review: nothing denied, something needs review",
	ExitFailed:      "failed: airlock could not decide (fails closed)",
	ExitInterrupted: "interrupted",
}

// exitError carries an exit code through cobra. An empty message prints
// nothing (the command already explained itself).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e exitError) Unwrap() error { return e.err }

// errSilent marks an error whose message was already written.
var errSilent = errors.New("")

// withCode returns an error that makes Main exit with code; with a nil err,
// nothing more is printed.
func withCode(code int, err error) error {
	if err == nil {
		err = errSilent
	}
	return exitError{code: code, err: err}
}

// usageError is a bad command line or unreadable input: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	// cobra reports unknown commands and bad arguments as plain errors.
	msg := err.Error()
	for _, p := range cobraUsagePrefixes {
		if strings.HasPrefix(msg, p) {
			return ExitUsage
		}
	}
	return ExitFailed
}

// cobraUsagePrefixes start the messages of the usage errors cobra makes itself.
var cobraUsagePrefixes = []string{
	"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least",
	"requires at most", "received ", "required flag", "invalid argument", "flag needs an argument",
	"if any flags in the group",
}
