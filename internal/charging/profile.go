package charging

import (
	"context"
	"math"
	"time"
)

// Charging profile purposes (OCPP 1.6 ChargingProfilePurposeType).
const (
	PurposeChargePointMax = "ChargePointMaxProfile"
	PurposeTxDefault      = "TxDefaultProfile"
	PurposeTx             = "TxProfile"
)

// Charging profile kinds and recurrency kinds.
const (
	KindAbsolute  = "Absolute"
	KindRecurring = "Recurring"
	KindRelative  = "Relative"
	RecurDaily    = "Daily"
	RecurWeekly   = "Weekly"
)

// Charging rate units: amperes (per phase) or watts.
const (
	UnitAmperes = "A"
	UnitWatts   = "W"
)

// ChargingProfile is a stored smart-charging profile. ID is the OCPP
// chargingProfileId. A TxProfile is bound to a transaction when it is sent,
// not when it is stored.
type ChargingProfile struct {
	ID             int              `json:"id"`
	StackLevel     int              `json:"stackLevel"`
	Purpose        string           `json:"purpose"`
	Kind           string           `json:"kind"`
	RecurrencyKind string           `json:"recurrencyKind,omitempty"`
	ValidFrom      *time.Time       `json:"validFrom,omitempty"`
	ValidTo        *time.Time       `json:"validTo,omitempty"`
	Schedule       ChargingSchedule `json:"schedule"`
	// TransactionID binds a TxProfile to a transaction when it is sent; it
	// is never stored with the profile.
	TransactionID string    `json:"transactionId,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// ChargingSchedule is a list of limits over time.
type ChargingSchedule struct {
	DurationS       *int             `json:"durationS,omitempty"`
	StartSchedule   *time.Time       `json:"startSchedule,omitempty"`
	RateUnit        string           `json:"chargingRateUnit"` // A or W
	Periods         []SchedulePeriod `json:"periods"`
	MinChargingRate *float64         `json:"minChargingRate,omitempty"`
}

// SchedulePeriod is one limit from StartPeriodS seconds after the start of
// its schedule until the next period's start.
type SchedulePeriod struct {
	StartPeriodS int     `json:"startPeriodS"`
	Limit        float64 `json:"limit"` // in the schedule's unit
	NumberPhases *int    `json:"numberPhases,omitempty"`
}

// MaxSchedulePeriods bounds a schedule's length (1.6 ChargingScheduleMaxPeriods
// is per charger; chargers commonly allow 24 to a few hundred).
const MaxSchedulePeriods = 1024

// Validate returns an EINVALID *Error naming the first rule the profile
// breaks (OCPP 1.6 §3.13 and ChargingProfile/ChargingSchedule in §7).
func (p ChargingProfile) Validate() error {
	switch {
	case p.ID < 1:
		return Errorf(EINVALID, "id must be 1 or more, got %d", p.ID)
	case p.StackLevel < 0:
		return Errorf(EINVALID, "stackLevel must be 0 or more, got %d", p.StackLevel)
	}
	switch p.Purpose {
	case PurposeChargePointMax, PurposeTxDefault, PurposeTx:
	default:
		return Errorf(EINVALID, "purpose must be ChargePointMaxProfile, TxDefaultProfile or TxProfile, got %q", p.Purpose)
	}
	switch p.Kind {
	case KindAbsolute, KindRelative:
		if p.RecurrencyKind != "" {
			return Errorf(EINVALID, "recurrencyKind is only for kind Recurring")
		}
	case KindRecurring:
		if p.RecurrencyKind != RecurDaily && p.RecurrencyKind != RecurWeekly {
			return Errorf(EINVALID, "a Recurring profile needs recurrencyKind Daily or Weekly, got %q", p.RecurrencyKind)
		}
		if p.Schedule.StartSchedule == nil {
			return Errorf(EINVALID, "a Recurring profile needs schedule.startSchedule")
		}
	default:
		return Errorf(EINVALID, "kind must be Absolute, Recurring or Relative, got %q", p.Kind)
	}
	if p.Kind == KindRelative && p.Schedule.StartSchedule != nil {
		return Errorf(EINVALID, "a Relative profile must not have schedule.startSchedule (it starts with the transaction)")
	}
	if p.Kind == KindRelative && p.Purpose == PurposeChargePointMax {
		return Errorf(EINVALID, "a ChargePointMaxProfile cannot be Relative: it is not tied to a transaction")
	}
	if p.ValidFrom != nil && p.ValidTo != nil && !p.ValidTo.After(*p.ValidFrom) {
		return Errorf(EINVALID, "validTo must be after validFrom")
	}
	if p.TransactionID != "" && p.Purpose != PurposeTx {
		return Errorf(EINVALID, "only a TxProfile has a transactionId")
	}
	return p.Schedule.validate()
}

func (s ChargingSchedule) validate() error {
	switch s.RateUnit {
	case UnitAmperes, UnitWatts:
	default:
		return Errorf(EINVALID, "schedule.chargingRateUnit must be A or W, got %q", s.RateUnit)
	}
	if s.DurationS != nil && *s.DurationS < 1 {
		return Errorf(EINVALID, "schedule.durationS must be 1 or more seconds when given, got %d", *s.DurationS)
	}
	if s.MinChargingRate != nil && !(*s.MinChargingRate >= 0) {
		return Errorf(EINVALID, "schedule.minChargingRate must be a non-negative number")
	}
	switch {
	case len(s.Periods) == 0:
		return Errorf(EINVALID, "schedule.periods must have at least one period")
	case len(s.Periods) > MaxSchedulePeriods:
		return Errorf(EINVALID, "schedule.periods has %d periods; at most %d", len(s.Periods), MaxSchedulePeriods)
	case s.Periods[0].StartPeriodS != 0:
		return Errorf(EINVALID, "schedule.periods[0].startPeriodS must be 0, got %d", s.Periods[0].StartPeriodS)
	}
	for i, per := range s.Periods {
		if i > 0 && per.StartPeriodS <= s.Periods[i-1].StartPeriodS {
			return Errorf(EINVALID, "schedule.periods[%d].startPeriodS must be after the previous period's (%d), got %d", i, s.Periods[i-1].StartPeriodS, per.StartPeriodS)
		}
		if s.DurationS != nil && per.StartPeriodS >= *s.DurationS {
			return Errorf(EINVALID, "schedule.periods[%d] starts at %ds, after the schedule's duration (%ds)", i, per.StartPeriodS, *s.DurationS)
		}
		if math.IsNaN(per.Limit) || math.IsInf(per.Limit, 0) || per.Limit < 0 {
			return Errorf(EINVALID, "schedule.periods[%d].limit must be a non-negative number of %s", i, s.RateUnit)
		}
		if per.NumberPhases != nil && (*per.NumberPhases < 1 || *per.NumberPhases > 3) {
			return Errorf(EINVALID, "schedule.periods[%d].numberPhases must be 1, 2 or 3, got %d", i, *per.NumberPhases)
		}
	}
	return nil
}

// ProfileFilter selects installed profiles to clear (OCPP 1.6
// ClearChargingProfile): by ID alone, or by any of the other fields; a
// zero-valued filter matches every profile.
type ProfileFilter struct {
	ID          int    `json:"id,omitempty"`          // 0: any
	ConnectorID *int   `json:"connectorId,omitempty"` // nil: any
	Purpose     string `json:"purpose,omitempty"`     // "": any
	StackLevel  *int   `json:"stackLevel,omitempty"`  // nil: any
}

// Match reports whether the filter selects an installed profile.
func (f ProfileFilter) Match(p InstalledProfile) bool {
	if f.ID != 0 {
		return p.ProfileID == f.ID
	}
	return (f.ConnectorID == nil || *f.ConnectorID == p.ConnectorID) &&
		(f.Purpose == "" || f.Purpose == p.Purpose) &&
		(f.StackLevel == nil || *f.StackLevel == p.StackLevel)
}

// InstalledProfile is a profile a charger accepted, as Joule believes it is
// installed there; Joule re-sends them when the charger reboots.
type InstalledProfile struct {
	ChargerID     string    `json:"chargerId"`
	ConnectorID   int       `json:"connectorId"`
	ProfileID     int       `json:"profileId"`
	Purpose       string    `json:"purpose"`
	StackLevel    int       `json:"stackLevel"`
	TransactionID string    `json:"transactionId,omitempty"`
	InstalledAt   time.Time `json:"installedAt"`
}

// CompositeSchedule is a charger's answer to GetCompositeSchedule.
type CompositeSchedule struct {
	Status        string            `json:"status"` // Accepted or Rejected
	ConnectorID   int               `json:"connectorId"`
	ScheduleStart *time.Time        `json:"scheduleStart,omitempty"`
	Schedule      *ChargingSchedule `json:"schedule,omitempty"`
}

// ProfileStore keeps charging profiles and where they are installed.
type ProfileStore interface {
	// NextChargingProfileID returns an id above every stored profile's.
	NextChargingProfileID(ctx context.Context) (int, error)
	// SaveChargingProfile inserts or updates a profile (by ID); CreatedAt
	// keeps the first save's value.
	SaveChargingProfile(ctx context.Context, p ChargingProfile) error
	GetChargingProfile(ctx context.Context, id int) (ChargingProfile, error)
	// ListChargingProfiles returns profiles ordered by ID.
	ListChargingProfiles(ctx context.Context, q ProfileQuery) (Page[ChargingProfile], error)
	// InstallProfile records that a charger accepted a profile. It replaces
	// what the charger replaces (OCPP 1.6 §5.16.1): an installed profile
	// with the same ID, or with the same connector, purpose and stack level.
	InstallProfile(ctx context.Context, p InstalledProfile) error
	// UninstallProfiles removes the charger's installed profiles the filter
	// matches and returns how many it removed.
	UninstallProfiles(ctx context.Context, chargerID string, f ProfileFilter) (int, error)
	// ListInstalledProfiles returns a charger's installed profiles ordered
	// by connector, purpose and stack level.
	ListInstalledProfiles(ctx context.Context, chargerID string) ([]InstalledProfile, error)
}

// ProfileQuery selects stored profiles.
type ProfileQuery struct {
	Cursor string
	Limit  int // 0 means 100
}
