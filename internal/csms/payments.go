package csms

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Payments: a start from the app by a driver account on a priced
// connector places a hold with the driver's provider (a saved card, else
// the wallet) before the charger is asked; a declined hold refuses the
// start (EPAYMENT) and nothing is created. The hold is on the session
// (Payment, status authorized) from its first write. When the session
// ends, its final cost is stored with it in the same unit; settling the
// payment is a network call, so it is never made inside a unit: the
// payment worker (settlePayments, run by the leader after each end and
// every sweep) captures the final cost, or releases the hold of a session
// that failed or cost nothing, and records the outcome in a unit of its
// own. A capture that fails leaves the payment unpaid, visible to the
// operator, and is retried with a growing delay. Captures and releases
// are idempotent at the providers, so a retry after a crash between the
// provider's answer and the write takes nothing twice.

// DefaultPaymentHold is the amount held before an app start when the
// tariff has no maximum price.
const DefaultPaymentHold = charging.Decimal("30.00")

// maxCaptureDelay bounds the delay between two capture attempts.
const maxCaptureDelay = 6 * time.Hour

// holdAmount is what a start on the tariff holds: the tariff's maximum
// price (including VAT when given), else the configured hold.
func (s *Service) holdAmount(t *charging.Tariff) charging.Decimal {
	if t.MaxPrice != nil {
		if t.MaxPrice.InclVat != "" {
			return t.MaxPrice.InclVat
		}
		if t.MaxPrice.ExclVat != "" {
			return t.MaxPrice.ExclVat
		}
	}
	if s.cfg.PaymentHold != "" {
		return s.cfg.PaymentHold
	}
	return DefaultPaymentHold
}

// authorizeStart prices a start for the id tag's owner and, when the
// connector is priced and the owner is a driver account, places the hold:
// ses gets its tariff, a zero running cost and the authorized payment.
// Nothing is written; a declined hold is EPAYMENT.
func (s *Service) authorizeStart(ctx context.Context, ses *charging.Session) error {
	owner, err := ownerOf(ctx, s.store, ses)
	if err != nil {
		return err
	}
	if err := s.priceNew(ctx, s.store, ses, owner); err != nil || ses.Tariff == nil {
		return err
	}
	if owner == "" || s.cfg.Payments == nil {
		return nil // a staff start with a bare id tag: priced, paid elsewhere
	}
	p, err := s.cfg.Payments.For(ctx, owner)
	if err != nil {
		return err
	}
	amount := s.holdAmount(ses.Tariff)
	ref, err := p.Authorize(ctx, charging.PaymentHold{
		UserID: owner, SessionID: ses.ID, Currency: ses.Tariff.Currency, Amount: amount,
		IdempotencyKey: "hold-" + ses.ID,
	})
	if err != nil {
		return err
	}
	now := s.utcNow()
	ses.Payment = &charging.Payment{Provider: p.Name(), Status: charging.PaymentAuthorized,
		Currency: ses.Tariff.Currency, Authorized: string(amount), Reference: ref, UpdatedAt: now}
	return nil
}

// releaseUnused gives back the hold of a start that never became a
// session (its first write failed).
func (s *Service) releaseUnused(ctx context.Context, ses charging.Session) {
	if ses.Payment == nil || s.cfg.Payments == nil {
		return
	}
	p, ok := s.cfg.Payments.Provider(ses.Payment.Provider)
	if !ok {
		return
	}
	if err := p.Release(context.WithoutCancel(ctx), ses.Payment.Reference); err != nil {
		s.log.Error("release the hold of a start that was not recorded", "session", ses.ID, "provider", ses.Payment.Provider, "err", err)
	}
}

// kickPayments asks the payment worker to run now (after a session with a
// payment ended).
func (s *Service) kickPayments() {
	select {
	case s.payKick <- struct{}{}:
	default:
	}
}

// SettlePayments settles the payments of ended sessions that are due:
// captures final costs, releases holds nothing is owed on, retries failed
// captures whose delay has passed. It returns how many it settled.
func (s *Service) SettlePayments(ctx context.Context) (int, error) {
	if s.cfg.Payments == nil {
		return 0, nil
	}
	q := charging.SessionQuery{PaymentStatus: []charging.PaymentStatus{charging.PaymentAuthorized, charging.PaymentUnpaid}, Limit: 100}
	n := 0
	for {
		page, err := s.store.ListSessions(ctx, q)
		if err != nil {
			return n, err
		}
		now := s.utcNow()
		for _, ses := range page.Items {
			if ses.Status.Open() || ses.Payment == nil ||
				(ses.Payment.NextAttemptAt != nil && ses.Payment.NextAttemptAt.After(now)) {
				continue
			}
			if err := s.settlePayment(ctx, ses); err != nil {
				if ctx.Err() != nil {
					return n, ctx.Err()
				}
				s.log.Error("settle a session's payment", "session", ses.ID, "err", err)
				continue
			}
			n++
		}
		if page.NextCursor == "" {
			return n, nil
		}
		q.Cursor = page.NextCursor
	}
}

// settlePayment captures or releases one ended session's payment and records the
// outcome.
func (s *Service) settlePayment(ctx context.Context, ses charging.Session) error {
	pay := *ses.Payment
	p, ok := s.cfg.Payments.Provider(pay.Provider)
	if !ok {
		return fmt.Errorf("session %s: payment provider %q is not configured", ses.ID, pay.Provider)
	}
	owed := charging.Decimal("")
	if ses.Status == charging.SessionFinished && ses.Cost != nil && ses.Cost.Final && charging.Decimal(ses.Cost.Total).Sign() > 0 {
		owed = charging.Decimal(ses.Cost.Total)
	}
	var perr error
	if owed == "" {
		perr = p.Release(ctx, pay.Reference)
	} else {
		perr = p.Capture(ctx, pay.Reference, owed, ses.Cost.Currency)
	}
	now := s.utcNow()
	if perr != nil && charging.ErrorCode(perr) == charging.EINTERNAL && ctx.Err() != nil {
		return perr // shutting down: the next run tries again
	}
	return s.recordPayment(ctx, ses.ID, pay.Reference, func(ses *charging.Session, u *unit) error {
		pp := ses.Payment
		pp.UpdatedAt = now
		switch {
		case perr != nil:
			pp.Status = charging.PaymentUnpaid
			pp.Attempts++
			pp.LastError = charging.ErrorMessage(perr)
			if charging.ErrorCode(perr) == charging.EINTERNAL {
				pp.LastError = perr.Error()
			}
			next := now.Add(captureDelay(pp.Attempts))
			pp.NextAttemptAt = &next
		case owed == "":
			pp.Status, pp.LastError, pp.NextAttemptAt = charging.PaymentReleased, "", nil
		default:
			pp.Status, pp.Captured, pp.LastError, pp.NextAttemptAt = charging.PaymentCaptured, string(owed), "", nil
			n, err := u.tx.NextReceiptNumber(ctx)
			if err != nil {
				return err
			}
			pp.ReceiptNumber = receiptNumber(ses.Cost.ComputedAt, n)
		}
		return nil
	})
}

// captureDelay is the wait before capture attempt n+1: 1 minute, then
// doubling, at most maxCaptureDelay.
func captureDelay(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < maxCaptureDelay; i++ {
		d *= 2
	}
	return min(d, maxCaptureDelay)
}

// receiptNumber formats a receipt number: R-<year>-<six digits>.
func receiptNumber(at time.Time, n int64) string {
	return fmt.Sprintf("R-%d-%06d", at.Year(), n)
}

// recordPayment changes a session's payment in one unit of work, if it is
// still the payment with that reference, and publishes the session.
func (s *Service) recordPayment(ctx context.Context, sessionID, ref string, change func(*charging.Session, *unit) error) error {
	return s.update(ctx, func(u *unit) error {
		ses, err := u.tx.GetSession(ctx, sessionID)
		if err != nil {
			return err
		}
		if ses.Payment == nil || ses.Payment.Reference != ref {
			return charging.Errorf(charging.ECONFLICT, "session %s's payment changed meanwhile", sessionID)
		}
		p := *ses.Payment
		ses.Payment = &p
		if err := change(&ses, u); err != nil {
			return err
		}
		ses.UpdatedAt = s.utcNow()
		if err := u.tx.UpdateSession(ctx, ses); err != nil {
			return err
		}
		u.publishSession(charging.EventSessionUpdated, ses, nil)
		return nil
	})
}

// RefundSession gives back amount ("" or the whole captured amount) of a
// captured session's payment, by an operator.
func (s *Service) RefundSession(ctx context.Context, sessionID string, amount charging.Decimal, reason string) (charging.Session, error) {
	ses, err := s.store.GetSession(ctx, sessionID)
	if err != nil {
		return charging.Session{}, err
	}
	pay := ses.Payment
	if pay == nil || (pay.Status != charging.PaymentCaptured && pay.Status != charging.PaymentRefunded) {
		return charging.Session{}, charging.Errorf(charging.ECONFLICT, "session %s has no captured payment to refund", sessionID)
	}
	captured := charging.Decimal(pay.Captured).Rat()
	refunded := charging.Decimal(pay.Refunded).Rat()
	left := new(big.Rat).Sub(captured, refunded)
	if amount == "" {
		amount = charging.DecimalFromRat(left, charging.CurrencyPlaces(pay.Currency))
	}
	switch a := amount.Rat(); {
	case a.Sign() <= 0:
		return charging.Session{}, charging.Errorf(charging.EINVALID, "amount must be more than 0")
	case a.Cmp(left) > 0:
		return charging.Session{}, charging.Errorf(charging.EINVALID, "amount %s is more than the %s %s left to refund",
			amount, charging.DecimalFromRat(left, charging.CurrencyPlaces(pay.Currency)), pay.Currency)
	case charging.RoundRat(a, charging.CurrencyPlaces(pay.Currency)).Cmp(a) != 0:
		return charging.Session{}, charging.Errorf(charging.EINVALID, "amount %s has more decimal places than %s has", amount, pay.Currency)
	}
	if s.cfg.Payments == nil {
		return charging.Session{}, charging.Errorf(charging.ECONFLICT, "payments are not configured")
	}
	p, ok := s.cfg.Payments.Provider(pay.Provider)
	if !ok {
		return charging.Session{}, charging.Errorf(charging.ECONFLICT, "payment provider %q is not configured", pay.Provider)
	}
	if err := p.Refund(ctx, pay.Reference, amount, pay.Currency); err != nil {
		return charging.Session{}, err
	}
	err = s.recordPayment(ctx, sessionID, pay.Reference, func(ses *charging.Session, _ *unit) error {
		pp := ses.Payment
		total := new(big.Rat).Add(charging.Decimal(pp.Refunded).Rat(), amount.Rat())
		pp.Refunded = string(charging.DecimalFromRat(total, charging.CurrencyPlaces(pp.Currency)))
		pp.Status = charging.PaymentRefunded
		pp.UpdatedAt = s.utcNow()
		if reason != "" {
			ses.Flags = append(ses.Flags, fmt.Sprintf("refunded %s %s: %s", amount, pp.Currency, reason))
		}
		return nil
	})
	if err != nil {
		return charging.Session{}, err
	}
	return s.store.GetSession(ctx, sessionID)
}

// reachedHold reports whether an active session's running cost has
// reached what its payment holds: a card cannot be captured for more, and
// a wallet's hold is what the driver could afford.
func reachedHold(ses *charging.Session) bool {
	p, c := ses.Payment, ses.Cost
	if p == nil || c == nil || p.Status != charging.PaymentAuthorized || ses.StopRequestedAt != nil ||
		ses.Status != charging.SessionActive || p.Authorized == "" || c.Currency != p.Currency {
		return false
	}
	return charging.Decimal(c.Total).Rat().Cmp(charging.Decimal(p.Authorized).Rat()) >= 0
}

// stopAtHold asks the charger to stop a session whose running cost reached
// its payment hold, once, as a follow-up of the node that holds the
// charger; the session is flagged so the driver and the operator see why.
func (s *Service) stopAtHold(ses charging.Session) {
	if _, done := s.holdStops.LoadOrStore(ses.ID, true); done {
		return
	}
	id, hold, cur := ses.ID, ses.Payment.Authorized, ses.Payment.Currency
	s.later(ses.ChargerID, "stop at hold "+id, func(ctx context.Context) error {
		flag := fmt.Sprintf("the running cost reached the %s %s held for the payment; Joule asked the charger to stop", hold, cur)
		err := s.update(ctx, func(u *unit) error {
			cur, err := u.tx.GetSession(ctx, id)
			if err != nil || cur.Status != charging.SessionActive || slices.Contains(cur.Flags, flag) {
				return err
			}
			cur.Flags = append(cur.Flags, flag)
			cur.UpdatedAt = s.utcNow()
			return u.tx.UpdateSession(ctx, cur)
		})
		if err != nil {
			return err
		}
		s.log.Warn("stopping a session at its payment hold", "session", id, "hold", hold, "currency", cur)
		_, err = s.StopSession(ctx, id)
		if charging.ErrorCode(err) == charging.ECONFLICT {
			return nil // it ended meanwhile
		}
		return err
	})
}
