package soap

import "errors"

// Decode errors. Each is returned wrapped in a *DecodeError, so callers test
// with errors.Is(err, soap.ErrNoIdentity); FaultFor maps each to the fault
// the sender should get.
var (
	// ErrTooLarge: the envelope is longer than the reader's limit.
	ErrTooLarge = errors.New("envelope too large")
	// ErrContentType: the HTTP Content-Type is neither SOAP 1.2's
	// application/soap+xml nor the text/xml some chargers send.
	ErrContentType = errors.New("unsupported content type")
	// ErrMalformed: the bytes are not well-formed XML (or carry a DTD,
	// which SOAP 1.2 §5 forbids).
	ErrMalformed = errors.New("malformed XML")
	// ErrNotSOAP12: the root is not a SOAP 1.2 env:Envelope (a SOAP 1.1
	// envelope, or no envelope at all).
	ErrNotSOAP12 = errors.New("not a SOAP 1.2 envelope")
	// ErrNoBody: the envelope has no env:Body or an empty one.
	ErrNoBody = errors.New("missing body")
	// ErrManyBodies: env:Body holds more than one element; OCPP's
	// document/literal binding puts exactly one there.
	ErrManyBodies = errors.New("several body elements")
	// ErrUnknownNamespace: the body element is in no OCPP 1.5 or 1.6
	// namespace, so the version is unknown.
	ErrUnknownNamespace = errors.New("unknown OCPP namespace")
	// ErrNoIdentity: a request without the chargeBoxIdentity header that
	// every operation of the WSDLs binds.
	ErrNoIdentity = errors.New("missing chargeBoxIdentity")
	// ErrNoAction: no wsa:Action header (required by WS-Addressing 1.0 and
	// wsaw:UsingAddressing in the WSDLs).
	ErrNoAction = errors.New("missing wsa:Action")
	// ErrActionMismatch: wsa:Action names another operation than the body
	// element, or differs from the HTTP action parameter.
	ErrActionMismatch = errors.New("action does not match")
	// ErrMustUnderstand: a header block marked env:mustUnderstand that this
	// package does not process (SOAP 1.2 §5.2.3).
	ErrMustUnderstand = errors.New("header not understood")
)

// DecodeError is an envelope that could not be decoded: Kind is one of the
// Err* values above, Detail says what exactly.
type DecodeError struct {
	Kind   error
	Detail string
}

func (e *DecodeError) Error() string {
	if e.Detail == "" {
		return "soap: " + e.Kind.Error()
	}
	return "soap: " + e.Kind.Error() + ": " + e.Detail
}

func (e *DecodeError) Unwrap() error { return e.Kind }

func decodeErr(kind error, detail string) error {
	return &DecodeError{Kind: kind, Detail: detail}
}
