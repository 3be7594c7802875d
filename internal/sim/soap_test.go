package sim_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/sim"
)

// TestSOAP16Flow runs a 1.6 SOAP charger against a SOAP central system
// over real HTTP: it boots with Basic auth and its service address,
// reports its connectors, heartbeats, starts on a remote start sent to
// its own service, meters at the interval, stops on a remote stop with
// the transaction's begin and end readings, and runs a local RFID session
// through Authorize.
func TestSOAP16Flow(t *testing.T) {
	const key = "00ff10203a4b5c6d7e8f90a1b2c3d4e5f6071829"
	f := newFakeSOAPCS(t)
	ch := startSOAPSim(t, f, sim.Config{MeterValueSampleInterval: 100 * time.Millisecond, SecurityProfile: 1, Password: key})
	if v := ch.Version(); v != sim.OCPP16S {
		t.Errorf("Version() = %q, want %q", v, sim.OCPP16S)
	}
	if !ch.Connected() {
		t.Error("Connected() = false after boot, want true")
	}

	boot := waitCount[ocpp16s.BootNotificationRequest](t, f, "CP-S", "BootNotification", 1, nil)[0]
	if boot.ChargePointVendor != "Joule" || boot.ChargePointModel != "Sim-22" || boot.ChargePointSerialNumber == nil || *boot.ChargePointSerialNumber != "SN-CP-S" {
		t.Errorf("boot = %+v, want Joule, Sim-22, SN-CP-S", boot)
	}
	for c := range 3 {
		waitCount(t, f, "CP-S", "StatusNotification Available", 1, func(r *ocpp16s.StatusNotificationRequest) bool {
			return r.ConnectorID == c && r.Status == ocpp16s.ChargePointStatusAvailable && r.ErrorCode == ocpp16s.ChargePointErrorCodeNoError
		})
	}
	waitCount[ocpp16s.HeartbeatRequest](t, f, "CP-S", "Heartbeat", 1, nil)

	// The service address is a URL of the charger's own listener.
	addr := ch.SOAPAddress()
	if u, err := url.Parse(addr); err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "/CP-S" {
		t.Errorf("SOAPAddress() = %q, want http://127.0.0.1:<port>/CP-S", addr)
	}

	cp := newCPClient(t, ch, soap.V16)
	var rs ocpp16s.RemoteStartTransactionResponse
	cp.mustCall("RemoteStartTransaction", &ocpp16s.RemoteStartTransactionRequest{ConnectorID: ptr(1), IDTag: "TAG-S"}, &rs)
	if rs.Status != ocpp16s.RemoteStartStopStatusAccepted {
		t.Fatalf("RemoteStartTransaction = %s, want Accepted", rs.Status)
	}
	start := waitCount[ocpp16s.StartTransactionRequest](t, f, "CP-S", "StartTransaction", 1, nil)[0]
	if start.ConnectorID != 1 || start.IDTag != "TAG-S" || start.MeterStart != 1000 {
		t.Errorf("StartTransaction = %+v, want connector 1, TAG-S, meterStart 1000", start)
	}
	waitCount(t, f, "CP-S", "Charging", 1, func(r *ocpp16s.StatusNotificationRequest) bool {
		return r.ConnectorID == 1 && r.Status == ocpp16s.ChargePointStatusCharging
	})
	const tx = 501 // the fake's first id
	mvs := waitCount(t, f, "CP-S", "MeterValues of the transaction", 3, func(r *ocpp16s.MeterValuesRequest) bool {
		return r.TransactionID != nil && *r.TransactionID == tx
	})
	for _, mv := range mvs {
		if mv.ConnectorID != 1 || len(mv.MeterValue) != 1 ||
			!hasMeasurand16(mv.MeterValue[0], ocpp16s.MeasurandEnergyActiveImportRegister, ocpp16s.ReadingContextSamplePeriodic) ||
			!hasMeasurand16(mv.MeterValue[0], ocpp16s.MeasurandSoC, ocpp16s.ReadingContextSamplePeriodic) {
			t.Errorf("MeterValues = %+v, want connector 1 with a periodic energy register and SoC", mv)
		}
	}
	if st := ch.State(1); st.TxID != "501" || st.Status != "Charging" {
		t.Errorf("State(1) = %+v, want transaction 501 Charging", st)
	}

	var stop ocpp16s.RemoteStopTransactionResponse
	cp.mustCall("RemoteStopTransaction", &ocpp16s.RemoteStopTransactionRequest{TransactionID: tx}, &stop)
	if stop.Status != ocpp16s.RemoteStartStopStatusAccepted {
		t.Fatalf("RemoteStopTransaction = %s, want Accepted", stop.Status)
	}
	end := waitCount[ocpp16s.StopTransactionRequest](t, f, "CP-S", "StopTransaction", 1, nil)[0]
	if end.TransactionID != tx || end.Reason == nil || *end.Reason != ocpp16s.ReasonRemote || end.MeterStop < start.MeterStart {
		t.Errorf("StopTransaction = %+v, want transaction %d, Remote, meterStop from %d", end, tx, start.MeterStart)
	}
	if len(end.TransactionData) != 2 ||
		!hasMeasurand16(end.TransactionData[0], ocpp16s.MeasurandEnergyActiveImportRegister, ocpp16s.ReadingContextTransactionBegin) ||
		!hasMeasurand16(end.TransactionData[1], ocpp16s.MeasurandEnergyActiveImportRegister, ocpp16s.ReadingContextTransactionEnd) {
		t.Errorf("transactionData = %+v, want the begin and end registers", end.TransactionData)
	}

	// A local RFID session: Authorize, StartTransaction; the same card stops it.
	mustSwipe(t, ch, 2, "CARD-S", "swipe to start")
	au := waitCount[ocpp16s.AuthorizeRequest](t, f, "CP-S", "Authorize", 1, nil)[0]
	if au.IDTag != "CARD-S" {
		t.Errorf("Authorize idTag = %q, want CARD-S", au.IDTag)
	}
	waitCount(t, f, "CP-S", "StartTransaction on 2", 1, func(r *ocpp16s.StartTransactionRequest) bool { return r.ConnectorID == 2 && r.IDTag == "CARD-S" })
	mustSwipe(t, ch, 2, "CARD-S", "swipe to stop")
	waitCount(t, f, "CP-S", "Local StopTransaction", 1, func(r *ocpp16s.StopTransactionRequest) bool {
		return r.Reason != nil && *r.Reason == ocpp16s.ReasonLocal
	})

	// Every request went to the derived endpoint, named the charger's
	// service and carried Basic auth with the key's bytes.
	want := basicHeader("CP-S", mustHex(t, key))
	for _, r := range f.records("CP-S") {
		if r.version != soap.V16 || r.path != "/ocpp/soap" || r.from != addr || r.auth != want {
			t.Fatalf("%s: version %s, path %q, from %q, auth %q; want 1.6 at /ocpp/soap from %q with %q", r.op, r.version, r.path, r.from, r.auth, addr, want)
		}
	}
}

// TestSOAP16Service calls the 1.6 charger's own service: configuration,
// triggers, unlock and reset are answered and acted on; what its WSDL
// lacks, another charger's identity, another version and a body its
// schema forbids get the matching faults.
func TestSOAP16Service(t *testing.T) {
	f := newFakeSOAPCS(t)
	ch := startSOAPSim(t, f, sim.Config{})
	cp := newCPClient(t, ch, soap.V16)

	var cc ocpp16s.ChangeConfigurationResponse
	cp.mustCall("ChangeConfiguration", &ocpp16s.ChangeConfigurationRequest{Key: "MeterValueSampleInterval", Value: "7"}, &cc)
	if cc.Status != ocpp16s.ConfigurationStatusAccepted {
		t.Errorf("ChangeConfiguration = %s, want Accepted", cc.Status)
	}
	cp.mustCall("ChangeConfiguration", &ocpp16s.ChangeConfigurationRequest{Key: "NumberOfConnectors", Value: "3"}, &cc)
	if cc.Status != ocpp16s.ConfigurationStatusRejected {
		t.Errorf("ChangeConfiguration of a read-only key = %s, want Rejected", cc.Status)
	}
	var gc ocpp16s.GetConfigurationResponse
	cp.mustCall("GetConfiguration", &ocpp16s.GetConfigurationRequest{Key: []ocpp16s.CiString50Type{"MeterValueSampleInterval", "NoSuchKey"}}, &gc)
	if len(gc.ConfigurationKey) != 1 || gc.ConfigurationKey[0].Key != "MeterValueSampleInterval" || gc.ConfigurationKey[0].Value == nil ||
		*gc.ConfigurationKey[0].Value != "7" || len(gc.UnknownKey) != 1 || gc.UnknownKey[0] != "NoSuchKey" {
		t.Errorf("GetConfiguration = %+v, want MeterValueSampleInterval 7 and NoSuchKey unknown", gc)
	}

	var tm ocpp16s.TriggerMessageResponse
	cp.mustCall("TriggerMessage", &ocpp16s.TriggerMessageRequest{RequestedMessage: ocpp16s.MessageTriggerStatusNotification, ConnectorID: ptr(2)}, &tm)
	if tm.Status != ocpp16s.TriggerMessageStatusAccepted {
		t.Errorf("TriggerMessage = %s, want Accepted", tm.Status)
	}
	// Boot reports 2 once; the trigger, a second time.
	waitCount(t, f, "CP-S", "triggered StatusNotification", 2, func(r *ocpp16s.StatusNotificationRequest) bool { return r.ConnectorID == 2 })

	var sp ocpp16s.SetChargingProfileResponse
	cp.mustCall("SetChargingProfile", &ocpp16s.SetChargingProfileRequest{ConnectorID: 0, CsChargingProfiles: ocpp16s.ChargingProfile{
		ChargingProfileID: 1, StackLevel: 0, ChargingProfilePurpose: ocpp16s.ChargingProfilePurposeTypeChargePointMaxProfile,
		ChargingProfileKind: ocpp16s.ChargingProfileKindTypeAbsolute,
		ChargingSchedule: ocpp16s.ChargingSchedule{ChargingRateUnit: ocpp16s.ChargingRateUnitTypeA, StartSchedule: ptr(time.Now().UTC().Add(-time.Minute).Truncate(time.Second)),
			ChargingSchedulePeriod: []ocpp16s.ChargingSchedulePeriod{{StartPeriod: 0, Limit: 16}}},
	}}, &sp)
	if sp.Status != ocpp16s.ChargingProfileStatusAccepted {
		t.Errorf("SetChargingProfile = %s, want Accepted", sp.Status)
	}
	if lim := ch.State(1).LimitW; lim < 11000 || lim > 11100 {
		t.Errorf("LimitW = %v under a 16 A ChargePointMaxProfile, want about 11040", lim)
	}

	ch.Plug(1)
	var ul ocpp16s.UnlockConnectorResponse
	cp.mustCall("UnlockConnector", &ocpp16s.UnlockConnectorRequest{ConnectorID: 1}, &ul)
	if ul.Status != ocpp16s.UnlockStatusUnlocked || ch.State(1).Plugged {
		t.Errorf("UnlockConnector = %s, plugged %v; want Unlocked and the cable out", ul.Status, ch.State(1).Plugged)
	}

	// Local list, reservations, availability, cache, data transfer.
	var sl ocpp16s.SendLocalListResponse
	cp.mustCall("SendLocalList", &ocpp16s.SendLocalListRequest{ListVersion: 3, UpdateType: ocpp16s.UpdateTypeFull,
		LocalAuthorizationList: []ocpp16s.AuthorizationData{{IDTag: "LOCAL-1", IDTagInfo: &ocpp16s.IDTagInfo{Status: ocpp16s.AuthorizationStatusAccepted}}}}, &sl)
	var lv ocpp16s.GetLocalListVersionResponse
	cp.mustCall("GetLocalListVersion", &ocpp16s.GetLocalListVersionRequest{}, &lv)
	if sl.Status != ocpp16s.UpdateStatusAccepted || lv.ListVersion != 3 {
		t.Errorf("SendLocalList = %s, then version %d; want Accepted, 3", sl.Status, lv.ListVersion)
	}
	var rn ocpp16s.ReserveNowResponse
	cp.mustCall("ReserveNow", &ocpp16s.ReserveNowRequest{ConnectorID: 2, ExpiryDate: time.Now().UTC().Add(time.Hour).Truncate(time.Second),
		IDTag: "RES-1", ReservationID: 9}, &rn)
	waitCount(t, f, "CP-S", "Reserved", 1, func(r *ocpp16s.StatusNotificationRequest) bool {
		return r.ConnectorID == 2 && r.Status == ocpp16s.ChargePointStatusReserved
	})
	var cr ocpp16s.CancelReservationResponse
	cp.mustCall("CancelReservation", &ocpp16s.CancelReservationRequest{ReservationID: 9}, &cr)
	if rn.Status != ocpp16s.ReservationStatusAccepted || cr.Status != ocpp16s.CancelReservationStatusAccepted {
		t.Errorf("ReserveNow = %s, CancelReservation = %s; want Accepted, Accepted", rn.Status, cr.Status)
	}
	var ca ocpp16s.ChangeAvailabilityResponse
	cp.mustCall("ChangeAvailability", &ocpp16s.ChangeAvailabilityRequest{ConnectorID: 2, Type: ocpp16s.AvailabilityTypeInoperative}, &ca)
	waitCount(t, f, "CP-S", "Unavailable", 1, func(r *ocpp16s.StatusNotificationRequest) bool {
		return r.ConnectorID == 2 && r.Status == ocpp16s.ChargePointStatusUnavailable
	})
	var clc ocpp16s.ClearCacheResponse
	cp.mustCall("ClearCache", &ocpp16s.ClearCacheRequest{}, &clc)
	var dt ocpp16s.CPDataTransferResponse
	cp.mustCall("DataTransfer", &ocpp16s.CPDataTransferRequest{VendorID: "com.example"}, &dt)
	if ca.Status != ocpp16s.AvailabilityStatusAccepted || clc.Status != ocpp16s.ClearCacheStatusAccepted || dt.Status != ocpp16s.DataTransferStatusUnknownVendorID {
		t.Errorf("ChangeAvailability = %s, ClearCache = %s, DataTransfer = %s; want Accepted, Accepted, UnknownVendorId", ca.Status, clc.Status, dt.Status)
	}

	// Faults.
	cp.wantFault("GetLog", soap.RawXML(`<getLogRequest xmlns="urn://Ocpp/Cp/2015/10/"/>`), soap.CodeSender, soap.SubcodeActionNotSupported)
	cp.wantFault("Heartbeat", &ocpp16s.HeartbeatRequest{}, soap.CodeSender, soap.SubcodeActionNotSupported)
	cp.wantFault("Reset", soap.RawXML(`<resetRequest xmlns="urn://Ocpp/Cp/2015/10/"><type>Warm</type></resetRequest>`),
		soap.CodeSender, soap.SubcodePropertyConstraintViolation)
	v15 := *cp
	v15.ns = soap.NSChargePoint15
	v15.wantFault("Reset", &ocpp15.ResetRequest{Type: ocpp15.ResetTypeSoft}, soap.CodeSender, soap.SubcodeNotSupported)
	other := *cp
	other.id = "CP-OTHER"
	other.wantFault("Reset", &ocpp16s.ResetRequest{Type: ocpp16s.ResetTypeSoft}, soap.CodeSender, soap.SubcodeIdentityMismatch)
	if resp, err := http.Get(ch.SOAPAddress()); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET the service = %v, %v; want 405", resp, err)
	} else {
		resp.Body.Close()
	}
	http.DefaultClient.CloseIdleConnections()

	// A reset ends the session: the charger boots again.
	var rr ocpp16s.ResetResponse
	cp.mustCall("Reset", &ocpp16s.ResetRequest{Type: ocpp16s.ResetTypeSoft}, &rr)
	if rr.Status != ocpp16s.ResetStatusAccepted {
		t.Errorf("Reset = %s, want Accepted", rr.Status)
	}
	waitCount[ocpp16s.BootNotificationRequest](t, f, "CP-S", "the BootNotification after the reset", 2, nil)
}

// TestSOAPFaultsFromCentralSystem: a Receiver InternalError is retried as
// an OCPP-J InternalError is; a Sender fault refuses the message.
func TestSOAPFaultsFromCentralSystem(t *testing.T) {
	f := newFakeSOAPCS(t)
	var failed atomic.Bool
	f.setOverride(func(r soapRecord) (any, bool) {
		switch r.req.(type) {
		case *ocpp16s.StartTransactionRequest:
			if failed.CompareAndSwap(false, true) {
				return soap.ReceiverFault(soap.NSCentralSystem16, soap.SubcodeInternalError, "store down"), true
			}
		case *ocpp16s.AuthorizeRequest:
			return soap.SenderFault(soap.NSCentralSystem16, soap.SubcodeSecurityError, "no"), true
		}
		return nil, false
	})
	ch := startSOAPSim(t, f, sim.Config{})
	cp := newCPClient(t, ch, soap.V16)
	var rs ocpp16s.RemoteStartTransactionResponse
	cp.mustCall("RemoteStartTransaction", &ocpp16s.RemoteStartTransactionRequest{ConnectorID: ptr(1), IDTag: "TAG-S"}, &rs)
	waitCount[ocpp16s.StartTransactionRequest](t, f, "CP-S", "StartTransaction, then its retry", 2, nil)
	deadline := time.Now().Add(5 * time.Second)
	for ch.State(1).TxID == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if id := ch.State(1).TxID; id != "501" {
		t.Errorf("transaction id after the retry = %q, want 501", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ch.SwipeCard(ctx, 2, "CARD"); err == nil || !strings.Contains(err.Error(), "SecurityError") {
		t.Errorf("SwipeCard with Authorize faulted = %v, want a SecurityError", err)
	}
}

// TestSOAPSessionEnds: a central system that stops answering (503 with
// Retry-After) ends the session; the charger boots again when it is back
// and delivers what it metered meanwhile.
func TestSOAPSessionEnds(t *testing.T) {
	f := newFakeSOAPCS(t)
	ch := startSOAPSim(t, f, sim.Config{MeterValueSampleInterval: 100 * time.Millisecond})
	cp := newCPClient(t, ch, soap.V16)
	var rs ocpp16s.RemoteStartTransactionResponse
	cp.mustCall("RemoteStartTransaction", &ocpp16s.RemoteStartTransactionRequest{ConnectorID: ptr(1), IDTag: "TAG-S"}, &rs)
	waitCount(t, f, "CP-S", "MeterValues", 1, func(r *ocpp16s.MeterValuesRequest) bool { return r.TransactionID != nil })
	f.setDown(true)
	deadline := time.Now().Add(5 * time.Second)
	for ch.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("the session did not end when the central system stopped answering")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Offline, the service still answers: the charger is still there.
	var gc ocpp16s.GetConfigurationResponse
	cp.mustCall("GetConfiguration", &ocpp16s.GetConfigurationRequest{Key: []ocpp16s.CiString50Type{"HeartbeatInterval"}}, &gc)
	before := len(f.records("CP-S"))
	time.Sleep(300 * time.Millisecond) // samples queue meanwhile
	f.setDown(false)
	waitCount[ocpp16s.BootNotificationRequest](t, f, "CP-S", "the BootNotification of the next session", 2, nil)
	waitCount(t, f, "CP-S", "MeterValues queued while down", 3, func(r *ocpp16s.MeterValuesRequest) bool { return r.TransactionID != nil && *r.TransactionID == 501 })
	after := f.records("CP-S")[before:]
	if len(after) == 0 || after[0].op != "BootNotification" {
		t.Errorf("first request after the outage = %+v, want BootNotification", after)
	}
}

// TestSOAPTLSAndNewKey: with security profile 2 a SOAP charger posts over
// TLS to the https endpoint derived from its wss:// URL, trusting the
// configured roots, with Basic auth; an AuthorizationKey the central system
// sets starts a new session with the new key.
func TestSOAPTLSAndNewKey(t *testing.T) {
	const key1 = "00112233445566778899aabbccddeeff"
	const key2 = "ffeeddccbbaa99887766554433221100aabbccdd"
	p := newPKI(t)
	f := newFakeSOAPCSTLS(t, p.serverTLS(tls.NoClientCert))
	ch := startSOAPSim(t, f, sim.Config{URL: "wss" + strings.TrimPrefix(f.srv.URL, "https") + "/ocpp",
		SecurityProfile: 2, Password: key1, RootCAs: p.ca.Pool()})
	boot := f.records("CP-S")[0]
	if !boot.tls || boot.path != "/ocpp/soap" || boot.auth != basicHeader("CP-S", mustHex(t, key1)) {
		t.Errorf("boot: TLS %v, path %q, auth %q; want TLS to /ocpp/soap with the first key", boot.tls, boot.path, boot.auth)
	}
	cp := newCPClient(t, ch, soap.V16)
	var cc ocpp16s.ChangeConfigurationResponse
	cp.mustCall("ChangeConfiguration", &ocpp16s.ChangeConfigurationRequest{Key: "AuthorizationKey", Value: key2}, &cc)
	if cc.Status != ocpp16s.ConfigurationStatusAccepted {
		t.Fatalf("ChangeConfiguration AuthorizationKey = %s, want Accepted", cc.Status)
	}
	waitCount[ocpp16s.BootNotificationRequest](t, f, "CP-S", "the BootNotification of the new session", 2, nil)
	var after []soapRecord
	for _, r := range f.records("CP-S") {
		if r.op == "BootNotification" {
			after = nil
		}
		after = append(after, r)
	}
	for _, r := range after {
		if !r.tls || r.auth != basicHeader("CP-S", mustHex(t, key2)) {
			t.Errorf("%s of the new session: TLS %v, auth %q; want TLS with the new key", r.op, r.tls, r.auth)
		}
	}
	if ch.SecurityProfile() != 2 || ch.Password() != key2 {
		t.Errorf("profile %d, password %q; want 2 and the new key", ch.SecurityProfile(), ch.Password())
	}
}

// TestSOAP15Service: a 1.5 charger boots in 1.5's namespace with its
// advertised address, answers what 1.5's charge-point service has, and
// refuses what it lacks (TriggerMessage, charging profiles).
func TestSOAP15Service(t *testing.T) {
	f := newFakeSOAPCS(t)
	ch := startSOAPSim(t, f, sim.Config{OCPPVersion: sim.OCPP15S, SOAPAdvertise: "http://cp.example/ocpp15"})
	if v := ch.Version(); v != sim.OCPP15S {
		t.Errorf("Version() = %q, want %q", v, sim.OCPP15S)
	}
	boot := waitCount[ocpp15.BootNotificationRequest](t, f, "CP-S", "1.5 BootNotification", 1, nil)[0]
	if boot.ChargePointVendor != "Joule" {
		t.Errorf("boot = %+v, want vendor Joule", boot)
	}
	addr := ch.SOAPAddress()
	u, err := url.Parse(addr)
	if err != nil || u.Hostname() != "cp.example" || u.Port() == "" || u.Path != "/ocpp15" {
		t.Errorf("SOAPAddress() = %q, want http://cp.example:<the port listened on>/ocpp15", addr)
	}
	if r := f.records("CP-S")[0]; r.version != soap.V15 || r.from != addr {
		t.Errorf("boot: version %s from %q, want 1.5 from %q", r.version, r.from, addr)
	}

	// The advertised host is for the central system; the test reaches
	// the listener on the loopback address at the same port.
	cp := newCPClient(t, ch, soap.V15)
	to := "http://127.0.0.1:" + u.Port() + "/ocpp15"
	call := func(op string, body any) (*soap.Message, error) {
		return cp.c.Call(context.Background(), soap.Request{Namespace: cp.ns, Operation: op, ChargeBoxIdentity: "CP-S", To: to, Body: body})
	}
	for _, tc := range []struct{ op, body string }{
		{"TriggerMessage", `<triggerMessageRequest xmlns="urn://Ocpp/Cp/2012/06/"><requestedMessage>Heartbeat</requestedMessage></triggerMessageRequest>`},
		{"SetChargingProfile", `<setChargingProfileRequest xmlns="urn://Ocpp/Cp/2012/06/"><connectorId>0</connectorId></setChargingProfileRequest>`},
		{"GetCompositeSchedule", `<getCompositeScheduleRequest xmlns="urn://Ocpp/Cp/2012/06/"><connectorId>1</connectorId><duration>60</duration></getCompositeScheduleRequest>`},
	} {
		_, err := call(tc.op, soap.RawXML(tc.body))
		if f, ok := errors.AsType[*soap.Fault](err); !ok || f.Code != soap.CodeSender || f.Subcode() != soap.SubcodeActionNotSupported {
			t.Errorf("1.5 %s: %v, want Sender/ActionNotSupported", tc.op, err)
		}
	}

	decode := func(op string, body any, out interface{ Validate() error }) {
		t.Helper()
		m, err := call(op, body)
		if err != nil {
			t.Fatalf("1.5 %s: %v", op, err)
		}
		if err := m.UnmarshalBody(out); err != nil {
			t.Fatalf("1.5 %s answer: %v", op, err)
		}
		if err := out.Validate(); err != nil {
			t.Fatalf("1.5 %s answer breaks the WSDL: %v\n%s", op, err, m.BodyXML)
		}
	}
	var cc ocpp15.ChangeConfigurationResponse
	decode("ChangeConfiguration", &ocpp15.ChangeConfigurationRequest{Key: "HeartbeatInterval", Value: "120"}, &cc)
	if cc.Status != ocpp15.ConfigurationStatusAccepted {
		t.Errorf("1.5 ChangeConfiguration = %s, want Accepted", cc.Status)
	}
	var gc ocpp15.GetConfigurationResponse
	decode("GetConfiguration", &ocpp15.GetConfigurationRequest{Key: []string{"HeartbeatInterval", "SupportedFeatureProfiles"}}, &gc)
	got := map[string]string{}
	for _, k := range gc.ConfigurationKey {
		got[k.Key] = deref(k.Value)
	}
	if got["HeartbeatInterval"] != "120" || got["SupportedFeatureProfiles"] != "Core,FirmwareManagement,LocalAuthListManagement,Reservation" {
		t.Errorf("1.5 GetConfiguration = %v, want HeartbeatInterval 120 and 1.5's feature profiles", got)
	}
	var sl ocpp15.SendLocalListResponse
	decode("SendLocalList", &ocpp15.SendLocalListRequest{ListVersion: 3, UpdateType: ocpp15.UpdateTypeFull,
		LocalAuthorisationList: []ocpp15.AuthorisationData{{IDTag: "LOCAL-1", IDTagInfo: &ocpp15.IDTagInfo{Status: ocpp15.AuthorizationStatusAccepted}}}}, &sl)
	var lv ocpp15.GetLocalListVersionResponse
	decode("GetLocalListVersion", &ocpp15.GetLocalListVersionRequest{}, &lv)
	if sl.Status != ocpp15.UpdateStatusAccepted || lv.ListVersion != 3 {
		t.Errorf("1.5 SendLocalList = %s, then version %d; want Accepted, 3", sl.Status, lv.ListVersion)
	}
	var rn ocpp15.ReserveNowResponse
	decode("ReserveNow", &ocpp15.ReserveNowRequest{ConnectorID: 2, ExpiryDate: time.Now().UTC().Add(time.Hour).Truncate(time.Second),
		IDTag: "RES-1", ReservationID: 9}, &rn)
	waitCount(t, f, "CP-S", "1.5 Reserved", 1, func(r *ocpp15.StatusNotificationRequest) bool {
		return r.ConnectorID == 2 && r.Status == ocpp15.ChargePointStatusReserved
	})
	var cr ocpp15.CancelReservationResponse
	decode("CancelReservation", &ocpp15.CancelReservationRequest{ReservationID: 9}, &cr)
	if rn.Status != ocpp15.ReservationStatusAccepted || cr.Status != ocpp15.CancelReservationStatusAccepted {
		t.Errorf("1.5 ReserveNow = %s, CancelReservation = %s; want Accepted, Accepted", rn.Status, cr.Status)
	}
	var ca ocpp15.ChangeAvailabilityResponse
	decode("ChangeAvailability", &ocpp15.ChangeAvailabilityRequest{ConnectorID: 2, Type: ocpp15.AvailabilityTypeInoperative}, &ca)
	waitCount(t, f, "CP-S", "1.5 Unavailable", 1, func(r *ocpp15.StatusNotificationRequest) bool {
		return r.ConnectorID == 2 && r.Status == ocpp15.ChargePointStatusUnavailable
	})
	var clc ocpp15.ClearCacheResponse
	decode("ClearCache", &ocpp15.ClearCacheRequest{}, &clc)
	var dt ocpp15.CPDataTransferResponse
	decode("DataTransfer", &ocpp15.CPDataTransferRequest{VendorID: "com.example"}, &dt)
	if ca.Status != ocpp15.AvailabilityStatusAccepted || clc.Status != ocpp15.ClearCacheStatusAccepted || dt.Status != ocpp15.DataTransferStatusUnknownVendorID {
		t.Errorf("1.5 ChangeAvailability = %s, ClearCache = %s, DataTransfer = %s; want Accepted, Accepted, UnknownVendorId", ca.Status, clc.Status, dt.Status)
	}

	var rr ocpp15.ResetResponse
	decode("Reset", &ocpp15.ResetRequest{Type: ocpp15.ResetTypeHard}, &rr)
	if rr.Status != ocpp15.ResetStatusAccepted {
		t.Errorf("1.5 Reset = %s, want Accepted", rr.Status)
	}
	waitCount[ocpp15.BootNotificationRequest](t, f, "CP-S", "the 1.5 BootNotification after the reset", 2, nil)
}

// TestSOAPFirmwareAndDiagnostics: firmware updates and diagnostics uploads
// report their progress in each version's statuses (1.5 has no
// Downloading, Installing or Uploading), and the charger reboots into
// the new firmware.
func TestSOAPFirmwareAndDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		version          string
		firmware, upload []string
	}{
		{sim.OCPP16S, []string{"Downloading", "Downloaded", "Installing", "Installed"}, []string{"Uploading", "Uploaded"}},
		{sim.OCPP15S, []string{"Downloaded", "Installed"}, []string{"Uploaded"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			fw := firmwareServer(t)
			up := newUploadServer(t)
			f := newFakeSOAPCS(t)
			ch := startSOAPSim(t, f, sim.Config{OCPPVersion: tc.version})
			cp := newCPClient(t, ch, soapVersion(tc.version))
			retrieve := time.Now().UTC().Truncate(time.Second)
			if tc.version == sim.OCPP15S {
				var gd ocpp15.GetDiagnosticsResponse
				cp.mustCall("GetDiagnostics", &ocpp15.GetDiagnosticsRequest{Location: up.srv.URL + "/diag"}, &gd)
				var uf ocpp15.UpdateFirmwareResponse
				cp.mustCall("UpdateFirmware", &ocpp15.UpdateFirmwareRequest{Location: fw.URL + "/fw-1.5.9", RetrieveDate: retrieve}, &uf)
			} else {
				var gd ocpp16s.GetDiagnosticsResponse
				cp.mustCall("GetDiagnostics", &ocpp16s.GetDiagnosticsRequest{Location: up.srv.URL + "/diag"}, &gd)
				var uf ocpp16s.UpdateFirmwareResponse
				cp.mustCall("UpdateFirmware", &ocpp16s.UpdateFirmwareRequest{Location: fw.URL + "/fw-1.5.9", RetrieveDate: retrieve}, &uf)
			}
			boots := 0
			deadline := time.Now().Add(8 * time.Second)
			for boots < 2 {
				if time.Now().After(deadline) {
					t.Fatalf("no BootNotification after the installation; charger sent:\n%s", f.dump("CP-S"))
				}
				time.Sleep(5 * time.Millisecond)
				boots = 0
				for _, r := range f.records("CP-S") {
					if r.op == "BootNotification" {
						boots++
					}
				}
			}
			var firmware, upload []string
			for _, r := range f.records("CP-S") {
				switch req := r.req.(type) {
				case *ocpp16s.FirmwareStatusNotificationRequest:
					firmware = append(firmware, string(req.Status))
				case *ocpp15.FirmwareStatusNotificationRequest:
					firmware = append(firmware, string(req.Status))
				case *ocpp16s.DiagnosticsStatusNotificationRequest:
					upload = append(upload, string(req.Status))
				case *ocpp15.DiagnosticsStatusNotificationRequest:
					upload = append(upload, string(req.Status))
				}
			}
			if !slices.Equal(firmware, tc.firmware) || !slices.Equal(upload, tc.upload) {
				t.Errorf("firmware statuses %v, diagnostics statuses %v; want %v, %v", firmware, upload, tc.firmware, tc.upload)
			}
			if !strings.Contains(up.file("/diag"), "charger=CP-S") || ch.FirmwareVersion() != "fw-1.5.9" {
				t.Errorf("uploaded %q, firmware %q; want the diagnostics and fw-1.5.9", up.file("/diag"), ch.FirmwareVersion())
			}
		})
	}
}

func soapVersion(v string) soap.Version {
	if v == sim.OCPP15S {
		return soap.V15
	}
	return soap.V16
}

// TestSOAP15Flow runs a 1.5 charger through boot, status (1.6's
// Preparing and Charging said as Occupied), a remote start, meter values
// (1.5's values with attributes) and a remote stop with transaction data,
// and unlocks a connector (1.6's Unlocked said as Accepted).
func TestSOAP15Flow(t *testing.T) {
	f := newFakeSOAPCS(t)
	ch := startSOAPSim(t, f, sim.Config{OCPPVersion: sim.OCPP15S, MeterValueSampleInterval: 100 * time.Millisecond})
	waitCount(t, f, "CP-S", "1.5 StatusNotification Available", 3, func(r *ocpp15.StatusNotificationRequest) bool {
		return r.Status == ocpp15.ChargePointStatusAvailable
	})
	cp := newCPClient(t, ch, soap.V15)
	var rs ocpp15.RemoteStartTransactionResponse
	cp.mustCall("RemoteStartTransaction", &ocpp15.RemoteStartTransactionRequest{ConnectorID: ptr(1), IDTag: "TAG-15"}, &rs)
	if rs.Status != ocpp15.RemoteStartStopStatusAccepted {
		t.Fatalf("1.5 RemoteStartTransaction = %s, want Accepted", rs.Status)
	}
	start := waitCount[ocpp15.StartTransactionRequest](t, f, "CP-S", "1.5 StartTransaction", 1, nil)[0]
	if start.ConnectorID != 1 || start.IDTag != "TAG-15" {
		t.Errorf("1.5 StartTransaction = %+v, want connector 1, TAG-15", start)
	}
	waitCount(t, f, "CP-S", "1.5 Occupied", 1, func(r *ocpp15.StatusNotificationRequest) bool {
		return r.ConnectorID == 1 && r.Status == ocpp15.ChargePointStatusOccupied
	})
	mvs := waitCount(t, f, "CP-S", "1.5 MeterValues", 2, func(r *ocpp15.MeterValuesRequest) bool { return r.TransactionID != nil && *r.TransactionID == 501 })
	for _, mv := range mvs {
		if len(mv.Values) != 1 || !hasRegister15(mv.Values[0]) {
			t.Errorf("1.5 MeterValues = %+v, want one value set with the energy register in Wh", mv)
		}
	}
	var stop ocpp15.RemoteStopTransactionResponse
	cp.mustCall("RemoteStopTransaction", &ocpp15.RemoteStopTransactionRequest{TransactionID: 501}, &stop)
	end := waitCount[ocpp15.StopTransactionRequest](t, f, "CP-S", "1.5 StopTransaction", 1, nil)[0]
	var readings int
	for _, td := range end.TransactionData {
		for _, v := range td.Values {
			if hasRegister15(v) {
				readings++
			}
		}
	}
	if end.TransactionID != 501 || end.MeterStop < start.MeterStart || readings != 2 {
		t.Errorf("1.5 StopTransaction = %+v, want transaction 501, meterStop from %d, the begin and end registers", end, start.MeterStart)
	}
	var ul ocpp15.UnlockConnectorResponse
	cp.mustCall("UnlockConnector", &ocpp15.UnlockConnectorRequest{ConnectorID: 1}, &ul)
	if ul.Status != ocpp15.UnlockStatusAccepted {
		t.Errorf("1.5 UnlockConnector = %s, want Accepted", ul.Status)
	}
}

func hasRegister15(mv ocpp15.MeterValue) bool {
	for _, v := range mv.Value {
		if v.Measurand != nil && *v.Measurand == ocpp15.MeasurandEnergyActiveImportRegister && v.Unit != nil && *v.Unit == ocpp15.UnitOfMeasureWh {
			return true
		}
	}
	return false
}

// TestSOAPConfigErrors: what a SOAP charger cannot do is refused by Run.
func TestSOAPConfigErrors(t *testing.T) {
	p := newPKI(t)
	const pw = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name string
		cfg  sim.Config
		want string
	}{
		{"profile 3", sim.Config{URL: "wss://127.0.0.1:1/ocpp", SecurityProfile: 3, ClientCert: p.clientCert(t, "CP-S")}, "profile 3"},
		{"a client certificate", sim.Config{URL: "wss://127.0.0.1:1/ocpp", SecurityProfile: 2, Password: pw, ClientCert: p.clientCert(t, "CP-S")}, "client certificate"},
		{"RequestCertificate", sim.Config{URL: "ws://127.0.0.1:1/ocpp", RequestCertificate: true}, "SignCertificate"},
		{"profile 2 on http", sim.Config{URL: "wss://127.0.0.1:1/ocpp", SOAPURL: "http://127.0.0.1:1/soap", SecurityProfile: 2, Password: pw}, "https://"},
		{"a SOAPURL that is no http URL", sim.Config{URL: "ws://127.0.0.1:1/ocpp", SOAPURL: "ws://127.0.0.1:1/soap"}, "SOAPURL"},
		{"a URL to derive nothing from", sim.Config{URL: "ftp://127.0.0.1:1/ocpp"}, "SOAP endpoint"},
		{"a SOAPAdvertise that is no URL", sim.Config{URL: "ws://127.0.0.1:1/ocpp", SOAPAdvertise: "cp.example:80"}, "SOAPAdvertise"},
		{"a SOAPListen that cannot be listened on", sim.Config{URL: "ws://127.0.0.1:1/ocpp", SOAPListen: "127.0.0.1:99999"}, "charge point service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.ID, tc.cfg.OCPPVersion = "CP-S", sim.OCPP16S
			err := sim.New(tc.cfg).Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	ch := sim.New(sim.Config{URL: "ws://127.0.0.1:1/ocpp", ID: "CP-S", OCPPVersion: sim.OCPP15S})
	if _, err := ch.RequestCertificate(t.Context()); err == nil {
		t.Error("RequestCertificate of a SOAP charger = nil error, want one")
	}
}

// TestRunFleetMixed: a mixed fleet cycles through 1.6J, 2.0.1, 1.5 SOAP
// and 1.6 SOAP.
func TestRunFleetMixed(t *testing.T) {
	fj := newFakeCSMS(t)
	fj.proto = sim.OCPPMixed
	fs := newFakeSOAPCS(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.RunFleet(ctx, sim.Config{URL: fj.url(), SOAPURL: fs.srv.URL + "/ocpp/soap", OCPPVersion: sim.OCPPMixed,
			Logger: testLogger(t, slog.LevelError)}, 5, "MIX-")
	}()
	waitFor[ocpp16.BootNotificationRequest](t, fj, "MIX-0001", "1.6 boot of MIX-0001", nil)
	waitFor[ocpp201.BootNotificationRequest](t, fj, "MIX-0002", "2.0.1 boot of MIX-0002", nil)
	waitCount[ocpp15.BootNotificationRequest](t, fs, "MIX-0003", "1.5 SOAP boot of MIX-0003", 1, nil)
	waitCount[ocpp16s.BootNotificationRequest](t, fs, "MIX-0004", "1.6 SOAP boot of MIX-0004", 1, nil)
	waitFor[ocpp16.BootNotificationRequest](t, fj, "MIX-0005", "1.6 boot of MIX-0005", nil)
	stopFleet(t, cancel, done)
	for _, id := range []string{"MIX-0003", "MIX-0004"} {
		if from := fs.records(id)[0].from; !strings.HasPrefix(from, "http://127.0.0.1:") {
			t.Errorf("%s service address = %q, want one on the loopback address", id, from)
		}
	}
}

// TestRunFleetSOAPPorts: a fixed advertised port is the first charger's;
// the next ones count up, as a forwarded range of ports would.
func TestRunFleetSOAPPorts(t *testing.T) {
	f := newFakeSOAPCS(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.RunFleet(ctx, sim.Config{URL: f.url(), OCPPVersion: sim.OCPP16S, SOAPAdvertise: "http://sim.example:19100/cp",
			Logger: testLogger(t, slog.LevelWarn)}, 3, "PORT-")
	}()
	for i, id := range []string{"PORT-0001", "PORT-0002", "PORT-0003"} {
		waitCount[ocpp16s.BootNotificationRequest](t, f, id, "boot of "+id, 1, nil)
		if from, want := f.records(id)[0].from, fmt.Sprintf("http://sim.example:%d/cp", 19100+i); from != want {
			t.Errorf("%s service address = %q, want %q", id, from, want)
		}
	}
	stopFleet(t, cancel, done)
}
