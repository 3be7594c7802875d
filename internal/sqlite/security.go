package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// This file implements charging.SecurityStore (migration 0011).

// GetCredentials returns a charger's password hashes. The gateway asks for
// them on every connection, so the read goes through the statement cache.
func (s *Store) GetCredentials(ctx context.Context, chargerID string) (charging.Credentials, error) {
	var c charging.Credentials
	err := s.queryRow(ctx, `SELECT password_hash, next_password_hash FROM chargers WHERE id = ?`, chargerID).
		Scan(&c.Password, &c.NextPassword)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlite: get credentials of %s: %w", chargerID, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID))
	}
	if err != nil {
		return charging.Credentials{}, fmt.Errorf("sqlite: get credentials of %s: %w", chargerID, err)
	}
	return c, nil
}

// SetCredentials replaces a charger's password hashes; it is their only
// writer (SaveCharger leaves them alone).
func (s *Store) SetCredentials(ctx context.Context, chargerID string, c charging.Credentials) error {
	return s.write(ctx, "set credentials of "+chargerID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chargers SET password_hash = ?, next_password_hash = ? WHERE id = ?`,
			c.Password, c.NextPassword, chargerID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		}
		return nil
	})
}

// chargerOwnTables are the tables whose rows belong to one charger and mean
// nothing without it: DeleteCharger removes them with the charger. Every
// other table keyed by a charger id is history and stays: sessions (with
// their meter samples and transaction events), reservations, commands,
// charger events, firmware and diagnostics jobs, security events.
var chargerOwnTables = []string{
	"connectors",
	"device_variables",
	"charger_configuration",
	"charger_configuration_reads",
	"desired_settings",
	"installed_profiles",
	"local_lists",
}

// DeleteCharger removes a charger and what is only its own, in one
// transaction. Its sessions and reservations stay, open ones included:
// closing them first is the caller's decision. The id can then be
// registered again as a new charger.
func (s *Store) DeleteCharger(ctx context.Context, chargerID string) error {
	err := s.write(ctx, "delete charger "+chargerID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM chargers WHERE id = ?`, chargerID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		}
		for _, t := range chargerOwnTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE charger_id = ?`, chargerID); err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The charger is gone: a last-seen time still kept for it would
	// otherwise be shown for, or written to, a new charger with this id.
	// Times recorded before the delete were written (to no row) with it.
	s.gc.forget(chargerID)
	return nil
}

// AddSecurityEvent stores a security event and assigns its ID. A Count of
// 0 is stored as 1.
func (s *Store) AddSecurityEvent(ctx context.Context, e charging.SecurityEvent) error {
	op := fmt.Sprintf("add security event %s of %q", e.Type, e.ChargerID)
	switch {
	case e.Type == "":
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "security event type is empty"))
	case e.Count < 0:
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "security event count %d is negative", e.Count))
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO security_events (charger_id, source, type, timestamp, tech_info, remote, count, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ChargerID, e.Source, e.Type, toMicro(e.Timestamp), e.TechInfo, e.Remote, max(e.Count, 1), toMicro(e.ReceivedAt))
		return err
	})
}

// ListSecurityEvents returns matching security events, newest (timestamp,
// then ID) first.
func (s *Store) ListSecurityEvents(ctx context.Context, q charging.SecurityEventQuery) (charging.Page[charging.SecurityEvent], error) {
	var page charging.Page[charging.SecurityEvent]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list security events: %w", err)
	}
	var ts, id int64
	hasCursor, err := decodeCursor(q.Cursor, &ts, &id)
	if err != nil {
		return page, fmt.Errorf("sqlite: list security events: %w", err)
	}
	var where []string
	var args []any
	if q.ChargerID != "" {
		where, args = append(where, `charger_id = ?`), append(args, q.ChargerID)
	}
	if q.Source != "" {
		where, args = append(where, `source = ?`), append(args, q.Source)
	}
	if q.Type != "" {
		where, args = append(where, `type = ?`), append(args, q.Type)
	}
	if hasCursor {
		where, args = append(where, `(timestamp, id) < (?, ?)`), append(args, ts, id)
	}
	query := `SELECT id, charger_id, source, type, timestamp, tech_info, remote, count, received_at FROM security_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY timestamp DESC, id DESC LIMIT ?`
	args = append(args, n+1)
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list security events: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.SecurityEvent{}
	for rows.Next() {
		var e charging.SecurityEvent
		var at, recv int64
		if err := rows.Scan(&e.ID, &e.ChargerID, &e.Source, &e.Type, &at, &e.TechInfo, &e.Remote, &e.Count, &recv); err != nil {
			return charging.Page[charging.SecurityEvent]{}, fmt.Errorf("sqlite: list security events: %w", err)
		}
		e.Timestamp, e.ReceivedAt = fromMicro(at), fromMicro(recv)
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.SecurityEvent]{}, fmt.Errorf("sqlite: list security events: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		l := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(l.Timestamp), l.ID)
	}
	return page, nil
}
