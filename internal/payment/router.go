package payment

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// Router picks how a driver pays: their saved card when Stripe is
// configured and they have one, else their wallet. It also keeps the
// cards (SaveCard, DeleteCard) and finds a session's provider again by
// name (Provider) to capture, release or refund what it authorized.
type Router struct {
	store  charging.WalletStore
	wallet *Wallet
	stripe *Stripe // nil: cards are not configured
}

// NewRouter returns a router over the store's wallets and, when stripe is
// not nil, cards at Stripe.
func NewRouter(store charging.WalletStore, stripe *Stripe) *Router {
	return &Router{store: store, wallet: NewWallet(store), stripe: stripe}
}

// CardsEnabled reports whether drivers can pay by card (Stripe is configured).
func (r *Router) CardsEnabled() bool { return r.stripe != nil }

// For returns the provider that pays the user's next session.
func (r *Router) For(ctx context.Context, userID string) (Provider, error) {
	if r.stripe != nil {
		ms, err := r.store.ListPaymentMethods(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.Provider == NameStripe {
				return r.stripe, nil
			}
		}
	}
	return r.wallet, nil
}

// Provider returns the provider named name ("wallet", "stripe": a
// session's Payment.Provider); false when it is not configured.
func (r *Router) Provider(name string) (Provider, bool) {
	switch {
	case name == NameWallet:
		return r.wallet, true
	case name == NameStripe && r.stripe != nil:
		return r.stripe, true
	}
	return nil, false
}

// errNoCards is the answer when Stripe is not configured.
func errNoCards() error {
	return charging.Errorf(charging.ECONFLICT, "card payments are not configured on this server (joule serve --stripe-key); pay with the wallet")
}

// SaveCard saves a card at Stripe for the user (Stripe.SaveCard);
// ECONFLICT when Stripe is not configured.
func (r *Router) SaveCard(ctx context.Context, userID, email, paymentMethodID string) (charging.PaymentMethod, error) {
	if r.stripe == nil {
		return charging.PaymentMethod{}, errNoCards()
	}
	return r.stripe.SaveCard(ctx, userID, email, paymentMethodID)
}

// DeleteCard deletes one of the user's cards: detached at Stripe, then
// forgotten. Another user's card is ENOTFOUND.
func (r *Router) DeleteCard(ctx context.Context, userID, id string) error {
	ms, err := r.store.ListPaymentMethods(ctx, userID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.ID != id {
			continue
		}
		if m.Provider == NameStripe && r.stripe != nil {
			if err := r.stripe.DetachCard(ctx, id); err != nil {
				return err
			}
		}
		return r.store.DeletePaymentMethod(ctx, userID, id)
	}
	return charging.Errorf(charging.ENOTFOUND, "payment method %s not found", id)
}
