// Package charging is Joule's version-independent model of chargers,
// connectors, charging sessions, meter samples and id tags, and the contracts
// (Store, EventBus, Commander, StationEvents) that the adapters implement.
//
// It does no I/O and imports only the standard library: storage, protocols
// and transports live in packages named after them (sqlite, ocpp16, httpapi).
package charging
