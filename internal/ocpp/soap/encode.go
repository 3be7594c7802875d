package soap

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
)

// ContentType is the Content-Type of every envelope this package sends
// (SOAP 1.2 Part 2 §7.1.4; RFC 3902 registers application/soap+xml).
const ContentType = "application/soap+xml; charset=utf-8"

// RawXML is a body given as bytes: one XML element, written verbatim.
type RawXML []byte

// Request is an outbound call to a peer's service: Joule calling a
// charger's ChargePoint service, or a simulated charger calling Joule's
// CentralSystem service.
type Request struct {
	// Namespace is the OCPP namespace of the service called; it qualifies
	// the chargeBoxIdentity header (NSChargePoint16, ...).
	Namespace string
	// Operation is the WSDL operation ("RemoteStartTransaction").
	Operation string
	// ChargeBoxIdentity names the charger in the header that every input
	// message of the WSDLs binds.
	ChargeBoxIdentity string
	// To is the address of the service called.
	To string
	// From is the caller's own service address, sent as wsa:From. A
	// charger sends it so that the central system can call it back; Joule
	// leaves it empty.
	From string
	// MessageID is wsa:MessageID; empty means a new urn:uuid.
	MessageID string
	// Body is the input message element: RawXML, or a value encoding/xml
	// marshals (whose XMLName carries the OCPP namespace).
	Body any
}

// Response is the answer to a request, sent in the HTTP response.
type Response struct {
	// Operation is the operation answered ("BootNotification"); the action
	// becomes "/BootNotificationResponse".
	Operation string
	// RelatesTo is the request's wsa:MessageID.
	RelatesTo string
	// To is wsa:To; empty means Anonymous, the HTTP back channel. OCPP's
	// exchanges are synchronous, so the answer goes there even when the
	// request's wsa:ReplyTo names another address.
	To string
	// Body is the output message element, as for Request.Body.
	Body any
}

// Reply returns the Response to m carrying body.
func (m *Message) Reply(body any) Response {
	return Response{Operation: m.Operation, RelatesTo: m.MessageID, Body: body}
}

// NewMessageID returns a WS-Addressing message id: a random (version 4)
// UUID as a urn:uuid URI, the form WS-Addressing 1.0 examples and SOAP
// stacks use.
func NewMessageID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// EncodeRequest returns the envelope of r and its wsa:MessageID.
func EncodeRequest(r Request) (data []byte, messageID string, err error) {
	if r.Operation == "" {
		return nil, "", errors.New("soap: request without operation")
	}
	if r.Namespace == "" || r.ChargeBoxIdentity == "" {
		return nil, "", errors.New("soap: request without namespace or chargeBoxIdentity")
	}
	body, err := marshalBody(r.Body)
	if err != nil {
		return nil, "", err
	}
	id := r.MessageID
	if id == "" {
		id = NewMessageID()
	}
	var b bytes.Buffer
	open(&b)
	b.WriteString(`<ocpp:chargeBoxIdentity xmlns:ocpp="`)
	escape(&b, r.Namespace)
	b.WriteString(`">`)
	escape(&b, r.ChargeBoxIdentity)
	b.WriteString(`</ocpp:chargeBoxIdentity>`)
	wsa(&b, "Action", RequestAction(r.Operation))
	wsa(&b, "MessageID", id)
	if r.To != "" {
		wsa(&b, "To", r.To)
	}
	if r.From != "" {
		endpoint(&b, "From", r.From)
	}
	// The answer comes back on the same HTTP exchange.
	endpoint(&b, "ReplyTo", Anonymous)
	closeHeader(&b, body)
	return b.Bytes(), id, nil
}

// EncodeResponse returns the envelope of r. OCPP's output messages carry no
// chargeBoxIdentity: the WSDLs bind that header on inputs only.
func EncodeResponse(r Response) ([]byte, error) {
	if r.Operation == "" {
		return nil, errors.New("soap: response without operation")
	}
	body, err := marshalBody(r.Body)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	open(&b)
	wsa(&b, "Action", ResponseAction(r.Operation))
	wsa(&b, "MessageID", NewMessageID())
	if r.RelatesTo != "" {
		wsa(&b, "RelatesTo", r.RelatesTo)
	}
	to := r.To
	if to == "" {
		to = Anonymous
	}
	wsa(&b, "To", to)
	closeHeader(&b, body)
	return b.Bytes(), nil
}

// EncodeFault returns the envelope of a fault answering the message whose
// wsa:MessageID is relatesTo ("" if unknown, for example in malformed XML).
func EncodeFault(f *Fault, relatesTo string) []byte {
	var b bytes.Buffer
	open(&b)
	wsa(&b, "Action", ActionFault)
	wsa(&b, "MessageID", NewMessageID())
	if relatesTo != "" {
		wsa(&b, "RelatesTo", relatesTo)
	}
	wsa(&b, "To", Anonymous)
	b.WriteString(`</env:Header><env:Body><env:Fault><env:Code><env:Value>env:`)
	escape(&b, f.Code)
	b.WriteString(`</env:Value>`)
	for _, s := range f.Subcodes {
		b.WriteString(`<env:Subcode><env:Value`)
		if s.Space != "" {
			b.WriteString(` xmlns:c="`)
			escape(&b, s.Space)
			b.WriteString(`">c:`)
		} else {
			b.WriteString(`>`)
		}
		escape(&b, s.Local)
		b.WriteString(`</env:Value>`)
	}
	for range f.Subcodes {
		b.WriteString(`</env:Subcode>`)
	}
	b.WriteString(`</env:Code><env:Reason><env:Text xml:lang="en">`)
	escape(&b, f.Reason)
	b.WriteString(`</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`)
	return b.Bytes()
}

func marshalBody(v any) ([]byte, error) {
	switch b := v.(type) {
	case nil:
		return nil, errors.New("soap: no body")
	case RawXML:
		return b, nil
	case []byte:
		return b, nil
	}
	out, err := xml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("soap: marshal body: %w", err)
	}
	return out, nil
}

func open(b *bytes.Buffer) {
	b.WriteString(xml.Header)
	b.WriteString(`<env:Envelope xmlns:env="` + NSEnvelope + `" xmlns:wsa="` + NSAddressing + `"><env:Header>`)
}

func closeHeader(b *bytes.Buffer, body []byte) {
	b.WriteString(`</env:Header><env:Body>`)
	b.Write(body)
	b.WriteString(`</env:Body></env:Envelope>`)
}

func wsa(b *bytes.Buffer, name, value string) {
	b.WriteString(`<wsa:` + name + `>`)
	escape(b, value)
	b.WriteString(`</wsa:` + name + `>`)
}

func endpoint(b *bytes.Buffer, name, address string) {
	b.WriteString(`<wsa:` + name + `><wsa:Address>`)
	escape(b, address)
	b.WriteString(`</wsa:Address></wsa:` + name + `>`)
}

func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}

// WriteResponse encodes r and writes it as a 200 answer.
func WriteResponse(w http.ResponseWriter, r Response) error {
	data, err := EncodeResponse(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}

// WriteFault writes f as the answer to the message whose wsa:MessageID is
// relatesTo, with the status SOAP 1.2's HTTP binding gives it.
func WriteFault(w http.ResponseWriter, f *Fault, relatesTo string) error {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(f.HTTPStatus())
	_, err := w.Write(EncodeFault(f, relatesTo))
	return err
}
