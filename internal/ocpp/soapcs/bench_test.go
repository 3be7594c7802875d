package soapcs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/soap"
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
