package chargingtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// fullTariff returns a tariff with every field set; its times are in a
// non-UTC zone, to the nanosecond: a store returns them in UTC, to the
// microsecond.
func fullTariff(id string) charging.Tariff {
	cet := time.FixedZone("CET", 3600)
	return charging.Tariff{
		ID:            id,
		Name:          "Standard " + id,
		Currency:      "EUR",
		Type:          "REGULAR",
		TariffAltText: []charging.DisplayText{{Language: "en", Text: "0.30 EUR/kWh"}, {Language: "de", Text: "0,30 EUR/kWh"}},
		TariffAltURL:  "https://example.com/tariffs/" + id,
		MinPrice:      &charging.Price{ExclVat: "0.50", InclVat: "0.595"},
		MaxPrice:      &charging.Price{ExclVat: "50.00"},
		Elements: []charging.TariffElement{
			{
				PriceComponents: []charging.PriceComponent{
					{Type: charging.DimensionEnergy, Price: "0.300", VAT: "19", StepSize: 1},
					{Type: charging.DimensionFlat, Price: "1.00", StepSize: 1},
				},
				Restrictions: &charging.TariffRestrictions{
					StartTime: "08:00", EndTime: "20:00", StartDate: "2025-01-01", EndDate: "2026-01-01",
					MinKWh: ptr(0.5), MaxKWh: ptr(80.25), MinCurrent: ptr(6.0), MaxCurrent: ptr(32.0),
					MinPower: ptr(0.0), MaxPower: ptr(22.0), MinDuration: ptr(60), MaxDuration: ptr(7200),
					DayOfWeek: []string{"MONDAY", "FRIDAY"}, Reservation: "RESERVATION",
				},
			},
			{PriceComponents: []charging.PriceComponent{{Type: charging.DimensionParkingTime, Price: "0.000000000001", StepSize: 900}}},
		},
		StartDateTime: ptr(time.Date(2025, 1, 1, 0, 0, 0, 123456789, cet)),
		EndDateTime:   ptr(time.Date(2026, 1, 1, 0, 0, 0, 0, cet)),
		CreatedAt:     t0,
		UpdatedAt:     t0,
	}
}

// bareTariff has the fields a tariff needs only.
func bareTariff(id string) charging.Tariff {
	return charging.Tariff{ID: id, Currency: "EUR", CreatedAt: t0, UpdatedAt: t0,
		Elements: []charging.TariffElement{{PriceComponents: []charging.PriceComponent{{Type: charging.DimensionEnergy, Price: "0.30", StepSize: 1}}}}}
}

func normTariff(x charging.Tariff) charging.Tariff {
	x.CreatedAt, x.UpdatedAt = utc(x.CreatedAt), utc(x.UpdatedAt)
	x.StartDateTime, x.EndDateTime = utcPtr(x.StartDateTime), utcPtr(x.EndDateTime)
	return x
}

func testTariffCreateGetSave(t *testing.T, s charging.Store) {
	ctx := context.Background()
	full := fullTariff("T-1")
	must(t, s.CreateTariff(ctx, full), "CreateTariff")
	got, err := s.GetTariff(ctx, "T-1")
	must(t, err, "GetTariff")
	checkEqual(t, "GetTariff", got, normTariff(full))
	if got.StartDateTime.Location() != time.UTC || got.CreatedAt.Location() != time.UTC {
		t.Errorf("times in %v and %v, want UTC", got.StartDateTime.Location(), got.CreatedAt.Location())
	}
	// Prices read back as written: "0.300" stays "0.300".
	if p := got.Elements[0].PriceComponents[0].Price; p != "0.300" {
		t.Errorf("energy price = %q, want \"0.300\" as written", p)
	}

	bare := bareTariff("T-2")
	must(t, s.CreateTariff(ctx, bare), "CreateTariff bare")
	got, err = s.GetTariff(ctx, "T-2")
	must(t, err, "GetTariff bare")
	checkEqual(t, "GetTariff bare", got, normTariff(bare))

	again := bareTariff("T-1")
	again.Currency = "USD"
	wantCode(t, s.CreateTariff(ctx, again), charging.ECONFLICT, "CreateTariff of an existing id")
	got, err = s.GetTariff(ctx, "T-1")
	must(t, err, "GetTariff after a refused CreateTariff")
	checkEqual(t, "GetTariff after a refused CreateTariff", got, normTariff(full))
	_, err = s.GetTariff(ctx, "T-nope")
	wantCode(t, err, charging.ENOTFOUND, "GetTariff of a missing tariff")

	// SaveTariff replaces all but the id and CreatedAt.
	changed := bareTariff("T-1")
	changed.Currency = "CHF"
	changed.Name = "Swiss"
	changed.CreatedAt = at(time.Hour) // ignored
	changed.UpdatedAt = at(2 * time.Hour)
	must(t, s.SaveTariff(ctx, changed), "SaveTariff")
	got, err = s.GetTariff(ctx, "T-1")
	must(t, err, "GetTariff after SaveTariff")
	want := changed
	want.CreatedAt = t0
	checkEqual(t, "GetTariff after SaveTariff", got, normTariff(want))

	wantCode(t, s.SaveTariff(ctx, bareTariff("T-nope")), charging.ENOTFOUND, "SaveTariff of a missing tariff")
	_, err = s.GetTariff(ctx, "T-nope")
	wantCode(t, err, charging.ENOTFOUND, "GetTariff after SaveTariff of a missing tariff")
}

func testListTariffs(t *testing.T, s charging.Store) {
	ctx := context.Background()
	p, err := s.ListTariffs(ctx, charging.TariffQuery{})
	must(t, err, "ListTariffs of none")
	if p.Items == nil || len(p.Items) != 0 || p.NextCursor != "" {
		t.Errorf("ListTariffs of none = %+v, want an empty, non-nil page", p)
	}
	// Byte order: upper case before lower case, '-' before digits.
	for _, id := range []string{"b", "A", "a-1", "a", "a.2"} {
		must(t, s.CreateTariff(ctx, bareTariff(id)), "CreateTariff "+id)
	}
	var ids []string
	cursor := ""
	pages := 0
	for {
		p, err := s.ListTariffs(ctx, charging.TariffQuery{Cursor: cursor, Limit: 2})
		must(t, err, "ListTariffs")
		pages++
		for _, x := range p.Items {
			ids = append(ids, x.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if got, want := strings.Join(ids, " "), "A a a-1 a.2 b"; got != want || pages != 3 {
		t.Errorf("ListTariffs by 2 = %q in %d pages, want %q in 3", got, pages, want)
	}
	_, err = s.ListTariffs(ctx, charging.TariffQuery{Cursor: "not a cursor"})
	wantCode(t, err, charging.EINVALID, "ListTariffs with an invalid cursor")
	_, err = s.ListTariffs(ctx, charging.TariffQuery{Limit: -1})
	wantCode(t, err, charging.EINVALID, "ListTariffs with a negative limit")
}

func testTariffAssignments(t *testing.T, s charging.Store) {
	ctx := context.Background()
	for _, id := range []string{"T-site", "T-charger", "T-connector", "T-members"} {
		must(t, s.CreateTariff(ctx, bareTariff(id)), "CreateTariff "+id)
	}
	members := map[string]string{"members": "T-members", "fleet": "T-site"}

	// A site: created with an assignment, saved with another, cleared.
	x := site("S-1", "Depot")
	x.TariffID, x.GroupTariffs = "T-site", members
	must(t, s.CreateSite(ctx, x), "CreateSite")
	gotSite, err := s.GetSite(ctx, "S-1")
	must(t, err, "GetSite")
	checkEqual(t, "GetSite with tariffs", gotSite, normSite(x))
	x.TariffID, x.GroupTariffs = "", nil
	must(t, s.SaveSite(ctx, x), "SaveSite clearing tariffs")
	gotSite, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite")
	checkEqual(t, "GetSite with tariffs cleared", gotSite, normSite(x))
	x.GroupTariffs = map[string]string{} // empty is none
	must(t, s.SaveSite(ctx, x), "SaveSite with an empty map")
	gotSite, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite")
	if gotSite.GroupTariffs != nil {
		t.Errorf("site saved with an empty map: GroupTariffs = %v, want nil", gotSite.GroupTariffs)
	}

	// A charger: SaveCharger writes them when it inserts, never when it
	// updates; SaveChargerDetails writes them.
	c := charger("CP-1")
	c.TariffID, c.GroupTariffs = "T-charger", map[string]string{"members": "T-members"}
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "GetCharger after inserting with tariffs", normCharger(got), normCharger(c))
	c2 := c
	c2.TariffID, c2.GroupTariffs = "", nil
	must(t, s.SaveCharger(ctx, c2), "SaveCharger updating")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "GetCharger after SaveCharger (tariffs kept)", normCharger(got), normCharger(c))
	must(t, s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{Name: "Bay 1", SiteID: "S-1", TariffID: "T-site", GroupTariffs: members}),
		"SaveChargerDetails")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want := c
	want.Name, want.SiteID, want.TariffID, want.GroupTariffs = "Bay 1", "S-1", "T-site", members
	checkEqual(t, "GetCharger after SaveChargerDetails", normCharger(got), normCharger(want))

	// A connector: SaveConnector writes them, SaveConnectorStatus keeps
	// them, GetCharger and ListChargers return them.
	k := connector(1, charging.StatusAvailable)
	k.TariffID, k.GroupTariffs = "T-connector", map[string]string{"members": "T-members"}
	must(t, s.SaveConnector(ctx, "CP-1", k), "SaveConnector")
	st, err := s.SaveConnectorStatus(ctx, "CP-1", charging.Connector{ConnectorID: 1, Status: charging.StatusCharging, ErrorCode: "NoError", UpdatedAt: at(time.Hour)})
	must(t, err, "SaveConnectorStatus")
	if st.TariffID != "T-connector" || st.GroupTariffs["members"] != "T-members" || len(st.GroupTariffs) != 1 {
		t.Errorf("SaveConnectorStatus returned tariff %q, groups %v; want T-connector, members → T-members", st.TariffID, st.GroupTariffs)
	}
	k2 := connector(2, charging.StatusAvailable) // none assigned
	must(t, s.SaveConnector(ctx, "CP-1", k2), "SaveConnector 2")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	if len(got.Connectors) != 2 {
		t.Fatalf("GetCharger: %d connectors, want 2", len(got.Connectors))
	}
	checkEqual(t, "connector 1's tariffs", [2]any{got.Connectors[0].TariffID, got.Connectors[0].GroupTariffs},
		[2]any{"T-connector", map[string]string{"members": "T-members"}})
	checkEqual(t, "connector 2's tariffs", [2]any{got.Connectors[1].TariffID, got.Connectors[1].GroupTariffs},
		[2]any{"", map[string]string(nil)})
	p, err := s.ListChargers(ctx, charging.ChargerQuery{})
	must(t, err, "ListChargers")
	if len(p.Items) != 1 || len(p.Items[0].Connectors) != 2 {
		t.Fatalf("ListChargers = %+v, want CP-1 with 2 connectors", p.Items)
	}
	checkEqual(t, "ListChargers' charger", normCharger(p.Items[0]), normCharger(got))
}

func testDeleteTariffInUse(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateTariff(ctx, bareTariff("T-1")), "CreateTariff")
	must(t, s.CreateTariff(ctx, bareTariff("T-other")), "CreateTariff")
	x := site("S-1", "Depot")
	must(t, s.CreateSite(ctx, x), "CreateSite")
	c := charger("CP-1")
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	k := connector(2, charging.StatusAvailable)
	must(t, s.SaveConnector(ctx, "CP-1", k), "SaveConnector")

	other := map[string]string{"fleet": "T-other"}
	for _, tc := range []struct {
		name          string
		assign, clear func() error
		where         string
	}{
		{"site", func() error {
			y := x
			y.TariffID = "T-1"
			return s.SaveSite(ctx, y)
		}, func() error { return s.SaveSite(ctx, x) }, "site S-1"},
		{"site group", func() error {
			y := x
			y.GroupTariffs = map[string]string{"fleet": "T-other", "members": "T-1"}
			return s.SaveSite(ctx, y)
		}, func() error { return s.SaveSite(ctx, x) }, "driver group members of site S-1"},
		{"charger", func() error {
			return s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{TariffID: "T-1", GroupTariffs: other})
		}, func() error { return s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{}) }, "charger CP-1"},
		{"charger group", func() error {
			return s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{TariffID: "T-other", GroupTariffs: map[string]string{"members": "T-1"}})
		}, func() error { return s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{}) }, "driver group members of charger CP-1"},
		{"connector", func() error {
			y := k
			y.TariffID = "T-1"
			return s.SaveConnector(ctx, "CP-1", y)
		}, func() error { return s.SaveConnector(ctx, "CP-1", k) }, "connector 2 of charger CP-1"},
		{"connector group", func() error {
			y := k
			y.GroupTariffs = map[string]string{"members": "T-1"}
			return s.SaveConnector(ctx, "CP-1", y)
		}, func() error { return s.SaveConnector(ctx, "CP-1", k) }, "driver group members of connector 2 of charger CP-1"},
	} {
		must(t, tc.assign(), "assign at "+tc.name)
		err := s.DeleteTariff(ctx, "T-1")
		wantCode(t, err, charging.ECONFLICT, "DeleteTariff assigned at "+tc.name)
		if msg := charging.ErrorMessage(err); !strings.Contains(msg, "tariff T-1 is assigned to "+tc.where+" ") {
			t.Errorf("DeleteTariff assigned at %s: message %q, want it to say \"tariff T-1 is assigned to %s\"", tc.name, msg, tc.where)
		}
		_, err = s.GetTariff(ctx, "T-1")
		must(t, err, "GetTariff after a refused DeleteTariff at "+tc.name)
		must(t, tc.clear(), "clear at "+tc.name)
	}

	// A tariff named by another's override only is not in use.
	must(t, s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{GroupTariffs: other}), "assign T-other")
	must(t, s.DeleteTariff(ctx, "T-1"), "DeleteTariff assigned nowhere")
	_, err := s.GetTariff(ctx, "T-1")
	wantCode(t, err, charging.ENOTFOUND, "GetTariff after DeleteTariff")
	wantCode(t, s.DeleteTariff(ctx, "T-1"), charging.ENOTFOUND, "DeleteTariff of a deleted tariff")
	wantCode(t, s.DeleteTariff(ctx, "T-other"), charging.ECONFLICT, "DeleteTariff of T-other")
}

func testDeleteTariffInUnit(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateTariff(ctx, bareTariff("T-1")), "CreateTariff")
	x := site("S-1", "Depot")
	must(t, s.CreateSite(ctx, x), "CreateSite")

	// A unit sees its own assignment; the refused delete leaves the unit
	// usable, and nothing of a failed unit stays.
	errStop := fmt.Errorf("stop")
	err := s.Update(ctx, func(tx charging.Tx) error {
		y := x
		y.TariffID = "T-1"
		if err := tx.SaveSite(ctx, y); err != nil {
			return err
		}
		wantCode(t, tx.DeleteTariff(ctx, "T-1"), charging.ECONFLICT, "DeleteTariff in the unit that assigned it")
		if _, err := tx.GetTariff(ctx, "T-1"); err != nil {
			return err
		}
		return errStop
	})
	if err != errStop {
		t.Fatalf("Update = %v, want the unit's own error", err)
	}
	got, err := s.GetSite(ctx, "S-1")
	must(t, err, "GetSite")
	if got.TariffID != "" {
		t.Errorf("site's tariff after a failed unit = %q, want none", got.TariffID)
	}
	must(t, s.Update(ctx, func(tx charging.Tx) error { return tx.DeleteTariff(ctx, "T-1") }), "DeleteTariff in a unit")
	_, err = s.GetTariff(ctx, "T-1")
	wantCode(t, err, charging.ENOTFOUND, "GetTariff after DeleteTariff in a unit")
}

func testUserDriverGroup(t *testing.T, s charging.Store) {
	ctx := context.Background()
	u := user("u-1", charging.RoleDriver)
	u.DriverGroup = "fleet-a"
	must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser")
	got, err := s.GetUser(ctx, "u-1")
	must(t, err, "GetUser")
	checkEqual(t, "GetUser", got, normUser(u))
	u.DriverGroup = ""
	must(t, s.UpdateUser(ctx, u, false, nil), "UpdateUser clearing the group")
	got, err = s.GetUser(ctx, "u-1")
	must(t, err, "GetUser")
	checkEqual(t, "GetUser after clearing", got, normUser(u))
	p, err := s.ListUsers(ctx, charging.UserQuery{})
	must(t, err, "ListUsers")
	if len(p.Items) != 1 || p.Items[0].DriverGroup != "" {
		t.Errorf("ListUsers = %+v, want u-1 without a group", p.Items)
	}
}
