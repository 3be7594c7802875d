package tariff

import (
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestQuoteAt(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	peakOffPeak := tariffOf(
		el(&charging.TariffRestrictions{StartTime: "08:00", EndTime: "22:00"}, pc(charging.DimensionEnergy, "0.40", "19", 1)),
		el(nil, pc(charging.DimensionEnergy, "0.20", "19", 1)))
	for _, c := range []struct {
		name   string
		tariff charging.Tariff
		at     string
		loc    *time.Location
		want   Quote
	}{
		{
			name: "energy, parking and flat",
			tariff: tariffOf(el(nil,
				pc(charging.DimensionEnergy, "0.30", "19", 1),
				pc(charging.DimensionParkingTime, "2.00", "", 60),
				pc(charging.DimensionFlat, "1.00", "", 0))),
			at: "2026-05-04T10:00:00Z",
			want: Quote{Currency: "EUR", EnergyPrice: "0.3570", IdlePrice: "2.0000", FlatPrice: "1.0000",
				Text: "0.36 EUR/kWh · 2.00 EUR/h parking · 1.00 EUR per session"},
		},
		{
			// 21:59 in Berlin (CEST) is 19:59 UTC.
			name: "peak just before 22:00 local", tariff: peakOffPeak, at: "2026-05-04T19:59:00Z", loc: berlin,
			want: Quote{Currency: "EUR", EnergyPrice: "0.4760", Text: "0.48 EUR/kWh"},
		},
		{
			name: "off-peak from 22:00 local", tariff: peakOffPeak, at: "2026-05-04T20:00:00Z", loc: berlin,
			want: Quote{Currency: "EUR", EnergyPrice: "0.2380", Text: "0.24 EUR/kWh"},
		},
		{
			// The first element needs 10 kWh first; TIME from the first
			// element, whose maxPower cannot be known yet.
			name: "elements waiting for energy are skipped",
			tariff: func() charging.Tariff {
				tf := tariffOf(
					el(&charging.TariffRestrictions{MinKWh: fptr(10)}, energy("0.10")),
					el(&charging.TariffRestrictions{MaxPower: fptr(50)}, pc(charging.DimensionTime, "3.00", "", 1)),
					el(nil, energy("0.30")))
				tf.MinPrice = &charging.Price{ExclVat: "2.00"}
				return tf
			}(),
			at:   "2026-05-04T10:00:00Z",
			want: Quote{Currency: "EUR", EnergyPrice: "0.3000", TimePrice: "3.0000", MinPrice: "2.00", Text: "0.30 EUR/kWh · 3.00 EUR/h charging · minimum 2.00 EUR"},
		},
		{
			name:   "a free tariff",
			tariff: tariffOf(el(nil, energy("0"))),
			at:     "2026-05-04T10:00:00Z",
			want:   Quote{Currency: "EUR", EnergyPrice: "0.0000", Text: "free"},
		},
		{
			name:   "an invalid tariff quotes nothing",
			tariff: tariffOf(),
			at:     "2026-05-04T10:00:00Z",
			want:   Quote{Currency: "EUR"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := QuoteAt(c.tariff, at(c.at), c.loc); got != c.want {
				t.Errorf("QuoteAt =\n %+v\nwant\n %+v", got, c.want)
			}
		})
	}
}
