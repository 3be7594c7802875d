package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

const reservationColumns = `id, charger_id, connector_id, id_tag, parent_id_tag, expires_at, status, charger_answer, session_id, created_at, updated_at`

func scanReservation(row interface{ Scan(...any) error }) (charging.Reservation, error) {
	var r charging.Reservation
	var status string
	var expires, created, updated int64
	if err := row.Scan(&r.ID, &r.ChargerID, &r.ConnectorID, &r.IDTag, &r.ParentIDTag, &expires, &status,
		&r.ChargerAnswer, &r.SessionID, &created, &updated); err != nil {
		return charging.Reservation{}, err
	}
	r.Status = charging.ReservationStatus(status)
	r.ExpiresAt, r.CreatedAt, r.UpdatedAt = fromMicro(expires), fromMicro(created), fromMicro(updated)
	return r, nil
}

func reservationArgs(r charging.Reservation) []any {
	return []any{r.ID, r.ChargerID, r.ConnectorID, r.IDTag, r.ParentIDTag, toMicro(r.ExpiresAt), string(r.Status),
		r.ChargerAnswer, r.SessionID, toMicro(r.CreatedAt), toMicro(r.UpdatedAt)}
}

// reservationConflict turns a uniqueness or foreign key violation into the
// domain's error.
func reservationConflict(err error, r charging.Reservation) error {
	switch {
	case isUnique(err) && strings.Contains(err.Error(), "connector_id"):
		return charging.Errorf(charging.ECONFLICT, "connector %d of charger %s already has an open reservation", r.ConnectorID, r.ChargerID)
	case isUnique(err):
		return charging.Errorf(charging.ECONFLICT, "reservation %d already exists", r.ID)
	case isMissingCharger(err):
		return charging.Errorf(charging.ENOTFOUND, "charger %s not found", r.ChargerID)
	}
	return err
}

// NextReservationID returns a new OCPP reservation id, never handed out twice.
func (s *Store) NextReservationID(ctx context.Context) (int, error) {
	var id int
	err := s.write(ctx, "next reservation id", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + 1 WHERE name = 'reservation_id' RETURNING value`).Scan(&id)
	})
	return id, err
}

// CreateReservation inserts a reservation.
func (s *Store) CreateReservation(ctx context.Context, r charging.Reservation) error {
	return s.write(ctx, fmt.Sprintf("create reservation %d", r.ID), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reservations (`+reservationColumns+`) VALUES (`+placeholders(11)+`)`, reservationArgs(r)...)
		return reservationConflict(err, r)
	})
}

// UpdateReservation overwrites a reservation.
func (s *Store) UpdateReservation(ctx context.Context, r charging.Reservation) error {
	return s.write(ctx, fmt.Sprintf("update reservation %d", r.ID), func(tx *sql.Tx) error {
		args := reservationArgs(r)
		res, err := tx.ExecContext(ctx, `UPDATE reservations SET charger_id = ?, connector_id = ?, id_tag = ?, parent_id_tag = ?,
			expires_at = ?, status = ?, charger_answer = ?, session_id = ?, created_at = ?, updated_at = ? WHERE id = ?`,
			append(args[1:], r.ID)...)
		if err != nil {
			return reservationConflict(err, r)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "reservation %d not found", r.ID)
		}
		return nil
	})
}

// GetReservation returns one reservation.
func (s *Store) GetReservation(ctx context.Context, id int) (charging.Reservation, error) {
	r, err := scanReservation(s.rd().QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("sqlite: get reservation %d: %w", id, charging.Errorf(charging.ENOTFOUND, "reservation %d not found", id))
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: get reservation %d: %w", id, err)
	}
	return r, nil
}

// ListReservations returns matching reservations, newest (ID) first.
func (s *Store) ListReservations(ctx context.Context, q charging.ReservationQuery) (charging.Page[charging.Reservation], error) {
	var page charging.Page[charging.Reservation]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list reservations: %w", err)
	}
	var after int
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fmt.Errorf("sqlite: list reservations: %w", err)
	}
	var where []string
	var args []any
	if q.ChargerID != "" {
		where, args = append(where, "charger_id = ?"), append(args, q.ChargerID)
	}
	if q.ConnectorID > 0 {
		// The second term lets the planner use indexes on real connectors.
		where, args = append(where, "connector_id = ? AND connector_id > 0"), append(args, q.ConnectorID)
	}
	if len(q.Status) > 0 {
		in, err := statusIn("status", reservationStatusOrder, q.Status)
		if err != nil {
			return page, fmt.Errorf("sqlite: list reservations: %w", err)
		}
		where = append(where, in)
	}
	if !q.ExpiresBefore.IsZero() {
		where, args = append(where, "expires_at < ?"), append(args, toMicro(q.ExpiresBefore))
	}
	if hasCursor {
		where, args = append(where, "id < ?"), append(args, after)
	}
	query := `SELECT ` + reservationColumns + ` FROM reservations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, n+1)
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list reservations: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.Reservation{}
	for rows.Next() {
		r, err := scanReservation(rows)
		if err != nil {
			return charging.Page[charging.Reservation]{}, fmt.Errorf("sqlite: list reservations: %w", err)
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.Reservation]{}, fmt.Errorf("sqlite: list reservations: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	return page, nil
}

// reservationStatusOrder is the order statusIn writes reservation
// statuses in (the partial index reservations_open: pending, active).
var reservationStatusOrder = []string{"pending", "active", "rejected", "failed", "cancelled", "expired", "used"}
