-- 0007_firmware: firmware images uploaded to Joule, firmware updates sent to
-- chargers and diagnostics requests, each with the statuses the charger
-- reported (history: a JSON array of {status, at}).

CREATE TABLE firmware (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	size_bytes INTEGER NOT NULL,
	sha256     TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE firmware_jobs (
	id             TEXT    PRIMARY KEY,
	charger_id     TEXT    NOT NULL,
	firmware_id    TEXT    NOT NULL DEFAULT '',
	location       TEXT    NOT NULL,
	retrieve_date  INTEGER NOT NULL,
	retries        INTEGER,
	retry_interval INTEGER,
	command_id     TEXT    NOT NULL DEFAULT '',
	status         TEXT    NOT NULL,
	error          TEXT    NOT NULL DEFAULT '',
	history        TEXT    NOT NULL DEFAULT '[]',
	created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX firmware_jobs_charger ON firmware_jobs (charger_id, created_at DESC, id DESC);

CREATE TABLE diagnostics_jobs (
	id             TEXT    PRIMARY KEY,
	charger_id     TEXT    NOT NULL,
	token          TEXT    NOT NULL UNIQUE,
	location       TEXT    NOT NULL,
	start_time     INTEGER,
	stop_time      INTEGER,
	retries        INTEGER,
	retry_interval INTEGER,
	command_id     TEXT    NOT NULL DEFAULT '',
	status         TEXT    NOT NULL,
	error          TEXT    NOT NULL DEFAULT '',
	history        TEXT    NOT NULL DEFAULT '[]',
	file_name      TEXT    NOT NULL DEFAULT '',
	size_bytes     INTEGER NOT NULL DEFAULT 0,
	sha256         TEXT    NOT NULL DEFAULT '',
	uploaded_at    INTEGER,
	created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX diagnostics_jobs_charger ON diagnostics_jobs (charger_id, created_at DESC, id DESC);
