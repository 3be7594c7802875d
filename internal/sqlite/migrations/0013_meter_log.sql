-- 0013_meter_log: samples move to the meter log, and partial indexes keep
-- timers and hot paths off growing scans.
--
-- Meter samples are no longer SQLite rows: the migration's Go step
-- (migrate_steps.go) moves the rows of meter_samples into the meter log
-- (one record per meterValue element, see meterlog.go) and drops the table.

-- Indexes that give hot queries their order. Without ANALYZE, SQLite
-- prefers an index that yields the ORDER BY over one that bounds the rows
-- and needs a sort, so each of these carries the order its query wants;
-- plan_test.go checks the plan of every hot query. A partial index serves
-- a query only when the query repeats its WHERE term for term, literals
-- included: status = 'pending', or status IN ('pending', 'active') in this
-- order (not IN (?, ?)).

-- Open sessions of a charger, newest first: on every StartTransaction and
-- MeterValues without a transaction id.
CREATE INDEX sessions_open_created ON sessions (charger_id, created_at DESC, id DESC)
	WHERE status IN ('pending', 'active');

-- Pending starts, newest first: the expiry timer.
CREATE INDEX sessions_pending_created ON sessions (created_at DESC, id DESC)
	WHERE status = 'pending';

-- A charger's sessions of a transaction id, newest first:
-- GetSessionByTransaction, on every message of a transaction. It replaces
-- sessions_transaction, of which it is an extension.
CREATE INDEX sessions_transaction_created ON sessions (charger_id, transaction_id, created_at DESC, id DESC);
DROP INDEX sessions_transaction;

-- Open reservations, newest first: the expiry timer reads only those.
CREATE INDEX reservations_open ON reservations (id DESC)
	WHERE status IN ('pending', 'active');

-- Ended sessions whose samples meter retention has not deleted yet, by
-- last write: a retention run reads only those, however long the history.
ALTER TABLE sessions ADD COLUMN samples_purged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_ended ON sessions (updated_at)
	WHERE status IN ('finished', 'failed') AND samples_purged = 0;
