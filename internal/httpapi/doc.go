// Package httpapi serves Joule's app API: REST under /api/v1 (chargers,
// connectors, sessions, meter values, generic OCPP commands, charger
// registration, credentials and certificates), live events as
// Server-Sent Events at /api/v1/events, the OpenAPI document at
// /api/v1/openapi.yaml, and the health endpoints /livez and /readyz.
//
// It is an edge: it decodes requests, calls a Service (implemented by
// csms), and maps charging error codes to RFC 9457 problem responses in one
// place (problem.go). The response shapes are the charging types' JSON tags.
//
// httpapi imports charging and the standard library only; it must not import
// csms, a store, a protocol package or another adapter (inmem, natsbus);
// cmd/joule wires them together.
package httpapi
