package charging_test

import (
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// hm is 2026-05-04 at hh:mm UTC; hours past 24 run into the next day.
func hm(h, m int) time.Time { return time.Date(2026, 5, 4, h, m, 0, 0, time.UTC) }

func period(from, to time.Time, text string, price float64) charging.PricePeriod {
	return charging.PricePeriod{From: from, To: to, PricePerKWh: text, Price: price}
}

func slot(from, to time.Time, limitA float64, text string) charging.PlanSlot {
	return charging.PlanSlot{From: from, To: to, LimitA: limitA, PricePerKWh: text}
}

func TestPlanDeparture(t *testing.T) {
	// Expensive in the evening and the morning, cheap at night.
	dayNight := []charging.PricePeriod{
		period(hm(18, 0), hm(22, 0), "0.4000", 0.40),
		period(hm(22, 0), hm(30, 0), "0.2000", 0.20),
		period(hm(30, 0), hm(31, 0), "0.4000", 0.40),
	}
	// 16 A on 3 phases is 11040 W.
	for _, c := range []struct {
		name           string
		now, departure time.Time
		energyWh, maxA float64
		phases         int
		prices         []charging.PricePeriod
		want           []charging.PlanSlot
	}{
		{
			// 22 kWh * 1.05 = 23.1 kWh at 11.04 kW: 125.5 min, so 126.
			name: "charges in the cheap window only, the last part partially",
			now:  hm(18, 0), departure: hm(31, 0), energyWh: 22000, maxA: 16, phases: 3, prices: dayNight,
			want: []charging.PlanSlot{
				slot(hm(18, 0), hm(22, 0), 0, "0.4000"),
				slot(hm(22, 0), hm(24, 6), 16, "0.2000"),
				slot(hm(24, 6), hm(30, 0), 0, "0.2000"),
				slot(hm(30, 0), hm(31, 0), 0, "0.4000"),
			},
		},
		{
			// 110.4 kWh * 1.05 = 115.92 kWh fills the 8 cheap hours (88.32 kWh);
			// the other 27.6 kWh come from the earliest expensive time: 150 min.
			name: "more than the cheap window holds: the earliest expensive time next",
			now:  hm(18, 0), departure: hm(31, 0), energyWh: 110400, maxA: 16, phases: 3, prices: dayNight,
			want: []charging.PlanSlot{
				slot(hm(18, 0), hm(20, 30), 16, "0.4000"),
				slot(hm(20, 30), hm(22, 0), 0, "0.4000"),
				slot(hm(22, 0), hm(30, 0), 16, "0.2000"),
				slot(hm(30, 0), hm(31, 0), 0, "0.4000"),
			},
		},
		{
			name: "not enough time: full power everywhere",
			now:  hm(18, 0), departure: hm(23, 0), energyWh: 80000, maxA: 16, phases: 3, prices: dayNight,
			want: []charging.PlanSlot{
				slot(hm(18, 0), hm(22, 0), 16, "0.4000"),
				slot(hm(22, 0), hm(23, 0), 16, "0.2000"),
			},
		},
		{
			// Free from 20:00: 10.5 kWh at 11.04 kW is 57.07 min, so 58.
			name: "time outside every period is free and comes first",
			now:  hm(18, 0), departure: hm(23, 0), energyWh: 10000, maxA: 16, phases: 3,
			prices: []charging.PricePeriod{period(hm(18, 0), hm(20, 0), "0.3000", 0.30)},
			want: []charging.PlanSlot{
				slot(hm(18, 0), hm(20, 0), 0, "0.3000"),
				slot(hm(20, 0), hm(20, 58), 16, ""),
				slot(hm(20, 58), hm(23, 0), 0, ""),
			},
		},
		{
			// 1-phase 32 A is 7360 W: 7.36 kWh / 1.05 takes exactly 60 min.
			name: "equal prices: the earliest first; 1 phase",
			now:  hm(18, 0), departure: hm(22, 0), energyWh: 7360 / 1.05, maxA: 32, phases: 1,
			prices: []charging.PricePeriod{
				period(hm(18, 0), hm(19, 0), "0.3000", 0.30),
				period(hm(19, 0), hm(20, 0), "0.2000", 0.20),
				period(hm(20, 0), hm(21, 0), "0.3000", 0.30),
				period(hm(21, 0), hm(22, 0), "0.2000", 0.20),
			},
			want: []charging.PlanSlot{
				slot(hm(18, 0), hm(19, 0), 0, "0.3000"),
				slot(hm(19, 0), hm(20, 0), 32, "0.2000"),
				slot(hm(20, 0), hm(21, 0), 0, "0.3000"),
				slot(hm(21, 0), hm(22, 0), 0, "0.2000"),
			},
		},
		{
			name: "no prices at all: charge now, at a moment off the minute",
			now:  hm(18, 0).Add(30 * time.Second), departure: hm(20, 0), energyWh: 1000, maxA: 16, phases: 3,
			want: []charging.PlanSlot{
				slot(hm(18, 0).Add(30*time.Second), hm(18, 6).Add(30*time.Second), 16, ""),
				slot(hm(18, 6).Add(30*time.Second), hm(20, 0), 0, ""),
			},
		},
		{
			name: "departure not after now: no plan",
			now:  hm(18, 0), departure: hm(18, 0), energyWh: 1000, maxA: 16, phases: 3,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := charging.PlanDeparture(c.now, c.departure, c.energyWh, c.maxA, c.phases, c.prices)
			if !slices.EqualFunc(got, c.want, func(a, b charging.PlanSlot) bool {
				return a.From.Equal(b.From) && a.To.Equal(b.To) && a.LimitA == b.LimitA && a.PricePerKWh == b.PricePerKWh
			}) {
				t.Errorf("PlanDeparture =\n %v\nwant\n %v", got, c.want)
			}
		})
	}
}

func TestPlanLimitAt(t *testing.T) {
	plan := []charging.PlanSlot{slot(hm(18, 0), hm(22, 0), 0, "0.4000"), slot(hm(22, 0), hm(24, 6), 16, "0.2000")}
	for _, c := range []struct {
		at     time.Time
		want   float64
		wantOK bool
	}{
		{hm(17, 59), 0, false},
		{hm(18, 0), 0, true},
		{hm(21, 59), 0, true},
		{hm(22, 0), 16, true},
		{hm(24, 5), 16, true},
		{hm(24, 6), 0, false},
	} {
		got, ok := charging.PlanLimitAt(plan, c.at)
		if got != c.want || ok != c.wantOK {
			t.Errorf("PlanLimitAt(%s) = %v, %v; want %v, %v", c.at.Format(time.RFC3339), got, ok, c.want, c.wantOK)
		}
	}
	if _, ok := charging.PlanLimitAt(nil, hm(18, 0)); ok {
		t.Errorf("PlanLimitAt(nil) found a limit, want none")
	}
}
