package chargingtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// The usage report against a naive recomputation from the raw sessions
// (ListSessions) and the presence the test itself reported: every
// interval and grouping, two zones (one crossing a DST change), filters,
// and again after changes (the store's roll-up brought up to date).

// reportFixture is what the test fed the store.
type reportFixture struct {
	chargers []charging.Charger
	conns    map[string]int // charger -> connectors (> 0)
	spans    []charging.ReportSpan
	now      time.Time
}

func (f *reportFixture) open(charger string) int {
	for i := len(f.spans) - 1; i >= 0; i-- {
		if f.spans[i].ChargerID == charger && f.spans[i].To.IsZero() {
			return i
		}
	}
	return -1
}

func reportCost(rng *rand.Rand, energy float64) *charging.Cost {
	switch n := rng.IntN(10); {
	case n == 0:
		return nil // free
	case n == 1:
		return &charging.Cost{Currency: "USD", Total: (charging.FormatMinor(int64(energy)/3+17, "USD")), Final: true}
	case n == 2:
		return &charging.Cost{Currency: "JPY", Total: (charging.FormatMinor(int64(energy)/20, "JPY")), Final: true}
	default:
		return &charging.Cost{Currency: "EUR", Total: (charging.FormatMinor(int64(energy)*35/1000+50, "EUR")), Final: true}
	}
}

// buildReportFixture stores 20 chargers on two sites (and none) with 30
// days of sessions and presence from 2026-03-10 (Europe/Berlin changes
// to summer time on 2026-03-29).
func buildReportFixture(t *testing.T, s charging.Store, seed uint64) *reportFixture {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	f := &reportFixture{conns: map[string]int{}, now: start.Add(30*24*time.Hour - 6*time.Hour)}
	for _, id := range []string{"S-A", "S-B"} {
		must(t, s.CreateSite(ctx, charging.Site{ID: id, Name: id, CreatedAt: start, UpdatedAt: start}), "CreateSite")
	}
	for i := range 20 {
		c := charger(fmt.Sprintf("CP-%02d", i))
		c.Online, c.LastSeenAt, c.CreatedAt = false, nil, start
		switch {
		case i < 10:
			c.SiteID = "S-A"
		case i < 15:
			c.SiteID = "S-B"
		}
		must(t, s.SaveCharger(ctx, c), "SaveCharger")
		conns := []int{1, 2}
		if i == 3 {
			conns = []int{0, 1, 2, 3} // connector 0 is the charger, not a connector
		}
		for _, n := range conns {
			must(t, s.SaveConnector(ctx, c.ID, connector(n, charging.StatusAvailable)), "SaveConnector")
		}
		f.conns[c.ID] = len(conns)
		if i == 3 {
			f.conns[c.ID] = 3
		}
		f.chargers = append(f.chargers, c)
	}
	// Presence: alternating connections and disconnections; CP-19 never
	// connects; some stay connected.
	for _, c := range f.chargers[:19] {
		at := start.Add(time.Duration(rng.IntN(48*60)) * time.Minute)
		for at.Before(f.now) {
			must(t, s.SetChargerPresence(ctx, c.ID, charging.ChargerPresence{Online: true, At: at}), "connect")
			sp := charging.ReportSpan{ChargerID: c.ID, From: at}
			at = at.Add(time.Duration(60+rng.IntN(72*60)) * time.Minute)
			if at.After(f.now) && rng.IntN(2) == 0 {
				f.spans = append(f.spans, sp)
				break
			}
			if last := f.now.Add(-time.Minute); at.After(last) {
				at = last
			}
			must(t, s.SetChargerPresence(ctx, c.ID, charging.ChargerPresence{At: at}), "disconnect")
			sp.To = at
			f.spans = append(f.spans, sp)
			at = at.Add(time.Duration(10+rng.IntN(12*60)) * time.Minute)
		}
	}
	// Sessions: one after another on each connector.
	n := 0
	for _, c := range f.chargers {
		var batch []charging.Session
		for conn := 1; conn <= f.conns[c.ID]; conn++ {
			at := start.Add(time.Duration(rng.IntN(20*60)) * time.Minute)
			for {
				n++
				dur := time.Duration(10+rng.IntN(300)) * time.Minute
				ses := session(fmt.Sprintf("R-%05d", n), c.ID, conn, charging.SessionFinished)
				ses.CreatedAt, ses.UpdatedAt = at.Add(-time.Minute), at.Add(dur)
				started, stopped := at, at.Add(dur)
				ses.StartedAt, ses.StoppedAt = &started, &stopped
				ses.EnergyWh = float64(rng.IntN(60000))
				ses.Cost = reportCost(rng, ses.EnergyWh)
				switch r := rng.IntN(20); {
				case r == 0:
					ses.Status, ses.Cost, ses.StoppedAt = charging.SessionFailed, nil, nil
				case r == 1:
					ses.StartedAt = nil // counted from its creation
				}
				if stopped.After(f.now) {
					if rng.IntN(2) == 0 {
						break
					}
					ses.Status, ses.StoppedAt, ses.Cost = charging.SessionActive, nil, nil
					ses.UpdatedAt = f.now.Add(-time.Minute)
					if !started.Before(f.now) {
						break
					}
				}
				batch = append(batch, ses)
				if ses.Status == charging.SessionActive {
					break
				}
				at = stopped.Add(time.Duration(rng.IntN(20*60)) * time.Minute)
			}
		}
		must(t, s.Update(ctx, func(tx charging.Tx) error {
			for _, ses := range batch {
				if err := tx.CreateSession(ctx, ses); err != nil {
					return err
				}
			}
			return nil
		}), "CreateSession")
	}
	return f
}

// naiveReport computes a report from every session and span, period by
// period, charger by charger.
func naiveReport(f *reportFixture, sessions map[string][]naiveSession, q charging.ReportQuery) []charging.ReportRow {
	loc := q.Loc()
	var periods []time.Time
	for d := q.From; d.Before(q.To); {
		periods = append(periods, d)
		y, m, day := d.In(loc).Date()
		switch q.Interval {
		case charging.ReportDay:
			d = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
		case charging.ReportWeek:
			d = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
			for d.In(loc).Weekday() != time.Monday {
				y, m, day = d.In(loc).Date()
				d = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
			}
		case charging.ReportMonth:
			d = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
		}
		if d.After(q.To) {
			d = q.To
		}
	}
	overlap := func(a, b, ps, pe time.Time) int64 {
		if a.Before(ps) {
			a = ps
		}
		if b.After(pe) {
			b = pe
		}
		if !b.After(a) {
			return 0
		}
		return b.UnixMicro() - a.UnixMicro()
	}
	upToNow := func(a, b time.Time) int64 {
		if b.After(q.Now) {
			b = q.Now
		}
		if !b.After(a) {
			return 0
		}
		return int64(b.Sub(a) / time.Second)
	}
	type key struct{ site, charger string }
	var rows []charging.ReportRow
	for i, ps := range periods {
		pe := q.To
		if i+1 < len(periods) {
			pe = periods[i+1]
		}
		acc := map[key]*charging.ReportRow{}
		occ, onl := map[key]int64{}, map[key]int64{}
		rev := map[key]map[string]int64{}
		for _, c := range f.chargers {
			if q.SiteID != "" && c.SiteID != q.SiteID || q.ChargerID != "" && c.ID != q.ChargerID {
				continue
			}
			k := key{}
			switch q.GroupBy {
			case charging.ReportGroupSite:
				k.site = c.SiteID
			case charging.ReportGroupCharger:
				k = key{c.SiteID, c.ID}
			}
			r := acc[k]
			if r == nil {
				r = &charging.ReportRow{PeriodStart: ps.UTC(), PeriodEnd: pe.UTC(), SiteID: k.site, ChargerID: k.charger}
				acc[k], rev[k] = r, map[string]int64{}
			}
			r.ConnectorS += int64(f.conns[c.ID]) * upToNow(ps, pe)
			var first *time.Time
			for _, sp := range f.spans {
				if sp.ChargerID != c.ID {
					continue
				}
				if first == nil || sp.From.Before(*first) {
					first = &sp.From
				}
				to := sp.To
				if to.IsZero() {
					to = q.Now
				}
				onl[k] += overlap(sp.From, to, ps, pe)
			}
			if first != nil {
				r.ChargerS += upToNow(maxTime(ps, *first), pe)
			}
			for _, ses := range sessions[c.ID] {
				end := q.Now
				if !ses.active {
					end = ses.end
					if ses.currency != "" && !end.Before(ps) && end.Before(pe) {
						rev[k][ses.currency] += ses.minor
					}
				}
				if !ses.begin.Before(ps) && ses.begin.Before(pe) {
					r.Sessions++
					r.EnergyWh += ses.energyWh
				}
				occ[k] += overlap(ses.begin, end, ps, pe)
			}
		}
		var keys []key
		for k := range acc {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].site != keys[j].site {
				return keys[i].site < keys[j].site
			}
			return keys[i].charger < keys[j].charger
		})
		for _, k := range keys {
			r := acc[k]
			r.OccupiedS, r.OnlineS = occ[k]/1e6, onl[k]/1e6
			if r.ConnectorS > 0 {
				r.Utilisation = float64(occ[k]) / 1e6 / float64(r.ConnectorS)
			}
			if r.ChargerS > 0 {
				r.Availability = float64(onl[k]) / 1e6 / float64(r.ChargerS)
			}
			r.Revenue = charging.MoneyList(rev[k])
			rows = append(rows, *r)
		}
		if len(keys) == 0 && q.GroupBy == charging.ReportGroupAll {
			rows = append(rows, charging.ReportRow{PeriodStart: ps.UTC(), PeriodEnd: pe.UTC(), Revenue: []charging.Money{}})
		}
	}
	return rows
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// naiveSession is what the naive report reads of a session.
type naiveSession struct {
	active     bool
	begin, end time.Time // end: when finished
	energyWh   float64
	currency   string
	minor      int64
}

// allSessions returns every finished or active session, by charger.
func allSessions(t *testing.T, s charging.Store) map[string][]naiveSession {
	t.Helper()
	out := map[string][]naiveSession{}
	for cursor := ""; ; {
		p, err := s.ListSessions(context.Background(), charging.SessionQuery{Cursor: cursor, Limit: 500})
		must(t, err, "ListSessions")
		for _, ses := range p.Items {
			if ses.Status != charging.SessionFinished && ses.Status != charging.SessionActive {
				continue
			}
			n := naiveSession{active: ses.Status == charging.SessionActive, begin: ses.CreatedAt, end: ses.UpdatedAt, energyWh: ses.EnergyWh}
			if ses.StartedAt != nil {
				n.begin = *ses.StartedAt
			}
			if ses.StoppedAt != nil {
				n.end = *ses.StoppedAt
			}
			n.minor, n.currency = ses.FinalTotalMinor()
			out[ses.ChargerID] = append(out[ses.ChargerID], n)
		}
		if cursor = p.NextCursor; cursor == "" {
			return out
		}
	}
}

// checkReports compares every report kind with the naive one.
func checkReports(t *testing.T, s charging.Store, f *reportFixture, what string) {
	t.Helper()
	sessions := allSessions(t, s)
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err, "LoadLocation")
	for _, loc := range []*time.Location{time.UTC, berlin} {
		for _, iv := range []charging.ReportInterval{charging.ReportDay, charging.ReportWeek, charging.ReportMonth} {
			for _, g := range []charging.ReportGroup{charging.ReportGroupAll, charging.ReportGroupSite, charging.ReportGroupCharger} {
				q := charging.ReportQuery{
					From: time.Date(2026, 3, 4, 0, 0, 0, 0, loc), To: time.Date(2026, 5, 1, 0, 0, 0, 0, loc),
					Interval: iv, GroupBy: g, Location: loc, Now: f.now,
				}
				compareReport(t, s, f, sessions, q, fmt.Sprintf("%s: %s by %s, by %q", what, loc, iv, g))
			}
		}
	}
	q := charging.ReportQuery{From: time.Date(2026, 3, 20, 0, 0, 0, 0, berlin), To: time.Date(2026, 4, 2, 0, 0, 0, 0, berlin),
		Interval: charging.ReportWeek, GroupBy: charging.ReportGroupCharger, SiteID: "S-A", Location: berlin, Now: f.now}
	compareReport(t, s, f, sessions, q, what+": site S-A")
	q.SiteID, q.ChargerID, q.GroupBy = "", "CP-03", charging.ReportGroupAll
	compareReport(t, s, f, sessions, q, what+": charger CP-03")
}

func compareReport(t *testing.T, s charging.Store, f *reportFixture, sessions map[string][]naiveSession, q charging.ReportQuery, what string) {
	t.Helper()
	got, err := s.UsageReport(context.Background(), q)
	must(t, err, "UsageReport "+what)
	want := naiveReport(f, sessions, q)
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range got {
		checkEqual(t, fmt.Sprintf("%s: row %d", what, i), got[i], want[i])
	}
}

func testUsageReport(t *testing.T, s charging.Store) {
	ctx := context.Background()
	f := buildReportFixture(t, s, 1)
	var sessions, revenue int
	for cursor := ""; ; {
		p, err := s.ListSessions(ctx, charging.SessionQuery{Cursor: cursor, Limit: 500})
		must(t, err, "ListSessions")
		for _, ses := range p.Items {
			sessions++
			if _, cur := ses.FinalTotalMinor(); cur != "" {
				revenue++
			}
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if sessions < 500 || revenue < 300 || len(f.spans) < 100 {
		t.Fatalf("fixture has %d sessions (%d with a final cost) and %d spans, want at least 500, 300 and 100", sessions, revenue, len(f.spans))
	}
	// The first report builds the roll-up; the second reads it.
	checkReports(t, s, f, "built")
	checkReports(t, s, f, "stored")

	// Changes: an active session finishes, a finished one is corrected, a
	// new one is added, a charger disconnects, another connects.
	active, err := s.ListSessions(ctx, charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionActive}, Limit: 1})
	must(t, err, "ListSessions active")
	if len(active.Items) != 1 {
		t.Fatalf("the fixture has no active session")
	}
	a := active.Items[0]
	stop := f.now.Add(-30 * time.Minute)
	a.Status, a.StoppedAt, a.UpdatedAt, a.EnergyWh = charging.SessionFinished, &stop, stop, 12345
	a.Cost = &charging.Cost{Currency: "EUR", Total: "4.32", Final: true}
	must(t, s.UpdateSession(ctx, a), "UpdateSession finish")
	old, err := s.GetSession(ctx, "R-00002")
	must(t, err, "GetSession")
	if old.Status != charging.SessionFinished {
		old, err = s.GetSession(ctx, "R-00004")
		must(t, err, "GetSession")
	}
	earlier := old.StoppedAt.Add(-7 * time.Minute)
	old.EnergyWh, old.StoppedAt = old.EnergyWh+1000, &earlier
	old.Cost = &charging.Cost{Currency: "EUR", Total: "99.99", Final: true}
	must(t, s.UpdateSession(ctx, old), "UpdateSession correct")
	ses := session("R-new", "CP-19", 3, charging.SessionFinished)
	begin, end := time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 2, 15, 0, 0, time.UTC)
	ses.CreatedAt, ses.UpdatedAt, ses.StartedAt, ses.StoppedAt, ses.EnergyWh = begin, end, &begin, &end, 777
	ses.Cost = &charging.Cost{Currency: "EUR", Total: "1.23", Final: true}
	must(t, s.SaveConnector(ctx, "CP-19", connector(3, charging.StatusAvailable)), "SaveConnector")
	f.conns["CP-19"] = 3
	must(t, s.CreateSession(ctx, ses), "CreateSession")
	for _, c := range f.chargers {
		i := f.open(c.ID)
		if i >= 0 {
			at := f.now.Add(-10 * time.Minute)
			must(t, s.SetChargerPresence(ctx, c.ID, charging.ChargerPresence{At: at}), "disconnect")
			f.spans[i].To = at
			break
		}
	}
	at := f.now.Add(-2 * time.Hour)
	must(t, s.SetChargerPresence(ctx, "CP-19", charging.ChargerPresence{Online: true, At: at}), "connect")
	f.spans = append(f.spans, charging.ReportSpan{ChargerID: "CP-19", From: at})
	checkReports(t, s, f, "changed")
}

func testUsageReportInvalid(t *testing.T, s charging.Store) {
	ctx := context.Background()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []charging.ReportQuery{
		{To: day, Interval: charging.ReportDay},
		{From: day, Interval: charging.ReportDay},
		{From: day, To: day, Interval: charging.ReportDay},
		{From: day.Add(time.Hour), To: day.AddDate(0, 1, 0), Interval: charging.ReportDay},
		{From: day, To: day.AddDate(0, 0, charging.MaxReportDays+1), Interval: charging.ReportDay},
		{From: day, To: day.AddDate(0, 1, 0), Interval: "hour"},
		{From: day, To: day.AddDate(0, 1, 0), Interval: charging.ReportDay, GroupBy: "connector"},
	} {
		_, err := s.UsageReport(ctx, q)
		wantCode(t, err, charging.EINVALID, fmt.Sprintf("UsageReport %+v", q))
	}
	// No chargers: one row per period, all zero.
	rows, err := s.UsageReport(ctx, charging.ReportQuery{From: day, To: day.AddDate(0, 0, 2), Interval: charging.ReportDay, Now: day.AddDate(0, 0, 1)})
	must(t, err, "UsageReport of nothing")
	want := []charging.ReportRow{
		{PeriodStart: day, PeriodEnd: day.AddDate(0, 0, 1), Revenue: []charging.Money{}},
		{PeriodStart: day.AddDate(0, 0, 1), PeriodEnd: day.AddDate(0, 0, 2), Revenue: []charging.Money{}},
	}
	checkEqual(t, "UsageReport of nothing", rows, want)
}

// testUsageReportPresence checks the presence log: a connect and a
// disconnect in quick succession both count, a reconnection while online
// continues the span, and SetAllOffline closes the open span at the
// charger's last-seen time.
func testUsageReportPresence(t *testing.T, s charging.Store) {
	ctx := context.Background()
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := charger("CP-P")
	c.Online, c.LastSeenAt = false, nil
	must(t, s.SaveCharger(ctx, c), "SaveCharger")
	must(t, s.SaveConnector(ctx, "CP-P", connector(1, charging.StatusAvailable)), "SaveConnector")
	for _, p := range []charging.ChargerPresence{
		{Online: true, At: day.Add(1 * time.Hour)},
		{At: day.Add(2 * time.Hour)},
		{Online: true, At: day.Add(3 * time.Hour)},
		{Online: true, At: day.Add(3*time.Hour + 30*time.Minute)}, // a replaced connection
		{At: day.Add(4 * time.Hour)},
		{Online: true, At: day.Add(5 * time.Hour)},
	} {
		must(t, s.SetChargerPresence(ctx, "CP-P", p), "SetChargerPresence")
	}
	q := charging.ReportQuery{From: day, To: day.AddDate(0, 0, 1), Interval: charging.ReportDay, Now: day.Add(6 * time.Hour)}
	rows, err := s.UsageReport(ctx, q)
	must(t, err, "UsageReport")
	// Online 1-2, 3-4 and 5-6 (now); counted from 1 (the first connection).
	want := charging.ReportRow{PeriodStart: day, PeriodEnd: day.AddDate(0, 0, 1), Revenue: []charging.Money{},
		ConnectorS: 6 * 3600, OnlineS: 3 * 3600, ChargerS: 5 * 3600, Availability: 0.6}
	checkEqual(t, "UsageReport while online", rows, []charging.ReportRow{want})

	must(t, s.TouchCharger(ctx, "CP-P", day.Add(5*time.Hour+30*time.Minute)), "TouchCharger")
	must(t, s.SetAllOffline(ctx), "SetAllOffline")
	rows, err = s.UsageReport(ctx, q)
	must(t, err, "UsageReport")
	// SetAllOffline closed the last span at the last-seen time the store
	// had written (5:00: a heartbeat is written later, and is presence,
	// not a record): 2 h online, counted until 6:00.
	want.OnlineS, want.Availability = 2*3600, 0.4
	checkEqual(t, "UsageReport after SetAllOffline", rows, []charging.ReportRow{want})
}
