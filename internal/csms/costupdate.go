package csms

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// costUpdates remembers when Joule last sent a 2.0.1 charger the running
// cost of each transaction (CostUpdated), so that a charger reporting
// meter values every few seconds gets it at most once per
// Config.CostUpdateInterval.
type costUpdates struct {
	mu   sync.Mutex
	sent map[string]time.Time // charger id NUL transaction id → when queued
}

// costUpdated queues a CostUpdated with an active session's running cost
// for its charger, when the interval since the last one has passed. It is
// sent as a follow-up (after the follow-up delay, by the node that holds
// the charger), only to a 2.0.1 charger, and recorded in the command log
// like every command Joule sends on its own; a newer one for the same
// transaction replaces one not sent yet.
func (s *Service) costUpdated(ses charging.Session) {
	if ses.Cost == nil || ses.Cost.Final || ses.TransactionID == "" || ses.Status != charging.SessionActive ||
		charging.Decimal(ses.Cost.Total).Sign() == 0 {
		return // nothing to tell yet
	}
	key := ses.ChargerID + "\x00" + ses.TransactionID
	now := time.Now()
	s.costs.mu.Lock()
	if s.costs.sent == nil {
		s.costs.sent = map[string]time.Time{}
	}
	if last, ok := s.costs.sent[key]; ok && now.Sub(last) < s.cfg.CostUpdateInterval {
		s.costs.mu.Unlock()
		return
	}
	s.costs.sent[key] = now
	s.costs.mu.Unlock()

	chargerID, txID, total := ses.ChargerID, ses.TransactionID, charging.Decimal(ses.Cost.Total)
	s.later(chargerID, "CostUpdated "+txID, func(ctx context.Context) error {
		c, err := s.store.GetCharger(ctx, chargerID)
		if err != nil || c.OCPPVersion != charging.OCPP201 || !s.cmd.Connected(chargerID) {
			return err
		}
		if ses, err := s.store.GetSessionByTransaction(ctx, chargerID, txID); err != nil || ses.Status != charging.SessionActive {
			return nil // it ended meanwhile: the Ended answer carries the final cost
		}
		f, _ := total.Rat().Float64()
		payload, err := json.Marshal(struct {
			TotalCost     float64 `json:"totalCost"`
			TransactionID string  `json:"transactionId"`
		}{f, txID})
		if err != nil {
			return err
		}
		_, err = s.commandRecorded(ctx, chargerID, "CostUpdated", payload)
		return err
	})
}

// forgetCost drops the transaction's CostUpdated memory (it ended).
func (s *Service) forgetCost(chargerID, transactionID string) {
	s.costs.mu.Lock()
	delete(s.costs.sent, chargerID+"\x00"+transactionID)
	s.costs.mu.Unlock()
}
