// Package ocpp201 holds the OCPP 2.0.1 message types with single-pass
// validating decoders, generated from the Open Charge Alliance's JSON
// schemas in schemas/ (see schemas/README.md).
package ocpp201

// Regenerate messages_gen.go with `go generate`; the decoders it holds scan
// with package ocppjson.
//go:generate go run ../ocppgen -schemas schemas/ocpp2_0_1.json -pkg ocpp201 -out messages_gen.go
