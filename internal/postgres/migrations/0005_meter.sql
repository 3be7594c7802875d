-- 0005_meter: the meter log. One row per meterValue element (the samples
-- a charger took at one timestamp), as the SQLite store's meter log keeps
-- one record per element: a MeterValues of ten measurands is one row, not
-- ten. A sample's ID is its element's id times 1024 plus its index in the
-- element (meter.go), so IDs grow in the order stored and fit a JavaScript
-- number.
--
-- The table is partitioned by the element's timestamp, one partition per
-- UTC day (meter_elements_pYYYYMMDD), created ahead by
-- ensure_meter_partitions (at start-up and as days pass). Elements whose
-- day has no partition (a charger with its clock in 1970, a queue replayed
-- from before partitions existed) land in meter_elements_default. Meter
-- retention drops a whole day's partition once every session in it has
-- ended before the cutoff, instead of deleting its rows one by one; the
-- rest (partitions that still hold a live session's samples, the default
-- partition) is deleted per session.
--
-- Samples are history like sessions: no foreign keys. samples holds the
-- element's samples in the bytes the SQLite store's meter log keeps too
-- (internal/meterpack: one byte per measurand, phase, location, context,
-- format and unit of the common ones, the value as 8 bytes): about 15
-- bytes a sample, against about 120 as a JSON object in jsonb.

CREATE SEQUENCE meter_elements_id_seq AS bigint;

CREATE TABLE meter_elements (
	id             bigint NOT NULL DEFAULT nextval('meter_elements_id_seq'),
	session_id     text COLLATE "C" NOT NULL, -- '' for samples without a session
	charger_id     text COLLATE "C" NOT NULL,
	connector_id   integer NOT NULL,
	transaction_id text NOT NULL,
	ts             timestamptz NOT NULL,
	-- The first 16 bytes of the SHA-256 of samples: with the other key
	-- columns, what makes an element the same as one already stored.
	digest         bytea NOT NULL,
	samples        bytea NOT NULL
) PARTITION BY RANGE (ts);

ALTER SEQUENCE meter_elements_id_seq OWNED BY meter_elements.id;

-- A retried element is skipped (ON CONFLICT DO NOTHING); the same index
-- serves a session's samples in timestamp order (ListMeterSamples,
-- LastMeterSamples), the purge by session, and the purge of samples
-- without a session by timestamp. A unique index of a partitioned table
-- must hold the partition key: ts is in it, so the check stays inside the
-- one partition the element goes to.
CREATE UNIQUE INDEX meter_elements_key ON meter_elements
	(session_id, ts, charger_id, connector_id, transaction_id, digest);

CREATE TABLE meter_elements_default PARTITION OF meter_elements DEFAULT;

-- ensure_meter_partitions creates the day partitions from first_day for
-- days days that do not exist yet, moving any rows of their day out of
-- the default partition first, and returns how many it created. Nodes
-- call it concurrently: an advisory lock makes them take turns.
CREATE FUNCTION ensure_meter_partitions(first_day date, days integer) RETURNS integer
	LANGUAGE plpgsql SET search_path FROM CURRENT SET timezone = 'UTC' AS $$
DECLARE
	d       date;
	part    text;
	created integer := 0;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('joule meter partitions ' || current_schema()));
	FOR i IN 0 .. days - 1 LOOP
		d := first_day + i;
		part := 'meter_elements_p' || to_char(d, 'YYYYMMDD');
		CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
		EXECUTE format('CREATE TABLE %I (LIKE meter_elements INCLUDING DEFAULTS)', part);
		EXECUTE format('INSERT INTO %I SELECT * FROM meter_elements_default WHERE ts >= %L AND ts < %L',
			part, d::timestamptz, (d + 1)::timestamptz);
		EXECUTE format('DELETE FROM meter_elements_default WHERE ts >= %L AND ts < %L',
			d::timestamptz, (d + 1)::timestamptz);
		EXECUTE format('ALTER TABLE meter_elements ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
			part, d::timestamptz, (d + 1)::timestamptz);
		created := created + 1;
	END LOOP;
	RETURN created;
END
$$;

SELECT ensure_meter_partitions(current_date - 1, 9);
