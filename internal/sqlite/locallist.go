package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// NextLocalListVersion returns a list version newer than any handed out or accepted.
func (s *Store) NextLocalListVersion(ctx context.Context) (int, error) {
	var v int
	err := s.write(ctx, "next local list version", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE sequences SET value = max(value, (SELECT coalesce(max(version), 0) FROM local_lists)) + 1
			WHERE name = 'local_list_version' RETURNING value`).Scan(&v)
	})
	return v, err
}

// SaveLocalListVersion records a list version the charger accepted.
func (s *Store) SaveLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error {
	return s.write(ctx, "save local list version of "+chargerID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO local_lists (charger_id, version, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (charger_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
			chargerID, version, toMicro(at))
		return err
	})
}

// SaveReportedLocalListVersion records a charger's answer to GetLocalListVersion.
func (s *Store) SaveReportedLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error {
	return s.write(ctx, "save reported local list version of "+chargerID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO local_lists (charger_id, reported_version, reported_at) VALUES (?, ?, ?)
			ON CONFLICT (charger_id) DO UPDATE SET reported_version = excluded.reported_version, reported_at = excluded.reported_at`,
			chargerID, version, toMicro(at))
		return err
	})
}

// ListLocalListVersions returns every known charger's list version.
func (s *Store) ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error) {
	rows, err := s.rd().QueryContext(ctx, `SELECT c.id, coalesce(l.version, 0), l.updated_at, l.reported_version, l.reported_at,
			(SELECT coalesce(max(version), 0) FROM local_lists)
		FROM chargers c LEFT JOIN local_lists l ON l.charger_id = c.id ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list local list versions: %w", err)
	}
	defer rows.Close()
	out := []charging.LocalListVersion{}
	for rows.Next() {
		var v charging.LocalListVersion
		var updated, reportedAt, reported sql.NullInt64
		if err := rows.Scan(&v.ChargerID, &v.Version, &updated, &reported, &reportedAt, &v.LatestVersion); err != nil {
			return nil, fmt.Errorf("sqlite: list local list versions: %w", err)
		}
		v.UpdatedAt, v.ReportedAt = timePtr(updated), timePtr(reportedAt)
		if reported.Valid {
			n := int(reported.Int64)
			v.ReportedVersion = &n
		}
		v.Behind = v.Version < v.LatestVersion
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list local list versions: %w", err)
	}
	return out, nil
}
