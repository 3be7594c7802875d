package chargingtest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// testOCPP201 checks charging.DeviceModelStore and the OCPP 2.0.1 fields of
// chargers and sessions. The subtests share one store and use their own
// charger ids.
func testOCPP201(t *testing.T, s charging.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s charging.Store)
	}{
		{"Variables", testVariables},
		{"VariablesPagination", testVariablesPagination},
		{"ChargerEvents", testChargerEvents},
		{"TransactionEvents", testTransactionEvents},
		{"NextRemoteStartID", testNextRemoteStartID},
		{"OCPPVersionOverride", testOCPPVersionOverride},
		{"SessionRemoteStartID", testSessionRemoteStartID},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

func testVariables(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "DM-1", "DM-2")
	has, err := s.HasVariables(ctx, "DM-1")
	must(t, err, "HasVariables")
	if has {
		t.Fatalf("HasVariables(DM-1) = true before any report, want false")
	}
	vs := []charging.Variable{
		{ChargerID: "DM-1", Component: "SampledDataCtrlr", Variable: "TxUpdatedInterval", AttributeType: "Actual",
			Value: "60", Mutability: "ReadWrite", Persistent: true, DataType: "integer", Unit: "s",
			MinLimit: ptr(0.0), MaxLimit: ptr(3600.0), SupportsMonitoring: true, UpdatedAt: t0},
		{ChargerID: "DM-1", Component: "EVSE", EVSEID: 1, Variable: "Power", AttributeType: "MaxSet", Value: "22000",
			Mutability: "ReadOnly", Constant: true, UpdatedAt: t0},
		{ChargerID: "DM-1", Component: "Connector", EVSEID: 1, ConnectorID: 1, Variable: "ConnectorType",
			AttributeType: "Actual", Value: "cType2", ValuesList: "cType2,cCCS2", UpdatedAt: t0},
		{ChargerID: "DM-2", Component: "EVSE", EVSEID: 1, Variable: "Power", AttributeType: "MaxSet", Value: "11000", UpdatedAt: t0},
	}
	must(t, s.SaveVariables(ctx, vs), "SaveVariables")
	// A new report of the same attribute overwrites it.
	upd := vs[0]
	upd.Value, upd.UpdatedAt = "30", at(time.Minute)
	must(t, s.SaveVariables(ctx, []charging.Variable{upd}), "SaveVariables (update)")

	p, err := s.ListVariables(ctx, charging.VariableQuery{ChargerID: "DM-1"})
	must(t, err, "ListVariables")
	norm := func(v charging.Variable) charging.Variable { v.UpdatedAt = utc(v.UpdatedAt); return v }
	want := []charging.Variable{norm(vs[2]), norm(vs[1]), norm(upd)} // by component name
	checkEqual(t, "ListVariables(DM-1)", p.Items, want)
	if p.NextCursor != "" {
		t.Errorf("NextCursor = %q, want none", p.NextCursor)
	}
	p, err = s.ListVariables(ctx, charging.VariableQuery{ChargerID: "DM-1", Component: "EVSE"})
	must(t, err, "ListVariables(component)")
	checkEqual(t, "ListVariables(DM-1, EVSE)", p.Items, []charging.Variable{norm(vs[1])})
	has, err = s.HasVariables(ctx, "DM-1")
	must(t, err, "HasVariables")
	if !has {
		t.Errorf("HasVariables(DM-1) = false after a report, want true")
	}
	err = s.SaveVariables(ctx, []charging.Variable{{ChargerID: "DM-NOPE", Component: "C", Variable: "V", AttributeType: "Actual", UpdatedAt: t0}})
	wantCode(t, err, charging.ENOTFOUND, "SaveVariables for an unknown charger")
}

func testVariablesPagination(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "DM-P")
	var vs []charging.Variable
	for i := range 7 {
		vs = append(vs, charging.Variable{ChargerID: "DM-P", Component: "C", Variable: fmt.Sprintf("V%d", i), AttributeType: "Actual", UpdatedAt: t0})
	}
	must(t, s.SaveVariables(ctx, vs), "SaveVariables")
	var got []string
	cursor := ""
	for range 10 {
		p, err := s.ListVariables(ctx, charging.VariableQuery{ChargerID: "DM-P", Cursor: cursor, Limit: 3})
		must(t, err, "ListVariables")
		for _, v := range p.Items {
			got = append(got, v.Variable)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	checkEqual(t, "variables over pages", got, []string{"V0", "V1", "V2", "V3", "V4", "V5", "V6"})
	_, err := s.ListVariables(ctx, charging.VariableQuery{ChargerID: "DM-P", Cursor: "garbage"})
	wantCode(t, err, charging.EINVALID, "ListVariables with a bad cursor")
}

func testChargerEvents(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "EV-1")
	es := []charging.ChargerEvent{
		{ChargerID: "EV-1", Action: "SecurityEventNotification", Kind: "FirmwareUpdated", Timestamp: at(time.Minute),
			Summary: "v2", Payload: json.RawMessage(`{"type":"FirmwareUpdated"}`), ReceivedAt: at(2 * time.Minute)},
		{ChargerID: "EV-1", Action: "NotifyEvent", Kind: "Alerting", Timestamp: at(3 * time.Minute), EVSEID: 2,
			Payload: json.RawMessage(`{"eventId":1}`), ReceivedAt: at(3 * time.Minute)},
		{ChargerID: "EV-1", Action: "NotifyEvent", Kind: "Delta", Timestamp: at(-time.Minute), // an old, late event
			Payload: json.RawMessage(`{"eventId":2}`), ReceivedAt: at(4 * time.Minute)},
	}
	must(t, s.AddChargerEvents(ctx, es), "AddChargerEvents")
	p, err := s.ListChargerEvents(ctx, charging.ChargerEventQuery{ChargerID: "EV-1"})
	must(t, err, "ListChargerEvents")
	var kinds []string
	for _, e := range p.Items {
		kinds = append(kinds, e.Kind)
		if e.ID == 0 || e.Timestamp.Location() != time.UTC {
			t.Errorf("event %+v: want an id and a UTC timestamp", e)
		}
	}
	checkEqual(t, "kinds, newest first", kinds, []string{"Alerting", "FirmwareUpdated", "Delta"})
	if got := p.Items[0]; got.EVSEID != 2 || string(got.Payload) != `{"eventId":1}` || !got.ReceivedAt.Equal(utc(at(3*time.Minute))) {
		t.Errorf("first event = %+v, want EVSE 2 with its payload as stored", got)
	}
	p, err = s.ListChargerEvents(ctx, charging.ChargerEventQuery{ChargerID: "EV-1", Action: "NotifyEvent", Limit: 1})
	must(t, err, "ListChargerEvents(NotifyEvent)")
	if len(p.Items) != 1 || p.Items[0].Kind != "Alerting" || p.NextCursor == "" {
		t.Fatalf("page 1 = %+v, want Alerting and a cursor", p)
	}
	p, err = s.ListChargerEvents(ctx, charging.ChargerEventQuery{ChargerID: "EV-1", Action: "NotifyEvent", Limit: 1, Cursor: p.NextCursor})
	must(t, err, "ListChargerEvents page 2")
	if len(p.Items) != 1 || p.Items[0].Kind != "Delta" {
		t.Errorf("page 2 = %+v, want Delta", p)
	}
}

func testTransactionEvents(t *testing.T, s charging.Store) {
	ctx := context.Background()
	rec := func(seq int, typ string, ts time.Time, offline bool) charging.TransactionEventRecord {
		return charging.TransactionEventRecord{ChargerID: "TX-1", TransactionID: "tx-abc", SeqNo: seq, EventType: typ,
			Timestamp: ts, TriggerReason: "MeterValuePeriodic", Offline: offline, NumberOfPhasesUsed: 3,
			ChargingState: "Charging", SessionID: "S-1", ReceivedAt: at(time.Hour)}
	}
	has, err := s.HasTransactionEvent(ctx, "TX-1", "tx-abc", 0)
	must(t, err, "HasTransactionEvent")
	if has {
		t.Fatal("HasTransactionEvent before any = true")
	}
	// Offline replay: seqNo 2 happened before seqNo 1 was received.
	in := []charging.TransactionEventRecord{rec(0, "Started", at(0), false), rec(2, "Updated", at(2*time.Minute), true), rec(1, "Updated", at(time.Minute), true)}
	for _, r := range in {
		must(t, s.AddTransactionEvent(ctx, r), fmt.Sprintf("AddTransactionEvent %d", r.SeqNo))
	}
	wantCode(t, s.AddTransactionEvent(ctx, rec(1, "Updated", at(time.Minute), true)), charging.ECONFLICT, "AddTransactionEvent again")
	has, err = s.HasTransactionEvent(ctx, "TX-1", "tx-abc", 2)
	must(t, err, "HasTransactionEvent")
	if !has {
		t.Error("HasTransactionEvent(2) = false after adding it")
	}
	if has, _ := s.HasTransactionEvent(ctx, "TX-2", "tx-abc", 2); has {
		t.Error("HasTransactionEvent of another charger = true; the key includes the charger")
	}
	got, err := s.ListTransactionEvents(ctx, "TX-1", "tx-abc")
	must(t, err, "ListTransactionEvents")
	want := []charging.TransactionEventRecord{in[0], in[2], in[1]}
	for i := range want {
		want[i].Timestamp, want[i].ReceivedAt = utc(want[i].Timestamp), utc(want[i].ReceivedAt)
	}
	checkEqual(t, "ListTransactionEvents (by timestamp)", got, want)
}

func testNextRemoteStartID(t *testing.T, s charging.Store) {
	ctx := context.Background()
	seen := map[int]bool{}
	prev := 0
	for range 5 {
		id, err := s.NextRemoteStartID(ctx)
		must(t, err, "NextRemoteStartID")
		if id <= prev || seen[id] {
			t.Fatalf("NextRemoteStartID = %d after %d, want a new, larger id", id, prev)
		}
		seen[id], prev = true, id
	}
}

func testOCPPVersionOverride(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "OV-1")
	must(t, s.SetOCPPVersionOverride(ctx, "OV-1", charging.OCPP16), "SetOCPPVersionOverride")
	c, err := s.GetCharger(ctx, "OV-1")
	must(t, err, "GetCharger")
	if c.OCPPVersionOverride != charging.OCPP16 {
		t.Fatalf("OCPPVersionOverride = %q, want %q", c.OCPPVersionOverride, charging.OCPP16)
	}
	// SaveCharger from a copy read before the override does not clear it.
	stale := charger("OV-1")
	stale.Online = false
	must(t, s.SaveCharger(ctx, stale), "SaveCharger")
	c, err = s.GetCharger(ctx, "OV-1")
	must(t, err, "GetCharger")
	if c.OCPPVersionOverride != charging.OCPP16 || c.Online {
		t.Errorf("after SaveCharger: override %q, online %v; want %q kept, offline saved", c.OCPPVersionOverride, c.Online, charging.OCPP16)
	}
	must(t, s.SetOCPPVersionOverride(ctx, "OV-1", ""), "SetOCPPVersionOverride(\"\")")
	c, _ = s.GetCharger(ctx, "OV-1")
	if c.OCPPVersionOverride != "" {
		t.Errorf("OCPPVersionOverride = %q after clearing, want empty", c.OCPPVersionOverride)
	}
	wantCode(t, s.SetOCPPVersionOverride(ctx, "OV-NOPE", charging.OCPP16), charging.ENOTFOUND, "SetOCPPVersionOverride of an unknown charger")
}

func testSessionRemoteStartID(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "RS-1")
	ses := session("RS-S1", "RS-1", 1, charging.SessionPending)
	ses.RemoteStartID = 4711
	must(t, s.CreateSession(ctx, ses), "CreateSession")
	got, err := s.GetSession(ctx, "RS-S1")
	must(t, err, "GetSession")
	checkEqual(t, "session", got, normSession(ses))
	ses.RemoteStartID = 4712
	must(t, s.UpdateSession(ctx, ses), "UpdateSession")
	got, _ = s.GetSession(ctx, "RS-S1")
	if got.RemoteStartID != 4712 {
		t.Errorf("RemoteStartID = %d after update, want 4712", got.RemoteStartID)
	}
}
