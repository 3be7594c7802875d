-- 0023_connector_phase_rotation: how a connector's phases are wired to the
-- site's grid connection (charging.PhaseRotation: RST, SRT, ..., as OCPP
-- 1.6's ConnectorPhaseRotation says it): the operator's, set like evse_id,
-- and the charger's report (2.0.1 EVSE.PhaseRotation), like the other
-- reported_ columns. '' when not set (taken as RST).
ALTER TABLE connectors ADD COLUMN phase_rotation TEXT NOT NULL DEFAULT '';
ALTER TABLE connectors ADD COLUMN reported_phase_rotation TEXT NOT NULL DEFAULT '';
