package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
)

// proxyTimeout bounds one package index request: a large wheel fetched
// from a slow upstream and sent to a slow client.
const proxyTimeout = 10 * time.Minute

// handleProxy serves the package index, recording each page and file it
// answers in the audit log before the answer goes out.
func (s *Server) handleProxy(w http.ResponseWriter, r *http.Request) error {
	if s.proxy == nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "this server has no package index")
	}
	ctx, cancel := context.WithTimeout(r.Context(), proxyTimeout)
	defer cancel()
	extendWrite(w, proxyTimeout)
	r = r.Clone(ctx)
	r.Header.Del("Authorization") // the token is ours, not the index's
	pa := &proxyAudit{ResponseWriter: w, s: s, ctx: ctx, r: r, subject: strings.TrimPrefix(r.URL.Path, "/simple/")}
	if pa.subject == "" {
		pa.subject = "(index)"
	} else if parts := strings.Split(pa.subject, "/"); len(parts) == 3 {
		pa.subject = parts[0] + "/" + parts[2] // project/filename: the digest is in the URL, not needed here
	}
	s.proxy.ServeHTTP(pa, r)
	return nil
}

// proxyAudit records the package index's answer in the audit log when the
// status is known, before anything is sent: at WriteHeader, at the first
// write, or when a refusal takes over the connection (the index does that
// to write its own HTTP reason phrase, which pip prints). When the record
// cannot be written, the client gets a 503 instead of the answer, or, on a
// taken-over connection, nothing at all.
type proxyAudit struct {
	http.ResponseWriter
	s       *Server
	ctx     context.Context
	r       *http.Request
	subject string
	decided bool
	failed  bool
}

// decide records the answer with the given status; it reports whether the
// answer may go out.
func (pa *proxyAudit) decide(status int, reason string) bool {
	if pa.decided {
		return !pa.failed
	}
	pa.decided = true
	var d store.Decision
	switch {
	case status == http.StatusMovedPermanently || status == http.StatusFound || status == http.StatusPermanentRedirect || status == http.StatusTemporaryRedirect:
		return true // a redirect to the normalised name decides nothing
	case status < 400:
		d = store.DecisionAllow
	case status == http.StatusForbidden:
		d = store.DecisionDeny
	}
	extra := map[string]any{"status": status}
	if reason != "" {
		extra["reason"] = reason
	}
	doc, _ := docJSON(extra)
	if _, err := pa.s.record(pa.ctx, store.Event{Action: store.ActionProxy, Decision: d, Subject: pa.subject, Extra: doc}); err != nil {
		pa.failed = true
		pa.s.log.Error("package index answer not sent: the audit log cannot be written", "request_id", requestID(pa.ctx), "err", err)
		return false
	}
	return true
}

func (pa *proxyAudit) WriteHeader(code int) {
	if !pa.decided {
		if !pa.decide(code, pa.Header().Get("X-Airlock-Reason")) {
			h := pa.Header()
			for k := range h {
				if k != "X-Request-Id" {
					delete(h, k)
				}
			}
			pa.s.writeError(pa.ResponseWriter, pa.r, unavailable("the audit log cannot be written now, so nothing was served; try again", nil))
			return
		}
	}
	if pa.failed {
		return
	}
	pa.ResponseWriter.WriteHeader(code)
}

func (pa *proxyAudit) Write(p []byte) (int, error) {
	if !pa.decided {
		pa.WriteHeader(http.StatusOK)
	}
	if pa.failed {
		return 0, errAuditFailed
	}
	return pa.ResponseWriter.Write(p)
}

func (pa *proxyAudit) ReadFrom(src io.Reader) (int64, error) {
	if !pa.decided {
		pa.WriteHeader(http.StatusOK)
	}
	if pa.failed {
		return 0, errAuditFailed
	}
	if rf, ok := pa.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{pa.ResponseWriter}, src)
}

func (pa *proxyAudit) Flush() {
	if pa.failed {
		return
	}
	_ = http.NewResponseController(pa.ResponseWriter).Flush()
}

func (pa *proxyAudit) Unwrap() http.ResponseWriter { return pa.ResponseWriter }

// Hijack hands the index the connection, with a writer that records the
// refusal it writes before letting the bytes through.
func (pa *proxyAudit) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(pa.ResponseWriter).Hijack()
	if err != nil {
		return conn, rw, err
	}
	hw := &hijackAudit{pa: pa, out: rw.Writer}
	return conn, bufio.NewReadWriter(rw.Reader, bufio.NewWriterSize(hw, 4096)), nil
}

var errAuditFailed = errors.New("the audit log cannot be written")

// hijackAudit reads the status line and the X-Airlock-Reason header of a
// raw HTTP response as it is flushed, records it, then passes the bytes
// on.
type hijackAudit struct {
	pa  *proxyAudit
	out *bufio.Writer
}

func (h *hijackAudit) Write(p []byte) (int, error) {
	if !h.pa.decided {
		status, reason := parseRawResponse(p)
		if !h.pa.decide(status, reason) {
			return 0, errAuditFailed
		}
	}
	if h.pa.failed {
		return 0, errAuditFailed
	}
	n, err := h.out.Write(p)
	if err == nil {
		err = h.out.Flush()
	}
	return n, err
}

// parseRawResponse reads the status code and X-Airlock-Reason of the
// start of a raw HTTP/1.x response.
func parseRawResponse(p []byte) (int, string) {
	head, _, _ := bytes.Cut(p, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	status := 0
	if f := strings.Fields(lines[0]); len(f) >= 2 {
		status, _ = strconv.Atoi(f[1])
	}
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "X-Airlock-Reason") {
			return status, strings.TrimSpace(v)
		}
	}
	return status, ""
}
