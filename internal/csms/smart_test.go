package csms_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
)

// profileFake is a charger that accepts charging profiles and records
// them in order. The other station commands are not used by smart
// charging; the embedded nil StationCommander would panic if they were.
type profileFake struct {
	*fakeCommander
	charging.StationCommander
	mu       sync.Mutex
	sent     []sentProfile
	cleared  []charging.ProfileFilter
	rejectTx bool
}

type sentProfile struct {
	connector int
	p         charging.ChargingProfile
	charger   string
}

func (f *profileFake) SetChargingProfile(ctx context.Context, chargerID string, connectorID int, p charging.ChargingProfile) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rejectTx && p.Purpose == charging.PurposeTx {
		return charging.CommandRejected, nil
	}
	f.sent = append(f.sent, sentProfile{connectorID, p, chargerID})
	return charging.CommandAccepted, nil
}

func (f *profileFake) ClearChargingProfile(ctx context.Context, chargerID string, pf charging.ProfileFilter) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleared = append(f.cleared, pf)
	return charging.CommandAccepted, nil
}

func (f *profileFake) take() []sentProfile {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sent
	f.sent = nil
	return out
}

// Commander methods, named here because both embedded types have them.
func (f *profileFake) Connected(id string) bool { return f.fakeCommander.Connected(id) }
func (f *profileFake) RemoteStart(ctx context.Context, id string, r charging.RemoteStart) (charging.CommandStatus, error) {
	return f.fakeCommander.RemoteStart(ctx, id, r)
}
func (f *profileFake) RemoteStop(ctx context.Context, id, tx string) (charging.CommandStatus, error) {
	return f.fakeCommander.RemoteStop(ctx, id, tx)
}

// smartFixture is newFixture with a charger that takes profiles, at a site
// with a 20 A limit.
func smartFixture(t *testing.T) (*fixture, *profileFake, charging.Site) {
	t.Helper()
	f := newFixture(t)
	pf := &profileFake{fakeCommander: f.cmd}
	f.svc.SetCommander(pf)
	ctx := context.Background()
	site, err := f.svc.CreateSite(ctx, charging.Site{Name: "Yard", GridLimit: &charging.GridLimit{Value: 20, Unit: charging.UnitAmperes}})
	must(t, err)
	id := site.ID
	_, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{SiteID: &id})
	must(t, err)
	return f, pf, site
}

func allocationOf(t *testing.T, l charging.SiteLoad, sessionID string) charging.Allocation {
	t.Helper()
	for _, s := range l.Sessions {
		if s.SessionID == sessionID && s.Allocation != nil {
			return *s.Allocation
		}
	}
	t.Fatalf("no allocation for session %s in %+v", sessionID, l.Sessions)
	return charging.Allocation{}
}

// A new session takes half of the first one's limit: the cut goes out
// before the raise, and the charger gets the failsafe profiles first.
func TestRebalanceCutsBeforeRaises(t *testing.T) {
	f, pf, site := smartFixture(t)
	ctx := context.Background()
	a := f.started(t, 1, "TAG-A", 0)
	l, err := f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if got := allocationOf(t, l, a.SessionID); got.LimitA != 20 || got.State != charging.AllocLimited || got.Reason != charging.ReasonSiteLimit {
		t.Fatalf("one session's allocation = %+v, want 20 A limited by the site", got)
	}
	first := pf.take()
	if len(first) != 3 || first[0].p.Purpose != charging.PurposeChargePointMax || first[0].connector != 0 || first[0].p.Schedule.Periods[0].Limit != 20 ||
		first[1].p.Purpose != charging.PurposeTxDefault || first[1].p.Kind != charging.KindRelative || first[1].p.Schedule.Periods[0].Limit != 0 ||
		first[1].p.Schedule.Periods[1].Limit != 10 || first[1].p.Schedule.Periods[1].StartPeriodS != int(csms.DefaultSmartLease.Seconds()) ||
		first[2].p.Purpose != charging.PurposeTx || first[2].connector != 1 || first[2].p.Schedule.Periods[0].Limit != 20 || first[2].p.ValidTo == nil ||
		first[2].p.TransactionID != a.TransactionID {
		t.Fatalf("first profiles = %+v, want the site max (20 A), the failsafe default (0 A, then 10 A) and a 20 A TxProfile", first)
	}

	b := f.started(t, 2, "TAG-B", 0)
	l, err = f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if x, y := allocationOf(t, l, a.SessionID), allocationOf(t, l, b.SessionID); x.LimitA != 10 || y.LimitA != 10 {
		t.Fatalf("two sessions = %v A and %v A, want 10 each", x.LimitA, y.LimitA)
	}
	second := pf.take()
	if len(second) != 2 || second[0].connector != 1 || second[0].p.Schedule.Periods[0].Limit != 10 || second[1].connector != 2 {
		t.Fatalf("profiles = %+v, want the cut on connector 1 before the raise on connector 2", second)
	}
	if second[0].p.ID != first[2].p.ID {
		t.Errorf("connector 1's TxProfile changed id: %d, then %d", first[2].p.ID, second[0].p.ID)
	}
	// Nothing changed: nothing is sent.
	_, err = f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if again := pf.take(); len(again) != 0 {
		t.Fatalf("an unchanged site sent %+v", again)
	}
	// The allocation is stored on the session, for its driver.
	ses, err := f.svc.GetSession(ctx, b.SessionID)
	must(t, err)
	if ses.Smart == nil || ses.Smart.Allocation == nil || ses.Smart.Allocation.LimitA != 10 || ses.Smart.Allocation.Message == "" {
		t.Fatalf("session smart = %+v", ses.Smart)
	}
}

// A limit in W is shared per phase (22 kW: 31.8 A); removing the limit
// clears Joule's TxProfiles and the sessions' allocations.
func TestRebalanceWattsAndRemovedLimit(t *testing.T) {
	f, pf, site := smartFixture(t)
	ctx := context.Background()
	_, err := f.svc.UpdateSite(ctx, site.ID, func(x *charging.Site) error {
		x.GridLimit = &charging.GridLimit{Value: 22080, Unit: charging.UnitWatts}
		return nil
	})
	must(t, err)
	a := f.started(t, 1, "TAG-A", 0)
	b := f.started(t, 2, "TAG-B", 0)
	l, err := f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if l.LimitA != 32 || allocationOf(t, l, a.SessionID).LimitA != 16 || allocationOf(t, l, b.SessionID).LimitA != 16 {
		t.Fatalf("22,080 W = %v A per phase, sessions %+v, want 32 A and 16 A each", l.LimitA, l.Sessions)
	}
	pf.take()
	_, err = f.svc.UpdateSite(ctx, site.ID, func(x *charging.Site) error { x.GridLimit = nil; return nil })
	must(t, err)
	l, err = f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if len(l.Sessions) != 0 || len(pf.cleared) != 2 {
		t.Fatalf("after the limit went: load %+v, cleared %+v", l, pf.cleared)
	}
	ses, err := f.svc.GetSession(ctx, a.SessionID)
	must(t, err)
	if ses.Smart != nil && ses.Smart.Allocation != nil {
		t.Fatalf("session still has an allocation: %+v", ses.Smart.Allocation)
	}
}

// A charger that rejects the TxProfile: the allocation stands and it is
// sent again a minute later, not at every look (which would fill the
// charger's command history).
func TestRebalanceRetriesARejectedLimit(t *testing.T) {
	f, pf, site := smartFixture(t)
	ctx := context.Background()
	pf.rejectTx = true
	a := f.started(t, 1, "TAG-A", 0)
	_, err := f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	pf.take()
	pf.mu.Lock()
	pf.rejectTx = false
	pf.mu.Unlock()
	f.clock.add(30 * time.Second)
	_, err = f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if sent := pf.take(); len(sent) != 0 {
		t.Fatalf("30 s after a rejection, sent %+v again", sent)
	}
	f.clock.add(31 * time.Second)
	_, err = f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	sent := pf.take()
	if len(sent) != 1 || sent[0].connector != 1 || sent[0].p.Schedule.Periods[0].Limit != 20 {
		t.Fatalf("after a rejection, sent %+v, want the 20 A limit again", sent)
	}
	_ = a
}

// A charger's connector-0 meter values are the site meter: the
// building's load (the meter less what the chargers draw) leaves the
// chargers the rest.
func TestSiteMeterFromACharger(t *testing.T) {
	f, _, site := smartFixture(t)
	f.run(t) // Run listens to the bus, where the meter values arrive.
	ctx := context.Background()
	_, err := f.svc.UpdateSite(ctx, site.ID, func(x *charging.Site) error {
		x.Meter = &charging.SiteMeter{Source: charging.MeterSourceCharger, ChargerID: "CP-1"}
		return nil
	})
	must(t, err)
	// The balancer learns the meter's charger at its first look.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := f.svc.Rebalance(ctx, site.ID)
		must(t, err)
		reading := func(a float64) charging.MeterSample {
			return charging.MeterSample{Timestamp: f.clock.now(), Measurand: "Current.Import", Unit: "A", Value: a}
		}
		ss := []charging.MeterSample{reading(12), reading(14), reading(9)}
		ss[0].Phase, ss[1].Phase, ss[2].Phase = "L1", "L2", "L3"
		must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 0, Samples: ss}))
		time.Sleep(100 * time.Millisecond)
		l, err := f.svc.Rebalance(ctx, site.ID)
		must(t, err)
		if l.BuildingA != nil {
			if *l.BuildingA != [3]float64{12, 14, 9} || l.BudgetA != [3]float64{8, 6, 11} {
				t.Fatalf("building %v, budget %v; want 12/14/9 and 8/6/11", *l.BuildingA, l.BudgetA)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the site meter's reading never counted")
		}
	}
}

// BenchmarkRebalance200 is one reallocation of a site with 200 active
// sessions through the whole balancer: the site, its sessions and
// chargers read from SQLite, the allocation, and (changed) 200 TxProfiles
// sent to a charger that answers at once and 200 allocations written, or
// (steady) nothing to send.
func BenchmarkRebalance200(b *testing.B) {
	for _, changed := range []bool{true, false} {
		name := "steady"
		if changed {
			name = "changed"
		}
		b.Run(name, func(b *testing.B) {
			f, _, site := smartFixtureB(b)
			ctx := context.Background()
			for k := 1; k <= 200; k++ {
				_, err := f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: k, IDTag: "T", Timestamp: f.clock.now()})
				if err != nil {
					b.Fatal(err)
				}
			}
			limits := []float64{3200, 2400} // 16 A, then 12 A each
			if _, err := f.svc.Rebalance(ctx, site.ID); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if changed {
					b.StopTimer()
					_, err := f.svc.UpdateSite(ctx, site.ID, func(x *charging.Site) error {
						x.GridLimit.Value = limits[i%2]
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				l, err := f.svc.Rebalance(ctx, site.ID)
				if err != nil || len(l.Sessions) != 200 {
					b.Fatal(err, len(l.Sessions))
				}
				if want := l.BudgetA[0] / 200; changed && math.Abs(l.Sessions[0].Allocation.LimitA-want) > 0.1 {
					b.Fatalf("allocation %v A, want %v", l.Sessions[0].Allocation.LimitA, want)
				}
			}
		})
	}
}

// smartFixtureB is smartFixture for a benchmark.
func smartFixtureB(b *testing.B) (*fixture, *profileFake, charging.Site) {
	b.Helper()
	f := newFixture(b)
	pf := &profileFake{fakeCommander: f.cmd}
	f.svc.SetCommander(pf)
	ctx := context.Background()
	site, err := f.svc.CreateSite(ctx, charging.Site{Name: "Depot", GridLimit: &charging.GridLimit{Value: 2400, Unit: charging.UnitAmperes}})
	if err != nil {
		b.Fatal(err)
	}
	id := site.ID
	if _, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{SiteID: &id}); err != nil {
		b.Fatal(err)
	}
	return f, pf, site
}

// A 1.5 charger cannot take a limit: its session is counted at its
// outlet's maximum until its draw is known, nothing is sent to it, and the
// limitable charger's sessions share what is left (and its failsafe share
// leaves the 1.5 outlets their maximum).
func TestRebalanceUnlimitableCharger(t *testing.T) {
	f, pf, site := smartFixture(t)
	ctx := context.Background()
	limit := 50.0
	_, err := f.svc.UpdateSite(ctx, site.ID, func(s *charging.Site) error {
		s.GridLimit = &charging.GridLimit{Value: limit, Unit: charging.UnitAmperes}
		return nil
	})
	must(t, err)
	must(t, f.svc.Connected(ctx, "CP-15", charging.OCPP15S))
	_, err = f.svc.Booted(ctx, "CP-15", charging.BootInfo{Vendor: "Old", Model: "S15"})
	must(t, err)
	for _, n := range []int{0, 1} {
		must(t, f.svc.StatusChanged(ctx, "CP-15", charging.StatusReport{ConnectorID: n, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	}
	id := site.ID
	_, err = f.svc.UpdateCharger(ctx, "CP-15", charging.ChargerUpdate{SiteID: &id})
	must(t, err)
	old, err := f.svc.TransactionStarted(ctx, "CP-15", charging.TransactionStart{ConnectorID: 1, IDTag: "OLD", Timestamp: f.clock.now()})
	must(t, err)
	a := f.started(t, 1, "TAG-A", 0)
	l, err := f.svc.Rebalance(ctx, site.ID)
	must(t, err)
	if got := allocationOf(t, l, old.SessionID); got.State != charging.AllocCharging || got.Reason != charging.ReasonNotLimitable || got.LimitA != 32 {
		t.Errorf("the 1.5 session's allocation = %+v, want charging at its 32 A, not limitable", got)
	}
	if got := allocationOf(t, l, a.SessionID); got.LimitA != limit-32 || got.State != charging.AllocLimited {
		t.Errorf("the 1.6 session's allocation = %+v, want the %v A the 1.5 outlet leaves", got, limit-32)
	}
	sent := pf.take()
	for _, x := range sent {
		if x.charger == "CP-15" {
			t.Errorf("a profile went to the 1.5 charger: %+v", x)
		}
		if x.p.Purpose == charging.PurposeTxDefault && x.p.Schedule.Periods[1].Limit != math.Floor((limit-32)/2*10)/10 {
			t.Errorf("the failsafe share = %v A, want the %v A left by the 1.5 outlet over CP-1's 2 connectors", x.p.Schedule.Periods[1].Limit, (limit-32)/2)
		}
	}
	if len(sent) != 3 {
		t.Errorf("sent %+v, want CP-1's failsafe profiles and its TxProfile", sent)
	}
}

// TestRebalancePhaseRotation: two 1-phase outlets of one charger, the
// second wired SRT (its L1 on the grid's L2), each give a 20 A site's
// full 20 A, as they load different grid phases; without the rotation
// they share L1's 20 A. The rotated outlet's L1 reading counts on the
// grid's L2.
func TestRebalancePhaseRotation(t *testing.T) {
	for _, how := range []string{"operator", "reported", "none"} {
		rotated := how != "none"
		t.Run(how, func(t *testing.T) {
			f, _, site := smartFixture(t)
			f.run(t) // the balancer hears the meter values on the bus
			ctx := context.Background()
			one := charging.PowerAC1Phase
			for k := 1; k <= 2; k++ {
				u := charging.ConnectorUpdate{PowerType: &one}
				if k == 2 && how == "operator" {
					srt := charging.RotationSRT
					u.PhaseRotation = &srt
				}
				_, err := f.svc.UpdateConnector(ctx, "CP-1", k, u)
				must(t, err)
			}
			if how == "reported" {
				// A 2.0.1 charger's EVSE.PhaseRotation.
				must(t, f.svc.DeviceModelReported(ctx, "CP-1", charging.DeviceReport{
					Connectors: []charging.ConnectorReport{{ConnectorID: 2, Spec: charging.ConnectorSpec{PhaseRotation: charging.RotationSRT}}}}))
			}
			c, err := f.svc.GetCharger(ctx, "CP-1")
			must(t, err)
			if k, _ := c.Connector(2); (k.PhaseRotation == charging.RotationSRT) != rotated {
				t.Fatalf("connector 2 rotation = %q (operator %q, reported %q)", k.PhaseRotation, k.Operator.PhaseRotation, k.Reported.PhaseRotation)
			}
			a := f.started(t, 1, "TAG-A", 0)
			b := f.started(t, 2, "TAG-B", 0)
			l, err := f.svc.Rebalance(ctx, site.ID)
			must(t, err)
			x, y := allocationOf(t, l, a.SessionID), allocationOf(t, l, b.SessionID)
			wantA, wantPhase := 20.0, 2
			if !rotated {
				wantA, wantPhase = 10, 1
			}
			if x.LimitA != wantA || y.LimitA != wantA || x.Phases != 1 || x.Phase != 1 || y.Phases != 1 || y.Phase != wantPhase {
				t.Fatalf("allocations = %v A on L%d and %v A on L%d, want %v A each, on L1 and L%d", x.LimitA, x.Phase, y.LimitA, y.Phase, wantA, wantPhase)
			}
			// Connector 2's vehicle draws 16 A on the connector's L1.
			ss := []charging.MeterSample{{Timestamp: f.clock.now().Add(time.Minute), Measurand: "Current.Import", Unit: "A", Phase: "L1", Value: 16}}
			must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 2, TransactionID: b.TransactionID, Samples: ss}))
			want := [3]float64{0, 16, 0}
			if !rotated {
				want = [3]float64{16, 0, 0}
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				l, err = f.svc.Rebalance(ctx, site.ID)
				must(t, err)
				load, err := f.svc.SiteLoad(ctx, site.ID)
				must(t, err)
				if l.DrawA == want && load.DrawA == want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("site draw = %v (rebalance) and %v (site load), want %v", l.DrawA, load.DrawA, want)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
