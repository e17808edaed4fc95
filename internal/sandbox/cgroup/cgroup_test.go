package cgroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hybridMountinfo and hybridCgroup are this development VM's: every
// controller on v1, an empty v2 mount at /sys/fs/cgroup/unified, and the
// memory controller placing us below /process_api/….
const hybridMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

const hybridCgroup = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/50a1
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`

// A systemd host on cgroup v2, airlock started from a login shell.
const v2Mountinfo = `25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
28 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
const v2Cgroup = "0::/user.slice/user-1000.slice/session-3.scope\n"

// An older v1 host with cpu and cpuacct mounted together.
const comountMountinfo = `30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,pids
`
const comountCgroup = `4:pids:/system.slice/ssh.service
3:memory:/system.slice/ssh.service
2:cpu,cpuacct:/system.slice/ssh.service
`

func TestParseLayout(t *testing.T) {
	tests := []struct {
		name                 string
		mountinfo, cg, v2c   string
		want                 Version
		memDir, pidsDir      string
		unifiedMount, v2Own  string
		wantErr              error
		wantV1Hierarchies    int
		wantCPUAcctSameAsCPU bool
	}{
		{name: "hybrid", mountinfo: hybridMountinfo, cg: hybridCgroup, v2c: "hugetlb\n", want: V1,
			memDir: "/sys/fs/cgroup/memory/process_api/50a1", pidsDir: "/sys/fs/cgroup/pids", wantV1Hierarchies: 9},
		{name: "v2", mountinfo: v2Mountinfo, cg: v2Cgroup, v2c: "cpuset cpu io memory hugetlb pids rdma misc\n", want: V2,
			unifiedMount: "/sys/fs/cgroup", v2Own: "/user.slice/user-1000.slice/session-3.scope"},
		{name: "comount", mountinfo: comountMountinfo, cg: comountCgroup, want: V1,
			memDir: "/sys/fs/cgroup/memory/system.slice/ssh.service", pidsDir: "/sys/fs/cgroup/pids/system.slice/ssh.service",
			wantV1Hierarchies: 3, wantCPUAcctSameAsCPU: true},
		{name: "v2 without pids", mountinfo: v2Mountinfo, cg: v2Cgroup, v2c: "cpu memory\n", wantErr: ErrNoCgroups},
		{name: "nothing", mountinfo: "22 27 0:21 / /proc rw - proc proc rw\n", cg: "0::/\n", wantErr: ErrNoCgroups},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseLayout([]byte(tt.mountinfo), []byte(tt.cg), []byte(tt.v2c))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseLayout: err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLayout: %v", err)
			}
			if l.Version != tt.want {
				t.Errorf("Version = %v, want %v", l.Version, tt.want)
			}
			if tt.want == V2 {
				if l.Unified.Mount != tt.unifiedMount || l.Unified.Own != tt.v2Own {
					t.Errorf("Unified = %+v, want mount %s own %s", l.Unified, tt.unifiedMount, tt.v2Own)
				}
				return
			}
			if len(l.V1) != tt.wantV1Hierarchies {
				t.Errorf("%d v1 hierarchies, want %d: %+v", len(l.V1), tt.wantV1Hierarchies, l.V1)
			}
			mem, _ := l.V1Hierarchy("memory")
			pids, _ := l.V1Hierarchy("pids")
			if mem.Dir() != tt.memDir || pids.Dir() != tt.pidsDir {
				t.Errorf("memory dir %s, pids dir %s; want %s, %s", mem.Dir(), pids.Dir(), tt.memDir, tt.pidsDir)
			}
			cpu, _ := l.V1Hierarchy("cpu")
			acct, _ := l.V1Hierarchy("cpuacct")
			if (cpu.Mount == acct.Mount) != tt.wantCPUAcctSameAsCPU {
				t.Errorf("cpu at %s, cpuacct at %s", cpu.Mount, acct.Mount)
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/sys/fs/with\040space`); got != "/sys/fs/with space" {
		t.Errorf("unescapeMount = %q", got)
	}
}

func fakeManager(t *testing.T, mountinfo, cg, v2c string, f *fakeFS) *Manager {
	t.Helper()
	l, err := ParseLayout([]byte(mountinfo), []byte(cg), []byte(v2c))
	if err != nil {
		t.Fatal(err)
	}
	return &Manager{layout: l, fs: f}
}

func TestV1CreateJoinStatsRemove(t *testing.T) {
	f := newFakeV1(map[string]string{
		"/sys/fs/cgroup/cpu": "cpu", "/sys/fs/cgroup/cpuacct": "cpuacct", "/sys/fs/cgroup/cpuset": "cpuset",
		"/sys/fs/cgroup/memory": "memory", "/sys/fs/cgroup/devices": "devices", "/sys/fs/cgroup/freezer": "freezer",
		"/sys/fs/cgroup/blkio": "blkio", "/sys/fs/cgroup/pids": "pids", "/sys/fs/cgroup/systemd": "name=systemd",
	})
	f.mkdirAll("/sys/fs/cgroup/memory/process_api/50a1")
	m := fakeManager(t, hybridMountinfo, hybridCgroup, "", f)
	g, err := m.Create("airlock-r1", Limits{Memory: 64 << 20, Pids: 32, CPUQuota: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wantDirs := []string{
		"/sys/fs/cgroup/memory/process_api/50a1/airlock-r1", "/sys/fs/cgroup/pids/airlock-r1",
		"/sys/fs/cgroup/cpuacct/airlock-r1", "/sys/fs/cgroup/cpu/airlock-r1",
	}
	if d, _ := m.Dirs("airlock-r1", Limits{CPUQuota: 50 * time.Millisecond}); !slices.Equal(d, wantDirs) {
		t.Errorf("Dirs = %q, want %q", d, wantDirs)
	}
	if !slices.Equal(g.Dirs, wantDirs) {
		t.Errorf("Dirs = %q, want %q", g.Dirs, wantDirs)
	}
	wantWrites := []string{
		"/sys/fs/cgroup/memory/process_api/50a1/airlock-r1/memory.limit_in_bytes=67108864",
		"/sys/fs/cgroup/memory/process_api/50a1/airlock-r1/memory.memsw.limit_in_bytes=67108864",
		"/sys/fs/cgroup/pids/airlock-r1/pids.max=32",
		"/sys/fs/cgroup/cpu/airlock-r1/cpu.cfs_period_us=100000",
		"/sys/fs/cgroup/cpu/airlock-r1/cpu.cfs_quota_us=50000",
	}
	if !slices.Equal(f.writes, wantWrites) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(f.writes, "\n"), strings.Join(wantWrites, "\n"))
	}
	if err := g.Join(4242); err != nil {
		t.Fatal(err)
	}
	for _, d := range wantDirs {
		if got := f.files[d+"/cgroup.procs"]; got != "4242" {
			t.Errorf("%s/cgroup.procs = %q, want 4242", d, got)
		}
	}
	if pids, err := g.Procs(); err != nil || !slices.Equal(pids, []int{4242}) {
		t.Errorf("Procs() = %v, %v", pids, err)
	}
	// A busy group cannot be removed; once empty it can.
	f.files["/sys/fs/cgroup/memory/process_api/50a1/airlock-r1/memory.max_usage_in_bytes"] = "12345678\n"
	f.files["/sys/fs/cgroup/memory/process_api/50a1/airlock-r1/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"
	f.files["/sys/fs/cgroup/pids/airlock-r1/pids.events"] = "max 7\n"
	f.files["/sys/fs/cgroup/cpuacct/airlock-r1/cpuacct.usage"] = "1500000000\n"
	s := g.Stats()
	want := Stats{CPU: 1500 * time.Millisecond, HaveCPU: true, PeakMemory: 12345678, OOMKills: 1, PidsLimitHits: 7}
	if s != want {
		t.Errorf("Stats() = %+v, want %+v", s, want)
	}
	for _, d := range wantDirs {
		f.files[d+"/cgroup.procs"] = ""
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, d := range wantDirs {
		if f.dirs[d] {
			t.Errorf("%s still exists", d)
		}
	}
	if !f.dirs["/sys/fs/cgroup/memory/process_api/50a1"] {
		t.Error("Remove removed airlock's own cgroup")
	}
	if err := g.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func TestV1Comount(t *testing.T) {
	f := newFakeV1(map[string]string{"/sys/fs/cgroup/cpu,cpuacct": "cpu,cpuacct", "/sys/fs/cgroup/memory": "memory", "/sys/fs/cgroup/pids": "pids"})
	for _, d := range []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"} {
		f.mkdirAll(d + "/system.slice/ssh.service")
	}
	m := fakeManager(t, comountMountinfo, comountCgroup, "", f)
	g, err := m.Create("airlock-x", Limits{Memory: 1 << 30, CPUQuota: time.Second, CPUPeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Dirs) != 3 {
		t.Errorf("Dirs = %q, want one per hierarchy", g.Dirs)
	}
	if got := f.files["/sys/fs/cgroup/cpu,cpuacct/system.slice/ssh.service/airlock-x/cpu.cfs_quota_us"]; got != "1000000" {
		t.Errorf("quota = %q", got)
	}
	if p, _ := m.RuntimePath("airlock-x"); p != "airlock-x" {
		t.Errorf("RuntimePath = %q, want the relative name on v1", p)
	}
}

func TestV2CreateInOwnCgroup(t *testing.T) {
	// airlock runs as a service in its own (delegated) cgroup with no other
	// processes: the controllers are enabled there and runs become children.
	f := newFakeV2("/sys/fs/cgroup", "cpuset cpu io memory pids")
	f.files["/sys/fs/cgroup/cgroup.subtree_control"] = "cpu memory pids"
	f.mkdirAll("/sys/fs/cgroup/system.slice")
	f.files["/sys/fs/cgroup/system.slice/cgroup.subtree_control"] = "cpu memory pids"
	f.mkdirAll("/sys/fs/cgroup/system.slice/airlock.service")
	f.writes = nil
	m := fakeManager(t, v2Mountinfo, "0::/system.slice/airlock.service\n", "cpuset cpu io memory pids", f)
	g, err := m.Create("airlock-r2", Limits{Memory: 256 << 20, Pids: 64, CPUQuota: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	dir := "/sys/fs/cgroup/system.slice/airlock.service/airlock-r2"
	if !slices.Equal(g.Dirs, []string{dir}) {
		t.Fatalf("Dirs = %q", g.Dirs)
	}
	wantWrites := []string{
		"/sys/fs/cgroup/system.slice/airlock.service/cgroup.subtree_control=+memory +pids +cpu",
		dir + "/memory.max=268435456",
		dir + "/memory.swap.max=0",
		dir + "/memory.oom.group=1",
		dir + "/pids.max=64",
		dir + "/cpu.max=200000 100000",
	}
	if !slices.Equal(f.writes, wantWrites) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(f.writes, "\n"), strings.Join(wantWrites, "\n"))
	}
	if p, _ := m.RuntimePath("airlock-r3"); p != "/system.slice/airlock.service/airlock-r3" {
		t.Errorf("RuntimePath = %q", p)
	}
	f.files[dir+"/cgroup.procs"] = "10\n11"
	f.files[dir+"/memory.peak"] = "999\n"
	f.files[dir+"/memory.events"] = "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 1\n"
	f.files[dir+"/cpu.stat"] = "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n"
	if s, want := g.Stats(), (Stats{CPU: 2500 * time.Microsecond, HaveCPU: true, PeakMemory: 999, OOMKills: 1}); s != want {
		t.Errorf("Stats() = %+v, want %+v", s, want)
	}
	if err := g.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.writes[len(f.writes)-1]; got != dir+"/cgroup.kill=1" {
		t.Errorf("Kill wrote %q, want cgroup.kill", got)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
}

func TestV2CreateNextToBusyCgroup(t *testing.T) {
	// airlock started from a login shell: its session scope holds the shell,
	// so the controllers cannot be enabled there (EBUSY) and the run goes
	// next to the scope, as runc places relative paths.
	f := newFakeV2("/sys/fs/cgroup", "cpu memory pids")
	f.files["/sys/fs/cgroup/cgroup.subtree_control"] = "cpu memory pids"
	f.mkdirAll("/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope")
	f.files["/sys/fs/cgroup/user.slice/cgroup.subtree_control"] = "cpu memory pids"
	f.files["/sys/fs/cgroup/user.slice/user-1000.slice/cgroup.controllers"] = "cpu memory pids"
	f.files["/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/cgroup.controllers"] = "cpu memory pids"
	f.files["/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/cgroup.procs"] = "700\n701"
	m := fakeManager(t, v2Mountinfo, v2Cgroup, "cpu memory pids", f)
	g, err := m.Create("airlock-r4", Limits{Pids: 8})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/sys/fs/cgroup/user.slice/user-1000.slice/airlock-r4"; !slices.Equal(g.Dirs, []string{want}) {
		t.Errorf("Dirs = %q, want %s", g.Dirs, want)
	}
	if _, err := m.Create("airlock-r4", Limits{}); err == nil {
		t.Error("creating an existing group succeeded")
	}
}

func TestV2NoControllers(t *testing.T) {
	f := newFakeV2("/sys/fs/cgroup", "cpu memory pids")
	f.mkdirAll("/sys/fs/cgroup/a/b")
	// Neither b nor a offers pids.
	f.files["/sys/fs/cgroup/a/cgroup.controllers"] = "memory"
	f.files["/sys/fs/cgroup/a/b/cgroup.controllers"] = "memory"
	m := fakeManager(t, v2Mountinfo, "0::/a/b\n", "cpu memory pids", f)
	if _, err := m.Create("airlock-r5", Limits{}); !errors.Is(err, ErrNoCgroups) {
		t.Errorf("Create: err = %v, want ErrNoCgroups", err)
	}
}

func TestBadNames(t *testing.T) {
	m := fakeManager(t, v2Mountinfo, v2Cgroup, "cpu memory pids", newFakeV2("/sys/fs/cgroup", "cpu memory pids"))
	for _, n := range []string{"", ".", "..", "a/b", "a\x00"} {
		if _, err := m.Create(n, Limits{}); err == nil {
			t.Errorf("Create(%q) succeeded", n)
		}
	}
}

func TestFromDirs(t *testing.T) {
	f := newFakeV1(map[string]string{"/sys/fs/cgroup/memory": "memory", "/sys/fs/cgroup/pids": "pids", "/sys/fs/cgroup/freezer": "freezer"})
	m := fakeManager(t, hybridMountinfo, hybridCgroup, "", f)
	g, err := m.FromDirs([]string{"/sys/fs/cgroup/pids/airlock-z", "/sys/fs/cgroup/freezer/x/airlock-z"})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := g.dir("freezer"); d != "/sys/fs/cgroup/freezer/x/airlock-z" {
		t.Errorf("freezer dir = %q", d)
	}
	for _, bad := range []string{"/etc/passwd", "/sys/fs/cgroup/pids/../../../etc", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/pids/user.slice"} {
		if _, err := m.FromDirs([]string{bad}); err == nil {
			t.Errorf("FromDirs(%q) accepted", bad)
		}
	}
}

// TestHostGroup exercises the real cgroup file system: a process joins a
// fresh group, cannot fork past the pids limit, and Kill and Remove leave
// nothing behind.
func TestHostGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root (or a delegated v2 cgroup)")
	}
	m, err := Host()
	if err != nil {
		t.Fatalf("Host: %v", err)
	}
	name := "airlock-test-" + path.Base(t.TempDir())
	g, err := m.Create(name, Limits{Memory: 64 << 20, Pids: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Remove()
	cmd := exec.Command("/bin/sh", "-c", "read x; for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait")
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := g.Join(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	stdin.Write([]byte("go\n"))
	deadline := time.Now().Add(10 * time.Second)
	for g.Stats().PidsLimitHits == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if hits := g.Stats().PidsLimitHits; hits == 0 {
		t.Error("the pids limit was never hit")
	}
	pids, _ := g.Procs()
	if len(pids) == 0 || len(pids) > 4 {
		t.Errorf("%d processes in the group, want 1..4", len(pids))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, p := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(p)); err == nil {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat"); !strings.Contains(string(b), ") Z ") {
				t.Errorf("process %d survived Kill", p)
			}
		}
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, d := range g.Dirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s survived Remove", d)
		}
	}
}

// TestHostJoinThread checks on the real file system that a process forked
// by a thread that joined a v1 group is born in it, and that the thread
// goes back where it was.
func TestHostJoinThread(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root (or a delegated v2 cgroup)")
	}
	m, err := Host()
	if err != nil {
		t.Fatalf("Host: %v", err)
	}
	if m.Layout().Version != V1 {
		t.Skip("JoinThread is for cgroup v1 hosts; v2 uses CLONE_INTO_CGROUP")
	}
	name := "airlock-test-" + path.Base(t.TempDir())
	g, err := m.Create(name, Limits{Pids: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Remove()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	before, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/cgroup", tid))
	back, err := g.JoinThread()
	if err != nil {
		t.Fatal(err)
	}
	out, cmdErr := exec.Command("/bin/cat", "/proc/self/cgroup").Output()
	if err := back(); err != nil {
		t.Fatal(err)
	}
	if cmdErr != nil {
		t.Fatal(cmdErr)
	}
	after, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/cgroup", tid))
	if string(after) != string(before) {
		t.Errorf("thread did not go back:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, c := range []string{"memory", "pids"} {
		if !strings.Contains(string(out), ":"+c+":") || !strings.Contains(string(out), "/"+name+"\n") {
			t.Errorf("child was not born in the group's %s cgroup:\n%s", c, out)
		}
	}
	if pids, _ := g.Procs(); len(pids) != 0 {
		t.Errorf("group still lists processes %v", pids)
	}
}

func FuzzParseLayout(f *testing.F) {
	f.Add(hybridMountinfo, hybridCgroup, "hugetlb\n")
	f.Add(v2Mountinfo, v2Cgroup, "cpu memory pids\n")
	f.Add(comountMountinfo, comountCgroup, "")
	f.Add(`1 2 3:4 / /a\040b rw - cgroup x rw,memory,pids`, "1:memory,pids:/x\n", "")
	f.Fuzz(func(t *testing.T, mountinfo, procCgroup, controllers string) {
		l, err := ParseLayout([]byte(mountinfo), []byte(procCgroup), []byte(controllers))
		if err != nil {
			return
		}
		// A layout it accepts has every required controller somewhere.
		for _, c := range Required {
			if l.Version == V1 {
				if _, ok := l.V1Hierarchy(c); !ok {
					t.Fatalf("v1 layout without %s: %+v", c, l)
				}
			} else if l.Version != V2 || l.Unified.Mount == "" {
				t.Fatalf("layout of version %v: %+v", l.Version, l)
			}
		}
	})
}
