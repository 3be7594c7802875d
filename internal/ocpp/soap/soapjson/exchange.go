package soapjson

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapxsd"
)

// This file is what both ends of an OCPP-S exchange share when they serve
// a request through an OCPP-J 1.6 handler: Joule's central-system service
// (soapcs) and the simulator's charge-point service (sim). Reading and
// checking a request, building the answer, and translating CALLERRORs and
// faults each way are written once, here.

// ReadRequest reads a request to a service of kind svc: the envelope, the
// operation of its version, and the typed body checked against the
// version's WSDL. check, when not nil, runs on the envelope before the
// operation is looked up (an identity, a version); the fault it returns is
// answered. On failure the fault to answer is returned with msg as far as
// it could be read (nil when the envelope could not be).
func ReadRequest(r *http.Request, svc soap.Service, maxBytes int64, check func(*soap.Message) *soap.Fault) (*soap.Message, Operation, Body, *soap.Fault) {
	msg, err := soap.ReadRequest(r, maxBytes)
	if err != nil {
		ns := ""
		if msg != nil {
			if _, _, ok := soap.LookupNamespace(msg.Body.Space); ok {
				ns = msg.Body.Space
			}
		}
		return msg, Operation{}, nil, soap.FaultFor(err, ns)
	}
	if msg.Fault != nil || msg.Response || msg.Service != svc {
		// A fault, a response, or a message of the other side's service:
		// none is a request this service answers.
		return msg, Operation{}, nil, soap.ActionNotSupported(msg.Action)
	}
	if check != nil {
		if f := check(msg); f != nil {
			return msg, Operation{}, nil, f
		}
	}
	o, ok := Lookup(msg.Version, svc, msg.Operation)
	if !ok {
		return msg, o, nil, soap.ActionNotSupported(msg.Action)
	}
	ns := msg.Body.Space
	body := o.NewRequest()
	if err := msg.UnmarshalBody(body); err != nil {
		// encoding/xml fails on a value of the wrong type (a word where
		// an integer or a dateTime belongs).
		return msg, o, nil, soap.SenderFault(ns, soap.SubcodeTypeConstraintViolation, err.Error())
	}
	if err := body.Validate(); err != nil {
		return msg, o, nil, soap.SenderFault(ns, ValidationSubcode(err), err.Error())
	}
	return msg, o, body, nil
}

// ValidationSubcode names the OCPP fault for a body its schema forbids: a
// missing element, or too few or too many, is an occurrence violation; any
// other value out of bounds a property one.
func ValidationSubcode(err error) string {
	if v, ok := errors.AsType[*soapxsd.ValidationError](err); ok && v.Occurrence {
		return soap.SubcodeOccurenceConstraintViolation
	}
	return soap.SubcodePropertyConstraintViolation
}

// RequestJSONFault is the fault for a request ToJSON could not convert: a
// value valid in 1.5 that the 1.6 handler cannot take (a string longer
// than 1.6 allows) is the sender's to fix; anything else is an internal
// error, which the caller logs. internal says which.
func RequestJSONFault(ns string, err error) (f *soap.Fault, internal bool) {
	var u *UnsupportedError
	if errors.As(err, &u) {
		return soap.SenderFault(ns, soap.SubcodePropertyConstraintViolation, u.Error()), false
	}
	return soap.ReceiverFault(ns, soap.SubcodeInternalError, "internal error"), true
}

// Response turns a 1.6 handler's answer (a value that marshals to the
// operation's 1.6 JSON response) into the version's typed response,
// checked against its WSDL, so that the peer never gets a body its WSDL
// forbids. An answer 1.5 cannot say is an *UnsupportedError.
func Response(o Operation, out any) (Body, error) {
	payload, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	resp := o.NewResponse()
	if err := FromJSON(payload, resp); err != nil {
		return nil, err
	}
	return resp, resp.Validate()
}

// CallErrorFault is the fault for a handler's refusal: the CALLERROR an
// OCPP-J peer would get, under its 1.6 name (FormationViolation,
// OccurenceConstraintViolation, ...). InternalError and GenericError are
// the answering side's own trouble (Receiver, which the sender may retry);
// the others say the request was wrong (Sender). An error that is no
// CALLERROR is an InternalError.
func CallErrorFault(ns string, err error) *soap.Fault {
	var ce *ocppj.Error
	if !errors.As(err, &ce) {
		return soap.ReceiverFault(ns, soap.SubcodeInternalError, "internal error")
	}
	name := ocppj.Dialect16.Name(ce.Code)
	reason := ce.Description
	if reason == "" {
		reason = name
	}
	if ce.Code == ocppj.InternalError || ce.Code == ocppj.GenericError {
		return soap.ReceiverFault(ns, name, reason)
	}
	return soap.SenderFault(ns, name, reason)
}

// FaultCallError is CallErrorFault's reverse: the CALLERROR an OCPP-J
// caller would have got for a fault. Its OCPP subcode names it (1.6
// spellings such as FormationViolation are read too), and
// wsa:ActionNotSupported is NotSupported. A fault without a known OCPP
// subcode is read from its SOAP code: a Receiver failed (InternalError,
// which the caller may retry), an envelope the peer could not take is a
// FormatViolation, anything else a GenericError.
func FaultCallError(f *soap.Fault) *ocppj.Error {
	reason := f.Reason
	if reason == "" {
		reason = f.Error()
	}
	sub := f.Subcode()
	switch sub {
	case soap.SubcodeActionNotSupported, soap.SubcodeNotSupported:
		return &ocppj.Error{Code: ocppj.NotSupported, Description: reason}
	}
	if code := ocppj.Dialect16.Parse(sub); code != ocppj.GenericError || sub == string(ocppj.GenericError) {
		return &ocppj.Error{Code: code, Description: reason}
	}
	switch f.Code {
	case soap.CodeReceiver:
		return &ocppj.Error{Code: ocppj.InternalError, Description: reason}
	case soap.CodeVersionMismatch, soap.CodeMustUnderstand, soap.CodeDataEncodingUnknown:
		return &ocppj.Error{Code: ocppj.FormatViolation, Description: reason}
	}
	return &ocppj.Error{Code: ocppj.GenericError, Description: reason}
}
