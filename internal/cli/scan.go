package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/bandit"
	"github.com/airlock-dev/airlock/internal/inspect/pyscan"
	"github.com/airlock-dev/airlock/internal/inspect/pysyntax"
)

// scanOptions are the flags of airlock scan.
type scanOptions struct {
	policyFile string
	format     string
	withBandit bool
	banditBin  string
	banditSev  string
	actions    []string
	jobs       int
	listRules  bool
}

func (a *app) scanCommand() *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Scan Python code, notebooks, wheels and sdists for dangerous behaviour",
		Long: `Scan parses Python with a real parser and reports, with a rule id and a
message, what code would do that an agent should not: install packages at
run time past airlock (pip, uv, conda, easy_install, %pip), run shell
commands and computed code, hide code behind encodings, send environment
variables or credentials over the network, run downloaded code, and persist
itself (.pth files, sitecustomize, shell start-up files, cron, other
packages' files). Comments and strings never trigger a rule; aliasing,
concatenation, encodings and nesting do not hide one.

PATH is a .py file, a notebook (.ipynb), a wheel or sdist (read inside the
archive, never extracted), or a directory, scanned recursively for all of
these (hidden directories, __pycache__ and node_modules are skipped). A
file named explicitly with another extension is read as Python.

Wheels and sdists also get the artifact checks of the install pipeline
(.pth files, scripts that shadow commands, RECORD, unsafe members, size
limits; sdists are denied). docs/scan.md lists every rule.

The policy file's scan section (--policy, else $AIRLOCK_POLICY; see
docs/policy.md) sets deny, review or off for rule families (install, exec,
obfuscation, exfiltration, persistence, startup-hook, shadowing, integrity,
archive, limits, sdist, bandit) and rule ids (AL203, B602). --action
NAME=ACTION does the same on the command line and wins over the file.

--with-bandit also runs bandit (Debian's package) on the same Python files
(for archives, on temporary copies of their .py files) and merges its
findings, ids kept (B602, ...), in the bandit family (review by default;
findings below --bandit-severity are dropped).

Exit codes: 0 nothing found, 1 a deny-level finding, 3 review-level
findings only, 2 a usage error, 4 a failure (bandit missing or broken,
unreadable files).`,
		Example: `  airlock scan generated/app.py
  airlock scan --format sarif . > airlock.sarif
  airlock scan dist/*.whl
  airlock scan --action exec=off --with-bandit src/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.listRules {
				return writeRuleList(a.stdout, scanRules())
			}
			if len(args) == 0 {
				return usageErrorf("nothing to scan: give files or directories")
			}
			return a.scan(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output format: text, json or sarif")
	f.StringVar(&o.policyFile, "policy", "", "policy file whose scan section sets the actions (default $AIRLOCK_POLICY)")
	f.BoolVar(&o.withBandit, "with-bandit", false, "also run bandit and merge its findings")
	f.StringVar(&o.banditBin, "bandit", "", "the bandit executable (implies --with-bandit; default: bandit on PATH)")
	f.StringVar(&o.banditSev, "bandit-severity", "medium", "lowest bandit severity to report: low, medium or high")
	f.StringArrayVar(&o.actions, "action", nil, "NAME=deny|review|off for a rule family or rule id (repeatable)")
	f.IntVarP(&o.jobs, "jobs", "j", 0, "files scanned in parallel (default: the number of CPUs)")
	f.BoolVar(&o.listRules, "list-rules", false, "list the rules with their family, default action and severity, and exit")
	return cmd
}

// scanTarget is one thing to scan.
type scanTarget struct {
	path string // as the user sees it
	kind targetKind
}

type targetKind uint8

const (
	targetPython targetKind = iota
	targetNotebook
	targetArchive
)

// skipDirs are directory names a recursive scan does not enter.
var skipDirs = map[string]bool{"__pycache__": true, "node_modules": true}

// kindOfFile says how to scan a file, and whether to scan it at all when
// it was found by walking a directory.
func kindOfFile(name string) (targetKind, bool) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".py") || strings.HasSuffix(lower, ".pyw"):
		return targetPython, true
	case strings.HasSuffix(lower, ".ipynb"):
		return targetNotebook, true
	}
	if k, _, _ := inspect.KindOf(name); k != inspect.KindUnknown {
		return targetArchive, true
	}
	return targetPython, false
}

// collectTargets expands the arguments into the files to scan.
func collectTargets(args []string) ([]scanTarget, error) {
	var out []scanTarget
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, usageErrorf("%s: %v", arg, errors.Unwrap(err))
		}
		if !st.IsDir() {
			k, _ := kindOfFile(arg)
			out = append(out, scanTarget{arg, k})
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != arg && (strings.HasPrefix(d.Name(), ".") || skipDirs[d.Name()]) {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil // links are not followed inside directories
			}
			if k, ok := kindOfFile(d.Name()); ok {
				out = append(out, scanTarget{p, k})
			}
			return nil
		})
		if err != nil {
			return nil, withCode(ExitFailed, err)
		}
	}
	return out, nil
}

// scanResult is what scanning one target gave.
type scanResult struct {
	findings []inspect.Finding
	lines    int64
	bandit   []bandit.Source
	err      error
}

// countingScanner counts the lines of the sources it passes on.
type countingScanner struct {
	next  inspect.SourceScanner
	lines atomic.Int64
}

func (c *countingScanner) ScanSource(ctx context.Context, path string, src []byte) ([]inspect.Finding, error) {
	c.lines.Add(int64(bytes.Count(src, []byte("\n"))))
	return c.next.ScanSource(ctx, path, src)
}

// readLimited reads at most max+1 bytes of a file, so that the scanner can
// tell the file is over its limit without reading all of it.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// scanOne scans one target.
func scanOne(ctx context.Context, s *pyscan.Scanner, t scanTarget, withBandit bool) scanResult {
	var r scanResult
	switch t.kind {
	case targetPython:
		src, err := readLimited(t.path, pysyntax.MaxSourceSize)
		if err != nil {
			r.err = err
			return r
		}
		r.lines = int64(bytes.Count(src, []byte("\n")))
		r.findings, r.err = s.ScanSource(ctx, t.path, src)
		if withBandit {
			r.bandit = []bandit.Source{{Path: t.path}}
		}
	case targetNotebook:
		src, err := readLimited(t.path, pyscan.MaxNotebookSize)
		if err != nil {
			r.err = err
			return r
		}
		r.findings, r.err = s.ScanNotebook(ctx, t.path, src)
	case targetArchive:
		f, err := os.Open(t.path)
		if err != nil {
			r.err = err
			return r
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			r.err = err
			return r
		}
		counter := &countingScanner{next: s}
		var sources inspect.SourceScanner = counter
		var col *bandit.Collector
		if withBandit {
			col = &bandit.Collector{Next: counter, Archive: t.path}
			sources = col
		}
		rep, err := inspect.Artifact(ctx, f, st.Size(), t.path, inspect.Options{Sources: sources})
		if err != nil {
			r.err = err
			return r
		}
		r.findings, r.lines = rep.Findings, counter.lines.Load()
		if col != nil {
			r.bandit, _ = col.Sources()
		}
	}
	return r
}

func (a *app) scan(ctx context.Context, o scanOptions, args []string) error {
	switch o.format {
	case "text", "json", "sarif":
	default:
		return usageErrorf("--format: %q is not text, json or sarif", o.format)
	}
	cfg, err := a.scanPolicy(o.policyFile)
	if err != nil {
		return err
	}
	for _, kv := range o.actions {
		name, val, ok := strings.Cut(kv, "=")
		var act inspect.Action
		if !ok {
			return usageErrorf("--action %q: want NAME=deny|review|off", kv)
		}
		if err := act.UnmarshalText([]byte(val)); err != nil {
			return usageErrorf("--action %q: %v", kv, err)
		}
		if err := cfg.Set(name, act); err != nil {
			return usageErrorf("--action %q: %v", kv, err)
		}
	}
	var minSev inspect.Severity
	if err := minSev.UnmarshalText([]byte(o.banditSev)); err != nil {
		return usageErrorf("--bandit-severity: %v", err)
	}
	banditBin := o.banditBin
	switch {
	case banditBin != "":
		o.withBandit = true
		if st, err := os.Stat(banditBin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return withCode(ExitFailed, fmt.Errorf("--bandit %s: not an executable file; %w", banditBin, bandit.ErrNotInstalled))
		}
	case o.withBandit:
		bin, err := bandit.Find()
		if err != nil {
			return withCode(ExitFailed, err)
		}
		banditBin = bin
	}
	targets, err := collectTargets(args)
	if err != nil {
		return err
	}

	// Scan in parallel; results keep the targets' order.
	jobs := o.jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	scanner := pyscan.New()
	results := make([]scanResult, len(targets))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(jobs, max(len(targets), 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(targets) || ctx.Err() != nil {
					return
				}
				results[i] = scanOne(ctx, scanner, targets[i], o.withBandit)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var findings []inspect.Finding
	var sources []bandit.Source
	var lines int64
	for i, r := range results {
		if r.err != nil {
			return withCode(ExitFailed, fmt.Errorf("%s: %w", targets[i].path, r.err))
		}
		findings = append(findings, r.findings...)
		sources = append(sources, r.bandit...)
		lines += r.lines
	}
	engines := []string{"airlock"}
	if o.withBandit {
		engines = append(engines, "bandit")
		bf, err := bandit.Runner{Bin: banditBin, MinSeverity: minSev}.Scan(ctx, sources)
		if err != nil {
			return withCode(ExitFailed, err)
		}
		findings = append(findings, bf...)
	}
	findings = cfg.Apply(findings)
	verdict := inspect.Verdict(findings)

	switch o.format {
	case "json":
		if err := writeScanJSON(a.stdout, findings, len(targets), lines, engines); err != nil {
			return err
		}
	case "sarif":
		tool := inspect.SARIFTool{Name: "airlock", Version: version(), InformationURI: "https://github.com/airlock-dev/airlock"}
		if err := inspect.WriteSARIF(a.stdout, tool, findings); err != nil {
			return err
		}
	default:
		writeScanText(a.stdout, findings, len(targets), lines, useColor(a.stdout, a.getenv))
	}
	switch verdict {
	case inspect.ActionDeny:
		return withCode(ExitDenied, nil)
	case inspect.ActionReview:
		return withCode(ExitReview, nil)
	}
	return nil
}

// scanPolicy reads the scan section of the policy file (path, else
// $AIRLOCK_POLICY; none: every rule keeps its default).
func (a *app) scanPolicy(path string) (inspect.Config, error) {
	cfg, err := a.policyConfig(path)
	if err != nil {
		return inspect.Config{}, err
	}
	c, err := env.ScanConfig(cfg)
	if err != nil {
		return c, usageError{err}
	}
	return c, nil
}

// scanSummary counts findings by action.
type scanSummary struct {
	Files    int    `json:"files"`
	Lines    int64  `json:"lines"`
	Findings int    `json:"findings"`
	Deny     int    `json:"deny"`
	Review   int    `json:"review"`
	Verdict  string `json:"verdict"` // allow, review or deny
}

func summarize(findings []inspect.Finding, files int, lines int64) scanSummary {
	s := scanSummary{Files: files, Lines: lines, Findings: len(findings), Verdict: "allow"}
	for _, f := range findings {
		switch f.Action {
		case inspect.ActionDeny:
			s.Deny++
		case inspect.ActionReview:
			s.Review++
		}
	}
	switch {
	case s.Deny > 0:
		s.Verdict = "deny"
	case s.Review > 0:
		s.Verdict = "review"
	}
	return s
}

func writeScanJSON(w io.Writer, findings []inspect.Finding, files int, lines int64, engines []string) error {
	if findings == nil {
		findings = []inspect.Finding{}
	}
	return jsonEncoder(w).Encode(struct {
		Engines  []string          `json:"engines"`
		Summary  scanSummary       `json:"summary"`
		Findings []inspect.Finding `json:"findings"`
	}{engines, summarize(findings, files, lines), findings})
}

// writeScanText prints one block per finding and a summary line.
func writeScanText(w io.Writer, findings []inspect.Finding, files int, lines int64, color bool) {
	paint := painter(color)
	for _, f := range findings {
		label := strings.ToUpper(f.Action.String())
		code := ansiYellow
		if f.Action == inspect.ActionDeny {
			code = ansiRed
		}
		// The location names the agent's files and an archive's members,
		// and the message and snippet quote the code: all untrusted.
		fmt.Fprintf(w, "%s: %s %s %s [%s] %s\n", oneLine(f.Location()), paint(code, label), f.Rule.ID, f.Rule.Name, f.Severity, oneLine(f.Message))
		if f.Snippet != "" {
			fmt.Fprintf(w, "    %s\n", paint(ansiDim, oneLine(f.Snippet)))
		}
	}
	s := summarize(findings, files, lines)
	if len(findings) == 0 {
		fmt.Fprintf(w, "%s: no findings in %d %s (%d lines of Python)\n", paint(ansiGreen, "ok"), s.Files, plural(s.Files, "file", "files"), s.Lines)
		return
	}
	fmt.Fprintf(w, "%d %s: %d deny, %d review, in %d %s (%d lines of Python)\n", s.Findings, plural(s.Findings, "finding", "findings"),
		s.Deny, s.Review, s.Files, plural(s.Files, "file", "files"), s.Lines)
}

// scanRules lists every rule airlock scan can report.
func scanRules() []*inspect.Rule {
	return slices.Concat(pyscan.Rules(), inspect.ArtifactRules())
}

// writeRuleList prints the rules, one per line.
func writeRuleList(w io.Writer, rules []*inspect.Rule) error {
	for _, r := range rules {
		if _, err := fmt.Fprintf(w, "%-6s %-26s %-13s %-7s %-9s %s\n", r.ID, r.Name, r.Family, r.Action, r.Severity, r.Summary); err != nil {
			return err
		}
	}
	return nil
}
