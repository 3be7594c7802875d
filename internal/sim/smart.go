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
		w, ok := profileLimitW(&p)
		if !ok {
			return rejected
		}
		cn.tx.limitW = w
	}
	c.profiles = slices.DeleteFunc(c.profiles, func(ip installedProfile) bool {
		return ip.profile.ChargingProfileID == p.ChargingProfileID ||
			ip.connector == r.ConnectorID && ip.profile.ChargingProfilePurpose == p.ChargingProfilePurpose && ip.profile.StackLevel == p.StackLevel
	})
	c.profiles = append(c.profiles, installedProfile{connector: r.ConnectorID, profile: p, installedAt: c.now().Truncate(time.Second)}) // schedules are in whole seconds: a composite schedule starting this second includes it
	c.log.Info("charging profile installed", "connector", r.ConnectorID, "profile", p.ChargingProfileID, "purpose", string(p.ChargingProfilePurpose))
	return &ocpp16.SetChargingProfileResponse{Status: ocpp16.ChargingProfileStatusAccepted}
}

// clearChargingProfile removes profiles by id, or by connector, purpose and
// stack level; Unknown when none matched.
func (c *Charger) clearChargingProfile(r *ocpp16.ClearChargingProfileRequest) *ocpp16.ClearChargingProfileResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
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
	best := map[ocpp16.ChargingProfilePurpose]*installedProfile{}
	limits := map[ocpp16.ChargingProfilePurpose]float64{}
	for i, ip := range c.profiles {
		p := ip.profile
		switch {
		case p.ChargingProfilePurpose == ocpp16.ChargingProfilePurposeChargePointMaxProfile:
		case ip.connector != connector && ip.connector != 0:
			continue
		case p.ChargingProfilePurpose == ocpp16.ChargingProfilePurposeTxProfile && txStart.IsZero():
			continue
		}
		if p.ValidFrom != nil && at.Before(*p.ValidFrom) || p.ValidTo != nil && !at.Before(*p.ValidTo) {
			continue
		}
		lim, ok := periodLimit(ip, at, now, txStart, unit)
		if !ok {
			continue
		}
		if b := best[p.ChargingProfilePurpose]; b == nil || p.StackLevel > b.profile.StackLevel {
			best[p.ChargingProfilePurpose] = &c.profiles[i]
			limits[p.ChargingProfilePurpose] = lim
		}
	}
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
	if v, ok := limits[ocpp16.ChargingProfilePurposeChargePointMaxProfile]; ok {
		limit = math.Min(limit, v)
	}
	if v, ok := limits[ocpp16.ChargingProfilePurposeTxProfile]; ok {
		limit = math.Min(limit, v)
	} else if v, ok := limits[ocpp16.ChargingProfilePurposeTxDefaultProfile]; ok {
		limit = math.Min(limit, v)
	}
	return math.Round(limit*10) / 10
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

// periodLimit is a profile's limit at a moment, converted to unit; ok is
// false outside its schedule.
func periodLimit(ip installedProfile, at, now, txStart time.Time, unit ocpp16.ChargingRateUnit) (float64, bool) {
	base, ok := profileStart(ip, now, txStart)
	if !ok || at.Before(base) {
		return 0, false
	}
	sch := ip.profile.ChargingSchedule
	off := int(at.Sub(base).Seconds())
	if sch.Duration != nil && off >= *sch.Duration {
		return 0, false
	}
	var cur *ocpp16.ChargingSchedulePeriod
	for i, per := range sch.ChargingSchedulePeriod {
		if per.StartPeriod <= off {
			cur = &sch.ChargingSchedulePeriod[i]
		}
	}
	if cur == nil {
		return 0, false
	}
	phases := float64(defaultPhases)
	if cur.NumberPhases != nil && *cur.NumberPhases > 0 {
		phases = float64(*cur.NumberPhases)
	}
	switch {
	case sch.ChargingRateUnit == unit:
		return cur.Limit, true
	case unit == ocpp16.ChargingRateUnitW:
		return cur.Limit * nominalVoltageV * phases, true
	}
	return cur.Limit / (nominalVoltageV * phases), true
}
