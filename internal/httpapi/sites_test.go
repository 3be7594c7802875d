package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

const fullSite = `{"name":"Depot North","address":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"deu"},
	"coordinates":{"latitude":52.520008,"longitude":13.404954},"timeZone":"Europe/Berlin",
	"openingTimes":{"twentyfourseven":false,"regularHours":[{"weekday":1,"periodBegin":"08:00","periodEnd":"20:00"}],
		"exceptionalClosings":[{"periodBegin":"2026-12-24T14:00:00+01:00","periodEnd":"2026-12-26T23:59:00+01:00"}]},
	"notes":"Gate code 4711"}`

// createSite POSTs a site and returns it.
func (e *testEnv) createSite(t *testing.T, body string) charging.Site {
	t.Helper()
	res := e.do(t, "POST", "/api/v1/sites", body)
	var x charging.Site
	want(t, res, http.StatusCreated, &x)
	if loc := res.Header.Get("Location"); loc != "/api/v1/sites/"+x.ID || x.ID == "" {
		t.Errorf("Location = %q for site %q, want /api/v1/sites/<id>", loc, x.ID)
	}
	return x
}

func TestSitesCRUD(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	x := e.createSite(t, fullSite)
	if x.Name != "Depot North" || x.Address.Country != "DEU" || x.Address.City != "Berlin" || x.Coordinates == nil ||
		x.Coordinates.Latitude != 52.520008 || x.TimeZone != "Europe/Berlin" || x.Notes != "Gate code 4711" ||
		x.OpeningTimes == nil || len(x.OpeningTimes.RegularHours) != 1 || len(x.OpeningTimes.ExceptionalClosings) != 1 ||
		x.OpeningTimes.ExceptionalClosings[0].PeriodBegin.String() != "2026-12-24 13:00:00 +0000 UTC" || x.CreatedAt.IsZero() {
		t.Fatalf("created site = %+v, want the body's values (country upper case, times in UTC) and times", x)
	}
	// patch PATCHes the site and returns it, decoded afresh.
	patch := func(body string) charging.Site {
		t.Helper()
		var got charging.Site
		want(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, body), http.StatusOK, &got)
		return got
	}
	var got charging.Site
	want(t, e.do(t, "GET", "/api/v1/sites/"+x.ID, ""), http.StatusOK, &got)
	if got.ID != x.ID || got.Name != x.Name || got.Notes != x.Notes {
		t.Errorf("GET = %+v, want %+v", got, x)
	}

	// Merge patch: a nested member changes alone, null clears, the rest stays.
	got = patch(`{"address":{"city":"Potsdam","postalCode":null},"coordinates":null,"notes":null}`)
	if got.Address.City != "Potsdam" || got.Address.Street != "Hauptstraße 1" || got.Address.PostalCode != "" || got.Address.Country != "DEU" ||
		got.Coordinates != nil || got.Notes != "" || got.Name != "Depot North" || got.OpeningTimes == nil || !got.CreatedAt.Equal(x.CreatedAt) {
		t.Errorf("after PATCH = %+v; want city Potsdam, no postal code, coordinates or notes, the rest kept", got)
	}
	// Half of the coordinates merges with nothing: both are needed.
	p := wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, `{"coordinates":{"latitude":48.1}}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, "coordinates.longitude") {
		t.Errorf("detail %q, want it to name coordinates.longitude", p.Detail)
	}
	got = patch(`{"coordinates":{"latitude":48.1,"longitude":11.5}}`)
	got = patch(`{"coordinates":{"longitude":11.6}}`)
	if c := got.Coordinates; c == nil || c.Latitude != 48.1 || c.Longitude != 11.6 {
		t.Errorf("coordinates = %+v, want 48.1, 11.6 (longitude merged)", c)
	}
	// Opening times merge too: twentyfourseven with the stored regular hours is refused.
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, `{"openingTimes":{"twentyfourseven":true}}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, "openingTimes.regularHours") {
		t.Errorf("detail %q, want it to name openingTimes.regularHours", p.Detail)
	}
	got = patch(`{"openingTimes":{"twentyfourseven":true,"regularHours":null,"exceptionalClosings":null}}`)
	if o := got.OpeningTimes; o == nil || !o.TwentyFourSeven || len(o.RegularHours) != 0 || len(o.ExceptionalClosings) != 0 {
		t.Errorf("opening times = %+v, want 24/7 only", o)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, `{"name":null}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, "name") {
		t.Errorf("detail %q, want it to name name", p.Detail)
	}
	got = patch(`{}`)
	if got.Name != "Depot North" {
		t.Errorf("after an empty PATCH the name is %q, want it kept", got.Name)
	}
	wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/nope", `{"name":"X"}`), http.StatusNotFound, charging.ENOTFOUND)

	res := e.do(t, "DELETE", "/api/v1/sites/"+x.ID, "")
	want(t, res, http.StatusNoContent, nil)
	wantProblem(t, e.do(t, "GET", "/api/v1/sites/"+x.ID, ""), http.StatusNotFound, charging.ENOTFOUND)
	wantProblem(t, e.do(t, "DELETE", "/api/v1/sites/"+x.ID, ""), http.StatusNotFound, charging.ENOTFOUND)
}

func TestSiteValidation(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	x := e.createSite(t, `{"name":"Depot"}`)
	for _, tc := range []struct {
		name, body, field string
	}{
		{"no name", `{"address":{"city":"Berlin"}}`, "name is required"},
		{"blank name", `{"name":"  "}`, "name is required"},
		{"long name", `{"name":"` + strings.Repeat("n", 256) + `"}`, "name"},
		{"name a number", `{"name":5}`, `"name"`},
		{"unknown member", `{"name":"X","colour":"red"}`, `"colour"`},
		{"unknown address member", `{"name":"X","address":{"zip":"1"}}`, `"zip"`},
		{"id given", `{"name":"X","id":"mine"}`, "id"},
		{"createdAt given", `{"name":"X","createdAt":"2026-01-01T00:00:00Z"}`, "createdAt"},
		{"street a number", `{"name":"X","address":{"street":1}}`, "address.street"},
		{"long street", `{"name":"X","address":{"street":"` + strings.Repeat("s", 46) + `"}}`, "address.street"},
		{"long postal code", `{"name":"X","address":{"postalCode":"12345678901"}}`, "address.postalCode"},
		{"alpha-2 country", `{"name":"X","address":{"country":"DE"}}`, "address.country"},
		{"unknown country", `{"name":"X","address":{"country":"XXX"}}`, "address.country"},
		{"latitude 91", `{"name":"X","coordinates":{"latitude":91,"longitude":0}}`, "coordinates.latitude"},
		{"longitude -181", `{"name":"X","coordinates":{"latitude":0,"longitude":-181}}`, "coordinates.longitude"},
		{"no longitude", `{"name":"X","coordinates":{"latitude":0}}`, "coordinates.longitude"},
		{"latitude a string", `{"name":"X","coordinates":{"latitude":"52.5","longitude":0}}`, "latitude"},
		{"unknown time zone", `{"name":"X","timeZone":"Mars/Olympus"}`, "timeZone"},
		{"Local time zone", `{"name":"X","timeZone":"Local"}`, "timeZone"},
		{"no hours", `{"name":"X","openingTimes":{"twentyfourseven":false}}`, "openingTimes.regularHours"},
		{"24/7 and hours", `{"name":"X","openingTimes":{"twentyfourseven":true,"regularHours":[{"weekday":1,"periodBegin":"08:00","periodEnd":"09:00"}]}}`, "openingTimes.regularHours"},
		{"weekday 8", `{"name":"X","openingTimes":{"regularHours":[{"weekday":8,"periodBegin":"08:00","periodEnd":"09:00"}]}}`, "openingTimes.regularHours[0].weekday"},
		{"begin 8:00", `{"name":"X","openingTimes":{"regularHours":[{"weekday":1,"periodBegin":"8:00","periodEnd":"09:00"}]}}`, "openingTimes.regularHours[0].periodBegin"},
		{"end 24:00", `{"name":"X","openingTimes":{"regularHours":[{"weekday":1,"periodBegin":"08:00","periodEnd":"24:00"}]}}`, "openingTimes.regularHours[0].periodEnd"},
		{"end before begin", `{"name":"X","openingTimes":{"regularHours":[{"weekday":1,"periodBegin":"22:00","periodEnd":"06:00"}]}}`, "openingTimes.regularHours[0].periodEnd"},
		{"overlap", `{"name":"X","openingTimes":{"regularHours":[{"weekday":2,"periodBegin":"08:00","periodEnd":"12:00"},{"weekday":2,"periodBegin":"11:00","periodEnd":"13:00"}]}}`, "openingTimes.regularHours[1] overlaps"},
		{"bad exceptional time", `{"name":"X","openingTimes":{"twentyfourseven":true,"exceptionalClosings":[{"periodBegin":"Christmas","periodEnd":"2026-12-26T00:00:00Z"}]}}`, "openingTimes.exceptionalClosings[0].periodBegin"},
		{"exceptional end first", `{"name":"X","openingTimes":{"twentyfourseven":true,"exceptionalOpenings":[{"periodBegin":"2026-12-26T00:00:00Z","periodEnd":"2026-12-25T00:00:00Z"}]}}`, "openingTimes.exceptionalOpenings[0].periodEnd"},
		{"long notes", `{"name":"X","notes":"` + strings.Repeat("n", 4001) + `"}`, "notes"},
		{"not an object", `["Depot"]`, "object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "POST", "/api/v1/sites", tc.body), http.StatusBadRequest, charging.EINVALID)
			if !strings.Contains(p.Detail, tc.field) {
				t.Errorf("POST detail = %q, want it to name %s", p.Detail, tc.field)
			}
			// The same member in a PATCH is refused with the same name
			// (a PATCH may leave the name out: it is the stored one).
			body := strings.Replace(tc.body, `"name":"X",`, "", 1)
			if tc.name == "no name" || tc.name == "blank name" || tc.name == "not an object" {
				return
			}
			p = wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, body), http.StatusBadRequest, charging.EINVALID)
			if !strings.Contains(p.Detail, tc.field) {
				t.Errorf("PATCH %s: detail = %q, want it to name %s", body, p.Detail, tc.field)
			}
		})
	}
	var got charging.Site
	want(t, e.do(t, "GET", "/api/v1/sites/"+x.ID, ""), http.StatusOK, &got)
	if got.Name != "Depot" || got.TimeZone != "" || got.Coordinates != nil || got.OpeningTimes != nil {
		t.Errorf("site after refused PATCHes = %+v, want it unchanged", got)
	}
}

func TestSitesPaging(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, n := range []string{"Eve", "Bob", "Dan", "Ann", "Cat"} {
		e.createSite(t, `{"name":"`+n+`"}`)
	}
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("more than 5 pages")
		}
		var p struct {
			Items      []charging.Site `json:"items"`
			NextCursor *string         `json:"nextCursor"`
		}
		want(t, e.do(t, "GET", "/api/v1/sites?limit=2&cursor="+cursor, ""), http.StatusOK, &p)
		if p.NextCursor == nil || len(p.Items) > 2 {
			t.Fatalf("page = %+v, want at most 2 items and a nextCursor", p)
		}
		for _, x := range p.Items {
			names = append(names, x.Name)
		}
		if *p.NextCursor == "" {
			break
		}
		cursor = *p.NextCursor
	}
	if got := strings.Join(names, ","); got != "Ann,Bob,Cat,Dan,Eve" {
		t.Errorf("sites over pages of 2 = %s, want Ann,Bob,Cat,Dan,Eve (by name)", got)
	}
	for _, q := range []string{"limit=0", "limit=1001", "cursor=garbage", "name=Ann"} {
		p := wantProblem(t, e.do(t, "GET", "/api/v1/sites?"+q, ""), http.StatusBadRequest, charging.EINVALID)
		if k, _, _ := strings.Cut(q, "="); !strings.Contains(p.Detail, k) {
			t.Errorf("?%s: detail %q, want it to name %s", q, p.Detail, k)
		}
	}
	res := e.do(t, "GET", "/api/v1/sites?limit=1000", "")
	want(t, res, http.StatusOK, nil)
}

func TestSitesAuthz(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	x := e.createSite(t, fullSite)
	ses, err := e.acc.Signup(bg, "driver@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	driver := []string{"Authorization", "Bearer " + ses.Token}
	viewer, err := e.acc.CreateAPIKey(bg, accounts.NewAPIKey{Name: "dashboards", Role: charging.RoleViewer}, "test")
	if err != nil {
		t.Fatal(err)
	}
	asViewer := []string{"Authorization", "Bearer " + viewer.Key}

	// Drivers read sites, without the operator's notes.
	for _, path := range []string{"/api/v1/sites/" + x.ID, "/api/v1/sites"} {
		res := e.do(t, "GET", path, "", driver...)
		var raw map[string]any
		want(t, res, http.StatusOK, &raw)
		item := raw
		if items, ok := raw["items"].([]any); ok {
			if len(items) != 1 {
				t.Fatalf("%s: %d items, want 1", path, len(items))
			}
			item = items[0].(map[string]any)
		}
		if _, ok := item["notes"]; ok {
			t.Errorf("driver GET %s has notes: %v", path, item)
		}
		if item["name"] != "Depot North" || item["address"] == nil || item["coordinates"] == nil || item["openingTimes"] == nil || item["timeZone"] != "Europe/Berlin" {
			t.Errorf("driver GET %s = %v, want name, address, coordinates, time zone and opening times", path, item)
		}
	}
	// ... and change nothing.
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/sites", `{"name":"Mine"}`},
		{"PATCH", "/api/v1/sites/" + x.ID, `{"name":"Mine"}`},
		{"DELETE", "/api/v1/sites/" + x.ID, ""},
		{"PATCH", "/api/v1/chargers/CP-1", `{"name":"Mine"}`},
	} {
		wantProblem(t, e.do(t, c.method, c.path, c.body, driver...), http.StatusForbidden, charging.EFORBIDDEN)
		wantProblem(t, e.do(t, c.method, c.path, c.body, asViewer...), http.StatusForbidden, charging.EFORBIDDEN)
		wantProblem(t, e.do(t, c.method, c.path, c.body, "Authorization", ""), http.StatusUnauthorized, charging.EUNAUTHENTICATED)
	}
	// A viewer is staff: the notes are there.
	var got charging.Site
	want(t, e.do(t, "GET", "/api/v1/sites/"+x.ID, "", asViewer...), http.StatusOK, &got)
	if got.Notes != "Gate code 4711" || got.Name != "Depot North" {
		t.Errorf("viewer GET = %+v, want the site with its notes", got)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/sites", "", "Authorization", ""), http.StatusUnauthorized, charging.EUNAUTHENTICATED)
}

func TestSiteEventsForDrivers(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	ses, err := e.acc.Signup(bg, "driver@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	staff := e.openStream(t, "/api/v1/events")
	drv := e.openStream(t, "/api/v1/events", "Authorization", "Bearer "+ses.Token)
	x := e.createSite(t, `{"name":"Depot","notes":"secret"}`)
	for _, c := range []struct {
		s         *stream
		wantNotes bool
	}{{staff, true}, {drv, false}} {
		f := c.s.next()
		if f.event != charging.EventSiteCreated {
			t.Fatalf("event %q, want site.created", f.event)
		}
		var ev struct {
			SiteID string         `json:"siteId"`
			Site   map[string]any `json:"site"`
		}
		if err := json.Unmarshal([]byte(f.data), &ev); err != nil {
			t.Fatal(err)
		}
		_, hasNotes := ev.Site["notes"]
		if ev.SiteID != x.ID || ev.Site["name"] != "Depot" || hasNotes != c.wantNotes {
			t.Errorf("site.created = %s; want site %s named Depot, notes shown: %v", f.data, x.ID, c.wantNotes)
		}
	}
}

func TestDeleteSiteWithChargers(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	x := e.createSite(t, `{"name":"Depot"}`)
	for _, id := range []string{"CP-1", "CP-2"} {
		if err := e.store.SaveCharger(bg, charging.Charger{ID: id, SiteID: x.ID}); err != nil {
			t.Fatal(err)
		}
	}
	p := wantProblem(t, e.do(t, "DELETE", "/api/v1/sites/"+x.ID, ""), http.StatusConflict, charging.ECONFLICT)
	if !strings.Contains(p.Detail, "2 chargers") {
		t.Errorf("detail %q, want it to say 2 chargers", p.Detail)
	}
	want(t, e.do(t, "GET", "/api/v1/sites/"+x.ID, ""), http.StatusOK, nil)
}

func TestPatchChargerDetails(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	x := e.createSite(t, `{"name":"Depot"}`)

	var c charging.Charger
	body := fmt.Sprintf(`{"name":"Bay 1","siteId":%q,"connectors":[
		{"connectorId":1,"evseId":"de*jou*e0001*1","connectorType":"IEC_62196_T2","format":"SOCKET","powerType":"AC_3_PHASE","maxPowerW":22000},
		{"connectorId":3,"type":"CHAdeMO","maxPowerW":50000}]}`, x.ID)
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", body), http.StatusOK, &c)
	k1, _ := c.Connector(1)
	k3, _ := c.Connector(3)
	if c.Name != "Bay 1" || c.SiteID != x.ID || k1.EVSEID != "DE*JOU*E0001*1" || k1.ConnectorType != charging.ConnectorType2 ||
		k1.Type != "Type2" || k1.Format != charging.FormatSocket || k1.PowerType != charging.PowerAC3Phase || k1.MaxPowerW != 22000 ||
		k3.ConnectorType != charging.ConnectorCHAdeMO || k3.PowerType != charging.PowerDC || k3.Status != charging.StatusUnknown {
		t.Errorf("charger = %+v; want Bay 1 at %s, connector 1 DE*JOU*E0001*1 Type 2 socket AC 3-phase 22 kW, connector 3 a declared CHAdeMO (DC)", c, x.ID)
	}
	if u := e.svc.chargerUpdate; u == nil || u.SecurityProfile != nil || u.OCPPVersionOverride != nil || len(u.Connectors) != 2 || u.Connectors[0].Type != nil {
		t.Errorf("update = %+v, want name, site and two connectors only", u)
	}

	// Drivers see the name, the site and what the connectors are.
	ses, err := e.acc.Signup(bg, "driver@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var pub map[string]any
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1", "", "Authorization", "Bearer "+ses.Token), http.StatusOK, &pub)
	pk := pub["connectors"].([]any)[0].(map[string]any)
	if pub["name"] != "Bay 1" || pub["siteId"] != x.ID || pk["evseId"] != "DE*JOU*E0001*1" || pk["connectorType"] != "IEC_62196_T2" ||
		pk["powerType"] != "AC_3_PHASE" || pk["format"] != "SOCKET" || pk["maxPowerW"] != 22000.0 {
		t.Errorf("driver's charger = %v", pub)
	}
	if _, ok := pk["operator"]; ok {
		t.Errorf("driver's connector %v shows the operator's values, want the effective ones only", pk)
	}

	// null clears; a left-out member stays.
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"siteId":null,"connectors":[{"connectorId":1,"evseId":null,"maxPowerW":null}]}`), http.StatusOK, &c)
	k1, _ = c.Connector(1)
	if c.SiteID != "" || c.Name != "Bay 1" || k1.EVSEID != "" || k1.MaxPowerW != 0 || k1.ConnectorType != charging.ConnectorType2 {
		t.Errorf("after clearing: %+v; want no site, name kept, connector 1 without EVSE id and power, type kept", c)
	}
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"name":null}`), http.StatusOK, &c)
	if c.Name != "" {
		t.Errorf("name = %q after null, want empty", c.Name)
	}

	p := wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"siteId":"nope"}`), http.StatusUnprocessableEntity, charging.EUNPROCESSABLE)
	if !strings.Contains(p.Detail, "siteId") {
		t.Errorf("unknown site: detail %q, want it to name siteId", p.Detail)
	}
	wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-9", `{"name":"X"}`), http.StatusNotFound, charging.ENOTFOUND)

	for _, tc := range []struct{ name, body, field string }{
		{"name a number", `{"name":1}`, "name"},
		{"long name", `{"name":"` + strings.Repeat("n", 256) + `"}`, "name"},
		{"siteId a number", `{"siteId":1}`, "siteId"},
		{"connectors an object", `{"connectors":{"connectorId":1}}`, "connectors"},
		{"no connectorId", `{"connectors":[{"maxPowerW":1}]}`, "connectors[0].connectorId"},
		{"connector 0", `{"connectors":[{"connectorId":0}]}`, "connectors[0].connectorId"},
		{"connector twice", `{"connectors":[{"connectorId":1},{"connectorId":1}]}`, "connectors[1].connectorId"},
		{"bad evseId", `{"connectors":[{"connectorId":1,"evseId":"DE-ABC-1"}]}`, "connectors[0].evseId"},
		{"evseId without E", `{"connectors":[{"connectorId":1,"evseId":"DE*ABC*123"}]}`, "connectors[0].evseId"},
		{"evseId unknown country", `{"connectors":[{"connectorId":1,"evseId":"XX*ABC*E1"}]}`, "connectors[0].evseId"},
		{"bad connectorType", `{"connectors":[{"connectorId":1,"connectorType":"CCS2"}]}`, "connectors[0].connectorType"},
		{"bad type", `{"connectors":[{"connectorId":1,"type":"Schuko-ish"}]}`, "connectors[0].type"},
		{"type and connectorType", `{"connectors":[{"connectorId":1,"type":"CCS2","connectorType":"CHADEMO"}]}`, "connectors[0].type"},
		{"bad format", `{"connectors":[{"connectorId":1,"format":"PLUG"}]}`, "connectors[0].format"},
		{"bad powerType", `{"connectors":[{"connectorId":1,"powerType":"AC"}]}`, "connectors[0].powerType"},
		{"negative power", `{"connectors":[{"connectorId":1,"maxPowerW":-1}]}`, "connectors[0].maxPowerW"},
		{"power a string", `{"connectors":[{"connectorId":1,"maxPowerW":"lots"}]}`, "maxPowerW"},
		{"unknown connector member", `{"connectors":[{"connectorId":1,"plug":"CCS2"}]}`, `"plug"`},
		{"unknown member", `{"label":"x"}`, `"label"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", tc.body), http.StatusBadRequest, charging.EINVALID)
			if !strings.Contains(p.Detail, tc.field) {
				t.Errorf("detail = %q, want it to name %s", p.Detail, tc.field)
			}
		})
	}

	// The older connector route takes the same fields.
	var k charging.Connector
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"evseId":"DE*JOU*E0001*2","connectorType":"IEC_62196_T2_COMBO"}`), http.StatusOK, &k)
	if k.EVSEID != "DE*JOU*E0001*2" || k.Type != "CCS2" || k.PowerType != charging.PowerDC || k.MaxPowerW != 50000 {
		t.Errorf("connector 2 = %+v, want DE*JOU*E0001*2 CCS2 (DC), its 50 kW kept", k)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"evseId":"nope"}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, "evseId") {
		t.Errorf("detail = %q, want it to name evseId", p.Detail)
	}
	wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"connectorId":2}`), http.StatusBadRequest, charging.EINVALID)

	// The phase rotation: set on either route, null clears it, and a
	// value OCPP does not name is a 400 that names the field.
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"phaseRotation":"SRT"}`), http.StatusOK, &k)
	if k.PhaseRotation != charging.RotationSRT || k.EVSEID != "DE*JOU*E0001*2" {
		t.Errorf("connector 2 = rotation %q, EVSE %q; want SRT, its EVSE ID kept", k.PhaseRotation, k.EVSEID)
	}
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"connectors":[{"connectorId":1,"phaseRotation":"TRS"},{"connectorId":2,"phaseRotation":null}]}`), http.StatusOK, &c)
	if k1, _ := c.Connector(1); k1.PhaseRotation != charging.RotationTRS {
		t.Errorf("connector 1 rotation = %q, want TRS", k1.PhaseRotation)
	}
	if k2, _ := c.Connector(2); k2.PhaseRotation != "" {
		t.Errorf("connector 2 rotation = %q, want it cleared by null", k2.PhaseRotation)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"phaseRotation":"L1L2L3"}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, "phaseRotation") || !strings.Contains(p.Detail, "L1L2L3") {
		t.Errorf("detail = %q, want it to name phaseRotation and the value", p.Detail)
	}
}

func TestListChargersBySite(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	want(t, e.do(t, "GET", "/api/v1/chargers?siteId=S-1&limit=5", ""), http.StatusOK, nil)
	if q := e.svc.chargerQuery; q.SiteID != "S-1" || q.Limit != 5 {
		t.Errorf("query = %+v, want site S-1, limit 5", q)
	}
}
