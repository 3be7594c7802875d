package node_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: field %q missing in %v", what, k, m)
		}
	}
}

var chargerKeys = []string{"id", "vendor", "model", "serialNumber", "firmwareVersion", "ocppVersion", "online", "lastSeenAt", "connectors"}
var connectorKeys = []string{"connectorId", "status", "errorCode", "type", "maxPowerW"}
var sessionKeys = []string{"id", "chargerId", "connectorId", "idTag", "transactionId", "status", "startedAt", "stoppedAt",
	"meterStartWh", "meterStopWh", "energyWh", "powerW", "stopReason"}

// TestSeedFlow walks the seed's flow over real WebSockets and HTTP: a
// 2-connector charger boots, both connectors charge at once, live values
// move, both stop, and the API, the event stream and the database agree.
// It runs once per OCPP version with identical API assertions: OCPP-J 1.6
// and 2.0.1, and OCPP 1.5 and 1.6 over SOAP (chargers that host their own
// service, which Joule calls for the remote start and stop).
func TestSeedFlow(t *testing.T) {
	for _, version := range []string{sim.OCPP16, sim.OCPP201, sim.OCPP15S, sim.OCPP16S} {
		t.Run(version, func(t *testing.T) { seedFlow(t, version) })
	}
}

func seedFlow(t *testing.T, version string) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	events := subscribe(t, api+"/events?chargerId=CP-1")
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-1", Connectors: 2, MaxPowerW: 11000, OCPPVersion: version})

	// The charger registered itself with its boot data and connectors.
	for _, k := range []struct {
		n    int
		typ  string
		maxW float64
	}{{1, "CCS2", 11000}, {2, "Type2", 11000}} {
		if code, _ := call(t, http.MethodPatch, fmt.Sprintf("%s/chargers/CP-1/connectors/%d", api, k.n), map[string]any{"type": k.typ, "maxPowerW": k.maxW}, nil); code != 200 {
			t.Fatalf("PATCH connector %d = %d, want 200", k.n, code)
		}
	}
	var raw map[string]any
	eventually(t, 5*time.Second, "both connectors Available", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, api+"/chargers/CP-1", nil, &c)
		return len(c.Connectors) == 2 && c.Connectors[0].Status == "Available" && c.Connectors[1].Status == "Available"
	})
	call(t, http.MethodGet, api+"/chargers/CP-1", nil, &raw)
	requireKeys(t, "charger", raw, chargerKeys...)
	for _, k := range raw["connectors"].([]any) {
		requireKeys(t, "connector", k.(map[string]any), connectorKeys...)
	}
	var c charging.Charger
	call(t, http.MethodGet, api+"/chargers/CP-1", nil, &c)
	if c.ID != "CP-1" || c.Vendor != "Joule" || c.Model != "Sim-22" || c.SerialNumber != "SN-CP-1" || c.FirmwareVersion != "1.0.0" ||
		c.OCPPVersion != version || !c.Online || c.LastSeenAt == nil || c.RegistrationStatus != "Accepted" {
		t.Errorf("charger = %+v, want the simulator's boot data, online over %s", c, version)
	}
	if k := c.Connectors[0]; k.ConnectorID != 1 || k.ErrorCode != "NoError" || k.Type != "CCS2" || k.MaxPowerW != 11000 {
		t.Errorf("connector 1 = %+v, want NoError CCS2 11000 W", k)
	}
	var list page[charging.Charger]
	call(t, http.MethodGet, api+"/chargers", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "CP-1" || list.NextCursor != "" {
		t.Errorf("GET /chargers = %+v, want CP-1 only", list)
	}

	// Start both connectors.
	start := func(connector int, tag string) charging.Session {
		t.Helper()
		var s charging.Session
		code, hdr := call(t, http.MethodPost, fmt.Sprintf("%s/chargers/CP-1/connectors/%d/start", api, connector), map[string]any{"idTag": tag}, &s)
		if code != http.StatusAccepted {
			t.Fatalf("start connector %d = %d, want 202", connector, code)
		}
		if loc := hdr.Get("Location"); loc != "/api/v1/sessions/"+s.ID {
			t.Errorf("Location = %q, want /api/v1/sessions/%s", loc, s.ID)
		}
		if s.ChargerID != "CP-1" || s.ConnectorID != connector || s.IDTag != tag || (s.Status != "pending" && s.Status != "active") {
			t.Errorf("started session = %+v, want pending on CP-1/%d for %s", s, connector, tag)
		}
		return s
	}
	s1 := start(1, "remote-11902")
	s2 := start(2, "remote-4711")

	// A second start on a busy connector is refused.
	var p problem
	if code, _ := call(t, http.MethodPost, api+"/chargers/CP-1/connectors/1/start", map[string]any{"idTag": "other"}, &p); code != http.StatusConflict || !strings.Contains(p.Detail, "busy") {
		t.Errorf("start on a busy connector = %d %+v, want 409 naming the busy connector", code, p)
	}

	// Both charge: live power and energy move.
	get := func(id string) charging.Session {
		var s charging.Session
		if code, _ := call(t, http.MethodGet, api+"/sessions/"+id, nil, &s); code != 200 {
			t.Fatalf("GET session %s = %d", id, code)
		}
		return s
	}
	for _, id := range []string{s1.ID, s2.ID} {
		eventually(t, 10*time.Second, "session "+id+" active with power and energy", func() bool {
			s := get(id)
			// 1.6 meterStop is whole Wh: charge a few before stopping.
			return s.Status == "active" && s.PowerW > 0 && s.EnergyWh >= 3
		})
	}
	a1 := get(s1.ID)
	if a1.TransactionID == "" || a1.StartedAt == nil || a1.MeterStartWh == nil || a1.VoltageV == nil || a1.CurrentA == nil {
		t.Errorf("active session = %+v, want transaction id, start time, meter start, voltage and current", a1)
	}
	if st := cp.State(1); st.TxID != a1.TransactionID || (st.Status != "Charging" && st.ChargingState != "Charging") {
		t.Errorf("charger connector 1 = %+v, want charging transaction %s", st, a1.TransactionID)
	}
	var active page[charging.Session]
	call(t, http.MethodGet, api+"/sessions?chargerId=CP-1&status=active", nil, &active)
	if len(active.Items) != 2 {
		t.Errorf("active sessions = %d, want 2", len(active.Items))
	}
	var mv page[charging.MeterSample]
	call(t, http.MethodGet, api+"/sessions/"+s1.ID+"/meter-values", nil, &mv)
	units := map[string]string{}
	for _, x := range mv.Items {
		units[x.Measurand] = x.Unit
		if x.SessionID != s1.ID || x.ConnectorID != 1 || x.Context == "" || x.Timestamp.IsZero() {
			t.Fatalf("meter sample = %+v, want session %s connector 1 with context and time", x, s1.ID)
		}
	}
	for m, u := range map[string]string{"Voltage": "V", "Current.Import": "A", "Power.Active.Import": "W", "Current.Offered": "A", "Energy.Active.Import.Register": "Wh"} {
		if version == sim.OCPP15S && m == "Current.Offered" {
			continue // a measurand OCPP 1.5 does not have
		}
		if units[m] != u {
			t.Errorf("meter values: %s in %q, want %q (all: %v)", m, units[m], u, units)
		}
	}

	// Stop both.
	for _, id := range []string{s1.ID, s2.ID} {
		var s charging.Session
		if code, _ := call(t, http.MethodPost, api+"/sessions/"+id+"/stop", nil, &s); code != http.StatusAccepted || s.ID != id {
			t.Fatalf("stop %s = %d %+v, want 202 with the session", id, code, s)
		}
	}
	for _, id := range []string{s1.ID, s2.ID} {
		eventually(t, 10*time.Second, "session "+id+" finished", func() bool { return get(id).Status == "finished" })
		call(t, http.MethodGet, api+"/sessions/"+id, nil, &raw)
		requireKeys(t, "session", raw, sessionKeys...)
		s := get(id)
		if s.StopReason != "Remote" || s.StoppedAt == nil || s.MeterStopWh == nil || s.PowerW != 0 {
			t.Errorf("finished session = %+v, want reason Remote, stop time, meter stop, no power", s)
		} else if want := *s.MeterStopWh - *s.MeterStartWh; s.EnergyWh != want || want <= 0 {
			t.Errorf("energyWh = %v, want meterStop - meterStart = %v > 0", s.EnergyWh, want)
		}
	}
	var tagged page[charging.Session]
	call(t, http.MethodGet, api+"/sessions?idTag=remote-11902", nil, &tagged)
	if len(tagged.Items) != 1 || tagged.Items[0].ID != s1.ID {
		t.Errorf("sessions for idTag remote-11902 = %+v, want only %s", tagged.Items, s1.ID)
	}

	// The event stream told the whole story.
	for _, id := range []string{s1.ID, s2.ID} {
		// (session.updated for the stop request may be overtaken by the stop itself.)
		for _, typ := range []string{"session.pending", "session.started", "session.meter", "session.stopped"} {
			eventually(t, 5*time.Second, typ+" for "+id, func() bool { return events.has(typ, id) })
		}
	}
	if !events.has("connector.status", "") {
		t.Error("no connector.status event")
	}

	// What the API showed is what is stored.
	apiSamples := len(mv.Items)
	final := get(s1.ID)
	n.Stop()
	store, err := openNodeStore(n)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored, err := store.GetSession(context.Background(), s1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.EnergyWh != final.EnergyWh || stored.TransactionID != final.TransactionID || stored.Status != charging.SessionFinished {
		t.Errorf("stored session = %+v, want what the API showed: %+v", stored, final)
	}
	samples, err := store.ListMeterSamples(context.Background(), charging.MeterQuery{SessionID: s1.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples.Items) < apiSamples {
		t.Errorf("stored %d samples, fewer than the %d the API showed mid-session", len(samples.Items), apiSamples)
	}
	var ends int
	for _, x := range samples.Items {
		if x.Context == "Transaction.End" {
			ends++
		}
	}
	if ends == 0 {
		t.Error("the StopTransaction's transactionData (Transaction.End) was not stored")
	}
}
