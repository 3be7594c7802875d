package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// MaintenanceService is the local-list and firmware part of Service.
// csms.Service implements it.
type MaintenanceService interface {
	SendLocalList(ctx context.Context, chargerID, updateType string, entries []charging.LocalListEntry) (charging.LocalListOutcome, error)
	GetLocalListVersion(ctx context.Context, chargerID string) (charging.LocalListVersion, error)
	ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error)

	// Firmware and diagnostics (firmware.go): the API stores the files,
	// the service their records and jobs.
	AddFirmware(ctx context.Context, name string, sizeBytes int64, sha256 string) (charging.Firmware, error)
	GetFirmware(ctx context.Context, id string) (charging.Firmware, error)
	ListFirmware(ctx context.Context) ([]charging.Firmware, error)
	UpdateFirmware(ctx context.Context, chargerID, firmwareID string, u charging.FirmwareUpdate) (charging.FirmwareJob, error)
	ListFirmwareJobs(ctx context.Context, chargerID string) ([]charging.FirmwareJob, error)
	RequestDiagnostics(ctx context.Context, chargerID string, d charging.DiagnosticsRequest, uploadURL func(token string) string) (charging.DiagnosticsJob, error)
	DiagnosticsUploadJob(ctx context.Context, token string) (charging.DiagnosticsJob, error)
	DiagnosticsUploaded(ctx context.Context, token string, sizeBytes int64, sha256 string) (charging.DiagnosticsJob, error)
	GetDiagnosticsJob(ctx context.Context, id string) (charging.DiagnosticsJob, error)
	ListDiagnosticsJobs(ctx context.Context, chargerID string) ([]charging.DiagnosticsJob, error)
}
