package node_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
)

const boot201 = `{"reason":"PowerUp","chargingStation":{"vendorName":"V","model":"M","serialNumber":"SN","firmwareVersion":"2.0"}}`

// answerUntil reads frames until the answer to id arrives, answering the
// CSMS's CALLs on the way (calls collects their actions and payloads).
func (c *rawCharger) answerUntil(id string, calls map[string]json.RawMessage) []json.RawMessage {
	c.t.Helper()
	for {
		f := c.read(5 * time.Second)
		if string(f[0]) == "2" && len(f) == 4 {
			action := str(f[2])
			if calls != nil {
				calls[action] = f[3]
			}
			resp := `{"status":"Accepted"}`
			if action == "RequestStartTransaction" || action == "RequestStopTransaction" {
				resp = `{"status":"Accepted"}`
			}
			c.send(fmt.Sprintf(`[3,%s,%s]`, f[1], resp))
			continue
		}
		if str(f[1]) == id {
			return f
		}
		c.t.Fatalf("frame %s while waiting for the answer to %s", f, id)
	}
}

// readAnswer returns the next CALLRESULT or CALLERROR, answering the
// CSMS's CALLs (the base report request after a boot) on the way.
func (c *rawCharger) readAnswer() []json.RawMessage {
	c.t.Helper()
	for {
		f := c.read(5 * time.Second)
		if string(f[0]) != "2" {
			return f
		}
		c.send(fmt.Sprintf(`[3,%s,{"status":"Accepted"}]`, f[1]))
	}
}

// call sends a CALL and returns its answer frame.
func (c *rawCharger) call(id, action, payload string, calls map[string]json.RawMessage) []json.RawMessage {
	c.t.Helper()
	c.send(fmt.Sprintf(`[2,%q,%q,%s]`, id, action, payload))
	return c.answerUntil(id, calls)
}

func wantResult(t *testing.T, f []json.RawMessage, contains string) {
	t.Helper()
	if len(f) != 3 || string(f[0]) != "3" || !strings.Contains(string(f[2]), contains) {
		t.Fatalf("answer = %s, want a CALLRESULT containing %s", f, contains)
	}
}

func wantError(t *testing.T, f []json.RawMessage, code string) {
	t.Helper()
	if len(f) != 5 || string(f[0]) != "4" || str(f[2]) != code {
		t.Fatalf("answer = %s, want a CALLERROR %s", f, code)
	}
}

// TestCallErrors201 sends broken frames over a real 2.0.1 WebSocket and
// checks each CALLERROR with 2.0.1's names.
func TestCallErrors201(t *testing.T) {
	n := startNode(t, node.Config{})
	c, proto := dialRaw(t, n.WS+"/RAW201-1", "ocpp2.0.1")
	if proto != "ocpp2.0.1" {
		t.Fatalf("subprotocol = %q, want ocpp2.0.1", proto)
	}
	wantResult(t, c.call("boot", "BootNotification", boot201, nil), `"Accepted"`)
	long := strings.Repeat("x", 37)
	for _, tc := range []struct {
		name, frame, id, code string
	}{
		{"not json", `[2,"x1","Heartbeat",{]`, "x1", "RpcFrameworkError"},
		{"too few elements", `[2,"x2"]`, "x2", "RpcFrameworkError"},
		{"unknown message type", `[7,"x3","Heartbeat",{}]`, "x3", "MessageTypeNotSupported"},
		{"payload not an object", `[2,"x4","Heartbeat",[]]`, "x4", "FormatViolation"},
		{"unknown action", `[2,"x5","FlyToTheMoon",{}]`, "x5", "NotImplemented"},
		{"1.6 action on 2.0.1", `[2,"x6","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"2026-11-25T10:00:00Z"}]`, "x6", "NotImplemented"},
		{"CSMS action", `[2,"x7","RequestStartTransaction",{"idToken":{"idToken":"T","type":"Central"},"remoteStartId":1}]`, "x7", "NotSupported"},
		{"missing required field", `[2,"x8","StatusNotification",{"timestamp":"2026-11-25T10:00:00Z","connectorStatus":"Available","evseId":1}]`, "x8", "OccurrenceConstraintViolation"},
		{"wrong type", `[2,"x9","StatusNotification",{"timestamp":"2026-11-25T10:00:00Z","connectorStatus":"Available","evseId":"1","connectorId":1}]`, "x9", "TypeConstraintViolation"},
		{"bad enum", `[2,"x10","StatusNotification",{"timestamp":"2026-11-25T10:00:00Z","connectorStatus":"Charging","evseId":1,"connectorId":1}]`, "x10", "PropertyConstraintViolation"},
		{"too long", `[2,"x11","Authorize",{"idToken":{"idToken":"` + long + `","type":"ISO14443"}}]`, "x11", "PropertyConstraintViolation"},
		{"bad date-time", `[2,"x12","StatusNotification",{"timestamp":"yesterday","connectorStatus":"Available","evseId":1,"connectorId":1}]`, "x12", "PropertyConstraintViolation"},
		{"unknown property", `[2,"x13","Heartbeat",{"extra":true}]`, "x13", "FormatViolation"},
		{"empty required array", `[2,"x14","MeterValues",{"evseId":1,"meterValue":[]}]`, "x14", "OccurrenceConstraintViolation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.send(tc.frame)
			c.send(`[2,"hb","Heartbeat",{}]`)
			f := c.readAnswer()
			if tc.id != "" {
				if len(f) != 5 || string(f[0]) != "4" || str(f[1]) != tc.id || str(f[2]) != tc.code {
					t.Fatalf("answer = %s, want [4,%q,%q,...]", f, tc.id, tc.code)
				}
				f = c.readAnswer()
			}
			if len(f) != 3 || string(f[0]) != "3" || str(f[1]) != "hb" {
				t.Fatalf("next frame = %s, want the heartbeat's CALLRESULT", f)
			}
		})
	}
}

// TestPreBootGating: before its boot is Accepted a charger gets
// SecurityError for anything but BootNotification, in both versions.
func TestPreBootGating(t *testing.T) {
	n := startNode(t, node.Config{})
	for _, tc := range []struct {
		proto, boot string
		calls       []struct{ action, payload string }
	}{
		{"ocpp2.0.1", boot201, []struct{ action, payload string }{
			{"Heartbeat", `{}`},
			{"StatusNotification", `{"timestamp":"2026-11-25T10:00:00Z","connectorStatus":"Available","evseId":1,"connectorId":1}`},
			{"TransactionEvent", `{"eventType":"Started","timestamp":"2026-11-25T10:00:00Z","triggerReason":"Authorized","seqNo":0,"transactionInfo":{"transactionId":"T1"}}`},
			{"FlyToTheMoon", `{}`},
		}},
		{"ocpp1.6", `{"chargePointVendor":"V","chargePointModel":"M"}`, []struct{ action, payload string }{
			{"Heartbeat", `{}`},
			{"StatusNotification", `{"connectorId":1,"errorCode":"NoError","status":"Available"}`},
			{"StartTransaction", `{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"2026-11-25T10:00:00Z"}`},
		}},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			id := "GATE-" + strings.ReplaceAll(tc.proto, ".", "")
			c, _ := dialRaw(t, n.WS+"/"+id, tc.proto)
			c.t = t
			asked := map[string]json.RawMessage{}
			for i, k := range tc.calls {
				wantError(t, c.call(fmt.Sprintf("g%d", i), k.action, k.payload, asked), "SecurityError")
			}
			// Joule asks the Pending charger to boot (TriggerMessage BootNotification).
			for i := 0; i < 100 && asked["TriggerMessage"] == nil; i++ { // let the trigger arrive
				wantError(t, c.call(fmt.Sprintf("g-hb%d", i), "Heartbeat", `{}`, asked), "SecurityError")
				time.Sleep(20 * time.Millisecond)
			}
			if got := string(asked["TriggerMessage"]); !strings.Contains(got, `"BootNotification"`) {
				t.Errorf("TriggerMessage = %q, want a request for a BootNotification", got)
			}
			wantResult(t, c.call("boot", "BootNotification", tc.boot, nil), `"Accepted"`)
			wantResult(t, c.call("hb", "Heartbeat", `{}`, nil), `currentTime`)
			// A reconnect without a new boot keeps the registration.
			c.ws.Close()
			c2, _ := dialRaw(t, n.WS+"/"+id, tc.proto)
			c2.t = t
			wantResult(t, c2.call("hb2", "Heartbeat", `{}`, nil), `currentTime`)
		})
	}
}

// TestNegotiation: the charger's most preferred version Joule speaks wins,
// unless the operator set an override the charger offers.
func TestNegotiation(t *testing.T) {
	n := startNode(t, node.Config{})
	api := n.Base + "/api/v1"
	for _, tc := range []struct {
		name     string
		override string
		offers   []string
		want     string
	}{
		{"prefers 2.0.1", "", []string{"ocpp2.0.1", "ocpp1.6"}, "ocpp2.0.1"},
		{"prefers 1.6", "", []string{"ocpp1.6", "ocpp2.0.1"}, "ocpp1.6"},
		{"unknown offers first", "", []string{"ocpp2.1", "ocpp1.5", "ocpp2.0.1"}, "ocpp2.0.1"},
		{"only 2.0.1", "", []string{"ocpp2.0.1"}, "ocpp2.0.1"},
		{"override 1.6", "ocpp1.6", []string{"ocpp2.0.1", "ocpp1.6"}, "ocpp1.6"},
		{"override 2.0.1", "ocpp2.0.1", []string{"ocpp1.6", "ocpp2.0.1"}, "ocpp2.0.1"},
		{"override not offered", "ocpp1.6", []string{"ocpp2.0.1"}, "ocpp2.0.1"},
		{"nothing known", "", []string{"ocpp1.5", "ocpp2.1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "NEG-" + strings.ReplaceAll(tc.name, " ", "-")
			// Register the charger (a first connection), then set the override.
			first, _ := dialRaw(t, n.WS+"/"+id, "ocpp1.6")
			eventually(t, 5*time.Second, "charger "+id+" known", func() bool {
				code, _ := call(t, http.MethodGet, api+"/chargers/"+id, nil, nil)
				return code == 200
			})
			first.ws.Close()
			if tc.override != "" {
				var c charging.Charger
				if code, _ := call(t, http.MethodPatch, api+"/chargers/"+id, map[string]any{"ocppVersionOverride": tc.override}, &c); code != 200 || c.OCPPVersionOverride != tc.override {
					t.Fatalf("PATCH override = %d %+v, want 200 with %s", code, c, tc.override)
				}
			}
			c, proto := dialRaw(t, n.WS+"/"+id, tc.offers...)
			if proto != tc.want {
				t.Fatalf("offers %q, override %q: subprotocol = %q, want %q", tc.offers, tc.override, proto, tc.want)
			}
			if tc.want == "" {
				c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, _, err := c.ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseProtocolError) {
					t.Fatalf("read = %v, want close 1002", err)
				}
				return
			}
			eventually(t, 5*time.Second, "ocppVersion "+tc.want, func() bool {
				var ch charging.Charger
				call(t, http.MethodGet, api+"/chargers/"+id, nil, &ch)
				return ch.OCPPVersion == tc.want && ch.Online
			})
		})
	}
	t.Run("bad override", func(t *testing.T) {
		var p problem
		if code, _ := call(t, http.MethodPatch, api+"/chargers/NEG-prefers-1.6", map[string]any{"ocppVersionOverride": "ocpp3"}, &p); code != 400 {
			t.Errorf("PATCH ocpp3 = %d %+v, want 400", code, p)
		}
	})
}

// TestCharger201 drives a 2.0.1 charger made of raw frames through boot
// (Joule asks for a base report), its report, notifications, and a remote
// start and stop correlated by remoteStartId, through the unchanged API.
func TestCharger201(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	c, _ := dialRaw(t, n.WS+"/R201", "ocpp2.0.1")
	calls := map[string]json.RawMessage{}
	wantResult(t, c.call("boot", "BootNotification", boot201, calls), `"Accepted"`)
	for i := 1; i <= 2; i++ {
		wantResult(t, c.call(fmt.Sprintf("st%d", i), "StatusNotification",
			fmt.Sprintf(`{"timestamp":"2026-11-25T10:00:00Z","connectorStatus":"Available","evseId":%d,"connectorId":1}`, i), calls), `{}`)
	}
	// The base report request follows the boot (FullInventory).
	wantResult(t, c.call("hb", "Heartbeat", `{}`, calls), "currentTime")
	if got := string(calls["GetBaseReport"]); !strings.Contains(got, `"reportBase":"FullInventory"`) {
		t.Fatalf("GetBaseReport = %q, want a FullInventory request after the first boot", got)
	}
	wantResult(t, c.call("rep", "NotifyReport", `{"requestId":1,"generatedAt":"2026-11-25T10:00:00Z","seqNo":0,"reportData":[
		{"component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"},
		 "variableAttribute":[{"type":"Actual","value":"5","mutability":"ReadWrite"}],
		 "variableCharacteristics":{"dataType":"integer","unit":"s","supportsMonitoring":false}},
		{"component":{"name":"EVSE","evse":{"id":1}},"variable":{"name":"Power"},
		 "variableAttribute":[{"type":"MaxSet","value":"22000","mutability":"ReadOnly"}]}]}`, calls), `{}`)
	var vars page[charging.Variable]
	call(t, http.MethodGet, api+"/chargers/R201/variables", nil, &vars)
	if len(vars.Items) != 2 || vars.Items[1].Component != "SampledDataCtrlr" || vars.Items[1].Value != "5" || vars.Items[1].Unit != "s" || vars.Items[0].EVSEID != 1 {
		t.Errorf("variables = %+v, want the reported device model", vars.Items)
	}
	wantResult(t, c.call("sec", "SecurityEventNotification", `{"type":"FirmwareUpdated","timestamp":"2026-11-25T10:00:00Z","techInfo":"v2"}`, calls), `{}`)
	wantResult(t, c.call("ev", "NotifyEvent", `{"generatedAt":"2026-11-25T10:00:00Z","seqNo":0,"eventData":[{"eventId":1,"timestamp":"2026-11-25T10:00:01Z","trigger":"Alerting","actualValue":"true","component":{"name":"Connector","evse":{"id":1,"connectorId":1}},"variable":{"name":"Problem"},"eventNotificationType":"HardWiredNotification"}]}`, calls), `{}`)
	wantResult(t, c.call("needs", "NotifyEVChargingNeeds", `{"evseId":1,"chargingNeeds":{"requestedEnergyTransfer":"AC_three_phase"}}`, calls), `"Rejected"`)
	var evs page[charging.ChargerEvent]
	call(t, http.MethodGet, api+"/chargers/R201/charger-events", nil, &evs)
	actions := map[string]bool{}
	for _, e := range evs.Items {
		actions[e.Action] = true
	}
	for _, a := range []string{"BootNotification", "SecurityEventNotification", "NotifyEvent", "NotifyEVChargingNeeds"} {
		if !actions[a] {
			t.Errorf("charger events %+v: no %s", evs.Items, a)
		}
	}

	// Remote start: the API answers once the charger accepted; the
	// charger's answer is read by the raw charger in another goroutine's stead.
	type startAnswer struct {
		code int
		ses  charging.Session
	}
	done := make(chan startAnswer, 1)
	go func() {
		var a startAnswer
		a.code, _ = call(t, http.MethodPost, api+"/chargers/R201/connectors/1/start", map[string]any{"idTag": "APP-1"}, &a.ses)
		done <- a
	}()
	f := c.read(5 * time.Second)
	if str(f[2]) != "RequestStartTransaction" {
		t.Fatalf("frame %s, want RequestStartTransaction", f)
	}
	var rst struct {
		RemoteStartID int `json:"remoteStartId"`
		EvseID        int `json:"evseId"`
		IDToken       struct{ IDToken, Type string }
	}
	_ = json.Unmarshal(f[3], &rst)
	if rst.RemoteStartID == 0 || rst.EvseID != 1 || rst.IDToken.IDToken != "APP-1" || rst.IDToken.Type != "Central" {
		t.Fatalf("RequestStartTransaction = %s, want remoteStartId, evseId 1, Central token APP-1", f[3])
	}
	c.send(fmt.Sprintf(`[3,%s,{"status":"Accepted"}]`, f[1]))
	a := <-done
	if a.code != 202 || a.ses.Status != charging.SessionPending || a.ses.RemoteStartID != rst.RemoteStartID {
		t.Fatalf("start = %d %+v, want 202 pending with remoteStartId %d", a.code, a.ses, rst.RemoteStartID)
	}
	// The charger starts with another token spelling and no EVSE preference
	// matching needed: remoteStartId binds it.
	wantResult(t, c.call("te0", "TransactionEvent", fmt.Sprintf(`{"eventType":"Started","timestamp":"2026-11-25T10:01:00Z","triggerReason":"RemoteStart","seqNo":0,
		"transactionInfo":{"transactionId":"tx-201","chargingState":"Charging","remoteStartId":%d},"evse":{"id":1,"connectorId":1},
		"idToken":{"idToken":"APP-1","type":"Central"},"numberOfPhasesUsed":3,
		"meterValue":[{"timestamp":"2026-11-25T10:01:00Z","sampledValue":[{"value":2000,"context":"Transaction.Begin","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}}]}]}`, rst.RemoteStartID), calls), `"Accepted"`)
	wantResult(t, c.call("te1", "TransactionEvent", `{"eventType":"Updated","timestamp":"2026-11-25T10:02:00Z","triggerReason":"MeterValuePeriodic","seqNo":1,
		"transactionInfo":{"transactionId":"tx-201","chargingState":"Charging"},
		"meterValue":[{"timestamp":"2026-11-25T10:02:00Z","sampledValue":[
			{"value":2.1,"measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"kWh"}},
			{"value":11,"measurand":"Power.Active.Import","unitOfMeasure":{"unit":"W","multiplier":3}}]}]}`, calls), `{}`)
	var ses charging.Session
	call(t, http.MethodGet, api+"/sessions/"+a.ses.ID, nil, &ses)
	if ses.Status != charging.SessionActive || ses.TransactionID != "tx-201" || ses.EnergyWh != 100 || ses.PowerW != 11000 {
		t.Fatalf("session = %+v, want active tx-201, 100 Wh, 11000 W", ses)
	}

	// Remote stop.
	stopDone := make(chan int, 1)
	go func() {
		code, _ := call(t, http.MethodPost, api+"/sessions/"+a.ses.ID+"/stop", nil, nil)
		stopDone <- code
	}()
	f = c.read(5 * time.Second)
	if str(f[2]) != "RequestStopTransaction" || !strings.Contains(string(f[3]), `"transactionId":"tx-201"`) {
		t.Fatalf("frame %s, want RequestStopTransaction for tx-201", f)
	}
	c.send(fmt.Sprintf(`[3,%s,{"status":"Accepted"}]`, f[1]))
	if code := <-stopDone; code != 202 && code != 200 {
		t.Fatalf("stop = %d, want success", code)
	}
	end := `{"eventType":"Ended","timestamp":"2026-11-25T10:03:00Z","triggerReason":"RemoteStop","seqNo":2,
		"transactionInfo":{"transactionId":"tx-201","stoppedReason":"Remote"},
		"meterValue":[{"timestamp":"2026-11-25T10:03:00Z","sampledValue":[{"value":2250,"context":"Transaction.End"}]}]}`
	wantResult(t, c.call("te2", "TransactionEvent", end, calls), `{}`)
	wantResult(t, c.call("te2-again", "TransactionEvent", end, calls), `{}`) // a retry: no change
	call(t, http.MethodGet, api+"/sessions/"+a.ses.ID, nil, &ses)
	if ses.Status != charging.SessionFinished || ses.EnergyWh != 250 || ses.StopReason != "Remote" || len(ses.Flags) != 0 {
		t.Errorf("session = %+v, want finished, 250 Wh, Remote, no flags", ses)
	}

	// The generic endpoint takes 2.0.1 actions and rejects 1.6 ones.
	go func() {
		f := c.read(5 * time.Second)
		c.send(fmt.Sprintf(`[3,%s,{"getVariableResult":[{"attributeStatus":"Accepted","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"},"attributeValue":"5"}]}]`, f[1]))
	}()
	var res charging.CommandResult
	code, _ := call(t, http.MethodPost, api+"/chargers/R201/commands/GetVariables",
		map[string]any{"getVariableData": []any{map[string]any{"component": map[string]any{"name": "SampledDataCtrlr"}, "variable": map[string]any{"name": "TxUpdatedInterval"}}}}, &res)
	if code != 200 || res.Status != "answered" || !strings.Contains(string(res.Response), `"attributeValue":"5"`) {
		t.Errorf("GetVariables = %d %+v, want the charger's answer", code, res)
	}
	var p problem
	if code, _ := call(t, http.MethodPost, api+"/chargers/R201/commands/GetConfiguration", map[string]any{}, &p); code != 400 {
		t.Errorf("1.6 GetConfiguration to a 2.0.1 charger = %d %+v, want 400", code, p)
	}
}
