-- 0007_tariffs: tariffs (OCPI 2.2.1 Tariff), kept whole as jsonb with the
-- columns lists and checks need beside it; where tariffs are assigned (a
-- site, a charger, one connector: a tariff id and driver groups'
-- overrides); and each user's driver group.
--
-- Assignments name tariffs without foreign keys: the overrides are jsonb
-- maps, which no key can reference. DeleteTariff checks every place in
-- the serializable transaction that deletes, and an assignment checks
-- the tariff in its own (csms): PostgreSQL fails one of two that race.

CREATE TABLE tariffs (
	id         text        COLLATE "C" PRIMARY KEY, -- ListTariffs' order (and keyset cursor)
	currency   text        NOT NULL,                -- ISO 4217
	tariff     jsonb       NOT NULL,                -- charging.Tariff
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

-- tariff_id is '' for none; group_tariffs is a jsonb object (a driver
-- group → a tariff id), NULL for none.
ALTER TABLE sites ADD COLUMN tariff_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN group_tariffs jsonb;
ALTER TABLE chargers ADD COLUMN tariff_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE chargers ADD COLUMN group_tariffs jsonb;
ALTER TABLE connectors ADD COLUMN tariff_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN group_tariffs jsonb;

-- DeleteTariff's check of the plain assignments.
CREATE INDEX sites_tariff ON sites (tariff_id) WHERE tariff_id <> '';
CREATE INDEX chargers_tariff ON chargers (tariff_id) WHERE tariff_id <> '';
CREATE INDEX connectors_tariff ON connectors (tariff_id) WHERE tariff_id <> '';

-- '' for none; lower case.
ALTER TABLE users ADD COLUMN driver_group text COLLATE "C" NOT NULL DEFAULT '';
