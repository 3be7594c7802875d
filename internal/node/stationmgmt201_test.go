package node_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/sim"
)

var _ gateway.StationCommands = (*ocpp201.Station)(nil)

type configJSON struct {
	Keys []struct {
		Key      string  `json:"key"`
		Value    *string `json:"value"`
		Readonly bool    `json:"readonly"`
	} `json:"keys"`
	UnknownKeys []string `json:"unknownKeys"`
}

func (c configJSON) value(key string) (string, bool) {
	for _, k := range c.Keys {
		if k.Key == key && k.Value != nil {
			return *k.Value, true
		}
	}
	return "", false
}

// TestStationManagement201 drives the typed, version-free station
// management routes against the 2.0.1 simulator: the same API as for 1.6,
// translated to 2.0.1's use cases, with every command in the history.
func TestStationManagement201(t *testing.T) {
	n := startNode(t, node.Config{})
	startSim(t, sim.Config{URL: n.WS, ID: "MGMT-201", OCPPVersion: sim.OCPP201, MeterValueSampleInterval: time.Hour})
	api := n.Base + "/api/v1"
	ch := api + "/chargers/MGMT-201"
	connStatus := func(k int) string {
		var c struct{ Connectors []struct{ Status string } }
		call(t, "GET", ch, nil, &c)
		if len(c.Connectors) < k {
			return ""
		}
		return c.Connectors[k-1].Status
	}
	var out outcome
	// After the boot Joule reads the whole configuration (a base report).
	eventually(t, 10*time.Second, "the configuration read after boot", func() bool {
		var hist commandPage
		call(t, "GET", ch+"/commands?action=GetConfiguration", nil, &hist)
		return len(hist.Items) > 0 && hist.Items[0].RequestedBy == "system" && hist.Items[0].Status == "answered"
	})

	// Availability: EVSE 2 inoperative, then the whole station operative.
	if st, _ := call(t, "POST", ch+"/connectors/2/availability", map[string]any{"type": "Inoperative"}, &out); st != 200 || out.Status != "Accepted" {
		t.Fatalf("availability = %d %+v, want 200 Accepted", st, out)
	}
	eventually(t, 5*time.Second, "EVSE 2 Unavailable", func() bool { return connStatus(2) == "Unavailable" })
	if st, _ := call(t, "POST", ch+"/connectors/0/availability", map[string]any{"type": "Operative"}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("station availability = %d %+v, want 200 Accepted", st, out)
	}
	eventually(t, 5*time.Second, "EVSE 2 Available again", func() bool { return connStatus(2) == "Available" })

	// Unlock: EVSE 1, connector 1.
	if st, _ := call(t, "POST", ch+"/connectors/1/unlock", nil, &out); st != 200 || out.Status != "Unlocked" {
		t.Errorf("unlock = %d %+v, want 200 Unlocked", st, out)
	}

	// Configuration: read a variable, change it, read it again.
	const key = "SampledDataCtrlr.TxUpdatedInterval"
	var cfg configJSON
	if st, _ := call(t, "POST", ch+"/configuration/read", map[string]any{"keys": []string{key, "SampledDataCtrlr.NoSuchVariable"}}, &cfg); st != 200 {
		t.Fatalf("read configuration = %d, want 200", st)
	}
	if v, ok := cfg.value(key); !ok || v != "3600" {
		t.Errorf("%s = %q (found %v), want 3600 (the sim's sample interval)", key, v, ok)
	}
	if st, _ := call(t, "POST", ch+"/configuration", map[string]any{"key": key, "value": "30"}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("change %s = %d %+v, want 200 Accepted", key, st, out)
	}
	for _, tc := range []struct{ key, value, want string }{
		{"ChargingStation.Model", "X", "Rejected"},        // read-only
		{"NoSuchCtrlr.Anything", "1", "NotSupported"},     // UnknownComponent
		{"SampledDataCtrlr.Nothing", "1", "NotSupported"}, // UnknownVariable
	} {
		if st, _ := call(t, "POST", ch+"/configuration", map[string]any{"key": tc.key, "value": tc.value}, &out); st != 200 || out.Status != tc.want {
			t.Errorf("change %s = %d %+v, want 200 %s", tc.key, st, out, tc.want)
		}
	}
	if st, _ := call(t, "POST", ch+"/configuration", map[string]any{"key": "MeterValueSampleInterval", "value": "30"}, nil); st != 400 {
		t.Errorf("change a 1.6 key on a 2.0.1 charger = %d, want 400 (not expressible)", st)
	}
	call(t, "GET", ch+"/configuration", nil, &cfg)
	if v, _ := cfg.value(key); v != "30" {
		t.Errorf("stored %s = %q after the accepted change, want 30", key, v)
	}
	call(t, "POST", ch+"/configuration/read", map[string]any{"keys": []string{key}}, &cfg)
	if v, _ := cfg.value(key); v != "30" {
		t.Errorf("%s read back = %q, want 30", key, v)
	}
	// All keys: a full base report, with read-only variables marked.
	if st, _ := call(t, "POST", ch+"/configuration/read", map[string]any{}, &cfg); st != 200 {
		t.Fatalf("read whole configuration = %d, want 200", st)
	}
	if v, _ := cfg.value(key); v != "30" || len(cfg.Keys) < 10 {
		t.Errorf("whole configuration: %d keys, %s = %q; want the full report with 30", len(cfg.Keys), key, v)
	}
	for _, k := range cfg.Keys {
		if k.Key == "ChargingStation.Model" && !k.Readonly {
			t.Errorf("ChargingStation.Model is not readonly in the whole configuration")
		}
	}

	// Trigger StatusNotification for EVSE 1.
	if st, _ := call(t, "POST", ch+"/trigger", map[string]any{"requestedMessage": "StatusNotification", "connectorId": 1}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("trigger = %d %+v, want 200 Accepted", st, out)
	}

	// Reservations and smart charging, through the same routes as for 1.6.
	var r reservationJSON
	if st, _ := call(t, "POST", ch+"/connectors/1/reservations", map[string]any{"idTag": "ALICE", "durationMinutes": 10}, &r); st != 201 || r.Status != "active" {
		t.Fatalf("reserve = %d %+v, want 201 active", st, r)
	}
	eventually(t, 5*time.Second, "EVSE 1 Reserved", func() bool { return connStatus(1) == "Reserved" })
	if st, _ := call(t, "POST", api+"/reservations/"+strconv.Itoa(r.ID)+"/cancel", nil, &r); st != 200 || r.Status != "cancelled" {
		t.Errorf("cancel reservation = %d %+v, want 200 cancelled", st, r)
	}
	eventually(t, 5*time.Second, "EVSE 1 Available after the cancel", func() bool { return connStatus(1) == "Available" })

	var prof struct {
		ID int `json:"id"`
	}
	if st, _ := call(t, "POST", api+"/charging-profiles", map[string]any{"stackLevel": 1, "purpose": "ChargePointMaxProfile", "kind": "Absolute",
		"schedule": map[string]any{"chargingRateUnit": "W", "startSchedule": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "periods": []map[string]any{{"startPeriodS": 0, "limit": 7400}}}}, &prof); st != 201 && st != 200 {
		t.Fatalf("POST /charging-profiles = %d, want 201", st)
	}
	if st, _ := call(t, "POST", ch+"/connectors/0/charging-profiles", map[string]any{"profileId": prof.ID}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("apply profile = %d %+v, want 200 Accepted", st, out)
	}
	var cs struct {
		Status   string `json:"status"`
		Schedule *struct {
			RateUnit string `json:"chargingRateUnit"`
			Periods  []struct {
				Limit float64 `json:"limit"`
			} `json:"periods"`
		} `json:"schedule"`
	}
	if st, _ := call(t, "GET", ch+"/connectors/1/composite-schedule?"+url.Values{"durationS": {"600"}}.Encode(), nil, &cs); st != 200 ||
		cs.Status != "Accepted" || cs.Schedule == nil || len(cs.Schedule.Periods) == 0 || cs.Schedule.Periods[0].Limit != 7400 {
		t.Errorf("composite schedule = %d %+v, want Accepted limited to 7400 W", st, cs)
	}
	var installed struct{ Items []map[string]any }
	call(t, "GET", ch+"/charging-profiles", nil, &installed)
	if len(installed.Items) != 1 {
		t.Errorf("installed profiles = %v, want the one applied", installed.Items)
	}

	// Reset: the station reboots, seen through the API as a new boot.
	var before struct {
		LastBootAt time.Time `json:"lastBootAt"`
	}
	call(t, "GET", ch, nil, &before)
	if st, _ := call(t, "POST", ch+"/reset", map[string]any{"type": "Hard"}, &out); st != 200 || out.Status != "Accepted" {
		t.Fatalf("reset = %d %+v, want 200 Accepted", st, out)
	}
	eventually(t, 10*time.Second, "a new boot after the reset", func() bool {
		var c struct {
			LastBootAt time.Time `json:"lastBootAt"`
			Online     bool      `json:"online"`
		}
		call(t, "GET", ch, nil, &c)
		return c.Online && c.LastBootAt.After(before.LastBootAt)
	})
	// After the reboot Joule re-sends the installed profile, as for 1.6.
	eventually(t, 10*time.Second, "profile re-sent after the reboot", func() bool {
		var hist commandPage
		call(t, "GET", ch+"/commands?action=SetChargingProfile", nil, &hist)
		return len(hist.Items) > 0 && hist.Items[0].RequestedBy == "system" && hist.Items[0].Status == "answered"
	})
	if st, _ := call(t, "POST", ch+"/charging-profiles/clear", map[string]any{"id": prof.ID}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("clear profile = %d %+v, want 200 Accepted", st, out)
	}
	var evs struct {
		Items []struct{ Action, Kind string }
	}
	call(t, "GET", ch+"/charger-events?action=BootNotification", nil, &evs)
	if len(evs.Items) == 0 || evs.Items[0].Kind != "RemoteReset" {
		t.Errorf("latest boot = %+v, want reason RemoteReset", evs.Items)
	}

	// The history has every command, typed by the API, with the answers.
	var hist commandPage
	call(t, "GET", ch+"/commands?limit=100", nil, &hist)
	seen := map[string]bool{}
	for _, c := range hist.Items {
		want := "answered"
		if c.Request["key"] == "MeterValueSampleInterval" {
			want = "failed" // not expressible in 2.0.1: never sent
		}
		if c.Status != want {
			t.Errorf("command %s %v by %s: status %s, want %s", c.Action, c.Request, c.RequestedBy, c.Status, want)
		}
		seen[c.Action+"/"+c.RequestedBy] = true
		if u, _ := c.Response["unknownKeys"].([]any); c.Action == "GetConfiguration" && len(u) == 1 && u[0] == "SampledDataCtrlr.NoSuchVariable" {
			seen["unknown key"] = true
		}
	}
	if !seen["unknown key"] {
		t.Errorf("no GetConfiguration in the history answered unknownKeys [SampledDataCtrlr.NoSuchVariable]")
	}
	for _, want := range []string{"ChangeAvailability/apikey:admin-token", "UnlockConnector/apikey:admin-token", "GetConfiguration/apikey:admin-token", "ChangeConfiguration/apikey:admin-token",
		"TriggerMessage/apikey:admin-token", "ReserveNow/apikey:admin-token", "CancelReservation/apikey:admin-token", "SetChargingProfile/apikey:admin-token", "GetCompositeSchedule/apikey:admin-token",
		"ClearChargingProfile/apikey:admin-token", "Reset/apikey:admin-token"} {
		if !seen[want] {
			t.Errorf("command history lacks %s; got %v", want, seen)
		}
	}
}
