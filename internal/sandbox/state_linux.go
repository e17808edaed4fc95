//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/internal/sandbox/cgroup"
	"golang.org/x/sys/unix"
)

// record lists what a run created on the host, so it can be removed even
// if the airlock process that made it died. It is kept in StateDir as
// <id>.json, rewritten as the run creates things, and locked (flock) by its
// owner for the run's life: a record nobody holds a lock on belongs to a
// dead process and is reaped.
type record struct {
	ID     string `json:"id"`
	PID    int    `json:"pid"`
	Driver string `json:"driver"`
	// RunDir is the run's temporary directory, removed last.
	RunDir string `json:"run_dir,omitempty"`
	// Cgroups are the run's cgroup directories.
	Cgroups []string `json:"cgroups,omitempty"`
	// Bridges are mount points in RunDir to unmount first.
	Bridges []string `json:"bridges,omitempty"`
	// Chown, when set, gives files in a work directory back to its owner.
	Chown *chownBack `json:"chown,omitempty"`
	// Runtime is the OCI container to delete.
	Runtime *runtimeRef `json:"runtime,omitempty"`
}

// chownBack undoes lending a root-owned work directory to the sandbox
// user: every file in Dir owned by UID goes back to ToUID:ToGID (set-id
// bits stripped), and Dir itself to DirUID:DirGID.
type chownBack struct {
	Dir    string `json:"dir"`
	UID    int    `json:"uid"`
	ToUID  int    `json:"to_uid"`
	ToGID  int    `json:"to_gid"`
	DirUID int    `json:"dir_uid"`
	DirGID int    `json:"dir_gid"`
}

// runtimeRef names an OCI container.
type runtimeRef struct {
	Binary string `json:"binary"`
	Root   string `json:"root"`
	ID     string `json:"id"`
}

// recordFile is an open, locked record.
type recordFile struct {
	f   *os.File
	rec record
}

func recordPath(stateDir, id string) string { return filepath.Join(stateDir, id+".json") }

// createRecord creates and locks the record for a new run.
func createRecord(stateDir string, rec record) (*recordFile, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	f, err := os.OpenFile(recordPath(stateDir, rec.ID), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("sandbox state: lock: %w", err)
	}
	rf := &recordFile{f: f, rec: rec}
	if err := rf.save(); err != nil {
		rf.close()
		return nil, err
	}
	return rf, nil
}

// save rewrites the record in place (the lock is on the inode, so it is
// never replaced by a rename). Records are a few hundred bytes.
func (rf *recordFile) save() error {
	b, err := json.Marshal(rf.rec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := rf.f.Truncate(0); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	if _, err := rf.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	return nil
}

// close removes the record and releases its lock: the run is gone.
func (rf *recordFile) close() {
	os.Remove(rf.f.Name())
	rf.f.Close()
}

// release closes the record but keeps it on disk for the next reaper, when
// cleaning up failed.
func (rf *recordFile) release() { rf.f.Close() }

// Reap removes what runs recorded in stateDir left behind when their
// airlock process died: processes, cgroups, containers, mounts, lent
// ownership and temporary directories. Records of live runs are skipped.
// Every [Runner] constructor calls it; it is exported for `airlock` to call
// at start-up and for tests.
func Reap(ctx context.Context, stateDir string) error {
	ents, err := os.ReadDir(stateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	var mgr *cgroup.Manager
	var errs []error
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		name := filepath.Join(stateDir, e.Name())
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close() // a live run holds it
			continue
		}
		if !sameFile(f, name) { // finished and removed meanwhile
			f.Close()
			continue
		}
		var rec record
		b, _ := readAll(f)
		if err := json.Unmarshal(b, &rec); err != nil {
			errs = append(errs, fmt.Errorf("sandbox state: %s: %w", name, err))
			f.Close()
			continue
		}
		if mgr == nil && len(rec.Cgroups) > 0 {
			mgr, _ = cgroup.Host()
		}
		if err := cleanupRecord(ctx, &rec, mgr); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: reaping run %s: %w", rec.ID, err))
			f.Close()
			continue
		}
		(&recordFile{f: f}).close()
	}
	return errors.Join(errs...)
}

func sameFile(f *os.File, name string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(name)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

func readAll(f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > 1<<20 {
		return nil, fmt.Errorf("record too large")
	}
	b := make([]byte, fi.Size())
	n, err := f.ReadAt(b, 0)
	if n == len(b) {
		err = nil
	}
	return b[:n], err
}

// cleanupRecord removes everything rec lists, in the safe order: kill the
// processes, delete the container, remove the cgroups, unmount the
// bridges, give the work directory back, and only then remove the run
// directory (never while a bridge to a user's directory is still mounted
// in it). Each step tolerates what is already gone.
func cleanupRecord(ctx context.Context, rec *record, mgr *cgroup.Manager) error {
	var errs []error
	var g *cgroup.Group
	if len(rec.Cgroups) > 0 {
		if mgr == nil {
			errs = append(errs, fmt.Errorf("cgroups unavailable to remove %v", rec.Cgroups))
		} else if gg, err := mgr.FromDirs(rec.Cgroups); err != nil {
			errs = append(errs, err)
		} else {
			g = gg
			kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := g.Kill(kctx); err != nil {
				errs = append(errs, err)
			}
			cancel()
		}
	}
	if rt := rec.Runtime; rt != nil {
		deleteContainer(ctx, rt)
	}
	if g != nil {
		if err := g.Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	mounted := false
	for _, m := range rec.Bridges {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
			mounted = true
		}
	}
	if c := rec.Chown; c != nil {
		if err := giveBack(c); err != nil {
			errs = append(errs, err)
		}
	}
	if rec.RunDir != "" && !mounted {
		if err := removeAll(rec.RunDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteContainer force-deletes an OCI container, ignoring "does not exist".
func deleteContainer(ctx context.Context, rt *runtimeRef) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rt.Binary, "--root", rt.Root, "delete", "--force", rt.ID)
	_ = cmd.Run()
}

// giveBack undoes lending a work directory (see [chownBack]).
func giveBack(c *chownBack) error {
	var errs []error
	err := filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || int(st.Uid) != c.UID {
			return nil
		}
		if p == c.Dir {
			return nil // restored below
		}
		if err := os.Lchown(p, c.ToUID, c.ToGID); err != nil {
			errs = append(errs, err)
			return nil
		}
		if fi.Mode().IsRegular() && fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			// chown(2) clears these already; make sure.
			if err := os.Chmod(p, fi.Mode().Perm()); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if err := os.Lchown(c.Dir, c.DirUID, c.DirGID); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeAll removes dir even where the sandbox user left directories
// without write permission (which stops os.RemoveAll for a non-root
// airlock). It never follows symbolic links.
func removeAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
