package policy

import (
	"fmt"

	"github.com/airlock-dev/airlock/internal/reqfile"
)

// customRules evaluates the policy's CEL rules on the candidate.
func (d *decider) customRules() {
	if len(d.p.custom) == 0 {
		return
	}
	c := d.celCandidate()
	for i := range d.p.custom {
		r := &d.p.custom[i]
		match, err := r.eval(c)
		if !match {
			continue
		}
		act := r.Action.action()
		msg := r.Message
		if err != nil {
			msg = fmt.Sprintf("%s (the rule failed to evaluate, so it fails closed: %v)", r.Message, err)
		}
		d.add(RuleCustom, msg, finding{action: &act, custom: r.Name})
	}
}

// celCandidate describes the candidate for CEL.
func (d *decider) celCandidate() *CELCandidate {
	if d.cel != nil {
		return d.cel
	}
	c := &CELCandidate{Stage: string(d.c.Stage), Name: d.name, Extras: []string{}, Path: []string{}, Advisories: []string{}}
	if d.version != nil {
		c.Version = d.version.String()
		c.Prerelease = d.version.IsPrerelease()
	}
	switch {
	case d.c.Entry != nil:
		e := d.c.Entry
		c.Kind = e.Kind.String()
		if o := e.Option; o != nil {
			c.Option, c.OptionValue = o.Name, o.Value
		}
		if r := e.Requirement; r != nil {
			c.URL = r.URL
			if r.Form == reqfile.FormPath {
				c.URL = r.Path
			}
			if r.Extras != nil {
				c.Extras = r.Extras
			}
			if r.Marker != nil {
				c.Marker = r.Marker.String()
			}
			if r.Req != nil {
				c.Specifier = r.Req.Specifier.String()
			}
		}
		c.Pinned = d.version != nil
	case d.c.Release != nil:
		r := d.c.Release
		c.Kind = "package"
		c.Specifier = r.Requested.String()
		_, c.Pinned = pinnedVersion(r.Requested)
		if r.Path != nil {
			c.Path = r.Path
		}
		if f := r.File; f != nil {
			c.Filename = f.Filename
			c.FileKind = "wheel"
			if f.Sdist {
				c.FileKind = "sdist"
			}
			c.Yanked = f.Yanked
			c.UploadTime, c.HasUploadTime = f.UploadTime, !f.UploadTime.IsZero()
		}
	default:
		c.Kind = "project"
	}
	if inst, ok := d.c.Installed[d.name]; ok {
		c.InstalledVersion = inst.String()
	}
	if d.name != "" {
		c.PopularityRank = d.p.popular.Rank(d.name)
		if d.p.advisories != nil && d.version != nil {
			for _, v := range d.p.advisories.AffectedBy(d.name, *d.version) {
				c.Advisories = append(c.Advisories, v.IDs()...)
			}
		}
	}
	d.cel = c
	return c
}
