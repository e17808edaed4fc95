-- airlock store, SQLite: tokens, environments, audit log, reviews, exceptions.
-- Times are INTEGER microseconds since the Unix epoch (UTC); JSON is TEXT.

CREATE TABLE tokens (
	name      TEXT PRIMARY KEY,
	hash      BLOB NOT NULL UNIQUE, -- SHA-256 of the secret; the secret is never stored
	scopes    TEXT NOT NULL,        -- "check,install,..." in canonical order
	created   INTEGER NOT NULL,
	expires   INTEGER,
	revoked   INTEGER,
	last_used INTEGER
) STRICT;

CREATE TABLE environments (
	name    TEXT PRIMARY KEY,
	python  TEXT NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	version INTEGER NOT NULL,
	lock    TEXT
) STRICT;

CREATE TABLE audit (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	at         INTEGER NOT NULL,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	decision   TEXT NOT NULL DEFAULT '',
	subject    TEXT NOT NULL DEFAULT '',
	findings   TEXT,
	request_id TEXT NOT NULL DEFAULT '',
	extra      TEXT
) STRICT;
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_at ON audit (at);

-- The audit log is append-only.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE reviews (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	subject    TEXT NOT NULL,
	findings   TEXT,
	requester  TEXT NOT NULL,
	created    INTEGER NOT NULL,
	event_id   INTEGER,
	state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
	decided    INTEGER,
	decided_by TEXT NOT NULL DEFAULT '',
	note       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX reviews_state ON reviews (state, id);

CREATE TABLE exceptions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	project     TEXT NOT NULL,
	specifier   TEXT NOT NULL DEFAULT '',
	rule        TEXT NOT NULL,
	reason      TEXT NOT NULL,
	expires     INTEGER NOT NULL,
	approved_by TEXT NOT NULL,
	created     INTEGER NOT NULL,
	review_id   INTEGER REFERENCES reviews (id)
) STRICT;
