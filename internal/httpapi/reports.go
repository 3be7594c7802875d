package httpapi

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Usage reports (staff only): GET /api/v1/reports/usage and
// GET /api/v1/reports/summary. The store computes them
// (docs/adr/0010-usage-reports.md).

// usageReport is the JSON shape of a usage report.
type usageReport struct {
	Interval charging.ReportInterval `json:"interval"`
	GroupBy  charging.ReportGroup    `json:"groupBy"`
	TimeZone string                  `json:"timeZone"`
	From     time.Time               `json:"from"`
	To       time.Time               `json:"to"`
	Rows     []charging.ReportRow    `json:"rows"`
	Totals   reportTotals            `json:"totals"`
}

// reportTotals is a row without its period and group.
type reportTotals struct {
	Sessions     int              `json:"sessions"`
	EnergyWh     float64          `json:"energyWh"`
	Revenue      []charging.Money `json:"revenue"`
	Utilisation  float64          `json:"utilisation"`
	Availability float64          `json:"availability"`
	OccupiedS    int64            `json:"occupiedS"`
	ConnectorS   int64            `json:"connectorS"`
	OnlineS      int64            `json:"onlineS"`
	ChargerS     int64            `json:"chargerS"`
}

func totalsOf(r charging.ReportRow) reportTotals {
	return reportTotals{Sessions: r.Sessions, EnergyWh: r.EnergyWh, Revenue: r.Revenue, Utilisation: r.Utilisation,
		Availability: r.Availability, OccupiedS: r.OccupiedS, ConnectorS: r.ConnectorS, OnlineS: r.OnlineS, ChargerS: r.ChargerS}
}

// queryZone parses ?tz= (an IANA zone; absent: UTC).
func queryZone(q url.Values) (*time.Location, error) {
	v := q.Get("tz")
	if v == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil || v == "Local" {
		return nil, invalidf("tz must be an IANA time zone such as Europe/Berlin, got %s", quote(v))
	}
	return loc, nil
}

// queryDate parses a required YYYY-MM-DD parameter as that day's midnight in loc.
func queryDate(q url.Values, name string, loc *time.Location) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, invalidf("%s is required (a date such as 2026-01-01)", name)
	}
	t, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, invalidf("%s must be a date such as 2026-01-01, got %s", name, quote(v))
	}
	return t, nil
}

// reportQuery parses the usage report's parameters.
func reportQuery(q url.Values) (charging.ReportQuery, error) {
	var rq charging.ReportQuery
	if err := knownParams(q, "from", "to", "interval", "groupBy", "siteId", "chargerId", "tz", "format"); err != nil {
		return rq, err
	}
	loc, err := queryZone(q)
	if err != nil {
		return rq, err
	}
	rq.Location = loc
	if rq.From, err = queryDate(q, "from", loc); err != nil {
		return rq, err
	}
	if rq.To, err = queryDate(q, "to", loc); err != nil {
		return rq, err
	}
	rq.Interval = charging.ReportInterval(q.Get("interval"))
	if rq.Interval == "" {
		rq.Interval = charging.ReportDay
	}
	rq.GroupBy = charging.ReportGroup(q.Get("groupBy"))
	rq.SiteID, rq.ChargerID = q.Get("siteId"), q.Get("chargerId")
	if f := q.Get("format"); f != "" && f != "json" && f != "csv" {
		return rq, invalidf("format must be json or csv, got %s", quote(f))
	}
	// The domain's checks, as the 400 of this route (they name the parameter).
	if err := rq.Validate(); err != nil {
		return rq, invalidf("%s", charging.ErrorMessage(err))
	}
	return rq, nil
}

// wantsCSV reports ?format=csv, or an Accept header asking for CSV
// (without ?format=json).
func wantsCSV(r *http.Request) bool {
	switch r.URL.Query().Get("format") {
	case "csv":
		return true
	case "json":
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/csv")
}

// GET /api/v1/reports/usage?from=&to=&interval=&groupBy=&siteId=&chargerId=&tz=&format=
//
// Energy, sessions, revenue, utilisation and availability per period (and
// per site or charger), with their totals; as CSV with format=csv or
// Accept: text/csv.
func (s *Server) usageReport(w http.ResponseWriter, r *http.Request) {
	rq, err := reportQuery(r.URL.Query())
	if err != nil {
		s.reject(w, r, err)
		return
	}
	rows, err := s.svc.UsageReport(r.Context(), rq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wantsCSV(r) {
		writeReportCSV(w, rq, rows)
		return
	}
	if rows == nil {
		rows = []charging.ReportRow{}
	}
	writeUsageReport(w, usageReport{
		Interval: rq.Interval, GroupBy: rq.GroupBy, TimeZone: rq.Location.String(),
		From: rq.From.UTC(), To: rq.To.UTC(), Rows: rows, Totals: totalsOf(charging.ReportTotal(rows)),
	})
}

// writeReportCSV writes rows as CSV: one revenue column per currency
// ("revenue EUR"), times in RFC 3339 UTC, ratios as fractions.
func writeReportCSV(w http.ResponseWriter, rq charging.ReportQuery, rows []charging.ReportRow) {
	seen := map[string]bool{}
	var currencies []string
	for _, r := range rows {
		for _, m := range r.Revenue {
			if !seen[m.Currency] {
				seen[m.Currency] = true
				currencies = append(currencies, m.Currency)
			}
		}
	}
	sort.Strings(currencies)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="usage-`+rq.From.Format(time.DateOnly)+`-`+string(rq.Interval)+`.csv"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	header := []string{"periodStart", "periodEnd", "siteId", "chargerId", "sessions", "energyWh"}
	for _, c := range currencies {
		header = append(header, "revenue "+c)
	}
	header = append(header, "utilisation", "availability", "occupiedS", "connectorS", "onlineS", "chargerS")
	_ = cw.Write(header)
	for _, r := range rows {
		rec := []string{csvTime(&r.PeriodStart), csvTime(&r.PeriodEnd), cell(r.SiteID), cell(r.ChargerID),
			strconv.Itoa(r.Sessions), strconv.FormatFloat(r.EnergyWh, 'f', -1, 64)}
		for _, c := range currencies {
			v := ""
			for _, m := range r.Revenue {
				if m.Currency == c {
					v = string(m.Amount)
				}
			}
			rec = append(rec, v)
		}
		rec = append(rec, strconv.FormatFloat(r.Utilisation, 'f', 6, 64), strconv.FormatFloat(r.Availability, 'f', 6, 64),
			strconv.FormatInt(r.OccupiedS, 10), strconv.FormatInt(r.ConnectorS, 10),
			strconv.FormatInt(r.OnlineS, 10), strconv.FormatInt(r.ChargerS, 10))
		_ = cw.Write(rec)
	}
	cw.Flush()
}

// reportSummary is the JSON shape of a charging.ReportSummary.
type reportSummary struct {
	At             time.Time     `json:"at"`
	TimeZone       string        `json:"timeZone"`
	Today          summaryPeriod `json:"today"`
	Last30Days     summaryPeriod `json:"last30Days"`
	ChargersOnline int           `json:"chargersOnline"`
	Chargers       int           `json:"chargers"`
}

type summaryPeriod struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	reportTotals
}

// GET /api/v1/reports/summary?tz=
//
// The dashboard's numbers: today's and the last 30 days' totals (days in
// tz), and the chargers online now.
func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := knownParams(q, "tz")
	var loc *time.Location
	if err == nil {
		loc, err = queryZone(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	sum, err := s.svc.ReportSummary(r.Context(), loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reportSummary{
		At: sum.At, TimeZone: sum.TimeZone, ChargersOnline: sum.ChargersOnline, Chargers: sum.Chargers,
		Today:      summaryPeriod{From: sum.Today.PeriodStart.UTC(), To: sum.Today.PeriodEnd.UTC(), reportTotals: totalsOf(sum.Today)},
		Last30Days: summaryPeriod{From: sum.Last30Days.PeriodStart.UTC(), To: sum.Last30Days.PeriodEnd.UTC(), reportTotals: totalsOf(sum.Last30Days)},
	})
}
