package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/store"
)

// Exception lifetimes for approvals.
const (
	// DefaultExceptionLifetime is the expiry of an approval that names
	// none: long enough for a project's sprint, short enough that accepted
	// risks are looked at again.
	DefaultExceptionLifetime = 30 * 24 * time.Hour
	// MaxExceptionLifetime bounds an approval's expiry.
	MaxExceptionLifetime = 365 * 24 * time.Hour
)

// reviewDoc is what a review stores as its findings: the finding that
// needs a person, and what an approval would except. docs/api.md
// documents it (ReviewTarget in the OpenAPI document).
type reviewDoc struct {
	Project     string           `json:"project"`               // PEP 503 name
	Specifier   string           `json:"specifier"`             // "==2.31.0" for a pinned request, "" for any version
	Rule        string           `json:"rule"`                  // the rule that asked for review
	Stage       string           `json:"stage"`                 // check or install
	Environment string           `json:"environment,omitempty"` // the install's environment
	Findings    []policy.Finding `json:"findings"`
}

func (d reviewDoc) key() reviewKey { return reviewKey{d.Project, d.Specifier, d.Rule} }

// reviewKey identifies what a review is about: one project, version and
// rule. Two requests for the same thing share one pending review, and a
// rejection applies to every later request for it.
type reviewKey struct{ project, specifier, rule string }

func (k reviewKey) String() string {
	s := k.project
	if k.specifier != "" {
		s += k.specifier
	}
	return s + " (" + k.rule + ")"
}

type rejection struct {
	id   int64
	note string
}

// reviewIndex knows the pending and rejected reviews by key. It is loaded
// from the store at start and at every refresh, and kept up to date by this
// server's own changes in between.
type reviewIndex struct {
	mu       sync.Mutex
	pending  map[reviewKey]int64
	rejected map[reviewKey]rejection
}

func newReviewIndex() *reviewIndex {
	return &reviewIndex{pending: map[reviewKey]int64{}, rejected: map[reviewKey]rejection{}}
}

func (ri *reviewIndex) load(revs []store.Review) {
	pending, rejected := map[reviewKey]int64{}, map[reviewKey]rejection{}
	for _, r := range revs {
		var d reviewDoc
		if json.Unmarshal(r.Findings, &d) != nil || d.Project == "" || d.Rule == "" {
			continue
		}
		switch r.State {
		case store.ReviewPending:
			pending[d.key()] = r.ID
		case store.ReviewRejected:
			rejected[d.key()] = rejection{r.ID, r.Note}
		case store.ReviewApproved:
			// A later approval of the same thing lifts a rejection.
			if rj, ok := rejected[d.key()]; ok && rj.id < r.ID {
				delete(rejected, d.key())
			}
		}
	}
	ri.mu.Lock()
	ri.pending, ri.rejected = pending, rejected
	ri.mu.Unlock()
}

func (ri *reviewIndex) rejectedFor(k reviewKey) (rejection, bool) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	r, ok := ri.rejected[k]
	return r, ok
}

func (ri *reviewIndex) pendingFor(k reviewKey) (int64, bool) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	id, ok := ri.pending[k]
	return id, ok
}

func (ri *reviewIndex) setPending(k reviewKey, id int64) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	ri.pending[k] = id
}

func (ri *reviewIndex) decided(k reviewKey, id int64, rj *rejection) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.pending[k] == id {
		delete(ri.pending, k)
	}
	if rj != nil {
		ri.rejected[k] = *rj
	} else {
		delete(ri.rejected, k)
	}
}

// exceptable reports whether an exception can be made for findings of
// rule: the policy's own rules (custom rules are changed in the policy).
func exceptable(rule policy.Rule) bool { return slices.Contains(policy.Rules, rule) }

// exactPin returns "==V" when spec pins one version exactly, else "": an
// exception for an unpinned request covers every version (the policy
// cannot match a version range against one).
func exactPin(spec string) string {
	set, err := pep440.ParseSpecifierSet(spec)
	if err != nil {
		return ""
	}
	sp := set.Specifiers()
	if len(sp) != 1 || sp[0].Op != "==" || strings.HasSuffix(sp[0].Version, ".*") {
		return ""
	}
	v, err := pep440.Parse(sp[0].Version)
	if err != nil {
		return ""
	}
	return "==" + v.String()
}

// pendingReview is a review the server will create (or reuse) for one
// finding.
type pendingReview struct {
	subject string
	doc     reviewDoc
}

// applyRejections turns the review findings of rep that an administrator
// rejected into denials, recomputes the decisions, and returns the review
// findings that remain, one per key.
func (s *Server) applyRejections(rep *policy.Report) []pendingReview {
	var out []pendingReview
	seen := map[reviewKey]bool{}
	changed := false
	for i := range rep.Results {
		res := &rep.Results[i]
		if res.Decision != policy.Review || res.CanonicalName == nil {
			continue
		}
		spec := exactPin(res.Specifier)
		act := policy.Allow
		for j := range res.Findings {
			f := &res.Findings[j]
			if f.Action == policy.Review && exceptable(f.Rule) {
				k := reviewKey{*res.CanonicalName, spec, string(f.Rule)}
				if rj, ok := s.reviews.rejectedFor(k); ok {
					f.Action = policy.Deny
					f.Message += fmt.Sprintf(" (an administrator rejected this in review %d%s)", rj.id, noteSuffix(rj.note))
					changed = true
				} else if !seen[k] {
					seen[k] = true
					out = append(out, pendingReview{subject: res.Input, doc: reviewDoc{Project: k.project, Specifier: k.specifier,
						Rule: k.rule, Stage: string(policy.StageCheck), Findings: []policy.Finding{*f}}})
				}
			}
			act = max(act, f.Action)
		}
		res.Decision = act
	}
	if changed {
		rep.Summary = policy.Summary{}
		for _, res := range rep.Results {
			switch res.Decision {
			case policy.Allow:
				rep.Summary.Allow++
			case policy.Review:
				rep.Summary.Review++
			case policy.Deny:
				rep.Summary.Deny++
			}
		}
	}
	return out
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// openReviews creates (or finds) the pending review of each item, tied to
// the audit event that raised it, and returns a note per review for the
// answer.
func (s *Server) openReviews(ctx context.Context, items []pendingReview, actor string, eventID int64) ([]string, []int64, error) {
	var notes []string
	var ids []int64
	for _, it := range items {
		k := it.doc.key()
		id, ok := s.reviews.pendingFor(k)
		if ok {
			r, err := s.store.Review(ctx, id)
			ok = err == nil && r.State == store.ReviewPending
		}
		if !ok {
			doc, err := docJSON(it.doc)
			if err != nil {
				return nil, nil, err
			}
			r, err := s.store.CreateReview(ctx, store.Review{Subject: clip(it.subject, store.MaxTextLength), Findings: doc,
				Requester: actor, EventID: eventID})
			if err != nil {
				return nil, nil, fmt.Errorf("creating a review: %w", err)
			}
			id = r.ID
			s.reviews.setPending(k, id)
		}
		ids = append(ids, id)
		notes = append(notes, fmt.Sprintf("%s needs a person's review: review %d is pending (an administrator approves it with POST /v1/reviews/%d/approve)", k, id, id))
	}
	return notes, ids, nil
}

// reviewID reads the {id} of a review route.
func reviewID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("review id %q is not a positive integer", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) handleReviewList(w http.ResponseWriter, r *http.Request) error {
	var state store.ReviewState
	if v := r.URL.Query().Get("state"); v != "" {
		st, err := store.ParseReviewState(v)
		if err != nil {
			return badRequest("state %q: want pending, approved or rejected", v)
		}
		state = st
	}
	revs, err := s.store.Reviews(r.Context(), state)
	if err != nil {
		return unavailable("cannot read the reviews now", err)
	}
	if revs == nil {
		revs = []store.Review{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviews": revs})
	return nil
}

func (s *Server) handleReviewGet(w http.ResponseWriter, r *http.Request) error {
	id, err := reviewID(r)
	if err != nil {
		return err
	}
	rev, err := s.store.Review(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no review %d", id)
	}
	if err != nil {
		return unavailable("cannot read the review now", err)
	}
	writeJSON(w, http.StatusOK, rev)
	return nil
}

// approveRequest is the body of POST /v1/reviews/{id}/approve.
type approveRequest struct {
	// Reason says why the risk is accepted; required.
	Reason string `json:"reason"`
	// Expires, or ExpiresIn ("30d", "12h"), ends the exception; the
	// default is DefaultExceptionLifetime from now.
	Expires   *time.Time `json:"expires"`
	ExpiresIn string     `json:"expires_in"`
	// Specifier replaces the review's own ("==2.31.0", or "" for every
	// version).
	Specifier *string `json:"specifier"`
}

func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := reviewID(r)
	if err != nil {
		return err
	}
	var req approveRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return badRequest("reason is required: say why the risk is accepted")
	}
	now := s.now()
	expires := now.Add(DefaultExceptionLifetime)
	switch {
	case req.Expires != nil && req.ExpiresIn != "":
		return badRequest("give expires or expires_in, not both")
	case req.Expires != nil:
		expires = *req.Expires
	case req.ExpiresIn != "":
		d, err := parseLifetime(req.ExpiresIn)
		if err != nil {
			return badRequest("expires_in %q: %v", req.ExpiresIn, err)
		}
		expires = now.Add(d)
	}
	if !expires.After(now) {
		return badRequest("expires must be in the future")
	}
	if expires.Sub(now) > MaxExceptionLifetime {
		return badRequest("expires is more than %d days away; approve again when it runs out", int(MaxExceptionLifetime.Hours()/24))
	}
	rev, doc, err := s.pendingReview(ctx, id)
	if err != nil {
		return err
	}
	spec := doc.Specifier
	if req.Specifier != nil {
		spec = strings.TrimSpace(*req.Specifier)
	}
	tok := tokenFrom(ctx)
	x := store.Exception{Project: doc.Project, Specifier: spec, Rule: doc.Rule, Reason: req.Reason, Expires: expires,
		ApprovedBy: tok.Name, Created: now}
	if _, err := policyException(x); err != nil {
		return badRequest("this approval would not make a valid exception: %v", err)
	}
	x, err = s.store.ApproveReview(ctx, id, x)
	if err != nil {
		return decisionError(id, "approval", err)
	}
	s.reviews.decided(doc.key(), id, nil)
	extra, _ := docJSON(map[string]any{"review_id": id, "exception_id": x.ID, "expires": x.Expires, "specifier": x.Specifier})
	if _, err := s.record(ctx, store.Event{Action: store.ActionReviewApprove, Decision: store.DecisionAllow,
		Subject: fmt.Sprintf("review %d: %s", id, doc.key()), Extra: extra}); err != nil {
		return err
	}
	if err := s.reloadExceptions(ctx); err != nil {
		s.log.Warn("the approval is stored but the policy could not be rebuilt yet; the next refresh will", "review", id, "err", err)
	}
	rev, err = s.store.Review(ctx, id)
	if err != nil {
		return unavailable("the approval is recorded, but the review cannot be read back now", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"review": rev, "exception": x})
	return nil
}

// rejectRequest is the body of POST /v1/reviews/{id}/reject.
type rejectRequest struct {
	Note string `json:"note"`
}

func (s *Server) handleReject(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := reviewID(r)
	if err != nil {
		return err
	}
	var req rejectRequest
	if err := decodeJSON(r, &req); err != nil && !isEmptyBody(err) {
		return err
	}
	_, doc, err := s.pendingReview(ctx, id)
	if err != nil {
		return err
	}
	tok := tokenFrom(ctx)
	rev, err := s.store.RejectReview(ctx, id, tok.Name, clip(strings.TrimSpace(req.Note), store.MaxTextLength), s.now())
	if err != nil {
		return decisionError(id, "rejection", err)
	}
	s.reviews.decided(doc.key(), id, &rejection{id: id, note: rev.Note})
	extra, _ := docJSON(map[string]any{"review_id": id})
	if _, err := s.record(ctx, store.Event{Action: store.ActionReviewReject, Decision: store.DecisionDeny,
		Subject: fmt.Sprintf("review %d: %s", id, doc.key()), Extra: extra}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"review": rev})
	return nil
}

// pendingReview reads a review that is still pending, with its target.
func (s *Server) pendingReview(ctx context.Context, id int64) (store.Review, reviewDoc, error) {
	rev, err := s.store.Review(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rev, reviewDoc{}, notFound("no review %d", id)
	}
	if err != nil {
		return rev, reviewDoc{}, unavailable("cannot read the review now", err)
	}
	if rev.State != store.ReviewPending {
		return rev, reviewDoc{}, errorf(http.StatusConflict, CodeConflict, "review %d was already %s", id, rev.State)
	}
	var doc reviewDoc
	if err := json.Unmarshal(rev.Findings, &doc); err != nil || doc.Project == "" || doc.Rule == "" {
		return rev, reviewDoc{}, errorf(http.StatusConflict, CodeConflict, "review %d was not made by this server and cannot be decided here", id)
	}
	return rev, doc, nil
}

// reloadExceptions rebuilds the policy from the store's exceptions.
func (s *Server) reloadExceptions(ctx context.Context) error {
	xs, err := s.store.Exceptions(ctx)
	if err != nil {
		return err
	}
	return s.rebuild(xs, false)
}

func (s *Server) handleExceptions(w http.ResponseWriter, r *http.Request) error {
	xs, err := s.store.Exceptions(r.Context())
	if err != nil {
		return unavailable("cannot read the exceptions now", err)
	}
	if xs == nil {
		xs = []store.Exception{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"exceptions": xs})
	return nil
}

// parseLifetime reads "30d", "12h" or "1h30m".
func parseLifetime(text string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(text, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 10*365 {
			return 0, errors.New("want a duration such as 30d, 12h or 1h30m")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 {
		return 0, errors.New("want a duration such as 30d, 12h or 1h30m")
	}
	return d, nil
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// joinIDs writes ids as a comma-separated list.
func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// decisionError maps the store's answer to recording a review decision
// (what: "approval" or "rejection") to the API's error.
func decisionError(id int64, what string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("no review %d", id)
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, CodeConflict, "review %d was already decided", id)
	case errors.Is(err, store.ErrInvalid):
		return badRequest("%v", err)
	}
	return unavailable("cannot record the "+what+" now", err)
}
