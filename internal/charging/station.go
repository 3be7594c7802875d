package charging

import (
	"context"
	"time"
)

// StationEvents is the version-independent inbound contract: what the OCPP
// adapters report about a charger, and the answers they need. csms.Service
// implements it. A nil error means the report is persisted; an error means
// the adapter must not acknowledge it (a CALLERROR InternalError, so the
// charger retries).
type StationEvents interface {
	StationReports // what OCPP 2.0.1 added
	SecurityEvents // security.go: certificates, security events, logs

	// Connected records a new connection, Disconnected its end.
	Connected(ctx context.Context, chargerID, ocppVersion string) error
	Disconnected(ctx context.Context, chargerID string) error
	// Booted records the charger's boot and decides its registration.
	Booted(ctx context.Context, chargerID string, info BootInfo) (BootResult, error)
	// Heartbeat records that the charger is alive and returns the current time.
	Heartbeat(ctx context.Context, chargerID string) (time.Time, error)
	// StatusChanged records a connector's status (ConnectorID 0: the whole charger).
	StatusChanged(ctx context.Context, chargerID string, r StatusReport) error
	// Authorize answers whether an id tag may charge here.
	Authorize(ctx context.Context, chargerID, idTag string) (IDTagInfo, error)
	// TransactionStarted binds a transaction to a session (creating one when
	// it was started at the charger) and returns its transaction id.
	TransactionStarted(ctx context.Context, chargerID string, t TransactionStart) (TransactionStartResult, error)
	// MeterValues stores samples and updates the live values of their session.
	MeterValues(ctx context.Context, chargerID string, m MeterReport) error
	// TransactionStopped finishes the transaction's session.
	TransactionStopped(ctx context.Context, chargerID string, t TransactionStop) (IDTagInfo, error)
	// FirmwareStatus and DiagnosticsStatus record the progress of a firmware
	// update or a diagnostics upload.
	FirmwareStatus(ctx context.Context, chargerID, status string) error
	DiagnosticsStatus(ctx context.Context, chargerID, status string) error
	// DataTransfer receives vendor-specific data; Joule knows no vendor
	// extension yet, so it answers UnknownVendorId.
	DataTransfer(ctx context.Context, chargerID string, d DataTransfer) (DataTransferResult, error)
	// RemoteStartAnswered tells the domain how a charger answered a remote
	// start that was sent outside StartSession (a generic command).
	RemoteStartAnswered(ctx context.Context, chargerID string, r RemoteStart, status CommandStatus) error
	// RemoteStopAnswered does the same for a remote stop.
	RemoteStopAnswered(ctx context.Context, chargerID, transactionID string, status CommandStatus) error
}

// BootResult is the answer to a boot.
type BootResult struct {
	Status   RegistrationStatus
	Interval time.Duration // heartbeat interval (or retry interval when not Accepted)
	Now      time.Time
}

// StatusReport is a connector's reported status.
type StatusReport struct {
	ConnectorID     int
	Status          ConnectorStatus
	ErrorCode       string // 1.6 ChargePointErrorCode; "NoError" when fine
	Info            string
	VendorErrorCode string
	Timestamp       time.Time // zero when the charger sent none
}

// TransactionStart is a charger's report that a transaction started.
type TransactionStart struct {
	ConnectorID   int
	IDTag         string
	MeterStartWh  float64
	Timestamp     time.Time
	ReservationID int    // 0: none
	RemoteStartID int    // 2.0.1 only; 0: none
	TransactionID string // 2.0.1: the station's id; 1.6: "" (Joule assigns one)
	// PhasesUsed is the vehicle's phases when the charger says
	// (2.0.1 numberOfPhasesUsed); 0 when not.
	PhasesUsed int
}

// TransactionStartResult is the answer to a transaction start.
type TransactionStartResult struct {
	TransactionID string
	SessionID     string
	IDTagInfo     IDTagInfo
}

// MeterReport is a batch of meter samples from one connector.
type MeterReport struct {
	ConnectorID   int
	TransactionID string // "" when outside a transaction
	Samples       []MeterSample
}

// TransactionStop is a charger's report that a transaction stopped.
type TransactionStop struct {
	TransactionID string
	IDTag         string // optional
	MeterStopWh   float64
	Timestamp     time.Time
	Reason        string        // OCPP reason; "" means Local in 1.6
	Samples       []MeterSample // transactionData
	// ReasonUnstated: the protocol has no stop reason (OCPP 1.5), so an
	// empty Reason says nothing; the domain infers it (Remote when Joule
	// had asked the charger to stop the transaction).
	ReasonUnstated bool
}

// DataTransfer is vendor-specific data from a charger.
type DataTransfer struct {
	VendorID  string
	MessageID string
	Data      string
}

// DataTransferResult answers a DataTransfer.
type DataTransferResult struct {
	Status string // Accepted, Rejected, UnknownMessageId, UnknownVendorId
	Data   string
}
