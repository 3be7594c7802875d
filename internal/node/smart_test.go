package node_test

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// smartConfig is a node whose balancer is quick enough for a test:
// reallocations 100 ms after a change, every site looked at each second.
func smartConfig() node.Config {
	return node.Config{CallTimeout: 5 * time.Second, SmartDelay: 100 * time.Millisecond, SmartInterval: time.Second,
		SmartLease: time.Minute, SiteLoadEvery: 500 * time.Millisecond}
}

// phaseWatch checks the site's total per phase on every meter value: the
// simulated charger samples all its connectors at one instant, so the
// samples of one timestamp are the site's load then.
type phaseWatch struct {
	mu      sync.Mutex
	limits  []limitSpan // the limit in force over time
	byTime  map[string]*[3]float64
	seen    int
	worst   [3]float64
	failure string
}

type limitSpan struct {
	from  time.Time
	limit float64
}

func (w *phaseWatch) setLimit(from time.Time, limit float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limits = append(w.limits, limitSpan{from, limit})
}

// allowed is the limit in force at t: the latest span started by then; a
// span that lowers the limit counts from its start plus grace (the time a
// new limit takes to reach the charger).
func (w *phaseWatch) allowed(t time.Time, grace time.Duration) float64 {
	limit := math.Inf(1)
	for i, s := range w.limits {
		start := s.from
		if i > 0 && s.limit < w.limits[i-1].limit {
			start = start.Add(grace)
		}
		if !t.Before(start) {
			limit = s.limit
		}
	}
	return limit
}

// add takes one session.meter event's samples.
func (w *phaseWatch) add(samples []any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range samples {
		m, _ := s.(map[string]any)
		if m["measurand"] != "Current.Import" {
			continue
		}
		p := phaseIdx(fmt.Sprint(m["phase"]))
		if p < 0 {
			continue
		}
		ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(m["timestamp"]))
		key := ts.Truncate(100 * time.Millisecond).Format(time.RFC3339Nano)
		tot := w.byTime[key]
		if tot == nil {
			tot = new([3]float64)
			w.byTime[key] = tot
		}
		v, _ := m["value"].(float64)
		tot[p] += v
		w.seen++
		lim := w.allowed(ts, 3*time.Second)
		for q := range 3 {
			w.worst[q] = max(w.worst[q], tot[q])
		}
		if tot[p] > lim+0.2 && w.failure == "" {
			w.failure = fmt.Sprintf("at %s phase L%d drew %.1f A, over the %.1f A in force", ts.Format(time.RFC3339Nano), p+1, tot[p], lim)
		}
	}
}

func phaseIdx(p string) int {
	switch p {
	case "L1", "L1-N":
		return 0
	case "L2", "L2-N":
		return 1
	case "L3", "L3-N":
		return 2
	}
	return -1
}

// TestSiteLoadBalancing is issue 15's first two "done when" end to end: a
// site limited to 32 A per phase (4 A of it kept for the building) with
// six simulated vehicles on one charger. Every meter value of the whole
// test is checked against the limit in force.
func TestSiteLoadBalancing(t *testing.T) {
	for _, version := range []string{sim.OCPP16, sim.OCPP201} {
		t.Run(version, func(t *testing.T) { siteLoadBalancing(t, version) })
	}
}

func siteLoadBalancing(t *testing.T, version string) {
	n := startNode(t, smartConfig())
	api := n.Base + "/api/v1"
	events := subscribe(t, api+"/events")
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-S", Connectors: 6, MaxPowerW: 22000, OCPPVersion: version})
	for k := 1; k <= 6; k++ {
		v := sim.Vehicle{CapacityWh: 80000, SoCPercent: 20, MaxA: 32, Phases: 3}
		if k == 6 {
			v.Phases, v.MaxA = 1, 32 // a 1-phase vehicle, on L1
		}
		if err := cp.SetVehicle(k, v); err != nil {
			t.Fatal(err)
		}
	}

	var site charging.Site
	if code, _ := call(t, http.MethodPost, api+"/sites", map[string]any{"name": "Depot", "gridLimit": map[string]any{"value": 32, "unit": "A"},
		"reserve": map[string]any{"value": 4, "unit": "A"}}, &site); code != http.StatusCreated {
		t.Fatalf("POST /sites = %d", code)
	}
	if site.GridLimit == nil || site.GridLimit.Value != 32 || site.Reserve == nil || site.Reserve.Value != 4 {
		t.Fatalf("site = %+v, want gridLimit 32 A and reserve 4 A", site)
	}
	watch := &phaseWatch{byTime: map[string]*[3]float64{}}
	watch.setLimit(time.Now().Add(-time.Hour), 28)
	if code, _ := call(t, http.MethodPatch, api+"/chargers/CP-S", map[string]any{"siteId": site.ID}, nil); code != http.StatusOK {
		t.Fatalf("PATCH charger site = %d", code)
	}
	// The failsafe is installed before anything charges.
	eventually(t, 10*time.Second, "failsafe profiles on CP-S", func() bool {
		var ps page[charging.InstalledProfile]
		call(t, http.MethodGet, api+"/chargers/CP-S/charging-profiles", nil, &ps)
		var max, def bool
		for _, p := range ps.Items {
			max = max || p.Purpose == charging.PurposeChargePointMax && p.ConnectorID == 0
			def = def || p.Purpose == charging.PurposeTxDefault && p.ConnectorID == 0
		}
		return max && def
	})

	// Every meter value, as the operator's event stream carries it.
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		done := 0
		for {
			all := events.all()
			for _, e := range all[done:] {
				if e.Type == charging.EventSessionMeter {
					samples, _ := e.Data["samples"].([]any)
					watch.add(samples)
				}
			}
			done = len(all)
			select {
			case <-stopWatch:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	start := func(k int) string {
		t.Helper()
		var ses charging.Session
		code, _ := call(t, http.MethodPost, fmt.Sprintf("%s/chargers/CP-S/connectors/%d/start", api, k), map[string]any{"idTag": fmt.Sprintf("TAG-%d", k)}, &ses)
		if code != http.StatusAccepted {
			t.Fatalf("start connector %d = %d", k, code)
		}
		eventually(t, 10*time.Second, fmt.Sprintf("session on connector %d active", k), func() bool {
			var s charging.Session
			call(t, http.MethodGet, api+"/sessions/"+ses.ID, nil, &s)
			return s.Status == charging.SessionActive
		})
		return ses.ID
	}
	stop := func(id string) {
		t.Helper()
		if code, _ := call(t, http.MethodPost, api+"/sessions/"+id+"/stop", nil, nil); code != http.StatusAccepted && code != http.StatusOK {
			t.Fatalf("stop %s = %d", id, code)
		}
		eventually(t, 10*time.Second, "session "+id+" finished", func() bool {
			var s charging.Session
			call(t, http.MethodGet, api+"/sessions/"+id, nil, &s)
			return s.Status == charging.SessionFinished
		})
	}
	load := func() charging.SiteLoad {
		var l charging.SiteLoad
		if code, _ := call(t, http.MethodGet, api+"/sites/"+site.ID+"/load", nil, &l); code != http.StatusOK {
			t.Fatalf("GET load = %d", code)
		}
		return l
	}
	alloc := func(l charging.SiteLoad, id string) *charging.Allocation {
		for _, s := range l.Sessions {
			if s.SessionID == id {
				return s.Allocation
			}
		}
		return nil
	}
	// drawing waits until the vehicles on the connectors draw about want
	// amperes per phase each (the simulator's truth).
	drawing := func(what string, want float64, connectors ...int) {
		t.Helper()
		eventually(t, 15*time.Second, what, func() bool {
			for _, k := range connectors {
				st, ok := cp.VehicleState(k)
				if !ok || math.Abs(slices.Max(st.CurrentA[:])-want) > 0.6 {
					return false
				}
			}
			return true
		})
	}

	// Four 3-phase sessions share the 28 A the chargers may draw: 7 A each.
	ids := map[int]string{}
	for k := 1; k <= 4; k++ {
		ids[k] = start(k)
	}
	drawing("four sessions at 7 A", 7, 1, 2, 3, 4)
	// The allocations are recorded once the site's profiles are all
	// answered, a moment after the cars follow them.
	var l charging.SiteLoad
	eventually(t, 5*time.Second, "the four allocations recorded", func() bool {
		l = load()
		for k := 1; k <= 4; k++ {
			if a := alloc(l, ids[k]); a == nil || a.LimitA != 7 {
				return false
			}
		}
		return true
	})
	if l.LimitA != 32 || l.BudgetA != [3]float64{28, 28, 28} || len(l.Sessions) != 4 {
		t.Fatalf("load = limit %v budget %v sessions %d, want 32, 28 per phase, 4", l.LimitA, l.BudgetA, len(l.Sessions))
	}
	for k := 1; k <= 4; k++ {
		a := alloc(l, ids[k])
		if a == nil || a.State != charging.AllocLimited || a.Reason != charging.ReasonSiteLimit || a.LimitA != 7 || a.Phases != 3 || a.ProfileID == 0 || !strings.Contains(a.Message, "shared with 3 other sessions") {
			t.Fatalf("allocation of connector %d = %+v, want limited to 7 A by the site", k, a)
		}
	}
	// The driver sees it on their session.
	var s1 charging.Session
	call(t, http.MethodGet, api+"/sessions/"+ids[1], nil, &s1)
	if s1.Smart == nil || s1.Smart.Allocation == nil || s1.Smart.Allocation.LimitA != 7 {
		t.Fatalf("session 1's smart = %+v, want its allocation of 7 A", s1.Smart)
	}

	// A fifth would need 5 × 6 A = 30 A: it waits, suspended.
	ids[5] = start(5)
	eventually(t, 10*time.Second, "the fifth session waiting", func() bool {
		a := alloc(load(), ids[5])
		return a != nil && a.State == charging.AllocWaiting && a.QueuePosition == 1 && a.Reason == charging.ReasonNoCapacity
	})
	if st, _ := cp.VehicleState(5); slices.Max(st.CurrentA[:]) != 0 {
		t.Fatalf("the waiting vehicle draws %v", st.CurrentA)
	}
	time.Sleep(time.Second)
	if st, _ := cp.VehicleState(5); slices.Max(st.CurrentA[:]) != 0 {
		t.Fatalf("the waiting vehicle draws %v", st.CurrentA)
	}

	// One ends: the fifth starts, at the others' 7 A.
	stop(ids[1])
	drawing("the fifth session charging at 7 A", 7, 2, 3, 4, 5)
	// Another ends: the three left rise to 28 / 3 = 9.3 A.
	stopAt := time.Now()
	stop(ids[2])
	drawing("three sessions at 9.3 A", 9.3, 3, 4, 5)
	t.Logf("after a stop the others rose in %s (the stop's round trip included)", time.Since(stopAt).Round(time.Millisecond))

	// A 1-phase vehicle on L1: L1 is shared by four (7 A each), L2 and L3
	// keep the 7 A it does not use.
	ids[6] = start(6)
	drawing("four sessions at 7 A on L1", 7, 3, 4, 5, 6)
	if st, _ := cp.VehicleState(6); st.CurrentA[1] != 0 || st.CurrentA[2] != 0 || st.CurrentA[0] < 6 {
		t.Fatalf("the 1-phase vehicle draws %v, want L1 only", st.CurrentA)
	}
	if version == sim.OCPP201 {
		// A 2.0.1 charger says so itself (numberOfPhasesUsed).
		var s6 charging.Session
		call(t, http.MethodGet, api+"/sessions/"+ids[6], nil, &s6)
		if s6.Smart == nil || s6.Smart.PhasesUsed != 1 {
			t.Errorf("session 6's smart = %+v, want phasesUsed 1", s6.Smart)
		}
	}
	eventually(t, 10*time.Second, "L2 and L3 less allocated than L1", func() bool {
		l := load()
		a := alloc(l, ids[6])
		return a != nil && a.Phases == 1 && a.Phase == 1 && math.Abs(l.AllocA[0]-28) < 0.5 && math.Abs(l.AllocA[1]-21) < 0.5 && math.Abs(l.AllocA[2]-21) < 0.5
	})

	// A grid operator's signal: 20 A per phase for a few seconds. The
	// chargers get 16 A: two 3-phase sessions at 8 A, the two latest wait.
	until := time.Now().Add(8 * time.Second).UTC().Truncate(time.Second)
	signalAt := time.Now()
	watch.setLimit(signalAt, 16)
	var signalled charging.Site
	if code, _ := call(t, http.MethodPut, api+"/sites/"+site.ID+"/grid-limit", map[string]any{"limit": 20, "unit": "A", "until": until.Format(time.RFC3339)}, &signalled); code != http.StatusOK {
		t.Fatalf("PUT grid-limit = %d", code)
	}
	if signalled.GridSignal == nil || signalled.GridSignal.Limit != 20 {
		t.Fatalf("site after the signal = %+v", signalled.GridSignal)
	}
	drawing("two sessions at 8 A under the signal", 8, 3, 4)
	lowered := time.Since(signalAt)
	if lowered > 4*time.Second {
		t.Errorf("the signal took %s to lower the site", lowered)
	}
	eventually(t, 5*time.Second, "the signal's allocations recorded", func() bool {
		l = load()
		for _, k := range []int{5, 6} {
			if a := alloc(l, ids[k]); a == nil || a.State != charging.AllocWaiting {
				return false
			}
		}
		return true
	})
	if l.LimitA != 20 || l.NormalLimitA != 32 || l.GridSignal == nil {
		t.Fatalf("load under the signal = limit %v normal %v signal %+v", l.LimitA, l.NormalLimitA, l.GridSignal)
	}
	for _, k := range []int{5, 6} {
		if a := alloc(l, ids[k]); a == nil || a.State != charging.AllocWaiting || a.Reason != charging.ReasonGridSignal {
			t.Fatalf("allocation of connector %d under the signal = %+v, want waiting for the grid signal", k, a)
		}
	}
	// Its expiry restores the normal limit: all four charge again.
	watch.setLimit(until, 28)
	drawing("four sessions at 7 A after the signal", 7, 3, 4, 5, 6)
	restored := time.Since(until)
	if restored > 5*time.Second {
		t.Errorf("the normal limit came back %s after the signal's end", restored)
	}
	t.Logf("the signal lowered the vehicles' draw in %s; its end restored it in %s", lowered.Round(time.Millisecond), restored.Round(time.Millisecond))
	var after charging.Site
	call(t, http.MethodGet, api+"/sites/"+site.ID, nil, &after)
	if after.GridSignal != nil {
		t.Errorf("the expired signal is still on the site: %+v", after.GridSignal)
	}

	// The load history has samples for the operator's chart.
	var hist struct{ Items []charging.SiteLoadSample }
	call(t, http.MethodGet, api+"/sites/"+site.ID+"/load/history", nil, &hist)
	if len(hist.Items) < 5 {
		t.Fatalf("load history has %d samples", len(hist.Items))
	}
	sawSignal := false
	for _, h := range hist.Items {
		sawSignal = sawSignal || h.SignalSet && h.LimitA == 20
	}
	if !sawSignal {
		t.Errorf("no history sample under the signal: %+v", hist.Items)
	}
	if !events.has(charging.EventSiteLoad, "") {
		t.Error("no site.load event")
	}

	for _, k := range []int{3, 4, 5, 6} {
		stop(ids[k])
	}
	time.Sleep(300 * time.Millisecond)
	close(stopWatch)
	<-watched
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if watch.failure != "" {
		t.Fatal(watch.failure)
	}
	if watch.seen < 200 {
		t.Fatalf("checked only %d per-phase current readings", watch.seen)
	}
	t.Logf("checked %d per-phase readings in %d instants; the highest total per phase was %.1f / %.1f / %.1f A", watch.seen, len(watch.byTime), watch.worst[0], watch.worst[1], watch.worst[2])
}

// TestDepartureSchedule is issue 15's third "done when": a session that
// must have 100 Wh by its departure waits for the cheap period of a
// two-period tariff, charges then, and has its energy by the departure.
func TestDepartureSchedule(t *testing.T) {
	n := startNode(t, smartConfig())
	api := n.Base + "/api/v1"
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-D", Connectors: 1, MaxPowerW: 11000})
	if err := cp.SetVehicle(1, sim.Vehicle{CapacityWh: 60000, SoCPercent: 40, MaxA: 16, Phases: 3}); err != nil {
		t.Fatal(err)
	}
	// The cheap period starts at the next whole minute at least 10 s away
	// and lasts two minutes; the rest of the day is four times dearer.
	now := time.Now().UTC()
	cheap := now.Truncate(time.Minute).Add(time.Minute)
	if cheap.Sub(now) < 10*time.Second {
		cheap = cheap.Add(time.Minute)
	}
	hhmm := func(t time.Time) string { return t.Format("15:04") }
	tariff := map[string]any{"id": "NIGHT", "currency": "EUR", "elements": []any{
		map[string]any{"priceComponents": []any{map[string]any{"type": "ENERGY", "price": "0.10", "stepSize": 1}},
			"restrictions": map[string]any{"startTime": hhmm(cheap), "endTime": hhmm(cheap.Add(2 * time.Minute))}},
		map[string]any{"priceComponents": []any{map[string]any{"type": "ENERGY", "price": "0.40", "stepSize": 1}}},
	}}
	if code, _ := call(t, http.MethodPost, api+"/tariffs", tariff, nil); code != http.StatusCreated {
		t.Fatalf("POST /tariffs = %d", code)
	}
	var site charging.Site
	call(t, http.MethodPost, api+"/sites", map[string]any{"name": "Home", "timeZone": "UTC", "tariffId": "NIGHT", "gridLimit": map[string]any{"value": 32, "unit": "A"}}, &site)
	if code, _ := call(t, http.MethodPatch, api+"/chargers/CP-D", map[string]any{"siteId": site.ID}, nil); code != http.StatusOK {
		t.Fatalf("PATCH charger = %d", code)
	}
	eventually(t, 10*time.Second, "failsafe profiles on CP-D", func() bool {
		var ps page[charging.InstalledProfile]
		call(t, http.MethodGet, api+"/chargers/CP-D/charging-profiles", nil, &ps)
		return len(ps.Items) >= 2
	})

	departure := cheap.Add(100 * time.Second)
	var ses charging.Session
	code, _ := call(t, http.MethodPost, api+"/chargers/CP-D/connectors/1/start", map[string]any{"idTag": "DEPART",
		"departureTime": departure.Format(time.RFC3339), "energyWantedWh": 100}, &ses)
	if code != http.StatusAccepted || ses.Smart == nil || ses.Smart.DepartureTime == nil || ses.Smart.EnergyWantedWh != 100 {
		t.Fatalf("start with a departure = %d %+v", code, ses.Smart)
	}
	// Before the cheap period it waits, with a plan that charges in it.
	var waiting charging.Session
	eventually(t, 10*time.Second, "the session paused for cheaper hours", func() bool {
		call(t, http.MethodGet, api+"/sessions/"+ses.ID, nil, &waiting)
		a := waiting.Smart.Allocation
		return waiting.Status == charging.SessionActive && a != nil && a.Reason == charging.ReasonDeparture && a.LimitA == 0
	})
	plan := waiting.Smart.Allocation.Plan
	charges := false
	for _, p := range plan {
		if p.LimitA > 0 {
			charges = true
			if p.From.Before(cheap) || p.PricePerKWh != "0.1000" {
				t.Fatalf("plan charges outside the cheap period: %+v", plan)
			}
		}
	}
	if !charges || !strings.Contains(waiting.Smart.Allocation.Message, hhmm(cheap)) {
		t.Fatalf("plan %+v / message %q, want charging from %s", plan, waiting.Smart.Allocation.Message, hhmm(cheap))
	}
	// Nothing is drawn until the cheap period.
	for time.Now().Before(cheap.Add(-2 * time.Second)) {
		if st, _ := cp.VehicleState(1); st.PowerW > 0 {
			t.Fatalf("the vehicle draws %.0f W before the cheap period", st.PowerW)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var before charging.Session
	call(t, http.MethodGet, api+"/sessions/"+ses.ID, nil, &before)
	// By the departure it has what it asked for.
	eventually(t, time.Until(departure)+2*time.Second, "100 Wh delivered", func() bool {
		var s charging.Session
		call(t, http.MethodGet, api+"/sessions/"+ses.ID, nil, &s)
		return s.EnergyWh >= 100
	})
	if time.Now().After(departure) {
		t.Fatalf("the energy came after the departure")
	}
	if code, _ := call(t, http.MethodPost, api+"/sessions/"+ses.ID+"/stop", nil, nil); code != http.StatusAccepted {
		t.Fatalf("stop = %d", code)
	}
	var done charging.Session
	eventually(t, 10*time.Second, "session finished and priced", func() bool {
		call(t, http.MethodGet, api+"/sessions/"+ses.ID, nil, &done)
		return done.Status == charging.SessionFinished && done.Cost != nil && done.Cost.Final
	})
	if before.EnergyWh > 1 {
		t.Errorf("%.1f Wh were delivered before the cheap period", before.EnergyWh)
	}
	t.Logf("delivered %.0f Wh (wanted 100) for %s %s; %.1f Wh before the cheap period", done.EnergyWh, done.Cost.Total, done.Cost.Currency, before.EnergyWh)
}

// TestSmartPriorityMeterFailsafe: a site whose building load is measured
// by a meter pushed to the API; an operator's priority; and the failsafe
// that keeps the site under its limit when Joule is gone.
func TestSmartPriorityMeterFailsafe(t *testing.T) {
	cfg := smartConfig()
	cfg.SmartLease = 4 * time.Second // short, so that the failsafe shows within the test
	n := startNode(t, cfg)
	api := n.Base + "/api/v1"
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-P", Connectors: 3, MaxPowerW: 22000,
		Vehicle: sim.Vehicle{CapacityWh: 80000, SoCPercent: 20, MaxA: 32, Phases: 3}})
	var site charging.Site
	if code, _ := call(t, http.MethodPost, api+"/sites", map[string]any{"name": "Office", "gridLimit": map[string]any{"value": 32, "unit": "A"},
		"meter": map[string]any{"source": "api"}}, &site); code != http.StatusCreated {
		t.Fatalf("POST /sites = %d", code)
	}
	call(t, http.MethodPatch, api+"/chargers/CP-P", map[string]any{"siteId": site.ID}, nil)

	// The site meter sees the building's 20 A plus what the chargers draw.
	meterDone := make(chan struct{})
	meterStopped := make(chan struct{})
	go func() {
		defer close(meterStopped)
		for {
			reading := [3]float64{20, 20, 20}
			for k := 1; k <= 3; k++ {
				if st, ok := cp.VehicleState(k); ok {
					for p := range 3 {
						reading[p] += st.CurrentA[p]
					}
				}
			}
			select {
			case <-meterDone:
				return
			default:
			}
			code, _ := call(t, http.MethodPost, api+"/sites/"+site.ID+"/meter", map[string]any{"currentA": reading}, nil)
			if code != http.StatusNoContent {
				t.Errorf("POST meter = %d", code)
				return
			}
			select {
			case <-meterDone:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	defer func() {
		if meterDone != nil {
			close(meterDone)
			<-meterStopped
		}
	}()
	// A meter push to a site without an api meter is a 409 that says why.
	var other charging.Site
	call(t, http.MethodPost, api+"/sites", map[string]any{"name": "Elsewhere"}, &other)
	var p problem
	if code, _ := call(t, http.MethodPost, api+"/sites/"+other.ID+"/meter", map[string]any{"currentA": []float64{1, 2, 3}}, &p); code != http.StatusConflict || !strings.Contains(p.Detail, "api") {
		t.Fatalf("meter push to a site without one = %d %+v", code, p)
	}

	load := func() charging.SiteLoad {
		var l charging.SiteLoad
		call(t, http.MethodGet, api+"/sites/"+site.ID+"/load", nil, &l)
		return l
	}
	allocOf := func(l charging.SiteLoad, id string) *charging.Allocation {
		for _, s := range l.Sessions {
			if s.SessionID == id {
				return s.Allocation
			}
		}
		return nil
	}
	start := func(k int) string {
		var ses charging.Session
		if code, _ := call(t, http.MethodPost, fmt.Sprintf("%s/chargers/CP-P/connectors/%d/start", api, k), map[string]any{"idTag": fmt.Sprintf("P-%d", k)}, &ses); code != http.StatusAccepted {
			t.Fatalf("start %d = %d", k, code)
		}
		eventually(t, 10*time.Second, "session active", func() bool {
			var s charging.Session
			call(t, http.MethodGet, api+"/sessions/"+ses.ID, nil, &s)
			return s.Status == charging.SessionActive
		})
		return ses.ID
	}

	// 12 A are left for the chargers: two sessions at 6 A, a third waits.
	a, b := start(1), start(2)
	eventually(t, 15*time.Second, "two sessions sharing what the building leaves", func() bool {
		l := load()
		x, y := allocOf(l, a), allocOf(l, b)
		return l.BuildingA != nil && math.Abs(l.BuildingA[0]-20) < 1.5 && x != nil && y != nil && x.LimitA >= 5.9 && x.LimitA <= 6.5 && y.LimitA >= 5.9 && y.LimitA <= 6.5
	})
	c := start(3)
	eventually(t, 10*time.Second, "the third waiting", func() bool {
		x := allocOf(load(), c)
		return x != nil && x.State == charging.AllocWaiting
	})

	// The operator gives the third priority: it charges, the latest of
	// the others waits in its place.
	var ses charging.Session
	if code, _ := call(t, http.MethodPatch, api+"/sessions/"+c, map[string]any{"priority": true}, &ses); code != http.StatusOK || ses.Smart == nil || !ses.Smart.Priority {
		t.Fatalf("PATCH priority = %d %+v", code, ses.Smart)
	}
	if code, _ := call(t, http.MethodPatch, api+"/sessions/"+c, map[string]any{"priority": "yes"}, &p); code != http.StatusBadRequest {
		t.Fatalf("PATCH priority with a string = %d", code)
	}
	eventually(t, 10*time.Second, "the priority session charging, the latest other waiting", func() bool {
		l := load()
		x, y := allocOf(l, c), allocOf(l, b)
		return x != nil && x.State != charging.AllocWaiting && x.LimitA >= 5.9 && y != nil && y.State == charging.AllocWaiting
	})
	eventually(t, 10*time.Second, "the priority vehicle drawing", func() bool {
		st, ok := cp.VehicleState(3)
		return ok && st.CurrentA[0] > 5
	})

	// Joule goes away. Within one lease every connector falls to the safe
	// share: what the limit leaves beside the building's highest metered
	// load, over the three connectors; the site stays under 32 A.
	close(meterDone)
	<-meterStopped
	meterDone = nil
	n.Stop()
	time.Sleep(cfg.SmartLease + 2*time.Second)
	var total [3]float64
	for k := 1; k <= 3; k++ {
		st, ok := cp.VehicleState(k)
		if !ok {
			t.Fatalf("connector %d has no transaction", k)
		}
		if st.OfferedA > 4 {
			t.Errorf("connector %d is offered %.1f A without Joule, above a third of the 12 A the building leaves", k, st.OfferedA)
		}
		for p := range 3 {
			total[p] += st.CurrentA[p]
		}
	}
	for p := range 3 {
		if total[p]+20 > 32.1 {
			t.Errorf("without Joule, phase L%d draws %.1f A beside the building's 20 A, over the site's 32 A", p+1, total[p])
		}
	}
	t.Logf("without Joule the three vehicles draw %.1f / %.1f / %.1f A", total[0], total[1], total[2])
}

// TestClusterSmartCharging: two chargers of one site on two nodes. The
// leader's balancer learns both sessions from the bus and limits both,
// the other node's charger through that node.
func TestClusterSmartCharging(t *testing.T) {
	c := newCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	ws := "ws://" + c.lb.Addr() + "/ocpp"
	vehicle := sim.Vehicle{CapacityWh: 80000, SoCPercent: 20, MaxA: 32, Phases: 3}
	c.lb.Prefer(host(n1))
	cpA, _ := startSimAt(t, sim.Config{URL: ws, ID: "SM-A", Connectors: 1, MaxPowerW: 22000, Vehicle: vehicle}, n1.Base)
	c.lb.Prefer(host(n2))
	cpB, _ := startSimAt(t, sim.Config{URL: ws, ID: "SM-B", Connectors: 1, MaxPowerW: 22000, OCPPVersion: sim.OCPP201, Vehicle: vehicle}, n2.Base)

	api := n1.Base + "/api/v1"
	var site charging.Site
	if code, _ := call(t, http.MethodPost, api+"/sites", map[string]any{"name": "Shared", "gridLimit": map[string]any{"value": 20, "unit": "A"}}, &site); code != http.StatusCreated {
		t.Fatalf("POST /sites = %d", code)
	}
	for _, id := range []string{"SM-A", "SM-B"} {
		if code, _ := call(t, http.MethodPatch, api+"/chargers/"+id, map[string]any{"siteId": site.ID}, nil); code != http.StatusOK {
			t.Fatalf("PATCH %s = %d", id, code)
		}
	}
	for _, id := range []string{"SM-A", "SM-B"} {
		var ses charging.Session
		// Each start is asked on the node that does not hold the charger.
		base := n2.Base
		if id == "SM-B" {
			base = n1.Base
		}
		if code, _ := call(t, http.MethodPost, base+"/api/v1/chargers/"+id+"/connectors/1/start", map[string]any{"idTag": "C-" + id}, &ses); code != http.StatusAccepted {
			t.Fatalf("start %s = %d", id, code)
		}
	}
	eventually(t, 30*time.Second, "both vehicles at 10 A", func() bool {
		for _, cp := range []*sim.Charger{cpA, cpB} {
			st, ok := cp.VehicleState(1)
			if !ok || math.Abs(st.CurrentA[0]-10) > 0.6 {
				return false
			}
		}
		return true
	})
	// Both nodes tell the same allocation.
	for _, nd := range c.nodes {
		var l charging.SiteLoad
		call(t, http.MethodGet, nd.Base+"/api/v1/sites/"+site.ID+"/load", nil, &l)
		if len(l.Sessions) != 2 {
			t.Fatalf("load on %s has %d sessions", nd.Base, len(l.Sessions))
		}
		for _, s := range l.Sessions {
			if s.Allocation == nil || s.Allocation.LimitA != 10 {
				t.Fatalf("load on %s: %s has %+v, want 10 A", nd.Base, s.ChargerID, s.Allocation)
			}
		}
	}
}

// TestPhaseRotationEndToEnd: three 1-phase vehicles on a charger whose
// outlets an installer wired RST, SRT and TRS, so that each loads another
// grid phase. With the rotations told to Joule, a site of 16 A per phase
// gives each its full 16 A; the site's measured draw is 16 A on each grid
// phase, and its allocations name the grid phases.
func TestPhaseRotationEndToEnd(t *testing.T) {
	n := startNode(t, smartConfig())
	api := n.Base + "/api/v1"
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-ROT", Connectors: 3, MaxPowerW: 22000})
	for k := 1; k <= 3; k++ {
		if err := cp.SetVehicle(k, sim.Vehicle{CapacityWh: 60000, SoCPercent: 20, MaxA: 32, Phases: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var site charging.Site
	if code, _ := call(t, http.MethodPost, api+"/sites", map[string]any{"name": "Rotated", "gridLimit": map[string]any{"value": 16, "unit": "A"}}, &site); code != http.StatusCreated {
		t.Fatalf("POST /sites = %d", code)
	}
	conns := []map[string]any{}
	for k, rot := range []string{"RST", "SRT", "TRS"} {
		conns = append(conns, map[string]any{"connectorId": k + 1, "powerType": "AC_1_PHASE", "phaseRotation": rot})
	}
	var c charging.Charger
	if code, _ := call(t, http.MethodPatch, api+"/chargers/CP-ROT", map[string]any{"siteId": site.ID, "connectors": conns}, &c); code != http.StatusOK {
		t.Fatalf("PATCH charger = %d", code)
	}
	if k, _ := c.Connector(2); k.PhaseRotation != charging.RotationSRT {
		t.Fatalf("connector 2 rotation = %q, want SRT", k.PhaseRotation)
	}
	ids := map[int]string{}
	for k := 1; k <= 3; k++ {
		var ses charging.Session
		if code, _ := call(t, http.MethodPost, fmt.Sprintf("%s/chargers/CP-ROT/connectors/%d/start", api, k), map[string]any{"idTag": fmt.Sprintf("ROT-%d", k)}, &ses); code != http.StatusAccepted {
			t.Fatalf("start connector %d = %d", k, code)
		}
		ids[k] = ses.ID
	}
	// Each vehicle draws its 16 A (the simulator's truth) ...
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		var got []string
		for k := 1; k <= 3; k++ {
			st, has := cp.VehicleState(k)
			got = append(got, fmt.Sprintf("%d: %v", k, st.CurrentA))
			ok = ok && has && math.Abs(slices.Max(st.CurrentA[:])-16) <= 0.6
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			var l charging.SiteLoad
			call(t, http.MethodGet, api+"/sites/"+site.ID+"/load", nil, &l)
			var b strings.Builder
			for _, s := range l.Sessions {
				fmt.Fprintf(&b, "\n%s connector %d: %+v draw %v", s.SessionID, s.ConnectorID, s.Allocation, s.DrawA)
			}
			t.Fatalf("vehicles draw %v, want 16 A each; site load budget %v draw %v:%s", got, l.BudgetA, l.DrawA, b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// ... on the grid phase its outlet's L1 is wired to.
	var l charging.SiteLoad
	eventually(t, 10*time.Second, "the allocations and the draw on the grid's phases", func() bool {
		call(t, http.MethodGet, api+"/sites/"+site.ID+"/load", nil, &l)
		if len(l.Sessions) != 3 {
			return false
		}
		for _, s := range l.Sessions {
			a := s.Allocation
			k := map[string]int{ids[1]: 1, ids[2]: 2, ids[3]: 3}[s.SessionID]
			if a == nil || a.LimitA != 16 || a.Phases != 1 || a.Phase != map[int]int{1: 1, 2: 2, 3: 3}[k] {
				return false
			}
		}
		for p := range 3 {
			if math.Abs(l.DrawA[p]-16) > 0.6 {
				return false
			}
		}
		return true
	})
}
