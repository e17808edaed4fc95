package simple

import (
	"bytes"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFilename(t *testing.T) {
	tests := []struct {
		project, filename string
		version           string
		kind              Kind
	}{
		{"foo", "foo-1.0-py3-none-any.whl", "1.0", Wheel},
		{"Foo.Bar", "foo_bar-2.0.post1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "2.0.post1", Wheel},
		{"foo-bar", "Foo.Bar-1.0rc1-py2.py3-none-any.whl", "1.0rc1", Wheel},
		{"foo", "foo-1.0.tar.gz", "1.0", Sdist},
		{"foo-bar", "foo-bar-1.0.dev3.zip", "1.0.dev3", Sdist},
		{"foo-bar", "foo_bar-1!2.0+local.1.tar.bz2", "1!2.0+local.1", Sdist},
		{"foo", "FOO-3.tgz", "3", Sdist},
		{"foo", "foo-1.0-py3-none-any.WHL", "1.0", Wheel},
		// The version is read from the name as written: lower-casing may
		// change a name's length in bytes (KELVIN SIGN, 3 bytes, is "k"),
		// and pip reads this file as k1 999, not as k1 1.post9.
		{"k1", "\u212a1-999-py3-none-any.whl", "999", Wheel},
		{"k1", "\u212a1-999.tar.gz", "999", Sdist},
		{"k1", "\u212a\u212a\u212a1-1.0-py3-none-any.whl", "", Unknown},
		// Errors.
		{"foo", "foobar-1.0-py3-none-any.whl", "", Unknown},
		{"foo", "foo-1.0.whl", "", Unknown},
		{"foo", "foo-1.0-py2.7.egg", "", Unknown},
		{"foo", "foo-1.0.win32.exe", "", Unknown},
		{"foo", "foo-bar-1.0.tar.gz", "", Unknown},
		{"foo", "foo-.tar.gz", "", Unknown},
		{"foo", "foo-not-a-version.tar.gz", "", Unknown},
		{"foo", "../foo-1.0.tar.gz", "", Unknown},
		{"foo", "foo-1.0;rm.tar.gz", "", Unknown},
	}
	for _, tt := range tests {
		v, k, err := ParseFilename(tt.project, tt.filename)
		if v != tt.version || k != tt.kind {
			t.Errorf("ParseFilename(%q, %q) = %q, %v, %v; want %q, %v", tt.project, tt.filename, v, k, err, tt.version, tt.kind)
		}
		if (err != nil) != (tt.kind == Unknown) || (err != nil && !errors.Is(err, ErrFilename)) {
			t.Errorf("ParseFilename(%q, %q) error = %v", tt.project, tt.filename, err)
		}
	}
}

func TestIsPrerelease(t *testing.T) {
	tests := map[string]bool{
		"1.0": false, "1.0.post1": false, "1.0-1": false, "2!1.0+abc": false, "v1.0": false,
		"1.0a1": true, "1.0.alpha1": true, "1.0b2": true, "1.0rc1": true, "1.0c1": true, "1.0-preview": true,
		"1.0.dev0": true, "1.0.post1.dev2": true, "1.0RC1": true, "not-a-version": false,
	}
	for v, want := range tests {
		if got := IsPrerelease(v); got != want {
			t.Errorf("IsPrerelease(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	pip := "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
	tests := []struct {
		accept, format, want string
		ok                   bool
	}{
		{pip, "", JSONType, true},
		{"", "", LegacyHTMLType, true},
		{"*/*", "", LegacyHTMLType, true},
		{"text/html", "", LegacyHTMLType, true},
		{"application/vnd.pypi.simple.v1+html", "", HTMLType, true},
		{"application/vnd.pypi.simple.latest+json", "", JSONType, true},
		{"application/*", "", HTMLType, true}, // equal weights: HTML before JSON
		{"application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.6", "", LegacyHTMLType, true},
		{"application/vnd.pypi.simple.v1+json, */*;q=0", "", JSONType, true},
		{"text/html;q=0, application/vnd.pypi.simple.v1+json;q=0", "", "", false},
		{"application/json", "", "", false},
		{"image/png", "", "", false},
		{"text/*;q=0.3, application/vnd.pypi.simple.v1+json;q=0.2", "", LegacyHTMLType, true},
		{"text/html;q=bad", "", "", false},
		{pip, "text/html", LegacyHTMLType, true},
		{"text/html", JSONType, JSONType, true},
		{"", "application/xml", "", false},
	}
	for _, tt := range tests {
		got, ok := Negotiate(tt.accept, tt.format)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Negotiate(%q, %q) = %q, %v; want %q, %v", tt.accept, tt.format, got, ok, tt.want, tt.ok)
		}
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestParseHTML(t *testing.T) {
	const page = `<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for foo</title></head>
<body>
<!-- <a href="commented.whl">commented-1.0.whl</a> -->
<h1>Links for foo</h1>
<a href="../../packages/foo-1.0-py3-none-any.whl#sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb">foo-1.0-py3-none-any.whl</a><br/>
<A HREF='https://files.example/foo-0.9.tar.gz#md5=cccccccccccccccccccccccccccccccc' data-yanked="bad &amp; broken">foo-0.9.tar.gz</A>
<a href="https://files.example/foo-0.8.tar.gz#sha256=short" data-yanked data-core-metadata="true"></a>
<a href="javascript:alert(1)">foo-0.7.tar.gz</a>
<a href="https://user:pw@files.example/foo-0.6.tar.gz">foo-0.6.tar.gz</a>
<a>no href</a>
<a href=/abs/foo-0.5.whl>foo-0.5-py3-none-any.whl</a>
</body></html>`
	p, err := ParseHTML([]byte(page), mustURL("https://idx.example/simple/foo/"), "foo")
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{Filename: "foo-1.0-py3-none-any.whl", URL: "https://idx.example/packages/foo-1.0-py3-none-any.whl",
			Hashes: map[string]string{"sha256": strings.Repeat("a", 64)}, RequiresPython: ">=3.8",
			Metadata: &Metadata{Hashes: map[string]string{"sha256": strings.Repeat("b", 64)}}, Size: -1},
		{Filename: "foo-0.9.tar.gz", URL: "https://files.example/foo-0.9.tar.gz", Hashes: map[string]string{"md5": strings.Repeat("c", 32)},
			Yanked: true, YankedReason: "bad & broken", Size: -1},
		{Filename: "foo-0.8.tar.gz", URL: "https://files.example/foo-0.8.tar.gz", Yanked: true, Metadata: &Metadata{}, Size: -1},
		{Filename: "foo-0.5-py3-none-any.whl", URL: "https://idx.example/abs/foo-0.5.whl", Size: -1},
	}
	if !reflect.DeepEqual(p.Files, want) {
		t.Errorf("ParseHTML files:\n got %+v\nwant %+v", p.Files, want)
	}
	if _, err := ParseHTML([]byte(`<meta name="pypi:repository-version" content="2.0">`), nil, "x"); !errors.Is(err, ErrAPIVersion) {
		t.Errorf("api-version 2.0: err = %v", err)
	}
}

func TestParseJSON(t *testing.T) {
	page := `{"meta":{"api-version":"1.1","_last-serial":3},"name":"foo","versions":["1.0","0.9"],"files":[
{"filename":"foo-1.0-py3-none-any.whl","url":"https://files.example/foo-1.0-py3-none-any.whl","hashes":{"sha256":"` + "AA" + `` + strings.Repeat("a", 62) + `","bogus":"x"},
 "requires-python":">=3.8","core-metadata":{"sha256":"` + strings.Repeat("b", 64) + `"},"yanked":false,"size":123,"upload-time":"2025-01-02T03:04:05.123456Z"},
{"filename":"foo-0.9.tar.gz","url":"/rel/foo-0.9.tar.gz","hashes":{},"dist-info-metadata":true,"yanked":"broken"},
{"filename":"foo-0.8.tar.gz","url":"ftp://x/foo-0.8.tar.gz","hashes":{}},
{"filename":"../etc/passwd","url":"https://x/y","hashes":{}},
{"filename":"foo-0.7.tar.gz","url":"https://x/foo-0.7.tar.gz","hashes":{},"yanked":true,"size":-5}
]}`
	p, err := ParseJSON([]byte(page), mustURL("https://idx.example/simple/foo/"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{Name: "foo", Versions: []string{"1.0", "0.9"}, Files: []File{
		{Filename: "foo-1.0-py3-none-any.whl", URL: "https://files.example/foo-1.0-py3-none-any.whl",
			Hashes: map[string]string{"sha256": strings.Repeat("a", 64)}, RequiresPython: ">=3.8",
			Metadata: &Metadata{Hashes: map[string]string{"sha256": strings.Repeat("b", 64)}}, Size: 123,
			UploadTime: time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)},
		{Filename: "foo-0.9.tar.gz", URL: "https://idx.example/rel/foo-0.9.tar.gz", Metadata: &Metadata{}, Yanked: true, YankedReason: "broken", Size: -1},
		{Filename: "foo-0.7.tar.gz", URL: "https://x/foo-0.7.tar.gz", Yanked: true, Size: -1},
	}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("ParseJSON:\n got %+v\nwant %+v", p, want)
	}
	for _, bad := range []string{`{"meta":{"api-version":"2.0"},"files":[]}`, `not json`, `{"files":{}}`} {
		if _, err := ParseJSON([]byte(bad), nil); err == nil {
			t.Errorf("ParseJSON(%q) succeeded", bad)
		}
	}
}

// TestRoundTrip writes pages and reads them back.
func TestRoundTrip(t *testing.T) {
	base := mustURL("https://proxy.example/simple/foo/")
	page := &Page{Name: "foo", Versions: []string{"1.0"}, Files: []File{
		{Filename: "foo-1.0-py3-none-any.whl", URL: "https://proxy.example/simple/foo/x/foo-1.0-py3-none-any.whl",
			Hashes: map[string]string{"sha256": strings.Repeat("1", 64)}, RequiresPython: "<4,>=3.8",
			Metadata: &Metadata{Hashes: map[string]string{"sha256": strings.Repeat("2", 64)}}, Size: 10,
			UploadTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Yanked: true, YankedReason: `a "quoted" <reason>`},
	}}
	var j, h bytes.Buffer
	if err := WriteJSON(&j, page); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&h, page); err != nil {
		t.Fatal(err)
	}
	pj, err := ParseJSON(j.Bytes(), base)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pj.Files, page.Files) {
		t.Errorf("JSON round trip:\n got %+v\nwant %+v", pj.Files, page.Files)
	}
	if strings.Contains(j.String(), "dist-info-metadata") {
		t.Error("JSON pages must not carry dist-info-metadata (pip 23.0 fails on it)")
	}
	ph, err := ParseHTML(h.Bytes(), base, "foo")
	if err != nil {
		t.Fatal(err)
	}
	wantHTML := page.Files[0]
	wantHTML.Size, wantHTML.UploadTime = -1, time.Time{} // HTML carries neither
	if !reflect.DeepEqual(ph.Files, []File{wantHTML}) {
		t.Errorf("HTML round trip:\n got %+v\nwant %+v", ph.Files, []File{wantHTML})
	}
}

func FuzzParseHTML(f *testing.F) {
	f.Add([]byte(`<a href="x-1.0.tar.gz#sha256=00" data-yanked>x-1.0.tar.gz</a>`))
	f.Add([]byte(`<!-- <a href=x> --><base href="../"><A HREF=y data-core-metadata=true>`))
	f.Add([]byte(`<a href='z' <a`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseHTML(data, mustURL("https://idx.example/simple/x/"), "x")
		if err != nil {
			return
		}
		for _, file := range p.Files {
			if !usableFilename(file.Filename) || !strings.HasPrefix(file.URL, "http") {
				t.Errorf("bad file %+v", file)
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"meta":{"api-version":"1.1"},"name":"x","files":[{"filename":"x-1.tar.gz","url":"x-1.tar.gz","hashes":{"sha256":"00"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseJSON(data, mustURL("https://idx.example/simple/x/"))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, &Page{Name: "x", Files: p.Files}); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseJSON(buf.Bytes(), nil); err != nil {
			t.Errorf("written page does not parse: %v", err)
		}
	})
}
