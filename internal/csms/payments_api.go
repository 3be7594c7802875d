package csms

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// Payments is how drivers pay; payment.Router implements it. It is
// declared here, where it is used, so that csms imports only charging.
type Payments interface {
	// For returns the provider that pays the user's next session: their
	// saved card when cards are enabled and they have one, else their
	// wallet.
	For(ctx context.Context, userID string) (charging.PaymentProvider, error)
	// Provider returns the provider of a session's Payment.Provider
	// ("wallet", "stripe"), to capture, release or refund; false when it
	// is not configured (any more).
	Provider(name string) (charging.PaymentProvider, bool)
	// CardsEnabled reports whether cards can be saved (Stripe is configured).
	CardsEnabled() bool
	// SaveCard saves a card (a Stripe pm_ id) for the user; ECONFLICT
	// when cards are not enabled.
	SaveCard(ctx context.Context, userID, email, paymentMethodID string) (charging.PaymentMethod, error)
	// DeleteCard deletes one of the user's cards (ENOTFOUND for another's).
	DeleteCard(ctx context.Context, userID, id string) error
}

// Payments returns the configured payments (Config.Payments), nil when none.
func (s *Service) Payments() Payments { return s.cfg.Payments }

// GetWallet returns a user's wallet in a currency (zero without entries);
// an unknown user is ENOTFOUND.
func (s *Service) GetWallet(ctx context.Context, userID, currency string) (charging.Wallet, error) {
	if err := s.userExists(ctx, userID); err != nil {
		return charging.Wallet{}, err
	}
	if !charging.ValidCurrency(currency) {
		return charging.Wallet{}, charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", currency)
	}
	return s.store.GetWallet(ctx, userID, currency)
}

// ListWalletEntries returns a user's wallet entries, newest first.
func (s *Service) ListWalletEntries(ctx context.Context, q charging.WalletEntryQuery) (charging.Page[charging.WalletEntry], error) {
	if err := s.userExists(ctx, q.UserID); err != nil {
		return charging.Page[charging.WalletEntry]{}, err
	}
	if q.Currency != "" && !charging.ValidCurrency(q.Currency) {
		return charging.Page[charging.WalletEntry]{}, charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", q.Currency)
	}
	return s.store.ListWalletEntries(ctx, q)
}

// AddWalletEntry writes a staff entry in a user's wallet: a topup, a
// grant or an adjustment (holds, debits and refunds are the payment
// providers'). Joule sets its ID, time and author (the caller,
// charging.RequestedBy); it returns the wallet after it.
func (s *Service) AddWalletEntry(ctx context.Context, e charging.WalletEntry) (charging.Wallet, error) {
	switch e.Kind {
	case charging.WalletTopup, charging.WalletGrant, charging.WalletAdjustment:
	default:
		return charging.Wallet{}, charging.Errorf(charging.EINVALID, "kind must be topup, grant or adjustment, got %q", e.Kind)
	}
	if err := s.userExists(ctx, e.UserID); err != nil {
		return charging.Wallet{}, err
	}
	e.ID, e.CreatedAt, e.CreatedBy = newID(), s.utcNow(), charging.RequestedBy(ctx)
	e.SessionID, e.Reference = "", ""
	return s.store.AddWalletEntry(ctx, e)
}

// ListPaymentMethods returns a user's saved cards, newest first.
func (s *Service) ListPaymentMethods(ctx context.Context, userID string) ([]charging.PaymentMethod, error) {
	return s.store.ListPaymentMethods(ctx, userID)
}

// SavePaymentMethod saves a card the app collected at Stripe for the
// user; ECONFLICT when cards are not configured.
func (s *Service) SavePaymentMethod(ctx context.Context, userID, paymentMethodID string) (charging.PaymentMethod, error) {
	p := s.cfg.Payments
	if p == nil || !p.CardsEnabled() {
		return charging.PaymentMethod{}, charging.Errorf(charging.ECONFLICT, "card payments are not configured on this server (joule serve --stripe-key); pay with the wallet")
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return charging.PaymentMethod{}, err
	}
	return p.SaveCard(ctx, u.ID, u.Email, paymentMethodID)
}

// DeletePaymentMethod deletes one of the user's cards; another user's
// is ENOTFOUND.
func (s *Service) DeletePaymentMethod(ctx context.Context, userID, id string) error {
	if p := s.cfg.Payments; p != nil {
		return p.DeleteCard(ctx, userID, id)
	}
	return s.store.DeletePaymentMethod(ctx, userID, id)
}

func (s *Service) userExists(ctx context.Context, id string) error {
	_, err := s.store.GetUser(ctx, id)
	if charging.ErrorCode(err) == charging.ENOTFOUND {
		return charging.Errorf(charging.ENOTFOUND, "user %s not found", id)
	}
	return err
}
