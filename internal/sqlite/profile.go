package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// NextChargingProfileID returns one more than the largest stored profile id.
func (s *Store) NextChargingProfileID(ctx context.Context) (int, error) {
	var id int
	if err := s.rd().QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM charging_profiles`).Scan(&id); err != nil {
		return 0, fmt.Errorf("sqlite: next charging profile id: %w", err)
	}
	return id, nil
}

// SaveChargingProfile inserts or updates a profile; CreatedAt keeps the
// first save's value. The profile is kept as JSON: it is read whole.
func (s *Store) SaveChargingProfile(ctx context.Context, p charging.ChargingProfile) error {
	p.TransactionID = ""
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("sqlite: save charging profile %d: %w", p.ID, err)
	}
	return s.write(ctx, fmt.Sprintf("save charging profile %d", p.ID), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO charging_profiles (id, stack_level, purpose, kind, profile, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET stack_level = excluded.stack_level, purpose = excluded.purpose,
				kind = excluded.kind, profile = excluded.profile, updated_at = excluded.updated_at`,
			p.ID, p.StackLevel, p.Purpose, p.Kind, string(b), toMicro(p.CreatedAt), toMicro(p.UpdatedAt))
		return err
	})
}

func scanProfile(row interface{ Scan(...any) error }) (charging.ChargingProfile, error) {
	var p charging.ChargingProfile
	var raw string
	var created, updated int64
	if err := row.Scan(&raw, &created, &updated); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, fmt.Errorf("decode stored profile: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = fromMicro(created), fromMicro(updated)
	return p, nil
}

// GetChargingProfile returns one stored profile.
func (s *Store) GetChargingProfile(ctx context.Context, id int) (charging.ChargingProfile, error) {
	p, err := scanProfile(s.rd().QueryRowContext(ctx, `SELECT profile, created_at, updated_at FROM charging_profiles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("sqlite: get charging profile %d: %w", id, charging.Errorf(charging.ENOTFOUND, "charging profile %d not found", id))
	}
	if err != nil {
		return p, fmt.Errorf("sqlite: get charging profile %d: %w", id, err)
	}
	return p, nil
}

// ListChargingProfiles returns stored profiles ordered by id.
func (s *Store) ListChargingProfiles(ctx context.Context, q charging.ProfileQuery) (charging.Page[charging.ChargingProfile], error) {
	var page charging.Page[charging.ChargingProfile]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list charging profiles: %w", err)
	}
	var after int
	if _, err := decodeCursor(q.Cursor, &after); err != nil {
		return page, fmt.Errorf("sqlite: list charging profiles: %w", err)
	}
	rows, err := s.rd().QueryContext(ctx, `SELECT profile, created_at, updated_at FROM charging_profiles WHERE id > ? ORDER BY id LIMIT ?`, after, n+1)
	if err != nil {
		return page, fmt.Errorf("sqlite: list charging profiles: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.ChargingProfile{}
	for rows.Next() {
		p, err := scanProfile(rows)
		if err != nil {
			return charging.Page[charging.ChargingProfile]{}, fmt.Errorf("sqlite: list charging profiles: %w", err)
		}
		page.Items = append(page.Items, p)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.ChargingProfile]{}, fmt.Errorf("sqlite: list charging profiles: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	return page, nil
}

// InstallProfile records an accepted profile, replacing what the charger
// replaces: the same id, or the same connector, purpose and stack level.
func (s *Store) InstallProfile(ctx context.Context, p charging.InstalledProfile) error {
	return s.write(ctx, fmt.Sprintf("install profile %d on %s", p.ProfileID, p.ChargerID), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM installed_profiles WHERE charger_id = ?
			AND (profile_id = ? OR (connector_id = ? AND purpose = ? AND stack_level = ?))`,
			p.ChargerID, p.ProfileID, p.ConnectorID, p.Purpose, p.StackLevel); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO installed_profiles (charger_id, connector_id, profile_id, purpose, stack_level, transaction_id, installed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.ChargerID, p.ConnectorID, p.ProfileID, p.Purpose, p.StackLevel, p.TransactionID, toMicro(p.InstalledAt))
		return err
	})
}

// UninstallProfiles removes the charger's installed profiles the filter matches.
func (s *Store) UninstallProfiles(ctx context.Context, chargerID string, f charging.ProfileFilter) (int, error) {
	installed, err := s.ListInstalledProfiles(ctx, chargerID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.write(ctx, "uninstall profiles on "+chargerID, func(tx *sql.Tx) error {
		for _, p := range installed {
			if !f.Match(p) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM installed_profiles WHERE charger_id = ? AND profile_id = ?`, chargerID, p.ProfileID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ListInstalledProfiles returns a charger's installed profiles.
func (s *Store) ListInstalledProfiles(ctx context.Context, chargerID string) ([]charging.InstalledProfile, error) {
	rows, err := s.query(ctx, `SELECT charger_id, connector_id, profile_id, purpose, stack_level, transaction_id, installed_at
		FROM installed_profiles WHERE charger_id = ? ORDER BY connector_id, purpose, stack_level, profile_id`, chargerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list installed profiles of %s: %w", chargerID, err)
	}
	defer rows.Close()
	out := []charging.InstalledProfile{}
	for rows.Next() {
		var p charging.InstalledProfile
		var at int64
		if err := rows.Scan(&p.ChargerID, &p.ConnectorID, &p.ProfileID, &p.Purpose, &p.StackLevel, &p.TransactionID, &at); err != nil {
			return nil, fmt.Errorf("sqlite: list installed profiles of %s: %w", chargerID, err)
		}
		p.InstalledAt = fromMicro(at)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list installed profiles of %s: %w", chargerID, err)
	}
	return out, nil
}
