// Package chargingtest holds test helpers for implementations of the
// charging contracts, starting with StoreSuite, the conformance tests every
// charging.Store must pass.
package chargingtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// StoreSuite runs the conformance tests of charging.Store as subtests.
// newStore must return a new, empty store for each call and close it when
// the test ends (t.Cleanup).
//
// Times are compared to the microsecond: a store may keep no more (SQLite
// microseconds, PostgreSQL timestamptz), and must return them in UTC.
func StoreSuite(t *testing.T, newStore func(t *testing.T) charging.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s charging.Store)
	}{
		{"Ping", testPing},
		{"ChargerSaveGet", testChargerSaveGet},
		{"ChargerUpdateKeepsCreatedAtAndConnectors", testChargerUpdate},
		{"ChargerNotFound", testChargerNotFound},
		{"SaveConnector", testSaveConnector},
		{"ListChargers", testListChargers},
		{"TouchCharger", testTouchCharger},
		{"SetChargerPresence", testSetChargerPresence},
		{"ChargerSOAPAddress", testChargerSOAPAddress},
		{"ConnectorPhaseRotation", testConnectorPhaseRotation},
		{"SetAllOffline", testSetAllOffline},
		{"UsageReport", testUsageReport}, // reportsuite.go
		{"UsageReportInvalid", testUsageReportInvalid},
		{"UsageReportPresence", testUsageReportPresence},
		{"SessionCreateGetUpdate", testSessionCreateGetUpdate},
		{"SessionNotFound", testSessionNotFound},
		{"SessionUnknownCharger", testSessionUnknownCharger},
		{"OpenSessionPerConnector", testOpenSessionPerConnector},
		{"UpdateSessionOntoBusyConnector", testUpdateSessionOntoBusyConnector},
		{"IdempotencyKey", testIdempotencyKey},
		{"GetSessionByTransaction", testGetSessionByTransaction},
		{"ListSessions", testListSessions},
		{"ListSessionsPagination", testListSessionsPagination},
		{"NextTransactionID", testNextTransactionID},
		{"AddMeterSamples", testAddMeterSamples},
		{"AddMeterSamplesDuplicates", testAddMeterSamplesDuplicates},
		{"AddMeterSamplesAtomic", testAddMeterSamplesAtomic},
		{"ListMeterSamplesPagination", testListMeterSamplesPagination},
		{"NullableFields", testNullableFields},
		{"TimesUTCMicrosecond", testTimesUTC},
		{"IDTags", testIDTags},
		{"ListIDTags", testListIDTags},
		{"InvalidCursor", testInvalidCursor},
		{"ConcurrentMeterSamples", testConcurrentMeterSamples},
		// Units of work and the meter log: unitsuite.go.
		{"UpdateCommit", testUpdateCommit},
		{"UpdateReadsOwnWrites", testUpdateReadsOwnWrites},
		{"UpdateRollback", testUpdateRollback},
		{"UpdateRollbackTouchCharger", testUpdateRollbackTouchCharger},
		{"UpdateFailedWriteContinues", testUpdateFailedWriteContinues},
		{"UpdateNested", testUpdateNested},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"UpdateSeenWhole", testUpdateSeenWhole},
		{"RemoteStartIDsInUnits", testRemoteStartIDsInUnits},
		{"MeterLogPaging", testMeterLogPaging},
		{"MeterLogPagingSingleSamples", testMeterLogPagingSingleSamples},
		{"MeterLogDedup", testMeterLogDedup},
		{"LastMeterSamples", testLastMeterSamples},
		{"SessionLive", testSessionLive},
		{"SessionLiveSameTime", testSessionLiveSameTime},
		{"SessionLiveInUnits", testSessionLiveInUnits},
		{"SessionLiveNested", testSessionLiveNested},
		{"PurgeMeterSamples", testPurgeMeterSamples},
		{"PurgeMeterSamplesLateEnd", testPurgeMeterSamplesLateEnd},
		{"PurgeMeterSamplesPaging", testPurgeMeterSamplesPaging},
		{"PurgeMeterSamplesPagingSameTime", testPurgeMeterSamplesPagingSameTime},
		{"PurgeMeterSamplesInFailedUnit", testPurgeMeterSamplesInFailedUnit},
		{"OCPP201", testOCPP201},                     // ocpp201suite.go
		{"StationManagement", testStationManagement}, // stationsuite.go
		{"Firmware", testFirmware},                   // firmwaresuite.go
		{"Security", testSecurity},                   // securitysuite.go
		{"Accounts", testAccounts},                   // accountsuite.go
		// Sites, chargers' details and connector specs: sitesuite.go.
		{"SiteCreateGetSave", testSiteCreateGetSave},
		{"ListSites", testListSites},
		{"DeleteSite", testDeleteSite},
		{"ChargerDetails", testChargerDetails},
		{"ListChargersBySite", testListChargersBySite},
		// Tariffs, costs and payments on sessions: costsuite.go.
		{"SessionCostPayment", testSessionCostPayment},
		{"ReceiptNumbers", testReceiptNumbers},
		{"ConnectorSpecs", testConnectorSpecs},
		{"Wallet", testWallet}, // walletsuite.go
		// Tariffs and where they are assigned: tariffsuite.go.
		{"TariffCreateGetSave", testTariffCreateGetSave},
		{"ListTariffs", testListTariffs},
		{"TariffAssignments", testTariffAssignments},
		{"DeleteTariffInUse", testDeleteTariffInUse},
		{"DeleteTariffInUnit", testDeleteTariffInUnit},
		{"UserDriverGroup", testUserDriverGroup},
		// Smart charging: smartsuite.go.
		{"SiteSmart", testSiteSmart},
		{"SessionSmart", testSessionSmart},
		{"ListSessionsBySite", testListSessionsBySite},
		{"SiteLoad", testSiteLoad},
		{"SiteLoadDeletedWithSite", testSiteLoadDeletedWithSite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// t0 is a fixed, microsecond-precise time in a non-UTC zone: stores must
// return it in UTC.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))

func ptr[T any](v T) *T { return &v }

func at(d time.Duration) time.Time { return t0.Add(d) }

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := charging.ErrorCode(err); got != code {
		t.Fatalf("%s: error code = %q (err %v), want %q", what, got, err, code)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// utc returns t in UTC, truncated to the microsecond.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return ptr(utc(*t))
}

// normCharger returns c as a store should return it. Status is not the
// store's: it is connector 0's status, which csms presents as Status. An
// empty Admission is stored as Accepted.
func normCharger(c charging.Charger) charging.Charger {
	c.Status = ""
	c.LastSeenAt, c.LastBootAt, c.PasswordSetAt = utcPtr(c.LastSeenAt), utcPtr(c.LastBootAt), utcPtr(c.PasswordSetAt)
	if c.Admission == "" {
		c.Admission = charging.AdmissionAccepted
	}
	c.CreatedAt = utc(c.CreatedAt)
	cs := make([]charging.Connector, 0, len(c.Connectors))
	for _, k := range c.Connectors {
		k.UpdatedAt = utc(k.UpdatedAt)
		cs = append(cs, k)
	}
	c.Connectors = cs
	return c
}

func normSession(s charging.Session) charging.Session {
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	s.StartedAt, s.StoppedAt, s.StopRequestedAt = utcPtr(s.StartedAt), utcPtr(s.StoppedAt), utcPtr(s.StopRequestedAt)
	if len(s.Flags) == 0 {
		s.Flags = nil
	}
	s.Smart = normSmart(s.Smart)
	return s
}

func normSample(m charging.MeterSample) charging.MeterSample {
	m.Timestamp = utc(m.Timestamp)
	return m
}

func normIDTag(tag charging.IDTag) charging.IDTag {
	tag.ExpiryDate = utcPtr(tag.ExpiryDate)
	tag.CreatedAt, tag.UpdatedAt = utc(tag.CreatedAt), utc(tag.UpdatedAt)
	return tag
}

func checkEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, show(got), show(want))
	}
}

// show prints pointers' values, which %+v does not.
func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Struct {
		return fmt.Sprintf("%+v", v)
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range rv.NumField() {
		f := rv.Field(i)
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(rv.Type().Field(i).Name + ":")
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			fmt.Fprintf(&b, "&%v", f.Elem().Interface())
		} else {
			fmt.Fprintf(&b, "%v", f.Interface())
		}
	}
	b.WriteString("}")
	return b.String()
}

func charger(id string) charging.Charger {
	return charging.Charger{
		ID:                 id,
		Vendor:             "Joule",
		Model:              "Volt-22",
		SerialNumber:       "SN-" + id,
		FirmwareVersion:    "1.2.3",
		ICCID:              "8931",
		IMSI:               "2620",
		MeterType:          "AC",
		MeterSerialNumber:  "M-" + id,
		OCPPVersion:        charging.OCPP16,
		Online:             true,
		LastSeenAt:         ptr(at(time.Minute)),
		LastBootAt:         ptr(at(30 * time.Second)),
		RegistrationStatus: charging.RegistrationAccepted,
		FirmwareStatus:     "Installed",
		DiagnosticsStatus:  "Uploaded",
		CreatedAt:          t0,
	}
}

// connector returns a connector with every stored field set, resolved as
// a store returns it. It has no EVSE id: those are unique.
func connector(id int, status charging.ConnectorStatus) charging.Connector {
	k := charging.Connector{
		ConnectorID:     id,
		Status:          status,
		ErrorCode:       "NoError",
		Info:            "info",
		VendorErrorCode: "V0",
		Operator:        charging.ConnectorSpec{ConnectorType: charging.ConnectorType2, MaxPowerW: 22000},
		Reported: charging.ConnectorSpec{ConnectorType: charging.ConnectorType2, Format: charging.FormatSocket,
			PowerType: charging.PowerAC3Phase, MaxPowerW: 11000},
		UpdatedAt: at(time.Duration(id) * time.Second),
	}
	k.Resolve()
	return k
}

func session(id, chargerID string, connectorID int, status charging.SessionStatus) charging.Session {
	return charging.Session{
		ID:          id,
		ChargerID:   chargerID,
		ConnectorID: connectorID,
		IDTag:       "TAG-1",
		Status:      status,
		Origin:      charging.OriginRemote,
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}
}

// saveChargers saves chargers with the ids, for tests that need them to exist.
func saveChargers(t *testing.T, s charging.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		must(t, s.SaveCharger(context.Background(), charger(id)), "SaveCharger "+id)
	}
}

func testPing(t *testing.T, s charging.Store) {
	must(t, s.Ping(context.Background()), "Ping")
}

func testChargerSaveGet(t *testing.T, s charging.Store) {
	ctx := context.Background()
	c := charger("CP-1")
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "GetCharger", normCharger(got), normCharger(c))

	// Nil optional times stay nil.
	c2 := charger("CP-2")
	c2.LastSeenAt, c2.LastBootAt, c2.Online = nil, nil, false
	must(t, s.SaveCharger(ctx, c2), "SaveCharger CP-2")
	got, err = s.GetCharger(ctx, "CP-2")
	must(t, err, "GetCharger CP-2")
	checkEqual(t, "GetCharger CP-2", normCharger(got), normCharger(c2))
}

func testChargerUpdate(t *testing.T, s charging.Store) {
	ctx := context.Background()
	c := charger("CP-1")
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	k := connector(1, charging.StatusAvailable)
	must(t, s.SaveConnector(ctx, "CP-1", k), "SaveConnector")

	c.FirmwareVersion = "2.0.0"
	c.FirmwareStatus, c.DiagnosticsStatus = "Downloading", ""
	c.OCPPVersion = charging.OCPP201
	c.Online = false
	c.LastBootAt = nil
	c.RegistrationStatus = charging.RegistrationPending
	first := c.CreatedAt
	c.CreatedAt = at(time.Hour) // ignored: CreatedAt is the first save's
	must(t, s.SaveCharger(ctx, c), "SaveCharger again")

	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want := c
	want.CreatedAt = first
	want.Connectors = []charging.Connector{k}
	checkEqual(t, "GetCharger after update", normCharger(got), normCharger(want))
}

func testChargerNotFound(t *testing.T, s charging.Store) {
	ctx := context.Background()
	_, err := s.GetCharger(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetCharger of a missing charger")
	err = s.SaveConnector(ctx, "nope", connector(1, charging.StatusAvailable))
	wantCode(t, err, charging.ENOTFOUND, "SaveConnector of a missing charger")
}

func testSaveConnector(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")
	for _, id := range []int{3, 1, 2} {
		must(t, s.SaveConnector(ctx, "CP-1", connector(id, charging.StatusAvailable)), "SaveConnector")
	}
	must(t, s.SaveConnector(ctx, "CP-2", connector(1, charging.StatusFaulted)), "SaveConnector CP-2")

	// Upsert: the second save of connector 2 replaces every field.
	k2 := connector(2, charging.StatusCharging)
	k2.ErrorCode, k2.Info, k2.VendorErrorCode = "GroundFailure", "", ""
	k2.EVSEID = "DE*JOU*E0001*2"
	k2.Operator = charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, MaxPowerW: 150000}
	k2.Reported = charging.ConnectorSpec{}
	k2.UpdatedAt = at(time.Hour)
	k2.Resolve()
	must(t, s.SaveConnector(ctx, "CP-1", k2), "SaveConnector upsert")

	// Connector 0 is the charger itself (1.6 StatusNotification on connector
	// 0): the store keeps it like the others; csms moves it to Charger.Status.
	k0 := connector(0, charging.StatusFaulted)
	must(t, s.SaveConnector(ctx, "CP-1", k0), "SaveConnector 0")

	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want := charger("CP-1")
	want.Connectors = []charging.Connector{k0, connector(1, charging.StatusAvailable), k2, connector(3, charging.StatusAvailable)}
	checkEqual(t, "GetCharger", normCharger(got), normCharger(want))

	if k, ok := got.Connector(2); !ok || k.Status != charging.StatusCharging {
		t.Errorf("connector 2 = %+v, %v; want status Charging", k, ok)
	}

	err = s.SaveConnector(ctx, "CP-1", connector(-1, charging.StatusAvailable))
	wantCode(t, err, charging.EINVALID, "SaveConnector of connector -1")
}

func testListChargers(t *testing.T, s charging.Store) {
	ctx := context.Background()
	page, err := s.ListChargers(ctx, charging.ChargerQuery{})
	must(t, err, "ListChargers on an empty store")
	if len(page.Items) != 0 || page.NextCursor != "" {
		t.Errorf("ListChargers on an empty store = %d items, cursor %q; want none, \"\"", len(page.Items), page.NextCursor)
	}

	ids := []string{"CP-4", "CP-2", "CP-5", "CP-1", "CP-3"}
	saveChargers(t, s, ids...)
	for _, id := range ids {
		must(t, s.SaveConnector(ctx, id, connector(2, charging.StatusAvailable)), "SaveConnector")
		must(t, s.SaveConnector(ctx, id, connector(1, charging.StatusCharging)), "SaveConnector")
	}

	page, err = s.ListChargers(ctx, charging.ChargerQuery{})
	must(t, err, "ListChargers")
	if page.NextCursor != "" {
		t.Errorf("ListChargers with the default limit: NextCursor = %q, want \"\"", page.NextCursor)
	}
	var want []charging.Charger
	for _, id := range []string{"CP-1", "CP-2", "CP-3", "CP-4", "CP-5"} {
		c := charger(id)
		c.Connectors = []charging.Connector{connector(1, charging.StatusCharging), connector(2, charging.StatusAvailable)}
		want = append(want, normCharger(c))
	}
	var got []charging.Charger
	for _, c := range page.Items {
		got = append(got, normCharger(c))
	}
	checkEqual(t, "ListChargers", got, want)

	for _, limit := range []int{1, 2, 3, 5, 6} {
		var ids []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: more than 10 pages", limit)
			}
			page, err := s.ListChargers(ctx, charging.ChargerQuery{Limit: limit, Cursor: cursor})
			must(t, err, "ListChargers page")
			if len(page.Items) > limit {
				t.Fatalf("limit %d: page of %d items", limit, len(page.Items))
			}
			for _, c := range page.Items {
				ids = append(ids, c.ID)
				if len(c.Connectors) != 2 {
					t.Errorf("limit %d: charger %s has %d connectors, want 2", limit, c.ID, len(c.Connectors))
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		checkEqual(t, fmt.Sprintf("ids over pages of %d", limit), ids, []string{"CP-1", "CP-2", "CP-3", "CP-4", "CP-5"})
	}
}

func testTouchCharger(t *testing.T, s charging.Store) {
	ctx := context.Background()
	c := charger("CP-1")
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	seen := at(2 * time.Hour)
	must(t, s.TouchCharger(ctx, "CP-1", seen), "TouchCharger")
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	c.LastSeenAt = &seen
	checkEqual(t, "after TouchCharger", normCharger(got), normCharger(c))

	// A charger that does not exist is not an error, and is not created.
	must(t, s.TouchCharger(ctx, "nope", seen), "TouchCharger of a missing charger")
	_, err = s.GetCharger(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetCharger after TouchCharger of a missing charger")
}

// testChargerSOAPAddress: an OCPP-S charger's service address round-trips
// through SaveCharger, in GetCharger and ListChargers, is changed by a later
// save, and is empty for a charger saved without one.
func testChargerSOAPAddress(t *testing.T, s charging.Store) {
	ctx := context.Background()
	c := charger("CP-S")
	c.OCPPVersion, c.SOAPAddress = charging.OCPP16S, "http://10.0.0.5:8080/ocpp/ChargePointService"
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	must(t, s.SaveCharger(ctx, charger("CP-J")), "SaveCharger without an address")
	got, err := s.GetCharger(ctx, "CP-S")
	must(t, err, "GetCharger")
	checkEqual(t, "saved with an address", normCharger(got), normCharger(c))

	c.SOAPAddress = "https://cp.example.com/ocpp"
	must(t, s.SaveCharger(ctx, c), "SaveCharger with a new address")
	page, err := s.ListChargers(ctx, charging.ChargerQuery{})
	must(t, err, "ListChargers")
	addr := map[string]string{}
	for _, x := range page.Items {
		addr[x.ID] = x.SOAPAddress
	}
	if addr["CP-S"] != c.SOAPAddress || addr["CP-J"] != "" || len(addr) != 2 {
		t.Errorf("listed addresses = %v, want CP-S at %s and CP-J at none", addr, c.SOAPAddress)
	}
}

// testConnectorPhaseRotation: a connector's phase rotation, set by the
// operator, round-trips through SaveConnector in GetCharger and
// ListChargers, is "" for a connector saved without one, is replaced and
// cleared by later saves of the connector (a whole write), is kept by a
// status, and is one connector's: the others' stay as they are.
func testConnectorPhaseRotation(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")
	k1 := connector(1, charging.StatusAvailable)
	k1.Operator.PhaseRotation = charging.RotationSRT
	k1.Resolve()
	must(t, s.SaveConnector(ctx, "CP-1", k1), "SaveConnector with SRT")
	k2 := connector(2, charging.StatusAvailable)
	must(t, s.SaveConnector(ctx, "CP-1", k2), "SaveConnector without a rotation")
	other := connector(1, charging.StatusAvailable)
	other.Operator.PhaseRotation = charging.RotationRTS
	other.Reported.PhaseRotation = charging.RotationTSR // the operator's wins
	other.Resolve()
	must(t, s.SaveConnector(ctx, "CP-2", other), "SaveConnector CP-2 with RTS")

	// rotations reads every connector's rotation, from GetCharger of each
	// charger and from ListChargers, and fails the test if they differ.
	rotations := func(what string) map[string]charging.PhaseRotation {
		t.Helper()
		got := map[string]charging.PhaseRotation{}
		for _, id := range []string{"CP-1", "CP-2"} {
			c, err := s.GetCharger(ctx, id)
			must(t, err, what+": GetCharger "+id)
			for _, k := range c.Connectors {
				got[fmt.Sprintf("%s/%d", id, k.ConnectorID)] = k.PhaseRotation
			}
		}
		page, err := s.ListChargers(ctx, charging.ChargerQuery{})
		must(t, err, what+": ListChargers")
		listed := map[string]charging.PhaseRotation{}
		for _, c := range page.Items {
			for _, k := range c.Connectors {
				listed[fmt.Sprintf("%s/%d", c.ID, k.ConnectorID)] = k.PhaseRotation
			}
		}
		checkEqual(t, what+": ListChargers' rotations against GetCharger's", listed, got)
		return got
	}

	checkEqual(t, "saved", rotations("saved"), map[string]charging.PhaseRotation{
		"CP-1/1": charging.RotationSRT, "CP-1/2": "", "CP-2/1": charging.RotationRTS})
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want := charger("CP-1")
	want.Connectors = []charging.Connector{k1, k2}
	checkEqual(t, "GetCharger", normCharger(got), normCharger(want))

	// A status from the charger keeps the operator's rotation.
	st, err := s.SaveConnectorStatus(ctx, "CP-1", charging.Connector{ConnectorID: 1, Status: charging.StatusCharging,
		ErrorCode: "NoError", UpdatedAt: at(time.Hour)})
	must(t, err, "SaveConnectorStatus")
	if st.PhaseRotation != charging.RotationSRT {
		t.Errorf("SaveConnectorStatus's connector has rotation %q, want SRT kept", st.PhaseRotation)
	}
	k1.Status, k1.UpdatedAt = charging.StatusCharging, at(time.Hour)

	// A later save of the whole connector replaces the rotation...
	k1.Operator.PhaseRotation = charging.RotationTSR
	k1.Resolve()
	must(t, s.SaveConnector(ctx, "CP-1", k1), "SaveConnector with TSR")
	checkEqual(t, "after saving TSR", rotations("after saving TSR"), map[string]charging.PhaseRotation{
		"CP-1/1": charging.RotationTSR, "CP-1/2": "", "CP-2/1": charging.RotationRTS})

	// ... and one without a rotation clears it.
	k1.Operator.PhaseRotation = ""
	k1.Resolve()
	must(t, s.SaveConnector(ctx, "CP-1", k1), "SaveConnector without a rotation")
	checkEqual(t, "after clearing", rotations("after clearing"), map[string]charging.PhaseRotation{
		"CP-1/1": "", "CP-1/2": "", "CP-2/1": charging.RotationRTS})
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want.Connectors = []charging.Connector{k1, k2}
	checkEqual(t, "GetCharger after clearing", normCharger(got), normCharger(want))

	// What the charger reported is kept beside the operator's, and is the
	// rotation while the operator sets none.
	k2.Reported.PhaseRotation = charging.RotationSTR
	k2.Resolve()
	must(t, s.SaveConnector(ctx, "CP-1", k2), "SaveConnector with a reported STR")
	checkEqual(t, "after a report", rotations("after a report"), map[string]charging.PhaseRotation{
		"CP-1/1": "", "CP-1/2": charging.RotationSTR, "CP-2/1": charging.RotationRTS})
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	if k, _ := got.Connector(2); k.Reported.PhaseRotation != charging.RotationSTR || k.Operator.PhaseRotation != "" {
		t.Errorf("connector 2 = operator %q, reported %q; want none and STR", k.Operator.PhaseRotation, k.Reported.PhaseRotation)
	}
	c2, err := s.GetCharger(ctx, "CP-2")
	must(t, err, "GetCharger CP-2")
	if k, _ := c2.Connector(1); k.Operator.PhaseRotation != charging.RotationRTS || k.Reported.PhaseRotation != charging.RotationTSR {
		t.Errorf("CP-2/1 = operator %q, reported %q; want RTS and TSR", k.Operator.PhaseRotation, k.Reported.PhaseRotation)
	}
}

func testSetChargerPresence(t *testing.T, s charging.Store) {
	ctx := context.Background()
	c := charger("CP-1")
	c.Online, c.OCPPVersion = false, "ocpp1.6"
	must(t, s.SaveCharger(ctx, c), "SaveCharger")

	// Connected, speaking another version.
	on := at(2 * time.Hour)
	must(t, s.SetChargerPresence(ctx, "CP-1", charging.ChargerPresence{Online: true, OCPPVersion: "ocpp2.0.1", At: on}), "SetChargerPresence online")
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want := c
	want.Online, want.OCPPVersion, want.LastSeenAt = true, "ocpp2.0.1", &on
	checkEqual(t, "after connecting", normCharger(got), normCharger(want))
	page, err := s.ListChargers(ctx, charging.ChargerQuery{})
	must(t, err, "ListChargers")
	if len(page.Items) != 1 || !page.Items[0].Online || page.Items[0].OCPPVersion != "ocpp2.0.1" {
		t.Errorf("ListChargers after connecting: %+v, want CP-1 online speaking ocpp2.0.1", page.Items)
	}

	// Disconnected: the version stays.
	off := at(3 * time.Hour)
	must(t, s.SetChargerPresence(ctx, "CP-1", charging.ChargerPresence{At: off}), "SetChargerPresence offline")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want.Online, want.LastSeenAt = false, &off
	checkEqual(t, "after disconnecting", normCharger(got), normCharger(want))

	// A unit that fails leaves no presence behind.
	errFail := errors.New("fail")
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.SetChargerPresence(ctx, "CP-1", charging.ChargerPresence{Online: true, At: at(4 * time.Hour)}); err != nil {
			return err
		}
		return errFail
	})
	if !errors.Is(err, errFail) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "after a failed unit", normCharger(got), normCharger(want))

	// A later write of the whole charger is not undone by an older presence.
	later := c
	later.Online, later.OCPPVersion, later.LastSeenAt = true, "ocpp1.6", ptr(at(5*time.Hour))
	must(t, s.SaveCharger(ctx, later), "SaveCharger")
	must(t, s.SetChargerPresence(ctx, "CP-1", charging.ChargerPresence{At: at(4 * time.Hour)}), "SetChargerPresence older")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "after an older presence", normCharger(got), normCharger(later))

	// A charger that does not exist is not an error, and is not created.
	must(t, s.SetChargerPresence(ctx, "nope", charging.ChargerPresence{Online: true, At: on}), "SetChargerPresence of a missing charger")
	_, err = s.GetCharger(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetCharger after SetChargerPresence of a missing charger")
}

func testSetAllOffline(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")
	c3 := charger("CP-3")
	c3.Online = false
	must(t, s.SaveCharger(ctx, c3), "SaveCharger")
	must(t, s.SetAllOffline(ctx), "SetAllOffline")
	for _, id := range []string{"CP-1", "CP-2", "CP-3"} {
		got, err := s.GetCharger(ctx, id)
		must(t, err, "GetCharger")
		want := charger(id)
		want.Online = false
		checkEqual(t, "after SetAllOffline", normCharger(got), normCharger(want))
	}
}

// fullSession has every field set.
func fullSession(id, chargerID string, connectorID int) charging.Session {
	s := session(id, chargerID, connectorID, charging.SessionActive)
	s.TransactionID = "42"
	s.Origin = charging.OriginLocal
	s.UpdatedAt = at(time.Minute)
	s.StartedAt = ptr(at(10 * time.Second))
	s.StoppedAt = ptr(at(time.Hour))
	s.MeterStartWh = ptr(1000.5)
	s.MeterStopWh = ptr(12000.25)
	s.EnergyWh = 11000
	s.PowerW = 7208
	s.CurrentA = ptr(31.4)
	s.VoltageV = ptr(230.1)
	s.SoCPercent = ptr(80.0)
	s.StopReason = "EVDisconnected"
	s.FailureReason = "none really"
	s.StopRequestedAt = ptr(at(59 * time.Minute))
	s.ReservationID = 7
	s.IdempotencyKey = "key-" + id
	s.Flags = []string{"duplicate_start", "unparsable_meter_value"}
	return s
}

func testSessionCreateGetUpdate(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	want := fullSession("S-1", "CP-1", 1)
	must(t, s.CreateSession(ctx, want), "CreateSession")
	got, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	checkEqual(t, "GetSession", normSession(got), normSession(want))

	// UpdateSession overwrites every field.
	upd := session("S-1", "CP-1", 2, charging.SessionFinished)
	upd.CreatedAt = at(time.Second)
	upd.UpdatedAt = at(3 * time.Hour)
	upd.EnergyWh = 5
	upd.MeterStopWh = ptr(0.0)
	upd.Flags = []string{"late_stop"}
	upd.ClosedBy = charging.ClosedByOperator
	must(t, s.UpdateSession(ctx, upd), "UpdateSession")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after update")
	checkEqual(t, "GetSession after update", normSession(got), normSession(upd))

	// The same id twice is a conflict.
	dup := session("S-1", "CP-1", 3, charging.SessionPending)
	wantCode(t, s.CreateSession(ctx, dup), charging.ECONFLICT, "CreateSession with a used id")
}

func testSessionNotFound(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	_, err := s.GetSession(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetSession")
	err = s.UpdateSession(ctx, session("nope", "CP-1", 1, charging.SessionActive))
	wantCode(t, err, charging.ENOTFOUND, "UpdateSession")
	_, err = s.GetSessionByIdempotencyKey(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetSessionByIdempotencyKey")
	_, err = s.GetSessionByTransaction(ctx, "CP-1", "1")
	wantCode(t, err, charging.ENOTFOUND, "GetSessionByTransaction")
}

func testSessionUnknownCharger(t *testing.T, s charging.Store) {
	err := s.CreateSession(context.Background(), session("S-1", "nope", 1, charging.SessionPending))
	wantCode(t, err, charging.ENOTFOUND, "CreateSession on a missing charger")
}

func testOpenSessionPerConnector(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")
	must(t, s.CreateSession(ctx, session("S-1", "CP-1", 1, charging.SessionPending)), "CreateSession S-1")

	for _, st := range []charging.SessionStatus{charging.SessionPending, charging.SessionActive} {
		err := s.CreateSession(ctx, session("S-X", "CP-1", 1, st))
		wantCode(t, err, charging.ECONFLICT, "CreateSession "+string(st)+" on a busy connector")
		if msg := charging.ErrorMessage(err); !strings.Contains(msg, "CP-1") {
			t.Errorf("conflict message %q does not name the charger CP-1", msg)
		}
	}
	// Closed sessions do not hold the connector.
	must(t, s.CreateSession(ctx, session("S-F", "CP-1", 1, charging.SessionFinished)), "CreateSession finished")
	must(t, s.CreateSession(ctx, session("S-G", "CP-1", 1, charging.SessionFailed)), "CreateSession failed")
	// Other connectors and chargers are free.
	must(t, s.CreateSession(ctx, session("S-2", "CP-1", 2, charging.SessionActive)), "CreateSession connector 2")
	must(t, s.CreateSession(ctx, session("S-3", "CP-2", 1, charging.SessionActive)), "CreateSession CP-2")
	// Connector 0 (the charger chooses) never conflicts.
	must(t, s.CreateSession(ctx, session("S-4", "CP-1", 0, charging.SessionPending)), "CreateSession connector 0")
	must(t, s.CreateSession(ctx, session("S-5", "CP-1", 0, charging.SessionPending)), "CreateSession connector 0 again")

	// After the open session ends, the connector takes a new one.
	s1, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	s1.Status = charging.SessionActive
	must(t, s.UpdateSession(ctx, s1), "UpdateSession S-1 active (same connector)")
	s1.Status = charging.SessionFinished
	must(t, s.UpdateSession(ctx, s1), "UpdateSession S-1 finished")
	must(t, s.CreateSession(ctx, session("S-6", "CP-1", 1, charging.SessionPending)), "CreateSession after the first finished")
}

func testUpdateSessionOntoBusyConnector(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	must(t, s.CreateSession(ctx, session("S-1", "CP-1", 1, charging.SessionActive)), "CreateSession S-1")
	must(t, s.CreateSession(ctx, session("S-2", "CP-1", 0, charging.SessionPending)), "CreateSession S-2")
	must(t, s.CreateSession(ctx, session("S-3", "CP-1", 1, charging.SessionFinished)), "CreateSession S-3")

	// A pending session on connector 0 learns its connector: it is busy.
	s2 := session("S-2", "CP-1", 1, charging.SessionActive)
	wantCode(t, s.UpdateSession(ctx, s2), charging.ECONFLICT, "UpdateSession onto a busy connector")
	// A finished session cannot be reopened on a busy connector.
	s3 := session("S-3", "CP-1", 1, charging.SessionActive)
	wantCode(t, s.UpdateSession(ctx, s3), charging.ECONFLICT, "UpdateSession reopening on a busy connector")

	// The failed updates changed nothing.
	for id, want := range map[string]charging.Session{
		"S-2": session("S-2", "CP-1", 0, charging.SessionPending),
		"S-3": session("S-3", "CP-1", 1, charging.SessionFinished),
	} {
		got, err := s.GetSession(ctx, id)
		must(t, err, "GetSession")
		checkEqual(t, "after a conflicting update", normSession(got), normSession(want))
	}

	// Moving to a free connector is fine.
	s2.ConnectorID = 2
	must(t, s.UpdateSession(ctx, s2), "UpdateSession onto a free connector")
}

func testIdempotencyKey(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	a := session("S-1", "CP-1", 1, charging.SessionPending)
	a.IdempotencyKey = "K-1"
	must(t, s.CreateSession(ctx, a), "CreateSession")

	b := session("S-2", "CP-1", 2, charging.SessionPending)
	b.IdempotencyKey = "K-1"
	wantCode(t, s.CreateSession(ctx, b), charging.ECONFLICT, "CreateSession with a used idempotency key")
	// Even when the first session is closed.
	a.Status = charging.SessionFailed
	must(t, s.UpdateSession(ctx, a), "UpdateSession")
	wantCode(t, s.CreateSession(ctx, b), charging.ECONFLICT, "CreateSession with the key of a failed session")

	// Empty keys never conflict.
	for _, id := range []string{"S-3", "S-4"} {
		must(t, s.CreateSession(ctx, session(id, "CP-1", 0, charging.SessionPending)), "CreateSession without a key")
	}

	got, err := s.GetSessionByIdempotencyKey(ctx, "K-1")
	must(t, err, "GetSessionByIdempotencyKey")
	checkEqual(t, "GetSessionByIdempotencyKey", normSession(got), normSession(a))
	_, err = s.GetSessionByIdempotencyKey(ctx, "")
	wantCode(t, err, charging.ENOTFOUND, "GetSessionByIdempotencyKey(\"\")")

	// An update that takes another session's key conflicts.
	c := session("S-3", "CP-1", 0, charging.SessionPending)
	c.IdempotencyKey = "K-1"
	wantCode(t, s.UpdateSession(ctx, c), charging.ECONFLICT, "UpdateSession to a used idempotency key")
}

func testGetSessionByTransaction(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")
	a := session("S-1", "CP-1", 1, charging.SessionActive)
	a.TransactionID = "17"
	b := session("S-2", "CP-2", 1, charging.SessionActive)
	b.TransactionID = "17"
	c := session("S-3", "CP-1", 2, charging.SessionPending) // no transaction yet
	for _, x := range []charging.Session{a, b, c} {
		must(t, s.CreateSession(ctx, x), "CreateSession")
	}
	got, err := s.GetSessionByTransaction(ctx, "CP-1", "17")
	must(t, err, "GetSessionByTransaction")
	checkEqual(t, "GetSessionByTransaction CP-1", normSession(got), normSession(a))
	got, err = s.GetSessionByTransaction(ctx, "CP-2", "17")
	must(t, err, "GetSessionByTransaction")
	checkEqual(t, "GetSessionByTransaction CP-2", normSession(got), normSession(b))
	_, err = s.GetSessionByTransaction(ctx, "CP-3", "17")
	wantCode(t, err, charging.ENOTFOUND, "GetSessionByTransaction on another charger")
	_, err = s.GetSessionByTransaction(ctx, "CP-1", "18")
	wantCode(t, err, charging.ENOTFOUND, "GetSessionByTransaction of an unknown transaction")
	_, err = s.GetSessionByTransaction(ctx, "CP-1", "")
	wantCode(t, err, charging.ENOTFOUND, "GetSessionByTransaction with an empty transaction id")
}

// listFixture creates sessions for the ListSessions tests and returns their
// ids newest first. S-4 and S-5 share a CreatedAt (ties order by id, descending).
func listFixture(t *testing.T, s charging.Store) []string {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")
	type row struct {
		id        string
		charger   string
		connector int
		tag       string
		status    charging.SessionStatus
		created   time.Duration
	}
	rows := []row{
		{"S-1", "CP-1", 1, "TAG-A", charging.SessionFinished, 1 * time.Minute},
		{"S-2", "CP-1", 2, "TAG-B", charging.SessionFailed, 2 * time.Minute},
		{"S-3", "CP-2", 1, "TAG-A", charging.SessionFinished, 3 * time.Minute},
		{"S-4", "CP-1", 1, "TAG-A", charging.SessionActive, 4 * time.Minute},
		{"S-5", "CP-2", 2, "TAG-B", charging.SessionPending, 4 * time.Minute},
		{"S-6", "CP-1", 0, "TAG-C", charging.SessionPending, 6 * time.Minute},
		{"S-7", "CP-2", 1, "TAG-A", charging.SessionActive, 7 * time.Minute},
	}
	// Created out of order: the store must sort.
	for _, i := range []int{3, 0, 6, 2, 5, 1, 4} {
		r := rows[i]
		x := session(r.id, r.charger, r.connector, r.status)
		x.IDTag = r.tag
		x.CreatedAt = at(r.created)
		must(t, s.CreateSession(ctx, x), "CreateSession "+r.id)
	}
	return []string{"S-7", "S-6", "S-5", "S-4", "S-3", "S-2", "S-1"}
}

func sessionIDs(p charging.Page[charging.Session]) []string {
	ids := []string{}
	for _, x := range p.Items {
		ids = append(ids, x.ID)
	}
	return ids
}

func testListSessions(t *testing.T, s charging.Store) {
	ctx := context.Background()
	all := listFixture(t, s)
	tests := []struct {
		name string
		q    charging.SessionQuery
		want []string
	}{
		{"all", charging.SessionQuery{}, all},
		{"charger", charging.SessionQuery{ChargerID: "CP-1"}, []string{"S-6", "S-4", "S-2", "S-1"}},
		{"connector", charging.SessionQuery{ConnectorID: 1}, []string{"S-7", "S-4", "S-3", "S-1"}},
		{"charger and connector", charging.SessionQuery{ChargerID: "CP-2", ConnectorID: 1}, []string{"S-7", "S-3"}},
		{"id tag", charging.SessionQuery{IDTag: "TAG-B"}, []string{"S-5", "S-2"}},
		{"one status", charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionActive}}, []string{"S-7", "S-4"}},
		{"open", charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionPending, charging.SessionActive}}, []string{"S-7", "S-6", "S-5", "S-4"}},
		{"created before (strictly)", charging.SessionQuery{CreatedBefore: at(4 * time.Minute)}, []string{"S-3", "S-2", "S-1"}},
		{"created from (inclusive)", charging.SessionQuery{CreatedFrom: at(4 * time.Minute)}, []string{"S-7", "S-6", "S-5", "S-4"}},
		{"created in a range (from inclusive, to exclusive)", charging.SessionQuery{CreatedFrom: at(2 * time.Minute), CreatedBefore: at(4 * time.Minute)}, []string{"S-3", "S-2"}},
		{"everything", charging.SessionQuery{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-A",
			Status: []charging.SessionStatus{charging.SessionFinished}, CreatedBefore: at(time.Hour)}, []string{"S-1"}},
		{"nothing", charging.SessionQuery{ChargerID: "CP-9"}, []string{}},
	}
	for _, tt := range tests {
		page, err := s.ListSessions(ctx, tt.q)
		must(t, err, "ListSessions "+tt.name)
		checkEqual(t, "ListSessions "+tt.name, sessionIDs(page), tt.want)
		if page.NextCursor != "" {
			t.Errorf("ListSessions %s: NextCursor = %q, want \"\"", tt.name, page.NextCursor)
		}
	}
	// Items are whole sessions.
	page, err := s.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-2", Limit: 1})
	must(t, err, "ListSessions")
	want := session("S-7", "CP-2", 1, charging.SessionActive)
	want.IDTag, want.CreatedAt = "TAG-A", at(7*time.Minute)
	checkEqual(t, "ListSessions item", normSession(page.Items[0]), normSession(want))
}

func testListSessionsPagination(t *testing.T, s charging.Store) {
	ctx := context.Background()
	all := listFixture(t, s)
	for _, q := range []charging.SessionQuery{
		{},
		{ChargerID: "CP-2"},
		{Status: []charging.SessionStatus{charging.SessionPending, charging.SessionActive, charging.SessionFinished}},
	} {
		full, err := s.ListSessions(ctx, q)
		must(t, err, "ListSessions")
		for _, limit := range []int{1, 2, 3, len(full.Items), len(full.Items) + 1} {
			q := q
			q.Limit = limit
			var ids []string
			for pages := 0; ; pages++ {
				if pages > len(all)+1 {
					t.Fatalf("query %+v: too many pages", q)
				}
				page, err := s.ListSessions(ctx, q)
				must(t, err, "ListSessions page")
				if len(page.Items) > limit {
					t.Fatalf("query %+v: page of %d items", q, len(page.Items))
				}
				ids = append(ids, sessionIDs(page)...)
				if page.NextCursor == "" {
					break
				}
				q.Cursor = page.NextCursor
			}
			checkEqual(t, fmt.Sprintf("ids over pages of %d (filter %+v)", limit, q), ids, sessionIDs(full))
		}
	}
}

func testNextTransactionID(t *testing.T, s charging.Store) {
	ctx := context.Background()
	var last int64
	for i := range 50 {
		id, err := s.NextTransactionID(ctx)
		must(t, err, "NextTransactionID")
		if id <= 0 || id <= last {
			t.Fatalf("call %d: NextTransactionID = %d after %d, want > %d and > 0", i, id, last, last)
		}
		last = id
	}

	// Concurrent callers never get the same id.
	const n, each = 8, 25
	ids := make(chan int64, n*each)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for range each {
				id, err := s.NextTransactionID(ctx)
				if err != nil {
					t.Errorf("NextTransactionID: %v", err)
					return
				}
				ids <- id
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] || id <= last {
			t.Errorf("NextTransactionID = %d: duplicate or not above %d", id, last)
		}
		seen[id] = true
	}
}

func sample(sessionID string, tx string, ts time.Time, measurand string, value float64) charging.MeterSample {
	return charging.MeterSample{
		SessionID:     sessionID,
		ChargerID:     "CP-1",
		ConnectorID:   1,
		TransactionID: tx,
		Timestamp:     ts,
		Measurand:     measurand,
		Location:      "Outlet",
		Context:       "Sample.Periodic",
		Unit:          "Wh",
		Value:         value,
	}
}

// listSamples returns all of a session's samples, page by page.
func listSamples(t *testing.T, s charging.Store, sessionID string, limit int) []charging.MeterSample {
	t.Helper()
	var out []charging.MeterSample
	q := charging.MeterQuery{SessionID: sessionID, Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("ListMeterSamples: more than 1000 pages")
		}
		page, err := s.ListMeterSamples(context.Background(), q)
		must(t, err, "ListMeterSamples")
		if limit > 0 && len(page.Items) > limit {
			t.Fatalf("ListMeterSamples: page of %d items, limit %d", len(page.Items), limit)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

// stripIDs returns samples without their store-assigned ids, normalized.
func stripIDs(t *testing.T, ms []charging.MeterSample) []charging.MeterSample {
	t.Helper()
	out := []charging.MeterSample{}
	seen := map[int64]bool{}
	for _, m := range ms {
		if m.ID <= 0 || seen[m.ID] {
			t.Errorf("sample id %d: want unique ids > 0", m.ID)
		}
		seen[m.ID] = true
		m.ID = 0
		out = append(out, normSample(m))
	}
	return out
}

func testAddMeterSamples(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	sess := session("S-1", "CP-1", 1, charging.SessionActive)
	sess.TransactionID = "1"
	must(t, s.CreateSession(ctx, sess), "CreateSession")

	e1 := sample("S-1", "1", at(2*time.Minute), charging.MeasurandEnergyActiveImportRegister, 1200)
	p1 := sample("S-1", "1", at(2*time.Minute), charging.MeasurandPowerActiveImport, 7208)
	p1.Unit = "W"
	i1 := sample("S-1", "1", at(2*time.Minute), charging.MeasurandCurrentImport, 10.5)
	i1.Phase, i1.Unit = "L1", "A"
	e0 := sample("S-1", "1", at(time.Minute), charging.MeasurandEnergyActiveImportRegister, 1000)
	raw := sample("S-1", "1", at(3*time.Minute), charging.MeasurandVoltage, 0)
	raw.Raw, raw.Format, raw.Unit = "not-a-number", "Raw", "V"
	// Not the session's: different session id and a sample without one.
	other := sample("", "", at(time.Minute), charging.MeasurandEnergyActiveImportRegister, 5)

	sess.EnergyWh, sess.PowerW, sess.CurrentA = 200, 7208, ptr(10.5)
	sess.UpdatedAt = at(3 * time.Minute)
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{e1, p1, i1, e0, raw, other}, &sess), "AddMeterSamples")

	got, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	checkEqual(t, "session after AddMeterSamples", normSession(got), normSession(sess))

	// Ordered by timestamp, then id (insertion order within a timestamp).
	want := []charging.MeterSample{normSample(e0), normSample(e1), normSample(p1), normSample(i1), normSample(raw)}
	checkEqual(t, "ListMeterSamples", stripIDs(t, listSamples(t, s, "S-1", 0)), want)

	// Without a session, only samples are stored; no samples, only the session.
	e2 := sample("S-1", "1", at(4*time.Minute), charging.MeasurandEnergyActiveImportRegister, 1500)
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{e2}, nil), "AddMeterSamples without a session")
	sess.EnergyWh = 500
	must(t, s.AddMeterSamples(ctx, nil, &sess), "AddMeterSamples without samples")
	must(t, s.AddMeterSamples(ctx, nil, nil), "AddMeterSamples with nothing")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	checkEqual(t, "session after AddMeterSamples without samples", normSession(got), normSession(sess))
	checkEqual(t, "ListMeterSamples after a second call", stripIDs(t, listSamples(t, s, "S-1", 0)), append(want, normSample(e2)))

	_, err = s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "nope"})
	must(t, err, "ListMeterSamples of an unknown session")
}

// meterFixture saves charger CP-1 and its session S-1, which the samples of
// sample() belong to.
func meterFixture(t *testing.T, s charging.Store) {
	t.Helper()
	saveChargers(t, s, "CP-1")
	x := session("S-1", "CP-1", 1, charging.SessionActive)
	x.TransactionID = "1"
	must(t, s.CreateSession(context.Background(), x), "CreateSession")
}

func testAddMeterSamplesDuplicates(t *testing.T, s charging.Store) {
	ctx := context.Background()
	meterFixture(t, s)
	a := sample("S-1", "1", at(time.Minute), charging.MeasurandEnergyActiveImportRegister, 1000)
	b := sample("S-1", "1", at(2*time.Minute), charging.MeasurandEnergyActiveImportRegister, 2000)
	// Same timestamp and measurand as a, but a different value: a new
	// reading, kept (only an exact repeat of an element is a retry).
	a2 := a
	a2.Value = 999
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{a, b, a2}, nil), "AddMeterSamples")
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{a, b}, nil), "AddMeterSamples again")
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{a, b, a2}, nil), "AddMeterSamples retried")

	// Each key field makes a sample distinct.
	var distinct []charging.MeterSample
	for _, change := range []func(*charging.MeterSample){
		func(m *charging.MeterSample) { m.ConnectorID = 2 },
		func(m *charging.MeterSample) { m.TransactionID = "2" },
		func(m *charging.MeterSample) { m.Timestamp = m.Timestamp.Add(time.Second) },
		func(m *charging.MeterSample) { m.Measurand = charging.MeasurandSoC },
		func(m *charging.MeterSample) { m.Phase = "L2" },
		func(m *charging.MeterSample) { m.Location = "Body" },
		func(m *charging.MeterSample) { m.Context = "Transaction.End" },
	} {
		m := a
		change(&m)
		distinct = append(distinct, m)
	}
	must(t, s.AddMeterSamples(ctx, distinct, nil), "AddMeterSamples distinct")
	must(t, s.AddMeterSamples(ctx, distinct, nil), "AddMeterSamples distinct retried")
	got := stripIDs(t, listSamples(t, s, "S-1", 0))
	if len(got) != 3+len(distinct) {
		t.Fatalf("ListMeterSamples: %d samples, want %d", len(got), 3+len(distinct))
	}
	if got[0].Value != 1000 || got[1].Value != 999 {
		t.Errorf("first sample values = %v, %v; want 1000 then 999 (both readings, in the order stored)", got[0].Value, got[1].Value)
	}
}

func testAddMeterSamplesAtomic(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	must(t, s.CreateSession(ctx, session("S-1", "CP-1", 1, charging.SessionActive)), "CreateSession S-1")
	must(t, s.CreateSession(ctx, session("S-2", "CP-1", 2, charging.SessionPending)), "CreateSession S-2")

	m := sample("S-1", "1", at(time.Minute), charging.MeasurandEnergyActiveImportRegister, 1000)
	missing := session("nope", "CP-1", 3, charging.SessionActive)
	err := s.AddMeterSamples(ctx, []charging.MeterSample{m}, &missing)
	wantCode(t, err, charging.ENOTFOUND, "AddMeterSamples with a missing session")

	busy := session("S-2", "CP-1", 1, charging.SessionActive) // S-1 holds connector 1
	err = s.AddMeterSamples(ctx, []charging.MeterSample{m}, &busy)
	wantCode(t, err, charging.ECONFLICT, "AddMeterSamples with a conflicting session update")

	if got := listSamples(t, s, "S-1", 0); len(got) != 0 {
		t.Errorf("after failed AddMeterSamples: %d samples stored, want 0", len(got))
	}
	// The samples were rolled back, so they are not duplicates now.
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{m}, nil), "AddMeterSamples")
	if got := listSamples(t, s, "S-1", 0); len(got) != 1 {
		t.Errorf("after AddMeterSamples: %d samples stored, want 1", len(got))
	}
}

func testListMeterSamplesPagination(t *testing.T, s charging.Store) {
	ctx := context.Background()
	meterFixture(t, s)
	var ms []charging.MeterSample
	// 10 timestamps × 3 measurands, inserted newest timestamp first.
	for i := 9; i >= 0; i-- {
		for _, m := range []string{charging.MeasurandEnergyActiveImportRegister, charging.MeasurandPowerActiveImport, charging.MeasurandSoC} {
			ms = append(ms, sample("S-1", "1", at(time.Duration(i)*time.Second), m, float64(i)))
		}
	}
	must(t, s.AddMeterSamples(ctx, ms, nil), "AddMeterSamples")
	all := listSamples(t, s, "S-1", 0)
	if len(all) != len(ms) {
		t.Fatalf("ListMeterSamples: %d samples, want %d", len(all), len(ms))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if b.Timestamp.Before(a.Timestamp) || (b.Timestamp.Equal(a.Timestamp) && b.ID <= a.ID) {
			t.Fatalf("samples %d and %d out of order: (%v, %d) then (%v, %d)", i-1, i, a.Timestamp, a.ID, b.Timestamp, b.ID)
		}
	}
	for _, limit := range []int{1, 2, 4, 7, 30, 31} {
		checkEqual(t, fmt.Sprintf("samples over pages of %d", limit), listSamples(t, s, "S-1", limit), all)
	}
}

func testNullableFields(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")

	// All nil.
	bare := session("S-1", "CP-1", 1, charging.SessionPending)
	must(t, s.CreateSession(ctx, bare), "CreateSession")
	got, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	if got.StartedAt != nil || got.StoppedAt != nil || got.StopRequestedAt != nil ||
		got.MeterStartWh != nil || got.MeterStopWh != nil || got.CurrentA != nil || got.VoltageV != nil ||
		got.SoCPercent != nil || len(got.Flags) != 0 {
		t.Errorf("session saved with nil fields came back as %s", show(got))
	}

	// Set to zero values: a pointer to 0 is not nil.
	zero := session("S-2", "CP-1", 2, charging.SessionFinished)
	zero.StartedAt, zero.StoppedAt, zero.StopRequestedAt = ptr(time.Time{}.UTC()), ptr(t0), ptr(t0)
	zero.MeterStartWh, zero.MeterStopWh, zero.CurrentA, zero.VoltageV, zero.SoCPercent = ptr(0.0), ptr(0.0), ptr(0.0), ptr(0.0), ptr(0.0)
	zero.Flags = []string{""}
	must(t, s.CreateSession(ctx, zero), "CreateSession")
	got, err = s.GetSession(ctx, "S-2")
	must(t, err, "GetSession")
	checkEqual(t, "session with zero-valued pointers", normSession(got), normSession(zero))

	// Set, then cleared by an update.
	full := fullSession("S-3", "CP-1", 3)
	must(t, s.CreateSession(ctx, full), "CreateSession")
	cleared := session("S-3", "CP-1", 3, charging.SessionActive)
	must(t, s.UpdateSession(ctx, cleared), "UpdateSession")
	got, err = s.GetSession(ctx, "S-3")
	must(t, err, "GetSession")
	checkEqual(t, "session with fields cleared", normSession(got), normSession(cleared))

	// Id tag expiry.
	tag := charging.IDTag{IDTag: "TAG-1", Status: charging.AuthAccepted, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag")
	gotTag, err := s.GetIDTag(ctx, "TAG-1")
	must(t, err, "GetIDTag")
	if gotTag.ExpiryDate != nil {
		t.Errorf("ExpiryDate = %v, want nil", *gotTag.ExpiryDate)
	}
}

func testTimesUTC(t *testing.T, s charging.Store) {
	ctx := context.Background()
	// Nanoseconds and a zone east of UTC; stores keep at least microseconds.
	ns := time.Date(2025, 6, 30, 23, 59, 59, 999_999_999, time.FixedZone("X", 5*3600+30*60))
	check := func(what string, got, want time.Time) {
		t.Helper()
		if got.Location() != time.UTC {
			t.Errorf("%s: location %v, want UTC", what, got.Location())
		}
		if d := got.Sub(want); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s = %v, want %v to the microsecond", what, got, want.UTC())
		}
	}

	c := charger("CP-1")
	c.CreatedAt, c.LastSeenAt, c.LastBootAt = ns, &ns, &ns
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	k := connector(1, charging.StatusAvailable)
	k.UpdatedAt = ns
	must(t, s.SaveConnector(ctx, "CP-1", k), "SaveConnector")
	gc, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	check("Charger.CreatedAt", gc.CreatedAt, ns)
	check("Charger.LastSeenAt", *gc.LastSeenAt, ns)
	check("Charger.LastBootAt", *gc.LastBootAt, ns)
	check("Connector.UpdatedAt", gc.Connectors[0].UpdatedAt, ns)

	sess := session("S-1", "CP-1", 1, charging.SessionActive)
	sess.CreatedAt, sess.UpdatedAt, sess.StartedAt, sess.StoppedAt, sess.StopRequestedAt = ns, ns, &ns, &ns, &ns
	must(t, s.CreateSession(ctx, sess), "CreateSession")
	gs, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	for name, v := range map[string]time.Time{"CreatedAt": gs.CreatedAt, "UpdatedAt": gs.UpdatedAt,
		"StartedAt": *gs.StartedAt, "StoppedAt": *gs.StoppedAt, "StopRequestedAt": *gs.StopRequestedAt} {
		check("Session."+name, v, ns)
	}

	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{sample("S-1", "1", ns, charging.MeasurandSoC, 50)}, nil), "AddMeterSamples")
	ms := listSamples(t, s, "S-1", 0)
	if len(ms) != 1 {
		t.Fatalf("ListMeterSamples: %d samples, want 1", len(ms))
	}
	check("MeterSample.Timestamp", ms[0].Timestamp, ns)

	tag := charging.IDTag{IDTag: "TAG-1", Status: charging.AuthAccepted, ExpiryDate: &ns, CreatedAt: ns, UpdatedAt: ns}
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag")
	gt, err := s.GetIDTag(ctx, "TAG-1")
	must(t, err, "GetIDTag")
	check("IDTag.ExpiryDate", *gt.ExpiryDate, ns)
	check("IDTag.CreatedAt", gt.CreatedAt, ns)

	// CreatedBefore compares instants, whatever the zone.
	page, err := s.ListSessions(ctx, charging.SessionQuery{CreatedBefore: ns.Add(time.Millisecond).In(time.FixedZone("Y", -8*3600))})
	must(t, err, "ListSessions")
	checkEqual(t, "ListSessions CreatedBefore in another zone", sessionIDs(page), []string{"S-1"})
}

func testIDTags(t *testing.T, s charging.Store) {
	ctx := context.Background()
	tag := charging.IDTag{
		IDTag:       "04A2B3C4D5E6F7",
		Status:      charging.AuthAccepted,
		ExpiryDate:  ptr(at(24 * time.Hour)),
		ParentIDTag: "FLEET-1",
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag")
	got, err := s.GetIDTag(ctx, tag.IDTag)
	must(t, err, "GetIDTag")
	checkEqual(t, "GetIDTag", normIDTag(got), normIDTag(tag))

	// OCPP id tokens are case-insensitive (1.6 CiString20Type).
	got, err = s.GetIDTag(ctx, "04a2b3c4d5e6f7")
	must(t, err, "GetIDTag in lower case")
	checkEqual(t, "GetIDTag in lower case", normIDTag(got), normIDTag(tag))

	upd := tag
	upd.Status, upd.ExpiryDate, upd.ParentIDTag = charging.AuthBlocked, nil, ""
	upd.CreatedAt, upd.UpdatedAt = at(time.Hour), at(time.Hour) // CreatedAt is the first save's
	must(t, s.SaveIDTag(ctx, upd), "SaveIDTag update")
	got, err = s.GetIDTag(ctx, tag.IDTag)
	must(t, err, "GetIDTag after update")
	want := upd
	want.CreatedAt = tag.CreatedAt
	checkEqual(t, "GetIDTag after update", normIDTag(got), normIDTag(want))

	must(t, s.DeleteIDTag(ctx, tag.IDTag), "DeleteIDTag")
	_, err = s.GetIDTag(ctx, tag.IDTag)
	wantCode(t, err, charging.ENOTFOUND, "GetIDTag after DeleteIDTag")
	wantCode(t, s.DeleteIDTag(ctx, tag.IDTag), charging.ENOTFOUND, "DeleteIDTag of a missing tag")
	_, err = s.GetIDTag(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetIDTag of a missing tag")
}

func testListIDTags(t *testing.T, s charging.Store) {
	ctx := context.Background()
	page, err := s.ListIDTags(ctx, charging.IDTagQuery{})
	must(t, err, "ListIDTags on an empty store")
	if len(page.Items) != 0 || page.NextCursor != "" {
		t.Errorf("ListIDTags on an empty store = %d items, cursor %q; want none, \"\"", len(page.Items), page.NextCursor)
	}
	want := []string{"TAG-1", "TAG-2", "TAG-3", "TAG-4", "TAG-5"}
	for _, id := range []string{"TAG-3", "TAG-5", "TAG-1", "TAG-4", "TAG-2"} {
		must(t, s.SaveIDTag(ctx, charging.IDTag{IDTag: id, Status: charging.AuthAccepted, CreatedAt: t0, UpdatedAt: t0}), "SaveIDTag")
	}
	for _, limit := range []int{0, 1, 2, 5, 6} {
		var ids []string
		q := charging.IDTagQuery{Limit: limit}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: more than 10 pages", limit)
			}
			page, err := s.ListIDTags(ctx, q)
			must(t, err, "ListIDTags")
			for _, tag := range page.Items {
				ids = append(ids, tag.IDTag)
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		checkEqual(t, fmt.Sprintf("id tags over pages of %d", limit), ids, want)
	}
}

func testInvalidCursor(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const bad = "!!not a cursor!!"
	_, err := s.ListChargers(ctx, charging.ChargerQuery{Cursor: bad})
	wantCode(t, err, charging.EINVALID, "ListChargers with a bad cursor")
	_, err = s.ListSessions(ctx, charging.SessionQuery{Cursor: bad})
	wantCode(t, err, charging.EINVALID, "ListSessions with a bad cursor")
	_, err = s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-1", Cursor: bad})
	wantCode(t, err, charging.EINVALID, "ListMeterSamples with a bad cursor")
	_, err = s.ListIDTags(ctx, charging.IDTagQuery{Cursor: bad})
	wantCode(t, err, charging.EINVALID, "ListIDTags with a bad cursor")
	_, err = s.ListChargers(ctx, charging.ChargerQuery{Limit: -1})
	wantCode(t, err, charging.EINVALID, "ListChargers with a negative limit")
}

func testConcurrentMeterSamples(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const chargers, calls, perCall = 8, 20, 5
	var ids []string
	for i := range chargers {
		ids = append(ids, fmt.Sprintf("CP-%02d", i))
	}
	saveChargers(t, s, ids...)
	for _, id := range ids {
		must(t, s.CreateSession(ctx, session("S-"+id, id, 1, charging.SessionActive)), "CreateSession")
	}

	var wg sync.WaitGroup
	for _, id := range ids {
		// Two goroutines per charger: one writes, one reads meanwhile.
		wg.Go(func() {
			sess := session("S-"+id, id, 1, charging.SessionActive)
			for c := range calls {
				ts := at(time.Duration(c) * time.Second)
				var ms []charging.MeterSample
				for k := range perCall {
					m := sample(sess.ID, "1", ts, fmt.Sprintf("M%d", k), float64(c))
					m.ChargerID = id
					ms = append(ms, m)
				}
				sess.EnergyWh = float64(c)
				sess.UpdatedAt = ts
				if err := s.AddMeterSamples(ctx, ms, &sess); err != nil {
					t.Errorf("AddMeterSamples %s call %d: %v", id, c, err)
					return
				}
			}
		})
		wg.Go(func() {
			for range calls {
				if _, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-" + id, Limit: 10}); err != nil {
					t.Errorf("ListMeterSamples %s: %v", id, err)
					return
				}
				if _, err := s.GetSession(ctx, "S-"+id); err != nil {
					t.Errorf("GetSession %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, id := range ids {
		ms := listSamples(t, s, "S-"+id, 0)
		if len(ms) != calls*perCall {
			t.Errorf("charger %s: %d samples, want %d", id, len(ms), calls*perCall)
		}
		if !slices.IsSortedFunc(ms, func(a, b charging.MeterSample) int { return a.Timestamp.Compare(b.Timestamp) }) {
			t.Errorf("charger %s: samples not ordered by timestamp", id)
		}
		got, err := s.GetSession(ctx, "S-"+id)
		must(t, err, "GetSession")
		if got.EnergyWh != calls-1 {
			t.Errorf("session %s: EnergyWh = %v, want %v (the last update)", got.ID, got.EnergyWh, calls-1)
		}
	}
}
