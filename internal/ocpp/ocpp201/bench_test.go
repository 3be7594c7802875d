package ocpp201

import "testing"

// benchMeterValues is one meterValue with 5 sampledValues.
const benchMeterValues = `{"evseId":1,"meterValue":[{"timestamp":"2024-05-01T12:00:00.123Z","sampledValue":[` +
	`{"value":12345.6,"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unitOfMeasure":{"unit":"kWh"}},` +
	`{"value":7360,"context":"Sample.Periodic","measurand":"Power.Active.Import","location":"Outlet","unitOfMeasure":{"unit":"W"}},` +
	`{"value":31.9,"context":"Sample.Periodic","measurand":"Current.Import","phase":"L1","location":"Outlet","unitOfMeasure":{"unit":"A"}},` +
	`{"value":230.1,"context":"Sample.Periodic","measurand":"Voltage","phase":"L1-N","location":"Outlet","unitOfMeasure":{"unit":"V"}},` +
	`{"value":67,"context":"Sample.Periodic","measurand":"SoC","location":"EV","unitOfMeasure":{"unit":"Percent"}}]}]}`

func BenchmarkDecodeMeterValues(b *testing.B) {
	payload := []byte(benchMeterValues)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest("MeterValues", payload); err != nil {
			b.Fatal(err.Description)
		}
	}
}
