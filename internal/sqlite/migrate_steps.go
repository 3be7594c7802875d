package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// migrationSteps are Go steps that run after a migration's SQL, in the
// same transaction, for what SQL alone cannot do.
var migrationSteps = map[int]func(ctx context.Context, s *Store, tx *sql.Tx) error{
	13: moveSamplesToLog,
}

// moveSamplesToLog packs the rows of meter_samples (one per sample) into
// the meter log (one record per element), oldest first, and drops
// meter_samples. The meter log commits before SQLite (commit.go): should
// SQLite fail, the next Open moves the rows again and finds them stored.
func moveSamplesToLog(ctx context.Context, s *Store, tx *sql.Tx) error {
	const chunk = 10000
	var after int64
	var carry []charging.MeterSample // the last element of a chunk may go on in the next
	for {
		got, last, err := readSampleRows(ctx, tx, after, chunk)
		if err != nil {
			return fmt.Errorf("move meter samples: %w", err)
		}
		after = last
		all := append(carry, got...)
		carry = nil
		if len(got) == chunk {
			// Hold the last element back until its rows are all read.
			i := len(all) - 1
			for i > 0 && sameElement(&all[i-1], &all[len(all)-1]) {
				i--
			}
			if i > 0 {
				carry = append([]charging.MeterSample(nil), all[i:]...)
				all = all[:i]
			}
		}
		els := packElements(all)
		for i := range els {
			if err := s.gc.meterBatch().add(&els[i]); err != nil {
				return fmt.Errorf("move meter samples: %w", err)
			}
		}
		if len(got) < chunk && len(carry) == 0 {
			break
		}
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE meter_samples`); err != nil {
		return fmt.Errorf("move meter samples: %w", err)
	}
	return nil
}

// readSampleRows reads up to n rows of meter_samples after id after, in id
// order (samples of one message were inserted together, so consecutive
// ids of one element stay one element), and the last id read.
func readSampleRows(ctx context.Context, tx *sql.Tx, after int64, n int) ([]charging.MeterSample, int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, session_id, charger_id, connector_id, transaction_id, timestamp,
		measurand, phase, location, context, format, unit, value, raw FROM meter_samples WHERE id > ? ORDER BY id LIMIT ?`, after, n)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var out []charging.MeterSample
	for rows.Next() {
		var m charging.MeterSample
		var ts int64
		if err := rows.Scan(&after, &m.SessionID, &m.ChargerID, &m.ConnectorID, &m.TransactionID, &ts,
			&m.Measurand, &m.Phase, &m.Location, &m.Context, &m.Format, &m.Unit, &m.Value, &m.Raw); err != nil {
			return nil, after, err
		}
		m.Timestamp = fromMicro(ts)
		out = append(out, m)
	}
	return out, after, rows.Err()
}
