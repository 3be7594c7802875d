-- 0004_charging_profiles: stored smart-charging profiles (id is the OCPP
-- chargingProfileId) and the profiles each charger accepted.

CREATE TABLE charging_profiles (
	id          INTEGER PRIMARY KEY CHECK (id > 0),
	stack_level INTEGER NOT NULL,
	purpose     TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	profile     TEXT    NOT NULL, -- JSON of charging.ChargingProfile
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE installed_profiles (
	charger_id     TEXT    NOT NULL,
	connector_id   INTEGER NOT NULL,
	profile_id     INTEGER NOT NULL,
	purpose        TEXT    NOT NULL,
	stack_level    INTEGER NOT NULL,
	transaction_id TEXT    NOT NULL DEFAULT '',
	installed_at   INTEGER NOT NULL,
	PRIMARY KEY (charger_id, profile_id)
) STRICT, WITHOUT ROWID;
