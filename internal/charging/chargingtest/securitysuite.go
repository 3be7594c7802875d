package chargingtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// testSecurity checks charger security in the store: the security fields
// of a charger, its credentials, the admission filter, DeleteCharger,
// security events and what GetLog and signed updates add to the jobs. The
// subtests share one store and use their own charger ids.
func testSecurity(t *testing.T, s charging.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s charging.Store)
	}{
		{"ChargerSecurityFields", testChargerSecurityFields},
		{"Credentials", testCredentials},
		{"AdmissionFilter", testAdmissionFilter},
		{"DeleteCharger", testDeleteCharger},
		{"SecurityEvents", testSecurityEvents},
		{"SecurityEventsDefaultLimit", testSecurityEventsDefaultLimit},
		{"JobSecurityFields", testJobSecurityFields},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

func testChargerSecurityFields(t *testing.T, s charging.Store) {
	ctx := context.Background()

	// Every security field round-trips.
	c := charger("SF-1")
	c.SecurityProfile, c.MinSecurityProfile = charging.ProfileTLS, charging.ProfileBasic
	c.Admission = charging.AdmissionPending
	c.PasswordSetAt = ptr(at(5 * time.Minute))
	must(t, s.SaveCharger(ctx, c), "SaveCharger SF-1")
	got, err := s.GetCharger(ctx, "SF-1")
	must(t, err, "GetCharger SF-1")
	checkEqual(t, "GetCharger SF-1", normCharger(got), normCharger(c))
	if got.PasswordSetAt == nil || got.PasswordSetAt.Location() != time.UTC {
		t.Errorf("SF-1 PasswordSetAt = %v, want a time in UTC", got.PasswordSetAt)
	}

	// An empty admission is stored as Accepted (not normalised here).
	c0 := charger("SF-0")
	must(t, s.SaveCharger(ctx, c0), "SaveCharger SF-0")
	got, err = s.GetCharger(ctx, "SF-0")
	must(t, err, "GetCharger SF-0")
	if got.Admission != charging.AdmissionAccepted || got.SecurityProfile != 0 || got.MinSecurityProfile != 0 ||
		got.PasswordSetAt != nil || got.PasswordPending {
		t.Errorf("SF-0 saved without security fields = %s; want Accepted, profiles 0, no password time, nothing pending", show(got))
	}

	// SaveCharger never writes credentials: they survive later saves,
	// including saves of a Charger value that says no password is pending.
	creds := charging.Credentials{Password: charging.HashPassword([]byte("old")), NextPassword: charging.HashPassword([]byte("new"))}
	must(t, s.SetCredentials(ctx, "SF-1", creds), "SetCredentials SF-1")
	c.SecurityProfile, c.MinSecurityProfile = charging.ProfileMTLS, charging.ProfileTLS
	c.Admission = charging.AdmissionRejected
	c.PasswordSetAt = nil
	c.PasswordPending = false
	c.FirmwareVersion = "9.9.9"
	must(t, s.SaveCharger(ctx, c), "SaveCharger SF-1 again")
	gotCreds, err := s.GetCredentials(ctx, "SF-1")
	must(t, err, "GetCredentials SF-1")
	checkEqual(t, "credentials after SaveCharger", gotCreds, creds)
	got, err = s.GetCharger(ctx, "SF-1")
	must(t, err, "GetCharger SF-1 after update")
	want := c
	want.PasswordPending = true // from the stored credentials, not from c
	checkEqual(t, "GetCharger SF-1 after update", normCharger(got), normCharger(want))

	// A new charger saved with PasswordPending set has no credentials.
	c2 := charger("SF-2")
	c2.PasswordPending = true
	must(t, s.SaveCharger(ctx, c2), "SaveCharger SF-2")
	gotCreds, err = s.GetCredentials(ctx, "SF-2")
	must(t, err, "GetCredentials SF-2")
	checkEqual(t, "credentials of a charger saved with PasswordPending", gotCreds, charging.Credentials{})
	got, err = s.GetCharger(ctx, "SF-2")
	must(t, err, "GetCharger SF-2")
	if got.PasswordPending {
		t.Errorf("SF-2 PasswordPending = true, want false: SaveCharger does not write it")
	}

	// ListChargers returns the same fields as GetCharger.
	page, err := s.ListChargers(ctx, charging.ChargerQuery{})
	must(t, err, "ListChargers")
	i := slices.IndexFunc(page.Items, func(x charging.Charger) bool { return x.ID == "SF-1" })
	if i < 0 {
		t.Fatalf("ListChargers: SF-1 missing")
	}
	checkEqual(t, "SF-1 in ListChargers", normCharger(page.Items[i]), normCharger(want))
}

func testCredentials(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CR-1", "CR-2")

	got, err := s.GetCredentials(ctx, "CR-1")
	must(t, err, "GetCredentials of a new charger")
	checkEqual(t, "credentials of a new charger", got, charging.Credentials{})

	pending := func(id string) bool {
		t.Helper()
		c, err := s.GetCharger(ctx, id)
		must(t, err, "GetCharger "+id)
		page, err := s.ListChargers(ctx, charging.ChargerQuery{})
		must(t, err, "ListChargers")
		for _, x := range page.Items {
			if x.ID == id && x.PasswordPending != c.PasswordPending {
				t.Errorf("%s: PasswordPending %v in ListChargers, %v in GetCharger", id, x.PasswordPending, c.PasswordPending)
			}
		}
		return c.PasswordPending
	}
	if pending("CR-1") {
		t.Errorf("CR-1 without credentials: PasswordPending = true, want false")
	}

	// A password in use only: nothing pending.
	first := charging.Credentials{Password: charging.HashPassword([]byte("first"))}
	must(t, s.SetCredentials(ctx, "CR-1", first), "SetCredentials first")
	got, err = s.GetCredentials(ctx, "CR-1")
	must(t, err, "GetCredentials")
	checkEqual(t, "credentials after the first set", got, first)
	if pending("CR-1") {
		t.Errorf("CR-1 with a password only: PasswordPending = true, want false")
	}

	// A new password issued: pending until the charger uses it.
	issued := charging.Credentials{Password: first.Password, NextPassword: charging.HashPassword([]byte("second"))}
	must(t, s.SetCredentials(ctx, "CR-1", issued), "SetCredentials issued")
	got, err = s.GetCredentials(ctx, "CR-1")
	must(t, err, "GetCredentials")
	checkEqual(t, "credentials after issuing a new password", got, issued)
	if !pending("CR-1") {
		t.Errorf("CR-1 with a next password: PasswordPending = false, want true")
	}
	if !charging.CheckPassword(got.NextPassword, []byte("second")) {
		t.Errorf("stored next password hash does not check against its password")
	}

	// The charger connected with it: it replaces the old one.
	used := charging.Credentials{Password: issued.NextPassword}
	must(t, s.SetCredentials(ctx, "CR-1", used), "SetCredentials used")
	got, err = s.GetCredentials(ctx, "CR-1")
	must(t, err, "GetCredentials")
	checkEqual(t, "credentials after the new password was used", got, used)
	if pending("CR-1") {
		t.Errorf("CR-1 after rotation: PasswordPending = true, want false")
	}

	// Another charger's credentials are its own.
	got, err = s.GetCredentials(ctx, "CR-2")
	must(t, err, "GetCredentials CR-2")
	checkEqual(t, "credentials of CR-2", got, charging.Credentials{})

	_, err = s.GetCredentials(ctx, "CR-nope")
	wantCode(t, err, charging.ENOTFOUND, "GetCredentials of a missing charger")
	err = s.SetCredentials(ctx, "CR-nope", first)
	wantCode(t, err, charging.ENOTFOUND, "SetCredentials of a missing charger")
	_, err = s.GetCharger(ctx, "CR-nope")
	wantCode(t, err, charging.ENOTFOUND, "GetCharger after SetCredentials of a missing charger")

	// A new charger and its password in one write; a refused charger
	// writes no credentials either.
	now := time.Now().UTC().Truncate(time.Microsecond)
	reg := charging.Charger{ID: "CR-3", SecurityProfile: charging.ProfileBasic, Admission: charging.AdmissionAccepted,
		PasswordSetAt: &now, CreatedAt: now}
	must(t, s.SaveChargerCredentials(ctx, reg, first), "SaveChargerCredentials CR-3")
	got, err = s.GetCredentials(ctx, "CR-3")
	must(t, err, "GetCredentials CR-3")
	checkEqual(t, "credentials saved with the charger", got, first)
	c, err := s.GetCharger(ctx, "CR-3")
	must(t, err, "GetCharger CR-3")
	if c.SecurityProfile != charging.ProfileBasic || c.PasswordSetAt == nil || !c.PasswordSetAt.Equal(now) {
		t.Errorf("charger saved with its credentials = %+v", c)
	}
	bad := reg
	bad.ID, bad.SecurityProfile = "CR-4", 9
	if err := s.SaveChargerCredentials(ctx, bad, first); err == nil {
		t.Errorf("SaveChargerCredentials with profile 9 = nil, want an error")
	}
	_, err = s.GetCredentials(ctx, "CR-4")
	wantCode(t, err, charging.ENOTFOUND, "GetCredentials after a refused SaveChargerCredentials")
}

func testAdmissionFilter(t *testing.T, s charging.Store) {
	ctx := context.Background()
	mine := map[string]charging.Admission{
		"AD-1": charging.AdmissionPending,
		"AD-2": charging.AdmissionAccepted,
		"AD-3": charging.AdmissionPending,
		"AD-4": charging.AdmissionRejected,
		"AD-5": "", // stored as Accepted
		"AD-6": charging.AdmissionPending,
		"AD-7": charging.AdmissionPending,
	}
	for id, a := range mine {
		c := charger(id)
		c.Admission = a
		must(t, s.SaveCharger(ctx, c), "SaveCharger "+id)
	}
	must(t, s.SaveConnector(ctx, "AD-3", connector(1, charging.StatusAvailable)), "SaveConnector AD-3")
	// AD-7 was pending, then accepted by an operator.
	c7 := charger("AD-7")
	c7.Admission = charging.AdmissionAccepted
	must(t, s.SaveCharger(ctx, c7), "SaveCharger AD-7 accepted")
	mine["AD-7"] = charging.AdmissionAccepted

	// The other subtests share the store: what each filter must return is
	// computed from the unfiltered list, which must hold these chargers.
	all := listAllChargers(t, s, charging.ChargerQuery{Limit: 1000})
	byAdmission := map[charging.Admission][]string{}
	for _, c := range all {
		byAdmission[c.Admission] = append(byAdmission[c.Admission], c.ID)
		if a, ok := mine[c.ID]; ok && c.Admission != cmp.Or(a, charging.AdmissionAccepted) {
			t.Errorf("%s: Admission = %q, want %q", c.ID, c.Admission, cmp.Or(a, charging.AdmissionAccepted))
		}
	}
	if !slices.Equal(filterPrefix(byAdmission[charging.AdmissionPending], "AD-"), []string{"AD-1", "AD-3", "AD-6"}) {
		t.Errorf("pending AD- chargers in the unfiltered list = %v, want [AD-1 AD-3 AD-6]", filterPrefix(byAdmission[charging.AdmissionPending], "AD-"))
	}

	for _, a := range []charging.Admission{charging.AdmissionPending, charging.AdmissionAccepted, charging.AdmissionRejected} {
		for _, limit := range []int{0, 1, 2, 3} {
			got := listAllChargers(t, s, charging.ChargerQuery{Admission: a, Limit: limit})
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
				if c.Admission != a {
					t.Errorf("ListChargers{Admission: %s}: %s has admission %q", a, c.ID, c.Admission)
				}
				if c.ID == "AD-3" && len(c.Connectors) != 1 {
					t.Errorf("ListChargers{Admission: %s}: AD-3 has %d connectors, want 1", a, len(c.Connectors))
				}
			}
			checkEqual(t, fmt.Sprintf("ids of ListChargers{Admission: %s, Limit: %d}", a, limit), ids, byAdmission[a])
		}
	}
}

// listAllChargers follows NextCursor to the end and returns every charger.
func listAllChargers(t *testing.T, s charging.Store, q charging.ChargerQuery) []charging.Charger {
	t.Helper()
	var out []charging.Charger
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("ListChargers %+v: more than 1000 pages", q)
		}
		page, err := s.ListChargers(context.Background(), q)
		must(t, err, fmt.Sprintf("ListChargers %+v", q))
		if q.Limit > 0 && len(page.Items) > q.Limit {
			t.Fatalf("ListChargers %+v: page of %d items", q, len(page.Items))
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

func filterPrefix(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

func testDeleteCharger(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const id = "DC-1"
	c := charger(id)
	c.SecurityProfile, c.MinSecurityProfile, c.PasswordSetAt = charging.ProfileBasic, charging.ProfileBasic, ptr(at(time.Minute))
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	saveChargers(t, s, "DC-2") // a neighbour, untouched by the delete
	for _, k := range []int{0, 1, 2} {
		must(t, s.SaveConnector(ctx, id, connector(k, charging.StatusAvailable)), fmt.Sprintf("SaveConnector %d", k))
	}
	must(t, s.SaveConnector(ctx, "DC-2", connector(1, charging.StatusAvailable)), "SaveConnector DC-2")
	must(t, s.SetCredentials(ctx, id, charging.Credentials{Password: charging.HashPassword([]byte("pw")), NextPassword: "x"}), "SetCredentials")

	// What is only the charger's own.
	must(t, s.SaveVariables(ctx, []charging.Variable{{ChargerID: id, Component: "SecurityCtrlr", Variable: "SecurityProfile",
		AttributeType: "Actual", Value: "1", UpdatedAt: at(0)}}), "SaveVariables")
	must(t, s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: id, Keys: []charging.ConfigurationKey{{Key: "HeartbeatInterval", Value: ptr("300")}},
		UnknownKeys: []string{"Foo"}, ReadAt: ptr(at(0))}, true), "SaveConfiguration")
	must(t, s.SaveDesiredSetting(ctx, charging.DesiredSetting{ChargerID: id, Key: "HeartbeatInterval", Value: "60", UpdatedAt: at(0)}), "SaveDesiredSetting")
	must(t, s.InstallProfile(ctx, charging.InstalledProfile{ChargerID: id, ConnectorID: 1, ProfileID: 4242, Purpose: "TxDefaultProfile", StackLevel: 1, InstalledAt: at(0)}), "InstallProfile")
	must(t, s.SaveLocalListVersion(ctx, id, 3, at(0)), "SaveLocalListVersion")
	must(t, s.SaveReportedLocalListVersion(ctx, id, 3, at(0)), "SaveReportedLocalListVersion")

	// History, which stays.
	open := session("DC-S1", id, 1, charging.SessionActive)
	done := session("DC-S2", id, 2, charging.SessionFinished)
	done.CreatedAt = at(time.Second)
	must(t, s.CreateSession(ctx, open), "CreateSession open")
	must(t, s.CreateSession(ctx, done), "CreateSession finished")
	rid, err := s.NextReservationID(ctx)
	must(t, err, "NextReservationID")
	res := charging.Reservation{ID: rid, ChargerID: id, ConnectorID: 2, IDTag: "TAG-1", ExpiresAt: at(time.Hour),
		Status: charging.ReservationExpired, CreatedAt: at(0), UpdatedAt: at(0)}
	must(t, s.CreateReservation(ctx, res), "CreateReservation")
	must(t, s.SaveCommand(ctx, charging.CommandRecord{ID: "DC-cmd", ChargerID: id, Action: "Reset", Request: json.RawMessage(`{}`),
		Status: charging.ResultPending, RequestedAt: at(0)}), "SaveCommand")
	must(t, s.AddChargerEvents(ctx, []charging.ChargerEvent{{ChargerID: id, Action: "NotifyEvent", Timestamp: at(0), ReceivedAt: at(0)}}), "AddChargerEvents")
	must(t, s.AddTransactionEvent(ctx, charging.TransactionEventRecord{ChargerID: id, TransactionID: "T1", SeqNo: 0, EventType: "Started",
		Timestamp: at(0), ReceivedAt: at(0)}), "AddTransactionEvent")
	must(t, s.SaveFirmwareJob(ctx, charging.FirmwareJob{ID: "DC-fw", ChargerID: id, FirmwareUpdate: charging.FirmwareUpdate{Location: "x", RetrieveDate: at(0)},
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(0)}), "SaveFirmwareJob")
	must(t, s.SaveDiagnosticsJob(ctx, charging.DiagnosticsJob{ID: "DC-diag", ChargerID: id, Token: "DC-tok", Location: "x",
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(0)}), "SaveDiagnosticsJob")
	must(t, s.AddSecurityEvent(ctx, charging.SecurityEvent{ChargerID: id, Source: charging.SecuritySourceJoule, Type: charging.SecFailedAuth,
		Timestamp: at(0), ReceivedAt: at(0)}), "AddSecurityEvent")
	// A last-seen time the store may still hold in memory.
	must(t, s.TouchCharger(ctx, id, at(3*time.Hour)), "TouchCharger")

	must(t, s.DeleteCharger(ctx, id), "DeleteCharger")

	// Gone, with what was its own.
	_, err = s.GetCharger(ctx, id)
	wantCode(t, err, charging.ENOTFOUND, "GetCharger after DeleteCharger")
	_, err = s.GetCredentials(ctx, id)
	wantCode(t, err, charging.ENOTFOUND, "GetCredentials after DeleteCharger")
	wantCode(t, s.DeleteCharger(ctx, id), charging.ENOTFOUND, "DeleteCharger twice")
	wantCode(t, s.DeleteCharger(ctx, "DC-nope"), charging.ENOTFOUND, "DeleteCharger of a missing charger")
	wantCode(t, s.SaveConnector(ctx, id, connector(1, charging.StatusAvailable)), charging.ENOTFOUND, "SaveConnector after DeleteCharger")
	if vs, err := s.ListVariables(ctx, charging.VariableQuery{ChargerID: id}); err != nil || len(vs.Items) != 0 {
		t.Errorf("ListVariables after DeleteCharger = %d items, %v; want none", len(vs.Items), err)
	}
	if has, err := s.HasVariables(ctx, id); err != nil || has {
		t.Errorf("HasVariables after DeleteCharger = %v, %v; want false", has, err)
	}
	if cfg, err := s.GetConfiguration(ctx, id); err != nil || len(cfg.Keys) != 0 || cfg.ReadAt != nil || len(cfg.UnknownKeys) != 0 {
		t.Errorf("GetConfiguration after DeleteCharger = %s, %v; want never read", show(cfg), err)
	}
	if ds, err := s.ListDesiredSettings(ctx, id); err != nil || len(ds) != 0 {
		t.Errorf("ListDesiredSettings after DeleteCharger = %v, %v; want none", ds, err)
	}
	if ps, err := s.ListInstalledProfiles(ctx, id); err != nil || len(ps) != 0 {
		t.Errorf("ListInstalledProfiles after DeleteCharger = %v, %v; want none", ps, err)
	}
	lists, err := s.ListLocalListVersions(ctx)
	must(t, err, "ListLocalListVersions")
	for _, v := range lists {
		if v.ChargerID == id {
			t.Errorf("ListLocalListVersions after DeleteCharger lists %s: %s", id, show(v))
		}
	}
	// A new session or reservation still needs an existing charger.
	wantCode(t, s.CreateSession(ctx, session("DC-S3", id, 1, charging.SessionPending)), charging.ENOTFOUND, "CreateSession on a deleted charger")

	// The neighbour is untouched.
	n, err := s.GetCharger(ctx, "DC-2")
	must(t, err, "GetCharger DC-2")
	if len(n.Connectors) != 1 {
		t.Errorf("DC-2 after deleting DC-1: %d connectors, want 1", len(n.Connectors))
	}

	// History stays, and the open session can still be closed.
	sessions, err := s.ListSessions(ctx, charging.SessionQuery{ChargerID: id})
	must(t, err, "ListSessions")
	var sids []string
	for _, x := range sessions.Items {
		sids = append(sids, x.ID)
	}
	checkEqual(t, "sessions of the deleted charger, newest first", sids, []string{"DC-S2", "DC-S1"})
	gotOpen, err := s.GetSession(ctx, "DC-S1")
	must(t, err, "GetSession DC-S1")
	checkEqual(t, "open session after DeleteCharger", normSession(gotOpen), normSession(open))
	open.Status, open.StopReason, open.UpdatedAt = charging.SessionFinished, "DeAuthorized", at(time.Hour)
	must(t, s.UpdateSession(ctx, open), "UpdateSession of a deleted charger's session")
	rs, err := s.ListReservations(ctx, charging.ReservationQuery{ChargerID: id})
	must(t, err, "ListReservations")
	if len(rs.Items) != 1 || rs.Items[0].ID != rid {
		t.Errorf("reservations of the deleted charger = %v, want reservation %d", rs.Items, rid)
	}
	if cmds, err := s.ListCommands(ctx, charging.CommandQuery{ChargerID: id}); err != nil || len(cmds.Items) != 1 {
		t.Errorf("ListCommands after DeleteCharger = %d, %v; want 1", len(cmds.Items), err)
	}
	if evs, err := s.ListChargerEvents(ctx, charging.ChargerEventQuery{ChargerID: id}); err != nil || len(evs.Items) != 1 {
		t.Errorf("ListChargerEvents after DeleteCharger = %d, %v; want 1", len(evs.Items), err)
	}
	if has, err := s.HasTransactionEvent(ctx, id, "T1", 0); err != nil || !has {
		t.Errorf("HasTransactionEvent after DeleteCharger = %v, %v; want true", has, err)
	}
	if js, err := s.ListFirmwareJobs(ctx, id); err != nil || len(js) != 1 {
		t.Errorf("ListFirmwareJobs after DeleteCharger = %d, %v; want 1", len(js), err)
	}
	if _, err := s.GetDiagnosticsJob(ctx, "DC-diag"); err != nil {
		t.Errorf("GetDiagnosticsJob after DeleteCharger: %v", err)
	}
	if evs, err := s.ListSecurityEvents(ctx, charging.SecurityEventQuery{ChargerID: id}); err != nil || len(evs.Items) != 1 {
		t.Errorf("ListSecurityEvents after DeleteCharger = %d, %v; want 1", len(evs.Items), err)
	}

	// The id is free: a new charger, with nothing of the old one's.
	fresh := charging.Charger{ID: id, OCPPVersion: charging.OCPP201, CreatedAt: at(4 * time.Hour)}
	must(t, s.SaveCharger(ctx, fresh), "SaveCharger after DeleteCharger")
	got, err := s.GetCharger(ctx, id)
	must(t, err, "GetCharger of the new charger")
	checkEqual(t, "the new charger", normCharger(got), normCharger(fresh))
	lists, err = s.ListLocalListVersions(ctx)
	must(t, err, "ListLocalListVersions")
	if i := slices.IndexFunc(lists, func(v charging.LocalListVersion) bool { return v.ChargerID == id }); i < 0 {
		t.Errorf("ListLocalListVersions does not list the new charger %s", id)
	} else if v := lists[i]; v.Version != 0 || v.ReportedVersion != nil || v.UpdatedAt != nil {
		t.Errorf("local list version of the new charger = %s, want none (not the deleted charger's 3)", show(v))
	}
	creds, err := s.GetCredentials(ctx, id)
	must(t, err, "GetCredentials of the new charger")
	checkEqual(t, "credentials of the new charger", creds, charging.Credentials{})
	sessions, err = s.ListSessions(ctx, charging.SessionQuery{ChargerID: id})
	must(t, err, "ListSessions after the id was reused")
	if len(sessions.Items) != 2 {
		t.Errorf("sessions listed for %s after the id was reused: %d, want the old 2", id, len(sessions.Items))
	}
	must(t, s.CreateSession(ctx, session("DC-S4", id, 1, charging.SessionPending)), "CreateSession on the new charger")
	must(t, s.DeleteCharger(ctx, id), "DeleteCharger of the new charger")
}

func testSecurityEvents(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const typ = "SuiteEventType" // a type no other subtest uses
	ev := func(charger, source string, d time.Duration, count int) charging.SecurityEvent {
		return charging.SecurityEvent{ChargerID: charger, Source: source, Type: typ, Timestamp: at(d),
			TechInfo: "info " + charger, Remote: "192.0.2.1:4711", Count: count, ReceivedAt: at(d + time.Second)}
	}
	in := []charging.SecurityEvent{
		ev("SE-1", charging.SecuritySourceCharger, 0, 1),
		ev("SE-1", charging.SecuritySourceJoule, 2*time.Second, 0), // stored with count 1
		ev("SE-1", charging.SecuritySourceJoule, time.Second, 5),
		ev("SE-2", charging.SecuritySourceCharger, 3*time.Second, 1),
		ev("SE-1", charging.SecuritySourceCharger, 2*time.Second, 2), // same time as the second: newer id first
		ev("", charging.SecuritySourceJoule, 4*time.Second, 1),       // a connection that named no valid charger
	}
	in[0].Type = charging.SecFailedAuth // a second type for SE-1
	for i, e := range in {
		must(t, s.AddSecurityEvent(ctx, e), fmt.Sprintf("AddSecurityEvent %d", i))
	}

	list := func(q charging.SecurityEventQuery) []charging.SecurityEvent {
		t.Helper()
		var out []charging.SecurityEvent
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatalf("ListSecurityEvents %+v: more than 100 pages", q)
			}
			p, err := s.ListSecurityEvents(ctx, q)
			must(t, err, fmt.Sprintf("ListSecurityEvents %+v", q))
			if q.Limit > 0 && len(p.Items) > q.Limit {
				t.Fatalf("ListSecurityEvents %+v: page of %d items", q, len(p.Items))
			}
			out = append(out, p.Items...)
			if p.NextCursor == "" {
				return out
			}
			q.Cursor = p.NextCursor
		}
	}
	// order returns the indexes of in that the events stand for, matched by
	// charger, time and count (unique among in).
	order := func(got []charging.SecurityEvent) []int {
		var idx []int
		for _, g := range got {
			idx = append(idx, slices.IndexFunc(in, func(e charging.SecurityEvent) bool {
				return e.ChargerID == g.ChargerID && e.Timestamp.Equal(g.Timestamp) && max(e.Count, 1) == g.Count && e.Source == g.Source
			}))
		}
		return idx
	}

	all := list(charging.SecurityEventQuery{ChargerID: "SE-1"})
	checkEqual(t, "SE-1 events, newest first (timestamp, then id)", order(all), []int{4, 1, 2, 0})
	ids := map[int64]bool{}
	for _, e := range all {
		if e.ID <= 0 || ids[e.ID] {
			t.Errorf("event ID %d: want a new ID > 0", e.ID)
		}
		ids[e.ID] = true
	}
	if len(all) == 4 && all[0].ID <= all[1].ID {
		t.Errorf("events at the same time: IDs %d then %d, want the later added (higher id) first", all[0].ID, all[1].ID)
	}
	// Every field round-trips, times in UTC, count 0 stored as 1.
	if len(all) == 4 {
		want := in[1]
		want.ID, want.Count = all[1].ID, 1
		want.Timestamp, want.ReceivedAt = utc(want.Timestamp), utc(want.ReceivedAt)
		checkEqual(t, "stored security event", all[1], want)
		if all[1].Timestamp.Location() != time.UTC || all[1].ReceivedAt.Location() != time.UTC {
			t.Errorf("event times in %v and %v, want UTC", all[1].Timestamp.Location(), all[1].ReceivedAt.Location())
		}
	}

	checkEqual(t, "SE-1 charger events", order(list(charging.SecurityEventQuery{ChargerID: "SE-1", Source: charging.SecuritySourceCharger})), []int{4, 0})
	checkEqual(t, "SE-1 joule events", order(list(charging.SecurityEventQuery{ChargerID: "SE-1", Source: charging.SecuritySourceJoule})), []int{1, 2})
	checkEqual(t, "SE-1 events of the suite's type", order(list(charging.SecurityEventQuery{ChargerID: "SE-1", Type: typ})), []int{4, 1, 2})
	checkEqual(t, "SE-1 FailedToAuthenticateAtCsms events", order(list(charging.SecurityEventQuery{ChargerID: "SE-1", Type: charging.SecFailedAuth})), []int{0})
	checkEqual(t, "every charger's events of the suite's type", order(list(charging.SecurityEventQuery{Type: typ})), []int{5, 3, 4, 1, 2})
	checkEqual(t, "joule events of the suite's type", order(list(charging.SecurityEventQuery{Type: typ, Source: charging.SecuritySourceJoule})), []int{5, 1, 2})
	if got := list(charging.SecurityEventQuery{ChargerID: "SE-nope"}); len(got) != 0 {
		t.Errorf("events of a charger without any: %d, want none", len(got))
	}

	// Pages hold the same events in the same order.
	for _, limit := range []int{1, 2, 3, 4, 5} {
		checkEqual(t, fmt.Sprintf("SE-1 events over pages of %d", limit), order(list(charging.SecurityEventQuery{ChargerID: "SE-1", Limit: limit})), []int{4, 1, 2, 0})
		checkEqual(t, fmt.Sprintf("suite type events over pages of %d", limit), order(list(charging.SecurityEventQuery{Type: typ, Limit: limit})), []int{5, 3, 4, 1, 2})
	}
	p, err := s.ListSecurityEvents(ctx, charging.SecurityEventQuery{ChargerID: "SE-1", Limit: 4})
	must(t, err, "ListSecurityEvents with a limit of exactly the count")
	if len(p.Items) != 4 || p.NextCursor != "" {
		t.Errorf("ListSecurityEvents limit 4 of 4: %d items, cursor %q; want 4, \"\"", len(p.Items), p.NextCursor)
	}

	_, err = s.ListSecurityEvents(ctx, charging.SecurityEventQuery{Limit: -1})
	wantCode(t, err, charging.EINVALID, "ListSecurityEvents with a negative limit")
	_, err = s.ListSecurityEvents(ctx, charging.SecurityEventQuery{Cursor: "not a cursor"})
	wantCode(t, err, charging.EINVALID, "ListSecurityEvents with an invalid cursor")
}

// testSecurityEventsDefaultLimit: Limit 0 means 100.
func testSecurityEventsDefaultLimit(t *testing.T, s charging.Store) {
	ctx := context.Background()
	for i := range 101 {
		must(t, s.AddSecurityEvent(ctx, charging.SecurityEvent{ChargerID: "SL-1", Source: charging.SecuritySourceJoule,
			Type: charging.SecStrangerBudget, Timestamp: at(time.Duration(i) * time.Second), ReceivedAt: at(0)}), fmt.Sprintf("AddSecurityEvent %d", i))
	}
	p, err := s.ListSecurityEvents(ctx, charging.SecurityEventQuery{ChargerID: "SL-1"})
	must(t, err, "ListSecurityEvents")
	if len(p.Items) != 100 || p.NextCursor == "" {
		t.Fatalf("ListSecurityEvents of 101 events, default limit: %d items, cursor %q; want 100 and a cursor", len(p.Items), p.NextCursor)
	}
	if !p.Items[0].Timestamp.Equal(at(100*time.Second)) || !p.Items[99].Timestamp.Equal(at(time.Second)) {
		t.Errorf("first page from %v to %v, want from %v to %v", p.Items[0].Timestamp, p.Items[99].Timestamp, at(100*time.Second), at(time.Second))
	}
	p, err = s.ListSecurityEvents(ctx, charging.SecurityEventQuery{ChargerID: "SL-1", Cursor: p.NextCursor})
	must(t, err, "ListSecurityEvents second page")
	if len(p.Items) != 1 || p.NextCursor != "" || !p.Items[0].Timestamp.Equal(at(0)) {
		t.Errorf("second page: %d items, cursor %q; want the oldest event alone", len(p.Items), p.NextCursor)
	}
}

func testJobSecurityFields(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "JS-1")

	// A GetLog job keeps its log type and request id, in every read.
	d := charging.DiagnosticsJob{ID: "JS-log", ChargerID: "JS-1", Token: "JS-tok", Location: "http://joule/upload/JS-tok",
		LogType: "SecurityLog", RequestID: 77, Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(0)}
	must(t, s.SaveDiagnosticsJob(ctx, d), "SaveDiagnosticsJob")
	d.Status = "Uploaded"
	d.History = []charging.JobStatus{{Status: "Uploaded", At: at(time.Minute)}}
	must(t, s.SaveDiagnosticsJob(ctx, d), "SaveDiagnosticsJob again")
	want := d
	want.CreatedAt = utc(d.CreatedAt)
	want.History = []charging.JobStatus{{Status: "Uploaded", At: utc(at(time.Minute))}}
	got, err := s.GetDiagnosticsJob(ctx, "JS-log")
	must(t, err, "GetDiagnosticsJob")
	checkEqual(t, "GetDiagnosticsJob of a GetLog job", got, want)
	got, err = s.GetDiagnosticsJobByToken(ctx, "JS-tok")
	must(t, err, "GetDiagnosticsJobByToken")
	checkEqual(t, "GetDiagnosticsJobByToken of a GetLog job", got, want)
	// A GetDiagnostics job has neither.
	plain := charging.DiagnosticsJob{ID: "JS-diag", ChargerID: "JS-1", Token: "JS-tok2", Location: "x",
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(time.Second)}
	must(t, s.SaveDiagnosticsJob(ctx, plain), "SaveDiagnosticsJob plain")
	ds, err := s.ListDiagnosticsJobs(ctx, "JS-1")
	must(t, err, "ListDiagnosticsJobs")
	if len(ds) != 2 {
		t.Fatalf("ListDiagnosticsJobs = %d jobs, want 2", len(ds))
	}
	checkEqual(t, "listed GetLog job", ds[1], want)
	if ds[0].LogType != "" || ds[0].RequestID != 0 {
		t.Errorf("GetDiagnostics job: LogType %q, RequestID %d; want none", ds[0].LogType, ds[0].RequestID)
	}

	// A signed firmware update keeps its signature, its install date in UTC.
	signed := charging.FirmwareJob{ID: "JS-fw", ChargerID: "JS-1",
		FirmwareUpdate: charging.FirmwareUpdate{Location: "https://x/fw.bin", RetrieveDate: at(time.Minute)},
		Signed: &charging.SignedFirmware{RequestID: 12, SigningCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
			Signature: "c2lnbmF0dXJl", InstallDate: ptr(at(time.Hour))},
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(time.Second)}
	must(t, s.SaveFirmwareJob(ctx, signed), "SaveFirmwareJob signed")
	noDate := charging.FirmwareJob{ID: "JS-fw2", ChargerID: "JS-1",
		FirmwareUpdate: charging.FirmwareUpdate{Location: "https://x/fw2.bin", RetrieveDate: at(0)},
		Signed:         &charging.SignedFirmware{RequestID: 13, SigningCertificate: "cert", Signature: "sig"},
		Status:         charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(2 * time.Second)}
	must(t, s.SaveFirmwareJob(ctx, noDate), "SaveFirmwareJob signed without install date")
	unsigned := charging.FirmwareJob{ID: "JS-fw0", ChargerID: "JS-1",
		FirmwareUpdate: charging.FirmwareUpdate{Location: "https://x/fw0.bin", RetrieveDate: at(0)},
		Status:         charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(0)}
	must(t, s.SaveFirmwareJob(ctx, unsigned), "SaveFirmwareJob unsigned")
	// Overwriting keeps what the new value says.
	signed.Status = "SignatureVerified"
	must(t, s.SaveFirmwareJob(ctx, signed), "SaveFirmwareJob signed again")

	js, err := s.ListFirmwareJobs(ctx, "JS-1")
	must(t, err, "ListFirmwareJobs")
	if len(js) != 3 {
		t.Fatalf("ListFirmwareJobs = %d jobs, want 3", len(js))
	}
	wantSigned := signed
	wantSigned.RetrieveDate, wantSigned.CreatedAt = utc(signed.RetrieveDate), utc(signed.CreatedAt)
	wantSigned.Signed = &charging.SignedFirmware{RequestID: 12, SigningCertificate: signed.Signed.SigningCertificate,
		Signature: signed.Signed.Signature, InstallDate: ptr(utc(at(time.Hour)))}
	checkEqual(t, "signed firmware job", js[1], wantSigned)
	if js[1].Signed != nil && js[1].Signed.InstallDate != nil && js[1].Signed.InstallDate.Location() != time.UTC {
		t.Errorf("install date in %v, want UTC", js[1].Signed.InstallDate.Location())
	}
	if js[0].Signed == nil || js[0].Signed.RequestID != 13 || js[0].Signed.InstallDate != nil {
		t.Errorf("signed job without install date: Signed = %+v, want request 13 and no install date", js[0].Signed)
	}
	if js[2].Signed != nil {
		t.Errorf("unsigned job: Signed = %+v, want nil", js[2].Signed)
	}

	// Unsigning on overwrite: a job saved again without Signed has none.
	noDate.Signed = nil
	must(t, s.SaveFirmwareJob(ctx, noDate), "SaveFirmwareJob without Signed")
	js, err = s.ListFirmwareJobs(ctx, "JS-1")
	must(t, err, "ListFirmwareJobs")
	if len(js) == 3 && js[0].Signed != nil {
		t.Errorf("job overwritten without Signed: Signed = %+v, want nil", js[0].Signed)
	}
}
