package ocppj

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrorCode is a canonical CALLERROR code. The constants use the OCPP 2.0.1
// spelling; a Dialect renders a code with its version's spelling.
type ErrorCode string

// Canonical CALLERROR codes (OCPP-J 1.6 §4.2.3, OCPP 2.0.1 Part 4 §4.3).
const (
	NotImplemented                ErrorCode = "NotImplemented"
	NotSupported                  ErrorCode = "NotSupported"
	InternalError                 ErrorCode = "InternalError"
	ProtocolError                 ErrorCode = "ProtocolError"
	SecurityError                 ErrorCode = "SecurityError"
	FormatViolation               ErrorCode = "FormatViolation"               // 1.6: "FormationViolation"
	PropertyConstraintViolation   ErrorCode = "PropertyConstraintViolation"   // same in both
	OccurrenceConstraintViolation ErrorCode = "OccurrenceConstraintViolation" // 1.6: "OccurenceConstraintViolation"
	TypeConstraintViolation       ErrorCode = "TypeConstraintViolation"
	GenericError                  ErrorCode = "GenericError"
	MessageTypeNotSupported       ErrorCode = "MessageTypeNotSupported" // 2.0.1 only; 1.6 renders "FormationViolation"
	RpcFrameworkError             ErrorCode = "RpcFrameworkError"       // 2.0.1 only; 1.6 renders "FormationViolation"
)

// Dialect selects the OCPP-J version whose CALLERROR spelling a Conn uses.
type Dialect int

// Dialects.
const (
	Dialect16 Dialect = iota
	Dialect201
)

// String returns the WebSocket subprotocol name of the dialect.
func (d Dialect) String() string {
	switch d {
	case Dialect16:
		return "ocpp1.6"
	case Dialect201:
		return "ocpp2.0.1"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Name returns the wire spelling of c for the dialect. A code the dialect
// does not know is rendered as GenericError, so that only codes of the
// version's list go on the wire.
func (d Dialect) Name(c ErrorCode) string {
	if d == Dialect16 {
		switch c {
		case FormatViolation, MessageTypeNotSupported, RpcFrameworkError:
			// OCPP-J 1.6 has neither MessageTypeNotSupported nor
			// RpcFrameworkError; FormationViolation ("payload for action is
			// syntactically incorrect or not conform the PDU structure") is
			// the closest 1.6 code for a malformed frame.
			return "FormationViolation"
		case OccurrenceConstraintViolation:
			return "OccurenceConstraintViolation" // sic, OCPP-J 1.6 §4.2.3
		case NotImplemented, NotSupported, InternalError, ProtocolError, SecurityError,
			PropertyConstraintViolation, TypeConstraintViolation, GenericError:
			return string(c)
		}
		return string(GenericError)
	}
	switch c {
	case NotImplemented, NotSupported, InternalError, ProtocolError, SecurityError,
		FormatViolation, PropertyConstraintViolation, OccurrenceConstraintViolation,
		TypeConstraintViolation, GenericError, MessageTypeNotSupported, RpcFrameworkError:
		return string(c)
	}
	return string(GenericError)
}

// Parse maps a wire error code to its canonical code. It accepts the 1.6 and
// the 2.0.1 spellings in either dialect (peers mix them up); an unknown name
// becomes GenericError.
func (d Dialect) Parse(name string) ErrorCode {
	switch name {
	case "FormationViolation":
		return FormatViolation
	case "OccurenceConstraintViolation":
		return OccurrenceConstraintViolation
	}
	switch c := ErrorCode(name); c {
	case NotImplemented, NotSupported, InternalError, ProtocolError, SecurityError,
		FormatViolation, PropertyConstraintViolation, OccurrenceConstraintViolation,
		TypeConstraintViolation, GenericError, MessageTypeNotSupported, RpcFrameworkError:
		return c
	}
	return GenericError
}

// Error is a CALLERROR. A Handler returns one to answer a CALL with its code;
// Call returns one when the peer answered with a CALLERROR.
type Error struct {
	Code        ErrorCode
	Description string
	Details     json.RawMessage // a JSON object; nil is sent as {}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Description == "" {
		return "ocpp CALLERROR " + string(e.Code)
	}
	return "ocpp CALLERROR " + string(e.Code) + ": " + e.Description
}

// Errorf returns an *Error with code and a formatted description.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

var (
	// ErrTimeout is returned by Call when no answer arrived within
	// Options.CallTimeout.
	ErrTimeout = errors.New("ocppj: call timed out")
	// ErrClosed is returned by Call and Serve when the connection has ended
	// (or ends while waiting).
	ErrClosed = errors.New("ocppj: connection closed")
	// ErrBadAnswer is returned by Call when the peer answered the CALL with a
	// malformed CALLRESULT or CALLERROR frame (for example a payload that is
	// not a JSON object).
	ErrBadAnswer = errors.New("ocppj: malformed answer")
	// ErrNoSubprotocol is returned by Dial when subprotocols were offered and
	// the server selected none of them.
	ErrNoSubprotocol = errors.New("ocppj: server selected none of the offered subprotocols")
)
