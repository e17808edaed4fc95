package policy

import (
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/reqfile"
)

// Report is the answer to a check: one result per entry, in input order.
// It is the JSON of `airlock check --format json` and of POST /v1/check.
type Report struct {
	Results []Result `json:"results"`
	Summary Summary  `json:"summary"`
	Notes   []string `json:"notes"`
}

// Summary counts the results by decision.
type Summary struct {
	Allow  int `json:"allow"`
	Deny   int `json:"deny"`
	Review int `json:"review"`
}

// Result is the decision on one entry of a requirements file or command
// line. Name and CanonicalName are nil when the entry names no project.
type Result struct {
	Input         string    `json:"input"`
	Source        string    `json:"source"`
	Line          int       `json:"line"`
	Name          *string   `json:"name"`
	CanonicalName *string   `json:"canonical_name"`
	Specifier     string    `json:"specifier"`
	Extras        []string  `json:"extras"`
	Marker        *string   `json:"marker"`
	Decision      Action    `json:"decision"`
	Findings      []Finding `json:"findings"`
}

// Action returns the strictest decision of the report: what the exit code
// of `airlock check` reflects.
func (r *Report) Action() Action {
	switch {
	case r.Summary.Deny > 0:
		return Deny
	case r.Summary.Review > 0:
		return Review
	}
	return Allow
}

// CheckOptions describe the context of a check.
type CheckOptions struct {
	// Stage is StageCheck unless the check is the first step of an
	// install.
	Stage Stage
	// Installed is the target environment's lock, for the downgrade rule.
	Installed map[string]pep440.Version
}

// Input is one parsed source of a request: a requirements file with its
// includes, a command line, or a request body.
type Input struct {
	Entries []reqfile.Entry
	// BaseDir is the directory of the top requirements file, which
	// includes may not leave; "" when the entries come from a command line
	// or a request body, where every file include is refused.
	BaseDir string
}

// Check decides every entry of every input, in order, and summarises. A
// --pre option anywhere applies to every requirement, as it does in pip
// (where all the inputs are one install).
func (p *Policy) Check(opts CheckOptions, inputs ...Input) Report {
	if opts.Stage == "" {
		opts.Stage = StageCheck
	}
	pre := pep440.PrereleasesDefault
	n := 0
	for _, in := range inputs {
		n += len(in.Entries)
		for i := range in.Entries {
			if e := &in.Entries[i]; e.Kind == reqfile.KindOption && e.Option != nil && e.Option.Name == "--pre" && !e.Ignored {
				pre = pep440.PrereleasesAllow
			}
		}
	}
	rep := Report{Results: make([]Result, 0, n), Notes: p.Notes()}
	decisions := make([]Decision, 0, n)
	for _, in := range inputs {
		for i := range in.Entries {
			e := &in.Entries[i]
			d := p.Decide(Candidate{Stage: opts.Stage, Entry: e, BaseDir: in.BaseDir, Installed: opts.Installed, Prereleases: pre})
			decisions = append(decisions, d)
			rep.Results = append(rep.Results, resultOf(e, d))
			switch d.Action {
			case Allow:
				rep.Summary.Allow++
			case Review:
				rep.Summary.Review++
			case Deny:
				rep.Summary.Deny++
			}
		}
	}
	for _, x := range p.UnusedExceptions(decisions) {
		rep.Notes = append(rep.Notes, x.UnusedNote())
	}
	if rep.Notes == nil {
		rep.Notes = []string{}
	}
	return rep
}

func resultOf(e *reqfile.Entry, d Decision) Result {
	r := Result{Input: e.Raw, Source: e.Pos.Source, Line: e.Pos.Line, Extras: []string{}, Decision: d.Action, Findings: d.Findings}
	if e.Pos.Source == reqfile.CommandLine {
		r.Line = e.Pos.Arg
	}
	if req := e.Requirement; req != nil {
		if req.Name != "" {
			name, canon := req.Name, req.CanonicalName()
			r.Name, r.CanonicalName = &name, &canon
		}
		if req.Extras != nil {
			r.Extras = req.Extras
		}
		if req.Marker != nil {
			m := req.Marker.String()
			r.Marker = &m
		}
		if req.Req != nil {
			r.Specifier = req.Req.Specifier.String()
		}
	}
	return r
}
