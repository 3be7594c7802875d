package ocppdomain

import (
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Samples flattens meterValue entries (a timestamp and its sampledValues,
// which entry returns) into domain samples, each converted by sample and
// stamped with its entry's timestamp in UTC.
func Samples[MeterValue, SampledValue any](mvs []MeterValue, entry func(MeterValue) (time.Time, []SampledValue),
	sample func(SampledValue) charging.MeterSample) []charging.MeterSample {
	var out []charging.MeterSample
	for _, mv := range mvs {
		ts, svs := entry(mv)
		for _, sv := range svs {
			x := sample(sv)
			x.Timestamp = ts.UTC()
			out = append(out, x)
		}
	}
	return out
}

// SampleDefaults fills in what OCPP 1.6 (MeterValues.req) and 2.0.1
// (SampledValueType) both imply when a sampledValue leaves it out: measurand
// Energy.Active.Import.Register, context Sample.Periodic, location Outlet.
func SampleDefaults(x *charging.MeterSample) {
	if x.Measurand == "" {
		x.Measurand = charging.MeasurandEnergyActiveImportRegister
	}
	if x.Context == "" {
		x.Context = "Sample.Periodic"
	}
	if x.Location == "" {
		x.Location = "Outlet"
	}
}

// NaturalUnit is the unit a measurand is in when the charger sends none, or
// "" when both versions leave it open; each version decides the rest.
func NaturalUnit(measurand string) string {
	switch {
	case strings.HasPrefix(measurand, "Energy.Active"):
		return "Wh"
	case strings.HasPrefix(measurand, "Energy.Reactive"):
		return "varh"
	case strings.HasPrefix(measurand, "Power.Active"), measurand == "Power.Offered":
		return "W"
	case strings.HasPrefix(measurand, "Power.Reactive"):
		return "var"
	case strings.HasPrefix(measurand, "Current"):
		return "A"
	case measurand == "Voltage":
		return "V"
	case measurand == "SoC":
		return "Percent"
	case measurand == "Temperature":
		return "Celsius"
	}
	return ""
}

// BaseUnit converts a value in unit to the domain's base unit: kWh, kW,
// kvarh, kvar and kVA are scaled by 1000 to Wh, W, varh, var and VA, and the
// schemas' misspelling Celcius becomes Celsius. Other units pass unchanged.
func BaseUnit(v float64, unit string) (float64, string) {
	switch unit {
	case "kWh", "kW", "kvarh", "kvar", "kVA":
		return v * 1000, unit[1:] // kWh → Wh, kvar → var, kVA → VA
	case "Celcius":
		return v, "Celsius"
	}
	return v, unit
}
