package store

import (
	"encoding"
	"encoding/json"
	"time"
)

// Environment is the stored record of an isolated environment.
type Environment struct {
	Name    string    `json:"name"`
	Python  string    `json:"python"` // the interpreter the environment was made from
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Lock is the environment's current lock, a JSON document the env
	// package defines; nil before the first install.
	Lock json.RawMessage `json:"lock,omitempty"`
	// Version counts the updates, starting at 1; UpdateEnvironment uses it
	// for optimistic concurrency.
	Version int64 `json:"version"`
}

func (e Environment) check() error {
	if err := checkName("environment name", e.Name); err != nil {
		return err
	}
	if e.Python == "" {
		return invalid("python path", "", "empty")
	}
	if err := checkText("python path", e.Python); err != nil {
		return err
	}
	return checkDocument("lock", e.Lock)
}

// ReviewState is where a review stands.
type ReviewState string

// The review states. The zero value is not a state; [ReviewStore.Reviews]
// takes it to mean "any".
const (
	ReviewPending  ReviewState = "pending"
	ReviewApproved ReviewState = "approved"
	ReviewRejected ReviewState = "rejected"
)

// ParseReviewState returns the state named text.
func ParseReviewState(text string) (ReviewState, error) {
	switch s := ReviewState(text); s {
	case ReviewPending, ReviewApproved, ReviewRejected:
		return s, nil
	}
	return "", invalid("review state", text, "want pending, approved or rejected")
}

// String returns the state's name.
func (s ReviewState) String() string { return string(s) }

// MarshalText implements [encoding.TextMarshaler].
func (s ReviewState) MarshalText() ([]byte, error) {
	if _, err := ParseReviewState(string(s)); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *ReviewState) UnmarshalText(b []byte) error {
	v, err := ParseReviewState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Review is a `review` decision waiting for an administrator.
type Review struct {
	ID        int64           `json:"id"`
	Subject   string          `json:"subject"`            // what was asked for, e.g. the requirement text
	Findings  json.RawMessage `json:"findings,omitempty"` // why it needs review
	Requester string          `json:"requester"`          // the token that asked
	Created   time.Time       `json:"created"`
	EventID   int64           `json:"event_id,omitempty"` // the audit event that raised it, if any
	State     ReviewState     `json:"state"`
	Decided   time.Time       `json:"decided,omitzero"`
	DecidedBy string          `json:"decided_by,omitempty"`
	Note      string          `json:"note,omitempty"` // the approver's or rejecter's reason
}

func (r Review) checkNew() (Review, error) {
	if r.Subject == "" {
		return r, invalid("review subject", "", "empty")
	}
	if err := checkText("review subject", r.Subject); err != nil {
		return r, err
	}
	if err := checkName("requester", r.Requester); err != nil {
		return r, err
	}
	if err := checkDocument("findings", r.Findings); err != nil {
		return r, err
	}
	if r.EventID < 0 {
		return r, invalid("event id", "", "negative")
	}
	r.ID = 0
	r.Created = nowOr(r.Created)
	r.State, r.Decided, r.DecidedBy, r.Note = ReviewPending, time.Time{}, "", ""
	return r, nil
}

// Exception lets something the policy would stop through, for one rule and
// until it expires. Approving a review creates one.
type Exception struct {
	ID        int64  `json:"id"`
	Project   string `json:"project"`             // the project name, as the policy normalises it
	Specifier string `json:"specifier,omitempty"` // a version or specifier ("==2.0.1"); empty for every version
	Rule      string `json:"rule"`                // the policy rule it waives ("typosquat")
	Reason    string `json:"reason"`              // why, in the approver's words
	// Expires is required: exceptions that never expire are how allow
	// lists rot.
	Expires    time.Time `json:"expires"`
	ApprovedBy string    `json:"approved_by"`
	Created    time.Time `json:"created"`
	ReviewID   int64     `json:"review_id,omitempty"` // the review it came from, if any
}

// Expired reports whether x has expired at now.
func (x Exception) Expired(now time.Time) bool { return !now.Before(x.Expires) }

func (x Exception) checkNew() (Exception, error) {
	if err := checkName("exception project", x.Project); err != nil {
		return x, err
	}
	if x.Specifier != "" {
		if err := checkText("exception specifier", x.Specifier); err != nil {
			return x, err
		}
	}
	if err := checkName("exception rule", x.Rule); err != nil {
		return x, err
	}
	if x.Reason == "" {
		return x, invalid("exception reason", "", "empty; say why the exception is safe")
	}
	if err := checkText("exception reason", x.Reason); err != nil {
		return x, err
	}
	if err := checkName("approver", x.ApprovedBy); err != nil {
		return x, err
	}
	x.ID = 0
	x.Created = nowOr(x.Created)
	if x.Expires.IsZero() {
		return x, invalid("exception expiry", "", "required")
	}
	x.Expires = micros(x.Expires)
	if !x.Expires.After(x.Created) {
		return x, invalid("exception expiry", x.Expires.Format(time.RFC3339), "not after its creation")
	}
	return x, nil
}

var (
	_ encoding.TextMarshaler   = ReviewState("")
	_ encoding.TextUnmarshaler = (*ReviewState)(nil)
)
