package tariff

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// fuzzZones includes Lord Howe, whose DST shift is 30 minutes.
var fuzzZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"}

// FuzzPrice checks that Price never panics on a validated tariff and that
// its Cost adds up: Total = TotalExclVat + Tax, every amount has the
// currency's places, the dimensions add up when no minimum or maximum
// applied, and billed time covers the session.
func FuzzPrice(f *testing.F) {
	f.Add("0.30", "19", 500, "2.00", 300, "08:00", "22:00", 10.0, 50.0, 3600, int64(7200), uint8(24), 11000.0, int64(1774735200), true, uint8(1), "5.00")
	f.Add("0.345", "", 1, "0", 0, "22:00", "06:00", 0.5, 3.7, 0, int64(86400), uint8(7), 3700.0, int64(1792800000), false, uint8(3), "0")
	f.Add("12.5", "7.7", 0, "0.01", 60, "", "00:00", 100.0, 0.0, 60, int64(1), uint8(1), 0.0, int64(0), true, uint8(2), "")
	f.Fuzz(func(t *testing.T, ePrice, vat string, eStep int, tPrice string, tStep int, startTime, endTime string,
		maxKwh, maxPowerKW float64, maxDur int, durS int64, n uint8, powerW float64, startUnix int64, final bool, zone uint8, minPrice string) {
		tf := tariffOf(
			el(&charging.TariffRestrictions{StartTime: startTime, EndTime: endTime, MaxKWh: &maxKwh, MaxPower: &maxPowerKW, MaxDuration: &maxDur},
				pc(charging.DimensionEnergy, ePrice, vat, eStep), pc(charging.DimensionTime, tPrice, vat, tStep)),
			el(&charging.TariffRestrictions{MinKWh: &maxKwh, DayOfWeek: []string{"SATURDAY", "SUNDAY"}},
				pc(charging.DimensionEnergy, tPrice, "", 1), pc(charging.DimensionParkingTime, ePrice, vat, tStep)),
			el(nil, pc(charging.DimensionEnergy, "0.25", "19", eStep), pc(charging.DimensionFlat, tPrice, vat, 0)))
		if minPrice != "" {
			tf.MinPrice = &charging.Price{ExclVat: charging.Decimal(minPrice)}
			tf.MaxPrice = &charging.Price{ExclVat: charging.Decimal(minPrice + "0")}
		}
		if Validate(&tf) != nil {
			return
		}
		if math.IsNaN(powerW) || math.IsInf(powerW, 0) {
			return
		}
		powerW = math.Abs(math.Mod(powerW, 400_000))
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Skip(err)
		}
		start := time.Unix(startUnix%4_000_000_000, 0).UTC()
		dur := time.Duration(max(durS, -durS)%(3*86400)) * time.Second
		u := Usage{Start: start, End: start.Add(dur), Location: loc, Final: final}
		wh := 0.0
		for i := 1; i <= int(n); i++ {
			at := start.Add(dur * time.Duration(i) / time.Duration(int(n)+1))
			r := Reading{At: at, EnergyWh: wh}
			if i%3 != 0 { // every third interval idle
				wh += powerW * (dur.Hours() / float64(int(n)+1))
				r.EnergyWh = wh
			}
			if i%2 == 0 {
				p := powerW
				r.PowerW = &p
			}
			u.Readings = append(u.Readings, r)
		}

		c, err := Price(tf, u)
		if err != nil {
			t.Fatalf("Price: %v", err)
		}
		places := charging.CurrencyPlaces(tf.Currency)
		rat := func(name, s string) *big.Rat {
			frac := ""
			if i := strings.IndexByte(s, '.'); i >= 0 {
				frac = s[i+1:]
			}
			r, ok := new(big.Rat).SetString(s)
			if !ok || len(frac) != places || r.Sign() < 0 {
				t.Fatalf("%s = %q, want a non-negative amount with %d places", name, s, places)
			}
			return r
		}
		total, excl, tax := rat("Total", c.Total), rat("TotalExclVat", c.TotalExclVat), rat("Tax", c.Tax)
		if new(big.Rat).Add(excl, tax).Cmp(total) != 0 {
			t.Fatalf("Total %s != TotalExclVat %s + Tax %s", c.Total, c.TotalExclVat, c.Tax)
		}
		sum := new(big.Rat)
		for name, s := range map[string]string{"Energy": c.Energy, "Time": c.Time, "Idle": c.Idle, "Flat": c.Flat} {
			sum.Add(sum, rat(name, s))
		}
		limited := tf.MinPrice != nil && (excl.Cmp(tf.MinPrice.ExclVat.Rat()) == 0 || excl.Cmp(tf.MaxPrice.ExclVat.Rat()) == 0)
		if !limited && sum.Cmp(excl) != 0 {
			t.Fatalf("dimensions add up to %s, TotalExclVat %s", sum.FloatString(places), c.TotalExclVat)
		}
		if billed := c.ChargingTimeS + c.IdleTimeS; billed < int64(dur/time.Second) {
			t.Fatalf("billed %d s of a %v session", billed, dur)
		}
		var periodS int64
		for _, p := range c.Periods {
			periodS += p.TimeS + p.IdleS
		}
		if d := periodS - int64(dur/time.Second); d > int64(len(c.Periods)) || -d > int64(len(c.Periods)) {
			t.Fatalf("periods cover %d s of a %v session", periodS, dur)
		}
	})
}

// BenchmarkPrice prices a 2-hour session with 240 readings (one every 30
// s, power reported) under a 3-element tariff: peak hours, a kWh
// threshold, and a default with parking.
func BenchmarkPrice(b *testing.B) {
	berlin := mustLoad(b, "Europe/Berlin")
	tf := tariffOf(
		el(&charging.TariffRestrictions{StartTime: "08:00", EndTime: "20:00", MaxKWh: fptr(20)},
			pc(charging.DimensionEnergy, "0.45", "19", 1), pc(charging.DimensionTime, "1.20", "19", 60)),
		el(&charging.TariffRestrictions{MinKWh: fptr(20)},
			pc(charging.DimensionEnergy, "0.35", "19", 1)),
		el(nil, pc(charging.DimensionEnergy, "0.39", "19", 100), pc(charging.DimensionParkingTime, "6.00", "19", 300),
			pc(charging.DimensionFlat, "0.50", "19", 0)))
	start := at("2026-05-04T17:30:00Z") // 19:30 in Berlin: peak ends after 30 min
	u := Usage{Start: start, End: start.Add(2 * time.Hour), Location: berlin, Final: true}
	for i := 1; i <= 240; i++ {
		wh := float64(min(i, 200)) * 91.6667 // 11 kW, then parked
		p := 11000.0
		if i > 200 {
			p = 0
		}
		u.Readings = append(u.Readings, Reading{At: start.Add(time.Duration(i) * 30 * time.Second), EnergyWh: wh, PowerW: &p})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Price(tf, u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPriceRunning is the running cost a meter report computes: the
// session's start and its latest reading, under a one-element tariff (the
// common case) and the three-element one above.
func BenchmarkPriceRunning(b *testing.B) {
	berlin := mustLoad(b, "Europe/Berlin")
	start := at("2026-05-04T17:30:00Z")
	p := 11000.0
	u := Usage{Start: start, End: start.Add(40 * time.Minute), Location: berlin,
		Readings: []Reading{{At: start.Add(40 * time.Minute), EnergyWh: 7333, PowerW: &p}}}
	for _, c := range []struct {
		name string
		t    charging.Tariff
	}{
		{"energy", tariffOf(el(nil, pc(charging.DimensionEnergy, "0.30", "19", 1)))},
		{"three-elements", tariffOf(
			el(&charging.TariffRestrictions{StartTime: "08:00", EndTime: "20:00", MaxKWh: fptr(20)},
				pc(charging.DimensionEnergy, "0.45", "19", 1), pc(charging.DimensionTime, "1.20", "19", 60)),
			el(&charging.TariffRestrictions{MinKWh: fptr(20)}, pc(charging.DimensionEnergy, "0.35", "19", 1)),
			el(nil, pc(charging.DimensionEnergy, "0.39", "19", 100), pc(charging.DimensionParkingTime, "6.00", "19", 300),
				pc(charging.DimensionFlat, "0.50", "19", 0)))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Price(c.t, u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
