-- 0002_command_log: every command Joule sends to a charger, with its answer.

CREATE TABLE commands (
	id           TEXT    PRIMARY KEY,
	charger_id   TEXT    NOT NULL,
	action       TEXT    NOT NULL,
	request      TEXT    NOT NULL DEFAULT '{}', -- JSON
	status       TEXT    NOT NULL,
	response     TEXT    NOT NULL DEFAULT '',   -- JSON, '' before the answer
	error        TEXT    NOT NULL DEFAULT '',
	requested_by TEXT    NOT NULL DEFAULT '',
	requested_at INTEGER NOT NULL,
	answered_at  INTEGER,
	duration_ms  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX commands_charger ON commands (charger_id, requested_at DESC, id DESC);
