package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// reportCalls records what the report handlers asked for.
type reportCalls struct {
	query   *charging.ReportQuery
	summary *time.Location
}

// UsageReport answers a row per period: 2 sessions, 1500.5 Wh, 3.10 EUR,
// half the connectors' time occupied, a quarter of the chargers' online.
func (f *fakeService) UsageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error) {
	f.mu.Lock()
	f.reports.query = &q
	f.mu.Unlock()
	if err := f.fail("UsageReport"); err != nil {
		return nil, err
	}
	var rows []charging.ReportRow
	p := q.ReportPeriods()
	for i := range len(p) - 1 {
		rows = append(rows, charging.ReportRow{PeriodStart: p[i].UTC(), PeriodEnd: p[i+1].UTC(), SiteID: q.SiteID, ChargerID: q.ChargerID,
			Sessions: 2, EnergyWh: 1500.5, Revenue: []charging.Money{{Currency: "EUR", Amount: "3.10"}},
			OccupiedS: 3600, ConnectorS: 7200, Utilisation: 0.5, OnlineS: 900, ChargerS: 3600, Availability: 0.25})
	}
	return rows, nil
}

func (f *fakeService) ReportSummary(ctx context.Context, loc *time.Location) (charging.ReportSummary, error) {
	f.mu.Lock()
	f.reports.summary = loc
	f.mu.Unlock()
	if err := f.fail("ReportSummary"); err != nil {
		return charging.ReportSummary{}, err
	}
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, loc)
	today := charging.ReportRow{PeriodStart: day, PeriodEnd: day.AddDate(0, 0, 1), Sessions: 3, EnergyWh: 42000,
		Revenue: []charging.Money{{Currency: "EUR", Amount: "12.60"}}, OccupiedS: 1800, ConnectorS: 3600, Utilisation: 0.5}
	return charging.ReportSummary{At: day.Add(time.Hour), TimeZone: loc.String(), Today: today, Last30Days: today,
		ChargersOnline: 4, Chargers: 5}, nil
}

func TestUsageReport(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	var rep struct {
		Interval, GroupBy, TimeZone string
		From, To                    time.Time
		Rows                        []charging.ReportRow
		Totals                      map[string]any
	}
	want(t, e.do(t, "GET", "/api/v1/reports/usage?from=2026-03-01&to=2026-05-01&interval=month&groupBy=site&siteId=S-1&tz=Europe/Berlin", ""), http.StatusOK, &rep)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	q := e.svc.reports.query
	if q == nil || !q.From.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, berlin)) || !q.To.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, berlin)) ||
		q.Interval != charging.ReportMonth || q.GroupBy != charging.ReportGroupSite || q.SiteID != "S-1" || q.Location.String() != "Europe/Berlin" {
		t.Fatalf("service asked for %+v", q)
	}
	if rep.Interval != "month" || rep.GroupBy != "site" || rep.TimeZone != "Europe/Berlin" || len(rep.Rows) != 2 ||
		!rep.Rows[1].PeriodStart.Equal(time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)) || rep.Rows[1].Revenue[0].Amount != "3.10" {
		t.Errorf("report = %+v", rep)
	}
	wantTotals := map[string]any{"sessions": 4.0, "energyWh": 3001.0, "revenue": []any{map[string]any{"currency": "EUR", "amount": "6.20"}},
		"utilisation": 0.5, "availability": 0.25, "occupiedS": 7200.0, "connectorS": 14400.0, "onlineS": 1800.0, "chargerS": 7200.0}
	if !reflect.DeepEqual(rep.Totals, wantTotals) {
		t.Errorf("totals = %v, want %v", rep.Totals, wantTotals)
	}

	// CSV, by ?format=csv or by Accept.
	for _, h := range [][]string{nil, {"Accept", "text/csv"}} {
		path := "/api/v1/reports/usage?from=2026-04-28&to=2026-04-30"
		if h == nil {
			path += "&format=csv"
		}
		res := e.do(t, "GET", path, "", h...)
		body, _ := io.ReadAll(res.Body)
		wantCSV := "periodStart,periodEnd,siteId,chargerId,sessions,energyWh,revenue EUR,utilisation,availability,occupiedS,connectorS,onlineS,chargerS\n" +
			"2026-04-28T00:00:00Z,2026-04-29T00:00:00Z,,,2,1500.5,3.10,0.500000,0.250000,3600,7200,900,3600\n" +
			"2026-04-29T00:00:00Z,2026-04-30T00:00:00Z,,,2,1500.5,3.10,0.500000,0.250000,3600,7200,900,3600\n"
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || string(body) != wantCSV {
			t.Errorf("CSV (%v): %d %s\n%s\nwant\n%s", h, res.StatusCode, res.Header.Get("Content-Type"), body, wantCSV)
		}
	}

	// Bad parameters name themselves.
	for q, name := range map[string]string{
		"to=2026-05-01":                               "from",
		"from=2026-05-01":                             "to",
		"from=2026-5-1&to=2026-06-01":                 "from",
		"from=2026-05-01&to=2026-04-01":               "to",
		"from=2025-01-01&to=2026-06-01":               "to",
		"from=2026-05-01&to=2026-06-01&interval=hour": "interval",
		"from=2026-05-01&to=2026-06-01&groupBy=evse":  "groupBy",
		"from=2026-05-01&to=2026-06-01&tz=Mars/Base":  "tz",
		"from=2026-05-01&to=2026-06-01&format=xml":    "format",
		"from=2026-05-01&to=2026-06-01&site=S-1":      "site",
	} {
		p := wantProblem(t, e.do(t, "GET", "/api/v1/reports/usage?"+q, ""), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, name) {
			t.Errorf("?%s: detail %q, want it to name %s", q, p.Detail, name)
		}
	}
}

func TestReportSummary(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	var sum struct {
		TimeZone       string
		Today          map[string]any
		ChargersOnline int
		Chargers       int
	}
	want(t, e.do(t, "GET", "/api/v1/reports/summary?tz=Europe/Berlin", ""), http.StatusOK, &sum)
	if e.svc.reports.summary.String() != "Europe/Berlin" || sum.TimeZone != "Europe/Berlin" || sum.ChargersOnline != 4 || sum.Chargers != 5 ||
		sum.Today["energyWh"] != 42000.0 || sum.Today["from"] != "2026-04-30T22:00:00Z" {
		t.Errorf("summary = %+v", sum)
	}
	want(t, e.do(t, "GET", "/api/v1/reports/summary", ""), http.StatusOK, &sum)
	if e.svc.reports.summary != time.UTC {
		t.Errorf("default zone %v, want UTC", e.svc.reports.summary)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/reports/summary?tz=Nowhere", ""), http.StatusBadRequest, charging.EINVALID)
	wantProblem(t, e.do(t, "GET", "/api/v1/reports/summary?since=x", ""), http.StatusBadRequest, charging.EINVALID)
}

func TestReportsAuthz(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	ses, err := e.acc.Signup(bg, "driver@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := e.acc.CreateAPIKey(bg, accounts.NewAPIKey{Name: "dashboards", Role: charging.RoleViewer}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/reports/usage?from=2026-05-01&to=2026-05-02", "/api/v1/reports/summary"} {
		wantProblem(t, e.do(t, "GET", path, "", "Authorization", "Bearer "+ses.Token), http.StatusForbidden, charging.EFORBIDDEN)
		wantProblem(t, e.do(t, "GET", path, "", "Authorization", ""), http.StatusUnauthorized, charging.EUNAUTHENTICATED)
		want(t, e.do(t, "GET", path, "", "Authorization", "Bearer "+viewer.Key), http.StatusOK, nil)
	}
}
