package sandbox

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenPlans are the plans whose bwrap command lines and OCI configs are
// checked against testdata/golden. They are what prepare would build on a
// Debian 12 host.
func goldenPlans() map[string]plan {
	debian := plan{
		UID: 65534, GID: 65534,
		WorkDir: "/tmp/airlock-0123456789abcdef/work",
		RootLinks: []symlink{
			{"usr/bin", "/bin"}, {"usr/sbin", "/sbin"}, {"usr/lib", "/lib"}, {"usr/lib64", "/lib64"},
		},
		EtcBinds: []string{"/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime", "/etc/python3", "/etc/python3.11", "/etc/ssl/certs", "/etc/ssl/openssl.cnf"},
		EtcDir:   "/tmp/airlock-0123456789abcdef/etc",
		Limits:   DefaultLimits(),
	}
	def := debian
	def.WorkDir, def.EtcDir = "", "" // a tmpfs and data: nothing on the host
	def.Files = []File{{Name: "main.py", Data: []byte("print(1)\n")}, {Name: "pkg/sub/run.sh", Mode: 0o755}}
	def.Env = environ(Spec{})
	def.Argv = []string{"/usr/bin/python3", "main.py"}

	proxy := debian
	proxy.UID, proxy.GID = 1000, 1000
	proxy.WorkDir = "/home/alice/project"
	spec := Spec{
		Argv:       []string{"python", "-m", "pip", "install", "--no-index", "requests"},
		Env:        []string{"PIP_CONFIG_FILE=/dev/null", "HOME=/work"},
		PathPrefix: []string{"/home/alice/.local/share/airlock/envs/e1/bin"},
	}
	proxy.Env = environ(spec)
	proxy.Binds = []Bind{
		{Src: "/home/alice/.local/share/airlock/envs/e1", Dst: "/home/alice/.local/share/airlock/envs/e1", Writable: true},
		{Src: "/tmp/airlock-0123456789abcdef/m/0", Dst: "/opt/wheels"},
	}
	proxy.Proxy = &proxyPlan{Forwarder: "/usr/local/bin/airlock", Socket: "/tmp/airlock-0123456789abcdef/net/proxy.sock", Port: 3128}
	proxy.Argv = innerArgv(spec, proxy.Proxy)
	proxy.Limits = Limits{Wall: 2 * time.Second, CPUTime: 90 * time.Second, CPUs: 1.5, Memory: 64 * MiB,
		AddressSpace: 512 * MiB, Pids: 32, OpenFiles: 256, FileSize: 10 * MiB, Output: MiB, Tmpfs: 8 * MiB}

	split := debian
	split.Env = environ(Spec{})
	split.Argv = []string{"/usr/bin/python3", "-c", "pass"}
	split.RootLinks = nil
	split.RootBinds = []string{"/bin", "/lib", "/lib64", "/sbin"}
	return map[string]plan{"default": def, "proxy": proxy, "split-usr": split}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended):\n%s", name, diffLines(string(want), string(got)))
	}
}

// diffLines lists the lines that differ, good enough for short files.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
		}
	}
	return b.String()
}

func TestBwrapArgsGolden(t *testing.T) {
	for name, p := range goldenPlans() {
		t.Run(name, func(t *testing.T) {
			argv := launchArgv("prlimit", "bwrap", p)
			var data []string
			for i, d := range bwrapData(p) {
				data = append(data, fmt.Sprintf("# fd %d:\n%s", bwrapFirstDataFD+i, d))
			}
			checkGolden(t, "bwrap-"+name+".txt", []byte(strings.Join(argv, "\n")+"\n"+strings.Join(data, "")))
		})
	}
}

func TestOCIConfigGolden(t *testing.T) {
	for name, p := range goldenPlans() {
		t.Run(name, func(t *testing.T) {
			cfg := ociConfig(p, ociParams{CgroupsPath: "airlock-0123456789abcdef", Setpriv: setprivPath, Prlimit: prlimitPath})
			b, err := json.MarshalIndent(cfg, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "oci-"+name+".json", append(b, '\n'))
		})
	}
}

// TestBwrapArgsInvariants checks the properties every command line must
// have, whatever the golden files say.
func TestBwrapArgsInvariants(t *testing.T) {
	for name, p := range goldenPlans() {
		a := bwrapArgs(p)
		s := " " + strings.Join(a, " ") + " "
		for _, must := range []string{
			" --unshare-all ", " --unshare-user ", " --disable-userns ", " --new-session ", " --die-with-parent ",
			" --remount-ro / ", " --clearenv ", " --ro-bind /usr /usr ",
			" --unshare-cgroup ",
		} {
			if !strings.Contains(s, must) {
				t.Errorf("%s: bwrap arguments lack %q", name, strings.TrimSpace(must))
			}
		}
		if strings.Contains(s, "--share-net") || strings.Contains(s, "--dev-bind") || strings.Contains(s, "--cap-add") {
			t.Errorf("%s: bwrap arguments weaken the sandbox: %s", name, s)
		}
		// The command comes last, after "--", so no argument of it can be
		// read as a bwrap option.
		dd := -1
		for i, x := range a {
			if x == "--" {
				dd = i
				break
			}
		}
		if dd < 0 || strings.Join(a[dd+1:], "\x00") != strings.Join(p.Argv, "\x00") {
			t.Errorf("%s: command is not the tail after --: %q", name, a)
		}
		// --remount-ro / must come after every mount.
		ro := strings.Index(s, " --remount-ro / ")
		for _, op := range []string{" --bind ", " --ro-bind ", " --tmpfs ", " --symlink "} {
			if i := strings.LastIndex(s, op); i > ro {
				t.Errorf("%s: %s after --remount-ro", name, op)
			}
		}
	}
}

func TestSeccompProfile(t *testing.T) {
	p := seccompProfile()
	denied := map[string]bool{}
	for _, s := range p.Syscalls {
		for _, n := range s.Names {
			if len(s.Args) == 0 {
				denied[n] = true
			}
		}
	}
	for _, must := range []string{"unshare", "setns", "mount", "umount2", "pivot_root", "ptrace", "bpf", "keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register", "clone3"} {
		if !denied[must] {
			t.Errorf("seccomp profile allows %s", must)
		}
	}
	flags := 0
	for _, s := range p.Syscalls {
		if len(s.Names) == 1 && s.Names[0] == "clone" && len(s.Args) == 1 && s.Args[0].Value == s.Args[0].ValueTwo {
			flags |= int(s.Args[0].Value)
		}
	}
	const all = cloneNewNS | cloneNewCgroup | cloneNewUTS | cloneNewIPC | cloneNewUser | cloneNewPID | cloneNewNet
	if flags != all {
		t.Errorf("clone rules cover flags %#x, want %#x", flags, all)
	}
}
