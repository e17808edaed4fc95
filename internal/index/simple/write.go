package simple

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"mime"
	"strconv"
	"strings"
)

// Page is a project page to write. File URLs are written as they are, so
// they may be relative to the page.
type Page struct {
	// Name is the project's normalised name.
	Name     string
	Files    []File
	Versions []string
	// Extension, when not nil, is written in JSON pages under the key
	// "_airlock" (PEP 691 leaves keys that start with an underscore to
	// implementations). HTML pages do not carry it.
	Extension any
}

// uploadTimeFormat is PyPI's: ISO 8601 in UTC with microseconds.
const uploadTimeFormat = "2006-01-02T15:04:05.000000Z"

// WriteJSON writes p as a PEP 691 JSON page (api-version 1.1). Metadata
// files are announced under "core-metadata" only: pip 22.3 to 23.0 fail on
// a "dist-info-metadata" dictionary, which is why PEP 714 renamed the key.
func WriteJSON(w io.Writer, p *Page) error {
	type jfile struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python,omitempty"`
		CoreMetadata   any               `json:"core-metadata,omitempty"`
		Yanked         any               `json:"yanked"`
		Size           *int64            `json:"size,omitempty"`
		UploadTime     string            `json:"upload-time,omitempty"`
	}
	doc := struct {
		Meta      map[string]string `json:"meta"`
		Name      string            `json:"name"`
		Versions  []string          `json:"versions"`
		Files     []jfile           `json:"files"`
		Extension any               `json:"_airlock,omitempty"`
	}{
		Meta:      map[string]string{"api-version": APIVersion},
		Name:      p.Name,
		Versions:  p.Versions,
		Files:     make([]jfile, 0, len(p.Files)),
		Extension: p.Extension,
	}
	if doc.Versions == nil {
		doc.Versions = []string{}
	}
	for i := range p.Files {
		f := &p.Files[i]
		jf := jfile{Filename: f.Filename, URL: f.URL, Hashes: f.Hashes, RequiresPython: f.RequiresPython, Yanked: false}
		if jf.Hashes == nil {
			jf.Hashes = map[string]string{}
		}
		if f.Yanked {
			jf.Yanked = true
			if f.YankedReason != "" {
				jf.Yanked = f.YankedReason
			}
		}
		if f.Metadata != nil {
			if len(f.Metadata.Hashes) > 0 {
				jf.CoreMetadata = f.Metadata.Hashes
			} else {
				jf.CoreMetadata = true
			}
		}
		if f.Size >= 0 {
			jf.Size = &f.Size
		}
		if !f.UploadTime.IsZero() {
			jf.UploadTime = f.UploadTime.UTC().Format(uploadTimeFormat)
		}
		doc.Files = append(doc.Files, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// WriteHTML writes p as a PEP 503 HTML page (repository version 1.1). Each
// link carries its sha256 (or, failing that, another hash) as a fragment,
// and metadata files are announced under both data-core-metadata and
// data-dist-info-metadata (PEP 714), so that older pips use them too.
func WriteHTML(w io.Writer, p *Page) error {
	var b bytes.Buffer
	name := html.EscapeString(p.Name)
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"" + APIVersion + "\">\n<title>Links for ")
	b.WriteString(name)
	b.WriteString("</title>\n</head>\n<body>\n<h1>Links for ")
	b.WriteString(name)
	b.WriteString("</h1>\n")
	for i := range p.Files {
		f := &p.Files[i]
		b.WriteString(`<a href="`)
		href := f.URL
		if algo, sum := bestHash(f.Hashes); algo != "" {
			href += "#" + algo + "=" + sum
		}
		b.WriteString(html.EscapeString(href))
		b.WriteByte('"')
		if f.RequiresPython != "" {
			b.WriteString(` data-requires-python="`)
			b.WriteString(html.EscapeString(f.RequiresPython))
			b.WriteByte('"')
		}
		if f.Yanked {
			b.WriteString(` data-yanked="`)
			b.WriteString(html.EscapeString(f.YankedReason))
			b.WriteByte('"')
		}
		if f.Metadata != nil {
			v := "true"
			if algo, sum := bestHash(f.Metadata.Hashes); algo != "" {
				v = algo + "=" + sum
			}
			b.WriteString(` data-dist-info-metadata="` + v + `" data-core-metadata="` + v + `"`)
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(f.Filename))
		b.WriteString("</a><br>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// bestHash returns sha256 when present, else the strongest other hash.
func bestHash(h map[string]string) (string, string) {
	for _, algo := range []string{"sha256", "sha512", "sha384", "blake2b", "sha224", "sha1", "md5"} {
		if v, ok := h[algo]; ok {
			return algo, v
		}
	}
	return "", ""
}

// WriteIndexJSON writes the root index (PEP 691) listing names.
func WriteIndexJSON(w io.Writer, names []string) error {
	type proj struct {
		Name string `json:"name"`
	}
	doc := struct {
		Meta     map[string]string `json:"meta"`
		Projects []proj            `json:"projects"`
	}{Meta: map[string]string{"api-version": APIVersion}, Projects: make([]proj, 0, len(names))}
	for _, n := range names {
		doc.Projects = append(doc.Projects, proj{n})
	}
	return json.NewEncoder(w).Encode(doc)
}

// WriteIndexHTML writes the root index (PEP 503) listing names; links are
// relative ("<name>/").
func WriteIndexHTML(w io.Writer, names []string) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"" + APIVersion + "\">\n<title>Simple index</title>\n</head>\n<body>\n")
	for _, n := range names {
		e := html.EscapeString(n)
		b.WriteString(`<a href="` + html.EscapeString(Normalize(n)) + `/">` + e + "</a><br>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Negotiate chooses the content type of a response (PEP 691) from the
// request's Accept header and its "format" query parameter, which, when
// set, overrides Accept. It returns one of [JSONType], [HTMLType] and
// [LegacyHTMLType], or ok=false when the client accepts none of them (a
// 406). Media ranges are weighed by their q-values and matched most
// specific first; among equal weights the legacy text/html wins, so a
// client that sends nothing or "*/*" gets what PyPI would send it.
func Negotiate(accept, format string) (contentType string, ok bool) {
	if format != "" {
		// A "+" in a query string that the client did not escape arrives
		// as a space.
		format = strings.ReplaceAll(format, " ", "+")
		switch format {
		case JSONType, latestJSON:
			return JSONType, true
		case HTMLType, latestHTML:
			return HTMLType, true
		case LegacyHTMLType:
			return LegacyHTMLType, true
		}
		return "", false
	}
	if strings.TrimSpace(accept) == "" {
		return LegacyHTMLType, true
	}
	type rng struct {
		typ string
		q   float64
	}
	var ranges []rng
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			v, err := strconv.ParseFloat(qs, 64)
			if err != nil || v < 0 || v > 1 {
				continue
			}
			q = v
		}
		switch mt {
		case latestJSON:
			mt = JSONType
		case latestHTML:
			mt = HTMLType
		}
		ranges = append(ranges, rng{mt, q})
	}
	// weight returns the q of the most specific range matching t, or -1.
	weight := func(t string) float64 {
		major, _, _ := strings.Cut(t, "/")
		best, spec := -1.0, -1
		for _, r := range ranges {
			s := -1
			switch r.typ {
			case t:
				s = 2
			case major + "/*":
				s = 1
			case "*/*":
				s = 0
			}
			if s > spec {
				best, spec = r.q, s
			}
		}
		return best
	}
	bestType, bestQ := "", 0.0
	for _, t := range []string{LegacyHTMLType, HTMLType, JSONType} {
		if q := weight(t); q > bestQ {
			bestType, bestQ = t, q
		}
	}
	return bestType, bestType != ""
}
