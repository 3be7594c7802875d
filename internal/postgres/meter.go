package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/meterpack"
)

// This file is the meter log on PostgreSQL (migration 0005): one row per
// meterValue element in meter_elements, partitioned by day.

// sampleIDSpan bounds the samples of one element row; a larger element is
// stored as several rows. A sample's ID is its row's id times sampleIDSpan
// plus its index in the row.
const sampleIDSpan = 1 << 10

// elementRow is one row to insert.
type elementRow struct {
	first   *charging.MeterSample
	digest  []byte
	samples []byte // meterpack
}

// packElements groups consecutive samples of the same element (at most
// sampleIDSpan each) into rows.
func packElements(samples []charging.MeterSample) []elementRow {
	var rows []elementRow
	var buf []byte
	for i := 0; i < len(samples); {
		j := i + 1
		for j < len(samples) && j-i < sampleIDSpan && sameElement(&samples[i], &samples[j]) {
			j++
		}
		start := len(buf)
		buf = meterpack.Append(buf, samples[i:j])
		p := buf[start:len(buf):len(buf)]
		sum := sha256.Sum256(p)
		rows = append(rows, elementRow{first: &samples[i], digest: sum[:16], samples: p})
		i = j
	}
	return rows
}

func sameElement(a, b *charging.MeterSample) bool {
	return a.SessionID == b.SessionID && a.ChargerID == b.ChargerID && a.ConnectorID == b.ConnectorID &&
		a.TransactionID == b.TransactionID && a.Timestamp.Equal(b.Timestamp)
}

// insertElementsSQL inserts the rows of packElements, in order, skipping
// each one already stored (the unique index meter_elements_key).
const insertElementsSQL = `INSERT INTO meter_elements (id, session_id, charger_id, connector_id, transaction_id, ts, digest, samples)
	SELECT nextval('meter_elements_id_seq'), e.session_id, e.charger_id, e.connector_id, e.transaction_id, e.ts, e.digest, e.samples
	FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::timestamptz[], $6::bytea[], $7::bytea[]) WITH ORDINALITY
		AS e (session_id, charger_id, connector_id, transaction_id, ts, digest, samples, ord)
	ORDER BY e.ord
	ON CONFLICT DO NOTHING`

// AddMeterSamples stores samples, skipping elements already stored, and
// overwrites sess when it is not nil, in one transaction (a savepoint
// inside a unit of work): all of it is durable when it returns nil, or
// none of it is.
func (s *Store) AddMeterSamples(ctx context.Context, samples []charging.MeterSample, sess *charging.Session) error {
	if len(samples) == 0 && sess == nil {
		return nil
	}
	rows := packElements(samples)
	s.partitionsAhead()
	n := len(rows)
	sessionIDs, chargerIDs, transactionIDs := make([]string, n), make([]string, n), make([]string, n)
	connectorIDs := make([]int32, n)
	timestamps := make([]time.Time, n)
	digests, packed := make([][]byte, n), make([][]byte, n)
	for i, r := range rows {
		m := r.first
		sessionIDs[i], chargerIDs[i], connectorIDs[i], transactionIDs[i] = m.SessionID, m.ChargerID, int32(m.ConnectorID), m.TransactionID
		timestamps[i], digests[i], packed[i] = m.Timestamp, r.digest, r.samples
	}
	if sess == nil && s.tx != nil {
		// One statement that breaks no constraint (a repeat is skipped):
		// inside a unit it needs no savepoint of its own (two round trips).
		// Should it fail all the same, the unit fails with it.
		_, err := s.tx.Exec(ctx, insertElementsSQL, sessionIDs, chargerIDs, connectorIDs, transactionIDs, timestamps, digests, packed)
		return fail("add meter samples", err)
	}
	err := s.write(ctx, func(u *Store) error {
		if sess != nil {
			if err := updateSession(ctx, u.tx, sess); err != nil {
				return fmt.Errorf("session %s: %w", sess.ID, err)
			}
		}
		if n == 0 {
			return nil
		}
		_, err := u.tx.Exec(ctx, insertElementsSQL, sessionIDs, chargerIDs, connectorIDs, transactionIDs, timestamps, digests, packed)
		return err
	})
	return fail("add meter samples", err)
}

// elementSelect is what scanElement reads.
const elementSelect = `id, session_id, charger_id, connector_id, transaction_id, ts, samples`

// scanElement appends the samples of one row of elementSelect to dst.
func scanElement(rows pgx.Rows, dst []charging.MeterSample) ([]charging.MeterSample, int64, time.Time, error) {
	var id int64
	var tmpl charging.MeterSample
	var raw []byte
	if err := rows.Scan(&id, &tmpl.SessionID, &tmpl.ChargerID, &tmpl.ConnectorID, &tmpl.TransactionID, &tmpl.Timestamp, &raw); err != nil {
		return dst, 0, time.Time{}, err
	}
	tmpl.Timestamp = utc(tmpl.Timestamp)
	dst, err := meterpack.Unpack(dst, raw, tmpl, id*sampleIDSpan)
	if err != nil {
		return dst, 0, time.Time{}, fmt.Errorf("meter element %d: %w", id, err)
	}
	return dst, id, tmpl.Timestamp, nil
}

// ListMeterSamples returns a session's samples ordered by timestamp, then
// ID, a page at a time (the cursor is the last sample's timestamp and ID).
func (s *Store) ListMeterSamples(ctx context.Context, q charging.MeterQuery) (charging.Page[charging.MeterSample], error) {
	const op = "list meter samples"
	var page charging.Page[charging.MeterSample]
	if q.SessionID == "" {
		return page, fail(op, charging.Errorf(charging.EINVALID, "session id is empty"))
	}
	n, err := pageLimit(q.Limit, 1000)
	if err != nil {
		return page, fail(op, err)
	}
	var afterTS, afterID int64
	hasCursor, err := decodeCursor(q.Cursor, &afterTS, &afterID)
	if err != nil {
		return page, fail(op, err)
	}
	// Every row after the cursor's has at least one sample: n+1 rows past
	// the cursor's own (which may have none left) tell whether there is a
	// next page.
	sql := `SELECT ` + elementSelect + ` FROM meter_elements WHERE session_id = $1 ORDER BY ts, id LIMIT $2`
	args := []any{q.SessionID, n + 2}
	if hasCursor {
		sql = `SELECT ` + elementSelect + ` FROM meter_elements
			WHERE session_id = $1 AND ts >= $3 AND (ts > $3 OR id >= $4) ORDER BY ts, id LIMIT $2`
		args = append(args, time.UnixMicro(afterTS), afterID/sampleIDSpan)
	}
	rows, err := s.q().Query(ctx, sql, args...)
	if err != nil {
		return page, fail(op, err)
	}
	defer rows.Close()
	page.Items = []charging.MeterSample{}
	for rows.Next() && len(page.Items) <= n {
		from := len(page.Items)
		var ts time.Time
		if page.Items, _, ts, err = scanElement(rows, page.Items); err != nil {
			return charging.Page[charging.MeterSample]{}, fail(op, err)
		}
		if hasCursor && ts.UnixMicro() == afterTS {
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return charging.Page[charging.MeterSample]{}, fail(op, err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(last.Timestamp.UnixMicro(), last.ID)
	}
	return page, nil
}

// LastMeterSamples returns the samples of the session's last n elements
// (latest timestamp, then stored last), ordered by timestamp, then ID.
func (s *Store) LastMeterSamples(ctx context.Context, sessionID string, n int) ([]charging.MeterSample, error) {
	const op = "last meter samples"
	if sessionID == "" || n <= 0 {
		return nil, fail(op, charging.Errorf(charging.EINVALID, "need a session id and a count > 0"))
	}
	rows, err := s.q().Query(ctx, `SELECT `+elementSelect+` FROM meter_elements
		WHERE session_id = $1 ORDER BY ts DESC, id DESC LIMIT $2`, sessionID, n)
	if err != nil {
		return nil, fail(op, err)
	}
	defer rows.Close()
	var groups [][]charging.MeterSample
	for rows.Next() {
		g, _, _, err := scanElement(rows, nil)
		if err != nil {
			return nil, fail(op, err)
		}
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(op, err)
	}
	slices.Reverse(groups)
	return slices.Concat(groups...), nil
}

// SetSessionLive writes an active session's live values at once, unless
// the session was written at or after l.UpdatedAt (or is not active):
// one UPDATE, so every node reads them. Inside a unit of work it is part
// of the unit.
func (s *Store) SetSessionLive(ctx context.Context, l charging.SessionLive) error {
	const op = "set session live"
	if l.SessionID == "" {
		return fail(op, charging.Errorf(charging.EINVALID, "session id is empty"))
	}
	var cost any // NULL keeps the stored cost
	if l.Cost != nil {
		cost = l.Cost // jsonb: pgx encodes it as JSON
	}
	_, err := s.q().Exec(ctx, `UPDATE sessions SET updated_at = $2, energy_wh = $3, power_w = $4,
		current_a = $5, voltage_v = $6, soc_percent = $7, cost = coalesce($8::jsonb, cost)
		WHERE id = $1 AND status = 'active' AND updated_at < $2`,
		l.SessionID, l.UpdatedAt, l.EnergyWh, l.PowerW, l.CurrentA, l.VoltageV, l.SoCPercent, cost)
	return fail(op, err)
}

// PurgeMeterSamples deletes the samples of sessions that ended (finished
// or failed, last written) before before, at most limit sessions per
// call, oldest first, and marks each done (samples_purged); and the
// samples without a session timestamped before before. First it drops a
// day partition that ends before the cutoff and holds only such samples
// (at most one per call): that costs no row deletes. It returns the
// elements deleted.
func (s *Store) PurgeMeterSamples(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	if limit <= 0 {
		limit = 100
	}
	var deleted int
	var more bool
	err := s.write(ctx, func(u *Store) error {
		deleted, more = 0, false
		dropped, err := u.dropMeterPartition(ctx, before)
		if err != nil {
			return err
		}
		deleted += dropped
		// A session is created before it is last written: the index
		// (sessions_ended, by creation) finds the candidates, updated_at
		// decides.
		rows, err := u.tx.Query(ctx, `SELECT id FROM sessions
			WHERE status IN ('finished', 'failed') AND NOT samples_purged
				AND created_at < $1 AND updated_at < $1
			ORDER BY created_at, id LIMIT $2`, before, limit+1)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(ids) > limit {
			more, ids = true, ids[:limit]
		}
		if len(ids) > 0 {
			tag, err := u.tx.Exec(ctx, `DELETE FROM meter_elements WHERE session_id = ANY($1)`, ids)
			if err != nil {
				return err
			}
			deleted += int(tag.RowsAffected())
			if _, err := u.tx.Exec(ctx, `UPDATE sessions SET samples_purged = true WHERE id = ANY($1)`, ids); err != nil {
				return err
			}
		}
		tag, err := u.tx.Exec(ctx, `DELETE FROM meter_elements WHERE session_id = '' AND ts < $1`, before)
		if err != nil {
			return err
		}
		deleted += int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, false, fail("purge meter samples", err)
	}
	return deleted, more, nil
}

// partitionPrefix begins the name of a day partition: meter_elements_p
// and the day as YYYYMMDD.
const partitionPrefix = "meter_elements_p"

// dropMeterPartition drops the oldest day partition that ends at or
// before the cutoff and that retention may take whole: every session with
// samples in it ended before the cutoff (or was purged already) and its
// samples without a session are all older than the cutoff. It returns the
// elements it held. A blocked day does not hold up the days after it. It runs in
// the purge's transaction: a purge that fails drops nothing. Dropping a
// partition locks the table for a moment; it waits at most lockWait for
// that and otherwise leaves the partition to the next run.
func (u *Store) dropMeterPartition(ctx context.Context, before time.Time) (int, error) {
	// The day partitions old enough, oldest first (the names sort by day).
	rows, err := u.tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'meter_elements'::regclass AND c.relname LIKE 'meter\_elements\_p%'
			AND c.relname <= $1
		ORDER BY c.relname`, partitionPrefix+before.UTC().AddDate(0, 0, -1).Format("20060102"))
	if err != nil {
		return 0, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	// A session still charging (or ended after the cutoff) blocks its
	// days, not the days after them.
	for _, name := range names {
		day, err := time.Parse("20060102", strings.TrimPrefix(name, partitionPrefix))
		if err != nil || day.AddDate(0, 0, 1).After(before) {
			continue // not a partition of ours, or not old enough
		}
		part := pgx.Identifier{name}.Sanitize()
		blocked, err := u.partitionBlocked(ctx, part, before)
		if err != nil {
			return 0, err
		}
		if !blocked {
			return u.dropPartition(ctx, part)
		}
	}
	return 0, nil
}

// partitionBlocked reports whether a day partition holds samples that
// retention must keep: of a session that has not ended before the cutoff
// (and is not purged yet), or without a session and not older than it.
// The distinct sessions of the partition are found by one index probe
// each (a loose index scan) and checked against the sessions table.
func (u *Store) partitionBlocked(ctx context.Context, part string, before time.Time) (bool, error) {
	var blocked bool
	err := u.tx.QueryRow(ctx, `WITH RECURSIVE ids (id) AS (
			SELECT min(session_id) FROM `+part+` WHERE session_id > ''
			UNION ALL
			SELECT (SELECT min(session_id) FROM `+part+` WHERE session_id > ids.id) FROM ids WHERE ids.id IS NOT NULL)
		SELECT EXISTS (SELECT 1 FROM ids JOIN sessions s ON s.id = ids.id
				WHERE NOT s.samples_purged AND NOT (s.status IN ('finished', 'failed') AND s.updated_at < $1))
			OR EXISTS (SELECT 1 FROM `+part+` WHERE session_id = '' AND ts >= $1)`, before).Scan(&blocked)
	return blocked, err
}

// dropPartition drops a day partition and returns the elements it held.
func (u *Store) dropPartition(ctx context.Context, part string) (int, error) {
	var n int
	if err := u.tx.QueryRow(ctx, `SELECT count(*) FROM `+part).Scan(&n); err != nil {
		return 0, err
	}
	err := u.write(ctx, func(v *Store) error {
		if _, err := v.tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`, lockWait); err != nil {
			return err
		}
		if _, err := v.tx.Exec(ctx, `DROP TABLE `+part); err != nil {
			return err
		}
		_, err := v.tx.Exec(ctx, `SELECT set_config('lock_timeout', '0', true)`)
		return err
	})
	if isCode(err, codeLockNotAvailable) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// lockWait bounds how long a partition drop waits for the table's lock.
const lockWait = "2s"

// codeLockNotAvailable is lock_timeout's error.
const codeLockNotAvailable = "55P03"

// Day partitions are created this many days ahead, and again once fewer
// than partitionsMargin days are left (partitionsAhead).
const (
	partitionDays    = 8
	partitionsMargin = 2 * 24 * time.Hour
)

// meterPartitions tracks how far day partitions exist.
type meterPartitions struct {
	until    atomic.Int64 // unix seconds: the first day without a partition known to exist
	ensuring atomic.Bool
}

// EnsureMeterPartitions creates the meter log's day partitions from
// yesterday to partitionDays days ahead (UTC) where they are missing.
// Open calls it; AddMeterSamples calls it again, in the background, as
// days pass.
func (s *Store) EnsureMeterPartitions(ctx context.Context) error {
	var until time.Time
	var created int
	err := s.pool.QueryRow(ctx, `SELECT ensure_meter_partitions(current_date - 1, $1 + 1),
		(current_date + $1::integer)::timestamptz`, partitionDays).Scan(&created, &until)
	if err != nil {
		return fail("ensure meter partitions", err)
	}
	s.parts.until.Store(until.Unix())
	return nil
}

// partitionsAhead starts EnsureMeterPartitions in the background when
// the partitions run out within partitionsMargin. Elements of a day
// without a partition are not lost meanwhile: they go to the default
// partition, and EnsureMeterPartitions moves them.
func (s *Store) partitionsAhead() {
	if s.now().Add(partitionsMargin).Unix() < s.parts.until.Load() || !s.parts.ensuring.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.parts.ensuring.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.EnsureMeterPartitions(ctx) // retried with the next samples
	}()
}
