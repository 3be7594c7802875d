package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// SecurityService is charger identity and certificate management (issue:
// chargers prove who they are). csms.Service implements it.
type SecurityService interface {
	// RegisterCharger creates a charger (ECONFLICT when the id exists) and
	// returns the password Joule generated for it ("" when none: profiles
	// 0 and 3, or an operator-chosen password).
	RegisterCharger(ctx context.Context, r charging.ChargerRegistration) (charging.Charger, string, error)
	// SetChargerPassword issues a new password (password "": Joule
	// generates one) and sends it to the charger when it is connected; the
	// old one stays valid until the charger connects with the new one.
	SetChargerPassword(ctx context.Context, chargerID, password string) (charging.PasswordResult, error)
	// AcceptCharger admits a Pending (or open-registered, profile 0)
	// charger: Admission Accepted, a new password and profile 1 from its
	// next connection. A charger already at profile 2 or 3 keeps it (no
	// password is issued for profile 3).
	AcceptCharger(ctx context.Context, chargerID string) (charging.Charger, *charging.PasswordResult, error)
	// RejectCharger refuses a charger: Admission Rejected, its connection
	// closed, its next ones refused.
	RejectCharger(ctx context.Context, chargerID string) (charging.Charger, error)
	// DeleteCharger removes a charger, ends its connection and frees its id;
	// its sessions stay.
	DeleteCharger(ctx context.Context, chargerID string) error
	ListSecurityEvents(ctx context.Context, q charging.SecurityEventQuery) (charging.Page[charging.SecurityEvent], error)

	// Certificates on the charger (M03–M05) and its own certificate (A02/A03).
	InstallCertificate(ctx context.Context, chargerID, certType, certPEM string) (charging.CommandStatus, error)
	GetInstalledCertificateIDs(ctx context.Context, chargerID string, certTypes []string) (charging.InstalledCertificates, error)
	DeleteCertificate(ctx context.Context, chargerID string, h charging.CertificateHashData) (charging.CommandStatus, error)
	// RenewCertificate asks the charger to send a SignCertificate now
	// (1.6 ExtendedTriggerMessage SignChargePointCertificate, 2.0.1
	// TriggerMessage SignChargingStationCertificate).
	RenewCertificate(ctx context.Context, chargerID string) (charging.CommandStatus, error)
	ExtendedTriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error)
	// CACertificate is the PEM of the CA that signs chargers' certificates.
	CACertificate(ctx context.Context) (string, error)

	// RequestLog sends GetLog with an upload URL like RequestDiagnostics
	// and tracks it as a diagnostics job with a LogType.
	RequestLog(ctx context.Context, chargerID string, r charging.LogRequest, uploadURL func(token string) string) (charging.DiagnosticsJob, error)
	// UpdateFirmwareSigned sends a signed firmware update (1.6
	// SignedUpdateFirmware, 2.0.1 UpdateFirmware) and tracks it as a
	// firmware job with Signed set.
	UpdateFirmwareSigned(ctx context.Context, chargerID, firmwareID string, u charging.FirmwareUpdate, s charging.SignedFirmware) (charging.FirmwareJob, error)
}
