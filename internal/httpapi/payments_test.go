package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/payment"
)

type walletDoc struct {
	UserID, Currency, Balance, Held, Available string
}

type walletEntryDoc struct {
	ID, UserID, Currency, Kind, Amount, SessionID, Reference, Note, CreatedBy, CreatedAt string
}

// signupDriver signs a driver up and returns their id and credential header.
func (e *testEnv) signupDriver(t *testing.T, email string) (string, []string) {
	t.Helper()
	ses, err := e.acc.Signup(bg, email, "long enough password", "D", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return ses.User.ID, []string{"Authorization", "Bearer " + ses.Token}
}

// apiKey creates an API key with a role and returns its credential header.
func (e *testEnv) apiKey(t *testing.T, role charging.Role) []string {
	t.Helper()
	k, err := e.acc.CreateAPIKey(bg, accounts.NewAPIKey{Name: string(role) + "-key", Role: role}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return []string{"Authorization", "Bearer " + k.Key}
}

func TestWalletAPI(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	id, driver := e.signupDriver(t, "driver@example.com")
	operator, viewer := e.apiKey(t, charging.RoleOperator), e.apiKey(t, charging.RoleViewer)
	wallet := func(path string, header ...string) walletDoc {
		t.Helper()
		var w walletDoc
		want(t, e.do(t, "GET", path, "", header...), http.StatusOK, &w)
		return w
	}
	if got, w := wallet("/api/v1/me/wallet?currency=EUR", driver...), (walletDoc{id, "EUR", "0.00", "0.00", "0.00"}); got != w {
		t.Errorf("a new wallet = %+v, want %+v", got, w)
	}

	entries := "/api/v1/users/" + id + "/wallet/entries"
	credits := []struct {
		body   string
		header []string
		want   walletDoc
	}{
		{`{"kind":"topup","amount":"20.00","currency":"EUR","note":"cash at the desk"}`, nil, walletDoc{id, "EUR", "20.00", "0.00", "20.00"}},
		{`{"kind":"grant","amount":"5","currency":"EUR"}`, operator, walletDoc{id, "EUR", "25.00", "0.00", "25.00"}},
		{`{"kind":"adjustment","amount":"-2.5","currency":"EUR","note":"double top-up"}`, nil, walletDoc{id, "EUR", "22.50", "0.00", "22.50"}},
		{`{"kind":"topup","amount":"500","currency":"JPY"}`, operator, walletDoc{id, "JPY", "500", "0", "500"}},
	}
	for _, c := range credits {
		res := e.do(t, "POST", entries, c.body, c.header...)
		var got walletDoc
		want(t, res, http.StatusCreated, &got)
		if got != c.want {
			t.Errorf("POST %s = %+v, want %+v", c.body, got, c.want)
		}
		if loc := res.Header.Get("Location"); loc != "/api/v1/users/"+id+"/wallet?currency="+c.want.Currency {
			t.Errorf("Location = %q", loc)
		}
	}

	for _, c := range []struct{ body, detail string }{
		{`{"kind":"hold","amount":"1","currency":"EUR"}`, "kind must be topup, grant or adjustment"},
		{`{"kind":"topup","amount":"0","currency":"EUR"}`, "amount of a topup must be above zero"},
		{`{"kind":"grant","amount":"-1","currency":"EUR"}`, "amount of a grant must be above zero"},
		{`{"kind":"adjustment","amount":"0.00","currency":"EUR"}`, "amount of an adjustment must not be zero"},
		{`{"kind":"topup","amount":"1.001","currency":"EUR"}`, "amount must have at most 2 decimal places for EUR"},
		{`{"kind":"topup","amount":"5.5","currency":"JPY"}`, "amount must have at most 0 decimal places for JPY"},
		{`{"kind":"topup","amount":"1","currency":"eur"}`, "currency must be an ISO 4217 code"},
		{`{"kind":"topup","currency":"EUR"}`, "amount is required"},
		{`{"kind":"topup","amount":"ten","currency":"EUR"}`, "not a decimal number"},
		{`{"kind":"topup","amount":"1","currency":"EUR","sessionId":"S-1"}`, "sessionId"},
		{`{"kind":"topup","amount":"1","currency":"EUR","note":"` + strings.Repeat("x", 501) + `"}`, "note must be at most 500 bytes"},
	} {
		p := wantProblem(t, e.do(t, "POST", entries, c.body), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, c.detail) {
			t.Errorf("POST %.60s: detail %q, want it to say %q", c.body, p.Detail, c.detail)
		}
	}
	body := `{"kind":"topup","amount":"1","currency":"EUR"}`
	wantProblem(t, e.do(t, "POST", "/api/v1/users/nobody/wallet/entries", body), http.StatusNotFound, charging.ENOTFOUND)
	wantProblem(t, e.do(t, "GET", "/api/v1/users/nobody/wallet?currency=EUR", ""), http.StatusNotFound, charging.ENOTFOUND)
	for _, h := range [][]string{driver, viewer} {
		wantProblem(t, e.do(t, "POST", entries, body, h...), http.StatusForbidden, charging.EFORBIDDEN)
		wantProblem(t, e.do(t, "GET", "/api/v1/users/"+id+"/wallet?currency=EUR", "", h...), http.StatusForbidden, charging.EFORBIDDEN)
		wantProblem(t, e.do(t, "GET", entries, "", h...), http.StatusForbidden, charging.EFORBIDDEN)
	}
	for _, q := range []string{"", "?currency=eur", "?currency=EUR&x=1"} {
		wantProblem(t, e.do(t, "GET", "/api/v1/me/wallet"+q, "", driver...), http.StatusBadRequest, charging.EINVALID)
	}
	// An API key is not a user: it has no wallet of its own.
	wantProblem(t, e.do(t, "GET", "/api/v1/me/wallet?currency=EUR", ""), http.StatusForbidden, charging.EFORBIDDEN)

	// A session's hold (the wallet provider, as csms uses it) lowers
	// what is available, not the balance.
	if _, err := payment.NewWallet(e.store).Authorize(bg, payment.Hold{UserID: id, SessionID: "S-1", Currency: "EUR", Amount: "10.00"}); err != nil {
		t.Fatal(err)
	}
	if got, w := wallet("/api/v1/me/wallet?currency=EUR", driver...), (walletDoc{id, "EUR", "22.50", "10.00", "12.50"}); got != w {
		t.Errorf("wallet with a hold = %+v, want %+v", got, w)
	}
	if got, w := wallet("/api/v1/users/"+id+"/wallet?currency=EUR", operator...), (walletDoc{id, "EUR", "22.50", "10.00", "12.50"}); got != w {
		t.Errorf("staff view = %+v, want %+v", got, w)
	}

	// Entries, newest first, in pages.
	var lines []string
	cursor := ""
	for range 5 {
		var p struct {
			Items      []walletEntryDoc
			NextCursor string
		}
		want(t, e.do(t, "GET", "/api/v1/me/wallet/entries?limit=2&cursor="+cursor, "", driver...), http.StatusOK, &p)
		for _, x := range p.Items {
			if x.ID == "" || x.UserID != id || x.CreatedAt == "" {
				t.Errorf("entry %+v: want an id, the user and a time", x)
			}
			lines = append(lines, strings.Join([]string{x.Kind, x.Amount, x.Currency, x.Reference, x.Note, x.CreatedBy}, " "))
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	wantLines := []string{
		"hold -10.00 EUR wallet-S-1  system",
		"topup 500 JPY   apikey:operator-key",
		"adjustment -2.50 EUR  double top-up apikey:" + e.adminKeyName(t),
		"grant 5.00 EUR   apikey:operator-key",
		"topup 20.00 EUR  cash at the desk apikey:" + e.adminKeyName(t),
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
	var jpy struct{ Items []walletEntryDoc }
	want(t, e.do(t, "GET", entries+"?currency=JPY", "", operator...), http.StatusOK, &jpy)
	if len(jpy.Items) != 1 || jpy.Items[0].Amount != "500" {
		t.Errorf("JPY entries = %+v, want the one topup of 500", jpy.Items)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/me/wallet/entries?cursor=bad", "", driver...), http.StatusBadRequest, charging.EINVALID)

	// Staff credits are in the audit log, with what they did.
	audit, err := e.acc.ListAudit(bg, charging.AuditQuery{Action: "POST /api/v1/users/{id}/wallet/entries", Outcome: charging.OutcomeSuccess})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, a := range audit.Items {
		if a.Target != id {
			t.Errorf("audit target %q, want the user %s", a.Target, id)
		}
		details = append(details, a.Detail)
	}
	if w := []string{"topup 500 JPY", "adjustment -2.50 EUR", "grant 5.00 EUR", "topup 20.00 EUR"}; !slices.Equal(details, w) {
		t.Errorf("audit details %q, want %q", details, w)
	}
}

// adminKeyName is the name of the first-run admin key the test env uses.
func (e *testEnv) adminKeyName(t *testing.T) string {
	t.Helper()
	p, err := e.acc.Authenticate(bg, e.token)
	if err != nil {
		t.Fatal(err)
	}
	return p.Name
}

func TestPaymentMethodsAPI(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	id, driver := e.signupDriver(t, "driver@example.com")
	_, other := e.signupDriver(t, "other@example.com")
	type list struct{ Items []charging.PaymentMethod }
	cards := func(header []string) []string {
		t.Helper()
		var l list
		want(t, e.do(t, "GET", "/api/v1/me/payment-methods", "", header...), http.StatusOK, &l)
		var out []string
		for _, m := range l.Items {
			out = append(out, fmt.Sprintf("%s %s %s %s %d/%d", m.ID, m.UserID, m.Brand, m.Last4, m.ExpMonth, m.ExpYear))
		}
		return out
	}
	if got := cards(driver); len(got) != 0 {
		t.Errorf("cards = %v, want none", got)
	}
	const visa = `{"paymentMethodId":"pm_card_visa"}`
	p := wantProblem(t, e.do(t, "POST", "/api/v1/me/payment-methods", visa, driver...), http.StatusConflict, charging.ECONFLICT)
	if !strings.Contains(p.Detail, "--stripe-key") {
		t.Errorf("detail %q, want it to say cards are not configured (--stripe-key)", p.Detail)
	}

	e.svc.cards.enable()
	res := e.do(t, "POST", "/api/v1/me/payment-methods", visa, driver...)
	var m charging.PaymentMethod
	want(t, res, http.StatusCreated, &m)
	if m.ID != "pm_card_visa" || m.UserID != id || m.Brand != "visa" || m.Last4 != "4242" || m.CustomerID != "cus_"+id {
		t.Errorf("saved card = %+v", m)
	}
	if res.Header.Get("Location") != "/api/v1/me/payment-methods" {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	if got := e.svc.cards.saved; !slices.Equal(got, []string{id + " driver@example.com pm_card_visa"}) {
		t.Errorf("SaveCard calls %q, want one with the user's id and email", got)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/me/payment-methods", `{"paymentMethodId":"pm_declined"}`, driver...), http.StatusPaymentRequired, charging.EPAYMENT)
	for _, b := range []string{`{}`, `{"paymentMethodId":""}`, `{"paymentMethodId":"pm_1","x":1}`, ``} {
		wantProblem(t, e.do(t, "POST", "/api/v1/me/payment-methods", b, driver...), http.StatusBadRequest, charging.EINVALID)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/me/payment-methods", visa), http.StatusForbidden, charging.EFORBIDDEN)

	if got, w := cards(driver), []string{"pm_card_visa " + id + " visa 4242 8/2030"}; !slices.Equal(got, w) {
		t.Errorf("cards = %v, want %v", got, w)
	}
	if got := cards(other); len(got) != 0 {
		t.Errorf("another driver's cards = %v, want none", got)
	}
	// Another's card is not found; one's own is deleted once.
	wantProblem(t, e.do(t, "DELETE", "/api/v1/me/payment-methods/pm_card_visa", "", other...), http.StatusNotFound, charging.ENOTFOUND)
	want(t, e.do(t, "DELETE", "/api/v1/me/payment-methods/pm_card_visa", "", driver...), http.StatusNoContent, nil)
	wantProblem(t, e.do(t, "DELETE", "/api/v1/me/payment-methods/pm_card_visa", "", driver...), http.StatusNotFound, charging.ENOTFOUND)
	if got := cards(driver); len(got) != 0 {
		t.Errorf("cards after the delete = %v, want none", got)
	}
}
