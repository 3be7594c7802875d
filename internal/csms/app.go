package csms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// ListChargers returns a page of chargers.
func (s *Service) ListChargers(ctx context.Context, q charging.ChargerQuery) (charging.Page[charging.Charger], error) {
	page, err := s.store.ListChargers(ctx, q)
	for i := range page.Items {
		present(&page.Items[i])
	}
	return page, err
}

// GetCharger returns one charger.
func (s *Service) GetCharger(ctx context.Context, id string) (charging.Charger, error) {
	c, err := s.store.GetCharger(ctx, id)
	present(&c)
	return c, err
}

// present moves connector 0 (the charger itself) out of the connector list
// into the charger's Status.
func present(c *charging.Charger) {
	c.Connectors = slices.DeleteFunc(c.Connectors, func(k charging.Connector) bool {
		if k.ConnectorID == 0 {
			c.Status = k.Status
			return true
		}
		return false
	})
	if c.Connectors == nil {
		c.Connectors = []charging.Connector{}
	}
}

// UpdateConnector records what the operator knows about a connector (its
// EVSE id, type, format, power type and maximum power); OCPP 1.6 chargers
// report none of them. A connector the charger has not reported yet is
// declared with status Unknown.
func (s *Service) UpdateConnector(ctx context.Context, chargerID string, connectorID int, u charging.ConnectorUpdate) (charging.Connector, error) {
	if connectorID < 1 {
		return charging.Connector{}, charging.Errorf(charging.EINVALID, "connectorId must be 1 or more, got %d", connectorID)
	}
	if err := u.Validate(); err != nil {
		return charging.Connector{}, err
	}
	unlock := s.lock(chargerID)
	defer unlock()
	var k charging.Connector
	err := s.update(ctx, func(w *unit) error {
		c, err := w.tx.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		k, err = s.updateConnector(ctx, w.tx, c, connectorID, u, "")
		return err
	})
	if err != nil {
		return charging.Connector{}, err
	}
	s.publish(ctx, charging.Event{Type: charging.EventConnectorStatus, ChargerID: chargerID, ConnectorID: connectorID, Connector: &k})
	return k, nil
}

// updateConnector applies an operator's update to connector id of c
// through tx, declaring the connector if the charger has not reported it.
// A tariff it assigns that does not exist is EUNPROCESSABLE, its field
// named after prefix (connectors[0].).
func (s *Service) updateConnector(ctx context.Context, tx charging.Tx, c charging.Charger, id int, u charging.ConnectorUpdate, prefix string) (charging.Connector, error) {
	k, ok := c.Connector(id)
	if !ok {
		k = charging.Connector{ConnectorID: id, Status: charging.StatusUnknown}
	}
	k = u.Apply(k)
	if u.TariffID != nil || u.GroupTariffs != nil {
		if err := checkTariffs(ctx, tx, prefix, k.TariffID, k.GroupTariffs); err != nil {
			return charging.Connector{}, err
		}
	}
	k.UpdatedAt = s.utcNow()
	if err := tx.SaveConnector(ctx, c.ID, k); err != nil {
		return charging.Connector{}, err
	}
	return k, nil
}

// StartSession asks a charger to start charging for an app. It records a
// pending session first, sends the remote start, and waits for the answer:
// the session is returned pending (or already active, when the charger's
// transaction raced ahead of its answer) when the charger accepted.
func (s *Service) StartSession(ctx context.Context, r charging.StartRequest) (charging.Session, error) {
	r.IDTag = strings.TrimSpace(r.IDTag)
	switch {
	case r.IDTag == "":
		return charging.Session{}, charging.Errorf(charging.EINVALID, "idTag is required")
	case charging.IDTagTooLong(r.IDTag):
		return charging.Session{}, charging.Errorf(charging.EINVALID, "idTag %q is longer than 20 characters (OCPP IdToken)", r.IDTag)
	case r.ConnectorID < 0:
		return charging.Session{}, charging.Errorf(charging.EINVALID, "connectorId must be 0 (charger chooses) or more, got %d", r.ConnectorID)
	}
	wish, err := smartStart(r, s.utcNow())
	if err != nil {
		return charging.Session{}, err
	}
	if r.IdempotencyKey != "" {
		prev, err := s.store.GetSessionByIdempotencyKey(ctx, r.IdempotencyKey)
		if err == nil {
			return prev, sameStart(prev, r)
		}
		if charging.ErrorCode(err) != charging.ENOTFOUND {
			return charging.Session{}, err
		}
	}
	c, err := s.store.GetCharger(ctx, r.ChargerID)
	if err != nil {
		return charging.Session{}, err
	}
	if r.ConnectorID > 0 {
		k, ok := c.Connector(r.ConnectorID)
		if !ok {
			return charging.Session{}, charging.Errorf(charging.ENOTFOUND, "charger %s has no connector %d", r.ChargerID, r.ConnectorID)
		}
		switch k.Status {
		case charging.StatusFaulted, charging.StatusUnavailable:
			return charging.Session{}, charging.Errorf(charging.ECONFLICT, "connector %d of charger %s is %s", r.ConnectorID, r.ChargerID, k.Status)
		}
	}
	if !s.cmd.Connected(r.ChargerID) {
		return charging.Session{}, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", r.ChargerID)
	}
	info, err := s.authorize(ctx, r.IDTag)
	if err != nil {
		return charging.Session{}, err
	}
	if info.Status != charging.AuthAccepted {
		return charging.Session{}, charging.Errorf(charging.EINVALID, "idTag %s is %s", r.IDTag, info.Status)
	}
	if err := s.checkReserved(ctx, r.ChargerID, r.ConnectorID, r.IDTag); err != nil {
		return charging.Session{}, err
	}
	profile, err := s.startProfile(ctx, r)
	if err != nil {
		return charging.Session{}, err
	}

	// 2.0.1 correlates the transaction with this id (1.6 ignores it).
	remoteStartID, err := s.store.NextRemoteStartID(ctx)
	if err != nil {
		return charging.Session{}, err
	}
	now := s.utcNow()
	ses := charging.Session{
		ID: newID(), ChargerID: r.ChargerID, ConnectorID: r.ConnectorID, IDTag: r.IDTag,
		Status: charging.SessionPending, Origin: charging.OriginRemote,
		CreatedAt: now, UpdatedAt: now, IdempotencyKey: r.IdempotencyKey, RemoteStartID: remoteStartID,
		Smart: wish,
	}
	// The price, and the driver's payment hold, before anything is written
	// or sent: a declined hold starts nothing.
	if err := s.authorizeStart(ctx, &ses); err != nil {
		return charging.Session{}, err
	}
	start := charging.RemoteStart{
		ConnectorID: r.ConnectorID, IDTag: r.IDTag, ChargingProfile: json.RawMessage(r.ChargingProfile), Profile: profile,
		RemoteStartID: remoteStartID,
	}
	// The intent is one write: the pending session and the pending record
	// of its RemoteStartTransaction are durable together, before it is sent.
	rec, err := s.newRecord(ctx, r.ChargerID, "RemoteStartTransaction", remoteStartRequest(start))
	if err != nil {
		s.releaseUnused(ctx, ses)
		return charging.Session{}, err
	}
	if err := s.createPending(ctx, ses, rec); err != nil {
		s.releaseUnused(ctx, ses)
		if r.IdempotencyKey != "" && charging.ErrorCode(err) == charging.ECONFLICT {
			// A concurrent retry with the same key won the race.
			if prev, perr := s.store.GetSessionByIdempotencyKey(ctx, r.IdempotencyKey); perr == nil {
				return prev, sameStart(prev, r)
			}
		}
		return charging.Session{}, err
	}
	s.publishSession(ctx, charging.EventSessionPending, ses, nil)

	status, err := s.sendRemoteStart(ctx, &rec, start)
	switch {
	case err != nil:
		reason := "the remote start could not be sent: " + charging.ErrorMessage(err)
		if charging.ErrorCode(err) == charging.ETIMEOUT {
			reason = "the charger did not answer the remote start"
		}
		if ferr := s.failPending(context.WithoutCancel(ctx), ses.ID, reason); ferr != nil {
			return charging.Session{}, errors.Join(err, ferr)
		}
		return charging.Session{}, err
	case status != charging.CommandAccepted:
		if ferr := s.failPending(ctx, ses.ID, fmt.Sprintf("the charger answered %s", status)); ferr != nil {
			return charging.Session{}, ferr
		}
		return charging.Session{}, charging.Errorf(charging.EREJECTED, "charger %s answered %s to the remote start", r.ChargerID, status)
	}
	return s.store.GetSession(ctx, ses.ID)
}

// sameStart checks that a start retried with an Idempotency-Key asks for
// what the first request did: the same charger and idTag, and the same
// connector unless the retry names the one the charger chose for a first
// request with connector 0.
func sameStart(prev charging.Session, r charging.StartRequest) error {
	if prev.ChargerID == r.ChargerID && prev.IDTag == r.IDTag && (r.ConnectorID == 0 || r.ConnectorID == prev.ConnectorID) {
		return nil
	}
	return charging.Errorf(charging.EUNPROCESSABLE,
		"Idempotency-Key was used for a different start (charger %s, connector %d, idTag %s); use a new key for a new start",
		prev.ChargerID, prev.ConnectorID, prev.IDTag)
}

// createPending inserts a pending session and the pending record of the
// command that starts it in one unit of work, explaining a busy connector.
func (s *Service) createPending(ctx context.Context, ses charging.Session, rec charging.CommandRecord) error {
	unlock := s.lock(ses.ChargerID)
	defer unlock()
	create := func(u *unit) error {
		if err := u.tx.CreateSession(ctx, ses); err != nil {
			return err
		}
		return u.tx.SaveCommand(ctx, rec)
	}
	err := s.update(ctx, create)
	if charging.ErrorCode(err) == charging.ECONFLICT && ses.ConnectorID > 0 {
		// The connector may hold a session the charger lost (it reported
		// the connector Available since): end it, and start, in one unit.
		err = s.update(ctx, func(u *unit) error {
			if err := s.endLostOnConnector(ctx, u, ses.ChargerID, ses.ConnectorID); err != nil {
				return err
			}
			return create(u)
		})
	}
	if charging.ErrorCode(err) == charging.ECONFLICT && ses.ConnectorID > 0 {
		open, lerr := s.openSessions(ctx, ses.ChargerID, ses.ConnectorID)
		if lerr == nil && len(open) > 0 {
			return charging.Errorf(charging.ECONFLICT, "connector %d of charger %s is busy with session %s (%s)",
				ses.ConnectorID, ses.ChargerID, open[0].ID, open[0].Status)
		}
	}
	return err
}

// openSessions returns the pending and active sessions on a connector
// (connectorID 0: on the whole charger), oldest first.
func (s *Service) openSessions(ctx context.Context, chargerID string, connectorID int) ([]charging.Session, error) {
	return s.openSessionsIn(ctx, s.store, chargerID, connectorID)
}

// openSessionsIn is openSessions reading through tx.
func (s *Service) openSessionsIn(ctx context.Context, tx charging.Tx, chargerID string, connectorID int) ([]charging.Session, error) {
	page, err := tx.ListSessions(ctx, charging.SessionQuery{
		ChargerID: chargerID, ConnectorID: connectorID,
		Status: []charging.SessionStatus{charging.SessionPending, charging.SessionActive}, Limit: 1000,
	})
	if err != nil {
		return nil, err
	}
	items := page.Items
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items, nil
}

// StopSession asks the charger to stop an active session's transaction.
// The session is returned once the charger accepted; it turns finished
// when the charger reports the transaction stopped.
func (s *Service) StopSession(ctx context.Context, id string) (charging.Session, error) {
	ses, err := s.store.GetSession(ctx, id)
	if err != nil {
		return charging.Session{}, err
	}
	if ses.Status != charging.SessionActive {
		return charging.Session{}, charging.Errorf(charging.ECONFLICT, "session %s is %s; only an active session can be stopped", id, ses.Status)
	}
	if !s.cmd.Connected(ses.ChargerID) {
		return charging.Session{}, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", ses.ChargerID)
	}
	status, err := s.remoteStop(ctx, ses.ChargerID, ses.TransactionID)
	if err != nil {
		return charging.Session{}, err
	}
	if status != charging.CommandAccepted {
		if err := s.remoteStopRefused(ctx, id); err != nil {
			return charging.Session{}, err
		}
		return charging.Session{}, charging.Errorf(charging.EREJECTED, "charger %s answered %s to the remote stop", ses.ChargerID, status)
	}
	return s.markStopRequested(ctx, id)
}

// markStopRequested records that the charger accepted a stop of session
// id. The check and the write are one unit of work: a StopTransaction
// handled meanwhile (on any node) is never overwritten.
func (s *Service) markStopRequested(ctx context.Context, id string) (charging.Session, error) {
	first, err := s.store.GetSession(ctx, id)
	if err != nil {
		return charging.Session{}, err
	}
	unlock := s.lock(first.ChargerID)
	defer unlock()
	var ses charging.Session
	err = s.update(ctx, func(u *unit) error {
		var err error
		if ses, err = u.tx.GetSession(ctx, id); err != nil {
			return err
		}
		if ses.Status != charging.SessionActive || ses.StopRequestedAt != nil {
			return nil // the StopTransaction raced ahead of the answer
		}
		now := s.utcNow()
		ses.StopRequestedAt = &now
		ses.UpdatedAt = now
		if err := u.tx.UpdateSession(ctx, ses); err != nil {
			return err
		}
		written := ses
		u.then(func() { s.rememberLive(&written) })
		u.publishSession(charging.EventSessionUpdated, written, nil)
		return nil
	})
	if err != nil {
		return charging.Session{}, err
	}
	return ses, nil
}

// GetSession returns one session.
func (s *Service) GetSession(ctx context.Context, id string) (charging.Session, error) {
	return s.store.GetSession(ctx, id)
}

// ListSessions returns a page of sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, q charging.SessionQuery) (charging.Page[charging.Session], error) {
	return s.store.ListSessions(ctx, q)
}

// ListMeterSamples returns a page of a session's meter samples.
func (s *Service) ListMeterSamples(ctx context.Context, q charging.MeterQuery) (charging.Page[charging.MeterSample], error) {
	return s.store.ListMeterSamples(ctx, q)
}

// Command sends any action of the charger's OCPP version. Domain
// bookkeeping for the answer happens in the adapter, through StationEvents.
func (s *Service) Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error) {
	if key := commandSecret(action, payload); key != "" {
		return charging.CommandResult{}, refuseSecret(key)
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.CommandResult{}, err
	}
	if !s.cmd.Connected(chargerID) {
		return charging.CommandResult{}, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", chargerID)
	}
	return s.commandRecorded(ctx, chargerID, action, payload)
}
