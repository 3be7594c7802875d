package ocpp201

import (
	"math"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
)

// samples flattens 2.0.1 meterValue entries into domain samples in base units.
func samples(mvs []MeterValue) []charging.MeterSample {
	return ocppdomain.Samples(mvs, meterValue, sample)
}

func meterValue(mv MeterValue) (time.Time, []SampledValue) { return mv.Timestamp, mv.SampledValue }

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
	ocppdomain.SampleDefaults(&x)
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
	x.Value, x.Unit = ocppdomain.BaseUnit(v, x.Unit)
	if sm := sv.SignedMeterValue; sm != nil {
		x.Format = "SignedData"
		x.Raw = sm.SignedMeterData
	}
	return x
}

// defaultUnit is a measurand's unit when the station sends none. 2.0.1
// says Wh; for measurands that are not energy the natural unit is meant.
func defaultUnit(measurand string) string {
	if u := ocppdomain.NaturalUnit(measurand); u != "" {
		return u
	}
	if measurand == "Frequency" {
		return "Hz"
	}
	return "Wh"
}
