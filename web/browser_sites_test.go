package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/joule-ev/joule/internal/sim"
)

// Issue 12 item 1: the driver app lists chargers by site, nearest first
// when the browser gives a position; the operator view groups chargers by
// site, and has a Sites page. Each subtest checks what a user sees.

// simulate runs a simulated charger of cfg (URL, timings and logger
// filled in) until the test ends, and waits for its boot.
func (s *stack) simulate(t *testing.T, cfg sim.Config) {
	t.Helper()
	cfg.URL = s.ocppURL
	cfg.MeterValueSampleInterval = 300 * time.Millisecond
	cfg.ReconnectBackoff = 200 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := sim.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); <-done }) })
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := c.WaitBooted(wctx); err != nil {
		t.Fatal(err)
	}
}

// addSite creates a site through the API and answers its id.
func (s *stack) addSite(t *testing.T, site map[string]any) string {
	t.Helper()
	var x struct{ ID string }
	if st := s.call(t, "POST", "/api/v1/sites", site, &x); st != http.StatusCreated {
		t.Fatalf("POST /api/v1/sites %v: status = %d, want 201", site["name"], st)
	}
	return x.ID
}

func (s *stack) patchCharger(t *testing.T, id string, patch map[string]any) {
	t.Helper()
	if st := s.call(t, "PATCH", "/api/v1/chargers/"+id, patch, nil); st != http.StatusOK {
		t.Fatalf("PATCH /api/v1/chargers/%s: status = %d, want 200", id, st)
	}
}

// setLocation sets the tab's geolocation permission for the app's origin
// (granted, denied or prompt) and, when granted, the position the
// browser reports. Call it before the page asks.
func (tb *tab) setLocation(setting string, lat, lon float64) {
	tb.t.Helper()
	c := chromedp.FromContext(tb.ctx)
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	err := c.Browser.Call(ctx, "Browser.setPermission", map[string]any{
		"permission": map[string]string{"name": "geolocation"}, "setting": setting,
		"origin": tb.b.base, "browserContextId": c.BrowserContextID,
	}, nil)
	if err == nil && setting == "granted" {
		err = c.Target.Call(ctx, "Emulation.setGeolocationOverride", map[string]float64{"latitude": lat, "longitude": lon, "accuracy": 20}, nil)
	}
	if err != nil {
		tb.t.Fatalf("geolocation %s: %v", setting, err)
	}
}

// place is a site as the driver's list shows it.
type place struct {
	Name     string   `json:"name"`
	Address  string   `json:"address"`
	Distance string   `json:"distance"`
	Chargers []string `json:"chargers"`
}

// shownPlaces is a JS expression for the driver list's sites as they are
// rendered: the displayed sections' names, addresses, distances and the
// names of their chargers.
const shownPlaces = `[...document.querySelectorAll("#charger-list section")].filter(s => s.checkVisibility()).map(s => {
	const text = (sel) => (e => e && e.checkVisibility() ? e.innerText.trim() : "")(s.querySelector(sel));
	return {name: text("h2"), address: text("address"), distance: text(".distance"),
		chargers: [...s.querySelectorAll("a[data-charger]")].filter(a => a.checkVisibility()).map(a => a.querySelector(".charger-name").innerText.trim())};
})`

func placeNames(ps []place) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// haversineM and distanceText are the app's distance and its wording,
// written again here to check them.
func haversineM(lat1, lon1, lat2, lon2 float64) float64 {
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	s := math.Pow(math.Sin(rad(lat2-lat1)/2), 2) + math.Cos(rad(lat1))*math.Cos(rad(lat2))*math.Pow(math.Sin(rad(lon2-lon1)/2), 2)
	return 2 * 6371008.8 * math.Asin(math.Min(1, math.Sqrt(s)))
}

func distanceText(m float64) string {
	switch {
	case m < 995:
		return fmt.Sprintf("%d m", max(10, int(math.Round(m/10)*10)))
	case m < 9950:
		return fmt.Sprintf("%.1f km", math.Round(m/100)/10)
	default:
		return fmt.Sprintf("%d km", int(math.Round(m/1000)))
	}
}

// noOverflow checks the page at a phone's width: nothing wider than the
// screen, and every table scrolling in its own box.
func (tb *tab) noOverflow(what string, width int) {
	tb.t.Helper()
	got := eval[[]float64](tb, `[document.scrollingElement.scrollWidth, innerWidth, document.documentElement.clientWidth]`)
	if got[0] > float64(width) || got[0] > got[1] || got[0] > got[2] {
		wide := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > %d && !e.parentElement.closest(".table-wrap, nav")).slice(0, 5).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className)`, width))
		tb.t.Errorf("%s at %d px: scroll width %v, innerWidth %v, clientWidth %v; want no horizontal overflow (too wide: %v)", what, width, got[0], got[1], got[2], wide)
	}
	bad := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll("main table")].filter(t => {
		const w = t.closest(".table-wrap");
		return !w || !["auto", "scroll"].includes(getComputedStyle(w).overflowX) || w.getBoundingClientRect().right > %d;
	}).map(t => t.id || "table")`, width))
	if len(bad) > 0 {
		tb.t.Errorf("%s: tables that do not scroll in their own box: %v", what, bad)
	}
}

func TestBrowserSites(t *testing.T) {
	exe := chromium(t)
	s := startNode(t)

	// A DC charger speaking 2.0.1 reports its CCS2 and CHAdeMO cables
	// itself; the AC posts speak 1.6, so the operator says what they are.
	s.simulate(t, sim.Config{ID: "ST-DC", OCPPVersion: sim.OCPP201, Kind: sim.KindDC})
	for _, id := range []string{"ST-AC-2", "ST-AC-10", "ST-AHR", "ST-GARAGE", "ST-LOOSE"} {
		s.simulate(t, sim.Config{ID: id, Connectors: 1, MaxPowerW: 22000})
	}
	s.simulate(t, sim.Config{ID: "ST-NEW", Connectors: 2, MaxPowerW: 22000})

	// The driver stands at Hamburg's town hall. By name the sites are
	// Ahrensburg, Altona, Bahnhof, Zentrum; nearest first Zentrum (in
	// metres), Altona (a few km), Ahrensburg (tens of km), then Bahnhof,
	// which has no coordinates.
	const hereLat, hereLon = 53.55034, 9.99201
	addr := func(street, postal, city string) map[string]string {
		return map[string]string{"street": street, "postalCode": postal, "city": city, "country": "DEU"}
	}
	coords := func(lat, lon float64) map[string]float64 {
		return map[string]float64{"latitude": lat, "longitude": lon}
	}
	zentrum := s.addSite(t, map[string]any{"name": "Zentrum Depot", "address": addr("Mönckebergstraße 7", "20095", "Hamburg"),
		"coordinates": coords(53.5553, 9.9960), "timeZone": "Europe/Berlin", "notes": "Staff only: key at the desk"})
	altona := s.addSite(t, map[string]any{"name": "Altona Parking", "address": addr("Große Bergstraße 1", "22767", "Hamburg"),
		"coordinates": coords(53.5520, 9.9340)})
	ahrensburg := s.addSite(t, map[string]any{"name": "Ahrensburg Park & Ride", "address": addr("Bahnhofstraße 2", "22926", "Ahrensburg"),
		"coordinates": coords(53.6730, 10.2330)})
	garage := s.addSite(t, map[string]any{"name": "Bahnhof Garage", "address": addr("Hachmannplatz 1", "20099", "Hamburg")})
	ac := func(kW float64) []map[string]any {
		return []map[string]any{{"connectorId": 1, "connectorType": "IEC_62196_T2", "maxPowerW": kW * 1000}}
	}
	s.patchCharger(t, "ST-DC", map[string]any{"name": "Fast 1", "siteId": zentrum})
	s.patchCharger(t, "ST-AC-2", map[string]any{"name": "Bay 2", "siteId": altona, "connectors": ac(22)})
	s.patchCharger(t, "ST-AC-10", map[string]any{"name": "Bay 10", "siteId": altona, "connectors": ac(11)})
	s.patchCharger(t, "ST-AHR", map[string]any{"name": "P+R 1", "siteId": ahrensburg, "connectors": ac(22)})
	s.patchCharger(t, "ST-GARAGE", map[string]any{"name": "Garage 1", "siteId": garage, "connectors": ac(11)})
	waitFor(t, "ST-DC's reported CCS2 and CHAdeMO", 10*time.Second, func() bool {
		var c struct {
			Connectors []struct{ ConnectorType string }
		}
		s.call(t, "GET", "/api/v1/chargers/ST-DC", nil, &c)
		return len(c.Connectors) == 2 && c.Connectors[0].ConnectorType == "IEC_62196_T2_COMBO" && c.Connectors[1].ConnectorType == "CHADEMO"
	})
	s.addUser(t, "dana@example.com", "Dana Driver", "driver")
	s.addUser(t, "olga@example.com", "Olga Operator", "operator")
	s.addUser(t, "vera@example.com", "Vera Viewer", "viewer")
	b := startBrowser(t, exe, s.base)

	byName := []string{"Ahrensburg Park & Ride", "Altona Parking", "Bahnhof Garage", "Zentrum Depot", "Other chargers"}

	t.Run("DriverListBySite", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/", "dana@example.com", testPassword)
		tb.wait("the list by site", `document.querySelectorAll("#charger-list section").length === 5 && document.querySelectorAll("[data-charger]").length === 7`, 5*time.Second)
		got := eval[[]place](tb, shownPlaces)
		want := []place{
			{Name: "Ahrensburg Park & Ride", Address: "Bahnhofstraße 2, 22926 Ahrensburg", Chargers: []string{"P+R 1"}},
			{Name: "Altona Parking", Address: "Große Bergstraße 1, 22767 Hamburg", Chargers: []string{"Bay 2", "Bay 10"}},
			{Name: "Bahnhof Garage", Address: "Hachmannplatz 1, 20099 Hamburg", Chargers: []string{"Garage 1"}},
			{Name: "Zentrum Depot", Address: "Mönckebergstraße 7, 20095 Hamburg", Chargers: []string{"Fast 1"}},
			{Name: "Other chargers", Chargers: []string{"ST-LOOSE", "ST-NEW"}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the driver's list shows\n%+v\nwant (by name, no distances)\n%+v", got, want)
		}
		// Each connector: its type, rating and status.
		conns := eval[[]string](tb, `[...document.querySelectorAll('[data-charger="ST-DC"] .connectors li')].map(li => li.innerText.replace(/\s+/g, " ").trim())`)
		if len(conns) != 2 || !strings.HasPrefix(conns[0], "CCS2 · 150.0 kW") || !strings.HasPrefix(conns[1], "CHAdeMO · 50.0 kW") ||
			!strings.HasSuffix(conns[0], "Available") || !strings.HasSuffix(conns[1], "Available") {
			t.Errorf("Fast 1's connectors read %q, want CCS2 · 150.0 kW and CHAdeMO · 50.0 kW, each Available", conns)
		}
		if got := eval[string](tb, textOf(`[data-charger="ST-AC-10"] .connectors li`)); !strings.Contains(got, "Type 2 · 11.0 kW") {
			t.Errorf("Bay 10's connector reads %q, want Type 2 · 11.0 kW", got)
		}
		// The operator's notes are not the driver's.
		if txt := eval[string](tb, visibleText); strings.Contains(txt, "key at the desk") {
			t.Errorf("the driver sees the site's notes:\n%s", txt)
		}
		// Without a permission the app does not ask by itself: it offers to.
		if !eval[bool](tb, visible("#nearest")) || !strings.HasPrefix(eval[string](tb, textOf("#sort-note")), "By name") {
			t.Errorf("no visible Show nearest first, or the list does not say it is by name (%q)", eval[string](tb, textOf("#sort-note")))
		}
		// The search finds a site by its address.
		tb.run(chromedp.SendKeys(chromedp.CSS("#search"), "22767"))
		tb.wait("Altona's chargers only", `document.querySelectorAll("[data-charger]").length === 2`, 3*time.Second)
		if got := placeNames(eval[[]place](tb, shownPlaces)); fmt.Sprint(got) != "[Altona Parking]" {
			t.Errorf("searching 22767 shows %q, want Altona Parking only", got)
		}
		tb.clear("#search")
		tb.wait("every charger again", `document.querySelectorAll("[data-charger]").length === 7`, 3*time.Second)

		// The charger's page: its name, site and address.
		tb.click(`[data-charger="ST-DC"]`)
		tb.wait("Fast 1's page", textOf("h1")+` === "Fast 1" && `+visible("#charger-site"), 5*time.Second)
		if got := eval[string](tb, `document.querySelector("#charger-site").innerText`); got != "Zentrum Depot · Mönckebergstraße 7, 20095 Hamburg · Charger ST-DC" {
			t.Errorf("Fast 1's page says %q, want its site, address and id", got)
		}
	})

	t.Run("NearestFirst", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.setLocation("granted", hereLat, hereLon)
		tb.signIn("/", "dana@example.com", testPassword)
		tb.wait("nearest first", textOf("#sort-note")+` === "Nearest first, from your location."`, 10*time.Second)
		got := eval[[]place](tb, shownPlaces)
		want := []struct{ name, distance string }{
			{"Zentrum Depot", distanceText(haversineM(hereLat, hereLon, 53.5553, 9.9960))},
			{"Altona Parking", distanceText(haversineM(hereLat, hereLon, 53.5520, 9.9340))},
			{"Ahrensburg Park & Ride", distanceText(haversineM(hereLat, hereLon, 53.6730, 10.2330))},
			{"Bahnhof Garage", ""},
			{"Other chargers", ""},
		}
		if !strings.HasSuffix(want[0].distance, " m") || !strings.Contains(want[1].distance, ".") || !strings.HasSuffix(want[2].distance, " km") {
			t.Fatalf("the test's sites do not cover metres, tenths of km and km: %v", want)
		}
		if len(got) != len(want) {
			t.Fatalf("the list shows %+v, want %v", got, want)
		}
		for i, w := range want {
			if got[i].Name != w.name || got[i].Distance != w.distance {
				t.Errorf("place %d: %q at %q, want %q at %q", i+1, got[i].Name, got[i].Distance, w.name, w.distance)
			}
		}
		if eval[bool](tb, visible("#nearest")) {
			t.Error("Show nearest first is still offered when the list is nearest first")
		}
		tb.screenshot("driver-chargers-nearest.png")
	})

	t.Run("LocationAllowedLater", func(t *testing.T) {
		// The list is by name at once; when the driver allows the location
		// (here in the browser's settings) it sorts again, live.
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/", "dana@example.com", testPassword)
		tb.wait("the list by name", `document.querySelectorAll("#charger-list section").length === 5 && `+visible("#nearest"), 5*time.Second)
		if got := placeNames(eval[[]place](tb, shownPlaces)); fmt.Sprint(got) != fmt.Sprint(byName) {
			t.Errorf("before a position the list is %q, want by name %q", got, byName)
		}
		eval[bool](tb, `window.notReloaded = true`)
		tb.setLocation("granted", hereLat, hereLon)
		tb.wait("nearest first", textOf("#sort-note")+` === "Nearest first, from your location." && `+textOf("#charger-list section h2")+` === "Zentrum Depot"`, 10*time.Second)
		if !eval[bool](tb, `window.notReloaded === true`) || !eval[bool](tb, invisible("#nearest")) {
			t.Error("the list was reloaded, or still offers Show nearest first")
		}
	})

	t.Run("LocationDenied", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.setLocation("denied", 0, 0)
		tb.signIn("/", "dana@example.com", testPassword)
		tb.wait("the note that location is off", textOf("#sort-note")+` === "By name: location is off for Joule in this browser."`, 5*time.Second)
		got := eval[[]place](tb, shownPlaces)
		if fmt.Sprint(placeNames(got)) != fmt.Sprint(byName) {
			t.Errorf("without location the list is %q, want by name %q", placeNames(got), byName)
		}
		for _, p := range got {
			if p.Distance != "" {
				t.Errorf("%s shows a distance (%q) without a location", p.Name, p.Distance)
			}
		}
		if !eval[bool](tb, invisible("#nearest")) {
			t.Error("Show nearest first is offered though the browser denies the location")
		}
	})

	t.Run("OperatorChargersBySite", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/chargers", "olga@example.com", testPassword)
		tb.wait("the chargers by site", `document.querySelectorAll("#chargers tr.group").length === 5 && document.querySelectorAll("#chargers tr[data-charger]").length === 7`, 5*time.Second)
		type group struct {
			Head     string   `json:"head"`
			Chargers []string `json:"chargers"`
		}
		got := eval[[]group](tb, `[...document.querySelectorAll("#chargers tbody")].filter(b => b.checkVisibility()).map(b => ({
			head: b.querySelector("tr.group th").innerText.replace(/\s+/g, " ").trim(),
			chargers: [...b.querySelectorAll("tr[data-charger] td:first-child")].map(td => td.innerText.replace(/\s+/g, " ").trim())}))`)
		want := []group{
			{"Ahrensburg Park & Ride Bahnhofstraße 2, 22926 Ahrensburg, DEU 1 charger · 1 online", []string{"P+R 1 ST-AHR"}},
			{"Altona Parking Große Bergstraße 1, 22767 Hamburg, DEU 2 chargers · 2 online", []string{"Bay 2 ST-AC-2", "Bay 10 ST-AC-10"}},
			{"Bahnhof Garage Hachmannplatz 1, 20099 Hamburg, DEU 1 charger · 1 online", []string{"Garage 1 ST-GARAGE"}},
			{"Zentrum Depot Mönckebergstraße 7, 20095 Hamburg, DEU 1 charger · 1 online", []string{"Fast 1 ST-DC"}},
			{"Not at a site 2 chargers · 2 online", []string{"ST-LOOSE", "ST-NEW"}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the chargers page shows\n%q\nwant\n%q", got, want)
		}
		// One site only, as the Sites page links to it.
		tb.run(chromedp.SetValue(chromedp.CSS("#site-filter"), altona))
		eval[bool](tb, `document.querySelector("#site-filter").dispatchEvent(new Event("change")), true`)
		tb.wait("Altona only", `document.querySelectorAll("#chargers tr[data-charger]").length === 2 && location.search === "?site=`+altona+`"`, 3*time.Second)
		tb.screenshot("operator-chargers-by-site.png")
	})

	t.Run("OperatorPlacesCharger", func(t *testing.T) {
		// A driver's list is open; an operator adds a site in the Sites
		// page, then names ST-NEW, puts it there and says what its
		// connectors are. The driver's list follows without a reload.
		driver := b.tab(t, 390, 844, true)
		driver.signIn("/", "dana@example.com", testPassword)
		driver.wait("the live list", `document.body.dataset.live === "up" && document.querySelectorAll("[data-charger]").length === 7`, 5*time.Second)
		eval[bool](driver, `window.notReloaded = true`)

		op := b.tab(t, 1280, 900, false)
		op.signIn("/operator", "olga@example.com", testPassword)
		op.click(`#nav a[href="/operator/sites"]`)
		op.wait("the sites", `document.querySelectorAll("#sites tr[data-site]").length === 4`, 5*time.Second)
		op.click("#add-site")
		op.wait("the site form", visible("#site-name"), 3*time.Second)
		for sel, v := range map[string]string{"#site-name": "Harbour Hub", "#site-street": "Am Sandtorkai 1", "#site-postal-code": "20457",
			"#site-city": "Hamburg", "#site-country": "deu", "#site-latitude": "53.5438", "#site-longitude": "9.9890",
			"#site-time-zone": "Europe/Berlin", "#site-notes": "Gate code 4711"} {
			op.typeInto(sel, v)
		}
		op.click("#site-save")
		op.wait("the new site listed", `!document.querySelector("#site-dialog") && `+textOf("#sites-status")+`.startsWith("Added Harbour Hub") && [...document.querySelectorAll("#sites tr[data-site]")].some(r => r.innerText.includes("Harbour Hub"))`, 5*time.Second)
		var list struct {
			Items []struct {
				ID, Name, TimeZone, Notes string
				Address                   struct{ Street, PostalCode, City, Country string }
				Coordinates               *struct{ Latitude, Longitude float64 }
			}
		}
		s.call(t, "GET", "/api/v1/sites", nil, &list)
		hub := ""
		for _, x := range list.Items {
			if x.Name == "Harbour Hub" {
				hub = x.ID
				if x.Address.Street != "Am Sandtorkai 1" || x.Address.PostalCode != "20457" || x.Address.City != "Hamburg" || x.Address.Country != "DEU" ||
					x.Coordinates == nil || x.Coordinates.Latitude != 53.5438 || x.Coordinates.Longitude != 9.989 || x.TimeZone != "Europe/Berlin" || x.Notes != "Gate code 4711" {
					t.Errorf("the site saved is %+v", x)
				}
			}
		}
		if hub == "" {
			t.Fatalf("no Harbour Hub among the sites: %+v", list.Items)
		}

		op.open("/operator/chargers/ST-NEW")
		op.wait("the settings", visible("#charger-name")+` && !!document.querySelector("#edit-2-type")`, 5*time.Second)
		op.typeInto("#charger-name", "Harbour 1")
		op.run(chromedp.SetValue(chromedp.CSS("#charger-site"), hub))
		if got := eval[string](op, `document.querySelector("#charger-site").selectedOptions[0].textContent`); got != "Harbour Hub — Hamburg" {
			t.Errorf("the site select shows %q, want Harbour Hub — Hamburg", got)
		}
		labels := eval[[]string](op, `[...document.querySelector("#edit-1-type").options].slice(0, 6).map(o => o.value + "=" + o.textContent)`)
		if got, want := strings.Join(labels, ", "), "=Not set, IEC_62196_T2_COMBO=CCS2, CHADEMO=CHAdeMO, IEC_62196_T2=Type 2, IEC_62196_T1_COMBO=CCS1, IEC_62196_T1=Type 1"; got != want {
			t.Errorf("connector type options = %q, want %q", got, want)
		}
		op.typeInto("#edit-1-evse", "de*jou*e0001*1")
		op.run(chromedp.SetValue(chromedp.CSS("#edit-1-type"), "IEC_62196_T2_COMBO"), chromedp.SetValue(chromedp.CSS("#edit-2-type"), "IEC_62196_T2"),
			chromedp.SetValue(chromedp.CSS("#edit-2-rotation"), "SRT"))
		op.typeInto("#edit-1-max", "150")
		op.typeInto("#edit-2-max", "22")
		eval[bool](op, `["#charger-site", "#edit-1-type", "#edit-2-type", "#edit-2-rotation"].forEach(s => document.querySelector(s).dispatchEvent(new Event("change", {bubbles: true}))), true`)
		op.click("#save-charger")
		op.wait("saved", textOf("#settings-status")+` === "Saved." && `+textOf("h1")+` === "Harbour 1"`, 5*time.Second)
		var c struct {
			Name, SiteID string
			Connectors   []struct {
				EvseID, ConnectorType, Type, PowerType, PhaseRotation string
				MaxPowerW                                             float64
			}
		}
		s.call(t, "GET", "/api/v1/chargers/ST-NEW", nil, &c)
		if c.Name != "Harbour 1" || c.SiteID != hub || len(c.Connectors) != 2 ||
			c.Connectors[0].EvseID != "DE*JOU*E0001*1" || c.Connectors[0].ConnectorType != "IEC_62196_T2_COMBO" || c.Connectors[0].MaxPowerW != 150000 ||
			c.Connectors[0].PhaseRotation != "" || c.Connectors[1].ConnectorType != "IEC_62196_T2" || c.Connectors[1].MaxPowerW != 22000 ||
			c.Connectors[1].PhaseRotation != "SRT" {
			t.Errorf("ST-NEW saved as %+v", c)
		}
		// After a reload the form shows what was saved, the rotation too.
		op.run(chromedp.Reload())
		op.wait("the saved settings after a reload", visible("#edit-2-rotation")+` && document.querySelector("#edit-2-rotation").value === "SRT" && `+
			`document.querySelector("#edit-2-rotation").selectedOptions[0].textContent === "SRT: L2, L1, L3" && document.querySelector("#edit-1-rotation").value === ""`, 5*time.Second)

		driver.wait("Harbour Hub in the driver's list", `[...document.querySelectorAll("#charger-list section")].some(s => s.querySelector("h2").innerText === "Harbour Hub" && s.innerText.includes("Harbour 1"))`, 5*time.Second)
		var hubPlace place
		for _, p := range eval[[]place](driver, shownPlaces) {
			if p.Name == "Harbour Hub" {
				hubPlace = p
			}
			if p.Name == "Other chargers" && fmt.Sprint(p.Chargers) != "[ST-LOOSE]" {
				t.Errorf("Other chargers are %q, want ST-LOOSE only", p.Chargers)
			}
		}
		if hubPlace.Address != "Am Sandtorkai 1, 20457 Hamburg" || fmt.Sprint(hubPlace.Chargers) != "[Harbour 1]" {
			t.Errorf("the driver's list shows Harbour Hub as %+v", hubPlace)
		}
		conns := eval[[]string](driver, `[...document.querySelectorAll('[data-charger="ST-NEW"] .connectors li')].map(li => li.innerText.replace(/\s+/g, " ").trim())`)
		if len(conns) != 2 || !strings.HasPrefix(conns[0], "CCS2 · 150.0 kW Connector 1 · DE*JOU*E0001*1") || !strings.HasPrefix(conns[1], "Type 2 · 22.0 kW") {
			t.Errorf("Harbour 1's connectors read %q", conns)
		}
		if !eval[bool](driver, `window.notReloaded === true`) {
			t.Error("the driver's list was reloaded; want it live")
		}
		if strings.Contains(eval[string](driver, visibleText), "Gate code") {
			t.Error("the driver sees the new site's notes")
		}
		driver.screenshot("driver-chargers-by-site.png")

		// A site renamed elsewhere is renamed in the list, live.
		if st := s.call(t, "PATCH", "/api/v1/sites/"+hub, map[string]any{"name": "Harbour Hub West"}, nil); st != http.StatusOK {
			t.Fatalf("PATCH the site: status = %d, want 200", st)
		}
		driver.wait("the new name", `[...document.querySelectorAll("#charger-list section h2")].some(h => h.innerText === "Harbour Hub West")`, 5*time.Second)
		if !eval[bool](driver, `window.notReloaded === true`) {
			t.Error("the driver's list was reloaded; want it live")
		}
	})

	t.Run("DeleteSite", func(t *testing.T) {
		empty := s.addSite(t, map[string]any{"name": "Empty Lot"})
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/sites", "olga@example.com", testPassword)
		tb.wait("the sites", `!!document.querySelector('#sites tr[data-site="`+empty+`"]')`, 5*time.Second)

		// A site with chargers: the server's problem says why not.
		row := `#sites tr[data-site="` + altona + `"]`
		tb.click(row + ` button[data-action="delete"]`)
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		if txt := eval[string](tb, textOf("#confirm-text")); !strings.Contains(txt, "2 chargers are at this site") {
			t.Errorf("the confirmation says %q; want it to warn of the 2 chargers", txt)
		}
		tb.click("#confirm-ok")
		tb.wait("the refusal", `document.querySelector("#sites-status").classList.contains("bad")`, 5*time.Second)
		var prob struct{ Detail string }
		if st := s.call(t, "DELETE", "/api/v1/sites/"+altona, nil, &prob); st != http.StatusConflict || prob.Detail == "" {
			t.Fatalf("DELETE a site with chargers: %d %q, want 409 with a detail", st, prob.Detail)
		}
		shown := eval[string](tb, `document.querySelector("#sites-status").innerText`)
		if !eval[bool](tb, visible("#sites-status")) || !strings.HasPrefix(shown, "Could not delete Altona Parking: ") ||
			!strings.Contains(strings.ToLower(shown), strings.ToLower(prob.Detail)) {
			t.Errorf("after the refusal the page says %q (visible %v); want the server's detail %q", shown, eval[bool](tb, visible("#sites-status")), prob.Detail)
		}
		if !eval[bool](tb, visible(row)) {
			t.Error("Altona Parking left the list though it was not deleted")
		}
		tb.screenshot("operator-sites-409.png")

		// Its chargers are a click away.
		tb.click(row + ` td[data-col="chargers"] a`)
		tb.wait("Altona's chargers", `location.pathname === "/operator/chargers" && document.querySelectorAll("#chargers tr[data-charger]").length === 2`, 5*time.Second)
		if got := eval[string](tb, `document.querySelector("#site-filter").selectedOptions[0].textContent`); got != "Altona Parking" {
			t.Errorf("the site filter shows %q, want Altona Parking", got)
		}
		tb.click(`#nav a[href="/operator/sites"]`)
		tb.wait("the sites again", `!!document.querySelector('#sites tr[data-site="`+empty+`"]')`, 5*time.Second)

		// An empty site goes.
		tb.click(`#sites tr[data-site="` + empty + `"] button[data-action="delete"]`)
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.click("#confirm-ok")
		tb.wait("Empty Lot gone", `!document.querySelector('#sites tr[data-site="`+empty+`"]') && `+textOf("#sites-status")+` === "Empty Lot deleted."`, 5*time.Second)
		if st := s.call(t, "GET", "/api/v1/sites/"+empty, nil, nil); st != http.StatusNotFound {
			t.Errorf("GET the deleted site: %d, want 404", st)
		}
	})

	t.Run("ViewerReadsSites", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/sites", "vera@example.com", testPassword)
		tb.wait("the sites", `document.querySelectorAll("#sites tr[data-site]").length >= 4`, 5*time.Second)
		if got := eval[[]string](tb, usableButtons("main")); len(got) != 0 {
			t.Errorf("a viewer can press %q on the Sites page; want nothing to change", got)
		}
		if !eval[bool](tb, visible("#read-only")) {
			t.Error("no note that the viewer cannot change sites")
		}
		tb.open("/operator/chargers/ST-DC")
		tb.wait("the settings", visible("#charger-name"), 5*time.Second)
		if !eval[bool](tb, `document.querySelector("#charger-name").matches(":disabled") && document.querySelector("#save-charger").matches(":disabled")`) {
			t.Error("a viewer can change the charger's name")
		}
	})

	t.Run("Phone", func(t *testing.T) {
		const width = 375
		tb := b.tab(t, width, 667, true)
		tb.signIn("/operator/sites", "olga@example.com", testPassword)
		for _, p := range []struct{ path, ready string }{
			{"/operator/sites", `document.querySelectorAll("#sites tr[data-site]").length >= 4`},
			{"/operator/chargers", `document.querySelectorAll("#chargers tr.group").length >= 5`},
			{"/operator/chargers/ST-DC", `!!document.querySelector("#edit-2-type") && !!document.querySelector("#cmd-Reset")`},
		} {
			tb.open(p.path)
			tb.wait(p.path, p.ready, 5*time.Second)
			tb.noOverflow(p.path, width)
			tb.fullScreenshot("phone" + strings.ReplaceAll(p.path, "/", "-") + "-sites.png")
		}
		// The site form, in its dialog.
		tb.open("/operator/sites")
		tb.wait("the sites", `document.querySelectorAll("#sites tr[data-site]").length >= 4`, 5*time.Second)
		tb.click(`#sites tr[data-site="` + zentrum + `"] button[data-action="edit"]`)
		tb.wait("the site form", visible("#site-name")+` && document.querySelector("#site-name").value === "Zentrum Depot"`, 3*time.Second)
		tb.noOverflow("the site form", width)
		if r := eval[[]float64](tb, `(r => [r.left, r.right])(document.querySelector("#site-dialog").getBoundingClientRect())`); r[0] < 0 || r[1] > width {
			t.Errorf("the site dialog spans %v px, want within the %d px screen", r, width)
		}
		tb.screenshot("phone-operator-site-form.png")
		tb.click("#site-cancel")

		// The driver's list, nearest first, distances and all.
		td := b.tab(t, width, 667, true)
		td.setLocation("granted", hereLat, hereLon)
		td.signIn("/", "dana@example.com", testPassword)
		td.wait("nearest first", textOf("#sort-note")+` === "Nearest first, from your location."`, 10*time.Second)
		td.noOverflow("the driver's list", width)
		td.fullScreenshot("phone-driver-chargers-by-site.png")
	})
}
