package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/joule-ev/joule/internal/charging"
)

// Usage reports read a roll-up (report_days: per zone, day and charger,
// what finished sessions and closed presence spans add up to), brought up
// to date at report time from report_dirty, which triggers fill when a
// finished session or a closed span changes, plus what is live (active
// sessions, open spans). As the SQLite store's report.go; see
// docs/adr/0010-usage-reports.md.

// UsageReport returns a usage report (charging.ReportStore).
func (s *Store) UsageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error) {
	rows, err := s.usageReport(ctx, q)
	return rows, fail("usage report", err)
}

func (s *Store) usageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	now := q.Now
	if now.IsZero() {
		now = s.now()
	}
	if s.tx != nil {
		// Inside a unit of work the snapshot is the unit's, taken before
		// any lock: the report is computed, the roll-up left as it is.
		rows, _, err := s.computeReport(ctx, q, now)
		return rows, err
	}
	zone := q.Loc().String()
	// The zone's row exists before the report's snapshot: from then on the
	// triggers log every change, so none falls between the snapshot a
	// build reads and the roll-up it writes.
	if _, err := s.pool.Exec(ctx, `INSERT INTO report_zones (zone, dirty_id) VALUES ($1, -1) ON CONFLICT DO NOTHING`, zone); err != nil {
		return nil, err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// Before the snapshot (the first query): a change whose report_dirty
	// row is not committed yet holds ROW EXCLUSIVE, so the snapshot sees
	// every id up to its largest, and reports run one at a time.
	if _, err := tx.Exec(ctx, `LOCK TABLE report_dirty IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return nil, err
	}
	u := &Store{core: s.core, tx: tx}
	rows, roll, err := u.computeReport(ctx, q, now)
	if err != nil {
		return nil, err
	}
	if roll.to != roll.from || roll.full {
		if err := u.saveRollup(ctx, roll); err != nil {
			return nil, err
		}
	}
	return rows, tx.Commit(ctx)
}

// rollup is what one report rebuilt of a zone's roll-up: the changes
// (from, to] of report_dirty (from -1: everything).
type rollup struct {
	zone     string
	from, to int64
	full     bool
	rebuilds []charging.ReportRebuild
	cells    []charging.ReportCell
}

// computeReport reads everything in the transaction's snapshot.
func (s *Store) computeReport(ctx context.Context, q charging.ReportQuery, now time.Time) ([]charging.ReportRow, rollup, error) {
	loc := q.Loc()
	roll := rollup{zone: loc.String(), from: -1}
	db := s.q()
	if err := db.QueryRow(ctx, `SELECT coalesce((SELECT dirty_id FROM report_zones WHERE zone = $1), -1),
			coalesce((SELECT max(id) FROM report_dirty), 0)`, roll.zone).Scan(&roll.from, &roll.to); err != nil {
		return nil, roll, err
	}
	roll.full = roll.from < 0
	var err error
	if roll.full {
		if roll.cells, err = s.rebuildCells(ctx, loc, "", -1<<31, 1<<31-1); err != nil {
			return nil, roll, err
		}
	} else if roll.to > roll.from {
		if roll.rebuilds, err = s.dirtyRebuilds(ctx, loc, roll.from, roll.to); err != nil {
			return nil, roll, err
		}
		for _, r := range roll.rebuilds {
			c, err := s.rebuildCells(ctx, loc, r.ChargerID, r.FirstDay, r.EndDay)
			if err != nil {
				return nil, roll, err
			}
			roll.cells = append(roll.cells, c...)
		}
	}
	var stored []charging.ReportCell
	if !roll.full {
		first, end := q.ReportDays()
		if stored, err = s.storedCells(ctx, roll.zone, first, end); err != nil {
			return nil, roll, err
		}
	}
	live, err := s.reportLive(ctx)
	if err != nil {
		return nil, roll, err
	}
	stored = charging.ExcludeRebuilt(stored, roll.rebuilds)
	return charging.MergeReport(q, now, stored, roll.cells, live), roll, nil
}

// saveRollup stores the rebuilt cells; the caller holds the lock that
// makes reports run one at a time.
func (s *Store) saveRollup(ctx context.Context, r rollup) error {
	db := s.q()
	if _, err := db.Exec(ctx, `UPDATE report_zones SET dirty_id = $1 WHERE zone = $2`, r.to, r.zone); err != nil {
		return err
	}
	if r.full {
		if _, err := db.Exec(ctx, `DELETE FROM report_days WHERE zone = $1`, r.zone); err != nil {
			return err
		}
	}
	for _, b := range r.rebuilds {
		if _, err := db.Exec(ctx, `DELETE FROM report_days WHERE zone = $1 AND charger_id = $2 AND day >= $3 AND day < $4`,
			r.zone, b.ChargerID, b.FirstDay, b.EndDay); err != nil {
			return err
		}
	}
	if _, err := db.CopyFrom(ctx, pgx.Identifier{"report_days"},
		[]string{"zone", "day", "charger_id", "sessions", "energy_wh", "occupied_us", "online_us", "revenue"},
		pgx.CopyFromSlice(len(r.cells), func(i int) ([]any, error) {
			c := r.cells[i]
			return []any{r.zone, c.Day, c.ChargerID, c.Sessions, c.EnergyWh, c.OccupiedUS, c.OnlineUS, charging.FormatRevenue(c.Revenue)}, nil
		})); err != nil {
		return err
	}
	_, err := db.Exec(ctx, `DELETE FROM report_dirty WHERE id <= (SELECT min(dirty_id) FROM report_zones)`)
	return err
}

// dirtyRebuilds reads the changes (from, to] as the days to rebuild.
func (s *Store) dirtyRebuilds(ctx context.Context, loc *time.Location, from, to int64) ([]charging.ReportRebuild, error) {
	rows, err := s.q().Query(ctx, `SELECT charger_id, min(from_at), max(to_at) FROM report_dirty
		WHERE id > $1 AND id <= $2 GROUP BY charger_id`, from, to)
	if err != nil {
		return nil, err
	}
	var changed []charging.ReportSpan
	var sp charging.ReportSpan
	_, err = pgx.ForEachRow(rows, []any{&sp.ChargerID, &sp.From, &sp.To}, func() error {
		changed = append(changed, sp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return charging.ReportRebuilds(loc, changed), nil
}

// dayBounds returns the start and end of the days [first, end), clamped
// to what a day number can stand for.
func dayBounds(loc *time.Location, first, end int) (time.Time, time.Time) {
	a, b := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if first > -1<<20 {
		a = charging.DayStart(first, loc)
	}
	if end < 1<<20 {
		b = charging.DayStart(end, loc)
	}
	return a, b
}

// rebuildCells computes from the finished sessions and closed spans the
// cells of one charger ("" for every one) on the days [first, end).
func (s *Store) rebuildCells(ctx context.Context, loc *time.Location, charger string, first, end int) ([]charging.ReportCell, error) {
	a, b := dayBounds(loc, first, end)
	cells := charging.NewReportCells(loc, first, end)
	rows, err := s.q().Query(ctx, `SELECT charger_id, coalesce(started_at, created_at), coalesce(stopped_at, updated_at),
			energy_wh, cost_currency, cost_total_minor
		FROM sessions WHERE status = 'finished' AND coalesce(started_at, created_at) < $1
			AND coalesce(stopped_at, updated_at) >= $2 AND ($3 = '' OR charger_id = $3)`, b, a, charger)
	if err != nil {
		return nil, err
	}
	var rs charging.ReportSession
	if _, err := pgx.ForEachRow(rows, []any{&rs.ChargerID, &rs.Start, &rs.End, &rs.EnergyWh, &rs.Currency, &rs.CostMinor}, func() error {
		cells.AddSession(rs, rs.End)
		return nil
	}); err != nil {
		return nil, err
	}
	spans, err := s.q().Query(ctx, `SELECT charger_id, online_from, online_to FROM presence_log
		WHERE online_to IS NOT NULL AND online_from < $1 AND online_to >= $2 AND ($3 = '' OR charger_id = $3)`, b, a, charger)
	if err != nil {
		return nil, err
	}
	var sp charging.ReportSpan
	if _, err := pgx.ForEachRow(spans, []any{&sp.ChargerID, &sp.From, &sp.To}, func() error {
		cells.AddSpan(sp, sp.To)
		return nil
	}); err != nil {
		return nil, err
	}
	return cells.Cells(), nil
}

// storedCells reads a zone's roll-up for the days [first, end).
func (s *Store) storedCells(ctx context.Context, zone string, first, end int) ([]charging.ReportCell, error) {
	rows, err := s.q().Query(ctx, `SELECT day, charger_id, sessions, energy_wh, occupied_us, online_us, revenue
		FROM report_days WHERE zone = $1 AND day >= $2 AND day < $3`, zone, first, end)
	if err != nil {
		return nil, err
	}
	var out []charging.ReportCell
	var c charging.ReportCell
	var rev string
	_, err = pgx.ForEachRow(rows, []any{&c.Day, &c.ChargerID, &c.Sessions, &c.EnergyWh, &c.OccupiedUS, &c.OnlineUS, &rev}, func() error {
		var err error
		if c.Revenue, err = charging.ParseRevenue(rev); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// reportLive reads the chargers, the active sessions and the open
// presence spans.
func (s *Store) reportLive(ctx context.Context) (charging.ReportLive, error) {
	var live charging.ReportLive
	rows, err := s.q().Query(ctx, `SELECT c.id, coalesce(c.site_id, ''),
			(SELECT count(*) FROM connectors n WHERE n.charger_id = c.id AND n.connector_id > 0),
			(SELECT min(online_from) FROM presence_log p WHERE p.charger_id = c.id)
		FROM chargers c ORDER BY c.id`)
	if err != nil {
		return live, err
	}
	var c charging.ReportCharger
	var first *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&c.ID, &c.SiteID, &c.Connectors, &first}, func() error {
		c.FirstSeen = nil
		if first != nil {
			t := first.UTC()
			c.FirstSeen = &t
		}
		live.Chargers = append(live.Chargers, c)
		return nil
	}); err != nil {
		return live, err
	}
	act, err := s.q().Query(ctx, `SELECT charger_id, coalesce(started_at, created_at), energy_wh
		FROM sessions WHERE status = 'active'`)
	if err != nil {
		return live, err
	}
	rs := charging.ReportSession{Active: true}
	if _, err := pgx.ForEachRow(act, []any{&rs.ChargerID, &rs.Start, &rs.EnergyWh}, func() error {
		live.Active = append(live.Active, rs)
		return nil
	}); err != nil {
		return live, err
	}
	open, err := s.q().Query(ctx, `SELECT charger_id, online_from FROM presence_log WHERE online_to IS NULL`)
	if err != nil {
		return live, err
	}
	var sp charging.ReportSpan
	_, err = pgx.ForEachRow(open, []any{&sp.ChargerID, &sp.From}, func() error {
		live.Open = append(live.Open, sp)
		return nil
	})
	return live, err
}
