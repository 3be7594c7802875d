package tariff

import (
	"cmp"
	"math/big"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

var (
	mWhPerKWh   = big.NewRat(1_000_000, 1)
	mWhPerWh    = big.NewRat(1000, 1)
	nsPerHour   = big.NewRat(int64(time.Hour), 1)
	nsPerSecond = int64(time.Second)
)

// ValidAt reports whether t may price a session that starts at at: its
// startDateTime (inclusive) and endDateTime (exclusive), when given,
// surround at.
func ValidAt(t charging.Tariff, at time.Time) bool {
	return (t.StartDateTime == nil || !at.Before(*t.StartDateTime)) &&
		(t.EndDateTime == nil || at.Before(*t.EndDateTime))
}

// Price returns what u costs under t, rounded to the currency's minor unit.
//
// t is validated first (on a copy; t is not changed) and must be valid
// when the session starts (startDateTime, endDateTime); otherwise Price
// returns an EINVALID error, as it does for an end before the start or a
// reading that is not a number.
//
// The session is cut into intervals between (start, 0 Wh), each reading
// and (end, the last energy); energy is linear within an interval. An
// interval in which the energy rises is charging time (TIME); one in which
// it does not is parking time (PARKING_TIME), unless the reading closing it
// reports at least 1% of the session's highest power. Intervals are split
// further wherever an element may start or stop applying: local
// startTime/endTime (u.Location, nil is UTC, each instant whose local clock
// shows it, DST transitions), local midnight, minKwh/maxKwh (energy
// delivered so far), minDuration/maxDuration (since the start). Power and
// current restrictions use the power and current the closing reading
// reported, or else the interval's average power; a current restriction
// is ignored where no current was measured. Elements restricted to
// reservations never apply.
//
// For each dimension on its own, the first element that has a component of
// that dimension and whose restrictions hold prices a stretch; where none
// does, that dimension is free. FLAT is charged once, from the first
// element with a FLAT component whose restrictions hold at the start.
//
// Step sizes (OCPI 2.2.1): a dimension's session total is rounded up to a
// multiple of the step size of the component that priced its last stretch,
// and the extra is billed at that component's price. When both TIME and
// PARKING_TIME were priced, only PARKING_TIME's step applies (OCPI:
// "step_size is only taken into account for the total parking time").
//
// Amounts are exact until the end: each dimension's amount excluding VAT is
// rounded to the currency's places, half away from zero; the VAT is summed
// exactly per component and rounded once. TotalExclVat is the sum of the
// rounded dimensions, Total is TotalExclVat + Tax.
//
// The tariff's minPrice raises TotalExclVat only for a final cost
// (u.Final): a running cost is never raised to the minimum, since the
// session may still reach it. maxPrice caps every cost, running ones too,
// since the final cost can never exceed it. Where minPrice or
// maxPrice gives inclVat, Total is that amount and Tax the difference;
// otherwise Tax keeps the session's own VAT rate (its exact tax over its
// exact amount; the first component's VAT when the amount is zero). The
// dimensions (Energy, Time, Idle, Flat) stay as used, so they may not add
// up to TotalExclVat when a minimum or maximum applied.
func Price(t charging.Tariff, u Usage) (charging.Cost, error) {
	tc := clone(t)
	if err := Validate(&tc); err != nil {
		return charging.Cost{}, err
	}
	if !ValidAt(tc, u.Start) {
		return charging.Cost{}, charging.Errorf(charging.EINVALID, "tariff %s not valid at %s%s",
			tc.ID, u.Start.UTC().Format(time.RFC3339), validity(tc))
	}
	if err := checkSession(u); err != nil {
		return charging.Cost{}, err
	}
	loc := u.Location
	if loc == nil {
		loc = time.UTC
	}
	c := compile(&tc)
	ivs, err := intervals(u, c.usesPower(), c.usesCurrent())
	if err != nil {
		return charging.Cost{}, err
	}
	segs := segments(ivs, boundaries(c, u.Start, u.End, loc), thresholds(c))

	b := newBill(c, u.Start, loc)
	for i := range segs {
		b.add(&segs[i])
	}
	b.flat(segs)
	return b.cost(tc, u), nil
}

// validity describes t's validity window for an error message.
func validity(t charging.Tariff) string {
	s := ""
	if t.StartDateTime != nil {
		s += " (valid from " + t.StartDateTime.UTC().Format(time.RFC3339)
	}
	if t.EndDateTime != nil {
		if s == "" {
			s += " (valid"
		}
		s += " until " + t.EndDateTime.UTC().Format(time.RFC3339)
	}
	if s != "" {
		s += ")"
	}
	return s
}

// bill accumulates what each element's components priced.
type bill struct {
	c     *compiled
	start time.Time
	loc   *time.Location

	elMWh    []mwh   // per element: energy under its ENERGY component
	elTime   []int64 // per element: ns under its TIME component
	elIdle   []int64 // per element: ns under its PARKING_TIME component
	totalMWh mwh     // all energy, priced or not
	timeNs   int64   // all charging time
	idleNs   int64   // all parking time
	last     [numDims]int
	flatEl   int

	periods []period
	holds   []int8 // per element for the current segment: 0 unknown, 1 holds, -1 not
}

// period is a CostPeriod being accumulated.
type period struct {
	start  time.Time
	key    [3]int // the ENERGY, TIME and PARKING_TIME elements
	mwh    mwh
	timeNs int64
	idleNs int64
}

func newBill(c *compiled, start time.Time, loc *time.Location) *bill {
	n := len(c.elements)
	b := &bill{
		c: c, start: start, loc: loc,
		elMWh: make([]mwh, n), elTime: make([]int64, n), elIdle: make([]int64, n),
		last: [numDims]int{-1, -1, -1, -1}, flatEl: -1,
		holds: make([]int8, n),
	}
	return b
}

// pick returns the first element with a component of d whose restrictions
// hold in s, -1 when none.
func (b *bill) pick(d dim, s *situation) int {
	for i := range b.c.elements {
		e := &b.c.elements[i]
		if e.comps[d] == nil {
			continue
		}
		if b.holds[i] == 0 {
			b.holds[i] = -1
			if e.r.holds(s) {
				b.holds[i] = 1
			}
		}
		if b.holds[i] == 1 {
			return i
		}
	}
	return -1
}

func (b *bill) add(sg *segment) {
	clear(b.holds)
	at := b.start.Add(time.Duration(sg.from.ns))
	s := situation{local: at.In(b.loc), sinceNs: sg.from.ns, energyMWh: sg.from.mwh, powerW: sg.iv.powerW, currentA: sg.iv.currentA}
	key := [3]int{b.pick(dimEnergy, &s), b.pick(dimTime, &s), b.pick(dimParking, &s)}

	dMWh := diff(sg.to.mwh, sg.from.mwh)
	dNs := sg.to.ns - sg.from.ns
	if dMWh.sign() > 0 {
		b.totalMWh.add(dMWh)
		if e := key[dimEnergy]; e >= 0 {
			b.elMWh[e].add(dMWh)
			b.last[dimEnergy] = e
		}
	}
	var timeNs, idleNs int64
	if sg.iv.charging {
		timeNs = dNs
	} else {
		idleNs = dNs
	}
	if timeNs > 0 {
		b.timeNs += timeNs
		if e := key[dimTime]; e >= 0 {
			b.elTime[e] += timeNs
			b.last[dimTime] = e
		}
	}
	if idleNs > 0 {
		b.idleNs += idleNs
		if e := key[dimParking]; e >= 0 {
			b.elIdle[e] += idleNs
			b.last[dimParking] = e
		}
	}

	if n := len(b.periods); n == 0 || b.periods[n-1].key != key {
		b.periods = append(b.periods, period{start: at, key: key})
	}
	p := &b.periods[len(b.periods)-1]
	p.mwh.add(dMWh)
	p.timeNs += timeNs
	p.idleNs += idleNs
}

// flat picks the FLAT component: the first element with one whose
// restrictions hold at the start of the session.
func (b *bill) flat(segs []segment) {
	clear(b.holds)
	s := situation{local: b.start.In(b.loc), energyMWh: new(big.Rat)}
	if len(segs) > 0 {
		s.powerW, s.currentA = segs[0].iv.powerW, segs[0].iv.currentA
	}
	b.flatEl = b.pick(dimFlat, &s)
}

// steps rounds the session totals up to the step size of the component
// that priced each dimension last, billing the extra at its price.
func (b *bill) steps() {
	if e := b.last[dimEnergy]; e >= 0 {
		if step := b.c.elements[e].comps[dimEnergy].step; step > 1 {
			extra := roundUpExtra(b.totalMWh.rat(), step*1000)
			b.totalMWh.add(mwh{r: extra})
			b.elMWh[e].add(mwh{r: extra})
		}
	}
	if e := b.last[dimParking]; e >= 0 {
		if step := b.c.elements[e].comps[dimParking].step; step > 1 {
			extra := roundUpNs(b.idleNs, step)
			b.idleNs += extra
			b.elIdle[e] += extra
		}
	} else if e := b.last[dimTime]; e >= 0 {
		if step := b.c.elements[e].comps[dimTime].step; step > 1 {
			extra := roundUpNs(b.timeNs, step)
			b.timeNs += extra
			b.elTime[e] += extra
		}
	}
}

// roundUpExtra returns what takes q up to the next multiple of step.
func roundUpExtra(q *big.Rat, step int64) *big.Rat {
	s := new(big.Int).Mul(q.Denom(), big.NewInt(step))
	k, m := new(big.Int).QuoRem(q.Num(), s, new(big.Int))
	if m.Sign() == 0 {
		return new(big.Rat)
	}
	k.Add(k, big.NewInt(1))
	r := new(big.Rat).SetInt(k.Mul(k, big.NewInt(step)))
	return r.Sub(r, q)
}

// roundUpNs returns what takes ns up to the next multiple of step seconds.
func roundUpNs(ns, stepS int64) int64 {
	step := stepS * nsPerSecond
	if m := ns % step; m != 0 {
		return step - m
	}
	return 0
}

// cost rounds the bill into a Cost.
func (b *bill) cost(t charging.Tariff, u Usage) charging.Cost {
	b.steps()
	places := b.c.places
	var amount [numDims]*big.Rat
	for d := range amount {
		amount[d] = new(big.Rat)
	}
	tax := new(big.Rat)
	addTo := func(d dim, comp *component, v *big.Rat) {
		amount[d].Add(amount[d], v)
		tax.Add(tax, v.Mul(v, comp.vat))
	}
	for i := range b.c.elements {
		e := &b.c.elements[i]
		if comp := e.comps[dimEnergy]; comp != nil && b.elMWh[i].sign() > 0 {
			v := new(big.Rat).Mul(b.elMWh[i].rat(), comp.price)
			addTo(dimEnergy, comp, v.Quo(v, mWhPerKWh))
		}
		if comp := e.comps[dimTime]; comp != nil && b.elTime[i] > 0 {
			v := new(big.Rat).SetInt64(b.elTime[i])
			v.Mul(v, comp.price)
			addTo(dimTime, comp, v.Quo(v, nsPerHour))
		}
		if comp := e.comps[dimParking]; comp != nil && b.elIdle[i] > 0 {
			v := new(big.Rat).SetInt64(b.elIdle[i])
			v.Mul(v, comp.price)
			addTo(dimParking, comp, v.Quo(v, nsPerHour))
		}
	}
	if b.flatEl >= 0 {
		comp := b.c.elements[b.flatEl].comps[dimFlat]
		addTo(dimFlat, comp, new(big.Rat).Set(comp.price))
	}

	exact := new(big.Rat)
	excl := new(big.Rat)
	var rounded [numDims]*big.Rat
	for d := range amount {
		exact.Add(exact, amount[d])
		rounded[d] = charging.RoundRat(amount[d], places)
		excl.Add(excl, rounded[d])
	}
	taxR := charging.RoundRat(tax, places)

	limit := func(p *charging.Price) {
		excl = charging.RoundRat(p.ExclVat.Rat(), places)
		if p.InclVat != "" {
			taxR = new(big.Rat).Sub(charging.RoundRat(p.InclVat.Rat(), places), excl)
			return
		}
		rate := b.c.defaultVAT
		if exact.Sign() > 0 {
			rate = new(big.Rat).Quo(tax, exact)
		}
		taxR = charging.RoundRat(new(big.Rat).Mul(excl, rate), places)
	}
	if t.MaxPrice != nil && excl.Cmp(t.MaxPrice.ExclVat.Rat()) > 0 {
		limit(t.MaxPrice)
	}
	if u.Final && t.MinPrice != nil && excl.Cmp(t.MinPrice.ExclVat.Rat()) < 0 {
		limit(t.MinPrice)
	}
	total := new(big.Rat).Add(excl, taxR)

	money := func(r *big.Rat) string { return string(charging.DecimalFromRat(r, places)) }
	wh, _ := new(big.Rat).Quo(b.totalMWh.rat(), mWhPerWh).Float64()
	cost := charging.Cost{
		Currency:      b.c.currency,
		Total:         money(total),
		TotalExclVat:  money(excl),
		Energy:        money(rounded[dimEnergy]),
		Time:          money(rounded[dimTime]),
		Idle:          money(rounded[dimParking]),
		Flat:          money(rounded[dimFlat]),
		Tax:           money(taxR),
		EnergyWh:      wh,
		ChargingTimeS: seconds(b.timeNs),
		IdleTimeS:     seconds(b.idleNs),
		TariffID:      t.ID,
		Final:         u.Final,
		ComputedAt:    u.End,
	}
	for _, p := range b.periods {
		el := p.key[dimEnergy]
		if el < 0 {
			el = p.key[dimTime]
		}
		if el < 0 {
			el = p.key[dimParking]
		}
		pw, _ := new(big.Rat).Quo(p.mwh.rat(), mWhPerWh).Float64()
		cost.Periods = append(cost.Periods, charging.CostPeriod{
			Start: p.start, Element: el, EnergyWh: pw, TimeS: seconds(p.timeNs), IdleS: seconds(p.idleNs),
		})
	}
	return cost
}

// seconds rounds ns to whole seconds, half up.
func seconds(ns int64) int64 { return (ns + nsPerSecond/2) / nsPerSecond }

// mwh is an exact energy in mWh: whole mWh as an int64 (readings are
// whole mWh, so most sums stay integers, which big.Rat adds slowly) and a
// rational rest, nil when there is none.
type mwh struct {
	n int64
	r *big.Rat
}

// diff returns a - b.
func diff(a, b *big.Rat) mwh {
	if a.IsInt() && b.IsInt() && a.Num().IsInt64() && b.Num().IsInt64() {
		return mwh{n: a.Num().Int64() - b.Num().Int64()}
	}
	return mwh{r: new(big.Rat).Sub(a, b)}
}

func (q *mwh) add(d mwh) {
	q.n += d.n
	if d.r != nil {
		if q.r == nil {
			q.r = new(big.Rat)
		}
		q.r.Add(q.r, d.r)
	}
}

func (q mwh) rat() *big.Rat {
	r := new(big.Rat).SetInt64(q.n)
	if q.r != nil {
		r.Add(r, q.r)
	}
	return r
}

func (q mwh) sign() int {
	if q.r == nil {
		return cmp.Compare(q.n, 0)
	}
	return q.rat().Sign()
}
