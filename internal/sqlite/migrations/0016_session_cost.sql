-- 0016_session_cost: what a session costs and how it is paid (issue 14).
-- tariff is the tariff as it was when the session started (JSON), cost the
-- running or final cost (JSON, charging.Cost), payment the payment
-- (JSON, charging.Payment). cost_currency and cost_total_minor are the
-- final cost's currency and total in minor units (0 until final), for
-- reports; payment_status is the payment's status, for the capture worker.
ALTER TABLE sessions ADD COLUMN tariff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN tariff TEXT;
ALTER TABLE sessions ADD COLUMN cost TEXT;
ALTER TABLE sessions ADD COLUMN payment TEXT;
ALTER TABLE sessions ADD COLUMN cost_currency TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN cost_total_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN payment_status TEXT NOT NULL DEFAULT '';

-- Sessions whose payment is still to be settled (held, or a capture that
-- failed and is retried): the payment worker's queue, small by nature.
CREATE INDEX sessions_payment_open ON sessions (payment_status)
	WHERE payment_status IN ('authorized', 'unpaid');
