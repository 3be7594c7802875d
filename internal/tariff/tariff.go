// Package tariff validates tariffs and prices charging sessions under them.
//
// CONTRACT STUB: the signatures below are the contract; the tariff engine
// replaces the bodies.
package tariff

import (
	"errors"
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

// Quote is what charging costs at one moment, for a driver about to start:
// each dimension's price including VAT ("" when the tariff has none).
type Quote struct {
	Currency    string           `json:"currency"`
	EnergyPrice charging.Decimal `json:"energyPrice,omitempty"` // per kWh
	TimePrice   charging.Decimal `json:"timePrice,omitempty"`   // per hour charging
	IdlePrice   charging.Decimal `json:"idlePrice,omitempty"`   // per hour parked, not charging
	FlatPrice   charging.Decimal `json:"flatPrice,omitempty"`   // per session
	MinPrice    charging.Decimal `json:"minPrice,omitempty"`
	Text        string           `json:"text"` // e.g. "0.30 EUR/kWh + 1.00 EUR per session"
}

var errStub = errors.New("tariff: not built yet")

// Validate normalizes t (trims names, upper-cases the currency) and returns
// an EINVALID *charging.Error naming the first field that breaks a rule
// (e.g. elements[0].priceComponents[1].stepSize).
func Validate(t *charging.Tariff) error { return errStub }

// Price returns what u costs under t, rounded to the currency's minor unit.
func Price(t charging.Tariff, u Usage) (charging.Cost, error) { return charging.Cost{}, errStub }

// QuoteAt returns the prices that apply at a session starting at at.
func QuoteAt(t charging.Tariff, at time.Time, loc *time.Location) Quote { return Quote{} }
