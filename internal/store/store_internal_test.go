package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/airlock-dev/airlock/internal/store/pgtest"
)

func TestParseDSN(t *testing.T) {
	for _, tt := range []struct {
		dsn, kind, target string
	}{
		{"/var/lib/airlock/airlock.db", "sqlite", "/var/lib/airlock/airlock.db"},
		{"relative.db", "sqlite", "relative.db"},
		{"dir/with?odd#chars%.db", "sqlite", "dir/with?odd#chars%.db"},
		{"sqlite:x.db", "sqlite", "x.db"},
		{"sqlite:/abs/x.db", "sqlite", "/abs/x.db"},
		{"sqlite:///abs/x.db", "sqlite", "/abs/x.db"},
		{"sqlite:///abs/x%20y?.db", "sqlite", "/abs/x%20y?.db"},
		{"postgres://u:p@db:5432/airlock?sslmode=disable", "postgres", "postgres://u:p@db:5432/airlock?sslmode=disable"},
		{"postgresql://db/airlock", "postgres", "postgresql://db/airlock"},
		{"./odd://name.db", "sqlite", "./odd://name.db"},
	} {
		kind, target, err := parseDSN(tt.dsn)
		if err != nil || kind != tt.kind || target != tt.target {
			t.Errorf("parseDSN(%q) = %q, %q, %v; want %q, %q", tt.dsn, kind, target, err, tt.kind, tt.target)
		}
	}
	for _, dsn := range []string{"", "mysql://db/airlock", "sqlite:", "sqlite://host/x.db", "http://x"} {
		if _, _, err := parseDSN(dsn); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseDSN(%q) error %v, want one matching ErrInvalid", dsn, err)
		}
	}
}

// TestOpenHidesPassword: errors about a Postgres URL must not repeat it.
func TestOpenHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://airlock:s3cret-pw@127.0.0.1:1/airlock?connect_timeout=1&sslmode=disable",
		"postgres://airlock:s3cret-pw@127.0.0.1:1/airlock?sslmode=bogus",
	} {
		_, err := Open(context.Background(), dsn, nil)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if s := err.Error(); strings.Contains(s, "s3cret-pw") {
			t.Errorf("Open error shows the password: %s", s)
		}
	}
}

// TestMigrationsMatch: both dialects have the same numbered migrations.
func TestMigrationsMatch(t *testing.T) {
	var versions [2][]string
	for i, d := range []string{"sqlite", "postgres"} {
		ms, err := loadMigrations(migrationFS, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			versions[i] = append(versions[i], m.name)
		}
	}
	if !slices.Equal(versions[0], versions[1]) || len(versions[0]) == 0 {
		t.Errorf("migrations differ: sqlite %v, postgres %v", versions[0], versions[1])
	}
}

func TestLoadMigrationsNumbering(t *testing.T) {
	for _, tt := range []struct {
		files []string
		ok    bool
	}{
		{[]string{"0001_a.sql", "0002_b.sql"}, true},
		{[]string{"0002_b.sql", "0001_a.sql", "README"}, true},
		{[]string{"0001_a.sql", "0003_c.sql"}, false},
		{[]string{"0001_a.sql", "0001_b.sql"}, false},
		{[]string{"0002_a.sql"}, false},
		{[]string{"init.sql"}, false},
	} {
		fsys := fstest.MapFS{}
		for _, f := range tt.files {
			fsys["migrations/x/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
		}
		_, err := loadMigrations(fsys, "x")
		if (err == nil) != tt.ok {
			t.Errorf("loadMigrations(%v) error %v, want ok=%v", tt.files, err, tt.ok)
		}
	}
	all := []migration{{version: 1}, {version: 2}}
	if p, err := pendingMigrations(all, []int{1}); err != nil || len(p) != 1 || p[0].version != 2 {
		t.Errorf("pendingMigrations(applied 1) = %v, %v", p, err)
	}
	if _, err := pendingMigrations(all, []int{1, 2, 3}); err == nil {
		t.Error("pendingMigrations accepted a database newer than the code")
	}
}

// TestSQLiteSettings checks the pragmas the durability contract rests on,
// and that the database file is private.
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "airlock.db")
	s, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, "CREATE TABLE x (y)"); err == nil {
		t.Error("a reader connection could write")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode %o, want 600", perm)
	}
}

// TestAuditAppendOnly: the schema itself refuses to change or remove audit
// events.
func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s Store, exec func(string) error) {
		if _, err := s.Append(ctx, Event{Actor: "a", Action: ActionCheck, Decision: DecisionDeny}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE audit SET decision = 'allow'",
			"DELETE FROM audit",
		} {
			if err := exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: error %v, want the append-only refusal", q, err)
			}
		}
		p, err := s.Events(ctx, AuditQuery{})
		if err != nil || len(p.Events) != 1 || p.Events[0].Decision != DecisionDeny {
			t.Errorf("after refused changes, Events = %+v, %v", p.Events, err)
		}
	}
	t.Run("SQLite", func(t *testing.T) {
		s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "airlock.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s, func(q string) error { _, err := s.w.ExecContext(ctx, q); return err })
	})
	t.Run("Postgres", func(t *testing.T) {
		s, err := OpenPostgres(ctx, pgtest.Start(t).NewDatabase(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s, func(q string) error { _, err := s.pool.Exec(ctx, q); return err })
		if _, err := s.pool.Exec(ctx, "TRUNCATE audit"); err == nil {
			t.Error("TRUNCATE audit succeeded")
		}
	})
}

// TestSQLiteCheckpoint: commits leave the WAL alone (no checkpoint on the
// commit path) and the background checkpoint copies all of it back.
func TestSQLiteCheckpoint(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "airlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var autockpt int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autockpt); err != nil || autockpt != 0 {
		t.Errorf("writer's wal_autocheckpoint = %d, %v; want 0", autockpt, err)
	}
	for i := range 50 {
		if _, err := s.Append(ctx, Event{Actor: "a", Action: ActionCheck, Subject: strings.Repeat("x", 1000+i)}); err != nil {
			t.Fatal(err)
		}
	}
	wal, done, err := s.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wal == 0 || done != wal {
		t.Errorf("checkpoint: WAL %d pages, %d checkpointed; want a non-empty WAL fully checkpointed", wal, done)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
