package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/policy"
)

// installFlags are the flags of airlock install.
type installFlags struct {
	policy   policyFlags
	request  requestInput
	env      string
	upstream string
	offline  bool
	format   string
}

func (a *app) installCommand() *cobra.Command {
	var f installFlags
	cmd := &cobra.Command{
		Use:   "install --env NAME [flags] [-r FILE]... [REQUIREMENT...]",
		Short: "Vet and install requirements into an isolated environment",
		Long: `Install requirements into an environment (see 'airlock env'), installing
exactly what was vetted:

  1. the request is checked as 'airlock check' checks it; a deny stops here;
  2. pip resolves the full closure, wheels only, in a sandbox whose only
     network is airlock's filtering proxy (served in-process);
  3. every resolved release is vetted with its concrete version and file:
     policy, advisories, typosquatting, downgrades against the environment's
     lock, with the dependency path of each finding;
  4. every chosen wheel is fetched into the verified artifact cache and
     inspected (.pth files, sitecustomize, scripts shadowing pip or python,
     files outside the package, RECORD mismatches, oversized archives);
  5. exactly that set is installed by hash, offline, in a sandbox, and
     pip check must pass;
  6. the new lock and an audit record (<data dir>/audit/install.jsonl) are
     written, and the new environment is swapped in atomically.

A refused or failed install leaves the environment exactly as it was.
Installs into one environment wait for each other; different environments
install in parallel. Progress goes to standard error.

The upstream index is --upstream, else $AIRLOCK_UPSTREAM, else
` + index.DefaultUpstream + `; files are cached in <data dir>/cache/index,
shared with 'airlock proxy'. --offline resolves from the cache only.

Exit codes: 0 installed (or nothing to do), 1 something denied, 3 nothing
denied but something needs review, 2 a usage error (unknown environment, bad
flags, unreadable file), 4 the install could not be carried out (upstream
down, sandbox unavailable, pip failed); nothing was changed unless the exit
code is 0.`,
		Example: `  airlock env create job-42
  airlock install --env job-42 -r requirements.txt
  airlock install --env job-42 'requests>=2.31' numpy
  airlock install --env job-42 --advisories ./advisory-database --format json -r requirements.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.request.args = args
			return a.runInstall(cmd.Context(), f)
		},
	}
	f.policy.register(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&f.env, "env", "", "environment to install into (required; see airlock env create)")
	fl.StringArrayVarP(&f.request.files, "requirement", "r", nil, "requirements file (repeatable; - for standard input)")
	fl.StringVar(&f.upstream, "upstream", "", "upstream simple index URL (default $AIRLOCK_UPSTREAM or "+index.DefaultUpstream+")")
	fl.BoolVar(&f.offline, "offline", false, "resolve from the artifact cache only; never contact the upstream")
	fl.StringVar(&f.format, "format", "text", "output format: text or json (the install's record)")
	return cmd
}

func (a *app) runInstall(ctx context.Context, f installFlags) error {
	if f.format != "text" && f.format != "json" {
		return usageErrorf("--format: %q is not text or json", f.format)
	}
	if f.env == "" {
		return usageErrorf("--env NAME is required (create one with: airlock env create NAME)")
	}
	if len(f.request.files) == 0 && len(f.request.args) == 0 {
		return usageErrorf("nothing to install: give -r FILE or requirements as arguments")
	}
	e, err := a.openEnv(f.env)
	if err != nil {
		return err
	}
	inputs, err := a.readRequest(f.request)
	if err != nil {
		return err
	}
	inst, closeInst, err := a.newInstaller(ctx, &f.policy, f.upstream, f.offline)
	if err != nil {
		return err
	}
	defer closeInst()
	res, err := inst.Install(ctx, e, env.Request{Inputs: inputs, Actor: "cli"})
	if err != nil {
		return installError(f.env, err)
	}
	if f.format == "json" {
		if err := jsonEncoder(a.stdout).Encode(res); err != nil {
			return err
		}
	} else {
		writeInstall(a.stdout, a.stderr, res, useColor(a.stdout, a.getenv))
	}
	switch res.Outcome {
	case env.Installed, env.Unchanged:
		return nil
	case env.Failed:
		if f.format == "json" {
			return withCode(ExitFailed, nil)
		}
		msg := fmt.Sprintf("install into %s failed; nothing was changed: %s", f.env, res.Error)
		if f.offline && strings.Contains(res.Error, "from versions: none") {
			msg += " (with --offline only projects already in the artifact cache can be installed; run once without --offline to fill it)"
		}
		return withCode(ExitFailed, errors.New(msg))
	}
	return withCode(exitFor(res.Action()), nil)
}

// installError maps an install that returned no result (interrupted, the
// environment removed meanwhile, its record not written) to the exit code
// of airlock install and airlock pip install.
func installError(envName string, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return withCode(ExitInterrupted, errors.New("interrupted; nothing was changed"))
	case errors.Is(err, env.ErrNotFound):
		return usageErrorf("environment %s was removed", envName)
	}
	return withCode(ExitFailed, fmt.Errorf("install into %s: %w; nothing was changed", envName, err))
}

// vettingPolicy adds the notes about the data (a stale advisory database)
// to the policy's own.
type vettingPolicy struct{ v *vetting }

func (p vettingPolicy) Check(opts policy.CheckOptions, inputs ...policy.Input) policy.Report {
	return p.v.check(opts, inputs...)
}
func (p vettingPolicy) Decide(c policy.Candidate) policy.Decision { return p.v.policy.Decide(c) }
func (p vettingPolicy) Notes() []string                           { return p.v.allNotes() }

// writeInstall prints an install's result for a person: what was installed,
// or why nothing was, with every finding. Notes go to errw as warnings.
func writeInstall(w, errw io.Writer, res *env.Result, color bool) {
	paint := painter(color)
	if res.Check != nil && res.Check.Action() != policy.Allow {
		rep := *res.Check
		rep.Notes = nil
		writeReport(w, errw, &rep, color)
		fmt.Fprintf(w, "nothing installed into %s: the request was refused\n", res.Env)
		writeNotes(errw, res.Notes, paint)
		return
	}
	switch res.Outcome {
	case env.Installed:
		fmt.Fprintf(w, "installed into %s:\n", res.Env)
		width := 0
		for _, p := range res.Installed {
			width = max(width, len(p.Name)+1+len(p.Version))
		}
		replaced := map[string]string{}
		for _, r := range res.Releases {
			replaced[r.Name] = r.Replaces
		}
		for _, p := range res.Installed {
			why := p.Reason()
			if old := replaced[p.Name]; old != "" {
				why += "; was " + old
			}
			fmt.Fprintf(w, "  %s  %-*s  %s\n", paint(ansiGreen, "+"), width, p.Name+" "+p.Version, oneLine(why))
			for _, n := range p.Notes {
				fmt.Fprintf(w, "       note: %s\n", oneLine(n))
			}
		}
	case env.Unchanged:
		fmt.Fprintf(w, "nothing to install: %s already has what was asked for\n", res.Env)
	default:
		denied, review := 0, 0
		for _, r := range res.Releases {
			label := "ALLOW "
			switch r.Decision.Action {
			case policy.Deny:
				label = paint(ansiRed, "DENY  ")
				denied++
			case policy.Review:
				label = paint(ansiYellow, "REVIEW")
				review++
			default:
				label = paint(ansiGreen, label)
			}
			why := "requested"
			if !r.Requested {
				why = depPath(r.Path)
			}
			fmt.Fprintf(w, "%s  %s %s  %s\n", label, r.Name, r.Version, oneLine(why))
			for _, f := range r.Decision.Findings {
				writeFinding(w, f, paint)
			}
		}
		if len(res.Resolution) > 0 {
			fmt.Fprintln(w, "pip could not resolve the request:")
			for _, f := range res.Resolution {
				writeFinding(w, f, paint)
				if f.Action != policy.Allow {
					denied++
				}
			}
		}
		switch res.Outcome {
		case env.Failed:
			fmt.Fprintf(w, "nothing installed into %s: the install failed\n", res.Env)
		default:
			fmt.Fprintf(w, "nothing installed into %s: %d denied, %d to review\n", res.Env, denied, review)
		}
	}
	writeNotes(errw, res.Notes, paint)
}

func writeNotes(w io.Writer, notes []string, paint func(string, string) string) {
	for _, n := range notes {
		fmt.Fprintf(w, "%s %s\n", paint(ansiYellow, "warning:"), oneLine(n))
	}
}
