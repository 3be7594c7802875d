package csms

import (
	"context"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/tariff"
)

// Tariffs: what charging costs, and which tariff applies where. A tariff
// is validated (Config.ValidateTariff) before it is stored; assigning one
// that does not exist is EUNPROCESSABLE, checked in the unit of work that
// assigns it, and a tariff assigned anywhere cannot be deleted.

// CreateTariff stores a new tariff. Its id is the caller's when given (1
// to 36 letters, digits, '.', '_' or '-'; an existing one is ECONFLICT),
// else a new one; CreatedAt and UpdatedAt are set.
func (s *Service) CreateTariff(ctx context.Context, t charging.Tariff) (charging.Tariff, error) {
	t.ID = strings.TrimSpace(t.ID)
	if t.ID == "" {
		t.ID = newID()
	} else if !charging.ValidTariffID(t.ID) {
		return charging.Tariff{}, charging.Errorf(charging.EINVALID, "id must be 1 to %d letters, digits, '.', '_' or '-', got %q", charging.MaxTariffID, t.ID)
	}
	t.TimeZone = "" // a session's copy carries its site's zone; a tariff has none
	if err := s.cfg.ValidateTariff(&t); err != nil {
		return charging.Tariff{}, err
	}
	now := s.storedNow()
	t.CreatedAt, t.UpdatedAt = now, now
	if err := s.store.CreateTariff(ctx, t); err != nil {
		return charging.Tariff{}, err
	}
	return s.store.GetTariff(ctx, t.ID)
}

// GetTariff returns a tariff.
func (s *Service) GetTariff(ctx context.Context, id string) (charging.Tariff, error) {
	return s.store.GetTariff(ctx, id)
}

// ListTariffs returns a page of tariffs, by id.
func (s *Service) ListTariffs(ctx context.Context, q charging.TariffQuery) (charging.Page[charging.Tariff], error) {
	return s.store.ListTariffs(ctx, q)
}

// ReplaceTariff replaces an existing tariff whole (PUT): t's id names it,
// its CreatedAt stays, UpdatedAt is now. A tariff that does not exist is
// ENOTFOUND (a PUT never creates one). Sessions keep the costs they were
// priced at.
func (s *Service) ReplaceTariff(ctx context.Context, t charging.Tariff) (charging.Tariff, error) {
	t.TimeZone = "" // a session's copy carries its site's zone; a tariff has none
	if err := s.cfg.ValidateTariff(&t); err != nil {
		return charging.Tariff{}, err
	}
	err := s.update(ctx, func(u *unit) error {
		old, err := u.tx.GetTariff(ctx, t.ID)
		if err != nil {
			return err
		}
		t.CreatedAt, t.UpdatedAt = old.CreatedAt, s.storedNow()
		return u.tx.SaveTariff(ctx, t)
	})
	if err != nil {
		return charging.Tariff{}, err
	}
	return s.store.GetTariff(ctx, t.ID)
}

// DeleteTariff deletes a tariff assigned nowhere; one still assigned is
// ECONFLICT, naming where.
func (s *Service) DeleteTariff(ctx context.Context, id string) error {
	return s.store.DeleteTariff(ctx, id)
}

// TariffAt returns the tariff that applies to a driver of driverGroup
// ("" for none) at connector connectorID of a charger (ResolveTariff), and
// where it was assigned; a TariffAt without a tariff when charging there
// is free.
func (s *Service) TariffAt(ctx context.Context, chargerID string, connectorID int, driverGroup string) (charging.TariffAt, error) {
	// Plain reads, not a unit of work (a driver's lookup must not take
	// the store's writer). A tariff cannot be deleted while assigned, but
	// it may be unassigned and deleted between the reads: then they run
	// again.
	for attempt := 1; ; attempt++ {
		t, level, err := resolveTariff(ctx, s.store, chargerID, connectorID, driverGroup)
		if charging.ErrorCode(err) == charging.ENOTFOUND && level != "" && attempt < 3 {
			continue
		}
		if err != nil || t == nil {
			return charging.TariffAt{}, err
		}
		q := tariff.QuoteAt(*t, s.utcNow(), location(t))
		t.TimeZone = ""
		return charging.TariffAt{Tariff: t, Level: level, DriverGroup: driverGroup, Quote: &q}, nil
	}
}

// resolveTariff reads, through tx, the tariff that applies to a driver of
// driverGroup at a charger's connector (charging.ResolveTariffLevel), with
// its site's time zone (Tariff.TimeZone), and the level it was assigned
// at; nil and "" when charging there is free. A tariff assigned but gone
// is ENOTFOUND with its level.
func resolveTariff(ctx context.Context, tx charging.Tx, chargerID string, connectorID int, driverGroup string) (*charging.Tariff, charging.TariffLevel, error) {
	c, err := tx.GetCharger(ctx, chargerID)
	if err != nil {
		return nil, "", err
	}
	var site *charging.Site
	if c.SiteID != "" {
		x, err := tx.GetSite(ctx, c.SiteID)
		if err != nil {
			return nil, "", err
		}
		site = &x
	}
	id, level := charging.ResolveTariffLevel(site, c, connectorID, driverGroup)
	if id == "" {
		return nil, "", nil
	}
	t, err := tx.GetTariff(ctx, id)
	if err != nil {
		return nil, level, err
	}
	if site != nil {
		t.TimeZone = site.TimeZone
	}
	return &t, level, nil
}

// checkTariffs returns EUNPROCESSABLE, naming the field (after prefix),
// for the first tariff an assignment names that does not exist.
func checkTariffs(ctx context.Context, tx charging.Tx, prefix, tariffID string, groups map[string]string) error {
	for _, r := range charging.TariffIDs(tariffID, groups) {
		_, err := tx.GetTariff(ctx, r.TariffID)
		if charging.ErrorCode(err) == charging.ENOTFOUND {
			return charging.Errorf(charging.EUNPROCESSABLE, "%s%s %q names no tariff", prefix, r.Field, r.TariffID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
