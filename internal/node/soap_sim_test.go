package node_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/ocpp/soapcs"
	"github.com/joule-ev/joule/internal/sim"
)

// TestSOAPStationManagement exercises every charge-point operation of each
// SOAP version once, through the same API as an OCPP-J charger, against a
// simulated SOAP charger that hosts its own service: Joule calls the
// address the charger gave in wsa:From. What OCPP 1.5 lacks (charging
// profiles, TriggerMessage) is a 409 that names the version, and nothing
// reaches the charger.
func TestSOAPStationManagement(t *testing.T) {
	for _, version := range []string{sim.OCPP15S, sim.OCPP16S} {
		t.Run(version, func(t *testing.T) { soapStationManagement(t, version) })
	}
}

// TestSOAPChargerNetworks: with --soap-charger-networks set, a SOAP
// charger whose address is outside them still reports (it is online and
// its address is stored) but gets no command: 409 saying why, and no
// request reaches it. Inside them it is commanded as usual.
func TestSOAPChargerNetworks(t *testing.T) {
	for _, c := range []struct {
		networks string
		want     int
	}{{"10.0.0.0/8", http.StatusConflict}, {"10.0.0.0/8,127.0.0.0/8", http.StatusOK}} {
		t.Run(c.networks, func(t *testing.T) {
			nets, err := soapcs.ParseNetworks(strings.Split(c.networks, ","))
			if err != nil {
				t.Fatal(err)
			}
			n := startNode(t, node.Config{CallTimeout: 5 * time.Second, SOAPChargerNetworks: nets})
			cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "NET-16S", MeterValueSampleInterval: time.Hour, OCPPVersion: sim.OCPP16S})
			var ch charging.Charger
			call(t, http.MethodGet, n.Base+"/api/v1/chargers/NET-16S", nil, &ch)
			if !ch.Online || ch.SOAPAddress != cp.SOAPAddress() {
				t.Fatalf("charger online %v at %q, want online at %q", ch.Online, ch.SOAPAddress, cp.SOAPAddress())
			}
			status := func() string {
				var ch charging.Charger
				call(t, http.MethodGet, n.Base+"/api/v1/chargers/NET-16S", nil, &ch)
				if len(ch.Connectors) == 0 {
					return ""
				}
				return string(ch.Connectors[0].Status)
			}
			eventually(t, 5*time.Second, "connector 1 Available", func() bool { return status() == "Available" })
			var raw json.RawMessage
			code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/NET-16S/connectors/1/availability", map[string]any{"type": "Inoperative"}, &raw)
			if code != c.want {
				t.Fatalf("availability = %d %s, want %d", code, raw, c.want)
			}
			var p problem
			_ = json.Unmarshal(raw, &p)
			if c.want == http.StatusConflict {
				if !strings.Contains(p.Detail, "outside the networks Joule calls chargers in") {
					t.Errorf("409 detail = %q, want it to say the address is outside the networks", p.Detail)
				}
				time.Sleep(300 * time.Millisecond) // a command that went out would change the connector at once
				if got := status(); got != "Available" {
					t.Errorf("connector 1 is %s: the command reached the charger", got)
				}
				return
			}
			eventually(t, 5*time.Second, "connector 1 Unavailable", func() bool { return status() == "Unavailable" })
		})
	}
}

func soapStationManagement(t *testing.T, version string) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	id := "SM-" + strings.ToUpper(strings.TrimPrefix(version, "ocpp"))
	id = strings.ReplaceAll(id, ".", "")
	cp, stop := startSim(t, sim.Config{URL: n.WS, ID: id, MeterValueSampleInterval: time.Hour, OCPPVersion: version})
	is15 := version == sim.OCPP15S

	var c charging.Charger
	call(t, http.MethodGet, api+"/chargers/"+id, nil, &c)
	if c.OCPPVersion != version || !c.Online || !strings.HasPrefix(c.SOAPAddress, "http://127.0.0.1:") {
		t.Fatalf("charger = version %s online %v address %q, want online over %s with its service address", c.OCPPVersion, c.Online, c.SOAPAddress, version)
	}
	connStatus := func(k int) string {
		var ch charging.Charger
		call(t, http.MethodGet, api+"/chargers/"+id, nil, &ch)
		if len(ch.Connectors) < k {
			return ""
		}
		return string(ch.Connectors[k-1].Status)
	}
	eventually(t, 5*time.Second, "both connectors Available", func() bool { return connStatus(1) == "Available" && connStatus(2) == "Available" })

	var out outcome
	expect := func(what string, code int, got outcome, want string) {
		t.Helper()
		if code != http.StatusOK || got.Status != want {
			t.Errorf("%s = %d %+v, want 200 %s", what, code, got, want)
		}
	}
	// Availability, and back.
	code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/2/availability", map[string]any{"type": "Inoperative"}, &out)
	expect("ChangeAvailability Inoperative", code, out, "Accepted")
	eventually(t, 5*time.Second, "connector 2 Unavailable", func() bool { return connStatus(2) == "Unavailable" })
	code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/2/availability", map[string]any{"type": "Operative"}, &out)
	expect("ChangeAvailability Operative", code, out, "Accepted")
	eventually(t, 5*time.Second, "connector 2 Available again", func() bool { return connStatus(2) == "Available" })
	// Unlock: 1.5's Accepted is the domain's Unlocked.
	code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/1/unlock", nil, &out)
	expect("UnlockConnector", code, out, "Unlocked")
	// Configuration: change, then read back.
	code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/configuration", map[string]any{"key": "MeterValueSampleInterval", "value": "45"}, &out)
	expect("ChangeConfiguration", code, out, "Accepted")
	cmd := func(action string, payload any) (int, charging.CommandResult, problem) {
		t.Helper()
		var raw map[string]any
		code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/commands/"+action, payload, &raw)
		var res charging.CommandResult
		var p problem
		if code == http.StatusOK {
			jsonRoundTrip(t, raw, &res)
		} else {
			jsonRoundTrip(t, raw, &p)
		}
		return code, res, p
	}
	code, res, _ := cmd("GetConfiguration", map[string]any{"key": []string{"MeterValueSampleInterval"}})
	if code != http.StatusOK || res.Status != charging.ResultAnswered || !strings.Contains(string(res.Response), `"value":"45"`) {
		t.Errorf("GetConfiguration = %d %+v %s, want MeterValueSampleInterval 45", code, res, res.Response)
	}
	// ClearCache and DataTransfer through the generic commands.
	code, res, _ = cmd("ClearCache", map[string]any{})
	if code != http.StatusOK || res.Status != charging.ResultAnswered || !strings.Contains(string(res.Response), `"status":"Accepted"`) {
		t.Errorf("ClearCache = %d %+v %s, want answered Accepted", code, res, res.Response)
	}
	code, res, _ = cmd("DataTransfer", map[string]any{"vendorId": "com.example", "messageId": "ping", "data": "1"})
	if code != http.StatusOK || res.Status != charging.ResultAnswered || !strings.Contains(string(res.Response), `"status":"UnknownVendorId"`) {
		t.Errorf("DataTransfer = %d %+v %s, want answered UnknownVendorId", code, res, res.Response)
	}
	// The local list: a full update, then its version.
	if code, _ := call(t, http.MethodPost, api+"/id-tags", map[string]any{"idTag": "CARD-S", "status": "Accepted"}, nil); code != http.StatusOK {
		t.Fatalf("POST /id-tags = %d", code)
	}
	var full struct {
		Status      string `json:"status"`
		ListVersion int    `json:"listVersion"`
		Entries     int    `json:"entries"`
	}
	if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/local-list", map[string]any{"updateType": "Full"}, &full); code != http.StatusOK || full.Status != "Accepted" || full.ListVersion < 1 {
		t.Errorf("SendLocalList = %d %+v, want Accepted with a version", code, full)
	}
	var ver struct {
		Version         int  `json:"version"`
		ReportedVersion *int `json:"reportedVersion"`
	}
	if code, _ := call(t, http.MethodGet, api+"/chargers/"+id+"/local-list/version", nil, &ver); code != http.StatusOK || ver.ReportedVersion == nil || *ver.ReportedVersion != full.ListVersion {
		t.Errorf("GetLocalListVersion = %d %+v, want the charger to report %d", code, ver, full.ListVersion)
	}
	// A reservation, then its cancellation.
	var r reservationJSON
	if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/1/reservations", map[string]any{"idTag": "ALICE", "durationMinutes": 10}, &r); code != http.StatusCreated || r.Status != "active" {
		t.Fatalf("ReserveNow = %d %+v, want 201 active", code, r)
	}
	eventually(t, 5*time.Second, "connector 1 Reserved", func() bool { return connStatus(1) == "Reserved" })
	if code, _ := call(t, http.MethodPost, api+"/reservations/"+strconv.Itoa(r.ID)+"/cancel", nil, &r); code != http.StatusOK || r.Status != "cancelled" {
		t.Errorf("CancelReservation = %d %+v, want 200 cancelled", code, r)
	}
	eventually(t, 5*time.Second, "connector 1 Available after the cancellation", func() bool { return connStatus(1) == "Available" })
	// Diagnostics: the charger uploads to Joule's single-use URL.
	var job jobJSON
	if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/diagnostics", map[string]any{"retries": 1}, &job); code != http.StatusCreated || job.FileName == "" {
		t.Fatalf("GetDiagnostics = %d %+v, want 201 with the charger's file name", code, job)
	}
	eventually(t, 10*time.Second, "the diagnostics upload", func() bool {
		return latestJob(t, api+"/chargers/"+id+"/diagnostics").Status == "Uploaded"
	})
	// Firmware: downloaded, installed, rebooted with the new version.
	image := bytes.Repeat([]byte("joule firmware 3.0.0\n"), 100)
	st, body := rawRequest(t, http.MethodPost, api+"/firmware?name=3.0.0", "application/octet-stream", image)
	if st != http.StatusCreated {
		t.Fatalf("POST /firmware = %d %s", st, body)
	}
	var fw firmwareJSON
	decodeBody(t, body, &fw)
	if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/firmware-updates", map[string]any{"firmwareId": fw.ID}, &job); code != http.StatusCreated {
		t.Fatalf("UpdateFirmware = %d %+v, want 201", code, job)
	}
	eventually(t, 15*time.Second, id+" to boot with firmware 3.0.0", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, api+"/chargers/"+id, nil, &c)
		return c.FirmwareVersion == "3.0.0" && c.Online
	})
	if got := latestJob(t, api+"/chargers/"+id+"/firmware-updates"); got.Status != "Installed" || !slices.Contains(got.statuses(), "Downloaded") {
		t.Errorf("firmware job = %s %v, want Installed after Downloaded", got.Status, got.statuses())
	}

	// Charging profiles and TriggerMessage: 1.6 has them, 1.5 does not.
	profile := map[string]any{"id": 5, "purpose": "ChargePointMaxProfile", "kind": "Absolute", "stackLevel": 0,
		"schedule": map[string]any{"chargingRateUnit": "W", "startSchedule": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"periods": []map[string]any{{"startPeriodS": 0, "limit": 11000}}}}
	if code, _ := call(t, http.MethodPost, api+"/charging-profiles", profile, nil); code != http.StatusOK {
		t.Fatalf("save profile = %d", code)
	}
	var p problem
	if is15 {
		for _, c := range []struct {
			what, method, path string
			body               any
		}{
			{"TriggerMessage", http.MethodPost, "/trigger", map[string]any{"requestedMessage": "Heartbeat"}},
			{"SetChargingProfile", http.MethodPost, "/connectors/0/charging-profiles", map[string]any{"profileId": 5}},
			{"ClearChargingProfile", http.MethodPost, "/charging-profiles/clear", map[string]any{"id": 5}},
			{"GetCompositeSchedule", http.MethodGet, "/connectors/1/composite-schedule?durationS=600", nil},
		} {
			p = problem{}
			if code, _ := call(t, c.method, api+"/chargers/"+id+c.path, c.body, &p); code != http.StatusConflict || !strings.Contains(p.Detail, "OCPP 1.5") {
				t.Errorf("%s on a 1.5 charger = %d %+v, want 409 naming OCPP 1.5", c.what, code, p)
			}
		}
		if code, _, p := cmd("TriggerMessage", map[string]any{"requestedMessage": "Heartbeat"}); code != http.StatusConflict || !strings.Contains(p.Detail, "OCPP 1.5") {
			t.Errorf("generic TriggerMessage on a 1.5 charger = %d %+v, want 409 naming OCPP 1.5", code, p)
		}
	} else {
		code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/trigger", map[string]any{"requestedMessage": "Heartbeat"}, &out)
		expect("TriggerMessage", code, out, "Accepted")
		code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/0/charging-profiles", map[string]any{"profileId": 5}, &out)
		expect("SetChargingProfile", code, out, "Accepted")
		var cs struct {
			Status   string `json:"status"`
			Schedule struct {
				Periods []struct {
					Limit float64 `json:"limit"`
				} `json:"periods"`
			} `json:"schedule"`
		}
		if code, _ := call(t, http.MethodGet, api+"/chargers/"+id+"/connectors/1/composite-schedule?durationS=600", nil, &cs); code != http.StatusOK || cs.Status != "Accepted" ||
			len(cs.Schedule.Periods) == 0 || cs.Schedule.Periods[0].Limit != 11000 {
			t.Errorf("GetCompositeSchedule = %d %+v, want Accepted at 11000 W", code, cs)
		}
		code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/charging-profiles/clear", map[string]any{"id": 5}, &out)
		expect("ClearChargingProfile", code, out, "Accepted")
	}

	// Reset: the charger boots again and is online.
	code, _ = call(t, http.MethodPost, api+"/chargers/"+id+"/reset", map[string]any{"type": "Soft"}, &out)
	expect("Reset", code, out, "Accepted")
	eventually(t, 15*time.Second, "the charger back after its reset", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, api+"/chargers/"+id, nil, &c)
		return c.Online && cp.Connected()
	})

	// The command history has each operation, answered.
	var hist commandPage
	call(t, http.MethodGet, api+"/chargers/"+id+"/commands?limit=200", nil, &hist)
	seen := map[string]bool{}
	for _, c := range hist.Items {
		if c.Status == "answered" {
			seen[c.Action] = true
		}
	}
	want := []string{"ChangeAvailability", "UnlockConnector", "ChangeConfiguration", "GetConfiguration", "ClearCache", "DataTransfer",
		"SendLocalList", "GetLocalListVersion", "ReserveNow", "CancelReservation", "GetDiagnostics", "UpdateFirmware", "Reset"}
	if !is15 {
		want = append(want, "TriggerMessage", "SetChargingProfile", "GetCompositeSchedule", "ClearChargingProfile")
	}
	for _, a := range want {
		if !seen[a] {
			t.Errorf("command history lacks an answered %s; got %v", a, seen)
		}
	}
	if is15 {
		for _, a := range []string{"TriggerMessage", "SetChargingProfile", "ClearChargingProfile", "GetCompositeSchedule"} {
			if seen[a] {
				t.Errorf("a 1.5 charger answered %s, which its version lacks", a)
			}
		}
	}

	// A charger that stops answering is offline for commands: 409.
	stop()
	var gone problem
	if code, _ := call(t, http.MethodPost, api+"/chargers/"+id+"/connectors/1/unlock", nil, &gone); code != http.StatusConflict {
		t.Errorf("unlock on a charger that no longer answers = %d %+v, want 409", code, gone)
	}
}

// TestClusterSOAP: in a cluster, the node that heard a SOAP charger holds
// it, and a command asked on another node is routed there and sent to the
// charger's own service: the seed flow through the other node's API.
func TestClusterSOAP(t *testing.T) {
	c := newCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	for _, x := range []struct {
		id, version string
		posts, api  *testNode
	}{{"CS-16S", sim.OCPP16S, n1, n2}, {"CS-15S", sim.OCPP15S, n2, n1}} {
		startSimAt(t, sim.Config{URL: x.posts.WS, ID: x.id, Connectors: 1, MaxPowerW: 11000, OCPPVersion: x.version}, x.posts.Base)
		api := x.api.Base + "/api/v1"
		var s charging.Session
		if code, _ := call(t, http.MethodPost, api+"/chargers/"+x.id+"/connectors/1/start", map[string]any{"idTag": "C-" + x.id}, &s); code != http.StatusAccepted {
			t.Fatalf("start on %s through the other node = %d", x.id, code)
		}
		get := func() charging.Session {
			var out charging.Session
			call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &out)
			return out
		}
		eventually(t, 15*time.Second, x.id+" charging", func() bool { g := get(); return g.Status == charging.SessionActive && g.EnergyWh >= 2 })
		if code, _ := call(t, http.MethodPost, api+"/sessions/"+s.ID+"/stop", nil, nil); code != http.StatusAccepted {
			t.Fatalf("stop on %s through the other node = %d", x.id, code)
		}
		eventually(t, 15*time.Second, x.id+" finished", func() bool { return get().Status == charging.SessionFinished })
		if g := get(); g.StopReason != "Remote" || g.EnergyWh <= 0 {
			t.Errorf("%s's session = reason %q energy %v, want Remote with energy", x.id, g.StopReason, g.EnergyWh)
		}
	}
}
