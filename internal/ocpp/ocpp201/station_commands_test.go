package ocpp201_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// cmdEvents adds charging.CommandEvents to fakeEvents.
type cmdEvents struct {
	*fakeEvents
	answered []charging.AnsweredCommand
}

func (c *cmdEvents) CommandAnswered(ctx context.Context, id string, a charging.AnsweredCommand) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answered = append(c.answered, a)
	return nil
}

func (c *cmdEvents) RemoteStartAnswered(ctx context.Context, id string, r charging.RemoteStart, st charging.CommandStatus) error {
	return nil
}

// station is a Station on the CSMS side of a real WebSocket, and the
// station side's connection; answer gives the station's answer to each
// CSMS CALL, and got records them as "Action payload".
type station struct {
	st     *ocpp201.Station
	cs     *ocppj.Conn
	mu     sync.Mutex
	got    []string
	answer func(action string, payload json.RawMessage) (any, error)
}

func (s *station) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func (s *station) reset(answer func(string, json.RawMessage) (any, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got, s.answer = nil, answer
}

func connectStation(t *testing.T, ev charging.StationEvents) *station {
	t.Helper()
	return connectStationLog(t, ev, nil)
}

// connectStationLog is connectStation with log as the logger of the
// Station and of both connections (nil: none).
func connectStationLog(t *testing.T, ev charging.StationEvents, log *slog.Logger) *station {
	t.Helper()
	s := &station{}
	stc := make(chan *ocpp201.Station, 1)
	up := websocket.Upgrader{Subprotocols: []string{"ocpp2.0.1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		var st *ocpp201.Station
		conn := ocppj.NewConn(ws, ocppj.Options{Dialect: ocppj.Dialect201, CallTimeout: 5 * time.Second, Logger: log,
			Handler: func(ctx context.Context, action string, p json.RawMessage) (any, error) {
				return st.HandleCall(ctx, action, p)
			}})
		st = ocpp201.NewStation("CS-1", conn, ev, log)
		stc <- st
		_ = conn.Serve(r.Context())
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cs, _, err := ocppj.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), []string{"ocpp2.0.1"}, nil, ocppj.Options{
		Dialect: ocppj.Dialect201, CallTimeout: 5 * time.Second, Logger: log,
		Handler: func(ctx context.Context, action string, p json.RawMessage) (any, error) {
			s.mu.Lock()
			s.got = append(s.got, action+" "+string(p))
			answer := s.answer
			s.mu.Unlock()
			return answer(action, p)
		}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = cs.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	s.cs, s.st = cs, <-stc
	return s
}

func fixed(resp string) func(string, json.RawMessage) (any, error) {
	return func(string, json.RawMessage) (any, error) { return json.RawMessage(resp), nil }
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

func accepted() *fakeEvents {
	return &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationAccepted}, reg: charging.RegistrationAccepted}
}

// TestStationCommandTranslation sends each typed command and checks the
// 2.0.1 CALL it became and how the answer was translated back.
func TestStationCommandTranslation(t *testing.T) {
	s := connectStation(t, accepted())
	ctx := context.Background()
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	phases := 3
	dur := 3600
	for _, tc := range []struct {
		name    string
		answer  string // the station's answer
		do      func() (any, error)
		action  string // the CALL it must have sent
		payload string
		want    any
	}{
		{"reset hard", `{"status":"Accepted"}`, func() (any, error) { return s.st.Reset(ctx, true) },
			"Reset", `{"type":"Immediate"}`, charging.CommandStatus("Accepted")},
		{"reset soft scheduled", `{"status":"Scheduled"}`, func() (any, error) { return s.st.Reset(ctx, false) },
			"Reset", `{"type":"OnIdle"}`, charging.CommandStatus("Scheduled")},
		{"unlock", `{"status":"Unlocked"}`, func() (any, error) { return s.st.UnlockConnector(ctx, 2) },
			"UnlockConnector", `{"evseId":2,"connectorId":1}`, charging.CommandStatus("Unlocked")},
		{"availability station", `{"status":"Accepted"}`, func() (any, error) { return s.st.ChangeAvailability(ctx, 0, false) },
			"ChangeAvailability", `{"operationalStatus":"Inoperative"}`, charging.CommandStatus("Accepted")},
		{"availability evse", `{"status":"Scheduled"}`, func() (any, error) { return s.st.ChangeAvailability(ctx, 2, true) },
			"ChangeAvailability", `{"evse":{"id":2},"operationalStatus":"Operative"}`, charging.CommandStatus("Scheduled")},
		{"get variables",
			`{"getVariableResult":[
				{"attributeStatus":"Accepted","attributeValue":"60","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}},
				{"attributeStatus":"UnknownVariable","component":{"name":"SampledDataCtrlr"},"variable":{"name":"Nope"}},
				{"attributeStatus":"Rejected","component":{"name":"EVSE","evse":{"id":1}},"variable":{"name":"Power","instance":"x"}}]}`,
			func() (any, error) {
				return s.st.GetConfiguration(ctx, []string{"SampledDataCtrlr.TxUpdatedInterval", "SampledDataCtrlr.Nope", "EVSE@1.Power#x"})
			},
			"GetVariables", `{"getVariableData":[
				{"component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}},
				{"component":{"name":"SampledDataCtrlr"},"variable":{"name":"Nope"}},
				{"component":{"name":"EVSE","evse":{"id":1}},"variable":{"name":"Power","instance":"x"}}]}`,
			charging.ConfigurationReport{
				Keys:        []charging.ConfigurationKey{{Key: "SampledDataCtrlr.TxUpdatedInterval", Value: ptr("60")}, {Key: "EVSE@1.Power#x"}},
				UnknownKeys: []string{"SampledDataCtrlr.Nope"},
			}},
		{"trigger diagnostics is log status", `{"status":"Accepted"}`, func() (any, error) { return s.st.TriggerMessage(ctx, "DiagnosticsStatusNotification", 0) },
			"TriggerMessage", `{"requestedMessage":"LogStatusNotification"}`, charging.CommandStatus("Accepted")},
		{"trigger status of one connector", `{"status":"Accepted"}`, func() (any, error) { return s.st.TriggerMessage(ctx, "StatusNotification", 2) },
			"TriggerMessage", `{"requestedMessage":"StatusNotification","evse":{"id":2,"connectorId":1}}`, charging.CommandStatus("Accepted")},
		{"trigger meter values of an evse", `{"status":"Rejected"}`, func() (any, error) { return s.st.TriggerMessage(ctx, "MeterValues", 1) },
			"TriggerMessage", `{"requestedMessage":"MeterValues","evse":{"id":1}}`, charging.CommandStatus("Rejected")},
		{"reserve", `{"status":"Occupied"}`, func() (any, error) {
			return s.st.ReserveNow(ctx, charging.Reservation{ID: 7, ConnectorID: 2, IDTag: "TAG", ParentIDTag: "GROUP", ExpiresAt: start})
		}, "ReserveNow", `{"id":7,"expiryDateTime":"2026-11-25T10:00:00Z","idToken":{"idToken":"TAG","type":"Central"},"evseId":2,
			"groupIdToken":{"idToken":"GROUP","type":"Central"}}`, charging.CommandStatus("Occupied")},
		{"cancel reservation", `{"status":"Accepted"}`, func() (any, error) { return s.st.CancelReservation(ctx, 7) },
			"CancelReservation", `{"reservationId":7}`, charging.CommandStatus("Accepted")},
		{"station max profile", `{"status":"Accepted"}`, func() (any, error) {
			return s.st.SetChargingProfile(ctx, 0, charging.ChargingProfile{ID: 4, StackLevel: 1, Purpose: charging.PurposeChargePointMax, Kind: charging.KindAbsolute,
				Schedule: charging.ChargingSchedule{StartSchedule: &start, DurationS: &dur, RateUnit: "W",
					Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: 11000, NumberPhases: &phases}, {StartPeriodS: 1800, Limit: 7400}}}})
		}, "SetChargingProfile", `{"evseId":0,"chargingProfile":{"id":4,"stackLevel":1,"chargingProfilePurpose":"ChargingStationMaxProfile",
			"chargingProfileKind":"Absolute","chargingSchedule":[{"id":4,"startSchedule":"2026-11-25T10:00:00Z","duration":3600,"chargingRateUnit":"W",
			"chargingSchedulePeriod":[{"startPeriod":0,"limit":11000,"numberPhases":3},{"startPeriod":1800,"limit":7400}]}]}}`, charging.CommandStatus("Accepted")},
		{"tx profile", `{"status":"Rejected"}`, func() (any, error) {
			return s.st.SetChargingProfile(ctx, 1, charging.ChargingProfile{ID: 5, Purpose: charging.PurposeTx, Kind: charging.KindRelative, TransactionID: "T-1",
				Schedule: charging.ChargingSchedule{RateUnit: "A", Periods: []charging.SchedulePeriod{{Limit: 16}}}})
		}, "SetChargingProfile", `{"evseId":1,"chargingProfile":{"id":5,"stackLevel":0,"chargingProfilePurpose":"TxProfile",
			"chargingProfileKind":"Relative","transactionId":"T-1","chargingSchedule":[{"id":5,"chargingRateUnit":"A",
			"chargingSchedulePeriod":[{"startPeriod":0,"limit":16}]}]}}`, charging.CommandStatus("Rejected")},
		{"clear by id", `{"status":"Accepted"}`, func() (any, error) { return s.st.ClearChargingProfile(ctx, charging.ProfileFilter{ID: 4}) },
			"ClearChargingProfile", `{"chargingProfileId":4}`, charging.CommandStatus("Accepted")},
		{"clear by criteria", `{"status":"Unknown"}`, func() (any, error) {
			return s.st.ClearChargingProfile(ctx, charging.ProfileFilter{ConnectorID: ptr(0), Purpose: charging.PurposeChargePointMax, StackLevel: ptr(1)})
		}, "ClearChargingProfile", `{"chargingProfileCriteria":{"evseId":0,"chargingProfilePurpose":"ChargingStationMaxProfile","stackLevel":1}}`, charging.CommandStatus("Unknown")},
		{"clear all", `{"status":"Accepted"}`, func() (any, error) { return s.st.ClearChargingProfile(ctx, charging.ProfileFilter{}) },
			"ClearChargingProfile", `{}`, charging.CommandStatus("Accepted")},
		{"composite schedule",
			`{"status":"Accepted","schedule":{"evseId":1,"duration":600,"scheduleStart":"2026-11-25T11:00:00+01:00","chargingRateUnit":"W",
				"chargingSchedulePeriod":[{"startPeriod":0,"limit":7400},{"startPeriod":300,"limit":3700,"numberPhases":1}]}}`,
			func() (any, error) { return s.st.GetCompositeSchedule(ctx, 1, 600, "W") },
			"GetCompositeSchedule", `{"evseId":1,"duration":600,"chargingRateUnit":"W"}`,
			charging.CompositeSchedule{Status: "Accepted", ConnectorID: 1, ScheduleStart: &start, Schedule: &charging.ChargingSchedule{
				DurationS: ptr(600), StartSchedule: &start, RateUnit: "W",
				Periods: []charging.SchedulePeriod{{Limit: 7400}, {StartPeriodS: 300, Limit: 3700, NumberPhases: ptr(1)}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.reset(fixed(tc.answer))
			got, err := tc.do()
			if err != nil {
				t.Fatal(err)
			}
			calls := s.calls()
			if len(calls) != 1 {
				t.Fatalf("station got %q, want one %s", calls, tc.action)
			}
			action, payload, _ := strings.Cut(calls[0], " ")
			if action != tc.action || !sameJSON(t, payload, tc.payload) {
				t.Errorf("station got %s %s, want %s %s", action, payload, tc.action, tc.payload)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answer = %s, want %s", show(got), show(tc.want))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestChangeConfigurationStatuses maps every SetVariableStatus to the
// domain's ChangeConfiguration answers.
func TestChangeConfigurationStatuses(t *testing.T) {
	s := connectStation(t, accepted())
	for st, want := range map[string]charging.CommandStatus{
		"Accepted": "Accepted", "Rejected": "Rejected", "RebootRequired": "RebootRequired",
		"UnknownComponent": "NotSupported", "UnknownVariable": "NotSupported", "NotSupportedAttributeType": "NotSupported",
	} {
		s.reset(fixed(`{"setVariableResult":[{"attributeStatus":"` + st + `","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}`))
		got, err := s.st.ChangeConfiguration(context.Background(), "SampledDataCtrlr.TxUpdatedInterval", "30")
		if err != nil || got != want {
			t.Errorf("SetVariables answered %s: got %q, %v; want %q", st, got, err, want)
		}
		if c := s.calls(); len(c) != 1 || !sameJSON(t, strings.TrimPrefix(c[0], "SetVariables "),
			`{"setVariableData":[{"attributeValue":"30","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}`) {
			t.Errorf("station got %q, want one SetVariables of SampledDataCtrlr.TxUpdatedInterval", c)
		}
	}
}

// TestNotExpressible: what 2.0.1 cannot say is EINVALID, and nothing is sent.
func TestNotExpressible(t *testing.T) {
	s := connectStation(t, accepted())
	s.reset(fixed(`{"status":"Accepted"}`))
	ctx := context.Background()
	for name, do := range map[string]func() error{
		"a 1.6 key to read": func() error {
			_, err := s.st.GetConfiguration(ctx, []string{"MeterValueSampleInterval"})
			return err
		},
		"a 1.6 key to change": func() error {
			_, err := s.st.ChangeConfiguration(ctx, "MeterValueSampleInterval", "5")
			return err
		},
		"a bad EVSE in a key": func() error {
			_, err := s.st.ChangeConfiguration(ctx, "EVSE@x.Power", "5")
			return err
		},
		"unlock connector 0": func() error { _, err := s.st.UnlockConnector(ctx, 0); return err },
		"a station max profile on an EVSE": func() error {
			_, err := s.st.SetChargingProfile(ctx, 1, charging.ChargingProfile{ID: 1, Purpose: charging.PurposeChargePointMax, Kind: charging.KindAbsolute,
				Schedule: charging.ChargingSchedule{RateUnit: "W", Periods: []charging.SchedulePeriod{{Limit: 1}}}})
			return err
		},
		"a TxProfile without a transaction": func() error {
			_, err := s.st.SetChargingProfile(ctx, 1, charging.ChargingProfile{ID: 1, Purpose: charging.PurposeTx, Kind: charging.KindRelative,
				Schedule: charging.ChargingSchedule{RateUnit: "W", Periods: []charging.SchedulePeriod{{Limit: 1}}}})
			return err
		},
		"an unknown trigger": func() error { _, err := s.st.TriggerMessage(ctx, "Authorize", 0); return err },
	} {
		if err := do(); charging.ErrorCode(err) != charging.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if c := s.calls(); len(c) != 0 {
		t.Errorf("station got %q, want nothing", c)
	}
}

// TestGetConfigurationAll: no keys asks for a full base report and answers
// from its NotifyReports, which are stored as the device model too.
func TestGetConfigurationAll(t *testing.T) {
	ev := accepted()
	s := connectStation(t, ev)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	s.reset(func(action string, p json.RawMessage) (any, error) {
		var req struct {
			RequestID  int    `json:"requestId"`
			ReportBase string `json:"reportBase"`
		}
		_ = json.Unmarshal(p, &req)
		wg.Add(1)
		go func() { // a handler must not Call on its own connection
			defer wg.Done()
			for i, part := range []string{
				`{"requestId":%d,"generatedAt":"2026-11-25T10:00:00Z","seqNo":0,"tbc":true,"reportData":[
					{"component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"},"variableAttribute":[{"type":"Actual","value":"60","mutability":"ReadWrite"}]},
					{"component":{"name":"ChargingStation"},"variable":{"name":"Model"},"variableAttribute":[{"value":"M","mutability":"ReadOnly"}]}]}`,
				`{"requestId":%d,"generatedAt":"2026-11-25T10:00:00Z","seqNo":1,"reportData":[
					{"component":{"name":"EVSE","evse":{"id":2}},"variable":{"name":"Power"},"variableAttribute":[{"value":"0","mutability":"ReadOnly"},{"type":"MaxSet","value":"22000"}]},
					{"component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"},"variableAttribute":[{"mutability":"WriteOnly"}]}]}`,
			} {
				body := strings.ReplaceAll(part, "%d", itoa(req.RequestID))
				if _, err := s.cs.Call(context.Background(), "NotifyReport", json.RawMessage(body)); err != nil {
					t.Errorf("NotifyReport part %d: %v", i, err)
				}
			}
		}()
		return json.RawMessage(`{"status":"Accepted"}`), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := s.st.GetConfiguration(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.calls(); len(c) != 1 || !strings.HasPrefix(c[0], "GetBaseReport ") || !strings.Contains(c[0], `"FullInventory"`) {
		t.Errorf("station got %q, want one GetBaseReport FullInventory", c)
	}
	want := charging.ConfigurationReport{Keys: []charging.ConfigurationKey{
		{Key: "SampledDataCtrlr.TxUpdatedInterval", Value: ptr("60")},
		{Key: "ChargingStation.Model", Value: ptr("M"), Readonly: true},
		{Key: "EVSE@2.Power", Value: ptr("0"), Readonly: true},
		{Key: "SecurityCtrlr.BasicAuthPassword"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("configuration = %s, want %s", show(got), show(want))
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.vars) != 5 {
		t.Errorf("stored %d device model attributes, want 5 (every attribute of both parts)", len(ev.vars))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestGetConfigurationAllRefused: a station that does not give a base
// report makes GetConfiguration fail with its answer.
func TestGetConfigurationAllRefused(t *testing.T) {
	s := connectStation(t, accepted())
	s.reset(fixed(`{"status":"NotSupported"}`))
	if _, err := s.st.GetConfiguration(context.Background(), nil); charging.ErrorCode(err) != charging.EREJECTED || !strings.Contains(err.Error(), "NotSupported") {
		t.Errorf("GetConfiguration = %v, want EREJECTED naming NotSupported", err)
	}
	s.reset(fixed(`{"status":"EmptyResultSet"}`))
	got, err := s.st.GetConfiguration(context.Background(), nil)
	if err != nil || len(got.Keys) != 0 {
		t.Errorf("GetConfiguration of an empty model = %s, %v; want no keys", show(got), err)
	}
}

// TestGenericCommandBookkeeping: generic 2.0.1 commands report their
// answers to the domain as the typed commands do.
func TestGenericCommandBookkeeping(t *testing.T) {
	ev := &cmdEvents{fakeEvents: accepted()}
	s := connectStation(t, ev)
	ctx := context.Background()
	for _, tc := range []struct {
		action, payload, answer string
		want                    []charging.AnsweredCommand
	}{
		{"SetVariables", `{"setVariableData":[{"attributeValue":"30","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}},
			{"attributeValue":"1","component":{"name":"X"},"variable":{"name":"Y"}}]}`,
			`{"setVariableResult":[{"attributeStatus":"Accepted","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}},
			{"attributeStatus":"UnknownComponent","component":{"name":"X"},"variable":{"name":"Y"}}]}`,
			[]charging.AnsweredCommand{
				{Action: "ChangeConfiguration", Status: "Accepted", Key: "SampledDataCtrlr.TxUpdatedInterval", Value: "30"},
				{Action: "ChangeConfiguration", Status: "NotSupported", Key: "X.Y", Value: "1"}}},
		{"GetVariables", `{"getVariableData":[{"component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}`,
			`{"getVariableResult":[{"attributeStatus":"Accepted","attributeValue":"30","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}`,
			[]charging.AnsweredCommand{{Action: "GetConfiguration", Keys: []string{"SampledDataCtrlr.TxUpdatedInterval"},
				Configuration: &charging.ConfigurationReport{Keys: []charging.ConfigurationKey{{Key: "SampledDataCtrlr.TxUpdatedInterval", Value: ptr("30")}}}}}},
		{"ReserveNow", `{"id":9,"expiryDateTime":"2026-11-25T10:00:00Z","idToken":{"idToken":"TAG","type":"ISO14443"},"evseId":1}`, `{"status":"Accepted"}`,
			[]charging.AnsweredCommand{{Action: "ReserveNow", Status: "Accepted", Reservation: &charging.Reservation{
				ID: 9, ChargerID: "CS-1", ConnectorID: 1, IDTag: "TAG", ExpiresAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}}},
		{"CancelReservation", `{"reservationId":9}`, `{"status":"Accepted"}`,
			[]charging.AnsweredCommand{{Action: "CancelReservation", Status: "Accepted", ReservationID: 9}}},
		{"ClearChargingProfile", `{"chargingProfileCriteria":{"chargingProfilePurpose":"TxDefaultProfile"}}`, `{"status":"Accepted"}`,
			[]charging.AnsweredCommand{{Action: "ClearChargingProfile", Status: "Accepted", Filter: &charging.ProfileFilter{Purpose: charging.PurposeTxDefault}}}},
		{"SetChargingProfile", `{"evseId":0,"chargingProfile":{"id":3,"stackLevel":0,"chargingProfilePurpose":"ChargingStationMaxProfile","chargingProfileKind":"Relative",
			"chargingSchedule":[{"id":1,"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":32}]}]}}`, `{"status":"Accepted"}`,
			[]charging.AnsweredCommand{{Action: "SetChargingProfile", Status: "Accepted", ConnectorID: 0, Profile: &charging.ChargingProfile{
				ID: 3, Purpose: charging.PurposeChargePointMax, Kind: "Relative",
				Schedule: charging.ChargingSchedule{RateUnit: "A", Periods: []charging.SchedulePeriod{{Limit: 32}}}}}}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			ev.mu.Lock()
			ev.answered = nil
			ev.mu.Unlock()
			s.reset(fixed(tc.answer))
			res, err := s.st.Command(ctx, tc.action, json.RawMessage(tc.payload))
			if err != nil || res.Status != charging.ResultAnswered {
				t.Fatalf("Command = %+v, %v", res, err)
			}
			ev.mu.Lock()
			got := ev.answered
			ev.mu.Unlock()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answered = %s, want %s", show(got), show(tc.want))
			}
		})
	}
}

// TestRemoteStartStoredProfile: a stored TxProfile in a remote start goes
// out as a 2.0.1 chargingProfile.
func TestRemoteStartStoredProfile(t *testing.T) {
	s := connectStation(t, accepted())
	s.reset(fixed(`{"status":"Accepted"}`))
	_, err := s.st.RemoteStart(context.Background(), charging.RemoteStart{ConnectorID: 1, IDTag: "TAG", RemoteStartID: 4,
		Profile: &charging.ChargingProfile{ID: 8, Purpose: charging.PurposeTx, Kind: charging.KindRelative,
			Schedule: charging.ChargingSchedule{RateUnit: "W", Periods: []charging.SchedulePeriod{{Limit: 3700}}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"idToken":{"idToken":"TAG","type":"Central"},"remoteStartId":4,"evseId":1,"chargingProfile":{"id":8,"stackLevel":0,
		"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Relative","chargingSchedule":[{"id":8,"chargingRateUnit":"W",
		"chargingSchedulePeriod":[{"startPeriod":0,"limit":3700}]}]}}`
	if c := s.calls(); len(c) != 1 || !sameJSON(t, strings.TrimPrefix(c[0], "RequestStartTransaction "), want) {
		t.Errorf("station got %q, want RequestStartTransaction %s", c, want)
	}
}
