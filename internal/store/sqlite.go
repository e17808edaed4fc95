package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite settings. Every connection gets a busy timeout (another process may
// hold the write lock for a moment) and WAL mode, so readers never wait for
// the writer and the writer never waits for readers.
//
// synchronous=FULL syncs the WAL at every commit. NORMAL would be enough for
// the promise the server makes (an answered request survives kill -9: a
// commit is in the operating system's hands once write() returns), but it can
// lose the last commits on power loss, and with group commit the cost of
// FULL is one sync per batch, not per request.
const (
	sqliteBusyTimeout = 10 * time.Second
	// sqliteWALLimit truncates the WAL file after checkpoints, so a burst
	// of writes does not leave a large file behind.
	sqliteWALLimit = 64 << 20
	// sqliteCheckpointInterval is how often the WAL is copied back into the
	// database. SQLite would do it inside a commit once the WAL reaches 1000
	// pages, making that commit's callers wait for the copy and its syncs;
	// a passive checkpoint on its own connection runs beside the writer
	// instead. When the last connection closes, SQLite checkpoints anyway.
	sqliteCheckpointInterval = time.Second
)

// SQLite is the [Store] kept in one SQLite file. It uses three connection
// pools: one connection for every write (SQLite has one writer at a time;
// serialising in-process keeps the busy timeout for other processes),
// read-only connections for lookups, and one connection for checkpoints.
type SQLite struct {
	path   string
	w      *sql.DB
	r      *sql.DB
	logger *slog.Logger
	audit  *batcher
	touch  touchThrottle
	closed atomic.Bool

	ckpt     *sql.DB       // one connection for background checkpoints
	stopCkpt chan struct{} // closed by Close
	ckptDone chan struct{} // closed when the checkpointer has stopped
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating it if needed, readable by its owner only) the
// SQLite database at path and brings its schema up to date. The directory
// must exist.
func OpenSQLite(ctx context.Context, path string, logger *slog.Logger) (*SQLite, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Create the file ourselves so that it (and SQLite's -wal and -shm
	// files, which copy its mode) is private: it holds the token hashes
	// and the audit log.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	f.Close()

	base := "file:" + sqliteURIPath(path) + fmt.Sprintf("?_busy_timeout=%d&_foreign_keys=1", sqliteBusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", base+fmt.Sprintf("&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_pragma=journal_size_limit(%d)&_pragma=wal_autocheckpoint(0)", sqliteWALLimit))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", base+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	ckpt, err := sql.Open("sqlite", base)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	s := &SQLite{path: path, w: w, r: r, ckpt: ckpt, logger: logger.With("component", "store", "database", "sqlite"),
		stopCkpt: make(chan struct{}), ckptDone: make(chan struct{})}
	// Switching a new file to WAL needs an exclusive lock, and SQLite
	// answers SQLITE_BUSY at once, without its busy handler, when several
	// processes create the database together: retry that start-up.
	err = retryBusy(ctx, func() error {
		if err := w.PingContext(ctx); err != nil {
			return err
		}
		return s.migrate(ctx)
	})
	if err != nil {
		errors.Join(w.Close(), r.Close(), ckpt.Close())
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	s.audit = newBatcher(s.commitEvents)
	go s.checkpointer()
	return s, nil
}

// checkpointer runs passive checkpoints until Close.
func (s *SQLite) checkpointer() {
	defer close(s.ckptDone)
	tick := time.NewTicker(sqliteCheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.stopCkpt:
			return
		case <-tick.C:
			if _, _, err := s.checkpoint(context.Background()); err != nil {
				s.logger.Warn("checkpoint failed", "err", err)
			}
		}
	}
}

// checkpoint copies what it can of the WAL into the database without
// blocking readers or the writer, and returns the WAL's size and how much of
// it is now in the database, in pages.
func (s *SQLite) checkpoint(ctx context.Context) (walPages, done int, err error) {
	var busy int
	err = s.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walPages, &done)
	return walPages, done, err
}

// retryBusy runs f until it succeeds, fails with something other than
// SQLITE_BUSY, or sqliteBusyTimeout has passed.
func retryBusy(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := f()
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// sqliteURIPath escapes the characters that end a path in an SQLite URI.
func sqliteURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Path returns the database file's path.
func (s *SQLite) Path() string { return s.path }

// Ping implements [Store]: it reads from the database file.
func (s *SQLite) Ping(ctx context.Context) error {
	var n int
	return s.wrap(s.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n))
}

// Close implements [Store].
func (s *SQLite) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.audit.close()
	close(s.stopCkpt)
	<-s.ckptDone
	return errors.Join(s.r.Close(), s.ckpt.Close(), s.w.Close())
}

func (s *SQLite) migrate(ctx context.Context) error {
	all, err := loadMigrations(migrationFS, "sqlite")
	if err != nil {
		return err
	}
	// The writer's transactions begin IMMEDIATE: this one holds the write
	// lock from the start, so a second process starting at the same time
	// waits (busy timeout) and then finds the work done.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := sqlInts(ctx, tx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := pendingMigrations(all, applied)
	if err != nil || len(pending) == 0 {
		return err
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	s.logger.Info("migrated database", "path", s.path, "applied", len(pending), "version", all[len(all)-1].version)
	return nil
}

func sqlInts(ctx context.Context, tx *sql.Tx, query string) ([]int, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sqliteIsUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func sqliteIsUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// sqliteTime converts a time to its column value: microseconds, or NULL
// for the zero time.
func sqliteTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// sqliteDoc converts a JSON document to its column value: TEXT, or NULL.
func sqliteDoc(doc json.RawMessage) any {
	if doc == nil {
		return nil
	}
	return string(doc)
}

func docFrom(n sql.NullString) json.RawMessage {
	if !n.Valid {
		return nil
	}
	return json.RawMessage(n.String)
}

// inTx runs f in a write transaction and commits it.
func (s *SQLite) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return s.wrap(tx.Commit())
}

// wrap reports errors after Close as ErrClosed.
func (s *SQLite) wrap(err error) error {
	if err != nil && s.closed.Load() {
		return ErrClosed
	}
	return err
}

// Tokens.

const sqliteTokenColumns = `name, hash, scopes, created, expires, revoked, last_used`

func scanSQLiteToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var hash []byte
	var scopes string
	var created int64
	var expires, revoked, lastUsed sql.NullInt64
	if err := row.Scan(&t.Name, &hash, &scopes, &created, &expires, &revoked, &lastUsed); err != nil {
		return Token{}, err
	}
	return finishToken(t, hash, scopes, time.UnixMicro(created).UTC(), fromMicros(expires), fromMicros(revoked), fromMicros(lastUsed))
}

// finishToken fills in the decoded columns shared by both dialects.
func finishToken(t Token, hash []byte, scopes string, created, expires, revoked, lastUsed time.Time) (Token, error) {
	if len(hash) != len(t.Hash) {
		return Token{}, fmt.Errorf("token %q: stored hash has %d bytes", t.Name, len(hash))
	}
	copy(t.Hash[:], hash)
	ss, err := ParseScopes(scopes)
	if err != nil {
		return Token{}, fmt.Errorf("token %q: stored scopes: %w", t.Name, err)
	}
	t.Scopes = ss
	t.Created, t.Expires, t.Revoked, t.LastUsed = created, expires, revoked, lastUsed
	return t, nil
}

// CreateToken implements [TokenStore].
func (s *SQLite) CreateToken(ctx context.Context, t Token) error {
	t, err := t.checkNew()
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO tokens (name, hash, scopes, created, expires) VALUES (?, ?, ?, ?, ?)`,
		t.Name, t.Hash[:], t.Scopes.String(), t.Created.UnixMicro(), sqliteTime(t.Expires))
	if sqliteIsUnique(err) {
		return fmt.Errorf("token %q: %w", t.Name, ErrExists)
	}
	return s.wrap(err)
}

// CreateFirstToken implements [TokenStore]. SQLite has one writer at a
// time, so the insert and its condition are atomic.
func (s *SQLite) CreateFirstToken(ctx context.Context, t Token) (bool, error) {
	t, err := t.checkNew()
	if err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO tokens (name, hash, scopes, created, expires)
		SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM tokens)`,
		t.Name, t.Hash[:], t.Scopes.String(), t.Created.UnixMicro(), sqliteTime(t.Expires))
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TokenByHash implements [TokenStore].
func (s *SQLite) TokenByHash(ctx context.Context, h TokenHash) (Token, error) {
	t, err := scanSQLiteToken(s.r.QueryRowContext(ctx, `SELECT `+sqliteTokenColumns+` FROM tokens WHERE hash = ?`, h[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	return t, s.wrap(err)
}

// Tokens implements [TokenStore].
func (s *SQLite) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqliteTokenColumns+` FROM tokens ORDER BY name`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanSQLiteToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken implements [TokenStore].
func (s *SQLite) RevokeToken(ctx context.Context, name string, at time.Time) error {
	if CheckTokenName(name) != nil {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET revoked = coalesce(revoked, ?) WHERE name = ?`, nowOr(at).UnixMicro(), name)
	if err != nil {
		return s.wrap(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	return nil
}

// TouchToken implements [TokenStore].
func (s *SQLite) TouchToken(ctx context.Context, name string, at time.Time) error {
	at = nowOr(at)
	if CheckTokenName(name) != nil || !s.touch.due(name, at) {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE name = ? AND (last_used IS NULL OR last_used <= ?)`,
		at.UnixMicro(), name, at.Add(-LastUsedResolution).UnixMicro())
	if err != nil {
		return s.wrap(err)
	}
	s.touch.done(name, at)
	return nil
}

// Environments.

const sqliteEnvColumns = `name, python, created, updated, lock, version`

func scanSQLiteEnv(row interface{ Scan(...any) error }) (Environment, error) {
	var e Environment
	var created, updated int64
	var lock sql.NullString
	if err := row.Scan(&e.Name, &e.Python, &created, &updated, &lock, &e.Version); err != nil {
		return Environment{}, err
	}
	e.Created, e.Updated, e.Lock = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC(), docFrom(lock)
	return e, nil
}

// CreateEnvironment implements [EnvironmentStore].
func (s *SQLite) CreateEnvironment(ctx context.Context, e Environment) (Environment, error) {
	if err := e.check(); err != nil {
		return Environment{}, err
	}
	e.Created = nowOr(e.Created)
	e.Updated, e.Version = e.Created, 1
	_, err := s.w.ExecContext(ctx, `INSERT INTO environments (`+sqliteEnvColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Name, e.Python, e.Created.UnixMicro(), e.Updated.UnixMicro(), sqliteDoc(e.Lock), e.Version)
	if sqliteIsUnique(err) {
		return Environment{}, fmt.Errorf("environment %q: %w", e.Name, ErrExists)
	}
	if err != nil {
		return Environment{}, s.wrap(err)
	}
	return e, nil
}

// Environment implements [EnvironmentStore].
func (s *SQLite) Environment(ctx context.Context, name string) (Environment, error) {
	if checkName("environment name", name) != nil {
		return Environment{}, fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	e, err := scanSQLiteEnv(s.r.QueryRowContext(ctx, `SELECT `+sqliteEnvColumns+` FROM environments WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Environment{}, fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	return e, s.wrap(err)
}

// Environments implements [EnvironmentStore].
func (s *SQLite) Environments(ctx context.Context) ([]Environment, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqliteEnvColumns+` FROM environments ORDER BY name`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []Environment
	for rows.Next() {
		e, err := scanSQLiteEnv(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// UpdateEnvironment implements [EnvironmentStore].
func (s *SQLite) UpdateEnvironment(ctx context.Context, e Environment) (Environment, error) {
	if err := e.check(); err != nil {
		return Environment{}, err
	}
	e.Updated = nowOr(e.Updated)
	var out Environment
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE environments SET python = ?, lock = ?, updated = ?, version = version + 1
			WHERE name = ? AND version = ?`, e.Python, sqliteDoc(e.Lock), e.Updated.UnixMicro(), e.Name, e.Version)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		out, err = scanSQLiteEnv(tx.QueryRowContext(ctx, `SELECT `+sqliteEnvColumns+` FROM environments WHERE name = ?`, e.Name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("environment %q: %w", e.Name, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("environment %q: version %d was replaced by version %d: %w", e.Name, e.Version, out.Version, ErrConflict)
		}
		return nil
	})
	if err != nil {
		return Environment{}, err
	}
	return out, nil
}

// DeleteEnvironment implements [EnvironmentStore].
func (s *SQLite) DeleteEnvironment(ctx context.Context, name string) error {
	if checkName("environment name", name) != nil {
		return fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM environments WHERE name = ?`, name)
	if err != nil {
		return s.wrap(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	return nil
}

// Audit log.

// Append implements [AuditLog].
func (s *SQLite) Append(ctx context.Context, e Event) (Event, error) {
	return s.audit.append(ctx, e)
}

// commitEvents inserts a batch of events in one transaction: one WAL sync
// for all of them.
func (s *SQLite) commitEvents(ctx context.Context, evs []Event) ([]int64, error) {
	ids := make([]int64, 0, len(evs))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (at, actor, action, decision, subject, findings, request_id, extra)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range evs {
			res, err := stmt.ExecContext(ctx, e.Time.UnixMicro(), e.Actor, string(e.Action), string(e.Decision), e.Subject,
				sqliteDoc(e.Findings), e.RequestID, sqliteDoc(e.Extra))
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// Events implements [AuditLog].
func (s *SQLite) Events(ctx context.Context, q AuditQuery) (AuditPage, error) {
	query, args := eventsQuery(q, func(int) string { return "?" }, func(t time.Time) any { return t.UnixMicro() })
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return AuditPage{}, s.wrap(err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var e Event
		var at int64
		var action, decision string
		var findings, extra sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &action, &decision, &e.Subject, &findings, &e.RequestID, &extra); err != nil {
			return AuditPage{}, err
		}
		e.Time, e.Action, e.Decision, e.Findings, e.Extra = time.UnixMicro(at).UTC(), Action(action), Decision(decision), docFrom(findings), docFrom(extra)
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return AuditPage{}, err
	}
	return page(evs, q), nil
}

// Reviews and exceptions.

const sqliteReviewColumns = `id, subject, findings, requester, created, event_id, state, decided, decided_by, note`

func scanSQLiteReview(row interface{ Scan(...any) error }) (Review, error) {
	var r Review
	var findings sql.NullString
	var created int64
	var eventID, decided sql.NullInt64
	var state string
	if err := row.Scan(&r.ID, &r.Subject, &findings, &r.Requester, &created, &eventID, &state, &decided, &r.DecidedBy, &r.Note); err != nil {
		return Review{}, err
	}
	r.Findings, r.Created, r.EventID, r.State, r.Decided = docFrom(findings), time.UnixMicro(created).UTC(), eventID.Int64, ReviewState(state), fromMicros(decided)
	return r, nil
}

// CreateReview implements [ReviewStore].
func (s *SQLite) CreateReview(ctx context.Context, r Review) (Review, error) {
	r, err := r.checkNew()
	if err != nil {
		return Review{}, err
	}
	var eventID any
	if r.EventID != 0 {
		eventID = r.EventID
	}
	err = s.w.QueryRowContext(ctx, `INSERT INTO reviews (subject, findings, requester, created, event_id, state)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, r.Subject, sqliteDoc(r.Findings), r.Requester, r.Created.UnixMicro(), eventID, string(r.State)).Scan(&r.ID)
	if err != nil {
		return Review{}, s.wrap(err)
	}
	return r, nil
}

// Review implements [ReviewStore].
func (s *SQLite) Review(ctx context.Context, id int64) (Review, error) {
	r, err := scanSQLiteReview(s.r.QueryRowContext(ctx, `SELECT `+sqliteReviewColumns+` FROM reviews WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Review{}, fmt.Errorf("review %d: %w", id, ErrNotFound)
	}
	return r, s.wrap(err)
}

// Reviews implements [ReviewStore].
func (s *SQLite) Reviews(ctx context.Context, state ReviewState) ([]Review, error) {
	query, args := `SELECT `+sqliteReviewColumns+` FROM reviews ORDER BY id`, []any(nil)
	if state != "" {
		if _, err := ParseReviewState(string(state)); err != nil {
			return nil, err
		}
		query, args = `SELECT `+sqliteReviewColumns+` FROM reviews WHERE state = ? ORDER BY id`, []any{string(state)}
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		r, err := scanSQLiteReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sqliteDecideReview moves a pending review to state inside tx, or explains why
// it cannot.
func sqliteDecideReview(ctx context.Context, tx *sql.Tx, id int64, state ReviewState, by, note string, at time.Time) (Review, error) {
	res, err := tx.ExecContext(ctx, `UPDATE reviews SET state = ?, decided = ?, decided_by = ?, note = ? WHERE id = ? AND state = 'pending'`,
		string(state), at.UnixMicro(), by, note, id)
	if err != nil {
		return Review{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Review{}, err
	}
	r, err := scanSQLiteReview(tx.QueryRowContext(ctx, `SELECT `+sqliteReviewColumns+` FROM reviews WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Review{}, fmt.Errorf("review %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Review{}, err
	}
	if n == 0 {
		return Review{}, fmt.Errorf("review %d: already %s: %w", id, r.State, ErrConflict)
	}
	return r, nil
}

// ApproveReview implements [ReviewStore].
func (s *SQLite) ApproveReview(ctx context.Context, id int64, x Exception) (Exception, error) {
	x, err := x.checkNew()
	if err != nil {
		return Exception{}, err
	}
	x.ReviewID = id
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := sqliteDecideReview(ctx, tx, id, ReviewApproved, x.ApprovedBy, x.Reason, x.Created); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO exceptions (project, specifier, rule, reason, expires, approved_by, created, review_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, x.Project, x.Specifier, x.Rule, x.Reason, x.Expires.UnixMicro(),
			x.ApprovedBy, x.Created.UnixMicro(), x.ReviewID).Scan(&x.ID)
	})
	if err != nil {
		return Exception{}, err
	}
	return x, nil
}

// RejectReview implements [ReviewStore].
func (s *SQLite) RejectReview(ctx context.Context, id int64, by, note string, at time.Time) (Review, error) {
	if err := checkName("rejecter", by); err != nil {
		return Review{}, err
	}
	if err := checkText("note", note); err != nil {
		return Review{}, err
	}
	var r Review
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = sqliteDecideReview(ctx, tx, id, ReviewRejected, by, note, nowOr(at))
		return err
	})
	return r, err
}

// Exceptions implements [ReviewStore].
func (s *SQLite) Exceptions(ctx context.Context) ([]Exception, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, project, specifier, rule, reason, expires, approved_by, created, review_id
		FROM exceptions ORDER BY id`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []Exception
	for rows.Next() {
		var x Exception
		var expires, created int64
		var reviewID sql.NullInt64
		if err := rows.Scan(&x.ID, &x.Project, &x.Specifier, &x.Rule, &x.Reason, &expires, &x.ApprovedBy, &created, &reviewID); err != nil {
			return nil, err
		}
		x.Expires, x.Created, x.ReviewID = time.UnixMicro(expires).UTC(), time.UnixMicro(created).UTC(), reviewID.Int64
		out = append(out, x)
	}
	return out, rows.Err()
}

// DeleteException implements [ReviewStore].
func (s *SQLite) DeleteException(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM exceptions WHERE id = ?`, id)
	if err != nil {
		return s.wrap(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("exception %d: %w", id, ErrNotFound)
	}
	return nil
}
