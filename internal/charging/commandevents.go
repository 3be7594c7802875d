package charging

import "context"

// CommandEvents is the inbound contract for the answers to generic commands
// (POST /chargers/{id}/commands/{action}): the OCPP adapters decode a
// command they sent and the charger's answer and report it here, so that a
// generic command changes the domain as its typed twin does. csms.Service
// implements it; an adapter finds it by asserting its StationEvents.
type CommandEvents interface {
	CommandAnswered(ctx context.Context, chargerID string, a AnsweredCommand) error
}

// AnsweredCommand is a command and the charger's answer, version-free. Action
// is the OCPP 1.6 name of the use case; the field of that action is set.
type AnsweredCommand struct {
	Action string
	Status string // the charger's answer status (Accepted, ...)

	Reservation   *Reservation         // ReserveNow
	ReservationID int                  // CancelReservation
	ConnectorID   int                  // SetChargingProfile
	Profile       *ChargingProfile     // SetChargingProfile
	Filter        *ProfileFilter       // ClearChargingProfile
	Configuration *ConfigurationReport // GetConfiguration
	Keys          []string             // GetConfiguration: the keys asked for (none: all)
	Key, Value    string               // ChangeConfiguration
	LocalList     *LocalListUpdate     // SendLocalList
	ListVersion   int                  // GetLocalListVersion: the charger's answer
}
