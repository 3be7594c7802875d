package ocpp16_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// versionCaller is a Caller for a version without some actions (as a
// SOAP 1.5 charger's is): it refuses them with ECONFLICT, and answers the
// others Accepted.
type versionCaller struct {
	lacks map[string]bool
	mu    sync.Mutex
	sent  []string
}

func (c *versionCaller) Call(_ context.Context, action string, _ any) (json.RawMessage, error) {
	if c.lacks[action] {
		return nil, charging.Errorf(charging.ECONFLICT, "OCPP 1.5 has no %s", action)
	}
	c.mu.Lock()
	c.sent = append(c.sent, action)
	c.mu.Unlock()
	return json.RawMessage(`{"status":"Accepted"}`), nil
}

func (c *versionCaller) Supports(action string) bool { return !c.lacks[action] }

func (c *versionCaller) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// TestCallerRefusal: a Caller's refusal reaches the domain as it is
// (ECONFLICT, not an internal error) through a typed method and the
// generic Command.
func TestCallerRefusal(t *testing.T) {
	c := &versionCaller{lacks: map[string]bool{"TriggerMessage": true}}
	st := ocpp16.NewStation("CP-V", c, &fakeEvents{}, nil)
	ctx := context.Background()
	_, err := st.TriggerMessage(ctx, "Heartbeat", 0)
	if charging.ErrorCode(err) != charging.ECONFLICT || charging.ErrorMessage(err) != "OCPP 1.5 has no TriggerMessage" {
		t.Errorf("TriggerMessage: %v (code %s), want ECONFLICT", err, charging.ErrorCode(err))
	}
	_, err = st.Command(ctx, "TriggerMessage", json.RawMessage(`{"requestedMessage":"Heartbeat"}`))
	if charging.ErrorCode(err) != charging.ECONFLICT || charging.ErrorMessage(err) != "OCPP 1.5 has no TriggerMessage" {
		t.Errorf("Command TriggerMessage: %v (code %s), want ECONFLICT", err, charging.ErrorCode(err))
	}
	if st, err := st.Reset(ctx, true); err != nil || st != "Accepted" {
		t.Errorf("Reset: %q, %v", st, err)
	}
}

// TestPendingWithoutTrigger: a Pending charger whose Caller lacks
// TriggerMessage is not asked to boot; one whose Caller has it is.
func TestPendingWithoutTrigger(t *testing.T) {
	for _, lacks := range []bool{true, false} {
		c := &versionCaller{lacks: map[string]bool{"TriggerMessage": lacks}}
		st := ocpp16.NewStation("CP-P", c, &fakeEvents{reg: charging.RegistrationPending}, nil)
		if _, err := st.HandleCall(context.Background(), "Heartbeat", json.RawMessage(`{}`)); err == nil {
			t.Fatal("a Pending charger's Heartbeat was answered")
		}
		deadline := time.Now().Add(time.Second)
		for !lacks && len(c.calls()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if !lacks && len(c.calls()) != 1 {
			t.Errorf("with TriggerMessage: sent %v, want one TriggerMessage", c.calls())
		}
		if lacks {
			time.Sleep(50 * time.Millisecond) // an ask would go out from its own goroutine
			if len(c.calls()) != 0 {
				t.Errorf("without TriggerMessage: sent %v, want nothing", c.calls())
			}
		}
	}
}

// TestNoCaller: a Station without a Caller answers every command
// EUNAVAILABLE.
func TestNoCaller(t *testing.T) {
	st := ocpp16.NewStation("CP-0", nil, &fakeEvents{}, nil)
	ctx := context.Background()
	if _, err := st.Reset(ctx, false); charging.ErrorCode(err) != charging.EUNAVAILABLE {
		t.Errorf("Reset: %v, want EUNAVAILABLE", err)
	}
	if _, err := st.Command(ctx, "ClearCache", json.RawMessage(`{}`)); charging.ErrorCode(err) != charging.EUNAVAILABLE {
		t.Errorf("Command: %v, want EUNAVAILABLE", err)
	}
}

// stopEvents records the TransactionStop a Station hands over.
type stopEvents struct {
	fakeEvents
	got charging.TransactionStop
}

func (e *stopEvents) TransactionStopped(_ context.Context, _ string, t charging.TransactionStop) (charging.IDTagInfo, error) {
	e.got = t
	return charging.IDTagInfo{Status: charging.AuthAccepted}, nil
}

// TestNoStopReasons: for a charger whose protocol has no stop reason
// (1.5), an absent reason is unstated; for a 1.6 charger it is not (1.6
// reads it as Local), and a reason given is taken either way.
func TestNoStopReasons(t *testing.T) {
	for _, c := range []struct {
		none     bool
		payload  string
		unstated bool
		reason   string
	}{
		{true, `{"transactionId":7,"meterStop":6379,"timestamp":"2026-12-07T09:30:00Z"}`, true, ""},
		{false, `{"transactionId":7,"meterStop":6379,"timestamp":"2026-12-07T09:30:00Z"}`, false, ""},
		{true, `{"transactionId":7,"meterStop":6379,"timestamp":"2026-12-07T09:30:00Z","reason":"EVDisconnected"}`, false, "EVDisconnected"},
	} {
		ev := &stopEvents{fakeEvents: fakeEvents{reg: charging.RegistrationAccepted}}
		st := ocpp16.NewStation("CP-R", nil, ev, nil)
		if c.none {
			st.NoStopReasons()
		}
		if _, err := st.HandleCall(context.Background(), "StopTransaction", json.RawMessage(c.payload)); err != nil {
			t.Fatal(err)
		}
		if ev.got.ReasonUnstated != c.unstated || ev.got.Reason != c.reason || ev.got.MeterStopWh != 6379 {
			t.Errorf("NoStopReasons %v, %s: got %+v, want unstated %v reason %q", c.none, c.payload, ev.got, c.unstated, c.reason)
		}
	}
}
