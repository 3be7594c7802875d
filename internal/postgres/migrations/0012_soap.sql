-- 0012_soap: an OCPP-S (SOAP) charger's own service address, the wsa:From
-- of its messages (issue 16; sqlite 0022). Empty for an OCPP-J charger.
ALTER TABLE chargers ADD COLUMN soap_address TEXT NOT NULL DEFAULT '';
