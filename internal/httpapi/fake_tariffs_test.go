package httpapi_test

import (
	"time"

	"context"
	"github.com/joule-ev/joule/internal/tariff"

	"github.com/joule-ev/joule/internal/charging"
)

// The tariff methods of fakeService are the real ones (csms.Service on
// the test's SQLite store, with validateTariff), but for TariffAt, which
// resolves on the fake's chargers and the real sites and tariffs.

// validateTariff is the tests' tariff validation until the tariff engine
// lands: a valid currency and at least one element.
func validateTariff(t *charging.Tariff) error {
	if !charging.ValidCurrency(t.Currency) {
		return charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", t.Currency)
	}
	if len(t.Elements) == 0 {
		return charging.Errorf(charging.EINVALID, "elements must have at least one element")
	}
	return nil
}

func (f *fakeService) CreateTariff(ctx context.Context, t charging.Tariff) (charging.Tariff, error) {
	return f.tariffs.CreateTariff(ctx, t)
}

func (f *fakeService) GetTariff(ctx context.Context, id string) (charging.Tariff, error) {
	return f.tariffs.GetTariff(ctx, id)
}

func (f *fakeService) ListTariffs(ctx context.Context, q charging.TariffQuery) (charging.Page[charging.Tariff], error) {
	return f.tariffs.ListTariffs(ctx, q)
}

func (f *fakeService) ReplaceTariff(ctx context.Context, t charging.Tariff) (charging.Tariff, error) {
	return f.tariffs.ReplaceTariff(ctx, t)
}

func (f *fakeService) DeleteTariff(ctx context.Context, id string) error {
	return f.tariffs.DeleteTariff(ctx, id)
}

func (f *fakeService) TariffAt(ctx context.Context, chargerID string, connectorID int, driverGroup string) (charging.TariffAt, error) {
	f.mu.Lock()
	c, ok := f.chargers[chargerID]
	f.mu.Unlock()
	if !ok {
		return charging.TariffAt{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	var site *charging.Site
	if c.SiteID != "" {
		x, err := f.sites.GetSite(ctx, c.SiteID)
		if err != nil {
			return charging.TariffAt{}, err
		}
		site = &x
	}
	id, level := charging.ResolveTariffLevel(site, c, connectorID, driverGroup)
	if id == "" {
		return charging.TariffAt{}, nil
	}
	t, err := f.tariffs.GetTariff(ctx, id)
	if err != nil {
		return charging.TariffAt{}, err
	}
	q := tariff.QuoteAt(t, time.Now(), time.UTC)
	return charging.TariffAt{Tariff: &t, Level: level, DriverGroup: driverGroup, Quote: &q}, nil
}

// checkTariffs is csms's check of an assignment on the fake's chargers:
// EUNPROCESSABLE for a tariff id that names none.
func (f *fakeService) checkTariffs(ctx context.Context, prefix, tariffID string, groups map[string]string) error {
	for _, r := range charging.TariffIDs(tariffID, groups) {
		if _, err := f.tariffs.GetTariff(ctx, r.TariffID); charging.ErrorCode(err) == charging.ENOTFOUND {
			return charging.Errorf(charging.EUNPROCESSABLE, "%s%s %q names no tariff", prefix, r.Field, r.TariffID)
		} else if err != nil {
			return err
		}
	}
	return nil
}
