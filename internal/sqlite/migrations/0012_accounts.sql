-- 0012_accounts: people who sign in (the operator's staff and drivers),
-- their sign-in tokens, API keys for the operator's backends, the audit log
-- of state-changing calls, and the ownership of id tags and sessions.

-- Emails compare case-insensitively (the service stores them lower-case;
-- NOCASE also keeps a mixed-case one from slipping past the UNIQUE).
-- password_hash is an argon2id PHC string, '' when no password is set.
-- subject is "<issuer> <sub>" for single sign-on, '' for none. app_id_tag
-- is a driver's generated id tag, compared as id tags are (NOCASE).
CREATE TABLE users (
	id            TEXT    PRIMARY KEY,
	email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	name          TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'driver')),
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	password_hash TEXT    NOT NULL DEFAULT '',
	subject       TEXT    NOT NULL DEFAULT '',
	app_id_tag    TEXT    NOT NULL DEFAULT '' COLLATE NOCASE,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	last_login_at INTEGER
) STRICT;

-- ListUsers pages by email; the UNIQUE above already indexes it.
CREATE UNIQUE INDEX users_subject ON users (subject) WHERE subject <> '';
CREATE UNIQUE INDEX users_app_id_tag ON users (app_id_tag) WHERE app_id_tag <> '';
CREATE INDEX users_role ON users (role, email);

-- Only the hex SHA-256 of a token is stored. A user's tokens go with the
-- user (DeleteUser also deletes them itself, in the same transaction).
CREATE TABLE auth_tokens (
	hash       TEXT    PRIMARY KEY,
	user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX auth_tokens_user ON auth_tokens (user_id);
CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at);

CREATE TABLE api_keys (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	role         TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'driver')),
	hash         TEXT    NOT NULL UNIQUE,
	prefix       TEXT    NOT NULL DEFAULT '',
	created_by   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER
) STRICT;

-- ListAPIKeys: newest first.
CREATE INDEX api_keys_created ON api_keys (created_at DESC, id DESC);

-- One row per state-changing call, in the order they were recorded: the
-- id is the order (ListAudit pages by it, newest first).
CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	actor_kind  TEXT    NOT NULL,
	actor_id    TEXT    NOT NULL DEFAULT '',
	actor_name  TEXT    NOT NULL DEFAULT '',
	role        TEXT    NOT NULL DEFAULT '',
	action      TEXT    NOT NULL,
	target      TEXT    NOT NULL DEFAULT '',
	remote_addr TEXT    NOT NULL DEFAULT '',
	status      INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT    NOT NULL CHECK (outcome IN ('success', 'denied', 'rejected', 'error')),
	detail      TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Newest first is the rowid read backwards; the time bounds (Since,
-- Until) and the filters by actor or target have their own indexes.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id DESC) WHERE actor_id <> '';
CREATE INDEX audit_log_target ON audit_log (target, id DESC) WHERE target <> '';

-- The user an id tag belongs to ('' for the operator's own cards), and
-- the user a session belongs to: the driver who started it, or the owner
-- of its id tag when it was created (CreateSession fills it). A session
-- keeps its owner's id when the user is deleted; the tag loses it.
ALTER TABLE id_tags ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';

-- A user's cards; a user's sessions, newest first (as ListSessions orders
-- them). Partial: most tags and sessions are the operator's, unowned, and
-- a partial index costs an unowned session's updates nothing. Queries by
-- owner repeat "owner_id <> ''" so that the planner may use them.
CREATE INDEX id_tags_owner ON id_tags (owner_id) WHERE owner_id <> '';
CREATE INDEX sessions_owner_created ON sessions (owner_id, created_at DESC, id DESC) WHERE owner_id <> '';
