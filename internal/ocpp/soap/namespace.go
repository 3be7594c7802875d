package soap

import "strings"

// Namespaces of the envelope and of WS-Addressing.
const (
	// NSEnvelope is the SOAP 1.2 envelope namespace.
	NSEnvelope = "http://www.w3.org/2003/05/soap-envelope"
	// NSEnvelope11 is SOAP 1.1's, recognised only to answer VersionMismatch.
	NSEnvelope11 = "http://schemas.xmlsoap.org/soap/envelope/"
	// NSAddressing is WS-Addressing 1.0, the namespace the OCPP WSDLs import
	// as wsa.
	NSAddressing = "http://www.w3.org/2005/08/addressing"
	// Anonymous is WS-Addressing's address for "the back channel of this
	// HTTP exchange": a reply goes in the HTTP response.
	Anonymous = NSAddressing + "/anonymous"
	// ActionFault is the wsa:Action of a SOAP fault (WS-Addressing 1.0 SOAP
	// Binding §6: "http://www.w3.org/2005/08/addressing/soap/fault").
	ActionFault = NSAddressing + "/soap/fault"
)

// Version is an OCPP-S protocol version.
type Version string

// The OCPP versions this package recognises by namespace. OCPP 1.2 over
// SOAP (urn://Ocpp/Cs/2010/08/) is out of scope for issue 16.
const (
	V15 Version = "1.5"
	V16 Version = "1.6"
)

// Service says whose WSDL a body belongs to.
type Service string

const (
	// CentralSystem is the service a charger calls (BootNotification, ...):
	// Joule decodes its requests and encodes its responses.
	CentralSystem Service = "CentralSystem"
	// ChargePoint is the service a charger hosts (Reset, ...): Joule encodes
	// its requests and decodes its responses.
	ChargePoint Service = "ChargePoint"
)

// The target namespaces of the four WSDLs in ../shared/ocpp-wsdl.
const (
	NSCentralSystem15 = "urn://Ocpp/Cs/2012/06/"
	NSChargePoint15   = "urn://Ocpp/Cp/2012/06/"
	NSCentralSystem16 = "urn://Ocpp/Cs/2015/10/"
	NSChargePoint16   = "urn://Ocpp/Cp/2015/10/"
)

type nsKey struct {
	v Version
	s Service
}

var namespaces = map[string]nsKey{
	NSCentralSystem15: {V15, CentralSystem},
	NSChargePoint15:   {V15, ChargePoint},
	NSCentralSystem16: {V16, CentralSystem},
	NSChargePoint16:   {V16, ChargePoint},
}

// LookupNamespace reports the version and service of an OCPP-S target
// namespace.
func LookupNamespace(ns string) (Version, Service, bool) {
	k, ok := namespaces[ns]
	return k.v, k.s, ok
}

// Namespace returns the target namespace of version v's service s, or "" if
// there is none.
func Namespace(v Version, s Service) string {
	for ns, k := range namespaces {
		if k.v == v && k.s == s {
			return ns
		}
	}
	return ""
}

// RequestAction is the wsa:Action of operation op's input message. The WSDLs
// give "/" + operation name both as wsaw:Action and as soap12:operation
// soapAction (for example "/BootNotification"), in all four services.
func RequestAction(op string) string { return "/" + op }

// ResponseAction is the wsa:Action of operation op's output message: the
// WSDLs' wsaw:Action on wsdl:output, "/" + operation + "Response" (for
// example "/BootNotificationResponse").
func ResponseAction(op string) string { return "/" + op + "Response" }

// bodyElement is the local name of the body element for an operation: the
// WSDLs name each message element after the operation with a lower-case
// first letter and "Request" or "Response" (BootNotification →
// bootNotificationRequest, bootNotificationResponse). All 54 operations of
// the four WSDLs follow it.
func bodyElement(op string, response bool) string {
	if op == "" {
		return ""
	}
	name := strings.ToLower(op[:1]) + op[1:]
	if response {
		return name + "Response"
	}
	return name + "Request"
}

// parseAction splits a wsa:Action into operation and direction. It takes
// what follows the last "/", so "/Heartbeat" (the WSDLs' spelling) and the
// namespace-qualified "urn://Ocpp/Cs/2015/10/Heartbeat" some chargers send
// both name Heartbeat.
func parseAction(action string) (op string, response bool) {
	op = action[strings.LastIndex(action, "/")+1:]
	if base, ok := strings.CutSuffix(op, "Response"); ok && base != "" {
		return base, true
	}
	return op, false
}
