//go:build linux

package sandbox

import (
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// hostLayout is what the host's root looks like, read once per Runner.
type hostLayout struct {
	rootLinks []symlink
	rootBinds []string
	etcBinds  []string
}

// rootDirs are the top-level directories programs under /usr expect; on
// merged-/usr hosts (Debian 12) they are symlinks into /usr.
var rootDirs = []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// etcAllow are the host /etc entries a sandbox may read: the dynamic
// linker's cache, the alternatives symlinks /usr/bin points through, the
// time zone, the public CA certificates and OpenSSL's configuration, and
// Debian's Python configuration (site customisation). Nothing else of /etc
// is visible; passwd, group, hosts and nsswitch.conf are the sandbox's own.
var etcAllow = []string{
	"/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime",
	"/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates",
	"/etc/python3*",
}

func detectHost() hostLayout {
	var h hostLayout
	for _, d := range rootDirs {
		fi, err := os.Lstat(d)
		if err != nil {
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(d)
			if err == nil && (strings.HasPrefix(t, "usr/") || strings.HasPrefix(t, "/usr/")) {
				h.rootLinks = append(h.rootLinks, symlink{Target: t, Path: d})
			}
			continue
		}
		if fi.IsDir() {
			h.rootBinds = append(h.rootBinds, d)
		}
	}
	for _, pat := range etcAllow {
		matches, _ := filepath.Glob(pat)
		for _, m := range matches {
			if _, err := os.Stat(m); err == nil {
				h.etcBinds = append(h.etcBinds, m)
			}
		}
	}
	slices.Sort(h.etcBinds)
	return h
}

// traversable reports whether uid/gid (no supplementary groups) can reach
// p: search permission on every ancestor directory. It is what bwrap,
// running as that user, needs to mount p.
func traversable(p string, uid, gid int) bool {
	if uid == 0 {
		return true
	}
	dir := filepath.Dir(filepath.Clean(p))
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return false
		}
		st := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		var ok bool
		switch {
		case int(st.Uid) == uid:
			ok = perm&0o100 != 0
		case int(st.Gid) == gid:
			ok = perm&0o010 != 0
		default:
			ok = perm&0o001 != 0
		}
		if !ok {
			return false
		}
		if dir == "/" {
			return true
		}
		dir = filepath.Dir(dir)
	}
}

// clampRlimits lowers the rlimit-backed limits to airlock's own hard
// limits: an unprivileged process cannot raise a hard limit, and asking
// for more than the host allows would only make the start fail.
func clampRlimits(l Limits) Limits {
	hard := func(res int) uint64 {
		var r unix.Rlimit
		if err := unix.Getrlimit(res, &r); err != nil {
			return math.MaxUint64
		}
		return r.Max
	}
	if h := hard(rlimitNofile); uint64(l.OpenFiles) > h {
		l.OpenFiles = int(h)
	}
	if h := hard(rlimitFsize); uint64(l.FileSize) > h {
		l.FileSize = Bytes(h)
	}
	if h := hard(rlimitAS); l.AddressSpace > 0 && uint64(l.AddressSpace) > h {
		l.AddressSpace = Bytes(h)
	}
	if h := hard(rlimitCPU); l.CPUTime > 0 && uint64(l.CPUTime.Seconds()) > h {
		l.CPUTime = time.Duration(h) * time.Second
	}
	return l
}

// closeInherited marks every descriptor above stderr close-on-exec. Go
// opens its own files that way, so the ones it finds open are descriptors
// airlock inherited from whoever started it (a pipe to an agent, say),
// which every child, and so every sandbox, would inherit in turn.
func closeInherited() {
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
