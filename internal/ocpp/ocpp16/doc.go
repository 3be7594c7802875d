// Package ocpp16 is OCPP 1.6J: the typed messages and their validation,
// generated from the Open Charge Alliance's JSON schemas (messages_gen.go,
// see generate.go), and the adapter that translates them to and from the
// version-independent domain (Station).
//
// It imports ocppj and charging, and ocppjson (the generated decoders'
// scanner) and ocppdomain (the translation both versions share) — never
// ocpp201, the gateway, the store or the HTTP API.
package ocpp16
