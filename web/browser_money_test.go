package web_test

import (
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// What charging costs, as drivers and operators see it (issue 14). Each
// check reads what is rendered (innerText, computed style), not the DOM's
// attributes.

// shownText is a JS expression for the rendered text of the first element
// matching sel ("" when it is missing or not displayed).
func shownText(sel string) string {
	return fmt.Sprintf(`(e => e && e.checkVisibility() ? e.innerText.trim() : "")(document.querySelector(%q))`, sel)
}

// topUp credits a user's wallet through the staff API.
func (s *stack) topUp(t *testing.T, userID, amount string) {
	t.Helper()
	body := map[string]string{"kind": "topup", "amount": amount, "currency": "EUR"}
	if st := s.call(t, "POST", "/api/v1/users/"+userID+"/wallet/entries", body, nil); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("top up %s with %s EUR: status = %d, want 201", userID, amount, st)
	}
}

// moneyTariff prices energy and charging time, so a running cost grows
// within a second of simulated charging (36 EUR/h is a cent a second).
var moneyTariff = map[string]any{
	"id": "std", "name": "Standard", "currency": "EUR",
	"elements": []map[string]any{{
		"priceComponents": []map[string]any{
			{"type": "ENERGY", "price": "0.30", "vat": "19", "stepSize": 1},
			{"type": "TIME", "price": "36.00", "vat": "19", "stepSize": 1},
		},
	}},
}

type sessionCost struct {
	Status string
	Cost   *struct {
		Currency, Total, Energy, Time, Tax string
		Final                              bool
	}
	Payment *struct{ Status, Captured, Refunded, ReceiptNumber string }
}

func TestBrowserMoney(t *testing.T) {
	exe := chromium(t)
	s := startNode(t)

	// CP-M charges at the Standard tariff; CP-F is free.
	s.charger(t, "CP-M", 2)
	s.charger(t, "CP-F", 1)
	s.setConnector(t, "CP-M", 1, "CCS2", 50000)
	s.setConnector(t, "CP-M", 2, "Type2", 11000)
	s.setConnector(t, "CP-F", 1, "Type2", 11000)
	if st := s.call(t, "POST", "/api/v1/tariffs", moneyTariff, nil); st != http.StatusCreated {
		t.Fatalf("POST /api/v1/tariffs: status = %d, want 201", st)
	}
	if st := s.call(t, "PATCH", "/api/v1/chargers/CP-M", map[string]string{"tariffId": "std"}, nil); st != http.StatusOK {
		t.Fatalf("PATCH /api/v1/chargers/CP-M tariffId: status = %d, want 200", st)
	}
	var price struct {
		Level string
		Quote *struct{ Text string }
	}
	if st := s.call(t, "GET", "/api/v1/chargers/CP-M/connectors/1/tariff", nil, &price); st != http.StatusOK || price.Quote == nil || price.Quote.Text == "" {
		t.Fatalf("GET CP-M/1 tariff: status = %d, quote %+v; want 200 with a quote", st, price.Quote)
	}

	danaID := s.addUser(t, "dana@example.com", "Dana Driver", "driver")
	s.addUser(t, "pete@example.com", "Pete Penniless", "driver")
	s.addUser(t, "olga@example.com", "Olga Operator", "operator")
	s.topUp(t, danaID, "50.00")

	b := startBrowser(t, exe, s.base)
	var sessionID, total string

	t.Run("PriceBeforeStart", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/chargers/CP-M", "dana@example.com", testPassword)
		tb.wait("the price of each connector", visible(`[data-price="1"]`)+` && `+visible(`[data-price="2"]`), 5*time.Second)
		for _, n := range []string{"1", "2"} {
			if got := eval[string](tb, shownText(`[data-price="`+n+`"]`)); !strings.Contains(got, price.Quote.Text) {
				t.Errorf("connector %s shows price %q, want the quote %q", n, got, price.Quote.Text)
			}
		}
		tb.screenshot("driver-price.png")

		tb.open("/chargers/CP-F")
		tb.wait("the free connector", visible(`[data-price="1"]`), 5*time.Second)
		if got := eval[string](tb, shownText(`[data-price="1"]`)); got != "Free" {
			t.Errorf("CP-F connector 1 shows %q, want Free", got)
		}
	})

	t.Run("RunningAndFinalCost", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/chargers/CP-M", "dana@example.com", testPassword)
		tb.wait("the charger page", `!!document.querySelector("#conn-1")`, 5*time.Second)
		tb.click("#conn-1")
		tb.click("#start")
		tb.wait("the live session", `location.pathname.startsWith("/sessions/") && `+textOf("h1")+` === "Charging"`, 10*time.Second)
		sessionID = strings.TrimPrefix(eval[string](tb, `location.pathname`), "/sessions/")

		tb.wait("a running cost above zero", visible(`[data-metric="cost"]`)+` && `+numOf(`[data-value="cost"]`)+` > 0`, 10*time.Second)
		first := eval[float64](tb, numOf(`[data-value="cost"]`))
		if note := eval[string](tb, shownText("#cost-note")); !strings.Contains(note, "Estimate") {
			t.Errorf("running cost note = %q, want it marked as an estimate", note)
		}
		if cur := eval[string](tb, shownText(`[data-value="cost"]`)); !strings.HasSuffix(cur, " EUR") {
			t.Errorf("running cost = %q, want an amount in EUR", cur)
		}
		tb.wait(fmt.Sprintf("the running cost growing past %.2f", first), numOf(`[data-value="cost"]`)+fmt.Sprintf(` > %v`, first), 10*time.Second)
		tb.screenshot("driver-running-cost.png")

		tb.click("#stop")
		tb.wait("the summary with the final cost and a receipt", visible("#summary")+` && `+visible("#cost-total")+` && `+visible("#receipt-link")+
			` && !document.querySelector("#cost-pending")`, 20*time.Second)
		var ses sessionCost
		s.call(t, "GET", "/api/v1/sessions/"+sessionID, nil, &ses)
		if ses.Cost == nil || !ses.Cost.Final || ses.Payment == nil || ses.Payment.Status != "captured" {
			t.Fatalf("session after stop: cost %+v payment %+v; want a final cost, captured", ses.Cost, ses.Payment)
		}
		total = ses.Cost.Total
		if got, want := eval[string](tb, shownText("#cost-total")), total+" EUR"; got != want {
			t.Errorf("summary total = %q, want %q", got, want)
		}
		// Energy and time are shown when they cost something (a short
		// session's energy may round to 0.00); VAT and the total always.
		for key, amount := range map[string]string{"energy": ses.Cost.Energy, "time": ses.Cost.Time, "tax": ses.Cost.Tax, "total": total} {
			want := amount + " EUR"
			if r, ok := new(big.Rat).SetString(amount); (key == "energy" || key == "time") && ok && r.Sign() == 0 {
				want = ""
			}
			if got := eval[string](tb, shownText(`#cost-breakdown [data-cost="`+key+`"]`)); got != want {
				t.Errorf("breakdown %s = %q, want %q (cost %+v)", key, got, want, ses.Cost)
			}
		}
		if r, _ := new(big.Rat).SetString(ses.Cost.Time); r == nil || r.Sign() <= 0 {
			t.Errorf("time cost = %q, want above zero after seconds at 36 EUR/h", ses.Cost.Time)
		}
		if st := eval[string](tb, shownText("#payment-state")); !strings.Contains(st, "Paid "+ses.Payment.Captured+" EUR") {
			t.Errorf("payment state = %q, want it paid %s EUR", st, ses.Payment.Captured)
		}
		link := eval[[]string](tb, `(a => [a.getAttribute("href"), a.target])(document.querySelector("#receipt-link"))`)
		if link[0] != "/api/v1/sessions/"+sessionID+"/receipt.html" || link[1] != "_blank" {
			t.Errorf("receipt link = %q target %q, want the receipt page in a new tab", link[0], link[1])
		}
		tb.fullScreenshot("driver-final-cost.png")

		// The receipt page (signed in by the cookie) shows the same total.
		tb.open(link[0])
		tb.wait("the receipt page", `document.body && document.body.innerText.includes(`+strconv.Quote(total)+`)`, 5*time.Second)
		var rc struct{ Number, Total, Currency string }
		if st := s.call(t, "GET", "/api/v1/sessions/"+sessionID+"/receipt", nil, &rc); st != http.StatusOK || rc.Total != total || rc.Number == "" {
			t.Errorf("GET receipt: status %d, total %q number %q; want 200, %q and a number", st, rc.Total, rc.Number, total)
		}
		if txt := tb.text(); !strings.Contains(txt, rc.Number) {
			t.Errorf("the receipt page lacks its number %q:\n%s", rc.Number, txt)
		}
		tb.screenshot("driver-receipt.png")

		// The history: the session's cost, and the totals spent.
		tb.open("/history")
		tb.wait("the history with the cost and totals", visible(`[data-cost="`+sessionID+`"]`)+` && `+visible(`[data-tile="spent"]`), 5*time.Second)
		if got := eval[string](tb, shownText(`[data-cost="`+sessionID+`"]`)); !strings.HasPrefix(got, total+" EUR") {
			t.Errorf("history cost = %q, want %s EUR", got, total)
		}
		if got := eval[string](tb, shownText(`[data-tile="spent"] .value`)); got != total+" EUR" {
			t.Errorf("history spent = %q, want %s EUR", got, total)
		}
		if !eval[bool](tb, visible("#export")) {
			t.Error("the history has no CSV export link")
		}

		// A fresh load of the session (a reload, the app reopened): the
		// final cost, the payment and the receipt link, from the server.
		tb.open("/sessions/" + sessionID)
		tb.wait("the finished session after a reload", visible("#cost-total")+` && `+visible("#receipt-link"), 10*time.Second)
		if got := eval[string](tb, shownText("#cost-total")); got != total+" EUR" {
			t.Errorf("after a reload the summary total = %q, want %s EUR", got, total)
		}
		if st := eval[string](tb, shownText("#payment-state")); !strings.Contains(st, "Paid "+total+" EUR") {
			t.Errorf("after a reload the payment state = %q, want it paid %s EUR", st, total)
		}
	})

	t.Run("NoBalance", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/chargers/CP-M", "pete@example.com", testPassword)
		tb.wait("the charger page", `!!document.querySelector("#conn-2")`, 5*time.Second)
		tb.click("#conn-2")
		tb.click("#start")
		tb.wait("the payment message", visible("#start-error")+` && `+shownText("#start-error")+`.includes("Payment needed")`, 10*time.Second)
		msg := eval[string](tb, shownText("#start-error"))
		if !strings.Contains(msg, "0.00 EUR") {
			t.Errorf("payment message = %q, want the API's detail (the balance 0.00 EUR)", msg)
		}
		if role := eval[string](tb, `document.querySelector("#start-error").getAttribute("role")`); role != "alert" {
			t.Errorf("payment message role = %q, want alert", role)
		}
		if p := eval[string](tb, `location.pathname`); p != "/chargers/CP-M" {
			t.Errorf("after a refused start the page is %s, want to stay on /chargers/CP-M", p)
		}
		if eval[bool](tb, usable("#start")) != true {
			t.Error("Start is not usable after the payment message")
		}
		tb.screenshot("driver-payment-needed.png")
	})

	if sessionID == "" {
		return
	}

	t.Run("Wallet", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/account", "dana@example.com", testPassword)
		tb.wait("the wallet", visible(`[data-wallet="available"]`)+` && document.querySelectorAll("#wallet-entries li[data-entry]").length > 0`, 5*time.Second)
		// 50.00 topped up, the session's total taken, nothing held.
		left, ok := new(big.Rat).SetString("50.00")
		paid, ok2 := new(big.Rat).SetString(total)
		if !ok || !ok2 {
			t.Fatalf("total %q is not a decimal", total)
		}
		want := left.Sub(left, paid).FloatString(2) + " EUR"
		if got := eval[string](tb, shownText(`[data-wallet="available"]`)); got != want {
			t.Errorf("wallet available = %q, want %s", got, want)
		}
		if got := eval[string](tb, shownText(`[data-wallet="held"]`)); got != "0.00 EUR" {
			t.Errorf("wallet held = %q, want 0.00 EUR", got)
		}
		if !eval[bool](tb, visible("#payment-method-id")) || !strings.Contains(eval[string](tb, shownText("#payment-method-id-hint")), "pm_card_visa") {
			t.Error("the add-card form or its test-id hint is not shown")
		}
		tb.fullScreenshot("driver-wallet.png")
	})

	t.Run("OperatorTariffsAndRefund", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/tariffs", "olga@example.com", testPassword)
		tb.wait("the tariff listed", visible(`#tariffs tr[data-tariff="std"]`), 5*time.Second)
		row := eval[string](tb, shownText(`#tariffs tr[data-tariff="std"]`))
		for _, want := range []string{"Standard", "0.30 EUR/kWh + 19 % VAT", "36.00 EUR/h charging", "CP-M"} {
			if !strings.Contains(row, want) {
				t.Errorf("tariff row lacks %q:\n%s", want, row)
			}
		}
		// A tariff in use cannot be deleted: the API's 409 is shown.
		tb.click(`#tariffs tr[data-tariff="std"] [data-delete]`)
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.click("#confirm-ok")
		tb.wait("the refusal", shownText("#tariffs-status")+`.includes("not deleted")`, 5*time.Second)
		tb.screenshot("operator-tariffs.png")

		// The session's cost, payment and receipt; a refund of a cent.
		tb.open("/operator/sessions/" + sessionID)
		tb.wait("the session's cost and payment", visible("#cost-total")+` && `+visible("#receipt-link")+` && `+visible("#refund-form"), 5*time.Second)
		if got := eval[string](tb, shownText("#cost-total")); got != total+" EUR" {
			t.Errorf("operator session total = %q, want %s EUR", got, total)
		}
		tb.typeInto("#refund-amount", "0.01")
		tb.typeInto("#refund-reason", "test refund")
		tb.click("#refund")
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.click("#confirm-ok")
		tb.wait("the refund done", shownText("#refund-status")+`.includes("Refunded 0.01 EUR")`, 10*time.Second)
		var ses sessionCost
		s.call(t, "GET", "/api/v1/sessions/"+sessionID, nil, &ses)
		if ses.Payment == nil || ses.Payment.Refunded != "0.01" {
			t.Errorf("payment after the refund = %+v, want 0.01 refunded", ses.Payment)
		}
		if got := eval[string](tb, shownText(`#session-payment [data-fact="refunded"]`)); got != "0.01 EUR" {
			t.Errorf("refunded shown = %q, want 0.01 EUR", got)
		}
		tb.fullScreenshot("operator-session-cost.png")
	})
}
