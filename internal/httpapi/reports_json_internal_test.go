package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// The hand-written report JSON is byte for byte what encoding/json writes.
func TestUsageReportJSONIsEncodingJSON(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	berlin, _ := time.LoadLocation("Europe/Berlin")
	floats := []float64{0, 1, -1, 0.5, 1e-7, 123456.789, 1e21, 2.5e-9, 6379, 0.1 + 0.2, 1e300, 1.0 / 3}
	strs := []string{"", "CP-1", "S-ü", "a\"b", "<tag>&", "tab\there", "EUR"}
	var rows []charging.ReportRow
	for i := range 500 {
		start := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin).Add(time.Duration(i) * 13 * time.Hour)
		if i%2 == 0 {
			start = start.UTC().Add(123456789 * time.Nanosecond)
		}
		r := charging.ReportRow{PeriodStart: start, PeriodEnd: start.Add(24 * time.Hour),
			SiteID: strs[rnd.IntN(len(strs))], ChargerID: strs[rnd.IntN(len(strs))], Sessions: rnd.IntN(1000),
			EnergyWh: floats[rnd.IntN(len(floats))], OccupiedS: rnd.Int64(), ConnectorS: -rnd.Int64N(10),
			Utilisation: floats[rnd.IntN(len(floats))] * rnd.Float64(), OnlineS: rnd.Int64N(86400), ChargerS: 86400,
			Availability: rnd.Float64()}
		for range rnd.IntN(3) {
			r.Revenue = append(r.Revenue, charging.Money{Currency: strs[rnd.IntN(len(strs))], Amount: "12.34"})
		}
		if r.Revenue == nil && i%3 == 0 {
			r.Revenue = []charging.Money{}
		}
		rows = append(rows, r)
	}
	// A nil revenue is [] in the hand-written form; the domain never
	// leaves it nil (charging.MoneyList), so compare with that.
	for i := range rows {
		if rows[i].Revenue == nil {
			rows[i].Revenue = []charging.Money{}
		}
	}
	rep := usageReport{Interval: charging.ReportDay, GroupBy: charging.ReportGroup("charger"), TimeZone: "Europe/Berlin",
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Rows: rows,
		Totals: totalsOf(charging.ReportTotal(rows))}
	want, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	writeUsageReport(rec, rep)
	got := bytes.TrimSuffix(rec.Body.Bytes(), []byte("\n"))
	if !bytes.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("differs at byte %d:\n got %s\nwant %s", i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
			}
		}
		t.Fatalf("lengths differ: %d, want %d", len(got), len(want))
	}
}
