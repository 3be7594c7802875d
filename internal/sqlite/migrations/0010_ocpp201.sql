-- 0010_ocpp201: what OCPP 2.0.1 adds to the store: the remote start id on
-- sessions (and its sequence), the per-charger subprotocol override, the
-- device model (NotifyReport), the charger event log (security events,
-- NotifyEvent, charging limits, ...) and transaction events keyed by
-- (charger, transaction id, seqNo).

ALTER TABLE sessions ADD COLUMN remote_start_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_remote_start ON sessions (charger_id, remote_start_id) WHERE remote_start_id > 0;

ALTER TABLE chargers ADD COLUMN ocpp_version_override TEXT NOT NULL DEFAULT '';

INSERT INTO sequences (name, value) VALUES ('remote_start_id', 0);

CREATE TABLE device_variables (
	charger_id          TEXT    NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	component           TEXT    NOT NULL,
	component_instance  TEXT    NOT NULL DEFAULT '',
	evse_id             INTEGER NOT NULL DEFAULT 0,
	connector_id        INTEGER NOT NULL DEFAULT 0,
	variable            TEXT    NOT NULL,
	variable_instance   TEXT    NOT NULL DEFAULT '',
	attribute_type      TEXT    NOT NULL DEFAULT 'Actual',
	value               TEXT    NOT NULL DEFAULT '',
	mutability          TEXT    NOT NULL DEFAULT '',
	persistent          INTEGER NOT NULL DEFAULT 0,
	constant            INTEGER NOT NULL DEFAULT 0,
	data_type           TEXT    NOT NULL DEFAULT '',
	unit                TEXT    NOT NULL DEFAULT '',
	min_limit           REAL,
	max_limit           REAL,
	values_list         TEXT    NOT NULL DEFAULT '',
	supports_monitoring INTEGER NOT NULL DEFAULT 0,
	updated_at          INTEGER NOT NULL,
	PRIMARY KEY (charger_id, component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type)
) STRICT, WITHOUT ROWID;

CREATE TABLE charger_events (
	id          INTEGER PRIMARY KEY,
	charger_id  TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	kind        TEXT    NOT NULL DEFAULT '',
	timestamp   INTEGER NOT NULL,
	evse_id     INTEGER NOT NULL DEFAULT 0,
	summary     TEXT    NOT NULL DEFAULT '',
	payload     TEXT    NOT NULL DEFAULT '{}',
	received_at INTEGER NOT NULL
) STRICT;

CREATE INDEX charger_events_charger ON charger_events (charger_id, timestamp DESC, id DESC);

CREATE TABLE transaction_events (
	charger_id            TEXT    NOT NULL,
	transaction_id        TEXT    NOT NULL,
	seq_no                INTEGER NOT NULL,
	event_type            TEXT    NOT NULL,
	timestamp             INTEGER NOT NULL,
	trigger_reason        TEXT    NOT NULL DEFAULT '',
	offline               INTEGER NOT NULL DEFAULT 0,
	number_of_phases_used INTEGER NOT NULL DEFAULT 0,
	charging_state        TEXT    NOT NULL DEFAULT '',
	stopped_reason        TEXT    NOT NULL DEFAULT '',
	session_id            TEXT    NOT NULL DEFAULT '',
	received_at           INTEGER NOT NULL,
	PRIMARY KEY (charger_id, transaction_id, seq_no)
) STRICT, WITHOUT ROWID;
