-- 0023_connector_phase_rotation: how a connector's phases are wired to the
-- site's grid connection (charging.PhaseRotation: RST, SRT, ..., as OCPP
-- 1.6's ConnectorPhaseRotation says it), set by the operator like evse_id.
-- '' when not set (taken as RST).
ALTER TABLE connectors ADD COLUMN phase_rotation TEXT NOT NULL DEFAULT '';
