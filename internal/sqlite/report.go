package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Usage reports read a roll-up (report_days: per zone, day and charger,
// what finished sessions and closed presence spans add up to), brought up
// to date at report time from report_dirty, which triggers fill when a
// finished session or a closed span changes, plus what is live (active
// sessions, open spans). Nothing is added to the hot paths: heartbeats and
// live values never touch these tables. docs/adr/0010-usage-reports.md.

// UsageReport returns a usage report (charging.ReportStore).
func (s *Store) UsageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error) {
	rows, err := s.usageReport(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: usage report: %w", err)
	}
	return rows, nil
}

func (s *Store) usageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc := q.Loc()
	zone := loc.String()
	// The zone's row exists before the snapshot is taken: from then on the
	// triggers log every change, so none falls between the snapshot a
	// build reads and the roll-up it writes.
	var known int
	if err := s.rd().QueryRowContext(ctx, `SELECT count(*) FROM report_zones WHERE zone = ?`, zone).Scan(&known); err != nil {
		return nil, err
	}
	if known == 0 {
		if err := s.write(ctx, "add report zone", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO report_zones (zone, dirty_id) VALUES (?, -1) ON CONFLICT DO NOTHING`, zone)
			return err
		}); err != nil {
			return nil, err
		}
	}

	// Presence transitions wait in memory for the next batch: an empty
	// write brings one about, so that the report reads them.
	if s.tx == nil && s.gc.movesPending() {
		if err := s.write(ctx, "flush presence", func(*sql.Tx) error { return nil }); err != nil {
			return nil, err
		}
	}

	// One snapshot for everything the report reads.
	var (
		rows     []charging.ReportRow
		roll     rollup
		needSave bool
	)
	err := func() error {
		defer s.visible()()
		rq, done, err := s.readTx(ctx)
		if err != nil {
			return err
		}
		defer done()
		if err := rq.QueryRowContext(ctx, `SELECT dirty_id FROM report_zones WHERE zone = ?`, zone).Scan(&roll.from); err != nil {
			return err
		}
		if err := rq.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM report_dirty`).Scan(&roll.to); err != nil {
			return err
		}
		roll.zone, roll.full = zone, roll.from < 0
		if roll.full {
			first, end := -1<<31, 1<<31-1
			if roll.cells, err = rebuildCells(ctx, rq, loc, "", first, end); err != nil {
				return err
			}
		} else if roll.to > roll.from {
			if roll.rebuilds, err = dirtyRebuilds(ctx, rq, loc, roll.from, roll.to); err != nil {
				return err
			}
			for _, r := range roll.rebuilds {
				c, err := rebuildCells(ctx, rq, loc, r.ChargerID, r.FirstDay, r.EndDay)
				if err != nil {
					return err
				}
				roll.cells = append(roll.cells, c...)
			}
		}
		needSave = roll.to != roll.from || roll.full
		var stored []charging.ReportCell
		if !roll.full {
			if stored, err = storedCells(ctx, rq, q, roll.rebuilds); err != nil {
				return err
			}
		}
		live, err := s.reportLive(ctx, rq)
		if err != nil {
			return err
		}
		rows = charging.MergeReport(q, now, stored, roll.cells, live)
		return nil
	}()
	if err != nil {
		return nil, err
	}
	if needSave {
		if err := s.write(ctx, "save report roll-up", roll.save); err != nil {
			return nil, err
		}
	}
	return rows, nil
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

// save stores the rebuilt cells, unless another report stored the zone's
// roll-up since this one's snapshot (its cells are as new or newer, and
// what this one read would move the zone back).
func (r *rollup) save(tx *sql.Tx) error {
	ctx := context.Background()
	res, err := tx.ExecContext(ctx, `UPDATE report_zones SET dirty_id = ? WHERE zone = ? AND dirty_id = ?`, r.to, r.zone, r.from)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if r.full {
		if _, err := tx.ExecContext(ctx, `DELETE FROM report_days WHERE zone = ?`, r.zone); err != nil {
			return err
		}
	}
	for _, b := range r.rebuilds {
		if _, err := tx.ExecContext(ctx, `DELETE FROM report_days WHERE zone = ? AND charger_id = ? AND day >= ? AND day < ?`,
			r.zone, b.ChargerID, b.FirstDay, b.EndDay); err != nil {
			return err
		}
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO report_days (zone, day, charger_id, sessions, energy_wh, occupied_us, online_us, revenue)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range r.cells {
		if _, err := st.ExecContext(ctx, r.zone, c.Day, c.ChargerID, c.Sessions, c.EnergyWh, c.OccupiedUS, c.OnlineUS,
			charging.FormatRevenue(c.Revenue)); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM report_dirty WHERE id <= (SELECT min(dirty_id) FROM report_zones)`)
	return err
}

// dirtyRebuilds reads the changes (from, to] as the days to rebuild.
func dirtyRebuilds(ctx context.Context, q querier, loc *time.Location, from, to int64) ([]charging.ReportRebuild, error) {
	rows, err := q.QueryContext(ctx, `SELECT charger_id, min(from_us), max(to_us) FROM report_dirty
		WHERE id > ? AND id <= ? GROUP BY charger_id`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var changed []charging.ReportSpan
	for rows.Next() {
		var sp charging.ReportSpan
		var a, b int64
		if err := rows.Scan(&sp.ChargerID, &a, &b); err != nil {
			return nil, err
		}
		sp.From, sp.To = fromMicro(a), fromMicro(b)
		changed = append(changed, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return charging.ReportRebuilds(loc, changed), nil
}

// dayBounds returns the microseconds of [first, end)'s start and end,
// clamped to what a day number can stand for.
func dayBounds(loc *time.Location, first, end int) (int64, int64) {
	const lo, hi = -1 << 62, 1<<62 - 1
	a, b := int64(lo), int64(hi)
	if first > -1<<20 {
		a = charging.DayStart(first, loc).UnixMicro()
	}
	if end < 1<<20 {
		b = charging.DayStart(end, loc).UnixMicro()
	}
	return a, b
}

// rebuildCells computes from the finished sessions and closed spans the
// cells of one charger ("" for every one) on the days [first, end).
func rebuildCells(ctx context.Context, q querier, loc *time.Location, charger string, first, end int) ([]charging.ReportCell, error) {
	a, b := dayBounds(loc, first, end)
	cells := charging.NewReportCells(loc, first, end)
	where, args := "", []any{b, a}
	if charger != "" {
		where, args = " AND charger_id = ?", append(args, charger)
	}
	rows, err := q.QueryContext(ctx, `SELECT charger_id, coalesce(started_at, created_at), coalesce(stopped_at, updated_at),
			energy_wh, cost_currency, cost_total_minor
		FROM sessions WHERE status = 'finished' AND coalesce(started_at, created_at) < ?
			AND coalesce(stopped_at, updated_at) >= ?`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rs charging.ReportSession
		var start, stop int64
		if err := rows.Scan(&rs.ChargerID, &start, &stop, &rs.EnergyWh, &rs.Currency, &rs.CostMinor); err != nil {
			return nil, err
		}
		rs.Start, rs.End = fromMicro(start), fromMicro(stop)
		cells.AddSession(rs, rs.End)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	spans, err := q.QueryContext(ctx, `SELECT charger_id, online_from, online_to FROM presence_log
		WHERE online_to IS NOT NULL AND online_from < ? AND online_to >= ?`+where, args...)
	if err != nil {
		return nil, err
	}
	defer spans.Close()
	for spans.Next() {
		var sp charging.ReportSpan
		var from, to int64
		if err := spans.Scan(&sp.ChargerID, &from, &to); err != nil {
			return nil, err
		}
		sp.From, sp.To = fromMicro(from), fromMicro(to)
		cells.AddSpan(sp, sp.To)
	}
	if err := spans.Err(); err != nil {
		return nil, err
	}
	return cells.Cells(), nil
}

// maxExcluded bounds the rebuilt ranges storedCells leaves out in SQL;
// with more, it reads every cell and leaves them out in Go.
const maxExcluded = 64

// storedCells reads a zone's roll-up for q's days, less the rebuilt
// ranges, summed by SQLite per period and group as far as it can: by day
// (the Monday of the week, the first of the month) and site, charger or
// everything, for q's site and charger. With many rebuilt ranges it reads
// every charger's cells instead.
func storedCells(ctx context.Context, rq querier, q charging.ReportQuery, rebuilds []charging.ReportRebuild) ([]charging.ReportCell, error) {
	first, end := q.ReportDays()
	period, group := "r.day", "''"
	switch q.Interval {
	case charging.ReportWeek:
		period = "(r.day + 3) / 7 * 7 - 3" // day 4 (1970-01-05) was a Monday
	case charging.ReportMonth:
		period = "CAST(julianday(r.day * 86400, 'unixepoch', 'start of month') - 2440587.5 AS INTEGER)"
	}
	switch q.GroupBy {
	case charging.ReportGroupSite:
		group = "coalesce(c.site_id, '')"
	case charging.ReportGroupCharger:
		group = "r.charger_id"
	}
	sep := len(rebuilds) > maxExcluded
	if sep {
		period, group = "r.day", "r.charger_id"
	}
	where := []string{"r.zone = ?", "r.day >= ?", "r.day < ?"}
	args := []any{q.Loc().String(), first, end}
	if q.SiteID != "" {
		where, args = append(where, "c.site_id = ?"), append(args, q.SiteID)
	}
	if q.ChargerID != "" {
		where, args = append(where, "r.charger_id = ?"), append(args, q.ChargerID)
	}
	if len(rebuilds) > 0 && !sep {
		ex := make([]string, len(rebuilds))
		for i, b := range rebuilds {
			ex[i] = "(r.charger_id = ? AND r.day >= ? AND r.day < ?)"
			args = append(args, b.ChargerID, b.FirstDay, b.EndDay)
		}
		where = append(where, "NOT ("+strings.Join(ex, " OR ")+")")
	}
	rows, err := rq.QueryContext(ctx, `SELECT `+period+`, `+group+`, sum(r.sessions), sum(r.energy_wh),
			sum(r.occupied_us), sum(r.online_us), group_concat(nullif(r.revenue, ''), ';')
		FROM report_days r JOIN chargers c ON c.id = r.charger_id
		WHERE `+strings.Join(where, " AND ")+`
		GROUP BY 1, 2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []charging.ReportCell
	for rows.Next() {
		var c charging.ReportCell
		var g string
		var rev sql.NullString
		if err := rows.Scan(&c.Day, &g, &c.Sessions, &c.EnergyWh, &c.OccupiedUS, &c.OnlineUS, &rev); err != nil {
			return nil, err
		}
		c.Day = max(c.Day, first) // a week or month that began before the report
		if sep || q.GroupBy == charging.ReportGroupCharger {
			c.ChargerID = g
		} else {
			c.SiteID = g
		}
		if c.Revenue, err = charging.ParseRevenue(rev.String); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if sep {
		out = charging.ExcludeRebuilt(out, rebuilds)
	}
	return out, nil
}

// reportLive reads the chargers, the active sessions (with their live
// values not yet written) and the open presence spans.
func (s *Store) reportLive(ctx context.Context, q querier) (charging.ReportLive, error) {
	var live charging.ReportLive
	rows, err := q.QueryContext(ctx, `SELECT c.id, coalesce(c.site_id, ''),
			(SELECT count(*) FROM connectors n WHERE n.charger_id = c.id AND n.connector_id > 0),
			(SELECT min(online_from) FROM presence_log p WHERE p.charger_id = c.id)
		FROM chargers c ORDER BY c.id`)
	if err != nil {
		return live, err
	}
	defer rows.Close()
	for rows.Next() {
		var c charging.ReportCharger
		var first sql.NullInt64
		if err := rows.Scan(&c.ID, &c.SiteID, &c.Connectors, &first); err != nil {
			return live, err
		}
		c.FirstSeen = timePtr(first)
		live.Chargers = append(live.Chargers, c)
	}
	if err := rows.Err(); err != nil {
		return live, err
	}
	act, err := q.QueryContext(ctx, `SELECT id, charger_id, coalesce(started_at, created_at), energy_wh
		FROM sessions WHERE status = 'active'`)
	if err != nil {
		return live, err
	}
	defer act.Close()
	for act.Next() {
		var id string
		var start int64
		rs := charging.ReportSession{Active: true}
		if err := act.Scan(&id, &rs.ChargerID, &start, &rs.EnergyWh); err != nil {
			return live, err
		}
		rs.Start = fromMicro(start)
		if l, ok := s.gc.live(id); ok && s.tx == nil {
			rs.EnergyWh = l.EnergyWh
		}
		live.Active = append(live.Active, rs)
	}
	if err := act.Err(); err != nil {
		return live, err
	}
	open, err := q.QueryContext(ctx, `SELECT charger_id, online_from FROM presence_log WHERE online_to IS NULL`)
	if err != nil {
		return live, err
	}
	defer open.Close()
	for open.Next() {
		var sp charging.ReportSpan
		var from int64
		if err := open.Scan(&sp.ChargerID, &from); err != nil {
			return live, err
		}
		sp.From = fromMicro(from)
		live.Open = append(live.Open, sp)
	}
	return live, open.Err()
}
