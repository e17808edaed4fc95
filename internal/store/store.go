// Package store keeps airlock's durable state: API tokens, environments, the
// audit log, pending reviews and the policy exceptions that approved reviews
// become. [Store] is the interface; [OpenSQLite] (the default, one file in the
// data directory) and [OpenPostgres] (for several replicas) implement it, and
// [Open] picks one from a path or URL.
//
// # Concurrency and durability
//
// Every method is safe for concurrent use by many goroutines, and several
// processes may use the same database at once: the server and `airlock token`
// commands share one SQLite file (WAL mode, a busy timeout, one writer at a
// time) or one Postgres database. Nothing is cached: a read sees every write
// committed before it started, by this process or another, so a token revoked
// by the CLI is refused by the server's next lookup.
//
// A write has been committed when its method returns nil. For [AuditLog.Append]
// that is the durability promise the server relies on: an answered request is
// in the log even if the process is killed right after. SQLite runs with
// synchronous=FULL, so commits also survive power loss; concurrent appends are
// batched into one transaction (group commit) so that the cost of a sync is
// shared by everyone waiting on it.
//
// # Secrets
//
// Token secrets never reach the database: [NewSecret] makes one, the store
// keeps its SHA-256 ([Secret.Hash]), and [Authenticate] finds a token by that
// hash. Secrets start with [SecretPrefix] so that leaked ones are easy to find.
//
// # Values
//
// Times are stored with microsecond precision and returned in UTC. JSON
// documents (findings, extra data, environment locks) are opaque to the store:
// it checks that they are valid JSON no larger than [MaxDocumentSize] and
// returns them byte for byte.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Store is everything airlock keeps. Callers that need only part of it
// should accept the smaller interface ([TokenStore], [EnvironmentStore],
// [AuditLog], [ReviewStore]). See the package documentation for the
// concurrency and durability contract every implementation keeps.
type Store interface {
	TokenStore
	EnvironmentStore
	AuditLog
	ReviewStore
	// Ping reports whether the database answers (for a readiness check).
	Ping(ctx context.Context) error
	// Close waits for pending appends to commit and releases the database.
	// Methods called after Close return [ErrClosed].
	Close() error
}

// TokenStore holds API tokens. Tokens are never deleted, only revoked, so a
// name is never reused and the audit log's actors stay unambiguous. Methods
// that look a token up by name treat a name that could not have been stored
// as not found.
type TokenStore interface {
	// CreateToken stores t, whose Name, Scopes and Hash must be set; a zero
	// Created means now. It returns an error matching [ErrExists] when the
	// name (or hash) is taken.
	CreateToken(ctx context.Context, t Token) error
	// CreateFirstToken stores t only if the store holds no token at all,
	// and reports whether it did. Concurrent callers, in any process, create
	// at most one token between them. [EnsureAdminToken] uses it.
	CreateFirstToken(ctx context.Context, t Token) (bool, error)
	// TokenByHash returns the token whose secret hashes to h, revoked and
	// expired ones included, or an error matching [ErrNotFound]. It is on
	// every request's path: it is one indexed read. Use [Authenticate]
	// rather than calling it directly.
	TokenByHash(ctx context.Context, h TokenHash) (Token, error)
	// Tokens returns every token, revoked ones included, sorted by name.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks the named token revoked at at (zero means now), or
	// returns an error matching [ErrNotFound]. Revoking a revoked token
	// keeps the first revocation time and returns nil.
	RevokeToken(ctx context.Context, name string, at time.Time) error
	// TouchToken records that the named token was used at at. To keep
	// lookups free of writes, it writes only when the stored time is older
	// than at by [LastUsedResolution], and it remembers what it wrote, so
	// calling it on every request costs a map lookup most of the time. An
	// unknown name is not an error.
	TouchToken(ctx context.Context, name string, at time.Time) error
}

// EnvironmentStore holds the records of isolated environments. The lock is
// the env package's business; the store only versions it. Environment and
// DeleteEnvironment treat a name that could not have been stored as not
// found.
type EnvironmentStore interface {
	// CreateEnvironment stores e with version 1 and returns the stored
	// record. A zero Created means now; Updated is set to Created. It
	// returns an error matching [ErrExists] when the name is taken.
	CreateEnvironment(ctx context.Context, e Environment) (Environment, error)
	// Environment returns the named environment or an error matching
	// [ErrNotFound].
	Environment(ctx context.Context, name string) (Environment, error)
	// Environments returns every environment sorted by name.
	Environments(ctx context.Context) ([]Environment, error)
	// UpdateEnvironment replaces the Python path and lock of the environment
	// named e.Name, provided its stored version is still e.Version (the one
	// the caller read), and returns the stored record with the next version
	// and Updated set to e.Updated (zero means now). It returns an error
	// matching [ErrConflict] when someone else updated it first, and
	// [ErrNotFound] when it does not exist.
	UpdateEnvironment(ctx context.Context, e Environment) (Environment, error)
	// DeleteEnvironment removes the named environment or returns an error
	// matching [ErrNotFound].
	DeleteEnvironment(ctx context.Context, name string) error
}

// AuditLog is the append-only record of every decision. Events are never
// changed or removed (the schema refuses it).
type AuditLog interface {
	// Append commits e and returns it with its ID (and Time, when e.Time
	// was zero). It returns only after the commit, so once it returns nil
	// the event survives a crash of the process. Concurrent appends share
	// one transaction. If ctx ends first, Append returns ctx.Err() and the
	// event may or may not be recorded.
	Append(ctx context.Context, e Event) (Event, error)
	// Events returns the events matching q, newest first, and a cursor for
	// the next (older) page, zero on the last page. Pages are stable under
	// concurrent appends: following the cursors visits every event that
	// existed when the first page was read exactly once.
	Events(ctx context.Context, q AuditQuery) (AuditPage, error)
}

// ReviewStore holds decisions waiting for a person, and the exceptions that
// approving them creates.
type ReviewStore interface {
	// CreateReview stores a pending review and returns it with its ID. A
	// zero Created means now; State, Decided, DecidedBy and Note are
	// ignored.
	CreateReview(ctx context.Context, r Review) (Review, error)
	// Review returns the review with the given ID or an error matching
	// [ErrNotFound].
	Review(ctx context.Context, id int64) (Review, error)
	// Reviews returns the reviews in the given state (every review when
	// state is zero), oldest first.
	Reviews(ctx context.Context, state ReviewState) ([]Review, error)
	// ApproveReview marks the pending review approved by x.ApprovedBy and,
	// in the same transaction, stores x as an exception with ReviewID set
	// to id. It returns the stored exception, an error matching
	// [ErrNotFound] when there is no such review, or one matching
	// [ErrConflict] when it is no longer pending.
	ApproveReview(ctx context.Context, id int64, x Exception) (Exception, error)
	// RejectReview marks the pending review rejected by by at at (zero
	// means now) with a note, and returns it. Errors are as for
	// ApproveReview.
	RejectReview(ctx context.Context, id int64, by, note string, at time.Time) (Review, error)
	// Exceptions returns every exception, expired ones included (the policy
	// layer reports those), oldest first.
	Exceptions(ctx context.Context) ([]Exception, error)
	// DeleteException removes an exception before it expires, or returns an
	// error matching [ErrNotFound].
	DeleteException(ctx context.Context, id int64) error
}

// Errors that callers branch on. Errors returned by the store wrap them with
// the subject ("token \"ci\": already exists").
var (
	// ErrNotFound: the named record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with that name already exists.
	ErrExists = errors.New("already exists")
	// ErrConflict: the record changed since the caller read it (an
	// environment's version moved on, or a review was already decided).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: a value was refused before it reached the database; the
	// error is an [*InvalidError].
	ErrInvalid = errors.New("invalid value")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// InvalidError reports a value the store refuses to keep.
type InvalidError struct {
	Field  string // what was being set: "token name", "scopes", "findings"
	Value  string // the offending value, possibly shortened
	Reason string // what is wrong with it
}

func (e *InvalidError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
}

// Is makes an InvalidError match [ErrInvalid].
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, value, reason string) error {
	if len(value) > 80 {
		value = value[:77] + "..."
	}
	return &InvalidError{Field: field, Value: value, Reason: reason}
}

// Limits on what the store accepts. Much of it comes from agents (requirement
// text, findings about it), so it is bounded before it reaches the database.
const (
	// MaxNameLength bounds token and environment names, actors and
	// request ids, in bytes.
	MaxNameLength = 128
	// MaxTextLength bounds free text such as an event's subject or a
	// review's note, in bytes. Callers shorten longer text themselves.
	MaxTextLength = 64 << 10
	// MaxDocumentSize bounds each JSON document (findings, extra, lock),
	// in bytes.
	MaxDocumentSize = 4 << 20
)

// Open opens the store that dsn names, creating or migrating its schema:
//
//   - postgres://… or postgresql://… : Postgres ([OpenPostgres]);
//   - sqlite:PATH, sqlite:///ABSOLUTE/PATH, or a plain file path: SQLite
//     ([OpenSQLite]). The path is taken literally, without URL escapes.
//
// It returns an error for any other URL scheme. Errors never repeat the URL,
// which may hold a password.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (Store, error) {
	kind, target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" {
		return OpenPostgres(ctx, target, logger)
	}
	return OpenSQLite(ctx, target, logger)
}

// parseDSN tells which implementation dsn is for and what to pass it.
func parseDSN(dsn string) (kind, target string, err error) {
	switch {
	case dsn == "":
		return "", "", invalid("database", "", "empty path or URL")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		// The rest is a file path, taken literally (no URL escapes):
		// sqlite:relative/path, sqlite:/abs/path or sqlite:///abs/path.
		p := strings.TrimPrefix(dsn, "sqlite:")
		if rest, ok := strings.CutPrefix(p, "//"); ok {
			if !strings.HasPrefix(rest, "/") {
				return "", "", invalid("database", dsn, "want sqlite:PATH or sqlite:///ABSOLUTE/PATH")
			}
			p = rest
		}
		if p == "" {
			return "", "", invalid("database", dsn, "want sqlite:PATH")
		}
		return "sqlite", p, nil
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && !strings.ContainsAny(scheme, `/\.`) {
		return "", "", invalid("database URL scheme", scheme, "want postgres://, postgresql://, sqlite: or a file path")
	}
	return "sqlite", dsn, nil
}

// micros truncates t to the stored precision, in UTC.
func micros(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// nowOr returns t in stored precision, or the current time when t is zero.
func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return micros(t)
}
