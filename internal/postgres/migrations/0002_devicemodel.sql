-- 0002_devicemodel: what OCPP 2.0.1 chargers report beyond sessions. The
-- device model (NotifyReport), the charger event log (security events,
-- NotifyEvent, charging limits, ...) and transaction events keyed by
-- (charger, transaction id, seqNo). The remoteStartId sequence and the
-- chargers' subprotocol override are in 0001.
--
-- The device model is only a charger's own: it references chargers ON
-- DELETE CASCADE, so it goes with the charger and a report for a charger
-- that does not exist fails. Charger events and transaction events are
-- history: no reference, they outlive a deleted charger (as the SQLite
-- store's do).
--
-- Keys that lists are ordered by are COLLATE "C" (byte order, as the SQLite
-- store orders them), so keyset cursors compare as the lists sort.

-- One attribute of one variable of one component, as last reported.
CREATE TABLE device_variables (
	charger_id          text    COLLATE "C" NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	component           text    COLLATE "C" NOT NULL,
	component_instance  text    COLLATE "C" NOT NULL DEFAULT '',
	evse_id             integer NOT NULL DEFAULT 0,
	connector_id        integer NOT NULL DEFAULT 0,
	variable            text    COLLATE "C" NOT NULL,
	variable_instance   text    COLLATE "C" NOT NULL DEFAULT '',
	attribute_type      text    COLLATE "C" NOT NULL DEFAULT 'Actual',
	value               text    NOT NULL DEFAULT '',
	mutability          text    NOT NULL DEFAULT '',
	persistent          boolean NOT NULL DEFAULT false,
	constant            boolean NOT NULL DEFAULT false,
	data_type           text    NOT NULL DEFAULT '',
	unit                text    NOT NULL DEFAULT '',
	min_limit           double precision,
	max_limit           double precision,
	values_list         text    NOT NULL DEFAULT '',
	supports_monitoring boolean NOT NULL DEFAULT false,
	updated_at          timestamptz NOT NULL,
	-- Also ListVariables' order (all of a charger's, or of one component)
	-- and its keyset cursor.
	PRIMARY KEY (charger_id, component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type)
);

-- What a charger notified that is not a transaction. payload is json, not
-- jsonb: the log keeps the message byte for byte, and nothing queries
-- inside it.
CREATE TABLE charger_events (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	charger_id  text        COLLATE "C" NOT NULL,
	action      text        COLLATE "C" NOT NULL,
	kind        text        NOT NULL DEFAULT '',
	occurred_at timestamptz NOT NULL, -- the charger's timestamp
	evse_id     integer     NOT NULL DEFAULT 0,
	summary     text        NOT NULL DEFAULT '',
	payload     json        NOT NULL DEFAULT '{}',
	received_at timestamptz NOT NULL
);

-- ListChargerEvents: a charger's events newest first, all or of one action.
CREATE INDEX charger_events_charger ON charger_events (charger_id, occurred_at DESC, id DESC);
CREATE INDEX charger_events_charger_action ON charger_events (charger_id, action, occurred_at DESC, id DESC);

-- 2.0.1 TransactionEvents; the key is the protocol's idempotency rule, so
-- a charger's retry of an event is a conflict.
CREATE TABLE transaction_events (
	charger_id            text        COLLATE "C" NOT NULL,
	transaction_id        text        COLLATE "C" NOT NULL,
	seq_no                integer     NOT NULL,
	event_type            text        NOT NULL,
	occurred_at           timestamptz NOT NULL, -- the charger's timestamp
	trigger_reason        text        NOT NULL DEFAULT '',
	offline               boolean     NOT NULL DEFAULT false,
	number_of_phases_used integer     NOT NULL DEFAULT 0,
	charging_state        text        NOT NULL DEFAULT '',
	stopped_reason        text        NOT NULL DEFAULT '',
	session_id            text        COLLATE "C" NOT NULL DEFAULT '',
	received_at           timestamptz NOT NULL,
	PRIMARY KEY (charger_id, transaction_id, seq_no)
);
