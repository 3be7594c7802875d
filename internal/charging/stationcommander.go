package charging

import "context"

// StationCommander is the typed, version-free extension of Commander: one
// method per station-management command. The gateway implements it by
// delegating to the charger's adapter; an adapter whose OCPP version has no
// such use case returns EINVALID ("... is not supported in OCPP 2.0.1").
// Errors are those of Commander: EUNAVAILABLE (offline), ETIMEOUT (no
// answer), EREJECTED (a CALLERROR), EINVALID (not expressible in the
// charger's version).
type StationCommander interface {
	// Reset restarts the charger (1.6 Reset Soft|Hard; 2.0.1 Reset OnIdle|Immediate).
	Reset(ctx context.Context, chargerID string, hard bool) (CommandStatus, error)
	// UnlockConnector unlocks a connector (answers Unlocked, UnlockFailed, NotSupported).
	UnlockConnector(ctx context.Context, chargerID string, connectorID int) (CommandStatus, error)
	// ChangeAvailability makes a connector (0: the whole charger) operative or
	// inoperative (answers Accepted, Rejected, Scheduled).
	ChangeAvailability(ctx context.Context, chargerID string, connectorID int, operative bool) (CommandStatus, error)
	// GetConfiguration reads configuration keys (none: all of them).
	GetConfiguration(ctx context.Context, chargerID string, keys []string) (ConfigurationReport, error)
	// ChangeConfiguration sets one key (answers Accepted, Rejected,
	// RebootRequired, NotSupported).
	ChangeConfiguration(ctx context.Context, chargerID, key, value string) (CommandStatus, error)
	// TriggerMessage asks the charger to send a message now (1.6
	// MessageTrigger names: BootNotification, DiagnosticsStatusNotification,
	// FirmwareStatusNotification, Heartbeat, MeterValues, StatusNotification).
	// connectorID 0 means none given.
	TriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (CommandStatus, error)
	// ReserveNow reserves a connector (answers Accepted, Faulted, Occupied,
	// Rejected, Unavailable).
	ReserveNow(ctx context.Context, chargerID string, r Reservation) (CommandStatus, error)
	// CancelReservation cancels a reservation (answers Accepted, Rejected).
	CancelReservation(ctx context.Context, chargerID string, reservationID int) (CommandStatus, error)
	// SetChargingProfile installs a profile on a connector (0: the whole
	// charger) (answers Accepted, Rejected, NotSupported).
	SetChargingProfile(ctx context.Context, chargerID string, connectorID int, p ChargingProfile) (CommandStatus, error)
	// ClearChargingProfile removes the profiles the filter matches (answers
	// Accepted, Unknown).
	ClearChargingProfile(ctx context.Context, chargerID string, f ProfileFilter) (CommandStatus, error)
	// GetCompositeSchedule asks for the schedule that results from the
	// installed profiles on a connector, for the next durationS seconds;
	// unit "" lets the charger choose.
	GetCompositeSchedule(ctx context.Context, chargerID string, connectorID, durationS int, unit string) (CompositeSchedule, error)
}

// ConfigurationReport is a charger's answer to GetConfiguration.
type ConfigurationReport struct {
	Keys        []ConfigurationKey `json:"keys"`
	UnknownKeys []string           `json:"unknownKeys,omitempty"`
}

// ConfigurationKey is one configuration setting of a charger.
type ConfigurationKey struct {
	Key      string  `json:"key"`
	Value    *string `json:"value"` // nil: the charger did not give one
	Readonly bool    `json:"readonly"`
}
