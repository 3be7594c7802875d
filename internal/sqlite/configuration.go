package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// SaveConfiguration replaces (all) or merges a charger's last known configuration.
func (s *Store) SaveConfiguration(ctx context.Context, c charging.ChargerConfiguration, all bool) error {
	unknown, err := json.Marshal(c.UnknownKeys)
	if err != nil || c.UnknownKeys == nil {
		unknown = []byte("[]")
	}
	return s.write(ctx, "save configuration of "+c.ChargerID, func(tx *sql.Tx) error {
		if all {
			if _, err := tx.ExecContext(ctx, `DELETE FROM charger_configuration WHERE charger_id = ?`, c.ChargerID); err != nil {
				return err
			}
		}
		for _, k := range c.Keys {
			var v sql.NullString
			if k.Value != nil {
				v = sql.NullString{String: *k.Value, Valid: true}
			}
			// A merge keeps the readonly flag the charger reported.
			if _, err := tx.ExecContext(ctx, `INSERT INTO charger_configuration (charger_id, key, value, readonly) VALUES (?, ?, ?, ?)
				ON CONFLICT (charger_id, key) DO UPDATE SET value = excluded.value, readonly = readonly OR excluded.readonly`,
				c.ChargerID, k.Key, v, k.Readonly); err != nil {
				return err
			}
		}
		if !all || c.ReadAt == nil {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO charger_configuration_reads (charger_id, unknown_keys, read_at) VALUES (?, ?, ?)
			ON CONFLICT (charger_id) DO UPDATE SET unknown_keys = excluded.unknown_keys, read_at = excluded.read_at`,
			c.ChargerID, string(unknown), toMicro(*c.ReadAt))
		return err
	})
}

// GetConfiguration returns a charger's last known configuration.
func (s *Store) GetConfiguration(ctx context.Context, chargerID string) (charging.ChargerConfiguration, error) {
	c := charging.ChargerConfiguration{ChargerID: chargerID, Keys: []charging.ConfigurationKey{}}
	var unknown string
	var readAt int64
	err := s.rd().QueryRowContext(ctx, `SELECT unknown_keys, read_at FROM charger_configuration_reads WHERE charger_id = ?`, chargerID).Scan(&unknown, &readAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return c, fmt.Errorf("sqlite: get configuration of %s: %w", chargerID, err)
	default:
		t := fromMicro(readAt)
		c.ReadAt = &t
		_ = json.Unmarshal([]byte(unknown), &c.UnknownKeys)
	}
	rows, err := s.rd().QueryContext(ctx, `SELECT key, value, readonly FROM charger_configuration WHERE charger_id = ? ORDER BY key`, chargerID)
	if err != nil {
		return c, fmt.Errorf("sqlite: get configuration of %s: %w", chargerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k charging.ConfigurationKey
		var v sql.NullString
		if err := rows.Scan(&k.Key, &v, &k.Readonly); err != nil {
			return c, fmt.Errorf("sqlite: get configuration of %s: %w", chargerID, err)
		}
		if v.Valid {
			k.Value = &v.String
		}
		c.Keys = append(c.Keys, k)
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("sqlite: get configuration of %s: %w", chargerID, err)
	}
	return c, nil
}

// SaveDesiredSetting inserts or updates a desired setting.
func (s *Store) SaveDesiredSetting(ctx context.Context, d charging.DesiredSetting) error {
	return s.write(ctx, "save desired setting "+d.Key+" of "+d.ChargerID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO desired_settings (charger_id, key, value, status, applied_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (charger_id, key) DO UPDATE SET value = excluded.value, status = excluded.status,
				applied_at = excluded.applied_at, updated_at = excluded.updated_at`,
			d.ChargerID, d.Key, d.Value, d.Status, nullTime(d.AppliedAt), toMicro(d.UpdatedAt))
		return err
	})
}

// DeleteDesiredSetting deletes a desired setting.
func (s *Store) DeleteDesiredSetting(ctx context.Context, chargerID, key string) error {
	return s.write(ctx, "delete desired setting "+key+" of "+chargerID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM desired_settings WHERE charger_id = ? AND key = ?`, chargerID, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "charger %s has no desired setting %s", chargerID, key)
		}
		return nil
	})
}

// ListDesiredSettings returns a charger's desired settings ordered by key.
func (s *Store) ListDesiredSettings(ctx context.Context, chargerID string) ([]charging.DesiredSetting, error) {
	rows, err := s.query(ctx, `SELECT charger_id, key, value, status, applied_at, updated_at FROM desired_settings
		WHERE charger_id = ? ORDER BY key`, chargerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list desired settings of %s: %w", chargerID, err)
	}
	defer rows.Close()
	out := []charging.DesiredSetting{}
	for rows.Next() {
		var d charging.DesiredSetting
		var applied sql.NullInt64
		var updated int64
		if err := rows.Scan(&d.ChargerID, &d.Key, &d.Value, &d.Status, &applied, &updated); err != nil {
			return nil, fmt.Errorf("sqlite: list desired settings of %s: %w", chargerID, err)
		}
		d.AppliedAt, d.UpdatedAt = timePtr(applied), fromMicro(updated)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list desired settings of %s: %w", chargerID, err)
	}
	return out, nil
}
