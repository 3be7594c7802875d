package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// StationService is the station-management part of Service: id tags,
// command history, typed commands, configuration, reservations and smart
// charging. csms.Service implements it.
type StationService interface {
	SaveIDTags(ctx context.Context, tags []charging.IDTag) ([]charging.IDTag, error)
	GetIDTag(ctx context.Context, idTag string) (charging.IDTag, error)
	ListIDTags(ctx context.Context, q charging.IDTagQuery) (charging.Page[charging.IDTag], error)
	DeleteIDTag(ctx context.Context, idTag string) error

	ListCommands(ctx context.Context, q charging.CommandQuery) (charging.Page[charging.CommandRecord], error)
	Reset(ctx context.Context, chargerID string, hard bool) (charging.CommandOutcome, error)
	UnlockConnector(ctx context.Context, chargerID string, connectorID int) (charging.CommandOutcome, error)
	ChangeAvailability(ctx context.Context, chargerID string, connectorID int, operative bool) (charging.CommandOutcome, error)
	TriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandOutcome, error)

	GetConfiguration(ctx context.Context, chargerID string) (charging.ChargerConfiguration, error)
	ReadConfiguration(ctx context.Context, chargerID string, keys []string) (charging.ChargerConfiguration, error)
	ChangeConfiguration(ctx context.Context, chargerID, key, value string) (charging.CommandOutcome, error)
	ListDesiredSettings(ctx context.Context, chargerID string) ([]charging.DesiredSetting, error)
	SetDesiredSetting(ctx context.Context, chargerID, key, value string) (charging.DesiredSetting, error)
	DeleteDesiredSetting(ctx context.Context, chargerID, key string) error

	Reserve(ctx context.Context, r ReserveRequest) (charging.Reservation, error)
	GetReservation(ctx context.Context, id int) (charging.Reservation, error)
	ListReservations(ctx context.Context, q charging.ReservationQuery) (charging.Page[charging.Reservation], error)
	CancelReservation(ctx context.Context, id int) (charging.Reservation, error)

	SaveChargingProfile(ctx context.Context, p charging.ChargingProfile) (charging.ChargingProfile, error)
	GetChargingProfile(ctx context.Context, id int) (charging.ChargingProfile, error)
	ListChargingProfiles(ctx context.Context, q charging.ProfileQuery) (charging.Page[charging.ChargingProfile], error)
	ListInstalledProfiles(ctx context.Context, chargerID string) ([]charging.InstalledProfile, error)
	ApplyChargingProfile(ctx context.Context, chargerID string, connectorID, profileID int, sessionID string) (charging.CommandOutcome, error)
	ClearChargingProfiles(ctx context.Context, chargerID string, f charging.ProfileFilter) (charging.CommandOutcome, error)
	CompositeSchedule(ctx context.Context, chargerID string, connectorID, durationS int, unit string) (charging.CompositeSchedule, error)
}

// ReserveRequest is a request to hold a connector for an id tag.
type ReserveRequest = charging.ReserveRequest
