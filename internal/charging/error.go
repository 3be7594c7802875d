package charging

import (
	"errors"
	"fmt"
)

// Error codes. Each edge maps them once: httpapi to an HTTP status, the OCPP
// adapters to a CALLERROR code.
const (
	EINVALID     = "invalid"     // the request breaks a rule
	ENOTFOUND    = "not_found"   // no such charger, connector, session, ...
	ECONFLICT    = "conflict"    // the state does not allow it (connector busy, session not active)
	EUNAVAILABLE = "unavailable" // the charger is offline
	EREJECTED    = "rejected"    // the charger answered Rejected
	ETIMEOUT     = "timeout"     // the charger did not answer in time
	EINTERNAL    = "internal"    // a bug or a failed dependency
	// EUNPROCESSABLE: well-formed, but it contradicts an earlier request
	// (an Idempotency-Key reused for a different request).
	EUNPROCESSABLE = "unprocessable"
	// ESTORAGEFULL: the disk is full; nothing was written. Try again later.
	ESTORAGEFULL = "storage_full"
	// EPAYMENT: the payment was refused (a declined card, a wallet without
	// enough balance); nothing was started.
	EPAYMENT = "payment_required"
)

// Error is a domain error with a machine-readable code and a message meant
// for the person who made the request.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("charging: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic text for internal errors (their details are for the log, not the user).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
