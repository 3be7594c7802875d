package node_test

import (
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/payment/stripetest"
	"github.com/joule-ev/joule/internal/sim"
)

// Issue 14, end to end: a simulated charger on a priced connector, drivers
// paying by card (Stripe, through stripe-mock) and from their wallet. The
// captured amount is the session's final cost is the receipt's total; a
// declined card and an empty wallet cannot start.
func TestPaidSessions(t *testing.T) {
	for _, version := range []string{sim.OCPP16, sim.OCPP201} {
		t.Run(version, func(t *testing.T) { paidSessions(t, version) })
	}
}

func paidSessions(t *testing.T, version string) {
	stripe := stripetest.NewProxy(t) // skips without stripe-mock
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second, StripeKey: "sk_test_joule123", StripeURL: stripe.URL,
		PaymentHold: "20.00", Seller: charging.Seller{Name: "Joule Charging GmbH", VATID: "DE123456789"}})
	api := n.Base + "/api/v1"
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-1", Connectors: 2, MaxPowerW: 50000, OCPPVersion: version,
		// A car that takes the outlet's 50 kW, so the test is quick.
		Vehicle: sim.Vehicle{CapacityWh: 60000, SoCPercent: 30, MaxA: 80, Phases: 3}})

	// The operator prices the charger: 0.30 EUR/kWh + 19 % VAT.
	if code, _ := call(t, http.MethodPost, api+"/tariffs", map[string]any{"id": "STD", "currency": "EUR", "elements": []any{
		map[string]any{"priceComponents": []any{map[string]any{"type": "ENERGY", "price": "0.30", "vat": "19", "stepSize": 1}}}}}, nil); code != http.StatusCreated {
		t.Fatalf("POST /tariffs = %d, want 201", code)
	}
	eventually(t, 5*time.Second, "CP-1 registered", func() bool {
		code, _ := call(t, http.MethodGet, api+"/chargers/CP-1", nil, nil)
		return code == http.StatusOK
	})
	if code, _ := call(t, http.MethodPatch, api+"/chargers/CP-1", map[string]any{"tariffId": "STD"}, nil); code != http.StatusOK {
		t.Fatalf("PATCH charger tariff = %d", code)
	}

	card := signup(t, api, "card@example.com")
	declined := signup(t, api, "declined@example.com")
	wallet := signup(t, api, "wallet@example.com")
	broke := signup(t, api, "broke@example.com")

	// The price before starting.
	var at charging.TariffAt
	call(t, http.MethodGet, api+"/chargers/CP-1/connectors/1/tariff", nil, &at, card.auth()...)
	if at.Tariff == nil || at.Tariff.ID != "STD" || at.Quote == nil || at.Quote.EnergyPrice != "0.3570" || !strings.Contains(at.Quote.Text, "0.36 EUR/kWh") {
		t.Fatalf("price at connector 1 = %+v (quote %+v), want STD at 0.3570 EUR/kWh incl. VAT", at.Tariff, at.Quote)
	}

	// Cards: one that authorizes, one the bank declines.
	for _, c := range []struct {
		who person
		pm  string
	}{{card, "pm_card_visa"}, {declined, "pm_decline"}} {
		if code, _ := call(t, http.MethodPost, api+"/me/payment-methods", map[string]any{"paymentMethodId": c.pm}, nil, c.who.auth()...); code != http.StatusCreated {
			t.Fatalf("save card %s for %s = %d, want 201", c.pm, c.who.Email, code)
		}
	}
	// The wallet driver is topped up by the operator.
	if code, _ := call(t, http.MethodPost, api+"/users/"+wallet.ID+"/wallet/entries", map[string]any{"kind": "topup", "amount": "50.00", "currency": "EUR"}, nil); code != http.StatusCreated {
		t.Fatalf("top up = %d, want 201", code)
	}

	// A declined card and an empty wallet cannot start: 402, nothing sent.
	for _, who := range []person{declined, broke} {
		var p problem
		code, _ := call(t, http.MethodPost, api+"/chargers/CP-1/connectors/1/start", map[string]any{}, &p, who.auth()...)
		if code != http.StatusPaymentRequired || p.Status != http.StatusPaymentRequired {
			t.Fatalf("start by %s = %d %+v, want 402", who.Email, code, p)
		}
		if who == declined && !strings.Contains(p.Detail, "declined") || who == broke && !strings.Contains(p.Detail, "20.00") {
			t.Errorf("refusal for %s: %q", who.Email, p.Detail)
		}
	}
	var none page[charging.Session]
	call(t, http.MethodGet, api+"/sessions", nil, &none)
	if len(none.Items) != 0 {
		t.Fatalf("refused starts left %d sessions", len(none.Items))
	}

	// The card driver on connector 1, the wallet driver on connector 2.
	paid := map[string]person{}
	connectorOf := map[string]int{}
	for i, who := range []person{card, wallet} {
		var s charging.Session
		code, _ := call(t, http.MethodPost, fmt.Sprintf("%s/chargers/CP-1/connectors/%d/start", api, i+1), map[string]any{}, &s, who.auth()...)
		if code != http.StatusAccepted {
			t.Fatalf("start by %s = %d, want 202", who.Email, code)
		}
		wantProvider := map[bool]string{true: "stripe", false: "wallet"}[who == card]
		if s.TariffID != "STD" || s.Payment == nil || s.Payment.Provider != wantProvider || s.Payment.Status != charging.PaymentAuthorized || s.Payment.Authorized != "20.00" {
			t.Fatalf("session of %s: tariff %q payment %+v, want STD with 20.00 authorized by %s", who.Email, s.TariffID, s.Payment, wantProvider)
		}
		paid[s.ID] = who
		connectorOf[s.ID] = i + 1
	}
	get := func(id string, who person) charging.Session {
		t.Helper()
		var s charging.Session
		if code, _ := call(t, http.MethodGet, api+"/sessions/"+id, nil, &s, who.auth()...); code != http.StatusOK {
			t.Fatalf("GET session %s as %s = %d", id, who.Email, code)
		}
		return s
	}
	// The running cost follows the meter.
	for id, who := range paid {
		eventually(t, 15*time.Second, "a running cost for "+who.Email, func() bool {
			s := get(id, who)
			return s.Status == charging.SessionActive && s.Cost != nil && !s.Cost.Final && s.Cost.Total != "0.00" && s.EnergyWh >= 50
		})
		if code, _ := call(t, http.MethodPost, api+"/sessions/"+id+"/stop", nil, nil, who.auth()...); code != http.StatusAccepted {
			t.Fatalf("stop %s = %d", id, code)
		}
	}
	for id, who := range paid {
		var s charging.Session
		eventually(t, 15*time.Second, "the payment of "+who.Email+" captured", func() bool {
			s = get(id, who)
			return s.Status == charging.SessionFinished && s.Payment != nil && s.Payment.Status == charging.PaymentCaptured
		})
		// The final cost is the energy at 0.30 EUR/kWh plus 19 % VAT,
		// each rounded to the cent.
		net := charging.DecimalFromRat(new(big.Rat).Mul(big.NewRat(int64(s.EnergyWh), 1000), big.NewRat(30, 100)), 2)
		tax := charging.DecimalFromRat(new(big.Rat).Mul(net.Rat(), big.NewRat(19, 100)), 2)
		total := charging.DecimalFromRat(new(big.Rat).Add(net.Rat(), tax.Rat()), 2)
		c := s.Cost
		if !c.Final || c.TotalExclVat != string(net) || c.Tax != string(tax) || c.Total != string(total) || s.Payment.Captured != c.Total {
			t.Fatalf("%s: %v Wh cost %+v captured %s; want %s + %s VAT = %s, all captured", who.Email, s.EnergyWh, c, s.Payment.Captured, net, tax, total)
		}
		var rc charging.Receipt
		if code, _ := call(t, http.MethodGet, api+"/sessions/"+id+"/receipt", nil, &rc, who.auth()...); code != http.StatusOK {
			t.Fatalf("receipt of %s = %d", id, code)
		}
		if rc.Total != total || rc.Paid != total || rc.VATRate != "19" || rc.Tax != tax || rc.Seller.VATID != "DE123456789" || rc.Buyer.Email != who.Email || !strings.HasPrefix(rc.Number, "R-") {
			t.Fatalf("receipt = %+v, want total and paid %s for %s", rc, total, who.Email)
		}
		if version == sim.OCPP201 {
			// The charger was told the final cost in the Ended answer.
			want, _ := total.Rat().Float64()
			if got := cp.State(connectorOf[id]).Cost; got != want {
				t.Errorf("the 2.0.1 charger's connector %d shows cost %v, want the final %v", connectorOf[id], got, want)
			}
		}
		if who == card {
			// What Stripe was asked to capture is the receipt's total, in cents.
			caps := 0
			for _, r := range stripe.Requests("") {
				if strings.HasSuffix(r.Path, "/capture") {
					caps++
					if got, _ := strconv.ParseInt(r.Form.Get("amount_to_capture"), 10, 64); got != charging.RoundMinorUnits(total, "EUR") {
						t.Errorf("Stripe capture amount_to_capture = %s, want %d (the receipt's %s EUR)", r.Form.Get("amount_to_capture"), charging.RoundMinorUnits(total, "EUR"), total)
					}
				}
			}
			if caps != 1 {
				t.Errorf("Stripe captures = %d, want 1", caps)
			}
		} else {
			var w struct{ Balance, Held string }
			call(t, http.MethodGet, api+"/me/wallet?currency=EUR", nil, &w, who.auth()...)
			left := charging.DecimalFromRat(new(big.Rat).Sub(big.NewRat(50, 1), total.Rat()), 2)
			if w.Balance != string(left) || w.Held != "0.00" {
				t.Fatalf("wallet after paying %s = %+v, want balance %s, nothing held", total, w, left)
			}
		}
		// The printable receipt says the same.
		res, err := http.NewRequest(http.MethodGet, api+"/sessions/"+id+"/receipt.html", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Header.Set("Authorization", "Bearer "+who.Token)
		resp, err := http.DefaultClient.Do(res)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(raw)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, string(total)+" EUR") || !strings.Contains(body, rc.Number) {
			t.Fatalf("receipt.html = %d, want the total %s and number %s", resp.StatusCode, total, rc.Number)
		}
	}
}
