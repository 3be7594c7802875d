package soapjson

import (
	"errors"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
)

// TestCallErrorFaultRoundTrip: a CALLERROR answered as a fault comes back
// as the same CALLERROR on the other side (the 1.6 codes; 2.0.1's
// MessageTypeNotSupported and RpcFrameworkError have no 1.6 name and come
// back as FormatViolation), with Receiver only for the answering side's own
// trouble.
func TestCallErrorFaultRoundTrip(t *testing.T) {
	for _, c := range []struct {
		code     ocppj.ErrorCode
		want     ocppj.ErrorCode
		receiver bool
	}{
		{ocppj.NotImplemented, ocppj.NotImplemented, false},
		{ocppj.NotSupported, ocppj.NotSupported, false},
		{ocppj.InternalError, ocppj.InternalError, true},
		{ocppj.ProtocolError, ocppj.ProtocolError, false},
		{ocppj.SecurityError, ocppj.SecurityError, false},
		{ocppj.FormatViolation, ocppj.FormatViolation, false},
		{ocppj.PropertyConstraintViolation, ocppj.PropertyConstraintViolation, false},
		{ocppj.OccurrenceConstraintViolation, ocppj.OccurrenceConstraintViolation, false},
		{ocppj.TypeConstraintViolation, ocppj.TypeConstraintViolation, false},
		{ocppj.GenericError, ocppj.GenericError, true},
		{ocppj.RpcFrameworkError, ocppj.FormatViolation, false},
	} {
		f := CallErrorFault(soap.NSChargePoint16, &ocppj.Error{Code: c.code, Description: "why"})
		if (f.Code == soap.CodeReceiver) != c.receiver {
			t.Errorf("%s: fault code %s, want Receiver %v", c.code, f.Code, c.receiver)
		}
		if got := FaultCallError(f); got.Code != c.want || got.Description != "why" {
			t.Errorf("%s: back as %s %q, want %s \"why\"", c.code, got.Code, got.Description, c.want)
		}
	}
	// An error that is no CALLERROR is the answering side's internal error.
	if f := CallErrorFault(soap.NSChargePoint16, errors.New("boom")); f.Code != soap.CodeReceiver || f.Subcode() != soap.SubcodeInternalError || f.Reason == "boom" {
		t.Errorf("a plain error = %v, want a Receiver InternalError that does not leak the error", f)
	}
}
