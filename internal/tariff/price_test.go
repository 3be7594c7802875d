package tariff

import (
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestPrice(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	peak := &charging.TariffRestrictions{StartTime: "08:00", EndTime: "22:00"}
	hour := func(start, end string, wh float64) Usage {
		return Usage{Start: at(start), End: at(end), Readings: []Reading{reading(end, wh)}, Final: true}
	}
	for _, c := range []struct {
		name   string
		tariff charging.Tariff
		usage  Usage
		want   summary
	}{
		{
			name:   "seed: 6379 Wh at 0.30 EUR",
			tariff: tariffOf(el(nil, energy("0.30"))),
			usage:  hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:   summary{"1.91", "1.91", "1.91", "0.00", "0.00", "0.00", "0.00", 6379, 3600, 0},
		},
		{
			// 21:30-22:00 at peak (5.5 kWh * 0.40), 22:00-22:30 off-peak
			// (5.5 kWh * 0.20); VAT 19% of 3.30 is 0.627.
			name: "time of day boundary at 22:00",
			tariff: tariffOf(
				el(peak, pc(charging.DimensionEnergy, "0.40", "19", 1)),
				el(nil, pc(charging.DimensionEnergy, "0.20", "19", 1))),
			usage: hour("2026-05-04T21:30:00Z", "2026-05-04T22:30:00Z", 11000),
			want:  summary{"3.93", "3.30", "3.30", "0.00", "0.00", "0.00", "0.63", 11000, 3600, 0},
		},
		{
			// Friday 23:00 to Saturday 01:00 in Berlin (UTC+1): the weekend
			// price starts at local midnight, 23:00 UTC. 5 kWh * 0.30 + 5 kWh * 0.50.
			name: "midnight in Berlin starts the weekend price",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{DayOfWeek: []string{"SATURDAY", "SUNDAY"}}, energy("0.50")),
				el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-03-06T22:00:00Z"), End: at("2026-03-07T00:00:00Z"), Location: berlin,
				Readings: []Reading{reading("2026-03-07T00:00:00Z", 10000)}, Final: true},
			want: summary{"4.00", "4.00", "4.00", "0.00", "0.00", "0.00", "0.00", 10000, 7200, 0},
		},
		{
			// Saturday 22:00 CET to Sunday 04:00 CEST: 5 real hours at
			// 5 kWh/h; the new price starts at local midnight (23:00 UTC),
			// 2 h before it (10 kWh * 0.25) and 3 h after (15 kWh * 0.40).
			name: "startDate at midnight across the spring DST switch",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartDate: "2026-03-29"}, energy("0.40")),
				el(nil, energy("0.25"))),
			usage: Usage{Start: at("2026-03-28T21:00:00Z"), End: at("2026-03-29T02:00:00Z"), Location: berlin,
				Readings: []Reading{reading("2026-03-29T02:00:00Z", 25000)}, Final: true},
			want: summary{"8.50", "8.50", "8.50", "0.00", "0.00", "0.00", "0.00", 25000, 18000, 0},
		},
		{
			// 00:00 CET to 06:00 CEST is 5 real hours at 1 kWh/h; 01:00 CET
			// (00:00 UTC) to 05:00 CEST (03:00 UTC) is 3 hours at night price.
			name: "night window across the spring DST switch",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartTime: "01:00", EndTime: "05:00"}, energy("0.10")),
				el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-03-28T23:00:00Z"), End: at("2026-03-29T04:00:00Z"), Location: berlin,
				Readings: []Reading{reading("2026-03-29T04:00:00Z", 5000)}, Final: true},
			want: summary{"0.90", "0.90", "0.90", "0.00", "0.00", "0.00", "0.00", 5000, 18000, 0},
		},
		{
			// 00:00 CEST to 06:00 CET is 7 real hours at 1 kWh/h; 01:00 CEST
			// (23:00 UTC) to 05:00 CET (04:00 UTC) is 5 hours at night price.
			name: "night window across the autumn DST switch",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartTime: "01:00", EndTime: "05:00"}, energy("0.10")),
				el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-10-24T22:00:00Z"), End: at("2026-10-25T05:00:00Z"), Location: berlin,
				Readings: []Reading{reading("2026-10-25T05:00:00Z", 7000)}, Final: true},
			want: summary{"1.10", "1.10", "1.10", "0.00", "0.00", "0.00", "0.00", 7000, 25200, 0},
		},
		{
			// 02:00 CEST to 03:00 CET: the clock shows 02:30-03:00 twice
			// (00:30-01:00 and 01:30-02:00 UTC), both at 0.10.
			name: "a clock time repeated by the autumn DST switch",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartTime: "02:30", EndTime: "03:00"}, energy("0.10")),
				el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-10-25T00:00:00Z"), End: at("2026-10-25T02:00:00Z"), Location: berlin,
				Readings: []Reading{reading("2026-10-25T02:00:00Z", 2000)}, Final: true},
			want: summary{"0.40", "0.40", "0.40", "0.00", "0.00", "0.00", "0.00", 2000, 7200, 0},
		},
		{
			name: "maxCurrent 16 A with 32 A measured",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxCurrent: fptr(16)}, energy("0.20")),
				el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z"), Final: true,
				Readings: []Reading{{At: at("2026-05-04T11:00:00Z"), EnergyWh: 10000, CurrentA: fptr(32)}}},
			want: summary{"3.00", "3.00", "3.00", "0.00", "0.00", "0.00", "0.00", 10000, 3600, 0},
		},
		{
			name: "maxCurrent is ignored where no current was measured",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxCurrent: fptr(16)}, energy("0.20")),
				el(nil, energy("0.30"))),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 10000),
			want:  summary{"2.00", "2.00", "2.00", "0.00", "0.00", "0.00", "0.00", 10000, 3600, 0},
		},
		{
			// 22:00 to 06:00 runs past midnight: 23:00-01:00 UTC is all night.
			name: "time window past midnight",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartTime: "22:00", EndTime: "06:00"}, energy("0.20")),
				el(nil, energy("0.40"))),
			usage: hour("2026-05-04T23:00:00Z", "2026-05-05T01:00:00Z", 10000),
			want:  summary{"2.00", "2.00", "2.00", "0.00", "0.00", "0.00", "0.00", 10000, 7200, 0},
		},
		{
			name:   "ENERGY stepSize 500 Wh rounds 6379 up to 6500",
			tariff: tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "", 500))),
			usage:  hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:   summary{"1.95", "1.95", "1.95", "0.00", "0.00", "0.00", "0.00", 6500, 3600, 0},
		},
		{
			// 1270 s charging rounds up to 1500 s: 1500/3600 * 2.00 = 0.8333.
			name:   "TIME stepSize 300 s",
			tariff: tariffOf(el(nil, pc(charging.DimensionTime, "2.00", "", 300))),
			usage:  hour("2026-05-04T10:00:00Z", "2026-05-04T10:21:10Z", 3000),
			want:   summary{"0.83", "0.83", "0.00", "0.83", "0.00", "0.00", "0.00", 3000, 1500, 0},
		},
		{
			// 50 min charging, 17 min parked: parking (step 900 s) bills
			// 30 min at 6.00/h; TIME's step does not apply when parking was
			// priced too (OCPI), 3000 s at 1.20/h.
			name: "PARKING_TIME stepSize 900 s with TIME",
			tariff: tariffOf(el(nil,
				pc(charging.DimensionTime, "1.20", "", 300),
				pc(charging.DimensionParkingTime, "6.00", "", 900))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:07:00Z"), Final: true,
				Readings: []Reading{reading("2026-05-04T10:50:00Z", 5000), reading("2026-05-04T11:00:00Z", 5000)}},
			want: summary{"4.00", "4.00", "0.00", "1.00", "3.00", "0.00", "0.00", 5000, 3000, 1800},
		},
		{
			// The meter stops at 11:00; 40 min parked at 3.00/h.
			name:   "idle time at the end is parking",
			tariff: tariffOf(el(nil, energy("0.30"), pc(charging.DimensionParkingTime, "3.00", "", 1))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:40:00Z"), Final: true,
				Readings: []Reading{reading("2026-05-04T11:00:00Z", 6379), reading("2026-05-04T11:30:00Z", 6379)}},
			want: summary{"3.91", "3.91", "1.91", "0.00", "2.00", "0.00", "0.00", 6379, 3600, 2400},
		},
		{
			// A charger that reports power keeps a stretch without meter
			// movement as charging: 11 kW at 11:30 is not idle.
			name:   "reported power keeps a flat meter charging",
			tariff: tariffOf(el(nil, energy("0.30"), pc(charging.DimensionParkingTime, "3.00", "", 1))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:30:00Z"), Final: true,
				Readings: []Reading{
					{At: at("2026-05-04T11:00:00Z"), EnergyWh: 6379, PowerW: fptr(11000)},
					{At: at("2026-05-04T11:30:00Z"), EnergyWh: 6379, PowerW: fptr(11000)}}},
			want: summary{"1.91", "1.91", "1.91", "0.00", "0.00", "0.00", "0.00", 6379, 5400, 0},
		},
		{
			// 6379 Wh at 0.30 is 1.9137; raised to 5.00; VAT keeps 19%.
			name: "minPrice raises a final cost",
			tariff: func() charging.Tariff {
				tf := tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "19", 1)))
				tf.MinPrice = &charging.Price{ExclVat: "5.00"}
				return tf
			}(),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:  summary{"5.95", "5.00", "1.91", "0.00", "0.00", "0.00", "0.95", 6379, 3600, 0},
		},
		{
			name: "minPrice with inclVat sets the total",
			tariff: func() charging.Tariff {
				tf := tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "19", 1)))
				tf.MinPrice = &charging.Price{ExclVat: "5.00", InclVat: "6.00"}
				return tf
			}(),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:  summary{"6.00", "5.00", "1.91", "0.00", "0.00", "0.00", "1.00", 6379, 3600, 0},
		},
		{
			// Exact tax 0.363603 rounds to 0.36; the minimum waits for the end.
			name: "a running cost is not raised to minPrice",
			tariff: func() charging.Tariff {
				tf := tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "19", 1)))
				tf.MinPrice = &charging.Price{ExclVat: "5.00"}
				return tf
			}(),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z"),
				Readings: []Reading{reading("2026-05-04T11:00:00Z", 6379)}},
			want: summary{"2.27", "1.91", "1.91", "0.00", "0.00", "0.00", "0.36", 6379, 3600, 0},
		},
		{
			// Nothing used: the minimum with the first component's VAT.
			name: "minPrice on an empty session",
			tariff: func() charging.Tariff {
				tf := tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "19", 1)))
				tf.MinPrice = &charging.Price{ExclVat: "5.00"}
				return tf
			}(),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T10:00:00Z"), Final: true},
			want:  summary{"5.95", "5.00", "0.00", "0.00", "0.00", "0.00", "0.95", 0, 0, 0},
		},
		{
			// 1.9137 capped at 1.50; VAT 19% of 1.50 is 0.285, rounded up.
			name: "maxPrice caps the total",
			tariff: func() charging.Tariff {
				tf := tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "19", 1)))
				tf.MaxPrice = &charging.Price{ExclVat: "1.50"}
				return tf
			}(),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:  summary{"1.79", "1.50", "1.91", "0.00", "0.00", "0.00", "0.29", 6379, 3600, 0},
		},
		{
			// 10 kWh at 0.25 is 2.50 with VAT 0.475; the flat fee's VAT is
			// 0.095: summed exactly 0.57 (rounded each, 0.48 + 0.10 = 0.58).
			name: "VAT summed exactly, rounded once",
			tariff: tariffOf(el(nil,
				pc(charging.DimensionEnergy, "0.25", "19", 1),
				pc(charging.DimensionFlat, "0.50", "19", 0))),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 10000),
			want:  summary{"3.57", "3.00", "2.50", "0.00", "0.00", "0.50", "0.57", 10000, 3600, 0},
		},
		{
			// 6.5 kWh at 0.35 is 2.275, rounded half away to 2.28; its VAT 0.43225.
			name:   "an amount ending in 5 rounds up",
			tariff: tariffOf(el(nil, pc(charging.DimensionEnergy, "0.35", "19", 1))),
			usage:  hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6500),
			want:   summary{"2.71", "2.28", "2.28", "0.00", "0.00", "0.00", "0.43", 6500, 3600, 0},
		},
		{
			name:   "FLAT fee once per session",
			tariff: tariffOf(el(nil, pc(charging.DimensionFlat, "1.00", "", 0), energy("0.30"))),
			usage:  hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:   summary{"2.91", "2.91", "1.91", "0.00", "0.00", "1.00", "0.00", 6379, 3600, 0},
		},
		{
			// The night element's FLAT 0.00 holds at the start (23:00).
			name: "FLAT from the element that holds at the start",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartTime: "22:00", EndTime: "06:00"}, pc(charging.DimensionFlat, "0.00", "", 0)),
				el(nil, pc(charging.DimensionFlat, "1.00", "", 0), energy("0.30"))),
			usage: hour("2026-05-04T23:00:00Z", "2026-05-05T00:00:00Z", 6379),
			want:  summary{"1.91", "1.91", "1.91", "0.00", "0.00", "0.00", "0.00", 6379, 3600, 0},
		},
		{
			// 15 kWh: the first 10 at 0.40, the next 5 at 0.30.
			name: "kWh threshold",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxKWh: fptr(10)}, energy("0.40")),
				el(nil, energy("0.30"))),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 15000),
			want:  summary{"5.50", "5.50", "5.50", "0.00", "0.00", "0.00", "0.00", 15000, 3600, 0},
		},
		{
			// 50 kWh in 30 min is 100 kW: fast price 0.59; then 11 kWh in
			// 30 min is 22 kW: 0.39. 29.50 + 4.29.
			name: "maxPower 50 kW: fast charging costs more",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxPower: fptr(50)}, energy("0.39")),
				el(nil, energy("0.59"))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z"), Final: true,
				Readings: []Reading{reading("2026-05-04T10:30:00Z", 50000), reading("2026-05-04T11:00:00Z", 61000)}},
			want: summary{"33.79", "33.79", "33.79", "0.00", "0.00", "0.00", "0.00", 61000, 3600, 0},
		},
		{
			// The reported power (30 kW) decides, not the average (100 kW).
			name: "maxPower uses the reported power",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxPower: fptr(50)}, energy("0.39")),
				el(nil, energy("0.59"))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T10:30:00Z"), Final: true,
				Readings: []Reading{{At: at("2026-05-04T10:30:00Z"), EnergyWh: 50000, PowerW: fptr(30000)}}},
			want: summary{"19.50", "19.50", "19.50", "0.00", "0.00", "0.00", "0.00", 50000, 1800, 0},
		},
		{
			// 90 min charging, the first hour free: 30 min at 3.00/h.
			name: "maxDuration: the first hour free",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxDuration: iptr(3600)}, pc(charging.DimensionTime, "0.00", "", 1)),
				el(nil, pc(charging.DimensionTime, "3.00", "", 1))),
			usage: hour("2026-05-04T10:00:00Z", "2026-05-04T11:30:00Z", 9000),
			want:  summary{"1.50", "1.50", "0.00", "1.50", "0.00", "0.00", "0.00", 9000, 5400, 0},
		},
		{
			// A reading before the start, one after the end and a lower
			// reading (a glitch) count as: left out, left out, unchanged.
			name:   "readings outside the session and a glitch",
			tariff: tariffOf(el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z"), Final: true,
				Readings: []Reading{
					reading("2026-05-04T09:59:00Z", 500),
					reading("2026-05-04T10:30:00Z", 6379),
					reading("2026-05-04T10:45:00Z", 6000),
					reading("2026-05-04T11:01:00Z", 9000)}},
			want: summary{"1.91", "1.91", "1.91", "0.00", "0.00", "0.00", "0.00", 6379, 1800, 1800},
		},
		{
			// JPY has no minor unit: 6.379 kWh at 40 is 255.16.
			name:   "a currency without decimals",
			tariff: func() charging.Tariff { tf := tariffOf(el(nil, energy("40"))); tf.Currency = "jpy"; return tf }(),
			usage:  hour("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", 6379),
			want:   summary{"255", "255", "255", "0", "0", "0", "0", 6379, 3600, 0},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Price(c.tariff, c.usage)
			if err != nil {
				t.Fatalf("Price: %v", err)
			}
			if s := summarize(got); s != c.want {
				t.Errorf("Price =\n %+v\nwant\n %+v", s, c.want)
			}
			if got.TariffID != "T1" || got.Final != c.usage.Final || !got.ComputedAt.Equal(c.usage.End) {
				t.Errorf("TariffID, Final, ComputedAt = %q, %v, %v; want T1, %v, %v", got.TariffID, got.Final, got.ComputedAt, c.usage.Final, c.usage.End)
			}
		})
	}
}

func TestPricePeriods(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	for _, c := range []struct {
		name   string
		tariff charging.Tariff
		usage  Usage
		want   []charging.CostPeriod
	}{
		{
			name: "peak then off-peak",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{StartTime: "08:00", EndTime: "22:00"}, energy("0.40")),
				el(nil, energy("0.20"))),
			usage: Usage{Start: at("2026-05-04T21:30:00Z"), End: at("2026-05-04T22:30:00Z"),
				Readings: []Reading{reading("2026-05-04T22:30:00Z", 11000)}},
			want: []charging.CostPeriod{
				{Start: at("2026-05-04T21:30:00Z"), Element: 0, EnergyWh: 5500, TimeS: 1800},
				{Start: at("2026-05-04T22:00:00Z"), Element: 1, EnergyWh: 5500, TimeS: 1800},
			},
		},
		{
			// 10 kWh of 15 delivered linearly in an hour is reached at 10:40.
			name: "kWh threshold",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{MaxKWh: fptr(10)}, energy("0.40")),
				el(nil, energy("0.30"))),
			usage: Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z"),
				Readings: []Reading{reading("2026-05-04T11:00:00Z", 15000)}},
			want: []charging.CostPeriod{
				{Start: at("2026-05-04T10:00:00Z"), Element: 0, EnergyWh: 10000, TimeS: 2400},
				{Start: at("2026-05-04T10:40:00Z"), Element: 1, EnergyWh: 5000, TimeS: 1200},
			},
		},
		{
			// Parking is priced by element 1 throughout; readings split
			// nothing, the weekend (local midnight, 23:00 UTC) does.
			name: "charging then parking across midnight",
			tariff: tariffOf(
				el(&charging.TariffRestrictions{DayOfWeek: []string{"SATURDAY"}}, energy("0.50")),
				el(nil, energy("0.30"), pc(charging.DimensionParkingTime, "1.00", "", 1))),
			usage: Usage{Start: at("2026-03-06T22:00:00Z"), End: at("2026-03-07T00:00:00Z"), Location: berlin,
				Readings: []Reading{reading("2026-03-06T22:30:00Z", 4000), reading("2026-03-06T23:30:00Z", 4000)}},
			want: []charging.CostPeriod{
				{Start: at("2026-03-06T22:00:00Z"), Element: 1, EnergyWh: 4000, TimeS: 1800, IdleS: 1800},
				{Start: at("2026-03-06T23:00:00Z"), Element: 0, EnergyWh: 0, IdleS: 3600},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Price(c.tariff, c.usage)
			if err != nil {
				t.Fatalf("Price: %v", err)
			}
			if len(got.Periods) != len(c.want) {
				t.Fatalf("Periods = %+v, want %+v", got.Periods, c.want)
			}
			for i := range c.want {
				g, w := got.Periods[i], c.want[i]
				if !g.Start.Equal(w.Start) || g.Element != w.Element || g.EnergyWh != w.EnergyWh || g.TimeS != w.TimeS || g.IdleS != w.IdleS {
					t.Errorf("Periods[%d] = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestPriceErrors(t *testing.T) {
	future := at("2027-01-01T00:00:00Z")
	past := at("2026-01-01T00:00:00Z")
	base := tariffOf(el(nil, energy("0.30")))
	for _, c := range []struct {
		name   string
		tariff func(charging.Tariff) charging.Tariff
		usage  Usage
		want   string
	}{
		{"not yet valid", func(t charging.Tariff) charging.Tariff { t.StartDateTime = &future; return t },
			Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z")},
			"tariff T1 not valid at 2026-05-04T10:00:00Z (valid from 2027-01-01T00:00:00Z)"},
		{"no longer valid", func(t charging.Tariff) charging.Tariff { t.EndDateTime = &past; return t },
			Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z")},
			"tariff T1 not valid at 2026-05-04T10:00:00Z (valid until 2026-01-01T00:00:00Z)"},
		{"invalid tariff", func(t charging.Tariff) charging.Tariff { t.Currency = "EURO"; return t },
			Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z")},
			`currency must be an ISO 4217 code (three letters, e.g. EUR), got "EURO"`},
		{"end before start", func(t charging.Tariff) charging.Tariff { return t },
			Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T09:00:00Z")},
			"end 2026-05-04T09:00:00Z is before start 2026-05-04T10:00:00Z"},
		{"too long", func(t charging.Tariff) charging.Tariff { return t },
			Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2027-05-06T10:00:00Z")},
			"a session longer than 366 days cannot be priced"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Price(c.tariff(clone(base)), c.usage)
			if charging.ErrorCode(err) != charging.EINVALID || charging.ErrorMessage(err) != c.want {
				t.Errorf("Price: %v, want %s: %s", err, charging.EINVALID, c.want)
			}
		})
	}
}

// TestPriceLeavesTariffAlone checks that Price normalizes a copy.
func TestPriceLeavesTariffAlone(t *testing.T) {
	tf := tariffOf(el(&charging.TariffRestrictions{DayOfWeek: []string{"monday"}}, pc("energy", "0.30", "", 1)))
	tf.Currency = "eur"
	if _, err := Price(tf, Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	if tf.Currency != "eur" || tf.Elements[0].PriceComponents[0].Type != "energy" || tf.Elements[0].Restrictions.DayOfWeek[0] != "monday" {
		t.Errorf("Price changed its tariff: %+v", tf)
	}
}

func TestPriceInvalidReading(t *testing.T) {
	nan := Reading{At: at("2026-05-04T10:30:00Z"), EnergyWh: 0}
	nan.EnergyWh = nan.EnergyWh / nan.EnergyWh // NaN without a constant expression
	_, err := Price(tariffOf(el(nil, energy("0.30"))), Usage{Start: at("2026-05-04T10:00:00Z"), End: at("2026-05-04T11:00:00Z"), Readings: []Reading{nan}})
	if !strings.HasPrefix(charging.ErrorMessage(err), "readings[0].energyWh must be a finite number") {
		t.Errorf("Price with a NaN reading: %v", err)
	}
}

// TestPriceTimeZoneNil checks that a nil Location is UTC.
func TestPriceTimeZoneNil(t *testing.T) {
	tf := tariffOf(
		el(&charging.TariffRestrictions{StartTime: "08:00", EndTime: "22:00"}, energy("0.40")),
		el(nil, energy("0.20")))
	u := Usage{Start: at("2026-05-04T21:00:00Z"), End: at("2026-05-04T22:00:00Z"), Readings: []Reading{reading("2026-05-04T22:00:00Z", 1000)}}
	got, err := Price(tf, u)
	if err != nil || got.Total != "0.40" {
		t.Errorf("Price in UTC = %q, %v; want 0.40", got.Total, err)
	}
	u.Location = time.FixedZone("UTC+1", 3600) // 22:00-23:00 local: off-peak
	got, err = Price(tf, u)
	if err != nil || got.Total != "0.20" {
		t.Errorf("Price in UTC+1 = %q, %v; want 0.20", got.Total, err)
	}
}
