package charging

import (
	"context"
	"math"
	"strings"
	"time"
)

// Smart charging (issue 15): a site's grid connection limit, divided among
// its active sessions by Joule (Allocate), sent to chargers as charging
// profiles. See docs/adr/0012-site-load-balancing.md.

// GridLimit is a site's limit: a current per phase (Unit A) or a total
// power (Unit W).
type GridLimit struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"` // A or W
}

// NominalVoltageV is the line-to-neutral voltage Joule assumes to turn
// watts into amperes per phase and back (EN 50160: 230 V).
const NominalVoltageV = 230.0

// PerPhaseA is the limit in amperes per phase of a 3-phase supply.
func (g GridLimit) PerPhaseA() float64 {
	if g.Unit == UnitWatts {
		return g.Value / (3 * NominalVoltageV)
	}
	return g.Value
}

func (g GridLimit) validate(field string) error {
	switch {
	case g.Unit != UnitAmperes && g.Unit != UnitWatts:
		return Errorf(EINVALID, "%s.unit must be A (per phase) or W, got %q", field, g.Unit)
	case math.IsNaN(g.Value) || math.IsInf(g.Value, 0) || g.Value < 0:
		return Errorf(EINVALID, "%s.value must be a non-negative number of %s", field, g.Unit)
	case g.Unit == UnitAmperes && g.Value > 10000:
		return Errorf(EINVALID, "%s.value must be at most 10000 A per phase, got %v", field, g.Value)
	case g.Unit == UnitWatts && g.Value > 100e6:
		return Errorf(EINVALID, "%s.value must be at most 100 MW, got %v W", field, g.Value)
	}
	return nil
}

// Site meter sources: what measures the site's whole load (chargers and
// building) when the operator names one.
const (
	MeterSourceCharger = "charger" // a charger's connector-0 meter values
	MeterSourceAPI     = "api"     // pushed with POST /api/v1/sites/{id}/meter
)

// SiteMeter names the meter of a site's whole load.
type SiteMeter struct {
	Source    string `json:"source"`              // charger or api
	ChargerID string `json:"chargerId,omitempty"` // for source charger
}

// GridSignal is a live limit from outside (a grid operator's signal),
// lower than or equal to the site's normal limit while it lasts.
type GridSignal struct {
	Limit float64    `json:"limit"`
	Unit  string     `json:"unit"`            // A or W
	Until *time.Time `json:"until,omitempty"` // nil: until cleared
	SetAt time.Time  `json:"setAt"`
}

// Active reports whether the signal is in force at t.
func (g *GridSignal) Active(t time.Time) bool {
	return g != nil && (g.Until == nil || t.Before(*g.Until))
}

// Validate checks a signal from the API.
func (g GridSignal) Validate(now time.Time) error {
	if err := (GridLimit{Value: g.Limit, Unit: g.Unit}).validate("limit"); err != nil {
		return Errorf(EINVALID, "%s", strings.Replace(ErrorMessage(err), "limit.value", "limit", 1))
	}
	if g.Until != nil && !g.Until.After(now) {
		return Errorf(EINVALID, "until must be in the future, got %s", g.Until.UTC().Format(time.RFC3339))
	}
	return nil
}

// SiteMeterReading is one reading of a site meter: the whole site's
// current per phase (L1, L2, L3).
type SiteMeterReading struct {
	At       time.Time  `json:"at"`
	CurrentA [3]float64 `json:"currentA"`
}

// validateSmart checks a site's load-management fields.
func (s Site) validateSmart() error {
	if s.GridLimit != nil {
		if err := s.GridLimit.validate("gridLimit"); err != nil {
			return err
		}
	}
	if s.Reserve != nil {
		if s.GridLimit == nil {
			return Errorf(EINVALID, "reserve needs a gridLimit")
		}
		if err := s.Reserve.validate("reserve"); err != nil {
			return err
		}
		if s.Reserve.PerPhaseA() >= s.GridLimit.PerPhaseA() {
			return Errorf(EINVALID, "reserve (%.1f A per phase) must be below gridLimit (%.1f A per phase)", s.Reserve.PerPhaseA(), s.GridLimit.PerPhaseA())
		}
	}
	if m := s.Meter; m != nil {
		switch m.Source {
		case MeterSourceCharger:
			if m.ChargerID == "" {
				return Errorf(EINVALID, "meter.chargerId is required for meter.source charger")
			}
		case MeterSourceAPI:
			if m.ChargerID != "" {
				return Errorf(EINVALID, "meter.chargerId is only for meter.source charger")
			}
		default:
			return Errorf(EINVALID, "meter.source must be charger or api, got %q", m.Source)
		}
	}
	return nil
}

// SessionSmart is what smart charging knows of a session: the driver's
// wishes at start and Joule's latest allocation.
type SessionSmart struct {
	// DepartureTime and EnergyWantedWh are the driver's: finish this
	// much by then (both or neither).
	DepartureTime  *time.Time `json:"departureTime,omitempty"`
	EnergyWantedWh float64    `json:"energyWantedWh,omitempty"`
	// Priority is the operator's flag: served before the others.
	Priority bool `json:"priority,omitempty"`
	// PhasesUsed is how many phases the vehicle uses, as the charger
	// reported it (OCPP 2.0.1 numberOfPhasesUsed); 0 when not reported.
	PhasesUsed int `json:"phasesUsed,omitempty"`
	// Allocation is the limit Joule gives the session now; nil before the
	// first one or at a site without a limit.
	Allocation *Allocation `json:"allocation,omitempty"`
}

// Allocation states.
const (
	AllocCharging = "charging" // at the vehicle's or charger's own maximum
	AllocLimited  = "limited"  // below it, by the reason
	AllocWaiting  = "waiting"  // suspended (0 A) until the site has room
)

// Allocation reasons.
const (
	ReasonSiteLimit  = "site_limit"     // shared with the site's other sessions
	ReasonGridSignal = "grid_signal"    // a grid operator's signal lowered the site
	ReasonDeparture  = "departure_plan" // the departure plan waits for cheaper hours
	ReasonVehicle    = "vehicle"        // the vehicle draws less; headroom went to others
	ReasonNoCapacity = "no_capacity"    // the site cannot give the minimum: waiting in line
	// ReasonNotLimitable: the charger cannot take a limit (OCPP 1.5 has no
	// charging profiles); its draw is counted against the site, like the
	// building's, and the other sessions share what is left.
	ReasonNotLimitable = "not_limitable"
)

// Allocation is one session's share of its site.
type Allocation struct {
	State  string  `json:"state"`  // charging, limited or waiting
	LimitA float64 `json:"limitA"` // per phase; 0 while waiting
	Phases int     `json:"phases"` // the phases the vehicle uses (1 or 3)
	// Phase is the first phase the session draws on (1 = L1).
	Phase int `json:"phase,omitempty"`
	// Reason says why it is limited (see the Reason constants); Message
	// says it in words for the driver.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// QueuePosition is the place in line while waiting (1 = next).
	QueuePosition int `json:"queuePosition,omitempty"`
	// ProfileID is the TxProfile Joule sent the charger for it.
	ProfileID int `json:"profileId,omitempty"`
	// Plan is the departure plan: the power per period until departure.
	Plan      []PlanSlot `json:"plan,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// PlanSlot is one period of a departure plan.
type PlanSlot struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	LimitA float64   `json:"limitA"` // per phase
	// PricePerKWh is the energy price then (incl. VAT), "" when free.
	PricePerKWh string `json:"pricePerKWh,omitempty"`
}

// Validate checks a driver's departure wish at start.
func (m SessionSmart) Validate(now time.Time) error {
	switch {
	case m.DepartureTime == nil && m.EnergyWantedWh != 0:
		return Errorf(EINVALID, "energyWantedWh needs a departureTime")
	case m.DepartureTime != nil && !(m.EnergyWantedWh > 0):
		return Errorf(EINVALID, "departureTime needs energyWantedWh, the energy wanted by then (more than 0)")
	case m.DepartureTime != nil && !m.DepartureTime.After(now.Add(time.Minute)):
		return Errorf(EINVALID, "departureTime must be more than a minute from now, got %s", m.DepartureTime.UTC().Format(time.RFC3339))
	case m.DepartureTime != nil && m.DepartureTime.After(now.Add(7*24*time.Hour)):
		return Errorf(EINVALID, "departureTime must be within a week")
	case m.EnergyWantedWh > 1e6 || math.IsNaN(m.EnergyWantedWh):
		return Errorf(EINVALID, "energyWantedWh must be at most 1000000 Wh")
	}
	return nil
}

// SiteLoadSample is one point of a site's load over time: what its
// chargers drew per phase and the limit then.
type SiteLoadSample struct {
	SiteID    string     `json:"-"`
	At        time.Time  `json:"at"`
	CurrentA  [3]float64 `json:"currentA"`  // measured, per phase L1..L3 (chargers, plus the building when metered)
	LimitA    float64    `json:"limitA"`    // the site's limit per phase then (after any grid signal)
	AllocA    [3]float64 `json:"allocA"`    // what Joule allocated per phase
	Sessions  int        `json:"sessions"`  // active sessions
	Waiting   int        `json:"waiting"`   // sessions waiting for room
	SignalSet bool       `json:"signalSet"` // a grid signal was in force
}

// SiteLoadStore keeps the sites' load history. charging.Store embeds it.
type SiteLoadStore interface {
	// AppendSiteLoad records one sample.
	AppendSiteLoad(ctx context.Context, s SiteLoadSample) error
	// ListSiteLoad returns a site's samples with from <= At < to, oldest
	// first, at most limit (0: 10000) of them, the newest when there are more.
	ListSiteLoad(ctx context.Context, siteID string, from, to time.Time, limit int) ([]SiteLoadSample, error)
	// PurgeSiteLoad deletes samples older than before; it returns how many.
	PurgeSiteLoad(ctx context.Context, before time.Time) (int, error)
}

// SiteLoad is a site's load now: its limit, what its sessions draw and
// what Joule gives each (GET /api/v1/sites/{id}/load, site.load events).
// Currents are amperes per phase, L1..L3.
type SiteLoad struct {
	SiteID string `json:"siteId"`
	// LimitA is the limit in force (the grid signal's when it is lower);
	// NormalLimitA the site's own (gridLimit); both 0 without a gridLimit.
	LimitA       float64     `json:"limitA"`
	NormalLimitA float64     `json:"normalLimitA"`
	GridSignal   *GridSignal `json:"gridSignal,omitempty"` // in force
	ReserveA     float64     `json:"reserveA"`
	// BuildingA is the building's own load, measured by the site meter
	// (the meter's reading less what the chargers draw); nil unmetered.
	BuildingA *[3]float64   `json:"buildingA,omitempty"`
	BudgetA   [3]float64    `json:"budgetA"` // what the chargers may draw
	DrawA     [3]float64    `json:"drawA"`   // what they draw (latest readings)
	AllocA    [3]float64    `json:"allocA"`  // what Joule gave them
	Sessions  []SessionLoad `json:"sessions"`
	At        time.Time     `json:"at"`
}

// SessionLoad is one active session of a SiteLoad.
type SessionLoad struct {
	SessionID      string      `json:"sessionId"`
	ChargerID      string      `json:"chargerId"`
	ConnectorID    int         `json:"connectorId"`
	Priority       bool        `json:"priority"`
	DepartureTime  *time.Time  `json:"departureTime,omitempty"`
	EnergyWantedWh float64     `json:"energyWantedWh,omitempty"`
	EnergyWh       float64     `json:"energyWh"`
	DrawA          [3]float64  `json:"drawA"`
	Allocation     *Allocation `json:"allocation"`
}
