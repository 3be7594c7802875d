package soap_test

import (
	"encoding/xml"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap"
)

type remoteStart struct {
	XMLName     xml.Name `xml:"urn://Ocpp/Cp/2012/06/ remoteStartTransactionRequest"`
	ConnectorID int      `xml:"connectorId"`
	IDTag       string   `xml:"idTag"`
}

func TestRequestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		ns      string
		op      string
		body    any
		version soap.Version
		service soap.Service
	}{
		{"1.5 RemoteStartTransaction, marshalled", soap.NSChargePoint15, "RemoteStartTransaction",
			remoteStart{ConnectorID: 1, IDTag: "TAG-1"}, soap.V15, soap.ChargePoint},
		{"1.6 Reset, raw", soap.NSChargePoint16, "Reset",
			soap.RawXML(`<resetRequest xmlns="urn://Ocpp/Cp/2015/10/"><type>Soft</type></resetRequest>`), soap.V16, soap.ChargePoint},
		{"1.6 Heartbeat from a charger", soap.NSCentralSystem16, "Heartbeat",
			soap.RawXML(`<heartbeatRequest xmlns="urn://Ocpp/Cs/2015/10/"/>`), soap.V16, soap.CentralSystem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, id, err := soap.EncodeRequest(soap.Request{
				Namespace: tt.ns, Operation: tt.op, ChargeBoxIdentity: "CP <1>",
				To: "http://10.0.0.5:8080/ocpp?a=1&b=2", From: "http://joule.example/ocpp/soap", Body: tt.body,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
				t.Errorf("MessageID = %q, want a version 4 urn:uuid", id)
			}
			m, err := soap.Decode(data)
			if err != nil {
				t.Fatalf("Decode(%s): %v", data, err)
			}
			if m.Action != "/"+tt.op || m.MessageID != id || m.To != "http://10.0.0.5:8080/ocpp?a=1&b=2" ||
				m.ReplyTo != soap.Anonymous || m.From != "http://joule.example/ocpp/soap" || m.ChargeBoxIdentity != "CP <1>" ||
				m.Version != tt.version || m.Service != tt.service || m.Operation != tt.op || m.Response {
				t.Errorf("decoded %+v, want the request as encoded", m)
			}
		})
	}
	t.Run("marshalled body survives", func(t *testing.T) {
		data, _, err := soap.EncodeRequest(soap.Request{Namespace: soap.NSChargePoint15, Operation: "RemoteStartTransaction",
			ChargeBoxIdentity: "CP-15", Body: remoteStart{ConnectorID: 2, IDTag: "T"}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := soap.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		var got remoteStart
		if err := m.UnmarshalBody(&got); err != nil || got.ConnectorID != 2 || got.IDTag != "T" {
			t.Errorf("body = %+v, %v; want connector 2, idTag T", got, err)
		}
	})
}

func TestEncodeRequestErrors(t *testing.T) {
	ok := soap.Request{Namespace: soap.NSChargePoint16, Operation: "Reset", ChargeBoxIdentity: "CP", Body: soap.RawXML("<x/>")}
	for name, mutate := range map[string]func(*soap.Request){
		"no operation": func(r *soap.Request) { r.Operation = "" },
		"no namespace": func(r *soap.Request) { r.Namespace = "" },
		"no identity":  func(r *soap.Request) { r.ChargeBoxIdentity = "" },
		"no body":      func(r *soap.Request) { r.Body = nil },
		"unmarshalable": func(r *soap.Request) {
			r.Body = map[string]int{"a": 1}
		},
	} {
		r := ok
		mutate(&r)
		if _, _, err := soap.EncodeRequest(r); err == nil {
			t.Errorf("%s: EncodeRequest succeeded, want an error", name)
		}
	}
	if _, _, err := soap.EncodeRequest(ok); err != nil {
		t.Errorf("EncodeRequest(valid) = %v", err)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	req, err := soap.Decode(readFile(t, "boot16.xml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := soap.EncodeResponse(req.Reply(soap.RawXML(
		`<bootNotificationResponse xmlns="urn://Ocpp/Cs/2015/10/"><status>Accepted</status><currentTime>2026-12-07T10:00:00Z</currentTime><heartbeatInterval>300</heartbeatInterval></bootNotificationResponse>`)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := soap.Decode(data)
	if err != nil {
		t.Fatalf("Decode(%s): %v", data, err)
	}
	if m.Action != "/BootNotificationResponse" || m.RelatesTo != req.MessageID || m.To != soap.Anonymous ||
		!m.Response || m.Operation != "BootNotification" || m.Version != soap.V16 || m.MessageID == "" {
		t.Errorf("decoded %+v, want a 1.6 BootNotification response to %s", m, req.MessageID)
	}
	if strings.Contains(string(data), "chargeBoxIdentity") {
		t.Errorf("response carries chargeBoxIdentity; the WSDLs bind it on inputs only:\n%s", data)
	}
	if _, err := soap.EncodeResponse(soap.Response{Body: soap.RawXML("<x/>")}); err == nil {
		t.Error("EncodeResponse without operation succeeded, want an error")
	}
}

func TestActions(t *testing.T) {
	if got := soap.RequestAction("RemoteStopTransaction"); got != "/RemoteStopTransaction" {
		t.Errorf("RequestAction = %q, want /RemoteStopTransaction", got)
	}
	if got := soap.ResponseAction("RemoteStopTransaction"); got != "/RemoteStopTransactionResponse" {
		t.Errorf("ResponseAction = %q, want /RemoteStopTransactionResponse", got)
	}
	for _, tt := range []struct {
		v  soap.Version
		s  soap.Service
		ns string
	}{
		{soap.V15, soap.CentralSystem, "urn://Ocpp/Cs/2012/06/"},
		{soap.V15, soap.ChargePoint, "urn://Ocpp/Cp/2012/06/"},
		{soap.V16, soap.CentralSystem, "urn://Ocpp/Cs/2015/10/"},
		{soap.V16, soap.ChargePoint, "urn://Ocpp/Cp/2015/10/"},
	} {
		if got := soap.Namespace(tt.v, tt.s); got != tt.ns {
			t.Errorf("Namespace(%s, %s) = %q, want %q", tt.v, tt.s, got, tt.ns)
		}
		if v, s, ok := soap.LookupNamespace(tt.ns); !ok || v != tt.v || s != tt.s {
			t.Errorf("LookupNamespace(%q) = %s, %s, %v; want %s, %s", tt.ns, v, s, ok, tt.v, tt.s)
		}
	}
	if _, _, ok := soap.LookupNamespace("urn://Ocpp/Cs/2010/08/"); ok {
		t.Error("LookupNamespace(1.2) = ok, want unknown")
	}
}

func TestFaultRoundTrip(t *testing.T) {
	faults := []*soap.Fault{
		soap.SenderFault(soap.NSCentralSystem16, soap.SubcodeIdentityMismatch, `charger "CP<9>" is not known`),
		soap.ReceiverFault(soap.NSCentralSystem15, soap.SubcodeInternalError, "store unavailable"),
		soap.ActionNotSupported("/Frobnicate"),
		soap.FaultFor(&soap.DecodeError{Kind: soap.ErrActionMismatch}, ""),
		{Code: soap.CodeVersionMismatch, Reason: "SOAP 1.1"},
		soap.SenderFault("", soap.SubcodeNotSupported, "unknown version"),
	}
	for _, f := range faults {
		data := soap.EncodeFault(f, "urn:uuid:42")
		m, err := soap.Decode(data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", data, err)
		}
		if m.Fault == nil || !equalFault(*m.Fault, *f) {
			t.Errorf("fault round trip = %+v, want %+v\n%s", m.Fault, f, data)
		}
		if m.RelatesTo != "urn:uuid:42" || m.Action != soap.ActionFault {
			t.Errorf("fault RelatesTo %q Action %q, want urn:uuid:42 and %s", m.RelatesTo, m.Action, soap.ActionFault)
		}
		if !strings.Contains(string(data), `<env:Text xml:lang="en">`) {
			t.Errorf("fault reason without xml:lang=\"en\":\n%s", data)
		}
	}
}

func TestFaultFor(t *testing.T) {
	ns := soap.NSCentralSystem16
	wsa := func(l ...string) []xml.Name {
		var n []xml.Name
		for _, s := range l {
			n = append(n, xml.Name{Space: soap.NSAddressing, Local: s})
		}
		return n
	}
	ocpp := func(s string) []xml.Name { return []xml.Name{{Space: ns, Local: s}} }
	tests := []struct {
		kind     error
		code     string
		subcodes []xml.Name
		status   int
	}{
		{soap.ErrMalformed, soap.CodeSender, ocpp(soap.SubcodeFormationViolation), 400},
		{soap.ErrNotSOAP12, soap.CodeVersionMismatch, nil, 500},
		{soap.ErrMustUnderstand, soap.CodeMustUnderstand, nil, 500},
		{soap.ErrNoBody, soap.CodeSender, ocpp(soap.SubcodeProtocolError), 400},
		{soap.ErrManyBodies, soap.CodeSender, ocpp(soap.SubcodeProtocolError), 400},
		{soap.ErrTooLarge, soap.CodeSender, ocpp(soap.SubcodeProtocolError), 400},
		{soap.ErrContentType, soap.CodeSender, ocpp(soap.SubcodeProtocolError), 400},
		{soap.ErrUnknownNamespace, soap.CodeSender, ocpp(soap.SubcodeNotSupported), 400},
		{soap.ErrNoIdentity, soap.CodeSender, ocpp(soap.SubcodeIdentityMismatch), 400},
		{soap.ErrNoAction, soap.CodeSender, wsa(soap.SubcodeMessageAddressingHeaderRequired), 400},
		{soap.ErrActionMismatch, soap.CodeSender, wsa(soap.SubcodeInvalidAddressingHeader, soap.SubcodeActionMismatch), 400},
		{errors.New("disk full"), soap.CodeReceiver, ocpp(soap.SubcodeInternalError), 500},
	}
	for _, tt := range tests {
		err := tt.kind
		if _, ok := errors.AsType[*soap.DecodeError](err); !ok && tt.code != soap.CodeReceiver {
			err = &soap.DecodeError{Kind: tt.kind, Detail: "x"}
		}
		f := soap.FaultFor(err, ns)
		want := soap.Fault{Code: tt.code, Subcodes: tt.subcodes, Reason: f.Reason}
		if !equalFault(*f, want) || f.HTTPStatus() != tt.status {
			t.Errorf("FaultFor(%v) = %+v (HTTP %d), want %+v (HTTP %d)", err, f, f.HTTPStatus(), want, tt.status)
		}
	}
	// A store error's text stays inside Joule.
	if f := soap.FaultFor(errors.New("pq: password authentication failed"), ns); strings.Contains(f.Reason, "pq") {
		t.Errorf("Receiver fault reason = %q, leaks the internal error", f.Reason)
	}
	// A *Fault passes through unchanged.
	in := soap.SenderFault(ns, soap.SubcodeSecurityError, "bad password")
	if got := soap.FaultFor(in, ns); got != in {
		t.Errorf("FaultFor(*Fault) = %+v, want the same fault", got)
	}
	if got := in.HTTPStatus(); got != http.StatusBadRequest {
		t.Errorf("HTTPStatus = %d, want 400", got)
	}
	if got, want := in.Error(), "soap fault Sender/SecurityError: bad password"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestEncodeRequestWire pins the bytes of a request, as a charger's SOAP
// stack will see them.
func TestEncodeRequestWire(t *testing.T) {
	data, id, err := soap.EncodeRequest(soap.Request{
		Namespace: soap.NSChargePoint16, Operation: "RemoteStopTransaction", ChargeBoxIdentity: "CP-16S",
		To: "http://10.0.0.5:8080/", MessageID: "urn:uuid:00000000-0000-4000-8000-000000000001",
		Body: soap.RawXML(`<remoteStopTransactionRequest xmlns="urn://Ocpp/Cp/2015/10/"><transactionId>7</transactionId></remoteStopTransactionRequest>`),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><env:Header>` +
		`<ocpp:chargeBoxIdentity xmlns:ocpp="urn://Ocpp/Cp/2015/10/">CP-16S</ocpp:chargeBoxIdentity>` +
		`<wsa:Action>/RemoteStopTransaction</wsa:Action>` +
		`<wsa:MessageID>urn:uuid:00000000-0000-4000-8000-000000000001</wsa:MessageID>` +
		`<wsa:To>http://10.0.0.5:8080/</wsa:To>` +
		`<wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>` +
		`</env:Header><env:Body><remoteStopTransactionRequest xmlns="urn://Ocpp/Cp/2015/10/"><transactionId>7</transactionId></remoteStopTransactionRequest></env:Body></env:Envelope>`
	if string(data) != want || id != "urn:uuid:00000000-0000-4000-8000-000000000001" {
		t.Errorf("EncodeRequest =\n%s\nwant\n%s", data, want)
	}
}
