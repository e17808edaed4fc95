package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func from(data []byte) Fetch {
	return func(context.Context) (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
	}
}

func open(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func read(t *testing.T, s *Store, sum string) string {
	t.Helper()
	f, err := s.Open(sum)
	if err != nil {
		t.Fatalf("Open(%s): %v", sum[:8], err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

// tmpEmpty reports whether no temporary file was left behind.
func tmpEmpty(t *testing.T, dir string) bool {
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries) == 0
}

func TestFillVerifies(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{MaxFileSize: 100})
	ctx := context.Background()
	good := []byte("the real wheel")
	tests := []struct {
		name     string
		data     []byte
		wantSize int64
		check    func(error) bool
	}{
		{"mismatch", []byte("an evil wheel"), -1, func(err error) bool { var m *MismatchError; return errors.As(err, &m) }},
		{"truncated", good[:5], -1, func(err error) bool { var m *MismatchError; return errors.As(err, &m) }},
		{"wrong size", good, int64(len(good) + 1), func(err error) bool { var m *MismatchError; return errors.As(err, &m) }},
		{"too large", bytes.Repeat([]byte("x"), 101), -1, func(err error) bool { var e *TooLargeError; return errors.As(err, &e) }},
		{"announced too large", good, 1000, func(err error) bool { var e *TooLargeError; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		err := s.Fill(ctx, sum(good), tt.wantSize, from(tt.data))
		if !tt.check(err) {
			t.Errorf("%s: Fill error = %v", tt.name, err)
		}
		if s.Has(sum(good)) {
			t.Fatalf("%s: a bad fill was stored", tt.name)
		}
		if !tmpEmpty(t, dir) {
			t.Errorf("%s: temporary file left behind", tt.name)
		}
	}
	fetchErr := errors.New("boom")
	if err := s.Fill(ctx, sum(good), -1, func(context.Context) (io.ReadCloser, int64, error) { return nil, 0, fetchErr }); !errors.Is(err, fetchErr) {
		t.Errorf("fetch error: %v", err)
	}
	if err := s.Fill(ctx, sum(good), int64(len(good)), from(good)); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, sum(good)); got != string(good) {
		t.Errorf("read back %q", got)
	}
	// A second fill is a no-op: the fetch is not called.
	if err := s.Fill(ctx, sum(good), -1, func(context.Context) (io.ReadCloser, int64, error) { panic("fetched twice") }); err != nil {
		t.Error(err)
	}
	if _, err := s.Open(sum([]byte("other"))); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	if err := s.Fill(ctx, "../../etc/passwd", -1, from(good)); err == nil {
		t.Error("Fill accepted an invalid digest")
	}
	// Reopening the directory finds the file again.
	s.Close()
	s2 := open(t, dir, Options{})
	if got := read(t, s2, sum(good)); got != string(good) {
		t.Errorf("after reopen: %q", got)
	}
}

// slowReader hands out its data only after release is closed.
type slowReader struct {
	r       io.Reader
	release chan struct{}
}

func (s *slowReader) Read(p []byte) (int, error) { <-s.release; return s.r.Read(p) }
func (s *slowReader) Close() error               { return nil }

func TestFillCollapsesConcurrentFetches(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	data := bytes.Repeat([]byte("wheel"), 10000)
	var fetches atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) (io.ReadCloser, int64, error) {
		fetches.Add(1)
		return &slowReader{bytes.NewReader(data), release}, -1, nil
	}
	// One waiter gives up early; the fill goes on for the others.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		c := context.Background()
		if i == 0 {
			c = ctx
		}
		wg.Go(func() { errs[i] = s.Fill(c, sum(data), -1, fetch) })
	}
	time.Sleep(50 * time.Millisecond) // let the waiters queue up; correctness does not depend on it
	cancel()
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil && !(i == 0 && errors.Is(err, context.Canceled)) {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
	if got := read(t, s, sum(data)); got != string(data) {
		t.Error("content differs")
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	s := open(t, dir, Options{MaxTotalSize: 30, Now: clock})
	ctx := context.Background()
	a, b, c := []byte(strings.Repeat("a", 10)), []byte(strings.Repeat("b", 10)), []byte(strings.Repeat("c", 10))
	for _, d := range [][]byte{a, b, c} {
		if err := s.Fill(ctx, sum(d), -1, from(d)); err != nil {
			t.Fatal(err)
		}
	}
	read(t, s, sum(a)) // a is now the most recently used; b the least
	d := []byte(strings.Repeat("d", 10))
	if err := s.Fill(ctx, sum(d), -1, from(d)); err != nil {
		t.Fatal(err)
	}
	if s.Has(sum(b)) || !s.Has(sum(a)) || !s.Has(sum(c)) || !s.Has(sum(d)) {
		t.Errorf("after eviction: a=%v b=%v c=%v d=%v", s.Has(sum(a)), s.Has(sum(b)), s.Has(sum(c)), s.Has(sum(d)))
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", sum(b)[:2], sum(b))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("evicted file still on disk: %v", err)
	}
	if total, files := s.Size(); total != 30 || files != 3 {
		t.Errorf("Size() = %d, %d", total, files)
	}
}

func TestRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	if err := s.WriteRecord("pages/foo.json", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRecord("pages/foo.json", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadRecord("pages/foo.json"); err != nil || string(got) != "v2" {
		t.Errorf("ReadRecord = %q, %v", got, err)
	}
	if names, _ := s.Records("pages"); len(names) != 1 || names[0] != "foo.json" {
		t.Errorf("Records = %v", names)
	}
	for _, bad := range []string{"../x", "/abs", "pages/../../x", "a//b", "sp ace", ""} {
		if err := s.WriteRecord(bad, nil); err == nil {
			t.Errorf("WriteRecord(%q) succeeded", bad)
		}
	}
	if _, err := s.ReadRecord("pages/missing.json"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing record: %v", err)
	}
	if !tmpEmpty(t, dir) {
		t.Error("temporary files left behind")
	}
}
