// Package ocppjson is the runtime of the decoders that ocppgen generates for
// each OCPP version: a single-pass JSON scanner over a byte slice and the
// schema checks (lengths, bounds, enumerations, formats) the generated code
// calls while it fills a struct. Errors carry the OCPP-J error code and the
// JSON path, and become *ocppj.Error at the end.
//
// It imports ocppj only: it knows no OCPP version, message or domain type.
// The generated code is its only intended caller; its API is shaped for that
// code, not for hand-written decoders.
package ocppjson
