package node_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// soapHTTP posts as a charger does: without the harness's admin token,
// which http.DefaultClient adds to every request to a test node.
var soapHTTP = &http.Client{Transport: http.DefaultTransport, Timeout: 10 * time.Second}

// soapCharger posts a charger's requests to Joule's central-system service
// and decodes the typed answers.
type soapCharger struct {
	t    *testing.T
	url  string // http://.../ocpp/soap
	ns   string
	id   string
	from string
	c    soap.Client
}

func (c *soapCharger) call(op string, body, out any) {
	c.t.Helper()
	c.c.HTTP = soapHTTP
	m, err := c.c.Call(context.Background(), soap.Request{Namespace: c.ns, Operation: op, ChargeBoxIdentity: c.id,
		To: c.url, From: c.from, Body: body})
	if err != nil {
		c.t.Fatalf("%s %s: %v", c.id, op, err)
	}
	if m.Action != soap.ResponseAction(op) || m.RelatesTo == "" {
		c.t.Fatalf("%s %s: answer action %q relates to %q, want %q relating to the request", c.id, op, m.Action, m.RelatesTo, soap.ResponseAction(op))
	}
	if err := m.UnmarshalBody(out); err != nil {
		c.t.Fatalf("%s %s: answer body: %v", c.id, op, err)
	}
	if err := out.(interface{ Validate() error }).Validate(); err != nil {
		c.t.Fatalf("%s %s: answer breaks the WSDL schema: %v", c.id, op, err)
	}
}

func soapSessions(t *testing.T, api, chargerID string) []charging.Session {
	t.Helper()
	var p page[charging.Session]
	call(t, http.MethodGet, api+"/sessions?chargerId="+chargerID, nil, &p)
	return p.Items
}

// TestSOAPSeedFlow runs the seed's inbound flow over OCPP 1.6 and 1.5
// SOAP against a real node, and checks it through the REST API: boot
// (accepted, service address stored), status, authorize, start, meter
// values, stop with 6,379 Wh.
func TestSOAPSeedFlow(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	t.Run("1.6", func(t *testing.T) { soapFlow16(t, n, api) })
	t.Run("1.5", func(t *testing.T) { soapFlow15(t, n, api) })
}

func soapFlow16(t *testing.T, n *testNode, api string) {
	cp := &soapCharger{t: t, url: n.Base + "/ocpp/soap", ns: soap.NSCentralSystem16, id: "S16-1", from: "http://10.0.0.16:8080/cp"}
	var boot ocpp16s.BootNotificationResponse
	fw := ocpp16s.CiString50Type("1.6.0")
	cp.call("BootNotification", &ocpp16s.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "Soap-16", FirmwareVersion: &fw}, &boot)
	if boot.Status != ocpp16s.RegistrationStatusAccepted || boot.Interval <= 0 || boot.CurrentTime.IsZero() {
		t.Fatalf("boot = %+v, want Accepted with an interval and the time", boot)
	}
	var ch charging.Charger
	call(t, http.MethodGet, api+"/chargers/S16-1", nil, &ch)
	if ch.SOAPAddress != cp.from || !ch.Online || ch.OCPPVersion != charging.OCPP16S || ch.Vendor != "Joule" || ch.FirmwareVersion != "1.6.0" {
		t.Errorf("charger = address %q online %v version %q vendor %q firmware %q, want %q online ocpp1.6s Joule 1.6.0",
			ch.SOAPAddress, ch.Online, ch.OCPPVersion, ch.Vendor, ch.FirmwareVersion, cp.from)
	}
	// A new address at the next boot replaces the stored one.
	cp.from = "http://10.0.0.17:8080/cp"
	cp.call("BootNotification", &ocpp16s.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "Soap-16", FirmwareVersion: &fw}, &boot)
	call(t, http.MethodGet, api+"/chargers/S16-1", nil, &ch)
	if ch.SOAPAddress != cp.from {
		t.Errorf("address after a reboot elsewhere = %q, want %q", ch.SOAPAddress, cp.from)
	}

	var st ocpp16s.StatusNotificationResponse
	cp.call("StatusNotification", &ocpp16s.StatusNotificationRequest{ConnectorID: 1, Status: ocpp16s.ChargePointStatusAvailable, ErrorCode: ocpp16s.ChargePointErrorCodeNoError}, &st)
	call(t, http.MethodGet, api+"/chargers/S16-1", nil, &ch)
	if len(ch.Connectors) != 1 || ch.Connectors[0].Status != "Available" {
		t.Errorf("connectors = %+v, want connector 1 Available", ch.Connectors)
	}

	var au ocpp16s.AuthorizeResponse
	cp.call("Authorize", &ocpp16s.AuthorizeRequest{IDTag: "SOAP-TAG"}, &au)

	t0 := time.Now().UTC().Truncate(time.Second)
	var start ocpp16s.StartTransactionResponse
	cp.call("StartTransaction", &ocpp16s.StartTransactionRequest{ConnectorID: 1, IDTag: "SOAP-TAG", Timestamp: t0, MeterStart: 1000}, &start)
	if start.TransactionID <= 0 {
		t.Fatalf("start = %+v, want a transaction id", start)
	}
	ss := soapSessions(t, api, "S16-1")
	if len(ss) != 1 || ss[0].Status != charging.SessionActive || ss[0].TransactionID != strconv.Itoa(start.TransactionID) {
		t.Fatalf("sessions = %+v, want one active with transaction %d", ss, start.TransactionID)
	}
	sid := ss[0].ID

	unit := func(u ocpp16s.UnitOfMeasure) *ocpp16s.UnitOfMeasure { return &u }
	meas := func(m ocpp16s.Measurand) *ocpp16s.Measurand { return &m }
	var mvr ocpp16s.MeterValuesResponse
	cp.call("MeterValues", &ocpp16s.MeterValuesRequest{ConnectorID: 1, TransactionID: &start.TransactionID,
		MeterValue: []ocpp16s.MeterValue{{Timestamp: t0.Add(time.Minute), SampledValue: []ocpp16s.SampledValue{
			{Value: "4000", Measurand: meas(ocpp16s.MeasurandEnergyActiveImportRegister), Unit: unit(ocpp16s.UnitOfMeasureWh)},
			{Value: "7200", Measurand: meas(ocpp16s.MeasurandPowerActiveImport), Unit: unit(ocpp16s.UnitOfMeasureW)},
		}}}}, &mvr)
	checkSamples(t, api, sid, map[string]string{"Energy.Active.Import.Register": "Wh", "Power.Active.Import": "W"})

	var stop ocpp16s.StopTransactionResponse
	tag := ocpp16s.IDToken("SOAP-TAG")
	reason := ocpp16s.ReasonLocal
	cp.call("StopTransaction", &ocpp16s.StopTransactionRequest{TransactionID: start.TransactionID, IDTag: &tag,
		Timestamp: t0.Add(2 * time.Minute), MeterStop: 1000 + 6379, Reason: &reason}, &stop)
	if stop.IDTagInfo == nil {
		t.Errorf("stop = %+v, want idTagInfo for the idTag sent", stop)
	}
	checkFinished(t, api, sid, "Local")

	var hb ocpp16s.HeartbeatResponse
	cp.call("Heartbeat", &ocpp16s.HeartbeatRequest{}, &hb)
	if hb.CurrentTime.IsZero() {
		t.Errorf("heartbeat = %+v, want the time", hb)
	}
	// A message from another address than the stored one updates it.
	cp.from = "https://cp16.example.com/ocpp"
	cp.call("Heartbeat", &ocpp16s.HeartbeatRequest{}, &hb)
	call(t, http.MethodGet, api+"/chargers/S16-1", nil, &ch)
	if ch.SOAPAddress != cp.from || !ch.Online {
		t.Errorf("after a heartbeat from elsewhere: address %q online %v, want %q online", ch.SOAPAddress, ch.Online, cp.from)
	}
}

func soapFlow15(t *testing.T, n *testNode, api string) {
	cp := &soapCharger{t: t, url: n.Base + "/ocpp/soap", ns: soap.NSCentralSystem15, id: "S15-1", from: "http://10.0.0.15:8080/cp"}
	var boot ocpp15.BootNotificationResponse
	cp.call("BootNotification", &ocpp15.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "Soap-15"}, &boot)
	if boot.Status != ocpp15.RegistrationStatusAccepted || boot.HeartbeatInterval <= 0 {
		t.Fatalf("boot = %+v, want Accepted with a heartbeat interval", boot)
	}
	var ch charging.Charger
	call(t, http.MethodGet, api+"/chargers/S15-1", nil, &ch)
	if ch.SOAPAddress != cp.from || !ch.Online || ch.OCPPVersion != charging.OCPP15S {
		t.Errorf("charger = address %q online %v version %q, want %q online ocpp1.5s", ch.SOAPAddress, ch.Online, ch.OCPPVersion, cp.from)
	}
	status := func(s ocpp15.ChargePointStatus, want string) {
		t.Helper()
		var r ocpp15.StatusNotificationResponse
		cp.call("StatusNotification", &ocpp15.StatusNotificationRequest{ConnectorID: 1, Status: s, ErrorCode: ocpp15.ChargePointErrorCodeNoError}, &r)
		call(t, http.MethodGet, api+"/chargers/S15-1", nil, &ch)
		if len(ch.Connectors) != 1 || string(ch.Connectors[0].Status) != want {
			t.Errorf("after 1.5 %s: connectors = %+v, want connector 1 %s", s, ch.Connectors, want)
		}
	}
	status(ocpp15.ChargePointStatusAvailable, "Available")
	// Occupied with no transaction: the cable is in, nothing charges yet.
	status(ocpp15.ChargePointStatusOccupied, "Preparing")

	var au ocpp15.AuthorizeResponse
	cp.call("Authorize", &ocpp15.AuthorizeRequest{IDTag: "SOAP-TAG"}, &au)

	t0 := time.Now().UTC().Truncate(time.Second)
	var start ocpp15.StartTransactionResponse
	cp.call("StartTransaction", &ocpp15.StartTransactionRequest{ConnectorID: 1, IDTag: "SOAP-TAG", Timestamp: t0, MeterStart: 500}, &start)
	ss := soapSessions(t, api, "S15-1")
	if start.TransactionID <= 0 || len(ss) != 1 || ss[0].Status != charging.SessionActive || ss[0].TransactionID != strconv.Itoa(start.TransactionID) {
		t.Fatalf("start = %+v, sessions = %+v, want one active session with the transaction id", start, ss)
	}
	sid := ss[0].ID
	// Occupied during a transaction: charging.
	status(ocpp15.ChargePointStatusOccupied, "Charging")

	meas := func(m ocpp15.Measurand) *ocpp15.Measurand { return &m }
	unit := func(u ocpp15.UnitOfMeasure) *ocpp15.UnitOfMeasure { return &u }
	var mvr ocpp15.MeterValuesResponse
	cp.call("MeterValues", &ocpp15.MeterValuesRequest{ConnectorID: 1, TransactionID: &start.TransactionID,
		Values: []ocpp15.MeterValue{{Timestamp: t0.Add(time.Minute), Value: []ocpp15.MeterValueValue{
			{Value: "2500", Measurand: meas(ocpp15.MeasurandEnergyActiveImportRegister), Unit: unit(ocpp15.UnitOfMeasureWh)},
			{Value: "230", Measurand: meas(ocpp15.MeasurandVoltage), Unit: unit(ocpp15.UnitOfMeasureVolt)},
			{Value: "16", Measurand: meas(ocpp15.MeasurandCurrentImport), Unit: unit(ocpp15.UnitOfMeasureAmp)},
		}}}}, &mvr)
	// 1.5's Volt and Amp are stored as 1.6's V and A.
	checkSamples(t, api, sid, map[string]string{"Energy.Active.Import.Register": "Wh", "Voltage": "V", "Current.Import": "A"})

	var stop ocpp15.StopTransactionResponse
	tag := ocpp15.IDToken("SOAP-TAG")
	cp.call("StopTransaction", &ocpp15.StopTransactionRequest{TransactionID: start.TransactionID, IDTag: &tag,
		Timestamp: t0.Add(2 * time.Minute), MeterStop: 500 + 6379}, &stop)
	// 1.5 has no stop reason: a stop Joule did not ask for is Local.
	checkFinished(t, api, sid, "Local")
}

func checkSamples(t *testing.T, api, sid string, want map[string]string) {
	t.Helper()
	var mv page[charging.MeterSample]
	call(t, http.MethodGet, api+"/sessions/"+sid+"/meter-values", nil, &mv)
	got := map[string]string{}
	for _, x := range mv.Items {
		got[x.Measurand] = x.Unit
	}
	for m, u := range want {
		if got[m] != u {
			t.Errorf("meter values: %s in %q, want %q (all: %v)", m, got[m], u, got)
		}
	}
}

func checkFinished(t *testing.T, api, sid, reason string) {
	t.Helper()
	var s charging.Session
	call(t, http.MethodGet, api+"/sessions/"+sid, nil, &s)
	if s.Status != charging.SessionFinished || s.EnergyWh != 6379 || s.StoppedAt == nil {
		t.Errorf("session = status %s energy %v stopped %v, want finished with 6379 Wh", s.Status, s.EnergyWh, s.StoppedAt)
	}
	if reason != "" && s.StopReason != reason {
		t.Errorf("stop reason = %q, want %q", s.StopReason, reason)
	}
}

// rawEnvelope is a request envelope written by hand, to break it.
func rawEnvelope(ns, action, identity, body string) string {
	id := ""
	if identity != "" {
		id = `<cs:chargeBoxIdentity>` + identity + `</cs:chargeBoxIdentity>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="` + ns + `" xmlns:wsa="http://www.w3.org/2005/08/addressing">
<soap:Header>` + id + `<wsa:Action>` + action + `</wsa:Action><wsa:MessageID>urn:uuid:m-1</wsa:MessageID>
<wsa:From><wsa:Address>http://10.0.0.9/cp</wsa:Address></wsa:From></soap:Header>
<soap:Body>` + body + `</soap:Body></soap:Envelope>`
}

func postSOAP(t *testing.T, url, envelope string, hdr ...string) (int, *soap.Message, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(envelope))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", soap.ContentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := soapHTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m, err := soap.Decode(data)
	if err != nil {
		return resp.StatusCode, nil, resp.Header
	}
	return resp.StatusCode, m, resp.Header
}

// TestSOAPFaults sends broken messages: each gets the fault its case names
// and stores nothing.
func TestSOAPFaults(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	url := n.Base + "/ocpp/soap"
	const cs16 = soap.NSCentralSystem16
	boot := func(id string) string {
		return rawEnvelope(cs16, "/BootNotification", id,
			`<cs:bootNotificationRequest><cs:chargePointVendor>V</cs:chargePointVendor><cs:chargePointModel>M</cs:chargePointModel></cs:bootNotificationRequest>`)
	}
	for _, c := range []struct {
		name, id, envelope string
		subcode            string
	}{
		{"malformed XML", "F-1", strings.Replace(boot("F-1"), "</cs:chargePointModel>", "</cs:chargePointModl>", 1), soap.SubcodeFormationViolation},
		{"unknown operation", "F-2", rawEnvelope(cs16, "/FlyToTheMoon", "F-2", `<cs:flyToTheMoonRequest/>`), soap.SubcodeActionNotSupported},
		{"charge-point operation sent to the central system", "F-3", rawEnvelope(cs16, "/Reset", "F-3", `<cs:resetRequest><cs:type>Hard</cs:type></cs:resetRequest>`), soap.SubcodeActionNotSupported},
		{"wrong type", "F-4", rawEnvelope(cs16, "/StartTransaction", "F-4",
			`<cs:startTransactionRequest><cs:connectorId>one</cs:connectorId><cs:idTag>T</cs:idTag><cs:timestamp>2026-01-01T00:00:00Z</cs:timestamp><cs:meterStart>0</cs:meterStart></cs:startTransactionRequest>`), soap.SubcodeTypeConstraintViolation},
		{"missing element", "F-5", rawEnvelope(cs16, "/BootNotification", "F-5",
			`<cs:bootNotificationRequest><cs:chargePointModel>M</cs:chargePointModel></cs:bootNotificationRequest>`), soap.SubcodeOccurenceConstraintViolation},
		{"value out of range", "F-6", rawEnvelope(cs16, "/BootNotification", "F-6",
			`<cs:bootNotificationRequest><cs:chargePointVendor>`+strings.Repeat("v", 21)+`</cs:chargePointVendor><cs:chargePointModel>M</cs:chargePointModel></cs:bootNotificationRequest>`), soap.SubcodePropertyConstraintViolation},
		{"missing identity", "", boot(""), soap.SubcodeIdentityMismatch},
		{"unknown namespace (OCPP 1.2)", "F-8", rawEnvelope("urn://Ocpp/Cs/2010/08/", "/BootNotification", "F-8",
			`<cs:bootNotificationRequest><cs:chargePointVendor>V</cs:chargePointVendor><cs:chargePointModel>M</cs:chargePointModel></cs:bootNotificationRequest>`), soap.SubcodeNotSupported},
		{"unusable wsa:From", "F-10", strings.Replace(boot("F-10"), "http://10.0.0.9/cp", "mailto:cp@example.com", 1), soap.SubcodeInvalidAddressingHeader},
		// Before its boot was accepted a charger may send nothing else
		// (1.6 §4.2): as over OCPP-J, it is registered by the policy (the
		// first message counts as its connection) but nothing else is stored.
		{"heartbeat before boot", "F-9", rawEnvelope(cs16, "/Heartbeat", "F-9", `<cs:heartbeatRequest/>`), soap.SubcodeSecurityError},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, m, _ := postSOAP(t, url, c.envelope)
			if m == nil || m.Fault == nil {
				t.Fatalf("answer = %d %+v, want a fault", code, m)
			}
			if m.Fault.Subcode() != c.subcode || code != m.Fault.HTTPStatus() {
				t.Errorf("fault = %d %v, want subcode %s", code, m.Fault, c.subcode)
			}
			if m.Action != soap.ActionFault || m.RelatesTo != "urn:uuid:m-1" {
				t.Errorf("fault action %q relates to %q, want %q relating to urn:uuid:m-1", m.Action, m.RelatesTo, soap.ActionFault)
			}
			if c.id == "" {
				return
			}
			var ch map[string]any
			got, _ := call(t, http.MethodGet, n.Base+"/api/v1/chargers/"+c.id, nil, &ch)
			switch {
			case c.subcode == soap.SubcodeSecurityError:
				if got != http.StatusOK || ch["lastBootAt"] != nil || ch["registrationStatus"] == string(charging.RegistrationAccepted) {
					t.Errorf("GET charger %s = %d %+v, want it registered without a boot", c.id, got, ch)
				}
			case got != http.StatusNotFound:
				t.Errorf("GET charger %s = %d, want 404: a refused message stores nothing", c.id, got)
			}
			if ss := soapSessions(t, n.Base+"/api/v1", c.id); len(ss) != 0 {
				t.Errorf("sessions of %s = %+v, want none", c.id, ss)
			}
		})
	}
}

// TestSOAPBasicAuth: a charger with a password is refused without its
// Basic credentials, and served with them, as over OCPP-J.
func TestSOAPBasicAuth(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	var out struct {
		Password string `json:"password"`
	}
	if code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers", map[string]any{"id": "SP-1", "securityProfile": 1}, &out); code != http.StatusCreated || out.Password == "" {
		t.Fatalf("register = %d, want 201 with a password", code)
	}
	env := rawEnvelope(soap.NSCentralSystem16, "/BootNotification", "SP-1",
		`<cs:bootNotificationRequest><cs:chargePointVendor>V</cs:chargePointVendor><cs:chargePointModel>M</cs:chargePointModel></cs:bootNotificationRequest>`)
	code, _, hdr := postSOAP(t, n.Base+"/ocpp/soap", env)
	if code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("without credentials = %d %q, want 401 with a Basic challenge", code, hdr.Get("WWW-Authenticate"))
	}
	basic := func(pw string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("SP-1:"+pw)) }
	if code, _, _ := postSOAP(t, n.Base+"/ocpp/soap", env, "Authorization", basic("wrong")); code != http.StatusUnauthorized {
		t.Errorf("with a wrong password = %d, want 401", code)
	}
	var ch charging.Charger
	call(t, http.MethodGet, n.Base+"/api/v1/chargers/SP-1", nil, &ch)
	if ch.Vendor != "" || ch.LastBootAt != nil {
		t.Errorf("charger after refused boots = %+v, want no boot stored", ch)
	}
	code, m, _ := postSOAP(t, n.Base+"/ocpp/soap", env, "Authorization", basic(out.Password))
	if code != http.StatusOK || m == nil || m.Fault != nil || m.Action != soap.ResponseAction("BootNotification") || m.RelatesTo != "urn:uuid:m-1" {
		t.Fatalf("with the password = %d %+v, want the BootNotification response relating to urn:uuid:m-1", code, m)
	}
	var boot ocpp16s.BootNotificationResponse
	if err := m.UnmarshalBody(&boot); err != nil || boot.Status != ocpp16s.RegistrationStatusAccepted {
		t.Errorf("boot = %+v %v, want Accepted", boot, err)
	}
}

// TestSOAPProfile2: a charger at security profile 2 must come over HTTPS
// with its password, as over OCPP-J: plain HTTP is refused even with the
// password.
func TestSOAPProfile2(t *testing.T) {
	n := startSecureNode(t, node.Config{CallTimeout: 5 * time.Second})
	pw := n.register(t, "SP-2", 2)
	env := rawEnvelope(soap.NSCentralSystem16, "/BootNotification", "SP-2",
		`<cs:bootNotificationRequest><cs:chargePointVendor>V</cs:chargePointVendor><cs:chargePointModel>M</cs:chargePointModel></cs:bootNotificationRequest>`)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("SP-2:"+pw))
	if code, _, _ := postSOAP(t, n.API+"/ocpp/soap", env, "Authorization", auth); code != http.StatusForbidden {
		t.Errorf("profile 2 over plain HTTP = %d, want 403", code)
	}
	tlsURL := "https://" + strings.TrimSuffix(strings.TrimPrefix(n.TLS, "wss://"), "/ocpp") + "/ocpp/soap"
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: n.Roots}}}
	post := func(hdr ...string) (int, *soap.Message) {
		req, err := http.NewRequest(http.MethodPost, tlsURL, strings.NewReader(env))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", soap.ContentType)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		m, _ := soap.Decode(data)
		return resp.StatusCode, m
	}
	if code, _ := post(); code != http.StatusUnauthorized {
		t.Errorf("profile 2 over HTTPS without the password = %d, want 401", code)
	}
	code, m := post("Authorization", auth)
	if code != http.StatusOK || m == nil || m.Action != soap.ResponseAction("BootNotification") {
		t.Fatalf("profile 2 over HTTPS with the password = %d %+v, want the BootNotification response", code, m)
	}
	var boot ocpp16s.BootNotificationResponse
	if err := m.UnmarshalBody(&boot); err != nil || boot.Status != ocpp16s.RegistrationStatusAccepted {
		t.Errorf("boot = %+v %v, want Accepted", boot, err)
	}
}
