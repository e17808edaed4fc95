//go:build linux

package env

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// swap exchanges the staged current directory with e's in one atomic
// rename (renameat2 with RENAME_EXCHANGE): at every instant the
// environment has either its old venv and lock or its new ones. The old
// ones end up in the staging directory, which the caller removes.
func (st *staging) swap(e *Env) error {
	if err := unix.Renameat2(unix.AT_FDCWD, st.current(), unix.AT_FDCWD, filepath.Join(e.dir, currentDir), unix.RENAME_EXCHANGE); err != nil {
		return err
	}
	syncDir(e.dir)
	return nil
}
