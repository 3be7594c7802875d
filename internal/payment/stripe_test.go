package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/payment"
	"github.com/joule-ev/joule/internal/sqlite"
)

// The Stripe provider is tested against stripe-mock (Stripe's own mock of
// its API, from its OpenAPI document): the requests stripe-go sends are
// checked by it, and its answers are parsed by stripe-go's real code.
//
// stripe-mock is stateless and answers fixtures: every PaymentIntent it
// returns (created and confirmed with capture_method=manual, captured,
// cancelled, retrieved) has status requires_payment_method, which in real
// Stripe means "not authorized". The provider does not accept that
// (TestStripeMockIntentIsNotAuthorized). The other tests put stripeProxy
// in front of it: it forwards every request and makes the answers what
// real Stripe gives for a card that authorizes (requires_capture, then
// succeeded or canceled), answers Stripe's own error JSON for marked ids
// (a declined card, a 5xx, a missing payment method), and replays a
// request with an Idempotency-Key it has seen, as Stripe does.

const stripeKey = "sk_test_joule123"

func stripeMockURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("JOULE_TEST_STRIPE_URL")
	if u == "" {
		t.Skip("JOULE_TEST_STRIPE_URL is not set: run stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0; stripe-mock -http-addr 127.0.0.1:12111) and set JOULE_TEST_STRIPE_URL=http://127.0.0.1:12111")
	}
	return u
}

// recorded is one request the proxy saw.
type recorded struct {
	Method, Path, IdempotencyKey, Authorization string
	Form                                        url.Values
}

type cachedAnswer struct {
	status int
	body   []byte
}

type stripeProxy struct {
	t      *testing.T
	mock   string
	mu     sync.Mutex
	seen   []recorded
	replay map[string]cachedAnswer // by path and Idempotency-Key
	URL    string
}

func newStripeProxy(t *testing.T) *stripeProxy {
	p := &stripeProxy{t: t, mock: strings.TrimSuffix(stripeMockURL(t), "/"), replay: map[string]cachedAnswer{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// requests returns what the proxy saw for a path (all when "").
func (p *stripeProxy) requests(path string) []recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []recorded
	for _, r := range p.seen {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// stripeErrorJSON is an error body as Stripe sends it.
func stripeErrorJSON(typ, code, declineCode, message string) []byte {
	e := map[string]any{"type": typ, "code": code, "message": message, "request_log_url": "https://dashboard.stripe.com/test/logs/req_test"}
	if declineCode != "" {
		e["decline_code"] = declineCode
		e["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}

func (p *stripeProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	rec := recorded{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Authorization: r.Header.Get("Authorization"), Form: form}
	p.mu.Lock()
	p.seen = append(p.seen, rec)
	cacheKey := r.URL.Path + " " + rec.IdempotencyKey
	if c, ok := p.replay[cacheKey]; ok && rec.IdempotencyKey != "" {
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(c.status)
		w.Write(c.body)
		return
	}
	p.mu.Unlock()

	status, out := p.answer(r, body, form)
	if rec.IdempotencyKey != "" {
		p.mu.Lock()
		p.replay[cacheKey] = cachedAnswer{status, out}
		p.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_proxy")
	w.WriteHeader(status)
	w.Write(out)
}

func (p *stripeProxy) answer(r *http.Request, body []byte, form url.Values) (int, []byte) {
	path := r.URL.Path
	switch {
	case path == "/v1/payment_intents" && form.Get("payment_method") == "pm_decline":
		return http.StatusPaymentRequired, stripeErrorJSON("card_error", "card_declined", "insufficient_funds", "Your card has insufficient funds.")
	case strings.HasPrefix(path, "/v1/payment_intents/pi_5xx"):
		return http.StatusInternalServerError, stripeErrorJSON("api_error", "", "", "An unknown error occurred")
	case path == "/v1/payment_methods/pm_missing/attach":
		return http.StatusNotFound, stripeErrorJSON("invalid_request_error", "resource_missing", "", "No such PaymentMethod: 'pm_missing'")
	}
	// Forward to stripe-mock.
	req, err := http.NewRequest(r.Method, p.mock+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return http.StatusBadGateway, nil
	}
	for _, h := range []string{"Authorization", "Content-Type", "Stripe-Version", "Idempotency-Key", "User-Agent"} {
		req.Header.Set(h, r.Header.Get(h))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return http.StatusBadGateway, nil
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, out
	}
	// Real Stripe's answers for a card that authorizes.
	var obj map[string]any
	if err := json.Unmarshal(out, &obj); err != nil {
		return res.StatusCode, out
	}
	switch {
	case path == "/v1/payment_intents" && form.Get("payment_method") == "pm_3ds":
		obj["status"] = "requires_action"
	case path == "/v1/payment_intents":
		obj["status"] = "requires_capture"
		obj["amount_capturable"] = obj["amount"]
		obj["last_payment_error"] = nil
	case strings.HasSuffix(path, "/capture"):
		obj["status"] = "succeeded"
		obj["amount_received"] = json.Number(form.Get("amount_to_capture"))
		obj["last_payment_error"] = nil
	case strings.HasSuffix(path, "/cancel"):
		obj["status"] = "canceled"
		obj["cancellation_reason"] = "requested_by_customer"
	default:
		return res.StatusCode, out
	}
	out, _ = json.Marshal(obj)
	return res.StatusCode, out
}

func newStripe(t *testing.T, apiURL string, st *sqlite.Store) *payment.Stripe {
	t.Helper()
	s, err := payment.NewStripe(payment.StripeConfig{SecretKey: stripeKey, APIURL: apiURL}, st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// saveCard stores a card for u-1 as SaveCard would have.
func saveCard(t *testing.T, st *sqlite.Store, id string) {
	t.Helper()
	m := charging.PaymentMethod{ID: id, UserID: "u-1", Provider: "stripe", CustomerID: "cus_test1", Brand: "visa", Last4: "4242",
		ExpMonth: 8, ExpYear: 2030, CreatedAt: time.Now()}
	if err := st.SavePaymentMethod(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func TestStripeMockIntentIsNotAuthorized(t *testing.T) {
	st := openStore(t)
	saveCard(t, st, "pm_card_visa")
	s := newStripe(t, stripeMockURL(t), st)
	_, err := s.Authorize(context.Background(), payment.Hold{UserID: "u-1", SessionID: "S-1", Currency: "EUR", Amount: "20.00"})
	wantCode(t, err, charging.EPAYMENT, "Authorize against stripe-mock (status requires_payment_method)")
	if msg := charging.ErrorMessage(err); !strings.Contains(msg, "needs another payment method") {
		t.Errorf("message %q, want it to say the intent needs another payment method", msg)
	}
}

func TestStripeSaveCard(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := newStripeProxy(t)
	s := newStripe(t, p.URL, st)

	m, err := s.SaveCard(ctx, "u-1", "driver@example.com", "pm_card_visa")
	if err != nil {
		t.Fatal(err)
	}
	cus, err := st.GetPaymentCustomer(ctx, "u-1", "stripe")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cus, "cus_") {
		t.Errorf("customer %q, want a cus_ id", cus)
	}
	want := charging.PaymentMethod{ID: "pm_card_visa", UserID: "u-1", Provider: "stripe", CustomerID: cus, Brand: "visa",
		Last4: "4242", ExpMonth: 8, ExpYear: 2030, CreatedAt: m.CreatedAt}
	if m != want {
		t.Errorf("SaveCard = %+v, want %+v", m, want)
	}
	if _, err := s.SaveCard(ctx, "u-1", "driver@example.com", "pm_card_mastercard"); err != nil {
		t.Fatal(err)
	}
	ms, err := st.ListPaymentMethods(ctx, "u-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].CustomerID != cus || ms[1].CustomerID != cus {
		t.Errorf("cards %+v, want two with customer %s", ms, cus)
	}
	customers := p.requests("/v1/customers")
	if len(customers) != 1 || customers[0].Form.Get("email") != "driver@example.com" ||
		customers[0].Form.Get("metadata[joule_user_id]") != "u-1" || customers[0].IdempotencyKey != "joule-customer-u-1" {
		t.Errorf("customer requests %+v, want one for driver@example.com, u-1, key joule-customer-u-1", customers)
	}
	attach := p.requests("/v1/payment_methods/pm_card_visa/attach")
	if len(attach) != 1 || attach[0].Form.Get("customer") != cus || attach[0].Authorization != "Bearer "+stripeKey {
		t.Errorf("attach requests %+v, want one for %s with the key", attach, cus)
	}

	_, err = s.SaveCard(ctx, "u-1", "driver@example.com", "pm_missing")
	wantCode(t, err, charging.EINVALID, "SaveCard of a payment method Stripe does not have")
	n := len(p.requests(""))
	_, err = s.SaveCard(ctx, "u-1", "driver@example.com", "card_123")
	wantCode(t, err, charging.EINVALID, "SaveCard of something not a pm_ id")
	if len(p.requests("")) != n {
		t.Error("SaveCard of a bad id sent a request")
	}
}

func TestStripePayments(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	saveCard(t, st, "pm_card_visa")
	p := newStripeProxy(t)
	s := newStripe(t, p.URL, st)

	h := payment.Hold{UserID: "u-1", SessionID: "S-1", Currency: "EUR", Amount: "20.00"}
	ref, err := s.Authorize(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, "pi_") {
		t.Fatalf("reference %q, want a pi_ id", ref)
	}
	again, err := s.Authorize(ctx, h)
	if err != nil || again != ref {
		t.Errorf("Authorize again = %q, %v; want %q (the same intent, by its idempotency key)", again, err, ref)
	}
	intents := p.requests("/v1/payment_intents")
	if len(intents) != 2 {
		t.Fatalf("%d create requests, want 2", len(intents))
	}
	wantForm := map[string]string{"amount": "2000", "currency": "eur", "capture_method": "manual", "confirm": "true",
		"off_session": "true", "customer": "cus_test1", "payment_method": "pm_card_visa", "payment_method_types[0]": "card",
		"metadata[joule_session_id]": "S-1", "metadata[joule_user_id]": "u-1"}
	for k, v := range wantForm {
		if got := intents[0].Form.Get(k); got != v {
			t.Errorf("create %s = %q, want %q", k, got, v)
		}
	}
	for _, r := range intents {
		if r.IdempotencyKey != "joule-authorize-S-1" {
			t.Errorf("create Idempotency-Key %q, want joule-authorize-S-1", r.IdempotencyKey)
		}
	}

	steps := []struct {
		name       string
		do         func() error
		path, form string // the request it sends: path and "key=value"
		key        string
	}{
		{"capture 12.34", func() error { return s.Capture(ctx, ref, "12.34", "EUR") },
			"/v1/payment_intents/" + ref + "/capture", "amount_to_capture=1234", "joule-capture-" + ref + "-1234"},
		{"capture 0 cancels", func() error { return s.Capture(ctx, ref, "0", "EUR") },
			"/v1/payment_intents/" + ref + "/cancel", "", "joule-cancel-" + ref},
		{"release", func() error { return s.Release(ctx, "pi_other") },
			"/v1/payment_intents/pi_other/cancel", "", "joule-cancel-pi_other"},
		{"refund 2.34", func() error { return s.Refund(ctx, ref, "2.34", "EUR") },
			"/v1/refunds", "amount=234&payment_intent=" + ref, "joule-refund-" + ref + "-234"},
		{"capture 500 JPY", func() error { return s.Capture(ctx, "pi_jpy", "500", "JPY") },
			"/v1/payment_intents/pi_jpy/capture", "amount_to_capture=500", "joule-capture-pi_jpy-500"},
	}
	for _, st := range steps {
		before := len(p.requests(st.path))
		if err := st.do(); err != nil {
			t.Errorf("%s: %v", st.name, err)
			continue
		}
		rs := p.requests(st.path)
		if len(rs) != before+1 {
			t.Errorf("%s: %d requests to %s, want 1", st.name, len(rs)-before, st.path)
			continue
		}
		r := rs[len(rs)-1]
		if st.form != "" {
			want, _ := url.ParseQuery(st.form)
			for k := range want {
				if r.Form.Get(k) != want.Get(k) {
					t.Errorf("%s: %s = %q, want %q", st.name, k, r.Form.Get(k), want.Get(k))
				}
			}
		}
		if r.IdempotencyKey != st.key {
			t.Errorf("%s: Idempotency-Key %q, want %q", st.name, r.IdempotencyKey, st.key)
		}
	}
	for _, bad := range []struct {
		name string
		err  error
	}{
		{"capture with 3 places", s.Capture(ctx, ref, "1.234", "EUR")},
		{"negative refund", s.Refund(ctx, ref, "-1", "EUR")},
		{"hold without a session", func() error {
			_, err := s.Authorize(ctx, payment.Hold{UserID: "u-1", Currency: "EUR", Amount: "1"})
			return err
		}()},
	} {
		wantCode(t, bad.err, charging.EINVALID, bad.name)
	}
}

func TestStripeRefusals(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := newStripeProxy(t)
	s := newStripe(t, p.URL, st)
	hold := payment.Hold{UserID: "u-1", SessionID: "S-1", Currency: "EUR", Amount: "20.00"}

	_, err := s.Authorize(ctx, hold)
	wantCode(t, err, charging.EPAYMENT, "Authorize without a card")
	if msg := charging.ErrorMessage(err); msg != "no card is saved: add one in the app" {
		t.Errorf("message %q", msg)
	}

	saveCard(t, st, "pm_decline")
	_, err = s.Authorize(ctx, hold)
	wantCode(t, err, charging.EPAYMENT, "Authorize with a declined card")
	if msg := charging.ErrorMessage(err); msg != "the card was declined (insufficient_funds): Your card has insufficient funds." {
		t.Errorf("message %q, want the decline code and Stripe's message", msg)
	}
	if payment.Retryable(err) {
		t.Error("a decline is Retryable")
	}

	saveCard(t, st, "pm_3ds") // the newest card is used
	hold.SessionID = "S-2"
	_, err = s.Authorize(ctx, hold)
	wantCode(t, err, charging.EPAYMENT, "Authorize with a card that needs 3-D Secure")
	if msg := charging.ErrorMessage(err); !strings.Contains(msg, "3-D Secure") {
		t.Errorf("message %q, want it to name 3-D Secure", msg)
	}
	var cancels int
	for _, r := range p.requests("") {
		if strings.HasSuffix(r.Path, "/cancel") {
			cancels++
		}
	}
	if cancels != 1 {
		t.Errorf("%d cancels, want 1: an intent that is not authorized is cancelled", cancels)
	}

	// A 5xx is temporary: not EPAYMENT, Retryable, without the key.
	err = s.Capture(ctx, "pi_5xx", "1.00", "EUR")
	if err == nil || charging.ErrorCode(err) != charging.EINTERNAL || !payment.Retryable(err) {
		t.Errorf("capture answered 500: %v (code %q), want a Retryable internal error", err, charging.ErrorCode(err))
	}
	if err != nil && strings.Contains(err.Error(), stripeKey) {
		t.Errorf("error %q holds the secret key", err)
	}

	// The network: temporary too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	err = newStripe(t, closed, st).Capture(ctx, "pi_1", "1.00", "EUR")
	if err == nil || !payment.Retryable(err) {
		t.Errorf("capture with Stripe unreachable: %v, want a Retryable error", err)
	}

	// A key Stripe refuses: an internal error that does not show it.
	const badKey = "rk_wrong_SECRET42"
	bad, err := payment.NewStripe(payment.StripeConfig{SecretKey: badKey, APIURL: stripeMockURL(t)}, st)
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Release(ctx, "pi_1")
	if err == nil || charging.ErrorCode(err) != charging.EINTERNAL || strings.Contains(err.Error(), "SECRET42") {
		t.Errorf("a refused key: %v, want an internal error without the key", err)
	}
}

func TestNewStripeConfig(t *testing.T) {
	for _, c := range []payment.StripeConfig{{}, {SecretKey: "sk_test_1", APIURL: "ftp://x"}, {SecretKey: "sk_test_1", APIURL: "stripe.local"}} {
		if _, err := payment.NewStripe(c, nil); err == nil {
			t.Errorf("NewStripe(%+v) = nil error, want one", c)
		}
	}
}
