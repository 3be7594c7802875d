package soapcs

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// noEvents is a Station's events where the test calls none.
type noEvents struct{ charging.StationEvents }

var (
	t0 = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

// opCase is one charge-point operation sent through ocpp16.Station: what
// the charger must receive, what it answers, what the domain gets back.
type opCase struct {
	op     string
	send   func(ctx context.Context, st *ocpp16.Station) (any, error)
	want   soapjson.Body
	answer soapjson.Body
	result any
}

// station returns a Station whose commands go to cs through a Caller.
func station(t *testing.T, cs *chargerService, id string, opts CallerOptions) (*ocpp16.Station, *Caller) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = wait
	}
	c := NewCaller(cs.version, id, cs.srv.URL, opts)
	return ocpp16.NewStation(id, c, noEvents{}, nil), c
}

// runCases sends every case and checks both ends. Together with the
// operations another test covers (elsewhere), the cases must cover every
// operation of the version's ChargePoint service.
func runCases(t *testing.T, v soap.Version, id string, cases []opCase, elsewhere ...string) {
	answers := map[string]soapjson.Body{}
	for _, c := range cases {
		answers[c.op] = c.answer
	}
	cs := newChargerService(t, v, func(_ *http.Request, op string, _ soapjson.Body) (soapjson.Body, *soap.Fault) {
		return answers[op], nil
	})
	st, _ := station(t, cs, id, CallerOptions{})
	ctx := context.Background()
	for i, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			got, err := c.send(ctx, st)
			if err != nil {
				t.Fatalf("%s: %v", c.op, err)
			}
			if g, w := jsonOf(t, got), jsonOf(t, c.result); g != w {
				t.Errorf("the domain got\n %s\nwant\n %s", g, w)
			}
			reqs := cs.waitRequests(i + 1)
			r := reqs[i]
			if r.op != c.op || r.identity != id || r.to != cs.srv.URL {
				t.Errorf("the charger got %s for %q at %q, want %s for %q at %q", r.op, r.identity, r.to, c.op, id, cs.srv.URL)
			}
			if g, w := xmlOf(t, r.body), xmlOf(t, c.want); g != w {
				t.Errorf("the charger got\n %s\nwant\n %s", g, w)
			}
		})
	}
	covered := elsewhere
	var all []string
	for _, c := range cases {
		covered = append(covered, c.op)
	}
	for _, o := range soapjson.Operations(v, soap.ChargePoint) {
		all = append(all, o.Name)
	}
	slices.Sort(covered)
	slices.Sort(all)
	if !slices.Equal(covered, all) {
		t.Errorf("operations exercised %v, want every one of the service: %v", covered, all)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// profile is a domain charging profile and its 1.6 SOAP form.
func profile(purpose string) (charging.ChargingProfile, ocpp16s.ChargingProfile) {
	p := charging.ChargingProfile{ID: 11, StackLevel: 2, Purpose: purpose, Kind: "Absolute", ValidTo: &t1,
		Schedule: charging.ChargingSchedule{DurationS: ptr(3600), StartSchedule: &t0, RateUnit: "A", MinChargingRate: ptr(6.0),
			Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: 16}, {StartPeriodS: 1800, Limit: 10.5, NumberPhases: ptr(3)}}}}
	s := ocpp16s.ChargingProfile{ChargingProfileID: 11, StackLevel: 2, ChargingProfilePurpose: ocpp16s.ChargingProfilePurposeType(purpose),
		ChargingProfileKind: "Absolute", ValidTo: &t1,
		ChargingSchedule: ocpp16s.ChargingSchedule{Duration: ptr(3600), StartSchedule: &t0, ChargingRateUnit: "A", MinChargingRate: ptr(ocpp16s.DecimalOne(6)),
			ChargingSchedulePeriod: []ocpp16s.ChargingSchedulePeriod{{StartPeriod: 0, Limit: 16}, {StartPeriod: 1800, Limit: 10.5, NumberPhases: ptr(3)}}}}
	return p, s
}

// TestCommands16 sends every operation of the OCPP 1.6 ChargePoint
// service over SOAP through ocpp16.Station's typed methods (ClearCache and
// DataTransfer, which have none, as generic commands).
func TestCommands16(t *testing.T) {
	txProfile, txSOAP := profile("TxProfile")
	defProfile, defSOAP := profile("TxDefaultProfile")
	cfg := &ocpp16s.GetConfigurationResponse{ConfigurationKey: []ocpp16s.KeyValue{
		{Key: "HeartbeatInterval", Value: ptr(ocpp16s.CiString500Type("300"))},
		{Key: "ChargeProfileMaxStackLevel", Readonly: true, Value: ptr(ocpp16s.CiString500Type("8"))}},
		UnknownKey: []ocpp16s.CiString50Type{"Nope"}}
	runCases(t, soap.V16, "CP-16", []opCase{
		{op: "RemoteStartTransaction",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.RemoteStart(ctx, charging.RemoteStart{IDTag: "TAG1", ConnectorID: 1, Profile: &txProfile})
			},
			want:   &ocpp16s.RemoteStartTransactionRequest{ConnectorID: ptr(1), IDTag: "TAG1", ChargingProfile: &txSOAP},
			answer: &ocpp16s.RemoteStartTransactionResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "RemoteStopTransaction",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.RemoteStop(ctx, "42") },
			want: &ocpp16s.RemoteStopTransactionRequest{TransactionID: 42}, answer: &ocpp16s.RemoteStopTransactionResponse{Status: "Rejected"}, result: "Rejected"},
		{op: "Reset",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.Reset(ctx, true) },
			want: &ocpp16s.ResetRequest{Type: "Hard"}, answer: &ocpp16s.ResetResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "UnlockConnector",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.UnlockConnector(ctx, 2) },
			want: &ocpp16s.UnlockConnectorRequest{ConnectorID: 2}, answer: &ocpp16s.UnlockConnectorResponse{Status: "UnlockFailed"}, result: "UnlockFailed"},
		{op: "ChangeAvailability",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.ChangeAvailability(ctx, 1, false)
			},
			want: &ocpp16s.ChangeAvailabilityRequest{ConnectorID: 1, Type: "Inoperative"}, answer: &ocpp16s.ChangeAvailabilityResponse{Status: "Scheduled"}, result: "Scheduled"},
		{op: "GetConfiguration",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.GetConfiguration(ctx, []string{"HeartbeatInterval", "ChargeProfileMaxStackLevel", "Nope"})
			},
			want:   &ocpp16s.GetConfigurationRequest{Key: []ocpp16s.CiString50Type{"HeartbeatInterval", "ChargeProfileMaxStackLevel", "Nope"}},
			answer: cfg,
			result: charging.ConfigurationReport{Keys: []charging.ConfigurationKey{{Key: "HeartbeatInterval", Value: ptr("300")},
				{Key: "ChargeProfileMaxStackLevel", Value: ptr("8"), Readonly: true}}, UnknownKeys: []string{"Nope"}}},
		{op: "ChangeConfiguration",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.ChangeConfiguration(ctx, "MeterValueSampleInterval", "60")
			},
			want:   &ocpp16s.ChangeConfigurationRequest{Key: "MeterValueSampleInterval", Value: "60"},
			answer: &ocpp16s.ChangeConfigurationResponse{Status: "RebootRequired"}, result: "RebootRequired"},
		{op: "TriggerMessage",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.TriggerMessage(ctx, "MeterValues", 2)
			},
			want: &ocpp16s.TriggerMessageRequest{RequestedMessage: "MeterValues", ConnectorID: ptr(2)}, answer: &ocpp16s.TriggerMessageResponse{Status: "NotImplemented"}, result: "NotImplemented"},
		{op: "ReserveNow",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.ReserveNow(ctx, charging.Reservation{ID: 7, ConnectorID: 1, IDTag: "TAG1", ParentIDTag: "PARENT", ExpiresAt: t1})
			},
			want:   &ocpp16s.ReserveNowRequest{ConnectorID: 1, ExpiryDate: t1, IDTag: "TAG1", ParentIDTag: ptr(ocpp16s.IDToken("PARENT")), ReservationID: 7},
			answer: &ocpp16s.ReserveNowResponse{Status: "Occupied"}, result: "Occupied"},
		{op: "CancelReservation",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.CancelReservation(ctx, 7) },
			want: &ocpp16s.CancelReservationRequest{ReservationID: 7}, answer: &ocpp16s.CancelReservationResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "SetChargingProfile",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.SetChargingProfile(ctx, 1, defProfile)
			},
			want: &ocpp16s.SetChargingProfileRequest{ConnectorID: 1, CsChargingProfiles: defSOAP}, answer: &ocpp16s.SetChargingProfileResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "ClearChargingProfile",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.ClearChargingProfile(ctx, charging.ProfileFilter{ID: 11, ConnectorID: ptr(1), Purpose: "TxDefaultProfile", StackLevel: ptr(2)})
			},
			want: &ocpp16s.ClearChargingProfileRequest{ID: ptr(11), ConnectorID: ptr(1),
				ChargingProfilePurpose: ptr(ocpp16s.ChargingProfilePurposeType("TxDefaultProfile")), StackLevel: ptr(2)},
			answer: &ocpp16s.ClearChargingProfileResponse{Status: "Unknown"}, result: "Unknown"},
		{op: "GetCompositeSchedule",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.GetCompositeSchedule(ctx, 1, 3600, "W")
			},
			want: &ocpp16s.GetCompositeScheduleRequest{ConnectorID: 1, Duration: 3600, ChargingRateUnit: ptr(ocpp16s.ChargingRateUnitType("W"))},
			answer: &ocpp16s.GetCompositeScheduleResponse{Status: "Accepted", ConnectorID: ptr(1), ScheduleStart: &t0,
				ChargingSchedule: &ocpp16s.ChargingSchedule{Duration: ptr(3600), ChargingRateUnit: "W",
					ChargingSchedulePeriod: []ocpp16s.ChargingSchedulePeriod{{StartPeriod: 0, Limit: 11000}, {StartPeriod: 600, Limit: 7400.5, NumberPhases: ptr(1)}}}},
			result: charging.CompositeSchedule{Status: "Accepted", ConnectorID: 1, ScheduleStart: &t0, Schedule: &charging.ChargingSchedule{
				DurationS: ptr(3600), RateUnit: "W", Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: 11000}, {StartPeriodS: 600, Limit: 7400.5, NumberPhases: ptr(1)}}}}},
		{op: "SendLocalList",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.SendLocalList(ctx, charging.LocalListUpdate{Version: 4, UpdateType: "Full", Entries: []charging.LocalListEntry{
					{IDTag: "TAG1", Status: "Accepted", ExpiryDate: &t1, ParentIDTag: "PARENT"}, {IDTag: "TAG2"}}})
			},
			want: &ocpp16s.SendLocalListRequest{ListVersion: 4, UpdateType: "Full", LocalAuthorizationList: []ocpp16s.AuthorizationData{
				{IDTag: "TAG1", IDTagInfo: &ocpp16s.IDTagInfo{Status: "Accepted", ExpiryDate: &t1, ParentIDTag: ptr(ocpp16s.IDToken("PARENT"))}},
				{IDTag: "TAG2"}}},
			answer: &ocpp16s.SendLocalListResponse{Status: "VersionMismatch"}, result: "VersionMismatch"},
		{op: "GetLocalListVersion",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.GetLocalListVersion(ctx) },
			want: &ocpp16s.GetLocalListVersionRequest{}, answer: &ocpp16s.GetLocalListVersionResponse{ListVersion: 4}, result: 4},
		{op: "UpdateFirmware",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return nil, st.UpdateFirmware(ctx, charging.FirmwareUpdate{Location: "https://fw.example/joule-2.bin", RetrieveDate: t1,
					Retries: ptr(3), RetryIntervalS: ptr(60)})
			},
			want:   &ocpp16s.UpdateFirmwareRequest{RetrieveDate: t1, Location: "https://fw.example/joule-2.bin", Retries: ptr(3), RetryInterval: ptr(60)},
			answer: &ocpp16s.UpdateFirmwareResponse{}, result: nil},
		{op: "GetDiagnostics",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.GetDiagnostics(ctx, charging.DiagnosticsRequest{Location: "ftp://diag.example/up", StartTime: &t0, StopTime: &t1,
					Retries: ptr(2), RetryIntervalS: ptr(30)})
			},
			want:   &ocpp16s.GetDiagnosticsRequest{Location: "ftp://diag.example/up", StartTime: &t0, StopTime: &t1, Retries: ptr(2), RetryInterval: ptr(30)},
			answer: &ocpp16s.GetDiagnosticsResponse{FileName: ptr(ocpp16s.CiString255Type("diag-1.zip"))}, result: "diag-1.zip"},
		{op: "ClearCache",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.Command(ctx, "ClearCache", json.RawMessage(`{}`))
			},
			want: &ocpp16s.ClearCacheRequest{}, answer: &ocpp16s.ClearCacheResponse{Status: "Rejected"},
			result: charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"status":"Rejected"}`)}},
		{op: "DataTransfer",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.Command(ctx, "DataTransfer", json.RawMessage(`{"vendorId":"joule","messageId":"ping","data":"41"}`))
			},
			want:   &ocpp16s.CPDataTransferRequest{VendorID: "joule", MessageID: ptr(ocpp16s.CiString50Type("ping")), Data: ptr("41")},
			answer: &ocpp16s.CPDataTransferResponse{Status: "Accepted", Data: ptr("42")},
			result: charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"data":"42","status":"Accepted"}`)}},
	})
}

// TestCommands15 sends every operation of the OCPP 1.5 ChargePoint
// service. UnlockConnector, whose statuses 1.6 renamed, and SendLocalList
// with entries, whose list element 1.5 spells differently, are in
// TestCommands15Mapped; here SendLocalList empties the list.
func TestCommands15(t *testing.T) {
	runCases(t, soap.V15, "CP-15", []opCase{
		{op: "RemoteStartTransaction",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.RemoteStart(ctx, charging.RemoteStart{IDTag: "TAG1", ConnectorID: 1})
			},
			want:   &ocpp15.RemoteStartTransactionRequest{IDTag: "TAG1", ConnectorID: ptr(1)},
			answer: &ocpp15.RemoteStartTransactionResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "RemoteStopTransaction",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.RemoteStop(ctx, "42") },
			want: &ocpp15.RemoteStopTransactionRequest{TransactionID: 42}, answer: &ocpp15.RemoteStopTransactionResponse{Status: "Rejected"}, result: "Rejected"},
		{op: "Reset",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.Reset(ctx, false) },
			want: &ocpp15.ResetRequest{Type: "Soft"}, answer: &ocpp15.ResetResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "ChangeAvailability",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.ChangeAvailability(ctx, 2, true) },
			want: &ocpp15.ChangeAvailabilityRequest{ConnectorID: 2, Type: "Operative"}, answer: &ocpp15.ChangeAvailabilityResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "GetConfiguration",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.GetConfiguration(ctx, nil) },
			want: &ocpp15.GetConfigurationRequest{},
			answer: &ocpp15.GetConfigurationResponse{ConfigurationKey: []ocpp15.KeyValue{{Key: "HeartbeatInterval", Value: ptr("900")},
				{Key: "NumberOfConnectors", Readonly: true, Value: ptr("2")}, {Key: "ConnectionTimeOut", Readonly: true}}},
			result: charging.ConfigurationReport{Keys: []charging.ConfigurationKey{{Key: "HeartbeatInterval", Value: ptr("900")},
				{Key: "NumberOfConnectors", Value: ptr("2"), Readonly: true}, {Key: "ConnectionTimeOut", Readonly: true}}}},
		{op: "ChangeConfiguration",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.ChangeConfiguration(ctx, "HeartbeatInterval", "600")
			},
			want:   &ocpp15.ChangeConfigurationRequest{Key: "HeartbeatInterval", Value: "600"},
			answer: &ocpp15.ChangeConfigurationResponse{Status: "NotSupported"}, result: "NotSupported"},
		{op: "ReserveNow",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.ReserveNow(ctx, charging.Reservation{ID: 9, ConnectorID: 2, IDTag: "TAG2", ExpiresAt: t1})
			},
			want:   &ocpp15.ReserveNowRequest{ConnectorID: 2, ExpiryDate: t1, IDTag: "TAG2", ReservationID: 9},
			answer: &ocpp15.ReserveNowResponse{Status: "Faulted"}, result: "Faulted"},
		{op: "CancelReservation",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.CancelReservation(ctx, 9) },
			want: &ocpp15.CancelReservationRequest{ReservationID: 9}, answer: &ocpp15.CancelReservationResponse{Status: "Rejected"}, result: "Rejected"},
		{op: "SendLocalList",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.SendLocalList(ctx, charging.LocalListUpdate{Version: 5, UpdateType: "Full"})
			},
			want:   &ocpp15.SendLocalListRequest{UpdateType: "Full", ListVersion: 5},
			answer: &ocpp15.SendLocalListResponse{Status: "Accepted"}, result: "Accepted"},
		{op: "GetLocalListVersion",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) { return st.GetLocalListVersion(ctx) },
			want: &ocpp15.GetLocalListVersionRequest{}, answer: &ocpp15.GetLocalListVersionResponse{ListVersion: -1}, result: -1},
		{op: "UpdateFirmware",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return nil, st.UpdateFirmware(ctx, charging.FirmwareUpdate{Location: "https://fw.example/joule-1.bin", RetrieveDate: t0})
			},
			want:   &ocpp15.UpdateFirmwareRequest{RetrieveDate: t0, Location: "https://fw.example/joule-1.bin"},
			answer: &ocpp15.UpdateFirmwareResponse{}, result: nil},
		{op: "GetDiagnostics",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.GetDiagnostics(ctx, charging.DiagnosticsRequest{Location: "ftp://diag.example/up", Retries: ptr(1)})
			},
			want:   &ocpp15.GetDiagnosticsRequest{Location: "ftp://diag.example/up", Retries: ptr(1)},
			answer: &ocpp15.GetDiagnosticsResponse{}, result: ""},
		{op: "ClearCache",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.Command(ctx, "ClearCache", json.RawMessage(`{}`))
			},
			want: &ocpp15.ClearCacheRequest{}, answer: &ocpp15.ClearCacheResponse{Status: "Accepted"},
			result: charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"status":"Accepted"}`)}},
		{op: "DataTransfer",
			send: func(ctx context.Context, st *ocpp16.Station) (any, error) {
				return st.Command(ctx, "DataTransfer", json.RawMessage(`{"vendorId":"joule"}`))
			},
			want: &ocpp15.CPDataTransferRequest{VendorID: "joule"}, answer: &ocpp15.CPDataTransferResponse{Status: "UnknownVendorId"},
			result: charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"status":"UnknownVendorId"}`)}},
	}, "UnlockConnector")
}

// TestCommands15Mapped: what 1.5 says differently from 1.6 on the way out
// and back (soapjson's 1.5 mapping): UnlockConnector's Accepted and
// Rejected are 1.6's Unlocked and UnlockFailed, SendLocalList's entries go
// in 1.5's localAuthorisationList, and a RemoteStartTransaction carrying a
// charging profile, which 1.5 has no place for, is refused unsent.
func TestCommands15Mapped(t *testing.T) {
	answers := map[string]soapjson.Body{}
	cs := newChargerService(t, soap.V15, func(_ *http.Request, op string, _ soapjson.Body) (soapjson.Body, *soap.Fault) {
		return answers[op], nil
	})
	st, _ := station(t, cs, "CP-15M", CallerOptions{})
	ctx := context.Background()

	answers["UnlockConnector"] = &ocpp15.UnlockConnectorResponse{Status: "Accepted"}
	if got, err := st.UnlockConnector(ctx, 1); err != nil || got != "Unlocked" {
		t.Errorf("UnlockConnector answered Accepted: %q, %v; want Unlocked", got, err)
	}
	if r := cs.waitRequests(1)[0]; r.op != "UnlockConnector" || r.identity != "CP-15M" || xmlOf(t, r.body) != xmlOf(t, &ocpp15.UnlockConnectorRequest{ConnectorID: 1}) {
		t.Errorf("the charger got %s for %q: %s", r.op, r.identity, xmlOf(t, r.body))
	}
	answers["UnlockConnector"] = &ocpp15.UnlockConnectorResponse{Status: "Rejected"}
	if got, err := st.UnlockConnector(ctx, 1); err != nil || got != "UnlockFailed" {
		t.Errorf("UnlockConnector answered Rejected: %q, %v; want UnlockFailed", got, err)
	}

	answers["SendLocalList"] = &ocpp15.SendLocalListResponse{Status: "Accepted"}
	got, err := st.SendLocalList(ctx, charging.LocalListUpdate{Version: 6, UpdateType: "Differential", Entries: []charging.LocalListEntry{
		{IDTag: "TAG1", Status: "Blocked", ExpiryDate: &t1, ParentIDTag: "PARENT"}, {IDTag: "TAG2"}}})
	if err != nil || got != "Accepted" {
		t.Errorf("SendLocalList: %q, %v; want Accepted", got, err)
	}
	want := &ocpp15.SendLocalListRequest{UpdateType: "Differential", ListVersion: 6, LocalAuthorisationList: []ocpp15.AuthorisationData{
		{IDTag: "TAG1", IDTagInfo: &ocpp15.IDTagInfo{Status: "Blocked", ExpiryDate: &t1, ParentIDTag: ptr(ocpp15.IDToken("PARENT"))}},
		{IDTag: "TAG2"}}}
	reqs := cs.waitRequests(3)
	if g, w := xmlOf(t, reqs[2].body), xmlOf(t, want); g != w {
		t.Errorf("the charger got\n %s\nwant\n %s", g, w)
	}

	p, _ := profile("TxProfile")
	_, err = st.RemoteStart(ctx, charging.RemoteStart{IDTag: "TAG1", Profile: &p})
	if charging.ErrorCode(err) != charging.ECONFLICT || !strings.Contains(charging.ErrorMessage(err), "OCPP 1.5") ||
		!strings.Contains(charging.ErrorMessage(err), "chargingProfile") {
		t.Errorf("RemoteStart with a profile: %v; want ECONFLICT naming OCPP 1.5 and chargingProfile", err)
	}
	if n := len(cs.requests()); n != 3 {
		t.Errorf("the charger got %d requests, want 3 (the refused RemoteStart unsent)", n)
	}
}

// TestMissingIn15: what OCPP 1.5 lacks (smart charging, TriggerMessage,
// the 1.6 Security Extension) is ECONFLICT naming the version, through the
// typed methods and the generic Command alike, and nothing reaches the
// charger. OCPP 1.6 over SOAP lacks the Security Extension too.
func TestMissingIn15(t *testing.T) {
	cs := newChargerService(t, soap.V15, func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
		t.Error("the charger was called")
		return nil, nil
	})
	st, _ := station(t, cs, "CP-15X", CallerOptions{})
	ctx := context.Background()
	p, _ := profile("TxDefaultProfile")
	typed := map[string]func() error{
		"SetChargingProfile": func() error { _, err := st.SetChargingProfile(ctx, 1, p); return err },
		"ClearChargingProfile": func() error {
			_, err := st.ClearChargingProfile(ctx, charging.ProfileFilter{ID: 11})
			return err
		},
		"GetCompositeSchedule":   func() error { _, err := st.GetCompositeSchedule(ctx, 1, 60, "A"); return err },
		"TriggerMessage":         func() error { _, err := st.TriggerMessage(ctx, "StatusNotification", 0); return err },
		"ExtendedTriggerMessage": func() error { _, err := st.ExtendedTriggerMessage(ctx, "StatusNotification", 0); return err },
		"CertificateSigned":      func() error { _, err := st.CertificateSigned(ctx, "-----BEGIN CERTIFICATE-----", ""); return err },
		"InstallCertificate": func() error {
			_, err := st.InstallCertificate(ctx, charging.CertCentralSystemRoot, "-----BEGIN CERTIFICATE-----")
			return err
		},
		"GetInstalledCertificateIds": func() error { _, err := st.GetInstalledCertificateIDs(ctx, nil); return err },
		"DeleteCertificate": func() error {
			_, err := st.DeleteCertificate(ctx, charging.CertificateHashData{HashAlgorithm: "SHA256", IssuerNameHash: "aa", IssuerKeyHash: "bb", SerialNumber: "01"})
			return err
		},
		"GetLog": func() error {
			_, err := st.GetLog(ctx, charging.LogRequest{LogType: "DiagnosticsLog", RequestID: 1, Location: "https://logs.example/up"})
			return err
		},
		"SignedUpdateFirmware": func() error {
			_, err := st.SignedUpdateFirmware(ctx, charging.FirmwareUpdate{Location: "https://fw.example/x.bin", RetrieveDate: t0},
				charging.SignedFirmware{RequestID: 1, SigningCertificate: "-----BEGIN CERTIFICATE-----", Signature: "c2ln"})
			return err
		},
	}
	for action, send := range typed {
		err := send()
		if charging.ErrorCode(err) != charging.ECONFLICT || charging.ErrorMessage(err) != "OCPP 1.5 has no "+action {
			t.Errorf("%s: %v (code %s); want ECONFLICT %q", action, err, charging.ErrorCode(err), "OCPP 1.5 has no "+action)
		}
	}
	generic := map[string]string{
		"SetChargingProfile": `{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile",` +
			`"chargingProfileKind":"Relative","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":10}]}}}`,
		"ClearChargingProfile": `{}`,
		"GetCompositeSchedule": `{"connectorId":0,"duration":60}`,
		"TriggerMessage":       `{"requestedMessage":"Heartbeat"}`,
		"GetLog":               `{"logType":"SecurityLog","requestId":2,"log":{"remoteLocation":"https://logs.example/up"}}`,
	}
	for action, payload := range generic {
		res, err := st.Command(ctx, action, json.RawMessage(payload))
		if charging.ErrorCode(err) != charging.ECONFLICT || charging.ErrorMessage(err) != "OCPP 1.5 has no "+action {
			t.Errorf("Command %s: %+v, %v; want ECONFLICT %q", action, res, err, "OCPP 1.5 has no "+action)
		}
	}
	if n := len(cs.requests()); n != 0 {
		t.Errorf("the charger got %d requests, want none", n)
	}

	cs16 := newChargerService(t, soap.V16, func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
		t.Error("the 1.6 charger was called")
		return nil, nil
	})
	st16, _ := station(t, cs16, "CP-16X", CallerOptions{})
	_, err := st16.GetLog(ctx, charging.LogRequest{LogType: "DiagnosticsLog", RequestID: 1, Location: "https://logs.example/up"})
	if charging.ErrorCode(err) != charging.ECONFLICT || charging.ErrorMessage(err) != "OCPP 1.6 over SOAP has no GetLog" {
		t.Errorf("1.6 GetLog: %v; want ECONFLICT %q", err, "OCPP 1.6 over SOAP has no GetLog")
	}
}
