-- Usage reports (docs/adr/0010-usage-reports.md), as SQLite's 0019.

-- When each charger was online: a span per connection (online_to NULL
-- while it lasts), written by SetChargerPresence in the statement that
-- records the transition, closed by SetAllOffline at the charger's
-- last-seen time. Heartbeats never touch it.
CREATE TABLE presence_log (
	id          bigserial PRIMARY KEY,
	charger_id  text COLLATE "C" NOT NULL,
	online_from timestamptz NOT NULL,
	online_to   timestamptz,
	CHECK (online_to IS NULL OR online_to >= online_from)
);
CREATE INDEX presence_log_charger ON presence_log (charger_id, online_from);
CREATE UNIQUE INDEX presence_log_open ON presence_log (charger_id) WHERE online_to IS NULL;

-- The zones with a roll-up, and the last report_dirty row each applied
-- (-1: being built).
CREATE TABLE report_zones (
	zone     text PRIMARY KEY,
	dirty_id bigint NOT NULL
);

-- What changed in the data the roll-up holds (finished sessions, closed
-- spans): the charger and the time range whose days must be rebuilt. A
-- report reads it under a SHARE ROW EXCLUSIVE lock, so that no id it has
-- not seen can commit below the ones it has.
CREATE TABLE report_dirty (
	id         bigserial PRIMARY KEY,
	charger_id text COLLATE "C" NOT NULL,
	from_at    timestamptz NOT NULL,
	to_at      timestamptz NOT NULL
);

CREATE FUNCTION report_dirty_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM report_zones) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' AND OLD.status = 'finished' THEN
		INSERT INTO report_dirty (charger_id, from_at, to_at) VALUES (OLD.charger_id,
			least(coalesce(OLD.started_at, OLD.created_at), coalesce(OLD.stopped_at, OLD.updated_at)),
			greatest(coalesce(OLD.started_at, OLD.created_at), coalesce(OLD.stopped_at, OLD.updated_at)));
	END IF;
	IF NEW.status = 'finished' THEN
		INSERT INTO report_dirty (charger_id, from_at, to_at) VALUES (NEW.charger_id,
			least(coalesce(NEW.started_at, NEW.created_at), coalesce(NEW.stopped_at, NEW.updated_at)),
			greatest(coalesce(NEW.started_at, NEW.created_at), coalesce(NEW.stopped_at, NEW.updated_at)));
	END IF;
	RETURN NULL;
END $$;

-- A session enters the roll-up when it is finished, and is rebuilt when a
-- finished session changes what a report reads of it. Live values (active
-- sessions only) never fire these.
CREATE TRIGGER sessions_report_insert AFTER INSERT ON sessions FOR EACH ROW
	WHEN (NEW.status = 'finished') EXECUTE FUNCTION report_dirty_session();
CREATE TRIGGER sessions_report_update AFTER UPDATE ON sessions FOR EACH ROW
	WHEN ((NEW.status = 'finished' OR OLD.status = 'finished') AND (
		OLD.status IS DISTINCT FROM NEW.status OR OLD.charger_id IS DISTINCT FROM NEW.charger_id
		OR OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.created_at IS DISTINCT FROM NEW.created_at
		OR OLD.stopped_at IS DISTINCT FROM NEW.stopped_at OR OLD.energy_wh IS DISTINCT FROM NEW.energy_wh
		OR OLD.cost_currency IS DISTINCT FROM NEW.cost_currency
		OR OLD.cost_total_minor IS DISTINCT FROM NEW.cost_total_minor
		OR (NEW.stopped_at IS NULL AND OLD.updated_at IS DISTINCT FROM NEW.updated_at)))
	EXECUTE FUNCTION report_dirty_session();

CREATE FUNCTION report_dirty_presence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM report_zones) THEN
		INSERT INTO report_dirty (charger_id, from_at, to_at) VALUES (NEW.charger_id, NEW.online_from, NEW.online_to);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER presence_log_report AFTER UPDATE OF online_to ON presence_log FOR EACH ROW
	WHEN (NEW.online_to IS NOT NULL) EXECUTE FUNCTION report_dirty_presence();

-- The roll-up: per zone, day (days since 1970-01-01 of the local date)
-- and charger, what finished sessions and closed presence spans add up
-- to. Active sessions and open spans are added at report time.
CREATE TABLE report_days (
	zone        text NOT NULL,
	day         integer NOT NULL,
	charger_id  text COLLATE "C" NOT NULL,
	sessions    integer NOT NULL,
	energy_wh   double precision NOT NULL,
	occupied_us bigint NOT NULL,
	online_us   bigint NOT NULL,
	revenue     text NOT NULL, -- "EUR=1234;USD=5": minor units per currency
	PRIMARY KEY (zone, day, charger_id)
);
