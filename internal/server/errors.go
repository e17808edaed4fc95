package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error codes: the "code" of an error answer. Clients branch on them; the
// message is for people and may change.
const (
	CodeBadRequest       = "bad_request"            // the request is malformed or invalid
	CodeInvalidJSON      = "invalid_json"           // the body is not the JSON the route expects
	CodeUnauthenticated  = "unauthenticated"        // no token, or a bad, expired or revoked one
	CodeForbidden        = "forbidden"              // the token lacks the route's scope
	CodeNotFound         = "not_found"              // no such route or record
	CodeMethodNotAllowed = "method_not_allowed"     // the route exists with other methods
	CodeConflict         = "conflict"               // the record exists, or was decided already
	CodeTooLarge         = "payload_too_large"      // the body is larger than the route accepts
	CodeUnsupportedMedia = "unsupported_media_type" // the body is not application/json
	CodeRateLimited      = "rate_limited"           // this token is over its rate or concurrency limit
	CodeUnavailable      = "unavailable"            // the server cannot serve this now (store, sandbox, capacity)
	CodeTimeout          = "timeout"                // the request took longer than its deadline
	CodeInstallFailed    = "install_failed"         // an install could not be carried out
	CodeRunRefused       = "run_refused"            // the policy's scan before run refused the code
	CodeInternal         = "internal"               // a bug; the log has the details
)

// apiError is an error answer: what the client sees (Status, Code,
// Message) kept apart from what is logged (Err), as STYLE §4 asks.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Err        error         // the internal cause, logged only
	RetryAfter time.Duration // sets Retry-After when positive
	Header     http.Header   // extra headers (WWW-Authenticate, Allow)
}

func (e *apiError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.Err }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, CodeBadRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, CodeNotFound, format, args...)
}

// unavailable is a 503 whose cause is logged, not shown.
func unavailable(msg string, err error) *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: msg, Err: err,
		RetryAfter: time.Second}
}

// internal is a 500 whose cause is logged, not shown.
func internal(err error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "internal error; the server log has the details under this request id", Err: err}
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// asAPIError turns any error from a handler into an apiError: context
// deadlines become timeouts, anything unknown an internal error.
func asAPIError(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "the request body is larger than %d bytes", mbe.Limit)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &apiError{Status: http.StatusServiceUnavailable, Code: CodeTimeout,
			Message: "the request took longer than its deadline; nothing was decided", Err: err, RetryAfter: time.Second}
	}
	return internal(err)
}

// writeError answers with e as JSON and logs its cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asAPIError(err)
	rid := requestID(r.Context())
	if e.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "request_id", rid, "method", r.Method, "path", r.URL.Path,
			"status", e.Status, "code", e.Code, "err", e.Err)
	} else if e.Err != nil {
		s.log.DebugContext(r.Context(), "request refused", "request_id", rid, "status", e.Status, "code", e.Code, "err", e.Err)
	}
	h := w.Header()
	for k, vs := range e.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	writeJSON(w, e.Status, errorBody{errorDetail{Code: e.Code, Message: e.Message, RequestID: rid}})
}

// writeJSON answers with v as JSON. HTML characters are not escaped:
// findings quote requirement text, which must come back as it was.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := marshalJSON(v)
	if err != nil {
		// Only a bug gets here (every answer type marshals).
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"internal error","request_id":""}}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	w.Write(data)
}

func marshalJSON(v any) ([]byte, error) {
	var b jsonBuffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b, nil
}

// docJSON marshals v for the store's JSON documents (findings, extra
// data), without escaping HTML characters: findings quote requirement
// text, which the audit log must show as it was.
func docJSON(v any) (json.RawMessage, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b[:len(b)-1]), nil // without the encoder's newline
}

type jsonBuffer []byte

func (b *jsonBuffer) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}
