// Package payment takes the money for charging sessions: from a driver's
// prepaid wallet (Wallet, over the store's ledger) or from a saved card at
// Stripe (Stripe). A Router picks one per driver.
//
// The flow csms runs: Authorize before a start (a hold; a refusal is an
// EPAYMENT error and nothing starts), Capture of the final cost when the
// session ends (0 releases the hold), Release when nothing was owed,
// Refund when an operator gives money back. Every call is safe to retry
// with the same arguments; an error whose code is not EPAYMENT, ECONFLICT
// or EINVALID may be temporary (Retryable) and the call retried later.
package payment

import (
	"github.com/joule-ev/joule/internal/charging"
)

// Provider takes a session's money; see charging.PaymentProvider. It is
// declared in charging so that csms, which imports only charging, can use
// it.
type Provider = charging.PaymentProvider

// Hold is what Authorize holds; see charging.PaymentHold.
type Hold = charging.PaymentHold

// Provider names (charging.Payment.Provider).
const (
	NameWallet = "wallet"
	NameStripe = "stripe"
)

// Retryable reports whether a provider's error may be temporary (the
// network, the provider's 5xx or 429, a store that failed): the same call
// may succeed later. Refusals (EPAYMENT), conflicts and invalid requests
// are not.
func Retryable(err error) bool {
	switch charging.ErrorCode(err) {
	case charging.EINTERNAL, charging.ETIMEOUT, charging.EUNAVAILABLE, charging.ESTORAGEFULL:
		return true
	}
	return false
}

// minor converts an amount to minor units of currency, which must be at
// least min (0 or 1); field names it in errors.
func minor(field string, amount charging.Decimal, currency string, min int64) (int64, error) {
	if !charging.ValidCurrency(currency) {
		return 0, charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", currency)
	}
	n, err := charging.MinorUnits(field, amount, currency)
	if err != nil {
		return 0, err
	}
	if n < min {
		if min == 1 {
			return 0, charging.Errorf(charging.EINVALID, "%s must be above zero, got %s", field, amount)
		}
		return 0, charging.Errorf(charging.EINVALID, "%s must not be negative, got %s", field, amount)
	}
	return n, nil
}

// checkHold checks a hold a provider (what: "card", "wallet") is asked for
// and returns its amount in minor units and its idempotency key (the
// session id when none is given).
func checkHold(h Hold, what string) (amount int64, key string, err error) {
	if amount, err = minor("amount", h.Amount, h.Currency, 1); err != nil {
		return 0, "", err
	}
	key = h.IdempotencyKey
	if key == "" {
		key = h.SessionID
	}
	if key == "" || h.UserID == "" {
		return 0, "", charging.Errorf(charging.EINVALID, "a %s hold needs a user and a session id or idempotency key", what)
	}
	return amount, key, nil
}
