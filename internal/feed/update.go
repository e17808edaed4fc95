package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/typosquat"
)

// Updater refreshes the data of a data directory from the network. The
// zero value downloads [DefaultAdvisoryURL] and leaves the popular-name
// list alone.
type Updater struct {
	// AdvisoryURL is the zip of OSV JSON records to download
	// ([DefaultAdvisoryURL] when empty).
	AdvisoryURL string
	// PopularURL, when set, is a popular-name list ("rank<TAB>name" lines)
	// to download as well.
	PopularURL string
	// Client sends the requests (a client with per-step timeouts when nil).
	Client *http.Client
	// Progress, when set, is a terminal to draw download progress on.
	Progress io.Writer
	// Logger receives what happened (nothing when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// UserAgent is sent with each request.
	UserAgent string
}

// Result says what an update did.
type Result struct {
	Advisories Fetched
	Popular    *Fetched // nil when no popular-name URL was given
	Status     *Status  // the state after the update
}

// Fetched is the outcome for one source.
type Fetched struct {
	URL         string // credentials removed
	NotModified bool   // the server answered 304: the stored copy is current
	Bytes       int64  // bytes downloaded
}

func (u *Updater) now() time.Time {
	if u.Now != nil {
		return u.Now().UTC()
	}
	return time.Now().UTC()
}

func (u *Updater) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Update downloads the advisory export (and the popular-name list, when
// u.PopularURL is set) into dataDir, with conditional requests. Nothing is
// replaced unless every download and check succeeds: on any error the old
// files stay as they were.
func (u *Updater) Update(ctx context.Context, dataDir string) (*Result, error) {
	dir, err := makeDir(dataDir)
	if err != nil {
		return nil, err
	}
	advURL := u.AdvisoryURL
	if advURL == "" {
		advURL = DefaultAdvisoryURL
	}
	if err := checkURL(advURL); err != nil {
		return nil, err
	}
	if u.PopularURL != "" {
		if err := checkURL(u.PopularURL); err != nil {
			return nil, err
		}
	}
	log := u.logger().With("component", "feed")
	res := &Result{}
	var writes []pendingFile

	adv, advFile, err := u.updateAdvisories(ctx, dir, advURL, log)
	if err != nil {
		return nil, err
	}
	res.Advisories = adv
	writes = append(writes, pendingFile{advisoryFile, advFile})

	if u.PopularURL != "" {
		pop, files, err := u.updatePopular(ctx, dir, log)
		if err != nil {
			return nil, err
		}
		res.Popular = &pop
		writes = append(writes, files...)
	}
	if err := writeAtomically(dir, writes); err != nil {
		return nil, err
	}
	st, err := ReadStatus(dataDir)
	if err != nil {
		return nil, err
	}
	res.Status = st
	return res, nil
}

// updateAdvisories fetches the advisory export and returns the new
// contents of advisories.db.
func (u *Updater) updateAdvisories(ctx context.Context, dir, rawURL string, log *slog.Logger) (Fetched, []byte, error) {
	out := Fetched{URL: redact(rawURL)}
	now := u.now()

	// The stored validators count only if the stored snapshot is usable and
	// came from the same URL: otherwise a 304 would keep a bad file.
	var old *AdvisoryStatus
	var oldSnap []byte
	var etag, lastMod string
	if data, err := os.ReadFile(filepath.Join(dir, advisoryFile)); err == nil {
		if st, snap, err := splitDBFile(data); err == nil {
			if _, err := advisory.UnmarshalIndex(snap); err == nil {
				old, oldSnap = st, snap
				if len(st.Sources) == 1 && st.Sources[0].Kind == "download" && st.Sources[0].Location == out.URL {
					etag, lastMod = st.Sources[0].ETag, st.Sources[0].LastModified
				}
			}
		}
	}

	resp, err := u.get(ctx, rawURL, etag, lastMod, MaxDownloadSize)
	if err != nil {
		return out, nil, err
	}
	if resp.notModified {
		if etag == "" && lastMod == "" {
			return out, nil, &FetchError{URL: out.URL, Err: errors.New("304 Not Modified to an unconditional request")}
		}
		log.Info("advisories not modified", "url", out.URL)
		out.NotModified = true
		st := *old
		st.Sources = append([]Source(nil), old.Sources...)
		st.Sources[0].Checked = now
		if resp.etag != "" {
			st.Sources[0].ETag = resp.etag
		}
		file, err := encodeDBFile(&st, oldSnap)
		return out, file, err
	}
	defer resp.body.Close()

	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return out, nil, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	n, err := u.copyLimited(tmp, resp.body, MaxDownloadSize, resp.length, rawURL)
	if err != nil {
		return out, nil, err
	}
	out.Bytes = n
	log.Info("advisories downloaded", "url", out.URL, "bytes", n)

	var b advisory.Builder
	if err := addZip(&b, tmp, n); err != nil {
		return out, nil, fmt.Errorf("%s: %w", out.URL, err)
	}
	ix := b.Index()
	if ix.Stats().Records == 0 {
		return out, nil, fmt.Errorf("%s: the download holds no OSV records", out.URL)
	}
	snap, err := ix.MarshalBinary()
	if err != nil {
		return out, nil, err
	}
	st := &AdvisoryStatus{
		Sources: []Source{{
			Kind: "download", Location: out.URL, ETag: resp.etag, LastModified: resp.lastModified,
			Fetched: now, Checked: now, Bytes: n,
		}},
		Built: now,
		Stats: ix.Stats(),
	}
	file, err := encodeDBFile(st, snap)
	return out, file, err
}

// updatePopular fetches the popular-name list and returns the files to
// write (none when it is unchanged and its record is current).
func (u *Updater) updatePopular(ctx context.Context, dir string, log *slog.Logger) (Fetched, []pendingFile, error) {
	out := Fetched{URL: redact(u.PopularURL)}
	now := u.now()
	var old *PopularStatus
	var etag, lastMod string
	if data, err := os.ReadFile(filepath.Join(dir, popularFile)); err == nil {
		if meta, err := readPopularMeta(dir); err == nil && meta != nil && meta.SHA256 == sha256Hex(data) {
			old = meta
			if meta.Source.Location == out.URL {
				etag, lastMod = meta.Source.ETag, meta.Source.LastModified
			}
		}
	}
	resp, err := u.get(ctx, u.PopularURL, etag, lastMod, MaxPopularSize)
	if err != nil {
		return out, nil, err
	}
	if resp.notModified {
		if etag == "" && lastMod == "" {
			return out, nil, &FetchError{URL: out.URL, Err: errors.New("304 Not Modified to an unconditional request")}
		}
		log.Info("popular names not modified", "url", out.URL)
		out.NotModified = true
		meta := *old
		meta.Source.Checked = now
		if resp.etag != "" {
			meta.Source.ETag = resp.etag
		}
		js, err := json.MarshalIndent(&meta, "", "  ")
		return out, []pendingFile{{popularMetaFile, js}}, err
	}
	defer resp.body.Close()
	var buf bytes.Buffer
	n, err := u.copyLimited(&buf, resp.body, MaxPopularSize, resp.length, u.PopularURL)
	if err != nil {
		return out, nil, err
	}
	out.Bytes = n
	entries, err := typosquat.Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return out, nil, fmt.Errorf("%s: %w", out.URL, err)
	}
	if len(entries) == 0 {
		return out, nil, fmt.Errorf("%s: the popular-name list is empty", out.URL)
	}
	log.Info("popular names downloaded", "url", out.URL, "bytes", n, "entries", len(entries))
	meta := PopularStatus{
		Source: Source{
			Kind: "download", Location: out.URL, ETag: resp.etag, LastModified: resp.lastModified,
			Fetched: now, Checked: now, Bytes: n,
		},
		Entries: len(entries),
		SHA256:  sha256Hex(buf.Bytes()),
	}
	js, err := json.MarshalIndent(&meta, "", "  ")
	if err != nil {
		return out, nil, err
	}
	// The list first, its record second: after a crash between the two,
	// the record's checksum no longer matches and is not trusted.
	return out, []pendingFile{{popularFile, buf.Bytes()}, {popularMetaFile, js}}, nil
}

// Import builds the advisory database of dataDir from local sources (see
// [OpenPath]) and replaces the old one atomically. A source that holds no
// record at all is an error, so that a wrong path does not silently empty
// the database.
func Import(ctx context.Context, dataDir string, paths []string, now time.Time) (*AdvisoryStatus, error) {
	if len(paths) == 0 {
		return nil, errors.New("nothing to import")
	}
	now = now.UTC()
	var b advisory.Builder
	var sources []Source
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		before := b.Stats().Records
		n, err := addPath(&b, abs)
		if err != nil {
			return nil, err
		}
		if b.Stats().Records == before {
			return nil, &SourceError{Path: p, Err: ErrNoRecords}
		}
		sources = append(sources, Source{Kind: "import", Location: abs, Fetched: now, Checked: now, Bytes: n})
	}
	ix := b.Index()
	snap, err := ix.MarshalBinary()
	if err != nil {
		return nil, err
	}
	st := &AdvisoryStatus{Sources: sources, Built: now, Stats: ix.Stats()}
	file, err := encodeDBFile(st, snap)
	if err != nil {
		return nil, err
	}
	dir, err := makeDir(dataDir)
	if err != nil {
		return nil, err
	}
	if err := writeAtomically(dir, []pendingFile{{advisoryFile, file}}); err != nil {
		return nil, err
	}
	return st, nil
}

// makeDir creates the database directory. A data directory that does not
// exist yet is created private (0700), as the store creates it: it also
// holds the token database.
func makeDir(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	dir := Dir(dataDir)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	return dir, nil
}

// pendingFile is a file to write into the database directory.
type pendingFile struct {
	name string
	data []byte
}

// writeAtomically writes every file to a temporary file in dir and syncs
// it, then renames them into place in order and syncs dir. If any write
// fails, no file is replaced.
func writeAtomically(dir string, files []pendingFile) (err error) {
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}()
	for _, f := range files {
		tmp, err := os.CreateTemp(dir, "."+f.name+".tmp-*")
		if err != nil {
			return err
		}
		temps = append(temps, tmp.Name())
		_, werr := tmp.Write(f.data)
		if werr == nil {
			werr = tmp.Chmod(0o644)
		}
		if werr == nil {
			werr = tmp.Sync()
		}
		if cerr := tmp.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, f.name), werr)
		}
	}
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.name)); err != nil {
			return err
		}
		temps[i] = "" // renamed: nothing to remove
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
