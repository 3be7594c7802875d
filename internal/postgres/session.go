package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/joule-ev/joule/internal/charging"
)

// sessionColumns are the columns sessionArgs fills, in order ($1 ... $34).
// owner_id is not among them: the writes compute it (tagOwnerSQL), and
// reads select it last (sessionSelect).
const sessionColumns = `id, charger_id, connector_id, id_tag, transaction_id, status, origin,
	created_at, updated_at, started_at, stopped_at, meter_start_wh, meter_stop_wh,
	energy_wh, power_w, current_a, voltage_v, soc_percent, stop_reason, failure_reason,
	stop_requested_at, reservation_id, idempotency_key, flags, remote_start_id, closed_by,
	tariff_id, tariff, cost, payment, cost_currency, cost_total_minor, payment_status, smart`

// sessionSelect is what scanSession reads.
const sessionSelect = sessionColumns + `, owner_id`

// tagOwnerSQL is the owner of the id tag in $36, matched as GetIDTag
// matches (one primary-key probe), or the empty string.
const tagOwnerSQL = `coalesce((SELECT t.owner_id FROM id_tags t WHERE t.id_tag_key = lower($36::text COLLATE "C")), '')`

// insertSessionSQL takes sessionArgs, then the session's OwnerID ($35)
// and IDTag ($36): an empty owner is the id tag's, read in the same
// statement.
const insertSessionSQL = `INSERT INTO sessions (` + sessionColumns + `, owner_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34,
		coalesce(nullif($35::text, ''), ` + tagOwnerSQL + `))`

// updateSessionSQL takes the same arguments as insertSessionSQL. A
// non-empty owner overwrites; an empty one keeps the stored owner or, when
// that is empty too, takes the id tag's (a 2.0.1 transaction may learn
// its idToken after it started).
const updateSessionSQL = `UPDATE sessions SET
	charger_id = $2, connector_id = $3, id_tag = $4, transaction_id = $5, status = $6, origin = $7,
	created_at = $8, updated_at = $9, started_at = $10, stopped_at = $11, meter_start_wh = $12, meter_stop_wh = $13,
	energy_wh = $14, power_w = $15, current_a = $16, voltage_v = $17, soc_percent = $18, stop_reason = $19,
	failure_reason = $20, stop_requested_at = $21, reservation_id = $22, idempotency_key = $23, flags = $24,
	remote_start_id = $25, closed_by = $26, tariff_id = $27, tariff = $28, cost = $29, payment = $30,
	cost_currency = $31, cost_total_minor = $32, payment_status = $33, smart = $34,
	owner_id = CASE WHEN $35::text <> '' THEN $35::text WHEN owner_id <> '' THEN owner_id ELSE ` + tagOwnerSQL + ` END
	WHERE id = $1`

// sessionArgs returns the values of sessionColumns, then the OwnerID and
// IDTag: the arguments of insertSessionSQL and updateSessionSQL.
func sessionArgs(s *charging.Session) []any {
	var flags any // NULL when there are none
	if len(s.Flags) > 0 {
		flags = s.Flags // jsonb: pgx encodes it as JSON
	}
	var tariff, cost, payment, smart any // NULL when nil
	if s.Tariff != nil {
		tariff = s.Tariff
	}
	if s.Cost != nil {
		cost = s.Cost
	}
	if s.Payment != nil {
		payment = s.Payment
	}
	if s.Smart != nil {
		smart = storedSmart(s.Smart)
	}
	total, currency := s.FinalTotalMinor()
	return []any{
		s.ID, s.ChargerID, s.ConnectorID, s.IDTag, s.TransactionID, string(s.Status), s.Origin,
		s.CreatedAt, s.UpdatedAt, s.StartedAt, s.StoppedAt, s.MeterStartWh, s.MeterStopWh,
		s.EnergyWh, s.PowerW, s.CurrentA, s.VoltageV, s.SoCPercent, s.StopReason, s.FailureReason,
		s.StopRequestedAt, s.ReservationID, s.IdempotencyKey, flags, s.RemoteStartID, s.ClosedBy,
		s.TariffID, tariff, cost, payment, currency, total, string(s.PaymentStatusOf()), smart,
		s.OwnerID, s.IDTag,
	}
}

// scanSession reads one row of sessionSelect.
func scanSession(row pgx.Row) (charging.Session, error) {
	var s charging.Session
	var status, costCurrency, paymentStatus string
	var costTotal int64
	err := row.Scan(&s.ID, &s.ChargerID, &s.ConnectorID, &s.IDTag, &s.TransactionID, &status, &s.Origin,
		&s.CreatedAt, &s.UpdatedAt, &s.StartedAt, &s.StoppedAt, &s.MeterStartWh, &s.MeterStopWh,
		&s.EnergyWh, &s.PowerW, &s.CurrentA, &s.VoltageV, &s.SoCPercent, &s.StopReason, &s.FailureReason,
		&s.StopRequestedAt, &s.ReservationID, &s.IdempotencyKey, &s.Flags, &s.RemoteStartID, &s.ClosedBy,
		&s.TariffID, &s.Tariff, &s.Cost, &s.Payment, &costCurrency, &costTotal, &paymentStatus, &s.Smart, &s.OwnerID)
	if err != nil {
		return charging.Session{}, err
	}
	s.Status = charging.SessionStatus(status)
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	s.StartedAt, s.StoppedAt, s.StopRequestedAt = utcPtr(s.StartedAt), utcPtr(s.StoppedAt), utcPtr(s.StopRequestedAt)
	if len(s.Flags) == 0 {
		s.Flags = nil
	}
	return s, nil
}

// sessionConflict translates a constraint violation of a session write
// into a domain error; other errors are returned unchanged.
func sessionConflict(err error, s *charging.Session) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case codeForeignKeyViolation: // check_charger_exists
		return charging.Errorf(charging.ENOTFOUND, "charger %s not found", s.ChargerID)
	case codeUniqueViolation:
		switch pe.ConstraintName {
		case "sessions_idempotency_key":
			return charging.Errorf(charging.ECONFLICT, "idempotency key %q is already used by another session", s.IdempotencyKey)
		case "sessions_open_connector":
			return charging.Errorf(charging.ECONFLICT, "connector %d of charger %s already has an open session", s.ConnectorID, s.ChargerID)
		case "sessions_pkey":
			return charging.Errorf(charging.ECONFLICT, "session %s already exists", s.ID)
		}
		return charging.Errorf(charging.ECONFLICT, "session %s conflicts with a stored session", s.ID)
	}
	return err
}

// CreateSession inserts a new session. When sess.OwnerID is empty, the
// session belongs to the owner of its id tag, if any.
func (s *Store) CreateSession(ctx context.Context, sess charging.Session) error {
	err := s.stmt(ctx, func(q querier) error {
		_, err := q.Exec(ctx, insertSessionSQL, sessionArgs(&sess)...)
		return sessionConflict(err, &sess)
	})
	return fail("create session "+sess.ID, err)
}

// UpdateSession overwrites the session with the same ID. An empty OwnerID
// keeps the stored owner, or takes the id tag's when there is none.
func (s *Store) UpdateSession(ctx context.Context, sess charging.Session) error {
	err := s.stmt(ctx, func(q querier) error { return updateSession(ctx, q, &sess) })
	return fail("update session "+sess.ID, err)
}

// updateSession runs updateSessionSQL on q: the write of UpdateSession,
// for methods that update a session as part of a larger write
// (AddMeterSamples).
func updateSession(ctx context.Context, q querier, sess *charging.Session) error {
	tag, err := q.Exec(ctx, updateSessionSQL, sessionArgs(sess)...)
	if err != nil {
		return sessionConflict(err, sess)
	}
	if tag.RowsAffected() == 0 {
		return charging.Errorf(charging.ENOTFOUND, "session %s not found", sess.ID)
	}
	return nil
}

// getSession reads the one session of the condition; what names it in
// the ENOTFOUND message.
func (s *Store) getSession(ctx context.Context, op, what, where string, args ...any) (charging.Session, error) {
	sess, err := scanSession(s.q().QueryRow(ctx, `SELECT `+sessionSelect+` FROM sessions WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.Session{}, fail(op, charging.Errorf(charging.ENOTFOUND, "%s not found", what))
	}
	if err != nil {
		return charging.Session{}, fail(op, err)
	}
	return sess, nil
}

// GetSession returns the session with the id.
func (s *Store) GetSession(ctx context.Context, id string) (charging.Session, error) {
	return s.getSession(ctx, "get session "+id, "session "+id, `id = $1`, id)
}

// GetSessionByIdempotencyKey returns the session created with the key.
func (s *Store) GetSessionByIdempotencyKey(ctx context.Context, key string) (charging.Session, error) {
	op := fmt.Sprintf("get session with idempotency key %q", key)
	if key == "" {
		return charging.Session{}, fail(op, charging.Errorf(charging.ENOTFOUND, "session with an empty idempotency key not found"))
	}
	// The second term lets the planner use the partial unique index with
	// a generic plan too.
	return s.getSession(ctx, op, fmt.Sprintf("session with idempotency key %q", key),
		`idempotency_key = $1 AND idempotency_key <> ''`, key)
}

// GetSessionByTransaction returns the charger's session with the OCPP
// transaction id (the newest, should a station reuse an id).
func (s *Store) GetSessionByTransaction(ctx context.Context, chargerID, transactionID string) (charging.Session, error) {
	op := fmt.Sprintf("get session of transaction %s on charger %s", transactionID, chargerID)
	if transactionID == "" {
		return charging.Session{}, fail(op, charging.Errorf(charging.ENOTFOUND, "session with an empty transaction id not found"))
	}
	return s.getSession(ctx, op, fmt.Sprintf("session of transaction %s on charger %s", transactionID, chargerID),
		`charger_id = $1 AND transaction_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, chargerID, transactionID)
}

// sessionStatusOrder is the order statusIn writes session statuses in:
// the order of the partial indexes' WHERE terms.
var sessionStatusOrder = []string{"pending", "active", "finished", "failed"}

// ListSessions returns matching sessions, newest (CreatedAt, then ID) first.
func (s *Store) ListSessions(ctx context.Context, q charging.SessionQuery) (charging.Page[charging.Session], error) {
	const op = "list sessions"
	var page charging.Page[charging.Session]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var afterCreated int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterCreated, &afterID)
	if err != nil {
		return page, fail(op, err)
	}

	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.ChargerID != "" {
		where = append(where, `charger_id = `+arg(q.ChargerID))
	}
	if q.ConnectorID != 0 {
		where = append(where, `connector_id = `+arg(q.ConnectorID))
	}
	if q.IDTag != "" {
		where = append(where, `id_tag = `+arg(q.IDTag))
	}
	if q.OwnerID != "" {
		// The second term lets the planner use the partial index
		// sessions_owner_created, which also gives the order.
		where = append(where, `owner_id = `+arg(q.OwnerID)+` AND owner_id <> ''`)
	}
	if q.SiteID != "" {
		// The chargers at the site now (chargers_site): a session moves
		// with its charger, as the site's chargers list does.
		where = append(where, `charger_id IN (SELECT id FROM chargers WHERE site_id = `+arg(q.SiteID)+`)`)
	}
	if len(q.Status) > 0 {
		in, err := statusIn("status", sessionStatusOrder, q.Status)
		if err != nil {
			return page, fail(op, err)
		}
		where = append(where, in)
	}
	if len(q.PaymentStatus) > 0 {
		// authorized and unpaid first: the worker's filter is then exactly
		// the partial index sessions_payment_open's condition.
		in, err := statusIn("payment_status", []string{"authorized", "unpaid", "captured", "released", "refunded", "failed"}, q.PaymentStatus)
		if err != nil {
			return page, fail(op, err)
		}
		where = append(where, in)
	}
	if !q.CreatedFrom.IsZero() {
		where = append(where, `created_at >= `+arg(q.CreatedFrom))
	}
	if !q.CreatedBefore.IsZero() {
		where = append(where, `created_at < `+arg(q.CreatedBefore))
	}
	if hasCursor {
		// Row comparison: one range of the (created_at DESC, id DESC) indexes.
		where = append(where, `(created_at, id) < (`+arg(time.UnixMicro(afterCreated))+`, `+arg(afterID)+`)`)
	}
	query := `SELECT ` + sessionSelect + ` FROM sessions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(n+1)

	rows, err := s.q().Query(ctx, query, args...)
	if err != nil {
		return page, fail(op, err)
	}
	defer rows.Close()
	page.Items = []charging.Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return charging.Page[charging.Session]{}, fail(op, err)
		}
		page.Items = append(page.Items, sess)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.Session]{}, fail(op, err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(last.CreatedAt.UnixMicro(), last.ID)
	}
	return page, nil
}

// NextTransactionID returns a new OCPP 1.6 transaction id from the
// sequence transaction_id_seq: ids start at 1 and are never handed out
// twice (a sequence is not rolled back with a unit that fails).
func (s *Store) NextTransactionID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.q().QueryRow(ctx, `SELECT nextval('transaction_id_seq')`).Scan(&id); err != nil {
		return 0, fail("next transaction id", err)
	}
	return id, nil
}
