-- 0010_smart: smart charging (issue 15, docs/adr/0012-site-load-balancing.md),
-- as SQLite's 0020. A site's grid limit, the reserve kept for the
-- building, the meter of the whole site and a live grid signal are jsonb
-- (charging.GridLimit, charging.SiteMeter, charging.GridSignal), NULL when
-- unset: read and written whole with the site, never queried. A session's
-- smart-charging state (departure wish, priority, allocation) is jsonb of
-- charging.SessionSmart, NULL when none. It is not indexed, so that the
-- live-value update (which never writes it) stays a HOT update.
ALTER TABLE sites
	ADD COLUMN grid_limit  jsonb,
	ADD COLUMN reserve     jsonb,
	ADD COLUMN meter       jsonb,
	ADD COLUMN grid_signal jsonb;
ALTER TABLE sessions ADD COLUMN smart jsonb;

-- A site's load over time (charging.SiteLoadSample): one row per site and
-- time, currents in A per phase. The rows go with their site: a load log
-- is no reason to refuse deleting one.
CREATE TABLE site_load (
	site_id    text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	at         timestamptz      NOT NULL,
	current_l1 double precision NOT NULL,
	current_l2 double precision NOT NULL,
	current_l3 double precision NOT NULL,
	limit_a    double precision NOT NULL,
	alloc_l1   double precision NOT NULL,
	alloc_l2   double precision NOT NULL,
	alloc_l3   double precision NOT NULL,
	sessions   integer          NOT NULL,
	waiting    integer          NOT NULL,
	signal_set boolean          NOT NULL,
	PRIMARY KEY (site_id, at)
);
-- PurgeSiteLoad deletes by age across sites.
CREATE INDEX site_load_at ON site_load (at);
