package csms

import (
	"github.com/joule-ev/joule/internal/charging"
)

// The meter hot path. A charging session sends MeterValues every few
// seconds for hours. The service keeps each charger's active sessions in
// memory (Service.live, only touched under the charger's lock), so a
// report reads nothing: its unit of work appends the samples to the meter
// log and sets the session's live values (charging.Tx.SetSessionLive),
// which change nothing else on the session. Every write of a session the
// service makes under the charger's lock refreshes or drops the cached
// copy; a cache miss reads the session inside the unit.
//
// With several nodes on one store, another node may have changed a cached
// session (a stop request from an app call, the charger's stop or meter
// values while it was connected there). The cache is therefore only ever
// written back as live values, which never overwrite a session that is no
// longer active or was written at or after them (SetSessionLive): a stale
// copy cannot undo another node's write. And a charger's cached sessions
// are dropped when it connects, boots or disconnects, so a charger that
// moved away and back starts from the store.

// liveSessions are one charger's active sessions by transaction id.
type liveSessions map[string]charging.Session

// cachedSession returns a copy of the cached session of the charger's
// transaction. The caller holds the charger's lock.
func (s *Service) cachedSession(chargerID, transactionID string) (*charging.Session, bool) {
	if transactionID == "" {
		return nil, false
	}
	v, ok := s.live.Load(chargerID)
	if !ok {
		return nil, false
	}
	ses, ok := v.(liveSessions)[transactionID]
	if !ok {
		return nil, false
	}
	return &ses, true
}

// rememberLive caches ses, as just written, if it is active; otherwise it
// forgets its transaction. The caller holds the charger's lock.
func (s *Service) rememberLive(ses *charging.Session) {
	if ses == nil || ses.TransactionID == "" {
		return
	}
	if ses.Status != charging.SessionActive {
		s.forgetLive(ses.ChargerID, ses.TransactionID)
		return
	}
	v, _ := s.live.LoadOrStore(ses.ChargerID, liveSessions{})
	v.(liveSessions)[ses.TransactionID] = *ses
}

// forgetLive drops a transaction's cached session; with transactionID ""
// it drops the charger's. The caller holds the charger's lock.
func (s *Service) forgetLive(chargerID, transactionID string) {
	if transactionID == "" {
		s.live.Delete(chargerID)
		return
	}
	if v, ok := s.live.Load(chargerID); ok {
		delete(v.(liveSessions), transactionID)
	}
}
