package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// sessionColumns are the columns sessionArgs fills, in order. owner_id is
// not among them: the writes compute it (see ownerSQL), the guarded meter
// update (meterlive.go) neither changes nor compares it, and reads select
// it last (sessionSelect).
const sessionColumns = `id, charger_id, connector_id, id_tag, transaction_id, status, origin,
	created_at, updated_at, started_at, stopped_at, meter_start_wh, meter_stop_wh,
	energy_wh, power_w, current_a, voltage_v, soc_percent, stop_reason, failure_reason,
	stop_requested_at, reservation_id, idempotency_key, flags, remote_start_id, closed_by,
	tariff_id, tariff, cost, payment, cost_currency, cost_total_minor, payment_status, smart`

// nSessionColumns is how many values sessionArgs returns.
var nSessionColumns = strings.Count(sessionColumns, ",") + 1

// sessionSelect is what reads select: sessionColumns, then the owner.
const sessionSelect = sessionColumns + `, owner_id`

// tagOwnerSQL is the owner of the id tag bound to its parameter, matched as
// GetIDTag matches (id_tags.id_tag is NOCASE: one primary-key probe), or ”.
const tagOwnerSQL = `coalesce((SELECT t.owner_id FROM id_tags t WHERE t.id_tag = ?), '')`

// insertSessionSQL takes sessionArgs, then the session's OwnerID and IDTag:
// an empty owner is the id tag's owner, read in the same statement.
const insertSessionSQL = `INSERT INTO sessions (` + sessionColumns + `, owner_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, coalesce(nullif(?, ''), ` + tagOwnerSQL + `))`

// updateSessionSQL takes sessionArgs with the id moved last, after the
// session's OwnerID (twice) and IDTag. A non-empty owner overwrites; an
// empty one keeps the stored owner or, when that is empty too, takes the
// id tag's (a 2.0.1 transaction may learn its idToken after it started).
// Once a session has an owner, the id tag is not even read.
const updateSessionSQL = `UPDATE sessions SET
	charger_id = ?, connector_id = ?, id_tag = ?, transaction_id = ?, status = ?, origin = ?,
	created_at = ?, updated_at = ?, started_at = ?, stopped_at = ?, meter_start_wh = ?, meter_stop_wh = ?,
	energy_wh = ?, power_w = ?, current_a = ?, voltage_v = ?, soc_percent = ?, stop_reason = ?, failure_reason = ?,
	stop_requested_at = ?, reservation_id = ?, idempotency_key = ?, flags = ?, remote_start_id = ?, closed_by = ?,
	tariff_id = ?, tariff = ?, cost = ?, payment = ?, cost_currency = ?, cost_total_minor = ?, payment_status = ?,
	smart = ?,
	owner_id = CASE WHEN ? <> '' THEN ? WHEN owner_id <> '' THEN owner_id ELSE ` + tagOwnerSQL + ` END
	WHERE id = ?`

// sessionArgs returns the values of sessionColumns, in order.
func sessionArgs(s *charging.Session) ([]any, error) {
	var flags sql.NullString
	if len(s.Flags) > 0 {
		b, err := json.Marshal(s.Flags)
		if err != nil {
			return nil, fmt.Errorf("encode flags: %w", err)
		}
		flags = sql.NullString{String: string(b), Valid: true}
	}
	tariff, err := nullJSON(s.Tariff)
	if err != nil {
		return nil, fmt.Errorf("encode tariff: %w", err)
	}
	cost, err := nullJSON(s.Cost)
	if err != nil {
		return nil, fmt.Errorf("encode cost: %w", err)
	}
	payment, err := nullJSON(s.Payment)
	if err != nil {
		return nil, fmt.Errorf("encode payment: %w", err)
	}
	smart, err := nullJSON(storedSmart(s.Smart))
	if err != nil {
		return nil, fmt.Errorf("encode smart: %w", err)
	}
	total, currency := s.FinalTotalMinor()
	return []any{
		s.ID, s.ChargerID, s.ConnectorID, s.IDTag, s.TransactionID, string(s.Status), s.Origin,
		toMicro(s.CreatedAt), toMicro(s.UpdatedAt), nullTime(s.StartedAt), nullTime(s.StoppedAt),
		nullFloat(s.MeterStartWh), nullFloat(s.MeterStopWh),
		s.EnergyWh, s.PowerW, nullFloat(s.CurrentA), nullFloat(s.VoltageV), nullFloat(s.SoCPercent),
		s.StopReason, s.FailureReason, nullTime(s.StopRequestedAt), s.ReservationID, s.IdempotencyKey, flags,
		s.RemoteStartID, s.ClosedBy,
		s.TariffID, tariff, cost, payment, currency, total, string(s.PaymentStatusOf()), smart,
	}, nil
}

// nullJSON encodes v as JSON text, NULL when v is a nil pointer.
func nullJSON[T any](v *T) (sql.NullString, error) {
	if v == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// scanJSON decodes a JSON column into a new T; NULL is nil.
func scanJSON[T any](col sql.NullString) (*T, error) {
	if !col.Valid || col.String == "" {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal([]byte(col.String), v); err != nil {
		return nil, err
	}
	return v, nil
}

func scanSession(row interface{ Scan(...any) error }) (charging.Session, error) {
	var s charging.Session
	var status string
	var created, updated int64
	var started, stopped, stopReq sql.NullInt64
	var mStart, mStop, cur, volt, soc sql.NullFloat64
	var flags, tariff, cost, payment, smart sql.NullString
	var costCurrency, paymentStatus string
	var costTotal int64
	err := row.Scan(&s.ID, &s.ChargerID, &s.ConnectorID, &s.IDTag, &s.TransactionID, &status, &s.Origin,
		&created, &updated, &started, &stopped, &mStart, &mStop,
		&s.EnergyWh, &s.PowerW, &cur, &volt, &soc, &s.StopReason, &s.FailureReason,
		&stopReq, &s.ReservationID, &s.IdempotencyKey, &flags, &s.RemoteStartID, &s.ClosedBy,
		&s.TariffID, &tariff, &cost, &payment, &costCurrency, &costTotal, &paymentStatus, &smart, &s.OwnerID)
	if err != nil {
		return charging.Session{}, err
	}
	s.Status = charging.SessionStatus(status)
	s.CreatedAt, s.UpdatedAt = fromMicro(created), fromMicro(updated)
	s.StartedAt, s.StoppedAt, s.StopRequestedAt = timePtr(started), timePtr(stopped), timePtr(stopReq)
	s.MeterStartWh, s.MeterStopWh = floatPtr(mStart), floatPtr(mStop)
	s.CurrentA, s.VoltageV, s.SoCPercent = floatPtr(cur), floatPtr(volt), floatPtr(soc)
	if flags.Valid && flags.String != "" {
		if err := json.Unmarshal([]byte(flags.String), &s.Flags); err != nil {
			return charging.Session{}, fmt.Errorf("session %s: decode flags: %w", s.ID, err)
		}
	}
	if s.Tariff, err = scanJSON[charging.Tariff](tariff); err != nil {
		return charging.Session{}, fmt.Errorf("session %s: decode tariff: %w", s.ID, err)
	}
	if s.Cost, err = scanJSON[charging.Cost](cost); err != nil {
		return charging.Session{}, fmt.Errorf("session %s: decode cost: %w", s.ID, err)
	}
	if s.Payment, err = scanJSON[charging.Payment](payment); err != nil {
		return charging.Session{}, fmt.Errorf("session %s: decode payment: %w", s.ID, err)
	}
	if s.Smart, err = scanJSON[charging.SessionSmart](smart); err != nil {
		return charging.Session{}, fmt.Errorf("session %s: decode smart: %w", s.ID, err)
	}
	return s, nil
}

// sessionConflict translates a constraint violation of a session write into
// a domain error; other errors are returned unchanged.
func sessionConflict(err error, s *charging.Session) error {
	switch {
	case err == nil:
		return nil
	case isMissingCharger(err):
		return charging.Errorf(charging.ENOTFOUND, "charger %s not found", s.ChargerID)
	case !isUnique(err):
		return err
	}
	// SQLite names the columns of the violated index in the message.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "sessions.idempotency_key"):
		return charging.Errorf(charging.ECONFLICT, "idempotency key %q is already used by another session", s.IdempotencyKey)
	case strings.Contains(msg, "sessions.connector_id"):
		return charging.Errorf(charging.ECONFLICT, "connector %d of charger %s already has an open session", s.ConnectorID, s.ChargerID)
	case strings.Contains(msg, "sessions.id"):
		return charging.Errorf(charging.ECONFLICT, "session %s already exists", s.ID)
	}
	return charging.Errorf(charging.ECONFLICT, "session %s conflicts with a stored session", s.ID)
}

// CreateSession inserts a new session. When sess.OwnerID is empty, the
// session belongs to the owner of its id tag, if any.
func (s *Store) CreateSession(ctx context.Context, sess charging.Session) error {
	args, err := sessionArgs(&sess)
	if err != nil {
		return fmt.Errorf("sqlite: create session %s: %w", sess.ID, err)
	}
	args = append(args, sess.OwnerID, sess.IDTag)
	return s.write(ctx, "create session "+sess.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertSessionSQL, args...)
		return sessionConflict(err, &sess)
	})
}

// UpdateSession overwrites the session with the same ID. An empty OwnerID
// keeps the stored owner, or takes the id tag's when there is none.
func (s *Store) UpdateSession(ctx context.Context, sess charging.Session) error {
	return s.write(ctx, "update session "+sess.ID, func(tx *sql.Tx) error {
		return s.updateSessionTx(ctx, tx, &sess)
	})
}

func (s *Store) updateSessionTx(ctx context.Context, tx *sql.Tx, sess *charging.Session) error {
	if s.updateSession == nil {
		return errNotMigrated
	}
	args, err := sessionArgs(sess)
	if err != nil {
		return err
	}
	args = append(args[1:], sess.OwnerID, sess.OwnerID, sess.IDTag, sess.ID)
	res, err := tx.StmtContext(ctx, s.updateSession).ExecContext(ctx, args...)
	if err != nil {
		return sessionConflict(err, sess)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return charging.Errorf(charging.ENOTFOUND, "session %s not found", sess.ID)
	}
	return nil
}

func (s *Store) getSession(ctx context.Context, op, where string, args ...any) (charging.Session, error) {
	defer s.visible()()
	sess, err := scanSession(s.queryRow(ctx, getSessionSQL+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return charging.Session{}, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.ENOTFOUND, "%s not found", strings.TrimPrefix(op, "get ")))
	}
	if err != nil {
		return charging.Session{}, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	s.withLive(&sess)
	return sess, nil
}

// visible waits until no batch is becoming visible and keeps it so until
// the returned function is called: a session read sees a unit's session,
// live values and samples together (commit.go). Inside a unit of work
// (the committer's own goroutine) there is nothing to wait for.
func (s *Store) visible() func() {
	if s.tx != nil {
		return func() {}
	}
	s.gc.vis.RLock()
	return s.gc.vis.RUnlock
}

// withLive applies live values not yet written (SetSessionLive).
func (s *Store) withLive(sess *charging.Session) {
	if sess.Status != charging.SessionActive {
		return
	}
	if l, ok := s.gc.live(sess.ID); ok {
		sess.ApplyLive(l)
	}
}

// SetSessionLive records an active session's live values; they are
// written with the committer's next timed flush (commit.go) and read back
// at once. Inside a unit of work they take effect when the unit commits.
func (s *Store) SetSessionLive(ctx context.Context, l charging.SessionLive) error {
	if l.SessionID == "" {
		return fmt.Errorf("sqlite: set session live: %w", charging.Errorf(charging.EINVALID, "session id is empty"))
	}
	if s.unit != nil {
		s.unit.lives = append(s.unit.lives, l)
		return nil
	}
	s.gc.setLive(l)
	return nil
}

// GetSession returns the session with the id.
func (s *Store) GetSession(ctx context.Context, id string) (charging.Session, error) {
	return s.getSession(ctx, "get session "+id, `id = ?`, id)
}

// GetSessionByIdempotencyKey returns the session created with the key.
func (s *Store) GetSessionByIdempotencyKey(ctx context.Context, key string) (charging.Session, error) {
	op := fmt.Sprintf("get session with idempotency key %q", key)
	if key == "" {
		return charging.Session{}, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.ENOTFOUND, "session with an empty idempotency key not found"))
	}
	// The second term lets the planner use the partial unique index.
	return s.getSession(ctx, op, `idempotency_key = ? AND idempotency_key <> ''`, key)
}

// GetSessionByTransaction returns the charger's session with the OCPP
// transaction id (the newest, should a station reuse an id).
func (s *Store) GetSessionByTransaction(ctx context.Context, chargerID, transactionID string) (charging.Session, error) {
	op := fmt.Sprintf("get session of transaction %s on charger %s", transactionID, chargerID)
	if transactionID == "" {
		return charging.Session{}, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.ENOTFOUND, "session with an empty transaction id not found"))
	}
	return s.getSession(ctx, op, sessionByTransaction, chargerID, transactionID)
}

// getSessionSQL + a condition reads one session (getSession).
const getSessionSQL = `SELECT ` + sessionSelect + ` FROM sessions WHERE `

// sessionByTransaction finds the newest session of a transaction id.
const sessionByTransaction = `charger_id = ? AND transaction_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`

// ListSessions returns matching sessions, newest (CreatedAt, then ID) first.
func (s *Store) ListSessions(ctx context.Context, q charging.SessionQuery) (charging.Page[charging.Session], error) {
	var page charging.Page[charging.Session]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	var afterCreated int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterCreated, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}

	var where []string
	var args []any
	if q.ChargerID != "" {
		where, args = append(where, `charger_id = ?`), append(args, q.ChargerID)
	}
	if q.ConnectorID != 0 {
		where, args = append(where, `connector_id = ?`), append(args, q.ConnectorID)
	}
	if q.IDTag != "" {
		where, args = append(where, `id_tag = ?`), append(args, q.IDTag)
	}
	if q.OwnerID != "" {
		// The second term lets the planner use the partial index
		// sessions_owner_created, which also gives the order.
		where, args = append(where, `owner_id = ? AND owner_id <> ''`), append(args, q.OwnerID)
	}
	if q.SiteID != "" {
		// The chargers at the site now (chargers_site): a session moves
		// with its charger, as the site's chargers list does.
		where, args = append(where, `charger_id IN (SELECT id FROM chargers WHERE site_id = ?)`), append(args, q.SiteID)
	}
	if len(q.Status) > 0 {
		in, err := statusIn("status", sessionStatusOrder, q.Status)
		if err != nil {
			return page, fmt.Errorf("sqlite: list sessions: %w", err)
		}
		where = append(where, in)
	}
	if len(q.PaymentStatus) > 0 {
		in, err := paymentStatusIn(q.PaymentStatus)
		if err != nil {
			return page, fmt.Errorf("sqlite: list sessions: %w", err)
		}
		where = append(where, in)
	}
	if !q.CreatedFrom.IsZero() {
		where, args = append(where, `created_at >= ?`), append(args, toMicro(q.CreatedFrom))
	}
	if !q.CreatedBefore.IsZero() {
		where, args = append(where, `created_at < ?`), append(args, toMicro(q.CreatedBefore))
	}
	if hasCursor {
		where = append(where, `(created_at < ? OR (created_at = ? AND id < ?))`)
		args = append(args, afterCreated, afterCreated, afterID)
	}
	query := `SELECT ` + sessionSelect + ` FROM sessions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, n+1)

	defer s.visible()()
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return charging.Page[charging.Session]{}, fmt.Errorf("sqlite: list sessions: %w", err)
		}
		s.withLive(&sess)
		page.Items = append(page.Items, sess)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.Session]{}, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(last.CreatedAt), last.ID)
	}
	return page, nil
}

// NextTransactionID returns a new OCPP 1.6 transaction id. Ids start at 1
// and are never handed out twice, even across restarts.
func (s *Store) NextTransactionID(ctx context.Context) (int64, error) {
	var id int64
	err := s.write(ctx, "next transaction id", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + 1 WHERE name = 'transaction_id' RETURNING value`).Scan(&id)
	})
	return id, err
}

// sessionStatusOrder is the order statusIn writes session statuses in:
// the order of the partial indexes' WHERE terms (migration 0013).
var sessionStatusOrder = []string{"pending", "active", "finished", "failed"}

// statusIn returns the status filter as literals in a fixed order, so
// that it repeats a partial index's WHERE term exactly (status = 'pending',
// status IN ('pending', 'active')): SQLite uses a partial index only for a
// query whose terms imply its condition, and a bound parameter implies
// nothing. A status not in order is EINVALID.
// paymentStatuses are the payment statuses, in the order a filter lists
// them: authorized and unpaid first, so that the worker's filter is
// exactly the partial index sessions_payment_open's condition.
var paymentStatuses = []string{"authorized", "unpaid", "captured", "released", "refunded", "failed"}

// paymentStatusIn is the condition matching sessions whose payment has
// one of the statuses.
func paymentStatusIn(statuses []charging.PaymentStatus) (string, error) {
	return statusIn("payment_status", paymentStatuses, statuses)
}

func statusIn[S ~string](column string, order []string, statuses []S) (string, error) {
	var lits []string
	for _, o := range order {
		for _, st := range statuses {
			if string(st) == o {
				lits = append(lits, "'"+o+"'")
				break
			}
		}
	}
	for _, st := range statuses {
		if !slices.Contains(order, string(st)) {
			return "", charging.Errorf(charging.EINVALID, "unknown status %q", st)
		}
	}
	if len(lits) == 1 {
		return column + " = " + lits[0], nil
	}
	return column + " IN (" + strings.Join(lits, ", ") + ")", nil
}
