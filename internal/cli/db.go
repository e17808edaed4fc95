package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/feed"
)

// Environment variables that set db update's defaults, for sites with a
// mirror of OSV's export or their own popular-name list.
const (
	advisoryURLEnv = "AIRLOCK_ADVISORY_URL"
	popularURLEnv  = "AIRLOCK_POPULAR_URL"
	// defaultUpdateTimeout bounds a whole update: OSV's PyPI export is tens
	// of MiB, a few seconds on a good link.
	defaultUpdateTimeout = 10 * time.Minute
)

func (a *app) dbCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Update, import and inspect the advisory database",
		Long: `airlock judges requests against known vulnerabilities and malicious-package
reports (OSV records for PyPI) and against a list of popular package names
(typosquat detection). Both live in the data directory, under db/:

  airlock db update            download OSV's PyPI export (and a popular-name
                               list, with --popular-url)
  airlock db import PATH...    build the database from local OSV files, for
                               sites without network access
  airlock db status            show the sources, record counts and age

Without a popular-name list of its own, airlock uses the one built into it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.dbUpdateCommand(), a.dbImportCommand(), a.dbStatusCommand())
	return cmd
}

func (a *app) dbUpdateCommand() *cobra.Command {
	var advURL, popURL string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the advisory database (and a popular-name list)",
		Long: `Download OSV's export of PyPI records (a zip of OSV JSON files) and store it
as the advisory database; with --popular-url, download a popular-name list
too ("rank<TAB>name" lines, rank 1 the most downloaded).

Requests are conditional (ETag, Last-Modified): an unchanged source is not
downloaded again, only marked as checked. Nothing is replaced unless every
download succeeds and checks out; on any failure the old data stays and
the command exits 4. A progress bar is drawn when stderr is a terminal.

The URLs default to $` + advisoryURLEnv + ` (else ` + feed.DefaultAdvisoryURL + `)
and $` + popularURLEnv + ` (else none).`,
		Example: `  airlock db update
  airlock db update --url https://mirror.internal.example/osv/PyPI/all.zip
  airlock db update --popular-url https://mirror.internal.example/pypi-top.tsv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if advURL == "" {
				advURL = a.getenv(advisoryURLEnv)
			}
			if popURL == "" {
				popURL = a.getenv(popularURLEnv)
			}
			if timeout <= 0 {
				return usageErrorf("--timeout must be positive")
			}
			dataDir, err := a.dataDir()
			if err != nil {
				return withCode(ExitFailed, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			u := &feed.Updater{
				AdvisoryURL: advURL,
				PopularURL:  popURL,
				Progress:    dbTerminal(a.stderr),
				Logger:      a.logger,
				UserAgent:   "airlock/" + version() + " (db update)",
			}
			res, err := u.Update(ctx, dataDir)
			if err != nil {
				var fe *feed.FetchError
				if errors.As(err, &fe) && fe.Status == 0 && strings.Contains(fe.Error(), "not an http or https URL") {
					return usageError{err}
				}
				if errors.Is(err, context.Canceled) {
					return err
				}
				return withCode(ExitFailed, fmt.Errorf("db update failed; the old data is kept: %w", err))
			}
			a.printUpdate(res)
			return nil
		},
	}
	cmd.Flags().StringVar(&advURL, "url", "", "URL of a zip of OSV JSON records (default $"+advisoryURLEnv+", else OSV's PyPI export)")
	cmd.Flags().StringVar(&popURL, "popular-url", "", "URL of a popular-name list, rank<TAB>name lines (default $"+popularURLEnv+", else none)")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultUpdateTimeout, "give up after this long")
	return cmd
}

func (a *app) printUpdate(res *feed.Result) {
	adv := res.Status.Advisories
	if res.Advisories.NotModified {
		fmt.Fprintf(a.stdout, "advisories: up to date (%s; downloaded %s)\n", res.Advisories.URL, dbWhen(adv.Sources[0].Fetched))
	} else {
		fmt.Fprintf(a.stdout, "advisories: downloaded %s from %s\n", feed.HumanBytes(res.Advisories.Bytes), res.Advisories.URL)
	}
	fmt.Fprintf(a.stdout, "  %s\n", dbStatsLine(adv.Stats))
	a.warnProblems(adv.Stats)
	switch p := res.Popular; {
	case p == nil:
	case p.NotModified:
		fmt.Fprintf(a.stdout, "popular names: up to date (%s; %s names)\n", p.URL, dbCommas(res.Status.Popular.Entries))
	default:
		fmt.Fprintf(a.stdout, "popular names: downloaded %s names from %s\n", dbCommas(res.Status.Popular.Entries), p.URL)
	}
}

func (a *app) dbImportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH...",
		Short: "Build the advisory database from local OSV files",
		Long: `Build the advisory database from local sources, for sites without network
access, replacing the current one. Each PATH is a directory tree of OSV
records in JSON or YAML (such as a checkout of github.com/pypa/advisory-database),
a zip of OSV JSON records (such as OSV's PyPI/all.zip), or one OSV file.
Records from several sources that alias each other are merged.

A PATH that is missing or holds no OSV record is an error (exit 2) and
leaves the database as it was. Files that do not parse are skipped, counted
and named on stderr.`,
		Example: `  git clone https://github.com/pypa/advisory-database && airlock db import ./advisory-database
  airlock db import all.zip ./more-osv-records`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			dataDir, err := a.dataDir()
			if err != nil {
				return withCode(ExitFailed, err)
			}
			st, err := feed.Import(cmd.Context(), dataDir, paths, time.Now())
			if err != nil {
				var se *feed.SourceError
				if errors.As(err, &se) {
					return usageError{err}
				}
				if errors.Is(err, context.Canceled) {
					return err
				}
				return withCode(ExitFailed, fmt.Errorf("db import failed; the old data is kept: %w", err))
			}
			for _, s := range st.Sources {
				fmt.Fprintf(a.stdout, "advisories: imported %s\n", s.Location)
			}
			fmt.Fprintf(a.stdout, "  %s\n", dbStatsLine(st.Stats))
			a.warnProblems(st.Stats)
			return nil
		},
	}
}

func (a *app) dbStatusCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the advisory database's sources, record counts and age",
		Long: `Show where the advisory database and the popular-name list came from, what
they hold and how old they are. The age counts from the last time a source
was confirmed current (a download, an import, or a 304 from db update).

With --format json, print the same as one JSON object: {"dir",
"advisories", "popular"}, each of the last two null when absent, and
"age_seconds" in "advisories". A damaged database exits 4.`,
		Example: `  airlock db status
  airlock db status --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: %q is not text or json", format)
			}
			dataDir, err := a.dataDir()
			if err != nil {
				return withCode(ExitFailed, err)
			}
			st, err := feed.ReadStatus(dataDir)
			if err != nil {
				return withCode(ExitFailed, err)
			}
			now := time.Now()
			if format == "json" {
				return a.printStatusJSON(st, now)
			}
			a.printStatusText(st, now)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func (a *app) printStatusText(st *feed.Status, now time.Time) {
	w := a.stdout
	fmt.Fprintf(w, "data: %s\n", st.Dir)
	if adv := st.Advisories; adv == nil {
		fmt.Fprintln(w, "advisories: none; run 'airlock db update' or 'airlock db import PATH'")
	} else {
		fmt.Fprintf(w, "advisories: %s\n", dbStatsLine(adv.Stats))
		for _, s := range adv.Sources {
			verb := "downloaded"
			if s.Kind == "import" {
				verb = "imported"
			}
			fmt.Fprintf(w, "  source: %s (%s %s)\n", s.Location, verb, dbWhen(s.Fetched))
		}
		checked := adv.Checked()
		fmt.Fprintf(w, "  age: %s (checked %s)\n", dbAge(now.Sub(checked)), dbWhen(checked))
		for _, p := range adv.Stats.ProblemList {
			fmt.Fprintf(w, "  unreadable: %s\n", p)
		}
	}
	if p := st.Popular; p == nil {
		fmt.Fprintln(w, "popular names: the built-in list; 'airlock db update --popular-url URL' refreshes it")
	} else {
		fmt.Fprintf(w, "popular names: %s names\n", dbCommas(p.Entries))
		if p.Source.Location != "" {
			fmt.Fprintf(w, "  source: %s (downloaded %s)\n", p.Source.Location, dbWhen(p.Source.Fetched))
			fmt.Fprintf(w, "  age: %s (checked %s)\n", dbAge(now.Sub(p.Source.Checked)), dbWhen(p.Source.Checked))
		}
	}
}

func (a *app) printStatusJSON(st *feed.Status, now time.Time) error {
	type advisories struct {
		*feed.AdvisoryStatus
		Checked    time.Time `json:"checked"`
		AgeSeconds int64     `json:"age_seconds"`
	}
	out := struct {
		Dir        string              `json:"dir"`
		Advisories *advisories         `json:"advisories"`
		Popular    *feed.PopularStatus `json:"popular"`
	}{Dir: st.Dir, Popular: st.Popular}
	if st.Advisories != nil {
		c := st.Advisories.Checked()
		out.Advisories = &advisories{st.Advisories, c, int64(now.Sub(c).Seconds())}
	}
	return jsonEncoder(a.stdout).Encode(out)
}

// warnProblems names the files that could not be read, on stderr.
func (a *app) warnProblems(s advisory.Stats) {
	if s.Problems == 0 {
		return
	}
	fmt.Fprintf(a.stderr, "warning: skipped %s that could not be read as OSV records:\n", dbCount(s.Problems, "file", "files"))
	for _, p := range s.ProblemList {
		fmt.Fprintf(a.stderr, "  %s\n", p)
	}
	if n := s.Problems - len(s.ProblemList); n > 0 {
		fmt.Fprintf(a.stderr, "  and %d more\n", n)
	}
}

// dbStatsLine summarises an advisory database in one line.
func dbStatsLine(s advisory.Stats) string {
	var extra []string
	if s.Withdrawn > 0 {
		extra = append(extra, dbCommas(s.Withdrawn)+" withdrawn")
	}
	if s.Skipped > 0 {
		extra = append(extra, dbCommas(s.Skipped)+" unusable")
	}
	if s.Problems > 0 {
		extra = append(extra, dbCount(s.Problems, "unreadable file", "unreadable files"))
	}
	line := dbCount(s.Records, "record", "records")
	if len(extra) > 0 {
		line += " (" + strings.Join(extra, ", ") + ")"
	}
	return fmt.Sprintf("%s: %s, %s, %s", line, dbCount(s.Vulns-s.Malicious, "vulnerability", "vulnerabilities"),
		dbCount(s.Malicious, "malicious-package report", "malicious-package reports"), dbCount(s.Packages, "package", "packages"))
}

// dbCount writes n with thousands separators and the noun in its number.
func dbCount(n int, one, many string) string {
	return dbCommas(n) + " " + plural(n, one, many)
}

// dbTerminal returns w when it is a terminal (for progress bars), else nil.
func dbTerminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// dbCommas formats 12345 as "12,345".
func dbCommas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// dbWhen formats a time for people, in UTC.
func dbWhen(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// dbAge formats a duration as "3 days", "5 hours", "12 minutes", "just now".
func dbAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return dbPlural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return dbPlural(int(d/time.Hour), "hour")
	}
	return dbPlural(int(d/(24*time.Hour)), "day")
}

func dbPlural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
