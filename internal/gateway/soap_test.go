package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
)

// soapStation stands for a SOAP charger's Station: it records the
// commands it is given.
type soapStation struct {
	Station // nil: what the tests do not use
	mu      sync.Mutex
	got     []string
}

func (s *soapStation) Command(_ context.Context, action string, _ json.RawMessage) (charging.CommandResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, action)
	return charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{}`)}, nil
}

func (s *soapStation) commands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// waitDisconnected waits until n disconnections were recorded.
func (e *fakeEvents) waitDisconnected(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if _, d := e.counts(); d >= n {
			return
		}
		if time.Now().After(deadline) {
			_, d := e.counts()
			t.Fatalf("%d disconnections recorded, want %d", d, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSOAPEntry: an attached SOAP charger is connected for commands,
// counted, has no connection info; attaching it again changes nothing;
// detaching another Station leaves it; detaching it makes it offline.
func TestSOAPEntry(t *testing.T) {
	h := newHarness(t, Options{}, nil)
	ctx := context.Background()
	st := &soapStation{}
	if !h.g.AttachSOAP("CP-S", st) || !h.g.AttachSOAP("CP-S", st) {
		t.Fatal("AttachSOAP refused")
	}
	if !h.g.Connected("CP-S") || h.g.Count() != 1 {
		t.Fatalf("connected %v, count %d; want true, 1", h.g.Connected("CP-S"), h.g.Count())
	}
	if _, ok := h.g.ConnectionInfo("CP-S"); ok {
		t.Error("ConnectionInfo of a SOAP charger: ok, want none (no connection)")
	}
	if _, err := h.g.Command(ctx, "CP-S", "ClearCache", json.RawMessage(`{}`)); err != nil || st.commands() != 1 {
		t.Fatalf("Command: %v, the Station got %d", err, st.commands())
	}
	h.g.DetachSOAP("CP-S", &soapStation{})
	if !h.g.Connected("CP-S") {
		t.Fatal("detaching another Station detached this one")
	}
	h.g.DetachSOAP("CP-S", st)
	if h.g.Connected("CP-S") || h.g.Count() != 0 {
		t.Fatalf("after DetachSOAP: connected %v, count %d", h.g.Connected("CP-S"), h.g.Count())
	}
	if _, err := h.g.Command(ctx, "CP-S", "ClearCache", json.RawMessage(`{}`)); charging.ErrorCode(err) != charging.EUNAVAILABLE {
		t.Errorf("Command after DetachSOAP: %v, want EUNAVAILABLE", err)
	}
	if h.g.Disconnect("CP-S", "gone") {
		t.Error("Disconnect of a detached charger reported true")
	}
	if _, d := h.events.counts(); d != 0 {
		t.Errorf("%d disconnections recorded: a detach is the OCPP-S service's to record", d)
	}
}

// TestSOAPDisconnect: Disconnect detaches a SOAP charger, reports true and
// records its disconnection, as a closed connection's end would.
func TestSOAPDisconnect(t *testing.T) {
	h := newHarness(t, Options{}, nil)
	st := &soapStation{}
	h.g.AttachSOAP("CP-S", st)
	if !h.g.Disconnect("CP-S", "rejected by an operator") {
		t.Fatal("Disconnect reported false")
	}
	if h.g.Connected("CP-S") || h.g.Count() != 0 {
		t.Errorf("after Disconnect: connected %v, count %d", h.g.Connected("CP-S"), h.g.Count())
	}
	h.events.waitDisconnected(t, 1)
	h.events.mu.Lock()
	id := h.events.disconnected[0]
	h.events.mu.Unlock()
	if id != "CP-S" {
		t.Errorf("disconnected %q, want CP-S", id)
	}
}

// TestSOAPShutdown: Shutdown drops SOAP entries (nothing to drain) and
// attaches no more.
func TestSOAPShutdown(t *testing.T) {
	h := newHarness(t, Options{}, nil)
	h.g.AttachSOAP("CP-S", &soapStation{})
	c := h.mustDial("CP-J", nil, true)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := h.g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	var ce *websocket.CloseError
	if err := c.closeErr(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("the OCPP-J charger: %v, want 1001", err)
	}
	if h.g.Connected("CP-S") || h.g.Count() != 0 {
		t.Errorf("after Shutdown: SOAP charger connected %v, count %d", h.g.Connected("CP-S"), h.g.Count())
	}
	if h.g.AttachSOAP("CP-T", &soapStation{}) || h.g.Connected("CP-T") {
		t.Error("AttachSOAP after Shutdown attached")
	}
}

// TestOCPPJReplacesSOAP: an OCPP-J connection of a SOAP charger's id
// replaces its entry, without a probe and even unauthenticated: commands
// go over the connection, and the replacement is reported.
func TestOCPPJReplacesSOAP(t *testing.T) {
	h := newHarness(t, Options{}, nil)
	st := &soapStation{}
	h.g.AttachSOAP("CP-R", st)
	c := h.mustDial("CP-R", nil, true)
	if cur := h.current("CP-R"); cur == nil || cur.rpc == nil {
		t.Fatal("the connection did not replace the SOAP entry")
	}
	h.command("CP-R", c)
	if st.commands() != 0 {
		t.Errorf("the SOAP Station got %d commands, want none", st.commands())
	}
	if h.sec.count(charging.SecConnectionReplaced) != 1 {
		t.Errorf("replacement events: %d, want 1", h.sec.count(charging.SecConnectionReplaced))
	}
	if _, _, replaced := h.obs.get(); replaced != 1 {
		t.Errorf("replacements observed: %d, want 1", replaced)
	}
	h.g.DetachSOAP("CP-R", st) // the OCPP-S service's silence: the connection stays
	if h.g.Count() != 1 || !h.g.Connected("CP-R") {
		t.Errorf("count %d, connected %v after a late DetachSOAP; want 1, true", h.g.Count(), h.g.Connected("CP-R"))
	}
	h.g.mu.Lock()
	n := h.g.soap
	h.g.mu.Unlock()
	if n != 0 {
		t.Errorf("%d SOAP entries counted, want 0", n)
	}
}

// TestSOAPReplacesOCPPJ: a SOAP charger attaching replaces the OCPP-J
// connection of its id, which is closed with 1008; that connection's end
// does not make the charger offline.
func TestSOAPReplacesOCPPJ(t *testing.T) {
	h := newHarness(t, Options{}, nil)
	c := h.mustDial("CP-J", nil, true)
	st := &soapStation{}
	if !h.g.AttachSOAP("CP-J", st) {
		t.Fatal("AttachSOAP refused")
	}
	var ce *websocket.CloseError
	if err := c.closeErr(); !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Fatalf("the OCPP-J connection: %v, want 1008", err)
	}
	if _, err := h.g.Command(context.Background(), "CP-J", "ClearCache", json.RawMessage(`{}`)); err != nil || st.commands() != 1 {
		t.Fatalf("Command: %v; the SOAP Station got %d", err, st.commands())
	}
	if !h.g.Connected("CP-J") || h.g.Count() != 1 {
		t.Errorf("connected %v, count %d; want true, 1", h.g.Connected("CP-J"), h.g.Count())
	}
	if h.sec.count(charging.SecConnectionReplaced) != 1 {
		t.Errorf("replacement events: %d, want 1", h.sec.count(charging.SecConnectionReplaced))
	}
	h.shutdown() // waits for the old connection's end
	if _, d := h.events.counts(); d != 0 {
		t.Errorf("%d disconnections recorded, want 0: the charger is online over SOAP", d)
	}
}

// TestSOAPNotCountedForMaxChargers: SOAP chargers hold no connection, so
// they do not fill MaxChargers.
func TestSOAPNotCountedForMaxChargers(t *testing.T) {
	h := newHarness(t, Options{MaxChargers: 1}, nil)
	h.g.AttachSOAP("CP-S1", &soapStation{})
	h.g.AttachSOAP("CP-S2", &soapStation{})
	h.mustDial("CP-X", nil, true)
	if resp := h.refused("CP-Y", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a second OCPP-J charger: %s, want 503", resp.Status)
	}
	if h.g.Count() != 3 {
		t.Errorf("count %d, want 3", h.g.Count())
	}
}
