package env

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Layout of the environments directory (see the package documentation).
const (
	// currentDir holds an environment's venv and lock; an install replaces
	// it as a whole with one rename.
	currentDir = "current"
	// venvDir is the virtual environment inside currentDir.
	venvDir = "venv"
	// lockName is the lock inside currentDir.
	lockName = "lock.json"
	// flockName is the file installs and removals lock (flock).
	flockName = ".flock"
	// stagingPrefix and trashPrefix start the names of transient
	// directories: an install's staging copy, an environment being made or
	// removed. Names starting with "." are never environments.
	stagingPrefix = ".staging-"
	trashPrefix   = ".trash-"
)

// unfinishedAge is how old an environment directory without a lock must be
// before a creation treats it as the leftover of one that died.
const unfinishedAge = 30 * time.Second

// MaxNameLength is the longest environment name.
const MaxNameLength = 64

// ErrNotFound is returned for an environment that does not exist.
var ErrNotFound = errors.New("no such environment")

// ErrExists is returned when creating an environment whose name is taken.
var ErrExists = errors.New("environment already exists")

// NameError is an invalid environment name.
type NameError struct{ Name string }

func (e *NameError) Error() string {
	return fmt.Sprintf("invalid environment name %q: use 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", e.Name, MaxNameLength)
}

// ValidName reports whether name can name an environment: 1 to
// [MaxNameLength] ASCII letters, digits, ".", "_" or "-", starting with a
// letter or digit (so that it is one path element, never "." or "..", and
// never one of the hidden transient directories).
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Manager creates, lists and removes the environments in one directory
// (normally <data dir>/envs). Its methods are safe for concurrent use, also
// by several processes sharing the directory.
type Manager struct {
	dir string
	now func() time.Time
}

// NewManager returns a Manager for the environments under dir, which is
// created when the first environment is.
func NewManager(dir string) (*Manager, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("environments directory: %w", err)
	}
	return &Manager{dir: abs, now: time.Now}, nil
}

// Dir returns the environments directory.
func (m *Manager) Dir() string { return m.dir }

// Env is one environment. Its paths are fixed; what is installed is in
// its [Lock].
type Env struct {
	name string
	dir  string
}

// Name returns the environment's name.
func (e *Env) Name() string { return e.name }

// Dir returns the environment's directory.
func (e *Env) Dir() string { return e.dir }

// Venv returns the path of the environment's virtual environment. It is
// where the venv is used (its scripts' shebangs hold it) and where
// sandboxes mount it.
func (e *Env) Venv() string { return filepath.Join(e.dir, currentDir, venvDir) }

// Python returns the path of the environment's interpreter.
func (e *Env) Python() string { return filepath.Join(e.Venv(), "bin", "python") }

// BinDir returns the venv's bin directory, which `airlock run --env` puts
// first on PATH.
func (e *Env) BinDir() string { return filepath.Join(e.Venv(), "bin") }

// LockPath returns the path of the environment's lock.
func (e *Env) LockPath() string { return filepath.Join(e.dir, currentDir, lockName) }

// Lock reads the environment's lock.
func (e *Env) Lock() (*Lock, error) { return ReadLock(e.LockPath()) }

// Open returns the named environment, or an error wrapping [ErrNotFound].
func (m *Manager) Open(name string) (*Env, error) {
	if !ValidName(name) {
		return nil, &NameError{name}
	}
	e := &Env{name: name, dir: filepath.Join(m.dir, name)}
	if _, err := os.Stat(e.LockPath()); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	return e, nil
}

// List returns the environments, sorted by name.
func (m *Manager) List() ([]*Env, error) {
	ents, err := os.ReadDir(m.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("environments: %w", err)
	}
	var out []*Env
	for _, d := range ents {
		if !d.IsDir() || !ValidName(d.Name()) {
			continue
		}
		if e, err := m.Open(d.Name()); err == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// CreateOptions configure [Manager.Create].
type CreateOptions struct {
	// Python is the system interpreter to make the environment from; ""
	// means [DefaultPython]. It must lie under /usr (see [CheckPython]).
	Python string
}

// Create makes a new environment: a virtual environment without pip
// (python -m venv --without-pip, which takes a small fraction of a second
// where ensurepip takes seconds) and an empty lock. It fails with an error
// wrapping [ErrExists] when the name is taken. A failed creation leaves
// nothing behind.
func (m *Manager) Create(ctx context.Context, name string, opts CreateOptions) (*Env, error) {
	if !ValidName(name) {
		return nil, &NameError{name}
	}
	py := opts.Python
	if py == "" {
		var err error
		if py, err = DefaultPython(); err != nil {
			return nil, err
		}
	}
	interp, err := CheckPython(ctx, py)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, fmt.Errorf("environments: %w", err)
	}
	e := &Env{name: name, dir: filepath.Join(m.dir, name)}
	fl, err := m.claim(e)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = removeTree(e.dir)
		}
		fl.unlock()
	}()
	// An environment without a lock is invisible (Open and List skip it),
	// so the venv can be made in place: it must live where it is used.
	cur := filepath.Join(e.dir, currentDir)
	if err := os.Mkdir(cur, 0o755); err != nil {
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, interp.Path, "-I", "-m", "venv", "--without-pip", e.Venv())
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("creating the virtual environment with %s -m venv: %v: %s", interp.Path, err, strings.TrimSpace(string(out)))
	}
	// The sandbox user must be able to read the venv whatever the umask.
	if err := makeReadable(e.Venv()); err != nil {
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	now := m.now().UTC()
	lock := &Lock{Version: LockVersion, Name: name, Python: interp, Created: now, Updated: now}
	if err := lock.write(e.LockPath()); err != nil {
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	ok = true
	return e, nil
}

// claim makes e's directory and locks it. Claiming the name is the Mkdir:
// of two concurrent creations, one wins. A directory without a lock whose
// flock is free is what a creation that died left: it is removed and the
// name claimed again.
func (m *Manager) claim(e *Env) (*envLock, error) {
	for attempt := 0; ; attempt++ {
		err := os.Mkdir(e.dir, 0o755)
		if err == nil {
			fl, locked, err := tryLock(filepath.Join(e.dir, flockName))
			if err != nil || !locked {
				_ = os.RemoveAll(e.dir)
				return nil, fmt.Errorf("environment %s: cannot lock it: %v", e.name, err)
			}
			return fl, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("environment %s: %w", e.name, err)
		}
		if _, err := os.Stat(e.LockPath()); err == nil || attempt > 0 {
			return nil, fmt.Errorf("%w: %s", ErrExists, e.name)
		}
		// A creation in progress holds the flock, but only from just after
		// its Mkdir: a young directory is left alone.
		if fi, err := os.Stat(e.dir); err != nil || time.Since(fi.ModTime()) < unfinishedAge {
			return nil, fmt.Errorf("%w: %s (being created)", ErrExists, e.name)
		}
		fl, locked, err := tryLock(filepath.Join(e.dir, flockName))
		if err != nil || !locked {
			return nil, fmt.Errorf("%w: %s (being created)", ErrExists, e.name)
		}
		if _, err := os.Stat(e.LockPath()); err == nil {
			fl.unlock()
			return nil, fmt.Errorf("%w: %s", ErrExists, e.name)
		}
		trash := filepath.Join(m.dir, trashPrefix+e.name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		err = os.Rename(e.dir, trash)
		fl.unlock()
		if err != nil {
			return nil, fmt.Errorf("environment %s: removing an unfinished creation: %w", e.name, err)
		}
		_ = removeTree(trash)
	}
}

// Remove deletes the named environment. It waits for an install into it to
// finish (or ctx to end) and then removes it; a concurrent install that
// was waiting fails with [ErrNotFound].
func (m *Manager) Remove(ctx context.Context, name string) error {
	e, err := m.Open(name)
	if err != nil {
		return err
	}
	fl, err := lockEnv(ctx, e, nil)
	if err != nil {
		return err
	}
	trash := filepath.Join(m.dir, trashPrefix+name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	err = os.Rename(e.dir, trash)
	fl.unlock()
	if err != nil {
		return fmt.Errorf("removing environment %s: %w", name, err)
	}
	if err := removeTree(trash); err != nil {
		return fmt.Errorf("removing environment %s: %w", name, err)
	}
	return nil
}

// systemPrefix is where environment interpreters must live: sandboxes
// mount the host's /usr read-only, and nothing else of its file system.
const systemPrefix = "/usr/"

// DefaultPython returns the default interpreter for new environments:
// /usr/bin/python3 when it exists, else the first python3 interpreter
// found under /usr/local/bin and /usr/bin (the highest version first).
func DefaultPython() (string, error) {
	if isExecutable("/usr/bin/python3") {
		return "/usr/bin/python3", nil
	}
	for _, dir := range []string{"/usr/local/bin", "/usr/bin"} {
		if p := filepath.Join(dir, "python3"); isExecutable(p) {
			return p, nil
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "python3.*"))
		slices.SortFunc(matches, func(a, b string) int { return compareDotted(b, a) })
		for _, p := range matches {
			if minor := strings.TrimPrefix(filepath.Base(p), "python3."); isDigits(minor) && isExecutable(p) {
				return p, nil
			}
		}
	}
	return "", errors.New("no system Python 3 interpreter under /usr: install the Debian package python3")
}

// MinPython is the oldest interpreter the system pip (23.x) can drive.
var MinPython = [2]int{3, 7}

// Interpreter is the system interpreter an environment was made from.
type Interpreter struct {
	// Path is the interpreter as given (e.g. /usr/bin/python3).
	Path string `json:"path"`
	// Version is its version, e.g. "3.11.2".
	Version string `json:"version"`
}

// PythonError is an interpreter that cannot back an environment.
type PythonError struct {
	Path   string
	Reason string
}

func (e *PythonError) Error() string { return "python " + e.Path + ": " + e.Reason }

// CheckPython checks that path is a system interpreter airlock can use for
// an environment: an absolute path under /usr whose symbolic links stay
// under /usr (sandboxes see only the host's /usr), executable, and Python
// [MinPython] or later. It runs the interpreter once (isolated, -I) to ask
// its version.
func CheckPython(ctx context.Context, path string) (Interpreter, error) {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return Interpreter{}, &PythonError{path, "must be an absolute, clean path"}
	}
	if !strings.HasPrefix(path, systemPrefix) {
		return Interpreter{}, &PythonError{path, "must be a system interpreter under /usr (sandboxes mount only /usr)"}
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return Interpreter{}, &PythonError{path, "not found"}
	}
	if !strings.HasPrefix(real, systemPrefix) {
		return Interpreter{}, &PythonError{path, "resolves to " + real + ", outside /usr"}
	}
	if !isExecutable(real) {
		return Interpreter{}, &PythonError{path, "not an executable file"}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-I", "-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && strings.Contains(string(ee.Stderr), "No module named 'venv'") {
			return Interpreter{}, &PythonError{path, "its venv module is missing (Debian: install python3-venv)"}
		}
		return Interpreter{}, &PythonError{path, "it does not run as a Python interpreter: " + firstLine(err, ee)}
	}
	version := strings.TrimSpace(string(out))
	parts := strings.Split(version, ".")
	if len(parts) != 3 {
		return Interpreter{}, &PythonError{path, "cannot run it as Python: asked for its version, it printed " + strconv.Quote(version)}
	}
	maj, _ := strconv.Atoi(parts[0])
	min, _ := strconv.Atoi(parts[1])
	if maj != MinPython[0] || min < MinPython[1] {
		return Interpreter{}, &PythonError{path, fmt.Sprintf("Python %s is too old; pip needs %d.%d or later", version, MinPython[0], MinPython[1])}
	}
	return Interpreter{Path: path, Version: version}, nil
}

// firstLine describes a failed run: its first line of stderr, else err.
func firstLine(err error, ee *exec.ExitError) string {
	if ee != nil {
		if line, _, _ := strings.Cut(strings.TrimSpace(string(ee.Stderr)), "\n"); line != "" {
			return line
		}
	}
	return err.Error()
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compareDotted orders "python3.9" before "python3.11".
func compareDotted(a, b string) int {
	ma, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(a), "python3."))
	mb, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(b), "python3."))
	return ma - mb
}
