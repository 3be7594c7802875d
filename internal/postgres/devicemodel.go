package postgres

// charging.DeviceModelStore (migration 0002): the device model 2.0.1
// chargers report, their event log, transaction events, remoteStartIds and
// the per-charger subprotocol override.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// variableKeyColumns are a variable's key within its charger: ListVariables'
// order and cursor.
const variableKeyColumns = `component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type`

const variableColumns = `charger_id, ` + variableKeyColumns + `, value, mutability, persistent, constant,
	data_type, unit, min_limit, max_limit, values_list, supports_monitoring, updated_at`

// variableKey is a variable's key (ListVariables' cursor, and the order
// SaveVariables writes rows in).
type variableKey struct {
	ChargerID, Component, ComponentInstance string
	EVSEID, ConnectorID                     int
	Variable, VariableInstance              string
	AttributeType                           string
}

func keyOf(v charging.Variable) variableKey {
	return variableKey{v.ChargerID, v.Component, v.ComponentInstance, v.EVSEID, v.ConnectorID, v.Variable, v.VariableInstance, v.AttributeType}
}

func compareKeys(a, b variableKey) int {
	return cmp.Or(cmp.Compare(a.ChargerID, b.ChargerID), cmp.Compare(a.Component, b.Component),
		cmp.Compare(a.ComponentInstance, b.ComponentInstance), cmp.Compare(a.EVSEID, b.EVSEID),
		cmp.Compare(a.ConnectorID, b.ConnectorID), cmp.Compare(a.Variable, b.Variable),
		cmp.Compare(a.VariableInstance, b.VariableInstance), cmp.Compare(a.AttributeType, b.AttributeType))
}

// errVariablesCharger marks a foreign key violation of SaveVariables,
// explained (which charger) once the failed statement's savepoint is gone.
var errVariablesCharger = errors.New("a charger of the variables does not exist")

// SaveVariables inserts or updates device model variables (by their key)
// in one statement, so a report is stored whole or not at all. A key given
// twice is written once, with its last value (as writing them one after the
// other would). Rows are written in key order, so that two reports of one
// charger written at once wait for each other instead of deadlocking.
func (s *Store) SaveVariables(ctx context.Context, vs []charging.Variable) error {
	if len(vs) == 0 {
		return nil
	}
	op := "save variables of charger " + vs[0].ChargerID
	last := make(map[variableKey]int, len(vs))
	for i, v := range vs {
		last[keyOf(v)] = i
	}
	rows := make([]charging.Variable, 0, len(last))
	for i, v := range vs {
		if last[keyOf(v)] == i {
			rows = append(rows, v)
		}
	}
	slices.SortFunc(rows, func(a, b charging.Variable) int { return compareKeys(keyOf(a), keyOf(b)) })
	n := len(rows)
	var (
		chargers, comps, compInsts, vars, varInsts, attrs = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		values, muts, types, units, lists                 = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		evses, conns                                      = make([]int32, n), make([]int32, n)
		persistent, constant, monitoring                  = make([]bool, n), make([]bool, n), make([]bool, n)
		mins, maxs                                        = make([]*float64, n), make([]*float64, n)
		updated                                           = make([]time.Time, n)
	)
	for i, v := range rows {
		chargers[i], comps[i], compInsts[i], vars[i], varInsts[i], attrs[i] = v.ChargerID, v.Component, v.ComponentInstance, v.Variable, v.VariableInstance, v.AttributeType
		values[i], muts[i], types[i], units[i], lists[i] = v.Value, v.Mutability, v.DataType, v.Unit, v.ValuesList
		evses[i], conns[i] = int32(v.EVSEID), int32(v.ConnectorID)
		persistent[i], constant[i], monitoring[i] = v.Persistent, v.Constant, v.SupportsMonitoring
		mins[i], maxs[i] = v.MinLimit, v.MaxLimit
		updated[i] = v.UpdatedAt
	}
	_, err := s.opsExec(ctx, `INSERT INTO device_variables (`+variableColumns+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::integer[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::boolean[], $12::boolean[], $13::text[], $14::text[], $15::float8[], $16::float8[],
			$17::text[], $18::boolean[], $19::timestamptz[])
		ON CONFLICT (charger_id, `+variableKeyColumns+`) DO UPDATE SET
			value = excluded.value, mutability = excluded.mutability, persistent = excluded.persistent,
			constant = excluded.constant, data_type = excluded.data_type, unit = excluded.unit,
			min_limit = excluded.min_limit, max_limit = excluded.max_limit, values_list = excluded.values_list,
			supports_monitoring = excluded.supports_monitoring, updated_at = excluded.updated_at`,
		chargers, comps, compInsts, evses, conns, vars, varInsts, attrs,
		values, muts, persistent, constant, types, units, mins, maxs, lists, monitoring, updated)
	if isCode(err, codeForeignKeyViolation) {
		err = missingCharger(ctx, s.q(), chargers)
	}
	return fail(op, err)
}

// missingCharger explains a foreign key violation of a write for the
// chargers ids: the first of them that does not exist is ENOTFOUND.
func missingCharger(ctx context.Context, q querier, ids []string) error {
	var id string
	err := q.QueryRow(ctx, `SELECT i FROM unnest($1::text[]) AS i
		WHERE NOT EXISTS (SELECT 1 FROM chargers c WHERE c.id = i) ORDER BY i LIMIT 1`, ids).Scan(&id)
	if err != nil {
		// Deleted and registered again in between: still a missing charger.
		return charging.Errorf(charging.ENOTFOUND, "charger %s not found", ids[0])
	}
	return charging.Errorf(charging.ENOTFOUND, "charger %s not found", id)
}

// ListVariables returns a charger's variables ordered by their key.
func (s *Store) ListVariables(ctx context.Context, q charging.VariableQuery) (charging.Page[charging.Variable], error) {
	op := "list variables of " + q.ChargerID
	var page charging.Page[charging.Variable]
	n, err := pageLimit(q.Limit, 1000)
	if err != nil {
		return page, fail(op, err)
	}
	var k variableKey
	hasCursor, err := decodeCursor(q.Cursor, &k.Component, &k.ComponentInstance, &k.EVSEID, &k.ConnectorID, &k.Variable, &k.VariableInstance, &k.AttributeType)
	if err != nil {
		return page, fail(op, err)
	}
	query := `SELECT ` + variableColumns + ` FROM device_variables WHERE charger_id = $1`
	args := []any{q.ChargerID}
	if q.Component != "" {
		args = append(args, q.Component)
		query += ` AND component = $` + strconv.Itoa(len(args))
	}
	if hasCursor {
		args = append(args, k.Component, k.ComponentInstance, k.EVSEID, k.ConnectorID, k.Variable, k.VariableInstance, k.AttributeType)
		i := len(args) - 6
		query += fmt.Sprintf(` AND (`+variableKeyColumns+`) > ($%d, $%d, $%d, $%d, $%d, $%d, $%d)`, i, i+1, i+2, i+3, i+4, i+5, i+6)
	}
	args = append(args, n+1)
	query += ` ORDER BY ` + variableKeyColumns + ` LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.q().Query(ctx, query, args...)
	if err != nil {
		return page, fail(op, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.Variable, error) {
		var v charging.Variable
		err := row.Scan(&v.ChargerID, &v.Component, &v.ComponentInstance, &v.EVSEID, &v.ConnectorID, &v.Variable,
			&v.VariableInstance, &v.AttributeType, &v.Value, &v.Mutability, &v.Persistent, &v.Constant, &v.DataType, &v.Unit,
			&v.MinLimit, &v.MaxLimit, &v.ValuesList, &v.SupportsMonitoring, &v.UpdatedAt)
		v.UpdatedAt = utc(v.UpdatedAt)
		return v, err
	})
	if err != nil {
		return page, fail(op, err)
	}
	return pageOf(items, n, func(l charging.Variable) []any {
		return []any{l.Component, l.ComponentInstance, l.EVSEID, l.ConnectorID, l.Variable, l.VariableInstance, l.AttributeType}
	}), nil
}

// HasVariables reports whether the charger has any stored variable.
func (s *Store) HasVariables(ctx context.Context, chargerID string) (bool, error) {
	var has bool
	err := s.q().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM device_variables WHERE charger_id = $1)`, chargerID).Scan(&has)
	if err != nil {
		return false, fail("has variables of "+chargerID, err)
	}
	return has, nil
}

// AddChargerEvents stores charger events in one statement (all or none);
// their ids follow the order given. An empty payload is stored as {}.
func (s *Store) AddChargerEvents(ctx context.Context, es []charging.ChargerEvent) error {
	if len(es) == 0 {
		return nil
	}
	op := "add charger events of " + es[0].ChargerID
	n := len(es)
	chargers, actions, kinds, summaries, payloads := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	evses := make([]int32, n)
	occurred, received := make([]time.Time, n), make([]time.Time, n)
	for i, e := range es {
		// A string, not json.RawMessage: the json column keeps the bytes
		// as given (encoding/json would compact and escape them).
		p := string(e.Payload)
		if p == "" {
			p = "{}"
		}
		if !json.Valid([]byte(p)) {
			return fail(op, charging.Errorf(charging.EINVALID, "charger event payload is not JSON"))
		}
		chargers[i], actions[i], kinds[i], summaries[i], payloads[i] = e.ChargerID, e.Action, e.Kind, e.Summary, p
		evses[i], occurred[i], received[i] = int32(e.EVSEID), e.Timestamp, e.ReceivedAt
	}
	_, err := s.opsExec(ctx, `INSERT INTO charger_events (charger_id, action, kind, occurred_at, evse_id, summary, payload, received_at)
		SELECT c, a, k, o, e, su, p::json, r
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::integer[], $6::text[], $7::text[], $8::timestamptz[])
			WITH ORDINALITY AS x (c, a, k, o, e, su, p, r, i)
		ORDER BY i`,
		chargers, actions, kinds, occurred, evses, summaries, payloads, received)
	return fail(op, err)
}

// ListChargerEvents returns a charger's events, newest (timestamp, then
// id) first.
func (s *Store) ListChargerEvents(ctx context.Context, q charging.ChargerEventQuery) (charging.Page[charging.ChargerEvent], error) {
	op := "list charger events of " + q.ChargerID
	var page charging.Page[charging.ChargerEvent]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var afterUs, afterID int64
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
		w.add2(`(occurred_at, id) < (`, time.UnixMicro(afterUs).UTC(), `, `, afterID, `)`)
	}
	query := `SELECT id, charger_id, action, kind, occurred_at, evse_id, summary, payload, received_at
		FROM charger_events` + w.sql() + ` ORDER BY occurred_at DESC, id DESC LIMIT ` + w.arg(n+1)
	rows, err := s.q().Query(ctx, query, w.args...)
	if err != nil {
		return page, fail(op, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.ChargerEvent, error) {
		var e charging.ChargerEvent
		var payload []byte
		err := row.Scan(&e.ID, &e.ChargerID, &e.Action, &e.Kind, &e.Timestamp, &e.EVSEID, &e.Summary, &payload, &e.ReceivedAt)
		e.Timestamp, e.ReceivedAt, e.Payload = utc(e.Timestamp), utc(e.ReceivedAt), payload
		return e, err
	})
	if err != nil {
		return page, fail(op, err)
	}
	return pageOf(items, n, func(e charging.ChargerEvent) []any { return []any{e.Timestamp.UnixMicro(), e.ID} }), nil
}

// HasTransactionEvent reports whether the event key is stored.
func (s *Store) HasTransactionEvent(ctx context.Context, chargerID, transactionID string, seqNo int) (bool, error) {
	var has bool
	err := s.q().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM transaction_events
		WHERE charger_id = $1 AND transaction_id = $2 AND seq_no = $3)`, chargerID, transactionID, seqNo).Scan(&has)
	if err != nil {
		return false, fail(fmt.Sprintf("has transaction event %s/%s/%d", chargerID, transactionID, seqNo), err)
	}
	return has, nil
}

// AddTransactionEvent stores a transaction event; a stored key is
// ECONFLICT. The duplicate is found by ON CONFLICT DO NOTHING, not by a
// failing statement, so that inside a unit of work it leaves the unit's
// transaction usable without a savepoint.
func (s *Store) AddTransactionEvent(ctx context.Context, r charging.TransactionEventRecord) error {
	op := fmt.Sprintf("add transaction event %s/%s/%d", r.ChargerID, r.TransactionID, r.SeqNo)
	tag, err := s.q().Exec(ctx, `INSERT INTO transaction_events (charger_id, transaction_id, seq_no, event_type, occurred_at,
			trigger_reason, offline, number_of_phases_used, charging_state, stopped_reason, session_id, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (charger_id, transaction_id, seq_no) DO NOTHING`,
		r.ChargerID, r.TransactionID, r.SeqNo, r.EventType, r.Timestamp, r.TriggerReason, r.Offline,
		r.NumberOfPhasesUsed, r.ChargingState, r.StoppedReason, r.SessionID, r.ReceivedAt)
	switch {
	case err != nil:
		return fail(op, err)
	case tag.RowsAffected() == 0:
		return fail(op, charging.Errorf(charging.ECONFLICT, "transaction event %s/%s/%d is already stored", r.ChargerID, r.TransactionID, r.SeqNo))
	}
	return nil
}

// ListTransactionEvents returns a transaction's events ordered by the
// charger's timestamp, then seqNo.
func (s *Store) ListTransactionEvents(ctx context.Context, chargerID, transactionID string) ([]charging.TransactionEventRecord, error) {
	op := fmt.Sprintf("list transaction events %s/%s", chargerID, transactionID)
	rows, err := s.q().Query(ctx, `SELECT charger_id, transaction_id, seq_no, event_type, occurred_at, trigger_reason, offline,
			number_of_phases_used, charging_state, stopped_reason, session_id, received_at
		FROM transaction_events WHERE charger_id = $1 AND transaction_id = $2 ORDER BY occurred_at, seq_no`, chargerID, transactionID)
	if err != nil {
		return nil, fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.TransactionEventRecord, error) {
		var r charging.TransactionEventRecord
		err := row.Scan(&r.ChargerID, &r.TransactionID, &r.SeqNo, &r.EventType, &r.Timestamp, &r.TriggerReason, &r.Offline,
			&r.NumberOfPhasesUsed, &r.ChargingState, &r.StoppedReason, &r.SessionID, &r.ReceivedAt)
		r.Timestamp, r.ReceivedAt = utc(r.Timestamp), utc(r.ReceivedAt)
		return r, err
	})
	if err != nil {
		return nil, fail(op, err)
	}
	if out == nil {
		out = []charging.TransactionEventRecord{}
	}
	return out, nil
}

// NextRemoteStartID returns a new remoteStartId from the sequence
// remote_start_id_seq (0001): ids start at 1, increase, and are never
// handed out twice, by any node, even when the unit that took one rolls
// back (a sequence is not rolled back). One statement, no lock held: the
// SQLite store's in-memory blocks are not needed here.
func (s *Store) NextRemoteStartID(ctx context.Context) (int, error) {
	var id int
	if err := s.q().QueryRow(ctx, `SELECT nextval('remote_start_id_seq')`).Scan(&id); err != nil {
		return 0, fail("next remote start id", err)
	}
	return id, nil
}

// SetOCPPVersionOverride sets (or clears, with "") the charger's
// subprotocol override; SaveCharger never writes it.
func (s *Store) SetOCPPVersionOverride(ctx context.Context, chargerID, version string) error {
	op := "set ocpp version override of " + chargerID
	tag, err := s.q().Exec(ctx, `UPDATE chargers SET ocpp_version_override = $2 WHERE id = $1`, chargerID, version)
	switch {
	case err != nil:
		return fail(op, err)
	case tag.RowsAffected() == 0:
		return fail(op, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID))
	}
	return nil
}
