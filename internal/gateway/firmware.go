package gateway

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// UpdateFirmware implements charging.StationMaintenance.
func (g *Gateway) UpdateFirmware(ctx context.Context, chargerID string, u charging.FirmwareUpdate) error {
	sm, err := g.maintenance(chargerID)
	if err != nil {
		return err
	}
	return sm.UpdateFirmware(ctx, u)
}

// GetDiagnostics implements charging.StationMaintenance.
func (g *Gateway) GetDiagnostics(ctx context.Context, chargerID string, d charging.DiagnosticsRequest) (string, error) {
	sm, err := g.maintenance(chargerID)
	if err != nil {
		return "", err
	}
	return sm.GetDiagnostics(ctx, d)
}
