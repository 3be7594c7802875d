package gateway

import (
	"context"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

func TestNegotiateOverride(t *testing.T) {
	g := New(nil, Options{},
		Protocol{Subprotocol: "ocpp2.0.1", Dialect: ocppj.Dialect201},
		Protocol{Subprotocol: "ocpp1.6", Dialect: ocppj.Dialect16})
	for _, tc := range []struct {
		name     string
		offers   []string
		override string
		want     string // "" means none
	}{
		{"no override, prefers 2.0.1", []string{"ocpp2.0.1", "ocpp1.6"}, "", "ocpp2.0.1"},
		{"no override, prefers 1.6", []string{"ocpp1.6", "ocpp2.0.1"}, "", "ocpp1.6"},
		{"override 1.6 over preference", []string{"ocpp2.0.1", "ocpp1.6"}, "ocpp1.6", "ocpp1.6"},
		{"override 2.0.1 over preference", []string{"ocpp1.6", "ocpp2.0.1"}, "ocpp2.0.1", "ocpp2.0.1"},
		{"override case-insensitive offer", []string{"ocpp2.0.1", " OCPP1.6 "}, "ocpp1.6", "ocpp1.6"},
		{"override not offered", []string{"ocpp2.0.1"}, "ocpp1.6", "ocpp2.0.1"},
		{"override Joule does not speak", []string{"ocpp2.1", "ocpp1.6"}, "ocpp2.1", "ocpp1.6"},
		{"unknown offers only", []string{"ocpp2.1", "ocpp1.5"}, "ocpp1.6", ""},
		{"no offers", nil, "ocpp2.0.1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := g.negotiate(tc.offers, tc.override)
			if got := p.Subprotocol; got != tc.want || ok != (tc.want != "") {
				t.Errorf("negotiate(%q, %q) = %q, %v; want %q", tc.offers, tc.override, got, ok, tc.want)
			}
		})
	}
}

// TestVersionPolicyOnlyWhenThereIsAChoice: the override (a store read) is
// looked up only when the charger offers more than one version Joule speaks.
func TestVersionPolicyOnlyWhenThereIsAChoice(t *testing.T) {
	lookups := 0
	g := New(nil, Options{VersionPolicy: func(context.Context, string) string { lookups++; return "ocpp1.6" }},
		Protocol{Subprotocol: "ocpp2.0.1", Dialect: ocppj.Dialect201},
		Protocol{Subprotocol: "ocpp1.6", Dialect: ocppj.Dialect16})
	if p, _ := g.negotiateFor(context.Background(), "CP-1", []string{"ocpp2.0.1", "ocpp2.1"}, charging.Admitted{}); p.Subprotocol != "ocpp2.0.1" || lookups != 0 {
		t.Errorf("one common version: %q after %d lookups, want ocpp2.0.1 and none", p.Subprotocol, lookups)
	}
	if p, _ := g.negotiateFor(context.Background(), "CP-1", []string{"ocpp2.0.1", "ocpp1.6"}, charging.Admitted{}); p.Subprotocol != "ocpp1.6" || lookups != 1 {
		t.Errorf("two common versions: %q after %d lookups, want the override ocpp1.6 after one", p.Subprotocol, lookups)
	}
}

// TestAdmittedOverrideReplacesVersionPolicy: with an Admitter, the override
// comes with the admission and the VersionPolicy is never consulted.
func TestAdmittedOverrideReplacesVersionPolicy(t *testing.T) {
	lookups := 0
	g := New(nil, Options{
		VersionPolicy: func(context.Context, string) string { lookups++; return "ocpp2.0.1" },
		Admitter: admitFunc(func(context.Context, charging.ConnectAttempt) (charging.Admitted, error) {
			return charging.Admitted{}, nil
		}),
	},
		Protocol{Subprotocol: "ocpp2.0.1", Dialect: ocppj.Dialect201},
		Protocol{Subprotocol: "ocpp1.6", Dialect: ocppj.Dialect16})
	p, _ := g.negotiateFor(context.Background(), "CP-1", []string{"ocpp2.0.1", "ocpp1.6"}, charging.Admitted{OCPPVersionOverride: "ocpp1.6"})
	if p.Subprotocol != "ocpp1.6" || lookups != 0 {
		t.Errorf("negotiateFor = %q after %d policy lookups, want ocpp1.6 (the admitted override) after none", p.Subprotocol, lookups)
	}
}
