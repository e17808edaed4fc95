package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
)

func TestCheck(t *testing.T) {
	ts := newTestServer(t)
	agent := ts.token("agent", store.Scopes(store.ScopeCheck), time.Time{})
	tests := []struct {
		name     string
		body     any
		decision policy.Action
		source   string
		rules    []policy.Rule
	}{
		{"allowed", map[string]any{"requirements": []string{"requests==2.31.0", "numpy==1.26.4"}}, policy.Allow, "<requirements>", nil},
		{"typosquat", map[string]any{"requirements": []string{"requests==2.31.0", "reqeusts==2.31.0"}}, policy.Deny, "<requirements>", []policy.Rule{policy.RuleTyposquat}},
		{"text with an index option", map[string]any{"text": "--extra-index-url https://evil.example/simple\nrequests==2.31.0\n"}, policy.Deny, "<text>", []policy.Rule{policy.RuleIndexOption}},
		{"include refused", map[string]any{"text": "-r other.txt\n"}, policy.Deny, "<text>", []policy.Rule{policy.RuleInclude}},
		{"direct URL", map[string]any{"requirements": []string{"foo @ https://example.com/foo-1.0-py3-none-any.whl"}}, policy.Deny, "<requirements>", []policy.Rule{policy.RuleDirectURL}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", ts.url+"/v1/check", agent, tc.body)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var rep policy.Report
			r.json(t, &rep)
			if rep.Action() != tc.decision {
				t.Errorf("decision %v, want %v: %s", rep.Action(), tc.decision, r.body)
			}
			var rules []policy.Rule
			for _, res := range rep.Results {
				if res.Source != tc.source {
					t.Errorf("source %q, want %q", res.Source, tc.source)
				}
				for _, f := range res.Findings {
					rules = append(rules, f.Rule)
				}
			}
			if fmt.Sprint(rules) != fmt.Sprint(tc.rules) {
				t.Errorf("rules %v, want %v", rules, tc.rules)
			}
			if len(rep.Notes) == 0 {
				t.Errorf("no notes: the server has no advisory data and must say so")
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id")
			}
		})
	}
}

// TestCheckSameAsCLI: the answer of POST /v1/check is the JSON of
// `airlock check --format json` for the same requirements (only the
// entries' source differs: "<arguments>" there).
func TestCheckSameAsCLI(t *testing.T) {
	ts := newTestServer(t)
	reqs := []string{"requests==2.31.0", "reqeusts>=2", "--index-url https://x.example/simple"}
	r := do(t, "POST", ts.url+"/v1/check", ts.admin, map[string]any{"requirements": reqs})
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	cmd := airlockCmd(t, append([]string{"--data-dir", t.TempDir(), "check", "--format", "json", "--"}, reqs...)...)
	out, _ := cmd.Output() // exit 1: something was denied
	var api, cli map[string]any
	if err := json.Unmarshal(r.body, &api); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &cli); err != nil {
		t.Fatalf("airlock check: %v: %s", err, out)
	}
	for _, res := range cli["results"].([]any) {
		res.(map[string]any)["source"] = "<requirements>"
	}
	a, _ := json.Marshal(api)
	c, _ := json.Marshal(cli)
	if !bytes.Equal(a, c) {
		t.Errorf("the API and the CLI differ:\napi: %s\ncli: %s", a, c)
	}
}

func TestMalformedRequests(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name, body, contentType string
		status                  int
		code                    string
	}{
		{"empty", "", "application/json", 400, "invalid_json"},
		{"truncated", `{"requirements": [`, "application/json", 400, "invalid_json"},
		{"syntax", `{"requirements" ["a"]}`, "application/json", 400, "invalid_json"},
		{"array", `[]`, "application/json", 400, "invalid_json"},
		{"wrong type", `{"requirements": "requests"}`, "application/json", 400, "invalid_json"},
		{"unknown field", `{"requirement": ["requests"]}`, "application/json", 400, "invalid_json"},
		{"two objects", `{"requirements": ["a"]} {}`, "application/json", 400, "invalid_json"},
		{"both", `{"requirements": ["a"], "text": "b"}`, "application/json", 400, "bad_request"},
		{"item spanning lines", `{"requirements": ["numpy==1.0 \\\\", "--index-url https://evil/simple"]}`, "application/json", 400, "bad_request"},
		{"neither", `{}`, "application/json", 400, "bad_request"},
		{"form", `requirements=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"null", `null`, "application/json", 400, "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", ts.url+"/v1/check", ts.admin, tc.body, "Content-Type", tc.contentType)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			code, msg, rid := r.apiErr(t)
			if code != tc.code {
				t.Errorf("code %q, want %q (%s)", code, tc.code, msg)
			}
			if rid != r.header.Get("X-Request-Id") {
				t.Errorf("request_id %q, header %q", rid, r.header.Get("X-Request-Id"))
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	ts := newTestServer(t, withLimits(server.Limits{Rate: -1, MaxCheckBody: 1024}))
	big := map[string]any{"text": strings.Repeat("requests==2.31.0\n", 200)}
	r := do(t, "POST", ts.url+"/v1/check", ts.admin, big)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("with Content-Length: status %d: %s", r.status, r.body)
	}
	if code, _, _ := r.apiErr(t); code != "payload_too_large" {
		t.Errorf("code %q", code)
	}
	// Without a Content-Length (chunked), the limit is found while reading.
	data, _ := json.Marshal(big)
	req, _ := http.NewRequest("POST", ts.url+"/v1/check", io.MultiReader(bytes.NewReader(data)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+ts.admin)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: status %d: %s", resp.StatusCode, body)
	}
	// Under the limit is fine.
	if r := do(t, "POST", ts.url+"/v1/check", ts.admin, map[string]any{"requirements": []string{"requests==2.31.0"}}); r.status != 200 {
		t.Fatalf("small body: %d %s", r.status, r.body)
	}
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, withLimits(server.Limits{Rate: 0.5, Burst: 3}))
	a := ts.token("agent-a", store.Scopes(store.ScopeCheck), time.Time{})
	b := ts.token("agent-b", store.Scopes(store.ScopeCheck), time.Time{})
	body := map[string]any{"requirements": []string{"requests==2.31.0"}}
	for i := range 3 {
		if r := do(t, "POST", ts.url+"/v1/check", a, body); r.status != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := do(t, "POST", ts.url+"/v1/check", a, body)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("4th request: %d %s", r.status, r.body)
	}
	if code, _, _ := r.apiErr(t); code != "rate_limited" {
		t.Errorf("code %q", code)
	}
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Another token has its own bucket.
	if r := do(t, "POST", ts.url+"/v1/check", b, body); r.status != 200 {
		t.Fatalf("other token: %d %s", r.status, r.body)
	}
	// A refused request decides nothing: only the 4 answered checks are
	// in the log.
	if evs := events(t, ts.url, ts.admin, "action=check"); len(evs) != 4 {
		t.Errorf("%d check events, want 4", len(evs))
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	ts := newTestServer(t)
	r := do(t, "GET", ts.url+"/v1/nope", ts.admin, nil)
	if r.status != 404 {
		t.Fatalf("status %d", r.status)
	}
	if code, _, _ := r.apiErr(t); code != "not_found" {
		t.Errorf("code %q", code)
	}
	r = do(t, "GET", ts.url+"/v1/check", ts.admin, nil)
	if r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Fatalf("GET /v1/check: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	r = do(t, "PUT", ts.url+"/v1/environments/x", ts.admin, nil)
	if r.status != 405 || r.header.Get("Allow") != "GET, DELETE" {
		t.Fatalf("PUT /v1/environments/x: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	ts := newTestServer(t)
	if r := do(t, "GET", ts.url+"/healthz", "", nil); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
	if r := do(t, "GET", ts.url+"/readyz", "", nil); r.status != 200 {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	do(t, "POST", ts.url+"/v1/check", ts.admin, map[string]any{"requirements": []string{"reqeusts==1"}})
	r := do(t, "GET", ts.url+"/metrics", "", nil)
	for _, want := range []string{
		`airlock_http_requests_total{code="200",route="POST /v1/check"} 1`,
		`airlock_decisions_total{action="check",decision="deny"} 1`,
		`airlock_audit_append_seconds_count`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(r.body), "admin") {
		t.Errorf("/metrics names a token")
	}
	ts.srv.SetDraining()
	if r := do(t, "GET", ts.url+"/readyz", "", nil); r.status != 503 {
		t.Errorf("readyz while draining: %d", r.status)
	}
}

func TestAuditLog(t *testing.T) {
	ts := newTestServer(t)
	agent := ts.token("agent-7", store.Scopes(store.ScopeCheck), time.Time{})
	other := ts.token("agent-8", store.Scopes(store.ScopeCheck), time.Time{})
	start := time.Now().Add(-time.Second)
	r := do(t, "POST", ts.url+"/v1/check", agent, map[string]any{"requirements": []string{"requests==2.31.0", "reqeusts==2.31.0"}})
	if r.status != 200 {
		t.Fatal(r.status)
	}
	rid := r.header.Get("X-Request-Id")
	for range 5 {
		do(t, "POST", ts.url+"/v1/check", other, map[string]any{"requirements": []string{"numpy==1.26.4"}})
	}
	evs := events(t, ts.url, ts.admin, "actor=agent-7")
	if len(evs) != 1 {
		t.Fatalf("%d events for agent-7, want 1", len(evs))
	}
	ev := evs[0]
	if ev.Action != store.ActionCheck || ev.Decision != store.DecisionDeny || ev.RequestID != rid ||
		ev.Subject != "requests==2.31.0\nreqeusts==2.31.0" || ev.Time.Before(start) {
		t.Errorf("event %+v", ev)
	}
	var findings []struct {
		Input    string           `json:"input"`
		Decision string           `json:"decision"`
		Findings []policy.Finding `json:"findings"`
	}
	if err := json.Unmarshal(ev.Findings, &findings); err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Input != "reqeusts==2.31.0" || findings[0].Findings[0].Rule != policy.RuleTyposquat ||
		findings[0].Findings[0].SimilarTo != "requests" {
		t.Errorf("findings %s", ev.Findings)
	}
	// Filters and pages.
	if evs := events(t, ts.url, ts.admin, "actor=agent-8&decision=allow"); len(evs) != 5 {
		t.Errorf("agent-8 allows: %d, want 5", len(evs))
	}
	if evs := events(t, ts.url, ts.admin, "decision=deny"); len(evs) != 1 {
		t.Errorf("denials: %d, want 1", len(evs))
	}
	if evs := events(t, ts.url, ts.admin, "since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); len(evs) != 0 {
		t.Errorf("since the future: %d events", len(evs))
	}
	var ids []int64
	cursor := ""
	for page := 0; ; page++ {
		u := ts.url + "/v1/audit?action=check&limit=2"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		r := do(t, "GET", u, ts.admin, nil)
		var p struct {
			Events     []store.Event `json:"events"`
			NextCursor string        `json:"next_cursor"`
		}
		r.json(t, &p)
		for _, e := range p.Events {
			ids = append(ids, e.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if page > 10 {
			t.Fatal("too many pages")
		}
	}
	if len(ids) != 6 {
		t.Errorf("paged through %d check events, want 6", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] >= ids[i-1] {
			t.Errorf("events not newest first: %v", ids)
		}
	}
	for _, q := range []string{"limit=0", "limit=5000", "decision=maybe", "since=yesterday", "cursor=xyz", "colour=red", "actor=a&actor=b"} {
		if r := do(t, "GET", ts.url+"/v1/audit?"+q, ts.admin, nil); r.status != 400 {
			t.Errorf("?%s: status %d, want 400", q, r.status)
		}
	}
}

// failingStore fails every audit append.
type failingStore struct {
	store.Store
}

func (failingStore) Append(ctx context.Context, e store.Event) (store.Event, error) {
	return store.Event{}, fmt.Errorf("database /var/lib/secret/airlock.db is locked")
}

// TestAuditFailureFailsClosed: a decision that cannot be recorded is not
// answered, and the answer shows nothing internal; the log has the cause
// under the request id.
func TestAuditFailureFailsClosed(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), dir+"/airlock.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, failingStore{st}, dir+"/airlock.db")
	r := do(t, "POST", ts.url+"/v1/check", ts.admin, map[string]any{"requirements": []string{"requests==2.31.0"}})
	if r.status != 503 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	code, msg, rid := r.apiErr(t)
	if code != "unavailable" || strings.Contains(string(r.body), "/var/lib") || strings.Contains(string(r.body), "locked") {
		t.Errorf("answer %s %q", code, msg)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
	if logs := ts.logs.String(); !strings.Contains(logs, rid) || !strings.Contains(logs, "/var/lib/secret/airlock.db is locked") {
		t.Errorf("the log lacks the request id or the cause:\n%s", logs)
	}
}

func TestReviews(t *testing.T) {
	ts := newTestServer(t, withPolicy(t, "version: 1\nrules:\n  typosquat: review\n"))
	agent := ts.token("agent", store.Scopes(store.ScopeCheck), time.Time{})
	check := func(req string) (policy.Report, response) {
		t.Helper()
		r := do(t, "POST", ts.url+"/v1/check", agent, map[string]any{"requirements": []string{req}})
		if r.status != 200 {
			t.Fatalf("check %s: %d %s", req, r.status, r.body)
		}
		var rep policy.Report
		r.json(t, &rep)
		return rep, r
	}
	rep, r := check("reqeusts==2.31.0")
	if rep.Action() != policy.Review {
		t.Fatalf("decision %v", rep.Action())
	}
	id := r.header.Get("Airlock-Reviews")
	if id == "" || !strings.Contains(strings.Join(rep.Notes, "\n"), "review "+id+" is pending") {
		t.Fatalf("no review named: header %q, notes %q", id, rep.Notes)
	}
	// The same request joins the pending review.
	if _, r2 := check("reqeusts==2.31.0"); r2.header.Get("Airlock-Reviews") != id {
		t.Errorf("second check opened review %q, want %q", r2.header.Get("Airlock-Reviews"), id)
	}
	var list struct {
		Reviews []store.Review `json:"reviews"`
	}
	do(t, "GET", ts.url+"/v1/reviews?state=pending", ts.admin, nil).json(t, &list)
	if len(list.Reviews) != 1 || fmt.Sprint(list.Reviews[0].ID) != id || list.Reviews[0].Requester != "agent" {
		t.Fatalf("pending reviews %+v", list.Reviews)
	}
	var target struct {
		Project, Specifier, Rule string
	}
	json.Unmarshal(list.Reviews[0].Findings, &target)
	if target.Project != "reqeusts" || target.Specifier != "==2.31.0" || target.Rule != "typosquat" {
		t.Errorf("review target %+v", target)
	}

	// Approving needs a reason, a future expiry, and the admin scope.
	if r := do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", ts.admin, map[string]any{}); r.status != 400 {
		t.Errorf("approve without a reason: %d", r.status)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", ts.admin, map[string]any{"reason": "ours", "expires_in": "-1h"}); r.status != 400 {
		t.Errorf("approve with a past expiry: %d", r.status)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", agent, map[string]any{"reason": "x"}); r.status != 403 {
		t.Errorf("approve by the agent: %d", r.status)
	}
	r = do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", ts.admin, map[string]any{"reason": "our internal fork", "expires_in": "7d"})
	if r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	var ap struct {
		Review    store.Review    `json:"review"`
		Exception store.Exception `json:"exception"`
	}
	r.json(t, &ap)
	if ap.Review.State != store.ReviewApproved || ap.Exception.Project != "reqeusts" || ap.Exception.Specifier != "==2.31.0" ||
		ap.Exception.ApprovedBy != "admin" || time.Until(ap.Exception.Expires) < 6*24*time.Hour {
		t.Errorf("approval %+v", ap)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", ts.admin, map[string]any{"reason": "again"}); r.status != 409 {
		t.Errorf("second approval: %d", r.status)
	}
	// The exception applies at once, to that version only.
	rep, _ = check("reqeusts==2.31.0")
	if rep.Action() != policy.Allow || rep.Results[0].Findings[0].Exception == nil {
		t.Errorf("after approval: %v %+v", rep.Action(), rep.Results[0].Findings)
	}
	if strings.Contains(strings.Join(rep.Notes, "\n"), "was not needed") {
		t.Errorf("notes about unused exceptions: %q", rep.Notes)
	}
	if rep, _ := check("reqeusts==2.32.0"); rep.Action() != policy.Review {
		t.Errorf("another version: %v", rep.Action())
	} else if strings.Contains(strings.Join(rep.Notes, "\n"), "exception reqeusts") {
		// Approved reviews are many and most checks need none of them.
		t.Errorf("notes about the approved review's unused exception: %q", rep.Notes)
	}

	// Rejecting turns the same request into a denial.
	_, r = check("pandsa==2.0.0")
	rid := r.header.Get("Airlock-Reviews")
	r = do(t, "POST", ts.url+"/v1/reviews/"+rid+"/reject", ts.admin, map[string]any{"note": "not a project we use"})
	if r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	rep, r = check("pandsa==2.0.0")
	if rep.Action() != policy.Deny || rep.Summary.Deny != 1 || rep.Summary.Review != 0 || r.header.Get("Airlock-Reviews") != "" ||
		!strings.Contains(rep.Results[0].Findings[0].Message, "rejected this in review "+rid+": not a project we use") {
		t.Errorf("after rejection: %s", r.body)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/"+rid+"/reject", ts.admin, nil); r.status != 409 {
		t.Errorf("second rejection: %d", r.status)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/12345/reject", ts.admin, nil); r.status != 404 {
		t.Errorf("unknown review: %d", r.status)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/abc/approve", ts.admin, map[string]any{"reason": "x"}); r.status != 400 {
		t.Errorf("bad id: %d", r.status)
	}
	// Both decisions are in the log.
	if evs := events(t, ts.url, ts.admin, "action=review-approve"); len(evs) != 1 || evs[0].Actor != "admin" || evs[0].Decision != store.DecisionAllow {
		t.Errorf("approval events %+v", evs)
	}
	if evs := events(t, ts.url, ts.admin, "action=review-reject"); len(evs) != 1 || evs[0].Decision != store.DecisionDeny {
		t.Errorf("rejection events %+v", evs)
	}
	var xs struct {
		Exceptions []store.Exception `json:"exceptions"`
	}
	do(t, "GET", ts.url+"/v1/exceptions", ts.admin, nil).json(t, &xs)
	if len(xs.Exceptions) != 1 {
		t.Errorf("exceptions %+v", xs.Exceptions)
	}

	// A second server on the same store (another replica) picks up the
	// approval and the rejection when it starts.
	ts2 := startServer(t, ts.st, ts.dbDSN, withPolicy(t, "version: 1\nrules:\n  typosquat: review\n"), func(o *server.Options) { o.Store = nopClose{ts.st} })
	agent2 := ts2.token("agent-2", store.Scopes(store.ScopeCheck), time.Time{})
	for req, want := range map[string]policy.Action{"reqeusts==2.31.0": policy.Allow, "pandsa==2.0.0": policy.Deny} {
		var rep policy.Report
		do(t, "POST", ts2.url+"/v1/check", agent2, map[string]any{"requirements": []string{req}}).json(t, &rep)
		if rep.Action() != want {
			t.Errorf("second server, %s: %v, want %v", req, rep.Action(), want)
		}
	}
}

// nopClose keeps a shared store open when a second test server closes.
type nopClose struct{ store.Store }

func (nopClose) Close() error { return nil }

// TestConcurrentChecksAudited: every answered check of many concurrent
// clients is in the log.
func TestConcurrentChecksAudited(t *testing.T) {
	ts := newTestServer(t)
	agent := ts.token("agent", store.Scopes(store.ScopeCheck), time.Time{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	for c := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				r := do(t, "POST", ts.url+"/v1/check", agent, map[string]any{"requirements": []string{fmt.Sprintf("pkg-%d-%d==1.0", c, i)}})
				if r.status == 200 {
					mu.Lock()
					ids[r.header.Get("X-Request-Id")] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	evs := events(t, ts.url, ts.admin, "action=check")
	if len(evs) != len(ids) || len(ids) != 320 {
		t.Fatalf("%d answered, %d events, want 320 each", len(ids), len(evs))
	}
	for _, e := range evs {
		delete(ids, e.RequestID)
	}
	if len(ids) != 0 {
		t.Errorf("%d answered checks are not in the log", len(ids))
	}
}

// TestReloadData: advisory data updated while the server runs (airlock db
// update) is picked up at the next refresh.
func TestReloadData(t *testing.T) {
	dir := t.TempDir()
	osv := `{"id": "PYSEC-2099-42", "summary": "vulnlib before 2.0 runs commands from crafted config files",
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "vulnlib"},
	                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "PYSEC-2099-42.json"), []byte(osv), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := advisory.LoadFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	var updated atomic.Bool
	ts := newTestServer(t, func(o *server.Options) {
		o.RefreshInterval = 20 * time.Millisecond
		o.ReloadData = func(context.Context) (policy.Data, []string, bool, error) {
			if updated.Swap(false) {
				return policy.Data{Advisories: ix}, []string{"reloaded"}, true, nil
			}
			return policy.Data{}, nil, false, nil
		}
	})
	check := func() policy.Report {
		var rep policy.Report
		do(t, "POST", ts.url+"/v1/check", ts.admin, map[string]any{"requirements": []string{"vulnlib==1.0"}}).json(t, &rep)
		return rep
	}
	if rep := check(); rep.Action() != policy.Allow {
		t.Fatalf("before the update: %v", rep.Action())
	}
	updated.Store(true)
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep := check()
		if rep.Action() == policy.Deny {
			if rep.Results[0].Findings[0].Rule != policy.RuleVulnerable || !slices.Contains(rep.Notes, "reloaded") {
				t.Errorf("after the update: %+v, notes %q", rep.Results[0].Findings, rep.Notes)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the update was not picked up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReviewApprovalNeverSoftensDeny: approving "pandas>=1.5 admits
// versions outside the allowed range" (a review) makes an exception that
// only softens review findings; pandas==1.0, denied outright, stays denied.
func TestReviewApprovalNeverSoftensDeny(t *testing.T) {
	ts := newTestServer(t, withPolicy(t, "version: 1\nmode: allowlist\nallow:\n  - {name: pandas, versions: \">=2.0\"}\n"))
	agent := ts.token("agent", store.Scopes(store.ScopeCheck), time.Time{})
	check := func(req string) (policy.Report, response) {
		t.Helper()
		r := do(t, "POST", ts.url+"/v1/check", agent, map[string]any{"requirements": []string{req}})
		var rep policy.Report
		r.json(t, &rep)
		return rep, r
	}
	rep, r := check("pandas>=1.5")
	id := r.header.Get("Airlock-Reviews")
	if rep.Action() != policy.Review || id == "" {
		t.Fatalf("pandas>=1.5: %v, review %q", rep.Action(), id)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", ts.admin, map[string]any{"reason": "we pin it later", "expires_in": "7d"}); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if rep, _ := check("pandas>=1.5"); rep.Action() != policy.Allow {
		t.Errorf("pandas>=1.5 after approval: %v", rep.Action())
	}
	if rep, _ := check("pandas==1.0"); rep.Action() != policy.Deny {
		t.Errorf("pandas==1.0 after approving a review of pandas>=1.5: %v, want deny", rep.Action())
	}
}
