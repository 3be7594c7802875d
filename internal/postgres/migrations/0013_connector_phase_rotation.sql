-- 0013_connector_phase_rotation: how a connector's phases are wired to the
-- site's grid connection (charging.PhaseRotation; sqlite 0023): the
-- operator's, set like evse_id, and the charger's report (2.0.1
-- EVSE.PhaseRotation). '' when not set (taken as RST).
ALTER TABLE connectors ADD COLUMN phase_rotation text NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN reported_phase_rotation text NOT NULL DEFAULT '';
