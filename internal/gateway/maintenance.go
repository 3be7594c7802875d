package gateway

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// StationMaintenance is what a Station implements to take Joule's local
// list and firmware commands (charging.StationMaintenance without the
// charger id). ocpp16.Station implements it.
type StationMaintenance interface {
	SendLocalList(ctx context.Context, u charging.LocalListUpdate) (charging.CommandStatus, error)
	GetLocalListVersion(ctx context.Context) (int, error)
	UpdateFirmware(ctx context.Context, u charging.FirmwareUpdate) error
	GetDiagnostics(ctx context.Context, d charging.DiagnosticsRequest) (string, error)
}

var _ charging.StationMaintenance = (*Gateway)(nil)

// maintenance returns the charger's connection as StationMaintenance.
func (g *Gateway) maintenance(chargerID string) (StationMaintenance, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return nil, err
	}
	sm, ok := c.station.(StationMaintenance)
	if !ok {
		return nil, charging.Errorf(charging.EINVALID, "charger %s's OCPP version does not support local list and firmware commands yet", chargerID)
	}
	return sm, nil
}

// SendLocalList implements charging.StationMaintenance.
func (g *Gateway) SendLocalList(ctx context.Context, chargerID string, u charging.LocalListUpdate) (charging.CommandStatus, error) {
	sm, err := g.maintenance(chargerID)
	if err != nil {
		return "", err
	}
	return sm.SendLocalList(ctx, u)
}

// GetLocalListVersion implements charging.StationMaintenance.
func (g *Gateway) GetLocalListVersion(ctx context.Context, chargerID string) (int, error) {
	sm, err := g.maintenance(chargerID)
	if err != nil {
		return 0, err
	}
	return sm.GetLocalListVersion(ctx)
}
