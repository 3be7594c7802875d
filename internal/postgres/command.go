package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

const commandColumns = `id, charger_id, action, request, status, response, error, requested_by, requested_at, answered_at, duration_ms`

// SaveCommand inserts or overwrites a command record. An overwrite (the
// answer) keeps what the request fixed: charger, action, request,
// requester and time.
func (s *Store) SaveCommand(ctx context.Context, r charging.CommandRecord) error {
	op := "save command " + r.ID
	// Strings, not json.RawMessage: the json columns keep the bytes as
	// given (encoding/json would compact and escape them).
	req := string(r.Request)
	if req == "" {
		req = "{}"
	}
	var resp *string
	if len(r.Response) > 0 {
		v := string(r.Response)
		resp = &v
	}
	_, err := s.opsExec(ctx, `INSERT INTO commands (`+commandColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, response = excluded.response, error = excluded.error,
			answered_at = excluded.answered_at, duration_ms = excluded.duration_ms`,
		r.ID, r.ChargerID, r.Action, req, r.Status, resp, r.Error, r.RequestedBy, r.RequestedAt, r.AnsweredAt, r.DurationMs)
	if isCode(err, "22P02") { // invalid_text_representation: not JSON
		return fail(op, fmt.Errorf("%w: %w", charging.Errorf(charging.EINVALID, "command %s: its request or response is not JSON", r.ID), err))
	}
	return fail(op, err)
}

// ListCommands returns a charger's commands, newest (RequestedAt, then ID)
// first.
func (s *Store) ListCommands(ctx context.Context, q charging.CommandQuery) (charging.Page[charging.CommandRecord], error) {
	op := "list commands of " + q.ChargerID
	var page charging.Page[charging.CommandRecord]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var afterUs int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterUs, &afterID)
	if err != nil {
		return page, fail(op, err)
	}
	var w sqlWhere
	w.add(`charger_id = `, q.ChargerID)
	if q.Action != "" {
		w.add(`action = `, q.Action)
	}
	if hasCursor {
		w.add2(`(requested_at, id) < (`, time.UnixMicro(afterUs).UTC(), `, `, afterID, `)`)
	}
	query := `SELECT ` + commandColumns + ` FROM commands` + w.sql() + ` ORDER BY requested_at DESC, id DESC LIMIT ` + w.arg(n+1)
	rows, err := s.q().Query(ctx, query, w.args...)
	if err != nil {
		return page, fail(op, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.CommandRecord, error) {
		var r charging.CommandRecord
		var req, resp []byte
		if err := row.Scan(&r.ID, &r.ChargerID, &r.Action, &req, &r.Status, &resp, &r.Error, &r.RequestedBy,
			&r.RequestedAt, &r.AnsweredAt, &r.DurationMs); err != nil {
			return r, err
		}
		r.Request = req
		if len(resp) > 0 {
			r.Response = resp
		}
		r.RequestedAt, r.AnsweredAt = utc(r.RequestedAt), utcPtr(r.AnsweredAt)
		return r, nil
	})
	if err != nil {
		return page, fail(op, err)
	}
	return pageOf(items, n, func(r charging.CommandRecord) []any { return []any{r.RequestedAt.UnixMicro(), r.ID} }), nil
}
