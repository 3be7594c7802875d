package charging

import (
	"math"
	"slices"
	"sort"
	"time"
)

// PricePeriod is the energy price over [From, To).
type PricePeriod struct {
	From, To time.Time
	// PricePerKWh is the price including VAT as decimal text, "" when
	// free; Price is the same number, for comparing.
	PricePerKWh string
	Price       float64
}

// planMargin is the share of energy a departure plan adds to what the
// driver asked for, so that losses and a slower end of charge (a full
// battery draws less) do not make it miss the departure.
const planMargin = 1.05

// PlanDeparture plans a session from now to departure at the lowest
// energy price: it charges at maxA on phases phases (power maxA * phases *
// NominalVoltageV) in the cheapest stretches first, the earliest first
// among equal prices, until energyWh (plus 5%) is covered. The stretch
// that completes it charges from its start only for the time needed,
// rounded up to the whole minute. Time outside every period is free; where
// periods overlap, the first in prices counts. When even maxA throughout
// cannot deliver the energy, every slot is at maxA.
//
// The slots cover [now, departure) in time order, LimitA 0 where the plan
// does not charge; neighbours with the same limit and price are merged. A
// departure not after now has no plan (nil).
func PlanDeparture(now, departure time.Time, energyWh, maxA float64, phases int, prices []PricePeriod) []PlanSlot {
	if !departure.After(now) {
		return nil
	}
	phases = min(max(phases, 1), 3)
	powerW := max(maxA, 0) * float64(phases) * NominalVoltageV

	// Cut [now, departure) wherever a price period starts or ends.
	cuts := []time.Time{now, departure}
	for _, p := range prices {
		for _, t := range [2]time.Time{p.From, p.To} {
			if t.After(now) && t.Before(departure) {
				cuts = append(cuts, t)
			}
		}
	}
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)

	type segment struct {
		from, to time.Time
		price    float64
		text     string
		chargeTo time.Time // the plan charges over [from, chargeTo)
	}
	segs := make([]segment, len(cuts)-1)
	for i := range segs {
		s := segment{from: cuts[i], to: cuts[i+1], chargeTo: cuts[i]}
		for _, p := range prices {
			if !s.from.Before(p.From) && s.from.Before(p.To) {
				s.price, s.text = p.Price, p.PricePerKWh
				break
			}
		}
		segs[i] = s
	}

	// Fill the cheapest first; a stable sort keeps the earliest first
	// among equal prices.
	byPrice := make([]int, len(segs))
	for i := range byPrice {
		byPrice[i] = i
	}
	sort.SliceStable(byPrice, func(a, b int) bool { return segs[byPrice[a]].price < segs[byPrice[b]].price })
	needWh := energyWh * planMargin
	for _, i := range byPrice {
		if !(needWh > 0) || powerW <= 0 {
			break
		}
		s := &segs[i]
		segWh := powerW * s.to.Sub(s.from).Hours()
		if segWh <= needWh {
			s.chargeTo = s.to
			needWh -= segWh
			continue
		}
		d := time.Duration(math.Ceil(needWh/powerW*60 - 1e-9)) // minutes
		s.chargeTo = s.from.Add(d * time.Minute)
		if s.chargeTo.After(s.to) {
			s.chargeTo = s.to
		}
		needWh = 0
	}

	plan := make([]PlanSlot, 0, len(segs)+1)
	add := func(from, to time.Time, limitA float64, text string) {
		if !to.After(from) {
			return
		}
		if n := len(plan); n > 0 && plan[n-1].LimitA == limitA && plan[n-1].PricePerKWh == text {
			plan[n-1].To = to
			return
		}
		plan = append(plan, PlanSlot{From: from, To: to, LimitA: limitA, PricePerKWh: text})
	}
	for _, s := range segs {
		add(s.from, s.chargeTo, maxA, s.text)
		add(s.chargeTo, s.to, 0, s.text)
	}
	return plan
}

// PlanLimitAt returns the plan's limit at t; false when t is outside the
// plan.
func PlanLimitAt(plan []PlanSlot, t time.Time) (float64, bool) {
	i := sort.Search(len(plan), func(i int) bool { return plan[i].To.After(t) })
	if i == len(plan) || t.Before(plan[i].From) {
		return 0, false
	}
	return plan[i].LimitA, true
}
