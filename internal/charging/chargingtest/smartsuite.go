package chargingtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Smart charging: a site's grid limit, reserve, meter and grid signal, a
// session's departure wish and allocation, sessions by site and the
// sites' load log.

// normSmart returns a copy of m with its times as a store returns them:
// in UTC, to the microsecond.
func normSmart(m *charging.SessionSmart) *charging.SessionSmart {
	if m == nil {
		return nil
	}
	c := *m
	c.DepartureTime = utcPtr(m.DepartureTime)
	if a := m.Allocation; a != nil {
		ca := *a
		ca.UpdatedAt = utc(a.UpdatedAt)
		ca.Plan = slices.Clone(a.Plan)
		for i := range ca.Plan {
			ca.Plan[i].From, ca.Plan[i].To = utc(ca.Plan[i].From), utc(ca.Plan[i].To)
		}
		c.Allocation = &ca
	}
	return &c
}

// smartSite is site(id, name) with every load-management field set; the
// signal's times are in a non-UTC zone, to the nanosecond.
func smartSite(id, name string) charging.Site {
	x := site(id, name)
	x.GridLimit = &charging.GridLimit{Value: 63, Unit: charging.UnitAmperes}
	x.Reserve = &charging.GridLimit{Value: 6900, Unit: charging.UnitWatts}
	x.Meter = &charging.SiteMeter{Source: charging.MeterSourceCharger, ChargerID: "CP-M"}
	x.GridSignal = &charging.GridSignal{Limit: 40.5, Unit: charging.UnitAmperes,
		Until: ptr(at(2*time.Hour + 123456789)), SetAt: at(time.Minute + 987654321)}
	return x
}

// testSiteSmart: a site's grid limit, reserve, meter and grid signal are
// stored as given (nil stays nil), read back by GetSite and ListSites and
// changed by SaveSite.
func testSiteSmart(t *testing.T, s charging.Store) {
	ctx := context.Background()
	full := smartSite("S-1", "Depot")
	must(t, s.CreateSite(ctx, full), "CreateSite")
	got, err := s.GetSite(ctx, "S-1")
	must(t, err, "GetSite")
	checkEqual(t, "GetSite", got, normSite(full))
	if got.GridSignal.SetAt.Location() != time.UTC || got.GridSignal.Until.Location() != time.UTC {
		t.Errorf("grid signal set at %v until %v, want both in UTC", got.GridSignal.SetAt, got.GridSignal.Until)
	}

	// A limit without a reserve, meter or signal: those stay nil.
	plain := site("S-2", "Street")
	plain.GridLimit = &charging.GridLimit{Value: 22000, Unit: charging.UnitWatts}
	must(t, s.CreateSite(ctx, plain), "CreateSite with a limit only")
	got, err = s.GetSite(ctx, "S-2")
	must(t, err, "GetSite with a limit only")
	checkEqual(t, "GetSite with a limit only", got, normSite(plain))
	if got.Reserve != nil || got.Meter != nil || got.GridSignal != nil {
		t.Errorf("site with a limit only reads back with reserve %+v, meter %+v, signal %+v; want nil", got.Reserve, got.Meter, got.GridSignal)
	}

	page, err := s.ListSites(ctx, charging.SiteQuery{})
	must(t, err, "ListSites")
	checkEqual(t, "ListSites", page.Items, []charging.Site{normSite(full), normSite(plain)})

	// SaveSite changes each field, clears some and sets others.
	full.GridLimit = &charging.GridLimit{Value: 44000, Unit: charging.UnitWatts}
	full.Reserve = nil
	full.Meter = &charging.SiteMeter{Source: charging.MeterSourceAPI}
	full.GridSignal = &charging.GridSignal{Limit: 11000, Unit: charging.UnitWatts, SetAt: at(3 * time.Hour)}
	full.UpdatedAt = at(3 * time.Hour)
	must(t, s.SaveSite(ctx, full), "SaveSite changing the load fields")
	got, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite after SaveSite")
	checkEqual(t, "GetSite after SaveSite", got, normSite(full))

	full.GridLimit, full.Meter, full.GridSignal = nil, nil, nil
	must(t, s.SaveSite(ctx, full), "SaveSite clearing the load fields")
	got, err = s.GetSite(ctx, "S-1")
	must(t, err, "GetSite after clearing")
	checkEqual(t, "GetSite after clearing", got, normSite(full))

	plain.Reserve = &charging.GridLimit{Value: 10, Unit: charging.UnitAmperes}
	plain.Meter = &charging.SiteMeter{Source: charging.MeterSourceCharger, ChargerID: "CP-9"}
	plain.GridSignal = &charging.GridSignal{Limit: 0, Unit: charging.UnitAmperes, SetAt: at(time.Hour)}
	must(t, s.SaveSite(ctx, plain), "SaveSite setting the load fields")
	got, err = s.GetSite(ctx, "S-2")
	must(t, err, "GetSite after setting")
	checkEqual(t, "GetSite after setting", got, normSite(plain))
}

// smartOf is a departure wish, priority and allocation with a plan, its
// times in a non-UTC zone to the nanosecond.
func smartOf() *charging.SessionSmart {
	return &charging.SessionSmart{
		DepartureTime:  ptr(at(8*time.Hour + 111)),
		EnergyWantedWh: 30000,
		Priority:       true,
		Allocation: &charging.Allocation{
			State: charging.AllocLimited, LimitA: 12.5, Phases: 3, Phase: 1,
			Reason: charging.ReasonDeparture, Message: "Waiting for cheaper hours", ProfileID: 1001,
			Plan: []charging.PlanSlot{
				{From: at(time.Hour + 5), To: at(2 * time.Hour), LimitA: 6, PricePerKWh: "0.41"},
				{From: at(2 * time.Hour), To: at(8 * time.Hour), LimitA: 16},
			},
			UpdatedAt: at(time.Minute + 777),
		},
	}
}

// testSessionSmart: a session's smart state is written by every whole
// write (CreateSession, UpdateSession, AddMeterSamples, in a unit too),
// read by every read, and kept by live values.
func testSessionSmart(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	want := fullSession("S-1", "CP-1", 1)
	want.StoppedAt, want.MeterStopWh = nil, nil
	want.Smart = smartOf()
	must(t, s.CreateSession(ctx, want), "CreateSession")
	got, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	checkEqual(t, "GetSession", normSession(got), normSession(want))
	if got.Smart.DepartureTime.Location() != time.UTC || got.Smart.Allocation.Plan[0].From.Location() != time.UTC {
		t.Errorf("smart times %v, %v; want them in UTC", got.Smart.DepartureTime, got.Smart.Allocation.Plan[0].From)
	}
	for _, by := range []struct {
		name string
		get  func() (charging.Session, error)
	}{
		{"transaction", func() (charging.Session, error) { return s.GetSessionByTransaction(ctx, "CP-1", want.TransactionID) }},
		{"idempotency key", func() (charging.Session, error) { return s.GetSessionByIdempotencyKey(ctx, want.IdempotencyKey) }},
	} {
		got, err := by.get()
		must(t, err, "GetSession by "+by.name)
		checkEqual(t, "smart by "+by.name, got.Smart, normSmart(want.Smart))
	}

	// Live values do not touch it.
	live := got.Live()
	live.UpdatedAt, live.EnergyWh = got.UpdatedAt.Add(time.Minute), 12345
	must(t, s.SetSessionLive(ctx, live), "SetSessionLive")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after SetSessionLive")
	checkEqual(t, "smart after SetSessionLive", got.Smart, normSmart(want.Smart))

	// UpdateSession overwrites it: a waiting allocation without a plan.
	want = got
	want.Smart = &charging.SessionSmart{Allocation: &charging.Allocation{State: charging.AllocWaiting, Phases: 1, Phase: 2,
		Reason: charging.ReasonNoCapacity, QueuePosition: 2, UpdatedAt: at(10 * time.Minute)}}
	want.UpdatedAt = at(10 * time.Minute)
	must(t, s.UpdateSession(ctx, want), "UpdateSession")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after UpdateSession")
	checkEqual(t, "GetSession after UpdateSession", normSession(got), normSession(want))

	page, err := s.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-1"})
	must(t, err, "ListSessions")
	if len(page.Items) != 1 {
		t.Fatalf("ListSessions: %d sessions, want 1", len(page.Items))
	}
	checkEqual(t, "ListSessions item", normSession(page.Items[0]), normSession(want))

	// A meter report that overwrites the session writes it too.
	want.Smart = smartOf()
	want.Smart.Priority = false
	want.UpdatedAt = at(11 * time.Minute)
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{sample("S-1", want.TransactionID, at(11*time.Minute), "Energy.Active.Import.Register", 13000)}, &want),
		"AddMeterSamples with the session")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after AddMeterSamples")
	checkEqual(t, "smart after AddMeterSamples", got.Smart, normSmart(want.Smart))

	// So does an update in a unit of work; one that rolls back does not.
	want.Smart.EnergyWantedWh = 40000
	want.UpdatedAt = at(12 * time.Minute)
	must(t, s.Update(ctx, func(tx charging.Tx) error { return tx.UpdateSession(ctx, want) }), "UpdateSession in a unit")
	errRollback := errors.New("roll back")
	lost := want
	lost.Smart = nil
	lost.UpdatedAt = at(13 * time.Minute)
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.UpdateSession(ctx, lost); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update that rolls back: %v", err)
	}
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after the units")
	checkEqual(t, "smart after the units", got.Smart, normSmart(want.Smart))

	// nil clears it.
	want.Smart = nil
	want.UpdatedAt = at(14 * time.Minute)
	must(t, s.UpdateSession(ctx, want), "UpdateSession without smart")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession without smart")
	if got.Smart != nil {
		t.Errorf("smart after an update without it: %+v, want nil", got.Smart)
	}
}

// testListSessionsBySite: SiteID selects the sessions of the chargers at
// the site, alone, with other filters and over pages.
func testListSessionsBySite(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateSite(ctx, site("A", "Alpha")), "CreateSite A")
	must(t, s.CreateSite(ctx, site("B", "Bravo")), "CreateSite B")
	must(t, s.CreateSite(ctx, site("C", "Charlie")), "CreateSite C (no chargers)")
	saveChargers(t, s, "CP-A1", "CP-A2", "CP-B", "CP-N")
	for id, siteID := range map[string]string{"CP-A1": "A", "CP-A2": "A", "CP-B": "B"} {
		must(t, s.SaveChargerDetails(ctx, id, charging.ChargerDetails{SiteID: siteID}), "SaveChargerDetails "+id)
	}
	for i, x := range []struct {
		id, charger string
		status      charging.SessionStatus
	}{
		{"S-1", "CP-A1", charging.SessionFinished},
		{"S-2", "CP-B", charging.SessionFinished},
		{"S-3", "CP-A2", charging.SessionFinished},
		{"S-4", "CP-N", charging.SessionActive},
		{"S-5", "CP-A1", charging.SessionActive},
		{"S-6", "CP-B", charging.SessionActive},
		{"S-7", "CP-A2", charging.SessionActive},
	} {
		x := session(x.id, x.charger, 1, x.status)
		x.CreatedAt = at(time.Duration(i) * time.Minute)
		must(t, s.CreateSession(ctx, x), "CreateSession "+x.ID)
	}
	tests := []struct {
		name string
		q    charging.SessionQuery
		want []string
	}{
		{"site A", charging.SessionQuery{SiteID: "A"}, []string{"S-7", "S-5", "S-3", "S-1"}},
		{"site B", charging.SessionQuery{SiteID: "B"}, []string{"S-6", "S-2"}},
		{"a site without chargers", charging.SessionQuery{SiteID: "C"}, []string{}},
		{"an unknown site", charging.SessionQuery{SiteID: "Z"}, []string{}},
		{"site and status", charging.SessionQuery{SiteID: "A", Status: []charging.SessionStatus{charging.SessionActive}}, []string{"S-7", "S-5"}},
		{"site and charger", charging.SessionQuery{SiteID: "A", ChargerID: "CP-A2"}, []string{"S-7", "S-3"}},
		{"site and another site's charger", charging.SessionQuery{SiteID: "A", ChargerID: "CP-B"}, []string{}},
		{"site and created before", charging.SessionQuery{SiteID: "A", CreatedBefore: at(4 * time.Minute)}, []string{"S-3", "S-1"}},
	}
	for _, tt := range tests {
		page, err := s.ListSessions(ctx, tt.q)
		must(t, err, "ListSessions "+tt.name)
		checkEqual(t, "ListSessions "+tt.name, sessionIDs(page), tt.want)
		if page.NextCursor != "" {
			t.Errorf("ListSessions %s: NextCursor = %q, want \"\"", tt.name, page.NextCursor)
		}
	}
	for _, limit := range []int{1, 3} {
		q := charging.SessionQuery{SiteID: "A", Limit: limit}
		var ids []string
		for pages := 0; ; pages++ {
			if pages > 4 {
				t.Fatalf("site A in pages of %d: too many pages", limit)
			}
			page, err := s.ListSessions(ctx, q)
			must(t, err, "ListSessions page")
			if len(page.Items) > limit {
				t.Fatalf("site A in pages of %d: a page of %d", limit, len(page.Items))
			}
			ids = append(ids, sessionIDs(page)...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		checkEqual(t, fmt.Sprintf("site A in pages of %d", limit), ids, []string{"S-7", "S-5", "S-3", "S-1"})
	}

	// A charger moved to another site takes its sessions along.
	must(t, s.SaveChargerDetails(ctx, "CP-A2", charging.ChargerDetails{SiteID: "B"}), "move CP-A2 to B")
	page, err := s.ListSessions(ctx, charging.SessionQuery{SiteID: "B"})
	must(t, err, "ListSessions B after the move")
	checkEqual(t, "site B after the move", sessionIDs(page), []string{"S-7", "S-6", "S-3", "S-2"})
}

// load returns a sample of site at t0+d whose values derive from k.
func load(siteID string, d time.Duration, k float64) charging.SiteLoadSample {
	return charging.SiteLoadSample{SiteID: siteID, At: at(d), CurrentA: [3]float64{k, k + 0.5, k + 0.25}, LimitA: 63,
		AllocA: [3]float64{k + 1, k + 1.5, 0}, Sessions: int(k), Waiting: int(k) % 2, SignalSet: int(k)%2 == 1}
}

func normLoad(xs ...charging.SiteLoadSample) []charging.SiteLoadSample {
	out := []charging.SiteLoadSample{}
	for _, x := range xs {
		x.At = utc(x.At)
		out = append(out, x)
	}
	return out
}

// testSiteLoad: samples are listed oldest first within [from, to), the
// newest when there are more than the limit, and purged by age.
func testSiteLoad(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateSite(ctx, site("A", "Alpha")), "CreateSite A")
	must(t, s.CreateSite(ctx, site("B", "Bravo")), "CreateSite B")
	var a []charging.SiteLoadSample
	// Appended out of order: the list orders by time, not by arrival.
	for _, i := range []int{3, 0, 4, 1, 2} {
		x := load("A", time.Duration(i)*time.Minute, float64(10+i))
		must(t, s.AppendSiteLoad(ctx, x), fmt.Sprintf("AppendSiteLoad A %d", i))
	}
	for i := range 5 {
		a = append(a, load("A", time.Duration(i)*time.Minute, float64(10+i)))
	}
	b := load("B", 30*time.Second, 7)
	must(t, s.AppendSiteLoad(ctx, b), "AppendSiteLoad B")

	list := func(siteID string, from, to time.Time, limit int) []charging.SiteLoadSample {
		t.Helper()
		got, err := s.ListSiteLoad(ctx, siteID, from, to, limit)
		must(t, err, "ListSiteLoad")
		return got
	}
	checkEqual(t, "all of A", list("A", at(0), at(time.Hour), 0), normLoad(a...))
	if got := list("A", at(0), at(time.Hour), 0); got[0].At.Location() != time.UTC {
		t.Errorf("sample at %v, want UTC", got[0].At)
	}
	checkEqual(t, "B", list("B", at(-time.Hour), at(time.Hour), 0), normLoad(b))
	checkEqual(t, "from inclusive, to exclusive", list("A", at(time.Minute), at(3*time.Minute), 0), normLoad(a[1:3]...))
	checkEqual(t, "limit keeps the newest", list("A", at(0), at(time.Hour), 2), normLoad(a[3:]...))
	checkEqual(t, "limit within bounds", list("A", at(0), at(3*time.Minute), 2), normLoad(a[1:3]...))
	checkEqual(t, "an empty range", list("A", at(2*time.Minute), at(2*time.Minute), 0), normLoad())
	checkEqual(t, "an unknown site", list("Z", at(0), at(time.Hour), 0), normLoad())

	_, err := s.ListSiteLoad(ctx, "A", at(0), at(time.Hour), -1)
	wantCode(t, err, charging.EINVALID, "ListSiteLoad with a negative limit")
	wantCode(t, s.AppendSiteLoad(ctx, load("Z", 0, 1)), charging.ENOTFOUND, "AppendSiteLoad to an unknown site")

	// A unit that rolls back leaves no sample.
	errRollback := errors.New("roll back")
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.AppendSiteLoad(ctx, load("A", 10*time.Minute, 99)); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update that rolls back: %v", err)
	}
	must(t, s.Update(ctx, func(tx charging.Tx) error { return tx.AppendSiteLoad(ctx, load("A", 5*time.Minute, 15)) }), "AppendSiteLoad in a unit")
	a = append(a, load("A", 5*time.Minute, 15))
	checkEqual(t, "after the units", list("A", at(0), at(time.Hour), 0), normLoad(a...))

	// Purge deletes what is older than before, at every site.
	n, err := s.PurgeSiteLoad(ctx, at(2*time.Minute))
	must(t, err, "PurgeSiteLoad")
	if n != 3 {
		t.Errorf("PurgeSiteLoad deleted %d samples, want 3 (two of A, one of B)", n)
	}
	checkEqual(t, "A after the purge", list("A", at(-time.Hour), at(time.Hour), 0), normLoad(a[2:]...))
	checkEqual(t, "B after the purge", list("B", at(-time.Hour), at(time.Hour), 0), normLoad())
	n, err = s.PurgeSiteLoad(ctx, at(2*time.Minute))
	must(t, err, "PurgeSiteLoad again")
	if n != 0 {
		t.Errorf("PurgeSiteLoad again deleted %d samples, want 0", n)
	}
}

// testSiteLoadDeletedWithSite: deleting a site deletes its samples; a new
// site with the same id starts with none.
func testSiteLoadDeletedWithSite(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateSite(ctx, site("A", "Alpha")), "CreateSite A")
	must(t, s.CreateSite(ctx, site("B", "Bravo")), "CreateSite B")
	for i := range 3 {
		must(t, s.AppendSiteLoad(ctx, load("A", time.Duration(i)*time.Minute, float64(i))), "AppendSiteLoad A")
	}
	must(t, s.AppendSiteLoad(ctx, load("B", 0, 5)), "AppendSiteLoad B")
	must(t, s.DeleteSite(ctx, "A"), "DeleteSite A")
	must(t, s.CreateSite(ctx, site("A", "Alpha again")), "CreateSite A again")
	got, err := s.ListSiteLoad(ctx, "A", at(-time.Hour), at(time.Hour), 0)
	must(t, err, "ListSiteLoad A")
	checkEqual(t, "samples of a deleted site's id", got, normLoad())
	got, err = s.ListSiteLoad(ctx, "B", at(-time.Hour), at(time.Hour), 0)
	must(t, err, "ListSiteLoad B")
	checkEqual(t, "samples of the other site", got, normLoad(load("B", 0, 5)))
	// Nothing of A is left for a purge to find either.
	n, err := s.PurgeSiteLoad(ctx, at(time.Hour))
	must(t, err, "PurgeSiteLoad")
	if n != 1 {
		t.Errorf("PurgeSiteLoad after DeleteSite deleted %d samples, want 1 (B's)", n)
	}
}
