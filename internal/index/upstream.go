package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/index/simple"
)

// DefaultUpstream is the index the proxy reads when none is configured.
const DefaultUpstream = "https://pypi.org/simple/"

// Upstream client limits and timeouts.
const (
	// MaxRedirects is the most redirects one upstream request follows.
	// Every redirect must stay on the host (and scheme, or upgrade to
	// https) of the URL it started from.
	MaxRedirects = 5
	// DefaultPageTimeout bounds fetching and reading one project page.
	DefaultPageTimeout = 60 * time.Second
	// DefaultHeaderTimeout bounds the wait for an upstream's response
	// headers, pages and files alike.
	DefaultHeaderTimeout = 30 * time.Second
	// dialTimeout bounds connecting to the upstream.
	dialTimeout = 10 * time.Second
)

// acceptHeader asks for PEP 691 JSON first, then HTML, as pip does.
const acceptHeader = simple.JSONType + ", " + simple.HTMLType + ";q=0.2, " + simple.LegacyHTMLType + ";q=0.01"

// ErrNotFound is returned by [Client.Project] for a project the upstream
// does not have.
var ErrNotFound = errors.New("no such project on the upstream index")

// UpstreamError is a failed upstream request: a network error, a timeout,
// a bad status or an unreadable answer. Its Error text is meant for logs;
// the proxy shows clients only [UpstreamError.Public].
type UpstreamError struct {
	URL string
	// Status is the upstream's HTTP status, or 0 when there was no answer.
	Status int
	// Timeout reports whether the upstream took too long.
	Timeout bool
	Err     error
}

func (e *UpstreamError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("upstream %s: HTTP %d", e.URL, e.Status)
	}
	return fmt.Sprintf("upstream %s: %v", e.URL, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// Public returns a description without URLs or internal details.
func (e *UpstreamError) Public() string {
	switch {
	case e.Timeout:
		return "upstream index timed out"
	case e.Status != 0:
		return fmt.Sprintf("upstream index answered HTTP %d", e.Status)
	case errors.Is(e.Err, simple.ErrPageTooLarge):
		return "upstream project page too large"
	case errors.Is(e.Err, errRedirect):
		return "upstream index redirected to another host"
	}
	return "upstream index unreachable"
}

var errRedirect = errors.New("redirect to another host refused")

// ClientOptions configure a [Client]. Zero values take the defaults.
type ClientOptions struct {
	// Transport replaces the default transport (tests, custom TLS).
	Transport http.RoundTripper
	// PageTimeout bounds one project page fetch.
	PageTimeout time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// FileHosts are the hosts (host or host:port, as in URLs) that file
	// URLs on the index's pages may point at, besides the index's own
	// host. nil means [DefaultFileHosts] of the index URL. A page can
	// name any URL: without this list, a hostile or compromised upstream
	// could make the proxy fetch from internal addresses (blind request
	// forgery), even though nothing unverified is ever served.
	FileHosts []string
}

// DefaultFileHosts returns the file hosts a well-known index serves its
// files from: files.pythonhosted.org for pypi.org (and test.pypi.org's
// test-files.pythonhosted.org), none for other indexes, which serve files
// from their own host.
func DefaultFileHosts(indexURL string) []string {
	u, err := url.Parse(indexURL)
	if err != nil {
		return nil
	}
	switch strings.ToLower(u.Hostname()) {
	case "pypi.org", "www.pypi.org":
		return []string{"files.pythonhosted.org"}
	case "test.pypi.org":
		return []string{"test-files.pythonhosted.org"}
	}
	return nil
}

// Client reads one upstream index's Simple API. All the methods are safe
// for simultaneous use.
type Client struct {
	base        *url.URL
	http        *http.Client
	pageTimeout time.Duration
	userAgent   string
	fileHosts   []string // lower-case, the index's own host first
}

// NewClient returns a client for the index at baseURL (for example
// "https://pypi.org/simple/"; a missing trailing slash is added).
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	// Errors show the URL without its password: it may come from the
	// environment, and messages end up in terminals and logs.
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, errors.New("upstream: not an http or https URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream %q: not an http or https URL", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("upstream %q: credentials in the URL are not supported", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	tr := opts.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: DefaultHeaderTimeout,
		}
	}
	if opts.PageTimeout <= 0 {
		opts.PageTimeout = DefaultPageTimeout
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "airlock-proxy"
	}
	if opts.FileHosts == nil {
		opts.FileHosts = DefaultFileHosts(u.String())
	}
	hosts := []string{strings.ToLower(u.Host)}
	for _, h := range opts.FileHosts {
		hosts = append(hosts, strings.ToLower(h))
	}
	return &Client{
		base:        u,
		pageTimeout: opts.PageTimeout,
		userAgent:   opts.UserAgent,
		fileHosts:   hosts,
		http:        &http.Client{Transport: tr, CheckRedirect: checkRedirect},
	}, nil
}

// URL returns the index URL.
func (c *Client) URL() string { return c.base.String() }

// checkRedirect follows at most MaxRedirects redirects, each on the host
// the request started on (http may upgrade to https).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return errors.New("too many redirects")
	}
	first := via[0].URL
	if req.URL.Host != first.Host || (req.URL.Scheme != first.Scheme && req.URL.Scheme != "https") {
		return errRedirect
	}
	return nil
}

// Project fetches and parses the project page of name (normalised). It
// returns [ErrNotFound] for a 404 or 410, and an [*UpstreamError] for any
// other failure.
func (c *Client) Project(ctx context.Context, name string) (*simple.Project, error) {
	ctx, cancel := context.WithTimeout(ctx, c.pageTimeout)
	defer cancel()
	pageURL := c.base.JoinPath(name) // JoinPath drops the trailing slash
	pageURL.Path += "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, upstreamErr(pageURL.String(), 0, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, upstreamErr(pageURL.String(), resp.StatusCode, nil)
	}
	if resp.ContentLength > simple.MaxPageSize {
		return nil, upstreamErr(pageURL.String(), 0, simple.ErrPageTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, simple.MaxPageSize+1))
	if err != nil {
		return nil, upstreamErr(pageURL.String(), 0, err)
	}
	if len(data) > simple.MaxPageSize {
		return nil, upstreamErr(pageURL.String(), 0, simple.ErrPageTooLarge)
	}
	p, err := simple.Parse(resp.Header.Get("Content-Type"), data, resp.Request.URL, name)
	if err != nil {
		return nil, upstreamErr(pageURL.String(), 0, err)
	}
	return p, nil
}

// Open starts downloading a file from its absolute URL (as given on a
// project page). The caller closes the body. size is the Content-Length,
// or -1.
//
// Only http and https URLs on the index's own host or one of its file hosts
// ([ClientOptions.FileHosts]) are fetched; anything else is an
// [*UpstreamError] that names the host, and no connection is made.
func (c *Client) Open(ctx context.Context, fileURL string) (body io.ReadCloser, size int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fileURL, nil)
	if err != nil {
		return nil, 0, err
	}
	if s := req.URL.Scheme; (s != "http" && s != "https") || !slices.Contains(c.fileHosts, strings.ToLower(req.URL.Host)) {
		return nil, 0, upstreamErr(fileURL, 0, fmt.Errorf("the page points at host %q, which is neither the index's nor one of its file hosts; airlock does not fetch from it", req.URL.Host))
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, upstreamErr(fileURL, 0, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, 0, upstreamErr(fileURL, resp.StatusCode, nil)
	}
	return resp.Body, resp.ContentLength, nil
}

func upstreamErr(u string, status int, err error) *UpstreamError {
	e := &UpstreamError{URL: u, Status: status, Err: err}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		e.Timeout = true
	}
	return e
}

// Upstreams routes each project to exactly one index: the internal index
// for the names mapped to it, the default index for every other name. It
// never merges pages from two indexes (no --extra-index-url mixing, which
// invites dependency confusion).
type Upstreams struct {
	// Default serves every name not in Internal.
	Default *Client
	// Internal maps normalised names to their own index.
	Internal map[string]*Client
}

// For returns the client that serves the normalised name.
func (u *Upstreams) For(name string) *Client {
	if c, ok := u.Internal[name]; ok {
		return c
	}
	return u.Default
}
