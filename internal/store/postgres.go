package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the [Store] kept in a Postgres database, for sites that run
// several airlock replicas. It uses a pgx connection pool; pool settings
// such as pool_max_conns can be given in the URL.
type Postgres struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	audit  *batcher
	touch  touchThrottle
	closed atomic.Bool
}

var _ Store = (*Postgres)(nil)

// postgresMigrationLock is the advisory lock key that serialises migrations
// between processes ("airlock" in ASCII).
const postgresMigrationLock = 0x61_69_72_6c_6f_63_6b

// OpenPostgres connects to the database at url (postgres://…) and brings its
// schema up to date. Errors do not repeat the URL.
func OpenPostgres(ctx context.Context, url string, logger *slog.Logger) (*Postgres, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors quote the URL, password included.
		return nil, invalid("database URL", "", "not a valid postgres:// URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	s := &Postgres{pool: pool, logger: logger.With("component", "store", "database", "postgres")}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	s.audit = newBatcher(s.commitEvents)
	return s, nil
}

// Ping implements [Store].
func (s *Postgres) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return s.pool.Ping(ctx)
}

// Close implements [Store].
func (s *Postgres) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.audit.close()
	s.pool.Close()
	return nil
}

func (s *Postgres) migrate(ctx context.Context) error {
	all, err := loadMigrations(migrationFS, "postgres")
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Two processes starting at once: the second waits here, then finds
	// the work done. The lock is released with the transaction.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(postgresMigrationLock)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := pendingMigrations(all, applied)
	if err != nil || len(pending) == 0 {
		return err
	}
	for _, m := range pending {
		// No arguments: pgx sends it with the simple protocol, which
		// allows several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, now())`, m.version, m.name); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	s.logger.Info("migrated database", "applied", len(pending), "version", all[len(all)-1].version)
	return nil
}

// pgIsUnique reports whether err is a unique violation.
func pgIsUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// pgTime converts a time to its column value, NULL for the zero time.
func pgTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func fromPG(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// pgDoc converts a JSON document to its column value, NULL when nil. A
// string, so that pgx sends the bytes as they are.
func pgDoc(doc json.RawMessage) any {
	if doc == nil {
		return nil
	}
	return string(doc)
}

func pgDocFrom(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// wrap reports errors after Close as ErrClosed.
func (s *Postgres) wrap(err error) error {
	if err != nil && s.closed.Load() {
		return ErrClosed
	}
	return err
}

// inTx runs f in a transaction and commits it.
func (s *Postgres) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Tokens.

const pgTokenColumns = `name, hash, scopes, created, expires, revoked, last_used`

func scanPGToken(row pgx.Row) (Token, error) {
	var t Token
	var hash []byte
	var scopes string
	var created time.Time
	var expires, revoked, lastUsed *time.Time
	if err := row.Scan(&t.Name, &hash, &scopes, &created, &expires, &revoked, &lastUsed); err != nil {
		return Token{}, err
	}
	return finishToken(t, hash, scopes, created.UTC(), fromPG(expires), fromPG(revoked), fromPG(lastUsed))
}

// CreateToken implements [TokenStore].
func (s *Postgres) CreateToken(ctx context.Context, t Token) error {
	t, err := t.checkNew()
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO tokens (name, hash, scopes, created, expires) VALUES ($1, $2, $3, $4, $5)`,
		t.Name, t.Hash[:], t.Scopes.String(), t.Created, pgTime(t.Expires))
	if pgIsUnique(err) {
		return fmt.Errorf("token %q: %w", t.Name, ErrExists)
	}
	return s.wrap(err)
}

// CreateFirstToken implements [TokenStore]. Under Postgres's default
// isolation two transactions could both see an empty table, so it locks the
// table against other writers first (readers are not blocked).
func (s *Postgres) CreateFirstToken(ctx context.Context, t Token) (bool, error) {
	t, err := t.checkNew()
	if err != nil {
		return false, err
	}
	var created bool
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE tokens IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO tokens (name, hash, scopes, created, expires)
			SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM tokens)`,
			t.Name, t.Hash[:], t.Scopes.String(), t.Created, pgTime(t.Expires))
		created = tag.RowsAffected() == 1
		return err
	})
	return created, s.wrap(err)
}

// TokenByHash implements [TokenStore].
func (s *Postgres) TokenByHash(ctx context.Context, h TokenHash) (Token, error) {
	t, err := scanPGToken(s.pool.QueryRow(ctx, `SELECT `+pgTokenColumns+` FROM tokens WHERE hash = $1`, h[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	return t, s.wrap(err)
}

// Tokens implements [TokenStore].
func (s *Postgres) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgTokenColumns+` FROM tokens ORDER BY name`)
	if err != nil {
		return nil, s.wrap(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Token, error) { return scanPGToken(row) })
}

// RevokeToken implements [TokenStore].
func (s *Postgres) RevokeToken(ctx context.Context, name string, at time.Time) error {
	if CheckTokenName(name) != nil {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked = coalesce(revoked, $1) WHERE name = $2`, nowOr(at), name)
	if err != nil {
		return s.wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	return nil
}

// TouchToken implements [TokenStore].
func (s *Postgres) TouchToken(ctx context.Context, name string, at time.Time) error {
	at = nowOr(at)
	if CheckTokenName(name) != nil || !s.touch.due(name, at) {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used = $1 WHERE name = $2 AND (last_used IS NULL OR last_used <= $3)`,
		at, name, at.Add(-LastUsedResolution))
	if err != nil {
		return s.wrap(err)
	}
	s.touch.done(name, at)
	return nil
}

// Environments.

const pgEnvColumns = `name, python, created, updated, lock, version`

func scanPGEnv(row pgx.Row) (Environment, error) {
	var e Environment
	var lock *string
	if err := row.Scan(&e.Name, &e.Python, &e.Created, &e.Updated, &lock, &e.Version); err != nil {
		return Environment{}, err
	}
	e.Created, e.Updated, e.Lock = e.Created.UTC(), e.Updated.UTC(), pgDocFrom(lock)
	return e, nil
}

// CreateEnvironment implements [EnvironmentStore].
func (s *Postgres) CreateEnvironment(ctx context.Context, e Environment) (Environment, error) {
	if err := e.check(); err != nil {
		return Environment{}, err
	}
	e.Created = nowOr(e.Created)
	e.Updated, e.Version = e.Created, 1
	_, err := s.pool.Exec(ctx, `INSERT INTO environments (`+pgEnvColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.Name, e.Python, e.Created, e.Updated, pgDoc(e.Lock), e.Version)
	if pgIsUnique(err) {
		return Environment{}, fmt.Errorf("environment %q: %w", e.Name, ErrExists)
	}
	if err != nil {
		return Environment{}, s.wrap(err)
	}
	return e, nil
}

// Environment implements [EnvironmentStore].
func (s *Postgres) Environment(ctx context.Context, name string) (Environment, error) {
	if checkName("environment name", name) != nil {
		return Environment{}, fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	e, err := scanPGEnv(s.pool.QueryRow(ctx, `SELECT `+pgEnvColumns+` FROM environments WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return Environment{}, fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	return e, s.wrap(err)
}

// Environments implements [EnvironmentStore].
func (s *Postgres) Environments(ctx context.Context) ([]Environment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgEnvColumns+` FROM environments ORDER BY name`)
	if err != nil {
		return nil, s.wrap(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Environment, error) { return scanPGEnv(row) })
}

// UpdateEnvironment implements [EnvironmentStore].
func (s *Postgres) UpdateEnvironment(ctx context.Context, e Environment) (Environment, error) {
	if err := e.check(); err != nil {
		return Environment{}, err
	}
	e.Updated = nowOr(e.Updated)
	out, err := scanPGEnv(s.pool.QueryRow(ctx, `UPDATE environments SET python = $1, lock = $2, updated = $3, version = version + 1
		WHERE name = $4 AND version = $5 RETURNING `+pgEnvColumns, e.Python, pgDoc(e.Lock), e.Updated, e.Name, e.Version))
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Environment{}, s.wrap(err)
	}
	// Nothing matched: tell a missing environment from a stale version.
	cur, err := s.Environment(ctx, e.Name)
	if err != nil {
		return Environment{}, err
	}
	return Environment{}, fmt.Errorf("environment %q: version %d was replaced by version %d: %w", e.Name, e.Version, cur.Version, ErrConflict)
}

// DeleteEnvironment implements [EnvironmentStore].
func (s *Postgres) DeleteEnvironment(ctx context.Context, name string) error {
	if checkName("environment name", name) != nil {
		return fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM environments WHERE name = $1`, name)
	if err != nil {
		return s.wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("environment %q: %w", name, ErrNotFound)
	}
	return nil
}

// Audit log.

// Append implements [AuditLog].
func (s *Postgres) Append(ctx context.Context, e Event) (Event, error) {
	return s.audit.append(ctx, e)
}

// commitEvents inserts a batch of events in one transaction, sent as one
// pipelined round trip.
func (s *Postgres) commitEvents(ctx context.Context, evs []Event) ([]int64, error) {
	ids := make([]int64, len(evs))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for i, e := range evs {
			b.Queue(`INSERT INTO audit (at, actor, action, decision, subject, findings, request_id, extra)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				e.Time, e.Actor, string(e.Action), string(e.Decision), e.Subject, pgDoc(e.Findings), e.RequestID, pgDoc(e.Extra),
			).QueryRow(func(row pgx.Row) error { return row.Scan(&ids[i]) })
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	return ids, s.wrap(err)
}

// Events implements [AuditLog].
func (s *Postgres) Events(ctx context.Context, q AuditQuery) (AuditPage, error) {
	query, args := eventsQuery(q, func(n int) string { return "$" + strconv.Itoa(n) }, func(t time.Time) any { return t })
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return AuditPage{}, s.wrap(err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		var action, decision string
		var findings, extra *string
		if err := row.Scan(&e.ID, &e.Time, &e.Actor, &action, &decision, &e.Subject, &findings, &e.RequestID, &extra); err != nil {
			return Event{}, err
		}
		e.Time, e.Action, e.Decision, e.Findings, e.Extra = e.Time.UTC(), Action(action), Decision(decision), pgDocFrom(findings), pgDocFrom(extra)
		return e, nil
	})
	if err != nil {
		return AuditPage{}, err
	}
	return page(evs, q), nil
}

// Reviews and exceptions.

const pgReviewColumns = `id, subject, findings, requester, created, event_id, state, decided, decided_by, note`

func scanPGReview(row pgx.Row) (Review, error) {
	var r Review
	var findings *string
	var eventID *int64
	var decided *time.Time
	var state string
	if err := row.Scan(&r.ID, &r.Subject, &findings, &r.Requester, &r.Created, &eventID, &state, &decided, &r.DecidedBy, &r.Note); err != nil {
		return Review{}, err
	}
	r.Findings, r.Created, r.State, r.Decided = pgDocFrom(findings), r.Created.UTC(), ReviewState(state), fromPG(decided)
	if eventID != nil {
		r.EventID = *eventID
	}
	return r, nil
}

// CreateReview implements [ReviewStore].
func (s *Postgres) CreateReview(ctx context.Context, r Review) (Review, error) {
	r, err := r.checkNew()
	if err != nil {
		return Review{}, err
	}
	var eventID any
	if r.EventID != 0 {
		eventID = r.EventID
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO reviews (subject, findings, requester, created, event_id, state)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.Subject, pgDoc(r.Findings), r.Requester, r.Created, eventID, string(r.State)).Scan(&r.ID)
	if err != nil {
		return Review{}, s.wrap(err)
	}
	return r, nil
}

// Review implements [ReviewStore].
func (s *Postgres) Review(ctx context.Context, id int64) (Review, error) {
	r, err := scanPGReview(s.pool.QueryRow(ctx, `SELECT `+pgReviewColumns+` FROM reviews WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Review{}, fmt.Errorf("review %d: %w", id, ErrNotFound)
	}
	return r, s.wrap(err)
}

// Reviews implements [ReviewStore].
func (s *Postgres) Reviews(ctx context.Context, state ReviewState) ([]Review, error) {
	query, args := `SELECT `+pgReviewColumns+` FROM reviews ORDER BY id`, []any(nil)
	if state != "" {
		if _, err := ParseReviewState(string(state)); err != nil {
			return nil, err
		}
		query, args = `SELECT `+pgReviewColumns+` FROM reviews WHERE state = $1 ORDER BY id`, []any{string(state)}
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Review, error) { return scanPGReview(row) })
}

// pgDecideReview moves a pending review to state inside tx, or explains why
// it cannot.
func pgDecideReview(ctx context.Context, tx pgx.Tx, id int64, state ReviewState, by, note string, at time.Time) (Review, error) {
	r, err := scanPGReview(tx.QueryRow(ctx, `UPDATE reviews SET state = $1, decided = $2, decided_by = $3, note = $4
		WHERE id = $5 AND state = 'pending' RETURNING `+pgReviewColumns, string(state), at, by, note, id))
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Review{}, err
	}
	cur, err := scanPGReview(tx.QueryRow(ctx, `SELECT `+pgReviewColumns+` FROM reviews WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Review{}, fmt.Errorf("review %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Review{}, err
	}
	return Review{}, fmt.Errorf("review %d: already %s: %w", id, cur.State, ErrConflict)
}

// ApproveReview implements [ReviewStore].
func (s *Postgres) ApproveReview(ctx context.Context, id int64, x Exception) (Exception, error) {
	x, err := x.checkNew()
	if err != nil {
		return Exception{}, err
	}
	x.ReviewID = id
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := pgDecideReview(ctx, tx, id, ReviewApproved, x.ApprovedBy, x.Reason, x.Created); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO exceptions (project, specifier, rule, reason, expires, approved_by, created, review_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, x.Project, x.Specifier, x.Rule, x.Reason, x.Expires,
			x.ApprovedBy, x.Created, x.ReviewID).Scan(&x.ID)
	})
	if err != nil {
		return Exception{}, s.wrap(err)
	}
	return x, nil
}

// RejectReview implements [ReviewStore].
func (s *Postgres) RejectReview(ctx context.Context, id int64, by, note string, at time.Time) (Review, error) {
	if err := checkName("rejecter", by); err != nil {
		return Review{}, err
	}
	if err := checkText("note", note); err != nil {
		return Review{}, err
	}
	var r Review
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		r, err = pgDecideReview(ctx, tx, id, ReviewRejected, by, note, nowOr(at))
		return err
	})
	return r, s.wrap(err)
}

// Exceptions implements [ReviewStore].
func (s *Postgres) Exceptions(ctx context.Context) ([]Exception, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, project, specifier, rule, reason, expires, approved_by, created, review_id
		FROM exceptions ORDER BY id`)
	if err != nil {
		return nil, s.wrap(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Exception, error) {
		var x Exception
		var reviewID *int64
		if err := row.Scan(&x.ID, &x.Project, &x.Specifier, &x.Rule, &x.Reason, &x.Expires, &x.ApprovedBy, &x.Created, &reviewID); err != nil {
			return Exception{}, err
		}
		x.Expires, x.Created = x.Expires.UTC(), x.Created.UTC()
		if reviewID != nil {
			x.ReviewID = *reviewID
		}
		return x, nil
	})
}

// DeleteException implements [ReviewStore].
func (s *Postgres) DeleteException(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM exceptions WHERE id = $1`, id)
	if err != nil {
		return s.wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("exception %d: %w", id, ErrNotFound)
	}
	return nil
}
