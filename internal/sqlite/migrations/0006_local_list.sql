-- 0006_local_list: each charger's local authorization list version (the
-- last SendLocalList it accepted, and its last GetLocalListVersion answer),
-- and the sequence Joule allocates list versions from.

CREATE TABLE local_lists (
	charger_id       TEXT    PRIMARY KEY,
	version          INTEGER NOT NULL DEFAULT 0,
	updated_at       INTEGER,
	reported_version INTEGER,
	reported_at      INTEGER
) STRICT;

INSERT INTO sequences (name, value) VALUES ('local_list_version', 0);
