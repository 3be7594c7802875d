package charging_test

import (
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestReportPeriods(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, berlin) }
	for _, c := range []struct {
		interval charging.ReportInterval
		from, to time.Time
		want     []time.Time
	}{
		// Across the change to summer time (2026-03-29 is 23 hours long).
		{charging.ReportDay, d(2026, 3, 28), d(2026, 3, 31), []time.Time{d(2026, 3, 28), d(2026, 3, 29), d(2026, 3, 30), d(2026, 3, 31)}},
		// Weeks start on Monday; the first starts at from (a Wednesday).
		{charging.ReportWeek, d(2026, 3, 18), d(2026, 4, 2), []time.Time{d(2026, 3, 18), d(2026, 3, 23), d(2026, 3, 30), d(2026, 4, 2)}},
		{charging.ReportMonth, d(2026, 1, 15), d(2026, 3, 1), []time.Time{d(2026, 1, 15), d(2026, 2, 1), d(2026, 3, 1)}},
	} {
		got := charging.ReportQuery{From: c.from, To: c.to, Interval: c.interval, Location: berlin}.ReportPeriods()
		if len(got) != len(c.want) {
			t.Fatalf("%s from %s: %v, want %v", c.interval, c.from, got, c.want)
		}
		for i := range got {
			if !got[i].Equal(c.want[i]) {
				t.Errorf("%s from %s: period %d starts %s, want %s", c.interval, c.from, i, got[i], c.want[i])
			}
		}
	}
	if h := d(2026, 3, 30).Sub(d(2026, 3, 29)); h != 23*time.Hour {
		t.Errorf("2026-03-29 in Berlin is %v long, want 23h", h)
	}
}

func TestReportCellsSpread(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	first := charging.CivilDay(time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), berlin)
	cells := charging.NewReportCells(berlin, first, first+3)
	// From 22:00 on the 28th to 02:00 on the 30th (Berlin): 2 h, 23 h, 2 h.
	from, to := time.Date(2026, 3, 28, 22, 0, 0, 0, berlin), time.Date(2026, 3, 30, 2, 0, 0, 0, berlin)
	cells.AddSession(charging.ReportSession{ChargerID: "C", Start: from, End: to, EnergyWh: 5, Currency: "EUR", CostMinor: 123}, to)
	got := cells.Cells()
	want := []charging.ReportCell{
		{ChargerID: "C", Day: first, Sessions: 1, EnergyWh: 5, OccupiedUS: 2 * 3600e6},
		{ChargerID: "C", Day: first + 1, OccupiedUS: 23 * 3600e6},
		{ChargerID: "C", Day: first + 2, OccupiedUS: 2 * 3600e6, Revenue: map[string]int64{"EUR": 123}},
	}
	if len(got) != len(want) {
		t.Fatalf("cells = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ChargerID != w.ChargerID || g.Day != w.Day || g.Sessions != w.Sessions || g.EnergyWh != w.EnergyWh ||
			g.OccupiedUS != w.OccupiedUS || charging.FormatRevenue(g.Revenue) != charging.FormatRevenue(w.Revenue) {
			t.Errorf("cell %d = %+v, want %+v", i, g, w)
		}
	}
	if r, err := charging.ParseRevenue("EUR=5;USD=-2;EUR=1"); err != nil || r["EUR"] != 6 || r["USD"] != -2 {
		t.Errorf("ParseRevenue = %v, %v", r, err)
	}
	if _, err := charging.ParseRevenue("EUR"); charging.ErrorCode(err) != charging.EINVALID {
		t.Errorf("ParseRevenue(EUR) = %v, want EINVALID", err)
	}
}
