package soapcs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// soapEvents answers the messages these tests send: boots are Accepted,
// a charger's stored registration is reg's (Accepted if absent).
type soapEvents struct {
	charging.StationEvents // nil: methods the tests do not use panic

	mu           sync.Mutex
	reg          map[string]charging.RegistrationStatus
	connectedErr error
	connected    []string // the versions of each Connected
	disconnected []string
	// online reports whether the commander still holds a charger when it
	// is marked offline (the domain would keep it online then).
	online        func(id string) bool
	heldOnDisconn []bool
}

func (e *soapEvents) Connected(_ context.Context, id, version string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.connected = append(e.connected, version)
	return e.connectedErr
}

func (e *soapEvents) Disconnected(_ context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.disconnected = append(e.disconnected, id)
	if e.online != nil {
		e.heldOnDisconn = append(e.heldOnDisconn, e.online(id))
	}
	return nil
}

// lastConnected is the version of the last Connected.
func (e *soapEvents) lastConnected() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.connected[len(e.connected)-1]
}

func (e *soapEvents) failConnected(err error) {
	e.mu.Lock()
	e.connectedErr = err
	e.mu.Unlock()
}

func (e *soapEvents) Registration(_ context.Context, id string) (charging.RegistrationStatus, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.reg[id]; ok {
		return r, nil
	}
	return charging.RegistrationAccepted, nil
}

func (e *soapEvents) Booted(context.Context, string, charging.BootInfo) (charging.BootResult, error) {
	return charging.BootResult{Status: charging.RegistrationAccepted, Interval: 300 * time.Second, Now: time.Now()}, nil
}

func (e *soapEvents) Heartbeat(context.Context, string) (time.Time, error) { return time.Now(), nil }

// csCall sends a charger's message to Joule's service at url.
func csCall(t *testing.T, url string, v soap.Version, id, from, op string, body any) (*soap.Message, error) {
	t.Helper()
	c := soap.Client{Timeout: wait}
	return c.Call(context.Background(), soap.Request{Namespace: soap.Namespace(v, soap.CentralSystem), Operation: op,
		ChargeBoxIdentity: id, To: url, From: from, Body: body})
}

// newGateway is a real gateway, the commander SOAP chargers attach to.
func newGateway(t *testing.T, ev charging.StationEvents) *gateway.Gateway {
	t.Helper()
	gw := gateway.New(ev, gateway.Options{}, gateway.Protocol{Subprotocol: "ocpp1.6", Dialect: ocppj.Dialect16,
		NewStation: func(id string, conn *ocppj.Conn, ev charging.StationEvents, log *slog.Logger) gateway.Station {
			return ocpp16.NewStation(id, conn, ev, log)
		}})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return gw
}

func answerAll(v soap.Version) func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
	return func(_ *http.Request, op string, _ soapjson.Body) (soapjson.Body, *soap.Fault) {
		if v == soap.V15 {
			return &ocpp15.ResetResponse{Status: "Accepted"}, nil
		}
		switch op {
		case "TriggerMessage":
			return &ocpp16s.TriggerMessageResponse{Status: "Accepted"}, nil
		case "UnlockConnector":
			return &ocpp16s.UnlockConnectorResponse{Status: "Unlocked"}, nil
		}
		return &ocpp16s.ResetResponse{Status: "Accepted"}, nil
	}
}

// TestAttach: a SOAP charger's boot attaches its Station to the gateway,
// whose commands then reach the charger's service at its wsa:From; a new
// address takes over; a silence detaches it before the domain marks it
// offline; its next message attaches it again, at the address it gave
// last.
func TestAttach(t *testing.T) {
	ev := &soapEvents{}
	gw := newGateway(t, ev)
	ev.online = gw.Connected
	s := NewServer(Options{Events: ev, Attacher: gw, CallTimeout: wait})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cs := newChargerService(t, soap.V16, answerAll(soap.V16))
	ctx := context.Background()

	if gw.Connected("CP-A") {
		t.Fatal("connected before it said anything")
	}
	if _, err := csCall(t, srv.URL, soap.V16, "CP-A", cs.srv.URL, "BootNotification",
		&ocpp16s.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "S"}); err != nil {
		t.Fatal(err)
	}
	if !gw.Connected("CP-A") || gw.Count() != 1 {
		t.Fatalf("after the boot: connected %v, count %d; want true, 1", gw.Connected("CP-A"), gw.Count())
	}
	if st, err := gw.Reset(ctx, "CP-A", true); err != nil || st != "Accepted" {
		t.Fatalf("Reset: %q, %v", st, err)
	}
	if r := cs.waitRequests(1)[0]; r.op != "Reset" || r.identity != "CP-A" || r.to != cs.srv.URL {
		t.Errorf("the charger got %s for %q at %q", r.op, r.identity, r.to)
	}

	moved := newChargerService(t, soap.V16, answerAll(soap.V16))
	if _, err := csCall(t, srv.URL, soap.V16, "CP-A", moved.srv.URL, "Heartbeat", &ocpp16s.HeartbeatRequest{}); err != nil {
		t.Fatal(err)
	}
	if st, err := gw.UnlockConnector(ctx, "CP-A", 1); err != nil || st != "Unlocked" {
		t.Fatalf("UnlockConnector: %q, %v", st, err)
	}
	if r := moved.waitRequests(1)[0]; r.op != "UnlockConnector" || r.to != moved.srv.URL {
		t.Errorf("the new address got %s at %q", r.op, r.to)
	}
	if n := len(cs.requests()); n != 1 {
		t.Errorf("the old address got %d requests, want 1", n)
	}

	s.expire(ctx, time.Now().Add(DefaultSilence+time.Second))
	if gw.Connected("CP-A") || gw.Count() != 0 {
		t.Errorf("after the silence: connected %v, count %d; want false, 0", gw.Connected("CP-A"), gw.Count())
	}
	ev.mu.Lock()
	disconnected, held := ev.disconnected, ev.heldOnDisconn
	ev.mu.Unlock()
	if len(disconnected) != 1 || held[0] {
		t.Errorf("disconnected %v, the gateway held it then: %v; want CP-A once, not held", disconnected, held)
	}
	if _, err := gw.Reset(ctx, "CP-A", false); charging.ErrorCode(err) != charging.EUNAVAILABLE {
		t.Errorf("Reset while offline: %v; want EUNAVAILABLE", err)
	}

	if _, err := csCall(t, srv.URL, soap.V16, "CP-A", "", "Heartbeat", &ocpp16s.HeartbeatRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Reset(ctx, "CP-A", false); err != nil {
		t.Fatalf("Reset after the charger came back: %v", err)
	}
	if got := moved.waitRequests(2)[1]; got.op != "Reset" {
		t.Errorf("the last address got %s, want Reset", got.op)
	}
}

// TestAttach15: an OCPP 1.5 charger attached to the gateway gets its
// version's operations, and what 1.5 lacks is ECONFLICT with nothing sent.
func TestAttach15(t *testing.T) {
	ev := &soapEvents{}
	gw := newGateway(t, ev)
	s := NewServer(Options{Events: ev, Attacher: gw, CallTimeout: wait})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cs := newChargerService(t, soap.V15, answerAll(soap.V15))
	ctx := context.Background()
	if _, err := csCall(t, srv.URL, soap.V15, "CP-15", cs.srv.URL, "BootNotification",
		&ocpp15.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "S15"}); err != nil {
		t.Fatal(err)
	}
	if st, err := gw.Reset(ctx, "CP-15", true); err != nil || st != "Accepted" {
		t.Fatalf("Reset: %q, %v", st, err)
	}
	p, _ := profile("TxDefaultProfile")
	if _, err := gw.SetChargingProfile(ctx, "CP-15", 1, p); charging.ErrorCode(err) != charging.ECONFLICT ||
		charging.ErrorMessage(err) != "OCPP 1.5 has no SetChargingProfile" {
		t.Errorf("SetChargingProfile: %v; want ECONFLICT", err)
	}
	if _, err := gw.TriggerMessage(ctx, "CP-15", "StatusNotification", 0); charging.ErrorCode(err) != charging.ECONFLICT {
		t.Errorf("TriggerMessage: %v; want ECONFLICT", err)
	}
	if r := cs.requests(); len(r) != 1 || r[0].op != "Reset" {
		t.Errorf("the charger got %v, want the Reset only", r)
	}
}

// TestPendingAsksToBoot: a Pending 1.6 SOAP charger's early message is
// refused and the charger is asked, at its address, to boot; a 1.5
// charger, whose version has no TriggerMessage, is not asked.
func TestPendingAsksToBoot(t *testing.T) {
	ev := &soapEvents{reg: map[string]charging.RegistrationStatus{"CP-P16": charging.RegistrationPending, "CP-P15": charging.RegistrationPending}}
	gw := newGateway(t, ev)
	s := NewServer(Options{Events: ev, Attacher: gw, CallTimeout: wait})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cs16 := newChargerService(t, soap.V16, answerAll(soap.V16))
	cs15 := newChargerService(t, soap.V15, answerAll(soap.V15))
	var f *soap.Fault
	if _, err := csCall(t, srv.URL, soap.V16, "CP-P16", cs16.srv.URL, "Heartbeat", &ocpp16s.HeartbeatRequest{}); !errors.As(err, &f) ||
		f.Subcode() != soap.SubcodeSecurityError {
		t.Fatalf("Pending 1.6 heartbeat: %v; want a SecurityError fault", err)
	}
	r := cs16.waitRequests(1)[0]
	if want := xmlOf(t, &ocpp16s.TriggerMessageRequest{RequestedMessage: "BootNotification"}); r.op != "TriggerMessage" || xmlOf(t, r.body) != want {
		t.Errorf("the 1.6 charger got %s %s, want TriggerMessage BootNotification", r.op, xmlOf(t, r.body))
	}
	if _, err := csCall(t, srv.URL, soap.V15, "CP-P15", cs15.srv.URL, "Heartbeat", &ocpp15.HeartbeatRequest{}); !errors.As(err, &f) ||
		f.Subcode() != soap.SubcodeSecurityError {
		t.Fatalf("Pending 1.5 heartbeat: %v; want a SecurityError fault", err)
	}
	time.Sleep(100 * time.Millisecond) // an ask would go out from its own goroutine
	if n := len(cs15.requests()); n != 0 {
		t.Errorf("the 1.5 charger got %d requests, want none", n)
	}
}

// attacher records AttachSOAP and DetachSOAP.
type attacher struct {
	mu       sync.Mutex
	attached map[string]gateway.Station
	calls    []string
}

func (a *attacher) AttachSOAP(id string, st gateway.Station) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.attached[id] = st
	a.calls = append(a.calls, "attach "+id)
	return true
}

func (a *attacher) DetachSOAP(id string, st gateway.Station) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.attached[id] == st {
		delete(a.attached, id)
	}
	a.calls = append(a.calls, "detach "+id)
}

func (a *attacher) AttachedSOAP(id string, st gateway.Station) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.attached[id] == st
}

func (a *attacher) get(id string) gateway.Station {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.attached[id]
}

// TestAttachRules: a charger that sent no usable wsa:From is not attached
// (Joule could not call it) until a message carries one; the Station
// attached is the one answering the charger's messages; a charger that
// changes version gets a new Station in the old one's place; a failed
// Connected takes the attachment back.
func TestAttachRules(t *testing.T) {
	ev := &soapEvents{}
	att := &attacher{attached: map[string]gateway.Station{}}
	s := NewServer(Options{Events: ev, Attacher: att})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cs := newChargerService(t, soap.V16, answerAll(soap.V16))
	for _, from := range []string{"", soap.Anonymous} {
		if _, err := csCall(t, srv.URL, soap.V16, "CP-N", from, "BootNotification",
			&ocpp16s.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "S"}); err != nil {
			t.Fatal(err)
		}
		if att.get("CP-N") != nil {
			t.Fatalf("attached with wsa:From %q", from)
		}
	}
	if _, err := csCall(t, srv.URL, soap.V16, "CP-N", cs.srv.URL, "Heartbeat", &ocpp16s.HeartbeatRequest{}); err != nil {
		t.Fatal(err)
	}
	st := att.get("CP-N")
	if st == nil || st != gateway.Station(s.charger("CP-N", soap.V16).station) {
		t.Fatalf("after a message with an address: attached %v, want the charger's own Station", st)
	}

	if _, err := csCall(t, srv.URL, soap.V15, "CP-N", cs.srv.URL, "BootNotification",
		&ocpp15.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "S15"}); err != nil {
		t.Fatal(err)
	}
	st15 := att.get("CP-N")
	if st15 == nil || st15 == st || st15 != gateway.Station(s.charger("CP-N", soap.V15).station) {
		t.Errorf("after a 1.5 boot: attached %v (was %v), want the new 1.5 Station", st15, st)
	}
	if v := ev.lastConnected(); v != charging.OCPP15S {
		t.Errorf("Connected with %q, want %q", v, charging.OCPP15S)
	}

	ev.failConnected(errors.New("store down"))
	if _, err := csCall(t, srv.URL, soap.V16, "CP-E", cs.srv.URL, "BootNotification",
		&ocpp16s.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "S"}); err == nil {
		t.Fatal("boot answered while Connected failed")
	}
	if att.get("CP-E") != nil {
		t.Errorf("still attached after Connected failed; calls %v", att.calls)
	}
}
