-- 0003_reservations: connector reservations (OCPP 1.6 ReserveNow). id is the
-- OCPP reservationId, handed out by the reservation_id sequence.

CREATE TABLE reservations (
	id             INTEGER PRIMARY KEY,
	charger_id     TEXT    NOT NULL REFERENCES chargers (id),
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

-- At most one open (pending or active) reservation per real connector: of two
-- drivers reserving at once, one gets a conflict.
CREATE UNIQUE INDEX reservations_open_connector ON reservations (charger_id, connector_id)
	WHERE status IN ('pending', 'active') AND connector_id > 0;

CREATE INDEX reservations_charger ON reservations (charger_id, id DESC);
CREATE INDEX reservations_open_expiry ON reservations (expires_at) WHERE status IN ('pending', 'active');

INSERT INTO sequences (name, value) VALUES ('reservation_id', 0);
