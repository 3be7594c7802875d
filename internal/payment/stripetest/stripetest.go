// Package stripetest is what tests of card payments share: a proxy in
// front of stripe-mock, Stripe's own mock of its API.
//
// stripe-mock is stateless and answers fixtures: every PaymentIntent it
// returns (created and confirmed with capture_method=manual, captured,
// cancelled, retrieved) has status requires_payment_method, which in real
// Stripe means "not authorized". The proxy forwards every request (so
// stripe-mock checks what stripe-go sends, and stripe-go parses the
// answers) and makes the answers what real Stripe gives for a card that
// authorizes (requires_capture, then succeeded or canceled); it answers
// Stripe's own error JSON for marked ids (pm_decline: a declined card;
// pm_3ds: authentication required; pi_5xx...: a server error;
// pm_missing: no such payment method), and replays a request with an
// Idempotency-Key it has seen, as Stripe does.
package stripetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// MockURL returns stripe-mock's address from JOULE_TEST_STRIPE_URL, and
// skips the test with how to run it when unset.
func MockURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("JOULE_TEST_STRIPE_URL")
	if u == "" {
		t.Skip("JOULE_TEST_STRIPE_URL is not set: run stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0; stripe-mock -http-addr 127.0.0.1:12111) and set JOULE_TEST_STRIPE_URL=http://127.0.0.1:12111")
	}
	return u
}

// Recorded is one request the proxy saw.
type Recorded struct {
	Method, Path, IdempotencyKey, Authorization string
	Form                                        url.Values
}

type cachedAnswer struct {
	status int
	body   []byte
}

// Proxy stands in front of stripe-mock and answers as real Stripe does
// (see the package doc).
type Proxy struct {
	t      testing.TB
	mock   string
	mu     sync.Mutex
	seen   []Recorded
	replay map[string]cachedAnswer // by path and Idempotency-Key
	URL    string
}

// NewProxy starts a proxy in front of stripe-mock for the test; it skips
// the test when stripe-mock is not configured.
func NewProxy(t testing.TB) *Proxy {
	p := &Proxy{t: t, mock: strings.TrimSuffix(MockURL(t), "/"), replay: map[string]cachedAnswer{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Requests returns what the proxy saw for a path (all when "").
func (p *Proxy) Requests(path string) []Recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Recorded
	for _, r := range p.seen {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// ErrorJSON is an error body as Stripe sends it.
func ErrorJSON(typ, code, declineCode, message string) []byte {
	e := map[string]any{"type": typ, "code": code, "message": message, "request_log_url": "https://dashboard.stripe.com/test/logs/req_test"}
	if declineCode != "" {
		e["decline_code"] = declineCode
		e["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	rec := Recorded{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"),
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

func (p *Proxy) answer(r *http.Request, body []byte, form url.Values) (int, []byte) {
	path := r.URL.Path
	switch {
	case path == "/v1/payment_intents" && form.Get("payment_method") == "pm_decline":
		return http.StatusPaymentRequired, ErrorJSON("card_error", "card_declined", "insufficient_funds", "Your card has insufficient funds.")
	case strings.HasPrefix(path, "/v1/payment_intents/pi_5xx"):
		return http.StatusInternalServerError, ErrorJSON("api_error", "", "", "An unknown error occurred")
	case path == "/v1/payment_methods/pm_missing/attach":
		return http.StatusNotFound, ErrorJSON("invalid_request_error", "resource_missing", "", "No such PaymentMethod: 'pm_missing'")
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
