package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/store"
)

// maxSubject bounds an audit event's subject: the request text, cut (the
// findings say what mattered about it).
const maxSubject = 16 << 10

// record commits e to the audit log with the request's actor and id, and
// returns only once it has committed. Its error is a 503 for the client:
// a decision that cannot be recorded is not answered (fail closed).
func (s *Server) record(ctx context.Context, e store.Event) (store.Event, error) {
	if e.Actor == "" {
		e.Actor = tokenFrom(ctx).Name
	}
	e.RequestID = requestID(ctx)
	e.Subject = clip(e.Subject, maxSubject)
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	start := time.Now()
	ev, err := s.store.Append(ctx, e)
	s.metrics.auditAppend.Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.auditErrors.Inc()
		if errors.Is(err, context.DeadlineExceeded) {
			return ev, &apiError{Status: http.StatusServiceUnavailable, Code: CodeTimeout, RetryAfter: time.Second,
				Message: "the audit log did not commit in time, so nothing was decided; try again", Err: err}
		}
		return ev, unavailable("the audit log cannot be written now, so nothing was decided; try again", err)
	}
	d := string(e.Decision)
	if d == "" {
		d = "none"
	}
	s.metrics.decisions.WithLabelValues(string(e.Action), d).Inc()
	return ev, nil
}

// storeDecision maps a policy action to the audit log's decision.
func storeDecision(a policy.Action) store.Decision {
	switch a {
	case policy.Allow:
		return store.DecisionAllow
	case policy.Review:
		return store.DecisionReview
	}
	return store.DecisionDeny
}

// auditQueryParams are the query parameters GET /v1/audit accepts.
var auditQueryParams = map[string]bool{"actor": true, "action": true, "decision": true, "since": true, "limit": true, "cursor": true}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		if !auditQueryParams[k] {
			return badRequest("unknown query parameter %q (want actor, action, decision, since, limit, cursor)", k)
		}
		if len(q[k]) > 1 {
			return badRequest("query parameter %q is given more than once", k)
		}
	}
	var aq store.AuditQuery
	aq.Actor = q.Get("actor")
	if v := q.Get("action"); v != "" {
		a, err := store.ParseAction(v)
		if err != nil {
			return badRequest("action %q: want lower-case letters, digits or '-'", v)
		}
		aq.Action = a
	}
	if v := q.Get("decision"); v != "" {
		d, err := store.ParseDecision(v)
		if err != nil {
			return badRequest("decision %q: want allow, deny or review", v)
		}
		aq.Decision = d
	}
	if v := q.Get("since"); v != "" {
		t, err := parseSince(v, s.now())
		if err != nil {
			return badRequest("since %q: want an RFC 3339 time or a duration such as 15m or 2h", v)
		}
		aq.Since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxAuditLimit {
			return badRequest("limit %q: want 1 to %d", v, store.MaxAuditLimit)
		}
		aq.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		c, err := store.ParseCursor(v)
		if err != nil {
			return badRequest("cursor %q is not a cursor from a previous page", v)
		}
		aq.Cursor = c
	}
	page, err := s.store.Events(r.Context(), aq)
	if err != nil {
		return unavailable("cannot read the audit log now", err)
	}
	if page.Events == nil {
		page.Events = []store.Event{}
	}
	writeJSON(w, http.StatusOK, auditAnswer{Events: page.Events, NextCursor: page.Next.String()})
	return nil
}

// auditAnswer is the body of GET /v1/audit. NextCursor is "" on the last
// page.
type auditAnswer struct {
	Events     []store.Event `json:"events"`
	NextCursor string        `json:"next_cursor"`
}

// parseSince reads an RFC 3339 time, or a duration back from now.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("bad time")
	}
	return now.Add(-d), nil
}

// eventHolder carries the id of the audit event a pipeline recorded back
// to the handler that started it (reviews point at it).
type eventHolder struct {
	id      int64
	subject string
}

// installAuditor records installs in the audit log; the install pipeline
// calls it before it reports, and does not install what it cannot record.
type installAuditor struct{ s *Server }

func (a installAuditor) RecordInstall(ctx context.Context, res *env.Result) error {
	var findings json.RawMessage
	if fs := res.Findings(); len(fs) > 0 {
		doc, err := docJSON(fs)
		if err != nil {
			return err
		}
		findings = doc
	}
	type pkg struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		SHA256  string `json:"sha256"`
	}
	installed := make([]pkg, 0, len(res.Installed))
	for _, p := range res.Installed {
		installed = append(installed, pkg{p.Name, p.Version, p.SHA256})
	}
	extra, err := docJSON(map[string]any{
		"environment": res.Env, "install_id": res.ID, "outcome": res.Outcome, "installed": installed,
		"error": clip(res.Error, 8<<10), "started": res.Started, "finished": res.Finished,
	})
	if err != nil {
		return err
	}
	h, _ := ctx.Value(eventHolderKey).(*eventHolder)
	subject := strings.Join(res.Requirements, "\n")
	if h != nil && h.subject != "" {
		subject = h.subject
	}
	ev, err := a.s.record(ctx, store.Event{Actor: res.Actor, Action: store.ActionInstall, Decision: storeDecision(res.Action()),
		Subject: subject, Findings: findings, Extra: extra})
	if err != nil {
		return err
	}
	if h != nil {
		h.id = ev.ID
	}
	return nil
}
