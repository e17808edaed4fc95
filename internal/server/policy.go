package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/store"
)

// policyState is the policy in force, with what was built from it. It is
// replaced as a whole (policies are immutable) when the exceptions change.
type policyState struct {
	policy *policy.Policy
	judge  index.Judge
	// notes are the remarks every answer carries besides the policy's own:
	// the data's (a stale advisory database) and the server's.
	notes []string
	// exceptionIDs are the store's exceptions the policy holds, sorted.
	exceptionIDs []int64
	// quiet are the notes the policy writes about unused exceptions that
	// came from approved reviews: most checks do not need most of them,
	// and saying so in every answer would drown the notes that matter.
	quiet map[string]bool
}

// check decides a request with the policy in force and adds the notes.
func (st *policyState) check(opts policy.CheckOptions, inputs ...policy.Input) policy.Report {
	rep := st.policy.Check(opts, inputs...)
	if len(st.quiet) > 0 {
		rep.Notes = slices.DeleteFunc(rep.Notes, func(n string) bool { return st.quiet[n] })
	}
	rep.Notes = append(rep.Notes, st.notes...)
	return rep
}

// current returns the policy in force.
func (s *Server) current() *policyState { return s.pol.Load() }

// refresh re-reads the exceptions and reviews from the store and rebuilds
// the policy when the exceptions changed.
func (s *Server) refresh(ctx context.Context) error {
	xs, err := s.store.Exceptions(ctx)
	if err != nil {
		return fmt.Errorf("reading exceptions: %w", err)
	}
	revs, err := s.store.Reviews(ctx, "")
	if err != nil {
		return fmt.Errorf("reading reviews: %w", err)
	}
	s.reviews.load(revs)
	force := false
	if s.opts.ReloadData != nil {
		data, notes, changed, err := s.opts.ReloadData(ctx)
		switch {
		case err != nil:
			s.log.Warn("reloading the advisory data failed; keeping the data in force", "err", err)
		case changed:
			data.Now = s.now
			s.polMu.Lock()
			s.data, s.notes = data, notes
			s.polMu.Unlock()
			force = true
			s.log.Info("advisory data reloaded")
		}
	}
	return s.rebuild(xs, force)
}

// rebuild builds the policy with the unexpired exceptions of xs, unless
// the policy in force holds exactly those already and force is false.
func (s *Server) rebuild(xs []store.Exception, force bool) error {
	s.polMu.Lock()
	defer s.polMu.Unlock()
	now := s.now()
	var ids []int64
	var pxs []policy.Exception
	for _, x := range xs {
		if x.Expired(now) {
			continue
		}
		px, err := policyException(x)
		if err != nil {
			// Approvals are checked when they are made, so only an
			// exception written by another tool gets here.
			s.log.Warn("ignoring an exception the policy cannot use", "exception", x.ID, "err", err)
			continue
		}
		ids = append(ids, x.ID)
		pxs = append(pxs, px)
	}
	slices.Sort(ids)
	if cur := s.pol.Load(); cur != nil && !force && slices.Equal(cur.exceptionIDs, ids) {
		return nil
	}
	data := s.data
	data.Exceptions = slices.Concat(data.Exceptions, pxs)
	p, err := policy.New(s.opts.Policy, data)
	if err != nil {
		return fmt.Errorf("building the policy: %w", err)
	}
	st := &policyState{policy: p, exceptionIDs: ids, notes: slices.Clone(s.notes), quiet: map[string]bool{}}
	for _, px := range pxs {
		st.quiet[px.UnusedNote()] = true
	}
	if s.opts.ProxyJudge != nil {
		st.judge = s.opts.ProxyJudge(p)
	} else {
		st.judge = DefaultProxyJudge(p)
	}
	s.pol.Store(st)
	if len(ids) > 0 {
		s.log.Info("policy rebuilt", "exceptions", len(ids))
	}
	return nil
}

// DefaultProxyJudge is the package index's judge when Options.ProxyJudge
// is nil: the policy at the proxy stage ([index.PolicyFilters]).
func DefaultProxyJudge(p *policy.Policy) index.Judge { return index.PolicyFilters(p, false) }

// policyException turns a stored exception into the policy's form. One
// made by approving a review only softens findings that asked for review:
// approving "some versions admitted by requests>=2.0 are affected" must not
// allow requests==2.25.0, which the policy denies outright.
func policyException(x store.Exception) (policy.Exception, error) {
	px, err := policy.NewException(x.Project, x.Specifier, policy.Rule(x.Rule), x.Reason, x.Expires)
	if err != nil {
		return policy.Exception{}, fmt.Errorf("exception %d: %w", x.ID, err)
	}
	px.ReviewOnly = x.ReviewID != 0
	return px, nil
}

// dynamicPolicy is the policy in force, for the install pipeline, which
// keeps its Policy for its whole life.
type dynamicPolicy struct{ s *Server }

func (d dynamicPolicy) Check(opts policy.CheckOptions, inputs ...policy.Input) policy.Report {
	return d.s.current().check(opts, inputs...)
}

func (d dynamicPolicy) Decide(c policy.Candidate) policy.Decision {
	return d.s.current().policy.Decide(c)
}

func (d dynamicPolicy) Notes() []string {
	st := d.s.current()
	return slices.Concat(st.policy.Notes(), st.notes)
}

// dynamicJudge is the judge of the policy in force, for the proxy, which
// keeps its Judge for its whole life.
type dynamicJudge struct{ s *Server }

func (d dynamicJudge) Project(name string) index.Verdict { return d.s.current().judge.Project(name) }
func (d dynamicJudge) File(f index.File) index.Verdict   { return d.s.current().judge.File(f) }
