-- 0013_connector_phase_rotation: how a connector's phases are wired to the
-- site's grid connection (charging.PhaseRotation; sqlite 0023), set by the
-- operator like evse_id. '' when not set (taken as RST).
ALTER TABLE connectors ADD COLUMN phase_rotation text NOT NULL DEFAULT '';
