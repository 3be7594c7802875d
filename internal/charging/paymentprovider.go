package charging

import "context"

// PaymentProvider takes a session's money: the driver's wallet, or a card
// at Stripe. package payment implements it (payment.Provider is this
// interface); it lives here so that csms, which imports only charging,
// can use it.
//
// Every method is safe to retry with the same arguments: a hold with the
// same IdempotencyKey, a capture, release or refund of a reference
// already done never takes money twice. An error with code EPAYMENT is a
// refusal (a declined card, a wallet without enough balance); any other
// error may be temporary (the network, the provider's 5xx) and the call
// may be retried.
type PaymentProvider interface {
	// Name is "wallet" or "stripe" (Payment.Provider).
	Name() string
	// Authorize holds h.Amount before a start and returns the provider's
	// reference (Payment.Reference) for the calls below.
	Authorize(ctx context.Context, h PaymentHold) (reference string, err error)
	// Capture takes the final amount of an authorized hold (it may be
	// below the hold, and for a wallet above it); 0 releases the hold.
	Capture(ctx context.Context, reference string, amount Decimal, currency string) error
	// Release gives the whole hold back (nothing was owed).
	Release(ctx context.Context, reference string) error
	// Refund gives back amount of what was captured.
	Refund(ctx context.Context, reference string, amount Decimal, currency string) error
}

// PaymentHold is what a start asks a provider to hold.
type PaymentHold struct {
	UserID    string
	SessionID string
	Currency  string
	Amount    Decimal // > 0, at most the currency's places
	// IdempotencyKey makes a retried Authorize return the first one's
	// reference instead of holding again (the session id will do).
	IdempotencyKey string
}
