package ocpp15

import (
	"encoding/xml"
	"testing"
)

// TestMeterValuesAttributes decodes a 1.5 MeterValues body as a charger
// sends it: values are text with their kind in attributes.
func TestMeterValuesAttributes(t *testing.T) {
	const body = `<meterValuesRequest xmlns="urn://Ocpp/Cs/2012/06/">
  <connectorId>1</connectorId>
  <transactionId>42</transactionId>
  <values>
    <timestamp>2026-12-07T09:30:15Z</timestamp>
    <value unit="Wh">6379</value>
    <value measurand="Power.Active.Import" unit="W" context="Sample.Periodic">7208</value>
  </values>
</meterValuesRequest>`
	var m MeterValuesRequest
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate = %v, want nil", err)
	}
	if m.ConnectorID != 1 || m.TransactionID == nil || *m.TransactionID != 42 || len(m.Values) != 1 {
		t.Fatalf("got %+v, want connector 1, transaction 42, one MeterValue", m)
	}
	v := m.Values[0].Value
	if len(v) != 2 || v[0].Value != "6379" || v[0].Measurand != nil || *v[0].Unit != UnitOfMeasureWh ||
		v[1].Value != "7208" || *v[1].Measurand != MeasurandPowerActiveImport || *v[1].Context != ReadingContextSamplePeriodic {
		t.Errorf("values = %+v, want 6379 Wh and 7208 W Power.Active.Import", v)
	}

	bad := UnitOfMeasure("Percent") // 1.6 has it, 1.5 does not
	m.Values[0].Value[1].Unit = &bad
	if err, want := m.Validate(), `values[0].value[1].@unit: "Percent" is not one of the allowed values [`+genUnitOfMeasureAllowed+`]`; err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %s", err, want)
	}
}
