package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// NextChargingProfileID returns one more than the largest stored profile id.
func (s *Store) NextChargingProfileID(ctx context.Context) (int, error) {
	var id int
	if err := s.q().QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM charging_profiles`).Scan(&id); err != nil {
		return 0, fail("next charging profile id", err)
	}
	return id, nil
}

// usTime returns t in UTC to the microsecond, as timestamptz keeps it.
func usTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func usTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := usTime(*t)
	return &u
}

// SaveChargingProfile inserts or updates a profile; CreatedAt keeps the
// first save's value. The schedule is kept as jsonb (its start in UTC, to
// the microsecond, as every other time).
func (s *Store) SaveChargingProfile(ctx context.Context, p charging.ChargingProfile) error {
	op := fmt.Sprintf("save charging profile %d", p.ID)
	sched := p.Schedule
	sched.StartSchedule = usTimePtr(sched.StartSchedule)
	b, err := json.Marshal(sched)
	if err != nil {
		return fail(op, fmt.Errorf("%w: %w", charging.Errorf(charging.EINVALID, "charging profile %d: schedule: %v", p.ID, err), err))
	}
	_, err = s.opsExec(ctx, `INSERT INTO charging_profiles (id, stack_level, purpose, kind, recurrency_kind, valid_from, valid_to,
			schedule, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET stack_level = excluded.stack_level, purpose = excluded.purpose, kind = excluded.kind,
			recurrency_kind = excluded.recurrency_kind, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
			schedule = excluded.schedule, updated_at = excluded.updated_at`,
		p.ID, p.StackLevel, p.Purpose, p.Kind, p.RecurrencyKind, p.ValidFrom, p.ValidTo, string(b), p.CreatedAt, p.UpdatedAt)
	if isCode(err, "23514") { // check_violation: id < 1
		return fail(op, fmt.Errorf("%w: %w", charging.Errorf(charging.EINVALID, "charging profile id must be 1 or more, got %d", p.ID), err))
	}
	return fail(op, err)
}

const profileColumns = `id, stack_level, purpose, kind, recurrency_kind, valid_from, valid_to, schedule, created_at, updated_at`

func scanProfile(row pgx.Row) (charging.ChargingProfile, error) {
	var p charging.ChargingProfile
	var sched []byte
	if err := row.Scan(&p.ID, &p.StackLevel, &p.Purpose, &p.Kind, &p.RecurrencyKind, &p.ValidFrom, &p.ValidTo,
		&sched, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	if err := json.Unmarshal(sched, &p.Schedule); err != nil {
		return p, fmt.Errorf("charging profile %d: decode stored schedule: %w", p.ID, err)
	}
	p.Schedule.StartSchedule = utcPtr(p.Schedule.StartSchedule)
	p.ValidFrom, p.ValidTo = utcPtr(p.ValidFrom), utcPtr(p.ValidTo)
	p.CreatedAt, p.UpdatedAt = utc(p.CreatedAt), utc(p.UpdatedAt)
	return p, nil
}

// GetChargingProfile returns one stored profile.
func (s *Store) GetChargingProfile(ctx context.Context, id int) (charging.ChargingProfile, error) {
	op := fmt.Sprintf("get charging profile %d", id)
	p, err := scanProfile(s.q().QueryRow(ctx, `SELECT `+profileColumns+` FROM charging_profiles WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fail(op, charging.Errorf(charging.ENOTFOUND, "charging profile %d not found", id))
	}
	return p, fail(op, err)
}

// ListChargingProfiles returns stored profiles ordered by id.
func (s *Store) ListChargingProfiles(ctx context.Context, q charging.ProfileQuery) (charging.Page[charging.ChargingProfile], error) {
	op := "list charging profiles"
	var page charging.Page[charging.ChargingProfile]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var after int
	if _, err := decodeCursor(q.Cursor, &after); err != nil {
		return page, fail(op, err)
	}
	rows, err := s.q().Query(ctx, `SELECT `+profileColumns+` FROM charging_profiles WHERE id > $1 ORDER BY id LIMIT $2`, after, n+1)
	if err != nil {
		return page, fail(op, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.ChargingProfile, error) { return scanProfile(row) })
	if err != nil {
		return page, fail(op, err)
	}
	return pageOf(items, n, func(p charging.ChargingProfile) []any { return []any{p.ID} }), nil
}

// InstallProfile records an accepted profile, replacing what the charger
// replaces: the same id, or the same connector, purpose and stack level.
// Both statements go in one round trip.
func (s *Store) InstallProfile(ctx context.Context, p charging.InstalledProfile) error {
	return fail(fmt.Sprintf("install profile %d on %s", p.ProfileID, p.ChargerID), s.write(ctx, func(u *Store) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM installed_profiles WHERE charger_id = $1
			AND (profile_id = $2 OR (connector_id = $3 AND purpose = $4 AND stack_level = $5))`,
			p.ChargerID, p.ProfileID, p.ConnectorID, p.Purpose, p.StackLevel)
		b.Queue(`INSERT INTO installed_profiles (charger_id, connector_id, profile_id, purpose, stack_level, transaction_id, installed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.ChargerID, p.ConnectorID, p.ProfileID, p.Purpose, p.StackLevel, p.TransactionID, p.InstalledAt)
		return opsMissingCharger(u.q().SendBatch(ctx, b).Close(), p.ChargerID)
	}))
}

// UninstallProfiles removes the charger's installed profiles the filter
// matches (ProfileFilter.Match, in SQL) and returns how many.
func (s *Store) UninstallProfiles(ctx context.Context, chargerID string, f charging.ProfileFilter) (int, error) {
	where := []string{"charger_id = $1"}
	args := []any{chargerID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ID != 0 {
		where = append(where, "profile_id = "+arg(f.ID))
	} else {
		if f.ConnectorID != nil {
			where = append(where, "connector_id = "+arg(*f.ConnectorID))
		}
		if f.Purpose != "" {
			where = append(where, "purpose = "+arg(f.Purpose))
		}
		if f.StackLevel != nil {
			where = append(where, "stack_level = "+arg(*f.StackLevel))
		}
	}
	tag, err := s.opsExec(ctx, `DELETE FROM installed_profiles WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, fail("uninstall profiles on "+chargerID, err)
	}
	return int(tag.RowsAffected()), nil
}

// ListInstalledProfiles returns a charger's installed profiles ordered by
// connector, purpose and stack level.
func (s *Store) ListInstalledProfiles(ctx context.Context, chargerID string) ([]charging.InstalledProfile, error) {
	op := "list installed profiles of " + chargerID
	rows, err := s.q().Query(ctx, `SELECT charger_id, connector_id, profile_id, purpose, stack_level, transaction_id, installed_at
		FROM installed_profiles WHERE charger_id = $1 ORDER BY connector_id, purpose, stack_level, profile_id`, chargerID)
	if err != nil {
		return nil, fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (charging.InstalledProfile, error) {
		var p charging.InstalledProfile
		err := row.Scan(&p.ChargerID, &p.ConnectorID, &p.ProfileID, &p.Purpose, &p.StackLevel, &p.TransactionID, &p.InstalledAt)
		p.InstalledAt = utc(p.InstalledAt)
		return p, err
	})
	if err != nil {
		return nil, fail(op, err)
	}
	if out == nil {
		out = []charging.InstalledProfile{}
	}
	return out, nil
}
