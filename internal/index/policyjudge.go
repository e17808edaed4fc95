package index

import (
	"fmt"
	"strings"

	"github.com/airlock-dev/airlock/internal/index/simple"
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/policy"
)

// PolicyJudge returns a [Judge] that asks p, at the proxy stage. Every
// decision that is not allow refuses: at the proxy nobody can approve a
// review, so a review refuses with a reason that says one is needed.
//
// The policy decides sdists, yanked files and the cooldown itself (its
// sdist, yanked and cooldown rules), so put it behind [Filters] with
// AllowSdists and AllowYanked set and no Cooldown.
func PolicyJudge(p *policy.Policy) Judge { return policyJudge{p} }

type policyJudge struct{ p *policy.Policy }

// PolicyFilters is the judge airlock's package index uses: [PolicyJudge]
// behind the built-in [Filters] with sdists and yanked files let through,
// since the policy decides them (and the cooldown) with its own rules. The
// filters only hide pre-releases, when hidePrereleases is set.
func PolicyFilters(p *policy.Policy, hidePrereleases bool) Judge {
	return Filters{AllowSdists: true, AllowYanked: true, HidePrereleases: hidePrereleases}.Wrap(PolicyJudge(p))
}

func (j policyJudge) Project(name string) Verdict {
	return verdictOf(j.p.Decide(policy.Candidate{Stage: policy.StageProxy, Project: name}))
}

func (j policyJudge) File(f File) Verdict {
	v, err := pep440.Parse(f.Version)
	if err != nil {
		// The proxy only passes versions that parse; fail closed anyway.
		return Deny("syntax", fmt.Sprintf("%s: version %q is not a PEP 440 version", f.Filename, f.Version))
	}
	rel := &policy.Release{
		Name:    f.Project,
		Version: v,
		File: &policy.File{
			Filename:   f.Filename,
			Sdist:      f.Kind != simple.Wheel,
			Yanked:     f.Yanked,
			UploadTime: f.UploadTime,
			SHA256:     f.Hashes["sha256"],
		},
	}
	return verdictOf(j.p.Decide(policy.Candidate{Stage: policy.StageProxy, Release: rel}))
}

// verdictOf turns a decision into a verdict whose reason is the first
// refusing finding, with its suggestion: one line pip will print.
func verdictOf(d policy.Decision) Verdict {
	if d.Action == policy.Allow {
		return Allowed
	}
	for _, f := range d.Findings {
		if f.Action == policy.Allow {
			continue
		}
		var b strings.Builder
		b.WriteString(f.Message)
		if f.Suggestion != "" {
			b.WriteString("; suggestion: " + f.Suggestion)
		}
		if d.Action == policy.Review {
			b.WriteString(" (needs a person's review, which the proxy cannot ask for)")
		}
		return Deny(string(f.Rule), b.String())
	}
	return Deny("policy", "refused by policy")
}
