-- 0020_smart: smart charging (issue 15, docs/adr/0012-site-load-balancing.md).
-- A site's grid limit, the reserve kept for the building, the meter of the
-- whole site and a live grid signal are JSON (charging.GridLimit,
-- charging.SiteMeter, charging.GridSignal), NULL when unset: read and
-- written whole with the site, never queried. A session's smart-charging
-- state (the driver's departure wish, the operator's priority, Joule's
-- allocation) is JSON of charging.SessionSmart, NULL when none; the live
-- flush (commit.go) never writes it.
ALTER TABLE sites ADD COLUMN grid_limit TEXT;
ALTER TABLE sites ADD COLUMN reserve TEXT;
ALTER TABLE sites ADD COLUMN meter TEXT;
ALTER TABLE sites ADD COLUMN grid_signal TEXT;
ALTER TABLE sessions ADD COLUMN smart TEXT;

-- A site's load over time (charging.SiteLoadSample): one row per site and
-- time, currents in A per phase. The rows go with their site: a load log
-- is no reason to refuse deleting one.
CREATE TABLE site_load (
	site_id    TEXT    NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	at         INTEGER NOT NULL,
	current_l1 REAL    NOT NULL,
	current_l2 REAL    NOT NULL,
	current_l3 REAL    NOT NULL,
	limit_a    REAL    NOT NULL,
	alloc_l1   REAL    NOT NULL,
	alloc_l2   REAL    NOT NULL,
	alloc_l3   REAL    NOT NULL,
	sessions   INTEGER NOT NULL,
	waiting    INTEGER NOT NULL,
	signal_set INTEGER NOT NULL, -- 0 or 1
	PRIMARY KEY (site_id, at)
) STRICT, WITHOUT ROWID;
-- PurgeSiteLoad deletes by age across sites.
CREATE INDEX site_load_at ON site_load (at);
