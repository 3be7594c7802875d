package charging

import "time"

// SessionStatus is where a session is in its life:
// pending → active → finished, or pending → failed.
type SessionStatus string

const (
	SessionPending  SessionStatus = "pending"  // the app asked to start; the charger has not reported a transaction yet
	SessionActive   SessionStatus = "active"   // the charger reported the transaction started
	SessionFinished SessionStatus = "finished" // the charger reported the transaction stopped
	SessionFailed   SessionStatus = "failed"   // the charger refused, never answered or never started
)

// Open reports whether the session still holds its connector.
func (s SessionStatus) Open() bool { return s == SessionPending || s == SessionActive }

// Session is one charging session on one connector, from the moment a start
// is requested (or a charger reports a transaction it started itself) until
// the final meter reading.
type Session struct {
	ID          string `json:"id"`
	ChargerID   string `json:"chargerId"`
	ConnectorID int    `json:"connectorId"` // 0 while pending when the charger may choose
	IDTag       string `json:"idTag"`
	// OwnerID is the user the session belongs to: the driver who started
	// it from the app, or the owner of the id tag it was started with. The
	// store fills it from the id tag when it is empty.
	OwnerID string `json:"ownerId,omitempty"`
	// TransactionID is the OCPP transaction id: 1.6 assigns an integer in
	// StartTransaction.conf (from a store sequence); 2.0.1 stations generate it.
	TransactionID string        `json:"transactionId"`
	Status        SessionStatus `json:"status"`
	// Origin says who started it: "remote" (the app) or "local" (at the charger).
	Origin       string     `json:"origin"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	StartedAt    *time.Time `json:"startedAt"` // the charger's transaction start timestamp
	StoppedAt    *time.Time `json:"stoppedAt"`
	MeterStartWh *float64   `json:"meterStartWh"`
	MeterStopWh  *float64   `json:"meterStopWh"`
	EnergyWh     float64    `json:"energyWh"`   // delivered so far
	PowerW       float64    `json:"powerW"`     // latest active import power
	CurrentA     *float64   `json:"currentA"`   // latest import current (sum of phases when per phase)
	VoltageV     *float64   `json:"voltageV"`   // latest voltage
	SoCPercent   *float64   `json:"socPercent"` // latest state of charge, when the charger sends it
	StopReason   string     `json:"stopReason"` // the charger's OCPP reason, e.g. EVDisconnected, Remote
	// FailureReason says why a session failed (Rejected, no answer, never started, ...).
	FailureReason string `json:"failureReason,omitempty"`
	// StopRequestedAt is set when the app asked the charger to stop.
	StopRequestedAt *time.Time `json:"stopRequestedAt,omitempty"`
	// RemoteStartID is the remoteStartId Joule sent with the remote start
	// (2.0.1 correlates the transaction by it), 0 for none.
	RemoteStartID int `json:"remoteStartId,omitempty"`
	// ReservationID is the reservation a start consumed, 0 for none.
	ReservationID int `json:"reservationId,omitempty"`
	// IdempotencyKey is the app's Idempotency-Key for the start request.
	IdempotencyKey string `json:"-"`
	// Flags records anomalies seen on the session's messages (a duplicate
	// StartTransaction, a meter value that could not be parsed, ...).
	Flags []string `json:"flags,omitempty"`
	// ClosedBy says who ended a session the charger never reported
	// stopped: ClosedByJoule (a lost session, reconciled) or
	// ClosedByOperator (by hand). Empty when the charger reported the end.
	// A stop the charger sends later still wins: its final reading
	// replaces the last known one and ClosedBy is cleared.
	ClosedBy string `json:"closedBy,omitempty"`
	// TariffID is the tariff the session is priced by, chosen when it
	// started ("" when charging is free); Tariff is that tariff as it was
	// then, kept with the session so that a later change does not reprice it.
	TariffID string  `json:"tariffId,omitempty"`
	Tariff   *Tariff `json:"-"`
	// Cost is the running cost while active, the final one when finished
	// (Cost.Final); nil when free.
	Cost *Cost `json:"cost,omitempty"`
	// Payment is how the session is paid; nil when nothing is owed or no
	// payment was asked for.
	Payment *Payment `json:"payment,omitempty"`
	// Smart is the driver's departure wish, the operator's priority and
	// Joule's allocation at a site with a grid limit; nil when none.
	Smart *SessionSmart `json:"smart,omitempty"`
}

// Who closed a session the charger never reported stopped.
const (
	ClosedByJoule    = "joule"
	ClosedByOperator = "operator"
)

// Origins of a session.
const (
	OriginRemote = "remote"
	OriginLocal  = "local"
)

// StartRequest is an app's request to start charging.
type StartRequest struct {
	ChargerID   string
	ConnectorID int // 0: the charger chooses
	IDTag       string
	// ChargingProfile is an optional TxProfile in the charger's version's JSON shape.
	ChargingProfile []byte
	// ChargingProfileID is a stored TxProfile to send instead (0: none).
	ChargingProfileID int
	// IdempotencyKey makes a retried request return the session of the first.
	IdempotencyKey string
	// DepartureTime and EnergyWantedWh ask Joule to plan the session to
	// deliver that much by then, in the cheapest hours (both or neither).
	DepartureTime  *time.Time
	EnergyWantedWh float64
}
