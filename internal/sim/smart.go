package sim

import (
	"math"
	"slices"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// installedProfile is a charging profile the charger accepted (OCPP 1.6 §3.13).
type installedProfile struct {
	connector   int
	profile     ocpp16.ChargingProfile
	installedAt time.Time
}

// setChargingProfile installs a profile: it replaces one with the same id,
// or with the same connector, purpose and stack level. A TxProfile needs
// the connector's transaction and limits it at once.
func (c *Charger) setChargingProfile(r *ocpp16.SetChargingProfileRequest) *ocpp16.SetChargingProfileResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := r.CsChargingProfiles
	rejected := &ocpp16.SetChargingProfileResponse{Status: ocpp16.ChargingProfileStatusRejected}
	if r.ConnectorID < 0 || r.ConnectorID >= len(c.connectors) {
		return rejected
	}
	switch p.ChargingProfilePurpose {
	case ocpp16.ChargingProfilePurposeChargePointMaxProfile:
		if r.ConnectorID != 0 {
			return rejected
		}
	case ocpp16.ChargingProfilePurposeTxProfile:
		cn := c.connector(r.ConnectorID)
		if cn == nil || cn.tx == nil || p.TransactionID != nil && *p.TransactionID != cn.tx.id {
			return rejected
		}
	}
	c.install(r.ConnectorID, p)
	return &ocpp16.SetChargingProfileResponse{Status: ocpp16.ChargingProfileStatusAccepted}
}

// install puts p in force on connector (0: the whole charger): it replaces
// a profile with the same id, or with the same connector, purpose and
// stack level. Running transactions take the new limit at once: the
// energy up to now is counted under the old one. Callers hold mu.
func (c *Charger) install(connector int, p ocpp16.ChargingProfile) {
	c.refreshAll()
	c.put(connector, p)
	c.refreshAll()
}

// put is install without bringing the transactions up to date. Callers
// hold mu.
func (c *Charger) put(connector int, p ocpp16.ChargingProfile) {
	c.profiles = slices.DeleteFunc(c.profiles, func(ip installedProfile) bool {
		return ip.profile.ChargingProfileID == p.ChargingProfileID ||
			ip.connector == connector && ip.profile.ChargingProfilePurpose == p.ChargingProfilePurpose && ip.profile.StackLevel == p.StackLevel
	})
	c.profiles = append(c.profiles, installedProfile{connector: connector, profile: p, installedAt: c.now().Truncate(time.Second)}) // schedules are in whole seconds: a composite schedule starting this second includes it
	c.log.Info("charging profile installed", "connector", connector, "profile", p.ChargingProfileID, "purpose", string(p.ChargingProfilePurpose))
}

// refreshAll brings every running transaction up to now (refresh).
// Callers hold mu.
func (c *Charger) refreshAll() {
	for _, cn := range c.connectors[1:] {
		c.refresh(cn)
	}
}

// dropTxProfiles removes the TxProfiles of connector's transaction, which
// has ended: a TxProfile applies to one transaction only (OCPP 1.6
// §3.13.1). Callers hold mu.
func (c *Charger) dropTxProfiles(connector int) {
	c.profiles = slices.DeleteFunc(c.profiles, func(ip installedProfile) bool {
		return ip.connector == connector && ip.profile.ChargingProfilePurpose == ocpp16.ChargingProfilePurposeTxProfile
	})
}

// clearChargingProfile removes profiles by id, or by connector, purpose and
// stack level; Unknown when none matched.
func (c *Charger) clearChargingProfile(r *ocpp16.ClearChargingProfileRequest) *ocpp16.ClearChargingProfileResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshAll()
	defer c.refreshAll()
	n := len(c.profiles)
	c.profiles = slices.DeleteFunc(c.profiles, func(ip installedProfile) bool {
		if r.ID != nil {
			return ip.profile.ChargingProfileID == *r.ID
		}
		return (r.ConnectorID == nil || *r.ConnectorID == ip.connector) &&
			(r.ChargingProfilePurpose == nil || *r.ChargingProfilePurpose == ip.profile.ChargingProfilePurpose) &&
			(r.StackLevel == nil || *r.StackLevel == ip.profile.StackLevel)
	})
	if len(c.profiles) == n {
		return &ocpp16.ClearChargingProfileResponse{Status: ocpp16.ClearChargingProfileStatusUnknown}
	}
	return &ocpp16.ClearChargingProfileResponse{Status: ocpp16.ClearChargingProfileStatusAccepted}
}

// compositeSchedule combines the profiles in force for a connector over the
// requested duration (OCPP 1.6 §3.13.6): at every moment the lowest of the
// ChargePointMaxProfile's limit and the TxProfile's (or, without a
// transaction, TxDefaultProfile's), each purpose taking its highest stack
// level valid at that moment.
func (c *Charger) compositeSchedule(r *ocpp16.GetCompositeScheduleRequest) *ocpp16.GetCompositeScheduleResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.ConnectorID < 0 || r.ConnectorID >= len(c.connectors) {
		return &ocpp16.GetCompositeScheduleResponse{Status: ocpp16.GetCompositeScheduleStatusRejected}
	}
	unit := ocpp16.ChargingRateUnitW
	if r.ChargingRateUnit != nil {
		unit = *r.ChargingRateUnit
	}
	start := c.now().UTC().Truncate(time.Second)
	var txStart time.Time
	if cn := c.connector(r.ConnectorID); cn != nil && cn.tx != nil {
		txStart = cn.tx.startedAt
	}
	// The moments at which some limit may change: every period start.
	cuts := []int{0}
	for _, ip := range c.profiles {
		base, ok := profileStart(ip, start, txStart)
		if !ok {
			continue
		}
		for _, per := range ip.profile.ChargingSchedule.ChargingSchedulePeriod {
			off := int(base.Add(time.Duration(per.StartPeriod) * time.Second).Sub(start).Seconds())
			if off > 0 && off < r.Duration {
				cuts = append(cuts, off)
			}
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var periods []ocpp16.ChargingSchedulePeriod
	for _, off := range cuts {
		at := start.Add(time.Duration(off) * time.Second)
		limit := c.limitAt(r.ConnectorID, at, start, txStart, unit)
		if n := len(periods); n > 0 && periods[n-1].Limit == limit {
			continue
		}
		periods = append(periods, ocpp16.ChargingSchedulePeriod{StartPeriod: off, Limit: limit})
	}
	id, d := r.ConnectorID, r.Duration
	return &ocpp16.GetCompositeScheduleResponse{
		Status: ocpp16.GetCompositeScheduleStatusAccepted, ConnectorID: &id, ScheduleStart: &start,
		ChargingSchedule: &ocpp16.ChargingSchedule{Duration: &d, StartSchedule: &start, ChargingRateUnit: unit, ChargingSchedulePeriod: periods},
	}
}

// limitAt is the composite limit at a moment, in unit; without any profile
// it is the charger's maximum. Callers hold mu.
func (c *Charger) limitAt(connector int, at, now, txStart time.Time, unit ocpp16.ChargingRateUnit) float64 {
	// Without a profile, the outlet's maximum (the charger's, for
	// connector 0).
	out := Outlet{MaxPowerW: c.cfg.MaxPowerW, Phases: defaultPhases}
	if cn := c.connector(connector); cn != nil && connector > 0 {
		out = cn.outlet
	}
	limit := out.MaxPowerW
	if unit == ocpp16.ChargingRateUnitA {
		limit = out.MaxPowerW / (out.voltageV() * out.conductors())
	}
	for _, l := range c.limitsAt(connector, at, now, txStart) {
		limit = math.Min(limit, l.in(unit))
	}
	return math.Round(limit*10) / 10
}

// activeLimit is the period of one profile in force at a moment.
type activeLimit struct {
	limit  float64
	unit   ocpp16.ChargingRateUnit
	phases int // the period's numberPhases; 0 when it gives none
}

// in converts the limit to unit at the nominal voltage, on its
// numberPhases (3 when it gives none).
func (l activeLimit) in(unit ocpp16.ChargingRateUnit) float64 {
	phases := float64(defaultPhases)
	if l.phases > 0 {
		phases = float64(l.phases)
	}
	switch {
	case l.unit == unit:
		return l.limit
	case unit == ocpp16.ChargingRateUnitW:
		return l.limit * nominalVoltageV * phases
	}
	return l.limit / (nominalVoltageV * phases)
}

// limitsAt returns the limits in force on a connector at a moment (OCPP
// 1.6 §3.13.6): the ChargePointMaxProfile's and the TxProfile's or, when
// none is in force, the TxDefaultProfile's; each purpose takes its highest
// stack level valid at that moment. txStart is zero without a
// transaction. Callers hold mu.
func (c *Charger) limitsAt(connector int, at, now, txStart time.Time) []activeLimit {
	type pick struct {
		level int
		limit activeLimit
	}
	var best [3]*pick // ChargePointMax, TxDefault, Tx
	for _, ip := range c.profiles {
		p := ip.profile
		var slot int
		switch {
		case p.ChargingProfilePurpose == ocpp16.ChargingProfilePurposeChargePointMaxProfile:
			slot = 0
		case ip.connector != connector && ip.connector != 0:
			continue
		case p.ChargingProfilePurpose == ocpp16.ChargingProfilePurposeTxDefaultProfile:
			slot = 1
		case txStart.IsZero():
			continue // a TxProfile needs a transaction
		default:
			slot = 2
		}
		if p.ValidFrom != nil && at.Before(*p.ValidFrom) || p.ValidTo != nil && !at.Before(*p.ValidTo) {
			continue
		}
		per, ok := periodAt(ip, at, now, txStart)
		if !ok {
			continue
		}
		if b := best[slot]; b == nil || p.StackLevel > b.level {
			best[slot] = &pick{level: p.StackLevel, limit: activeLimit{limit: per.Limit, unit: p.ChargingSchedule.ChargingRateUnit, phases: deref(per.NumberPhases)}}
		}
	}
	var out []activeLimit
	if best[0] != nil {
		out = append(out, best[0].limit)
	}
	if best[2] != nil {
		out = append(out, best[2].limit)
	} else if best[1] != nil {
		out = append(out, best[1].limit)
	}
	return out
}

// profileStart is when a profile's schedule starts as seen from now:
// Absolute at startSchedule, Relative at the transaction's start (now
// without one), Recurring at its latest daily or weekly repetition.
func profileStart(ip installedProfile, now, txStart time.Time) (time.Time, bool) {
	p := ip.profile
	s := p.ChargingSchedule.StartSchedule
	switch p.ChargingProfileKind {
	case ocpp16.ChargingProfileKindRelative:
		if !txStart.IsZero() {
			return txStart, true
		}
		return now, true
	case ocpp16.ChargingProfileKindRecurring:
		if s == nil {
			return time.Time{}, false
		}
		every := 24 * time.Hour
		if p.RecurrencyKind != nil && *p.RecurrencyKind == ocpp16.RecurrencyKindWeekly {
			every *= 7
		}
		t := *s
		for t.Add(every).Before(now) || t.Add(every).Equal(now) {
			t = t.Add(every)
		}
		return t, true
	}
	if s == nil {
		return ip.installedAt, true
	}
	return *s, true
}

// periodAt is a profile's period in force at a moment; ok is false
// outside its schedule.
func periodAt(ip installedProfile, at, now, txStart time.Time) (ocpp16.ChargingSchedulePeriod, bool) {
	base, ok := profileStart(ip, now, txStart)
	if !ok || at.Before(base) {
		return ocpp16.ChargingSchedulePeriod{}, false
	}
	sch := ip.profile.ChargingSchedule
	off := int(at.Sub(base).Seconds())
	if sch.Duration != nil && off >= *sch.Duration {
		return ocpp16.ChargingSchedulePeriod{}, false
	}
	var cur *ocpp16.ChargingSchedulePeriod
	for i, per := range sch.ChargingSchedulePeriod {
		if per.StartPeriod <= off && (cur == nil || per.StartPeriod >= cur.StartPeriod) {
			cur = &sch.ChargingSchedulePeriod[i]
		}
	}
	if cur == nil {
		return ocpp16.ChargingSchedulePeriod{}, false
	}
	return *cur, true
}
