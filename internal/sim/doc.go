// Package sim is Joule's charge point simulator: an OCPP 1.6J charger with N
// connectors, or an OCPP 2.0.1 charging station with N EVSEs of one
// connector each, or an OCPP 1.5 or 1.6 charger over SOAP
// (Config.OCPPVersion), that talks to a CSMS only over the wire (a
// WebSocket at URL/ID, subprotocol ocpp1.6 or ocpp2.0.1; or SOAP requests
// to the central system's endpoint and its own SOAP service), as a real
// one would. All versions share one state machine, energy model and
// outbox; the 2.0.1 messages are built in the v201*.go files (see v201.go).
//
// It is used by `joule sim`, by end-to-end tests as a library and by the
// benchmarks, so it is both friendly and strict: every message it sends is
// built from the generated ocpp16 (ocpp201) types, and every CALL and
// answer it receives is decoded and validated with that package's
// DecodeRequest / DecodeResponse; a CSMS that breaks the schema gets a
// CALLERROR or a Warn log line, never silent acceptance.
//
// A Charger boots (retrying while the CSMS answers Pending or Rejected),
// reports every connector's status, heartbeats, obeys remote start/stop,
// configuration, reset, availability, unlock and trigger requests, models
// an EV drawing power (ramping towards a limit, integrating energy into a
// monotonic register) and samples meter values. Transaction-related
// messages (StartTransaction, MeterValues, StopTransaction) go through an
// ordered outbox that survives disconnections: what could not be delivered
// is re-sent after the next boot, before anything newer, as OCPP 1.6 asks
// ("Error responses to transaction-related messages"). Behaviour flags make
// the charger misbehave on purpose for tests (reject, never start, start
// before answering, duplicate starts, ignore calls).
//
// Hardware (outlet.go): a charger is an AC post of Type 2 sockets (the
// default) or a DC fast charger with a CCS2 and a CHAdeMO cable
// (Config.Kind), or any outlets (Config.Outlets). A 2.0.1 charger reports
// them in its device model (Connector.ConnectorType, EVSE.Power's
// maxLimit, SupplyPhases); OCPP 1.6 has no way to, so an operator sets
// them in the CSMS. The meter values follow (a DC outlet at about 400 V).
//
// Vehicle (vehicle.go): each connector charges a Vehicle (Config.Vehicle,
// SetVehicle): a battery with a state of charge and an on-board charger of
// MaxA per phase on 1 or 3 phases (DC: MaxPowerW). At every moment of a
// transaction it draws the least of its acceptance (tapering from 80 % to
// nothing when full), the composite limit of the installed charging
// profiles then (smart.go's limitAt: ChargePointMaxProfile and the
// TxProfile or else the TxDefaultProfile, validity, periods, numberPhases)
// and the outlet's maximum; a limit below 6 A per phase suspends it
// (SuspendedEVSE), a full battery stops (SuspendedEV). Meter values carry
// the current per phase and the EV's SoC, 2.0.1 events numberOfPhasesUsed,
// so that a site's real load can be measured from them.
//
// Security (security.go): the charger connects with security profile 0 to
// 3 (HTTP Basic with the 1.6 AuthorizationKey sent as the bytes its hex
// stands for, or the 2.0.1 BasicAuthPassword as a string; TLS; a client
// certificate), takes new passwords and a higher profile from the CSMS and
// reconnects with them, requests and installs its own certificate
// (SignCertificate, CertificateSigned), keeps the CA certificates the CSMS
// installs, and answers GetLog and signed firmware updates, in both
// versions.
//
// SOAP (soap.go, soapservice.go): an OCPP-S charger is the 1.6 one behind
// a different edge. Its worker calls the central system through a SOAP
// session instead of a WebSocket (both are a link, link.go), and its own
// charge-point service, an HTTP server per charger started by Run, turns
// the central system's requests into the 1.6 CALLs the 1.6 handler
// answers; package soapjson converts the bodies of either version. It
// offers only what its version's WSDLs have: no security extension, no
// security profile 3; in 1.5, no charging profiles and no TriggerMessage.
//
// Cost: a connected Charger runs two goroutines (the connection's read loop
// and one worker that boots, ticks heartbeats and meter samples for all
// connectors, and drains the outbox), whatever its number of connectors.
// A SOAP charger runs five: its worker, one waiting for the session's end,
// its service's accept loop, and the two of its kept-alive HTTP connection
// to the central system (and one per connection the central system holds
// open to its service).
//
// Sim imports ocppj, ocpp16, ocpp201 and the SOAP packages (the wire),
// never the gateway, the domain service or a store: it knows the CSMS only
// through what it says.
package sim
