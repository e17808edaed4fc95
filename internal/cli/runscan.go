package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// scanBeforeRun scans the code a run is about to execute when the policy's
// scan section sets before_run: the FILE.py or files placed in the work
// directory, the Python files the command names, and `python -c` code. A
// deny finding refuses the run (exit 1); a review finding refuses it too
// (exit 3), since nobody at a terminal run has approved it.
func (a *app) scanBeforeRun(ctx context.Context, policyFile string, spec *sandbox.Spec) error {
	cfg, err := a.policyConfig(policyFile)
	if err != nil || !cfg.Scan.BeforeRun {
		return err
	}
	srcs := runSources(spec)
	findings, verdict, err := env.ScanBeforeRun(ctx, cfg, srcs)
	if err != nil {
		return withCode(ExitFailed, err)
	}
	if verdict == inspect.ActionOff {
		return nil
	}
	var lines int64
	for _, s := range srcs {
		lines += int64(bytes.Count(s.Data, []byte("\n")))
	}
	writeScanText(a.stderr, findings, len(srcs), lines, useColor(a.stderr, a.getenv))
	if verdict == inspect.ActionDeny {
		return withCode(ExitDenied, fmt.Errorf("run refused: the code failed the policy's scan before run"))
	}
	return withCode(ExitReview, fmt.Errorf("run refused: the code needs a person's review first (policy scan before run)"))
}

// runSources collects the code of a run: files placed in the work
// directory, arguments naming Python files or notebooks (relative to the
// work directory), and the code of `python -c CODE`. Each file is scanned
// once, even when it is both placed in the work directory and named on the
// command line (as FILE.py is).
func runSources(spec *sandbox.Spec) []env.Source {
	var out []env.Source
	seen := map[string]bool{}
	for _, f := range spec.Files {
		if isCode(f.Name) && !seen[filepath.Clean(f.Name)] {
			seen[filepath.Clean(f.Name)] = true
			out = append(out, env.Source{Name: f.Name, Data: f.Data})
		}
	}
	base := spec.WorkDir
	if base == "" {
		base, _ = os.Getwd()
	}
	for i, arg := range spec.Argv {
		if i > 0 && spec.Argv[i-1] == "-c" && strings.Contains(filepath.Base(spec.Argv[0]), "python") {
			out = append(out, env.Source{Name: "<python -c>", Data: []byte(arg)})
			continue
		}
		if i == 0 || !isCode(arg) || seen[filepath.Clean(arg)] {
			continue
		}
		seen[filepath.Clean(arg)] = true
		p := arg
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() <= maxScriptSize {
			if data, err := os.ReadFile(p); err == nil {
				out = append(out, env.Source{Name: arg, Data: data})
			}
		}
	}
	return out
}

func isCode(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".py" || ext == ".ipynb"
}
