package httpapi_test

import (
	"context"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/payment"
)

// The payment methods of fakeService are the real ones (csms.Service on
// the test's SQLite store, see newEnvBus), so that the API tests see the
// domain's and the store's rules. Only Stripe is faked: fakeCards is the
// real payment.Router without Stripe, whose cards, when enabled, are
// saved as Stripe would have answered for a pm_card_ id.

func (f *fakeService) GetWallet(ctx context.Context, userID, currency string) (charging.Wallet, error) {
	return f.payments.GetWallet(ctx, userID, currency)
}

func (f *fakeService) ListWalletEntries(ctx context.Context, q charging.WalletEntryQuery) (charging.Page[charging.WalletEntry], error) {
	return f.payments.ListWalletEntries(ctx, q)
}

func (f *fakeService) AddWalletEntry(ctx context.Context, e charging.WalletEntry) (charging.Wallet, error) {
	return f.payments.AddWalletEntry(ctx, e)
}

func (f *fakeService) ListPaymentMethods(ctx context.Context, userID string) ([]charging.PaymentMethod, error) {
	return f.payments.ListPaymentMethods(ctx, userID)
}

func (f *fakeService) SavePaymentMethod(ctx context.Context, userID, paymentMethodID string) (charging.PaymentMethod, error) {
	return f.payments.SavePaymentMethod(ctx, userID, paymentMethodID)
}

func (f *fakeService) DeletePaymentMethod(ctx context.Context, userID, id string) error {
	return f.payments.DeletePaymentMethod(ctx, userID, id)
}

// fakeCards is csms.Payments: the real router (wallet only), with cards
// saved without Stripe when enabled.
type fakeCards struct {
	*payment.Router
	store charging.Store

	mu      sync.Mutex
	enabled bool
	saved   []string // "userID email pm"
}

func newFakeCards(store charging.Store) *fakeCards {
	return &fakeCards{Router: payment.NewRouter(store, nil), store: store}
}

func (c *fakeCards) enable() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enabled = true
}

func (c *fakeCards) CardsEnabled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enabled
}

// SaveCard stores the card as Stripe's test card pm_card_visa comes back
// (visa 4242, 8/2030); pm_declined is a card Stripe declines.
func (c *fakeCards) SaveCard(ctx context.Context, userID, email, pm string) (charging.PaymentMethod, error) {
	c.mu.Lock()
	c.saved = append(c.saved, userID+" "+email+" "+pm)
	c.mu.Unlock()
	if pm == "pm_declined" {
		return charging.PaymentMethod{}, charging.Errorf(charging.EPAYMENT, "the card was declined (card_declined): Your card was declined.")
	}
	m := charging.PaymentMethod{ID: pm, UserID: userID, Provider: "stripe", CustomerID: "cus_" + userID, Brand: "visa",
		Last4: "4242", ExpMonth: 8, ExpYear: 2030, CreatedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	if err := c.store.SavePaymentMethod(ctx, m); err != nil {
		return charging.PaymentMethod{}, err
	}
	return m, nil
}
