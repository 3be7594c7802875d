// Package soapxsd is the runtime of the types wsdlgen generates for each
// OCPP SOAP version (ocpp15, ocpp16s): the operation table's types, the
// Message interface and the XML Schema checks the generated Validate
// methods call, with the error they report.
//
// It imports the standard library only and knows no OCPP version. The
// generated packages re-export Operation, Message and ValidationError as
// aliases, so callers may name either; the check functions are shaped for
// the generated code, not for hand-written validators.
package soapxsd
