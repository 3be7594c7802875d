-- 0005_configuration: each charger's last known configuration (from
-- GetConfiguration and accepted changes) and the operator's desired settings.

CREATE TABLE charger_configuration (
	charger_id TEXT    NOT NULL,
	key        TEXT    NOT NULL COLLATE NOCASE, -- 1.6 keys are CiString50
	value      TEXT,                            -- NULL: the charger gave none
	readonly   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (charger_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE charger_configuration_reads (
	charger_id   TEXT    PRIMARY KEY,
	unknown_keys TEXT    NOT NULL DEFAULT '[]', -- JSON array
	read_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE desired_settings (
	charger_id TEXT    NOT NULL,
	key        TEXT    NOT NULL COLLATE NOCASE,
	value      TEXT    NOT NULL,
	status     TEXT    NOT NULL DEFAULT '',
	applied_at INTEGER,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (charger_id, key)
) STRICT, WITHOUT ROWID;
