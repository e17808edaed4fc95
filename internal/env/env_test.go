package env

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"job-42", true},
		{"A.b_c-1", true},
		{"x", true},
		{strings.Repeat("a", MaxNameLength), true},
		{strings.Repeat("a", MaxNameLength+1), false},
		{"", false},
		{".", false},
		{"..", false},
		{".staging-x", false},
		{"-rf", false},
		{"_x", false},
		{"a/b", false},
		{"a b", false},
		{"é", false},
		{"a\x00", false},
	} {
		if got := ValidName(tc.name); got != tc.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func newManager(t *testing.T) *Manager {
	t.Helper()
	m, err := NewManager(filepath.Join(t.TempDir(), "envs"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 (Debian package python3)")
	}
}

func TestCreateListRemove(t *testing.T) {
	needPython(t)
	t.Parallel()
	ctx := context.Background()
	m := newManager(t)
	if envs, err := m.List(); err != nil || len(envs) != 0 {
		t.Fatalf("List on a fresh directory = %v, %v", envs, err)
	}
	for _, name := range []string{"beta", "alpha"} {
		e, err := m.Create(ctx, name, CreateOptions{})
		if err != nil {
			t.Fatalf("Create(%s): %v", name, err)
		}
		l, err := e.Lock()
		if err != nil {
			t.Fatal(err)
		}
		if l.Name != name || l.Version != LockVersion || len(l.Packages) != 0 || l.Python.Path != "/usr/bin/python3" || !strings.HasPrefix(l.Python.Version, "3.") {
			t.Errorf("new lock: %+v", l)
		}
		// A venv without pip.
		if _, err := os.Stat(e.Python()); err != nil {
			t.Errorf("no interpreter: %v", err)
		}
		if ms, _ := filepath.Glob(filepath.Join(e.Venv(), "lib", "python3*", "site-packages", "pip")); len(ms) != 0 {
			t.Errorf("the venv has pip: %v", ms)
		}
	}
	if _, err := m.Create(ctx, "alpha", CreateOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("Create(alpha) again: %v, want ErrExists", err)
	}
	envs, err := m.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range envs {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"alpha", "beta"}) {
		t.Errorf("List = %v", names)
	}
	if err := m.Remove(ctx, "alpha"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := m.Open("alpha"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Remove: %v", err)
	}
	if err := m.Remove(ctx, "alpha"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove again: %v", err)
	}
	if ents, _ := os.ReadDir(m.Dir()); len(ents) != 1 {
		t.Errorf("left in the environments directory: %v", ents)
	}
	var ne *NameError
	if _, err := m.Create(ctx, "../x", CreateOptions{}); !errors.As(err, &ne) {
		t.Errorf("Create(../x): %v", err)
	}
	if _, err := m.Open("../x"); !errors.As(err, &ne) {
		t.Errorf("Open(../x): %v", err)
	}
}

func TestCreatePython(t *testing.T) {
	needPython(t)
	t.Parallel()
	ctx := context.Background()
	m := newManager(t)
	for _, tc := range []struct {
		python string
		want   string
	}{
		{"python3", "absolute"},
		{"/usr/bin/../bin/python3", "absolute, clean"},
		{"/root/.pyenv/shims/python3", "under /usr"},
		{"/usr/bin/no-such-python", "not found"},
		{"/usr/bin/true", "cannot run it as Python"},
	} {
		_, err := m.Create(ctx, "x", CreateOptions{Python: tc.python})
		var pe *PythonError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create(--python %s) = %v, want a PythonError saying %q", tc.python, err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(m.Dir()); len(ents) != 0 {
		t.Errorf("failed creations left %v", ents)
	}
	p, err := DefaultPython()
	if err != nil || !strings.HasPrefix(p, "/usr/") {
		t.Errorf("DefaultPython() = %q, %v", p, err)
	}
}

func TestCreateConcurrently(t *testing.T) {
	needPython(t)
	t.Parallel()
	m := newManager(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { _, errs[i] = m.Create(context.Background(), "same", CreateOptions{}) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrExists):
			t.Errorf("Create: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creations of one name succeeded, want 1", ok)
	}
	if _, err := m.Open("same"); err != nil {
		t.Error(err)
	}
}

func TestCreateAfterUnfinishedCreation(t *testing.T) {
	needPython(t)
	t.Parallel()
	m := newManager(t)
	// What a creation that died leaves: a directory without a lock.
	dir := filepath.Join(m.Dir(), "left")
	if err := os.MkdirAll(filepath.Join(dir, currentDir, venvDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open("left"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(unfinished) = %v, want ErrNotFound", err)
	}
	// Young, it may be a creation in progress.
	if _, err := m.Create(context.Background(), "left", CreateOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("Create over a young unfinished creation: %v", err)
	}
	old := time.Now().Add(-2 * unfinishedAge)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(context.Background(), "left", CreateOptions{}); err != nil {
		t.Errorf("Create over an old unfinished creation: %v", err)
	}
}

func TestRemoveWaitsForInstalls(t *testing.T) {
	needPython(t)
	t.Parallel()
	m := newManager(t)
	e, err := m.Create(context.Background(), "busy", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := lockEnv(context.Background(), e, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := m.Remove(ctx, "busy"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Remove during an install: %v, want a deadline error", err)
	}
	if _, err := m.Open("busy"); err != nil {
		t.Errorf("the environment went away during an install: %v", err)
	}
	// An install that waits for the lock finds the environment gone.
	waited := make(chan error, 1)
	go func() {
		l, err := lockEnv(context.Background(), e, nil)
		l.unlock()
		waited <- err
	}()
	removed := make(chan error, 1)
	go func() { removed <- m.Remove(context.Background(), "busy") }()
	time.Sleep(3 * lockPoll)
	held.unlock()
	if err := <-removed; err != nil {
		// The waiting install may have taken the lock first; then the
		// removal waits for it and still succeeds.
		t.Errorf("Remove: %v", err)
	}
	if err := <-waited; err != nil && !errors.Is(err, ErrNotFound) {
		t.Errorf("waiting install: %v", err)
	}
	if _, err := m.Open("busy"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Remove: %v", err)
	}
}
