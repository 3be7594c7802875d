package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"github.com/joule-ev/joule/internal/charging"
)

// StripeConfig configures the Stripe provider.
type StripeConfig struct {
	// SecretKey is the account's secret API key (sk_live_..., sk_test_...
	// or a restricted rk_ key). It is sent to Stripe only, never logged.
	SecretKey string
	// APIURL is the API's base URL, https://api.stripe.com when empty;
	// tests point it at stripe-mock.
	APIURL string
	// HTTPClient makes the requests; nil means one with a 30 s timeout.
	HTTPClient *http.Client
}

// DefaultStripeURL is Stripe's API.
const DefaultStripeURL = "https://api.stripe.com"

// Stripe takes sessions' money from a card the driver saved: a
// PaymentIntent authorized off-session with manual capture at the start,
// captured with the final amount at the end. Its reference is the
// PaymentIntent's id (pi_...).
//
// Errors: a declined card (Stripe's card_error, HTTP 402) is EPAYMENT
// naming the decline code; Stripe refusing a request for the intent's
// state (capturing more than was authorized, refunding more than was
// captured) is ECONFLICT; the network, 429 and 5xx are other errors:
// temporary (Retryable). Requests are not retried here (the caller
// retries, with the same idempotency keys).
type Stripe struct {
	sc    *stripe.Client
	store charging.WalletStore
	now   func() time.Time
}

var _ Provider = (*Stripe)(nil)

// NewStripe returns the Stripe provider; store keeps the saved cards and
// the users' Stripe customers.
func NewStripe(cfg StripeConfig, store charging.WalletStore) (*Stripe, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("payment: the Stripe secret key is empty")
	}
	base := cfg.APIURL
	if base == "" {
		base = DefaultStripeURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("payment: the Stripe API URL must be an absolute http or https URL, got %q", base)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:               stripe.String(strings.TrimSuffix(base, "/")),
		HTTPClient:        hc,
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	})
	return &Stripe{sc: stripe.NewClient(cfg.SecretKey, stripe.WithBackends(backends)), store: store, now: time.Now}, nil
}

// Name returns "stripe".
func (s *Stripe) Name() string { return NameStripe }

// String names the provider without its key.
func (s *Stripe) String() string { return "payment.Stripe" }

// SaveCard saves a card the app collected (Stripe.js gave it a pm_ id):
// it makes the user's Stripe Customer on first use, attaches the
// PaymentMethod to it and stores it. A payment method Stripe does not
// know is EINVALID; one attached to another customer ECONFLICT.
func (s *Stripe) SaveCard(ctx context.Context, userID, email, paymentMethodID string) (charging.PaymentMethod, error) {
	if !strings.HasPrefix(paymentMethodID, "pm_") || len(paymentMethodID) > 255 {
		return charging.PaymentMethod{}, charging.Errorf(charging.EINVALID, "paymentMethodId must be a Stripe payment method id (pm_...), got %q", paymentMethodID)
	}
	cus, err := s.customer(ctx, userID, email)
	if err != nil {
		return charging.PaymentMethod{}, err
	}
	p := &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)}
	p.SetIdempotencyKey("joule-attach-" + paymentMethodID + "-" + cus)
	pm, err := s.sc.V1PaymentMethods.Attach(ctx, paymentMethodID, p)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeResourceMissing {
			return charging.PaymentMethod{}, charging.Errorf(charging.EINVALID, "paymentMethodId: Stripe has no payment method %s", paymentMethodID)
		}
		return charging.PaymentMethod{}, stripeError("attach the payment method", err)
	}
	if pm.Card == nil {
		return charging.PaymentMethod{}, charging.Errorf(charging.EINVALID, "paymentMethodId: %s is a %s, not a card", paymentMethodID, pm.Type)
	}
	m := charging.PaymentMethod{ID: pm.ID, UserID: userID, Provider: NameStripe, CustomerID: cus,
		Brand: string(pm.Card.Brand), Last4: pm.Card.Last4, ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear),
		CreatedAt: s.now().UTC()}
	if err := s.store.SavePaymentMethod(ctx, m); err != nil {
		return charging.PaymentMethod{}, err
	}
	return m, nil
}

// DetachCard detaches a saved card from its customer at Stripe (when the
// driver deletes it). A card Stripe no longer has is no error.
func (s *Stripe) DetachCard(ctx context.Context, paymentMethodID string) error {
	p := &stripe.PaymentMethodDetachParams{}
	_, err := s.sc.V1PaymentMethods.Detach(ctx, paymentMethodID, p)
	var se *stripe.Error
	if errors.As(err, &se) && se.Code == stripe.ErrorCodeResourceMissing {
		return nil
	}
	return stripeError("detach the payment method", err)
}

// customer returns the user's Stripe customer, making it on first use.
func (s *Stripe) customer(ctx context.Context, userID, email string) (string, error) {
	id, err := s.store.GetPaymentCustomer(ctx, userID, NameStripe)
	if charging.ErrorCode(err) != charging.ENOTFOUND {
		return id, err
	}
	p := &stripe.CustomerCreateParams{Email: stripe.String(email)}
	p.AddMetadata("joule_user_id", userID)
	// Two first cards racing (or a retry) make one customer within
	// Stripe's 24 hours of idempotency.
	p.SetIdempotencyKey("joule-customer-" + userID)
	c, err := s.sc.V1Customers.Create(ctx, p)
	if err != nil {
		return "", stripeError("create the customer", err)
	}
	err = s.store.SavePaymentCustomer(ctx, userID, NameStripe, c.ID)
	if charging.ErrorCode(err) == charging.ECONFLICT {
		return s.store.GetPaymentCustomer(ctx, userID, NameStripe) // the first one stored wins
	}
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// Authorize creates a PaymentIntent for the amount on the user's newest
// saved card, confirmed off-session with manual capture. It is
// authorized only when Stripe answers requires_capture; any other status
// (requires_payment_method: not authorized; requires_action: the bank
// wants 3-D Secure, which a start without the driver cannot do) is an
// EPAYMENT error, and the intent is cancelled. A user without a card is
// EPAYMENT too.
func (s *Stripe) Authorize(ctx context.Context, h Hold) (string, error) {
	n, key, err := checkHold(h, "card")
	if err != nil {
		return "", err
	}
	card, err := s.card(ctx, h.UserID)
	if err != nil {
		return "", err
	}
	p := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(n),
		Currency:           stripe.String(strings.ToLower(h.Currency)),
		Customer:           stripe.String(card.CustomerID),
		PaymentMethod:      stripe.String(card.ID),
		PaymentMethodTypes: []*string{stripe.String("card")},
		CaptureMethod:      stripe.String(string(stripe.PaymentIntentCaptureMethodManual)),
		Confirm:            stripe.Bool(true),
		OffSession:         stripe.Bool(true),
	}
	p.AddMetadata("joule_user_id", h.UserID)
	if h.SessionID != "" {
		p.AddMetadata("joule_session_id", h.SessionID)
	}
	p.SetIdempotencyKey("joule-authorize-" + key)
	pi, err := s.sc.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return "", stripeError("authorize the card", err)
	}
	if pi.Status == stripe.PaymentIntentStatusRequiresCapture {
		return pi.ID, nil
	}
	if pi.Status != stripe.PaymentIntentStatusCanceled && pi.Status != stripe.PaymentIntentStatusSucceeded {
		// Leave nothing pending at Stripe; the refusal is the answer
		// whether or not the cancel gets through.
		_ = s.Release(context.WithoutCancel(ctx), pi.ID)
	}
	return "", notAuthorized(pi)
}

// notAuthorized is the EPAYMENT error of an intent that is not
// requires_capture.
func notAuthorized(pi *stripe.PaymentIntent) error {
	switch pi.Status {
	case stripe.PaymentIntentStatusRequiresAction:
		return charging.Errorf(charging.EPAYMENT, "the card's bank asks the driver to confirm the payment (3-D Secure), which a start from Joule cannot do: use another card or the wallet")
	case stripe.PaymentIntentStatusRequiresPaymentMethod:
		reason := "no reason given"
		if e := pi.LastPaymentError; e != nil {
			switch {
			case e.DeclineCode != "":
				reason = string(e.DeclineCode)
			case e.Code != "":
				reason = string(e.Code)
			}
		}
		return charging.Errorf(charging.EPAYMENT, "the card was not authorized (Stripe payment intent %s needs another payment method: %s)", pi.ID, reason)
	}
	return charging.Errorf(charging.EPAYMENT, "the card was not authorized (Stripe payment intent %s is %s, not requires_capture)", pi.ID, pi.Status)
}

// card returns the user's newest saved Stripe card.
func (s *Stripe) card(ctx context.Context, userID string) (charging.PaymentMethod, error) {
	ms, err := s.store.ListPaymentMethods(ctx, userID)
	if err != nil {
		return charging.PaymentMethod{}, err
	}
	for _, m := range ms {
		if m.Provider == NameStripe {
			return m, nil
		}
	}
	return charging.PaymentMethod{}, charging.Errorf(charging.EPAYMENT, "no card is saved: add one in the app")
}

// Capture captures the final amount (at most what was authorized:
// more is ECONFLICT); 0 cancels the intent. The same capture again is no
// error.
func (s *Stripe) Capture(ctx context.Context, reference string, amount charging.Decimal, currency string) error {
	n, err := minor("amount", amount, currency, 0)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.Release(ctx, reference)
	}
	p := &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(n)}
	p.SetIdempotencyKey("joule-capture-" + reference + "-" + strconv.FormatInt(n, 10))
	pi, err := s.sc.V1PaymentIntents.Capture(ctx, reference, p)
	if err != nil {
		// Captured already (by a retry whose answer was lost, after
		// Stripe's 24 hours of idempotency): the same amount is done.
		if unexpectedState(err) {
			if cur, rerr := s.retrieve(ctx, reference); rerr == nil && cur.Status == stripe.PaymentIntentStatusSucceeded && cur.AmountReceived == n {
				return nil
			}
		}
		return stripeError("capture "+reference, err)
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		return fmt.Errorf("payment: stripe: capture %s: the payment intent is %s, not succeeded", reference, pi.Status)
	}
	return nil
}

// Release cancels the intent: the hold on the card goes. An intent that
// is cancelled already is no error.
func (s *Stripe) Release(ctx context.Context, reference string) error {
	p := &stripe.PaymentIntentCancelParams{}
	p.SetIdempotencyKey("joule-cancel-" + reference)
	pi, err := s.sc.V1PaymentIntents.Cancel(ctx, reference, p)
	if err != nil {
		if unexpectedState(err) {
			if cur, rerr := s.retrieve(ctx, reference); rerr == nil && cur.Status == stripe.PaymentIntentStatusCanceled {
				return nil
			}
		}
		return stripeError("cancel "+reference, err)
	}
	if pi.Status != stripe.PaymentIntentStatusCanceled {
		return fmt.Errorf("payment: stripe: cancel %s: the payment intent is %s, not canceled", reference, pi.Status)
	}
	return nil
}

// Refund refunds amount of the captured intent. The same reference and
// amount again within Stripe's 24 hours of idempotency is the same
// refund; refunding more than was captured is ECONFLICT.
func (s *Stripe) Refund(ctx context.Context, reference string, amount charging.Decimal, currency string) error {
	n, err := minor("amount", amount, currency, 1)
	if err != nil {
		return err
	}
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(reference), Amount: stripe.Int64(n)}
	p.SetIdempotencyKey("joule-refund-" + reference + "-" + strconv.FormatInt(n, 10))
	r, err := s.sc.V1Refunds.Create(ctx, p)
	if err != nil {
		return stripeError("refund "+reference, err)
	}
	switch r.Status {
	case stripe.RefundStatusSucceeded, stripe.RefundStatusPending, stripe.RefundStatusRequiresAction:
		return nil
	}
	return fmt.Errorf("payment: stripe: refund %s of %s: the refund is %s", r.ID, reference, r.Status)
}

func (s *Stripe) retrieve(ctx context.Context, reference string) (*stripe.PaymentIntent, error) {
	p := &stripe.PaymentIntentRetrieveParams{}
	return s.sc.V1PaymentIntents.Retrieve(ctx, reference, p)
}

func unexpectedState(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.Code == stripe.ErrorCodePaymentIntentUnexpectedState
}

// stripeError maps an error of the Stripe client (nil stays nil): a card
// error is EPAYMENT naming the decline code, a request Stripe refuses for
// the state of its objects ECONFLICT, and the rest (network, 401, 429,
// 5xx) an internal error, temporary unless the key is wrong. Stripe's
// messages never hold the secret key.
func stripeError(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("payment: stripe: %s: %w", op, err) // the network: temporary
	}
	switch status := se.HTTPStatusCode; {
	case se.Type == stripe.ErrorTypeCard || status == http.StatusPaymentRequired:
		code := string(se.DeclineCode)
		if code == "" {
			code = string(se.Code)
		}
		if code == "" {
			code = "no reason given"
		}
		return charging.Errorf(charging.EPAYMENT, "the card was declined (%s): %s", code, se.Msg)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("payment: stripe: %s: Stripe refused the API key (HTTP %d, request %s): check --stripe-key", op, status, se.RequestID)
	case status == http.StatusTooManyRequests || status == http.StatusConflict || status >= 500 || status == 0:
		return fmt.Errorf("payment: stripe: %s: HTTP %d %s (request %s): temporary, try again: %w", op, status, se.Type, se.RequestID, err)
	}
	return charging.Errorf(charging.ECONFLICT, "Stripe refused to %s: %s", op, se.Msg)
}
