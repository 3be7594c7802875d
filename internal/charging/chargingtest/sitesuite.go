package chargingtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// site returns a site with every field set; its exceptional periods are
// in a non-UTC zone, to the nanosecond: a store returns them in UTC, to
// the microsecond.
func site(id, name string) charging.Site {
	cet := time.FixedZone("CET", 3600)
	return charging.Site{
		ID:   id,
		Name: name,
		Address: charging.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115",
			State: "Berlin", Country: "DEU"},
		Coordinates: &charging.Coordinates{Latitude: 52.520008, Longitude: 13.404954},
		TimeZone:    "Europe/Berlin",
		OpeningTimes: &charging.OpeningTimes{
			RegularHours: []charging.RegularHours{
				{Weekday: 1, PeriodBegin: "08:00", PeriodEnd: "12:00"},
				{Weekday: 1, PeriodBegin: "13:00", PeriodEnd: "20:00"},
			},
			ExceptionalClosings: []charging.ExceptionalPeriod{{
				PeriodBegin: time.Date(2025, 12, 24, 14, 0, 0, 123456789, cet),
				PeriodEnd:   time.Date(2025, 12, 26, 23, 59, 0, 0, cet),
			}},
		},
		Notes:     "Gate code 4711",
		CreatedAt: t0,
		UpdatedAt: t0,
	}
}

func normSite(x charging.Site) charging.Site {
	x = x.Clone()
	x.CreatedAt, x.UpdatedAt = utc(x.CreatedAt), utc(x.UpdatedAt)
	if g := x.GridSignal; g != nil { // a copy (Clone)
		g.SetAt, g.Until = utc(g.SetAt), utcPtr(g.Until)
	}
	if o := x.OpeningTimes; o != nil {
		for _, ps := range [][]charging.ExceptionalPeriod{o.ExceptionalOpenings, o.ExceptionalClosings} {
			for i := range ps {
				ps[i].PeriodBegin, ps[i].PeriodEnd = utc(ps[i].PeriodBegin), utc(ps[i].PeriodEnd)
			}
		}
	}
	return x
}

func testSiteCreateGetSave(t *testing.T, s charging.Store) {
	ctx := context.Background()
	full := site("S-1", "Depot")
	must(t, s.CreateSite(ctx, full), "CreateSite")
	got, err := s.GetSite(ctx, "S-1")
	must(t, err, "GetSite")
	checkEqual(t, "GetSite", got, normSite(full))
	if !got.OpeningTimes.ExceptionalClosings[0].PeriodBegin.Equal(utc(full.OpeningTimes.ExceptionalClosings[0].PeriodBegin)) ||
		got.OpeningTimes.ExceptionalClosings[0].PeriodBegin.Location() != time.UTC {
		t.Errorf("exceptional closing begins %v, want %v in UTC", got.OpeningTimes.ExceptionalClosings[0].PeriodBegin, full.OpeningTimes.ExceptionalClosings[0].PeriodBegin)
	}

	// What is unknown stays unknown: no coordinates, no opening times.
	bare := charging.Site{ID: "S-2", Name: "Street", CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateSite(ctx, bare), "CreateSite bare")
	got, err = s.GetSite(ctx, "S-2")
	must(t, err, "GetSite bare")
	checkEqual(t, "GetSite bare", got, normSite(bare))

	wantCode(t, s.CreateSite(ctx, site("S-1", "Again")), charging.ECONFLICT, "CreateSite of an existing id")
	got, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite after a refused CreateSite")
	if got.Name != "Depot" {
		t.Errorf("site S-1 is named %q after a refused CreateSite, want Depot", got.Name)
	}
	_, err = s.GetSite(ctx, "S-nope")
	wantCode(t, err, charging.ENOTFOUND, "GetSite of a missing site")

	// SaveSite overwrites every field but CreatedAt, and clears what is nil.
	upd := full.Clone()
	upd.Name, upd.Address.City, upd.Notes = "Depot North", "Potsdam", ""
	upd.Coordinates, upd.OpeningTimes = nil, &charging.OpeningTimes{TwentyFourSeven: true}
	upd.CreatedAt, upd.UpdatedAt = at(time.Hour), at(2*time.Hour) // CreatedAt is ignored
	must(t, s.SaveSite(ctx, upd), "SaveSite")
	got, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite after SaveSite")
	want := upd
	want.CreatedAt = t0
	checkEqual(t, "GetSite after SaveSite", got, normSite(want))

	wantCode(t, s.SaveSite(ctx, site("S-nope", "Nowhere")), charging.ENOTFOUND, "SaveSite of a missing site")
	_, err = s.GetSite(ctx, "S-nope")
	wantCode(t, err, charging.ENOTFOUND, "GetSite after SaveSite of a missing site")
}

func testListSites(t *testing.T, s charging.Store) {
	ctx := context.Background()
	page, err := s.ListSites(ctx, charging.SiteQuery{})
	must(t, err, "ListSites on an empty store")
	if len(page.Items) != 0 || page.NextCursor != "" {
		t.Errorf("ListSites on an empty store = %d items, cursor %q; want none", len(page.Items), page.NextCursor)
	}
	// Ordered by name in byte order, then id: "B" < "a", and the two "Depot"s by id.
	for _, x := range []struct{ id, name string }{{"S-3", "Depot"}, {"S-1", "car park"}, {"S-5", "Airport"}, {"S-2", "Depot"}, {"S-4", "Bay"}} {
		must(t, s.CreateSite(ctx, site(x.id, x.name)), "CreateSite "+x.id)
	}
	want := []string{"S-5", "S-4", "S-2", "S-3", "S-1"}
	page, err = s.ListSites(ctx, charging.SiteQuery{})
	must(t, err, "ListSites")
	var ids []string
	for _, x := range page.Items {
		ids = append(ids, x.ID)
	}
	checkEqual(t, "ListSites ids", ids, want)
	if page.NextCursor != "" {
		t.Errorf("ListSites with the default limit: NextCursor = %q, want \"\"", page.NextCursor)
	}
	checkEqual(t, "ListSites first item", page.Items[0], normSite(site("S-5", "Airport")))

	for _, limit := range []int{1, 2, 4, 5} {
		var ids []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: more than 10 pages", limit)
			}
			page, err := s.ListSites(ctx, charging.SiteQuery{Limit: limit, Cursor: cursor})
			must(t, err, "ListSites page")
			if len(page.Items) > limit {
				t.Fatalf("limit %d: page of %d items", limit, len(page.Items))
			}
			for _, x := range page.Items {
				ids = append(ids, x.ID)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		checkEqual(t, fmt.Sprintf("ids over pages of %d", limit), ids, want)
	}
	_, err = s.ListSites(ctx, charging.SiteQuery{Cursor: "not a cursor"})
	wantCode(t, err, charging.EINVALID, "ListSites with a bad cursor")
}

func testDeleteSite(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateSite(ctx, site("S-1", "Depot")), "CreateSite")
	saveChargers(t, s, "CP-1", "CP-2")
	for _, id := range []string{"CP-1", "CP-2"} {
		must(t, s.SaveChargerDetails(ctx, id, charging.ChargerDetails{SiteID: "S-1"}), "SaveChargerDetails "+id)
	}
	err := s.DeleteSite(ctx, "S-1")
	wantCode(t, err, charging.ECONFLICT, "DeleteSite with chargers")
	if !strings.Contains(charging.ErrorMessage(err), "2 chargers") {
		t.Errorf("DeleteSite with chargers: message %q, want it to say 2 chargers", charging.ErrorMessage(err))
	}
	_, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite after a refused DeleteSite")

	// A deleted charger is not at the site any more.
	must(t, s.DeleteCharger(ctx, "CP-1"), "DeleteCharger")
	err = s.DeleteSite(ctx, "S-1")
	if !strings.Contains(charging.ErrorMessage(err), "1 charger") {
		t.Errorf("DeleteSite with one charger: message %q, want it to say 1 charger", charging.ErrorMessage(err))
	}
	must(t, s.SaveChargerDetails(ctx, "CP-2", charging.ChargerDetails{}), "SaveChargerDetails without a site")
	must(t, s.DeleteSite(ctx, "S-1"), "DeleteSite")
	_, err = s.GetSite(ctx, "S-1")
	wantCode(t, err, charging.ENOTFOUND, "GetSite after DeleteSite")
	wantCode(t, s.DeleteSite(ctx, "S-1"), charging.ENOTFOUND, "DeleteSite twice")
}

func testChargerDetails(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateSite(ctx, site("S-1", "Depot")), "CreateSite")
	must(t, s.CreateSite(ctx, site("S-2", "Street")), "CreateSite")
	c := charger("CP-1")
	must(t, s.SaveCharger(ctx, c), "SaveCharger")

	must(t, s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{Name: "Bay 1", SiteID: "S-1"}), "SaveChargerDetails")
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	want := c
	want.Name, want.SiteID = "Bay 1", "S-1"
	checkEqual(t, "GetCharger after SaveChargerDetails", normCharger(got), normCharger(want))

	// SaveCharger (a boot, a status) never overwrites them.
	c.FirmwareVersion = "2.0.0"
	c.Name, c.SiteID = "", ""
	must(t, s.SaveCharger(ctx, c), "SaveCharger again")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger after SaveCharger")
	want.FirmwareVersion = "2.0.0"
	checkEqual(t, "GetCharger after SaveCharger", normCharger(got), normCharger(want))

	// An unknown site or charger changes nothing.
	err = s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{Name: "Bay 9", SiteID: "S-nope"})
	wantCode(t, err, charging.ENOTFOUND, "SaveChargerDetails with an unknown site")
	if !strings.Contains(charging.ErrorMessage(err), "S-nope") {
		t.Errorf("SaveChargerDetails with an unknown site: message %q, want it to name S-nope", charging.ErrorMessage(err))
	}
	wantCode(t, s.SaveChargerDetails(ctx, "CP-nope", charging.ChargerDetails{SiteID: "S-1"}), charging.ENOTFOUND, "SaveChargerDetails of an unknown charger")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger after refused SaveChargerDetails")
	checkEqual(t, "GetCharger after refused SaveChargerDetails", normCharger(got), normCharger(want))

	// Cleared.
	must(t, s.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{}), "SaveChargerDetails clearing")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger after clearing")
	if got.Name != "" || got.SiteID != "" {
		t.Errorf("after clearing: name %q, site %q; want both empty", got.Name, got.SiteID)
	}

	// A new charger is inserted with its details; one at an unknown site is not inserted.
	c2 := charger("CP-2")
	c2.Name, c2.SiteID = "Bay 2", "S-2"
	must(t, s.SaveCharger(ctx, c2), "SaveCharger with details")
	got, err = s.GetCharger(ctx, "CP-2")
	must(t, err, "GetCharger CP-2")
	checkEqual(t, "GetCharger CP-2", normCharger(got), normCharger(c2))
	c3 := charger("CP-3")
	c3.SiteID = "S-nope"
	wantCode(t, s.SaveCharger(ctx, c3), charging.ENOTFOUND, "SaveCharger at an unknown site")
	_, err = s.GetCharger(ctx, "CP-3")
	wantCode(t, err, charging.ENOTFOUND, "GetCharger of a charger refused for its site")

	// Inside a unit of work, and undone with it.
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.SaveChargerDetails(ctx, "CP-2", charging.ChargerDetails{Name: "Renamed", SiteID: "S-1"}); err != nil {
			return err
		}
		got, err := tx.GetCharger(ctx, "CP-2")
		if err != nil {
			return err
		}
		if got.Name != "Renamed" || got.SiteID != "S-1" {
			t.Errorf("in the unit: name %q, site %q; want its own write (Renamed, S-1)", got.Name, got.SiteID)
		}
		return errUnit
	})
	if err != errUnit {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	got, err = s.GetCharger(ctx, "CP-2")
	must(t, err, "GetCharger after a rolled back unit")
	if got.Name != "Bay 2" || got.SiteID != "S-2" {
		t.Errorf("after a rolled back unit: name %q, site %q; want Bay 2, S-2", got.Name, got.SiteID)
	}
}

func testListChargersBySite(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateSite(ctx, site("S-1", "Depot")), "CreateSite")
	must(t, s.CreateSite(ctx, site("S-2", "Street")), "CreateSite")
	saveChargers(t, s, "CP-1", "CP-2", "CP-3", "CP-4", "CP-5")
	for id, siteID := range map[string]string{"CP-1": "S-1", "CP-2": "S-2", "CP-3": "S-1", "CP-5": "S-1"} {
		must(t, s.SaveChargerDetails(ctx, id, charging.ChargerDetails{SiteID: siteID}), "SaveChargerDetails "+id)
	}
	must(t, s.SaveConnector(ctx, "CP-3", connector(1, charging.StatusAvailable)), "SaveConnector")
	for _, limit := range []int{0, 1, 2} {
		var ids []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: more than 10 pages", limit)
			}
			page, err := s.ListChargers(ctx, charging.ChargerQuery{SiteID: "S-1", Limit: limit, Cursor: cursor})
			must(t, err, "ListChargers by site")
			for _, c := range page.Items {
				ids = append(ids, c.ID)
				if c.SiteID != "S-1" {
					t.Errorf("charger %s is at %q, want S-1", c.ID, c.SiteID)
				}
				if c.ID == "CP-3" && len(c.Connectors) != 1 {
					t.Errorf("charger CP-3 has %d connectors, want 1", len(c.Connectors))
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		checkEqual(t, fmt.Sprintf("chargers at S-1 over pages of %d", limit), ids, []string{"CP-1", "CP-3", "CP-5"})
	}
	page, err := s.ListChargers(ctx, charging.ChargerQuery{SiteID: "S-nope"})
	must(t, err, "ListChargers at an unknown site")
	if len(page.Items) != 0 {
		t.Errorf("ListChargers at an unknown site = %d chargers, want none", len(page.Items))
	}
}

func testConnectorSpecs(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1", "CP-2")

	// The charger's report alone: its values are the effective ones, and
	// the plug implies what it does not say (a CCS2 cable is DC).
	k := charging.Connector{ConnectorID: 1, Status: charging.StatusAvailable, EVSEID: "DE*JOU*E0001*1",
		Reported: charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, MaxPowerW: 150000}, UpdatedAt: t0}
	must(t, s.SaveConnector(ctx, "CP-1", k), "SaveConnector")
	got, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	g := got.Connectors[0]
	if g.ConnectorType != charging.ConnectorCCS2 || g.Type != "CCS2" || g.Format != charging.FormatCable || g.PowerType != charging.PowerDC || g.MaxPowerW != 150000 {
		t.Errorf("connector = %s; want the reported CCS2 150 kW, implied CABLE and DC, type CCS2", show(g))
	}

	// A status keeps the EVSE id and both specs.
	st, err := s.SaveConnectorStatus(ctx, "CP-1", charging.Connector{ConnectorID: 1, Status: charging.StatusCharging, ErrorCode: "NoError", UpdatedAt: at(time.Minute)})
	must(t, err, "SaveConnectorStatus")
	want := k
	want.Status, want.ErrorCode, want.UpdatedAt = charging.StatusCharging, "NoError", at(time.Minute)
	want.Resolve()
	checkEqual(t, "SaveConnectorStatus's connector", normCharger(charging.Charger{Connectors: []charging.Connector{st}}).Connectors[0],
		normCharger(charging.Charger{Connectors: []charging.Connector{want}}).Connectors[0])

	// The operator's values win, field by field.
	k = want
	k.Operator = charging.ConnectorSpec{MaxPowerW: 120000}
	k.Resolve()
	must(t, s.SaveConnector(ctx, "CP-1", k), "SaveConnector with the operator's power")
	got, err = s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	if g := got.Connectors[0]; g.MaxPowerW != 120000 || g.Reported.MaxPowerW != 150000 || g.ConnectorType != charging.ConnectorCCS2 {
		t.Errorf("connector = %s; want the operator's 120 kW over the reported 150 kW, the reported CCS2", show(g))
	}

	// An EVSE id is one connector's.
	dup := connector(1, charging.StatusAvailable)
	dup.EVSEID = "DE*JOU*E0001*1"
	err = s.SaveConnector(ctx, "CP-2", dup)
	wantCode(t, err, charging.ECONFLICT, "SaveConnector with another connector's EVSE id")
	if !strings.Contains(charging.ErrorMessage(err), "DE*JOU*E0001*1") {
		t.Errorf("EVSE id conflict: message %q, want it to name the EVSE id", charging.ErrorMessage(err))
	}
	got, err = s.GetCharger(ctx, "CP-2")
	must(t, err, "GetCharger CP-2")
	if len(got.Connectors) != 0 {
		t.Errorf("CP-2 has %d connectors after a refused SaveConnector, want none", len(got.Connectors))
	}
	// Empty EVSE ids do not clash.
	must(t, s.SaveConnector(ctx, "CP-2", connector(1, charging.StatusAvailable)), "SaveConnector without an EVSE id")
	must(t, s.SaveConnector(ctx, "CP-2", connector(2, charging.StatusAvailable)), "SaveConnector without an EVSE id")
	// A deleted charger's EVSE ids are free again.
	must(t, s.DeleteCharger(ctx, "CP-1"), "DeleteCharger")
	must(t, s.SaveConnector(ctx, "CP-2", dup), "SaveConnector with a deleted charger's EVSE id")
}
