package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBytes bounds an envelope when the caller gives no limit. The
// largest OCPP 1.6 messages (a SendLocalList or a MeterValues with many
// samples) stay well below it.
const DefaultMaxBytes = 1 << 20

// Message is one decoded envelope.
type Message struct {
	// ContentType is the HTTP media type the envelope came with
	// ("application/soap+xml", or "text/xml" from a lenient charger); empty
	// when decoded from bytes alone. HTTPAction is the Content-Type's action
	// parameter, if any.
	ContentType string
	HTTPAction  string

	// WS-Addressing headers, as sent. From and ReplyTo are the Address
	// children of wsa:From and wsa:ReplyTo: a charger's own service address
	// travels in From.
	Action    string
	MessageID string
	RelatesTo string
	From      string
	ReplyTo   string
	To        string

	// ChargeBoxIdentity is the OCPP header naming the charger.
	ChargeBoxIdentity string

	// Version and Service come from the body element's namespace.
	Version Version
	Service Service
	// Operation is the WSDL operation ("BootNotification"), from wsa:Action;
	// Response says the body is the operation's output message.
	Operation string
	Response  bool

	// Body is the body element's name; BodyXML the element itself,
	// re-serialised so that it declares every namespace it uses and can be
	// passed to xml.Unmarshal on its own. Empty for a fault.
	Body    xml.Name
	BodyXML []byte

	// Fault is set when the body is an env:Fault; the fields above that
	// describe the body are then empty.
	Fault *Fault
}

// UnmarshalBody decodes the body element into v.
func (m *Message) UnmarshalBody(v any) error {
	if m.Fault != nil {
		return m.Fault
	}
	return xml.Unmarshal(m.BodyXML, v)
}

// ReadRequest reads and decodes the envelope of an HTTP request (or of any
// message with a Content-Type and a body), reading at most max bytes
// (DefaultMaxBytes if max <= 0).
func ReadRequest(r *http.Request, max int64) (*Message, error) {
	return read(r.Header.Get("Content-Type"), r.Body, max)
}

func read(contentType string, body io.Reader, max int64) (*Message, error) {
	media, action, err := parseContentType(contentType)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(body, max)
	if err != nil {
		return nil, err
	}
	m, err := Decode(data)
	if m != nil {
		m.ContentType, m.HTTPAction = media, action
	}
	if err != nil {
		return m, err
	}
	// WS-Addressing 1.0 SOAP Binding §5.1: when both are present the SOAP 1.2
	// action parameter and wsa:Action must be equal.
	if action != "" && m.Action != "" && action != m.Action {
		return m, decodeErr(ErrActionMismatch, fmt.Sprintf("HTTP action %q, wsa:Action %q", action, m.Action))
	}
	return m, nil
}

func parseContentType(ct string) (media, action string, err error) {
	media, params, perr := mime.ParseMediaType(ct)
	if perr != nil {
		return "", "", decodeErr(ErrContentType, fmt.Sprintf("%q: %v", ct, perr))
	}
	switch media {
	case "application/soap+xml":
	case "text/xml":
		// SOAP 1.1's media type. Some 1.5 chargers send it with a 1.2
		// envelope; the envelope's namespace decides, and ContentType
		// records what came so the gateway can log it.
	default:
		return "", "", decodeErr(ErrContentType, fmt.Sprintf("%q", media))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return "", "", decodeErr(ErrContentType, fmt.Sprintf("charset %q, only utf-8 is supported", cs))
	}
	return media, params["action"], nil
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("soap: read envelope: %w", err)
	}
	if int64(len(data)) > max {
		return nil, decodeErr(ErrTooLarge, fmt.Sprintf("more than %d bytes", max))
	}
	return data, nil
}

// Decode decodes one envelope. On a *DecodeError found after the headers
// were read, the returned Message holds what was read (MessageID, Version),
// so that the fault can name the message it answers.
func Decode(data []byte) (*Message, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	root, err := rootElement(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Space != NSEnvelope || root.Name.Local != "Envelope" {
		return nil, decodeErr(ErrNotSOAP12, fmt.Sprintf("root element {%s}%s", root.Name.Space, root.Name.Local))
	}
	m := &Message{}
	var (
		identities    []xml.Name // namespaces of chargeBoxIdentity headers
		identityText  []string
		notUnderstood string
		sawBody       bool
		sawHeader     bool
		bodies        int
	)
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, malformed(err)
		}
		switch t := tok.(type) {
		case xml.EndElement: // </env:Envelope>
			if err := expectEOF(d); err != nil {
				return nil, err
			}
			if !sawBody || bodies == 0 {
				return m, decodeErr(ErrNoBody, "")
			}
			return finish(m, identities, identityText, notUnderstood)
		case xml.StartElement:
			if t.Name.Space != NSEnvelope {
				return nil, decodeErr(ErrNotSOAP12, fmt.Sprintf("unexpected {%s}%s in env:Envelope", t.Name.Space, t.Name.Local))
			}
			switch t.Name.Local {
			case "Header":
				if sawBody || sawHeader {
					return nil, decodeErr(ErrNotSOAP12, "env:Header after env:Body or twice")
				}
				sawHeader = true
				h, err := readHeader(d, m)
				if err != nil {
					return nil, err
				}
				identities, identityText, notUnderstood = h.idNames, h.idTexts, h.notUnderstood
			case "Body":
				if sawBody {
					return nil, decodeErr(ErrNotSOAP12, "two env:Body elements")
				}
				sawBody = true
				n, err := readBody(d, m, []xml.StartElement{root, t})
				if err != nil {
					return m, err
				}
				bodies = n
			default:
				return nil, decodeErr(ErrNotSOAP12, "unexpected env:"+t.Name.Local)
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, decodeErr(ErrMalformed, "text in env:Envelope")
			}
		case xml.Directive:
			return nil, decodeErr(ErrMalformed, "directive in envelope")
		}
	}
}

// rootElement skips the prolog (XML declaration, comments, white space) and
// returns the root element. A DOCTYPE is refused: SOAP 1.2 Part 1 §5 says an
// envelope must not contain one, and refusing it rules out entity tricks.
func rootElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, decodeErr(ErrMalformed, "empty document")
		}
		if err != nil {
			return xml.StartElement{}, malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.Directive:
			return xml.StartElement{}, decodeErr(ErrMalformed, "DOCTYPE in a SOAP envelope")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, decodeErr(ErrMalformed, "text before the root element")
			}
		}
	}
}

func expectEOF(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return malformed(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return decodeErr(ErrMalformed, "text after env:Envelope")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return decodeErr(ErrMalformed, "content after env:Envelope")
		}
	}
}

// skip consumes the element just opened.
func skip(d *xml.Decoder) error {
	if err := d.Skip(); err != nil {
		return malformed(err)
	}
	return nil
}

func malformed(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return decodeErr(ErrMalformed, fmt.Sprintf("line %d: %s", se.Line, se.Msg))
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return decodeErr(ErrMalformed, "unexpected end of document")
	}
	return decodeErr(ErrMalformed, err.Error())
}

type header struct {
	idNames       []xml.Name
	idTexts       []string
	notUnderstood string
}

// readHeader reads the children of env:Header up to its end tag.
func readHeader(d *xml.Decoder, m *Message) (header, error) {
	var h header
	for {
		tok, err := d.Token()
		if err != nil {
			return h, malformed(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return h, nil
		case xml.StartElement:
			if err := readHeaderBlock(d, t, m, &h); err != nil {
				return h, err
			}
		}
	}
}

func readHeaderBlock(d *xml.Decoder, t xml.StartElement, m *Message, h *header) error {
	if t.Name.Space == NSAddressing {
		var dst *string
		switch t.Name.Local {
		case "Action":
			dst = &m.Action
		case "MessageID":
			dst = &m.MessageID
		case "RelatesTo":
			dst = &m.RelatesTo
		case "To":
			dst = &m.To
		case "From":
			return endpointAddress(d, &m.From)
		case "ReplyTo":
			return endpointAddress(d, &m.ReplyTo)
		default:
			// FaultTo, ReferenceParameters and the like: nothing OCPP uses,
			// and all of WS-Addressing counts as understood.
			return skip(d)
		}
		s, err := text(d)
		if err != nil {
			return err
		}
		*dst = s
		return nil
	}
	if t.Name.Local == "chargeBoxIdentity" {
		s, err := text(d)
		if err != nil {
			return err
		}
		h.idNames = append(h.idNames, t.Name)
		h.idTexts = append(h.idTexts, s)
		return nil
	}
	if mustUnderstand(t) && h.notUnderstood == "" {
		h.notUnderstood = fmt.Sprintf("{%s}%s", t.Name.Space, t.Name.Local)
	}
	return skip(d)
}

// mustUnderstand reports whether a header block must be processed by Joule
// or faulted (SOAP 1.2 Part 1 §5.2.3): env:mustUnderstand true and a role
// the ultimate receiver plays (none given, next or ultimateReceiver; a block
// for the role none, or for another node, is not Joule's to process).
func mustUnderstand(t xml.StartElement) bool {
	must, role := false, ""
	for _, a := range t.Attr {
		if a.Name.Space != NSEnvelope {
			continue
		}
		switch a.Name.Local {
		case "mustUnderstand":
			v := strings.TrimSpace(a.Value)
			must = v == "true" || v == "1"
		case "role":
			role = strings.TrimSpace(a.Value)
		}
	}
	switch role {
	case "", NSEnvelope + "/role/next", NSEnvelope + "/role/ultimateReceiver":
		return must
	}
	return false
}

// text returns the trimmed character data of the element just opened,
// ignoring any child elements' text, and consumes its end tag.
func text(d *xml.Decoder) (string, error) {
	var b strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return "", malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return strings.TrimSpace(b.String()), nil
			}
			depth--
		case xml.CharData:
			if depth == 0 {
				b.Write(t)
			}
		}
	}
}

// endpointAddress reads an EndpointReference (wsa:From, wsa:ReplyTo) and
// stores its wsa:Address.
func endpointAddress(d *xml.Decoder, dst *string) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return malformed(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Space == NSAddressing && t.Name.Local == "Address" {
				s, err := text(d)
				if err != nil {
					return err
				}
				*dst = s
				continue
			}
			if err := d.Skip(); err != nil {
				return malformed(err)
			}
		}
	}
}

// readBody reads env:Body up to its end tag and returns how many child
// elements it has. It keeps the first one, re-serialised, in m.
func readBody(d *xml.Decoder, m *Message, scope []xml.StartElement) (int, error) {
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return n, malformed(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return n, nil
		case xml.StartElement:
			n++
			if n > 1 {
				return n, decodeErr(ErrManyBodies, fmt.Sprintf("{%s}%s after {%s}%s", t.Name.Space, t.Name.Local, m.Body.Space, m.Body.Local))
			}
			if t.Name.Space == NSEnvelope && t.Name.Local == "Fault" {
				f, err := readFault(d, append(scope, t))
				if err != nil {
					return n, err
				}
				m.Fault = f
				continue
			}
			m.Body = t.Name
			raw, err := reencode(d, t)
			if err != nil {
				return n, err
			}
			m.BodyXML = raw
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return n, decodeErr(ErrMalformed, "text in env:Body")
			}
		case xml.Directive:
			return n, decodeErr(ErrMalformed, "directive in env:Body")
		}
	}
}

// reencode writes the element just opened as a standalone document. The
// original bytes cannot be reused: they may use prefixes declared on
// env:Envelope. Each element whose namespace differs from its parent's gets
// a default-namespace declaration; attributes in a namespace get a prefix
// the encoder declares. Comments and processing instructions are dropped.
func reencode(d *xml.Decoder, start xml.StartElement) ([]byte, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	stack := []string{""} // the default namespace in scope in the output
	open := func(t xml.StartElement) error {
		out := xml.StartElement{Name: xml.Name{Local: t.Name.Local}}
		if t.Name.Space != stack[len(stack)-1] {
			out.Attr = append(out.Attr, xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: t.Name.Space})
		}
		for _, a := range t.Attr {
			if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
				continue // declarations of the input; the output makes its own
			}
			out.Attr = append(out.Attr, a)
		}
		stack = append(stack, t.Name.Space)
		return enc.EncodeToken(out)
	}
	if err := open(start); err != nil {
		return nil, decodeErr(ErrMalformed, err.Error())
	}
	for len(stack) > 1 {
		tok, err := d.Token()
		if err != nil {
			return nil, malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			err = open(t)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			err = enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: t.Name.Local}})
		case xml.CharData:
			err = enc.EncodeToken(t)
		case xml.Directive:
			return nil, decodeErr(ErrMalformed, "directive in body")
		}
		if err != nil {
			return nil, decodeErr(ErrMalformed, err.Error())
		}
	}
	if err := enc.Flush(); err != nil {
		return nil, decodeErr(ErrMalformed, err.Error())
	}
	return buf.Bytes(), nil
}

// finish checks what needs both headers and body: the version, the action
// against the body element, and the identity.
func finish(m *Message, idNames []xml.Name, idTexts []string, notUnderstood string) (*Message, error) {
	if m.Fault != nil {
		// A fault answers a request; its Action is ActionFault (or absent
		// from a careless peer) and it names no operation or charger.
		return m, nil
	}
	v, s, ok := LookupNamespace(m.Body.Space)
	if !ok {
		return m, decodeErr(ErrUnknownNamespace, fmt.Sprintf("body {%s}%s", m.Body.Space, m.Body.Local))
	}
	m.Version, m.Service = v, s
	if notUnderstood != "" {
		return m, decodeErr(ErrMustUnderstand, notUnderstood)
	}
	if m.Action == "" {
		return m, decodeErr(ErrNoAction, "")
	}
	op, resp := parseAction(m.Action)
	if want := bodyElement(op, resp); op == "" || m.Body.Local != want {
		return m, decodeErr(ErrActionMismatch, fmt.Sprintf("wsa:Action %q, body %s", m.Action, m.Body.Local))
	}
	m.Operation, m.Response = op, resp
	// The header is accepted in either namespace of the body's version: the
	// WSDLs put it in the service's own namespace, but a charger reusing its
	// central-system header on its own service's answers is harmless.
	for i, n := range idNames {
		if hv, _, ok := LookupNamespace(n.Space); ok && hv == v {
			m.ChargeBoxIdentity = idTexts[i]
			break
		}
	}
	// The WSDLs bind the header on every input message and on no output
	// message, so only requests must carry it.
	if m.ChargeBoxIdentity == "" && !resp {
		return m, decodeErr(ErrNoIdentity, "")
	}
	return m, nil
}
