package env

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, err
}

func TestCopyTreeAndTreeHash(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "bin"), 0o755))
	must(os.MkdirAll(filepath.Join(src, "lib", "pkg"), 0o755))
	must(os.WriteFile(filepath.Join(src, "lib", "pkg", "mod.py"), []byte("x = 1\n"), 0o644))
	must(os.WriteFile(filepath.Join(src, "bin", "tool"), []byte("#!/venv/bin/python\n"), 0o755))
	must(os.Symlink("/usr/bin/python3", filepath.Join(src, "bin", "python3")))
	must(os.Symlink("python3", filepath.Join(src, "bin", "python")))
	must(os.Chtimes(filepath.Join(src, "lib", "pkg", "mod.py"), mtime, mtime))

	dst := filepath.Join(t.TempDir(), "dst")
	must(copyTree(src, dst))
	h1, err := TreeHash(src)
	must(err)
	h2, err := TreeHash(dst)
	must(err)
	if h1 != h2 {
		t.Error("a copy has another tree hash")
	}
	if link, _ := os.Readlink(filepath.Join(dst, "bin", "python3")); link != "/usr/bin/python3" {
		t.Errorf("symbolic link copied as %q", link)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "lib", "pkg", "mod.py")); !fi.ModTime().Equal(mtime) {
		t.Errorf("modification time not kept: %v", fi.ModTime())
	}
	for _, tc := range []struct {
		name   string
		change func()
	}{
		{"content", func() { must(os.WriteFile(filepath.Join(dst, "lib", "pkg", "mod.py"), []byte("x = 2\n"), 0o644)) }},
		{"mode", func() { must(os.Chmod(filepath.Join(dst, "bin", "tool"), 0o700)) }},
		{"link", func() {
			must(os.Remove(filepath.Join(dst, "bin", "python")))
			must(os.Symlink("/bin/sh", filepath.Join(dst, "bin", "python")))
		}},
		{"new file", func() { must(os.WriteFile(filepath.Join(dst, "lib", "x.pth"), nil, 0o644)) }},
	} {
		name := tc.name
		tc.change()
		h, err := TreeHash(dst)
		must(err)
		if h == h2 {
			t.Errorf("TreeHash did not change after a %s change", name)
		}
		h2 = h
	}
	// The copy is independent: writing to it did not reach the source.
	if b, _ := os.ReadFile(filepath.Join(src, "lib", "pkg", "mod.py")); string(b) != "x = 1\n" {
		t.Error("writing to the copy changed the source")
	}
	// Sockets, devices and pipes are refused.
	fifo := filepath.Join(src, "fifo")
	if err := mkfifo(fifo); err == nil {
		if err := copyTree(src, filepath.Join(t.TempDir(), "x")); err == nil {
			t.Error("copyTree copied a named pipe")
		}
	}
}

func TestChownTreeClearsSetID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change owners")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "suid")
	if err := os.WriteFile(f, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f, 0o755|os.ModeSetuid|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	if err := chownTree(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := chownTree(dir, 0, 0); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
		t.Errorf("set-id bits survived: %v", fi.Mode())
	}
}
