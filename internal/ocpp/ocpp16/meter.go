package ocpp16

import (
	"strconv"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// samples flattens 1.6 meterValue entries into domain samples in base units.
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

// sample converts one sampledValue. OCPP 1.6 MeterValues.req: a
// sampledValue without measurand is Energy.Active.Import.Register, without
// unit it is in Wh (or the measurand's natural unit), without context
// Sample.Periodic, without location Outlet, without format Raw. A value that
// is signed data or not a number is kept in Raw, never dropped.
func sample(sv SampledValue) charging.MeterSample {
	x := charging.MeterSample{
		Measurand: string(deref(sv.Measurand)),
		Phase:     string(deref(sv.Phase)),
		Location:  string(deref(sv.Location)),
		Context:   string(deref(sv.Context)),
		Format:    string(deref(sv.Format)),
		Unit:      string(deref(sv.Unit)),
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
	if x.Format == "" {
		x.Format = "Raw"
	}
	if x.Unit == "" {
		x.Unit = defaultUnit(x.Measurand)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(sv.Value), 64)
	if x.Format == "SignedData" || err != nil {
		x.Raw = sv.Value
		return x
	}
	switch x.Unit {
	case "kWh", "kW", "kvarh", "kvar", "kVA":
		v *= 1000
		x.Unit = x.Unit[1:] // kWh → Wh, kvar → var, kVA → VA
	case "Celcius": // the 1.6 schema's misspelling
		x.Unit = "Celsius"
	}
	x.Value = v
	return x
}

// defaultUnit is a measurand's unit when the charger sends none.
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
	}
	return ""
}
