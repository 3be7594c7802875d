package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

const commandColumns = `id, charger_id, action, request, status, response, error, requested_by, requested_at, answered_at, duration_ms`

// SaveCommand inserts or overwrites a command record.
func (s *Store) SaveCommand(ctx context.Context, r charging.CommandRecord) error {
	req := string(r.Request)
	if req == "" {
		req = "{}"
	}
	return s.write(ctx, "save command "+r.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO commands (`+commandColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, response = excluded.response, error = excluded.error,
				answered_at = excluded.answered_at, duration_ms = excluded.duration_ms`,
			r.ID, r.ChargerID, r.Action, req, r.Status, string(r.Response), r.Error, r.RequestedBy,
			toMicro(r.RequestedAt), nullTime(r.AnsweredAt), r.DurationMs)
		return err
	})
}

// ListCommands returns a charger's commands, newest first.
func (s *Store) ListCommands(ctx context.Context, q charging.CommandQuery) (charging.Page[charging.CommandRecord], error) {
	var page charging.Page[charging.CommandRecord]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list commands: %w", err)
	}
	var afterAt int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterAt, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list commands: %w", err)
	}
	query := `SELECT ` + commandColumns + ` FROM commands WHERE charger_id = ?`
	args := []any{q.ChargerID}
	if q.Action != "" {
		query += ` AND action = ?`
		args = append(args, q.Action)
	}
	if hasCursor {
		query += ` AND (requested_at < ? OR (requested_at = ? AND id < ?))`
		args = append(args, afterAt, afterAt, afterID)
	}
	query += ` ORDER BY requested_at DESC, id DESC LIMIT ?`
	args = append(args, n+1)
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list commands: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.CommandRecord{}
	for rows.Next() {
		var r charging.CommandRecord
		var req, resp string
		var requested int64
		var answered sql.NullInt64
		if err := rows.Scan(&r.ID, &r.ChargerID, &r.Action, &req, &r.Status, &resp, &r.Error, &r.RequestedBy,
			&requested, &answered, &r.DurationMs); err != nil {
			return charging.Page[charging.CommandRecord]{}, fmt.Errorf("sqlite: list commands: %w", err)
		}
		r.Request = json.RawMessage(req)
		if resp != "" {
			r.Response = json.RawMessage(resp)
		}
		r.RequestedAt, r.AnsweredAt = fromMicro(requested), timePtr(answered)
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.CommandRecord]{}, fmt.Errorf("sqlite: list commands: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(last.RequestedAt), last.ID)
	}
	return page, nil
}
