// Package soap is Joule's OCPP-S envelope layer: SOAP 1.2 over HTTP with
// WS-Addressing 1.0, as OCPP 1.5 and 1.6 use it (the published WSDLs bind
// every operation with soap12:operation, wsaw:UsingAddressing and a literal
// chargeBoxIdentity header).
//
// It decodes an inbound envelope into a Message (addressing headers, the
// charger's identity, the OCPP version read from the body's namespace, and
// the body's single element as self-contained XML), encodes requests,
// responses and SOAP 1.2 faults, maps its decode errors to the fault a
// sender should get, and offers an HTTP client that posts one envelope and
// checks the answer's RelatesTo.
//
// It is to OCPP-S what internal/ocpp/ocppj is to OCPP-J: it knows nothing of
// what a message means, of chargers or of storage, and imports no Joule
// package. Bodies stay raw XML; the generated per-version packages
// (internal/ocpp/soap/ocpp15, ocpp16s) unmarshal them.
package soap
