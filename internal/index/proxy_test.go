package index

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testpypi"
)

const jsonAccept = "application/vnd.pypi.simple.v1+json"

type jsonPage struct {
	Meta     map[string]string `json:"meta"`
	Name     string            `json:"name"`
	Versions []string          `json:"versions"`
	Files    []struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python"`
		Yanked         any               `json:"yanked"`
		CoreMetadata   any               `json:"core-metadata"`
		UploadTime     string            `json:"upload-time"`
	} `json:"files"`
	Airlock *extension `json:"_airlock"`
}

func getJSON(t *testing.T, url string) jsonPage {
	t.Helper()
	resp, body := fetch(t, "GET", url, "Accept", jsonAccept)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != jsonAccept {
		t.Fatalf("GET %s: %s %s\n%s", url, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var p jsonPage
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p jsonPage) filenames() string {
	var names []string
	for _, f := range p.Files {
		names = append(names, f.Filename)
	}
	return strings.Join(names, " ")
}

func (p jsonPage) hidden() map[string]string {
	m := map[string]string{}
	if p.Airlock != nil {
		for _, h := range p.Airlock.Hidden {
			m[h.Filename] = h.Rule
		}
	}
	return m
}

func TestRouting(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(testpypi.Wheel{Name: "foo-bar", Version: "1.0"})
	tests := []struct {
		method, path string
		code         int
		location     string
	}{
		{"GET", "/", 301, "/simple/"},
		{"GET", "/simple", 301, "/simple/"},
		{"GET", "/simple/Foo_Bar/", 301, "/simple/foo-bar/"},
		{"GET", "/simple/foo.bar", 301, "/simple/foo-bar/"},
		{"GET", "/simple/foo-bar?format=text/html", 301, "/simple/foo-bar/?format=text/html"},
		{"GET", "/simple/foo-bar/", 200, ""},
		{"HEAD", "/simple/foo-bar/", 200, ""},
		{"GET", "/simple/no-such-project/", 404, ""},
		{"GET", "/simple/-bad-/", 404, ""},
		{"GET", "/simple/foo-bar/x/y", 404, ""},
		{"GET", "/simple/Foo-Bar/" + strings.Repeat("a", 64) + "/foo_bar-1.0-py3-none-any.whl", 404, ""},
		{"GET", "/other", 404, ""},
		{"POST", "/simple/foo-bar/", 405, ""},
	}
	for _, tt := range tests {
		resp, _ := fetch(t, tt.method, fx.proxy.URL+tt.path)
		if resp.StatusCode != tt.code || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.code, tt.location)
		}
	}
}

func TestContentNegotiation(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	w := testpypi.Wheel{Name: "foo", Version: "1.0", RequiresPython: ">=3.8"}
	fx.up.AddWheels(w)
	sum := fx.up.SHA256(w.Filename())
	tests := []struct {
		accept, query, wantType string
		wantBody                string
	}{
		{jsonAccept, "", jsonAccept, `"url":"` + sum + `/foo-1.0-py3-none-any.whl"`},
		{"text/html", "", "text/html; charset=utf-8", `<a href="` + sum + `/foo-1.0-py3-none-any.whl#sha256=` + sum + `" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=`},
		{"application/vnd.pypi.simple.v1+html", "", "application/vnd.pypi.simple.v1+html", `data-core-metadata="sha256=`},
		{"", "", "text/html; charset=utf-8", "<h1>Links for foo</h1>"},
		{"text/html", "?format=" + jsonAccept, jsonAccept, `"api-version":"1.1"`},
		{"image/png", "", "text/plain; charset=utf-8", "acceptable types"},
	}
	for _, tt := range tests {
		resp, body := fetch(t, "GET", fx.URL()+"foo/"+tt.query, "Accept", tt.accept)
		if ct := resp.Header.Get("Content-Type"); ct != tt.wantType || !strings.Contains(body, tt.wantBody) {
			t.Errorf("Accept %q%s: %s %q\n%s", tt.accept, tt.query, resp.Status, ct, body)
		}
		if resp.StatusCode == 200 && resp.Header.Get("Vary") != "Accept" {
			t.Errorf("Accept %q: no Vary: Accept", tt.accept)
		}
	}
	if resp, _ := fetch(t, "GET", fx.URL()+"foo/", "Accept", "image/png"); resp.StatusCode != http.StatusNotAcceptable {
		t.Errorf("unacceptable type: %s", resp.Status)
	}
	// The root lists the projects seen so far.
	if _, body := fetch(t, "GET", fx.URL(), "Accept", jsonAccept); !strings.Contains(body, `{"name":"foo"}`) {
		t.Errorf("root index: %s", body)
	}
	if _, body := fetch(t, "GET", fx.URL()); !strings.Contains(body, `<a href="foo/">foo</a>`) {
		t.Errorf("root index: %s", body)
	}
}

func TestBuiltinFilters(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-30 * 24 * time.Hour)
	dist := func(d testpypi.Dist, up time.Time) testpypi.Dist { d.UploadTime = up; return d }
	yanked := dist(testpypi.Wheel{Name: "foo", Version: "0.9"}.Dist(), old)
	yanked.Yanked, yanked.YankedReason = true, "broken"
	noTime := testpypi.Wheel{Name: "foo", Version: "0.8"}.Dist()
	noTime.NoUploadTime = true
	foreign := testpypi.Wheel{Name: "other", Version: "1.0"}.Dist()
	dists := []testpypi.Dist{
		dist(testpypi.Wheel{Name: "foo", Version: "1.0"}.Dist(), old),
		dist(testpypi.Sdist{Name: "foo", Version: "1.0"}.Dist(), old),
		yanked,
		dist(testpypi.Wheel{Name: "foo", Version: "2.0rc1"}.Dist(), old),
		dist(testpypi.Wheel{Name: "foo", Version: "1.1"}.Dist(), now.Add(-time.Hour)),
		noTime,
		dist(foreign, old),
	}
	tests := []struct {
		name    string
		filters Filters
		want    string            // files on the page
		hidden  map[string]string // file -> rule
	}{
		{"defaults", Filters{},
			"foo-0.8-py3-none-any.whl foo-1.0-py3-none-any.whl foo-1.1-py3-none-any.whl foo-2.0rc1-py3-none-any.whl",
			map[string]string{"foo-1.0.tar.gz": "sdist", "foo-0.9-py3-none-any.whl": "yanked", "other-1.0-py3-none-any.whl": "file-name"}},
		{"strict", Filters{HidePrereleases: true, Cooldown: 24 * time.Hour},
			"foo-1.0-py3-none-any.whl",
			map[string]string{"foo-1.0.tar.gz": "sdist", "foo-0.9-py3-none-any.whl": "yanked", "other-1.0-py3-none-any.whl": "file-name",
				"foo-2.0rc1-py3-none-any.whl": "prerelease", "foo-1.1-py3-none-any.whl": "cooldown", "foo-0.8-py3-none-any.whl": "cooldown"}},
		{"permissive", Filters{AllowSdists: true, AllowYanked: true},
			"foo-0.8-py3-none-any.whl foo-0.9-py3-none-any.whl foo-1.0-py3-none-any.whl foo-1.0.tar.gz foo-1.1-py3-none-any.whl foo-2.0rc1-py3-none-any.whl",
			map[string]string{"other-1.0-py3-none-any.whl": "file-name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.filters
			f.Now = func() time.Time { return now }
			fx := newFixture(t, fixtureOpts{judge: f.Wrap(AllowAll)})
			fx.up.Add(testpypi.Project{Name: "foo", Dists: dists})
			p := getJSON(t, fx.URL()+"foo/")
			if got := p.filenames(); got != tt.want {
				t.Errorf("files:\n got %s\nwant %s", got, tt.want)
			}
			if got := p.hidden(); len(got) != len(tt.hidden) {
				t.Errorf("hidden = %v, want %v", got, tt.hidden)
			} else {
				for k, v := range tt.hidden {
					if got[k] != v {
						t.Errorf("hidden[%s] = %q, want %q", k, got[k], v)
					}
				}
			}
			for _, file := range p.Files {
				if file.Filename == "foo-0.9-py3-none-any.whl" && file.Yanked != "broken" {
					t.Errorf("an allowed yanked file lost its flag: %v", file.Yanked)
				}
			}
			// Every hidden file is refused when asked for directly.
			for name, rule := range tt.hidden {
				resp, body := fetch(t, "GET", fx.URL()+"foo/"+fx.up.SHA256(name)+"/"+name)
				if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Status, "403 airlock: ") {
					t.Errorf("GET hidden %s (%s): %s\n%s", name, rule, resp.Status, body)
				}
			}
		})
	}
}

func TestDeniedProject(t *testing.T) {
	judge := tableJudge{projects: map[string]string{"evil": "evil is denied:\r\nknown bad\x00 — malware"}}
	fx := newFixture(t, fixtureOpts{judge: Filters{}.Wrap(judge)})
	fx.up.Add(testpypi.Project{Name: "evil", Dists: []testpypi.Dist{
		testpypi.Wheel{Name: "evil", Version: "1.0", RequiresPython: ">=99"}.Dist(),
		testpypi.Sdist{Name: "evil", Version: "1.0"}.Dist(),
	}})
	p := getJSON(t, fx.URL()+"evil/")
	if p.Airlock == nil || p.Airlock.Project == nil || p.Airlock.Project.Decision != "deny" || p.Airlock.Project.Reason != "evil is denied:\r\nknown bad\x00 — malware" {
		t.Fatalf("_airlock = %+v", p.Airlock)
	}
	// Every file is listed, choosable whatever the Python, so pip downloads
	// one and shows the reason.
	if got := p.filenames(); got != "evil-1.0-py3-none-any.whl evil-1.0.tar.gz" {
		t.Errorf("files: %s", got)
	}
	for _, f := range p.Files {
		if f.RequiresPython != "" || f.CoreMetadata != nil {
			t.Errorf("%s keeps requires-python %q / metadata %v", f.Filename, f.RequiresPython, f.CoreMetadata)
		}
		resp, body := fetch(t, "GET", fx.URL()+"evil/"+f.URL)
		if resp.Status != "403 airlock: evil is denied: known bad ? malware" {
			t.Errorf("GET %s: status %q", f.Filename, resp.Status)
		}
		if body != "airlock: evil is denied:\r\nknown bad\x00 — malware\n" || !resp.Close {
			t.Errorf("GET %s: body %q", f.Filename, body)
		}
		if resp, body := fetch(t, "HEAD", fx.URL()+"evil/"+f.URL); resp.StatusCode != 403 || body != "" {
			t.Errorf("HEAD %s: %s %q", f.Filename, resp.Status, body)
		}
	}
	if _, body := fetch(t, "GET", fx.URL()+"evil/", "Accept", "text/html"); !strings.Contains(body, "evil-1.0.tar.gz</a>") || strings.Contains(body, "data-requires-python") {
		t.Errorf("HTML page of a denied project:\n%s", body)
	}
}

// switchJudge allows everything until deny is set.
type switchJudge struct{ deny atomic.Bool }

func (j *switchJudge) Project(string) Verdict { return Allowed }
func (j *switchJudge) File(f File) Verdict {
	if j.deny.Load() {
		return Deny("vulnerable", f.Project+" "+f.Version+" is now known to be vulnerable")
	}
	return Allowed
}

func TestFileRequestDecidedAgain(t *testing.T) {
	j := &switchJudge{}
	fx := newFixture(t, fixtureOpts{judge: j})
	w := testpypi.Wheel{Name: "lib", Version: "1.0"}
	fx.up.AddWheels(w)
	p := getJSON(t, fx.URL()+"lib/")
	if len(p.Files) != 1 {
		t.Fatalf("page: %+v", p)
	}
	url := fx.URL() + "lib/" + p.Files[0].URL
	data, _ := w.Build()
	if resp, body := fetch(t, "GET", url); resp.StatusCode != 200 || body != string(data) {
		t.Fatalf("GET allowed file: %s", resp.Status)
	}
	j.deny.Store(true) // the decision changes after the page was read (and the file cached)
	resp, _ := fetch(t, "GET", url)
	if resp.Status != "403 airlock: lib 1.0 is now known to be vulnerable" {
		t.Errorf("GET after the decision changed: %q", resp.Status)
	}
	// The rendered page is reused for DefaultRenderTTL, then judged again.
	if p := getJSON(t, fx.URL()+"lib/"); len(p.Files) != 1 {
		t.Errorf("within the render TTL: %s", p.filenames())
	}
	fx.clock.Advance(DefaultRenderTTL)
	if p := getJSON(t, fx.URL()+"lib/"); len(p.Files) != 0 || p.hidden()["lib-1.0-py3-none-any.whl"] != "vulnerable" {
		t.Errorf("after the render TTL: %s %v", p.filenames(), p.hidden())
	}
}

func TestFileServing(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	w := testpypi.Wheel{Name: "lib", Version: "1.0", Deps: []string{"dep"}}
	fx.up.AddWheels(w)
	data, name := w.Build()
	sum := fx.up.SHA256(name)
	url := fx.URL() + "lib/" + sum + "/" + name
	resp, body := fetch(t, "GET", url, "Range", "bytes=0-9")
	if resp.StatusCode != http.StatusPartialContent || body != string(data[:10]) {
		t.Errorf("range request: %s %q", resp.Status, body)
	}
	resp, body = fetch(t, "HEAD", url)
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) || body != "" {
		t.Errorf("HEAD: %s %d", resp.Status, resp.ContentLength)
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := fetch(t, "GET", url, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %s", etag, resp.Status)
	}
	// PEP 658 metadata file, verified and cached like a file.
	if resp, body := fetch(t, "GET", url+".metadata"); resp.StatusCode != 200 || body != string(w.Metadata()) {
		t.Errorf("metadata: %s %q", resp.Status, body)
	}
	// A hash the upstream no longer publishes, and a file it never had.
	if resp, body := fetch(t, "GET", fx.URL()+"lib/"+strings.Repeat("0", 64)+"/"+name); resp.StatusCode != 404 || !strings.Contains(body, "no longer published") {
		t.Errorf("stale hash: %s %s", resp.Status, body)
	}
	if resp, _ := fetch(t, "GET", fx.URL()+"lib/"+sum+"/lib-9.0-py3-none-any.whl"); resp.StatusCode != 404 {
		t.Errorf("unknown file: %s", resp.Status)
	}
	if n := fx.up.FileRequests(name); n != 1 {
		t.Errorf("upstream file requests = %d, want 1", n)
	}
}

func TestPageCacheTTL(t *testing.T) {
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(testpypi.Wheel{Name: "lib", Version: "1.0"})
	getJSON(t, fx.URL()+"lib/")
	getJSON(t, fx.URL()+"lib/")
	fetch(t, "GET", fx.URL()+"missing/")
	fetch(t, "GET", fx.URL()+"missing/")
	if n, m := fx.up.Requests("/simple/lib/"), fx.up.Requests("/simple/missing/"); n != 1 || m != 1 {
		t.Errorf("within the TTL: %d and %d upstream page requests, want 1 and 1", n, m)
	}
	fx.up.AddWheels(testpypi.Wheel{Name: "lib", Version: "1.1"})
	fx.clock.Advance(DefaultPageTTL + time.Second)
	if p := getJSON(t, fx.URL()+"lib/"); len(p.Files) != 2 {
		t.Errorf("after the TTL the new release is missing: %s", p.filenames())
	}
	// Expired, and the upstream is down: fail closed, do not serve stale.
	fx.clock.Advance(DefaultPageTTL + time.Second)
	fx.up.SetFailure(testpypi.InternalError)
	if resp, _ := fetch(t, "GET", fx.URL()+"lib/"); resp.Status != "502 airlock: upstream index answered HTTP 500 (failing closed)" {
		t.Errorf("expired page, upstream down: %q", resp.Status)
	}
}

func TestUpstreamFailures(t *testing.T) {
	tests := []struct {
		failure testpypi.Failure
		status  string
	}{
		{testpypi.Unavailable, "502 airlock: upstream index answered HTTP 503 (failing closed)"},
		{testpypi.Reset, "502 airlock: upstream index unreachable (failing closed)"},
		{testpypi.Hang, "504 airlock: upstream index timed out (failing closed)"},
	}
	for _, tt := range tests {
		fx := newFixture(t, fixtureOpts{client: ClientOptions{PageTimeout: 300 * time.Millisecond}})
		fx.up.AddWheels(testpypi.Wheel{Name: "lib", Version: "1.0"})
		fx.up.SetFailure(tt.failure)
		resp, body := fetch(t, "GET", fx.URL()+"lib/")
		if resp.Status != tt.status || !strings.Contains(body, "failing closed") || strings.Contains(body, "127.0.0.1") {
			t.Errorf("failure %d: %q %q", tt.failure, resp.Status, body)
		}
	}
	// The upstream going away entirely.
	fx := newFixture(t, fixtureOpts{})
	fx.up.Close()
	if resp, _ := fetch(t, "GET", fx.URL()+"lib/"); resp.Status != "502 airlock: upstream index unreachable (failing closed)" {
		t.Errorf("closed upstream: %q", resp.Status)
	}
}

func TestInternalNamesUseTheirOwnIndex(t *testing.T) {
	internal := testpypi.New(t)
	internal.AddWheels(testpypi.Wheel{Name: "corp-lib", Version: "1.0"})
	ic, err := NewClient(internal.URL(), ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t, fixtureOpts{internal: map[string]*Client{"corp-lib": ic}})
	// A dependency-confusion attempt: a higher version under the same
	// name on the public index.
	fx.up.AddWheels(testpypi.Wheel{Name: "corp-lib", Version: "99.0"}, testpypi.Wheel{Name: "public", Version: "1.0"})
	if got := getJSON(t, fx.URL()+"corp-lib/").filenames(); got != "corp_lib-1.0-py3-none-any.whl" {
		t.Errorf("corp-lib: %s", got)
	}
	if got := getJSON(t, fx.URL()+"public/").filenames(); got != "public-1.0-py3-none-any.whl" {
		t.Errorf("public: %s", got)
	}
	if n := fx.up.Requests("/simple/corp-lib/"); n != 0 {
		t.Errorf("the public index was asked for an internal name %d times", n)
	}
}

// TestCachedPageFromAnotherUpstreamIgnored: the page cache on disk is
// shared (airlock install and airlock proxy use the same directory), and a
// page fetched from the public index must not be served for a name that
// is now mapped to an internal index: that would be dependency confusion
// through the cache.
func TestCachedPageFromAnotherUpstreamIgnored(t *testing.T) {
	public := testpypi.New(t)
	public.AddWheels(testpypi.Wheel{Name: "corp-lib", Version: "99.0"})
	dir := t.TempDir()
	first := newFixture(t, fixtureOpts{up: public, cacheDir: dir})
	if got := getJSON(t, first.URL()+"corp-lib/").filenames(); got != "corp_lib-99.0-py3-none-any.whl" {
		t.Fatalf("public corp-lib: %s", got)
	}
	first.cache.Close()

	internal := testpypi.New(t)
	internal.AddWheels(testpypi.Wheel{Name: "corp-lib", Version: "1.0"})
	ic, err := NewClient(internal.URL(), ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second := newFixture(t, fixtureOpts{up: public, cacheDir: dir, internal: map[string]*Client{"corp-lib": ic}})
	if got := getJSON(t, second.URL()+"corp-lib/").filenames(); got != "corp_lib-1.0-py3-none-any.whl" {
		t.Errorf("corp-lib mapped to the internal index: %s", got)
	}
	if n := internal.Requests("/simple/corp-lib/"); n != 1 {
		t.Errorf("the internal index was asked %d times, want 1", n)
	}
}

func TestRedirectToAnotherHostRefused(t *testing.T) {
	other := testpypi.New(t)
	other.AddWheels(testpypi.Wheel{Name: "lib", Version: "6.6.6"})
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.BaseURL()+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()
	c, err := NewClient(redirector.URL+"/simple/", ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Project(t.Context(), "lib")
	var ue *UpstreamError
	if !errors.As(err, &ue) || ue.Public() != "upstream index redirected to another host" {
		t.Errorf("Project through a cross-host redirect: %v", err)
	}
	if n := other.Requests("/simple/lib/"); n != 0 {
		t.Errorf("the other host was contacted %d times", n)
	}
	for _, bad := range []string{"ftp://x/simple/", "http://user:pw@x/simple/", "not a url", "/relative"} {
		if _, err := NewClient(bad, ClientOptions{}); err == nil {
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
}

func TestReasonPhrase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain reason", "plain reason"},
		{"  two\r\nlines\n\n", "two lines"},
		{"tab\tand\x00nul\x7fdel", "tab and nul del"},
		{"ünïcode – dash", "?n?code ? dash"},
		{"line\u2028sep", "line sep"},
		{"HTTP/1.1 200 OK\r\nSet-Cookie: x", "HTTP/1.1 200 OK Set-Cookie: x"},
		{"", ""},
		{strings.Repeat("x", 1000), strings.Repeat("x", MaxReasonPhrase-3) + "..."},
	}
	for _, tt := range tests {
		if got := ReasonPhrase(tt.in); got != tt.want {
			t.Errorf("ReasonPhrase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzReasonPhrase(f *testing.F) {
	f.Add("a\r\nb")
	f.Add("ü\x00\t")
	f.Fuzz(func(t *testing.T, s string) {
		got := ReasonPhrase(s)
		if len(got) > MaxReasonPhrase {
			t.Errorf("too long: %d", len(got))
		}
		for i := range len(got) {
			if c := got[i]; c < 0x20 || c > 0x7e {
				t.Fatalf("ReasonPhrase(%q) = %q has byte %#x", s, got, c)
			}
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") {
			t.Errorf("ReasonPhrase(%q) = %q has outer spaces", s, got)
		}
	})
}
