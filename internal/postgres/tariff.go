package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// Tariffs are stored whole as jsonb (read and written whole, never
// queried), with the id, the currency and the times in columns beside
// them. Where tariffs are assigned is on sites, chargers and connectors
// (tariff_id, group_tariffs: migration 0007).

const tariffColumns = `id, currency, tariff, created_at, updated_at`

func scanTariff(row pgx.Row) (charging.Tariff, error) {
	var t charging.Tariff
	var id, currency string
	var created, updated time.Time
	if err := row.Scan(&id, &currency, &t, &created, &updated); err != nil {
		return charging.Tariff{}, err
	}
	t.ID, t.Currency, t.CreatedAt, t.UpdatedAt = id, currency, utc(created), utc(updated)
	t.StartDateTime, t.EndDateTime = utcPtr(t.StartDateTime), utcPtr(t.EndDateTime)
	return t, nil
}

// storedTariff is t as stored: its times in UTC microseconds, as every
// stored time.
func storedTariff(t charging.Tariff) charging.Tariff {
	micro := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		u := p.UTC().Truncate(time.Microsecond)
		return &u
	}
	t.StartDateTime, t.EndDateTime = micro(t.StartDateTime), micro(t.EndDateTime)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC().Truncate(time.Microsecond), t.UpdatedAt.UTC().Truncate(time.Microsecond)
	return t
}

// CreateTariff inserts a new tariff; an existing id is ECONFLICT.
func (s *Store) CreateTariff(ctx context.Context, t charging.Tariff) error {
	op := "create tariff " + t.ID
	if t.ID == "" {
		return fail(op, charging.Errorf(charging.EINVALID, "tariff id is empty"))
	}
	t = storedTariff(t)
	// ON CONFLICT DO NOTHING: an existing id is no error of the statement,
	// so it needs no savepoint inside a unit.
	tag, err := s.q().Exec(ctx, `INSERT INTO tariffs (`+tariffColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, t.ID, t.Currency, t, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ECONFLICT, "tariff %s exists", t.ID))
	}
	return nil
}

// GetTariff returns a tariff.
func (s *Store) GetTariff(ctx context.Context, id string) (charging.Tariff, error) {
	op := "get tariff " + id
	t, err := scanTariff(s.q().QueryRow(ctx, `SELECT `+tariffColumns+` FROM tariffs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.Tariff{}, fail(op, charging.Errorf(charging.ENOTFOUND, "tariff %s not found", id))
	}
	if err != nil {
		return charging.Tariff{}, fail(op, err)
	}
	return t, nil
}

// ListTariffs returns tariffs ordered by id (byte order: the column's
// collation is "C"): keyset pages on the primary key.
func (s *Store) ListTariffs(ctx context.Context, q charging.TariffQuery) (charging.Page[charging.Tariff], error) {
	const op = "list tariffs"
	var page charging.Page[charging.Tariff]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fail(op, err)
	}
	query := `SELECT ` + tariffColumns + ` FROM tariffs`
	args := []any{n + 1}
	if hasCursor {
		query += ` WHERE id > $2`
		args = append(args, after)
	}
	rows, err := s.q().Query(ctx, query+` ORDER BY id LIMIT $1`, args...)
	if err != nil {
		return page, fail(op, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.Tariff, error) { return scanTariff(row) })
	if err != nil {
		return page, fail(op, err)
	}
	return pageOf(items, n, func(t charging.Tariff) []any { return []any{t.ID} }), nil
}

// SaveTariff overwrites an existing tariff; its created_at stays.
func (s *Store) SaveTariff(ctx context.Context, t charging.Tariff) error {
	op := "save tariff " + t.ID
	t = storedTariff(t)
	tag, err := s.q().Exec(ctx, `UPDATE tariffs SET currency = $2, tariff = $3, updated_at = $4 WHERE id = $1`,
		t.ID, t.Currency, t, t.UpdatedAt)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ENOTFOUND, "tariff %s not found", t.ID))
	}
	return nil
}

// tariffUseSQL finds one place a tariff is assigned: the plain columns
// first (indexed), then the driver groups' overrides.
const tariffUseSQL = `SELECT 'site', id, 0, '' FROM sites WHERE tariff_id = $1
	UNION ALL SELECT 'charger', id, 0, '' FROM chargers WHERE tariff_id = $1
	UNION ALL SELECT 'connector', charger_id, connector_id, '' FROM connectors WHERE tariff_id = $1
	UNION ALL SELECT 'site', x.id, 0, j.key FROM sites x, jsonb_each_text(x.group_tariffs) j WHERE j.value = $1
	UNION ALL SELECT 'charger', c.id, 0, j.key FROM chargers c, jsonb_each_text(c.group_tariffs) j WHERE j.value = $1
	UNION ALL SELECT 'connector', k.charger_id, k.connector_id, j.key FROM connectors k, jsonb_each_text(k.group_tariffs) j WHERE j.value = $1
	LIMIT 1`

// DeleteTariff deletes a tariff assigned nowhere. The check and the
// delete are one serializable transaction: an assignment committed
// meanwhile (which read the tariff in its own) fails one of the two.
func (s *Store) DeleteTariff(ctx context.Context, id string) error {
	op := "delete tariff " + id
	err := s.write(ctx, func(u *Store) error {
		var use charging.TariffUse
		var kind string
		err := u.tx.QueryRow(ctx, tariffUseSQL, id).Scan(&kind, &use.ID, &use.ConnectorID, &use.Group)
		switch {
		case err == nil:
			use.Kind = charging.TariffLevel(kind)
			return use.InUseError(id)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		tag, err := u.tx.Exec(ctx, `DELETE FROM tariffs WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return charging.Errorf(charging.ENOTFOUND, "tariff %s not found", id)
		}
		return nil
	})
	return fail(op, err)
}

// groupTariffsArg is a driver-group override map as stored: a jsonb
// object, NULL when empty.
func groupTariffsArg(m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// emptyGroups returns nil for an empty override map, as stored.
func emptyGroups(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
