-- 0017_tariffs: tariffs (OCPI 2.2.1 Tariff), kept whole as JSON with the
-- columns lists and checks need beside it; where tariffs are assigned (a
-- site, a charger, one connector: a tariff id and driver groups'
-- overrides); and each user's driver group.
--
-- Assignments name tariffs without foreign keys: the overrides are JSON
-- maps, which no key can reference, and DeleteTariff checks every place
-- (the four kinds) in the transaction that deletes, which the single
-- writer serializes with the assignments.

CREATE TABLE tariffs (
	id         TEXT    PRIMARY KEY, -- ListTariffs' order (and keyset cursor)
	currency   TEXT    NOT NULL,    -- ISO 4217
	tariff     TEXT    NOT NULL,    -- JSON of charging.Tariff
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- tariff_id is '' for none; group_tariffs is a JSON object (a driver
-- group → a tariff id), NULL for none.
ALTER TABLE sites ADD COLUMN tariff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN group_tariffs TEXT;
ALTER TABLE chargers ADD COLUMN tariff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE chargers ADD COLUMN group_tariffs TEXT;
ALTER TABLE connectors ADD COLUMN tariff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN group_tariffs TEXT;

-- DeleteTariff's check of the plain assignments.
CREATE INDEX sites_tariff ON sites (tariff_id) WHERE tariff_id <> '';
CREATE INDEX chargers_tariff ON chargers (tariff_id) WHERE tariff_id <> '';
CREATE INDEX connectors_tariff ON connectors (tariff_id) WHERE tariff_id <> '';

-- '' for none; lower case.
ALTER TABLE users ADD COLUMN driver_group TEXT NOT NULL DEFAULT '';
