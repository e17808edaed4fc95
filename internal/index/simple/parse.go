package simple

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/url"
	"strings"
	"time"
)

// ErrPageTooLarge is returned for a page over [MaxPageSize] bytes or
// [MaxFiles] files.
var ErrPageTooLarge = errors.New("project page too large")

// ErrAPIVersion is returned for a page whose major api-version is not 1.
var ErrAPIVersion = errors.New("unsupported Simple API version")

// Parse reads a project page of the given content type (the response's
// Content-Type header): PEP 691 JSON for [JSONType], PEP 503 HTML for
// [HTMLType], text/html or an empty type. pageURL resolves relative links;
// name is the project asked for, used when the page does not name it.
func Parse(contentType string, data []byte, pageURL *url.URL, name string) (*Project, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case JSONType, latestJSON:
		return ParseJSON(data, pageURL)
	case HTMLType, latestHTML, LegacyHTMLType, "":
		return ParseHTML(data, pageURL, name)
	}
	return nil, fmt.Errorf("unexpected content type %q", contentType)
}

// ParseJSON reads a PEP 691 project page. Files without a file name or a
// usable URL are skipped; unknown keys are ignored.
func ParseJSON(data []byte, pageURL *url.URL) (*Project, error) {
	if len(data) > MaxPageSize {
		return nil, ErrPageTooLarge
	}
	var doc struct {
		Meta struct {
			APIVersion string `json:"api-version"`
		} `json:"meta"`
		Name     string            `json:"name"`
		Versions []string          `json:"versions"`
		Files    []json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("project page: %w", err)
	}
	if err := checkAPIVersion(doc.Meta.APIVersion); err != nil {
		return nil, err
	}
	if len(doc.Files) > MaxFiles {
		return nil, ErrPageTooLarge
	}
	p := &Project{Name: doc.Name, Versions: doc.Versions}
	for _, raw := range doc.Files {
		var jf struct {
			Filename       string          `json:"filename"`
			URL            string          `json:"url"`
			Hashes         map[string]any  `json:"hashes"`
			RequiresPython any             `json:"requires-python"`
			CoreMetadata   json.RawMessage `json:"core-metadata"`
			DistInfo       json.RawMessage `json:"dist-info-metadata"`
			Yanked         any             `json:"yanked"`
			Size           *json.Number    `json:"size"`
			UploadTime     string          `json:"upload-time"`
		}
		if err := json.Unmarshal(raw, &jf); err != nil {
			continue
		}
		f := File{Filename: jf.Filename, Size: -1, Hashes: cleanHashes(jf.Hashes)}
		if !usableFilename(f.Filename) {
			continue
		}
		u, ok := resolve(pageURL, jf.URL)
		if !ok {
			continue
		}
		f.URL = u
		if s, ok := jf.RequiresPython.(string); ok {
			f.RequiresPython = s
		}
		switch y := jf.Yanked.(type) {
		case bool:
			f.Yanked = y
		case string:
			f.Yanked, f.YankedReason = true, y
		}
		md := jf.CoreMetadata
		if len(md) == 0 || string(md) == "null" {
			md = jf.DistInfo
		}
		f.Metadata = jsonMetadata(md)
		if jf.Size != nil {
			if n, err := jf.Size.Int64(); err == nil && n >= 0 {
				f.Size = n
			}
		}
		if jf.UploadTime != "" {
			if t, err := time.Parse(time.RFC3339Nano, jf.UploadTime); err == nil {
				f.UploadTime = t.UTC()
			}
		}
		p.Files = append(p.Files, f)
	}
	return p, nil
}

func checkAPIVersion(v string) error {
	if v == "" {
		return nil // PEP 629: absent means 1.0
	}
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return fmt.Errorf("%w %q", ErrAPIVersion, v)
	}
	return nil
}

// jsonMetadata reads a core-metadata or dist-info-metadata value: true, or
// a dictionary of hashes.
func jsonMetadata(raw json.RawMessage) *Metadata {
	if len(raw) == 0 {
		return nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return &Metadata{}
		}
		return nil
	}
	var h map[string]any
	if json.Unmarshal(raw, &h) == nil && h != nil {
		return &Metadata{Hashes: cleanHashes(h)}
	}
	return nil
}

// cleanHashes keeps the hashes whose names are known and whose values are
// hex of the right length, in lower case.
func cleanHashes(in map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if k, s, ok := cleanHash(k, s); ok {
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var hashLengths = map[string]int{"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
	"blake2b": 128}

func cleanHash(name, value string) (string, string, bool) {
	name, value = strings.ToLower(name), strings.ToLower(value)
	n, known := hashLengths[name]
	if !known || len(value) != n {
		return "", "", false
	}
	if _, err := hex.DecodeString(value); err != nil {
		return "", "", false
	}
	return name, value, true
}

// usableFilename reports whether a file name can be served: no path
// separators, no control characters, not too long.
func usableFilename(name string) bool {
	if name == "" || len(name) > MaxFilenameLength || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"' || r == '<' || r == '>' {
			return false
		}
	}
	return true
}

// resolve returns ref resolved against base, without its fragment, if it is
// an http or https URL without user information.
func resolve(base *url.URL, ref string) (string, bool) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", false
	}
	if base != nil {
		r = base.ResolveReference(r)
	}
	if (r.Scheme != "http" && r.Scheme != "https") || r.Host == "" || r.User != nil {
		return "", false
	}
	r.Fragment, r.RawFragment = "", ""
	return r.String(), true
}

// ParseHTML reads a PEP 503 project page: every <a> element with an href is
// a file, named by its text (or, when empty, by the last path segment of
// its URL); data-requires-python, data-yanked, data-core-metadata and
// data-dist-info-metadata are read, and a "#<hash>=<hex>" fragment gives
// the file's hash. A <base href> changes how relative links resolve, as in
// pip. name names the project (HTML pages do not).
func ParseHTML(data []byte, pageURL *url.URL, name string) (*Project, error) {
	if len(data) > MaxPageSize {
		return nil, ErrPageTooLarge
	}
	p := &Project{Name: name}
	base := pageURL
	for tag := range tags(data) {
		switch tag.name {
		case "base":
			if h, ok := tag.attrs["href"]; ok && base != nil {
				if u, err := url.Parse(h); err == nil {
					base = base.ResolveReference(u)
				}
			}
		case "meta":
			if tag.attrs["name"] == "pypi:repository-version" {
				if err := checkAPIVersion(tag.attrs["content"]); err != nil {
					return nil, err
				}
			}
		case "a":
			href, ok := tag.attrs["href"]
			if !ok {
				continue
			}
			f := File{Size: -1}
			if ru, err := url.Parse(strings.TrimSpace(href)); err == nil {
				if k, v, ok := strings.Cut(ru.Fragment, "="); ok {
					if k, v, ok := cleanHash(k, v); ok {
						f.Hashes = map[string]string{k: v}
					}
				}
				f.Filename = strings.TrimSpace(html.UnescapeString(string(tag.text)))
				if f.Filename == "" {
					seg := ru.Path[strings.LastIndexByte(ru.Path, '/')+1:]
					f.Filename = seg
				}
			}
			if !usableFilename(f.Filename) {
				continue
			}
			u, ok := resolve(base, href)
			if !ok {
				continue
			}
			f.URL = u
			f.RequiresPython = tag.attrs["data-requires-python"]
			if reason, ok := tag.attrs["data-yanked"]; ok {
				f.Yanked, f.YankedReason = true, reason
			}
			md, ok := tag.attrs["data-core-metadata"]
			if !ok {
				md, ok = tag.attrs["data-dist-info-metadata"]
			}
			if ok {
				f.Metadata = htmlMetadata(md)
			}
			if len(p.Files) == MaxFiles {
				return nil, ErrPageTooLarge
			}
			p.Files = append(p.Files, f)
		}
	}
	return p, nil
}

// htmlMetadata reads a data-core-metadata value: "true" or
// "<hash>=<hex>".
func htmlMetadata(v string) *Metadata {
	if v == "true" || v == "" {
		return &Metadata{}
	}
	if k, h, ok := strings.Cut(v, "="); ok {
		if k, h, ok := cleanHash(k, h); ok {
			return &Metadata{Hashes: map[string]string{k: h}}
		}
	}
	if v == "false" {
		return nil
	}
	return &Metadata{}
}

// tag is a start tag with its attributes (names in lower case, values
// unescaped) and, for <a>, the text up to </a>.
type tag struct {
	name  string
	attrs map[string]string
	text  []byte
}

// tags yields the start tags of an HTML document, skipping comments,
// doctypes and end tags. It never fails: malformed markup ends the scan.
func tags(data []byte) func(func(tag) bool) {
	return func(yield func(tag) bool) {
		i := 0
		for {
			lt := bytes.IndexByte(data[i:], '<')
			if lt < 0 {
				return
			}
			i += lt + 1
			if bytes.HasPrefix(data[i:], []byte("!--")) {
				end := bytes.Index(data[i+3:], []byte("-->"))
				if end < 0 {
					return
				}
				i += 3 + end + 3
				continue
			}
			if i >= len(data) || !isLetter(data[i]) {
				continue // end tags, doctypes, stray '<'
			}
			j := i
			for j < len(data) && isNameByte(data[j]) {
				j++
			}
			t := tag{name: strings.ToLower(string(data[i:j])), attrs: map[string]string{}}
			var ok bool
			j, ok = parseAttrs(data, j, t.attrs)
			if !ok {
				return
			}
			i = j
			if t.name == "a" {
				end := indexEndA(data[i:min(len(data), i+MaxFilenameLength*8)])
				if end >= 0 {
					t.text = stripTags(data[i : i+end])
					i += end
				}
			}
			if !yield(t) {
				return
			}
		}
	}
}

// parseAttrs reads attributes from data[i:] up to the closing '>' and
// returns the index after it.
func parseAttrs(data []byte, i int, attrs map[string]string) (int, bool) {
	for {
		for i < len(data) && (isSpace(data[i]) || data[i] == '/') {
			i++
		}
		if i >= len(data) {
			return i, false
		}
		if data[i] == '>' {
			return i + 1, true
		}
		j := i
		for j < len(data) && !isSpace(data[j]) && data[j] != '=' && data[j] != '>' && data[j] != '/' {
			j++
		}
		if j == i { // a lone '=' or similar: skip it
			i++
			continue
		}
		name := strings.ToLower(string(data[i:j]))
		i = j
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		value := ""
		if i < len(data) && data[i] == '=' {
			i++
			for i < len(data) && isSpace(data[i]) {
				i++
			}
			if i >= len(data) {
				return i, false
			}
			if q := data[i]; q == '"' || q == '\'' {
				end := bytes.IndexByte(data[i+1:], q)
				if end < 0 {
					return i, false
				}
				value = string(data[i+1 : i+1+end])
				i += end + 2
			} else {
				j := i
				for j < len(data) && !isSpace(data[j]) && data[j] != '>' {
					j++
				}
				value = string(data[i:j])
				i = j
			}
		}
		if _, dup := attrs[name]; !dup {
			attrs[name] = html.UnescapeString(value)
		}
	}
}

// indexEndA returns the index of the first "</a" (any case) in b, or -1.
func indexEndA(b []byte) int {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '<' && b[i+1] == '/' && b[i+2]|0x20 == 'a' {
			return i
		}
	}
	return -1
}

// stripTags removes markup from the text of an anchor.
func stripTags(b []byte) []byte {
	var out []byte
	in := false
	for _, c := range b {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			out = append(out, c)
		}
	}
	return out
}

func isLetter(c byte) bool   { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isNameByte(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c == '-' }
func isSpace(c byte) bool    { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
