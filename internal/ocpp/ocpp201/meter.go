package ocpp201

import (
	"math"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// samples flattens 2.0.1 meterValue entries into domain samples in base units.
func samples(mvs []MeterValue) []charging.MeterSample {
	var out []charging.MeterSample
	for _, mv := range mvs {
		for _, sv := range mv.SampledValue {
			x := sample(sv)
			x.Timestamp = mv.Timestamp.UTC()
			out = append(out, x)
		}
	}
	return out
}

// sample converts one sampledValue. OCPP 2.0.1 SampledValueType: without
// measurand it is Energy.Active.Import.Register, without context
// Sample.Periodic, without location Outlet; UnitOfMeasureType's unit
// defaults to Wh and its multiplier (a power of ten) to 0. Signed meter
// data is kept in Raw next to the value.
func sample(sv SampledValue) charging.MeterSample {
	x := charging.MeterSample{
		Measurand: string(deref(sv.Measurand)),
		Phase:     string(deref(sv.Phase)),
		Location:  string(deref(sv.Location)),
		Context:   string(deref(sv.Context)),
		Format:    "Raw",
	}
	if x.Measurand == "" {
		x.Measurand = charging.MeasurandEnergyActiveImportRegister
	}
	if x.Context == "" {
		x.Context = "Sample.Periodic"
	}
	if x.Location == "" {
		x.Location = "Outlet"
	}
	v := sv.Value
	if u := sv.UnitOfMeasure; u != nil {
		x.Unit = deref(u.Unit)
		if m := deref(u.Multiplier); m != 0 {
			v *= math.Pow10(m)
		}
	}
	if x.Unit == "" {
		x.Unit = defaultUnit(x.Measurand)
	}
	switch x.Unit {
	case "kWh", "kW", "kvarh", "kvar", "kVA":
		v *= 1000
		x.Unit = x.Unit[1:] // kWh → Wh, kvar → var, kVA → VA
	case "Celcius":
		x.Unit = "Celsius"
	}
	x.Value = v
	if sm := sv.SignedMeterValue; sm != nil {
		x.Format = "SignedData"
		x.Raw = sm.SignedMeterData
	}
	return x
}

// defaultUnit is a measurand's unit when the station sends none. 2.0.1
// says Wh; for measurands that are not energy the natural unit is meant.
func defaultUnit(measurand string) string {
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
	case measurand == "Frequency":
		return "Hz"
	}
	return "Wh"
}
