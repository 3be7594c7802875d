package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// issueTariff is issue 14's example body.
const issueTariff = `{"currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30","stepSize":1}]}]}`

// tariffBody is a tariff with an id and an energy price.
func tariffBody(id, price string) string {
	return fmt.Sprintf(`{"id":%q,"name":"Tariff %s","currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":%q,"vat":"19","stepSize":1}]}]}`, id, id, price)
}

// createTariff POSTs a tariff and returns it.
func (e *testEnv) createTariff(t *testing.T, body string) charging.Tariff {
	t.Helper()
	res := e.do(t, "POST", "/api/v1/tariffs", body)
	var x charging.Tariff
	want(t, res, http.StatusCreated, &x)
	if loc := res.Header.Get("Location"); loc != "/api/v1/tariffs/"+x.ID || x.ID == "" {
		t.Errorf("Location = %q for tariff %q, want /api/v1/tariffs/<id>", loc, x.ID)
	}
	return x
}

func TestTariffsCRUD(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	// The issue's example: the id is Joule's.
	x := e.createTariff(t, issueTariff)
	if x.Currency != "EUR" || len(x.Elements) != 1 || len(x.Elements[0].PriceComponents) != 1 ||
		x.Elements[0].PriceComponents[0] != (charging.PriceComponent{Type: charging.DimensionEnergy, Price: "0.30", StepSize: 1}) ||
		x.CreatedAt.IsZero() || !x.UpdatedAt.Equal(x.CreatedAt) {
		t.Fatalf("created tariff = %+v, want the body's EUR 0.30/kWh and times", x)
	}
	var got charging.Tariff
	want(t, e.do(t, "GET", "/api/v1/tariffs/"+x.ID, ""), http.StatusOK, &got)
	if got.ID != x.ID || got.Elements[0].PriceComponents[0].Price != "0.30" {
		t.Errorf("GET = %+v, want %+v", got, x)
	}
	// Prices answer as decimal strings, exactly as written.
	res := e.do(t, "GET", "/api/v1/tariffs/"+x.ID, "")
	var raw map[string]any
	want(t, res, http.StatusOK, &raw)
	pc := raw["elements"].([]any)[0].(map[string]any)["priceComponents"].([]any)[0].(map[string]any)
	if pc["price"] != "0.30" {
		t.Errorf("price in JSON = %#v, want the string \"0.30\"", pc["price"])
	}

	// The caller's id; a JSON number is a decimal too.
	y := e.createTariff(t, `{"id":"members-2025","currency":"EUR","elements":[{"priceComponents":[{"type":"FLAT","price":1.5,"stepSize":0}]}]}`)
	if y.ID != "members-2025" || y.Elements[0].PriceComponents[0].Price != "1.5" {
		t.Errorf("created = %+v, want id members-2025, flat price 1.5", y)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/tariffs", tariffBody("members-2025", "0.25")), http.StatusConflict, charging.ECONFLICT)

	// Paged by id.
	e.createTariff(t, tariffBody("a-first", "0.20"))
	var ids []string
	cursor := ""
	for range 5 {
		var p struct {
			Items      []charging.Tariff `json:"items"`
			NextCursor string            `json:"nextCursor"`
		}
		want(t, e.do(t, "GET", "/api/v1/tariffs?limit=2&cursor="+cursor, ""), http.StatusOK, &p)
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	wantIDs := []string{"a-first", x.ID, "members-2025"}
	slices.Sort(wantIDs) // byte order; Joule's id is random
	if got, want := strings.Join(ids, " "), strings.Join(wantIDs, " "); got != want {
		t.Errorf("listed %q, want %q (by id)", got, want)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/tariffs?limit=1&sort=name", ""), http.StatusBadRequest, charging.EINVALID)

	// PUT replaces whole, keeps createdAt; never creates.
	var put charging.Tariff
	want(t, e.do(t, "PUT", "/api/v1/tariffs/members-2025", `{"name":"Members","currency":"CHF","elements":[{"priceComponents":[{"type":"TIME","price":"2.00","stepSize":60}]}]}`),
		http.StatusOK, &put)
	if put.ID != "members-2025" || put.Name != "Members" || put.Currency != "CHF" || put.Elements[0].PriceComponents[0].Type != charging.DimensionTime ||
		!put.CreatedAt.Equal(y.CreatedAt) || put.UpdatedAt.Before(y.UpdatedAt) {
		t.Errorf("PUT = %+v, want the new body with the first createdAt", put)
	}
	p := wantProblem(t, e.do(t, "PUT", "/api/v1/tariffs/nope", issueTariff), http.StatusNotFound, charging.ENOTFOUND)
	if !strings.Contains(p.Detail, "nope") {
		t.Errorf("detail %q, want it to name the tariff", p.Detail)
	}
	p = wantProblem(t, e.do(t, "PUT", "/api/v1/tariffs/members-2025", tariffBody("other", "0.1")), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, `"other"`) {
		t.Errorf("detail %q, want it to name the body's id", p.Detail)
	}
	want(t, e.do(t, "GET", "/api/v1/tariffs/nope", ""), http.StatusNotFound, nil)

	// DELETE.
	want(t, e.do(t, "DELETE", "/api/v1/tariffs/a-first", ""), http.StatusNoContent, nil)
	wantProblem(t, e.do(t, "GET", "/api/v1/tariffs/a-first", ""), http.StatusNotFound, charging.ENOTFOUND)
	wantProblem(t, e.do(t, "DELETE", "/api/v1/tariffs/a-first", ""), http.StatusNotFound, charging.ENOTFOUND)

	// Writes are audited with their tariff.
	audit, err := e.acc.ListAudit(bg, charging.AuditQuery{Target: "members-2025"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit.Items {
		actions = append(actions, fmt.Sprintf("%s %d %s", a.Action, a.Status, a.Detail))
	}
	if got, want := strings.Join(actions, " | "), "PUT /api/v1/tariffs/{id} 400  | PUT /api/v1/tariffs/{id} 200 currency CHF | "+
		"POST /api/v1/tariffs 409  | POST /api/v1/tariffs 201 currency EUR"; got != want {
		t.Errorf("audit of members-2025 = %q, want %q", got, want)
	}
}

func TestTariffValidation(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, tc := range []struct {
		name, body string
		status     int
		detail     string // a part of the detail
	}{
		{"unknown member", `{"currency":"EUR","colour":"red","elements":[]}`, 400, `unknown field "colour"`},
		{"unknown nested member", `{"currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30","stepSize":1,"tax":"19"}]}]}`, 400, `unknown field "tax"`},
		{"price not a decimal", `{"currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30"},{"type":"FLAT","price":"1,00"}]}]}`, 400, `elements[0].priceComponents[1].price: "1,00" is not a decimal number`},
		{"min price not a decimal", `{"currency":"EUR","minPrice":{"exclVat":"1e3"},"elements":[]}`, 400, `minPrice.exclVat: "1e3" is not a decimal number`},
		{"step size of the wrong type", `{"currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30","stepSize":"1"}]}]}`, 400, `stepSize`},
		{"no currency (the validator)", `{"currency":"euro","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30","stepSize":1}]}]}`, 400, `currency must be an ISO 4217 code`},
		{"no elements (the validator)", `{"currency":"EUR","elements":[]}`, 400, `elements must have at least one element`},
		{"bad id", `{"id":"has space","currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30","stepSize":1}]}]}`, 400, `id must be 1 to 36 letters`},
		{"createdAt given", `{"currency":"EUR","createdAt":"2025-01-01T00:00:00Z","elements":[{"priceComponents":[{"type":"ENERGY","price":"0.30","stepSize":1}]}]}`, 400, `createdAt is set by Joule`},
		{"not an object", `[]`, 400, `JSON object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, "POST", "/api/v1/tariffs", tc.body)
			p := wantProblem(t, res, tc.status, charging.EINVALID)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q, want it to contain %q", p.Detail, tc.detail)
			}
		})
	}
	var page struct{ Items []charging.Tariff }
	want(t, e.do(t, "GET", "/api/v1/tariffs", ""), http.StatusOK, &page)
	if len(page.Items) != 0 {
		t.Errorf("after refused writes: %d tariffs, want none", len(page.Items))
	}
}

func TestTariffsAuthz(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	x := e.createTariff(t, tariffBody("T-1", "0.30"))
	_, driver := e.signupDriver(t, "driver@example.com")
	viewer, err := e.acc.CreateAPIKey(bg, accounts.NewAPIKey{Name: "dashboards", Role: charging.RoleViewer}, "test")
	if err != nil {
		t.Fatal(err)
	}
	asViewer := []string{"Authorization", "Bearer " + viewer.Key}
	// Drivers and viewers read tariffs: drivers must see prices.
	for _, who := range [][]string{driver, asViewer} {
		var got charging.Tariff
		want(t, e.do(t, "GET", "/api/v1/tariffs/"+x.ID, "", who...), http.StatusOK, &got)
		if got.Elements[0].PriceComponents[0].Price != "0.30" {
			t.Errorf("read tariff = %+v", got)
		}
		want(t, e.do(t, "GET", "/api/v1/tariffs", "", who...), http.StatusOK, nil)
	}
	// Nor may write.
	for _, who := range [][]string{driver, asViewer} {
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/api/v1/tariffs", tariffBody("T-2", "0.01")},
			{"PUT", "/api/v1/tariffs/T-1", tariffBody("T-1", "0.01")},
			{"DELETE", "/api/v1/tariffs/T-1", ""},
		} {
			wantProblem(t, e.do(t, c.method, c.path, c.body, who...), http.StatusForbidden, charging.EFORBIDDEN)
		}
	}
	var got charging.Tariff
	want(t, e.do(t, "GET", "/api/v1/tariffs/T-1", ""), http.StatusOK, &got)
	if got.Elements[0].PriceComponents[0].Price != "0.30" {
		t.Errorf("after refused writes: %+v, want it unchanged", got)
	}
	want(t, e.do(t, "GET", "/api/v1/tariffs/T-2", ""), http.StatusNotFound, nil)
	wantProblem(t, e.do(t, "GET", "/api/v1/tariffs", "", "Authorization", ""), http.StatusUnauthorized, charging.EUNAUTHENTICATED)
}

func TestTariffAssignment(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	e.createTariff(t, tariffBody("T-site", "0.40"))
	e.createTariff(t, tariffBody("T-members", "0.25"))
	e.createTariff(t, tariffBody("T-fleet", "0.20"))
	x := e.createSite(t, `{"name":"Depot","tariffId":"T-site"}`)
	if x.TariffID != "T-site" {
		t.Fatalf("created site's tariff = %q, want T-site", x.TariffID)
	}
	p := wantProblem(t, e.do(t, "POST", "/api/v1/sites", `{"name":"Other","tariffId":"nope"}`), http.StatusUnprocessableEntity, charging.EUNPROCESSABLE)
	if p.Detail != `tariffId "nope" names no tariff` {
		t.Errorf("detail %q", p.Detail)
	}

	// A site's groupTariffs merge member by member; null removes one.
	patch := func(body string) charging.Site {
		t.Helper()
		var got charging.Site
		want(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, body), http.StatusOK, &got)
		return got
	}
	got := patch(`{"groupTariffs":{"Members":"T-members"}}`)
	if got.TariffID != "T-site" || len(got.GroupTariffs) != 1 || got.GroupTariffs["members"] != "T-members" {
		t.Errorf("site = %q %v, want T-site and members → T-members (lower case)", got.TariffID, got.GroupTariffs)
	}
	got = patch(`{"groupTariffs":{"fleet":"T-fleet"}}`)
	if len(got.GroupTariffs) != 2 || got.GroupTariffs["fleet"] != "T-fleet" || got.GroupTariffs["members"] != "T-members" {
		t.Errorf("groups = %v, want members and fleet", got.GroupTariffs)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, `{"groupTariffs":{"staff":"T-none"}}`), http.StatusUnprocessableEntity, charging.EUNPROCESSABLE)
	if p.Detail != `groupTariffs.staff "T-none" names no tariff` {
		t.Errorf("detail %q", p.Detail)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/sites/"+x.ID, `{"groupTariffs":{"no group!":"T-fleet"}}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.Contains(p.Detail, `groupTariffs keys must be driver groups`) {
		t.Errorf("detail %q", p.Detail)
	}

	// In use: 409 naming where.
	p = wantProblem(t, e.do(t, "DELETE", "/api/v1/tariffs/T-fleet", ""), http.StatusConflict, charging.ECONFLICT)
	if !strings.Contains(p.Detail, "driver group fleet of site "+x.ID) {
		t.Errorf("detail %q, want it to name the site's group", p.Detail)
	}
	got = patch(`{"groupTariffs":{"fleet":null}}`)
	if len(got.GroupTariffs) != 1 || got.GroupTariffs["members"] != "T-members" {
		t.Errorf("groups = %v, want members only", got.GroupTariffs)
	}
	want(t, e.do(t, "DELETE", "/api/v1/tariffs/T-fleet", ""), http.StatusNoContent, nil)
	got = patch(`{"tariffId":null,"groupTariffs":null}`)
	if got.TariffID != "" || got.GroupTariffs != nil {
		t.Errorf("site = %q %v, want no tariffs", got.TariffID, got.GroupTariffs)
	}

	// A charger and its connectors.
	var c charging.Charger
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"tariffId":"T-site","groupTariffs":{"members":"T-members"},
		"connectors":[{"connectorId":2,"tariffId":"T-members"}]}`), http.StatusOK, &c)
	k2, _ := c.Connector(2)
	if c.TariffID != "T-site" || c.GroupTariffs["members"] != "T-members" || k2.TariffID != "T-members" {
		t.Errorf("charger = %q %v, connector 2 %q; want T-site, members → T-members, T-members", c.TariffID, c.GroupTariffs, k2.TariffID)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"connectors":[{"connectorId":1,"groupTariffs":{"fleet":"gone"}}]}`),
		http.StatusUnprocessableEntity, charging.EUNPROCESSABLE)
	if p.Detail != `connectors[0].groupTariffs.fleet "gone" names no tariff` {
		t.Errorf("detail %q", p.Detail)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"tariffId":"bad id"}`), http.StatusBadRequest, charging.EINVALID)
	if !strings.HasPrefix(p.Detail, "tariffId must be a tariff id") {
		t.Errorf("detail %q", p.Detail)
	}
	var k charging.Connector
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/1", `{"tariffId":"T-site","groupTariffs":{"members":"T-members"}}`), http.StatusOK, &k)
	if k.TariffID != "T-site" || k.GroupTariffs["members"] != "T-members" {
		t.Errorf("connector 1 = %q %v", k.TariffID, k.GroupTariffs)
	}
	p = wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/1", `{"tariffId":"nope"}`), http.StatusUnprocessableEntity, charging.EUNPROCESSABLE)
	if p.Detail != `tariffId "nope" names no tariff` {
		t.Errorf("detail %q", p.Detail)
	}
	var cleared charging.Connector // decoded afresh: an absent member leaves a map as it was
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/1", `{"tariffId":null,"groupTariffs":{"members":null}}`), http.StatusOK, &cleared)
	if cleared.TariffID != "" || cleared.GroupTariffs != nil {
		t.Errorf("connector 1 after clearing = %q %v, want none", cleared.TariffID, cleared.GroupTariffs)
	}
}

func TestConnectorTariff(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	e.createTariff(t, tariffBody("T-site", "0.40"))
	e.createTariff(t, tariffBody("T-members", "0.25"))
	e.createTariff(t, tariffBody("T-fast", "0.60"))
	x := e.createSite(t, `{"name":"Depot","tariffId":"T-site","groupTariffs":{"members":"T-members"}}`)
	member, asMember := e.signupDriver(t, "member@example.com")
	_, asDriver := e.signupDriver(t, "driver@example.com")

	// The admin puts the member in the group (PATCH /users/{id}).
	var u accounts.User
	want(t, e.do(t, "PATCH", "/api/v1/users/"+member, `{"driverGroup":" Members "}`), http.StatusOK, &u)
	if u.DriverGroup != "members" {
		t.Errorf("user's driverGroup = %q, want members (trimmed, lower case)", u.DriverGroup)
	}
	wantProblem(t, e.do(t, "PATCH", "/api/v1/users/"+member, `{"driverGroup":"two words"}`), http.StatusBadRequest, charging.EINVALID)
	want(t, e.do(t, "GET", "/api/v1/users/"+member, ""), http.StatusOK, &u)
	if u.DriverGroup != "members" {
		t.Errorf("GET user's driverGroup = %q, want members", u.DriverGroup)
	}
	// A driver cannot put themself in a group.
	wantProblem(t, e.do(t, "PATCH", "/api/v1/users/"+member, `{"driverGroup":"staff"}`, asDriver...), http.StatusForbidden, charging.EFORBIDDEN)

	lookup := func(who []string, connector int) charging.TariffAt {
		t.Helper()
		var at charging.TariffAt
		want(t, e.do(t, "GET", fmt.Sprintf("/api/v1/chargers/CP-1/connectors/%d/tariff", connector), "", who...), http.StatusOK, &at)
		return at
	}
	price := func(at charging.TariffAt) string {
		if at.Tariff == nil {
			return "free"
		}
		if at.Quote == nil || at.Quote.Currency != at.Tariff.Currency || !strings.Contains(at.Quote.Text, "/kWh") {
			t.Errorf("tariff %s comes without its quote: %+v", at.Tariff.ID, at.Quote)
		}
		return fmt.Sprintf("%s %s at %s for %q", at.Tariff.ID, at.Tariff.Elements[0].PriceComponents[0].Price, at.Level, at.DriverGroup)
	}

	// Not at the site yet: free, {"tariff": null, "quote": null}.
	res := e.do(t, "GET", "/api/v1/chargers/CP-1/connectors/1/tariff", "", asMember...)
	var raw map[string]any
	want(t, res, http.StatusOK, &raw)
	if v, ok := raw["tariff"]; !ok || v != nil || raw["quote"] != nil || len(raw) != 2 {
		t.Errorf("free lookup = %v, want {\"tariff\": null, \"quote\": null}", raw)
	}

	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", fmt.Sprintf(`{"siteId":%q}`, x.ID)), http.StatusOK, nil)
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"tariffId":"T-fast"}`), http.StatusOK, nil)
	for _, tc := range []struct {
		name      string
		who       []string
		connector int
		want      string
	}{
		{"member at the site", asMember, 1, `T-members 0.25 at site for "members"`},
		{"driver at the site", asDriver, 1, `T-site 0.40 at site for ""`},
		{"member at the fast connector", asMember, 2, `T-fast 0.60 at connector for "members"`},
		{"driver at the fast connector", asDriver, 2, `T-fast 0.60 at connector for ""`},
		{"the admin (no group)", nil, 1, `T-site 0.40 at site for ""`},
	} {
		if got := price(lookup(tc.who, tc.connector)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// A charger-level group override beats the site's, not the connector's tariff.
	e.createTariff(t, tariffBody("T-cp-members", "0.10"))
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"groupTariffs":{"members":"T-cp-members"}}`), http.StatusOK, nil)
	if got := price(lookup(asMember, 1)); got != `T-cp-members 0.10 at charger for "members"` {
		t.Errorf("member with a charger override: %s", got)
	}
	if got := price(lookup(asMember, 2)); got != `T-fast 0.60 at connector for "members"` {
		t.Errorf("member at the fast connector: %s", got)
	}

	// Drivers see accepted chargers only; bad connectors are 400.
	e.svc.mu.Lock()
	c := e.svc.chargers["CP-1"]
	c.Admission = charging.AdmissionPending
	e.svc.chargers["CP-1"] = c
	e.svc.mu.Unlock()
	wantProblem(t, e.do(t, "GET", "/api/v1/chargers/CP-1/connectors/1/tariff", "", asMember...), http.StatusNotFound, charging.ENOTFOUND)
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1/connectors/1/tariff", ""), http.StatusOK, nil)
	wantProblem(t, e.do(t, "GET", "/api/v1/chargers/CP-1/connectors/0/tariff", ""), http.StatusBadRequest, charging.EINVALID)
	wantProblem(t, e.do(t, "GET", "/api/v1/chargers/CP-9/connectors/1/tariff", ""), http.StatusNotFound, charging.ENOTFOUND)
}
