package tariff

import (
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// EnergyPrices returns t's energy price over [from, to) in loc (nil is
// UTC), cut where it may change and merged where it does not, for planning
// a departure (charging.PlanDeparture). At each moment the price is the
// one QuoteAt would quote for a session starting then: the first element
// with an ENERGY component whose time of day, day of week and date
// restrictions hold, including VAT, to 4 decimal places. Where no element
// prices energy the period is free (PricePerKWh "", Price 0).
//
// The cuts are the compiled restrictions' boundaries (local startTime and
// endTime instants, local midnights, time zone transitions), so a period
// ends on a local minute and a DST change shifts it as the clock does.
// An invalid tariff, or an empty window, has no periods (nil).
func EnergyPrices(t charging.Tariff, from, to time.Time, loc *time.Location) []charging.PricePeriod {
	if !to.After(from) {
		return nil
	}
	tc := clone(t)
	if err := Validate(&tc); err != nil {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	c := compile(&tc)

	// The price of each element that has an energy component, worked out
	// once rather than at each cut.
	unitPlaces := max(quotePlaces, c.places)
	type price struct {
		text  string
		value float64
	}
	prices := make([]price, len(c.elements))
	for i := range c.elements {
		if comp := c.elements[i].comps[dimEnergy]; comp != nil {
			// Price is the quoted (rounded) price, so that equal texts
			// compare equal.
			r := charging.RoundRat(inclVat(comp.price, comp.vat), unitPlaces)
			f, _ := r.Float64()
			prices[i] = price{r.FloatString(unitPlaces), f}
		}
	}
	priceAt := func(at time.Time) price {
		local := at.In(loc)
		for i := range c.elements {
			e := &c.elements[i]
			if e.comps[dimEnergy] != nil && e.r.holdsAtStart(local) {
				return prices[i]
			}
		}
		return price{}
	}

	var out []charging.PricePeriod
	add := func(a, b time.Time) {
		p := priceAt(a)
		if n := len(out); n > 0 && out[n-1].PricePerKWh == p.text {
			out[n-1].To = b
			return
		}
		out = append(out, charging.PricePeriod{From: a, To: b, PricePerKWh: p.text, Price: p.value})
	}
	prev := from
	for _, ns := range boundaries(c, from, to, loc) {
		at := from.Add(time.Duration(ns))
		add(prev, at)
		prev = at
	}
	add(prev, to)
	return out
}
