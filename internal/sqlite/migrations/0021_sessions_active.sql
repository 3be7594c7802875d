-- 0021_sessions_active: the active sessions of a charger, for the smart
-- charging balancer (issue 15), which lists a site's active sessions at
-- every look: without it, each look read the whole history of the site's
-- chargers. ListSessions writes a single status as status = 'active', the
-- term this partial index repeats; the order columns give its ORDER BY.
CREATE INDEX sessions_active ON sessions (charger_id, created_at DESC, id DESC)
	WHERE status = 'active';
