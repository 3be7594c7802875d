package payment

import (
	"context"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// Wallet takes sessions' money from the driver's prepaid wallet: a hold
// entry at the start, a debit of the final cost at the end (which frees
// the hold), through the store's ledger (charging.WalletStore).
//
// A session that costs more than its hold is debited in full: the
// wallet's balance may go below zero, and the next start is refused until
// a top-up covers it. References are "wallet-" and the hold's idempotency
// key (the session id when there is none).
type Wallet struct {
	store charging.WalletStore
}

var _ Provider = (*Wallet)(nil)

// NewWallet returns the wallet provider over store.
func NewWallet(store charging.WalletStore) *Wallet { return &Wallet{store: store} }

// Name returns "wallet".
func (w *Wallet) Name() string { return NameWallet }

// Authorize holds h.Amount in the user's wallet. Available below the
// amount is an EPAYMENT error ("wallet balance 5.00 EUR is below the
// 20.00 EUR needed to start"). The same hold again returns the same
// reference and holds nothing more.
func (w *Wallet) Authorize(ctx context.Context, h Hold) (string, error) {
	n, key, err := checkHold(h, "wallet")
	if err != nil {
		return "", err
	}
	ref := "wallet-" + key
	_, err = w.store.AddWalletEntry(ctx, charging.WalletEntry{UserID: h.UserID, Currency: h.Currency, Kind: charging.WalletHold,
		Amount: -n, SessionID: h.SessionID, Reference: ref, CreatedBy: charging.RequestedBy(ctx)})
	if err != nil {
		return "", err
	}
	return ref, nil
}

// Capture debits the final amount and frees the hold; 0 releases it. The
// same capture again debits nothing more; another amount after a capture
// is ECONFLICT.
func (w *Wallet) Capture(ctx context.Context, reference string, amount charging.Decimal, currency string) error {
	n, err := minor("amount", amount, currency, 0)
	if err != nil {
		return err
	}
	if n == 0 {
		return w.Release(ctx, reference)
	}
	hold, err := w.hold(ctx, reference, currency)
	if err != nil {
		return err
	}
	_, err = w.store.AddWalletEntry(ctx, charging.WalletEntry{UserID: hold.UserID, Currency: currency, Kind: charging.WalletDebit,
		Amount: -n, SessionID: hold.SessionID, Reference: reference, CreatedBy: charging.RequestedBy(ctx)})
	return err
}

// Release gives the whole hold back; again, it does nothing more.
func (w *Wallet) Release(ctx context.Context, reference string) error {
	hold, err := w.hold(ctx, reference, "")
	if err != nil {
		return err
	}
	_, err = w.store.AddWalletEntry(ctx, charging.WalletEntry{UserID: hold.UserID, Currency: hold.Currency, Kind: charging.WalletRelease,
		SessionID: hold.SessionID, Reference: reference, CreatedBy: charging.RequestedBy(ctx)})
	return err
}

// Refund credits amount of the captured debit back. A refund of the same
// reference and amount again is the same refund (a retry), as at Stripe;
// refunds never add up to more than the debit (ECONFLICT).
func (w *Wallet) Refund(ctx context.Context, reference string, amount charging.Decimal, currency string) error {
	n, err := minor("amount", amount, currency, 1)
	if err != nil {
		return err
	}
	hold, err := w.hold(ctx, reference, currency)
	if err != nil {
		return err
	}
	_, err = w.store.AddWalletEntry(ctx, charging.WalletEntry{ID: fmt.Sprintf("refund-%s-%d", reference, n),
		UserID: hold.UserID, Currency: currency, Kind: charging.WalletRefund, Amount: n,
		SessionID: hold.SessionID, Reference: reference, CreatedBy: charging.RequestedBy(ctx)})
	return err
}

// hold returns the hold of reference, checking its currency when given.
func (w *Wallet) hold(ctx context.Context, reference, currency string) (charging.WalletEntry, error) {
	h, err := w.store.GetWalletHold(ctx, reference)
	if err != nil {
		return h, err
	}
	if currency != "" && h.Currency != currency {
		return h, charging.Errorf(charging.EINVALID, "currency %s is not the hold's (%s)", currency, h.Currency)
	}
	return h, nil
}
