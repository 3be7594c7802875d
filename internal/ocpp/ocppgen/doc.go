// Command ocppgen generates Go message types with single-pass validating
// decoders from the Open Charge Alliance's OCPP JSON schemas.
//
// Input is one JSON file holding an array of draft-07 schemas whose $id is
// urn:<Action>.req / urn:<Action>.conf (OCPP 1.6) or
// urn:OCPP:...:<Action>Request / <Action>Response (OCPP 2.x). For every
// message it emits a struct <Action>Request / <Action>Response, one struct
// per distinct nested object, one string type with constants per distinct
// enumeration, and
//
//	func Decode<Action>Request(payload []byte) (*<Action>Request, *ocppj.Error)
//	func DecodeRequest(action string, payload []byte) (any, *ocppj.Error)
//	func DecodeResponse(action string, payload []byte) (any, *ocppj.Error)
//	func (m *T) Validate() *ocppj.Error // for values built in Go before sending
//	var Actions []string
//
// Decoding reads the bytes once with the small JSON scanner of package
// internal/ocpp/ocppjson, shared by every version, and validates while
// filling the struct; no reflection. Errors carry the OCPP-J error code and the JSON path, e.g.
// `meterValue[0].sampledValue[1].measurand: "Foo" is not one of the allowed
// values [...]`.
//
// Mapping rules:
//   - Required properties are values; optional properties are pointers (nil
//     = absent), except arrays, which are slices with omitempty. date-time is
//     time.Time (decoded values are normalized to UTC).
//   - Nested objects are named after their property (singular for array
//     items) or after their definition minus the "Type" suffix; objects with
//     the same structure share one type (StopTransaction's transactionData
//     is []MeterValue). A name clash with a different structure is resolved
//     by prefixing the action.
//   - Enumerations are named after their property ("status" and "type" get
//     the enclosing type or action as prefix, e.g. ResetType,
//     DataTransferStatus) or after their definition minus "Type"; the
//     optional -names JSON file renames derived names, e.g. to the names of
//     the OCPP 1.6 specification. Constants are <Type><Value> with
//     punctuation removed (MeasurandEnergyActiveImportRegister, PhaseL1N).
//   - Supported keywords: type, properties, required, additionalProperties
//     (false, or absent = extra properties are skipped), enum, maxLength,
//     minLength, minimum, maximum, multipleOf, format (date-time, uri),
//     items, minItems, maxItems, $ref to #/definitions/..., definitions.
//     Any other keyword makes the generator fail rather than silently not
//     validate it.
//
// Error codes (OCPP-J 4.2.3): wrong JSON type -> TypeConstraintViolation;
// missing required property, too few/many items ->
// OccurrenceConstraintViolation; enum, maxLength, minimum/maximum,
// multipleOf, format -> PropertyConstraintViolation; malformed JSON, payload
// not an object, property not allowed -> FormatViolation.
//
// To regenerate, run `go generate ./internal/ocpp/...` from the module root;
// each package has a generate.go with a line such as
//
//	//go:generate go run ../ocppgen -schemas schemas/ocpp1_6.json -names schemas/typenames.json -pkg ocpp16 -out messages_gen.go
package main
