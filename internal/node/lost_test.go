package node_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// TestLostSessionEnds is the newcomer's report, end to end: a session
// charges, the simulator is killed (its transaction is gone) and started
// again. While it is away the session stops counting as live power; after
// its reboot Joule ends the session — 1.6 once the connector has been
// Available for the grace period, 2.0.1 at once through
// GetTransactionStatus — and the connector takes a new start.
func TestLostSessionEnds(t *testing.T) {
	for _, tc := range []struct {
		version string
		grace   time.Duration
	}{
		{sim.OCPP16, 1500 * time.Millisecond},
		{sim.OCPP201, time.Hour}, // the grace never runs out: GetTransactionStatus ends it
	} {
		t.Run(tc.version, func(t *testing.T) {
			n := startNode(t, node.Config{CallTimeout: 5 * time.Second, LostSessionGrace: tc.grace, SweepInterval: 100 * time.Millisecond})
			api := n.Base + "/api/v1"
			id := "LOST-" + strings.ReplaceAll(tc.version, ".", "")
			cfg := sim.Config{URL: n.WS, ID: id, Connectors: 2, MaxPowerW: 11000, OCPPVersion: tc.version}
			_, stop := startSim(t, cfg)

			var s charging.Session
			if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/1/start", map[string]any{"idTag": "LOST-TAG"}, &s); code != http.StatusAccepted {
				t.Fatalf("start = %d, want 202", code)
			}
			get := func() charging.Session {
				var got charging.Session
				call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &got)
				return got
			}
			eventually(t, 10*time.Second, "session charging", func() bool {
				g := get()
				return g.Status == charging.SessionActive && g.PowerW > 0 && g.EnergyWh > 0
			})

			stop() // the charger dies with its transaction
			eventually(t, 5*time.Second, "the offline charger's session at 0 W", func() bool {
				g := get()
				return g.Status == charging.SessionActive && g.PowerW == 0 && g.CurrentA == nil && g.VoltageV == nil
			})
			last := get()

			rebooted := time.Now()
			startSim(t, cfg) // the same charger, rebooted without its transaction
			eventually(t, 10*time.Second, "the lost session finished", func() bool { return get().Status == charging.SessionFinished })
			took := time.Since(rebooted)
			got := get()
			if got.ClosedBy != charging.ClosedByJoule || got.StopReason != "Other" || got.PowerW != 0 || got.StoppedAt == nil ||
				got.MeterStopWh == nil || *got.MeterStopWh != *last.MeterStartWh+last.EnergyWh || got.EnergyWh != last.EnergyWh {
				t.Errorf("lost session = %+v, want finished, closedBy joule, reason Other, the last known reading (%v Wh)", got, last.EnergyWh)
			}
			want := "Available with no transaction"
			if tc.version == sim.OCPP201 {
				want = "GetTransactionStatus"
			}
			if !slices.ContainsFunc(got.Flags, func(f string) bool { return strings.Contains(f, want) }) {
				t.Errorf("flags = %q, want one saying %q", got.Flags, want)
			}
			if tc.version == sim.OCPP16 && took < tc.grace {
				t.Errorf("1.6 session ended %s after the reboot, before the %s grace", took, tc.grace)
			}

			// The connector takes the driver's next start.
			var next charging.Session
			if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/1/start", map[string]any{"idTag": "LOST-TAG"}, &next); code != http.StatusAccepted {
				t.Fatalf("start after the lost session = %d, want 202", code)
			}
			eventually(t, 10*time.Second, "the next session active", func() bool {
				var g charging.Session
				call(t, http.MethodGet, api+"/sessions/"+next.ID, nil, &g)
				return g.Status == charging.SessionActive
			})
		})
	}
}

// TestStartOnLostConnector: a 1.6 charger rebooted without its
// transaction reports the connector Available; a driver's start there does
// not wait for the grace period: the lost session ends and the start goes
// out, in one unit.
func TestStartOnLostConnector(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second, LostSessionGrace: time.Hour})
	api := n.Base + "/api/v1"
	cfg := sim.Config{URL: n.WS, ID: "LOST-S", Connectors: 1, OCPPVersion: sim.OCPP16}
	_, stop := startSim(t, cfg)
	var s charging.Session
	if code, _ := call(t, http.MethodPost, api+"/chargers/LOST-S/connectors/1/start", map[string]any{"idTag": "A"}, &s); code != http.StatusAccepted {
		t.Fatalf("start = %d, want 202", code)
	}
	eventually(t, 10*time.Second, "session active", func() bool {
		var g charging.Session
		call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &g)
		return g.Status == charging.SessionActive
	})
	stop()
	startSim(t, cfg)
	eventually(t, 10*time.Second, "connector 1 Available", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, api+"/chargers/LOST-S", nil, &c)
		return len(c.Connectors) == 1 && c.Connectors[0].Status == charging.StatusAvailable
	})
	var next charging.Session
	if code, _ := call(t, http.MethodPost, api+"/chargers/LOST-S/connectors/1/start", map[string]any{"idTag": "B"}, &next); code != http.StatusAccepted {
		t.Fatalf("start on the lost connector = %d, want 202", code)
	}
	var old charging.Session
	call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &old)
	if old.Status != charging.SessionFinished || old.ClosedBy != charging.ClosedByJoule ||
		!slices.ContainsFunc(old.Flags, func(f string) bool { return strings.Contains(f, "a new start asked for it") }) {
		t.Errorf("old session = %+v, want finished by joule, flagged for the new start", old)
	}
}

// TestCloseSessionByHand: POST /sessions/{id}/close ends an open session
// with the operator's reason, sends nothing, and is refused for a driver,
// without a reason, and on a session already ended.
func TestCloseSessionByHand(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	startSim(t, sim.Config{URL: n.WS, ID: "CLOSE-1", Connectors: 1})
	var s charging.Session
	if code, _ := call(t, http.MethodPost, api+"/chargers/CLOSE-1/connectors/1/start", map[string]any{"idTag": "C"}, &s); code != http.StatusAccepted {
		t.Fatalf("start = %d, want 202", code)
	}
	eventually(t, 10*time.Second, "session charging", func() bool {
		var g charging.Session
		call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &g)
		return g.Status == charging.SessionActive && g.EnergyWh > 0
	})
	url := api + "/sessions/" + s.ID + "/close"
	var p problem
	if code, _ := call(t, http.MethodPost, url, map[string]any{"reason": "  "}, &p); code != http.StatusBadRequest || !strings.Contains(p.Detail, "reason") {
		t.Errorf("close without a reason = %d %+v, want 400 naming reason", code, p)
	}
	if code, _ := call(t, http.MethodPost, url, map[string]any{"reason": strings.Repeat("x", 501)}, &p); code != http.StatusBadRequest {
		t.Errorf("close with a 501-character reason = %d, want 400", code)
	}
	driver := signup(t, api, "close-driver@example.com")
	if code, _ := call(t, http.MethodPost, url, map[string]any{"reason": "mine"}, &p, driver.auth()...); code != http.StatusForbidden {
		t.Errorf("close by a driver = %d, want 403", code)
	}
	var got charging.Session
	if code, _ := call(t, http.MethodPost, url, map[string]any{"reason": "charger replaced"}, &got); code != http.StatusOK {
		t.Fatalf("close = %d, want 200", code)
	}
	if got.Status != charging.SessionFinished || got.ClosedBy != charging.ClosedByOperator || got.StoppedAt == nil ||
		!slices.ContainsFunc(got.Flags, func(f string) bool { return strings.Contains(f, "charger replaced") }) {
		t.Errorf("closed session = %+v, want finished by the operator with the reason in its flags", got)
	}
	if code, _ := call(t, http.MethodPost, url, map[string]any{"reason": "again"}, &p); code != http.StatusConflict {
		t.Errorf("closing a finished session = %d, want 409", code)
	}
	if code, _ := call(t, http.MethodPost, api+"/sessions/nope/close", map[string]any{"reason": "x"}, &p); code != http.StatusNotFound {
		t.Errorf("closing an unknown session = %d, want 404", code)
	}
	// The audit log names who closed it.
	var audit page[map[string]any]
	call(t, http.MethodGet, api+"/audit?limit=5", nil, &audit)
	if len(audit.Items) == 0 || !strings.Contains(fmt.Sprint(audit.Items), "/close") {
		t.Errorf("audit = %v, want the close", audit.Items)
	}
}
