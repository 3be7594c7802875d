package httpapi_test

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// The BillingService part of fakeService: receipts from a map, totals and
// refunds recorded.

func (f *fakeService) Receipt(ctx context.Context, sessionID string) (charging.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err["Receipt"]; err != nil {
		return charging.Receipt{}, err
	}
	r, ok := f.receipts[sessionID]
	if !ok {
		return charging.Receipt{}, charging.Errorf(charging.ENOTFOUND, "session %s has no receipt: it is free or not paid yet", sessionID)
	}
	return r, nil
}

func (f *fakeService) SessionTotals(ctx context.Context, q charging.SessionQuery) (charging.SessionTotals, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.totalsQuery = &q
	return charging.SessionTotals{Sessions: 2, EnergyWh: 12758, Costs: []charging.Money{{Currency: "EUR", Amount: "3.82"}},
		Paid: []charging.Money{{Currency: "EUR", Amount: "1.91"}}, Unpaid: []charging.Money{{Currency: "EUR", Amount: "1.91"}}}, nil
}

func (f *fakeService) RefundSession(ctx context.Context, sessionID string, amount charging.Decimal, reason string) (charging.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err["RefundSession"]; err != nil {
		return charging.Session{}, err
	}
	s, ok := f.sessions[sessionID]
	if !ok {
		return charging.Session{}, charging.Errorf(charging.ENOTFOUND, "session %s not found", sessionID)
	}
	f.refund = []string{sessionID, string(amount), reason}
	p := *s.Payment
	p.Status, p.Refunded = charging.PaymentRefunded, string(amount)
	s.Payment = &p
	f.sessions[sessionID] = s
	return s, nil
}
