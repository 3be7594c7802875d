package csms

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/charging"
)

// Lost sessions. A charger that loses a transaction (a reboot that wiped
// it, a crash, a swapped board) never sends its stop, and the session
// would hold its connector forever. Joule ends such a session when the
// charger itself shows the transaction is gone:
//   - a 2.0.1 charger that boots is asked GetTransactionStatus about each
//     of its active sessions; "not ongoing, nothing queued" ends it at once;
//   - a connector reported Available, after the session's last message,
//     for longer than the grace period (Config.LostSessionGrace) ends it —
//     a charger that queued its StopTransaction while offline sends it
//     within that time;
//   - an app start on such a connector ends it without waiting: the
//     charger has said nothing runs there;
//   - an operator closes one by hand (CloseSession).
// The session ends finished and flagged, with the last known reading, and
// ClosedBy says who ended it. A stop the charger sends later still wins
// (transactionStopped replaces the last known reading with its own).

// DefaultLostSessionGrace is how long a connector may report Available
// under an active session before Joule ends the session as lost.
const DefaultLostSessionGrace = 10 * time.Minute

// maxCloseReason bounds an operator's close reason.
const maxCloseReason = 500

// lostSweepInterval is how often the grace sweep runs: a quarter of the
// grace, between the pending sweep's interval and a minute.
func (s *Service) lostSweepInterval() time.Duration {
	return min(max(s.cfg.LostSessionGrace/4, s.cfg.SweepInterval), time.Minute)
}

// closeSession ends an open session the charger never reported stopped:
// a pending one fails, an active one finishes at `at` with its last known
// reading. flag says why; by is charging.ClosedByJoule or ClosedByOperator.
// The caller holds the charger's lock.
func (s *Service) closeSession(ctx context.Context, u *unit, o charging.Session, by, flag string, at time.Time) error {
	now := s.utcNow()
	if o.Status == charging.SessionPending {
		o.Status = charging.SessionFailed
		o.FailureReason = flag
		o.Cost = nil // nothing was charged
	} else {
		o.Status = charging.SessionFinished
		o.StoppedAt = &at
		o.StopReason = "Other"
		if o.MeterStartWh != nil {
			stop := *o.MeterStartWh + o.EnergyWh
			o.MeterStopWh = &stop
		}
		o.PowerW, o.CurrentA, o.VoltageV = 0, nil, nil
		o.Flags = append(o.Flags, flag)
	}
	o.ClosedBy = by
	o.UpdatedAt = now
	if o.Status == charging.SessionFinished {
		// Priced from the meter log up to the last known reading.
		if err := s.finalCost(ctx, u.tx, &o, nil); err != nil {
			return err
		}
	}
	if o.Payment != nil {
		u.then(s.kickPayments)
	}
	if err := u.tx.UpdateSession(ctx, o); err != nil {
		return err
	}
	typ := charging.EventSessionStopped
	if o.Status == charging.SessionFailed {
		typ = charging.EventSessionFailed
	}
	u.then(func() { s.forgetLive(o.ChargerID, o.TransactionID) })
	u.publishSession(typ, o, nil)
	return nil
}

// lostOn reports whether the connector's status shows that the active
// session o no longer runs: the charger reported it Available after the
// session's last message.
func lostOn(o charging.Session, k charging.Connector, ok bool) bool {
	return ok && o.Status == charging.SessionActive && k.Status == charging.StatusAvailable && k.UpdatedAt.After(o.UpdatedAt)
}

// CloseSession ends an open session by hand (an operator's decision: the
// charger lost it, or it was never going to start). Nothing is sent to the
// charger. A finished or failed session is ECONFLICT.
func (s *Service) CloseSession(ctx context.Context, id, reason string) (charging.Session, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return charging.Session{}, charging.Errorf(charging.EINVALID, "reason is required: say why the session is closed")
	case utf8.RuneCountInString(reason) > maxCloseReason:
		return charging.Session{}, charging.Errorf(charging.EINVALID, "reason is longer than %d characters", maxCloseReason)
	}
	ses, err := s.store.GetSession(ctx, id)
	if err != nil {
		return charging.Session{}, err
	}
	unlock := s.lock(ses.ChargerID)
	defer unlock()
	flag := "closed by an operator: " + reason
	if by := charging.RequestedBy(ctx); by != "" {
		flag = fmt.Sprintf("closed by %s: %s", by, reason)
	}
	err = s.update(ctx, func(u *unit) error {
		cur, err := u.tx.GetSession(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Status.Open() {
			return charging.Errorf(charging.ECONFLICT, "session %s is %s; only a pending or active session can be closed", id, cur.Status)
		}
		return s.closeSession(ctx, u, cur, charging.ClosedByOperator, flag, s.utcNow())
	})
	if err != nil {
		return charging.Session{}, err
	}
	return s.store.GetSession(ctx, id)
}

// ReconcileLostSessions ends active sessions whose connector has been
// reported Available, after the session's last message, for longer than
// the grace period. It returns how many it ended.
func (s *Service) ReconcileLostSessions(ctx context.Context) (int, error) {
	grace := s.cfg.LostSessionGrace
	if grace < 0 {
		return 0, nil
	}
	now := s.utcNow()
	chargers := map[string]charging.Charger{}
	ended := 0
	q := charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionActive}, Limit: 500}
	for {
		page, err := s.store.ListSessions(ctx, q)
		if err != nil {
			return ended, err
		}
		for _, o := range page.Items {
			c, ok := chargers[o.ChargerID]
			if !ok {
				if c, err = s.store.GetCharger(ctx, o.ChargerID); err != nil {
					return ended, err
				}
				chargers[o.ChargerID] = c
			}
			k, ok := c.Connector(o.ConnectorID)
			if !lostOn(o, k, ok) || now.Sub(k.UpdatedAt) < grace {
				continue
			}
			done, err := s.endLost(ctx, o.ID, func(cur charging.Session, c charging.Charger) (string, bool) {
				k, ok := c.Connector(cur.ConnectorID)
				if !lostOn(cur, k, ok) || now.Sub(k.UpdatedAt) < grace {
					return "", false
				}
				return fmt.Sprintf("no StopTransaction received; connector %d was reported Available with no transaction since %s (grace %s)",
					cur.ConnectorID, k.UpdatedAt.Format(time.RFC3339), grace), true
			})
			if err != nil {
				return ended, err
			}
			if done {
				ended++
			}
		}
		if page.NextCursor == "" {
			return ended, nil
		}
		q.Cursor = page.NextCursor
	}
}

// endLost ends session id as lost, in one unit under its charger's lock,
// if lost (given the session and its charger as read inside the unit)
// still says so; lost returns the flag to record.
func (s *Service) endLost(ctx context.Context, id string, lost func(charging.Session, charging.Charger) (string, bool)) (bool, error) {
	ses, err := s.store.GetSession(ctx, id)
	if err != nil {
		return false, err
	}
	unlock := s.lock(ses.ChargerID)
	defer unlock()
	done := false
	err = s.update(ctx, func(u *unit) error {
		done = false
		cur, err := u.tx.GetSession(ctx, id)
		if err != nil {
			return err
		}
		c, err := u.tx.GetCharger(ctx, cur.ChargerID)
		if err != nil {
			return err
		}
		flag, ok := lost(cur, c)
		if !ok {
			return nil
		}
		at := s.utcNow()
		if k, ok := c.Connector(cur.ConnectorID); ok && k.UpdatedAt.After(cur.UpdatedAt) {
			at = k.UpdatedAt // when the charger showed it had ended
		}
		done = true
		return s.closeSession(ctx, u, cur, charging.ClosedByJoule, flag, at)
	})
	if done && err == nil {
		s.log.Warn("lost session ended", "session", id, "charger", ses.ChargerID, "tx", ses.TransactionID)
	}
	return done && err == nil, err
}

// askTransactionStatus asks a 2.0.1 charger that booted about each of its
// active sessions (E14 GetTransactionStatus) and ends those it says are
// over with nothing left to send. A 1.6 charger has no such message: its
// sessions are left to the grace sweep.
func (s *Service) askTransactionStatus(ctx context.Context, chargerID string) error {
	asker, ok := s.cmd.(charging.TransactionStatusAsker)
	if !ok {
		return nil
	}
	c, err := s.store.GetCharger(ctx, chargerID)
	if err != nil || c.OCPPVersion == "" || c.OCPPVersion == charging.OCPP16 {
		return err // 1.6 has no GetTransactionStatus
	}
	open, err := s.openSessions(ctx, chargerID, 0)
	if err != nil {
		return err
	}
	for _, o := range open {
		if o.Status != charging.SessionActive || o.TransactionID == "" {
			continue
		}
		var st charging.TransactionStatus
		_, err := s.record(ctx, chargerID, "GetTransactionStatus", map[string]string{"transactionId": o.TransactionID},
			func(ctx context.Context) (any, error) {
				var err error
				st, err = asker.TransactionStatus(ctx, chargerID, o.TransactionID)
				return st, err
			})
		if err != nil {
			return err
		}
		if st.Ongoing == nil || *st.Ongoing || st.MessagesInQueue {
			continue // it runs, or its events are on their way
		}
		asked := o.UpdatedAt
		if _, err := s.endLost(ctx, o.ID, func(cur charging.Session, _ charging.Charger) (string, bool) {
			// Unchanged since the question: no event of it arrived meanwhile.
			return fmt.Sprintf("no TransactionEvent Ended received; after a boot the charger answered GetTransactionStatus for transaction %s: not ongoing, no messages queued",
				cur.TransactionID), cur.Status == charging.SessionActive && !cur.UpdatedAt.After(asked)
		}); err != nil {
			return err
		}
	}
	return nil
}

// endLostOnConnector ends, in u, the active sessions on a connector that
// the charger has reported Available since their last message (an app
// start on that connector: the charger says nothing runs there). The
// caller holds the charger's lock.
func (s *Service) endLostOnConnector(ctx context.Context, u *unit, chargerID string, connectorID int) error {
	c, err := u.tx.GetCharger(ctx, chargerID)
	if err != nil {
		return err
	}
	k, ok := c.Connector(connectorID)
	open, err := s.openSessionsIn(ctx, u.tx, chargerID, connectorID)
	if err != nil {
		return err
	}
	for _, o := range open {
		if !lostOn(o, k, ok) {
			continue
		}
		flag := fmt.Sprintf("no StopTransaction received; connector %d was reported Available with no transaction since %s, and a new start asked for it",
			connectorID, k.UpdatedAt.Format(time.RFC3339))
		if err := s.closeSession(ctx, u, o, charging.ClosedByJoule, flag, k.UpdatedAt); err != nil {
			return err
		}
	}
	return nil
}

// offlineSessions zeroes the live power, current and voltage of a
// charger's active sessions when it disconnects: nothing is known to flow
// while it is away, and dashboards must not count it. The values come back
// with its next meter values. The sessions are read and their live values
// set in one unit of work. The caller holds the charger's lock.
func (s *Service) offlineSessions(ctx context.Context, chargerID string) error {
	return s.update(ctx, func(u *unit) error {
		open, err := s.openSessionsIn(ctx, u.tx, chargerID, 0)
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.Status != charging.SessionActive || o.PowerW == 0 && o.CurrentA == nil && o.VoltageV == nil {
				continue
			}
			o.PowerW, o.CurrentA, o.VoltageV = 0, nil, nil
			o.UpdatedAt = s.liveTime(&o)
			if err := u.tx.SetSessionLive(ctx, o.Live()); err != nil {
				return err
			}
			u.publishSession(charging.EventSessionMeter, o, nil)
		}
		return nil
	})
}
