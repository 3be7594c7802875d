package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// MaintenanceService is the local-list and firmware part of Service.
// csms.Service implements it.
type MaintenanceService interface {
	SendLocalList(ctx context.Context, chargerID, updateType string, entries []charging.LocalListEntry) (charging.LocalListOutcome, error)
	GetLocalListVersion(ctx context.Context, chargerID string) (charging.LocalListVersion, error)
	ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error)
}
