//go:build linux

package sandbox

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSandboxOverhead measures `/usr/bin/python3 -c pass` run plainly,
// in bwrap by hand with the same mounts a run gets (no cgroup, no rlimits,
// no bookkeeping), and through each Runner. The variants take turns within
// each iteration, so a change in the machine's load (it is shared) hits
// them alike. It reports each variant's median in ms, and for bwrap the
// overhead over plain and the ratio to raw bwrap; scripts/bench/sandbox.sh
// prints them. Goals: the bwrap Runner under 10 ms over plain, and within
// 1.3 times raw bwrap.
func BenchmarkSandboxOverhead(b *testing.B) {
	argv := []string{python, "-c", "pass"}
	plain := func() error { return exec.Command(argv[0], argv[1:]...).Run() }
	for _, d := range drivers() {
		b.Run(d.name, func(b *testing.B) {
			r := d.new(b, Options{StateDir: b.TempDir(), TempDir: reachableTempDir(b)})
			runner := func() error {
				res, err := r.Run(context.Background(), Spec{Argv: argv})
				if err == nil && res.ExitCode != 0 {
					b.Fatalf("exit %d: %s", res.ExitCode, res.Stderr)
				}
				return err
			}
			variants := []struct {
				name string
				f    func() error
			}{{"plain", plain}, {d.name, runner}}
			if bw, ok := r.(*Bwrap); ok {
				variants = append(variants, struct {
					name string
					f    func() error
				}{"raw-bwrap", rawBwrap(b, bw, argv)})
			}
			med := medians(b, len(variants), func(i int) error { return variants[i].f() })
			for i, v := range variants {
				b.ReportMetric(med[i], v.name+"-ms")
			}
			b.ReportMetric(med[1]-med[0], "overhead-ms")
			if len(variants) == 3 {
				b.ReportMetric(med[1]/med[2], "x-raw-bwrap")
			}
		})
	}
}

// rawBwrap returns a function that runs argv in bwrap with the mounts a
// run gets, as the sandbox user, and nothing else.
func rawBwrap(b *testing.B, bw *Bwrap, argv []string) func() error {
	r, err := bw.prepare(context.Background(), Spec{Argv: argv}, "bench", newID(), nil, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.cleanup(context.Background()) })
	args := bwrapArgs(r.plan)
	return func() error {
		cmd := exec.Command(bw.bin, args...)
		cmd.Env = []string{}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if os.Geteuid() == 0 {
			cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(r.plan.UID), Gid: uint32(r.plan.GID), Groups: []uint32{}}
		}
		return cmd.Run()
	}
}

// medians runs f(0), ..., f(n-1) in turn b.N times and returns the median
// duration of each, in milliseconds.
func medians(b *testing.B, n int, f func(i int) error) []float64 {
	b.Helper()
	ds := make([][]time.Duration, n)
	b.ResetTimer()
	for range b.N {
		for i := range n {
			t0 := time.Now()
			if err := f(i); err != nil {
				b.Fatal(err)
			}
			ds[i] = append(ds[i], time.Since(t0))
		}
	}
	b.StopTimer()
	out := make([]float64, n)
	for i, d := range ds {
		slices.Sort(d)
		out[i] = float64(d[len(d)/2].Microseconds()) / 1000
	}
	return out
}
