package ocpp16

// messages_gen.go is generated from the Open Charge
// Alliance's OCPP 1.6 JSON schemas (schemas/ocpp1_6.json, see
// schemas/README.md); schemas/typenames.json maps derived type names to the
// OCPP 1.6 specification's names. Regenerate with `go generate`.
//go:generate go run ../ocppgen -schemas schemas/ocpp1_6.json -names schemas/typenames.json -pkg ocpp16 -out messages_gen.go
