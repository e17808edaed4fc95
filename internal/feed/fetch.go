package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// FetchError is a download that failed: a refused URL, a transport error,
// or an HTTP status other than 200 and 304.
type FetchError struct {
	URL    string // credentials removed
	Status int    // 0 when no response arrived
	Err    error
}

func (e *FetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("fetching %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("fetching %s: %v", e.URL, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// ErrTooLarge is returned for a download over its size limit.
var ErrTooLarge = errors.New("download larger than the size limit")

// defaultClient has timeouts on each step of a request but none on the
// whole download: its length is bounded by the caller's context.
var defaultClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
	},
}

// redact returns raw without credentials, for messages and the status.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// checkURL accepts only absolute http and https URLs.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FetchError{URL: redact(raw), Err: errors.New("not an http or https URL")}
	}
	return nil
}

// response is the outcome of a conditional GET.
type response struct {
	notModified        bool
	body               io.ReadCloser // nil when notModified
	length             int64         // -1 when unknown
	etag, lastModified string
}

// get sends a conditional GET for raw: with etag and lastModified from the
// previous download, an unchanged resource answers 304.
func (u *Updater) get(ctx context.Context, raw, etag, lastModified string, limit int64) (*response, error) {
	if err := checkURL(raw); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, &FetchError{URL: redact(raw), Err: err}
	}
	req.Header.Set("User-Agent", u.userAgent())
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	client := u.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &FetchError{URL: redact(raw), Err: err}
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		resp.Body.Close()
		return &response{notModified: true, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}, nil
	case http.StatusOK:
	default:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, &FetchError{URL: redact(raw), Status: resp.StatusCode}
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, &FetchError{URL: redact(raw), Err: fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, resp.ContentLength, limit)}
	}
	return &response{
		body:         resp.Body,
		length:       resp.ContentLength,
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
	}, nil
}

func (u *Updater) userAgent() string {
	if u.UserAgent != "" {
		return u.UserAgent
	}
	return "airlock (db update)"
}

// copyLimited copies at most limit bytes of r to w, failing beyond, and
// shows progress when u has somewhere to draw it.
func (u *Updater) copyLimited(w io.Writer, r io.Reader, limit, length int64, rawURL string) (int64, error) {
	var bar *progressBar
	if u.Progress != nil {
		bar = &progressBar{w: u.Progress, label: label(rawURL), total: length, now: u.now}
		w = io.MultiWriter(w, bar)
		defer bar.finish()
	}
	n, err := io.Copy(w, io.LimitReader(r, limit+1))
	if err != nil {
		return n, &FetchError{URL: redact(rawURL), Err: err}
	}
	if n > limit {
		return n, &FetchError{URL: redact(rawURL), Err: fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, limit)}
	}
	if length >= 0 && n != length {
		return n, &FetchError{URL: redact(rawURL), Err: fmt.Errorf("got %d bytes of %d", n, length)}
	}
	return n, nil
}

// label names a download on the progress bar: the last two path elements
// ("PyPI/all.zip").
func label(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" || u.Path == "/" {
		return "download"
	}
	dir, file := path.Split(strings.TrimSuffix(u.Path, "/"))
	if d := path.Base(dir); d != "/" && d != "." {
		return d + "/" + file
	}
	return file
}

// progressBar draws a one-line progress bar, redrawn at most ten times a
// second, on a terminal.
type progressBar struct {
	w     io.Writer
	label string
	total int64 // -1 when unknown
	done  int64
	last  time.Time
	now   func() time.Time
	drawn bool
}

const barWidth = 30

func (p *progressBar) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if t := p.now(); t.Sub(p.last) >= 100*time.Millisecond {
		p.last = t
		p.draw()
	}
	return len(b), nil
}

func (p *progressBar) draw() {
	p.drawn = true
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s  %s   ", p.label, HumanBytes(p.done))
		return
	}
	frac := min(float64(p.done)/float64(p.total), 1)
	fill := int(frac * barWidth)
	fmt.Fprintf(p.w, "\r%s  [%s%s] %3d%%  %s / %s   ", p.label,
		strings.Repeat("=", fill), strings.Repeat(" ", barWidth-fill), int(frac*100),
		HumanBytes(p.done), HumanBytes(p.total))
}

func (p *progressBar) finish() {
	p.draw()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// humanBytes formats a size as "12.3 MiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
