package gateway

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

func TestNegotiate(t *testing.T) {
	g := New(nil, Options{},
		Protocol{Subprotocol: "ocpp1.6", Dialect: ocppj.Dialect16},
		Protocol{Subprotocol: "ocpp2.0.1", Dialect: ocppj.Dialect201})
	for _, tc := range []struct {
		name   string
		offers []string
		want   string // "" means none
	}{
		{"1.6 only", []string{"ocpp1.6"}, "ocpp1.6"},
		{"charger prefers 2.0.1", []string{"ocpp2.0.1", "ocpp1.6"}, "ocpp2.0.1"},
		{"charger prefers 1.6", []string{"ocpp1.6", "ocpp2.0.1"}, "ocpp1.6"},
		{"unknown first", []string{"ocpp2.1", "ocpp1.5", "ocpp1.6"}, "ocpp1.6"},
		{"case and spaces", []string{" OCPP1.6 "}, "ocpp1.6"},
		{"nothing known", []string{"ocpp1.5", "mqtt"}, ""},
		{"no offer", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := g.Negotiate(tc.offers)
			if got := p.Subprotocol; got != tc.want || ok != (tc.want != "") {
				t.Errorf("Negotiate(%q) = %q, %v; want %q", tc.offers, got, ok, tc.want)
			}
		})
	}
}
