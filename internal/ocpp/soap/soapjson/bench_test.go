package soapjson

import (
	"context"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// The messages a busy SOAP charger sends most: a 1.5 MeterValues to JSON,
// and the simulator's 1.6 one back into 1.5.
func BenchmarkMeterValues15ToJSON(b *testing.B) {
	req := &ocpp15.MeterValuesRequest{ConnectorID: 1, TransactionID: ptr(42), Values: sampled15}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToJSON(context.Background(), req, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeterValues16FromJSON(b *testing.B) {
	payload := []byte(`{"connectorId":1,"transactionId":42,"meterValue":` + sampled16 + `}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := FromJSON(payload, new(ocpp15.MeterValuesRequest)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeterValues16SOAPFromJSON(b *testing.B) {
	payload := []byte(`{"connectorId":1,"transactionId":42,"meterValue":` + sampled16 + `}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := FromJSON(payload, new(ocpp16s.MeterValuesRequest)); err != nil {
			b.Fatal(err)
		}
	}
}
