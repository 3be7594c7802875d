-- 0001_init: chargers, connectors, sessions, meter samples, id tags and the
-- OCPP 1.6 transaction id sequence. Times are INTEGER unix microseconds (UTC).

CREATE TABLE chargers (
	id                  TEXT    PRIMARY KEY,
	vendor              TEXT    NOT NULL DEFAULT '',
	model               TEXT    NOT NULL DEFAULT '',
	serial_number       TEXT    NOT NULL DEFAULT '',
	firmware_version    TEXT    NOT NULL DEFAULT '',
	iccid               TEXT    NOT NULL DEFAULT '',
	imsi                TEXT    NOT NULL DEFAULT '',
	meter_type          TEXT    NOT NULL DEFAULT '',
	meter_serial_number TEXT    NOT NULL DEFAULT '',
	ocpp_version        TEXT    NOT NULL DEFAULT '',
	online              INTEGER NOT NULL DEFAULT 0,
	last_seen_at        INTEGER,
	last_boot_at        INTEGER,
	registration_status TEXT    NOT NULL DEFAULT '',
	firmware_status     TEXT    NOT NULL DEFAULT '',
	diagnostics_status  TEXT    NOT NULL DEFAULT '',
	created_at          INTEGER NOT NULL
) STRICT;

-- Charger.Status is not a column: it is connector 0's status, kept in
-- connectors like the others (csms moves it out of the list it presents).

CREATE TABLE connectors (
	charger_id        TEXT    NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	connector_id      INTEGER NOT NULL CHECK (connector_id >= 0), -- 0: the charger itself
	status            TEXT    NOT NULL DEFAULT '',
	error_code        TEXT    NOT NULL DEFAULT '',
	info              TEXT    NOT NULL DEFAULT '',
	vendor_error_code TEXT    NOT NULL DEFAULT '',
	type              TEXT    NOT NULL DEFAULT '',
	max_power_w       REAL    NOT NULL DEFAULT 0,
	updated_at        INTEGER NOT NULL,
	PRIMARY KEY (charger_id, connector_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
	id                TEXT    PRIMARY KEY,
	charger_id        TEXT    NOT NULL REFERENCES chargers (id),
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
	flags             TEXT -- JSON array of strings; NULL when there are none
) STRICT;

-- At most one open (pending or active) session per real connector. Connector
-- 0 ("the charger chooses") never conflicts. The error message of a
-- violation names these columns; conflict() in session.go relies on that.
CREATE UNIQUE INDEX sessions_open_connector ON sessions (charger_id, connector_id)
	WHERE status IN ('pending', 'active') AND connector_id > 0;

CREATE UNIQUE INDEX sessions_idempotency_key ON sessions (idempotency_key)
	WHERE idempotency_key <> '';

CREATE INDEX sessions_transaction ON sessions (charger_id, transaction_id);
CREATE INDEX sessions_created ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_charger_created ON sessions (charger_id, created_at DESC, id DESC);

CREATE TABLE meter_samples (
	id             INTEGER PRIMARY KEY,
	session_id     TEXT    NOT NULL DEFAULT '',
	charger_id     TEXT    NOT NULL,
	connector_id   INTEGER NOT NULL,
	transaction_id TEXT    NOT NULL DEFAULT '',
	timestamp      INTEGER NOT NULL,
	measurand      TEXT    NOT NULL DEFAULT '',
	phase          TEXT    NOT NULL DEFAULT '',
	location       TEXT    NOT NULL DEFAULT '',
	context        TEXT    NOT NULL DEFAULT '',
	format         TEXT    NOT NULL DEFAULT '',
	unit           TEXT    NOT NULL DEFAULT '',
	value          REAL    NOT NULL,
	raw            TEXT    NOT NULL DEFAULT ''
) STRICT;

-- A charger that retries a MeterValues message sends the same samples again;
-- this key makes the retry a no-op (ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX meter_samples_dedup ON meter_samples
	(charger_id, connector_id, transaction_id, timestamp, measurand, phase, location, context);

CREATE INDEX meter_samples_session ON meter_samples (session_id, timestamp, id);

CREATE TABLE id_tags (
	-- OCPP 1.6 IdToken is a CiString20Type: compared case-insensitively.
	id_tag        TEXT    PRIMARY KEY COLLATE NOCASE,
	status        TEXT    NOT NULL,
	expiry_date   INTEGER,
	parent_id_tag TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

-- Named counters. transaction_id hands out OCPP 1.6 transaction ids: one
-- UPDATE ... RETURNING per id, never reused, never rolled back once committed.
CREATE TABLE sequences (
	name  TEXT    PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT;

INSERT INTO sequences (name, value) VALUES ('transaction_id', 0);
