package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// PaymentService is the wallets and saved cards part of Service
// (payments.go); csms.Service implements it. An unknown user is
// ENOTFOUND.
type PaymentService interface {
	// GetWallet returns a user's wallet in a currency (zero without entries).
	GetWallet(ctx context.Context, userID, currency string) (charging.Wallet, error)
	// ListWalletEntries returns a user's wallet entries, newest first.
	ListWalletEntries(ctx context.Context, q charging.WalletEntryQuery) (charging.Page[charging.WalletEntry], error)
	// AddWalletEntry writes a staff entry (topup, grant, adjustment) and
	// returns the wallet after it.
	AddWalletEntry(ctx context.Context, e charging.WalletEntry) (charging.Wallet, error)
	// ListPaymentMethods returns a user's saved cards, newest first.
	ListPaymentMethods(ctx context.Context, userID string) ([]charging.PaymentMethod, error)
	// SavePaymentMethod saves a card (a Stripe pm_ id) for the user;
	// ECONFLICT when cards are not configured.
	SavePaymentMethod(ctx context.Context, userID, paymentMethodID string) (charging.PaymentMethod, error)
	// DeletePaymentMethod deletes one of the user's cards.
	DeletePaymentMethod(ctx context.Context, userID, id string) error
}
