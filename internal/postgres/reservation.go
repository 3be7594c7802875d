package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

const reservationColumns = `id, charger_id, connector_id, id_tag, parent_id_tag, expires_at, status, charger_answer, session_id, created_at, updated_at`

func scanReservation(row pgx.Row) (charging.Reservation, error) {
	var r charging.Reservation
	var status string
	if err := row.Scan(&r.ID, &r.ChargerID, &r.ConnectorID, &r.IDTag, &r.ParentIDTag, &r.ExpiresAt, &status,
		&r.ChargerAnswer, &r.SessionID, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return charging.Reservation{}, err
	}
	r.Status = charging.ReservationStatus(status)
	r.ExpiresAt, r.CreatedAt, r.UpdatedAt = utc(r.ExpiresAt), utc(r.CreatedAt), utc(r.UpdatedAt)
	return r, nil
}

// reservationErr turns a constraint violation of a reservation's write
// into the domain's error; other errors are returned as they are.
func reservationErr(err error, r charging.Reservation) error {
	switch {
	case err == nil:
		return nil
	case isCode(err, codeUniqueViolation) && opsConstraint(err) == "reservations_open_connector":
		return fmt.Errorf("%w: %w", charging.Errorf(charging.ECONFLICT, "connector %d of charger %s already has an open reservation", r.ConnectorID, r.ChargerID), err)
	case isCode(err, codeUniqueViolation) && opsConstraint(err) == "reservations_pkey":
		return fmt.Errorf("%w: %w", charging.Errorf(charging.ECONFLICT, "reservation %d already exists", r.ID), err)
	case isCode(err, codeForeignKeyViolation):
		return fmt.Errorf("%w: %w", charging.Errorf(charging.ENOTFOUND, "charger %s not found", r.ChargerID), err)
	case isCode(err, "23514"): // check_violation
		return fmt.Errorf("%w: %w", charging.Errorf(charging.EINVALID, "reservation %d: invalid status %q or connector %d", r.ID, r.Status, r.ConnectorID), err)
	}
	return err
}

// NextReservationID returns a new OCPP reservation id from a sequence:
// never handed out twice, even by a unit that rolled back.
func (s *Store) NextReservationID(ctx context.Context) (int, error) {
	var id int
	if err := s.q().QueryRow(ctx, `SELECT nextval('reservation_id_seq')`).Scan(&id); err != nil {
		return 0, fail("next reservation id", err)
	}
	return id, nil
}

// CreateReservation inserts a reservation; an open one on the same
// connector is ECONFLICT, an unknown charger ENOTFOUND.
func (s *Store) CreateReservation(ctx context.Context, r charging.Reservation) error {
	_, err := s.opsExec(ctx, `INSERT INTO reservations (`+reservationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.ChargerID, r.ConnectorID, r.IDTag, r.ParentIDTag, r.ExpiresAt, string(r.Status),
		r.ChargerAnswer, r.SessionID, r.CreatedAt, r.UpdatedAt)
	return fail(fmt.Sprintf("create reservation %d", r.ID), reservationErr(err, r))
}

// UpdateReservation overwrites a reservation.
func (s *Store) UpdateReservation(ctx context.Context, r charging.Reservation) error {
	op := fmt.Sprintf("update reservation %d", r.ID)
	tag, err := s.opsExec(ctx, `UPDATE reservations SET charger_id = $2, connector_id = $3, id_tag = $4, parent_id_tag = $5,
		expires_at = $6, status = $7, charger_answer = $8, session_id = $9, created_at = $10, updated_at = $11 WHERE id = $1`,
		r.ID, r.ChargerID, r.ConnectorID, r.IDTag, r.ParentIDTag, r.ExpiresAt, string(r.Status),
		r.ChargerAnswer, r.SessionID, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fail(op, reservationErr(err, r))
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ENOTFOUND, "reservation %d not found", r.ID))
	}
	return nil
}

// GetReservation returns one reservation.
func (s *Store) GetReservation(ctx context.Context, id int) (charging.Reservation, error) {
	op := fmt.Sprintf("get reservation %d", id)
	r, err := scanReservation(s.q().QueryRow(ctx, `SELECT `+reservationColumns+` FROM reservations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fail(op, charging.Errorf(charging.ENOTFOUND, "reservation %d not found", id))
	}
	return r, fail(op, err)
}

// reservationStatusOrder is the order statusIn writes reservation statuses
// in: pending, active first, as the partial indexes' WHERE terms.
var reservationStatusOrder = []string{"pending", "active", "rejected", "failed", "cancelled", "expired", "used"}

// ListReservations returns matching reservations, newest (ID) first.
func (s *Store) ListReservations(ctx context.Context, q charging.ReservationQuery) (charging.Page[charging.Reservation], error) {
	op := "list reservations"
	var page charging.Page[charging.Reservation]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var after int
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fail(op, err)
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.ChargerID != "" {
		where = append(where, "charger_id = "+arg(q.ChargerID))
	}
	if q.ConnectorID > 0 {
		// The second term lets the planner use reservations_open_connector.
		where = append(where, "connector_id = "+arg(q.ConnectorID)+" AND connector_id > 0")
	}
	if len(q.Status) > 0 {
		in, err := statusIn("status", reservationStatusOrder, q.Status)
		if err != nil {
			return page, fail(op, err)
		}
		where = append(where, in)
	}
	if !q.ExpiresBefore.IsZero() {
		where = append(where, "expires_at < "+arg(q.ExpiresBefore))
	}
	if hasCursor {
		where = append(where, "id < "+arg(after))
	}
	query := `SELECT ` + reservationColumns + ` FROM reservations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ` + arg(n+1)
	rows, err := s.q().Query(ctx, query, args...)
	if err != nil {
		return page, fail(op, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.Reservation, error) { return scanReservation(row) })
	if err != nil {
		return page, fail(op, err)
	}
	return pageOf(items, n, func(r charging.Reservation) []any { return []any{r.ID} }), nil
}
