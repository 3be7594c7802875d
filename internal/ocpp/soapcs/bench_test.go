package soapcs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// BenchmarkReset is one typed command to a SOAP charger over loopback
// HTTP: the 1.6 request to the typed body, the envelope, the exchange, and
// the answer back to the domain.
func BenchmarkReset(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, err := soap.ReadRequest(r, 0)
		if err != nil {
			b.Error(err)
			return
		}
		_ = soap.WriteResponse(w, msg.Reply(&ocpp16s.ResetResponse{Status: "Accepted"}))
	}))
	defer srv.Close()
	st := ocpp16.NewStation("CP-B", NewCaller(soap.V16, "CP-B", srv.URL, CallerOptions{}), noEvents{}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if s, err := st.Reset(ctx, true); err != nil || s != "Accepted" {
			b.Fatal(s, err)
		}
	}
}

// meterEvents answers a benchmark charger's messages: it is admitted and
// its meter values are taken.
type meterEvents struct{ presenceEvents }

func (e *meterEvents) MeterValues(ctx context.Context, id string, r charging.MeterReport) error {
	if len(r.Samples) != 10 {
		return fmt.Errorf("%d samples, want 10", len(r.Samples))
	}
	return nil
}

// BenchmarkInboundMeterValues is one 1.6 SOAP MeterValues (ten sampled
// values) posted to the central-system service over loopback HTTP: read,
// checked against the WSDL, converted to the 1.6 JSON, handled by the
// 1.6 adapter, answered. 1.5 adds its mapping of values with attributes.
func BenchmarkInboundMeterValues(b *testing.B) {
	for _, v := range []soap.Version{soap.V16, soap.V15} {
		b.Run(string(v), func(b *testing.B) {
			srv := httptest.NewServer(NewServer(Options{Events: &meterEvents{}}))
			defer srv.Close()
			ctx := context.Background()
			tx := 7
			var body any
			if v == soap.V16 {
				mv := ocpp16s.MeterValue{Timestamp: time.Now().UTC()}
				for i := range 10 {
					m := ocpp16s.MeasurandEnergyActiveImportRegister
					mv.SampledValue = append(mv.SampledValue, ocpp16s.SampledValue{Value: strconv.Itoa(1000 + i), Measurand: &m})
				}
				body = &ocpp16s.MeterValuesRequest{ConnectorID: 1, TransactionID: &tx, MeterValue: []ocpp16s.MeterValue{mv}}
			} else {
				mv := ocpp15.MeterValue{Timestamp: time.Now().UTC()}
				for i := range 10 {
					m := ocpp15.MeasurandEnergyActiveImportRegister
					mv.Value = append(mv.Value, ocpp15.MeterValueValue{Value: strconv.Itoa(1000 + i), Measurand: &m})
				}
				body = &ocpp15.MeterValuesRequest{ConnectorID: 1, TransactionID: &tx, Values: []ocpp15.MeterValue{mv}}
			}
			c := soap.Client{}
			req := soap.Request{Namespace: soap.Namespace(v, soap.CentralSystem), Operation: "MeterValues",
				ChargeBoxIdentity: "CP-M", To: srv.URL, Body: body}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Call(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
