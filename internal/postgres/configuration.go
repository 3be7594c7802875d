package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// foldKey folds a configuration key as key_fold does: ASCII letters to
// lower case (lower() under COLLATE "C").
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, k)
}

// SaveConfiguration replaces (all) or merges a charger's last known
// configuration. Keys match case-insensitively; a merge keeps the spelling
// first stored and the readonly flag the charger reported. Of keys given
// twice (in any case), the last value counts.
func (s *Store) SaveConfiguration(ctx context.Context, c charging.ChargerConfiguration, all bool) error {
	// One row per folded key: ON CONFLICT DO UPDATE cannot touch a row twice.
	var keys []string
	var values []*string
	var readonly []bool
	at := map[string]int{}
	for _, k := range c.Keys {
		if i, ok := at[foldKey(k.Key)]; ok {
			values[i], readonly[i] = k.Value, readonly[i] || k.Readonly
			continue
		}
		at[foldKey(k.Key)] = len(keys)
		keys, values, readonly = append(keys, k.Key), append(values, k.Value), append(readonly, k.Readonly)
	}
	unknown := c.UnknownKeys
	if unknown == nil {
		unknown = []string{}
	}
	b := &pgx.Batch{}
	if all {
		b.Queue(`DELETE FROM charger_configuration WHERE charger_id = $1`, c.ChargerID)
	}
	if len(keys) > 0 {
		b.Queue(`INSERT INTO charger_configuration AS c (charger_id, key, value, readonly)
			SELECT $1, k.key, k.value, k.readonly FROM unnest($2::text[], $3::text[], $4::boolean[]) AS k (key, value, readonly)
			ON CONFLICT (charger_id, key_fold) DO UPDATE SET value = excluded.value, readonly = c.readonly OR excluded.readonly`,
			c.ChargerID, keys, values, readonly)
	}
	if all && c.ReadAt != nil {
		b.Queue(`INSERT INTO charger_configuration_reads (charger_id, unknown_keys, read_at) VALUES ($1, $2, $3)
			ON CONFLICT (charger_id) DO UPDATE SET unknown_keys = excluded.unknown_keys, read_at = excluded.read_at`,
			c.ChargerID, unknown, *c.ReadAt)
	}
	var err error
	switch b.Len() {
	case 0: // a merge of no keys
	case 1: // a merge (an accepted change): one statement
		_, err = s.opsExec(ctx, b.QueuedQueries[0].SQL, b.QueuedQueries[0].Arguments...)
	default: // a full read: all statements in one round trip, atomically
		err = s.write(ctx, func(u *Store) error { return u.q().SendBatch(ctx, b).Close() })
	}
	return fail("save configuration of "+c.ChargerID, opsMissingCharger(err, c.ChargerID))
}

// GetConfiguration returns a charger's last known configuration, keys
// ordered case-insensitively, in one query.
func (s *Store) GetConfiguration(ctx context.Context, chargerID string) (charging.ChargerConfiguration, error) {
	c := charging.ChargerConfiguration{ChargerID: chargerID, Keys: []charging.ConfigurationKey{}}
	var keys []string
	var values []*string
	var readonly []bool
	err := s.q().QueryRow(ctx, `SELECT r.unknown_keys, r.read_at,
			coalesce(k.keys, '{}'), coalesce(k.vals, '{}'), coalesce(k.ros, '{}')
		FROM (SELECT 1) AS one
		LEFT JOIN charger_configuration_reads r ON r.charger_id = $1
		LEFT JOIN LATERAL (SELECT array_agg(key ORDER BY key_fold, key COLLATE "C") AS keys,
				array_agg(value ORDER BY key_fold, key COLLATE "C") AS vals,
				array_agg(readonly ORDER BY key_fold, key COLLATE "C") AS ros
			FROM charger_configuration WHERE charger_id = $1) AS k ON true`, chargerID).
		Scan(&c.UnknownKeys, &c.ReadAt, &keys, &values, &readonly)
	if err != nil {
		return c, fail("get configuration of "+chargerID, err)
	}
	c.ReadAt = utcPtr(c.ReadAt)
	if c.ReadAt != nil && c.UnknownKeys == nil {
		c.UnknownKeys = []string{} // as read: none unknown
	}
	for i, k := range keys {
		c.Keys = append(c.Keys, charging.ConfigurationKey{Key: k, Value: values[i], Readonly: readonly[i]})
	}
	return c, nil
}

// SaveDesiredSetting inserts or updates a desired setting (by charger and
// key, case-insensitively; the key keeps its first spelling).
func (s *Store) SaveDesiredSetting(ctx context.Context, d charging.DesiredSetting) error {
	_, err := s.opsExec(ctx, `INSERT INTO desired_settings (charger_id, key, value, status, applied_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (charger_id, key_fold) DO UPDATE SET value = excluded.value, status = excluded.status,
			applied_at = excluded.applied_at, updated_at = excluded.updated_at`,
		d.ChargerID, d.Key, d.Value, d.Status, d.AppliedAt, d.UpdatedAt)
	return fail("save desired setting "+d.Key+" of "+d.ChargerID, opsMissingCharger(err, d.ChargerID))
}

// DeleteDesiredSetting deletes a desired setting.
func (s *Store) DeleteDesiredSetting(ctx context.Context, chargerID, key string) error {
	op := "delete desired setting " + key + " of " + chargerID
	tag, err := s.opsExec(ctx, `DELETE FROM desired_settings WHERE charger_id = $1 AND key_fold = lower($2 COLLATE "C")`, chargerID, key)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ENOTFOUND, "charger %s has no desired setting %s", chargerID, key))
	}
	return nil
}

// ListDesiredSettings returns a charger's desired settings ordered by key
// (case-insensitively).
func (s *Store) ListDesiredSettings(ctx context.Context, chargerID string) ([]charging.DesiredSetting, error) {
	op := "list desired settings of " + chargerID
	rows, err := s.q().Query(ctx, `SELECT charger_id, key, value, status, applied_at, updated_at FROM desired_settings
		WHERE charger_id = $1 ORDER BY key_fold, key COLLATE "C"`, chargerID)
	if err != nil {
		return nil, fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.DesiredSetting, error) {
		var d charging.DesiredSetting
		err := row.Scan(&d.ChargerID, &d.Key, &d.Value, &d.Status, &d.AppliedAt, &d.UpdatedAt)
		d.AppliedAt, d.UpdatedAt = utcPtr(d.AppliedAt), utc(d.UpdatedAt)
		return d, err
	})
	if err != nil {
		return nil, fail(op, err)
	}
	if out == nil {
		out = []charging.DesiredSetting{}
	}
	return out, nil
}
