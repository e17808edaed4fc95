package env

import (
	"context"
	"fmt"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pyscan"
	"github.com/airlock-dev/airlock/internal/policy"
)

// ScanConfig turns the policy's scan section into the scanner's
// configuration. An unknown family or rule id is an error at its position
// in the policy file.
func ScanConfig(cfg *policy.Config) (inspect.Config, error) {
	var c inspect.Config
	for _, s := range cfg.Scan.Settings {
		if err := c.Set(s.Name, scanAction(s.Action)); err != nil {
			return c, &policy.Error{Source: cfg.Source, Pos: s.Pos, Msg: "scan: " + err.Error()}
		}
	}
	return c, nil
}

func scanAction(a policy.RuleAction) inspect.Action {
	switch a {
	case policy.RuleDeny:
		return inspect.ActionDeny
	case policy.RuleReview:
		return inspect.ActionReview
	}
	return inspect.ActionOff
}

// packageSourceBaseline is what the install pipeline's scan of package
// sources turns off unless the policy's scan section names it: process
// execution (the exec family), long encoded constants (AL303) and files
// too large to scan (AL901) are everyday library code, and sending each
// such package to review would make the review meaningless. Everything
// that signals an attack (runtime installs, decode-then-exec,
// exfiltration, persistence, indirect calls) keeps its action.
var packageSourceBaseline = inspect.Config{
	Families: map[inspect.Family]inspect.Action{inspect.FamilyExec: inspect.ActionOff},
	Rules:    map[string]inspect.Action{"AL303": inspect.ActionOff, "AL901": inspect.ActionOff},
}

// PackageInspection returns the artifact inspection options of the install
// pipeline: the structural checks of every wheel, and the scan of every
// Python source in it, configured by the policy's scan section over
// [packageSourceBaseline].
func PackageInspection(cfg *policy.Config) (inspect.Options, error) {
	sc, err := ScanConfig(cfg)
	if err != nil {
		return inspect.Options{}, err
	}
	c := inspect.Config{Families: map[inspect.Family]inspect.Action{}, Rules: map[string]inspect.Action{}}
	for f, a := range packageSourceBaseline.Families {
		c.Families[f] = a
	}
	for r, a := range packageSourceBaseline.Rules {
		c.Rules[r] = a
	}
	for f, a := range sc.Families {
		c.Families[f] = a
	}
	for r, a := range sc.Rules {
		c.Rules[r] = a
	}
	return inspect.Options{Config: c, Sources: pyscan.New()}, nil
}

// installerTools are the projects whose own sources do installer work:
// they call pip's entry points and write .pth files by design, so the
// source scan would refuse them. Their structure, hashes and advisories
// are still checked, and a request for them directly is the policy's
// installer-pin rule.
var installerTools = map[string]bool{"pip": true, "setuptools": true, "wheel": true}

// inspectionFor returns the inspection options for one project's artifact:
// opts, without the source scan for the installer's own projects.
func inspectionFor(opts inspect.Options, project string) inspect.Options {
	if installerTools[project] {
		opts.Sources = nil
	}
	return opts
}

// Source is one file of code about to run.
type Source struct {
	Name string
	Data []byte
}

// ScanBeforeRun scans code about to run in a sandbox (Python files and
// notebooks) when the policy's scan section sets before_run, and returns
// the findings with the policy's actions (none otherwise) and their
// verdict. The caller refuses the run on a deny verdict and, where nobody
// has approved it, on review.
func ScanBeforeRun(ctx context.Context, cfg *policy.Config, files []Source) ([]inspect.Finding, inspect.Action, error) {
	if !cfg.Scan.BeforeRun || len(files) == 0 {
		return nil, inspect.ActionOff, nil
	}
	sc, err := ScanConfig(cfg)
	if err != nil {
		return nil, inspect.ActionOff, err
	}
	s := pyscan.New()
	var all []inspect.Finding
	for _, f := range files {
		fs, err := s.ScanFile(ctx, f.Name, f.Data)
		if err != nil {
			return nil, inspect.ActionOff, fmt.Errorf("scanning %s: %w", f.Name, err)
		}
		all = append(all, fs...)
	}
	all = sc.Apply(all)
	return all, inspect.Verdict(all), nil
}
