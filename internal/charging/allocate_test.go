package charging_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

var t0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// dem is a newcomer arriving min minutes after t0 on phases mask, 6..maxA
// A, with nothing measured, wanted, needed or allocated yet.
func dem(id string, min int, mask uint8, maxA float64) charging.Demand {
	return charging.Demand{SessionID: id, Arrival: t0.Add(time.Duration(min) * time.Minute), PhaseMask: mask,
		MinA: 6, MaxA: maxA, DrawA: -1, WantA: -1, PrevA: -1}
}

// with returns d changed by f, for one-line table rows.
func with(d charging.Demand, f func(*charging.Demand)) charging.Demand { f(&d); return d }

func prev(a float64) func(*charging.Demand) { return func(d *charging.Demand) { d.PrevA = a } }

func waiting(pos int) charging.Grant {
	return charging.Grant{Waiting: true, QueuePosition: pos, Reason: charging.ReasonNoCapacity}
}

func limited(a float64) charging.Grant {
	return charging.Grant{LimitA: a, Reason: charging.ReasonSiteLimit}
}

func all3(a float64) [3]float64 { return [3]float64{a, a, a} }

func TestAllocate(t *testing.T) {
	for _, c := range []struct {
		name   string
		budget [3]float64
		ds     []charging.Demand
		opt    charging.AllocOptions
		want   []charging.Grant
	}{
		{
			name:   "fair share: four 3-phase sessions on 32 A",
			budget: all3(32),
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 7, 32), dem("c", 3, 7, 32), dem("d", 4, 7, 32)},
			want:   []charging.Grant{limited(8), limited(8), limited(8), limited(8)},
		},
		{
			name:   "fair share: one ended, three share 32 A, rounded down",
			budget: all3(32),
			ds:     []charging.Demand{with(dem("a", 1, 7, 32), prev(8)), with(dem("b", 2, 7, 32), prev(8)), with(dem("c", 3, 7, 32), prev(8))},
			want:   []charging.Grant{limited(10.6), limited(10.6), limited(10.6)},
		},
		{
			name:   "sessions below their share get their maximum, the rest goes to the others",
			budget: all3(32),
			ds:     []charging.Demand{dem("a", 1, 7, 10), dem("b", 2, 7, 32), dem("c", 3, 7, 32)},
			want:   []charging.Grant{{LimitA: 10}, limited(11), limited(11)},
		},
		{
			name:   "minimums: six on 32 A, five at 6.4, the sixth waits",
			budget: all3(32),
			ds: []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 7, 32), dem("c", 3, 7, 32), dem("d", 4, 7, 32),
				dem("e", 5, 7, 32), dem("f", 6, 7, 32)},
			want: []charging.Grant{limited(6.4), limited(6.4), limited(6.4), limited(6.4), limited(6.4), waiting(1)},
		},
		{
			name:   "minimums: seven on 32 A, two wait in arrival order (given out of order)",
			budget: all3(32),
			ds: []charging.Demand{dem("g", 7, 7, 32), dem("a", 1, 7, 32), dem("b", 2, 7, 32), dem("c", 3, 7, 32), dem("d", 4, 7, 32),
				dem("e", 5, 7, 32), dem("f", 6, 7, 32)},
			want: []charging.Grant{waiting(2), limited(6.4), limited(6.4), limited(6.4), limited(6.4), limited(6.4), waiting(1)},
		},
		{
			name:   "the same arrival is ordered by session ID",
			budget: all3(12),
			ds:     []charging.Demand{dem("z", 1, 7, 32), dem("y", 1, 7, 32), dem("x", 1, 7, 32)},
			want:   []charging.Grant{waiting(1), limited(6), limited(6)},
		},
		{
			name:   "a zero budget: everyone waits",
			budget: all3(0),
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 1, 32)},
			want:   []charging.Grant{waiting(1), waiting(2)},
		},
		{
			// L1 takes three minimums; d does not fit there; e would fit
			// on L2 but may not overtake d; f is a priority and may.
			name:   "first come first served: no overtaking, except priority",
			budget: [3]float64{20, 32, 32},
			ds: []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 7, 32), dem("c", 3, 7, 32), dem("d", 4, 7, 32),
				dem("e", 5, 2, 32), with(dem("f", 6, 4, 16), func(d *charging.Demand) { d.Priority = true })},
			want: []charging.Grant{limited(6), limited(6), limited(6), waiting(1), waiting(2), limited(14)},
		},
		{
			name:   "a fifth session waits on 24 A",
			budget: all3(24),
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 7, 32), dem("c", 3, 7, 32), dem("d", 4, 7, 32), dem("e", 5, 7, 32)},
			want:   []charging.Grant{limited(6), limited(6), limited(6), limited(6), waiting(1)},
		},
		{
			name:   "and is admitted when one leaves",
			budget: all3(24),
			ds: []charging.Demand{with(dem("b", 2, 7, 32), prev(6)), with(dem("c", 3, 7, 32), prev(6)), with(dem("d", 4, 7, 32), prev(6)),
				with(dem("e", 5, 7, 32), func(d *charging.Demand) { d.PrevA, d.PrevWaiting = 0, true })},
			want: []charging.Grant{limited(6), limited(6), limited(6), limited(6)},
		},
		{
			name:   "a newcomer does not pre-empt an admitted session that arrived later",
			budget: all3(12),
			ds:     []charging.Demand{dem("early", 1, 7, 32), with(dem("b", 2, 7, 32), prev(6)), with(dem("c", 3, 7, 32), prev(6))},
			want:   []charging.Grant{waiting(1), limited(6), limited(6)},
		},
		{
			name:   "phases: a 1-phase session on L1 shares L1 only",
			budget: all3(32),
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 7, 32), dem("c", 3, 7, 32), dem("l1", 4, 1, 32)},
			want:   []charging.Grant{limited(8), limited(8), limited(8), limited(8)},
		},
		{
			name:   "phases: 1-phase sessions on L2 and L3 beside a 3-phase one",
			budget: all3(32),
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("l2", 2, 2, 32), dem("l3", 3, 4, 32)},
			want:   []charging.Grant{limited(16), limited(16), limited(16)},
		},
		{
			// L1 is full at 6 + 6; the 3-phase session stops there, and the
			// L2 session takes the rest of L2.
			name:   "phases: a full L1 does not hold back L2",
			budget: [3]float64{12, 32, 32},
			ds:     []charging.Demand{dem("l1", 1, 1, 32), dem("a", 2, 7, 32), dem("l2", 3, 2, 32)},
			want:   []charging.Grant{limited(6), limited(6), limited(26)},
		},
		{
			name:   "phases: a 1-phase newcomer fits on a phase with room",
			budget: [3]float64{6, 6, 12},
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("l3", 2, 4, 32)},
			want:   []charging.Grant{limited(6), limited(6)},
		},
		{
			name:   "priority gets its cap first",
			budget: all3(32),
			ds: []charging.Demand{dem("a", 1, 7, 32), with(dem("p", 2, 7, 16), func(d *charging.Demand) { d.Priority = true }),
				dem("c", 3, 7, 32)},
			want: []charging.Grant{limited(8), {LimitA: 16}, limited(8)},
		},
		{
			name:   "departure need is served before the fair share",
			budget: all3(40),
			ds:     []charging.Demand{dem("a", 1, 7, 32), dem("b", 2, 7, 32), with(dem("dep", 3, 7, 32), func(d *charging.Demand) { d.NeedA = 20 })},
			want:   []charging.Grant{limited(10), limited(10), limited(20)},
		},
		{
			name:   "a departure plan waiting for cheaper hours takes nothing",
			budget: all3(12),
			ds:     []charging.Demand{with(dem("dep", 1, 7, 32), func(d *charging.Demand) { d.WantA = 0 }), dem("b", 2, 7, 32), dem("c", 3, 7, 32)},
			want:   []charging.Grant{{Reason: charging.ReasonDeparture}, limited(6), limited(6)},
		},
		{
			name:   "a departure plan's limit caps the session",
			budget: all3(32),
			ds:     []charging.Demand{with(dem("dep", 1, 7, 32), func(d *charging.Demand) { d.WantA = 10 }), dem("b", 2, 7, 32)},
			want:   []charging.Grant{{LimitA: 10, Reason: charging.ReasonDeparture}, limited(22)},
		},
		{
			name:   "a vehicle drawing less gives its headroom to others",
			budget: all3(32),
			ds: []charging.Demand{with(dem("slow", 1, 7, 32), func(d *charging.Demand) { d.PrevA, d.DrawA = 16, 5 }),
				with(dem("b", 2, 7, 32), func(d *charging.Demand) { d.PrevA, d.DrawA = 16, 15.8 })},
			want: []charging.Grant{{LimitA: 7, Reason: charging.ReasonVehicle}, limited(25)},
		},
		{
			name:   "hysteresis: a 0.5 A raise is not made",
			budget: all3(32),
			ds: []charging.Demand{with(dem("a", 1, 7, 32), prev(7.5)), with(dem("b", 2, 7, 32), prev(7.5)),
				with(dem("c", 3, 7, 32), prev(7.5)), with(dem("d", 4, 7, 32), prev(7.5))},
			want: []charging.Grant{limited(7.5), limited(7.5), limited(7.5), limited(7.5)},
		},
		{
			name:   "hysteresis: a 0.5 A cut is kept when it fits",
			budget: all3(32),
			ds: []charging.Demand{with(dem("a", 1, 7, 32), prev(8.5)), with(dem("b", 2, 7, 32), prev(7.5)),
				with(dem("c", 3, 7, 32), prev(8)), with(dem("d", 4, 7, 32), prev(8))},
			want: []charging.Grant{limited(8.5), limited(7.5), limited(8), limited(8)},
		},
		{
			name:   "hysteresis: a 0.5 A cut is made when the old limit does not fit",
			budget: all3(32),
			ds: []charging.Demand{with(dem("a", 1, 7, 32), prev(8.5)), with(dem("b", 2, 7, 32), prev(8)),
				with(dem("c", 3, 7, 32), prev(8)), with(dem("d", 4, 7, 32), prev(8))},
			want: []charging.Grant{limited(8), limited(8), limited(8), limited(8)},
		},
		{
			name:   "hysteresis off: the 0.5 A raise is made",
			budget: all3(32),
			opt:    charging.AllocOptions{Hysteresis: -1},
			ds:     []charging.Demand{with(dem("a", 1, 7, 32), prev(7.5)), with(dem("b", 2, 7, 32), prev(7.5)), with(dem("c", 3, 7, 32), prev(7.5)), with(dem("d", 4, 7, 32), prev(7.5))},
			want:   []charging.Grant{limited(8), limited(8), limited(8), limited(8)},
		},
		{
			name:   "a shrinking budget sends the latest arrival to wait",
			budget: all3(20),
			ds: []charging.Demand{with(dem("a", 1, 7, 32), prev(8)), with(dem("b", 2, 7, 32), prev(8)),
				with(dem("c", 3, 7, 32), prev(8)), with(dem("d", 4, 7, 32), prev(8))},
			want: []charging.Grant{limited(6.6), limited(6.6), limited(6.6), waiting(1)},
		},
		{
			name:   "a shrinking budget drops a priority session last",
			budget: all3(20),
			ds: []charging.Demand{with(dem("a", 1, 7, 32), prev(8)), with(dem("b", 2, 7, 32), prev(8)),
				with(dem("c", 3, 7, 32), prev(8)), with(dem("p", 4, 7, 32), func(d *charging.Demand) { d.PrevA, d.Priority = 8, true })},
			want: []charging.Grant{limited(6), limited(6), waiting(1), limited(8)},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := charging.Allocate(c.budget, c.ds, c.opt)
			if !slices.Equal(got, c.want) {
				t.Errorf("Allocate =\n %+v\nwant\n %+v", got, c.want)
			}
			checkGrants(t, c.budget, c.ds, got)
		})
	}
}

// checkGrants checks what must hold for every allocation: no phase over
// its budget, every admitted session at least its minimum and at most its
// maximum, limits in 0.1 A, queue positions 1..n, and no newcomer admitted
// after one that waits (first come, first served).
func checkGrants(t *testing.T, budget [3]float64, ds []charging.Demand, gs []charging.Grant) {
	t.Helper()
	if len(gs) != len(ds) {
		t.Fatalf("%d grants for %d demands", len(gs), len(ds))
	}
	var sum [3]float64
	var queue []int
	for i, g := range gs {
		d := ds[i]
		if g.Waiting {
			queue = append(queue, g.QueuePosition)
			if g.LimitA != 0 || g.Reason != charging.ReasonNoCapacity {
				t.Errorf("%s waits with %+v, want 0 A and %s", d.SessionID, g, charging.ReasonNoCapacity)
			}
			continue
		}
		if g.LimitA == 0 && (g.Reason == charging.ReasonDeparture || g.Reason == charging.ReasonVehicle) && (d.WantA >= 0 && d.WantA < d.MinA || d.MaxA < d.MinA) {
			continue
		}
		if g.LimitA < d.MinA || g.LimitA > d.MaxA+1e-9 {
			t.Errorf("%s: LimitA %v, want within [%v, %v]", d.SessionID, g.LimitA, d.MinA, d.MaxA)
		}
		if r := math.Round(g.LimitA * 10); math.Abs(r-g.LimitA*10) > 1e-6 {
			t.Errorf("%s: LimitA %v is not in 0.1 A", d.SessionID, g.LimitA)
		}
		for p := range 3 {
			if d.PhaseMask&(1<<p) != 0 {
				sum[p] += g.LimitA
			}
		}
	}
	for p := range 3 {
		if sum[p] > budget[p]+1e-9 {
			t.Errorf("L%d: %v A allocated, budget %v A", p+1, sum[p], budget[p])
		}
	}
	slices.Sort(queue)
	for i, q := range queue {
		if q != i+1 {
			t.Errorf("queue positions %v, want 1..%d", queue, len(queue))
			break
		}
	}
	// Newcomers in arrival order: once one waits, all later ones wait.
	var newcomers []int
	for i, d := range ds {
		paused := d.WantA >= 0 && d.WantA < d.MinA || d.MaxA < d.MinA
		if !d.Priority && !(d.PrevA >= 0 && !d.PrevWaiting) && !paused {
			newcomers = append(newcomers, i)
		}
	}
	slices.SortFunc(newcomers, func(a, b int) int {
		if c := ds[a].Arrival.Compare(ds[b].Arrival); c != 0 {
			return c
		}
		return cmpString(ds[a].SessionID, ds[b].SessionID)
	})
	waited := false
	for _, i := range newcomers {
		if gs[i].Waiting {
			waited = true
		} else if waited {
			t.Errorf("%s was admitted after an earlier newcomer waited", ds[i].SessionID)
		}
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// randomSite returns n random sessions: mixed phases, minimums, maximums,
// priorities, previous limits, draws, plans and needs.
func randomSite(r *rand.Rand, n int) []charging.Demand {
	masks := []uint8{1, 2, 4, 7, 7, 7, 3}
	ds := make([]charging.Demand, n)
	for i := range ds {
		d := dem(fmt.Sprintf("s%03d", i), r.IntN(120), masks[r.IntN(len(masks))], 0)
		d.MinA = float64(r.IntN(9))
		d.MaxA = d.MinA + float64(r.IntN(40))
		d.Priority = r.IntN(10) == 0
		if r.IntN(2) == 0 {
			d.PrevA = math.Round(r.Float64()*d.MaxA*10) / 10
			d.PrevWaiting = r.IntN(5) == 0
			if d.PrevWaiting {
				d.PrevA = 0
			}
		}
		if r.IntN(3) == 0 {
			d.DrawA = r.Float64() * d.MaxA
		}
		if r.IntN(6) == 0 {
			d.WantA = float64(r.IntN(20))
		}
		if r.IntN(4) == 0 {
			d.NeedA = r.Float64() * 32
		}
		ds[i] = d
	}
	return ds
}

func TestAllocateRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 15))
	for range 5000 {
		budget := [3]float64{r.Float64() * 100, r.Float64() * 100, r.Float64() * 100}
		if r.IntN(4) == 0 {
			budget = all3(math.Round(r.Float64() * 64))
		}
		ds := randomSite(r, r.IntN(30))
		opt := charging.AllocOptions{Hysteresis: []float64{0, 0.5, 2, -1}[r.IntN(4)]}
		checkGrants(t, budget, ds, charging.Allocate(budget, ds, opt))
		if t.Failed() {
			t.Fatalf("budget %v, demands %+v", budget, ds)
		}
	}
}

// TestAllocateMaxMin checks the fair share against a slow, obvious
// water-filling: with no priorities, needs, draws or previous limits, no
// session below its cap could get more without a phase it uses being full.
func TestAllocateMaxMin(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 15))
	for range 2000 {
		budget := [3]float64{r.Float64() * 100, r.Float64() * 100, r.Float64() * 100}
		ds := randomSite(r, 1+r.IntN(20))
		for i := range ds {
			ds[i].Priority, ds[i].PrevA, ds[i].PrevWaiting, ds[i].DrawA, ds[i].WantA, ds[i].NeedA = false, -1, false, -1, -1, 0
		}
		gs := charging.Allocate(budget, ds, charging.AllocOptions{})
		var sum [3]float64
		for i, g := range gs {
			for p := range 3 {
				if ds[i].PhaseMask&(1<<p) != 0 {
					sum[p] += g.LimitA
				}
			}
		}
		for i, g := range gs {
			if g.Waiting || g.LimitA >= math.Floor(ds[i].MaxA*10)/10 {
				continue
			}
			// It must have a bottleneck: a full phase on which no session
			// above its own minimum gets more than it. Rounding down to
			// 0.1 A leaves up to 0.1 A per session unused on a full phase.
			bottleneck := false
			for p := range 3 {
				if ds[i].PhaseMask&(1<<p) == 0 || budget[p]-sum[p] >= 0.1*float64(len(ds))+1e-9 {
					continue
				}
				highest := 0.0
				for j, h := range gs {
					if ds[j].PhaseMask&(1<<p) != 0 && h.LimitA > ds[j].MinA {
						highest = max(highest, h.LimitA)
					}
				}
				if g.LimitA >= highest-0.1-1e-9 {
					bottleneck = true
				}
			}
			if !bottleneck {
				t.Fatalf("%s at %v A (max %v A) has no bottleneck phase (budget %v, used %v, grants %+v, demands %+v)", ds[i].SessionID, g.LimitA, ds[i].MaxA, budget, sum, gs, ds)
			}
		}
	}
}

func BenchmarkAllocate200(b *testing.B) {
	ds := benchSite(200)
	budget := all3(800)
	b.ReportAllocs()
	for b.Loop() {
		charging.Allocate(budget, ds, charging.AllocOptions{})
	}
}

func BenchmarkAllocate1000Sites(b *testing.B) {
	sites := make([][]charging.Demand, 1000)
	for i := range sites {
		sites[i] = benchSite(20)
	}
	budget := all3(100)
	b.ReportAllocs()
	for b.Loop() {
		for _, ds := range sites {
			charging.Allocate(budget, ds, charging.AllocOptions{})
		}
	}
}

// benchSite is n sessions: three in four 3-phase, the others 1-phase
// spread over L1..L3; some drawing less, some with a departure need, half
// allocated before.
func benchSite(n int) []charging.Demand {
	ds := make([]charging.Demand, n)
	for i := range ds {
		mask := uint8(7)
		if i%4 == 3 {
			mask = 1 << (i % 3)
		}
		d := dem(fmt.Sprintf("s%04d", i), i, mask, float64(16+16*(i%2)))
		if i%2 == 0 {
			d.PrevA = 8
		}
		if i%5 == 0 {
			d.DrawA = 4
		}
		if i%7 == 0 {
			d.NeedA = 12
		}
		ds[i] = d
	}
	return ds
}
