-- 0014_sites: sites (modelled on OCPI 2.2.1 Locations), a charger's name and
-- site, and what a connector is (OCPI Connector: standard, format, power
-- type, maximum power) from its two sources side by side: the operator's
-- columns and the charger's reported_ ones. Effective values are not
-- stored: charging.Connector.Resolve derives them when a row is read.

CREATE TABLE sites (
	id            TEXT    PRIMARY KEY,
	name          TEXT    NOT NULL,
	street        TEXT    NOT NULL DEFAULT '',
	city          TEXT    NOT NULL DEFAULT '',
	postal_code   TEXT    NOT NULL DEFAULT '',
	state         TEXT    NOT NULL DEFAULT '',
	country       TEXT    NOT NULL DEFAULT '', -- ISO 3166-1 alpha-3
	latitude      REAL,
	longitude     REAL,
	time_zone     TEXT    NOT NULL DEFAULT '', -- IANA
	opening_times TEXT,                        -- JSON of charging.OpeningTimes; NULL when unknown
	notes         TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	CHECK ((latitude IS NULL) = (longitude IS NULL))
) STRICT;

-- ListSites' order (and its keyset cursor).
CREATE INDEX sites_name ON sites (name, id);

ALTER TABLE chargers ADD COLUMN name TEXT NOT NULL DEFAULT '';
-- NULL when the charger is at no site. The foreign key has no ON DELETE
-- action: a site cannot be deleted while chargers are at it (DeleteSite
-- says how many first).
ALTER TABLE chargers ADD COLUMN site_id TEXT REFERENCES sites (id);
-- ListChargers by site, and DeleteSite's count.
CREATE INDEX chargers_site ON chargers (site_id, id) WHERE site_id IS NOT NULL;

-- The operator's connector type was free text; it is an OCPI ConnectorType
-- now. The names the web app offered move to theirs; any other text stays
-- (charging.Connector.Resolve shows it as the type until a plug is known).
ALTER TABLE connectors RENAME COLUMN type TO connector_type;
UPDATE connectors SET connector_type = CASE lower(replace(connector_type, ' ', ''))
		WHEN 'ccs2' THEN 'IEC_62196_T2_COMBO'
		WHEN 'ccs1' THEN 'IEC_62196_T1_COMBO'
		WHEN 'chademo' THEN 'CHADEMO'
		WHEN 'type2' THEN 'IEC_62196_T2'
		WHEN 'type1' THEN 'IEC_62196_T1'
		ELSE connector_type END
	WHERE connector_type <> '';

ALTER TABLE connectors ADD COLUMN evse_id TEXT NOT NULL DEFAULT ''; -- eMI3, upper case
ALTER TABLE connectors ADD COLUMN format TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN power_type TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN reported_connector_type TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN reported_format TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN reported_power_type TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN reported_max_power_w REAL NOT NULL DEFAULT 0;

-- An EVSE ID names one EVSE in the world (OCPI, roaming): one connector.
-- The violation's message names the column; connectorConflict in
-- charger.go relies on that.
CREATE UNIQUE INDEX connectors_evse_id ON connectors (evse_id) WHERE evse_id <> '';
