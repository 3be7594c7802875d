package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// paidSession adds a finished session of owner with a captured payment and
// its receipt to the fake service.
func (e *testEnv) paidSession(id, owner string) {
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	stop := at.Add(40 * time.Minute)
	e.svc.mu.Lock()
	defer e.svc.mu.Unlock()
	e.svc.sessions[id] = charging.Session{ID: id, ChargerID: "CP-1", ConnectorID: 1, OwnerID: owner, Status: charging.SessionFinished,
		Origin: charging.OriginRemote, CreatedAt: at, UpdatedAt: stop, StartedAt: &at, StoppedAt: &stop, EnergyWh: 6379, TariffID: "STD",
		Cost: &charging.Cost{Currency: "EUR", Total: "1.91", TotalExclVat: "1.91", Energy: "1.91", Time: "0.00", Idle: "0.00", Flat: "0.00",
			Tax: "0.00", EnergyWh: 6379, TariffID: "STD", Final: true, ComputedAt: stop},
		Payment: &charging.Payment{Provider: "wallet", Status: charging.PaymentCaptured, Currency: "EUR", Authorized: "30.00",
			Captured: "1.91", Reference: "wallet-" + id, ReceiptNumber: "R-2026-000007", UpdatedAt: stop}}
	if e.svc.receipts == nil {
		e.svc.receipts = map[string]charging.Receipt{}
	}
	e.svc.receipts[id] = charging.Receipt{Number: "R-2026-000007", IssuedAt: stop, SessionID: id,
		Seller: charging.Seller{Name: "Joule <Charging> GmbH", Address: "Hauptstraße 1, 10115 Berlin", VATID: "DE123456789"},
		Buyer:  charging.ReceiptBuyer{UserID: owner, Name: "Dana", Email: "dana@example.com"}, ChargerID: "CP-1", ConnectorID: 1,
		StartedAt: &at, StoppedAt: &stop, EnergyWh: 6379, TariffID: "STD", Currency: "EUR",
		Lines:        []charging.ReceiptLine{{Dimension: charging.DimensionEnergy, Description: "Energy", Quantity: "6.379", Unit: "kWh", Amount: "1.91"}},
		TotalExclVat: "1.91", Tax: "0.00", Total: "1.91", Paid: "1.91", PaymentProvider: "wallet"}
}

func TestReceipts(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	dana, danaAuth := e.signupDriver(t, "dana@example.com")
	_, otherAuth := e.signupDriver(t, "olaf@example.com")
	e.paidSession("S-1", dana)

	var rc charging.Receipt
	want(t, e.do(t, "GET", "/api/v1/sessions/S-1/receipt", "", danaAuth...), http.StatusOK, &rc)
	if rc.Number != "R-2026-000007" || rc.Total != "1.91" || rc.Lines[0].Quantity != "6.379" {
		t.Fatalf("receipt = %+v", rc)
	}
	// Another driver's receipt does not exist for them; staff see it.
	want(t, e.do(t, "GET", "/api/v1/sessions/S-1/receipt", "", otherAuth...), http.StatusNotFound, nil)
	want(t, e.do(t, "GET", "/api/v1/sessions/S-1/receipt.html", "", otherAuth...), http.StatusNotFound, nil)
	want(t, e.do(t, "GET", "/api/v1/sessions/S-1/receipt", ""), http.StatusOK, nil)

	// The printable page: the number, the total, the seller escaped.
	res := e.do(t, "GET", "/api/v1/sessions/S-1/receipt.html", "", danaAuth...)
	body, _ := io.ReadAll(res.Body)
	page := string(body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("receipt.html: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, s := range []string{"R-2026-000007", "1.91 EUR", "6.379 kWh", "Joule &lt;Charging&gt; GmbH", "VAT ID DE123456789", "dana@example.com"} {
		if !strings.Contains(page, s) {
			t.Errorf("receipt.html lacks %q", s)
		}
	}
	if strings.Contains(page, "<Charging>") {
		t.Error("receipt.html did not escape the seller's name")
	}

	// An unpaid session has no receipt yet.
	e.svc.mu.Lock()
	e.svc.sessions["S-2"] = charging.Session{ID: "S-2", ChargerID: "CP-1", OwnerID: dana, Status: charging.SessionActive}
	e.svc.mu.Unlock()
	var p struct{ Code, Detail string }
	want(t, e.do(t, "GET", "/api/v1/sessions/S-2/receipt", "", danaAuth...), http.StatusNotFound, &p)
	if !strings.Contains(p.Detail, "not paid yet") {
		t.Errorf("no receipt yet: %+v", p)
	}
}

func TestSessionTotals(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	dana, danaAuth := e.signupDriver(t, "dana@example.com")
	var tot charging.SessionTotals
	want(t, e.do(t, "GET", "/api/v1/stats/sessions?from=2026-01-01T00:00:00Z&ownerId=someone-else", "", danaAuth...), http.StatusOK, &tot)
	if q := e.svc.totalsQuery; q == nil || q.OwnerID != dana || q.CreatedFrom.IsZero() {
		t.Fatalf("a driver's totals query = %+v, want their own sessions from 2026-01-01", q)
	}
	if tot.Sessions != 2 || tot.Costs[0].Amount != "3.82" {
		t.Fatalf("totals = %+v", tot)
	}
	want(t, e.do(t, "GET", "/api/v1/stats/sessions?ownerId=U-9", ""), http.StatusOK, nil)
	if q := e.svc.totalsQuery; q.OwnerID != "U-9" {
		t.Fatalf("staff totals for U-9: query %+v", q)
	}
	want(t, e.do(t, "GET", "/api/v1/stats/sessions?frm=2026-01-01", ""), http.StatusBadRequest, nil)
}

func TestRefundSession(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	dana, danaAuth := e.signupDriver(t, "dana@example.com")
	e.paidSession("S-1", dana)
	// A driver cannot refund, not even their own session.
	want(t, e.do(t, "POST", "/api/v1/sessions/S-1/refund", `{"amount":"1.00"}`, danaAuth...), http.StatusForbidden, nil)
	if e.svc.refund != nil {
		t.Fatal("a driver's refund reached the service")
	}
	var p struct{ Detail string }
	want(t, e.do(t, "POST", "/api/v1/sessions/S-1/refund", `{"amount":"1,00"}`), http.StatusBadRequest, &p)
	if !strings.Contains(p.Detail, "decimal") {
		t.Errorf("a bad amount: %+v, want a message about decimals", p)
	}
	want(t, e.do(t, "POST", "/api/v1/sessions/S-1/refund", `{"amount":"1.00","why":"x"}`), http.StatusBadRequest, nil)
	var s charging.Session
	want(t, e.do(t, "POST", "/api/v1/sessions/S-1/refund", `{"amount":"1.00","reason":" slow "}`), http.StatusOK, &s)
	if s.Payment.Status != charging.PaymentRefunded || strings.Join(e.svc.refund, "|") != "S-1|1.00|slow" {
		t.Fatalf("refund: session %+v, call %v", s.Payment, e.svc.refund)
	}
	e.svc.err["RefundSession"] = charging.Errorf(charging.ECONFLICT, "session S-1 has no captured payment to refund")
	want(t, e.do(t, "POST", "/api/v1/sessions/S-1/refund", `{}`), http.StatusConflict, nil)
}

func TestSessionsByPaymentStatus(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	want(t, e.do(t, "GET", "/api/v1/sessions?paymentStatus=unpaid,authorized", ""), http.StatusOK, nil)
	if q := e.svc.sessionQuery; len(q.PaymentStatus) != 2 || q.PaymentStatus[0] != charging.PaymentUnpaid || q.PaymentStatus[1] != charging.PaymentAuthorized {
		t.Fatalf("query = %+v, want payment statuses unpaid and authorized", q)
	}
	var p struct{ Detail string }
	want(t, e.do(t, "GET", "/api/v1/sessions?paymentStatus=late", ""), http.StatusBadRequest, &p)
	if !strings.Contains(p.Detail, `paymentStatus "late"`) {
		t.Errorf("a bad payment status: %q", p.Detail)
	}
}
