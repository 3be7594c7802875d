package soap

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SOAP 1.2 fault codes (Part 1 §5.4.6): the env:Code/env:Value of a fault.
const (
	CodeVersionMismatch     = "VersionMismatch"
	CodeMustUnderstand      = "MustUnderstand"
	CodeDataEncodingUnknown = "DataEncodingUnknown"
	CodeSender              = "Sender"
	CodeReceiver            = "Receiver"
)

// OCPP fault subcodes. OCPP-S refines Sender and Receiver with a subcode
// qualified by the OCPP namespace of the message. The names are those the
// OCPP 1.5 specification lists for SOAP faults, which OCPP-J 1.6 later took
// over as its CALLERROR codes (keeping the "Occurence" spelling), plus
// IdentityMismatch, which OCPP 1.x SOAP names for a chargeBoxIdentity the
// central system does not accept. They were chosen from the WSDLs and from
// the specifications as remembered, without the spec text at hand: check
// them against the OCPP 1.5 and OCPP-S 1.6 documents before relying on a
// charger parsing them.
const (
	SubcodeNotImplemented               = "NotImplemented"
	SubcodeNotSupported                 = "NotSupported"
	SubcodeInternalError                = "InternalError"
	SubcodeProtocolError                = "ProtocolError"
	SubcodeSecurityError                = "SecurityError"
	SubcodeFormationViolation           = "FormationViolation"
	SubcodePropertyConstraintViolation  = "PropertyConstraintViolation"
	SubcodeOccurenceConstraintViolation = "OccurenceConstraintViolation"
	SubcodeTypeConstraintViolation      = "TypeConstraintViolation"
	SubcodeGenericError                 = "GenericError"
	SubcodeIdentityMismatch             = "IdentityMismatch"
)

// WS-Addressing 1.0 SOAP Binding §6.4 fault subcodes, in NSAddressing. They
// are the standard answer to addressing problems, which OCPP-S does not
// redefine.
const (
	SubcodeInvalidAddressingHeader         = "InvalidAddressingHeader"
	SubcodeActionMismatch                  = "ActionMismatch"
	SubcodeMessageAddressingHeaderRequired = "MessageAddressingHeaderRequired"
	SubcodeActionNotSupported              = "ActionNotSupported"
)

// Fault is a SOAP 1.2 fault. It is an error: Client.Call returns the
// fault a peer answered, and a server encodes one with EncodeFault.
type Fault struct {
	// Code is one of the Code* constants.
	Code string
	// Subcodes refine Code, outermost first (env:Subcode nests).
	Subcodes []xml.Name
	// Reason is the human-readable env:Reason/env:Text, in English.
	Reason string
}

func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("soap fault ")
	b.WriteString(f.Code)
	for _, s := range f.Subcodes {
		b.WriteByte('/')
		b.WriteString(s.Local)
	}
	if f.Reason != "" {
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	return b.String()
}

// Subcode returns the local name of the innermost subcode, or "".
func (f *Fault) Subcode() string {
	if len(f.Subcodes) == 0 {
		return ""
	}
	return f.Subcodes[len(f.Subcodes)-1].Local
}

// HTTPStatus is the status a fault goes out with (SOAP 1.2 Part 2 §7.5.1.2,
// Table 20): 400 for a Sender fault, 500 for every other.
func (f *Fault) HTTPStatus() int {
	if f.Code == CodeSender {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// SenderFault is a fault for a message the peer got wrong. ns qualifies the
// OCPP subcode (the message's OCPP namespace; "" if unknown).
func SenderFault(ns, subcode, reason string) *Fault {
	return &Fault{Code: CodeSender, Subcodes: []xml.Name{{Space: ns, Local: subcode}}, Reason: reason}
}

// ReceiverFault is a fault for a message the receiver failed to process,
// such as a store error: the peer may send it again.
func ReceiverFault(ns, subcode, reason string) *Fault {
	return &Fault{Code: CodeReceiver, Subcodes: []xml.Name{{Space: ns, Local: subcode}}, Reason: reason}
}

// ActionNotSupported is the fault for an operation the receiver does not
// serve (WS-Addressing 1.0 SOAP Binding §6.4.4, Sender /
// wsa:ActionNotSupported).
func ActionNotSupported(action string) *Fault {
	return &Fault{
		Code:     CodeSender,
		Subcodes: []xml.Name{{Space: NSAddressing, Local: SubcodeActionNotSupported}},
		Reason:   fmt.Sprintf("action %q is not supported", action),
	}
}

// FaultFor maps an error from Decode or ReadRequest to the fault that
// answers it; ns is the message's OCPP namespace if it is known (""
// otherwise). The charger's mistakes are Sender faults; an error this
// package did not produce is a Receiver InternalError.
func FaultFor(err error, ns string) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	reason := err.Error()
	switch {
	case errors.Is(err, ErrNotSOAP12):
		// SOAP 1.2 Part 1 §5.4.8: a root that is not a 1.2 env:Envelope
		// (typically a SOAP 1.1 one) gets VersionMismatch.
		return &Fault{Code: CodeVersionMismatch, Reason: reason}
	case errors.Is(err, ErrMustUnderstand):
		return &Fault{Code: CodeMustUnderstand, Reason: reason}
	case errors.Is(err, ErrMalformed):
		// OCPP's name for a payload that is not syntactically correct.
		return SenderFault(ns, SubcodeFormationViolation, reason)
	case errors.Is(err, ErrNoBody), errors.Is(err, ErrManyBodies),
		errors.Is(err, ErrTooLarge), errors.Is(err, ErrContentType):
		// The message is well-formed XML but not an OCPP message.
		return SenderFault(ns, SubcodeProtocolError, reason)
	case errors.Is(err, ErrUnknownNamespace):
		// A namespace Joule does not know is a protocol version it does
		// not support (OCPP 1.2, or a typo).
		return SenderFault(ns, SubcodeNotSupported, reason)
	case errors.Is(err, ErrNoIdentity):
		// A missing identity and an unknown one get the same answer, so a
		// charger learns to check its configured identity either way.
		return SenderFault(ns, SubcodeIdentityMismatch, reason)
	case errors.Is(err, ErrNoAction):
		return &Fault{Code: CodeSender, Subcodes: []xml.Name{{Space: NSAddressing, Local: SubcodeMessageAddressingHeaderRequired}}, Reason: reason}
	case errors.Is(err, ErrActionMismatch):
		// WS-Addressing 1.0 SOAP Binding §6.4.1: InvalidAddressingHeader,
		// refined by ActionMismatch.
		return &Fault{Code: CodeSender, Subcodes: []xml.Name{
			{Space: NSAddressing, Local: SubcodeInvalidAddressingHeader},
			{Space: NSAddressing, Local: SubcodeActionMismatch},
		}, Reason: reason}
	}
	return ReceiverFault(ns, SubcodeInternalError, "internal error")
}

// readFault reads an env:Fault whose start tag was just read. scope holds
// the start tags enclosing it, whose namespace declarations resolve the
// QNames in env:Value.
func readFault(d *xml.Decoder, scope []xml.StartElement) (*Fault, error) {
	f := &Fault{}
	stack := append([]xml.StartElement(nil), scope...)
	inCode := false
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return nil, malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			stack = append(stack, t)
			if t.Name.Space != NSEnvelope {
				if err := d.Skip(); err != nil { // env:Detail content, extensions
					return nil, malformed(err)
				}
				depth--
				stack = stack[:len(stack)-1]
				continue
			}
			switch t.Name.Local {
			case "Code":
				inCode = true
			case "Value":
				s, err := text(d)
				if err != nil {
					return nil, err
				}
				depth--
				q := resolveQName(s, stack)
				stack = stack[:len(stack)-1]
				switch {
				case !inCode:
				case f.Code == "":
					f.Code = q.Local
				default:
					f.Subcodes = append(f.Subcodes, q)
				}
			case "Text":
				s, err := text(d)
				if err != nil {
					return nil, err
				}
				depth--
				stack = stack[:len(stack)-1]
				if f.Reason == "" {
					f.Reason = s
				}
			case "Detail":
				if err := d.Skip(); err != nil {
					return nil, malformed(err)
				}
				depth--
				stack = stack[:len(stack)-1]
			}
		case xml.EndElement:
			depth--
			stack = stack[:len(stack)-1]
			if t.Name.Space == NSEnvelope && t.Name.Local == "Code" {
				inCode = false
			}
		}
	}
	if f.Code == "" {
		return nil, decodeErr(ErrNotSOAP12, "env:Fault without env:Code/env:Value")
	}
	return f, nil
}

// resolveQName resolves "prefix:local" against the namespace declarations
// of the enclosing start tags, innermost first.
func resolveQName(s string, stack []xml.StartElement) xml.Name {
	prefix, local, ok := strings.Cut(s, ":")
	if !ok {
		prefix, local = "", s
	}
	for i := len(stack) - 1; i >= 0; i-- {
		for _, a := range stack[i].Attr {
			if (prefix != "" && a.Name.Space == "xmlns" && a.Name.Local == prefix) ||
				(prefix == "" && a.Name.Space == "" && a.Name.Local == "xmlns") {
				return xml.Name{Space: a.Value, Local: local}
			}
		}
	}
	return xml.Name{Local: local}
}
