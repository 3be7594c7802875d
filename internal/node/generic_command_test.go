package node_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// TestGenericCommands sends 1.6 CSMS actions through
// POST /chargers/{id}/commands/{Action} to the simulator.
func TestGenericCommands(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: time.Second, StartTimeout: 3 * time.Second})
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CMD-1", MeterValueSampleInterval: time.Hour})
	cmd := func(charger, action string, payload any) (int, charging.CommandResult, problem) {
		t.Helper()
		var raw map[string]any
		code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/"+charger+"/commands/"+action, payload, &raw)
		var res charging.CommandResult
		var p problem
		if code == http.StatusOK {
			jsonRoundTrip(t, raw, &res)
		} else {
			jsonRoundTrip(t, raw, &p)
		}
		return code, res, p
	}
	response := func(res charging.CommandResult) map[string]any {
		var m map[string]any
		_ = json.Unmarshal(res.Response, &m)
		return m
	}

	code, res, _ := cmd("CMD-1", "ChangeConfiguration", map[string]any{"key": "MeterValueSampleInterval", "value": "7"})
	if code != 200 || res.Status != charging.ResultAnswered || response(res)["status"] != "Accepted" {
		t.Fatalf("ChangeConfiguration = %d %+v, want answered Accepted", code, res)
	}
	code, res, _ = cmd("CMD-1", "GetConfiguration", map[string]any{"key": []string{"MeterValueSampleInterval"}})
	keys, _ := response(res)["configurationKey"].([]any)
	if code != 200 || len(keys) != 1 || keys[0].(map[string]any)["value"] != "7" {
		t.Fatalf("GetConfiguration = %d %s, want MeterValueSampleInterval 7", code, res.Response)
	}
	for _, c := range []struct {
		action  string
		payload any
		want    string
	}{
		{"ClearCache", map[string]any{}, "Accepted"},
		{"TriggerMessage", map[string]any{"requestedMessage": "StatusNotification", "connectorId": 1}, "Accepted"},
		{"ChangeAvailability", map[string]any{"connectorId": 2, "type": "Inoperative"}, "Accepted"},
		{"UnlockConnector", map[string]any{"connectorId": 1}, "Unlocked"},
	} {
		code, res, _ := cmd("CMD-1", c.action, c.payload)
		if code != 200 || res.Status != charging.ResultAnswered || response(res)["status"] != c.want {
			t.Errorf("%s = %d %+v %s, want answered %s", c.action, code, res, res.Response, c.want)
		}
	}
	eventually(t, 5*time.Second, "connector 2 Unavailable after ChangeAvailability", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, n.Base+"/api/v1/chargers/CMD-1", nil, &c)
		k, ok := c.Connector(2)
		return ok && k.Status == charging.StatusUnavailable
	})
	if st := cp.State(2); st.Status != "Unavailable" {
		t.Errorf("simulator connector 2 = %s, want Unavailable", st.Status)
	}

	// A remote start sent as a generic command still makes a session.
	code, res, _ = cmd("CMD-1", "RemoteStartTransaction", map[string]any{"connectorId": 1, "idTag": "GEN-1"})
	if code != 200 || response(res)["status"] != "Accepted" {
		t.Fatalf("RemoteStartTransaction = %d %+v", code, res)
	}
	eventually(t, 5*time.Second, "an active session for the generic remote start", func() bool {
		all := listSessions(t, n, "chargerId=CMD-1&status=active")
		return len(all) == 1 && all[0].IDTag == "GEN-1" && all[0].Origin == charging.OriginRemote
	})
	if all := listSessions(t, n, "chargerId=CMD-1"); len(all) != 1 {
		t.Fatalf("sessions = %+v, want exactly one", all)
	}

	// Bad requests name what is wrong; a refusal is a normal outcome.
	for _, c := range []struct {
		charger, action string
		payload         any
		code            int
	}{
		{"CMD-1", "Reset", map[string]any{"type": "Gentle"}, http.StatusBadRequest},
		{"CMD-1", "Reset", map[string]any{}, http.StatusBadRequest},
		{"CMD-1", "BootNotification", map[string]any{"chargePointVendor": "V", "chargePointModel": "M"}, http.StatusBadRequest},
		{"CMD-1", "Teleport", map[string]any{}, http.StatusBadRequest},
		{"NOPE", "ClearCache", map[string]any{}, http.StatusNotFound},
	} {
		if code, _, p := cmd(c.charger, c.action, c.payload); code != c.code || p.Detail == "" {
			t.Errorf("%s %s %v = %d %+v, want %d with a detail", c.charger, c.action, c.payload, code, p, c.code)
		}
	}
	code, res, _ = cmd("CMD-1", "GetCompositeSchedule", map[string]any{"connectorId": 1, "duration": 60})
	if code != 200 || (res.Status != charging.ResultCallError && res.Status != charging.ResultAnswered) {
		t.Errorf("GetCompositeSchedule = %d %+v, want a CALLERROR or an answer as a 200 result", code, res)
	}
}

// TestGenericCommandTimeoutAndOffline: no answer is a "timeout" result; an
// offline charger is a 409.
func TestGenericCommandTimeoutAndOffline(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 500 * time.Millisecond, StartTimeout: 3 * time.Second})
	startSim(t, sim.Config{URL: n.WS, ID: "CMD-2", Behaviour: sim.Behaviour{IgnoreCalls: true}})
	var res charging.CommandResult
	if code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/CMD-2/commands/ClearCache", map[string]any{}, &res); code != 200 || res.Status != charging.ResultTimeout {
		t.Fatalf("ClearCache to a silent charger = %d %+v, want 200 timeout", code, res)
	}
	_, stop := startSim(t, sim.Config{URL: n.WS, ID: "CMD-3"})
	stop()
	eventually(t, 5*time.Second, "CMD-3 offline", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, n.Base+"/api/v1/chargers/CMD-3", nil, &c)
		return !c.Online
	})
	var p problem
	if code, _ := call(t, http.MethodPost, n.Base+"/api/v1/chargers/CMD-3/commands/ClearCache", map[string]any{}, &p); code != http.StatusConflict {
		t.Fatalf("command to an offline charger = %d %+v, want 409", code, p)
	}
}
