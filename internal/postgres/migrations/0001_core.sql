-- 0001_core: sites, chargers, connectors, sessions, id tags and the
-- sequences of OCPP ids. The final schema of the SQLite store's
-- migrations 0001 to 0015 for these tables: every column of chargers,
-- connectors and sessions is here, so later migrations never alter them.
--
-- Keys that lists are ordered by are COLLATE "C" (byte order, as the SQLite
-- store orders them, whatever the database's collation).

CREATE TABLE sites (
	id            text COLLATE "C" PRIMARY KEY,
	name          text COLLATE "C" NOT NULL,
	street        text NOT NULL DEFAULT '',
	city          text NOT NULL DEFAULT '',
	postal_code   text NOT NULL DEFAULT '',
	state         text NOT NULL DEFAULT '',
	country       text NOT NULL DEFAULT '', -- ISO 3166-1 alpha-3
	latitude      double precision,
	longitude     double precision,
	time_zone     text NOT NULL DEFAULT '', -- IANA
	opening_times jsonb,                    -- charging.OpeningTimes; NULL when unknown
	notes         text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	CHECK ((latitude IS NULL) = (longitude IS NULL))
);

-- ListSites' order (and its keyset cursor).
CREATE INDEX sites_name ON sites (name, id);

CREATE TABLE chargers (
	id                    text COLLATE "C" PRIMARY KEY,
	-- The operator's: SaveCharger writes them on insert only;
	-- SaveChargerDetails changes them. A site with chargers cannot be
	-- deleted (no ON DELETE action).
	name                  text NOT NULL DEFAULT '',
	site_id               text COLLATE "C" REFERENCES sites (id),
	vendor                text NOT NULL DEFAULT '',
	model                 text NOT NULL DEFAULT '',
	serial_number         text NOT NULL DEFAULT '',
	firmware_version      text NOT NULL DEFAULT '',
	iccid                 text NOT NULL DEFAULT '',
	imsi                  text NOT NULL DEFAULT '',
	meter_type            text NOT NULL DEFAULT '',
	meter_serial_number   text NOT NULL DEFAULT '',
	ocpp_version          text NOT NULL DEFAULT '',
	-- SetOCPPVersionOverride is its only writer.
	ocpp_version_override text NOT NULL DEFAULT '',
	online                boolean NOT NULL DEFAULT false,
	last_seen_at          timestamptz,
	last_boot_at          timestamptz,
	registration_status   text NOT NULL DEFAULT '',
	firmware_status       text NOT NULL DEFAULT '',
	diagnostics_status    text NOT NULL DEFAULT '',
	security_profile      integer NOT NULL DEFAULT 0 CHECK (security_profile BETWEEN 0 AND 3),
	min_security_profile  integer NOT NULL DEFAULT 0 CHECK (min_security_profile BETWEEN 0 AND 3),
	admission             text NOT NULL DEFAULT 'Accepted'
		CHECK (admission IN ('Accepted', 'Pending', 'Rejected')),
	-- Password hashes (charging.HashPassword), written only by
	-- SetCredentials and SaveChargerCredentials: SaveCharger never touches
	-- them. '' means none; a next_password_hash <> '' is PasswordPending.
	password_hash         text NOT NULL DEFAULT '',
	next_password_hash    text NOT NULL DEFAULT '',
	password_set_at       timestamptz,
	created_at            timestamptz NOT NULL
);

-- ListChargers by site, and DeleteSite's count.
CREATE INDEX chargers_site ON chargers (site_id, id) WHERE site_id IS NOT NULL;
-- The chargers waiting for an operator's approval (a few among thousands).
CREATE INDEX chargers_pending ON chargers (id) WHERE admission = 'Pending';

-- Charger.Status is not a column: it is connector 0's status, kept in
-- connectors like the others. What a connector is comes from two sources
-- side by side: the operator's columns (connector_type ... max_power_w) and
-- the charger's reported_ ones; charging.Connector.Resolve derives the
-- effective values when a row is read.
CREATE TABLE connectors (
	charger_id              text COLLATE "C" NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
	connector_id            integer NOT NULL CHECK (connector_id >= 0), -- 0: the charger itself
	status                  text NOT NULL DEFAULT '',
	error_code              text NOT NULL DEFAULT '',
	info                    text NOT NULL DEFAULT '',
	vendor_error_code       text NOT NULL DEFAULT '',
	evse_id                 text NOT NULL DEFAULT '', -- eMI3, upper case; '' when not set
	connector_type          text NOT NULL DEFAULT '',
	format                  text NOT NULL DEFAULT '',
	power_type              text NOT NULL DEFAULT '',
	max_power_w             double precision NOT NULL DEFAULT 0,
	reported_connector_type text NOT NULL DEFAULT '',
	reported_format         text NOT NULL DEFAULT '',
	reported_power_type     text NOT NULL DEFAULT '',
	reported_max_power_w    double precision NOT NULL DEFAULT 0,
	updated_at              timestamptz NOT NULL,
	PRIMARY KEY (charger_id, connector_id)
);

-- An EVSE ID names one EVSE in the world (OCPI, roaming): one connector.
CREATE UNIQUE INDEX connectors_evse_id ON connectors (evse_id) WHERE evse_id <> '';

-- Sessions are history: they outlive a deleted charger, so charger_id has
-- no foreign key. A new session (or one moved to another charger) must
-- still name an existing charger: check_charger_exists, a trigger that
-- raises foreign_key_violation with the message "charger X not found"
-- (constraint name charger_exists) and locks the charger row FOR KEY SHARE
-- as a foreign key would, so a concurrent delete waits. Reservations
-- (0003) use the same trigger function.
CREATE FUNCTION check_charger_exists() RETURNS trigger
	LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM 1 FROM chargers WHERE id = NEW.charger_id FOR KEY SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'charger % not found', NEW.charger_id
			USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'charger_exists',
			TABLE = TG_TABLE_NAME, COLUMN = 'charger_id';
	END IF;
	RETURN NEW;
END
$$;

CREATE TABLE sessions (
	id                text COLLATE "C" PRIMARY KEY,
	charger_id        text COLLATE "C" NOT NULL,
	connector_id      integer NOT NULL CHECK (connector_id >= 0), -- 0: the charger chooses
	id_tag            text NOT NULL DEFAULT '',
	-- The user the session belongs to ('' for the operator's): given, or
	-- the id tag's owner (the writes read it in the same statement).
	owner_id          text NOT NULL DEFAULT '',
	transaction_id    text NOT NULL DEFAULT '',
	status            text NOT NULL CHECK (status IN ('pending', 'active', 'finished', 'failed')),
	origin            text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL,
	updated_at        timestamptz NOT NULL,
	started_at        timestamptz,
	stopped_at        timestamptz,
	meter_start_wh    double precision,
	meter_stop_wh     double precision,
	energy_wh         double precision NOT NULL DEFAULT 0,
	power_w           double precision NOT NULL DEFAULT 0,
	current_a         double precision,
	voltage_v         double precision,
	soc_percent       double precision,
	stop_reason       text NOT NULL DEFAULT '',
	failure_reason    text NOT NULL DEFAULT '',
	stop_requested_at timestamptz,
	remote_start_id   integer NOT NULL DEFAULT 0,
	reservation_id    integer NOT NULL DEFAULT 0,
	idempotency_key   text NOT NULL DEFAULT '',
	flags             jsonb, -- JSON array of strings; NULL when there are none
	-- Who ended a session the charger never reported stopped ('joule',
	-- 'operator'); '' when the charger reported its end.
	closed_by         text NOT NULL DEFAULT '',
	-- Set once meter retention deleted the samples of an ended session.
	samples_purged    boolean NOT NULL DEFAULT false
-- Room in each page for HOT updates: a meter report's live values
-- (SetSessionLive) change no indexed column, so they update the row in its
-- page without touching any index, which also keeps units of work that
-- read other sessions through an index from conflicting with them.
) WITH (fillfactor = 80);

CREATE TRIGGER sessions_charger_insert BEFORE INSERT ON sessions
	FOR EACH ROW EXECUTE FUNCTION check_charger_exists();
CREATE TRIGGER sessions_charger_update BEFORE UPDATE OF charger_id ON sessions
	FOR EACH ROW WHEN (NEW.charger_id IS DISTINCT FROM OLD.charger_id)
	EXECUTE FUNCTION check_charger_exists();

-- At most one open (pending or active) session per real connector;
-- connector 0 ("the charger chooses") never conflicts. session.go maps a
-- violation by the index's name.
CREATE UNIQUE INDEX sessions_open_connector ON sessions (charger_id, connector_id)
	WHERE status IN ('pending', 'active') AND connector_id > 0;
CREATE UNIQUE INDEX sessions_idempotency_key ON sessions (idempotency_key)
	WHERE idempotency_key <> '';

-- ListSessions' orders: all, a charger's, a user's.
CREATE INDEX sessions_created ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_charger_created ON sessions (charger_id, created_at DESC, id DESC);
CREATE INDEX sessions_owner_created ON sessions (owner_id, created_at DESC, id DESC) WHERE owner_id <> '';
-- A charger's sessions of a transaction id, newest first:
-- GetSessionByTransaction, on every message of a transaction.
CREATE INDEX sessions_transaction_created ON sessions (charger_id, transaction_id, created_at DESC, id DESC);
-- 2.0.1 correlates a remote start by its remoteStartId.
CREATE INDEX sessions_remote_start ON sessions (charger_id, remote_start_id) WHERE remote_start_id > 0;
-- Open sessions of a charger, newest first (StartTransaction, MeterValues
-- without a transaction id); pending starts (the expiry timer); active
-- sessions (the lost-session sweep).
CREATE INDEX sessions_open_created ON sessions (charger_id, created_at DESC, id DESC)
	WHERE status IN ('pending', 'active');
CREATE INDEX sessions_pending_created ON sessions (created_at DESC, id DESC) WHERE status = 'pending';
CREATE INDEX sessions_active_created ON sessions (created_at DESC, id DESC) WHERE status = 'active';
-- Ended sessions whose samples meter retention has not deleted yet, by
-- creation: a session was created before it was last written, so those
-- last written before a cutoff are among those created before it. Not by
-- updated_at, which every meter report changes: an index on it would keep
-- those updates from being HOT. Not by stopped_at, the charger's clock.
CREATE INDEX sessions_ended ON sessions (created_at)
	WHERE status IN ('finished', 'failed') AND NOT samples_purged;

-- OCPP 1.6 IdToken is a CiString20Type: compared case-insensitively (ASCII
-- only, as the SQLite store's NOCASE). id_tag keeps the spelling of the
-- first save; id_tag_key, its ASCII lower case, is the key and the order.
-- Match a tag with id_tag_key = lower($1 COLLATE "C").
CREATE TABLE id_tags (
	id_tag_key    text COLLATE "C" GENERATED ALWAYS AS (lower(id_tag COLLATE "C")) STORED PRIMARY KEY,
	id_tag        text NOT NULL,
	status        text NOT NULL,
	expiry_date   timestamptz,
	parent_id_tag text NOT NULL DEFAULT '',
	owner_id      text NOT NULL DEFAULT '', -- '' for the operator's own cards
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL
);

-- A user's cards.
CREATE INDEX id_tags_owner ON id_tags (owner_id, id_tag_key) WHERE owner_id <> '';

-- OCPP 1.6 transaction ids (StartTransaction.conf) and 2.0.1
-- remoteStartIds: never handed out twice (a sequence is not rolled back),
-- and integers, as OCPP's schemas want them.
CREATE SEQUENCE transaction_id_seq AS integer;
CREATE SEQUENCE remote_start_id_seq AS integer;
