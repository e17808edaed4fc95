package store

import (
	"context"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Action names what an audit event records. The set is open (the server and
// CLI add their own), but an action is always 1 to 64 lower-case letters,
// digits and '-'.
type Action string

// Actions airlock records.
const (
	ActionCheck         Action = "check"
	ActionInstall       Action = "install"
	ActionRun           Action = "run"
	ActionProxy         Action = "proxy"
	ActionTokenCreate   Action = "token-create"
	ActionTokenRevoke   Action = "token-revoke"
	ActionReviewApprove Action = "review-approve"
	ActionReviewReject  Action = "review-reject"
	ActionEnvCreate     Action = "environment-create"
	ActionEnvDelete     Action = "environment-delete"
)

// ParseAction checks that text has the form of an action.
func ParseAction(text string) (Action, error) {
	if text == "" || len(text) > 64 {
		return "", invalid("action", text, "want 1-64 lower-case letters, digits or '-'")
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return "", invalid("action", text, "want 1-64 lower-case letters, digits or '-'")
		}
	}
	return Action(text), nil
}

// String returns the action's name.
func (a Action) String() string { return string(a) }

// MarshalText implements [encoding.TextMarshaler].
func (a Action) MarshalText() ([]byte, error) {
	if _, err := ParseAction(string(a)); err != nil {
		return nil, err
	}
	return []byte(a), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Decision is the outcome an audit event records: allow, deny or review, or
// none (the empty value) for events that decide nothing, such as creating a
// token. It mirrors the policy package's decision in the store's own terms.
type Decision string

// The decisions.
const (
	DecisionNone   Decision = ""
	DecisionAllow  Decision = "allow"
	DecisionDeny   Decision = "deny"
	DecisionReview Decision = "review"
)

// ParseDecision returns the decision named text ("" is [DecisionNone]).
func ParseDecision(text string) (Decision, error) {
	switch d := Decision(text); d {
	case DecisionNone, DecisionAllow, DecisionDeny, DecisionReview:
		return d, nil
	}
	return "", invalid("decision", text, "want allow, deny, review or nothing")
}

// String returns the decision's name, "" for none.
func (d Decision) String() string { return string(d) }

// MarshalText implements [encoding.TextMarshaler].
func (d Decision) MarshalText() ([]byte, error) {
	if _, err := ParseDecision(string(d)); err != nil {
		return nil, err
	}
	return []byte(d), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (d *Decision) UnmarshalText(b []byte) error {
	v, err := ParseDecision(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Event is one entry of the audit log.
type Event struct {
	// ID is assigned by Append. IDs increase in commit order within one
	// SQLite database; in Postgres they increase in insertion order and are
	// unique, but concurrent replicas' transactions may become visible out
	// of order.
	ID        int64           `json:"id"`
	Time      time.Time       `json:"time"`               // when it happened; zero means now
	Actor     string          `json:"actor"`              // token name, or "cli" for local commands
	Action    Action          `json:"action"`             // what was asked
	Decision  Decision        `json:"decision,omitempty"` // what airlock decided, if anything
	Subject   string          `json:"subject,omitempty"`  // what it was about: requirement text, environment
	Findings  json.RawMessage `json:"findings,omitempty"` // the policy's reasons, as JSON
	RequestID string          `json:"request_id,omitempty"`
	Extra     json.RawMessage `json:"extra,omitempty"` // anything else, as JSON
}

// checkNew validates an event about to be appended and fills in the time.
func (e Event) checkNew() (Event, error) {
	if err := checkName("actor", e.Actor); err != nil {
		return e, err
	}
	if _, err := ParseAction(string(e.Action)); err != nil {
		return e, err
	}
	if _, err := ParseDecision(string(e.Decision)); err != nil {
		return e, err
	}
	if err := checkText("subject", e.Subject); err != nil {
		return e, err
	}
	if e.RequestID != "" {
		if err := checkName("request id", e.RequestID); err != nil {
			return e, err
		}
	}
	if err := checkDocument("findings", e.Findings); err != nil {
		return e, err
	}
	if err := checkDocument("extra", e.Extra); err != nil {
		return e, err
	}
	e.ID = 0
	e.Time = nowOr(e.Time)
	return e, nil
}

// AuditQuery selects audit events. Zero fields match everything.
type AuditQuery struct {
	Actor    string
	Action   Action
	Decision Decision  // DecisionNone matches every decision
	Since    time.Time // events at or after this time
	Limit    int       // page size: 0 means [DefaultAuditLimit]; at most [MaxAuditLimit]
	Cursor   Cursor    // from the previous page; zero for the newest page
}

// Page sizes for [AuditLog.Events].
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

func (q AuditQuery) limit() int {
	switch {
	case q.Limit <= 0:
		return DefaultAuditLimit
	case q.Limit > MaxAuditLimit:
		return MaxAuditLimit
	}
	return q.Limit
}

// AuditPage is one page of events, newest first.
type AuditPage struct {
	Events []Event `json:"events"`
	// Next continues with older events; it is zero on the last page.
	Next Cursor `json:"next_cursor,omitzero"`
}

// Cursor marks a position in the audit log for pagination. Its text form is
// opaque to clients; the zero Cursor means "start with the newest event".
type Cursor struct {
	before int64 // the page holds events with smaller IDs
}

// IsZero reports whether c is the zero cursor.
func (c Cursor) IsZero() bool { return c.before == 0 }

// String returns the cursor's text form, "" for the zero cursor.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(c.before))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ParseCursor parses a cursor's text form, as returned in a page; "" is the
// zero cursor. Anything else is refused with an [*InvalidError].
func ParseCursor(text string) (Cursor, error) {
	if text == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(b) != 8 || base64.RawURLEncoding.EncodeToString(b) != text {
		return Cursor{}, invalid("cursor", text, "not a cursor from a previous page")
	}
	id := int64(binary.BigEndian.Uint64(b))
	if id <= 0 {
		return Cursor{}, invalid("cursor", text, "not a cursor from a previous page")
	}
	return Cursor{before: id}, nil
}

// MarshalText implements [encoding.TextMarshaler].
func (c Cursor) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (c *Cursor) UnmarshalText(b []byte) error {
	v, err := ParseCursor(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// eventsQuery builds the SELECT for q in either dialect: ph returns the n-th
// (1-based) placeholder and timeArg converts a time to its column value. It
// asks for one event more than the page so that the caller can tell whether
// a next page exists.
func eventsQuery(q AuditQuery, ph func(int) string, timeArg func(time.Time) any) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", ph(len(args))))
	}
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if q.Action != "" {
		add("action = ?", string(q.Action))
	}
	if q.Decision != DecisionNone {
		add("decision = ?", string(q.Decision))
	}
	if !q.Since.IsZero() {
		add("at >= ?", timeArg(micros(q.Since)))
	}
	if !q.Cursor.IsZero() {
		add("id < ?", q.Cursor.before)
	}
	var b strings.Builder
	b.WriteString("SELECT id, at, actor, action, decision, subject, findings, request_id, extra FROM audit")
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	args = append(args, q.limit()+1)
	fmt.Fprintf(&b, " ORDER BY id DESC LIMIT %s", ph(len(args)))
	return b.String(), args
}

// page cuts the one-extra result of eventsQuery into a page and its cursor.
func page(events []Event, q AuditQuery) AuditPage {
	n := q.limit()
	if len(events) <= n {
		if events == nil {
			events = []Event{}
		}
		return AuditPage{Events: events}
	}
	events = events[:n]
	return AuditPage{Events: events, Next: Cursor{before: events[n-1].ID}}
}

// Group commit. Appends go through one goroutine that takes every request
// waiting at that moment (up to maxBatch) and commits them in a single
// transaction, then answers each caller. Under load, the batch grows to
// match: one sync serves many requests. With no load, a lone append commits
// at once, with no timer to wait for.
const (
	maxBatch = 256
	// appendTimeout bounds one batch's transaction, so a stuck database
	// cannot hold every caller forever (they also give up with their ctx).
	appendTimeout = 30 * time.Second
)

// commitFunc inserts evs in one transaction and returns their IDs in order.
type commitFunc func(ctx context.Context, evs []Event) ([]int64, error)

type appendRequest struct {
	ev   Event
	done chan appendResult // buffered: the batcher never blocks on it
}

type appendResult struct {
	id  int64
	err error
}

type batcher struct {
	commit commitFunc
	reqs   chan *appendRequest

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
	wg     sync.WaitGroup
}

func newBatcher(commit commitFunc) *batcher {
	b := &batcher{commit: commit, reqs: make(chan *appendRequest, maxBatch)}
	b.wg.Add(1)
	go b.loop()
	return b
}

// append validates e, queues it, and waits for its batch to commit.
func (b *batcher) append(ctx context.Context, e Event) (Event, error) {
	e, err := e.checkNew()
	if err != nil {
		return Event{}, err
	}
	req := &appendRequest{ev: e, done: make(chan appendResult, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return Event{}, ErrClosed
	}
	select {
	case b.reqs <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return Event{}, ctx.Err()
	}
	select {
	case res := <-req.done:
		if res.err != nil {
			return Event{}, res.err
		}
		e.ID = res.id
		return e, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

func (b *batcher) loop() {
	defer b.wg.Done()
	batch := make([]*appendRequest, 0, maxBatch)
	evs := make([]Event, 0, maxBatch)
	for {
		first, ok := <-b.reqs
		if !ok {
			return
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		evs = evs[:0]
		for _, r := range batch {
			evs = append(evs, r.ev)
		}
		ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
		ids, err := b.commit(ctx, evs)
		cancel()
		if err == nil && len(ids) != len(batch) {
			err = fmt.Errorf("audit append: committed %d events, got %d ids", len(batch), len(ids))
		}
		for i, r := range batch {
			if err != nil {
				r.done <- appendResult{err: fmt.Errorf("audit append: %w", err)}
			} else {
				r.done <- appendResult{id: ids[i]}
			}
		}
	}
}

// close stops accepting appends and waits until every queued one is
// committed.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.reqs)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// checkName checks a short identifier-like string: non-empty, at most
// [MaxNameLength] bytes of UTF-8 without control characters.
func checkName(field, s string) error {
	if s == "" {
		return invalid(field, "", "empty")
	}
	if len(s) > MaxNameLength {
		return invalid(field, s, fmt.Sprintf("longer than %d bytes", MaxNameLength))
	}
	return checkPrintable(field, s)
}

// checkText checks free text: at most [MaxTextLength] bytes of UTF-8.
func checkText(field, s string) error {
	if len(s) > MaxTextLength {
		return invalid(field, s, fmt.Sprintf("longer than %d bytes", MaxTextLength))
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return invalid(field, "", "not valid UTF-8 text")
	}
	return nil
}

func checkPrintable(field, s string) error {
	if !utf8.ValidString(s) {
		return invalid(field, "", "not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return invalid(field, s, "contains control characters")
		}
	}
	return nil
}

// checkDocument checks an optional JSON document.
func checkDocument(field string, doc json.RawMessage) error {
	if doc == nil {
		return nil
	}
	if len(doc) > MaxDocumentSize {
		return invalid(field, "", fmt.Sprintf("larger than %d bytes", MaxDocumentSize))
	}
	// Postgres refuses text that is not UTF-8, which json.Valid lets
	// through inside strings; one such event would fail its whole batch.
	if !json.Valid(doc) || !utf8.Valid(doc) {
		return invalid(field, string(doc), "not valid JSON in UTF-8")
	}
	return nil
}

var (
	_ encoding.TextMarshaler   = Action("")
	_ encoding.TextUnmarshaler = (*Action)(nil)
	_ encoding.TextMarshaler   = Decision("")
	_ encoding.TextUnmarshaler = (*Decision)(nil)
	_ encoding.TextMarshaler   = Cursor{}
	_ encoding.TextUnmarshaler = (*Cursor)(nil)
)
