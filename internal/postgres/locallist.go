package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// NextLocalListVersion returns a list version newer than any handed out or
// accepted: one more than the larger of the last one handed out and the
// newest a charger accepted (which a generic SendLocalList may have chosen
// outside the counter). The counter row's lock makes it atomic.
func (s *Store) NextLocalListVersion(ctx context.Context) (int, error) {
	var v int
	err := s.q().QueryRow(ctx, `UPDATE local_list_version_issued
		SET version = greatest(version, (SELECT coalesce(max(version), 0) FROM local_lists)) + 1
		RETURNING version`).Scan(&v)
	return v, fail("next local list version", err)
}

// SaveLocalListVersion records a list version the charger accepted.
func (s *Store) SaveLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error {
	_, err := s.opsExec(ctx, `INSERT INTO local_lists (charger_id, version, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (charger_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
		chargerID, version, at)
	return fail("save local list version of "+chargerID, opsMissingCharger(err, chargerID))
}

// SaveReportedLocalListVersion records a charger's answer to
// GetLocalListVersion; the accepted version stays.
func (s *Store) SaveReportedLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error {
	_, err := s.opsExec(ctx, `INSERT INTO local_lists (charger_id, reported_version, reported_at) VALUES ($1, $2, $3)
		ON CONFLICT (charger_id) DO UPDATE SET reported_version = excluded.reported_version, reported_at = excluded.reported_at`,
		chargerID, version, at)
	return fail("save reported local list version of "+chargerID, opsMissingCharger(err, chargerID))
}

// ListLocalListVersions returns every charger's list version, ordered by
// charger id, with the newest accepted version.
func (s *Store) ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error) {
	op := "list local list versions"
	rows, err := s.q().Query(ctx, `SELECT c.id, coalesce(l.version, 0), l.updated_at, l.reported_version, l.reported_at, latest.version
		FROM chargers c
		LEFT JOIN local_lists l ON l.charger_id = c.id
		CROSS JOIN (SELECT coalesce(max(version), 0) AS version FROM local_lists) AS latest
		ORDER BY c.id COLLATE "C"`)
	if err != nil {
		return nil, fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.LocalListVersion, error) {
		var v charging.LocalListVersion
		err := row.Scan(&v.ChargerID, &v.Version, &v.UpdatedAt, &v.ReportedVersion, &v.ReportedAt, &v.LatestVersion)
		v.UpdatedAt, v.ReportedAt = utcPtr(v.UpdatedAt), utcPtr(v.ReportedAt)
		v.Behind = v.Version < v.LatestVersion
		return v, err
	})
	if err != nil {
		return nil, fail(op, err)
	}
	if out == nil {
		out = []charging.LocalListVersion{}
	}
	return out, nil
}
