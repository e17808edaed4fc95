package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/airlock-dev/airlock/internal/policy"
)

func (a *app) checkCommand() *cobra.Command {
	var (
		pf     policyFlags
		in     requestInput
		format string
	)
	cmd := &cobra.Command{
		Use:   "check [flags] [-r FILE]... [REQUIREMENT...]",
		Short: "Vet requirements against the policy, without installing anything",
		Long: `Check reads requirements exactly as pip would read them and decides each
entry: allow, deny, or review (a person must approve). It uses no network and
runs no pip.

Requirements come from files (-r FILE, "-r -" for standard input; their -r
and -c includes are read from below the file's directory only) and from
arguments, each of which is read as one line of a requirements file. A
line that starts with "-" (an option line) goes after "--".

Every entry is judged: requirements, and options too. Direct URLs, index and
build options, install locations, includes that leave the directory,
${VAR} references, invalid or look-alike names, typosquats, malicious and
vulnerable versions are denied by the default policy; see docs/policy.md.

Exit codes: 0 all allowed, 1 something denied, 3 nothing denied but
something needs review, 2 a usage or input error, 4 the local advisory
database or popular-name list cannot be read (nothing was decided).`,
		Example: `  airlock check -r requirements.txt
  airlock check 'requests==2.25.0' numpy
  airlock check --format json --advisories ./advisory-database -r - < requirements.txt
  airlock check --policy policy.yaml -r requirements.txt
  airlock check -- numpy '--extra-index-url https://evil.example/simple'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: %q is not text or json", format)
			}
			in.args = args
			if len(in.files) == 0 && len(in.args) == 0 {
				return usageErrorf("nothing to check: give -r FILE or requirements as arguments")
			}
			v, err := a.loadPolicy(&pf)
			if err != nil {
				return err
			}
			inputs, err := a.readRequest(in)
			if err != nil {
				return err
			}
			rep := v.check(policy.CheckOptions{}, inputs...)
			if format == "json" {
				if err := jsonEncoder(a.stdout).Encode(rep); err != nil {
					return err
				}
			} else {
				writeReport(a.stdout, a.stderr, &rep, useColor(a.stdout, a.getenv))
			}
			return withCode(exitFor(rep.Action()), nil)
		},
	}
	pf.register(cmd.Flags())
	cmd.Flags().StringArrayVarP(&in.files, "requirement", "r", nil, "requirements file to check (repeatable; - for standard input)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// exitFor maps a decision to the exit code of check and install.
func exitFor(act policy.Action) int {
	switch act {
	case policy.Deny:
		return ExitDenied
	case policy.Review:
		return ExitReview
	}
	return ExitOK
}

// useColor reports whether w is a terminal that wants colour.
func useColor(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	return ok && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb" && term.IsTerminal(int(f.Fd()))
}

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiDim    = "\x1b[2m"
	ansiReset  = "\x1b[0m"
)

// writeReport prints a report for a person: one line per entry with its
// decision, the findings under it, and a summary. Notes go to errw as
// warnings.
func writeReport(w, errw io.Writer, rep *policy.Report, color bool) {
	paint := painter(color)
	width := 0
	for _, r := range rep.Results {
		width = max(width, len(oneLine(position(r))))
	}
	for _, r := range rep.Results {
		label := strings.ToUpper(r.Decision.String())
		switch r.Decision {
		case policy.Deny:
			label = paint(ansiRed, fmt.Sprintf("%-6s", label))
		case policy.Review:
			label = paint(ansiYellow, fmt.Sprintf("%-6s", label))
		default:
			label = paint(ansiGreen, fmt.Sprintf("%-6s", label))
		}
		// The position names a file, which an include names: untrusted.
		fmt.Fprintf(w, "%s  %-*s  %s\n", label, width, oneLine(position(r)), oneLine(r.Input))
		for _, f := range r.Findings {
			writeFinding(w, f, paint)
		}
	}
	s := rep.Summary
	fmt.Fprintf(w, "%d %s: %d allowed, %d denied, %d to review\n", s.Allow+s.Deny+s.Review,
		plural(s.Allow+s.Deny+s.Review, "entry", "entries"), s.Allow, s.Deny, s.Review)
	for _, n := range rep.Notes {
		fmt.Fprintf(errw, "%s %s\n", paint(ansiYellow, "warning:"), n)
	}
}

// writeFinding prints one finding under its entry or release: the rule
// (and the custom rule's name), the message, the advisory ids the message
// does not already name, the exception that allowed it, and the
// suggestion. airlock check and airlock install print findings alike.
func writeFinding(w io.Writer, f policy.Finding, paint func(code, s string) string) {
	indent := strings.Repeat(" ", 8)
	rule := string(f.Rule)
	if f.Custom != "" {
		rule = fmt.Sprintf("%s (%s)", f.Rule, oneLine(f.Custom))
	}
	msg := fmt.Sprintf("%s: %s", rule, oneLine(f.Message))
	if ids := strings.Fields(strings.Join(f.Advisories, " ")); len(ids) > 0 && !strings.Contains(f.Message, ids[0]) {
		msg += " [" + oneLine(strings.Join(f.Advisories, "; ")) + "]"
	}
	if f.Exception != nil {
		msg += fmt.Sprintf(" [allowed by exception: %s, until %s]", oneLine(f.Exception.Reason), f.Exception.Expires.Format("2006-01-02"))
	}
	fmt.Fprintf(w, "%s%s\n", indent, msg)
	if f.Suggestion != "" && f.Action != policy.Allow {
		fmt.Fprintf(w, "%s%s\n", indent, paint(ansiDim, "suggestion: "+oneLine(f.Suggestion)))
	}
}

// painter returns a function that colours s with an ANSI code when color
// is set, and leaves it alone otherwise.
func painter(color bool) func(code, s string) string {
	return func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
}

func position(r policy.Result) string {
	if r.Line > 0 && !strings.HasPrefix(r.Source, "<") {
		return fmt.Sprintf("%s:%d", r.Source, r.Line)
	}
	if r.Source == "<arguments>" {
		return fmt.Sprintf("arg %d", r.Line)
	}
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.Source, r.Line)
	}
	return r.Source
}

// oneLine makes untrusted text safe to print on one terminal line:
// control characters (escape sequences included) become \x.. escapes.
func oneLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, "\\x%02x", r)
		case r == 0x202e || r == 0x202d || r == 0x2066 || r == 0x2067 || r == 0x2068 || r == 0x2069 || r == 0x202a || r == 0x202b || r == 0x202c:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
