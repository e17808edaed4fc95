package sandbox

import "github.com/airlock-dev/airlock/internal/sandbox/cgroup"

// killWhy records why airlock ended a run.
type killWhy int

const (
	notKilled killWhy = iota
	killTimeout
	killOutput
	killCancel
)

// exitStatus is how the sandbox's outermost process (bwrap, the OCI
// runtime) ended: an exit code, or the signal that killed it.
type exitStatus struct {
	code   int
	signal int
}

// classify turns how the sandbox process ended, why airlock killed it (if
// it did) and what the cgroup saw into a Result's exit code, signal and
// reason. bwrap and runc report a command killed by signal N as exit
// status 128+N, so such a status counts as that signal. A run airlock
// killed is reported as killed by SIGKILL, whatever the outermost process
// said.
func classify(es exitStatus, why killWhy, st cgroup.Stats) Result {
	var res Result
	if es.signal != 0 {
		res.Signal, res.ExitCode = es.signal, 128+es.signal
	} else {
		res.ExitCode = es.code
		if res.ExitCode > 128 && res.ExitCode <= 128+64 {
			res.Signal = res.ExitCode - 128
		}
	}
	switch {
	case why == killTimeout:
		res.Reason = Timeout
	case why == killOutput:
		res.Reason = Output
	case why == killCancel:
		res.Reason = Killed
	case st.OOMKills > 0 && res.ExitCode != 0:
		res.Reason = Memory
	case st.PidsLimitHits > 0 && res.ExitCode != 0:
		res.Reason = Pids
	case res.Signal != 0:
		res.Reason = Signaled
	default:
		res.Reason = Exited
	}
	if why != notKilled {
		res.Signal, res.ExitCode = 9, 128+9
	}
	return res
}
