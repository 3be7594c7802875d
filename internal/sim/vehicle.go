package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// Vehicle is the EV behind a connector: how much it accepts, so that a
// site's load measured from meter values is the load a real car makes.
type Vehicle struct {
	CapacityWh float64 // usable battery capacity
	SoCPercent float64 // state of charge when the transaction starts, 0–100
	MaxA       float64 // AC: the on-board charger's most current per phase
	MaxPowerW  float64 // DC: the most power the battery accepts; 0: the outlet's maximum
	Phases     int     // AC: the phases the on-board charger uses, 1 or 3
}

// DefaultVehicle is the vehicle of Config.Vehicle's zero value: a 60 kWh
// battery at 30 %, 16 A on 3 phases (11 kW AC).
func DefaultVehicle() Vehicle {
	return Vehicle{CapacityWh: 60000, SoCPercent: 30, MaxA: 16, Phases: 3}
}

// Validate reports the first field of v that the model cannot use.
func (v Vehicle) Validate() error {
	switch {
	case !(v.CapacityWh > 0):
		return fmt.Errorf("vehicle capacity %v Wh is not positive", v.CapacityWh)
	case !(v.SoCPercent >= 0 && v.SoCPercent <= 100):
		return fmt.Errorf("vehicle state of charge %v %% is not within 0–100", v.SoCPercent)
	case !(v.MaxA > 0):
		return fmt.Errorf("vehicle maximum current %v A is not positive", v.MaxA)
	case !(v.MaxPowerW >= 0):
		return fmt.Errorf("vehicle maximum DC power %v W is negative", v.MaxPowerW)
	case v.Phases != 1 && v.Phases != 3:
		return fmt.Errorf("vehicle phases %d: want 1 or 3", v.Phases)
	}
	return nil
}

// VehicleState is a snapshot of the vehicle charging on a connector.
type VehicleState struct {
	Vehicle    Vehicle // as plugged in for this transaction
	SoCPercent float64 // now
	PowerW     float64 // active import power now
	EnergyWh   float64 // delivered in this transaction
	// CurrentA is the current per phase (L1, L2, L3) on AC, 0 on the
	// phases the vehicle does not use; on DC, CurrentA[0] is the DC
	// current.
	CurrentA [3]float64
	// PhasesUsed is the number of AC phases the vehicle charges on (its
	// own, capped by the outlet's and the limit's numberPhases); 0 on DC.
	PhasesUsed int
	// OfferedA is, on AC, the composite limit per phase now (Current.Offered).
	OfferedA float64
	// Status is the connector's OCPP 1.6 status: Charging, SuspendedEV
	// (full, or paused by SetPower(0)) or SuspendedEVSE (a limit below
	// the 6 A minimum).
	Status string
}

// Physics of the model.
const (
	// minChargeA is the least current per phase an AC vehicle may draw
	// (IEC 61851-1): below it the EVSE suspends charging.
	minChargeA = 6.0
	// taperFromPercent is where the battery starts to accept less,
	// linearly down to nothing at 100 %.
	taperFromPercent = 80.0
	// dcFloor is the least share of its maximum a DC battery accepts
	// while not full, so that the taper ends in finite time (AC has
	// minChargeA).
	dcFloor = 0.05
	// maxStep bounds one integration step: the limit and the battery's
	// acceptance are re-evaluated at least this often, so that schedule
	// boundaries and the taper are followed closely even across a long
	// gap between samples.
	maxStep = time.Second
	// statusCheckEvery is how often the worker re-evaluates running
	// transactions when nothing else wakes it, so that a schedule period,
	// an expired profile or a full battery changes the status on time.
	statusCheckEvery = time.Second
)

// draw is what the model says about a connector at one moment.
type draw struct {
	wantW    float64 // the power the vehicle draws once ramped
	acceptW  float64 // what the vehicle would take without a limit
	limitW   float64 // the composite limit in W for the phases used
	offeredA float64 // AC: the composite limit per phase
	phases   int     // AC phases used; 0 on DC
	status   ocpp16.ChargePointStatus
}

// evaluate applies the model to cn's transaction at a moment: the power is
// the least of the vehicle's acceptance, the composite limit of the
// installed profiles then, and the outlet's maximum. Without a
// transaction nothing is drawn. Callers hold mu.
func (c *Charger) evaluate(cn *connector, at time.Time) draw {
	tx := cn.tx
	if tx == nil {
		return draw{status: cn.idleStatus()}
	}
	o, ev := cn.outlet, tx.ev
	var d draw
	if o.DC() {
		d.limitW = o.MaxPowerW
		for _, l := range c.limitsAt(cn.id, at, at, tx.startedAt) {
			w := l.limit
			if l.unit == ocpp16.ChargingRateUnitA {
				w = l.limit * dcVoltageV
			}
			d.limitW = min(d.limitW, w)
		}
		maxW := o.MaxPowerW
		if ev.MaxPowerW > 0 {
			maxW = min(maxW, ev.MaxPowerW)
		}
		d.acceptW = taper(maxW, maxW*dcFloor, tx.socPercent)
	} else {
		limits := c.limitsAt(cn.id, at, at, tx.startedAt)
		d.phases = min(ev.Phases, o.Phases)
		for _, l := range limits {
			if l.phases > 0 {
				d.phases = min(d.phases, l.phases)
			}
		}
		n := float64(d.phases)
		d.offeredA = o.MaxPowerW / (nominalVoltageV * float64(o.Phases))
		for _, l := range limits {
			a := l.limit
			if l.unit == ocpp16.ChargingRateUnitW {
				a = l.limit / (nominalVoltageV * n) // a power limit is shared by the phases used
			}
			d.offeredA = min(d.offeredA, a)
		}
		d.limitW = d.offeredA * nominalVoltageV * n
		perPhase := nominalVoltageV * n
		d.acceptW = taper(ev.MaxA*perPhase, min(ev.MaxA, minChargeA)*perPhase, tx.socPercent)
	}
	d.acceptW = min(d.acceptW, cn.targetW)
	switch {
	case d.limitW <= 0 || !o.DC() && d.offeredA < minChargeA:
		d.status = ocpp16.ChargePointStatusSuspendedEVSE
	case d.acceptW <= 0:
		d.status = ocpp16.ChargePointStatusSuspendedEV
	default:
		d.status = ocpp16.ChargePointStatusCharging
		d.wantW = min(d.acceptW, d.limitW)
	}
	return d
}

// taper is what a battery at soc accepts of maxW: all of it up to
// taperFromPercent, then linearly less down to floorW, and nothing when
// full.
func taper(maxW, floorW, soc float64) float64 {
	switch {
	case soc >= 100:
		return 0
	case soc <= taperFromPercent:
		return maxW
	}
	return max(maxW*(100-soc)/(100-taperFromPercent), floorW)
}

// advance integrates energy up to now, in steps of at most maxStep. While
// a transaction runs the power ramps linearly towards what the model
// wants over rampTime, and drops at once when the limit or the vehicle's
// acceptance falls below it; the energy fills the battery. Callers hold
// mu.
func (c *Charger) advance(cn *connector, now time.Time) {
	if cn.tx == nil {
		cn.powerW = 0
		if now.After(cn.at) {
			cn.at = now
		}
		return
	}
	ramp := c.rampTime()
	for cn.at.Before(now) {
		dt := min(now.Sub(cn.at), maxStep)
		want := c.evaluate(cn, cn.at).wantW
		p0 := min(cn.powerW, want)
		p1 := want
		if p0 < want && ramp > 0 {
			p1 = min(want, p0+want*dt.Seconds()/ramp.Seconds())
		}
		wh := (p0 + p1) / 2 * dt.Hours()
		tx := cn.tx
		if room := (100 - tx.socPercent) / 100 * tx.ev.CapacityWh; wh >= room {
			// The battery fills within the step: it takes what fits.
			wh, p1 = max(room, 0), 0
		}
		cn.energyWh += wh
		tx.socPercent = min(100, tx.socPercent+wh/tx.ev.CapacityWh*100)
		cn.powerW = p1
		cn.at = cn.at.Add(dt)
	}
}

// refresh brings cn's transaction up to now and reports the status the
// model gives it. Callers hold mu.
func (c *Charger) refresh(cn *connector) {
	if cn.tx == nil {
		return
	}
	now := c.now()
	c.advance(cn, now)
	c.setStatus(cn, c.evaluate(cn, now).status)
}

// SetVehicle sets the vehicle that connector n charges from its next
// transaction on; a running transaction keeps its vehicle.
func (c *Charger) SetVehicle(n int, v Vehicle) error {
	if err := v.Validate(); err != nil {
		return fmt.Errorf("sim %s: connector %d: %w", c.cfg.ID, n, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := c.connector(n)
	if cn == nil {
		return fmt.Errorf("sim %s: no connector %d", c.cfg.ID, n)
	}
	cn.vehicle = v
	return nil
}

// VehicleState returns the state of the vehicle charging on connector n;
// ok is false when n is not a connector or no transaction runs on it.
func (c *Charger) VehicleState(n int) (s VehicleState, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := c.connector(n)
	if cn == nil || cn.tx == nil {
		return VehicleState{}, false
	}
	now := c.now()
	c.advance(cn, now)
	d := c.evaluate(cn, now)
	return VehicleState{
		Vehicle:    cn.tx.ev,
		SoCPercent: cn.tx.socPercent,
		PowerW:     cn.powerW,
		EnergyWh:   cn.energyWh - cn.tx.startWh,
		CurrentA:   cn.currents(d.phases),
		PhasesUsed: d.phases,
		OfferedA:   d.offeredA,
		Status:     string(d.status),
	}, true
}

// currents splits cn's power into currents: per phase at the nominal
// voltage on AC (a 1-phase vehicle draws on L1), the DC current in [0]
// on DC. Callers hold mu.
func (cn *connector) currents(phases int) [3]float64 {
	var a [3]float64
	switch {
	case cn.outlet.DC():
		a[0] = cn.powerW / dcVoltageV
	case phases > 0:
		for i := range phases {
			a[i] = cn.powerW / (nominalVoltageV * float64(phases))
		}
	}
	for i := range a {
		a[i] = math.Round(a[i]*1000) / 1000 // no float noise in the snapshot
	}
	return a
}
