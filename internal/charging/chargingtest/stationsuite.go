package chargingtest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// testStationManagement checks the station-management stores: the command
// log, reservations, charging profiles, configuration and local list
// versions. The subtests share one store and use their own charger ids.
func testStationManagement(t *testing.T, s charging.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s charging.Store)
	}{
		{"CommandLog", testCommandLog},
		{"Reservations", testReservations},
		{"ChargingProfiles", testChargingProfiles},
		{"Configuration", testConfiguration},
		{"LocalListVersions", testLocalListVersions},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

func testCommandLog(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CL-1", "CL-2")
	rec := func(id, charger, action string, d time.Duration) charging.CommandRecord {
		return charging.CommandRecord{ID: id, ChargerID: charger, Action: action, Request: json.RawMessage(`{"type":"Soft"}`),
			Status: charging.ResultPending, RequestedBy: charging.RequestedByAPI, RequestedAt: at(d)}
	}
	must(t, s.SaveCommand(ctx, rec("c1", "CL-1", "Reset", 0)), "SaveCommand c1")
	must(t, s.SaveCommand(ctx, rec("c2", "CL-1", "UnlockConnector", time.Second)), "SaveCommand c2")
	must(t, s.SaveCommand(ctx, rec("c3", "CL-1", "Reset", 2*time.Second)), "SaveCommand c3")
	must(t, s.SaveCommand(ctx, rec("c4", "CL-2", "Reset", 3*time.Second)), "SaveCommand c4")
	// The answer overwrites the pending record.
	answered := rec("c1", "CL-1", "Reset", 0)
	answered.Status, answered.Response, answered.AnsweredAt, answered.DurationMs = charging.ResultAnswered, json.RawMessage(`{"status":"Accepted"}`), ptr(at(time.Second)), 1000
	must(t, s.SaveCommand(ctx, answered), "SaveCommand c1 answered")

	p, err := s.ListCommands(ctx, charging.CommandQuery{ChargerID: "CL-1"})
	must(t, err, "ListCommands")
	var ids []string
	for _, r := range p.Items {
		ids = append(ids, r.ID)
	}
	checkEqual(t, "CL-1 commands, newest first", ids, []string{"c3", "c2", "c1"})
	got := p.Items[2]
	if got.Status != charging.ResultAnswered || string(got.Response) != `{"status":"Accepted"}` || got.DurationMs != 1000 ||
		got.AnsweredAt == nil || !got.AnsweredAt.Equal(at(time.Second)) || got.RequestedBy != charging.RequestedByAPI || !got.RequestedAt.Equal(at(0)) {
		t.Errorf("answered c1 = %s, want answered with its response, timing and requester", show(got))
	}
	if got.RequestedAt.Location() != time.UTC {
		t.Errorf("c1 RequestedAt in %v, want UTC", got.RequestedAt.Location())
	}
	p, err = s.ListCommands(ctx, charging.CommandQuery{ChargerID: "CL-1", Action: "Reset"})
	must(t, err, "ListCommands Reset")
	if len(p.Items) != 2 {
		t.Errorf("CL-1 Reset commands: %d, want 2", len(p.Items))
	}
	// Pages.
	var paged []string
	q := charging.CommandQuery{ChargerID: "CL-1", Limit: 2}
	for {
		p, err := s.ListCommands(ctx, q)
		must(t, err, "ListCommands page")
		for _, r := range p.Items {
			paged = append(paged, r.ID)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	checkEqual(t, "CL-1 commands by pages of 2", paged, []string{"c3", "c2", "c1"})
}

func testReservations(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "RS-1")
	id1, err := s.NextReservationID(ctx)
	must(t, err, "NextReservationID")
	id2, err := s.NextReservationID(ctx)
	must(t, err, "NextReservationID")
	if id1 < 1 || id2 <= id1 {
		t.Fatalf("reservation ids %d then %d, want increasing from 1", id1, id2)
	}
	r := charging.Reservation{ID: id1, ChargerID: "RS-1", ConnectorID: 1, IDTag: "TAG", ParentIDTag: "FLEET", ExpiresAt: at(time.Hour),
		Status: charging.ReservationPending, CreatedAt: at(0), UpdatedAt: at(0)}
	must(t, s.CreateReservation(ctx, r), "CreateReservation")
	other := r
	other.ID = id2
	wantCode(t, s.CreateReservation(ctx, other), charging.ECONFLICT, "second open reservation on the connector")
	wantCode(t, s.CreateReservation(ctx, r), charging.ECONFLICT, "same reservation id twice")

	r.Status, r.ChargerAnswer, r.UpdatedAt = charging.ReservationActive, "Accepted", at(time.Minute)
	must(t, s.UpdateReservation(ctx, r), "UpdateReservation")
	got, err := s.GetReservation(ctx, id1)
	must(t, err, "GetReservation")
	want := r
	want.ExpiresAt, want.CreatedAt, want.UpdatedAt = utc(r.ExpiresAt), utc(r.CreatedAt), utc(r.UpdatedAt)
	checkEqual(t, "reservation", got, want)

	// A finished reservation frees the connector.
	r.Status = charging.ReservationCancelled
	must(t, s.UpdateReservation(ctx, r), "cancel")
	must(t, s.CreateReservation(ctx, other), "CreateReservation after cancel")

	_, err = s.GetReservation(ctx, 999999)
	wantCode(t, err, charging.ENOTFOUND, "GetReservation unknown")
	wantCode(t, s.UpdateReservation(ctx, charging.Reservation{ID: 999999, ChargerID: "RS-1", ConnectorID: 1}), charging.ENOTFOUND, "UpdateReservation unknown")

	p, err := s.ListReservations(ctx, charging.ReservationQuery{ChargerID: "RS-1"})
	must(t, err, "ListReservations")
	if len(p.Items) != 2 || p.Items[0].ID != id2 {
		t.Errorf("reservations = %s, want 2, newest first", show(p.Items))
	}
	p, err = s.ListReservations(ctx, charging.ReservationQuery{Status: []charging.ReservationStatus{charging.ReservationPending}, ExpiresBefore: at(2 * time.Hour)})
	must(t, err, "ListReservations pending, expiring")
	if len(p.Items) != 1 || p.Items[0].ID != id2 {
		t.Errorf("pending reservations expiring before +2h = %s, want only %d", show(p.Items), id2)
	}
}

func testChargingProfiles(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "PF-1")
	id, err := s.NextChargingProfileID(ctx)
	must(t, err, "NextChargingProfileID")
	p := charging.ChargingProfile{ID: id, StackLevel: 1, Purpose: charging.PurposeTxDefault, Kind: charging.KindAbsolute,
		Schedule: charging.ChargingSchedule{RateUnit: charging.UnitAmperes, StartSchedule: ptr(at(0)),
			Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: 16}, {StartPeriodS: 3600, Limit: 8, NumberPhases: ptr(1)}}},
		CreatedAt: at(0), UpdatedAt: at(0)}
	must(t, s.SaveChargingProfile(ctx, p), "SaveChargingProfile")
	p2 := p
	p2.StackLevel, p2.CreatedAt, p2.UpdatedAt = 2, at(time.Hour), at(time.Hour)
	must(t, s.SaveChargingProfile(ctx, p2), "SaveChargingProfile again")
	got, err := s.GetChargingProfile(ctx, id)
	must(t, err, "GetChargingProfile")
	if got.StackLevel != 2 || !got.CreatedAt.Equal(at(0)) || !got.UpdatedAt.Equal(at(time.Hour)) || len(got.Schedule.Periods) != 2 ||
		got.Schedule.Periods[1].NumberPhases == nil || *got.Schedule.Periods[1].NumberPhases != 1 {
		t.Errorf("profile after update = %s, want stack level 2, first CreatedAt kept, both periods", show(got))
	}
	if next, err := s.NextChargingProfileID(ctx); err != nil || next <= id {
		t.Errorf("NextChargingProfileID after %d = %d, %v; want a higher id", id, next, err)
	}
	_, err = s.GetChargingProfile(ctx, id+1000)
	wantCode(t, err, charging.ENOTFOUND, "GetChargingProfile unknown")
	page, err := s.ListChargingProfiles(ctx, charging.ProfileQuery{})
	must(t, err, "ListChargingProfiles")
	if len(page.Items) != 1 {
		t.Errorf("profiles: %d, want 1", len(page.Items))
	}

	inst := func(connector, profile, stack int) charging.InstalledProfile {
		return charging.InstalledProfile{ChargerID: "PF-1", ConnectorID: connector, ProfileID: profile, Purpose: charging.PurposeTxDefault, StackLevel: stack, InstalledAt: at(0)}
	}
	must(t, s.InstallProfile(ctx, inst(1, 10, 1)), "install 10")
	must(t, s.InstallProfile(ctx, inst(2, 11, 1)), "install 11")
	must(t, s.InstallProfile(ctx, inst(1, 12, 1)), "install 12 (same connector, purpose, stack level: replaces 10)")
	must(t, s.InstallProfile(ctx, inst(2, 11, 3)), "install 11 again (same id: replaces)")
	list, err := s.ListInstalledProfiles(ctx, "PF-1")
	must(t, err, "ListInstalledProfiles")
	var ids []int
	for _, ip := range list {
		ids = append(ids, ip.ProfileID)
	}
	checkEqual(t, "installed profiles", ids, []int{12, 11})
	n, err := s.UninstallProfiles(ctx, "PF-1", charging.ProfileFilter{ConnectorID: ptr(2)})
	must(t, err, "UninstallProfiles")
	if n != 1 {
		t.Errorf("UninstallProfiles connector 2 removed %d, want 1", n)
	}
	n, err = s.UninstallProfiles(ctx, "PF-1", charging.ProfileFilter{ID: 12})
	must(t, err, "UninstallProfiles id")
	if n != 1 {
		t.Errorf("UninstallProfiles id 12 removed %d, want 1", n)
	}
}

func testConfiguration(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CF-1")
	c, err := s.GetConfiguration(ctx, "CF-1")
	must(t, err, "GetConfiguration before a read")
	if len(c.Keys) != 0 || c.ReadAt != nil {
		t.Errorf("configuration never read = %s, want no keys and no ReadAt", show(c))
	}
	read := at(time.Minute)
	must(t, s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: "CF-1", ReadAt: &read, UnknownKeys: []string{"Nope"},
		Keys: []charging.ConfigurationKey{{Key: "HeartbeatInterval", Value: ptr("300")}, {Key: "NumberOfConnectors", Value: ptr("2"), Readonly: true}, {Key: "Opaque"}}}, true), "SaveConfiguration all")
	// A merge changes one value and keeps the readonly flag.
	must(t, s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: "CF-1",
		Keys: []charging.ConfigurationKey{{Key: "heartbeatinterval", Value: ptr("60")}, {Key: "NumberOfConnectors", Value: ptr("3")}}}, false), "SaveConfiguration merge")
	c, err = s.GetConfiguration(ctx, "CF-1")
	must(t, err, "GetConfiguration")
	if c.ReadAt == nil || !c.ReadAt.Equal(read) || len(c.UnknownKeys) != 1 || len(c.Keys) != 3 {
		t.Fatalf("configuration = %s, want 3 keys, 1 unknown, read at %v", show(c), read)
	}
	byKey := map[string]charging.ConfigurationKey{}
	for _, k := range c.Keys {
		byKey[k.Key] = k
	}
	if k := byKey["HeartbeatInterval"]; k.Value == nil || *k.Value != "60" {
		t.Errorf("HeartbeatInterval = %s, want 60 (keys match case-insensitively)", show(k))
	}
	if k := byKey["NumberOfConnectors"]; !k.Readonly {
		t.Errorf("NumberOfConnectors = %s, want readonly kept", show(k))
	}
	if k := byKey["Opaque"]; k.Value != nil {
		t.Errorf("Opaque = %s, want no value", show(k))
	}
	// A full read replaces the keys.
	must(t, s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: "CF-1", ReadAt: &read,
		Keys: []charging.ConfigurationKey{{Key: "HeartbeatInterval", Value: ptr("30")}}}, true), "SaveConfiguration replace")
	c, _ = s.GetConfiguration(ctx, "CF-1")
	if len(c.Keys) != 1 {
		t.Errorf("after a full read: %d keys, want 1", len(c.Keys))
	}

	must(t, s.SaveDesiredSetting(ctx, charging.DesiredSetting{ChargerID: "CF-1", Key: "MeterValueSampleInterval", Value: "30", UpdatedAt: at(0)}), "SaveDesiredSetting")
	must(t, s.SaveDesiredSetting(ctx, charging.DesiredSetting{ChargerID: "CF-1", Key: "HeartbeatInterval", Value: "60", UpdatedAt: at(0)}), "SaveDesiredSetting 2")
	must(t, s.SaveDesiredSetting(ctx, charging.DesiredSetting{ChargerID: "CF-1", Key: "MeterValueSampleInterval", Value: "30",
		Status: "Accepted", AppliedAt: ptr(at(time.Second)), UpdatedAt: at(time.Second)}), "SaveDesiredSetting update")
	ds, err := s.ListDesiredSettings(ctx, "CF-1")
	must(t, err, "ListDesiredSettings")
	if len(ds) != 2 || ds[0].Key != "HeartbeatInterval" || ds[1].Status != "Accepted" || ds[1].AppliedAt == nil || !ds[1].AppliedAt.Equal(at(time.Second)) {
		t.Errorf("desired settings = %s, want 2 by key, the second Accepted", show(ds))
	}
	must(t, s.DeleteDesiredSetting(ctx, "CF-1", "HeartbeatInterval"), "DeleteDesiredSetting")
	wantCode(t, s.DeleteDesiredSetting(ctx, "CF-1", "HeartbeatInterval"), charging.ENOTFOUND, "DeleteDesiredSetting twice")
}

func testLocalListVersions(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "LL-1", "LL-2", "LL-3")
	v1, err := s.NextLocalListVersion(ctx)
	must(t, err, "NextLocalListVersion")
	if v1 < 1 {
		t.Fatalf("first list version = %d, want 1 or more", v1)
	}
	must(t, s.SaveLocalListVersion(ctx, "LL-1", v1, at(0)), "SaveLocalListVersion LL-1")
	// A version chosen outside the sequence (a generic command) moves it on.
	must(t, s.SaveLocalListVersion(ctx, "LL-2", v1+10, at(time.Second)), "SaveLocalListVersion LL-2")
	must(t, s.SaveReportedLocalListVersion(ctx, "LL-1", v1, at(2*time.Second)), "SaveReportedLocalListVersion")
	if next, err := s.NextLocalListVersion(ctx); err != nil || next <= v1+10 {
		t.Errorf("NextLocalListVersion after version %d was accepted = %d, %v; want higher", v1+10, next, err)
	}
	list := func() []charging.LocalListVersion {
		all, err := s.ListLocalListVersions(ctx)
		must(t, err, "ListLocalListVersions")
		var out []charging.LocalListVersion
		for _, v := range all {
			if strings.HasPrefix(v.ChargerID, "LL-") {
				out = append(out, v)
			}
		}
		return out
	}
	all := list()
	if len(all) != 3 {
		t.Fatalf("local list versions = %s, want one per charger", show(all))
	}
	l1, l2, l3 := all[0], all[1], all[2]
	if l1.ChargerID != "LL-1" || l1.Version != v1 || !l1.Behind || l1.LatestVersion != v1+10 || l1.ReportedVersion == nil || *l1.ReportedVersion != v1 ||
		l1.UpdatedAt == nil || !l1.UpdatedAt.Equal(at(0)) || l1.ReportedAt == nil || !l1.ReportedAt.Equal(at(2*time.Second)) {
		t.Errorf("LL-1 = %s, want version %d, behind %d, reported %d", show(l1), v1, v1+10, v1)
	}
	if l2.Version != v1+10 || l2.Behind || l2.ReportedVersion != nil {
		t.Errorf("LL-2 = %s, want version %d, not behind, nothing reported", show(l2), v1+10)
	}
	if l3.Version != 0 || !l3.Behind || l3.UpdatedAt != nil {
		t.Errorf("LL-3 = %s, want version 0, behind", show(l3))
	}
	// A report keeps the accepted version.
	must(t, s.SaveReportedLocalListVersion(ctx, "LL-2", 3, at(0)), "SaveReportedLocalListVersion LL-2")
	all = list()
	if all[1].Version != v1+10 || all[1].ReportedVersion == nil || *all[1].ReportedVersion != 3 {
		t.Errorf("LL-2 after a report = %s, want version %d kept, reported 3", show(all[1]), v1+10)
	}
}
