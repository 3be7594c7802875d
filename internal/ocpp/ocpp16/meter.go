package ocpp16

import (
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
)

// samples flattens 1.6 meterValue entries into domain samples in base units.
func samples(mvs []MeterValue) []charging.MeterSample {
	return ocppdomain.Samples(mvs, meterValue, sample)
}

func meterValue(mv MeterValue) (time.Time, []SampledValue) { return mv.Timestamp, mv.SampledValue }

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
	ocppdomain.SampleDefaults(&x)
	if x.Format == "" {
		x.Format = "Raw"
	}
	if x.Unit == "" {
		x.Unit = ocppdomain.NaturalUnit(x.Measurand) // "" if it has none
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(sv.Value), 64)
	if x.Format == "SignedData" || err != nil {
		x.Raw = sv.Value
		return x
	}
	x.Value, x.Unit = ocppdomain.BaseUnit(v, x.Unit)
	return x
}
