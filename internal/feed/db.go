package feed

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/typosquat"
)

// DefaultAdvisoryURL is OSV's export of every PyPI record (vulnerabilities
// and malicious-package reports) as one zip of JSON files.
const DefaultAdvisoryURL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"

// Limits on what airlock reads from sources it does not control.
const (
	// MaxDownloadSize bounds a download; OSV's PyPI export is tens of MiB.
	MaxDownloadSize = 1 << 30
	// MaxZipEntries bounds the files in an OSV zip (PyPI has about 20,000).
	MaxZipEntries = 1_000_000
	// MaxUncompressedSize bounds the declared size of an OSV zip's files,
	// taken together (archive/zip enforces each declared size).
	MaxUncompressedSize = 4 << 30
	// MaxPopularSize bounds a popular-name list (15,000 names are 300 KiB).
	MaxPopularSize = 64 << 20
	// maxHeaderSize bounds the JSON header of advisories.db.
	maxHeaderSize = 1 << 20
)

const (
	dbDirName       = "db"
	advisoryFile    = "advisories.db"
	popularFile     = "popular.tsv"
	popularMetaFile = "popular.json"
	fileMagic       = "AIRLOCK-DB\n"
)

// ErrNoDatabase is returned when the data directory holds no advisory
// database (or, from [LoadPopular], no refreshed popular-name list).
var ErrNoDatabase = errors.New("no advisory database: run 'airlock db update' or 'airlock db import PATH'")

// Source says where data came from and when.
type Source struct {
	// Kind is "download" or "import".
	Kind string `json:"kind"`
	// Location is the URL (credentials removed) or the absolute path.
	Location string `json:"location"`
	// ETag and LastModified are the validators the server sent, for the
	// next conditional request.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Fetched is when the content was downloaded or imported; Checked is
	// when the source was last found unchanged (or fetched).
	Fetched time.Time `json:"fetched"`
	Checked time.Time `json:"checked"`
	// Bytes is the size of what was downloaded or read (0 for directories).
	Bytes int64 `json:"bytes,omitempty"`
}

// AdvisoryStatus describes the advisory database: its sources, when it was
// built and what went into it.
type AdvisoryStatus struct {
	Sources []Source       `json:"sources"`
	Built   time.Time      `json:"built"`
	Stats   advisory.Stats `json:"stats"`
}

// Checked returns the latest time a source of the database was confirmed
// current: the data is as fresh as that.
func (s *AdvisoryStatus) Checked() time.Time {
	t := s.Built
	for _, src := range s.Sources {
		if src.Checked.After(t) {
			t = src.Checked
		}
	}
	return t
}

// PopularStatus describes the refreshed popular-name list.
type PopularStatus struct {
	Source  Source `json:"source"`
	Entries int    `json:"entries"`
	SHA256  string `json:"sha256"`
}

// Status is the state of the local data.
type Status struct {
	Dir        string          `json:"dir"`
	Advisories *AdvisoryStatus `json:"advisories"` // nil when there is no database
	Popular    *PopularStatus  `json:"popular"`    // nil when the embedded list is in use
}

// Dir returns the directory under dataDir that holds the databases.
func Dir(dataDir string) string { return filepath.Join(dataDir, dbDirName) }

// ReadStatus reports what the data directory holds. Missing files are not
// errors (the fields stay nil); damaged ones are.
func ReadStatus(dataDir string) (*Status, error) {
	st := &Status{Dir: Dir(dataDir)}
	f, err := os.Open(filepath.Join(st.Dir, advisoryFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		defer f.Close()
		head, err := io.ReadAll(io.LimitReader(f, int64(len(fileMagic)+binary.MaxVarintLen64+maxHeaderSize)))
		if err != nil {
			return nil, err
		}
		a, _, err := splitDBFile(head)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		st.Advisories = a
	}
	p, err := readPopularMeta(st.Dir)
	if err != nil {
		return nil, err
	}
	st.Popular = p
	return st, nil
}

// LoadAdvisories loads the advisory database of dataDir. Without one, the
// error wraps [ErrNoDatabase].
func LoadAdvisories(dataDir string) (*advisory.Index, *AdvisoryStatus, error) {
	name := filepath.Join(Dir(dataDir), advisoryFile)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNoDatabase
	}
	if err != nil {
		return nil, nil, err
	}
	st, snap, err := splitDBFile(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	ix, err := advisory.UnmarshalIndex(snap)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return ix, st, nil
}

// LoadPopular loads the popular-name list that 'airlock db update'
// downloaded. Without one (the embedded list is then the one to use), the
// error wraps [ErrNoDatabase].
func LoadPopular(dataDir string) ([]typosquat.Entry, *PopularStatus, error) {
	dir := Dir(dataDir)
	data, err := os.ReadFile(filepath.Join(dir, popularFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("no refreshed popular-name list: %w", ErrNoDatabase)
	}
	if err != nil {
		return nil, nil, err
	}
	entries, err := typosquat.Load(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, popularFile), err)
	}
	meta, err := readPopularMeta(dir)
	if err != nil {
		return nil, nil, err
	}
	if meta == nil || meta.SHA256 != sha256Hex(data) {
		// popular.tsv was replaced after popular.json was written (a crash
		// between the two renames): the list is valid, its origin unknown.
		meta = &PopularStatus{Entries: len(entries), SHA256: sha256Hex(data)}
	}
	return entries, meta, nil
}

func readPopularMeta(dir string) (*PopularStatus, error) {
	data, err := os.ReadFile(filepath.Join(dir, popularMetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p PopularStatus
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, popularMetaFile), err)
	}
	return &p, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// encodeDBFile builds advisories.db: magic, header length, JSON header,
// snapshot.
func encodeDBFile(st *AdvisoryStatus, snap []byte) ([]byte, error) {
	hdr, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(fileMagic)+binary.MaxVarintLen64+len(hdr)+len(snap))
	out = append(out, fileMagic...)
	out = binary.AppendUvarint(out, uint64(len(hdr)))
	out = append(out, hdr...)
	return append(out, snap...), nil
}

// splitDBFile parses the header of advisories.db (which may be cut short
// after the header) and returns the snapshot that follows.
func splitDBFile(data []byte) (*AdvisoryStatus, []byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(fileMagic))
	if !ok {
		return nil, nil, errors.New("not an airlock advisory database")
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > maxHeaderSize || uint64(len(rest)-k) < n {
		return nil, nil, errors.New("damaged advisory database header")
	}
	var st AdvisoryStatus
	if err := json.Unmarshal(rest[k:k+int(n)], &st); err != nil {
		return nil, nil, fmt.Errorf("damaged advisory database header: %w", err)
	}
	return &st, rest[k+int(n):], nil
}

// SourceError is a local source that cannot be read as OSV records: a
// missing path, a file of another kind, a damaged zip, or a tree without a
// single record.
type SourceError struct {
	Path string
	Err  error
}

func (e *SourceError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// ErrNoRecords is a source without a single OSV record.
var ErrNoRecords = errors.New("holds no OSV records (.json, .yaml or .yml files)")

// OpenPath reads the OSV records at path into an index: a directory tree
// of OSV JSON or YAML files (the PyPA advisory database's layout), a zip of
// OSV JSON files (OSV's all.zip exports), or a single OSV file.
func OpenPath(path string) (*advisory.Index, error) {
	return OpenPaths([]string{path})
}

// OpenPaths reads several sources (see [OpenPath]) into one index; records
// that alias each other across sources are merged.
func OpenPaths(paths []string) (*advisory.Index, error) {
	var b advisory.Builder
	for _, p := range paths {
		if _, err := addPath(&b, p); err != nil {
			return nil, err
		}
	}
	return b.Index(), nil
}

// addPath adds the records at path to b and returns the bytes read (the
// file size for zips and single files, 0 for directories). Problems with
// the source itself are [*SourceError]s.
func addPath(b *advisory.Builder, path string) (int64, error) {
	fail := func(err error) (int64, error) { return 0, &SourceError{Path: path, Err: err} }
	info, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fail(err)
	}
	if info.IsDir() {
		root, err := os.OpenRoot(path)
		if err != nil {
			return fail(err)
		}
		defer root.Close()
		if err := b.AddFS(root.FS()); err != nil {
			return fail(err)
		}
		return 0, nil
	}
	if !info.Mode().IsRegular() {
		return fail(errors.New("not a directory, zip or OSV file"))
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".zip":
		f, err := os.Open(path)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		if err := addZip(b, f, info.Size()); err != nil {
			return fail(err)
		}
		return info.Size(), nil
	case ".json", ".yaml", ".yml":
		if info.Size() > advisory.MaxRecordSize {
			return fail(advisory.ErrTooLarge)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fail(err)
		}
		before := b.Stats()
		b.AddFile(filepath.Base(path), data)
		if after := b.Stats(); after.Problems > before.Problems {
			return fail(errors.New(after.ProblemList[len(after.ProblemList)-1].Message))
		}
		return info.Size(), nil
	}
	return fail(errors.New("not a directory, zip or OSV file (.json, .yaml, .yml)"))
}

// addZip reads an OSV zip within the zip limits.
func addZip(b *advisory.Builder, r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("not a readable zip: %w", err)
	}
	if len(zr.File) > MaxZipEntries {
		return fmt.Errorf("zip holds %d files, over the limit of %d", len(zr.File), MaxZipEntries)
	}
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > MaxUncompressedSize-total {
			return fmt.Errorf("zip expands to over %d bytes", uint64(MaxUncompressedSize))
		}
		total += f.UncompressedSize64
	}
	return b.AddFS(zr)
}
