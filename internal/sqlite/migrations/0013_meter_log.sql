-- 0013_meter_log: samples as a log of meterValue elements, and the partial
-- indexes that keep timers and hot paths off growing scans.
--
-- One row per element (the samples a charger took at one timestamp, packed
-- into a BLOB, see meterpack.go), appended in seq order. The dedup key is
-- the element's identity (its digest covers the charger, connector,
-- transaction and every sample's value), so a retried message is skipped
-- and a new value at a repeated timestamp is kept. The rows of
-- meter_samples are moved here by the migration's Go step (migrate.go),
-- which then drops that table.

CREATE TABLE meter_log (
	seq            INTEGER PRIMARY KEY,
	session_id     TEXT    NOT NULL,  -- '' for samples of a transaction Joule does not know
	charger_id     TEXT    NOT NULL,
	connector_id   INTEGER NOT NULL,
	transaction_id TEXT    NOT NULL,
	timestamp      INTEGER NOT NULL,
	digest         INTEGER NOT NULL,
	samples        BLOB    NOT NULL
) STRICT;

CREATE UNIQUE INDEX meter_log_element ON meter_log (session_id, timestamp, digest);

-- Open sessions of a charger (every message of a transaction looks here).
CREATE INDEX sessions_open ON sessions (charger_id, connector_id)
	WHERE status IN ('pending', 'active');

-- Pending starts, oldest first (the expiry timer).
CREATE INDEX sessions_pending ON sessions (created_at)
	WHERE status = 'pending';

-- Ended sessions by last write (meter retention).
CREATE INDEX sessions_ended ON sessions (updated_at)
	WHERE status IN ('finished', 'failed');
