package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/joule-ev/joule/internal/charging"
)

// This file implements charging.SecurityStore (migration 0004 for the
// security events; the credentials are columns of chargers, 0001).

// GetCredentials returns a charger's password hashes. The gateway asks for
// them on every connection: one primary-key read.
func (s *Store) GetCredentials(ctx context.Context, chargerID string) (charging.Credentials, error) {
	var c charging.Credentials
	err := s.q().QueryRow(ctx, `SELECT password_hash, next_password_hash FROM chargers WHERE id = $1`, chargerID).
		Scan(&c.Password, &c.NextPassword)
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.Credentials{}, fmt.Errorf("postgres: get credentials of %s: %w", chargerID,
			charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID))
	}
	if err != nil {
		return charging.Credentials{}, fmt.Errorf("postgres: get credentials of %s: %w", chargerID, mapErr(err))
	}
	return c, nil
}

// SetCredentials replaces a charger's password hashes; it is their only
// writer (SaveCharger leaves them alone).
func (s *Store) SetCredentials(ctx context.Context, chargerID string, c charging.Credentials) error {
	tag, err := s.q().Exec(ctx, `UPDATE chargers SET password_hash = $2, next_password_hash = $3 WHERE id = $1`,
		chargerID, c.Password, c.NextPassword)
	if err != nil {
		return fmt.Errorf("postgres: set credentials of %s: %w", chargerID, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: set credentials of %s: %w", chargerID,
			charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID))
	}
	return nil
}

// SaveChargerCredentials saves the charger (as SaveCharger does) and its
// password hashes in one unit: both or neither.
func (s *Store) SaveChargerCredentials(ctx context.Context, c charging.Charger, creds charging.Credentials) error {
	op := "save charger " + c.ID + " with its credentials"
	if err := prepareCharger(&c); err != nil {
		return fail(op, err)
	}
	return fail(op, s.write(ctx, func(u *Store) error {
		if err := upsertCharger(ctx, u.q(), &c); err != nil {
			return err
		}
		_, err := u.q().Exec(ctx, `UPDATE chargers SET password_hash = $2, next_password_hash = $3 WHERE id = $1`,
			c.ID, creds.Password, creds.NextPassword)
		return err
	}))
}

// DeleteCharger removes a charger and what is only its own, in one
// statement: the tables whose rows belong to one charger and mean nothing
// without it reference chargers ON DELETE CASCADE (connectors in 0001,
// device_variables in 0002, charger_configuration,
// charger_configuration_reads, desired_settings, installed_profiles and
// local_lists in 0003). Every other table keyed by a charger id is history
// and has no foreign key to chargers, so it stays: sessions (with their
// meter samples and transaction events), reservations, commands, charger
// events, firmware and diagnostics jobs, security events. Open sessions
// and reservations stay too: closing them first is the caller's decision.
// The id can then be registered again as a new charger.
func (s *Store) DeleteCharger(ctx context.Context, chargerID string) error {
	op := "delete charger " + chargerID
	// A last-seen time noted for it must not outlive it (and show on a
	// charger that takes its id later).
	s.touch.forget(chargerID)
	return fail(op, s.stmt(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM chargers WHERE id = $1`, chargerID)
		switch {
		case isCode(err, codeForeignKeyViolation):
			// A table that references chargers without ON DELETE
			// CASCADE: a schema bug, not the caller's.
			return fmt.Errorf("a table still references the charger: %w", err)
		case err != nil:
			return err
		case tag.RowsAffected() == 0:
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		}
		return nil
	}))
}

// AddSecurityEvent stores a security event and assigns its ID. A Count of
// 0 is stored as 1.
func (s *Store) AddSecurityEvent(ctx context.Context, e charging.SecurityEvent) error {
	op := fmt.Sprintf("add security event %s of %q", e.Type, e.ChargerID)
	switch {
	case e.Type == "":
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "security event type is empty"))
	case e.Count < 0:
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "security event count %d is negative", e.Count))
	}
	_, err := s.q().Exec(ctx, `INSERT INTO security_events (charger_id, source, type, occurred_at, tech_info, remote, count, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ChargerID, e.Source, e.Type, e.Timestamp, e.TechInfo, e.Remote, max(e.Count, 1), e.ReceivedAt)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, mapErr(err))
	}
	return nil
}

// ListSecurityEvents returns matching security events, newest (timestamp,
// then ID) first.
func (s *Store) ListSecurityEvents(ctx context.Context, q charging.SecurityEventQuery) (charging.Page[charging.SecurityEvent], error) {
	var page charging.Page[charging.SecurityEvent]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("postgres: list security events: %w", err)
	}
	var ts, id int64
	hasCursor, err := decodeCursor(q.Cursor, &ts, &id)
	if err != nil {
		return page, fmt.Errorf("postgres: list security events: %w", err)
	}
	var w sqlWhere
	if q.ChargerID != "" {
		w.add(`charger_id = `, q.ChargerID)
	}
	if q.Source != "" {
		w.add(`source = `, q.Source)
	}
	if q.Type != "" {
		w.add(`type = `, q.Type)
	}
	if hasCursor {
		w.add2(`(occurred_at, id) < (`, time.UnixMicro(ts), `, `, id, `)`)
	}
	query := `SELECT id, charger_id, source, type, occurred_at, tech_info, remote, count, received_at
		FROM security_events` + w.sql() + ` ORDER BY occurred_at DESC, id DESC LIMIT ` + w.arg(n+1)
	rows, err := s.q().Query(ctx, query, w.args...)
	if err != nil {
		return page, fmt.Errorf("postgres: list security events: %w", mapErr(err))
	}
	page.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (charging.SecurityEvent, error) {
		var e charging.SecurityEvent
		err := r.Scan(&e.ID, &e.ChargerID, &e.Source, &e.Type, &e.Timestamp, &e.TechInfo, &e.Remote, &e.Count, &e.ReceivedAt)
		e.Timestamp, e.ReceivedAt = utc(e.Timestamp), utc(e.ReceivedAt)
		return e, err
	})
	if err != nil {
		return charging.Page[charging.SecurityEvent]{}, fmt.Errorf("postgres: list security events: %w", mapErr(err))
	}
	return pageOf(page.Items, n, func(e charging.SecurityEvent) []any { return []any{e.Timestamp.UnixMicro(), e.ID} }), nil
}

// peopleConstraint returns the name of the constraint a PostgreSQL error
// names ("" for none).
func peopleConstraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}
