package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/joule-ev/joule/internal/charging"
)

// This file implements charging.DeviceModelStore (migration 0010).

const variableColumns = `charger_id, component, component_instance, evse_id, connector_id, variable,
	variable_instance, attribute_type, value, mutability, persistent, constant, data_type, unit,
	min_limit, max_limit, values_list, supports_monitoring, updated_at`

// SaveVariables inserts or updates device model variables, all in one transaction.
func (s *Store) SaveVariables(ctx context.Context, vs []charging.Variable) error {
	if len(vs) == 0 {
		return nil
	}
	return s.write(ctx, "save variables of charger "+vs[0].ChargerID, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO device_variables (`+variableColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (charger_id, component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type)
			DO UPDATE SET value = excluded.value, mutability = excluded.mutability, persistent = excluded.persistent,
				constant = excluded.constant, data_type = excluded.data_type, unit = excluded.unit,
				min_limit = excluded.min_limit, max_limit = excluded.max_limit, values_list = excluded.values_list,
				supports_monitoring = excluded.supports_monitoring, updated_at = excluded.updated_at`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, v := range vs {
			_, err := st.ExecContext(ctx, v.ChargerID, v.Component, v.ComponentInstance, v.EVSEID, v.ConnectorID, v.Variable,
				v.VariableInstance, v.AttributeType, v.Value, v.Mutability, v.Persistent, v.Constant, v.DataType, v.Unit,
				nullFloat(v.MinLimit), nullFloat(v.MaxLimit), v.ValuesList, v.SupportsMonitoring, toMicro(v.UpdatedAt))
			if isForeignKey(err) {
				return charging.Errorf(charging.ENOTFOUND, "charger %s not found", v.ChargerID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// variableKey is the order and cursor of ListVariables.
type variableKey struct {
	Component, ComponentInstance string
	EVSEID, ConnectorID          int
	Variable, VariableInstance   string
	AttributeType                string
}

// ListVariables returns a charger's variables ordered by their key.
func (s *Store) ListVariables(ctx context.Context, q charging.VariableQuery) (charging.Page[charging.Variable], error) {
	var page charging.Page[charging.Variable]
	n, err := limit(q.Limit, 1000)
	if err != nil {
		return page, fmt.Errorf("sqlite: list variables: %w", err)
	}
	var k variableKey
	hasCursor, err := decodeCursor(q.Cursor, &k.Component, &k.ComponentInstance, &k.EVSEID, &k.ConnectorID, &k.Variable, &k.VariableInstance, &k.AttributeType)
	if err != nil {
		return page, fmt.Errorf("sqlite: list variables: %w", err)
	}
	query := `SELECT ` + variableColumns + ` FROM device_variables WHERE charger_id = ?`
	args := []any{q.ChargerID}
	if q.Component != "" {
		query += ` AND component = ?`
		args = append(args, q.Component)
	}
	if hasCursor {
		query += ` AND (component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type) > (?, ?, ?, ?, ?, ?, ?)`
		args = append(args, k.Component, k.ComponentInstance, k.EVSEID, k.ConnectorID, k.Variable, k.VariableInstance, k.AttributeType)
	}
	query += ` ORDER BY component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type LIMIT ?`
	args = append(args, n+1)
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list variables: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.Variable{}
	for rows.Next() {
		var v charging.Variable
		var minL, maxL sql.NullFloat64
		var updated int64
		if err := rows.Scan(&v.ChargerID, &v.Component, &v.ComponentInstance, &v.EVSEID, &v.ConnectorID, &v.Variable,
			&v.VariableInstance, &v.AttributeType, &v.Value, &v.Mutability, &v.Persistent, &v.Constant, &v.DataType, &v.Unit,
			&minL, &maxL, &v.ValuesList, &v.SupportsMonitoring, &updated); err != nil {
			return page, fmt.Errorf("sqlite: list variables: %w", err)
		}
		v.MinLimit, v.MaxLimit = floatPtr(minL), floatPtr(maxL)
		v.UpdatedAt = fromMicro(updated)
		page.Items = append(page.Items, v)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list variables: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		l := page.Items[n-1]
		page.NextCursor = encodeCursor(l.Component, l.ComponentInstance, l.EVSEID, l.ConnectorID, l.Variable, l.VariableInstance, l.AttributeType)
	}
	return page, nil
}

// HasVariables reports whether the charger has any stored variable.
func (s *Store) HasVariables(ctx context.Context, chargerID string) (bool, error) {
	var n int
	err := s.rd().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM device_variables WHERE charger_id = ? LIMIT 1)`, chargerID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: has variables %s: %w", chargerID, err)
	}
	return n > 0, nil
}

// AddChargerEvents stores charger events in one transaction.
func (s *Store) AddChargerEvents(ctx context.Context, es []charging.ChargerEvent) error {
	if len(es) == 0 {
		return nil
	}
	return s.write(ctx, "add charger events of "+es[0].ChargerID, func(tx *sql.Tx) error {
		for _, e := range es {
			payload := string(e.Payload)
			if payload == "" {
				payload = "{}"
			}
			if !json.Valid([]byte(payload)) {
				return charging.Errorf(charging.EINVALID, "charger event payload is not JSON")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO charger_events (charger_id, action, kind, timestamp, evse_id, summary, payload, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ChargerID, e.Action, e.Kind, toMicro(e.Timestamp), e.EVSEID, e.Summary, payload, toMicro(e.ReceivedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ListChargerEvents returns a charger's events, newest (timestamp, then id) first.
func (s *Store) ListChargerEvents(ctx context.Context, q charging.ChargerEventQuery) (charging.Page[charging.ChargerEvent], error) {
	var page charging.Page[charging.ChargerEvent]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list charger events: %w", err)
	}
	var ts, id int64
	hasCursor, err := decodeCursor(q.Cursor, &ts, &id)
	if err != nil {
		return page, fmt.Errorf("sqlite: list charger events: %w", err)
	}
	query := `SELECT id, charger_id, action, kind, timestamp, evse_id, summary, payload, received_at FROM charger_events WHERE charger_id = ?`
	args := []any{q.ChargerID}
	if q.Action != "" {
		query += ` AND action = ?`
		args = append(args, q.Action)
	}
	if hasCursor {
		query += ` AND (timestamp, id) < (?, ?)`
		args = append(args, ts, id)
	}
	query += ` ORDER BY timestamp DESC, id DESC LIMIT ?`
	args = append(args, n+1)
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list charger events: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.ChargerEvent{}
	for rows.Next() {
		var e charging.ChargerEvent
		var at, recv int64
		var payload string
		if err := rows.Scan(&e.ID, &e.ChargerID, &e.Action, &e.Kind, &at, &e.EVSEID, &e.Summary, &payload, &recv); err != nil {
			return page, fmt.Errorf("sqlite: list charger events: %w", err)
		}
		e.Timestamp, e.ReceivedAt, e.Payload = fromMicro(at), fromMicro(recv), json.RawMessage(payload)
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list charger events: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		l := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(l.Timestamp), l.ID)
	}
	return page, nil
}

// HasTransactionEvent reports whether the event key is stored.
func (s *Store) HasTransactionEvent(ctx context.Context, chargerID, transactionID string, seqNo int) (bool, error) {
	var n int
	err := s.rd().QueryRowContext(ctx, `SELECT count(*) FROM transaction_events WHERE charger_id = ? AND transaction_id = ? AND seq_no = ?`,
		chargerID, transactionID, seqNo).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: has transaction event %s/%s/%d: %w", chargerID, transactionID, seqNo, err)
	}
	return n > 0, nil
}

// AddTransactionEvent stores a transaction event; a stored key is ECONFLICT.
func (s *Store) AddTransactionEvent(ctx context.Context, r charging.TransactionEventRecord) error {
	op := fmt.Sprintf("add transaction event %s/%s/%d", r.ChargerID, r.TransactionID, r.SeqNo)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO transaction_events (charger_id, transaction_id, seq_no, event_type, timestamp,
			trigger_reason, offline, number_of_phases_used, charging_state, stopped_reason, session_id, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ChargerID, r.TransactionID, r.SeqNo, r.EventType, toMicro(r.Timestamp), r.TriggerReason, r.Offline,
			r.NumberOfPhasesUsed, r.ChargingState, r.StoppedReason, r.SessionID, toMicro(r.ReceivedAt))
		if isUnique(err) {
			return charging.Errorf(charging.ECONFLICT, "transaction event %s/%s/%d is already stored", r.ChargerID, r.TransactionID, r.SeqNo)
		}
		return err
	})
}

// ListTransactionEvents returns a transaction's events ordered by timestamp, then seqNo.
func (s *Store) ListTransactionEvents(ctx context.Context, chargerID, transactionID string) ([]charging.TransactionEventRecord, error) {
	rows, err := s.rd().QueryContext(ctx, `SELECT charger_id, transaction_id, seq_no, event_type, timestamp, trigger_reason, offline,
		number_of_phases_used, charging_state, stopped_reason, session_id, received_at
		FROM transaction_events WHERE charger_id = ? AND transaction_id = ? ORDER BY timestamp, seq_no`, chargerID, transactionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list transaction events: %w", err)
	}
	defer rows.Close()
	out := []charging.TransactionEventRecord{}
	for rows.Next() {
		var r charging.TransactionEventRecord
		var at, recv int64
		if err := rows.Scan(&r.ChargerID, &r.TransactionID, &r.SeqNo, &r.EventType, &at, &r.TriggerReason, &r.Offline,
			&r.NumberOfPhasesUsed, &r.ChargingState, &r.StoppedReason, &r.SessionID, &recv); err != nil {
			return nil, fmt.Errorf("sqlite: list transaction events: %w", err)
		}
		r.Timestamp, r.ReceivedAt = fromMicro(at), fromMicro(recv)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list transaction events: %w", err)
	}
	return out, nil
}

// remoteStartBlock is how many remoteStartIds NextRemoteStartID reserves
// from the sequence in one write. The ids of a block not handed out before
// the process ends are never used; 1000 per restart leaves room for
// millions of restarts within a 32-bit remoteStartId.
const remoteStartBlock = 1000

// idBlock is a range of reserved sequence values, (next-1, end].
type idBlock struct {
	mu        sync.Mutex
	next, end int
}

// NextRemoteStartID returns a new remoteStartId from a sequence. It
// reserves remoteStartBlock ids per durable write and hands them out from
// memory, so that a remote start normally costs no write of its own. The
// sequence holds the last reserved id, so ids stay unique across restarts;
// they increase within one Store. Inside a unit of work the unit reserves
// its one id in the sequence itself: a unit that rolls back gives it back,
// and the Store's block (and its lock, which a writer outside may hold
// while it waits for the committer) is never touched from a unit.
func (s *Store) NextRemoteStartID(ctx context.Context) (int, error) {
	if s.unit != nil {
		var id int
		err := s.write(ctx, "reserve a remote start id", func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + 1 WHERE name = 'remote_start_id' RETURNING value`).Scan(&id)
		})
		return id, err
	}
	b := &s.remoteStart
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next == 0 || b.next > b.end {
		var last int
		err := s.write(ctx, "reserve remote start ids", func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + ? WHERE name = 'remote_start_id' RETURNING value`, remoteStartBlock).Scan(&last)
		})
		if err != nil {
			return 0, err
		}
		b.next, b.end = last-remoteStartBlock+1, last
	}
	id := b.next
	b.next++
	return id, nil
}

// SetOCPPVersionOverride sets or clears the charger's subprotocol override.
func (s *Store) SetOCPPVersionOverride(ctx context.Context, chargerID, version string) error {
	return s.write(ctx, "set ocpp version override of "+chargerID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chargers SET ocpp_version_override = ? WHERE id = ?`, version, chargerID)
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
