package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// Sites. Coordinates are two nullable double precision columns (both or
// neither); opening times and the load-management fields (grid limit,
// reserve, meter, grid signal) are jsonb, NULL when unknown or unset: read
// and written whole, never queried.

const siteColumns = `id, name, street, city, postal_code, state, country, latitude, longitude,
	time_zone, opening_times, notes, tariff_id, group_tariffs, grid_limit, reserve, meter, grid_signal,
	created_at, updated_at`

func scanSite(row pgx.Row) (charging.Site, error) {
	var x charging.Site
	var lat, lon *float64
	a := &x.Address
	err := row.Scan(&x.ID, &x.Name, &a.Street, &a.City, &a.PostalCode, &a.State, &a.Country, &lat, &lon,
		&x.TimeZone, &x.OpeningTimes, &x.Notes, &x.TariffID, &x.GroupTariffs,
		&x.GridLimit, &x.Reserve, &x.Meter, &x.GridSignal, &x.CreatedAt, &x.UpdatedAt)
	if err != nil {
		return charging.Site{}, err
	}
	if lat != nil && lon != nil {
		x.Coordinates = &charging.Coordinates{Latitude: *lat, Longitude: *lon}
	}
	if o := x.OpeningTimes; o != nil {
		utcPeriods(o.ExceptionalOpenings)
		utcPeriods(o.ExceptionalClosings)
	}
	if g := x.GridSignal; g != nil {
		g.SetAt, g.Until = utc(g.SetAt), utcPtr(g.Until)
	}
	x.GroupTariffs = emptyGroups(x.GroupTariffs)
	x.CreatedAt, x.UpdatedAt = utc(x.CreatedAt), utc(x.UpdatedAt)
	return x, nil
}

// siteArgs are the values of siteColumns from name to grid_signal, in order.
func siteArgs(x charging.Site) []any {
	var lat, lon *float64
	if c := x.Coordinates; c != nil {
		lat, lon = &c.Latitude, &c.Longitude
	}
	var opening any // NULL when unknown
	if o := x.OpeningTimes; o != nil {
		// Times in UTC microseconds, as every stored time.
		c := *o
		c.ExceptionalOpenings, c.ExceptionalClosings = storedPeriods(o.ExceptionalOpenings), storedPeriods(o.ExceptionalClosings)
		opening = c // jsonb: pgx encodes it as JSON
	}
	// jsonb, NULL when nil (as opening_times).
	var gridLimit, reserve, meter, signal any
	if x.GridLimit != nil {
		gridLimit = x.GridLimit
	}
	if x.Reserve != nil {
		reserve = x.Reserve
	}
	if x.Meter != nil {
		meter = x.Meter
	}
	if g := x.GridSignal; g != nil {
		// Times in UTC microseconds, as every stored time.
		c := *g
		c.SetAt = g.SetAt.UTC().Truncate(time.Microsecond)
		if g.Until != nil {
			u := g.Until.UTC().Truncate(time.Microsecond)
			c.Until = &u
		}
		signal = c
	}
	a := x.Address
	return []any{x.Name, a.Street, a.City, a.PostalCode, a.State, a.Country, lat, lon, x.TimeZone, opening, x.Notes,
		x.TariffID, groupTariffsArg(x.GroupTariffs), gridLimit, reserve, meter, signal}
}

func storedPeriods(ps []charging.ExceptionalPeriod) []charging.ExceptionalPeriod {
	if ps == nil {
		return nil
	}
	out := make([]charging.ExceptionalPeriod, len(ps))
	for i, p := range ps {
		out[i] = charging.ExceptionalPeriod{PeriodBegin: p.PeriodBegin.UTC().Truncate(time.Microsecond),
			PeriodEnd: p.PeriodEnd.UTC().Truncate(time.Microsecond)}
	}
	return out
}

func utcPeriods(ps []charging.ExceptionalPeriod) {
	for i := range ps {
		ps[i].PeriodBegin, ps[i].PeriodEnd = ps[i].PeriodBegin.UTC(), ps[i].PeriodEnd.UTC()
	}
}

// CreateSite inserts a new site; an existing id is ECONFLICT.
func (s *Store) CreateSite(ctx context.Context, x charging.Site) error {
	op := "create site " + x.ID
	if x.ID == "" {
		return fail(op, charging.Errorf(charging.EINVALID, "site id is empty"))
	}
	args := append(append([]any{x.ID}, siteArgs(x)...), x.CreatedAt, x.UpdatedAt)
	// ON CONFLICT DO NOTHING: an existing id is no error of the statement,
	// so it needs no savepoint inside a unit.
	tag, err := s.q().Exec(ctx, `INSERT INTO sites (`+siteColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (id) DO NOTHING`, args...)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ECONFLICT, "site %s exists", x.ID))
	}
	return nil
}

// GetSite returns a site.
func (s *Store) GetSite(ctx context.Context, id string) (charging.Site, error) {
	op := "get site " + id
	x, err := scanSite(s.q().QueryRow(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.Site{}, fail(op, charging.Errorf(charging.ENOTFOUND, "site %s not found", id))
	}
	if err != nil {
		return charging.Site{}, fail(op, err)
	}
	return x, nil
}

// ListSites returns sites ordered by name (byte order: the column's
// collation is "C"), then id: keyset pages on (name, id), the index
// sites_name.
func (s *Store) ListSites(ctx context.Context, q charging.SiteQuery) (charging.Page[charging.Site], error) {
	const op = "list sites"
	var page charging.Page[charging.Site]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var afterName, afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterName, &afterID)
	if err != nil {
		return page, fail(op, err)
	}
	query := `SELECT ` + siteColumns + ` FROM sites`
	args := []any{n + 1}
	if hasCursor {
		query += ` WHERE (name, id) > ($2, $3)`
		args = append(args, afterName, afterID)
	}
	rows, err := s.q().Query(ctx, query+` ORDER BY name, id LIMIT $1`, args...)
	if err != nil {
		return page, fail(op, err)
	}
	defer rows.Close()
	page.Items = []charging.Site{}
	for rows.Next() {
		x, err := scanSite(rows)
		if err != nil {
			return charging.Page[charging.Site]{}, fail(op, err)
		}
		page.Items = append(page.Items, x)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.Site]{}, fail(op, err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(last.Name, last.ID)
	}
	return page, nil
}

// SaveSite overwrites an existing site; its created_at stays.
func (s *Store) SaveSite(ctx context.Context, x charging.Site) error {
	op := "save site " + x.ID
	tag, err := s.q().Exec(ctx, `UPDATE sites SET name = $1, street = $2, city = $3, postal_code = $4, state = $5,
		country = $6, latitude = $7, longitude = $8, time_zone = $9, opening_times = $10, notes = $11,
		tariff_id = $12, group_tariffs = $13, grid_limit = $14, reserve = $15, meter = $16, grid_signal = $17,
		updated_at = $18
		WHERE id = $19`, append(siteArgs(x), x.UpdatedAt, x.ID)...)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ENOTFOUND, "site %s not found", x.ID))
	}
	return nil
}

// DeleteSite deletes a site at which no charger is. One statement counts
// the site's chargers and deletes it only when there are none; the
// foreign key of chargers.site_id refuses a charger moved there meanwhile
// (ECONFLICT too).
func (s *Store) DeleteSite(ctx context.Context, id string) error {
	op := "delete site " + id
	var exists bool
	var n int
	err := s.stmt(ctx, func(q querier) error {
		return q.QueryRow(ctx, `WITH n AS (SELECT count(*) AS n FROM chargers WHERE site_id = $1),
				d AS (DELETE FROM sites WHERE id = $1 AND (SELECT n FROM n) = 0 RETURNING id)
			SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1) OR EXISTS (SELECT 1 FROM d), (SELECT n FROM n)`, id).
			Scan(&exists, &n)
	})
	switch {
	case isCode(err, codeForeignKeyViolation):
		return fail(op, charging.Errorf(charging.ECONFLICT, "site %s has chargers: move them to another site or take them off it first", id))
	case err != nil:
		return fail(op, err)
	case !exists:
		return fail(op, charging.Errorf(charging.ENOTFOUND, "site %s not found", id))
	case n > 0:
		return fail(op, charging.Errorf(charging.ECONFLICT, "site %s has %d %s: move them to another site or take them off it first", id, n, plural(n, "charger", "chargers")))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SaveChargerDetails sets a charger's name, site and tariff assignment.
func (s *Store) SaveChargerDetails(ctx context.Context, chargerID string, d charging.ChargerDetails) error {
	op := "save details of charger " + chargerID
	var site *string
	if d.SiteID != "" {
		site = &d.SiteID
	}
	err := s.stmt(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE chargers SET name = $1, site_id = $2, tariff_id = $3, group_tariffs = $4 WHERE id = $5`,
			d.Name, site, d.TariffID, groupTariffsArg(d.GroupTariffs), chargerID)
		switch {
		case isCode(err, codeForeignKeyViolation):
			return charging.Errorf(charging.ENOTFOUND, "site %s not found", d.SiteID)
		case err != nil:
			return err
		case tag.RowsAffected() == 0:
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		}
		return nil
	})
	return fail(op, err)
}
