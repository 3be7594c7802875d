-- 0004_people: security events, and the people who sign in (the
-- operator's staff and drivers) with their sign-in tokens, API keys for
-- the operator's backends and the audit log of state-changing calls.
--
-- Charger credentials (password hashes) live on chargers (0001_core), as
-- do the security profile and admission; id tag and session owners live
-- on id_tags and sessions (0001_core). This migration references no other
-- table.
--
-- Identifiers, hashes and emails are COLLATE "C": they compare and sort
-- byte by byte (as the SQLite store does), and lower() under "C" folds
-- ASCII letters only, which is SQLite's NOCASE for emails and app id tags.

-- One security-relevant event: one a charger reported, or one of Joule's
-- own. charger_id is '' when the connection named no valid charger; the
-- events of a deleted charger stay (no reference to chargers).
CREATE TABLE security_events (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	charger_id  text        COLLATE "C" NOT NULL DEFAULT '',
	source      text        NOT NULL,
	type        text        COLLATE "C" NOT NULL CHECK (type <> ''),
	occurred_at timestamptz NOT NULL,
	tech_info   text        NOT NULL DEFAULT '',
	remote      text        NOT NULL DEFAULT '',
	count       integer     NOT NULL DEFAULT 1 CHECK (count >= 1),
	received_at timestamptz NOT NULL
);

-- ListSecurityEvents: newest (occurred_at, then id) first, by charger, by
-- type across chargers, or all of them.
CREATE INDEX security_events_charger ON security_events (charger_id, occurred_at DESC, id DESC);
CREATE INDEX security_events_type ON security_events (type, occurred_at DESC, id DESC);
CREATE INDEX security_events_time ON security_events (occurred_at DESC, id DESC);

-- Emails are unique case-insensitively (the service stores them
-- lower-case; the index keeps a mixed-case one from slipping past).
-- password_hash is an argon2id PHC string, '' when no password is set.
-- subject is "<issuer> <sub>" for single sign-on, '' for none, matched
-- exactly. app_id_tag is a driver's generated id tag, unique
-- case-insensitively as id tags are.
CREATE TABLE users (
	id            text        COLLATE "C" PRIMARY KEY,
	email         text        COLLATE "C" NOT NULL CHECK (email <> ''),
	name          text        NOT NULL DEFAULT '',
	role          text        NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'driver')),
	disabled      boolean     NOT NULL DEFAULT false,
	password_hash text        NOT NULL DEFAULT '',
	subject       text        COLLATE "C" NOT NULL DEFAULT '',
	app_id_tag    text        COLLATE "C" NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	last_login_at timestamptz
);

-- GetUserByEmail and ListUsers (ordered by lower(email), byte-wise).
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE UNIQUE INDEX users_subject ON users (subject) WHERE subject <> '';
CREATE UNIQUE INDEX users_app_id_tag ON users (lower(app_id_tag)) WHERE app_id_tag <> '';
CREATE INDEX users_role ON users (role, lower(email));

-- Only the hex SHA-256 of a token is stored, matched exactly. A user's
-- tokens go with the user.
CREATE TABLE auth_tokens (
	hash       text        COLLATE "C" PRIMARY KEY,
	user_id    text        COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE INDEX auth_tokens_user ON auth_tokens (user_id);
CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at);

-- Only the SHA-256 of a key is stored, matched exactly.
CREATE TABLE api_keys (
	id           text        COLLATE "C" PRIMARY KEY,
	name         text        NOT NULL,
	role         text        NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'driver')),
	hash         text        COLLATE "C" NOT NULL CONSTRAINT api_keys_hash UNIQUE,
	prefix       text        NOT NULL DEFAULT '',
	created_by   text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz,
	last_used_at timestamptz
);

-- ListAPIKeys: newest first.
CREATE INDEX api_keys_created ON api_keys (created_at DESC, id DESC);

-- One row per state-changing call, in the order they were recorded: the
-- id is the order (ListAudit pages by it, newest first).
CREATE TABLE audit_log (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at          timestamptz NOT NULL,
	actor_kind  text        NOT NULL,
	actor_id    text        COLLATE "C" NOT NULL DEFAULT '',
	actor_name  text        NOT NULL DEFAULT '',
	role        text        NOT NULL DEFAULT '',
	action      text        COLLATE "C" NOT NULL CHECK (action <> ''),
	target      text        COLLATE "C" NOT NULL DEFAULT '',
	remote_addr text        NOT NULL DEFAULT '',
	status      integer     NOT NULL DEFAULT 0,
	outcome     text        NOT NULL CHECK (outcome IN ('success', 'denied', 'rejected', 'error')),
	detail      text        NOT NULL DEFAULT ''
);

-- Newest first is the primary key read backwards; the time bounds (Since,
-- Until) and the filters by actor or target have their own indexes.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id DESC) WHERE actor_id <> '';
CREATE INDEX audit_log_target ON audit_log (target, id DESC) WHERE target <> '';
