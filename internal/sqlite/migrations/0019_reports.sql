-- Usage reports (docs/adr/0010-usage-reports.md).

-- When each charger was online: a span per connection, from its connect
-- to its disconnect (online_to NULL while it lasts). Written from the
-- presence transitions (SetChargerPresence) with the group commit that
-- flushes them, closed by SetAllOffline and Close.
CREATE TABLE presence_log (
	id          INTEGER PRIMARY KEY,
	charger_id  TEXT    NOT NULL,
	online_from INTEGER NOT NULL,
	online_to   INTEGER,
	CHECK (online_to IS NULL OR online_to >= online_from)
) STRICT;
CREATE INDEX presence_log_charger ON presence_log (charger_id, online_from);
-- At most one open span per charger; the open ones are read live.
CREATE UNIQUE INDEX presence_log_open ON presence_log (charger_id) WHERE online_to IS NULL;

-- The zones with a roll-up, and the last report_dirty row each applied
-- (-1: being built).
CREATE TABLE report_zones (
	zone     TEXT    PRIMARY KEY,
	dirty_id INTEGER NOT NULL
) STRICT;

-- What changed in the data the roll-up holds (finished sessions, closed
-- spans): the charger and the time range whose days must be rebuilt. Each
-- roll-up zone applies the rows after its report_zones.dirty_id.
CREATE TABLE report_dirty (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	charger_id TEXT    NOT NULL,
	from_us    INTEGER NOT NULL,
	to_us      INTEGER NOT NULL
) STRICT;

-- A session enters the roll-up when it is finished, and is rebuilt when a
-- finished session changes what a report reads of it. Live values (active
-- sessions only) never fire these, nor do heartbeats. Until a report
-- made a roll-up (a row in report_zones) there is nothing to keep up to
-- date, and they log nothing.
CREATE TRIGGER report_dirty_session_insert AFTER INSERT ON sessions
	WHEN NEW.status = 'finished' AND EXISTS (SELECT 1 FROM report_zones)
BEGIN
	INSERT INTO report_dirty (charger_id, from_us, to_us) VALUES (NEW.charger_id,
		min(coalesce(NEW.started_at, NEW.created_at), coalesce(NEW.stopped_at, NEW.updated_at)),
		max(coalesce(NEW.started_at, NEW.created_at), coalesce(NEW.stopped_at, NEW.updated_at)));
END;

CREATE TRIGGER report_dirty_session_update AFTER UPDATE ON sessions
	WHEN (NEW.status = 'finished' OR OLD.status = 'finished') AND (
		OLD.status IS NOT NEW.status OR OLD.charger_id IS NOT NEW.charger_id
		OR OLD.started_at IS NOT NEW.started_at OR OLD.created_at IS NOT NEW.created_at
		OR OLD.stopped_at IS NOT NEW.stopped_at OR OLD.energy_wh IS NOT NEW.energy_wh
		OR OLD.cost_currency IS NOT NEW.cost_currency OR OLD.cost_total_minor IS NOT NEW.cost_total_minor
		OR (NEW.stopped_at IS NULL AND OLD.updated_at IS NOT NEW.updated_at))
		AND EXISTS (SELECT 1 FROM report_zones)
BEGIN
	INSERT INTO report_dirty (charger_id, from_us, to_us) VALUES (OLD.charger_id,
		min(coalesce(OLD.started_at, OLD.created_at), coalesce(OLD.stopped_at, OLD.updated_at)),
		max(coalesce(OLD.started_at, OLD.created_at), coalesce(OLD.stopped_at, OLD.updated_at)));
	INSERT INTO report_dirty (charger_id, from_us, to_us) VALUES (NEW.charger_id,
		min(coalesce(NEW.started_at, NEW.created_at), coalesce(NEW.stopped_at, NEW.updated_at)),
		max(coalesce(NEW.started_at, NEW.created_at), coalesce(NEW.stopped_at, NEW.updated_at)));
END;

CREATE TRIGGER report_dirty_presence AFTER UPDATE OF online_to ON presence_log
	WHEN NEW.online_to IS NOT NULL AND EXISTS (SELECT 1 FROM report_zones)
BEGIN
	INSERT INTO report_dirty (charger_id, from_us, to_us) VALUES (NEW.charger_id, NEW.online_from, NEW.online_to);
END;

-- The roll-up: per zone (the IANA name of the location whose midnights
-- start the days), day (days since 1970-01-01 of the local date) and
-- charger, what finished sessions and closed presence spans add up to.
-- Active sessions and open spans are added at report time.
CREATE TABLE report_days (
	zone        TEXT    NOT NULL,
	day         INTEGER NOT NULL,
	charger_id  TEXT    NOT NULL,
	sessions    INTEGER NOT NULL,
	energy_wh   REAL    NOT NULL,
	occupied_us INTEGER NOT NULL,
	online_us   INTEGER NOT NULL,
	revenue     TEXT    NOT NULL, -- "EUR=1234;USD=5": minor units per currency
	PRIMARY KEY (zone, day, charger_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX report_days_charger ON report_days (zone, charger_id, day);
