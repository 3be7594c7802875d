package tariff

import (
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestEnergyPrices(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	// Night 22:00-06:00 local at 0.20 + 19% VAT, day 0.40 + 19%.
	dayNight := tariffOf(
		el(&charging.TariffRestrictions{StartTime: "22:00", EndTime: "06:00"}, pc(charging.DimensionEnergy, "0.20", "19", 1)),
		el(nil, pc(charging.DimensionEnergy, "0.40", "19", 1)))
	weekend := tariffOf(
		el(&charging.TariffRestrictions{DayOfWeek: []string{"SATURDAY", "SUNDAY"}}, energy("0.10")),
		el(&charging.TariffRestrictions{MinKWh: fptr(5)}, energy("0.05")), // never quoted: needs energy first
		el(nil, energy("0.30")))
	type p struct{ from, to, price string }
	for _, c := range []struct {
		name     string
		tariff   charging.Tariff
		from, to string
		want     []p
	}{
		{
			// 2026-03-29 02:00 CET becomes 03:00 CEST: the night is 7 h.
			name: "day and night across spring-forward", tariff: dayNight,
			from: "2026-03-28T11:00:00Z", to: "2026-03-29T10:00:00Z",
			want: []p{
				{"2026-03-28T11:00:00Z", "2026-03-28T21:00:00Z", "0.4760"},
				{"2026-03-28T21:00:00Z", "2026-03-29T04:00:00Z", "0.2380"},
				{"2026-03-29T04:00:00Z", "2026-03-29T10:00:00Z", "0.4760"},
			},
		},
		{
			// 2026-10-25 03:00 CEST becomes 02:00 CET: the night is 9 h.
			name: "day and night across fall-back", tariff: dayNight,
			from: "2026-10-24T10:00:00Z", to: "2026-10-25T11:00:00Z",
			want: []p{
				{"2026-10-24T10:00:00Z", "2026-10-24T20:00:00Z", "0.4760"},
				{"2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z", "0.2380"},
				{"2026-10-25T05:00:00Z", "2026-10-25T11:00:00Z", "0.4760"},
			},
		},
		{
			name: "48 hours, starting off the minute", tariff: dayNight,
			from: "2026-05-04T10:00:30Z", to: "2026-05-06T10:00:30Z",
			want: []p{
				{"2026-05-04T10:00:30Z", "2026-05-04T20:00:00Z", "0.4760"},
				{"2026-05-04T20:00:00Z", "2026-05-05T04:00:00Z", "0.2380"},
				{"2026-05-05T04:00:00Z", "2026-05-05T20:00:00Z", "0.4760"},
				{"2026-05-05T20:00:00Z", "2026-05-06T04:00:00Z", "0.2380"},
				{"2026-05-06T04:00:00Z", "2026-05-06T10:00:30Z", "0.4760"},
			},
		},
		{
			// Saturday and Sunday merge into one period across midnight.
			name: "a weekend price by day of week", tariff: weekend,
			from: "2026-05-08T10:00:00Z", to: "2026-05-11T10:00:00Z",
			want: []p{
				{"2026-05-08T10:00:00Z", "2026-05-08T22:00:00Z", "0.3000"},
				{"2026-05-08T22:00:00Z", "2026-05-10T22:00:00Z", "0.1000"},
				{"2026-05-10T22:00:00Z", "2026-05-11T10:00:00Z", "0.3000"},
			},
		},
		{
			name:   "energy only at night: the day is free",
			tariff: tariffOf(el(&charging.TariffRestrictions{StartTime: "22:00", EndTime: "06:00"}, energy("0.20")), el(nil, pc(charging.DimensionParkingTime, "2.00", "", 1))),
			from:   "2026-05-04T10:00:00Z", to: "2026-05-05T10:00:00Z",
			want: []p{
				{"2026-05-04T10:00:00Z", "2026-05-04T20:00:00Z", ""},
				{"2026-05-04T20:00:00Z", "2026-05-05T04:00:00Z", "0.2000"},
				{"2026-05-05T04:00:00Z", "2026-05-05T10:00:00Z", ""},
			},
		},
		{
			name: "an invalid tariff has no periods", tariff: tariffOf(),
			from: "2026-05-04T10:00:00Z", to: "2026-05-05T10:00:00Z",
		},
		{
			name: "an empty window has no periods", tariff: dayNight,
			from: "2026-05-04T10:00:00Z", to: "2026-05-04T10:00:00Z",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := EnergyPrices(c.tariff, at(c.from), at(c.to), berlin)
			var want []charging.PricePeriod
			for _, w := range c.want {
				pp := charging.PricePeriod{From: at(w.from), To: at(w.to), PricePerKWh: w.price}
				if w.price != "" {
					pp.Price, _ = charging.Decimal(w.price).Rat().Float64()
				}
				want = append(want, pp)
			}
			if !slices.EqualFunc(got, want, func(a, b charging.PricePeriod) bool {
				return a.From.Equal(b.From) && a.To.Equal(b.To) && a.PricePerKWh == b.PricePerKWh && a.Price == b.Price
			}) {
				t.Errorf("EnergyPrices =\n %v\nwant\n %v", got, want)
			}
		})
	}
}

// TestEnergyPricesMatchQuoteAt checks every period against QuoteAt at its
// start, its last minute and a minute in the middle.
func TestEnergyPricesMatchQuoteAt(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tf := tariffOf(
		el(&charging.TariffRestrictions{StartTime: "07:30", EndTime: "09:15", DayOfWeek: []string{"MONDAY", "FRIDAY"}}, pc(charging.DimensionEnergy, "0.55", "19", 1)),
		el(&charging.TariffRestrictions{StartTime: "22:00", EndTime: "06:00", StartDate: "2026-03-27"}, pc(charging.DimensionEnergy, "0.20", "19", 1)),
		el(nil, pc(charging.DimensionEnergy, "0.40", "19", 1)))
	from, to := at("2026-03-25T00:00:00Z"), at("2026-04-02T00:00:00Z")
	ps := EnergyPrices(tf, from, to, berlin)
	if len(ps) == 0 || !ps[0].From.Equal(from) || !ps[len(ps)-1].To.Equal(to) {
		t.Fatalf("EnergyPrices = %v, want periods covering %s..%s", ps, from, to)
	}
	for i, p := range ps {
		if i > 0 && (!p.From.Equal(ps[i-1].To) || p.PricePerKWh == ps[i-1].PricePerKWh) {
			t.Errorf("periods %d and %d: %v, %v: want adjacent and different", i-1, i, ps[i-1], p)
		}
		for _, m := range []time.Time{p.From, p.From.Add(p.To.Sub(p.From) / 2).Truncate(time.Minute), p.To.Add(-time.Minute)} {
			if q := QuoteAt(tf, m, berlin); string(q.EnergyPrice) != p.PricePerKWh {
				t.Errorf("at %s: period price %q, QuoteAt %q", m.Format(time.RFC3339), p.PricePerKWh, q.EnergyPrice)
			}
		}
	}
}

func BenchmarkEnergyPrices48h(b *testing.B) {
	berlin := mustLoad(b, "Europe/Berlin")
	tf := tariffOf(
		el(&charging.TariffRestrictions{StartTime: "07:30", EndTime: "09:15", DayOfWeek: []string{"MONDAY", "FRIDAY"}}, pc(charging.DimensionEnergy, "0.55", "19", 1)),
		el(&charging.TariffRestrictions{StartTime: "22:00", EndTime: "06:00"}, pc(charging.DimensionEnergy, "0.20", "19", 1)),
		el(nil, pc(charging.DimensionEnergy, "0.40", "19", 1)))
	from := at("2026-03-28T11:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		EnergyPrices(tf, from, from.Add(48*time.Hour), berlin)
	}
}
