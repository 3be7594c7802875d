package node_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// TestStartWithTxProfile sends a TxProfile inside RemoteStartTransaction:
// the charger honours its limit; a profile that breaks the schema is a 400.
func TestStartWithTxProfile(t *testing.T) {
	n := startNode(t, node.Config{})
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "TXP-1", MaxPowerW: 22000,
		// A 1-phase car: the 3,700 W profile is 16 A on its one phase.
		Vehicle: sim.Vehicle{CapacityWh: 60000, SoCPercent: 30, MaxA: 16, Phases: 1}})
	profile := map[string]any{
		"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
		"chargingSchedule": map[string]any{"chargingRateUnit": "W", "chargingSchedulePeriod": []any{map[string]any{"startPeriod": 0, "limit": 3700}}},
	}
	var s charging.Session
	if code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/TXP-1/connectors/1/start", map[string]any{"idTag": "P", "chargingProfile": profile}, &s); code != http.StatusAccepted {
		t.Fatalf("start with a TxProfile = %d, want 202", code)
	}
	eventually(t, 5*time.Second, "charging under the profile's limit", func() bool {
		st := cp.State(1)
		return st.Status == "Charging" && st.LimitW == 3700
	})
	eventually(t, 5*time.Second, "power reported", func() bool { return getSession(t, n, s.ID).PowerW > 0 })
	if p := getSession(t, n, s.ID).PowerW; p > 3700 {
		t.Errorf("powerW = %v, above the profile's 3700 W", p)
	}

	bad := map[string]any{"chargingProfileId": 2, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
		"chargingSchedule": map[string]any{"chargingRateUnit": "kW", "chargingSchedulePeriod": []any{}}}
	var p problem
	if code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/TXP-1/connectors/2/start", map[string]any{"idTag": "P2", "chargingProfile": bad}, &p); code != http.StatusBadRequest || !strings.Contains(p.Detail, "chargingProfile") {
		t.Errorf("start with a bad profile = %d %+v, want 400 naming chargingProfile", code, p)
	}
	purpose := map[string]any{"chargingProfileId": 3, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
		"chargingSchedule": map[string]any{"chargingRateUnit": "W", "chargingSchedulePeriod": []any{map[string]any{"startPeriod": 0, "limit": 1000}}}}
	if code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/TXP-1/connectors/2/start", map[string]any{"idTag": "P3", "chargingProfile": purpose}, &p); code != http.StatusBadRequest || !strings.Contains(p.Detail, "TxProfile") {
		t.Errorf("start with a TxDefaultProfile = %d %+v, want 400 saying TxProfile", code, p)
	}
}
