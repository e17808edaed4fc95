// Package cache is airlock's artifact cache: files stored by the sha256 of
// their content, verified while they stream in from an upstream, written
// atomically, evicted least recently used first, and handed out as open
// files so that HTTP servers can send them with sendfile and Range support.
//
// The cache never holds a file whose bytes do not match the digest it is
// stored under: [Store.Fill] hashes the stream as it writes a temporary
// file, and only renames the temporary file into place (after an fsync)
// when the digest and size match. A mismatch or a size over the limit is an
// error and leaves nothing behind. Concurrent fills of one digest share a
// single fetch.
//
// The directory layout, under the root given to [Open]:
//
//	blobs/<first two hex digits>/<sha256>   verified files
//	records/<name>                          small records (e.g. project pages)
//	tmp/                                    files being written
//
// All file access goes through an [os.Root], so no name can escape the
// directory.
package cache

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for [Options].
const (
	// DefaultMaxFileSize is the largest file the cache accepts. The
	// largest wheels on PyPI (CUDA builds) approach 2 GiB.
	DefaultMaxFileSize = 2 << 30
	// DefaultMaxTotalSize is the size above which the least recently used
	// files are evicted.
	DefaultMaxTotalSize = 20 << 30
	// DefaultFillTimeout bounds one fill, which runs detached from the
	// request that started it so that other waiters are not cut off when
	// that client gives up.
	DefaultFillTimeout = 30 * time.Minute
	// MaxRecordSize is the largest record [Store.WriteRecord] accepts.
	MaxRecordSize = 256 << 20
)

// touchInterval is how often, at most, a use of a file updates its
// modification time on disk, which orders eviction after a restart.
const touchInterval = time.Hour

// Options configure a [Store]. Zero values take the defaults.
type Options struct {
	MaxFileSize  int64
	MaxTotalSize int64
	FillTimeout  time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrNotFound is returned for a digest or record that is not in the cache.
// It matches [fs.ErrNotExist].
var ErrNotFound = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "not in the cache" }
func (notFound) Is(target error) bool { return target == fs.ErrNotExist }

// MismatchError is returned by [Store.Fill] when the fetched bytes do not
// have the expected digest (or size).
type MismatchError struct {
	Want, Got string // hex sha256
	// WantSize and GotSize are set when the size was wrong.
	WantSize, GotSize int64
}

func (e *MismatchError) Error() string {
	if e.WantSize >= 0 && e.GotSize != e.WantSize {
		return fmt.Sprintf("size mismatch: published %d bytes, got %d", e.WantSize, e.GotSize)
	}
	return fmt.Sprintf("sha256 mismatch: published %s, got %s", e.Want, e.Got)
}

// TooLargeError is returned by [Store.Fill] for a file over the size limit.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("file larger than the cache's limit of %d bytes", e.Limit)
}

// Store is a content-addressed file cache. All the methods are safe for
// simultaneous use.
type Store struct {
	root *os.Root
	opts Options
	sf   singleflight.Group

	mu      sync.Mutex
	entries map[string]*list.Element // sha256 -> *entry in lru
	lru     *list.List               // front: most recently used
	total   int64
}

type entry struct {
	sum     string
	size    int64
	touched time.Time
}

// Open opens (creating it if needed) the cache in dir and indexes the files
// already there; leftover temporary files are removed.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.MaxTotalSize <= 0 {
		opts.MaxTotalSize = DefaultMaxTotalSize
	}
	if opts.MaxFileSize > opts.MaxTotalSize {
		opts.MaxFileSize = opts.MaxTotalSize
	}
	if opts.FillTimeout <= 0 {
		opts.FillTimeout = DefaultFillTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{root: root, opts: opts, entries: map[string]*list.Element{}, lru: list.New()}
	for _, d := range []string{"blobs", "records", "tmp"} {
		if err := root.MkdirAll(d, 0o755); err != nil {
			root.Close()
			return nil, err
		}
	}
	if err := s.scan(); err != nil {
		root.Close()
		return nil, err
	}
	s.removeStaleTemp()
	return s, nil
}

// removeStaleTemp removes temporary files left by a crash: those older than
// a fill may take, so that another process's fill in progress is spared.
func (s *Store) removeStaleTemp() {
	entries, _ := fs.ReadDir(s.root.FS(), "tmp")
	for _, e := range entries {
		if info, err := e.Info(); err == nil && s.opts.Now().Sub(info.ModTime()) > s.opts.FillTimeout {
			s.root.Remove("tmp/" + e.Name())
		}
	}
}

// scan indexes blobs/, oldest modification time least recently used.
func (s *Store) scan() error {
	var found []entry
	err := fs.WalkDir(s.root.FS(), "blobs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum := path.Base(p)
		if !ValidSum(sum) || path.Dir(p) != blobDir(sum) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		found = append(found, entry{sum: sum, size: info.Size(), touched: info.ModTime()})
		return nil
	})
	if err != nil {
		return err
	}
	// Oldest first, each pushed to the front, leaves the newest in front.
	sortByTime(found)
	for _, e := range found {
		s.entries[e.sum] = s.lru.PushFront(&entry{sum: e.sum, size: e.size, touched: e.touched})
		s.total += e.size
	}
	return nil
}

func sortByTime(es []entry) {
	for i := 1; i < len(es); i++ { // insertion sort is fine at startup sizes
		for j := i; j > 0 && es[j].touched.Before(es[j-1].touched); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// Close releases the cache directory.
func (s *Store) Close() error { return s.root.Close() }

// ValidSum reports whether sum is a lower-case hex sha256 digest.
func ValidSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	for i := range len(sum) {
		c := sum[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func blobDir(sum string) string  { return "blobs/" + sum[:2] }
func blobPath(sum string) string { return blobDir(sum) + "/" + sum }

// Open returns the cached file with the given digest, opened for reading,
// and marks it used. It returns [ErrNotFound] when it is not cached.
func (s *Store) Open(sum string) (*os.File, error) {
	if !ValidSum(sum) {
		return nil, ErrNotFound
	}
	s.mu.Lock()
	el, ok := s.entries[sum]
	if ok {
		s.lru.MoveToFront(el)
	}
	s.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	f, err := s.root.Open(blobPath(sum))
	if errors.Is(err, fs.ErrNotExist) {
		s.forget(sum)
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.touch(el)
	return f, nil
}

// Has reports whether the digest is cached.
func (s *Store) Has(sum string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.entries[sum]
	return ok
}

// touch updates the file's modification time when it is older than
// touchInterval, so that eviction order survives a restart.
func (s *Store) touch(el *list.Element) {
	now := s.opts.Now()
	s.mu.Lock()
	e := el.Value.(*entry)
	stale := now.Sub(e.touched) > touchInterval
	if stale {
		e.touched = now
	}
	s.mu.Unlock()
	if stale {
		s.root.Chtimes(blobPath(e.sum), now, now)
	}
}

func (s *Store) forget(sum string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[sum]; ok {
		s.total -= el.Value.(*entry).size
		s.lru.Remove(el)
		delete(s.entries, sum)
	}
}

// Size returns the total size of the cached files and their number.
func (s *Store) Size() (bytes int64, files int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, len(s.entries)
}

// Fetch opens the upstream stream of a file for [Store.Fill]. size is the
// stream's length when known (Content-Length), else -1.
type Fetch func(ctx context.Context) (body io.ReadCloser, size int64, err error)

// Fill makes sure the file with digest sum is cached, calling fetch when it
// is not. The stream is hashed and size-limited while it is written to a
// temporary file; only a stream whose sha256 is sum (and whose length is
// wantSize, when wantSize >= 0) is synced and renamed into place. Errors
// are a [*MismatchError], a [*TooLargeError], or fetch's and the file
// system's own.
//
// Concurrent fills of one digest share one fetch. The fetch runs detached
// from ctx, bounded by [Options.FillTimeout], so that a waiter that gives
// up does not break it for the others; Fill itself returns when ctx is
// done.
func (s *Store) Fill(ctx context.Context, sum string, wantSize int64, fetch Fetch) error {
	if !ValidSum(sum) {
		return fmt.Errorf("cache: invalid sha256 %q", sum)
	}
	if s.Has(sum) {
		return nil
	}
	if wantSize > s.opts.MaxFileSize {
		return &TooLargeError{s.opts.MaxFileSize}
	}
	ch := s.sf.DoChan(sum, func() (any, error) {
		if s.Has(sum) {
			return nil, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.FillTimeout)
		defer cancel()
		return nil, s.fill(fctx, sum, wantSize, fetch)
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) fill(ctx context.Context, sum string, wantSize int64, fetch Fetch) (err error) {
	body, size, err := fetch(ctx)
	if err != nil {
		return err
	}
	defer body.Close()
	if size > s.opts.MaxFileSize {
		return &TooLargeError{s.opts.MaxFileSize}
	}
	tmp, name, err := s.createTemp("tmp", sum)
	if err != nil {
		return err
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
		}
		if err != nil {
			s.root.Remove(name)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, s.opts.MaxFileSize+1))
	if err != nil {
		return err
	}
	if n > s.opts.MaxFileSize {
		return &TooLargeError{s.opts.MaxFileSize}
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != sum || (wantSize >= 0 && n != wantSize) {
		return &MismatchError{Want: sum, Got: got, WantSize: wantSize, GotSize: n}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		tmp = nil
		return err
	}
	tmp = nil
	if err := s.root.MkdirAll(blobDir(sum), 0o755); err != nil {
		return err
	}
	if err := s.root.Rename(name, blobPath(sum)); err != nil {
		return err
	}
	s.syncDir(blobDir(sum))
	s.add(sum, n)
	return nil
}

// createTemp creates a new file in dir of the root with a unique name.
func (s *Store) createTemp(dir, prefix string) (*os.File, string, error) {
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s/%s.%d.%d", dir, prefix, time.Now().UnixNano(), i)
		f, err := s.root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			continue
		}
		return f, name, err
	}
}

func (s *Store) syncDir(dir string) {
	if d, err := s.root.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// add records a new file and evicts the least recently used others while
// the total is over the limit.
func (s *Store) add(sum string, size int64) {
	now := s.opts.Now()
	s.mu.Lock()
	if _, ok := s.entries[sum]; !ok {
		s.entries[sum] = s.lru.PushFront(&entry{sum: sum, size: size, touched: now})
		s.total += size
	}
	var victims []string
	for s.total > s.opts.MaxTotalSize && s.lru.Len() > 1 {
		el := s.lru.Back()
		e := el.Value.(*entry)
		if e.sum == sum {
			break
		}
		s.lru.Remove(el)
		delete(s.entries, e.sum)
		s.total -= e.size
		victims = append(victims, e.sum)
	}
	s.mu.Unlock()
	// Removing a file that is being served is fine: open descriptors keep
	// its content until they are closed.
	for _, v := range victims {
		s.root.Remove(blobPath(v))
	}
}

// WriteRecord stores a small named record (such as a cached project page)
// atomically: a reader sees the old record or the new one, never a mix.
// Names are relative slash-separated paths of letters, digits, "-", "_"
// and ".".
func (s *Store) WriteRecord(name string, data []byte) (err error) {
	if !validRecordName(name) {
		return fmt.Errorf("cache: invalid record name %q", name)
	}
	if len(data) > MaxRecordSize {
		return &TooLargeError{MaxRecordSize}
	}
	full := "records/" + name
	if err := s.root.MkdirAll(path.Dir(full), 0o755); err != nil {
		return err
	}
	tmp, tname, err := s.createTemp("tmp", "record")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			s.root.Remove(tname)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := s.root.Rename(tname, full); err != nil {
		return err
	}
	s.syncDir(path.Dir(full))
	return nil
}

// ReadRecord returns a record written by [Store.WriteRecord], or
// [ErrNotFound].
func (s *Store) ReadRecord(name string) ([]byte, error) {
	if !validRecordName(name) {
		return nil, ErrNotFound
	}
	f, err := s.root.Open("records/" + name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxRecordSize))
}

// Records returns the names of the records under dir.
func (s *Store) Records(dir string) ([]string, error) {
	if !validRecordName(dir) {
		return nil, nil
	}
	entries, err := fs.ReadDir(s.root.FS(), "records/"+dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, err
}

func validRecordName(name string) bool {
	if name == "" || len(name) > 512 || strings.HasPrefix(name, "/") {
		return false
	}
	for part := range strings.SplitSeq(name, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
	}
	return true
}
