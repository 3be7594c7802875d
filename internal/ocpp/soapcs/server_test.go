package soapcs

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// presenceEvents records the presence calls a Server makes.
type presenceEvents struct {
	charging.StationEvents // nil: methods the test does not use panic

	mu           sync.Mutex
	connected    []string // ocppVersion of each Connected
	touched      int      // Heartbeat calls
	disconnected []string // ids of each Disconnected
}

func (e *presenceEvents) Disconnected(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.disconnected = append(e.disconnected, id)
	return nil
}

func (e *presenceEvents) Connected(ctx context.Context, id, version string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.connected = append(e.connected, version)
	return nil
}

func (e *presenceEvents) Heartbeat(ctx context.Context, id string) (time.Time, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.touched++
	return time.Now(), nil
}

func (e *presenceEvents) Registration(ctx context.Context, id string) (charging.RegistrationStatus, error) {
	return charging.RegistrationAccepted, nil
}

func (e *presenceEvents) DataTransfer(ctx context.Context, id string, d charging.DataTransfer) (charging.DataTransferResult, error) {
	return charging.DataTransferResult{Status: "Accepted"}, nil
}

func (e *presenceEvents) counts() (int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.connected), e.touched
}

// TestPresence: a SOAP charger is marked online by its first message and
// again after a silence (when a cluster's presence pass may have marked it
// offline); in between each message only counts as a sign of life.
func TestPresence(t *testing.T) {
	ev := &presenceEvents{}
	s := NewServer(Options{Events: ev})
	s.refresh = 100 * time.Millisecond
	srv := httptest.NewServer(s)
	defer srv.Close()
	send := func() {
		t.Helper()
		c := soap.Client{}
		m, err := c.Call(context.Background(), soap.Request{Namespace: soap.NSCentralSystem16, Operation: "DataTransfer",
			ChargeBoxIdentity: "CP-P", To: srv.URL, Body: &ocpp16s.DataTransferRequest{VendorID: "joule"}})
		if err != nil {
			t.Fatal(err)
		}
		var r ocpp16s.DataTransferResponse
		if err := m.UnmarshalBody(&r); err != nil || r.Status != ocpp16s.DataTransferStatusAccepted {
			t.Fatalf("answer = %+v %v", r, err)
		}
	}
	send()
	send()
	if c, h := ev.counts(); c != 1 || h != 1 {
		t.Errorf("after two messages: %d Connected, %d signs of life; want 1 and 1", c, h)
	}
	time.Sleep(150 * time.Millisecond)
	send()
	if c, h := ev.counts(); c != 2 || h != 1 {
		t.Errorf("after a silence: %d Connected, %d signs of life; want 2 and 1", c, h)
	}
	if ev.connected[0] != charging.OCPP16S {
		t.Errorf("version = %q, want %q", ev.connected[0], charging.OCPP16S)
	}
}

// TestSilentChargerGoesOffline: a charger whose messages stop for the
// silence is marked offline once, and its next message marks it online.
func TestSilentChargerGoesOffline(t *testing.T) {
	ev := &presenceEvents{}
	s := NewServer(Options{Events: ev, Silence: time.Minute})
	srv := httptest.NewServer(s)
	defer srv.Close()
	call := func() {
		t.Helper()
		c := soap.Client{}
		if _, err := c.Call(context.Background(), soap.Request{Namespace: soap.NSCentralSystem16, Operation: "DataTransfer",
			ChargeBoxIdentity: "CP-S", To: srv.URL, Body: &ocpp16s.DataTransferRequest{VendorID: "joule"}}); err != nil {
			t.Fatal(err)
		}
	}
	call()
	ctx := context.Background()
	s.expire(ctx, time.Now().Add(30*time.Second))
	if len(ev.disconnected) != 0 {
		t.Fatalf("marked offline after 30 s of a 1-minute silence: %v", ev.disconnected)
	}
	s.expire(ctx, time.Now().Add(61*time.Second))
	s.expire(ctx, time.Now().Add(62*time.Second))
	if len(ev.disconnected) != 1 || ev.disconnected[0] != "CP-S" {
		t.Fatalf("after the silence: disconnected %v, want CP-S once", ev.disconnected)
	}
	call()
	if c, _ := ev.counts(); c != 2 {
		t.Fatalf("the next message made %d Connected calls in all, want 2 (online again)", c)
	}
}

// TestUnsupported15Value: a 1.5 value the domain (1.6) cannot hold, such
// as a vendorId longer than 1.6's 255 characters, is the charger's fault:
// a Sender fault naming the field, and nothing recorded.
func TestUnsupported15Value(t *testing.T) {
	ev := &presenceEvents{}
	srv := httptest.NewServer(NewServer(Options{Events: ev}))
	defer srv.Close()
	c := soap.Client{}
	_, err := c.Call(context.Background(), soap.Request{Namespace: soap.NSCentralSystem15, Operation: "DataTransfer",
		ChargeBoxIdentity: "CP-15", To: srv.URL, Body: &ocpp15.DataTransferRequest{VendorID: strings.Repeat("v", 300)}})
	var f *soap.Fault
	if !errors.As(err, &f) || f.Code != soap.CodeSender || len(f.Subcodes) == 0 ||
		f.Subcodes[0].Local != soap.SubcodePropertyConstraintViolation || !strings.Contains(f.Reason, "vendorId") {
		t.Fatalf("answer = %v, want a Sender PropertyConstraintViolation fault naming vendorId", err)
	}
	if c, h := ev.counts(); c != 0 || h != 0 {
		t.Errorf("%d Connected, %d signs of life recorded, want none", c, h)
	}
}

// TestPresenceWhileAttached: a charger whose Station is still attached is
// online, so a message after a silence only counts as a sign of life; once
// the gateway let go of it (an operator's Disconnect, another node's
// claim), the next message after a silence marks it online again.
func TestPresenceWhileAttached(t *testing.T) {
	ev := &presenceEvents{}
	att := &attacher{attached: map[string]gateway.Station{}}
	s := NewServer(Options{Events: ev, Attacher: att})
	s.refresh = 50 * time.Millisecond
	srv := httptest.NewServer(s)
	defer srv.Close()
	send := func() {
		t.Helper()
		c := soap.Client{}
		if _, err := c.Call(context.Background(), soap.Request{Namespace: soap.NSCentralSystem16, Operation: "DataTransfer",
			ChargeBoxIdentity: "CP-A", To: srv.URL, From: "http://127.0.0.1:9/cp", Body: &ocpp16s.DataTransferRequest{VendorID: "joule"}}); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if att.get("CP-A") == nil {
		t.Fatal("the charger was not attached")
	}
	time.Sleep(80 * time.Millisecond)
	send()
	if c, h := ev.counts(); c != 1 || h != 1 {
		t.Errorf("after a silence while attached: %d Connected, %d signs of life; want 1 and 1", c, h)
	}
	att.DetachSOAP("CP-A", att.get("CP-A"))
	time.Sleep(80 * time.Millisecond)
	send()
	if c, h := ev.counts(); c != 2 || h != 1 {
		t.Errorf("after a silence once detached: %d Connected, %d signs of life; want 2 and 1", c, h)
	}
	if att.get("CP-A") == nil {
		t.Error("the charger was not attached again")
	}
}
