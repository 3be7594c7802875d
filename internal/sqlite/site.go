package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// Sites. Coordinates are two nullable REAL columns (both or neither);
// opening times and the load-management fields (grid limit, reserve,
// meter, grid signal) are JSON in TEXT columns, NULL when unknown or
// unset: they are read and written whole, never queried.

const siteColumns = `id, name, street, city, postal_code, state, country, latitude, longitude,
	time_zone, opening_times, notes, tariff_id, group_tariffs, grid_limit, reserve, meter, grid_signal,
	created_at, updated_at`

func scanSite(row interface{ Scan(...any) error }) (charging.Site, error) {
	var x charging.Site
	var lat, lon sql.NullFloat64
	var opening, groups, gridLimit, reserve, meter, signal sql.NullString
	var created, updated int64
	a := &x.Address
	err := row.Scan(&x.ID, &x.Name, &a.Street, &a.City, &a.PostalCode, &a.State, &a.Country, &lat, &lon,
		&x.TimeZone, &opening, &x.Notes, &x.TariffID, &groups, &gridLimit, &reserve, &meter, &signal, &created, &updated)
	if err != nil {
		return charging.Site{}, err
	}
	if x.GridLimit, err = scanJSON[charging.GridLimit](gridLimit); err != nil {
		return charging.Site{}, fmt.Errorf("grid limit of site %s: %w", x.ID, err)
	}
	if x.Reserve, err = scanJSON[charging.GridLimit](reserve); err != nil {
		return charging.Site{}, fmt.Errorf("reserve of site %s: %w", x.ID, err)
	}
	if x.Meter, err = scanJSON[charging.SiteMeter](meter); err != nil {
		return charging.Site{}, fmt.Errorf("meter of site %s: %w", x.ID, err)
	}
	if x.GridSignal, err = scanJSON[charging.GridSignal](signal); err != nil {
		return charging.Site{}, fmt.Errorf("grid signal of site %s: %w", x.ID, err)
	}
	utcSignal(x.GridSignal)
	if x.GroupTariffs, err = scanGroupTariffs(groups); err != nil {
		return charging.Site{}, fmt.Errorf("group tariffs of site %s: %w", x.ID, err)
	}
	if lat.Valid && lon.Valid {
		x.Coordinates = &charging.Coordinates{Latitude: lat.Float64, Longitude: lon.Float64}
	}
	if opening.Valid {
		x.OpeningTimes = new(charging.OpeningTimes)
		if err := json.Unmarshal([]byte(opening.String), x.OpeningTimes); err != nil {
			return charging.Site{}, fmt.Errorf("opening times of site %s: %w", x.ID, err)
		}
		utcPeriods(x.OpeningTimes.ExceptionalOpenings)
		utcPeriods(x.OpeningTimes.ExceptionalClosings)
	}
	x.CreatedAt, x.UpdatedAt = fromMicro(created), fromMicro(updated)
	return x, nil
}

// siteArgs are the values of siteColumns from name to grid_signal, in order.
func siteArgs(x charging.Site) ([]any, error) {
	var lat, lon sql.NullFloat64
	if c := x.Coordinates; c != nil {
		lat, lon = sql.NullFloat64{Float64: c.Latitude, Valid: true}, sql.NullFloat64{Float64: c.Longitude, Valid: true}
	}
	var opening sql.NullString
	if o := x.OpeningTimes; o != nil {
		// Times in UTC microseconds, as every stored time.
		c := *o
		c.ExceptionalOpenings, c.ExceptionalClosings = storedPeriods(o.ExceptionalOpenings), storedPeriods(o.ExceptionalClosings)
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		opening = sql.NullString{String: string(b), Valid: true}
	}
	groups, err := groupTariffsArg(x.GroupTariffs)
	if err != nil {
		return nil, err
	}
	gridLimit, err := nullJSON(x.GridLimit)
	if err != nil {
		return nil, fmt.Errorf("encode grid limit: %w", err)
	}
	reserve, err := nullJSON(x.Reserve)
	if err != nil {
		return nil, fmt.Errorf("encode reserve: %w", err)
	}
	meter, err := nullJSON(x.Meter)
	if err != nil {
		return nil, fmt.Errorf("encode meter: %w", err)
	}
	signal, err := nullJSON(storedSignal(x.GridSignal))
	if err != nil {
		return nil, fmt.Errorf("encode grid signal: %w", err)
	}
	a := x.Address
	return []any{x.Name, a.Street, a.City, a.PostalCode, a.State, a.Country, lat, lon,
		x.TimeZone, opening, x.Notes, x.TariffID, groups, gridLimit, reserve, meter, signal}, nil
}

// storedSignal is g with its times in UTC microseconds, as every stored
// time; nil stays nil.
func storedSignal(g *charging.GridSignal) *charging.GridSignal {
	if g == nil {
		return nil
	}
	c := *g
	c.SetAt = fromMicro(toMicro(g.SetAt))
	if g.Until != nil {
		u := fromMicro(toMicro(*g.Until))
		c.Until = &u
	}
	return &c
}

// utcSignal puts a read signal's times in UTC, as utcPeriods does for
// opening times.
func utcSignal(g *charging.GridSignal) {
	if g == nil {
		return
	}
	g.SetAt = g.SetAt.UTC()
	if g.Until != nil {
		u := g.Until.UTC()
		g.Until = &u
	}
}

func storedPeriods(ps []charging.ExceptionalPeriod) []charging.ExceptionalPeriod {
	if ps == nil {
		return nil
	}
	out := make([]charging.ExceptionalPeriod, len(ps))
	for i, p := range ps {
		out[i] = charging.ExceptionalPeriod{PeriodBegin: fromMicro(toMicro(p.PeriodBegin)), PeriodEnd: fromMicro(toMicro(p.PeriodEnd))}
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
	if x.ID == "" {
		return fmt.Errorf("sqlite: create site: %w", charging.Errorf(charging.EINVALID, "site id is empty"))
	}
	args, err := siteArgs(x)
	if err != nil {
		return fmt.Errorf("sqlite: create site %s: %w", x.ID, err)
	}
	return s.write(ctx, "create site "+x.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sites (`+siteColumns+`)
			VALUES (`+placeholders(20)+`)`,
			append(append([]any{x.ID}, args...), toMicro(x.CreatedAt), toMicro(x.UpdatedAt))...)
		if isUnique(err) {
			return charging.Errorf(charging.ECONFLICT, "site %s exists", x.ID)
		}
		return err
	})
}

// GetSite returns a site.
func (s *Store) GetSite(ctx context.Context, id string) (charging.Site, error) {
	x, err := scanSite(s.rd().QueryRowContext(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = charging.Errorf(charging.ENOTFOUND, "site %s not found", id)
	}
	if err != nil {
		return charging.Site{}, fmt.Errorf("sqlite: get site %s: %w", id, err)
	}
	return x, nil
}

// ListSites returns sites ordered by name (byte order), then id: keyset
// pages on (name, id), the index sites_name.
func (s *Store) ListSites(ctx context.Context, q charging.SiteQuery) (charging.Page[charging.Site], error) {
	var page charging.Page[charging.Site]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sites: %w", err)
	}
	var afterName, afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterName, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sites: %w", err)
	}
	query := `SELECT ` + siteColumns + ` FROM sites`
	var args []any
	if hasCursor {
		query += ` WHERE (name, id) > (?, ?)`
		args = append(args, afterName, afterID)
	}
	rows, err := s.rd().QueryContext(ctx, query+` ORDER BY name, id LIMIT ?`, append(args, n+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sites: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.Site{}
	for rows.Next() {
		x, err := scanSite(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: list sites: %w", err)
		}
		page.Items = append(page.Items, x)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list sites: %w", err)
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
	args, err := siteArgs(x)
	if err != nil {
		return fmt.Errorf("sqlite: save site %s: %w", x.ID, err)
	}
	return s.write(ctx, "save site "+x.ID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sites SET name = ?, street = ?, city = ?, postal_code = ?, state = ?,
			country = ?, latitude = ?, longitude = ?, time_zone = ?, opening_times = ?, notes = ?,
			tariff_id = ?, group_tariffs = ?, grid_limit = ?, reserve = ?, meter = ?, grid_signal = ?, updated_at = ?
			WHERE id = ?`, append(args, toMicro(x.UpdatedAt), x.ID)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "site %s not found", x.ID)
		}
		return nil
	})
}

// DeleteSite deletes a site at which no charger is. The count is checked
// in the same transaction as the delete; the foreign key of
// chargers.site_id would refuse it anyway.
func (s *Store) DeleteSite(ctx context.Context, id string) error {
	return s.write(ctx, "delete site "+id, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chargers WHERE site_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return charging.Errorf(charging.ECONFLICT, "site %s has %d %s: move them to another site or take them off it first", id, n, plural(n, "charger", "chargers"))
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sites WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "site %s not found", id)
		}
		return nil
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SaveChargerDetails sets a charger's name, site and tariff assignment.
func (s *Store) SaveChargerDetails(ctx context.Context, chargerID string, d charging.ChargerDetails) error {
	groups, err := groupTariffsArg(d.GroupTariffs)
	if err != nil {
		return fmt.Errorf("sqlite: save details of charger %s: %w", chargerID, err)
	}
	return s.write(ctx, "save details of charger "+chargerID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chargers SET name = ?, site_id = ?, tariff_id = ?, group_tariffs = ? WHERE id = ?`,
			d.Name, nullString(d.SiteID), d.TariffID, groups, chargerID)
		if isForeignKey(err) {
			return charging.Errorf(charging.ENOTFOUND, "site %s not found", d.SiteID)
		}
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
