package cgroup

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// fakeFS models the parts of cgroupfs this package relies on: mkdir
// populates the control files of the controllers enabled in the parent,
// control files cannot be created by writing, subtree_control refuses
// controllers in a non-root cgroup that holds processes (EBUSY), and rmdir
// refuses a group with tasks or children (EBUSY).
type fakeFS struct {
	mu     sync.Mutex
	v2     string            // v2 mount point, or "" for a v1 model
	v1     map[string]string // v1 mount point → controller list ("cpu,cpuacct")
	dirs   map[string]bool
	files  map[string]string
	writes []string // "path=value", in order
}

func newFakeV2(mount string, rootControllers string) *fakeFS {
	f := &fakeFS{v2: mount, dirs: map[string]bool{mount: true}, files: map[string]string{}}
	f.files[mount+"/cgroup.controllers"] = rootControllers
	f.files[mount+"/cgroup.subtree_control"] = ""
	f.files[mount+"/cgroup.procs"] = ""
	return f
}

func newFakeV1(mounts map[string]string) *fakeFS {
	f := &fakeFS{v1: mounts, dirs: map[string]bool{}, files: map[string]string{}}
	for m := range mounts {
		f.dirs[m] = true
		f.populate(m, m)
	}
	return f
}

// mkdirAll creates an existing cgroup (one the host made, like airlock's own).
func (f *fakeFS) mkdirAll(dir string) {
	var parts []string
	for d := dir; !f.dirs[d]; d = path.Dir(d) {
		parts = append(parts, d)
	}
	for _, d := range slices.Backward(parts) {
		if err := f.Mkdir(d); err != nil {
			panic(err)
		}
	}
}

func (f *fakeFS) mountOf(name string) string {
	if f.v2 != "" {
		return f.v2
	}
	for m := range f.v1 {
		if name == m || strings.HasPrefix(name, m+"/") {
			return m
		}
	}
	return ""
}

func (f *fakeFS) populate(dir, mount string) {
	f.files[dir+"/cgroup.procs"] = ""
	if f.v2 != "" {
		enabled := strings.Fields(f.files[path.Dir(dir)+"/cgroup.subtree_control"])
		f.files[dir+"/cgroup.controllers"] = strings.Join(enabled, " ")
		f.files[dir+"/cgroup.subtree_control"] = ""
		f.files[dir+"/cgroup.kill"] = ""
		f.files[dir+"/cgroup.freeze"] = "0"
		f.files[dir+"/cpu.stat"] = "usage_usec 0\n"
		for _, c := range enabled {
			switch c {
			case "memory":
				for _, n := range []string{"memory.max", "memory.swap.max", "memory.oom.group", "memory.peak", "memory.events"} {
					f.files[dir+"/"+n] = ""
				}
			case "pids":
				f.files[dir+"/pids.max"] = "max"
				f.files[dir+"/pids.events"] = "max 0\n"
			case "cpu":
				f.files[dir+"/cpu.max"] = "max 100000"
			}
		}
		return
	}
	for _, c := range strings.Split(f.v1[mount], ",") {
		switch c {
		case "memory":
			for _, n := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.max_usage_in_bytes", "memory.oom_control"} {
				f.files[dir+"/"+n] = ""
			}
		case "pids":
			f.files[dir+"/pids.max"] = "max"
			f.files[dir+"/pids.events"] = "max 0\n"
		case "cpu":
			f.files[dir+"/cpu.cfs_quota_us"] = "-1"
			f.files[dir+"/cpu.cfs_period_us"] = "100000"
		case "cpuacct":
			f.files[dir+"/cpuacct.usage"] = "0"
		case "freezer":
			f.files[dir+"/freezer.state"] = "THAWED"
		}
	}
}

func (f *fakeFS) Mkdir(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dirs[name] {
		return &fs.PathError{Op: "mkdir", Path: name, Err: syscall.EEXIST}
	}
	m := f.mountOf(name)
	if m == "" || !f.dirs[path.Dir(name)] {
		return &fs.PathError{Op: "mkdir", Path: name, Err: syscall.ENOENT}
	}
	f.dirs[name] = true
	f.populate(name, m)
	return nil
}

func (f *fakeFS) Rmdir(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dirs[name] {
		return &fs.PathError{Op: "rmdir", Path: name, Err: syscall.ENOENT}
	}
	if strings.TrimSpace(f.files[name+"/cgroup.procs"]) != "" {
		return &fs.PathError{Op: "rmdir", Path: name, Err: syscall.EBUSY}
	}
	for d := range f.dirs {
		if path.Dir(d) == name {
			return &fs.PathError{Op: "rmdir", Path: name, Err: syscall.EBUSY}
		}
	}
	delete(f.dirs, name)
	for k := range f.files {
		if path.Dir(k) == name {
			delete(f.files, k)
		}
	}
	return nil
}

func (f *fakeFS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	return []byte(v), nil
}

func (f *fakeFS) Exists(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.files[name]
	return ok || f.dirs[name]
}

func (f *fakeFS) WriteFile(name string, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.files[name]; !ok {
		return &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	v := string(b)
	dir, base := path.Dir(name), path.Base(name)
	switch base {
	case "cgroup.subtree_control":
		if dir != f.v2 && strings.TrimSpace(f.files[dir+"/cgroup.procs"]) != "" {
			return &fs.PathError{Op: "write", Path: name, Err: syscall.EBUSY}
		}
		on := strings.Fields(f.files[name])
		for _, w := range strings.Fields(v) {
			c := strings.TrimPrefix(w, "+")
			if !slices.Contains(strings.Fields(f.files[dir+"/cgroup.controllers"]), c) {
				return &fs.PathError{Op: "write", Path: name, Err: syscall.EINVAL}
			}
			if !slices.Contains(on, c) {
				on = append(on, c)
			}
		}
		v = strings.Join(on, " ")
	case "cgroup.procs":
		v = strings.TrimSpace(f.files[name] + "\n" + v)
	case "cgroup.kill":
		f.files[dir+"/cgroup.procs"] = ""
	}
	f.files[name] = v
	f.writes = append(f.writes, fmt.Sprintf("%s=%s", name, string(b)))
	return nil
}
