package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
	"github.com/airlock-dev/airlock/internal/store"
)

// MaxRequirements bounds the "requirements" array of a check or install.
const MaxRequirements = 10_000

// Sources of request entries, as the results' "source" shows them.
const (
	sourceRequirements = "<requirements>"
	sourceText         = "<text>"
)

// requirementsRequest is the body of a check, and the request part of an
// install: either requirement strings, each read as one line of a
// requirements file, or the text of a requirements file.
type requirementsRequest struct {
	Requirements []string `json:"requirements"`
	Text         *string  `json:"text"`
}

// inputs parses the request as pip would, leniently: every problem is an
// entry the policy denies. File includes (-r, -c) are never read: a
// request body has no directory, so the policy refuses them.
func (q *requirementsRequest) inputs() ([]policy.Input, string, error) {
	switch {
	case q.Text != nil && q.Requirements != nil:
		return nil, "", badRequest("give \"requirements\" or \"text\", not both")
	case q.Text != nil:
		text := *q.Text
		return []policy.Input{{Entries: reqfile.ParseLax(sourceText, []byte(text), nil)}}, text, nil
	case len(q.Requirements) > MaxRequirements:
		return nil, "", badRequest("more than %d requirements", MaxRequirements)
	case len(q.Requirements) > 0:
		// Like `airlock check`'s arguments: each string is one line.
		text, err := reqfile.JoinLines(q.Requirements)
		if err != nil {
			return nil, "", badRequest("requirements %v; send several lines as \"text\"", err)
		}
		return []policy.Input{{Entries: reqfile.ParseLax(sourceRequirements, []byte(text), nil)}}, strings.TrimSuffix(text, "\n"), nil
	}
	return nil, "", badRequest("nothing to check: give \"requirements\" (an array of strings) or \"text\" (a requirements file)")
}

// handleCheck is POST /v1/check: the answer is the report `airlock check
// --format json` prints, after the decision has been committed to the
// audit log.
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req requirementsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	inputs, subject, err := req.inputs()
	if err != nil {
		return err
	}
	st := s.current()
	rep := st.check(policy.CheckOptions{}, inputs...)
	reviews := s.applyRejections(&rep)
	findings, err := reportFindings(&rep)
	if err != nil {
		return internal(err)
	}
	extra, err := docJSON(checkExtra{Summary: rep.Summary})
	if err != nil {
		return internal(err)
	}
	tok := tokenFrom(ctx)
	ev, err := s.record(ctx, store.Event{Action: store.ActionCheck, Decision: storeDecision(rep.Action()),
		Subject: subject, Findings: findings, Extra: extra})
	if err != nil {
		return err
	}
	if len(reviews) > 0 {
		notes, ids, err := s.openReviews(ctx, reviews, tok.Name, ev.ID)
		if err != nil {
			return unavailable("the check was recorded, but its review could not be opened; try again", err)
		}
		rep.Notes = append(rep.Notes, notes...)
		w.Header().Set("Airlock-Reviews", joinIDs(ids))
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// checkExtra is the extra data of a check's audit event.
type checkExtra struct {
	Summary policy.Summary `json:"summary"`
}

// entryFindings are the findings of one entry, as the audit log keeps
// them: only entries with findings, each with what it was about.
type entryFindings struct {
	Input    string           `json:"input"`
	Line     int              `json:"line"`
	Decision policy.Action    `json:"decision"`
	Findings []policy.Finding `json:"findings"`
}

// reportFindings is the audit log's findings document for a report: the
// entries that have findings. An all-clean report has none (nil).
func reportFindings(rep *policy.Report) (json.RawMessage, error) {
	var out []entryFindings
	for _, res := range rep.Results {
		if len(res.Findings) > 0 {
			out = append(out, entryFindings{Input: res.Input, Line: res.Line, Decision: res.Decision, Findings: res.Findings})
		}
	}
	if out == nil {
		return nil, nil
	}
	// A huge request could make a document the store refuses: keep the
	// first entries, and say how many there were.
	for n := len(out); ; n /= 2 {
		var doc []byte
		var err error
		if n == len(out) {
			doc, err = docJSON(out)
		} else {
			doc, err = docJSON(truncatedFindings{Entries: out[:n], Total: len(out), Truncated: true})
		}
		if err != nil || len(doc) <= maxFindingsDoc || n == 0 {
			return doc, err
		}
	}
}

// maxFindingsDoc is the largest findings document an event gets, well
// under the store's limit.
const maxFindingsDoc = store.MaxDocumentSize / 2

// truncatedFindings replaces a findings document that would be too large.
type truncatedFindings struct {
	Entries   []entryFindings `json:"entries"`
	Total     int             `json:"total_entries"`
	Truncated bool            `json:"truncated"`
}
