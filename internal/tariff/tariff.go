// Package tariff validates tariffs and prices charging sessions under them,
// following OCPI 2.2.1's tariff module (mod_tariffs): for each dimension
// (energy, charging time, parking time) the first element, in order, that
// has a component of that dimension and whose restrictions all hold
// prices it; step sizes round a dimension's session total up; FLAT is
// charged once. All money is exact (math/big.Rat) until it is rounded to
// the currency's minor unit, half away from zero.
//
// It imports charging and the standard library only.
package tariff

import (
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Usage is what a session used, for pricing: its start, its end (the stop
// for a final cost, now for a running one), the site's time zone and the
// meter readings taken in between.
type Usage struct {
	Start    time.Time
	End      time.Time
	Location *time.Location // nil is UTC
	// Readings are in time order; EnergyWh is the energy delivered since
	// the start (not the register), so the start is 0.
	Readings []Reading
	Final    bool
}

// Reading is one meter reading of a session.
type Reading struct {
	At       time.Time
	EnergyWh float64
	PowerW   *float64 // nil when not measured
	CurrentA *float64 // nil when not measured
}

// Quote is what charging costs at one moment (charging.TariffQuote).
type Quote = charging.TariffQuote
