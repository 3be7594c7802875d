package soap_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bootNotification16 is a hand-written stand-in for the generated 1.6 type,
// enough to show that BodyXML unmarshals on its own.
type bootNotification16 struct {
	XMLName xml.Name `xml:"urn://Ocpp/Cs/2015/10/ bootNotificationRequest"`
	Vendor  string   `xml:"urn://Ocpp/Cs/2015/10/ chargePointVendor"`
	Model   string   `xml:"urn://Ocpp/Cs/2015/10/ chargePointModel"`
}

type meterValues15 struct {
	XMLName     xml.Name `xml:"urn://Ocpp/Cs/2012/06/ meterValuesRequest"`
	ConnectorID int      `xml:"urn://Ocpp/Cs/2012/06/ connectorId"`
	Values      []struct {
		Timestamp string `xml:"urn://Ocpp/Cs/2012/06/ timestamp"`
		Value     []struct {
			Measurand string `xml:"measurand,attr"`
			Unit      string `xml:"unit,attr"`
			Type      string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			Text      string `xml:",chardata"`
		} `xml:"urn://Ocpp/Cs/2012/06/ value"`
	} `xml:"urn://Ocpp/Cs/2012/06/ values"`
}

func TestDecodeBootNotification16(t *testing.T) {
	m, err := soap.Decode(readFile(t, "boot16.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := soap.Message{
		Action:            "/BootNotification",
		MessageID:         "urn:uuid:5f1a4c2e-8a0b-4d8e-9c33-0b6f3e1d2a10",
		From:              "http://10.0.0.5:8080/ocpp/ChargePointService",
		ReplyTo:           soap.Anonymous,
		To:                "http://csms.example.com/ocpp/soap",
		ChargeBoxIdentity: "CP-16S",
		Version:           soap.V16,
		Service:           soap.CentralSystem,
		Operation:         "BootNotification",
		Body:              xml.Name{Space: soap.NSCentralSystem16, Local: "bootNotificationRequest"},
	}
	got := *m
	got.BodyXML = nil
	if got.Fault != nil || !equalMessage(got, want) {
		t.Errorf("Decode = %+v, want %+v", got, want)
	}
	var boot bootNotification16
	if err := m.UnmarshalBody(&boot); err != nil {
		t.Fatalf("UnmarshalBody(%s): %v", m.BodyXML, err)
	}
	if boot.Vendor != "Joule & Co" || boot.Model != "Sim-1" {
		t.Errorf("body = %+v, want vendor %q model %q", boot, "Joule & Co", "Sim-1")
	}
}

func equalMessage(a, b soap.Message) bool {
	a.BodyXML, b.BodyXML = nil, nil
	return a.ContentType == b.ContentType && a.HTTPAction == b.HTTPAction &&
		a.Action == b.Action && a.MessageID == b.MessageID && a.RelatesTo == b.RelatesTo &&
		a.From == b.From && a.ReplyTo == b.ReplyTo && a.To == b.To &&
		a.ChargeBoxIdentity == b.ChargeBoxIdentity && a.Version == b.Version &&
		a.Service == b.Service && a.Operation == b.Operation && a.Response == b.Response &&
		a.Body == b.Body
}

func TestDecodeMeterValues15(t *testing.T) {
	m, err := soap.Decode(readFile(t, "metervalues15.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != soap.V15 || m.Service != soap.CentralSystem || m.Operation != "MeterValues" ||
		m.ChargeBoxIdentity != "CP-15" || m.From != "http://192.168.1.20:8081/" || m.ReplyTo != "" {
		t.Errorf("Decode = %+v, want 1.5 CentralSystem MeterValues from CP-15 at http://192.168.1.20:8081/", m)
	}
	var mv meterValues15
	if err := m.UnmarshalBody(&mv); err != nil {
		t.Fatalf("UnmarshalBody(%s): %v", m.BodyXML, err)
	}
	if mv.ConnectorID != 1 || len(mv.Values) != 1 || len(mv.Values[0].Value) != 2 {
		t.Fatalf("body = %+v, want connector 1 with one values of two value", mv)
	}
	v := mv.Values[0].Value
	if v[0].Text != "6379" || v[0].Unit != "Wh" || v[0].Measurand != "Energy.Active.Import.Register" {
		t.Errorf("value[0] = %+v, want 6379 Wh Energy.Active.Import.Register", v[0])
	}
	// The xsi prefix is declared on env:Body, outside the body element: the
	// re-serialised element must carry the namespace itself.
	if v[1].Type != "xsd:string" || v[1].Text != "7208" {
		t.Errorf("value[1] = %+v, want 7208 with xsi:type xsd:string", v[1])
	}
}

func TestDecodeResponse16(t *testing.T) {
	m, err := soap.Decode(readFile(t, "reset16response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != soap.V16 || m.Service != soap.ChargePoint || m.Operation != "Reset" || !m.Response ||
		m.RelatesTo != "urn:uuid:11111111-2222-4333-8444-555555555555" || m.ChargeBoxIdentity != "" {
		t.Errorf("Decode = %+v, want a 1.6 ChargePoint Reset response without identity", m)
	}
	var r struct {
		Status string `xml:"urn://Ocpp/Cp/2015/10/ status"`
	}
	if err := m.UnmarshalBody(&r); err != nil || r.Status != "Accepted" {
		t.Errorf("UnmarshalBody = %+v, %v; want status Accepted", r, err)
	}
}

func TestDecodeFault(t *testing.T) {
	m, err := soap.Decode(readFile(t, "fault15.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := soap.Fault{
		Code:     soap.CodeSender,
		Subcodes: []xml.Name{{Space: soap.NSChargePoint15, Local: soap.SubcodeNotSupported}},
		Reason:   "Nicht unterstützt",
	}
	if m.Fault == nil || !equalFault(*m.Fault, want) {
		t.Errorf("Fault = %+v, want %+v", m.Fault, want)
	}
	if m.RelatesTo != "urn:uuid:11111111-2222-4333-8444-555555555555" {
		t.Errorf("RelatesTo = %q, want the request's id", m.RelatesTo)
	}
	if err := m.UnmarshalBody(new(struct{})); !errors.As(err, new(*soap.Fault)) {
		t.Errorf("UnmarshalBody of a fault = %v, want the *Fault", err)
	}
}

func equalFault(a, b soap.Fault) bool {
	if a.Code != b.Code || a.Reason != b.Reason || len(a.Subcodes) != len(b.Subcodes) {
		return false
	}
	for i := range a.Subcodes {
		if a.Subcodes[i] != b.Subcodes[i] {
			return false
		}
	}
	return true
}

// envelope16 builds a 1.6 envelope from header and body fragments.
func envelope16(header, body string) string {
	return `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:o="urn://Ocpp/Cs/2015/10/">` +
		`<e:Header>` + header + `</e:Header><e:Body>` + body + `</e:Body></e:Envelope>`
}

const (
	hdrOK  = `<o:chargeBoxIdentity>CP-1</o:chargeBoxIdentity><a:Action>/Heartbeat</a:Action><a:MessageID>urn:uuid:1</a:MessageID>`
	bodyOK = `<o:heartbeatRequest/>`
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"valid", envelope16(hdrOK, bodyOK), nil},
		{"empty", "", soap.ErrMalformed},
		{"not XML", "hello", soap.ErrMalformed},
		{"unclosed", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>`, soap.ErrMalformed},
		{"mismatched tags", strings.Replace(envelope16(hdrOK, bodyOK), "</e:Body>", "</e:Bod>", 1), soap.ErrMalformed},
		{"DOCTYPE", `<!DOCTYPE e [<!ENTITY x "y">]>` + envelope16(hdrOK, bodyOK), soap.ErrMalformed},
		{"trailing element", envelope16(hdrOK, bodyOK) + "<x/>", soap.ErrMalformed},
		{"trailing text", envelope16(hdrOK, bodyOK) + "x", soap.ErrMalformed},
		{"text in body", envelope16(hdrOK, "x"+bodyOK), soap.ErrMalformed},
		{"SOAP 1.1", strings.ReplaceAll(envelope16(hdrOK, bodyOK), "http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"), soap.ErrNotSOAP12},
		{"no envelope", bodyOK, soap.ErrNotSOAP12},
		{"header after body", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/><e:Header/></e:Envelope>`, soap.ErrNotSOAP12},
		{"two headers", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Header/><e:Header/><e:Body/></e:Envelope>`, soap.ErrNotSOAP12},
		{"no body", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Header/></e:Envelope>`, soap.ErrNoBody},
		{"empty body", envelope16(hdrOK, ""), soap.ErrNoBody},
		{"two body elements", envelope16(hdrOK, bodyOK+bodyOK), soap.ErrManyBodies},
		{"OCPP 1.2 namespace", envelope16(hdrOK, `<heartbeatRequest xmlns="urn://Ocpp/Cs/2010/08/"/>`), soap.ErrUnknownNamespace},
		{"no namespace", envelope16(hdrOK, `<heartbeatRequest/>`), soap.ErrUnknownNamespace},
		{"no identity", envelope16(`<a:Action>/Heartbeat</a:Action>`, bodyOK), soap.ErrNoIdentity},
		{"empty identity", envelope16(`<o:chargeBoxIdentity> </o:chargeBoxIdentity><a:Action>/Heartbeat</a:Action>`, bodyOK), soap.ErrNoIdentity},
		{"identity of another version", envelope16(`<chargeBoxIdentity xmlns="urn://Ocpp/Cs/2012/06/">CP-1</chargeBoxIdentity><a:Action>/Heartbeat</a:Action>`, bodyOK), soap.ErrNoIdentity},
		{"no action", envelope16(`<o:chargeBoxIdentity>CP-1</o:chargeBoxIdentity>`, bodyOK), soap.ErrNoAction},
		{"action of another operation", envelope16(`<o:chargeBoxIdentity>CP-1</o:chargeBoxIdentity><a:Action>/Authorize</a:Action>`, bodyOK), soap.ErrActionMismatch},
		{"response action on a request", envelope16(`<o:chargeBoxIdentity>CP-1</o:chargeBoxIdentity><a:Action>/HeartbeatResponse</a:Action>`, bodyOK), soap.ErrActionMismatch},
		{"action ending in a slash", envelope16(`<o:chargeBoxIdentity>CP-1</o:chargeBoxIdentity><a:Action>/</a:Action>`, bodyOK), soap.ErrActionMismatch},
		{"unknown mustUnderstand header", envelope16(hdrOK+`<x:Security xmlns:x="urn:x" e:mustUnderstand="true"/>`, bodyOK), soap.ErrMustUnderstand},
		{"mustUnderstand header for role none", envelope16(hdrOK+`<x:Security xmlns:x="urn:x" e:mustUnderstand="1" e:role="http://www.w3.org/2003/05/soap-envelope/role/none"/>`, bodyOK), nil},
		{"mustUnderstand header for ultimateReceiver", envelope16(hdrOK+`<x:Security xmlns:x="urn:x" e:mustUnderstand="1" e:role="http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"/>`, bodyOK), soap.ErrMustUnderstand},
		{"unknown optional header", envelope16(hdrOK+`<x:Trace xmlns:x="urn:x" e:mustUnderstand="false"/>`, bodyOK), nil},
		{"namespace-qualified action", envelope16(`<o:chargeBoxIdentity>CP-1</o:chargeBoxIdentity><a:Action>urn://Ocpp/Cs/2015/10/Heartbeat</a:Action>`, bodyOK), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := soap.Decode([]byte(tt.in))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.As(err, new(*soap.DecodeError)) {
				t.Errorf("error %T is not a *soap.DecodeError", err)
			}
		})
	}
}

// A message whose body was read keeps what the fault needs to answer it.
func TestDecodeErrorKeepsMessageID(t *testing.T) {
	m, err := soap.Decode([]byte(envelope16(`<a:MessageID>urn:uuid:7</a:MessageID><a:Action>/Heartbeat</a:Action>`, bodyOK)))
	if !errors.Is(err, soap.ErrNoIdentity) {
		t.Fatalf("error = %v, want ErrNoIdentity", err)
	}
	if m == nil || m.MessageID != "urn:uuid:7" || m.Version != soap.V16 {
		t.Errorf("message = %+v, want MessageID urn:uuid:7 and version 1.6", m)
	}
}

func TestReadRequest(t *testing.T) {
	env := envelope16(hdrOK, bodyOK)
	tests := []struct {
		name, contentType string
		body              string
		max               int64
		want              error
		wantMedia         string
	}{
		{"SOAP 1.2", `application/soap+xml; charset=utf-8; action="/Heartbeat"`, env, 0, nil, "application/soap+xml"},
		{"no action parameter", "application/soap+xml", env, 0, nil, "application/soap+xml"},
		{"text/xml tolerated", "text/xml; charset=UTF-8", env, 0, nil, "text/xml"},
		{"JSON", "application/json", env, 0, soap.ErrContentType, ""},
		{"no content type", "", env, 0, soap.ErrContentType, ""},
		{"Latin-1", "application/soap+xml; charset=iso-8859-1", env, 0, soap.ErrContentType, ""},
		{"HTTP action differs", `application/soap+xml; action="/Authorize"`, env, 0, soap.ErrActionMismatch, "application/soap+xml"},
		{"too large", "application/soap+xml", env, int64(len(env) - 1), soap.ErrTooLarge, ""},
		{"exactly the limit", "application/soap+xml", env, int64(len(env)), nil, "application/soap+xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/ocpp/soap", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			m, err := soap.ReadRequest(r, tt.max)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ReadRequest error = %v, want %v", err, tt.want)
			}
			if tt.wantMedia != "" && (m == nil || m.ContentType != tt.wantMedia) {
				t.Errorf("ContentType = %+v, want %q", m, tt.wantMedia)
			}
		})
	}
}

func TestReadRequestLimitNotExceededByReading(t *testing.T) {
	// A body far over the limit is not read to its end.
	big := &countingReader{r: bytes.NewReader(make([]byte, 10<<20))}
	r := httptest.NewRequest("POST", "/ocpp/soap", big)
	r.Header.Set("Content-Type", "application/soap+xml")
	if _, err := soap.ReadRequest(r, 1024); !errors.Is(err, soap.ErrTooLarge) {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
	if big.n > 1025 {
		t.Errorf("read %d bytes, want at most 1025", big.n)
	}
}

type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
