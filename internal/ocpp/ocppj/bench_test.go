package ocppj_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// meterValues is a typical OCPP 1.6 MeterValues.req CALL (about 600 bytes):
// energy, power, current and voltage of one sample.
var meterValues = []byte(`[2,"a1f3c0de-000123","MeterValues",{"connectorId":1,"transactionId":8231,"meterValue":[{"timestamp":"2025-03-14T09:26:53.589Z","sampledValue":[` +
	`{"value":"123456.7","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"},` +
	`{"value":"7208.4","context":"Sample.Periodic","format":"Raw","measurand":"Power.Active.Import","location":"Outlet","unit":"W"},` +
	`{"value":"31.2","context":"Sample.Periodic","format":"Raw","measurand":"Current.Import","phase":"L1","location":"Outlet","unit":"A"},` +
	`{"value":"231.0","context":"Sample.Periodic","format":"Raw","measurand":"Voltage","phase":"L1-N","location":"Outlet","unit":"V"}]}]}]`)

func BenchmarkParseFrame(b *testing.B) {
	if _, _, err := ocppj.ParseFrame(meterValues); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(meterValues)))
	b.ReportAllocs()
	for b.Loop() {
		ocppj.ParseFrame(meterValues)
	}
}

// BenchmarkParseFrameEncodingJSON is the baseline ParseFrame replaces:
// json.Unmarshal into []json.RawMessage plus decoding id and action.
func BenchmarkParseFrameEncodingJSON(b *testing.B) {
	b.SetBytes(int64(len(meterValues)))
	b.ReportAllocs()
	for b.Loop() {
		var els []json.RawMessage
		if err := json.Unmarshal(meterValues, &els); err != nil {
			b.Fatal(err)
		}
		var id, action string
		json.Unmarshal(els[1], &id)
		json.Unmarshal(els[2], &action)
	}
}

func BenchmarkAppendCallResult(b *testing.B) {
	payload := []byte(`{"status":"Accepted","currentTime":"2025-03-14T09:26:53.589Z","interval":300}`)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = ocppj.AppendCallResult(buf[:0], "a1f3c0de-000123", payload)
	}
}

// BenchmarkCallRoundTrip measures one Call answered by an ocppj Handler over
// a loopback WebSocket.
func BenchmarkCallRoundTrip(b *testing.B) {
	srv := startBenchServer(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, _, err := ocppj.Dial(ctx, srv, []string{"ocpp1.6"}, nil, ocppj.Options{})
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- client.Serve(ctx) }()
	payload := json.RawMessage(`{"connectorId":1,"idTag":"TAG-1","meterStart":0,"timestamp":"2025-03-14T09:26:53.589Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Call(ctx, "StartTransaction", payload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cancel()
	<-served
}
