-- 0011_security: charger identity (security profile, an operator's
-- admission, password hashes), security events, what GetLog and signed
-- firmware updates add to the jobs, and chargers that can be deleted while
-- their history stays.

ALTER TABLE chargers ADD COLUMN security_profile INTEGER NOT NULL DEFAULT 0
	CHECK (security_profile BETWEEN 0 AND 3);
ALTER TABLE chargers ADD COLUMN min_security_profile INTEGER NOT NULL DEFAULT 0
	CHECK (min_security_profile BETWEEN 0 AND 3);
ALTER TABLE chargers ADD COLUMN admission TEXT NOT NULL DEFAULT 'Accepted'
	CHECK (admission IN ('Accepted', 'Pending', 'Rejected'));
-- Password hashes (charging.HashPassword), written only by SetCredentials:
-- SaveCharger never touches them. '' means none.
ALTER TABLE chargers ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE chargers ADD COLUMN next_password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE chargers ADD COLUMN password_set_at INTEGER;

-- The chargers waiting for an operator's approval (a few among thousands).
CREATE INDEX chargers_pending ON chargers (id) WHERE admission = 'Pending';

CREATE TABLE security_events (
	id          INTEGER PRIMARY KEY,
	charger_id  TEXT    NOT NULL DEFAULT '', -- '' when the connection named no valid id
	source      TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	timestamp   INTEGER NOT NULL,
	tech_info   TEXT    NOT NULL DEFAULT '',
	remote      TEXT    NOT NULL DEFAULT '',
	count       INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
	received_at INTEGER NOT NULL
) STRICT;

CREATE INDEX security_events_charger ON security_events (charger_id, timestamp DESC, id DESC);
CREATE INDEX security_events_time ON security_events (timestamp DESC, id DESC);

-- GetLog jobs are diagnostics jobs with a log type and the request id the
-- charger's LogStatusNotification names.
ALTER TABLE diagnostics_jobs ADD COLUMN log_type TEXT NOT NULL DEFAULT '';
ALTER TABLE diagnostics_jobs ADD COLUMN request_id INTEGER NOT NULL DEFAULT 0;

-- JSON of a signed update (request id, signing certificate, signature,
-- install date in unix µs); NULL for an unsigned one.
ALTER TABLE firmware_jobs ADD COLUMN signed TEXT;

-- Sessions and reservations are history: they outlive a deleted charger.
-- Their REFERENCES chargers (id), enforced (PRAGMA foreign_keys is on),
-- would forbid DeleteCharger, and SQLite cannot drop a constraint, so both
-- tables are rebuilt by the 12-step procedure of
-- https://www.sqlite.org/lang_altertable.html#otheralter: create the new
-- table, copy, drop the old one, rename, then recreate every index exactly
-- as 0001, 0003 and 0010 made them. Foreign keys cannot be switched off
-- inside the migration's transaction, and need not be: no table references
-- sessions or reservations, so dropping them breaks no constraint. Only
-- their own reference to chargers is gone; the triggers at the end keep
-- its insert-time check (a new session or reservation names an existing
-- charger) without tying old rows to the charger row.

CREATE TABLE sessions_new (
	id                TEXT    PRIMARY KEY,
	charger_id        TEXT    NOT NULL,
	connector_id      INTEGER NOT NULL CHECK (connector_id >= 0),
	id_tag            TEXT    NOT NULL DEFAULT '',
	transaction_id    TEXT    NOT NULL DEFAULT '',
	status            TEXT    NOT NULL,
	origin            TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	started_at        INTEGER,
	stopped_at        INTEGER,
	meter_start_wh    REAL,
	meter_stop_wh     REAL,
	energy_wh         REAL    NOT NULL DEFAULT 0,
	power_w           REAL    NOT NULL DEFAULT 0,
	current_a         REAL,
	voltage_v         REAL,
	soc_percent       REAL,
	stop_reason       TEXT    NOT NULL DEFAULT '',
	failure_reason    TEXT    NOT NULL DEFAULT '',
	stop_requested_at INTEGER,
	reservation_id    INTEGER NOT NULL DEFAULT 0,
	idempotency_key   TEXT    NOT NULL DEFAULT '',
	flags             TEXT, -- JSON array of strings; NULL when there are none
	remote_start_id   INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO sessions_new (id, charger_id, connector_id, id_tag, transaction_id, status, origin,
	created_at, updated_at, started_at, stopped_at, meter_start_wh, meter_stop_wh,
	energy_wh, power_w, current_a, voltage_v, soc_percent, stop_reason, failure_reason,
	stop_requested_at, reservation_id, idempotency_key, flags, remote_start_id)
SELECT id, charger_id, connector_id, id_tag, transaction_id, status, origin,
	created_at, updated_at, started_at, stopped_at, meter_start_wh, meter_stop_wh,
	energy_wh, power_w, current_a, voltage_v, soc_percent, stop_reason, failure_reason,
	stop_requested_at, reservation_id, idempotency_key, flags, remote_start_id
FROM sessions;

DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;

-- As in 0001 (conflict() in session.go relies on the column names of
-- sessions_open_connector in its violation message) and 0010.
CREATE UNIQUE INDEX sessions_open_connector ON sessions (charger_id, connector_id)
	WHERE status IN ('pending', 'active') AND connector_id > 0;
CREATE UNIQUE INDEX sessions_idempotency_key ON sessions (idempotency_key)
	WHERE idempotency_key <> '';
CREATE INDEX sessions_transaction ON sessions (charger_id, transaction_id);
CREATE INDEX sessions_created ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_charger_created ON sessions (charger_id, created_at DESC, id DESC);
CREATE INDEX sessions_remote_start ON sessions (charger_id, remote_start_id) WHERE remote_start_id > 0;

CREATE TABLE reservations_new (
	id             INTEGER PRIMARY KEY,
	charger_id     TEXT    NOT NULL,
	connector_id   INTEGER NOT NULL CHECK (connector_id >= 0),
	id_tag         TEXT    NOT NULL,
	parent_id_tag  TEXT    NOT NULL DEFAULT '',
	expires_at     INTEGER NOT NULL,
	status         TEXT    NOT NULL,
	charger_answer TEXT    NOT NULL DEFAULT '',
	session_id     TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
) STRICT;

INSERT INTO reservations_new (id, charger_id, connector_id, id_tag, parent_id_tag, expires_at, status,
	charger_answer, session_id, created_at, updated_at)
SELECT id, charger_id, connector_id, id_tag, parent_id_tag, expires_at, status,
	charger_answer, session_id, created_at, updated_at
FROM reservations;

DROP TABLE reservations;
ALTER TABLE reservations_new RENAME TO reservations;

-- As in 0003.
CREATE UNIQUE INDEX reservations_open_connector ON reservations (charger_id, connector_id)
	WHERE status IN ('pending', 'active') AND connector_id > 0;
CREATE INDEX reservations_charger ON reservations (charger_id, id DESC);
CREATE INDEX reservations_open_expiry ON reservations (expires_at) WHERE status IN ('pending', 'active');

-- A new session or reservation (or one moved to another charger) must name
-- an existing charger: the check the foreign key made on insert, raised
-- with the message isMissingCharger (sqlite.go) recognises. Rows whose
-- charger was deleted later stay valid and can still be updated.
CREATE TRIGGER sessions_charger_insert BEFORE INSERT ON sessions
	WHEN NOT EXISTS (SELECT 1 FROM chargers WHERE id = NEW.charger_id)
	BEGIN SELECT RAISE(ABORT, 'charger not found'); END;
CREATE TRIGGER sessions_charger_update BEFORE UPDATE OF charger_id ON sessions
	WHEN NEW.charger_id IS NOT OLD.charger_id AND NOT EXISTS (SELECT 1 FROM chargers WHERE id = NEW.charger_id)
	BEGIN SELECT RAISE(ABORT, 'charger not found'); END;
CREATE TRIGGER reservations_charger_insert BEFORE INSERT ON reservations
	WHEN NOT EXISTS (SELECT 1 FROM chargers WHERE id = NEW.charger_id)
	BEGIN SELECT RAISE(ABORT, 'charger not found'); END;
CREATE TRIGGER reservations_charger_update BEFORE UPDATE OF charger_id ON reservations
	WHEN NEW.charger_id IS NOT OLD.charger_id AND NOT EXISTS (SELECT 1 FROM chargers WHERE id = NEW.charger_id)
	BEGIN SELECT RAISE(ABORT, 'charger not found'); END;
