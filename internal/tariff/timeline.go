package tariff

import (
	"cmp"
	"math"
	"math/big"
	"slices"
	"sort"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// maxSession bounds how long a priced session may be, so that a wrong end
// cannot make the engine walk decades of local midnights.
const maxSession = 366 * 24 * time.Hour

// maxEnergyWh bounds a reading (1 TWh), so that energy fits int64 mWh.
const maxEnergyWh = 1e12

// point is a moment of the session: nanoseconds since its start and the
// energy delivered by then, in mWh (whole at readings, so that big.Rat
// mostly adds integers).
type point struct {
	ns  int64
	mwh *big.Rat
}

// interval is the stretch between two meter points, with what the meter
// said about it.
type interval struct {
	from, to       point
	fromMWh, toMWh int64 // from.mwh and to.mwh
	charging       bool
	powerW         *big.Rat // nil when unknown (a zero-length interval)
	currentA       *big.Rat // nil when not measured
}

// segment is a stretch of the session in which no restriction can change.
type segment struct {
	from, to point
	iv       *interval
}

// intervals turns u's readings into intervals between (start, 0 Wh), each
// reading, and (end, last energy). Readings outside the session are left
// out; a reading lower than an earlier one (a meter glitch) counts as the
// earlier one. Energy is taken to whole mWh, rounded half away from zero,
// so that float64 readings become exact. Power and current are worked out
// only when a restriction needs them (power, current).
func intervals(u Usage, power, current bool) ([]interval, error) {
	for i, r := range u.Readings {
		if math.IsNaN(r.EnergyWh) || math.IsInf(r.EnergyWh, 0) || math.Abs(r.EnergyWh) > maxEnergyWh {
			return nil, charging.Errorf(charging.EINVALID, "readings[%d].energyWh must be a finite number of Wh, got %v", i, r.EnergyWh)
		}
		if r.PowerW != nil && (math.IsNaN(*r.PowerW) || math.IsInf(*r.PowerW, 0)) {
			return nil, charging.Errorf(charging.EINVALID, "readings[%d].powerW must be a finite number", i)
		}
		if r.CurrentA != nil && (math.IsNaN(*r.CurrentA) || math.IsInf(*r.CurrentA, 0)) {
			return nil, charging.Errorf(charging.EINVALID, "readings[%d].currentA must be a finite number", i)
		}
	}
	endNs := int64(u.End.Sub(u.Start))
	rs := slices.Clone(u.Readings)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].At.Before(rs[j].At) })

	type mpoint struct {
		ns       int64
		mWh      int64
		powerW   *float64
		currentA *float64
	}
	pts := []mpoint{{}}
	maxPowerW := 0.0
	for _, r := range rs {
		ns := int64(r.At.Sub(u.Start))
		if r.At.Before(u.Start) || ns > endNs {
			continue
		}
		if r.PowerW != nil && *r.PowerW > maxPowerW {
			maxPowerW = *r.PowerW
		}
		mWh := max(int64(math.Round(r.EnergyWh*1000)), pts[len(pts)-1].mWh)
		p := mpoint{ns: ns, mWh: mWh, powerW: r.PowerW, currentA: r.CurrentA}
		if last := &pts[len(pts)-1]; last.ns == ns && len(pts) > 1 {
			*last = p // the later of two readings at one moment
			continue
		}
		pts = append(pts, p)
	}
	if last := pts[len(pts)-1]; last.ns < endNs || len(pts) == 1 {
		pts = append(pts, mpoint{ns: endNs, mWh: last.mWh, powerW: last.powerW, currentA: last.currentA})
	}

	// One exact energy per point, shared (read only) by the intervals on
	// both sides of it.
	energies := make([]big.Rat, len(pts))
	for i, p := range pts {
		energies[i].SetInt64(p.mWh)
	}
	ivs := make([]interval, 0, len(pts)-1)
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if a.ns == b.ns && a.mWh == b.mWh {
			continue
		}
		iv := interval{
			from:    point{a.ns, &energies[i-1]},
			to:      point{b.ns, &energies[i]},
			fromMWh: a.mWh, toMWh: b.mWh,
		}
		dE := b.mWh - a.mWh
		// The reading that closes an interval measured it.
		switch {
		case !power:
		case b.powerW != nil:
			iv.powerW = new(big.Rat).SetFloat64(math.Max(*b.powerW, 0))
		case b.ns > a.ns:
			// W = Wh / h = mWh * 3600e9 ns/h / (1000 mWh/Wh * ns)
			iv.powerW = new(big.Rat).SetFrac(
				new(big.Int).Mul(big.NewInt(dE), big.NewInt(3_600_000_000)),
				big.NewInt(b.ns-a.ns))
		}
		if current && b.currentA != nil {
			iv.currentA = new(big.Rat).SetFloat64(math.Max(*b.currentA, 0))
		}
		// Charging while the meter moves, or while the charger reports at
		// least 1% of the session's highest power (a meter too coarse to
		// move in a short interval); idle (parking) otherwise.
		iv.charging = dE > 0 || (b.powerW != nil && *b.powerW > 0 && *b.powerW*100 >= maxPowerW)
		ivs = append(ivs, iv)
	}
	return ivs, nil
}

// boundaries returns the moments (ns since start, sorted, strictly inside
// the session) at which a time restriction of c may start or stop
// holding: each local midnight (dayOfWeek, startDate, endDate), each local
// startTime and endTime on each day (both instances when a fall-back
// repeats a clock time), each time zone transition (a spring-forward skips
// clock times) and each minDuration and maxDuration.
func boundaries(c *compiled, start, end time.Time, loc *time.Location) []int64 {
	endNs := int64(end.Sub(start))
	var out []int64
	add := func(t time.Time) {
		if ns := int64(t.Sub(start)); ns > 0 && ns < endNs {
			out = append(out, ns)
		}
	}
	minutes := map[int]bool{0: true}
	for _, e := range c.elements {
		if e.r.startMin >= 0 {
			minutes[e.r.startMin] = true
		}
		if e.r.endMin >= 0 {
			minutes[e.r.endMin] = true
		}
		if e.r.minDurS >= 0 {
			add(start.Add(time.Duration(e.r.minDurS) * time.Second))
		}
		if e.r.maxDurS >= 0 {
			add(start.Add(time.Duration(e.r.maxDurS) * time.Second))
		}
	}
	clocks := make([]int, 0, len(minutes))
	for m := range minutes {
		clocks = append(clocks, m)
	}
	slices.Sort(clocks)

	ls, le := start.In(loc), end.In(loc)
	first := time.Date(ls.Year(), ls.Month(), ls.Day()-1, 12, 0, 0, 0, time.UTC)
	last := time.Date(le.Year(), le.Month(), le.Day()+1, 12, 0, 0, 0, time.UTC)
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		for _, m := range clocks {
			at := time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, loc)
			// A clock time may happen twice (fall-back) or not at all
			// (spring-forward); keep every instant whose local clock reads it.
			for _, shift := range []time.Duration{0, -time.Hour, time.Hour, -30 * time.Minute, 30 * time.Minute} {
				t := at.Add(shift)
				if t.Day() == d.Day() && t.Hour()*60+t.Minute() == m && t.Second() == 0 {
					add(t)
				}
			}
		}
	}
	for t := start; ; {
		_, next := t.In(loc).ZoneBounds()
		if next.IsZero() || !next.Before(end) || !next.After(t) {
			break
		}
		add(next)
		t = next
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// thresholds returns the distinct energy bounds (whole mWh) of c's
// restrictions that a session can reach.
func thresholds(c *compiled) []int64 {
	var out []int64
	for _, e := range c.elements {
		for _, n := range []int64{e.r.minMWh, e.r.maxMWh} {
			if n > 0 && n <= maxEnergyWh*1000 {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// segments splits ivs at the time boundaries bs and at the energy
// thresholds ths; energy is linear within an interval.
func segments(ivs []interval, bs []int64, ths []int64) []segment {
	out := make([]segment, 0, len(ivs)+len(bs))
	for k := range ivs {
		iv := &ivs[k]
		i := sort.Search(len(bs), func(i int) bool { return bs[i] > iv.from.ns })
		t := sort.Search(len(ths), func(t int) bool { return ths[t] > iv.fromMWh })
		if (i == len(bs) || bs[i] >= iv.to.ns) && (t == len(ths) || ths[t] >= iv.toMWh) {
			out = append(out, segment{from: iv.from, to: iv.to, iv: iv})
			continue
		}
		var cuts []point
		span := iv.to.ns - iv.from.ns
		dE := new(big.Rat).SetInt64(iv.toMWh - iv.fromMWh)
		for ; i < len(bs) && bs[i] < iv.to.ns; i++ {
			// mwh = from + dE * (t - from) / span
			f := new(big.Rat).SetFrac64(bs[i]-iv.from.ns, span)
			cuts = append(cuts, point{bs[i], f.Mul(f, dE).Add(f, iv.from.mwh)})
		}
		if dE.Sign() > 0 {
			for ; t < len(ths) && ths[t] < iv.toMWh; t++ {
				// t = from + span * (th - from) / dE, to the nanosecond
				n := new(big.Int).Mul(big.NewInt(ths[t]-iv.fromMWh), big.NewInt(span))
				ns := n.Quo(n, big.NewInt(iv.toMWh-iv.fromMWh)).Int64()
				cuts = append(cuts, point{iv.from.ns + ns, new(big.Rat).SetInt64(ths[t])})
			}
			slices.SortStableFunc(cuts, func(a, b point) int { return a.mwh.Cmp(b.mwh) })
		} else {
			slices.SortStableFunc(cuts, func(a, b point) int { return cmp.Compare(a.ns, b.ns) })
		}
		prev := iv.from
		for _, c := range cuts {
			c.ns = max(c.ns, prev.ns) // a threshold's rounded time never runs backwards
			if c.ns == prev.ns && c.mwh.Cmp(prev.mwh) == 0 {
				continue
			}
			out = append(out, segment{from: prev, to: c, iv: iv})
			prev = c
		}
		out = append(out, segment{from: prev, to: iv.to, iv: iv})
	}
	return out
}

// checkSession returns an EINVALID error when u cannot be priced.
func checkSession(u Usage) error {
	if u.End.Before(u.Start) {
		return charging.Errorf(charging.EINVALID, "end %s is before start %s", u.End.Format(time.RFC3339), u.Start.Format(time.RFC3339))
	}
	if u.End.Sub(u.Start) > maxSession {
		return charging.Errorf(charging.EINVALID, "a session longer than %d days cannot be priced", int(maxSession/(24*time.Hour)))
	}
	return nil
}
