package ocpp16_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// TestStationWithoutConn: a Station serving an OCPP-S charger has no
// connection. Its inbound handling must never use one: a Pending charger's
// early message is refused without asking it (over nothing) to boot, and
// a boot and a heartbeat are answered.
func TestStationWithoutConn(t *testing.T) {
	ev := &fakeEvents{reg: charging.RegistrationPending, boots: []charging.RegistrationStatus{charging.RegistrationAccepted}}
	st := ocpp16.NewStation("CP-S", nil, ev, nil)
	ctx := context.Background()
	_, err := st.HandleCall(ctx, "Heartbeat", json.RawMessage(`{}`))
	var ce *ocppj.Error
	if !errors.As(err, &ce) || ce.Code != ocppj.SecurityError {
		t.Fatalf("heartbeat while Pending = %v, want SecurityError", err)
	}
	// A goroutine asking over a nil connection would crash the test
	// binary within this wait.
	time.Sleep(50 * time.Millisecond)
	resp, err := st.HandleCall(ctx, "BootNotification", json.RawMessage(`{"chargePointVendor":"V","chargePointModel":"M"}`))
	if err != nil {
		t.Fatal(err)
	}
	if b := resp.(*ocpp16.BootNotificationResponse); b.Status != ocpp16.RegistrationStatusAccepted {
		t.Fatalf("boot = %+v, want Accepted", b)
	}
	if _, err := st.HandleCall(ctx, "Heartbeat", json.RawMessage(`{}`)); err != nil {
		t.Errorf("heartbeat after the boot: %v", err)
	}
}
