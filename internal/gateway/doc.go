// Package gateway is the chargers' WebSocket server: it accepts a charger at
// /ocpp/{chargerId}, admits it at its security profile (charging.ChargerAdmitter,
// before the upgrade; admit.go), negotiates the OCPP version (WebSocket
// subprotocol), keeps the registry of live connections and implements
// charging.Commander for the chargers connected to this node.
//
// A newer connection for a connected charger replaces the older one only
// after it was admitted: an authenticated one (profile 1 and up, rate
// limited per charger), or an unauthenticated one when a ping shows the
// older connection is dead. Strangers (unknown or Pending chargers) get a
// small frame limit, a boot deadline and a per-address budget (stranger.go,
// limits.go).
//
// A charger speaking OCPP over SOAP has no connection: while it is online
// the OCPP-S service attaches its Station (AttachSOAP, soap.go), so that
// the same commands reach it; between the two transports the newest wins.
//
// It knows OCPP versions only through the Protocol interface, which each
// version package (ocpp16, ocpp201) implements; it never imports the HTTP
// API, the store or the bus.
package gateway
