package ocpp16

import (
	"encoding/json"
	"testing"
)

// benchMeterValues is one meterValue with 5 sampledValues (~600 bytes), the
// most frequent message a CSMS receives.
const benchMeterValues = `{"connectorId":1,"transactionId":1337,"meterValue":[{"timestamp":"2024-05-01T12:00:00.123Z","sampledValue":[` +
	`{"value":"12345.6","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"kWh"},` +
	`{"value":"7360","context":"Sample.Periodic","measurand":"Power.Active.Import","location":"Outlet","unit":"W"},` +
	`{"value":"31.9","context":"Sample.Periodic","measurand":"Current.Import","phase":"L1","location":"Outlet","unit":"A"},` +
	`{"value":"230.1","context":"Sample.Periodic","measurand":"Voltage","phase":"L1-N","location":"Outlet","unit":"V"},` +
	`{"value":"67","context":"Sample.Periodic","format":"Raw","measurand":"SoC","location":"EV","unit":"Percent"}]}]}`

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

// BenchmarkDecodeMeterValuesStdlib is the reference point: encoding/json
// into the same struct, without any schema validation.
func BenchmarkDecodeMeterValuesStdlib(b *testing.B) {
	payload := []byte(benchMeterValues)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		var m MeterValuesRequest
		if err := json.Unmarshal(payload, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMeterValues(b *testing.B) {
	m, verr := DecodeMeterValuesRequest([]byte(benchMeterValues))
	if verr != nil {
		b.Fatal(verr.Description)
	}
	b.ReportAllocs()
	for b.Loop() {
		if verr := m.Validate(); verr != nil {
			b.Fatal(verr.Description)
		}
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}
