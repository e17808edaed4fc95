package env

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FileAuditor appends each install's [Result] as one JSON line to a file,
// synced before RecordInstall returns. It is the audit log of the CLI when
// no store is configured. It is safe for concurrent use, also by several
// processes (each record is one O_APPEND write).
type FileAuditor struct {
	path string
	mu   sync.Mutex
}

// NewFileAuditor returns an auditor appending to path; the file and its
// directory are created when needed.
func NewFileAuditor(path string) *FileAuditor { return &FileAuditor{path: path} }

// RecordInstall implements [Auditor].
func (a *FileAuditor) RecordInstall(_ context.Context, r *Result) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(a.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	n, err := f.Write(line)
	if err == nil && n != len(line) {
		err = fmt.Errorf("short write to %s", a.path)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
