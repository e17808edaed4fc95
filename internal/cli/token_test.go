package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
	"github.com/airlock-dev/airlock/internal/store/pgtest"
)

// runCLI runs airlock in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestTokenCommandsOnStore checks what the token commands leave in the
// store, on SQLite (the data directory) and Postgres (--database): the
// printed secret authenticates, revocation takes effect, and both changes
// are in the audit log.
func TestTokenCommandsOnStore(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		dir := t.TempDir()
		testTokenCommandsOnStore(t, []string{"--data-dir", dir}, filepath.Join(dir, databaseFile))
	})
	t.Run("Postgres", func(t *testing.T) {
		url := pgtest.Start(t).NewDatabase(t)
		testTokenCommandsOnStore(t, []string{"--database", url}, url)
	})
}

func testTokenCommandsOnStore(t *testing.T, where []string, dsn string) {
	ctx := context.Background()
	cmd := func(args ...string) []string {
		// --data-dir is global, --database belongs to the token command:
		// both work after the subcommand.
		return append(args, where...)
	}
	code, stdout, stderr := runCLI(t, cmd("token", "create", "--name", "ci", "--scopes", "check,proxy", "--expires", "1h")...)
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, stderr)
	}
	secret := strings.TrimSuffix(stdout, "\n")

	s, err := store.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok, err := store.Authenticate(ctx, s, secret, time.Now())
	if err != nil {
		t.Fatalf("Authenticate(printed secret): %v", err)
	}
	if tok.Name != "ci" || tok.Scopes != store.Scopes(store.ScopeCheck|store.ScopeProxy) {
		t.Errorf("stored token = %+v", tok)
	}
	if d := time.Until(tok.Expires); d < 50*time.Minute || d > time.Hour {
		t.Errorf("token expires in %v, want about an hour", d)
	}

	if code, _, stderr := runCLI(t, cmd("token", "revoke", "ci")...); code != 0 {
		t.Fatalf("token revoke: exit %d: %s", code, stderr)
	}
	if _, err := store.Authenticate(ctx, s, secret, time.Now()); !errors.Is(err, store.ErrTokenRevoked) {
		t.Errorf("Authenticate after token revoke: %v, want ErrTokenRevoked", err)
	}

	p, err := s.Events(ctx, store.AuditQuery{Actor: cliActor})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 {
		t.Fatalf("audit events = %+v, want token-revoke and token-create", p.Events)
	}
	rev, cre := p.Events[0], p.Events[1]
	if rev.Action != store.ActionTokenRevoke || rev.Subject != "ci" || cre.Action != store.ActionTokenCreate || cre.Subject != "ci" {
		t.Errorf("audit events = %+v", p.Events)
	}
	var extra struct {
		Scopes  []string  `json:"scopes"`
		Expires time.Time `json:"expires"`
	}
	if err := json.Unmarshal(cre.Extra, &extra); err != nil || strings.Join(extra.Scopes, ",") != "check,proxy" || !extra.Expires.Equal(tok.Expires) {
		t.Errorf("token-create extra = %s (%v)", cre.Extra, err)
	}
	if strings.Contains(string(cre.Extra), secret) || strings.Contains(cre.Subject, secret) {
		t.Error("the audit log holds the secret")
	}

	code, stdout, _ = runCLI(t, cmd("token", "list", "--format", "json")...)
	var listed []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &listed); code != 0 || err != nil || len(listed) != 1 || listed[0].Status != "revoked" {
		t.Errorf("token list --format json: exit %d, %q (%v)", code, stdout, err)
	}
}

func TestParseLifetime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour},
		{"1d", 24 * time.Hour},
		{"12h", 12 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"3650d", maxTokenLifetime},
	} {
		if got, err := parseLifetime(tt.in); err != nil || got != tt.want {
			t.Errorf("parseLifetime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "d", "0d", "-1d", "-5m", "0", "soon", "1.5d", "3651d", "87601h", "99999999999999999999d"} {
		if got, err := parseLifetime(in); err == nil {
			t.Errorf("parseLifetime(%q) = %v, want an error", in, got)
		}
	}
}
