-- airlock store, Postgres: tokens, environments, audit log, reviews, exceptions.
-- JSON columns are json, not jsonb, so documents come back byte for byte.

CREATE TABLE tokens (
	name      text PRIMARY KEY,
	hash      bytea NOT NULL UNIQUE, -- SHA-256 of the secret; the secret is never stored
	scopes    text NOT NULL,         -- "check,install,..." in canonical order
	created   timestamptz NOT NULL,
	expires   timestamptz,
	revoked   timestamptz,
	last_used timestamptz
);

CREATE TABLE environments (
	name    text PRIMARY KEY,
	python  text NOT NULL,
	created timestamptz NOT NULL,
	updated timestamptz NOT NULL,
	version bigint NOT NULL,
	lock    json
);

CREATE TABLE audit (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         timestamptz NOT NULL,
	actor      text NOT NULL,
	action     text NOT NULL,
	decision   text NOT NULL DEFAULT '',
	subject    text NOT NULL DEFAULT '',
	findings   json,
	request_id text NOT NULL DEFAULT '',
	extra      json
);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_at ON audit (at);

-- The audit log is append-only.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE TABLE reviews (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subject    text NOT NULL,
	findings   json,
	requester  text NOT NULL,
	created    timestamptz NOT NULL,
	event_id   bigint,
	state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
	decided    timestamptz,
	decided_by text NOT NULL DEFAULT '',
	note       text NOT NULL DEFAULT ''
);
CREATE INDEX reviews_state ON reviews (state, id);

CREATE TABLE exceptions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project     text NOT NULL,
	specifier   text NOT NULL DEFAULT '',
	rule        text NOT NULL,
	reason      text NOT NULL,
	expires     timestamptz NOT NULL,
	approved_by text NOT NULL,
	created     timestamptz NOT NULL,
	review_id   bigint REFERENCES reviews (id)
);
