-- 0011_sessions_active: the active sessions of a charger, for the smart
-- charging balancer (issue 15), which lists a site's active sessions at
-- every look (sqlite 0021).
CREATE INDEX sessions_active ON sessions (charger_id, created_at DESC, id DESC)
	WHERE status = 'active';
