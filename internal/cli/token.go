package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/store"
)

// Where the store lives. The server (airlock serve) uses the same flag name,
// variable and default, through openStore.
const (
	// databaseEnv chooses the store when --database is not given.
	databaseEnv = "AIRLOCK_DATABASE"
	// databaseFile is the SQLite file in the data directory, the default.
	databaseFile = "airlock.db"
	// databaseFlagUsage is the help text of --database.
	databaseFlagUsage = "store: postgres://… URL or SQLite file path (default $" + databaseEnv + ", else <data dir>/" + databaseFile + ")"
	// cliActor is the audit log's actor for changes made with the CLI.
	cliActor = "cli"
	// maxTokenLifetime bounds --expires: a token meant to live longer
	// should not expire by surprise either; leave --expires out.
	maxTokenLifetime = 10 * 365 * 24 * time.Hour
)

// openStore opens the store named by database (a --database flag value),
// else $AIRLOCK_DATABASE, else the SQLite file in the data directory, which
// it creates (mode 0700) if needed. A malformed URL is a usage error (exit
// 2); a store that cannot be opened fails (exit 4).
func (a *app) openStore(ctx context.Context, database string) (store.Store, error) {
	if database == "" {
		database = a.getenv(databaseEnv)
	}
	if database == "" {
		dir, err := a.dataDir()
		if err != nil {
			return nil, withCode(ExitFailed, err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, withCode(ExitFailed, fmt.Errorf("data directory: %w", err))
		}
		database = filepath.Join(dir, databaseFile)
	}
	s, err := store.Open(ctx, database, a.logger)
	if errors.Is(err, store.ErrInvalid) {
		return nil, usageError{fmt.Errorf("--database: %w", err)}
	}
	if err != nil {
		return nil, withCode(ExitFailed, err)
	}
	return s, nil
}

func (a *app) tokenCommand() *cobra.Command {
	var database string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the server's API tokens",
		Long: `Manage the tokens that clients of airlock serve present. A token is a secret
starting with "alk_"; only its SHA-256 is stored. Each carries scopes:
check, install, run, proxy and admin (admin does not imply the others).

These commands work on the same store as the server, also while it runs: the
server refuses a revoked token within a second. The store is
--database, else $` + databaseEnv + `, else ` + databaseFile + ` in the data
directory. Each change is recorded in the audit log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&database, "database", "", databaseFlagUsage)
	cmd.AddCommand(a.tokenCreateCommand(&database), a.tokenListCommand(&database), a.tokenRevokeCommand(&database))
	return cmd
}

func (a *app) tokenCreateCommand(database *string) *cobra.Command {
	var name, scopes, expires string
	cmd := &cobra.Command{
		Use:   "create --name NAME --scopes SCOPE[,SCOPE...] [--expires DURATION]",
		Short: "Create a token and print its secret",
		Long: `Create a token and print its secret, alone, on standard output. The secret
is shown this once: it is not stored anywhere.

--name: 1-64 lower-case letters, digits, '.', '_' or '-'. Names are never
reused, not even after a token is revoked.
--scopes: a comma-separated list of check, install, run, proxy, admin.
--expires: a lifetime such as 90d, 12h or 1h30m (default: never).`,
		Example: `  airlock token create --name ci --scopes check,install,run,proxy --expires 90d`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.tokenCreate(cmd.Context(), *database, name, scopes, expires)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the token's name (required)")
	cmd.Flags().StringVar(&scopes, "scopes", "", "comma-separated scopes: check, install, run, proxy, admin (required)")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 90d or 12h (default: never expires)")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("scopes")
	return cmd
}

func (a *app) tokenCreate(ctx context.Context, database, name, scopesText, expiresText string) error {
	if err := store.CheckTokenName(name); err != nil {
		return usageError{fmt.Errorf("--name: %w", err)}
	}
	scopes, err := store.ParseScopes(scopesText)
	if err != nil {
		return usageError{fmt.Errorf("--scopes: %w", err)}
	}
	now := time.Now()
	var expires time.Time
	if expiresText != "" {
		d, err := parseLifetime(expiresText)
		if err != nil {
			return usageErrorf("--expires %q: %v", expiresText, err)
		}
		expires = now.Add(d)
	}
	s, err := a.openStore(ctx, database)
	if err != nil {
		return err
	}
	defer s.Close()
	tok, secret, err := store.IssueToken(ctx, s, store.Token{Name: name, Scopes: scopes, Created: now, Expires: expires})
	if errors.Is(err, store.ErrExists) {
		return usageErrorf("token %q already exists (names are not reused, even after revocation)", name)
	}
	if err != nil {
		return withCode(ExitFailed, err)
	}
	extra := map[string]any{"scopes": tok.Scopes}
	if !tok.Expires.IsZero() {
		extra["expires"] = tok.Expires
	}
	if err := a.auditCLI(ctx, s, store.ActionTokenCreate, name, extra); err != nil {
		// An unrecorded token must not be usable.
		if rerr := s.RevokeToken(context.WithoutCancel(ctx), name, time.Time{}); rerr != nil {
			err = errors.Join(err, fmt.Errorf("and revoking the unrecorded token failed: %w", rerr))
		}
		return withCode(ExitFailed, fmt.Errorf("token %q not issued: %w", name, err))
	}
	fmt.Fprintln(a.stdout, secret.String())
	when := "never expires"
	if !tok.Expires.IsZero() {
		when = "expires " + tok.Expires.Format(time.RFC3339)
	}
	fmt.Fprintf(a.stderr, "airlock: created token %q (%s; %s); its secret is shown only this once\n", name, tok.Scopes, when)
	return nil
}

// parseLifetime parses a token lifetime: a Go duration ("12h", "1h30m") or
// a whole number of days ("90d"). It must be positive and at most
// maxTokenLifetime.
func parseLifetime(text string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(text, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, errors.New("want a duration such as 90d, 12h or 1h30m")
		}
		if n > int(maxTokenLifetime/(24*time.Hour)) {
			return 0, fmt.Errorf("longer than %d days; leave --expires out for a token that does not expire", int(maxTokenLifetime/(24*time.Hour)))
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(text); err != nil {
			return 0, errors.New("want a duration such as 90d, 12h or 1h30m")
		}
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	if d > maxTokenLifetime {
		return 0, fmt.Errorf("longer than %d days; leave --expires out for a token that does not expire", int(maxTokenLifetime/(24*time.Hour)))
	}
	return d, nil
}

func (a *app) tokenListCommand(database *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list [--format text|json]",
		Short: "List tokens (never their secrets)",
		Long: `List every token, revoked and expired ones included, sorted by name: its
scopes, when it was created, when it expires, when it was last used (recorded
to the minute) and when it was revoked. Secrets are never shown: they are not
stored. Times are in UTC.`,
		Example: `  airlock token list
  airlock token list --format json
  airlock token list --database postgres://airlock@db/airlock`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: %q is not text or json", format)
			}
			return a.tokenList(cmd.Context(), *database, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// tokenStatus says whether a token is usable now.
func tokenStatus(t store.Token, now time.Time) string {
	switch {
	case t.IsRevoked():
		return "revoked"
	case t.Expired(now):
		return "expired"
	}
	return "active"
}

func (a *app) tokenList(ctx context.Context, database, format string) error {
	s, err := a.openStore(ctx, database)
	if err != nil {
		return err
	}
	defer s.Close()
	toks, err := s.Tokens(ctx)
	if err != nil {
		return withCode(ExitFailed, err)
	}
	now := time.Now()
	if format == "json" {
		type listed struct {
			store.Token
			Status string `json:"status"`
		}
		out := make([]listed, len(toks))
		for i, t := range toks {
			out[i] = listed{t, tokenStatus(t, now)}
		}
		return jsonEncoder(a.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCOPES\tSTATUS\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Scopes, tokenStatus(t, now), listTime(t.Created, "-"),
			listTime(t.Expires, "never"), listTime(t.LastUsed, "never"), listTime(t.Revoked, "-"))
	}
	return tw.Flush()
}

func listTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func (a *app) tokenRevokeCommand(database *string) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token",
		Long: `Revoke the named token. The server refuses it within a second, also while
it runs. Revoking a revoked token changes nothing. The name stays taken.`,
		Example: `  airlock token revoke metagpt`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.tokenRevoke(cmd.Context(), *database, args[0])
		},
	}
}

func (a *app) tokenRevoke(ctx context.Context, database, name string) error {
	if err := store.CheckTokenName(name); err != nil {
		return usageError{err}
	}
	s, err := a.openStore(ctx, database)
	if err != nil {
		return err
	}
	defer s.Close()
	err = s.RevokeToken(ctx, name, time.Time{})
	if errors.Is(err, store.ErrNotFound) {
		return usageErrorf("token %q does not exist", name)
	}
	if err != nil {
		return withCode(ExitFailed, err)
	}
	if err := a.auditCLI(ctx, s, store.ActionTokenRevoke, name, nil); err != nil {
		// The revocation itself is committed and effective.
		return withCode(ExitFailed, fmt.Errorf("token %q revoked, but not recorded: %w", name, err))
	}
	fmt.Fprintf(a.stderr, "airlock: revoked token %q\n", name)
	return nil
}

// auditCLI records a change made with the CLI, with the local user's name.
func (a *app) auditCLI(ctx context.Context, s store.AuditLog, action store.Action, subject string, extra map[string]any) error {
	if extra == nil {
		extra = map[string]any{}
	}
	if u, err := user.Current(); err == nil {
		extra["user"] = u.Username
	}
	doc, err := json.Marshal(extra)
	if err != nil {
		return err
	}
	_, err = s.Append(ctx, store.Event{Actor: cliActor, Action: action, Subject: subject, Extra: doc})
	return err
}
