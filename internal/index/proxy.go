package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/index/simple"
)

// Defaults for [Options].
const (
	// DefaultPageTTL is how long a project page is served from the cache
	// before it is fetched again: long enough that one pip run sees one
	// page, short enough that new releases and yanks arrive soon.
	DefaultPageTTL = 5 * time.Minute
	// MaxCachedPages bounds the project pages kept in memory; the disk copy
	// remains when one is dropped.
	MaxCachedPages = 20_000
	// DefaultRenderTTL is how long a rendered page is reused. Rendering
	// asks the judge about every file, which costs more than sending the
	// page; reusing it for a second keeps busy pages cheap, and a verdict
	// that changes in that second still holds for downloads, which are
	// always judged afresh.
	DefaultRenderTTL = time.Second
)

// Options configure a [Handler].
type Options struct {
	// Upstreams are the indexes to read; required unless Offline.
	Upstreams *Upstreams
	// Judge decides what is served; nil allows everything but the
	// built-in [Filters] defaults.
	Judge Judge
	// Cache stores files and project pages; required.
	Cache *cache.Store
	// PageTTL is how long a fetched project page stays fresh
	// (DefaultPageTTL when zero).
	PageTTL time.Duration
	// Offline serves only what is cached, whatever its age, and never
	// contacts an upstream.
	Offline bool
	// RenderTTL is how long a rendered page is reused
	// (DefaultRenderTTL when zero; negative: never).
	RenderTTL time.Duration
	// Now is the clock for page freshness; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per refusal and upstream failure; nil
	// discards.
	Logger *slog.Logger
}

// Handler is the filtering package index: an http.Handler serving the
// Simple API under /simple/ — the root index, project pages in PEP 503
// HTML or PEP 691 JSON by content negotiation, and files at
// /simple/<project>/<sha256>/<filename> (with "<filename>.metadata" for
// PEP 658 metadata files) — from the upstream, filtered by the [Judge] and
// verified through the artifact cache. All the methods are safe for
// simultaneous use.
type Handler struct {
	up      *Upstreams
	judge   Judge
	cache   *cache.Store
	ttl     time.Duration
	rttl    time.Duration
	offline bool
	now     func() time.Time
	log     *slog.Logger

	sf      singleflight.Group
	mu      sync.RWMutex
	pages   map[string]*pageEntry
	renders map[renderKey]*rendered
}

type renderKey struct{ name, contentType string }

// rendered is a page as sent, for the project page it was made from.
type rendered struct {
	from *simple.Project
	at   time.Time
	body []byte
}

// pageEntry is a cached project page; it is also the on-disk record.
type pageEntry struct {
	Fetched time.Time `json:"fetched"`
	// Upstream is the URL of the index the page came from. The records
	// on disk are shared by every handler over the cache directory, and a
	// handler uses only those from the index it would ask itself: a page
	// from the public index is not one from the internal index a name is
	// mapped to.
	Upstream string          `json:"upstream,omitempty"`
	NotFound bool            `json:"not_found,omitempty"`
	Project  *simple.Project `json:"project,omitempty"`
}

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Cache == nil {
		return nil, errors.New("index: a cache is required")
	}
	if !opts.Offline && (opts.Upstreams == nil || opts.Upstreams.Default == nil) {
		return nil, errors.New("index: an upstream is required unless offline")
	}
	if opts.Judge == nil {
		opts.Judge = Filters{}.Wrap(AllowAll)
	}
	if opts.PageTTL <= 0 {
		opts.PageTTL = DefaultPageTTL
	}
	if opts.RenderTTL == 0 {
		opts.RenderTTL = DefaultRenderTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Upstreams == nil {
		opts.Upstreams = &Upstreams{}
	}
	return &Handler{
		up: opts.Upstreams, judge: opts.Judge, cache: opts.Cache, ttl: opts.PageTTL, rttl: opts.RenderTTL,
		offline: opts.Offline, now: opts.Now, log: opts.Logger, pages: map[string]*pageEntry{},
		renders: map[renderKey]*rendered{},
	}, nil
}

// ServeHTTP routes /simple/, /simple/<project>/ and
// /simple/<project>/<sha256>/<filename>; a non-normalised project name is
// redirected to its normal form, as PyPI does.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "/" || p == "/simple" {
		http.Redirect(w, r, "/simple/", http.StatusMovedPermanently)
		return
	}
	rest, ok := strings.CutPrefix(p, "/simple/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if rest == "" {
		h.serveRoot(w, r)
		return
	}
	parts := strings.Split(rest, "/")
	name := parts[0]
	if !simple.ValidName(name) {
		http.Error(w, "airlock: not a valid project name", http.StatusNotFound)
		return
	}
	norm := simple.Normalize(name)
	switch {
	case len(parts) == 1 || (len(parts) == 2 && parts[1] == ""):
		if norm != name || len(parts) == 1 {
			target := "/simple/" + norm + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		h.servePage(w, r, norm)
	case len(parts) == 3 && norm == name && cache.ValidSum(parts[1]) && parts[2] != "":
		h.serveFile(w, r, norm, parts[1], parts[2])
	default:
		http.NotFound(w, r)
	}
}

// errOffline is a page or file that offline mode cannot serve.
type errOffline struct{ what string }

func (e errOffline) Error() string { return "offline, and " + e.what + " is not in the cache" }

// project returns the project page of name: from memory or disk while it
// is fresh (or always, offline), else from the upstream.
func (h *Handler) project(ctx context.Context, name string) (*simple.Project, error) {
	e := h.cached(name)
	if e != nil && (h.offline || h.now().Sub(e.Fetched) < h.ttl) {
		if e.NotFound {
			return nil, ErrNotFound
		}
		return e.Project, nil
	}
	if h.offline {
		return nil, errOffline{"the project page of " + name}
	}
	ch := h.sf.DoChan(name, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultPageTimeout)
		defer cancel()
		c := h.up.For(name)
		p, err := c.Project(fctx, name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		e := &pageEntry{Fetched: h.now(), Upstream: c.URL(), NotFound: p == nil, Project: p}
		h.store(name, e)
		return e, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		e := res.Val.(*pageEntry)
		if e.NotFound {
			return nil, ErrNotFound
		}
		return e.Project, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (h *Handler) cached(name string) *pageEntry {
	h.mu.RLock()
	e := h.pages[name]
	h.mu.RUnlock()
	if e != nil {
		return e
	}
	data, err := h.cache.ReadRecord(pageRecord(name))
	if err != nil {
		return nil
	}
	e = &pageEntry{}
	if json.Unmarshal(data, e) != nil || (e.Project == nil && !e.NotFound) {
		return nil
	}
	if !h.offline && e.Upstream != h.up.For(name).URL() {
		return nil // another index's page (or one that does not say)
	}
	h.remember(name, e)
	return e
}

func (h *Handler) remember(name string, e *pageEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.pages[name]; !ok && len(h.pages) >= MaxCachedPages {
		for k := range h.pages { // drop an arbitrary page; its disk copy stays
			delete(h.pages, k)
			break
		}
	}
	h.pages[name] = e
}

func (h *Handler) store(name string, e *pageEntry) {
	h.remember(name, e)
	if e.NotFound {
		return // only in memory: a later upload must not wait for disk cleanup
	}
	data, err := json.Marshal(e)
	if err == nil {
		err = h.cache.WriteRecord(pageRecord(name), data)
	}
	if err != nil {
		h.log.Warn("cannot store project page", "project", name, "err", err)
	}
}

func pageRecord(name string) string { return "pages/" + name + ".json" }

// serveRoot lists the projects whose pages are cached. The upstream's own
// root index (hundreds of thousands of names on PyPI) is not relayed: pip
// never reads it.
func (h *Handler) serveRoot(w http.ResponseWriter, r *http.Request) {
	ct, ok := simple.Negotiate(r.Header.Get("Accept"), r.URL.Query().Get("format"))
	if !ok {
		http.Error(w, "airlock: acceptable types: "+simple.JSONType+", "+simple.HTMLType+", text/html", http.StatusNotAcceptable)
		return
	}
	seen := map[string]bool{}
	h.mu.RLock()
	for n, e := range h.pages {
		if !e.NotFound {
			seen[n] = true
		}
	}
	h.mu.RUnlock()
	if recs, err := h.cache.Records("pages"); err == nil {
		for _, rec := range recs {
			if n, ok := strings.CutSuffix(rec, ".json"); ok && simple.IsNormalized(n) {
				seen[n] = true
			}
		}
	}
	for n := range h.up.Internal {
		seen[n] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	if ct == simple.JSONType {
		simple.WriteIndexJSON(&buf, names)
	} else {
		simple.WriteIndexHTML(&buf, names)
	}
	writeBody(w, r, contentType(ct), buf.Bytes())
}

func contentType(ct string) string {
	if ct == simple.LegacyHTMLType {
		return "text/html; charset=utf-8"
	}
	return ct
}

func writeBody(w http.ResponseWriter, r *http.Request, ct string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "max-age=0, must-revalidate")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// extension is what JSON pages carry under "_airlock".
type extension struct {
	// Project is set when the project is denied.
	Project *decision `json:"project,omitempty"`
	// Hidden lists the files left out of the page and why.
	Hidden []hiddenFile `json:"hidden,omitempty"`
}

type decision struct {
	Decision string `json:"decision"`
	Rule     string `json:"rule,omitempty"`
	Reason   string `json:"reason"`
}

type hiddenFile struct {
	Filename string `json:"filename"`
	Rule     string `json:"rule,omitempty"`
	Reason   string `json:"reason"`
}

// servePage renders the project page of name, filtered by the judge.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, name string) {
	ct, ok := simple.Negotiate(r.Header.Get("Accept"), r.URL.Query().Get("format"))
	if !ok {
		http.Error(w, "airlock: acceptable types: "+simple.JSONType+", "+simple.HTMLType+", text/html", http.StatusNotAcceptable)
		return
	}
	proj, err := h.project(r.Context(), name)
	if err != nil {
		h.fail(w, r, name, err)
		return
	}
	key := renderKey{name, ct}
	now := h.now()
	h.mu.RLock()
	rd := h.renders[key]
	h.mu.RUnlock()
	if rd == nil || rd.from != proj || now.Sub(rd.at) >= h.rttl || now.Before(rd.at) {
		page := h.render(name, proj)
		var buf bytes.Buffer
		if ct == simple.JSONType {
			err = simple.WriteJSON(&buf, page)
		} else {
			err = simple.WriteHTML(&buf, page)
		}
		if err != nil {
			h.fail(w, r, name, err)
			return
		}
		rd = &rendered{from: proj, at: now, body: buf.Bytes()}
		if h.rttl > 0 {
			h.mu.Lock()
			if len(h.renders) >= 3*MaxCachedPages {
				clear(h.renders)
			}
			h.renders[key] = rd
			h.mu.Unlock()
		}
	}
	writeBody(w, r, contentType(ct), rd.body)
}

// render builds the page the proxy serves for proj. Links are relative to
// the page: "<sha256>/<filename>".
func (h *Handler) render(name string, proj *simple.Project) *simple.Page {
	page := &simple.Page{Name: name}
	ext := &extension{}
	pv := h.judge.Project(name)
	if !pv.Allow {
		ext.Project = &decision{Decision: "deny", Rule: pv.Rule, Reason: pv.Message()}
	}
	seenVersion := map[string]bool{}
	for i := range proj.Files {
		uf := &proj.Files[i]
		f, v := h.judgeFile(name, uf, pv)
		if !v.Allow && pv.Allow {
			ext.Hidden = append(ext.Hidden, hiddenFile{uf.Filename, v.Rule, v.Message()})
			continue
		}
		if f == nil { // denied project, unusable file: nothing to link
			continue
		}
		out := simple.File{
			Filename: uf.Filename,
			URL:      uf.SHA256() + "/" + url.PathEscape(uf.Filename),
			Hashes:   map[string]string{"sha256": uf.SHA256()},
			Size:     uf.Size,
		}
		out.UploadTime = uf.UploadTime
		if pv.Allow {
			// A denied project's links must stay choosable, so that pip
			// downloads one and prints the reason: no Requires-Python, no
			// yanked flag, no metadata file.
			out.RequiresPython = uf.RequiresPython
			out.Yanked, out.YankedReason = uf.Yanked, uf.YankedReason
			if uf.Metadata != nil && uf.Metadata.Hashes["sha256"] != "" {
				out.Metadata = &simple.Metadata{Hashes: map[string]string{"sha256": uf.Metadata.Hashes["sha256"]}}
			}
		}
		page.Files = append(page.Files, out)
		if !seenVersion[f.Version] {
			seenVersion[f.Version] = true
			page.Versions = append(page.Versions, f.Version)
		}
	}
	if ext.Project != nil || len(ext.Hidden) > 0 {
		page.Extension = ext
	}
	return page
}

// judgeFile checks what the proxy itself requires of a file (a wheel or
// sdist name of this project, a sha256) and then asks the judge, unless
// the project is denied. It returns the judge's view of the file, nil when
// the file is unusable.
func (h *Handler) judgeFile(name string, uf *simple.File, pv Verdict) (*File, Verdict) {
	version, kind, err := simple.ParseFilename(name, uf.Filename)
	if err != nil {
		return nil, Deny("file-name", fmt.Sprintf("%s: not a wheel or sdist of %s with a PEP 440 version", uf.Filename, name))
	}
	if uf.SHA256() == "" {
		return nil, Deny("no-hash", uf.Filename+": the upstream index published no sha256 for it")
	}
	f := &File{
		Project: name, Version: version, Filename: uf.Filename, Kind: kind,
		Yanked: uf.Yanked, YankedReason: uf.YankedReason, UploadTime: uf.UploadTime,
		RequiresPython: uf.RequiresPython, Hashes: uf.Hashes, Size: uf.Size,
	}
	if !pv.Allow {
		return f, pv
	}
	return f, h.judge.File(*f)
}

// serveFile serves a file (or its metadata file) after deciding the
// project and the file again.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name, sum, filename string) {
	ctx := r.Context()
	if pv := h.judge.Project(name); !pv.Allow {
		h.refuse(w, r, http.StatusForbidden, name, pv)
		return
	}
	proj, err := h.project(ctx, name)
	if err != nil {
		h.fail(w, r, name, err)
		return
	}
	base, isMeta := filename, false
	var uf *simple.File
	for _, want := range []string{filename, strings.TrimSuffix(filename, ".metadata")} {
		for i := range proj.Files {
			if proj.Files[i].Filename == want {
				uf = &proj.Files[i]
				base, isMeta = want, want != filename
				break
			}
		}
		if uf != nil {
			break
		}
	}
	if uf == nil {
		http.Error(w, "airlock: "+filename+" is not on the index", http.StatusNotFound)
		return
	}
	if uf.SHA256() != sum {
		http.Error(w, "airlock: "+base+" is no longer published with this sha256; read the project page again", http.StatusNotFound)
		return
	}
	if _, v := h.judgeFile(name, uf, Allowed); !v.Allow {
		h.refuse(w, r, http.StatusForbidden, name, v)
		return
	}
	target, fetchURL, size := sum, uf.URL, uf.Size
	if isMeta {
		if uf.Metadata == nil || uf.Metadata.Hashes["sha256"] == "" {
			http.Error(w, "airlock: no metadata file for "+base, http.StatusNotFound)
			return
		}
		target, fetchURL, size = uf.Metadata.Hashes["sha256"], uf.URL+".metadata", -1
	}
	f, err := h.cache.Open(target)
	if errors.Is(err, cache.ErrNotFound) {
		if h.offline {
			h.fail(w, r, name, errOffline{filename})
			return
		}
		client := h.up.For(name)
		err = h.cache.Fill(ctx, target, size, func(ctx context.Context) (io.ReadCloser, int64, error) {
			return client.Open(ctx, fetchURL)
		})
		if err == nil {
			f, err = h.cache.Open(target)
		}
	}
	if err != nil {
		h.fail(w, r, name, err)
		return
	}
	defer f.Close()
	hd := w.Header()
	if isMeta {
		hd.Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		hd.Set("Content-Type", "application/octet-stream")
	}
	hd.Set("ETag", `"sha256-`+target+`"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// refuse answers a denial and logs it.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, code int, project string, v Verdict) {
	h.log.Info("refused", "project", project, "path", r.URL.Path, "rule", v.Rule, "reason", v.Message())
	refuse(w, r, code, v.Message())
}

// fail answers an error: 404 for an unknown project, 502/504 (fail closed)
// for upstream failures and bad files, 503 offline.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, project string, err error) {
	var (
		ue  *UpstreamError
		me  *cache.MismatchError
		te  *cache.TooLargeError
		off errOffline
	)
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return // the client went away
	case errors.Is(err, ErrNotFound):
		http.Error(w, "airlock: no project "+project+" on the upstream index", http.StatusNotFound)
	case errors.As(err, &off):
		h.log.Info("offline miss", "project", project, "path", r.URL.Path)
		refuse(w, r, http.StatusServiceUnavailable, err.Error())
	case errors.As(err, &me):
		h.log.Warn("upstream file does not match its published hash", "project", project, "path", r.URL.Path, "err", err)
		refuse(w, r, http.StatusBadGateway, "upstream file does not match its published sha256; refused")
	case errors.As(err, &te):
		h.log.Warn("file too large", "project", project, "path", r.URL.Path, "err", err)
		refuse(w, r, http.StatusBadGateway, err.Error())
	case errors.As(err, &ue):
		h.log.Warn("upstream failure", "project", project, "err", err)
		code := http.StatusBadGateway
		if ue.Timeout {
			code = http.StatusGatewayTimeout
		}
		refuse(w, r, code, ue.Public()+" (failing closed)")
	default:
		h.log.Error("internal error", "project", project, "path", r.URL.Path, "err", err)
		refuse(w, r, http.StatusInternalServerError, "internal error")
	}
}
