package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// TariffService is what the API needs for tariffs and the prices drivers
// see; csms.Service implements it. Tariffs are validated by the service.
type TariffService interface {
	// CreateTariff stores a new tariff; an empty id gets a new one.
	CreateTariff(ctx context.Context, t charging.Tariff) (charging.Tariff, error)
	GetTariff(ctx context.Context, id string) (charging.Tariff, error)
	ListTariffs(ctx context.Context, q charging.TariffQuery) (charging.Page[charging.Tariff], error)
	// ReplaceTariff replaces an existing tariff whole; ENOTFOUND when
	// there is none.
	ReplaceTariff(ctx context.Context, t charging.Tariff) (charging.Tariff, error)
	// DeleteTariff deletes a tariff; ECONFLICT while it is assigned.
	DeleteTariff(ctx context.Context, id string) error
	// TariffAt resolves the tariff that applies to a driver of
	// driverGroup at a connector (charging.ResolveTariff).
	TariffAt(ctx context.Context, chargerID string, connectorID int, driverGroup string) (charging.TariffAt, error)
}
