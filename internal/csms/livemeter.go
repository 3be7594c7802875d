package csms

import (
	"cmp"
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// The meter hot path. A charging session sends MeterValues every few
// seconds for hours; reading its session from the store before every
// write was a fifth of the path's CPU. The service keeps each charger's
// active sessions in memory (Service.live, only touched under the charger's
// lock) and writes with a guard instead of reading: the store overwrites
// the session only if every column is still what the service last wrote.
// Any other writer (a stop, a remote stop request, a second node) breaks
// the guard, and the report is applied again on the slow path, which reads
// the session. A cache miss is the slow path too, so the cache never
// decides anything on its own.

// guardedMeterStore is implemented by stores that can write a meter
// report guarded by the session's previous state (sqlite.Store).
type guardedMeterStore interface {
	AddMeterSamplesIfUnchanged(ctx context.Context, samples []charging.MeterSample, s, prev *charging.Session) error
}

// liveSessions are one charger's active sessions by transaction id.
type liveSessions map[string]charging.Session

// meterValuesCached applies m with the cached session of its transaction.
// done is false when the caller must take the slow path (no cached
// session, or it was stale); the report is then not applied.
// The caller holds the charger's lock.
func (s *Service) meterValuesCached(ctx context.Context, chargerID string, m charging.MeterReport) (done bool, err error) {
	gs, ok := s.store.(guardedMeterStore)
	if !ok || m.TransactionID == "" {
		return false, nil
	}
	v, ok := s.live.Load(chargerID)
	if !ok {
		return false, nil
	}
	byTx := v.(liveSessions)
	ses, ok := byTx[m.TransactionID]
	if !ok {
		return false, nil
	}
	prev := ses
	samples := m.Samples
	for i := range samples {
		// 2.0.1 Updated events may omit the EVSE: the session knows it.
		samples[i].ChargerID, samples[i].ConnectorID = chargerID, cmp.Or(m.ConnectorID, ses.ConnectorID)
		samples[i].SessionID, samples[i].TransactionID = ses.ID, ses.TransactionID
	}
	applyLive(&ses, samples)
	ses.UpdatedAt = s.utcNow()
	err = gs.AddMeterSamplesIfUnchanged(ctx, samples, &ses, &prev)
	switch charging.ErrorCode(err) {
	case "":
	case charging.ECONFLICT, charging.ENOTFOUND:
		delete(byTx, m.TransactionID) // stale: read it again
		return false, nil
	}
	if err != nil {
		return true, err
	}
	byTx[m.TransactionID] = ses
	s.publishSession(ctx, charging.EventSessionMeter, ses, samples)
	return true, nil
}

// rememberLive caches ses, as just written, if it is active; otherwise it
// forgets its transaction. The caller holds the charger's lock.
func (s *Service) rememberLive(ses *charging.Session) {
	if _, ok := s.store.(guardedMeterStore); !ok || ses == nil || ses.TransactionID == "" {
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
