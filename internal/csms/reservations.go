package csms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Reserve records a reservation, allocates its OCPP reservationId and sends
// ReserveNow. The reservation is returned with the charger's verdict:
// active when it accepted, rejected otherwise. Of two drivers reserving
// the same connector at once, one gets ECONFLICT.
func (s *Service) Reserve(ctx context.Context, r charging.ReserveRequest) (charging.Reservation, error) {
	r.IDTag, r.ParentIDTag = strings.TrimSpace(r.IDTag), strings.TrimSpace(r.ParentIDTag)
	now := s.utcNow()
	switch {
	case r.IDTag == "":
		return charging.Reservation{}, charging.Errorf(charging.EINVALID, "idTag is required")
	case charging.IDTagTooLong(r.IDTag) || charging.IDTagTooLong(r.ParentIDTag):
		return charging.Reservation{}, charging.Errorf(charging.EINVALID, "idTag and parentIdTag must be at most 20 characters (OCPP IdToken)")
	case r.ConnectorID < 1:
		return charging.Reservation{}, charging.Errorf(charging.EINVALID, "connectorId must be 1 or more, got %d", r.ConnectorID)
	case !r.ExpiresAt.After(now):
		return charging.Reservation{}, charging.Errorf(charging.EINVALID, "expiryDate must be in the future")
	}
	c, err := s.store.GetCharger(ctx, r.ChargerID)
	if err != nil {
		return charging.Reservation{}, err
	}
	if _, ok := c.Connector(r.ConnectorID); !ok {
		return charging.Reservation{}, charging.Errorf(charging.ENOTFOUND, "charger %s has no connector %d", r.ChargerID, r.ConnectorID)
	}
	sc, err := s.stations(r.ChargerID)
	if err != nil {
		return charging.Reservation{}, err
	}
	info, err := s.authorize(ctx, r.IDTag)
	if err != nil {
		return charging.Reservation{}, err
	}
	if info.Status != charging.AuthAccepted {
		return charging.Reservation{}, charging.Errorf(charging.EINVALID, "idTag %s is %s", r.IDTag, info.Status)
	}
	if r.ParentIDTag == "" {
		r.ParentIDTag = info.ParentIDTag
	}
	id, err := s.store.NextReservationID(ctx)
	if err != nil {
		return charging.Reservation{}, err
	}
	res := charging.Reservation{
		ID: id, ChargerID: r.ChargerID, ConnectorID: r.ConnectorID, IDTag: r.IDTag, ParentIDTag: r.ParentIDTag,
		ExpiresAt: r.ExpiresAt.UTC().Truncate(time.Second), Status: charging.ReservationPending, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateReservation(ctx, res); err != nil {
		return charging.Reservation{}, err
	}
	var status charging.CommandStatus
	_, sendErr := s.record(ctx, r.ChargerID, "ReserveNow", res, func(ctx context.Context) (any, error) {
		st, err := sc.ReserveNow(ctx, r.ChargerID, res)
		status = st
		return statusAnswer{st}, err
	})
	ctx = context.WithoutCancel(ctx)
	if sendErr != nil {
		if err := s.setReservationStatus(ctx, id, r.ChargerID, charging.ReservationFailed, ""); err != nil {
			return charging.Reservation{}, err
		}
		return charging.Reservation{}, sendErr
	}
	if err := s.reserveAnswered(ctx, r.ChargerID, res, string(status)); err != nil {
		return charging.Reservation{}, err
	}
	return s.store.GetReservation(ctx, id)
}

// reserveAnswered records the charger's answer to a ReserveNow. A ReserveNow
// sent as a generic command creates the reservation it names. The
// reservation is read and written in one unit of work.
func (s *Service) reserveAnswered(ctx context.Context, chargerID string, res charging.Reservation, answer string) error {
	unlock := s.lock(chargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		now := s.utcNow()
		cur, err := u.tx.GetReservation(ctx, res.ID)
		switch {
		case charging.ErrorCode(err) == charging.ENOTFOUND:
			if answer != string(charging.CommandAccepted) {
				return nil
			}
			res.ChargerID, res.Status, res.ChargerAnswer, res.CreatedAt, res.UpdatedAt = chargerID, charging.ReservationActive, answer, now, now
			return u.tx.CreateReservation(ctx, res)
		case err != nil:
			return err
		case cur.ChargerID != chargerID:
			return charging.Errorf(charging.ECONFLICT, "reservation %d belongs to charger %s", res.ID, cur.ChargerID)
		}
		if answer == string(charging.CommandAccepted) {
			// The charger replaces a reservation with the same id (OCPP 1.6 §5.13).
			cur.ConnectorID, cur.IDTag, cur.ParentIDTag, cur.ExpiresAt = res.ConnectorID, res.IDTag, res.ParentIDTag, res.ExpiresAt
			if cur.Status == charging.ReservationPending || cur.Status == charging.ReservationActive {
				cur.Status = charging.ReservationActive
			}
		} else if cur.Status == charging.ReservationPending {
			cur.Status = charging.ReservationRejected
		}
		cur.ChargerAnswer, cur.UpdatedAt = answer, now
		return u.tx.UpdateReservation(ctx, cur)
	})
}

// setReservationStatus moves an open reservation of a charger to a final
// status, reading and writing it in one unit of work: a reservation used
// or cancelled meanwhile (on any node) stays so.
func (s *Service) setReservationStatus(ctx context.Context, id int, chargerID string, st charging.ReservationStatus, sessionID string) error {
	unlock := s.lock(chargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		r, err := u.tx.GetReservation(ctx, id)
		if charging.ErrorCode(err) == charging.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if r.ChargerID != chargerID || !r.Status.Open() {
			return nil
		}
		r.Status, r.UpdatedAt = st, s.utcNow()
		if sessionID != "" {
			r.SessionID = sessionID
		}
		return u.tx.UpdateReservation(ctx, r)
	})
}

// GetReservation returns one reservation.
func (s *Service) GetReservation(ctx context.Context, id int) (charging.Reservation, error) {
	return s.store.GetReservation(ctx, id)
}

// ListReservations returns reservations, newest first.
func (s *Service) ListReservations(ctx context.Context, q charging.ReservationQuery) (charging.Page[charging.Reservation], error) {
	return s.store.ListReservations(ctx, q)
}

// CancelReservation sends CancelReservation for an open reservation; an
// Accepted answer cancels it. A reservation the charger never accepted
// (pending) is cancelled without asking it.
func (s *Service) CancelReservation(ctx context.Context, id int) (charging.Reservation, error) {
	r, err := s.store.GetReservation(ctx, id)
	if err != nil {
		return charging.Reservation{}, err
	}
	if !r.Status.Open() {
		return charging.Reservation{}, charging.Errorf(charging.ECONFLICT, "reservation %d is %s; only a pending or active reservation can be cancelled", id, r.Status)
	}
	out, err := s.simple(ctx, r.ChargerID, "CancelReservation", map[string]int{"reservationId": id},
		func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
			return sc.CancelReservation(ctx, r.ChargerID, id)
		})
	if err != nil {
		return charging.Reservation{}, err
	}
	if out.Status != charging.CommandAccepted {
		return charging.Reservation{}, charging.Errorf(charging.EREJECTED, "charger %s answered %s to cancelling reservation %d", r.ChargerID, out.Status, id)
	}
	if err := s.setReservationStatus(context.WithoutCancel(ctx), id, r.ChargerID, charging.ReservationCancelled, ""); err != nil {
		return charging.Reservation{}, err
	}
	return s.store.GetReservation(ctx, id)
}

// ExpireReservations marks open reservations past their expiry date
// expired (the charger drops them by itself, OCPP 1.6 §5.13).
func (s *Service) ExpireReservations(ctx context.Context) error {
	page, err := s.store.ListReservations(ctx, charging.ReservationQuery{
		Status: []charging.ReservationStatus{charging.ReservationPending, charging.ReservationActive}, ExpiresBefore: s.utcNow(), Limit: 1000,
	})
	if err != nil {
		return err
	}
	for _, r := range page.Items {
		if err := s.setReservationStatus(ctx, r.ID, r.ChargerID, charging.ReservationExpired, ""); err != nil {
			return err
		}
	}
	return nil
}

// checkReserved refuses a remote start on a connector that an active
// reservation holds for another id tag.
func (s *Service) checkReserved(ctx context.Context, chargerID string, connectorID int, idTag string) error {
	if connectorID < 1 {
		return nil
	}
	page, err := s.store.ListReservations(ctx, charging.ReservationQuery{
		ChargerID: chargerID, ConnectorID: connectorID,
		Status: []charging.ReservationStatus{charging.ReservationPending, charging.ReservationActive}, Limit: 10,
	})
	if err != nil {
		return err
	}
	now := s.utcNow()
	for _, r := range page.Items {
		if r.ExpiresAt.After(now) && !s.tagMatches(ctx, idTag, r) {
			return charging.Errorf(charging.ECONFLICT, "connector %d of charger %s is reserved for another id tag until %s",
				connectorID, chargerID, r.ExpiresAt.Format(time.RFC3339))
		}
	}
	return nil
}

// startReservation finds the reservation a transaction start names and
// says what is wrong with using it ("" when nothing). Callers hold the
// charger's lock.
func (s *Service) startReservation(ctx context.Context, tx charging.Tx, chargerID string, t charging.TransactionStart) (*charging.Reservation, string, error) {
	if t.ReservationID == 0 {
		return nil, "", nil
	}
	r, err := tx.GetReservation(ctx, t.ReservationID)
	switch {
	case charging.ErrorCode(err) == charging.ENOTFOUND:
		return nil, fmt.Sprintf("started with reservation %d, which Joule does not know", t.ReservationID), nil
	case err != nil:
		return nil, "", err
	case r.ChargerID != chargerID:
		return nil, fmt.Sprintf("started with reservation %d of charger %s", r.ID, r.ChargerID), nil
	case r.Status == charging.ReservationExpired || r.Status.Open() && !r.ExpiresAt.After(t.Timestamp):
		// Expired while the driver was plugging in: the charger is the
		// authority on what runs, so the session stands, flagged.
		if r.Status.Open() {
			r.Status, r.UpdatedAt = charging.ReservationExpired, s.utcNow()
			if err := tx.UpdateReservation(ctx, r); err != nil {
				return nil, "", err
			}
		}
		return nil, fmt.Sprintf("started with reservation %d, which expired at %s", r.ID, r.ExpiresAt.Format(time.RFC3339)), nil
	case !r.Status.Open():
		return nil, fmt.Sprintf("started with reservation %d, which is %s", r.ID, r.Status), nil
	case !s.tagMatchesIn(ctx, tx, t.IDTag, r):
		// 1.6 StartTransaction.req: reservationId is "the reservation that
		// terminates as a result of this transaction". It ends whatever
		// the idTag — left open it would block the next ReserveNow with a
		// conflict the charger never sees — and the session says why.
		return &r, fmt.Sprintf("started with reservation %d by idTag %s, which holds no right to it", r.ID, t.IDTag), nil
	}
	return &r, "", nil
}

// useReservation marks a reservation used by a session. Callers hold the
// charger's lock.
func (s *Service) useReservation(ctx context.Context, tx charging.Tx, r *charging.Reservation, sessionID string) error {
	if r == nil {
		return nil
	}
	r.Status, r.SessionID, r.UpdatedAt = charging.ReservationUsed, sessionID, s.utcNow()
	return tx.UpdateReservation(ctx, *r)
}
