package charging

import (
	"context"
	"encoding/json"
)

// Commander sends commands to chargers, whatever OCPP version they speak.
// It returns EUNAVAILABLE when the charger is not connected, ETIMEOUT when it
// did not answer in time and EINVALID when a payload is not valid for the
// charger's version.
type Commander interface {
	// RemoteStart asks the charger to start a transaction
	// (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction).
	RemoteStart(ctx context.Context, chargerID string, r RemoteStart) (CommandStatus, error)
	// RemoteStop asks the charger to stop a transaction
	// (1.6 RemoteStopTransaction, 2.0.1 RequestStopTransaction).
	RemoteStop(ctx context.Context, chargerID string, transactionID string) (CommandStatus, error)
	// Command sends any action of the charger's own version with the payload
	// as given. A CALLERROR or a timeout is a result, not an error.
	Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (CommandResult, error)
	// Connected reports whether the charger has a live connection (on this node).
	Connected(chargerID string) bool
}

// TransactionStatusAsker is what a Commander implements when it can ask a
// charger about one transaction (2.0.1 GetTransactionStatus; 1.6 has no
// such message and answers EINVALID).
type TransactionStatusAsker interface {
	TransactionStatus(ctx context.Context, chargerID, transactionID string) (TransactionStatus, error)
}

// TransactionStatus is a charger's answer about one transaction.
type TransactionStatus struct {
	// Ongoing is whether the transaction still runs; nil when the charger
	// did not say.
	Ongoing *bool `json:"ongoingIndicator,omitempty"`
	// MessagesInQueue is whether the charger still holds messages of the
	// transaction to send.
	MessagesInQueue bool `json:"messagesInQueue"`
}

// RemoteStart is a version-free remote start request.
type RemoteStart struct {
	ConnectorID   int // 0: the charger chooses
	IDTag         string
	RemoteStartID int // 2.0.1's remoteStartId; 1.6 has none
	// ChargingProfile is an optional TxProfile in the charger's version's
	// JSON shape (1.6 csChargingProfiles / 2.0.1 chargingProfile).
	ChargingProfile json.RawMessage
	// Profile is a stored TxProfile to send instead, in domain terms; the
	// adapter converts it to its version's shape.
	Profile *ChargingProfile
}

// CommandStatus is the charger's answer to a command: Accepted, Rejected, ...
type CommandStatus string

const (
	CommandAccepted CommandStatus = "Accepted"
	CommandRejected CommandStatus = "Rejected"
)

// CommandResult is the outcome of a generic command.
type CommandResult struct {
	Status   string          `json:"status"` // answered, callerror, timeout
	Response json.RawMessage `json:"response,omitempty"`
	Error    *CallError      `json:"error,omitempty"`
}

// Command result statuses.
const (
	ResultAnswered  = "answered"
	ResultCallError = "callerror"
	ResultTimeout   = "timeout"
)

// CallError is a CALLERROR a charger answered with.
type CallError struct {
	Code        string          `json:"code"`
	Description string          `json:"description"`
	Details     json.RawMessage `json:"details"`
}
