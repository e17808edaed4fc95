package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
)

// Route is one entry of the API: what [Server.Routes] lists and the
// OpenAPI document describes.
type Route struct {
	// Method and Path form the net/http pattern ("POST /v1/check"); a Path
	// ending in "/" without a wildcard is a subtree (only /simple/).
	Method string
	Path   string
	// Scopes are the scopes of which the token needs one; zero means the
	// route needs no token.
	Scopes store.Scopes
	// Basic says the route is meant for HTTP basic authentication (pip),
	// which its 401 challenge asks for. Bearer tokens work everywhere.
	Basic bool
	// DocPaths are the OpenAPI paths the route serves, when they are not
	// just Path (a subtree serves several).
	DocPaths []string

	maxBody int64
	timeout time.Duration
	handle  func(w http.ResponseWriter, r *http.Request) error
}

// Pattern returns the net/http pattern of the route.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// Paths returns the OpenAPI paths the route serves.
func (rt Route) Paths() []string {
	if len(rt.DocPaths) > 0 {
		return rt.DocPaths
	}
	return []string{rt.Path}
}

// Routes returns the API's routes, in documentation order.
func (s *Server) Routes() []Route { return s.routes }

// Small request bodies: environment creation and review decisions.
const maxSmallBody = 64 << 10

// envTimeout bounds creating or removing an environment (a venv without
// pip takes well under a second; removal waits for an install into it).
const envTimeout = 2 * time.Minute

func (s *Server) makeRoutes() []Route {
	l := s.limits
	const (
		check   = store.Scopes(store.ScopeCheck)
		install = store.Scopes(store.ScopeInstall)
		run     = store.Scopes(store.ScopeRun)
		proxy   = store.Scopes(store.ScopeProxy)
		admin   = store.Scopes(store.ScopeAdmin)
	)
	return []Route{
		{Method: "POST", Path: "/v1/check", Scopes: check, maxBody: l.MaxCheckBody, timeout: l.CheckTimeout, handle: s.handleCheck},
		{Method: "GET", Path: "/v1/environments", Scopes: install | run, timeout: l.CheckTimeout, handle: s.handleEnvList},
		{Method: "POST", Path: "/v1/environments", Scopes: install, maxBody: maxSmallBody, timeout: envTimeout, handle: s.handleEnvCreate},
		{Method: "GET", Path: "/v1/environments/{name}", Scopes: install | run, timeout: l.CheckTimeout, handle: s.handleEnvGet},
		{Method: "DELETE", Path: "/v1/environments/{name}", Scopes: install, timeout: envTimeout, handle: s.handleEnvDelete},
		{Method: "POST", Path: "/v1/environments/{name}/install", Scopes: install, maxBody: l.MaxInstallBody, timeout: l.InstallTimeout, handle: s.handleInstall},
		// A run's deadline depends on its limits: the handler sets it.
		{Method: "POST", Path: "/v1/environments/{name}/run", Scopes: run, maxBody: l.MaxRunBody, handle: s.handleRun},
		{Method: "GET", Path: "/v1/audit", Scopes: admin, timeout: l.CheckTimeout, handle: s.handleAudit},
		{Method: "GET", Path: "/v1/reviews", Scopes: admin, timeout: l.CheckTimeout, handle: s.handleReviewList},
		{Method: "GET", Path: "/v1/reviews/{id}", Scopes: admin, timeout: l.CheckTimeout, handle: s.handleReviewGet},
		{Method: "POST", Path: "/v1/reviews/{id}/approve", Scopes: admin, maxBody: maxSmallBody, timeout: l.CheckTimeout, handle: s.handleApprove},
		{Method: "POST", Path: "/v1/reviews/{id}/reject", Scopes: admin, maxBody: maxSmallBody, timeout: l.CheckTimeout, handle: s.handleReject},
		{Method: "GET", Path: "/v1/exceptions", Scopes: admin, timeout: l.CheckTimeout, handle: s.handleExceptions},
		{Method: "GET", Path: "/simple/", Scopes: proxy, Basic: true, handle: s.handleProxy,
			DocPaths: []string{"/simple/", "/simple/{project}/", "/simple/{project}/{sha256}/{filename}"}},
		{Method: "GET", Path: "/v1/openapi.json", handle: s.handleOpenAPI},
		{Method: "GET", Path: "/healthz", handle: s.handleHealth},
		{Method: "GET", Path: "/readyz", handle: s.handleReady},
		{Method: "GET", Path: "/metrics", handle: s.handleMetrics},
	}
}

// buildHandler registers the routes on a ServeMux, with a JSON 404 and 405
// for everything else, and wraps it in the per-request bookkeeping.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Pattern(), s.routeHandler(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, s.unmatched(mux, r))
	})
	return s.outer(mux)
}

// unmatched tells a 405 (the path exists with other methods) from a 404.
func (s *Server) unmatched(mux *http.ServeMux, r *http.Request) error {
	var allow []string
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if m == r.Method || (m == "GET" && r.Method == "HEAD") {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := mux.Handler(probe); pat != "" && pat != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		e := errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s is not allowed here; use %s", r.Method, strings.Join(allow, " or "))
		e.Header = http.Header{"Allow": {strings.Join(allow, ", ")}}
		return e
	}
	return notFound("no such route: see /v1/openapi.json")
}

// routeHandler authenticates, authorises, rate-limits, bounds the body
// and the time of one route's requests, then calls its handler.
func (s *Server) routeHandler(rt Route) http.Handler {
	label := rt.Pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*recorder); ok {
			rec.route = label
		}
		ctx := r.Context()
		if rt.Scopes != 0 {
			tok, err := s.auth.authenticate(ctx, r, rt.Basic)
			if rec, ok := w.(*recorder); ok {
				rec.actor = tok.Name
			}
			if err != nil {
				if ae, ok := errors.AsType[*apiError](err); ok && ae.Status == http.StatusUnauthorized {
					s.metrics.authFail.WithLabelValues("401").Inc()
				}
				s.writeError(w, r, err)
				return
			}
			if tok.Scopes&rt.Scopes == 0 {
				s.metrics.authFail.WithLabelValues("403").Inc()
				s.writeError(w, r, scopeError(tok, rt.Scopes))
				return
			}
			if err := s.rate.allow(tok.Name); err != nil {
				s.metrics.limited.WithLabelValues("rate").Inc()
				s.writeError(w, r, err)
				return
			}
			ctx = context.WithValue(ctx, tokenKey, tok)
		}
		if rt.maxBody > 0 {
			if r.ContentLength > rt.maxBody {
				s.metrics.limited.WithLabelValues("body").Inc()
				s.writeError(w, r, errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "the request body is larger than %d bytes", rt.maxBody))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody)
		}
		if rt.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, rt.timeout)
			defer cancel()
			extendWrite(w, rt.timeout)
		}
		r = r.WithContext(ctx)
		if err := rt.handle(w, r); err != nil {
			if ae := asAPIError(err); ae.Status == http.StatusRequestEntityTooLarge {
				s.metrics.limited.WithLabelValues("body").Inc()
			}
			s.writeError(w, r, err)
		}
	})
}

// extendWrite lets a long request write its answer: the server's
// WriteTimeout is meant for quick answers.
func extendWrite(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + 30*time.Second))
}

// outer gives every request its id, counts and times it, logs it, and
// turns a panic into a 500.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := s.newRequestID()
		ctx := context.WithValue(r.Context(), requestIDKey, rid)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", rid)
		rec := &recorder{ResponseWriter: w, route: "unmatched"}
		s.metrics.inFlight.Inc()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "handler panic", "request_id", rid, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					s.writeError(rec, r, internal(fmt.Errorf("panic: %v", p)))
				}
			}
			s.metrics.inFlight.Dec()
			d := time.Since(start)
			code := rec.status
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.requests.WithLabelValues(rec.route, codeLabel(code)).Inc()
			s.metrics.duration.WithLabelValues(rec.route).Observe(d.Seconds())
			if s.log.Enabled(ctx, slog.LevelDebug) {
				s.log.DebugContext(ctx, "request", "request_id", rid, "method", r.Method, "route", rec.route,
					"status", code, "duration", d, "actor", rec.actor)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

func codeLabel(code int) string {
	if code >= 100 && code < 1000 {
		return fmt.Sprint(code)
	}
	return "other"
}

// recorder remembers the status of an answer and the route that served
// it. It passes Hijack, Flush, ReadFrom (sendfile) and the response
// controller's deadlines through.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	route  string
	actor  string
}

func (rec *recorder) WriteHeader(code int) {
	if !rec.wrote {
		rec.status, rec.wrote = code, true
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wrote {
		rec.status, rec.wrote = http.StatusOK, true
	}
	return rec.ResponseWriter.Write(p)
}

func (rec *recorder) ReadFrom(src io.Reader) (int64, error) {
	if !rec.wrote {
		rec.status, rec.wrote = http.StatusOK, true
	}
	if rf, ok := rec.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{rec.ResponseWriter}, src)
}

func (rec *recorder) Flush() {
	if !rec.wrote {
		rec.status, rec.wrote = http.StatusOK, true
	}
	_ = http.NewResponseController(rec.ResponseWriter).Flush()
}

func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil && !rec.wrote {
		rec.status, rec.wrote = http.StatusForbidden, true // only refusals hijack (package index)
	}
	return conn, rw, err
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// writerOnly hides a writer's other methods (so io.Copy does not loop
// back into ReadFrom).
type writerOnly struct{ io.Writer }

// decodeJSON reads a JSON request body into v strictly: one object, no
// unknown fields, nothing after it. Its errors are client errors that say
// what is wrong and where.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "unexpected data after the JSON object")
	}
	return nil
}

// errEmptyBody is decodeJSON's answer for a request without a body.
var errEmptyBody = errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body is empty; send a JSON object")

// isEmptyBody reports whether decodeJSON found no body at all (for routes
// whose body is optional).
func isEmptyBody(err error) bool { return err == errEmptyBody }

func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "the JSON body ends too early")
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errorf(http.StatusBadRequest, CodeInvalidJSON, "the body must be a JSON object, not %s", te.Value)
		}
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "field %q: want %s, not %s", field, jsonType(te.Type.String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidJSON, Message: "the body is not valid JSON for this route", Err: err}
}

// jsonType names a Go type in JSON terms for error messages.
func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "map["):
		return "an object"
	}
	return "an object"
}
