package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pyscan"
	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// scanBeforeRun scans the code a run is about to execute when the policy's
// scan section sets before_run: the FILE.py or files placed in the work
// directory, the script Python is given and the Python files the command
// names, and `python -c` code ([env.RunSources]). A
// deny finding refuses the run (exit 1); a review finding refuses it too
// (exit 3), since nobody at a terminal run has approved it.
func (a *app) scanBeforeRun(ctx context.Context, policyFile string, spec *sandbox.Spec) error {
	cfg, err := a.policyConfig(policyFile)
	if err != nil || !cfg.Scan.BeforeRun {
		return err
	}
	// A scan section the scanner cannot read is a bad policy: a usage
	// error, as airlock scan, install and serve report it.
	if _, err := env.ScanConfig(cfg); err != nil {
		return usageError{err}
	}
	srcs, err := env.RunSources(spec.Argv, spec.Files, runFileReader(spec.WorkDir))
	if err != nil {
		return withCode(ExitFailed, fmt.Errorf("scan before run: %w; nothing was run", err))
	}
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

// runFileReader reads the files a run names for the scan before run,
// relative to the work directory dir: at most what the scanner reads, so
// that a larger file gets the scanner's not-scanned finding rather than
// running unscanned. A name that is not a regular file (Python runs a
// directory's __main__.py) cannot be scanned, and is an error. Without
// dir, the work directory is a fresh one holding only the files placed
// there, which are not read here: a relative name is not found.
func runFileReader(dir string) func(name string) ([]byte, bool, error) {
	return func(name string) ([]byte, bool, error) {
		p := name
		if !filepath.IsAbs(p) {
			if dir == "" {
				return nil, false, nil
			}
			p = filepath.Join(dir, p)
		}
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if !fi.Mode().IsRegular() {
			return nil, false, errors.New("not a regular file, so it cannot be scanned")
		}
		limit := int64(pysyntax.MaxSourceSize)
		if strings.EqualFold(filepath.Ext(p), ".ipynb") {
			limit = pyscan.MaxNotebookSize
		}
		data, err := readLimited(p, limit)
		return data, err == nil, err
	}
}
