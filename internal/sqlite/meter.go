package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/meterpack"
)

// Meter samples are a log of meterValue elements in the meter log
// (meterlog.go): one record per element, its samples packed
// (meterpack.go). A sample's ID is its element's seq times sampleIDSpan
// plus its index in the element, so IDs grow in the order stored and fit a
// JavaScript number.

// sampleIDSpan bounds the samples of one record; a larger element is
// stored as several records.
const sampleIDSpan = 1 << 10

// AddMeterSamples stores samples, skipping elements already stored, and
// overwrites sess when it is not nil, in one write: either all of it is
// durable when it returns nil, or none of it is.
func (s *Store) AddMeterSamples(ctx context.Context, samples []charging.MeterSample, sess *charging.Session) error {
	if len(samples) == 0 && sess == nil {
		return nil
	}
	if s.updateSession == nil {
		return fmt.Errorf("sqlite: add meter samples: %w", errNotMigrated)
	}
	if s.tx == nil {
		return s.Update(ctx, func(tx charging.Tx) error { return tx.AddMeterSamples(ctx, samples, sess) })
	}
	els := packElements(samples)
	if sess == nil {
		// No SQL: the meter batch's own mark is the savepoint.
		mb := s.gc.meterBatch()
		mark := mb.mark()
		for i := range els {
			if err := mb.add(&els[i]); err != nil {
				_ = mb.undo(mark)
				return fmt.Errorf("sqlite: add meter samples: meter value %d: %w", i, err)
			}
		}
		return nil
	}
	return s.write(ctx, "add meter samples", func(tx *sql.Tx) error {
		if err := s.updateSessionTx(ctx, tx, sess); err != nil {
			return fmt.Errorf("session %s: %w", sess.ID, err)
		}
		mb := s.gc.meterBatch()
		for i := range els {
			if err := mb.add(&els[i]); err != nil {
				return fmt.Errorf("meter value %d: %w", i, err)
			}
		}
		return nil
	})
}

// element is one meterValue element to store.
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
		buf = meterpack.Append(buf, samples[i:j])
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

func (d *decodedElement) samples(dst []charging.MeterSample) ([]charging.MeterSample, error) {
	dst, err := meterpack.Unpack(dst, d.packed, d.tmpl, d.seq*sampleIDSpan)
	if err != nil {
		return dst, fmt.Errorf("meter log element %d: %w", d.seq, err)
	}
	return dst, nil
}

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
	var start []byte
	if hasCursor {
		start = appendTS(sessionPrefix(q.SessionID), afterTS)
	}
	page.Items = []charging.MeterSample{}
	r, done := s.meterReader()
	defer done()
	err = scanElements(r, q.SessionID, start, func(group []decodedElement) (bool, error) {
		for i := range group {
			from := len(page.Items)
			var err error
			if page.Items, err = group[i].samples(page.Items); err != nil {
				return false, err
			}
			if hasCursor && group[i].ts == afterTS {
				// The cursor's timestamp again: only what follows it.
				kept := page.Items[:from]
				for _, m := range page.Items[from:] {
					if m.ID > afterID {
						kept = append(kept, m)
					}
				}
				page.Items = kept
			}
		}
		return len(page.Items) <= n, nil
	})
	if err != nil {
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
	r, done := s.meterReader()
	defer done()
	els, err := lastElements(r, sessionID, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: last meter samples: %w", err)
	}
	var out []charging.MeterSample
	for i := range els {
		if out, err = els[i].samples(out); err != nil {
			return nil, fmt.Errorf("sqlite: last meter samples: %w", err)
		}
	}
	return out, nil
}

// PurgeMeterSamples deletes the samples of sessions that ended before
// before, and marks each such session done (samples_purged), so a run
// reads only ended sessions not done yet (the partial index
// sessions_ended), however long the history.
func (s *Store) PurgeMeterSamples(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	if limit <= 0 {
		limit = 100
	}
	cutoff := toMicro(before)
	var deleted int
	var more bool
	err := s.write(ctx, "purge meter samples", func(tx *sql.Tx) error {
		deleted, more = 0, false
		rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions
			WHERE status IN ('finished', 'failed') AND samples_purged = 0 AND updated_at < ?
			ORDER BY updated_at LIMIT ?`, cutoff, limit+1)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) > limit {
			more, ids = true, ids[:limit]
		}
		mb := s.gc.meterBatch()
		for _, id := range ids {
			n, err := mb.deleteRange(sessionPrefix(id), sessionEnd(id))
			if err != nil {
				return err
			}
			deleted += n
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET samples_purged = 1 WHERE id = ?`, id); err != nil {
				return err
			}
		}
		// Samples of transactions Joule never knew: by their timestamp.
		n, err := mb.deleteRange(sessionPrefix(""), appendTS(sessionPrefix(""), cutoff))
		deleted += n
		return err
	})
	return deleted, more, err
}
