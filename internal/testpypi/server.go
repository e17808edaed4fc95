package testpypi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Dist is one file of a project as the index serves it.
type Dist struct {
	// Filename is the file's name, e.g. "foo-1.0-py3-none-any.whl".
	Filename string
	// Data is the file's content; its sha256 is published when the file is
	// added (see [Server.Replace] to change the bytes afterwards).
	Data []byte
	// Metadata is the PEP 658 metadata file; nil serves none.
	Metadata []byte
	// RequiresPython is published as data-requires-python.
	RequiresPython string
	// Yanked marks the file yanked (PEP 592), with YankedReason if set.
	Yanked       bool
	YankedReason string
	// UploadTime is published as upload-time in JSON pages. The zero value
	// publishes [DefaultUploadTime]; NoUploadTime publishes none.
	UploadTime   time.Time
	NoUploadTime bool
}

// DefaultUploadTime is the upload time of a [Dist] that sets none: long ago,
// so that a cooldown never hides it.
var DefaultUploadTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Project is a project and its files.
type Project struct {
	Name  string
	Dists []Dist
}

// Failure is how the server misbehaves, for upstream-failure tests.
type Failure int

const (
	// Healthy answers normally.
	Healthy Failure = iota
	// Unavailable answers every request with 503 Service Unavailable.
	Unavailable
	// InternalError answers every request with 500 Internal Server Error.
	InternalError
	// Reset closes every connection without answering.
	Reset
	// Hang never answers: requests wait until the client gives up or the
	// server closes.
	Hang
)

// Server is an in-process package index over HTTP: PEP 503 HTML and PEP 691
// JSON (api-version 1.1, with PEP 700 versions, size and upload-time) by
// content negotiation, sha256 hashes for every file, PEP 592 yanked flags,
// PEP 658/714 metadata files, and PyPI's redirect of non-normalised project
// names. Project pages are at /simple/<name>/ and files at /files/<filename>.
//
// All the methods are safe for simultaneous use.
type Server struct {
	srv  *httptest.Server
	done chan struct{}

	mu       sync.Mutex
	projects map[string]*project // by normalised name
	files    map[string]*file    // by file name
	counts   map[string]int
	failure  Failure
	noJSON   bool
	closed   bool
}

type project struct {
	name  string
	files []*file
}

type file struct {
	Dist
	sha256     string // published
	metaSHA256 string // published
	data       []byte // served
}

// New starts a server for the length of the test and closes it at cleanup.
func New(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a server on a loopback port; the caller must Close it.
func Start() *Server {
	s := &Server{
		done:     make(chan struct{}),
		projects: map[string]*project{},
		files:    map[string]*file{},
		counts:   map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close stops the server, releasing any hanging request.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// URL returns the index URL, ending in "/simple/".
func (s *Server) URL() string { return s.srv.URL + "/simple/" }

// BaseURL returns the server's root URL, without a trailing slash.
func (s *Server) BaseURL() string { return s.srv.URL }

// FileURL returns the URL of the file with the given name.
func (s *Server) FileURL(filename string) string { return s.srv.URL + "/files/" + filename }

// Add adds projects, or files to projects already added (a file with the
// same name replaces the old one, and its new hash is published).
func (s *Server) Add(projects ...Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range projects {
		key := Normalize(p.Name)
		pr := s.projects[key]
		if pr == nil {
			pr = &project{name: p.Name}
			s.projects[key] = pr
		}
		for _, d := range p.Dists {
			f := &file{Dist: d, sha256: hexSHA256(d.Data), data: d.Data}
			if d.Metadata != nil {
				f.metaSHA256 = hexSHA256(d.Metadata)
			}
			pr.files = slices.DeleteFunc(pr.files, func(o *file) bool { return o.Filename == d.Filename })
			pr.files = append(pr.files, f)
			s.files[d.Filename] = f
		}
	}
}

// AddWheels builds the wheels and adds each to its project.
func (s *Server) AddWheels(wheels ...Wheel) {
	for _, w := range wheels {
		s.Add(Project{Name: w.Name, Dists: []Dist{w.Dist()}})
	}
}

// Replace changes the bytes served for filename without changing the hash
// the index published for it, as a compromised mirror would. It panics if
// there is no such file.
func (s *Server) Replace(filename string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[filename]
	if f == nil {
		panic("testpypi: Replace: no file " + filename)
	}
	f.data = data
}

// SHA256 returns the published hex sha256 of filename, or "" if there is no
// such file.
func (s *Server) SHA256(filename string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.files[filename]; f != nil {
		return f.sha256
	}
	return ""
}

// SetFailure makes the server misbehave (or, with [Healthy], recover).
func (s *Server) SetFailure(f Failure) {
	s.mu.Lock()
	s.failure = f
	s.mu.Unlock()
}

// SetJSON turns PEP 691 JSON answers on (the default) or off; off, the
// server answers every page request in PEP 503 HTML whatever the client
// accepts, like an older index.
func (s *Server) SetJSON(on bool) {
	s.mu.Lock()
	s.noJSON = !on
	s.mu.Unlock()
}

// Requests returns how many requests arrived for the URL path (for example
// "/simple/foo/" or "/files/foo-1.0-py3-none-any.whl"), whatever their
// outcome.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// FileRequests returns how many requests arrived for the file.
func (s *Server) FileRequests(filename string) int {
	return s.Requests("/files/" + filename)
}

// ResetCounts sets every request count to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	clear(s.counts)
	s.mu.Unlock()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts[r.URL.Path]++
	failure := s.failure
	s.mu.Unlock()
	switch failure {
	case Unavailable:
		http.Error(w, "testpypi: unavailable", http.StatusServiceUnavailable)
		return
	case InternalError:
		http.Error(w, "testpypi: internal error", http.StatusInternalServerError)
		return
	case Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/simple/":
		s.serveRoot(w, r)
	case strings.HasPrefix(r.URL.Path, "/simple/"):
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		if strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		if norm := Normalize(name); norm != name || !strings.HasSuffix(r.URL.Path, "/") {
			http.Redirect(w, r, "/simple/"+norm+"/", http.StatusMovedPermanently)
			return
		}
		s.serveProject(w, r, name)
	case strings.HasPrefix(r.URL.Path, "/files/"):
		s.serveFile(w, r, strings.TrimPrefix(r.URL.Path, "/files/"))
	default:
		http.NotFound(w, r)
	}
}

const (
	jsonType = "application/vnd.pypi.simple.v1+json"
	htmlType = "application/vnd.pypi.simple.v1+html"
)

func (s *Server) wantsJSON(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.noJSON && strings.Contains(r.Header.Get("Accept"), jsonType)
}

func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	names := make([]string, 0, len(s.projects))
	for _, p := range s.projects {
		names = append(names, p.name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	if s.wantsJSON(r) {
		type proj struct {
			Name string `json:"name"`
		}
		doc := struct {
			Meta     map[string]string `json:"meta"`
			Projects []proj            `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.1"}, Projects: []proj{}}
		for _, n := range names {
			doc.Projects = append(doc.Projects, proj{n})
		}
		w.Header().Set("Content-Type", jsonType)
		json.NewEncoder(w).Encode(doc)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Simple index</title></head><body>\n")
	for _, n := range names {
		fmt.Fprintf(w, "<a href=\"%s/\">%s</a><br>\n", Normalize(n), html.EscapeString(n))
	}
	fmt.Fprint(w, "</body></html>\n")
}

func (s *Server) serveProject(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	p := s.projects[name]
	var files []file
	var pname string
	if p != nil {
		pname = p.name
		for _, f := range p.files {
			files = append(files, *f)
		}
	}
	s.mu.Unlock()
	if p == nil {
		http.NotFound(w, r)
		return
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.Filename, b.Filename) })
	if s.wantsJSON(r) {
		s.projectJSON(w, pname, files)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for %s</title></head><body><h1>Links for %s</h1>\n",
		html.EscapeString(pname), html.EscapeString(pname))
	for _, f := range files {
		// Relative links, as a mirror might serve them; JSON pages use
		// absolute ones.
		fmt.Fprintf(w, `<a href="../../files/%s#sha256=%s"`, html.EscapeString(f.Filename), f.sha256)
		if f.RequiresPython != "" {
			fmt.Fprintf(w, ` data-requires-python="%s"`, html.EscapeString(f.RequiresPython))
		}
		if f.Yanked {
			fmt.Fprintf(w, ` data-yanked="%s"`, html.EscapeString(f.YankedReason))
		}
		if f.metaSHA256 != "" {
			fmt.Fprintf(w, ` data-dist-info-metadata="sha256=%s" data-core-metadata="sha256=%s"`, f.metaSHA256, f.metaSHA256)
		}
		fmt.Fprintf(w, ">%s</a><br>\n", html.EscapeString(f.Filename))
	}
	fmt.Fprint(w, "</body></html>\n")
}

func (s *Server) projectJSON(w http.ResponseWriter, name string, files []file) {
	type jfile struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python,omitempty"`
		CoreMetadata   any               `json:"core-metadata,omitempty"`
		Yanked         any               `json:"yanked"`
		Size           int               `json:"size"`
		UploadTime     string            `json:"upload-time,omitempty"`
	}
	doc := struct {
		Meta     map[string]string `json:"meta"`
		Name     string            `json:"name"`
		Versions []string          `json:"versions"`
		Files    []jfile           `json:"files"`
	}{Meta: map[string]string{"api-version": "1.1"}, Name: Normalize(name), Versions: []string{}, Files: []jfile{}}
	for _, f := range files {
		jf := jfile{
			Filename:       f.Filename,
			URL:            s.FileURL(f.Filename),
			Hashes:         map[string]string{"sha256": f.sha256},
			RequiresPython: f.RequiresPython,
			Yanked:         false,
			Size:           len(f.Dist.Data),
		}
		if f.Yanked {
			jf.Yanked = true
			if f.YankedReason != "" {
				jf.Yanked = f.YankedReason
			}
		}
		if f.metaSHA256 != "" {
			jf.CoreMetadata = map[string]string{"sha256": f.metaSHA256}
		}
		if !f.NoUploadTime {
			t := f.UploadTime
			if t.IsZero() {
				t = DefaultUploadTime
			}
			jf.UploadTime = t.UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		doc.Files = append(doc.Files, jf)
		if v := versionOf(name, f.Filename); v != "" && !slices.Contains(doc.Versions, v) {
			doc.Versions = append(doc.Versions, v)
		}
	}
	w.Header().Set("Content-Type", jsonType)
	json.NewEncoder(w).Encode(doc)
}

// versionOf returns the version in a wheel or sdist file name of project.
func versionOf(project, filename string) string {
	stem := filename
	for _, ext := range []string{".whl", ".tar.gz", ".zip"} {
		stem = strings.TrimSuffix(stem, ext)
	}
	prefix := escape(project) + "-"
	if !strings.HasPrefix(strings.ToLower(stem), prefix) {
		return ""
	}
	v, _, _ := strings.Cut(stem[len(prefix):], "-")
	return v
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	meta := false
	s.mu.Lock()
	f := s.files[name]
	if f == nil {
		if base, ok := strings.CutSuffix(name, ".metadata"); ok {
			f = s.files[base]
			meta = true
		}
	}
	var data []byte
	if f != nil {
		data = f.data
		if meta {
			data = f.Metadata
		}
	}
	s.mu.Unlock()
	if f == nil || data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, name, time.Time{}, strings.NewReader(string(data)))
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
