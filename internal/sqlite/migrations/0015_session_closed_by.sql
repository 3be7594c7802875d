-- 0015_session_closed_by: who ended a session the charger never reported
-- stopped ('joule' for a lost session reconciled, 'operator' by hand); ''
-- when the charger reported its end.
ALTER TABLE sessions ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';

-- Active sessions, newest first: the lost-session sweep (csms/lost.go).
CREATE INDEX sessions_active_created ON sessions (created_at DESC, id DESC)
	WHERE status = 'active';
