package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/store"
)

// envView is an environment as the API shows it: no host paths.
type envView struct {
	Name          string        `json:"name"`
	Python        string        `json:"python"`
	PythonVersion string        `json:"python_version"`
	Created       time.Time     `json:"created"`
	Updated       time.Time     `json:"updated"`
	Packages      []env.Package `json:"packages"`
}

func viewOf(l *env.Lock) envView {
	pk := l.Packages
	if pk == nil {
		pk = []env.Package{}
	}
	return envView{Name: l.Name, Python: l.Python.Path, PythonVersion: l.Python.Version, Created: l.Created, Updated: l.Updated, Packages: pk}
}

// envsOff is the answer of the environment routes when the server has no
// environments.
func envsOff() error {
	return errorf(http.StatusServiceUnavailable, CodeUnavailable, "this server does not manage environments")
}

// openEnv opens the environment named in the path.
func (s *Server) openEnv(r *http.Request) (*env.Env, error) {
	if s.opts.Environments == nil {
		return nil, envsOff()
	}
	name := r.PathValue("name")
	if !env.ValidName(name) {
		return nil, badRequest("%v", &env.NameError{Name: name})
	}
	e, err := s.opts.Environments.Open(name)
	if errors.Is(err, env.ErrNotFound) {
		return nil, notFound("no environment named %q", name)
	}
	if err != nil {
		return nil, internal(err)
	}
	return e, nil
}

func (s *Server) handleEnvList(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Environments == nil {
		return envsOff()
	}
	envs, err := s.opts.Environments.List()
	if err != nil {
		return internal(err)
	}
	out := make([]envView, 0, len(envs))
	for _, e := range envs {
		l, err := e.Lock()
		if err != nil {
			s.log.Warn("skipping an environment whose lock cannot be read", "environment", e.Name(), "err", err)
			continue
		}
		out = append(out, viewOf(l))
	}
	writeJSON(w, http.StatusOK, map[string]any{"environments": out})
	return nil
}

func (s *Server) handleEnvGet(w http.ResponseWriter, r *http.Request) error {
	e, err := s.openEnv(r)
	if err != nil {
		return err
	}
	l, err := e.Lock()
	if err != nil {
		return internal(err)
	}
	writeJSON(w, http.StatusOK, viewOf(l))
	return nil
}

// envCreateRequest is the body of POST /v1/environments.
type envCreateRequest struct {
	Name string `json:"name"`
	// Python is a system interpreter under /usr; "" means the default.
	Python string `json:"python"`
}

func (s *Server) handleEnvCreate(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Environments == nil {
		return envsOff()
	}
	ctx := r.Context()
	var req envCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if !env.ValidName(req.Name) {
		return badRequest("%v", &env.NameError{Name: req.Name})
	}
	e, err := s.opts.Environments.Create(ctx, req.Name, env.CreateOptions{Python: req.Python})
	var pe *env.PythonError
	switch {
	case errors.Is(err, env.ErrExists):
		return errorf(http.StatusConflict, CodeConflict, "environment %q already exists", req.Name)
	case errors.As(err, &pe):
		return badRequest("python %q cannot back an environment: %s", req.Python, pe.Reason)
	case err != nil:
		return internal(err)
	}
	l, err := e.Lock()
	if err != nil {
		return internal(err)
	}
	extra, _ := docJSON(map[string]any{"python": l.Python})
	if _, err := s.record(ctx, store.Event{Action: store.ActionEnvCreate, Subject: req.Name, Extra: extra}); err != nil {
		// An environment whose creation is not on record must not stay.
		if rerr := s.opts.Environments.Remove(context.WithoutCancel(ctx), req.Name); rerr != nil {
			s.log.Error("removing an unrecorded environment failed", "environment", req.Name, "err", rerr)
		}
		return err
	}
	s.syncEnvRecord(ctx, e)
	writeJSON(w, http.StatusCreated, viewOf(l))
	return nil
}

func (s *Server) handleEnvDelete(w http.ResponseWriter, r *http.Request) error {
	e, err := s.openEnv(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.opts.Environments.Remove(ctx, e.Name()); err != nil {
		if errors.Is(err, env.ErrNotFound) {
			return notFound("no environment named %q", e.Name())
		}
		return internal(err)
	}
	if _, err := s.record(ctx, store.Event{Action: store.ActionEnvDelete, Subject: e.Name()}); err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.store.DeleteEnvironment(dctx, e.Name()); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("removing the environment's record from the store failed", "environment", e.Name(), "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// syncEnvRecord copies an environment's lock into the store's record of
// it, so that every replica sharing the store can see what each holds.
// The environment directory is the truth; a failure here is logged.
func (s *Server) syncEnvRecord(ctx context.Context, e *env.Env) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := func() error {
		l, err := e.Lock()
		if err != nil {
			return err
		}
		doc, err := docJSON(l)
		if err != nil {
			return err
		}
		if len(doc) > store.MaxDocumentSize {
			doc = nil
		}
		for attempt := 0; attempt < 3; attempt++ {
			rec, err := s.store.Environment(ctx, e.Name())
			if errors.Is(err, store.ErrNotFound) {
				_, err = s.store.CreateEnvironment(ctx, store.Environment{Name: e.Name(), Python: l.Python.Path, Lock: doc, Created: l.Created})
				if !errors.Is(err, store.ErrExists) {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			rec.Python, rec.Lock, rec.Updated = l.Python.Path, doc, time.Time{}
			if _, err = s.store.UpdateEnvironment(ctx, rec); !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
		return errors.New("the record kept changing")
	}()
	if err != nil {
		s.log.Warn("recording the environment in the store failed", "environment", e.Name(), "err", err)
	}
}

// handleInstall is the vetted install into an environment.
func (s *Server) handleInstall(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tok := tokenFrom(ctx)
	e, err := s.openEnv(r)
	if err != nil {
		return err
	}
	if s.installer == nil {
		return unavailable("installs are not available on this server", s.installEr)
	}
	var req requirementsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	inputs, subject, err := req.inputs()
	if err != nil {
		return err
	}
	release, err := s.conc.acquire(kindInstall, tok.Name)
	if err != nil {
		s.metrics.limited.WithLabelValues("concurrency").Inc()
		return err
	}
	defer release()
	h := &eventHolder{subject: subject}
	ctx = context.WithValue(ctx, eventHolderKey, h)
	res, err := s.installer.Install(ctx, e, env.Request{Inputs: inputs, Actor: tok.Name})
	if err != nil {
		if errors.Is(err, env.ErrNotFound) {
			return notFound("environment %q was removed", e.Name())
		}
		if _, ok := errors.AsType[*apiError](err); ok {
			return err
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &apiError{Status: http.StatusServiceUnavailable, Code: CodeTimeout, RetryAfter: time.Second,
				Message: "the install took longer than its deadline; nothing was changed", Err: err}
		}
		return unavailable("the install could not be carried out or recorded; nothing was changed", err)
	}
	if res.Outcome == env.Failed {
		s.log.WarnContext(ctx, "install failed", "request_id", requestID(ctx), "environment", e.Name(), "install", res.ID, "err", res.Error)
		return &apiError{Status: http.StatusBadGateway, Code: CodeInstallFailed,
			Message: fmt.Sprintf("the install into %q could not be carried out (install %s); nothing was changed; the server log has the details under this request id", e.Name(), res.ID)}
	}
	if res.Outcome == env.Installed {
		s.syncEnvRecord(ctx, e)
	}
	if items := s.installReviews(res); len(items) > 0 {
		notes, ids, err := s.openReviews(ctx, items, tok.Name, h.id)
		if err != nil {
			return unavailable("the install was recorded, but its review could not be opened; try again", err)
		}
		res.Notes = append(res.Notes, notes...)
		w.Header().Set("Airlock-Reviews", joinIDs(ids))
	}
	res.Error = ""
	writeJSON(w, http.StatusOK, res)
	return nil
}

// installReviews are the review findings of an install that an
// administrator could approve: the request's and the resolved releases'.
// Findings an administrator rejected get a note instead.
func (s *Server) installReviews(res *env.Result) []pendingReview {
	if res.Outcome != env.Review {
		return nil
	}
	var out []pendingReview
	seen := map[reviewKey]bool{}
	add := func(subject, project, spec string, f policy.Finding) {
		if f.Action != policy.Review || !exceptable(f.Rule) {
			return
		}
		k := reviewKey{project, spec, string(f.Rule)}
		if rj, ok := s.reviews.rejectedFor(k); ok {
			res.Notes = append(res.Notes, fmt.Sprintf("%s was rejected in review %d%s", k, rj.id, noteSuffix(rj.note)))
			return
		}
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, pendingReview{subject: subject, doc: reviewDoc{Project: project, Specifier: spec, Rule: k.rule,
			Stage: string(policy.StageInstall), Environment: res.Env, Findings: []policy.Finding{f}}})
	}
	if res.Check != nil {
		for _, r := range res.Check.Results {
			if r.CanonicalName != nil {
				for _, f := range r.Findings {
					add(r.Input, *r.CanonicalName, exactPin(r.Specifier), f)
				}
			}
		}
	}
	for _, rr := range res.Releases {
		subject := rr.Name + "==" + rr.Version
		if len(rr.Path) > 0 {
			subject += " (" + strings.Join(rr.Path, " → ") + ")"
		}
		for _, f := range rr.Decision.Findings {
			add(subject, rr.Name, "=="+rr.Version, f)
		}
	}
	return out
}
