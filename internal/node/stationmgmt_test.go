package node_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

type outcome struct {
	CommandID string `json:"commandId"`
	Status    string `json:"status"`
}

type commandPage struct {
	Items []struct {
		Action      string         `json:"action"`
		Status      string         `json:"status"`
		RequestedBy string         `json:"requestedBy"`
		RequestedAt time.Time      `json:"requestedAt"`
		Request     map[string]any `json:"request"`
		Response    map[string]any `json:"response"`
	} `json:"items"`
}

// TestStationManagement: id tags CRUD, typed reset/unlock/availability/
// trigger/configuration commands, and every command in the history.
func TestStationManagement(t *testing.T) {
	n := startNode(t, node.Config{})
	startSim(t, sim.Config{URL: n.WS, ID: "MGMT-1", MeterValueSampleInterval: time.Hour})
	api := n.Base + "/api/v1"

	// Id tags: one, then an array (upsert); read, list, delete.
	var tag map[string]any
	if st, _ := call(t, "POST", api+"/id-tags", map[string]any{"idTag": "CARD-1", "status": "Blocked", "parentIdTag": "FLEET"}, &tag); st != 200 || tag["status"] != "Blocked" {
		t.Fatalf("POST /id-tags = %d %v, want 200 Blocked", st, tag)
	}
	var tags []map[string]any
	if st, _ := call(t, "POST", api+"/id-tags", []map[string]any{{"idTag": "CARD-1"}, {"idTag": "CARD-2", "status": "Accepted"}}, &tags); st != 200 || len(tags) != 2 || tags[0]["status"] != "Accepted" {
		t.Fatalf("POST /id-tags array = %d %v, want 200 with CARD-1 Accepted", st, tags)
	}
	var list struct{ Items []map[string]any }
	call(t, "GET", api+"/id-tags", nil, &list)
	if len(list.Items) != 2 {
		t.Errorf("GET /id-tags: %d items, want 2", len(list.Items))
	}
	if st, _ := call(t, "POST", api+"/id-tags", map[string]any{"idTag": "X", "status": "Maybe"}, nil); st != 400 {
		t.Errorf("POST /id-tags with status Maybe = %d, want 400", st)
	}
	if st, _ := call(t, "DELETE", api+"/id-tags/card-2", nil, nil); st != 204 {
		t.Errorf("DELETE /id-tags/card-2 = %d, want 204", st)
	}
	if st, _ := call(t, "GET", api+"/id-tags/CARD-2", nil, nil); st != 404 {
		t.Errorf("GET deleted id tag = %d, want 404", st)
	}

	// Typed commands.
	var out outcome
	if st, _ := call(t, "POST", api+"/chargers/MGMT-1/connectors/2/availability", map[string]any{"type": "Inoperative"}, &out); st != 200 || out.Status != "Accepted" {
		t.Fatalf("availability = %d %+v, want 200 Accepted", st, out)
	}
	eventually(t, 5*time.Second, "connector 2 Unavailable", func() bool {
		var ch struct{ Connectors []struct{ Status string } }
		call(t, "GET", api+"/chargers/MGMT-1", nil, &ch)
		return len(ch.Connectors) == 2 && ch.Connectors[1].Status == "Unavailable"
	})
	if st, _ := call(t, "POST", api+"/chargers/MGMT-1/connectors/1/unlock", nil, &out); st != 200 || out.Status != "Unlocked" {
		t.Errorf("unlock = %d %+v, want 200 Unlocked", st, out)
	}
	if st, _ := call(t, "POST", api+"/chargers/MGMT-1/trigger", map[string]any{"requestedMessage": "Heartbeat"}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("trigger = %d %+v, want 200 Accepted", st, out)
	}
	if st, _ := call(t, "POST", api+"/chargers/MGMT-1/configuration", map[string]any{"key": "MeterValueSampleInterval", "value": "30"}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("change configuration = %d %+v, want 200 Accepted", st, out)
	}
	// The configuration read after boot, with the accepted change applied.
	eventually(t, 5*time.Second, "stored configuration", func() bool {
		var cfg struct {
			Keys []struct {
				Key   string  `json:"key"`
				Value *string `json:"value"`
			} `json:"keys"`
		}
		call(t, "GET", api+"/chargers/MGMT-1/configuration", nil, &cfg)
		for _, k := range cfg.Keys {
			if k.Key == "MeterValueSampleInterval" && k.Value != nil && *k.Value == "30" {
				return len(cfg.Keys) > 10
			}
		}
		return false
	})
	if st, _ := call(t, "POST", api+"/chargers/MGMT-1/reset", map[string]any{"type": "Soft"}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("reset = %d %+v, want 200 Accepted", st, out)
	}

	// The history has every command, who asked, and the answer.
	var hist commandPage
	call(t, "GET", api+"/chargers/MGMT-1/commands", nil, &hist)
	seen := map[string]string{}
	for _, c := range hist.Items {
		if c.Status != "answered" {
			t.Errorf("command %s: status %s, want answered", c.Action, c.Status)
		}
		seen[c.Action+"/"+c.RequestedBy] = c.Status
	}
	for _, want := range []string{"ChangeAvailability/apikey:admin-token", "UnlockConnector/apikey:admin-token", "TriggerMessage/apikey:admin-token", "ChangeConfiguration/apikey:admin-token", "Reset/apikey:admin-token", "GetConfiguration/system"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("command history lacks %s; got %v", want, seen)
		}
	}
}

// TestDesiredConfigurationOnBoot: a desired setting is applied at once and
// again when the charger boots, with the charger's answer recorded.
func TestDesiredConfigurationOnBoot(t *testing.T) {
	n := startNode(t, node.Config{})
	_, stop := startSim(t, sim.Config{URL: n.WS, ID: "CFG-1"})
	api := n.Base + "/api/v1"
	var d map[string]any
	if st, _ := call(t, "PUT", api+"/chargers/CFG-1/desired-configuration/MeterValueSampleInterval", map[string]any{"value": "15"}, &d); st != 200 || d["status"] != "Accepted" {
		t.Fatalf("PUT desired = %d %v, want 200 Accepted", st, d)
	}
	call(t, "PUT", api+"/chargers/CFG-1/desired-configuration/NumberOfConnectors", map[string]any{"value": "7"}, &d)
	if d["status"] != "Rejected" {
		t.Errorf("desired read-only key: status %v, want Rejected", d["status"])
	}
	stop()
	startSim(t, sim.Config{URL: n.WS, ID: "CFG-1"}) // a fresh boot
	eventually(t, 10*time.Second, "desired settings applied at boot", func() bool {
		var hist commandPage
		call(t, "GET", api+"/chargers/CFG-1/commands?action=ChangeConfiguration", nil, &hist)
		n := 0
		for _, c := range hist.Items {
			if c.RequestedBy == "system" {
				n++
			}
		}
		return n == 2
	})
}

type reservationJSON struct {
	ID            int    `json:"id"`
	Status        string `json:"status"`
	ChargerAnswer string `json:"chargerAnswer"`
	SessionID     string `json:"sessionId"`
}

// TestReservations: reserve (Reserved status), a remote start with another
// tag refused, the reserving driver's start consuming the reservation, two
// drivers racing for one connector, and cancel.
func TestReservations(t *testing.T) {
	n := startNode(t, node.Config{})
	startSim(t, sim.Config{URL: n.WS, ID: "RES-1"})
	api := n.Base + "/api/v1"
	connStatus := func(k int) string {
		var ch struct{ Connectors []struct{ Status string } }
		call(t, "GET", api+"/chargers/RES-1", nil, &ch)
		return ch.Connectors[k-1].Status
	}

	var r reservationJSON
	st, hdr := call(t, "POST", api+"/chargers/RES-1/connectors/1/reservations", map[string]any{"idTag": "ALICE", "durationMinutes": 10}, &r)
	if st != 201 || r.Status != "active" || hdr.Get("Location") == "" {
		t.Fatalf("reserve = %d %+v, want 201 active with a Location", st, r)
	}
	eventually(t, 5*time.Second, "connector 1 Reserved", func() bool { return connStatus(1) == "Reserved" })

	// Another driver: refused by Joule before the charger is asked.
	if st, _ := call(t, "POST", api+"/chargers/RES-1/connectors/1/start", map[string]any{"idTag": "BOB"}, nil); st != http.StatusConflict {
		t.Errorf("start by another idTag on the reserved connector = %d, want 409", st)
	}
	// The driver who reserved starts: the transaction carries the reservationId.
	var ses struct {
		ID string `json:"id"`
	}
	if st, _ := call(t, "POST", api+"/chargers/RES-1/connectors/1/start", map[string]any{"idTag": "ALICE"}, &ses); st != 202 {
		t.Fatalf("start by the reserving idTag = %d, want 202", st)
	}
	eventually(t, 5*time.Second, "reservation used", func() bool {
		call(t, "GET", api+"/reservations/"+strconv.Itoa(r.ID), nil, &r)
		return r.Status == "used"
	})
	if r.SessionID != ses.ID {
		t.Errorf("reservation used by session %q, want %q", r.SessionID, ses.ID)
	}
	var got struct {
		ReservationID int `json:"reservationId"`
	}
	call(t, "GET", api+"/sessions/"+ses.ID, nil, &got)
	if got.ReservationID != r.ID {
		t.Errorf("session reservationId = %d, want %d", got.ReservationID, r.ID)
	}

	// Two drivers reserve connector 2 at once: one wins, one gets 409.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, tag := range []string{"CAROL", "DAVE"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = call(t, "POST", api+"/chargers/RES-1/connectors/2/reservations", map[string]any{"idTag": tag, "durationMinutes": 5}, nil)
		}()
	}
	wg.Wait()
	if !(codes[0] == 201 && codes[1] == 409 || codes[0] == 409 && codes[1] == 201) {
		t.Fatalf("two drivers reserving connector 2: %v, want one 201 and one 409", codes)
	}
	var page struct{ Items []reservationJSON }
	call(t, "GET", api+"/reservations?chargerId=RES-1&status=active", nil, &page)
	if len(page.Items) != 1 {
		t.Fatalf("active reservations: %+v, want 1", page.Items)
	}
	if st, _ := call(t, "POST", api+"/reservations/"+strconv.Itoa(page.Items[0].ID)+"/cancel", nil, &r); st != 200 || r.Status != "cancelled" {
		t.Errorf("cancel = %d %+v, want 200 cancelled", st, r)
	}
	eventually(t, 5*time.Second, "connector 2 Available after cancel", func() bool { return connStatus(2) == "Available" })

	// Every reservation command is in the history, as asked by the API.
	var hist commandPage
	call(t, "GET", api+"/chargers/RES-1/commands?action=CancelReservation", nil, &hist)
	if len(hist.Items) != 1 || hist.Items[0].RequestedBy != "apikey:admin-token" || hist.Items[0].Response["status"] != "Accepted" {
		t.Errorf("CancelReservation history = %+v, want one Accepted by apikey:admin-token", hist.Items)
	}
}

// TestReservationExpiry: an expired reservation no longer holds the connector.
func TestReservationExpiry(t *testing.T) {
	n := startNode(t, node.Config{SweepInterval: 50 * time.Millisecond})
	startSim(t, sim.Config{URL: n.WS, ID: "RES-2"})
	api := n.Base + "/api/v1"
	var r reservationJSON
	if st, _ := call(t, "POST", api+"/chargers/RES-2/connectors/1/reservations",
		map[string]any{"idTag": "ALICE", "expiryDate": time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)}, &r); st != 201 {
		t.Fatalf("reserve = %d, want 201", st)
	}
	eventually(t, 10*time.Second, "reservation expired", func() bool {
		call(t, "GET", api+"/reservations/"+strconv.Itoa(r.ID), nil, &r)
		return r.Status == "expired"
	})
	if st, _ := call(t, "POST", api+"/chargers/RES-2/connectors/1/start", map[string]any{"idTag": "BOB"}, nil); st != 202 {
		t.Errorf("start by another idTag after expiry = %d, want 202", st)
	}
}

// TestSmartCharging: profiles stored and validated, applied, the composite
// schedule read through the API, cleared, and re-sent after a reboot.
func TestSmartCharging(t *testing.T) {
	n := startNode(t, node.Config{})
	_, stop := startSim(t, sim.Config{URL: n.WS, ID: "SC-1", MaxPowerW: 22000})
	api := n.Base + "/api/v1"

	bad := map[string]any{"id": 5, "purpose": "ChargePointMaxProfile", "kind": "Absolute", "stackLevel": 0,
		"schedule": map[string]any{"chargingRateUnit": "W", "periods": []map[string]any{{"startPeriodS": 60, "limit": 11000}}}}
	if st, _ := call(t, "POST", api+"/charging-profiles", bad, nil); st != 400 {
		t.Errorf("profile whose first period starts at 60 s = %d, want 400", st)
	}
	max := map[string]any{"id": 5, "purpose": "ChargePointMaxProfile", "kind": "Relative", "stackLevel": 0,
		"schedule": map[string]any{"chargingRateUnit": "W", "periods": []map[string]any{{"startPeriodS": 0, "limit": 11000}}}}
	if st, _ := call(t, "POST", api+"/charging-profiles", max, nil); st != 400 {
		t.Errorf("Relative ChargePointMaxProfile = %d, want 400", st)
	}
	max["kind"] = "Absolute"
	max["schedule"].(map[string]any)["startSchedule"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	var p map[string]any
	if st, _ := call(t, "POST", api+"/charging-profiles", max, &p); st != 200 || p["id"] != float64(5) {
		t.Fatalf("save profile = %d %v, want 200 id 5", st, p)
	}
	var out outcome
	if st, _ := call(t, "POST", api+"/chargers/SC-1/connectors/1/charging-profiles", map[string]any{"profileId": 5}, nil); st != 400 {
		t.Errorf("ChargePointMaxProfile on connector 1 = %d, want 400", st)
	}
	if st, _ := call(t, "POST", api+"/chargers/SC-1/connectors/0/charging-profiles", map[string]any{"profileId": 5}, &out); st != 200 || out.Status != "Accepted" {
		t.Fatalf("apply = %d %+v, want 200 Accepted", st, out)
	}
	var cs struct {
		Status   string `json:"status"`
		Schedule struct {
			Unit    string `json:"chargingRateUnit"`
			Periods []struct {
				Limit float64 `json:"limit"`
			} `json:"periods"`
		} `json:"schedule"`
	}
	if st, _ := call(t, "GET", api+"/chargers/SC-1/connectors/1/composite-schedule?durationS=3600", nil, &cs); st != 200 || cs.Status != "Accepted" ||
		len(cs.Schedule.Periods) != 1 || cs.Schedule.Periods[0].Limit != 11000 {
		t.Fatalf("composite schedule = %d %+v, want Accepted with one period at 11000 W", st, cs)
	}

	// Reboot: Joule re-sends the installed profile.
	stop()
	rebootAt := time.Now()
	startSim(t, sim.Config{URL: n.WS, ID: "SC-1", MaxPowerW: 22000})
	eventually(t, 10*time.Second, "profile re-sent after reboot", func() bool {
		var hist commandPage
		call(t, "GET", api+"/chargers/SC-1/commands?action=SetChargingProfile", nil, &hist)
		for _, c := range hist.Items {
			if c.RequestedBy == "system" && c.RequestedAt.After(rebootAt) && c.Response["status"] == "Accepted" {
				return true
			}
		}
		return false
	})
	eventually(t, 10*time.Second, "re-sent profile recorded as installed", func() bool {
		var inst struct{ Items []map[string]any }
		call(t, "GET", api+"/chargers/SC-1/charging-profiles", nil, &inst)
		return len(inst.Items) == 1
	})
	call(t, "GET", api+"/chargers/SC-1/connectors/1/composite-schedule?durationS=600", nil, &cs)
	if len(cs.Schedule.Periods) != 1 || cs.Schedule.Periods[0].Limit != 11000 {
		t.Errorf("composite schedule after reboot = %+v, want one period at 11000 W", cs)
	}

	// Clear: Joule no longer lists it as installed; the charger is back to its maximum.
	if st, _ := call(t, "POST", api+"/chargers/SC-1/charging-profiles/clear", map[string]any{"id": 5}, &out); st != 200 || out.Status != "Accepted" {
		t.Errorf("clear = %d %+v, want 200 Accepted", st, out)
	}
	var inst struct{ Items []map[string]any }
	call(t, "GET", api+"/chargers/SC-1/charging-profiles", nil, &inst)
	if len(inst.Items) != 0 {
		t.Errorf("installed after clear: %v, want none", inst.Items)
	}
	call(t, "GET", api+"/chargers/SC-1/connectors/1/composite-schedule?durationS=600", nil, &cs)
	if len(cs.Schedule.Periods) != 1 || cs.Schedule.Periods[0].Limit != 22000 {
		var all commandPage
		call(t, "GET", api+"/chargers/SC-1/commands", nil, &all)
		for _, c := range all.Items {
			t.Logf("command %s %s by %s at %s: %v -> %v", c.Action, c.Status, c.RequestedBy, c.RequestedAt.Format(time.StampMicro), c.Request, c.Response)
		}
		t.Errorf("composite schedule after clear = %+v, want 22000 W", cs)
	}

	// A TxProfile by id inside the remote start.
	tx := map[string]any{"id": 9, "purpose": "TxProfile", "kind": "Relative", "stackLevel": 1,
		"schedule": map[string]any{"chargingRateUnit": "A", "periods": []map[string]any{{"startPeriodS": 0, "limit": 10}}}}
	call(t, "POST", api+"/charging-profiles", tx, nil)
	if st, _ := call(t, "POST", api+"/chargers/SC-1/connectors/1/start", map[string]any{"idTag": "TX", "chargingProfileId": 9}, nil); st != 202 {
		t.Fatalf("start with chargingProfileId = %d, want 202", st)
	}
	var hist commandPage
	call(t, "GET", api+"/chargers/SC-1/commands?action=RemoteStartTransaction", nil, &hist)
	if len(hist.Items) != 1 || hist.Items[0].Request["chargingProfileId"] != float64(9) {
		t.Errorf("RemoteStartTransaction history = %+v, want chargingProfileId 9", hist.Items)
	}
}
