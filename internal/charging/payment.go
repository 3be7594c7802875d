package charging

import "time"

// PaymentStatus is where a session's payment is.
type PaymentStatus string

const (
	PaymentAuthorized PaymentStatus = "authorized" // an amount is held; the session may charge
	PaymentCaptured   PaymentStatus = "captured"   // the final cost was taken
	PaymentUnpaid     PaymentStatus = "unpaid"     // the final cost could not be taken yet; retried
	PaymentReleased   PaymentStatus = "released"   // nothing was owed; the hold was given back
	PaymentRefunded   PaymentStatus = "refunded"   // an operator gave (part of) it back
	PaymentFailed     PaymentStatus = "failed"     // the hold was refused (declined, no balance)
)

// Payment is how a session is paid: the provider (wallet or stripe), what
// was held before the start and what was taken at the end. Amounts are
// decimal strings in Currency.
type Payment struct {
	Provider      string        `json:"provider"` // "wallet" or "stripe"
	Status        PaymentStatus `json:"status"`
	Currency      string        `json:"currency"`
	Authorized    string        `json:"authorized"`
	Captured      string        `json:"captured,omitempty"`
	Refunded      string        `json:"refunded,omitempty"`
	Reference     string        `json:"reference,omitempty"` // the provider's id (payment intent, wallet hold)
	Attempts      int           `json:"attempts,omitempty"`  // capture attempts
	LastError     string        `json:"lastError,omitempty"`
	NextAttemptAt *time.Time    `json:"nextAttemptAt,omitempty"`
	ReceiptNumber string        `json:"receiptNumber,omitempty"`
	UpdatedAt     time.Time     `json:"updatedAt"`
}
