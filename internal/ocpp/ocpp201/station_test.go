package ocpp201_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// fakeEvents is a charging.StationEvents whose boot answers come from a
// list, and which records what it was told.
type fakeEvents struct {
	charging.StationEvents // nil: methods the tests do not use panic

	mu         sync.Mutex
	boots      []charging.RegistrationStatus // answered in order; the last repeats
	reg        charging.RegistrationStatus
	needs      bool
	events     []charging.ChargerEvent
	vars       []charging.Variable
	connectors []charging.ConnectorReport
	txEvents   []charging.TransactionEvent

	// The security events (station_security_test.go).
	csrs       []charging.CertificateRequest
	signAnswer charging.CommandStatus // SignCertificate's answer
	security   []charging.SecurityEvent
	jobs       []string // "log|firmware status requestId", as reported
	failStore  bool     // the security events fail, as a store would
}

func (f *fakeEvents) Booted(ctx context.Context, id string, info charging.BootInfo) (charging.BootResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.boots[0]
	if len(f.boots) > 1 {
		f.boots = f.boots[1:]
	}
	f.reg = st
	return charging.BootResult{Status: st, Interval: 30 * time.Second, Now: time.Now()}, nil
}

func (f *fakeEvents) Registration(ctx context.Context, id string) (charging.RegistrationStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reg, nil
}

func (f *fakeEvents) NeedsDeviceReport(ctx context.Context, id string) (bool, error) {
	return f.needs, nil
}

func (f *fakeEvents) Heartbeat(ctx context.Context, id string) (time.Time, error) {
	return time.Now(), nil
}

func (f *fakeEvents) ChargerEventsReported(ctx context.Context, id string, es []charging.ChargerEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, es...)
	return nil
}

func (f *fakeEvents) DeviceModelReported(ctx context.Context, id string, r charging.DeviceReport) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vars = append(f.vars, r.Variables...)
	f.connectors = append(f.connectors, r.Connectors...)
	return nil
}

func (f *fakeEvents) TransactionEvent(ctx context.Context, id string, e charging.TransactionEvent) (charging.TransactionEventResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txEvents = append(f.txEvents, e)
	if e.SeqNo == 99 {
		return charging.TransactionEventResult{}, errors.New("disk full")
	}
	return charging.TransactionEventResult{SessionID: "S-1"}, nil
}

// pair connects a charger-side ocppj.Conn to a Station over a real
// WebSocket; csmsCalls receives the CSMS's CALLs (answered Accepted).
func pair(t *testing.T, ev *fakeEvents) (*ocppj.Conn, chan string) {
	t.Helper()
	calls := make(chan string, 16)
	up := websocket.Upgrader{Subprotocols: []string{"ocpp2.0.1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		var st *ocpp201.Station
		conn := ocppj.NewConn(ws, ocppj.Options{Dialect: ocppj.Dialect201, CallTimeout: 5 * time.Second,
			Handler: func(ctx context.Context, action string, p json.RawMessage) (any, error) {
				return st.HandleCall(ctx, action, p)
			}})
		st = ocpp201.NewStation("CS-1", conn, ev, nil)
		_ = conn.Serve(r.Context())
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cs, _, err := ocppj.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), []string{"ocpp2.0.1"}, nil, ocppj.Options{
		Dialect: ocppj.Dialect201, CallTimeout: 5 * time.Second,
		Handler: func(ctx context.Context, action string, p json.RawMessage) (any, error) {
			calls <- action + " " + string(p)
			return json.RawMessage(`{"status":"Accepted"}`), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = cs.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return cs, calls
}

func code(err error) string {
	var e *ocppj.Error
	if errors.As(err, &e) {
		return string(e.Code)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

// TestRegistration walks B02/B03: Rejected and Pending stations get
// SecurityError for anything but a boot; once Accepted they are served, and
// a base report is asked for only when the domain needs one.
func TestRegistration(t *testing.T) {
	const boot = `{"reason":"PowerUp","chargingStation":{"vendorName":"V","model":"M"}}`
	for _, tc := range []struct {
		name   string
		boots  []charging.RegistrationStatus
		needs  bool
		report bool
	}{
		{"rejected then accepted", []charging.RegistrationStatus{charging.RegistrationRejected, charging.RegistrationAccepted}, true, true},
		{"pending then accepted", []charging.RegistrationStatus{charging.RegistrationPending, charging.RegistrationAccepted}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &fakeEvents{boots: tc.boots, reg: charging.RegistrationPending, needs: tc.needs}
			cs, calls := pair(t, ev)
			ctx := context.Background()
			if _, err := cs.Call(ctx, "Heartbeat", json.RawMessage(`{}`)); code(err) != "SecurityError" {
				t.Fatalf("Heartbeat before boot: %v, want SecurityError", err)
			}
			// The Pending station is asked to boot (B02), once per connection.
			select {
			case c := <-calls:
				if c != `TriggerMessage {"requestedMessage":"BootNotification"}` {
					t.Errorf("CSMS call = %s, want TriggerMessage BootNotification", c)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no TriggerMessage BootNotification for the Pending station")
			}
			raw, err := cs.Call(ctx, "BootNotification", json.RawMessage(boot))
			if err != nil || !strings.Contains(string(raw), string(tc.boots[0])) {
				t.Fatalf("boot 1 = %s, %v; want %s", raw, err, tc.boots[0])
			}
			if _, err := cs.Call(ctx, "Heartbeat", json.RawMessage(`{}`)); code(err) != "SecurityError" {
				t.Fatalf("Heartbeat while %s: %v, want SecurityError", tc.boots[0], err)
			}
			raw, err = cs.Call(ctx, "BootNotification", json.RawMessage(boot))
			if err != nil || !strings.Contains(string(raw), `"Accepted"`) {
				t.Fatalf("boot 2 = %s, %v; want Accepted", raw, err)
			}
			if _, err := cs.Call(ctx, "Heartbeat", json.RawMessage(`{}`)); err != nil {
				t.Fatalf("Heartbeat once Accepted: %v", err)
			}
			if tc.report {
				select {
				case c := <-calls:
					if !strings.HasPrefix(c, "GetBaseReport ") || !strings.Contains(c, "FullInventory") {
						t.Errorf("CSMS call = %s, want GetBaseReport FullInventory", c)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("no GetBaseReport after the first accepted boot")
				}
			}
			// A second heartbeat round trip: any base report request would be
			// out by now, since it is sent before the heartbeat is handled.
			if _, err := cs.Call(ctx, "Heartbeat", json.RawMessage(`{}`)); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-calls:
				t.Errorf("unexpected CSMS call %s", c)
			default:
			}
			ev.mu.Lock()
			defer ev.mu.Unlock()
			if len(ev.events) != 2 || ev.events[0].Action != "BootNotification" || ev.events[0].Kind != "PowerUp" {
				t.Errorf("recorded events = %+v, want both boots with their reason", ev.events)
			}
		})
	}
}

// TestTransactionEventMapping checks the translation of a TransactionEvent
// and that a failure to store it is not acknowledged.
func TestTransactionEventMapping(t *testing.T) {
	ev := &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationAccepted}, reg: charging.RegistrationAccepted}
	cs, _ := pair(t, ev)
	ctx := context.Background()
	_, err := cs.Call(ctx, "TransactionEvent", json.RawMessage(`{"eventType":"Updated","timestamp":"2026-11-25T10:00:00+01:00",
		"triggerReason":"ChargingStateChanged","seqNo":3,"offline":true,"numberOfPhasesUsed":2,"reservationId":7,
		"transactionInfo":{"transactionId":"T-9","chargingState":"SuspendedEV","remoteStartId":12,"stoppedReason":"Other"},
		"evse":{"id":2,"connectorId":1},"idToken":{"idToken":"","type":"NoAuthorization"},
		"meterValue":[{"timestamp":"2026-11-25T10:00:00Z","sampledValue":[
			{"value":7.5,"measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"kWh"}},
			{"value":16,"measurand":"Current.Import","phase":"L1","context":"Trigger"},
			{"value":1.2,"measurand":"Power.Active.Import","unitOfMeasure":{"unit":"W","multiplier":3},"signedMeterValue":{"signedMeterData":"AB","signingMethod":"m","encodingMethod":"e","publicKey":"k"}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev.mu.Lock()
	got := ev.txEvents[0]
	ev.mu.Unlock()
	if got.EventType != "Updated" || got.TransactionID != "T-9" || got.SeqNo != 3 || !got.Offline || got.NumberOfPhasesUsed != 2 ||
		got.ReservationID != 7 || got.RemoteStartID != 12 || got.ChargingState != "SuspendedEV" || got.StoppedReason != "Other" ||
		got.ConnectorID != 2 || got.IDTag != "" || got.TriggerReason != "ChargingStateChanged" || got.Timestamp.Location() != time.UTC || got.Timestamp.Hour() != 9 {
		t.Errorf("event = %+v, want every field translated (NoAuthorization: no token)", got)
	}
	want := []struct {
		m, unit, phase, ctx, format string
		v                           float64
	}{
		{"Energy.Active.Import.Register", "Wh", "", "Sample.Periodic", "Raw", 7500},
		{"Current.Import", "A", "L1", "Trigger", "Raw", 16},
		{"Power.Active.Import", "W", "", "Sample.Periodic", "SignedData", 1200},
	}
	if len(got.Samples) != len(want) {
		t.Fatalf("samples = %+v, want %d", got.Samples, len(want))
	}
	for i, w := range want {
		s := got.Samples[i]
		if s.Measurand != w.m || s.Unit != w.unit || s.Phase != w.phase || s.Context != w.ctx || s.Format != w.format || s.Value != w.v || s.Location != "Outlet" {
			t.Errorf("sample %d = %+v, want %+v", i, s, w)
		}
	}
	_, err = cs.Call(ctx, "TransactionEvent", json.RawMessage(`{"eventType":"Updated","timestamp":"2026-11-25T10:00:00Z","triggerReason":"MeterValuePeriodic","seqNo":99,"transactionInfo":{"transactionId":"T-9"}}`))
	if code(err) != "InternalError" {
		t.Errorf("a TransactionEvent the store failed: %v, want InternalError (not acknowledged)", err)
	}
}
