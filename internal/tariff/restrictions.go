package tariff

import (
	"cmp"
	"math/big"
	"strconv"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// dim indexes the priced dimensions in the engine's arrays.
type dim int

const (
	dimEnergy dim = iota
	dimTime
	dimParking
	dimFlat
	numDims
)

var dimOf = map[charging.TariffDimension]dim{
	charging.DimensionEnergy:      dimEnergy,
	charging.DimensionTime:        dimTime,
	charging.DimensionParkingTime: dimParking,
	charging.DimensionFlat:        dimFlat,
}

// component is a validated price component, ready to compute with.
type component struct {
	price *big.Rat // excluding VAT, per kWh, per hour or per session
	vat   *big.Rat // fraction (19% is 0.19); zero when none
	step  int64    // Wh or seconds; 0 and 1 are exact
}

// element is a validated tariff element.
type element struct {
	comps [numDims]*component // nil where the element has no such component
	r     restriction
}

// restriction is a validated TariffRestrictions. Absent bounds are -1 or nil.
type restriction struct {
	startMin, endMin   int // minute of the local day; -1 absent
	startDate, endDate int // local date as yyyymmdd; 0 absent
	days               uint8
	minMWh, maxMWh     int64 // whole mWh; -1 absent
	minW, maxW         *big.Rat
	minA, maxA         *big.Rat
	minDurS, maxDurS   int64 // -1 absent
	reservation        bool
}

// compiled is a validated tariff in the engine's form.
type compiled struct {
	currency   string
	places     int
	elements   []element
	defaultVAT *big.Rat // the first component's VAT, for minPrice without inclVat
}

// compile turns a tariff that passed Validate into the engine's form.
func compile(t *charging.Tariff) *compiled {
	c := &compiled{currency: t.Currency, places: charging.CurrencyPlaces(t.Currency)}
	for _, e := range t.Elements {
		var el element
		for _, pc := range e.PriceComponents {
			d := dimOf[pc.Type]
			if el.comps[d] != nil {
				continue
			}
			comp := &component{price: pc.Price.Rat(), vat: new(big.Rat), step: int64(pc.StepSize)}
			if pc.VAT != "" {
				comp.vat.Quo(pc.VAT.Rat(), big.NewRat(100, 1))
			}
			if c.defaultVAT == nil {
				c.defaultVAT = comp.vat
			}
			el.comps[d] = comp
		}
		el.r = compileRestriction(e.Restrictions)
		c.elements = append(c.elements, el)
	}
	if c.defaultVAT == nil {
		c.defaultVAT = new(big.Rat)
	}
	return c
}

func compileRestriction(r *charging.TariffRestrictions) restriction {
	out := restriction{startMin: -1, endMin: -1, minDurS: -1, maxDurS: -1, minMWh: -1, maxMWh: -1}
	if r == nil {
		return out
	}
	out.startMin = clockMinute(r.StartTime)
	out.endMin = clockMinute(r.EndTime)
	out.startDate = dateNumber(r.StartDate)
	out.endDate = dateNumber(r.EndDate)
	for _, d := range r.DayOfWeek {
		out.days |= 1 << weekdays[d]
	}
	out.minMWh = wholeMWh(r.MinKWh)
	out.maxMWh = wholeMWh(r.MaxKWh)
	out.minW = scaledRat(r.MinPower, 1000)
	out.maxW = scaledRat(r.MaxPower, 1000)
	out.minA = scaledRat(r.MinCurrent, 1)
	out.maxA = scaledRat(r.MaxCurrent, 1)
	if r.MinDuration != nil {
		out.minDurS = int64(*r.MinDuration)
	}
	if r.MaxDuration != nil {
		out.maxDurS = int64(*r.MaxDuration)
	}
	out.reservation = r.Reservation != ""
	return out
}

// clockMinute returns the minute of the day of "HH:MM", -1 for "".
func clockMinute(s string) int {
	if s == "" {
		return -1
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	return h*60 + m
}

// dateNumber returns "YYYY-MM-DD" as yyyymmdd, 0 for "".
func dateNumber(s string) int {
	if s == "" {
		return 0
	}
	d, _ := time.Parse(time.DateOnly, s)
	return d.Year()*10000 + int(d.Month())*100 + d.Day()
}

// scaledRat returns *f times scale exactly, reading f as the shortest
// decimal that prints it (10.1 kWh is 10100 Wh, not 10099.99... Wh), nil
// when f is nil.
func scaledRat(f *float64, scale int64) *big.Rat {
	if f == nil {
		return nil
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(*f, 'f', -1, 64))
	if !ok {
		return nil
	}
	return r.Mul(r, big.NewRat(scale, 1))
}

// wholeMWh returns kWh as whole mWh (readings are whole mWh, so a finer
// bound could not be told apart), at most maxEnergyWh*1000, which no
// session reaches; -1 when kWh is nil.
func wholeMWh(kWh *float64) int64 {
	r := scaledRat(kWh, 1_000_000)
	if r == nil {
		return -1
	}
	n := charging.RoundRat(r, 0).Num()
	if !n.IsInt64() || n.Int64() > maxEnergyWh*1000 {
		return maxEnergyWh*1000 + 1
	}
	return n.Int64()
}

// usesPower reports whether any element has a power restriction, and
// usesCurrent a current one.
func (c *compiled) usesPower() bool {
	for _, e := range c.elements {
		if e.r.minW != nil || e.r.maxW != nil {
			return true
		}
	}
	return false
}

func (c *compiled) usesCurrent() bool {
	for _, e := range c.elements {
		if e.r.minA != nil || e.r.maxA != nil {
			return true
		}
	}
	return false
}

// situation is what restrictions are evaluated against: the start of a
// stretch of the session that no boundary splits.
type situation struct {
	local     time.Time // the start, in the site's time zone
	sinceNs   int64     // since the session started
	energyMWh *big.Rat  // delivered before the start
	powerW    *big.Rat  // nil when unknown
	currentA  *big.Rat  // nil when unknown
}

// holds reports whether every restriction holds in s. OCPI 2.2.1: start
// bounds are inclusive, end and max bounds exclusive; an endTime before
// the startTime runs past midnight. A bound on a quantity that is unknown
// (current not measured) is ignored. Elements restricted to reservations
// never apply to a charging session.
func (r *restriction) holds(s *situation) bool {
	if r.reservation {
		return false
	}
	if r.startMin >= 0 || r.endMin >= 0 {
		m := s.local.Hour()*60 + s.local.Minute()
		switch {
		case r.startMin >= 0 && r.endMin >= 0 && r.startMin < r.endMin:
			if m < r.startMin || m >= r.endMin {
				return false
			}
		case r.startMin >= 0 && r.endMin >= 0: // past midnight
			if m < r.startMin && m >= r.endMin {
				return false
			}
		case r.startMin >= 0:
			if m < r.startMin {
				return false
			}
		default:
			if m >= r.endMin {
				return false
			}
		}
	}
	if r.startDate != 0 || r.endDate != 0 {
		y, mo, d := s.local.Date()
		n := y*10000 + int(mo)*100 + d
		if (r.startDate != 0 && n < r.startDate) || (r.endDate != 0 && n >= r.endDate) {
			return false
		}
	}
	if r.days != 0 && r.days&(1<<s.local.Weekday()) == 0 {
		return false
	}
	if (r.minMWh >= 0 && cmpInt(s.energyMWh, r.minMWh) < 0) || (r.maxMWh >= 0 && cmpInt(s.energyMWh, r.maxMWh) >= 0) {
		return false
	}
	if !inRange(s.powerW, r.minW, r.maxW) || !inRange(s.currentA, r.minA, r.maxA) {
		return false
	}
	if r.minDurS >= 0 && s.sinceNs < r.minDurS*int64(time.Second) {
		return false
	}
	if r.maxDurS >= 0 && s.sinceNs >= r.maxDurS*int64(time.Second) {
		return false
	}
	return true
}

// holdsAtStart is holds for a quote: only the restrictions that a session
// starting at local can know (time of day, day, date) are checked, and an
// element that needs some energy or duration first does not apply.
func (r *restriction) holdsAtStart(local time.Time) bool {
	if r.minMWh > 0 || r.minDurS > 0 {
		return false
	}
	s := situation{local: local}
	q := *r
	q.minMWh, q.maxMWh = -1, -1
	q.minW, q.maxW, q.minA, q.maxA = nil, nil, nil, nil
	q.minDurS, q.maxDurS = -1, -1
	return q.holds(&s)
}

// cmpInt compares r with n, without allocating when r is an integer.
func cmpInt(r *big.Rat, n int64) int {
	if r.IsInt() && r.Num().IsInt64() {
		return cmp.Compare(r.Num().Int64(), n)
	}
	return r.Cmp(new(big.Rat).SetInt64(n))
}

// inRange reports min <= v < max for the bounds given; true when v is unknown.
func inRange(v, min, max *big.Rat) bool {
	if v == nil {
		return true
	}
	if min != nil && v.Cmp(min) < 0 {
		return false
	}
	if max != nil && v.Cmp(max) >= 0 {
		return false
	}
	return true
}
