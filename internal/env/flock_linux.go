//go:build linux

package env

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// envLock is a held flock(2) on an environment's lock file. flock locks
// belong to the open file, so they serialise goroutines of one process as
// well as separate processes, and the kernel drops them when a process
// dies.
type envLock struct{ f *os.File }

// lockPoll bounds how long a waiting install sleeps between attempts.
const lockPoll = 50 * time.Millisecond

// tryLock opens (creating it) and locks path without waiting. locked is
// false when another holder has it.
func tryLock(path string) (l *envLock, locked bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return &envLock{f}, true, nil
}

// lockEnv waits until it holds e's lock, or ctx ends. waiting, when set, is
// called once if the lock is busy. Once it holds the lock it checks that
// the lock file is still e's (a removal renames the whole directory away),
// and fails with [ErrNotFound] when the environment is gone.
func lockEnv(ctx context.Context, e *Env, waiting func()) (*envLock, error) {
	path := filepath.Join(e.dir, flockName)
	for told := false; ; {
		if _, err := os.Stat(e.dir); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, e.name)
		}
		l, locked, err := tryLock(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s", ErrNotFound, e.name)
			}
			return nil, fmt.Errorf("locking environment %s: %w", e.name, err)
		}
		if locked {
			var held, now unix.Stat_t
			if unix.Fstat(int(l.f.Fd()), &held) == nil && unix.Stat(path, &now) == nil &&
				held.Ino == now.Ino && held.Dev == now.Dev {
				if _, err := os.Stat(e.LockPath()); err == nil {
					return l, nil
				}
			}
			l.unlock()
			return nil, fmt.Errorf("%w: %s", ErrNotFound, e.name)
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// unlock releases the lock.
func (l *envLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing the last descriptor releases the flock
		l.f = nil
	}
}
