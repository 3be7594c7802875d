package node_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// TestMixedFleet: a 1.6J, a 2.0.1, a 1.5 SOAP and a 1.6 SOAP charger
// charge at once through the same API; only ocppVersion tells them apart.
func TestMixedFleet(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	chargers := map[string]string{"MIX-16": sim.OCPP16, "MIX-201": sim.OCPP201, "MIX-15S": sim.OCPP15S, "MIX-16S": sim.OCPP16S}
	for id, v := range chargers {
		startSim(t, sim.Config{URL: n.WS, ID: id, Connectors: 2, MaxPowerW: 11000, OCPPVersion: v})
	}
	sessions := map[string]string{}
	for id, v := range chargers {
		var c charging.Charger
		call(t, http.MethodGet, api+"/chargers/"+id, nil, &c)
		if c.OCPPVersion != v || !c.Online || c.RegistrationStatus != charging.RegistrationAccepted {
			t.Errorf("charger %s = %+v, want online over %s, Accepted", id, c, v)
		}
		var s charging.Session
		if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/1/start", map[string]any{"idTag": "APP-" + id}, &s); code != http.StatusAccepted {
			t.Fatalf("start on %s = %d %+v, want 202", id, code, s)
		}
		sessions[id] = s.ID
	}
	get := func(id string) charging.Session {
		var s charging.Session
		call(t, http.MethodGet, api+"/sessions/"+id, nil, &s)
		return s
	}
	for id, sid := range sessions {
		eventually(t, 15*time.Second, "session on "+id+" charging", func() bool {
			s := get(sid)
			return s.Status == charging.SessionActive && s.PowerW > 0 && s.EnergyWh >= 3
		})
	}
	for id, sid := range sessions {
		if code, _ := call(t, http.MethodPost, api+"/sessions/"+sid+"/stop", nil, nil); code != http.StatusAccepted {
			t.Fatalf("stop on %s = %d, want 202", id, code)
		}
	}
	for id, sid := range sessions {
		eventually(t, 15*time.Second, "session on "+id+" finished", func() bool { return get(sid).Status == charging.SessionFinished })
		s := get(sid)
		if s.TransactionID == "" || s.EnergyWh <= 0 || s.StopReason != "Remote" || s.MeterStopWh == nil || len(s.Flags) != 0 {
			t.Errorf("finished session on %s = %+v, want a transaction, energy, Remote, no flags", id, s)
		}
	}
}
