-- 0003_ops: station management. The command log, reservations, charging
-- profiles (stored and installed), chargers' configuration (last known and
-- desired), local authorization list versions, uploaded firmware and the
-- firmware and diagnostics jobs.
--
-- Two kinds of tables are keyed by a charger id. What is only a charger's
-- own (installed profiles, configuration, desired settings, its local list
-- version) references chargers with ON DELETE CASCADE: it goes with the
-- charger, and a write for a charger that does not exist fails. History
-- (commands, reservations, firmware and diagnostics jobs) has no
-- reference: it outlives a deleted charger. Reservations keep the
-- insert-time check of the reference in a trigger (as sessions do).
--
-- Identifiers are COLLATE "C": they compare and sort byte by byte, as the
-- SQLite store's do, and keyset cursors compare as the lists sort.

-- Every command Joule sent to a charger, with its answer. request and
-- response are json, not jsonb: the log keeps the payloads byte for byte
-- (key order and spacing included), and nothing queries inside them.
CREATE TABLE commands (
	id           text        COLLATE "C" PRIMARY KEY,
	charger_id   text        COLLATE "C" NOT NULL,
	action       text        COLLATE "C" NOT NULL,
	request      json        NOT NULL DEFAULT '{}',
	status       text        NOT NULL,
	response     json,                        -- NULL before the answer
	error        text        NOT NULL DEFAULT '',
	requested_by text        NOT NULL DEFAULT '',
	requested_at timestamptz NOT NULL,
	answered_at  timestamptz,
	duration_ms  bigint      NOT NULL DEFAULT 0
);

-- ListCommands: a charger's commands newest first, all or of one action.
-- Neither index holds a column the answer changes, so saving the answer is
-- a HOT update.
CREATE INDEX commands_charger ON commands (charger_id, requested_at DESC, id DESC);
CREATE INDEX commands_charger_action ON commands (charger_id, action, requested_at DESC, id DESC);

-- Connector reservations (OCPP 1.6 ReserveNow). id is the OCPP
-- reservationId (an integer), handed out by reservation_id_seq.
CREATE SEQUENCE reservation_id_seq AS integer;

CREATE TABLE reservations (
	id             integer     PRIMARY KEY,
	charger_id     text        COLLATE "C" NOT NULL,
	connector_id   integer     NOT NULL CHECK (connector_id >= 0),
	id_tag         text        NOT NULL,
	parent_id_tag  text        NOT NULL DEFAULT '',
	expires_at     timestamptz NOT NULL,
	status         text        NOT NULL CONSTRAINT reservations_status
		CHECK (status IN ('pending', 'active', 'rejected', 'failed', 'cancelled', 'expired', 'used')),
	charger_answer text        NOT NULL DEFAULT '',
	session_id     text        COLLATE "C" NOT NULL DEFAULT '',
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL
);

-- At most one open (pending or active) reservation per real connector: of
-- two drivers reserving at once, one gets a conflict.
CREATE UNIQUE INDEX reservations_open_connector ON reservations (charger_id, connector_id)
	WHERE status IN ('pending', 'active') AND connector_id > 0;
CREATE INDEX reservations_charger ON reservations (charger_id, id DESC);
-- Open reservations, newest first: the expiry timer reads only those.
CREATE INDEX reservations_open ON reservations (id DESC) WHERE status IN ('pending', 'active');

-- A new reservation (or one moved to another charger) must name an
-- existing charger: 0001's check_charger_exists (foreign_key_violation,
-- "charger X not found", the charger row locked FOR KEY SHARE as a foreign
-- key's check would), without tying the row to the charger's.
CREATE TRIGGER reservations_charger_insert BEFORE INSERT ON reservations
	FOR EACH ROW EXECUTE FUNCTION check_charger_exists();
CREATE TRIGGER reservations_charger_update BEFORE UPDATE OF charger_id ON reservations
	FOR EACH ROW WHEN (NEW.charger_id IS DISTINCT FROM OLD.charger_id)
	EXECUTE FUNCTION check_charger_exists();

-- Stored smart-charging profiles; id is the OCPP chargingProfileId. The
-- schedule is read whole: jsonb of charging.ChargingSchedule (times in UTC).
CREATE TABLE charging_profiles (
	id              integer     PRIMARY KEY CHECK (id > 0),
	stack_level     integer     NOT NULL,
	purpose         text        NOT NULL,
	kind            text        NOT NULL,
	recurrency_kind text        NOT NULL DEFAULT '',
	valid_from      timestamptz,
	valid_to        timestamptz,
	schedule        jsonb       NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);

-- The profiles each charger accepted. A charger holds one profile per id
-- and one per connector, purpose and stack level (OCPP 1.6 §5.16.1: a new
-- one replaces the old); the second key also gives ListInstalledProfiles
-- its order.
CREATE TABLE installed_profiles (
	charger_id     text        COLLATE "C" NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	connector_id   integer     NOT NULL,
	profile_id     integer     NOT NULL,
	purpose        text        COLLATE "C" NOT NULL,
	stack_level    integer     NOT NULL,
	transaction_id text        NOT NULL DEFAULT '',
	installed_at   timestamptz NOT NULL,
	PRIMARY KEY (charger_id, profile_id),
	CONSTRAINT installed_profiles_slot UNIQUE (charger_id, connector_id, purpose, stack_level)
);

-- Each charger's last known configuration (GetConfiguration, then accepted
-- changes). 1.6 keys are CiString50: key_fold makes them match
-- case-insensitively (ASCII only, as SQLite's NOCASE), while key keeps the
-- spelling the charger first reported.
CREATE TABLE charger_configuration (
	charger_id text    COLLATE "C" NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	key        text    NOT NULL,
	key_fold   text    COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(key COLLATE "C")) STORED,
	value      text,   -- NULL: the charger gave none
	readonly   boolean NOT NULL DEFAULT false,
	PRIMARY KEY (charger_id, key_fold)
);

-- When the full configuration was last read, and the keys the charger did
-- not know.
CREATE TABLE charger_configuration_reads (
	charger_id   text        COLLATE "C" PRIMARY KEY REFERENCES chargers (id) ON DELETE CASCADE,
	unknown_keys text[]      NOT NULL DEFAULT '{}',
	read_at      timestamptz NOT NULL
);

-- Configuration values the operator wants chargers to have, with the
-- charger's last answer.
CREATE TABLE desired_settings (
	charger_id text        COLLATE "C" NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	key        text        NOT NULL,
	key_fold   text        COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(key COLLATE "C")) STORED,
	value      text        NOT NULL,
	status     text        NOT NULL DEFAULT '',
	applied_at timestamptz,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (charger_id, key_fold)
);

-- Each charger's local authorization list: the last version it accepted
-- (SendLocalList) and its last GetLocalListVersion answer.
CREATE TABLE local_lists (
	charger_id       text        COLLATE "C" PRIMARY KEY REFERENCES chargers (id) ON DELETE CASCADE,
	version          integer     NOT NULL DEFAULT 0,
	updated_at       timestamptz,
	reported_version integer,
	reported_at      timestamptz
);

-- The newest accepted version, read by NextLocalListVersion and
-- ListLocalListVersions.
CREATE INDEX local_lists_version ON local_lists (version);

-- The last list version handed out. A row, not a sequence: a version must
-- also be newer than any a charger accepted outside it, and the row's lock
-- makes "the larger of both, plus one" atomic.
CREATE TABLE local_list_version_issued (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	version integer NOT NULL
);
INSERT INTO local_list_version_issued (version) VALUES (0);

-- Firmware images uploaded to Joule.
CREATE TABLE firmware (
	id         text        COLLATE "C" PRIMARY KEY,
	name       text        NOT NULL,
	size_bytes bigint      NOT NULL,
	sha256     text        NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE INDEX firmware_created ON firmware (created_at DESC, id DESC);

-- Firmware updates sent to chargers, each with the statuses the charger
-- reported: history is a jsonb array of {"status", "at"} (at in RFC 3339,
-- UTC), signed the signed update's details (NULL for an unsigned one).
CREATE TABLE firmware_jobs (
	id             text        COLLATE "C" PRIMARY KEY,
	charger_id     text        COLLATE "C" NOT NULL,
	firmware_id    text        COLLATE "C" NOT NULL DEFAULT '',
	location       text        NOT NULL,
	retrieve_date  timestamptz NOT NULL,
	retries        integer,
	retry_interval integer,
	command_id     text        COLLATE "C" NOT NULL DEFAULT '',
	status         text        NOT NULL,
	error          text        NOT NULL DEFAULT '',
	history        jsonb       NOT NULL DEFAULT '[]',
	signed         jsonb,
	created_at     timestamptz NOT NULL
);

CREATE INDEX firmware_jobs_charger ON firmware_jobs (charger_id, created_at DESC, id DESC);

-- GetDiagnostics and GetLog requests, the statuses the charger reported
-- and the file it uploaded. token names the one-time upload URL.
CREATE TABLE diagnostics_jobs (
	id             text        COLLATE "C" PRIMARY KEY,
	charger_id     text        COLLATE "C" NOT NULL,
	token          text        COLLATE "C" NOT NULL CONSTRAINT diagnostics_jobs_token UNIQUE,
	location       text        NOT NULL,
	start_time     timestamptz,
	stop_time      timestamptz,
	retries        integer,
	retry_interval integer,
	log_type       text        NOT NULL DEFAULT '',
	request_id     integer     NOT NULL DEFAULT 0,
	command_id     text        COLLATE "C" NOT NULL DEFAULT '',
	status         text        NOT NULL,
	error          text        NOT NULL DEFAULT '',
	history        jsonb       NOT NULL DEFAULT '[]',
	file_name      text        NOT NULL DEFAULT '',
	size_bytes     bigint      NOT NULL DEFAULT 0,
	sha256         text        NOT NULL DEFAULT '',
	uploaded_at    timestamptz,
	created_at     timestamptz NOT NULL
);

CREATE INDEX diagnostics_jobs_charger ON diagnostics_jobs (charger_id, created_at DESC, id DESC);
