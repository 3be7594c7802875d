package web_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sqlite"
)

// Issue 14 point 5: the operator's Reports page draws the server's report
// (charts and table) and offers it as CSV; the dashboard's numbers are the
// server's summary.

// seedReports writes, before the node starts, a site with charger RP-1,
// charger RP-2 at no site, and finished sessions: three on RP-1 and one on
// RP-2 three days ago (noon UTC), one on RP-1 that started a minute ago.
func seedReports(t *testing.T, dir string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	past := now.AddDate(0, 0, -3).Truncate(24 * time.Hour).Add(12 * time.Hour)
	must(s.CreateSite(ctx, charging.Site{ID: "S-R", Name: "Reports Lot", CreatedAt: past, UpdatedAt: past}))
	for _, c := range []charging.Charger{{ID: "RP-1", SiteID: "S-R"}, {ID: "RP-2"}} {
		c.OCPPVersion, c.RegistrationStatus, c.Admission, c.CreatedAt = charging.OCPP16, charging.RegistrationAccepted, charging.AdmissionAccepted, past
		must(s.SaveCharger(ctx, c))
		for n := 1; n <= 2; n++ {
			must(s.SaveConnector(ctx, c.ID, charging.Connector{ConnectorID: n, Status: charging.StatusAvailable, ErrorCode: "NoError", UpdatedAt: past}))
		}
	}
	add := func(id, charger string, conn int, start time.Time, dur time.Duration, wh float64, eur string) {
		stop := start.Add(dur)
		must(s.CreateSession(ctx, charging.Session{ID: id, ChargerID: charger, ConnectorID: conn, IDTag: "T", Status: charging.SessionFinished,
			CreatedAt: start, UpdatedAt: stop, StartedAt: &start, StoppedAt: &stop, EnergyWh: wh,
			Cost: &charging.Cost{Currency: "EUR", Total: eur, Final: true}}))
	}
	add("S1", "RP-1", 1, past, time.Hour, 10000, "3.50")
	add("S2", "RP-1", 2, past, 2*time.Hour, 20000, "7.00")
	add("S3", "RP-1", 1, past.Add(2*time.Hour), 30*time.Minute, 5000, "1.75")
	add("S4", "RP-2", 1, past, time.Hour, 8000, "2.80")
	add("S5", "RP-1", 2, now.Add(-time.Minute), 30*time.Second, 1500, "1.00")
}

func TestBrowserReports(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	now := time.Now().UTC()
	seedReports(t, dir, now)
	s := startNode(t, func(c *node.Config) { c.Data = dir })
	s.addUser(t, "rita@example.com", "Rita Reports", "viewer")
	b := startBrowser(t, exe, s.base)
	tb := b.tab(t, 1280, 900, false)

	// In UTC: the sessions three days ago are on the first day of a
	// four-day report.
	from := now.AddDate(0, 0, -3).Format(time.DateOnly)
	to := now.Format(time.DateOnly)
	path := "/operator/reports?" + url.Values{"from": {from}, "to": {to}, "interval": {"day"}, "groupBy": {"site"}}.Encode()
	tb.signIn(path, "rita@example.com", testPassword)
	tz := eval[string](tb, `Intl.DateTimeFormat().resolvedOptions().timeZone`)
	if tz != "UTC" && tz != "Etc/UTC" {
		t.Skipf("the browser's zone is %s; the expected numbers are for UTC", tz)
	}
	// Two groups (the site, and no site) a day for four days.
	tb.wait("the report's rows", `document.querySelectorAll("#report-rows tbody tr").length === 8`, 10*time.Second)
	for _, sel := range []string{"#report-rows", "#chart-energy svg", "#chart-revenue svg", "#chart-utilisation svg", "#report-totals"} {
		tb.wait(sel+" visible", visible(sel), 3*time.Second)
	}
	// Rows without a site come first; the second is the site's first day:
	// three sessions, 35 kWh, 12.25 EUR.
	row := `Array.from(document.querySelectorAll("#report-rows tbody tr:nth-child(2) td")).map(td => td.textContent).join("|")`
	if got, want := eval[string](tb, row), fmt.Sprintf("%s|Reports Lot|–|3|35.00 kWh|12.25 EUR|", time.Date(now.Year(), now.Month(), now.Day()-3, 0, 0, 0, 0, time.UTC).Format("1/2/2006")); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("second row = %q, want it to start %q", got, want)
	}
	totals := `Array.from(document.querySelectorAll("#report-totals .metric")).map(m => m.dataset.total + "=" + m.querySelector(".value").textContent).join(" ")`
	if got, want := eval[string](tb, totals), "sessions=5 energy=44.50 kWh revenue=16.05 EUR"; len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("totals = %q, want them to start %q", got, want)
	}
	// Energy by day: four bars, the first (43 kWh of 44.5) the tallest.
	bars := `Array.from(document.querySelectorAll("#chart-energy rect.bar")).map(r => Math.round(r.getBoundingClientRect().height))`
	hs := eval[[]int](tb, bars)
	if len(hs) != 4 || hs[0] < 50 || hs[1] != 0 || hs[2] != 0 || hs[3] <= 0 || hs[3] >= hs[0]/10 {
		t.Errorf("energy bar heights = %v, want 4 with the first tallest, today's small and the two between empty", hs)
	}
	if fill := eval[string](tb, `getComputedStyle(document.querySelector("#chart-energy rect.bar")).fill`); fill == "none" || fill == "" {
		t.Errorf("the bars are not filled: %q", fill)
	}
	href := eval[string](tb, `document.querySelector("#report-csv").href`)
	if u, err := url.Parse(href); err != nil || u.Path != "/api/v1/reports/usage" || u.Query().Get("format") != "csv" || u.Query().Get("groupBy") != "site" {
		t.Errorf("CSV link = %q", href)
	}

	// The dashboard: today's energy as the server counts it.
	var sum struct {
		Today struct {
			EnergyWh float64
			Sessions int
		}
	}
	s.call(t, "GET", "/api/v1/reports/summary?tz=UTC", nil, &sum)
	if sum.Today.EnergyWh != 1500 || sum.Today.Sessions != 1 {
		t.Fatalf("summary today = %+v, want 1500 Wh and 1 session", sum.Today)
	}
	tb.click(`#nav a[href="/operator"]`)
	tb.wait("today's energy", textOf(`[data-tile="energy"] .value`)+` === "1.50 kWh" && `+visible(`[data-tile="energy"]`), 10*time.Second)
	tb.wait("today's sessions and revenue", textOf(`[data-tile="sessions"] .value`)+` === "1" && `+textOf(`[data-tile="revenue"] .value`)+` === "1.00 EUR"`, 5*time.Second)
}
