// Package soapcs is Joule's central-system service for chargers that speak
// OCPP 1.5 or 1.6 over SOAP (OCPP-S): one HTTP endpoint that reads an
// envelope, admits its charger by the rules OCPP-J chargers follow, turns
// the typed SOAP body into the 1.6 JSON request the ocpp16 adapter already
// answers, and turns its answer back into the typed SOAP response.
//
// Reusing ocpp16.Station keeps one translation into the domain: a SOAP
// charger's messages are validated twice (against the WSDL's schema by the
// generated types, then against the OCA JSON schema) and reach
// charging.StationEvents exactly as an OCPP-J 1.6 charger's do. OCPP 1.5
// bodies are first mapped to their 1.6 shapes (package soapjson).
//
// Joule's commands take the way back: the same Station sends them through
// a Caller (caller.go), which posts each to the charger's own ChargePoint
// service at the address of its wsa:From, one at a time, and turns the
// answer or the fault into what an OCPP-J charger's would have been. While
// the server hears a charger that it can call, it attaches the Station to
// the gateway (Options.Attacher), so commands find it as they find a
// connected charger; a silence detaches it.
package soapcs
