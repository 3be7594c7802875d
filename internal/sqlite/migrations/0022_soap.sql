-- 0022_soap: an OCPP-S (SOAP) charger's own service address, the wsa:From
-- of its messages (issue 16): Joule calls the charger there. Empty for an
-- OCPP-J charger, which Joule reaches over its WebSocket.
ALTER TABLE chargers ADD COLUMN soap_address TEXT NOT NULL DEFAULT '';
