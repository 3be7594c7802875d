package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// The meter log: one row per meterValue element (meterpack.go), appended
// in rowid order. meter_log_element (session_id, timestamp, digest) is
// both the dedup key and the index that lists a session's samples in time
// order; a sample's ID is its row's seq times sampleIDSpan plus its index
// in the element, so IDs grow in append order and fit a JavaScript number.

// sampleIDSpan bounds the samples of one row; a larger element is stored
// as several rows.
const sampleIDSpan = 1 << 10

const insertElementSQL = `INSERT INTO meter_log (session_id, charger_id, connector_id, transaction_id, timestamp, digest, samples)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (session_id, timestamp, digest) DO NOTHING`

// AddMeterSamples stores samples, skipping elements already stored, and
// overwrites sess when it is not nil, in one write: either all of it is
// durable when it returns nil, or none of it is.
func (s *Store) AddMeterSamples(ctx context.Context, samples []charging.MeterSample, sess *charging.Session) error {
	if len(samples) == 0 && sess == nil {
		return nil
	}
	if s.insertElement == nil {
		return fmt.Errorf("sqlite: add meter samples: %w", errNotMigrated)
	}
	// Pack before taking the writer: the committer's time is the store's
	// throughput.
	els := packElements(samples)
	return s.write(ctx, "add meter samples", func(tx *sql.Tx) error {
		if err := s.insertElements(ctx, tx, els); err != nil {
			return err
		}
		if sess != nil {
			if err := s.updateSessionTx(ctx, tx, sess); err != nil {
				return fmt.Errorf("session %s: %w", sess.ID, err)
			}
		}
		return nil
	})
}

// element is one meter_log row to insert.
type element struct {
	first  *charging.MeterSample // session, charger, connector, transaction, timestamp
	digest int64
	packed []byte
}

// packElements groups consecutive samples of the same element and packs
// each group.
func packElements(samples []charging.MeterSample) []element {
	var els []element
	var buf []byte
	for i := 0; i < len(samples); {
		j := i + 1
		for j < len(samples) && j-i < sampleIDSpan && sameElement(&samples[i], &samples[j]) {
			j++
		}
		m := &samples[i]
		start := len(buf)
		buf = packSamples(buf, samples[i:j])
		p := buf[start:len(buf):len(buf)]
		els = append(els, element{first: m, packed: p, digest: elementDigest(m.ChargerID, m.ConnectorID, m.TransactionID, p)})
		i = j
	}
	return els
}

func sameElement(a, b *charging.MeterSample) bool {
	return a.SessionID == b.SessionID && a.ChargerID == b.ChargerID && a.ConnectorID == b.ConnectorID &&
		a.TransactionID == b.TransactionID && a.Timestamp.Equal(b.Timestamp)
}

func (s *Store) insertElements(ctx context.Context, tx *sql.Tx, els []element) error {
	if len(els) == 0 {
		return nil
	}
	ins := tx.StmtContext(ctx, s.insertElement)
	for i := range els {
		e := &els[i]
		m := e.first
		if _, err := ins.ExecContext(ctx, m.SessionID, m.ChargerID, m.ConnectorID, m.TransactionID, toMicro(m.Timestamp),
			e.digest, e.packed); err != nil {
			return fmt.Errorf("meter value %d: %w", i, err)
		}
	}
	return nil
}

// scanElements appends the samples of the rows (seq, session_id,
// charger_id, connector_id, transaction_id, timestamp, samples) to dst.
func scanElements(rows *sql.Rows, dst []charging.MeterSample, keep func(*charging.MeterSample) bool) ([]charging.MeterSample, error) {
	var seq, ts int64
	var packed []byte
	var tmpl charging.MeterSample
	if err := rows.Scan(&seq, &tmpl.SessionID, &tmpl.ChargerID, &tmpl.ConnectorID, &tmpl.TransactionID, &ts, &packed); err != nil {
		return dst, err
	}
	tmpl.Timestamp = fromMicro(ts)
	n := len(dst)
	dst, err := unpackSamples(dst, packed, tmpl, seq*sampleIDSpan)
	if err != nil {
		return dst, fmt.Errorf("meter log row %d: %w", seq, err)
	}
	if keep != nil {
		out := dst[:n]
		for _, m := range dst[n:] {
			if keep(&m) {
				out = append(out, m)
			}
		}
		dst = out
	}
	return dst, nil
}

const elementColumns = `seq, session_id, charger_id, connector_id, transaction_id, timestamp, samples`

// ListMeterSamples returns a session's samples ordered by timestamp, then ID.
func (s *Store) ListMeterSamples(ctx context.Context, q charging.MeterQuery) (charging.Page[charging.MeterSample], error) {
	var page charging.Page[charging.MeterSample]
	if q.SessionID == "" {
		return page, fmt.Errorf("sqlite: list meter samples: %w", charging.Errorf(charging.EINVALID, "session id is empty"))
	}
	n, err := limit(q.Limit, 1000)
	if err != nil {
		return page, fmt.Errorf("sqlite: list meter samples: %w", err)
	}
	var afterTS, afterID int64
	hasCursor, err := decodeCursor(q.Cursor, &afterTS, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list meter samples: %w", err)
	}
	query := `SELECT ` + elementColumns + ` FROM meter_log WHERE session_id = ?`
	args := []any{q.SessionID}
	var keep func(*charging.MeterSample) bool
	if hasCursor {
		// The cursor's element again (its later samples), then the rest.
		query += ` AND (timestamp > ? OR (timestamp = ? AND seq >= ?))`
		args = append(args, afterTS, afterTS, afterID/sampleIDSpan)
		keep = func(m *charging.MeterSample) bool { return toMicro(m.Timestamp) > afterTS || m.ID > afterID }
	}
	// Every element holds at least one sample: n+1 elements are enough.
	query += ` ORDER BY timestamp, seq LIMIT ?`
	args = append(args, n+1)

	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list meter samples: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.MeterSample{}
	for rows.Next() && len(page.Items) <= n {
		if page.Items, err = scanElements(rows, page.Items, keep); err != nil {
			return charging.Page[charging.MeterSample]{}, fmt.Errorf("sqlite: list meter samples: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.MeterSample]{}, fmt.Errorf("sqlite: list meter samples: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(last.Timestamp), last.ID)
	}
	return page, nil
}

// LastMeterSamples returns the samples of the session's last n elements.
func (s *Store) LastMeterSamples(ctx context.Context, sessionID string, n int) ([]charging.MeterSample, error) {
	if sessionID == "" || n <= 0 {
		return nil, fmt.Errorf("sqlite: last meter samples: %w", charging.Errorf(charging.EINVALID, "need a session id and a count > 0"))
	}
	rows, err := s.rd().QueryContext(ctx, `SELECT `+elementColumns+` FROM (SELECT `+elementColumns+` FROM meter_log
		WHERE session_id = ? ORDER BY timestamp DESC, seq DESC LIMIT ?) ORDER BY timestamp, seq`, sessionID, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: last meter samples: %w", err)
	}
	defer rows.Close()
	var out []charging.MeterSample
	for rows.Next() {
		if out, err = scanElements(rows, out, nil); err != nil {
			return nil, fmt.Errorf("sqlite: last meter samples: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: last meter samples: %w", err)
	}
	return out, nil
}

// PurgeMeterSamples deletes the samples of sessions that ended before
// before. Its progress (the last-written time of the sessions done) is kept
// in sequences, so a run never walks sessions an earlier run purged.
func (s *Store) PurgeMeterSamples(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	if limit <= 0 {
		limit = 100
	}
	cutoff := toMicro(before)
	var deleted int
	var more bool
	err := s.write(ctx, "purge meter samples", func(tx *sql.Tx) error {
		deleted, more = 0, false
		var mark int64
		err := tx.QueryRowContext(ctx, `SELECT value FROM sequences WHERE name = 'meter_purged_until'`).Scan(&mark)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, updated_at FROM sessions
			WHERE status IN ('finished', 'failed') AND updated_at >= ? AND updated_at < ?
			ORDER BY updated_at LIMIT ?`, mark, cutoff, limit+1)
		if err != nil {
			return err
		}
		type sess struct {
			id string
			at int64
		}
		var ss []sess
		for rows.Next() {
			var x sess
			if err := rows.Scan(&x.id, &x.at); err != nil {
				rows.Close()
				return err
			}
			ss = append(ss, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		next := cutoff
		if len(ss) > limit {
			// Stop before the first session not done; sessions sharing
			// its time are done again next time (a no-op for those done).
			more, next, ss = true, ss[limit].at, ss[:limit]
		}
		for _, x := range ss {
			res, err := tx.ExecContext(ctx, `DELETE FROM meter_log WHERE session_id = ?`, x.id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			deleted += int(k)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM meter_log WHERE seq IN
			(SELECT seq FROM meter_log WHERE session_id = '' AND timestamp < ? LIMIT ?)`, cutoff, limit*16)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		deleted += int(k)
		if k == int64(limit*16) {
			more = true
		}
		if next > mark {
			_, err = tx.ExecContext(ctx, `INSERT INTO sequences (name, value) VALUES ('meter_purged_until', ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, next)
		}
		return err
	})
	return deleted, more, err
}
