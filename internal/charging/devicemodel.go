package charging

import (
	"context"
	"encoding/json"
	"time"
)

// This file holds what OCPP 2.0.1 brought into the domain in a
// version-free shape: the device model a charger reports, the log of what a
// charger notifies (security events, monitoring events, ...), transaction
// events with their sequence numbers, and remote start ids.

// Variable is one attribute of one variable of one component of a charger's
// device model, as the charger reported it (2.0.1 NotifyReport).
// The key is (ChargerID, Component, ComponentInstance, EVSEID, ConnectorID,
// Variable, VariableInstance, AttributeType).
type Variable struct {
	ChargerID         string `json:"chargerId"`
	Component         string `json:"component"`
	ComponentInstance string `json:"componentInstance,omitempty"`
	EVSEID            int    `json:"evseId,omitempty"`      // 0: the component is not on an EVSE
	ConnectorID       int    `json:"connectorId,omitempty"` // 0: not on a connector
	Variable          string `json:"variable"`
	VariableInstance  string `json:"variableInstance,omitempty"`
	AttributeType     string `json:"attributeType"` // Actual, Target, MinSet, MaxSet
	Value             string `json:"value"`
	Mutability        string `json:"mutability,omitempty"` // ReadOnly, WriteOnly, ReadWrite
	Persistent        bool   `json:"persistent"`
	Constant          bool   `json:"constant"`
	// Characteristics (2.0.1 VariableCharacteristicsType), when reported.
	DataType           string    `json:"dataType,omitempty"`
	Unit               string    `json:"unit,omitempty"`
	MinLimit           *float64  `json:"minLimit,omitempty"`
	MaxLimit           *float64  `json:"maxLimit,omitempty"`
	ValuesList         string    `json:"valuesList,omitempty"`
	SupportsMonitoring bool      `json:"supportsMonitoring"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// VariableQuery selects a charger's device model variables; Component ""
// matches every component.
type VariableQuery struct {
	ChargerID string
	Component string
	Cursor    string
	Limit     int // 0 means 1000
}

// ChargerEvent is something a charger notified that is not a transaction:
// a security event, a monitoring event (NotifyEvent), a charging limit, a
// log upload status, vendor data ... Payload keeps the message as sent, so
// nothing the charger said is lost.
type ChargerEvent struct {
	ID         int64           `json:"id"`
	ChargerID  string          `json:"chargerId"`
	Action     string          `json:"action"`            // the OCPP action, e.g. SecurityEventNotification
	Kind       string          `json:"kind,omitempty"`    // a short classification, e.g. the security event's type
	Timestamp  time.Time       `json:"timestamp"`         // when it happened, per the charger (or when received)
	EVSEID     int             `json:"evseId,omitempty"`  // 0: the charger as a whole
	Summary    string          `json:"summary,omitempty"` // a human-readable line
	Payload    json.RawMessage `json:"payload"`
	ReceivedAt time.Time       `json:"receivedAt"`
}

// ChargerEventQuery selects a charger's events, newest (Timestamp, then ID) first.
type ChargerEventQuery struct {
	ChargerID string
	Action    string // "" matches every action
	Cursor    string
	Limit     int // 0 means 100
}

// TransactionEventRecord is one transaction event as stored: the key of
// 2.0.1's idempotency rule (charger, transaction id, seqNo) and what the
// event said about the transaction itself.
type TransactionEventRecord struct {
	ChargerID          string    `json:"chargerId"`
	TransactionID      string    `json:"transactionId"`
	SeqNo              int       `json:"seqNo"`
	EventType          string    `json:"eventType"` // Started, Updated, Ended
	Timestamp          time.Time `json:"timestamp"`
	TriggerReason      string    `json:"triggerReason"`
	Offline            bool      `json:"offline"`
	NumberOfPhasesUsed int       `json:"numberOfPhasesUsed,omitempty"`
	ChargingState      string    `json:"chargingState,omitempty"`
	StoppedReason      string    `json:"stoppedReason,omitempty"`
	SessionID          string    `json:"sessionId,omitempty"`
	ReceivedAt         time.Time `json:"receivedAt"`
}

// DeviceModelStore keeps what OCPP 2.0.1 chargers report beyond sessions.
// charging.Store embeds it.
type DeviceModelStore interface {
	// SaveVariables inserts or updates device model variables (by their key).
	SaveVariables(ctx context.Context, vs []Variable) error
	// ListVariables returns a charger's variables ordered by their key.
	ListVariables(ctx context.Context, q VariableQuery) (Page[Variable], error)
	// HasVariables reports whether the charger has reported any variable.
	HasVariables(ctx context.Context, chargerID string) (bool, error)

	// AddChargerEvents stores events (IDs are assigned).
	AddChargerEvents(ctx context.Context, es []ChargerEvent) error
	// ListChargerEvents returns events, newest first.
	ListChargerEvents(ctx context.Context, q ChargerEventQuery) (Page[ChargerEvent], error)

	// HasTransactionEvent reports whether (charger, transaction, seqNo) is stored.
	HasTransactionEvent(ctx context.Context, chargerID, transactionID string, seqNo int) (bool, error)
	// AddTransactionEvent stores a transaction event; storing the same key
	// again is ECONFLICT.
	AddTransactionEvent(ctx context.Context, r TransactionEventRecord) error
	// ListTransactionEvents returns a transaction's events ordered by the
	// charger's timestamp, then seqNo (offline events land where they happened).
	ListTransactionEvents(ctx context.Context, chargerID, transactionID string) ([]TransactionEventRecord, error)

	// NextRemoteStartID returns a new, never used remoteStartId (> 0).
	NextRemoteStartID(ctx context.Context) (int, error)
	// SetOCPPVersionOverride sets (or clears, with "") the subprotocol the
	// charger must use; ENOTFOUND for an unknown charger.
	SetOCPPVersionOverride(ctx context.Context, chargerID, version string) error
}

// DeviceReport is one part of a device model report (2.0.1 NotifyReport):
// its variables as reported, and what the adapter read from them about
// the charger's connectors.
type DeviceReport struct {
	Variables  []Variable
	Connectors []ConnectorReport
}

// ConnectorReport is what a charger reported about one connector's
// hardware (a Joule connector: an EVSE). Zero fields of Spec were not in
// the report and leave what an earlier report said.
type ConnectorReport struct {
	ConnectorID int
	Spec        ConnectorSpec
}

// TransactionEvent is a version-free transaction event: 2.0.1's
// TransactionEvent (Started, Updated, Ended), with its sequence number.
type TransactionEvent struct {
	EventType          string // Started, Updated, Ended
	TransactionID      string // the charger's id
	SeqNo              int
	Timestamp          time.Time
	TriggerReason      string
	ConnectorID        int    // the EVSE id; 0 when not sent
	IDTag              string // "" when no id token was sent
	RemoteStartID      int    // 0: none
	ReservationID      int    // 0: none
	Offline            bool
	NumberOfPhasesUsed int // 0: not sent
	ChargingState      string
	StoppedReason      string
	Samples            []MeterSample
}

// Transaction event types.
const (
	TxEventStarted = "Started"
	TxEventUpdated = "Updated"
	TxEventEnded   = "Ended"
)

// TransactionEventResult is the answer to a transaction event.
type TransactionEventResult struct {
	SessionID string
	// IDTagInfo answers the event's id token; nil when it carried none.
	IDTagInfo *IDTagInfo
	// Duplicate is set when the event was already applied (same charger,
	// transaction id and seqNo): nothing changed.
	Duplicate bool
	// TotalCost is the final cost including taxes, answered to an Ended
	// event of a priced session; "" otherwise.
	TotalCost Decimal
}

// StationReports is the part of the inbound contract that OCPP 2.0.1
// added; charging.StationEvents embeds it.
type StationReports interface {
	// TransactionEvent applies a transaction event, idempotently on
	// (charger, transaction id, seqNo); seqNo gaps are flagged on the session.
	TransactionEvent(ctx context.Context, chargerID string, e TransactionEvent) (TransactionEventResult, error)
	// DeviceModelReported stores a part of the charger's device model,
	// and what it says about the charger's connectors, as one write.
	DeviceModelReported(ctx context.Context, chargerID string, r DeviceReport) error
	// ChargerEventsReported stores what a charger notified.
	ChargerEventsReported(ctx context.Context, chargerID string, es []ChargerEvent) error
	// Registration returns the charger's registration status (Pending for
	// a charger Joule does not know): before Accepted, the adapters accept
	// nothing but a boot (2.0.1 B02/B03).
	Registration(ctx context.Context, chargerID string) (RegistrationStatus, error)
	// NeedsDeviceReport reports whether Joule knows nothing of the
	// charger's device model yet, so it should ask for a base report.
	NeedsDeviceReport(ctx context.Context, chargerID string) (bool, error)
}
