package chargingtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// TimeReports measures every report kind (by day, week and month; by
// site, by charger and all together) over the year before the newest
// session of a store filled by bench/fixture, in loc, and logs the times:
// the first report (which builds the zone's roll-up), then the best and
// the median of five runs of each kind, then each kind right after a
// session changed (the roll-up brought up to date). docs/performance.md.
func TimeReports(t *testing.T, s charging.Store, loc *time.Location) {
	ctx := context.Background()
	p, err := s.ListSessions(ctx, charging.SessionQuery{Limit: 1})
	must(t, err, "ListSessions")
	if len(p.Items) == 0 {
		t.Fatal("the store has no sessions: fill it with go run ./bench/fixture")
	}
	newest := p.Items[0]
	y, m, d := newest.CreatedAt.In(loc).Date()
	to := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	from := to.AddDate(-1, 0, 0)
	q := charging.ReportQuery{From: from, To: to, Location: loc}
	time1 := func(q charging.ReportQuery) (time.Duration, int) {
		began := time.Now()
		rows, err := s.UsageReport(ctx, q)
		must(t, err, "UsageReport")
		return time.Since(began), len(rows)
	}
	q.Interval = charging.ReportDay
	took, _ := time1(q)
	t.Logf("first report in %s (builds the %s roll-up) over %s to %s", took.Round(time.Millisecond), loc, from.Format(time.DateOnly), to.Format(time.DateOnly))
	for _, iv := range []charging.ReportInterval{charging.ReportDay, charging.ReportWeek, charging.ReportMonth} {
		for _, g := range []charging.ReportGroup{charging.ReportGroupAll, charging.ReportGroupSite, charging.ReportGroupCharger} {
			q.Interval, q.GroupBy = iv, g
			var times []time.Duration
			var rows int
			for range 5 {
				d, n := time1(q)
				times, rows = append(times, d), n
			}
			slices.Sort(times)
			// One finished session changes: the next report rebuilds its days.
			ses, err := s.GetSession(ctx, newest.ID)
			must(t, err, "GetSession")
			ses.EnergyWh++
			must(t, s.UpdateSession(ctx, ses), "UpdateSession")
			after, _ := time1(q)
			t.Logf("%-5s by %-7s %6d rows: best %7s, median %7s, after a change %7s", iv, groupName(g), rows,
				times[0].Round(100*time.Microsecond), times[2].Round(100*time.Microsecond), after.Round(100*time.Microsecond))
		}
	}
}

func groupName(g charging.ReportGroup) string {
	if g == "" {
		return "all"
	}
	return fmt.Sprint(g)
}
