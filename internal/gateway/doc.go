// Package gateway is the chargers' WebSocket server: it accepts a charger at
// /ocpp/{chargerId}, negotiates the OCPP version (WebSocket subprotocol),
// keeps the registry of live connections (a newer connection for the same
// charger replaces the older one) and implements charging.Commander for the
// chargers connected to this node.
//
// It knows OCPP versions only through the Protocol interface, which each
// version package (ocpp16, later ocpp201) implements; it never imports the
// HTTP API, the store or the bus.
package gateway
