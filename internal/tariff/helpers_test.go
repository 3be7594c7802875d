package tariff

import (
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Builders for the tests: a tariff, an element, a component, restrictions.

func tariffOf(elements ...charging.TariffElement) charging.Tariff {
	return charging.Tariff{ID: "T1", Currency: "EUR", Elements: elements}
}

func el(r *charging.TariffRestrictions, comps ...charging.PriceComponent) charging.TariffElement {
	return charging.TariffElement{PriceComponents: comps, Restrictions: r}
}

func pc(typ charging.TariffDimension, price, vat string, step int) charging.PriceComponent {
	return charging.PriceComponent{Type: typ, Price: charging.Decimal(price), VAT: charging.Decimal(vat), StepSize: step}
}

func energy(price string) charging.PriceComponent { return pc(charging.DimensionEnergy, price, "", 1) }

func fptr(f float64) *float64 { return &f }
func iptr(i int) *int         { return &i }

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// at parses an RFC 3339 time.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// reading is a reading at s with wh delivered.
func reading(s string, wh float64) Reading { return Reading{At: at(s), EnergyWh: wh} }

// summary is the part of a Cost the tests compare.
type summary struct {
	Total, TotalExclVat, Energy, Time, Idle, Flat, Tax string
	EnergyWh                                           float64
	ChargingTimeS, IdleTimeS                           int64
}

func summarize(c charging.Cost) summary {
	return summary{c.Total, c.TotalExclVat, c.Energy, c.Time, c.Idle, c.Flat, c.Tax, c.EnergyWh, c.ChargingTimeS, c.IdleTimeS}
}
