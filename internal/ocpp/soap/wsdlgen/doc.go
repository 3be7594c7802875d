// Command wsdlgen generates Go types with encoding/xml tags and validation
// from the XML Schema embedded in OCPP's SOAP service descriptions, as
// ocppgen does from the OCA's JSON schemas.
//
// It reads the two WSDLs of one OCPP version, the central system's service
// (-cs) and the charge point's (-cp), and writes into -dir:
//
//   - centralsystem_gen.go: the types of the central system's schema, and
//     the declarations both files use (Operation, Message, ValidationError:
//     aliases of package soapxsd's types);
//   - chargepoint_gen.go: the types of the charge point's schema that the
//     central system's does not define identically;
//   - enums_gen_test.go: each enumeration's values, for the tests' example
//     builder.
//
// Mapping rules:
//   - simpleType with enumeration: a string type with one constant per
//     value (<Type><Value> with punctuation removed), <Type>Values and
//     IsValid. Other simpleTypes: a string type (maxLength, minLength) or a
//     float64 type (decimal with fractionDigits).
//   - complexType with a sequence: a struct, one field per element in
//     schema order; minOccurs 1 and maxOccurs 1 is a value, minOccurs 0 and
//     maxOccurs 1 a pointer with omitempty, maxOccurs > 1 a slice. An element
//     with an anonymous complexType gets a type named <Type><Element>.
//     simpleContent with attributes: the text in Value, each attribute a
//     field (a pointer when optional).
//   - A global element with a complex type makes that type a message: its
//     XMLName holds the element's namespace and name. Each operation of the
//     port type becomes an entry of <Role>Operations with the wsa:Action of
//     its input and output.
//   - Each struct gets Validate() error (exported for the messages' sake)
//     checking required elements, enumeration values, lengths, list sizes
//     and fraction digits, with the element's path in the error. The checks
//     are the functions of internal/ocpp/soap/soapxsd, written once for
//     every version package; the generated files declare no function of
//     their own, only methods.
//   - Names: the XML names in Go form with Go initialisms (idTag -> IDTag).
//     A charge-point type with the same name as a central-system type is
//     shared when both definitions are identical (documentation aside) and
//     neither is a message; otherwise it gets the prefix CP.
//
// Any construct, attribute or facet it does not implement (choice,
// nillable, a pattern facet, a built-in type outside string, anyURI, int,
// boolean, dateTime and decimal, ...) makes it fail rather than generate
// types that validate less than the schema says.
//
// Each version package has a generate.go with a line such as
//
//	//go:generate go run ../wsdlgen -cs ../wsdl/OCPP_CentralSystemService_1.6.wsdl -cp ../wsdl/OCPP_ChargePointService_1.6.wsdl -pkg ocpp16s
//
// and `go generate ./internal/ocpp/soap/...` regenerates all; a test of this
// package fails when the checked-in files differ from the generator's output.
package main
