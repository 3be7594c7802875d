-- 0006_session_cost: what a session costs and how it is paid (issue 14),
-- as SQLite's 0016. tariff is the tariff as it was when the session
-- started, cost the running or final cost, payment the payment (jsonb).
-- cost_currency and cost_total_minor are the final cost's currency and
-- total in minor units (0 until final), for reports; payment_status is the
-- payment's status, for the payment worker.
ALTER TABLE sessions
	ADD COLUMN tariff_id        text NOT NULL DEFAULT '',
	ADD COLUMN tariff           jsonb,
	ADD COLUMN cost             jsonb,
	ADD COLUMN payment          jsonb,
	ADD COLUMN cost_currency    text NOT NULL DEFAULT '',
	ADD COLUMN cost_total_minor bigint NOT NULL DEFAULT 0,
	ADD COLUMN payment_status   text NOT NULL DEFAULT '';

-- Sessions whose payment is still to be settled: the payment worker's
-- queue. Only payment_status is indexed, so that a live-value update (which
-- writes updated_at and cost) stays a HOT update.
CREATE INDEX sessions_payment_open ON sessions (payment_status)
	WHERE payment_status IN ('authorized', 'unpaid');
