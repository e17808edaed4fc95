package env

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
)

// LockVersion is the version of the lock format this package writes and
// reads (docs/environments.md). A lock with a higher version was written by
// a newer airlock and is refused rather than misread.
const LockVersion = 1

// MaxLockSize bounds a lock file: ten thousand packages take about 5 MB.
const MaxLockSize = 64 << 20

// Lock is an environment's record of what it holds: every package airlock
// installed into it, with the file it came from and why it was installed.
// It is written only by a successful install, together with the venv it
// describes (both live in the directory an install swaps in as a whole).
type Lock struct {
	// Version is [LockVersion].
	Version int `json:"lock_version"`
	// Name is the environment's name.
	Name string `json:"name"`
	// Python is the system interpreter the venv was made from.
	Python Interpreter `json:"python"`
	// Created is when the environment was made; Updated when the lock was
	// last written.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Packages are sorted by name.
	Packages []Package `json:"packages"`
}

// Package is one installed release in a [Lock].
type Package struct {
	// Name is the project name in PEP 503 form.
	Name string `json:"name"`
	// Version is the installed version, normalised.
	Version string `json:"version"`
	// Filename and SHA256 name the wheel it was installed from.
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
	// InstalledAt is when the install that put it there finished, and
	// InstallID that install's id (it names the audit record).
	InstalledAt time.Time `json:"installed_at"`
	InstallID   string    `json:"install_id"`
	// Requested is the requirement that asked for it ("app>=1.0"), for a
	// project the request named; "" for a dependency.
	Requested string `json:"requested,omitempty"`
	// Path is the dependency path from a requested project, for a
	// dependency: ["app 1.0", "lib 2.0"].
	Path []string `json:"path,omitempty"`
	// Notes are the findings that did not stop the install (an allowed
	// exception, a note), one line each.
	Notes []string `json:"notes,omitempty"`
}

// Reason says why the package is installed: "requested as app>=1.0" or
// "dependency: app 1.0 → lib 2.0".
func (p Package) Reason() string {
	if p.Requested != "" {
		return "requested as " + p.Requested
	}
	if len(p.Path) > 0 {
		return "dependency: " + strings.Join(p.Path, " → ")
	}
	return "dependency"
}

// Find returns the package named name (PEP 503 form), or nil.
func (l *Lock) Find(name string) *Package {
	i, ok := slices.BinarySearchFunc(l.Packages, name, func(p Package, n string) int { return strings.Compare(p.Name, n) })
	if !ok {
		return nil
	}
	return &l.Packages[i]
}

// Installed returns the locked versions by name, for the downgrade rule.
func (l *Lock) Installed() map[string]pep440.Version {
	m := make(map[string]pep440.Version, len(l.Packages))
	for _, p := range l.Packages {
		if v, err := pep440.Parse(p.Version); err == nil {
			m[p.Name] = v
		}
	}
	return m
}

// LockError is a lock file that cannot be read.
type LockError struct {
	Path string
	Err  error
}

func (e *LockError) Error() string { return "lock " + e.Path + ": " + e.Err.Error() }
func (e *LockError) Unwrap() error { return e.Err }

// ReadLock reads and validates a lock file.
func ReadLock(path string) (*Lock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxLockSize+1))
	if err != nil {
		return nil, &LockError{path, err}
	}
	l, err := ParseLock(data)
	if err != nil {
		return nil, &LockError{path, err}
	}
	return l, nil
}

// ParseLock decodes and validates a lock. It is strict: unknown fields, a
// version other than [LockVersion], names not in PEP 503 form, versions that
// are not PEP 440, malformed hashes and unsorted or repeated packages are
// errors.
func ParseLock(data []byte) (*Lock, error) {
	if len(data) > MaxLockSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxLockSize)
	}
	var probe struct {
		Version int `json:"lock_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	if probe.Version != LockVersion {
		if probe.Version > LockVersion {
			return nil, fmt.Errorf("lock_version %d was written by a newer airlock (this one reads %d)", probe.Version, LockVersion)
		}
		return nil, fmt.Errorf("lock_version %d is not supported (want %d)", probe.Version, LockVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the lock")
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

func (l *Lock) validate() error {
	if !ValidName(l.Name) {
		return &NameError{l.Name}
	}
	if l.Python.Path == "" {
		return errors.New("no python path")
	}
	for i, p := range l.Packages {
		if !pep508.ValidName(p.Name) || pep508.Normalize(p.Name) != p.Name {
			return fmt.Errorf("package %d: name %q is not in PEP 503 form", i, p.Name)
		}
		if i > 0 && l.Packages[i-1].Name >= p.Name {
			return fmt.Errorf("package %s: packages are not sorted by name, or repeated", p.Name)
		}
		v, err := pep440.Parse(p.Version)
		if err != nil || v.String() != p.Version {
			return fmt.Errorf("package %s: version %q is not a normalised PEP 440 version", p.Name, p.Version)
		}
		if !validSHA256(p.SHA256) {
			return fmt.Errorf("package %s: sha256 %q is not 64 lower-case hex digits", p.Name, p.SHA256)
		}
		if p.Filename == "" || strings.ContainsAny(p.Filename, "/\\\x00") {
			return fmt.Errorf("package %s: bad file name %q", p.Name, p.Filename)
		}
	}
	return nil
}

// Marshal returns the lock as indented JSON, packages sorted by name.
func (l *Lock) Marshal() ([]byte, error) {
	slices.SortFunc(l.Packages, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
	if l.Packages == nil {
		l.Packages = []Package{}
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// write writes the lock atomically (temporary file, fsync, rename).
func (l *Lock) write(path string) error {
	data, err := l.Marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o644)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced before it is renamed into place.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// validSHA256 reports whether s is 64 lower-case hex digits.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
