package sandbox

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want Bytes
		err  bool
	}{
		{"0", 0, false},
		{"1000000", 1000000, false},
		{"512B", 512, false},
		{"256MiB", 256 * MiB, false},
		{"1GiB", GiB, false},
		{"1.5GiB", 1536 * MiB, false},
		{"64M", 64 * MiB, false},
		{"64k", 64 * KiB, false},
		{"2G", 2 * GiB, false},
		{"1TiB", TiB, false},
		{"1MB", 1000000, false},
		{"1kB", 1000, false},
		{" 16 MiB ", 16 * MiB, false},
		{"", 0, true},
		{"MiB", 0, true},
		{"-1MiB", 0, true},
		{"+1", 0, true},
		{"1e6", 0, true},
		{"0x10", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
		{"1_000", 0, true},
		{"12 parsecs", 0, true},
		{"256mib", 0, true},
		{"9999999TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestBytesString(t *testing.T) {
	tests := []struct {
		in   Bytes
		want string
	}{
		{0, "0B"}, {1, "1B"}, {1000, "1000B"}, {KiB, "1KiB"}, {1536 * MiB, "1536MiB"},
		{GiB, "1GiB"}, {16 * MiB, "16MiB"}, {3 * TiB, "3TiB"}, {1025, "1025B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Bytes(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		back, err := ParseBytes(tt.want)
		if err != nil || back != tt.in {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tt.want, back, err, int64(tt.in))
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"0", "256MiB", "1.5GiB", "64M", "1kB", "-1", "1e6", "9999999TiB", " 3 G "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBytes(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseBytes(%q) = %d < 0", s, b)
		}
		// The canonical form parses back to the same size.
		back, err := ParseBytes(b.String())
		if err != nil || back != b {
			t.Fatalf("ParseBytes(%q) = %d; its String %q parses to %d, %v", s, b, b.String(), back, err)
		}
	})
}

func TestReasonText(t *testing.T) {
	for r := Exited; r <= Killed; r++ {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Reason
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("%s: round trip gave %s, %v", b, back, err)
		}
	}
	if _, err := Reason(99).MarshalText(); err == nil {
		t.Error("MarshalText accepted an invalid reason")
	}
	var r Reason
	if err := r.UnmarshalText([]byte("exploded")); err == nil {
		t.Error("UnmarshalText accepted an unknown reason")
	}
	if m, err := ParseNetMode("proxy"); err != nil || m.String() != "proxy" {
		t.Errorf("ParseNetMode(proxy) = %v, %v", m, err)
	}
	if _, err := ParseNetMode("host"); err == nil {
		t.Error("ParseNetMode accepted host")
	}
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(Result{ExitCode: 137, Signal: 9, Reason: Memory, Stdout: "a", StdoutTruncated: true, WallMS: 5, CPUMS: 3, PeakMemoryBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"exit_code":137,"signal":9,"reason":"memory","stdout":"a","stderr":"","stdout_truncated":true,"stderr_truncated":false,"wall_ms":5,"cpu_ms":3,"peak_memory_bytes":67108864}`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", b, want)
	}
}

func TestValidate(t *testing.T) {
	ok := Spec{Argv: []string{"/usr/bin/python3", "-c", "pass"}}
	tests := []struct {
		name string
		mod  func(*Spec)
		bad  bool
	}{
		{"fine", func(*Spec) {}, false},
		{"no command", func(s *Spec) { s.Argv = nil }, true},
		{"empty program", func(s *Spec) { s.Argv = []string{""} }, true},
		{"NUL in argument", func(s *Spec) { s.Argv = append(s.Argv, "a\x00b") }, true},
		{"env without =", func(s *Spec) { s.Env = []string{"FOO"} }, true},
		{"env with empty name", func(s *Spec) { s.Env = []string{"=x"} }, true},
		{"env PATH", func(s *Spec) { s.Env = []string{"PATH=/evil"} }, true},
		{"env fine", func(s *Spec) { s.Env = []string{"PIP_CONFIG_FILE=/dev/null", "EMPTY="} }, false},
		{"relative PATH prefix", func(s *Spec) { s.PathPrefix = []string{"venv/bin"} }, true},
		{"PATH prefix with colon", func(s *Spec) { s.PathPrefix = []string{"/a:/b"} }, true},
		{"absolute file", func(s *Spec) { s.Files = []File{{Name: "/etc/passwd"}} }, true},
		{"escaping file", func(s *Spec) { s.Files = []File{{Name: "../x"}} }, true},
		{"unclean file", func(s *Spec) { s.Files = []File{{Name: "a/../b"}} }, true},
		{"nested file", func(s *Spec) { s.Files = []File{{Name: "pkg/main.py"}} }, false},
		{"relative bind", func(s *Spec) { s.Binds = []Bind{{Src: "venv"}} }, true},
		{"bind over /etc", func(s *Spec) { s.Binds = []Bind{{Src: "/home/x", Dst: "/etc"}} }, true},
		{"bind into /etc", func(s *Spec) { s.Binds = []Bind{{Src: "/home/x", Dst: "/etc/pip.conf"}} }, true},
		{"bind over root", func(s *Spec) { s.Binds = []Bind{{Src: "/", Dst: "/"}} }, true},
		{"bind over the work dir", func(s *Spec) { s.Binds = []Bind{{Src: "/x", Dst: "/work/"}} }, true},
		{"bind into /run/airlock", func(s *Spec) { s.Binds = []Bind{{Src: "/x", Dst: "/run/airlock/proxy.sock"}} }, true},
		{"bind a venv", func(s *Spec) { s.Binds = []Bind{{Src: "/var/lib/airlock/envs/e1"}} }, false},
		{"proxy without target", func(s *Spec) { s.Net.Mode = NetProxy }, true},
		{"proxy port", func(s *Spec) { s.Net = Network{Mode: NetProxy, Target: "x:1", Port: 70000} }, true},
		{"proxy", func(s *Spec) { s.Net = Network{Mode: NetProxy, Target: "127.0.0.1:8080"} }, false},
		{"bad net mode", func(s *Spec) { s.Net.Mode = 7 }, true},
		{"negative wall", func(s *Spec) { s.Limits.Wall = -time.Second }, true},
		{"tiny memory", func(s *Spec) { s.Limits.Memory = MiB }, true},
		{"tiny pids", func(s *Spec) { s.Limits.Pids = 2 }, true},
	}
	for _, tt := range tests {
		s := ok
		s.Argv = append([]string(nil), ok.Argv...)
		tt.mod(&s)
		err := s.Validate()
		if (err != nil) != tt.bad {
			t.Errorf("%s: Validate() = %v, want error %v", tt.name, err, tt.bad)
		}
		if err != nil && !errors.Is(err, ErrSpec) {
			t.Errorf("%s: %v does not wrap ErrSpec", tt.name, err)
		}
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := Limits{Memory: 64 * MiB}.WithDefaults()
	d := DefaultLimits()
	if l.Memory != 64*MiB || l.Wall != d.Wall || l.Pids != 256 || l.Output != 16*MiB || l.CPUs != 0 || l.AddressSpace != 0 {
		t.Errorf("WithDefaults() = %+v", l)
	}
	if d.Wall != time.Minute || d.Memory != GiB {
		t.Errorf("DefaultLimits() = %+v", d)
	}
}

func TestEnviron(t *testing.T) {
	got := environ(Spec{Env: []string{"HOME=/work", "A=1", "A=2"}, PathPrefix: []string{"/v/bin", "/w/bin"}})
	want := []string{"PATH=/v/bin:/w/bin:" + DefaultPath, "LANG=C.UTF-8", "HOME=/work", "A=2"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("environ = %q, want %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		es     exitStatus
		why    killWhy
		st     cgroup.Stats
		reason Reason
		code   int
		signal int
	}{
		{"clean exit", exitStatus{code: 0}, notKilled, cgroup.Stats{}, Exited, 0, 0},
		{"failure", exitStatus{code: 3}, notKilled, cgroup.Stats{}, Exited, 3, 0},
		{"signal via 128+N", exitStatus{code: 143}, notKilled, cgroup.Stats{}, Signaled, 143, 15},
		{"signal directly", exitStatus{signal: 11}, notKilled, cgroup.Stats{}, Signaled, 139, 11},
		{"oom kill", exitStatus{code: 137}, notKilled, cgroup.Stats{OOMKills: 1}, Memory, 137, 9},
		{"oom of a child, clean exit", exitStatus{code: 0}, notKilled, cgroup.Stats{OOMKills: 1}, Exited, 0, 0},
		{"fork refused", exitStatus{code: 1}, notKilled, cgroup.Stats{PidsLimitHits: 4}, Pids, 1, 0},
		{"fork refused, recovered", exitStatus{code: 0}, notKilled, cgroup.Stats{PidsLimitHits: 4}, Exited, 0, 0},
		{"timeout", exitStatus{signal: 9}, killTimeout, cgroup.Stats{PidsLimitHits: 4}, Timeout, 137, 9},
		{"timeout after exit status", exitStatus{code: 1}, killTimeout, cgroup.Stats{}, Timeout, 137, 9},
		{"output", exitStatus{signal: 9}, killOutput, cgroup.Stats{}, Output, 137, 9},
		{"cancelled", exitStatus{code: 137}, killCancel, cgroup.Stats{OOMKills: 1}, Killed, 137, 9},
		{"exit 200 is no signal", exitStatus{code: 200}, notKilled, cgroup.Stats{}, Exited, 200, 0},
	}
	for _, tt := range tests {
		r := classify(tt.es, tt.why, tt.st)
		if r.Reason != tt.reason || r.ExitCode != tt.code || r.Signal != tt.signal {
			t.Errorf("%s: classify = %s/%d/%d, want %s/%d/%d", tt.name, r.Reason, r.ExitCode, r.Signal, tt.reason, tt.code, tt.signal)
		}
	}
}
