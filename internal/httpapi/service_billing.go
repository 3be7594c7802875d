package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// BillingService is what the API needs for sessions' money: receipts,
// totals and refunds (csms/payments.go, csms/receipt.go).
type BillingService interface {
	// Receipt returns a paid session's receipt; ENOTFOUND when it has none.
	Receipt(ctx context.Context, sessionID string) (charging.Receipt, error)
	// SessionTotals sums the sessions q selects.
	SessionTotals(ctx context.Context, q charging.SessionQuery) (charging.SessionTotals, error)
	// RefundSession gives back amount ("": all that is left) of a captured payment.
	RefundSession(ctx context.Context, sessionID string, amount charging.Decimal, reason string) (charging.Session, error)
}
