package tariff

import (
	"math/big"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// quotePlaces is how many decimal places a quoted unit price keeps.
const quotePlaces = 4

// QuoteAt returns the prices that apply at a session starting at at, in
// loc (nil is UTC), including VAT: unit prices to 4 decimal places
// ("0.3570"), the minimum price to the currency's places.
//
// For each dimension it takes the first element with a component of that
// dimension whose time of day, day of week and date restrictions hold at
// at and that does not wait for energy or time first (minKwh and
// minDuration absent or 0); energy, duration, power and current maxima are
// not known yet and are not checked, and reservation elements are left
// out. QuoteAt does not check the tariff's own validity window: see
// ValidAt. An invalid tariff quotes nothing but its currency.
//
// Text reads like "0.36 EUR/kWh · 2.00 EUR/h parking · 1.00 EUR per
// session", unit prices rounded to the currency's places, components that
// cost nothing left out ("free" when all do).
func QuoteAt(t charging.Tariff, at time.Time, loc *time.Location) Quote {
	tc := clone(t)
	if err := Validate(&tc); err != nil {
		return Quote{Currency: tc.Currency}
	}
	if loc == nil {
		loc = time.UTC
	}
	c := compile(&tc)
	local := at.In(loc)
	var comps [numDims]*component
	for d := range numDims {
		for i := range c.elements {
			e := &c.elements[i]
			if e.comps[d] != nil && e.r.holdsAtStart(local) {
				comps[d] = e.comps[d]
				break
			}
		}
	}
	q := Quote{Currency: c.currency}
	unitPlaces := max(quotePlaces, c.places)
	var text []string
	unit := func(d dim, suffix string) charging.Decimal {
		comp := comps[d]
		if comp == nil {
			return ""
		}
		incl := inclVat(comp.price, comp.vat)
		if incl.Sign() > 0 {
			text = append(text, string(charging.DecimalFromRat(incl, c.places))+" "+c.currency+suffix)
		}
		return charging.DecimalFromRat(incl, unitPlaces)
	}
	q.EnergyPrice = unit(dimEnergy, "/kWh")
	q.TimePrice = unit(dimTime, "/h charging")
	q.IdlePrice = unit(dimParking, "/h parking")
	q.FlatPrice = unit(dimFlat, " per session")
	if p := tc.MinPrice; p != nil {
		least := p.InclVat.Rat()
		if p.InclVat == "" {
			least = inclVat(p.ExclVat.Rat(), c.defaultVAT)
		}
		q.MinPrice = charging.DecimalFromRat(least, c.places)
		if least.Sign() > 0 {
			text = append(text, "minimum "+string(q.MinPrice)+" "+c.currency)
		}
	}
	q.Text = strings.Join(text, " · ")
	if q.Text == "" {
		q.Text = "free"
	}
	return q
}

// inclVat returns price * (1 + vat).
func inclVat(price, vat *big.Rat) *big.Rat {
	r := new(big.Rat).Add(big.NewRat(1, 1), vat)
	return r.Mul(r, price)
}
