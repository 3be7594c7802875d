package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Smart charging (migration 0020): a session's smart state is JSON in
// sessions.smart (session.go), a site's load log is the table site_load.

// storedSmart is a deep copy of m with its times in UTC microseconds, as
// every stored time, so that a session reads back as it was written; nil
// stays nil.
func storedSmart(m *charging.SessionSmart) *charging.SessionSmart {
	if m == nil {
		return nil
	}
	c := *m
	if m.DepartureTime != nil {
		d := fromMicro(toMicro(*m.DepartureTime))
		c.DepartureTime = &d
	}
	if a := m.Allocation; a != nil {
		ca := *a
		ca.UpdatedAt = fromMicro(toMicro(a.UpdatedAt))
		ca.Plan = slices.Clone(a.Plan)
		for i, p := range ca.Plan {
			ca.Plan[i].From, ca.Plan[i].To = fromMicro(toMicro(p.From)), fromMicro(toMicro(p.To))
		}
		c.Allocation = &ca
	}
	return &c
}

// maxSiteLoad is how many samples ListSiteLoad returns at most, and when
// its limit is 0.
const maxSiteLoad = 10000

// AppendSiteLoad records one sample. A second sample of the same site at
// the same time replaces the first: a site has one load at a time, and a
// sampler that retries its write must not fail on its own first attempt.
// An unknown site is ENOTFOUND.
func (s *Store) AppendSiteLoad(ctx context.Context, x charging.SiteLoadSample) error {
	op := "append load of site " + x.SiteID
	if x.SiteID == "" {
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "siteId is empty"))
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO site_load (site_id, at, current_l1, current_l2, current_l3,
				limit_a, alloc_l1, alloc_l2, alloc_l3, sessions, waiting, signal_set)
			VALUES (`+placeholders(12)+`)
			ON CONFLICT (site_id, at) DO UPDATE SET current_l1 = excluded.current_l1, current_l2 = excluded.current_l2,
				current_l3 = excluded.current_l3, limit_a = excluded.limit_a, alloc_l1 = excluded.alloc_l1,
				alloc_l2 = excluded.alloc_l2, alloc_l3 = excluded.alloc_l3, sessions = excluded.sessions,
				waiting = excluded.waiting, signal_set = excluded.signal_set`,
			x.SiteID, toMicro(x.At), x.CurrentA[0], x.CurrentA[1], x.CurrentA[2], x.LimitA,
			x.AllocA[0], x.AllocA[1], x.AllocA[2], x.Sessions, x.Waiting, x.SignalSet)
		if isForeignKey(err) {
			return charging.Errorf(charging.ENOTFOUND, "site %s not found", x.SiteID)
		}
		return err
	})
}

// ListSiteLoad returns a site's samples with from <= At < to, oldest
// first: the newest n (0: 10000) of them, read newest first from the
// primary key and reversed.
func (s *Store) ListSiteLoad(ctx context.Context, siteID string, from, to time.Time, n int) ([]charging.SiteLoadSample, error) {
	op := "list load of site " + siteID
	if n < 0 {
		return nil, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "limit %d is negative", n))
	}
	if n == 0 || n > maxSiteLoad {
		n = maxSiteLoad
	}
	rows, err := s.rd().QueryContext(ctx, `SELECT site_id, at, current_l1, current_l2, current_l3,
			limit_a, alloc_l1, alloc_l2, alloc_l3, sessions, waiting, signal_set
		FROM site_load WHERE site_id = ? AND at >= ? AND at < ?
		ORDER BY at DESC LIMIT ?`, siteID, toMicro(from), toMicro(to), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	defer rows.Close()
	out := []charging.SiteLoadSample{}
	for rows.Next() {
		var x charging.SiteLoadSample
		var at int64
		if err := rows.Scan(&x.SiteID, &at, &x.CurrentA[0], &x.CurrentA[1], &x.CurrentA[2], &x.LimitA,
			&x.AllocA[0], &x.AllocA[1], &x.AllocA[2], &x.Sessions, &x.Waiting, &x.SignalSet); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		x.At = fromMicro(at)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	slices.Reverse(out)
	return out, nil
}

// PurgeSiteLoad deletes every site's samples older than before (the
// index site_load_at).
func (s *Store) PurgeSiteLoad(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "purge site load", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM site_load WHERE at < ?`, toMicro(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
