package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Tariffs are stored whole as JSON (read and written whole, never
// queried), with the id, the currency and the times in columns beside
// them. Where tariffs are assigned is on sites, chargers and connectors
// (tariff_id, group_tariffs: migration 0017).

const tariffColumns = `id, currency, tariff, created_at, updated_at`

func scanTariff(row interface{ Scan(...any) error }) (charging.Tariff, error) {
	var t charging.Tariff
	var id, currency, doc string
	var created, updated int64
	if err := row.Scan(&id, &currency, &doc, &created, &updated); err != nil {
		return charging.Tariff{}, err
	}
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return charging.Tariff{}, fmt.Errorf("tariff %s: %w", id, err)
	}
	t.ID, t.Currency, t.CreatedAt, t.UpdatedAt = id, currency, fromMicro(created), fromMicro(updated)
	t.StartDateTime, t.EndDateTime = utcTimePtr(t.StartDateTime), utcTimePtr(t.EndDateTime)
	return t, nil
}

// tariffDoc is the JSON of t, its times in UTC microseconds as every
// stored time.
func tariffDoc(t charging.Tariff) (string, error) {
	t.StartDateTime, t.EndDateTime = microTimePtr(t.StartDateTime), microTimePtr(t.EndDateTime)
	t.CreatedAt, t.UpdatedAt = fromMicro(toMicro(t.CreatedAt)), fromMicro(toMicro(t.UpdatedAt))
	b, err := json.Marshal(t)
	return string(b), err
}

func microTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := fromMicro(toMicro(*t))
	return &u
}

func utcTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateTariff inserts a new tariff; an existing id is ECONFLICT.
func (s *Store) CreateTariff(ctx context.Context, t charging.Tariff) error {
	op := "create tariff " + t.ID
	if t.ID == "" {
		return fmt.Errorf("sqlite: create tariff: %w", charging.Errorf(charging.EINVALID, "tariff id is empty"))
	}
	doc, err := tariffDoc(t)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tariffs (`+tariffColumns+`) VALUES (?, ?, ?, ?, ?)`,
			t.ID, t.Currency, doc, toMicro(t.CreatedAt), toMicro(t.UpdatedAt))
		if isUnique(err) {
			return charging.Errorf(charging.ECONFLICT, "tariff %s exists", t.ID)
		}
		return err
	})
}

// GetTariff returns a tariff.
func (s *Store) GetTariff(ctx context.Context, id string) (charging.Tariff, error) {
	t, err := scanTariff(s.rd().QueryRowContext(ctx, `SELECT `+tariffColumns+` FROM tariffs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = charging.Errorf(charging.ENOTFOUND, "tariff %s not found", id)
	}
	if err != nil {
		return charging.Tariff{}, fmt.Errorf("sqlite: get tariff %s: %w", id, err)
	}
	return t, nil
}

// ListTariffs returns tariffs ordered by id: keyset pages on the primary
// key.
func (s *Store) ListTariffs(ctx context.Context, q charging.TariffQuery) (charging.Page[charging.Tariff], error) {
	var page charging.Page[charging.Tariff]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list tariffs: %w", err)
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fmt.Errorf("sqlite: list tariffs: %w", err)
	}
	query := `SELECT ` + tariffColumns + ` FROM tariffs`
	var args []any
	if hasCursor {
		query += ` WHERE id > ?`
		args = append(args, after)
	}
	rows, err := s.rd().QueryContext(ctx, query+` ORDER BY id LIMIT ?`, append(args, n+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list tariffs: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.Tariff{}
	for rows.Next() {
		t, err := scanTariff(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: list tariffs: %w", err)
		}
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list tariffs: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	return page, nil
}

// SaveTariff overwrites an existing tariff; its created_at stays.
func (s *Store) SaveTariff(ctx context.Context, t charging.Tariff) error {
	op := "save tariff " + t.ID
	doc, err := tariffDoc(t)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tariffs SET currency = ?, tariff = ?, updated_at = ? WHERE id = ?`,
			t.Currency, doc, toMicro(t.UpdatedAt), t.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "tariff %s not found", t.ID)
		}
		return nil
	})
}

// tariffUseSQL finds one place a tariff is assigned: the plain columns
// first (indexed), then the driver groups' overrides.
const tariffUseSQL = `SELECT 'site', id, 0, '' FROM sites WHERE tariff_id = ?1
	UNION ALL SELECT 'charger', id, 0, '' FROM chargers WHERE tariff_id = ?1
	UNION ALL SELECT 'connector', charger_id, connector_id, '' FROM connectors WHERE tariff_id = ?1
	UNION ALL SELECT 'site', x.id, 0, j.key FROM sites x, json_each(x.group_tariffs) j WHERE j.value = ?1
	UNION ALL SELECT 'charger', c.id, 0, j.key FROM chargers c, json_each(c.group_tariffs) j WHERE j.value = ?1
	UNION ALL SELECT 'connector', k.charger_id, k.connector_id, j.key FROM connectors k, json_each(k.group_tariffs) j WHERE j.value = ?1
	LIMIT 1`

// DeleteTariff deletes a tariff assigned nowhere. The check runs in the
// transaction that deletes, which the single writer serializes with every
// assignment.
func (s *Store) DeleteTariff(ctx context.Context, id string) error {
	return s.write(ctx, "delete tariff "+id, func(tx *sql.Tx) error {
		var u charging.TariffUse
		var kind string
		err := tx.QueryRowContext(ctx, tariffUseSQL, id).Scan(&kind, &u.ID, &u.ConnectorID, &u.Group)
		switch {
		case err == nil:
			u.Kind = charging.TariffLevel(kind)
			return u.InUseError(id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM tariffs WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "tariff %s not found", id)
		}
		return nil
	})
}

// groupTariffsArg is a driver-group override map as stored: a JSON
// object, NULL when empty.
func groupTariffsArg(m map[string]string) (sql.NullString, error) {
	if len(m) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// scanGroupTariffs reads groupTariffsArg's value; nil when empty.
func scanGroupTariffs(v sql.NullString) (map[string]string, error) {
	if !v.Valid || v.String == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(v.String), &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}
