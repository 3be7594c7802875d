package charging

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Demand is one active session as the site allocator sees it. Currents
// are amperes per phase.
type Demand struct {
	SessionID string
	Arrival   time.Time // when it started: first come, first served
	Priority  bool      // the operator's flag: admitted and served first
	// PhaseMask is the phases the session draws on: 1 = L1, 2 = L2, 4 = L3
	// (7 for a 3-phase vehicle; a DC charger counts as 3-phase).
	PhaseMask uint8
	MinA      float64 // the least it can charge with (6 A for AC)
	MaxA      float64 // the most the vehicle, cable and connector take
	// DrawA is the highest per-phase current it drew in its latest
	// reading; negative when unknown (no reading since its last change).
	DrawA float64
	// WantA caps it now (a departure plan waiting for cheaper hours: 0);
	// negative: no cap.
	WantA float64
	// NeedA is the current per phase it needs from now to meet its
	// departure (0: no departure): served before the fair share.
	NeedA float64
	// PrevA is its allocation now; negative when it has none yet.
	// PrevWaiting says it is waiting (PrevA is then 0).
	PrevA       float64
	PrevWaiting bool
}

// AllocOptions tune Allocate; zero values take the defaults.
type AllocOptions struct {
	// Hysteresis: a raise smaller than this is not made, nor a cut smaller
	// than it while the old limit still fits (default 1 A).
	Hysteresis float64
	// DrawMargin is the headroom above its measured draw a session that
	// draws less than its limit keeps (default 2 A).
	DrawMargin float64
}

// Grant is Allocate's answer for one Demand (same index).
type Grant struct {
	LimitA        float64 // per phase, rounded down to 0.1 A; 0 while waiting
	Waiting       bool
	QueuePosition int    // 1-based place in line while waiting
	Reason        string // ReasonSiteLimit, ReasonVehicle, ReasonDeparture, ReasonNoCapacity or "" (at MaxA)
}

// Allocate divides a site's budget (amperes per phase available for
// charging on L1, L2 and L3) among its sessions and returns one Grant per
// Demand, at the same index. The rules, in the order they apply:
//
//   - Caps. A session's cap is its MaxA, lowered to WantA when WantA is not
//     negative, and to max(MinA, DrawA+DrawMargin) when it drew more than
//     DrawMargin below a positive PrevA (the vehicle takes less; the
//     headroom goes to others). A session whose cap is below its MinA gets
//     0 A without waiting (ReasonDeparture when WantA did it, ReasonVehicle
//     when MaxA is below MinA) and takes nothing from the budget.
//   - Admission. Priority sessions first, then those admitted before (PrevA
//     >= 0 and not PrevWaiting: newcomers do not pre-empt them), then the
//     rest; within each group by Arrival, then SessionID. Walking that
//     order, a session is admitted when its MinA still fits on every phase
//     of its PhaseMask beside the MinA of those admitted before it. Once
//     one fails, no later newcomer is admitted (first come, first served,
//     no overtaking); when the budget fell, the latest-arrived of the
//     already admitted are the ones that fail. The others wait, with
//     QueuePosition 1..n in that order and ReasonNoCapacity.
//   - Sharing. Every admitted session gets its MinA; priority sessions are
//     raised to their cap, then departure sessions toward min(NeedA, cap),
//     both in admission order while the budget lasts; the rest is shared by
//     max-min fairness per phase (water-filling): the lowest sessions rise
//     together until they reach their cap or a phase they draw on is full.
//   - Hysteresis. A raise of less than Hysteresis over PrevA is not made; a
//     cut of less than it keeps PrevA when every phase still fits. Limits
//     are rounded down to 0.1 A, and no phase's sum ever exceeds its budget.
//
// Allocate sorts once and fills in O(n log n); it allocates its result
// and three scratch slices, no maps.
func Allocate(budget [3]float64, ds []Demand, opt AllocOptions) []Grant {
	hyst := opt.Hysteresis
	if hyst == 0 {
		hyst = 1
	}
	margin := opt.DrawMargin
	if margin == 0 {
		margin = 2
	}
	hyst, margin = max(hyst, 0), max(margin, 0)
	for p := range budget {
		if !(budget[p] > 0) { // NaN and negative budgets give nothing
			budget[p] = 0
		}
	}

	out := make([]Grant, len(ds))
	st := make([]allocSession, len(ds))
	order := make([]int32, 0, len(ds))
	for i := range ds {
		d, s := &ds[i], &st[i]
		s.mask = d.PhaseMask & 7
		if s.mask == 0 {
			s.mask = 7 // unknown phases: count it on all three, the safe side
		}
		s.minA = max(d.MinA, 0)
		s.capA, s.capBy = d.MaxA, capMax
		if d.WantA >= 0 && d.WantA < s.capA {
			s.capA, s.capBy = d.WantA, capWant
		}
		if !(s.capA >= s.minA) {
			out[i].Reason = ReasonVehicle
			if s.capBy == capWant {
				out[i].Reason = ReasonDeparture
			}
			continue
		}
		if d.DrawA >= 0 && d.PrevA > 0 && d.DrawA < d.PrevA-margin {
			if c := max(s.minA, d.DrawA+margin); c < s.capA {
				s.capA, s.capBy = c, capDraw
			}
		}
		switch {
		case d.Priority:
			s.group = 0
		case d.PrevA >= 0 && !d.PrevWaiting:
			s.group = 1
		default:
			s.group = 2
		}
		order = append(order, int32(i))
	}
	slices.SortFunc(order, func(a, b int32) int {
		sa, sb := &st[a], &st[b]
		if sa.group != sb.group {
			return int(sa.group) - int(sb.group)
		}
		if c := ds[a].Arrival.Compare(ds[b].Arrival); c != 0 {
			return c
		}
		return strings.Compare(ds[a].SessionID, ds[b].SessionID)
	})

	// Admission: minimums only.
	var used [3]float64
	blocked := false
	queue := 0
	n := 0 // admitted sessions, moved to the front of order
	for _, i := range order {
		s := &st[i]
		if !(blocked && s.group == 2) && phasesFit(&used, &budget, s.mask, s.minA) {
			addPhases(&used, s.mask, s.minA)
			s.limitA = s.minA
			order[n] = i
			n++
			continue
		}
		blocked = true
		queue++
		out[i] = Grant{Waiting: true, QueuePosition: queue, Reason: ReasonNoCapacity}
	}
	admitted := order[:n]

	// Priority sessions to their cap, then departure needs, in admission
	// order.
	for _, i := range admitted {
		if st[i].group == 0 {
			raiseToward(&st[i], &used, &budget, st[i].capA)
		}
	}
	for _, i := range admitted {
		if need := ds[i].NeedA; need > 0 {
			raiseToward(&st[i], &used, &budget, min(need, st[i].capA))
		}
	}
	waterFill(st, admitted, &used, &budget)

	// Round down, then hysteresis against the previous limits.
	used = [3]float64{}
	for _, i := range admitted {
		s := &st[i]
		s.limitA = max(math.Floor(s.limitA*10+1e-9)/10, s.minA)
		if prev := ds[i].PrevA; keepsPrev(&ds[i], s) && s.limitA > prev && s.limitA-prev < hyst-1e-9 {
			s.limitA = prev
		}
		addPhases(&used, s.mask, s.limitA)
	}
	for _, i := range admitted {
		s := &st[i]
		prev := ds[i].PrevA
		if keepsPrev(&ds[i], s) && s.limitA < prev && prev-s.limitA < hyst-1e-9 && phasesFit(&used, &budget, s.mask, prev-s.limitA) {
			addPhases(&used, s.mask, prev-s.limitA)
			s.limitA = prev
		}
	}
	enforceBudget(st, admitted, &used, &budget)

	for _, i := range admitted {
		s := &st[i]
		g := Grant{LimitA: s.limitA}
		atCap := s.limitA >= math.Floor(s.capA*10+1e-9)/10-1e-9
		switch {
		case s.limitA >= math.Floor(ds[i].MaxA*10+1e-9)/10-1e-9:
		case atCap && s.capBy == capDraw:
			g.Reason = ReasonVehicle
		case atCap && s.capBy == capWant:
			g.Reason = ReasonDeparture
		default:
			g.Reason = ReasonSiteLimit
		}
		out[i] = g
	}
	return out
}

// What set a session's cap.
const (
	capMax  = iota // its MaxA
	capWant        // its WantA (a departure plan)
	capDraw        // its measured draw plus the margin
)

// allocSession is Allocate's working state for one Demand.
type allocSession struct {
	mask   uint8 // phases, bits 0..2
	group  uint8 // 0 priority, 1 admitted before, 2 newcomer
	capBy  uint8
	fill   uint8 // water-filling: fillBase, fillRising or fillDone
	minA   float64
	capA   float64
	limitA float64
}

// Water-filling states.
const (
	fillBase   = iota // at its current limit, below the water level
	fillRising        // at the water level
	fillDone          // at its cap, or frozen by a full phase
)

// allocEps absorbs float rounding in budget comparisons.
const allocEps = 1e-9

func phasesFit(used, budget *[3]float64, mask uint8, a float64) bool {
	for p := range 3 {
		if mask&(1<<p) != 0 && used[p]+a > budget[p]+allocEps {
			return false
		}
	}
	return true
}

func addPhases(used *[3]float64, mask uint8, a float64) {
	for p := range 3 {
		if mask&(1<<p) != 0 {
			used[p] += a
		}
	}
}

// raiseToward lifts s toward target as far as every phase it uses allows.
func raiseToward(s *allocSession, used, budget *[3]float64, target float64) {
	inc := target - s.limitA
	for p := range 3 {
		if s.mask&(1<<p) != 0 {
			inc = min(inc, budget[p]-used[p])
		}
	}
	if inc > 0 {
		s.limitA += inc
		addPhases(used, s.mask, inc)
	}
}

// keepsPrev reports whether hysteresis may hold d at its previous limit:
// it had one, and that limit is still within its minimum and maximum.
func keepsPrev(d *Demand, s *allocSession) bool {
	return d.PrevA >= 0 && !d.PrevWaiting && d.PrevA >= s.minA && d.PrevA <= d.MaxA
}

// fillEvent is a water level at which a session starts rising (its
// current limit) or stops (its cap).
type fillEvent struct {
	levelA float64
	i      int32
	stop   bool
}

// waterFill shares what is left of budget (used is what the sessions hold
// now) by max-min fairness. The water level L rises; a session's limit is
// max(its limit now, min(its cap, L)) until a phase it draws on fills,
// which freezes every session on that phase. Between events each phase's
// load is fixed + k*L (k sessions at the level), so the level at which a
// phase fills is solved directly: the work is a sort of 2n events plus a
// scan of the sessions for each of at most three full phases.
func waterFill(st []allocSession, admitted []int32, used, budget *[3]float64) {
	events := make([]fillEvent, 0, 2*len(admitted))
	for _, i := range admitted {
		s := &st[i]
		s.fill = fillDone
		if s.limitA < s.capA-allocEps {
			s.fill = fillBase
			events = append(events, fillEvent{s.limitA, i, false}, fillEvent{s.capA, i, true})
		}
	}
	if len(events) == 0 {
		return
	}
	slices.SortFunc(events, func(a, b fillEvent) int { return cmp.Compare(a.levelA, b.levelA) })

	fixed := *used // load of the sessions not at the level
	var k [3]int   // sessions at the level, per phase
	var full [3]bool
	freeze := func(p int, level float64) {
		full[p] = true
		for _, i := range admitted {
			s := &st[i]
			if s.fill == fillDone || s.mask&(1<<p) == 0 {
				continue
			}
			if s.fill == fillRising {
				s.limitA = level
				for q := range 3 {
					if s.mask&(1<<q) != 0 {
						k[q]--
						fixed[q] += level
					}
				}
			}
			s.fill = fillDone
		}
	}
	for p := range 3 {
		if budget[p]-fixed[p] <= allocEps {
			freeze(p, 0)
		}
	}
	level := 0.0
	for next := 0; ; {
		nextA := math.Inf(1)
		if next < len(events) {
			nextA = events[next].levelA
		}
		// The first phase to fill before the next event, if any.
		fill, fillA := -1, nextA
		for p := range 3 {
			if !full[p] && k[p] > 0 {
				if l := max((budget[p]-fixed[p])/float64(k[p]), level); l <= fillA {
					fill, fillA = p, l
				}
			}
		}
		if fill >= 0 {
			level = fillA
			freeze(fill, level)
			continue
		}
		if next == len(events) {
			return
		}
		e := events[next]
		next++
		level = e.levelA
		s := &st[e.i]
		if s.fill == fillDone {
			continue
		}
		for q := range 3 {
			if s.mask&(1<<q) == 0 {
				continue
			}
			if e.stop {
				k[q]--
				fixed[q] += s.capA
			} else {
				k[q]++
				fixed[q] -= s.limitA
			}
		}
		if e.stop {
			s.limitA, s.fill = s.capA, fillDone
		} else {
			s.fill = fillRising
		}
	}
}

// enforceBudget makes sure no phase's sum exceeds its budget, whatever float
// rounding did: while one does, the session on it highest above its
// minimum gives up 0.1 A. It normally changes nothing.
func enforceBudget(st []allocSession, admitted []int32, used, budget *[3]float64) {
	for p := range 3 {
		for used[p] > budget[p]+allocEps {
			best, bestOver := int32(-1), 1e-6
			for _, i := range admitted {
				s := &st[i]
				if s.mask&(1<<p) != 0 && s.limitA-s.minA > bestOver {
					best, bestOver = i, s.limitA-s.minA
				}
			}
			if best < 0 {
				break // only minimums, which admission made fit
			}
			s := &st[best]
			was := s.limitA
			s.limitA = max(math.Floor((was-0.1)*10+1e-9)/10, s.minA)
			addPhases(used, s.mask, s.limitA-was)
		}
	}
}
