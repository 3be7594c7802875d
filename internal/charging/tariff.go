package charging

import "time"

// Tariff is what charging costs, modelled on OCPI 2.2.1's Tariff with
// camelCase names: price components for energy, charging time, parking
// (idle) time and a flat fee, in elements that apply under restrictions
// (time of day, day of week, dates, kWh, duration, power, current).
// Prices are exact decimals, marshalled as decimal strings ("0.30"), and
// exclude VAT; a component's VAT is a percentage ("19").
//
// The tariff engine (package tariff) validates tariffs and prices
// sessions; this package only carries them.
type Tariff struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"` // the operator's label
	Currency string `json:"currency"`       // ISO 4217, e.g. EUR
	// Type is OCPI's TariffType (AD_HOC_PAYMENT, PROFILE_CHEAP,
	// PROFILE_FAST, PROFILE_GREEN, REGULAR); "" when not given.
	Type          string          `json:"type,omitempty"`
	TariffAltText []DisplayText   `json:"tariffAltText,omitempty"`
	TariffAltURL  string          `json:"tariffAltUrl,omitempty"`
	MinPrice      *Price          `json:"minPrice,omitempty"`
	MaxPrice      *Price          `json:"maxPrice,omitempty"`
	Elements      []TariffElement `json:"elements"`
	StartDateTime *time.Time      `json:"startDateTime,omitempty"`
	EndDateTime   *time.Time      `json:"endDateTime,omitempty"`
	// TimeZone is the IANA zone a session's copy reads its times and
	// dates in: its site's (OCPI: the Location's). Empty is UTC; it is set
	// on a session's copy, never stored on the tariff itself.
	TimeZone  string    `json:"timeZone,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// DisplayText is a text in one language (OCPI DisplayText).
type DisplayText struct {
	Language string `json:"language"` // ISO 639-1, e.g. en
	Text     string `json:"text"`
}

// Price is an amount excluding VAT and, when known, including it.
type Price struct {
	ExclVat Decimal `json:"exclVat"`
	InclVat Decimal `json:"inclVat,omitempty"`
}

// TariffElement is a set of price components that apply together while
// its restrictions hold (all of them; none means always).
type TariffElement struct {
	PriceComponents []PriceComponent    `json:"priceComponents"`
	Restrictions    *TariffRestrictions `json:"restrictions,omitempty"`
}

// TariffDimension is what a price component prices (OCPI TariffDimensionType).
type TariffDimension string

const (
	DimensionEnergy      TariffDimension = "ENERGY"       // per kWh
	DimensionFlat        TariffDimension = "FLAT"         // once per session
	DimensionParkingTime TariffDimension = "PARKING_TIME" // per hour connected but not charging
	DimensionTime        TariffDimension = "TIME"         // per hour charging
)

// PriceComponent is one price: per kWh (ENERGY), per hour (TIME,
// PARKING_TIME) or per session (FLAT), excluding VAT. StepSize is the
// billing step in Wh (ENERGY) or seconds (TIME, PARKING_TIME); 0 or 1 is
// exact.
type PriceComponent struct {
	Type     TariffDimension `json:"type"`
	Price    Decimal         `json:"price"`
	VAT      Decimal         `json:"vat,omitempty"` // percent; "": no VAT
	StepSize int             `json:"stepSize"`
}

// TariffRestrictions say when an element applies (OCPI TariffRestrictions).
// Times and dates are in the site's local time zone.
type TariffRestrictions struct {
	StartTime   string   `json:"startTime,omitempty"` // HH:MM, inclusive
	EndTime     string   `json:"endTime,omitempty"`   // HH:MM, exclusive; before StartTime crosses midnight
	StartDate   string   `json:"startDate,omitempty"` // YYYY-MM-DD, inclusive
	EndDate     string   `json:"endDate,omitempty"`   // YYYY-MM-DD, exclusive
	MinKWh      *float64 `json:"minKwh,omitempty"`
	MaxKWh      *float64 `json:"maxKwh,omitempty"`
	MinCurrent  *float64 `json:"minCurrent,omitempty"` // A
	MaxCurrent  *float64 `json:"maxCurrent,omitempty"`
	MinPower    *float64 `json:"minPower,omitempty"` // kW
	MaxPower    *float64 `json:"maxPower,omitempty"`
	MinDuration *int     `json:"minDuration,omitempty"` // seconds since the session started
	MaxDuration *int     `json:"maxDuration,omitempty"`
	DayOfWeek   []string `json:"dayOfWeek,omitempty"`   // MONDAY ... SUNDAY
	Reservation string   `json:"reservation,omitempty"` // RESERVATION or RESERVATION_EXPIRES
}

// Cost is what a session costs: while it runs (Final false) the running
// cost, at its end the final one, a CDR-like record that is stored with
// the session and never recomputed when its tariff changes later. Amounts
// are decimal strings rounded to the currency's minor unit ("1.91").
// Energy, Time, Idle and Flat exclude VAT; Tax is the VAT on them; Total
// includes it (TotalExclVat + Tax), after the tariff's minimum and
// maximum price.
type Cost struct {
	Currency     string `json:"currency"`
	Total        string `json:"total"`
	TotalExclVat string `json:"totalExclVat"`
	Energy       string `json:"energy"`
	Time         string `json:"time"`
	Idle         string `json:"idle"`
	Flat         string `json:"flat"`
	Tax          string `json:"tax"`
	// What was billed, after step sizes.
	EnergyWh      float64 `json:"energyWh"`
	ChargingTimeS int64   `json:"chargingTimeS"`
	IdleTimeS     int64   `json:"idleTimeS"`
	TariffID      string  `json:"tariffId"`
	Final         bool    `json:"final"`
	// Periods are the CDR's charging periods: from each start, which
	// element applied and what was used under it.
	Periods    []CostPeriod `json:"periods,omitempty"`
	ComputedAt time.Time    `json:"computedAt"`
}

// CostPeriod is one stretch of a session under one tariff element.
type CostPeriod struct {
	Start    time.Time `json:"start"`
	Element  int       `json:"element"` // index into the tariff's elements
	EnergyWh float64   `json:"energyWh"`
	TimeS    int64     `json:"timeS"`
	IdleS    int64     `json:"idleS"`
}

// TariffQuery selects tariffs.
type TariffQuery struct {
	Cursor string
	Limit  int // 0 means 100
}
