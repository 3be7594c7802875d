package gateway

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// StationCommands is what a Station implements to take Joule's typed
// station-management commands (charging.StationCommander without the
// charger id). ocpp16.Station implements all of it. A Station that does
// not implement it makes every typed command answer EINVALID; one that
// implements it but whose OCPP version lacks a use case returns
// charging.EINVALID from that method, with a message such as
// "UnlockConnector is not supported in OCPP 2.0.1".
type StationCommands interface {
	Reset(ctx context.Context, hard bool) (charging.CommandStatus, error)
	UnlockConnector(ctx context.Context, connectorID int) (charging.CommandStatus, error)
	ChangeAvailability(ctx context.Context, connectorID int, operative bool) (charging.CommandStatus, error)
	GetConfiguration(ctx context.Context, keys []string) (charging.ConfigurationReport, error)
	ChangeConfiguration(ctx context.Context, key, value string) (charging.CommandStatus, error)
	TriggerMessage(ctx context.Context, message string, connectorID int) (charging.CommandStatus, error)
	ReserveNow(ctx context.Context, r charging.Reservation) (charging.CommandStatus, error)
	CancelReservation(ctx context.Context, reservationID int) (charging.CommandStatus, error)
	SetChargingProfile(ctx context.Context, connectorID int, p charging.ChargingProfile) (charging.CommandStatus, error)
	ClearChargingProfile(ctx context.Context, f charging.ProfileFilter) (charging.CommandStatus, error)
	GetCompositeSchedule(ctx context.Context, connectorID, durationS int, unit string) (charging.CompositeSchedule, error)
}

var _ charging.StationCommander = (*Gateway)(nil)

// commands returns the charger's connection as StationCommands.
func (g *Gateway) commands(chargerID string) (StationCommands, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return nil, err
	}
	sc, ok := c.station.(StationCommands)
	if !ok {
		return nil, charging.Errorf(charging.EINVALID, "charger %s's OCPP version does not support station-management commands yet", chargerID)
	}
	return sc, nil
}

// Reset implements charging.StationCommander.
func (g *Gateway) Reset(ctx context.Context, chargerID string, hard bool) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.Reset(ctx, hard)
}

// UnlockConnector implements charging.StationCommander.
func (g *Gateway) UnlockConnector(ctx context.Context, chargerID string, connectorID int) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.UnlockConnector(ctx, connectorID)
}

// ChangeAvailability implements charging.StationCommander.
func (g *Gateway) ChangeAvailability(ctx context.Context, chargerID string, connectorID int, operative bool) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.ChangeAvailability(ctx, connectorID, operative)
}

// GetConfiguration implements charging.StationCommander.
func (g *Gateway) GetConfiguration(ctx context.Context, chargerID string, keys []string) (charging.ConfigurationReport, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return charging.ConfigurationReport{}, err
	}
	return sc.GetConfiguration(ctx, keys)
}

// ChangeConfiguration implements charging.StationCommander.
func (g *Gateway) ChangeConfiguration(ctx context.Context, chargerID, key, value string) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.ChangeConfiguration(ctx, key, value)
}

// TriggerMessage implements charging.StationCommander.
func (g *Gateway) TriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.TriggerMessage(ctx, message, connectorID)
}

// ReserveNow implements charging.StationCommander.
func (g *Gateway) ReserveNow(ctx context.Context, chargerID string, r charging.Reservation) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.ReserveNow(ctx, r)
}

// CancelReservation implements charging.StationCommander.
func (g *Gateway) CancelReservation(ctx context.Context, chargerID string, reservationID int) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.CancelReservation(ctx, reservationID)
}

// SetChargingProfile implements charging.StationCommander.
func (g *Gateway) SetChargingProfile(ctx context.Context, chargerID string, connectorID int, p charging.ChargingProfile) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.SetChargingProfile(ctx, connectorID, p)
}

// ClearChargingProfile implements charging.StationCommander.
func (g *Gateway) ClearChargingProfile(ctx context.Context, chargerID string, f charging.ProfileFilter) (charging.CommandStatus, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.ClearChargingProfile(ctx, f)
}

// GetCompositeSchedule implements charging.StationCommander.
func (g *Gateway) GetCompositeSchedule(ctx context.Context, chargerID string, connectorID, durationS int, unit string) (charging.CompositeSchedule, error) {
	sc, err := g.commands(chargerID)
	if err != nil {
		return charging.CompositeSchedule{}, err
	}
	return sc.GetCompositeSchedule(ctx, connectorID, durationS, unit)
}
