package charging

import (
	"context"
	"time"
)

// Firmware is a firmware image an operator uploaded to Joule, which serves
// it to chargers (UpdateFirmware with Joule's download URL).
type Firmware struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"` // as uploaded, e.g. "2.0.0"; a charger may report it as its firmwareVersion
	SizeBytes int64     `json:"sizeBytes"`
	SHA256    string    `json:"sha256"` // lower-case hex of the file's SHA-256
	CreatedAt time.Time `json:"createdAt"`
}

// FirmwareUpdate is an UpdateFirmware request, version-free.
type FirmwareUpdate struct {
	Location       string    `json:"location"` // absolute http(s) URL the charger downloads from
	RetrieveDate   time.Time `json:"retrieveDate"`
	Retries        *int      `json:"retries,omitempty"`
	RetryIntervalS *int      `json:"retryInterval,omitempty"`
}

// DiagnosticsRequest is a GetDiagnostics request, version-free.
type DiagnosticsRequest struct {
	Location       string     `json:"location"` // absolute http(s) URL the charger uploads to
	StartTime      *time.Time `json:"startTime,omitempty"`
	StopTime       *time.Time `json:"stopTime,omitempty"`
	Retries        *int       `json:"retries,omitempty"`
	RetryIntervalS *int       `json:"retryInterval,omitempty"`
}

// JobStatus is one status a charger reported for a firmware or diagnostics
// job, with the time Joule received it.
type JobStatus struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// Statuses of a job before, or instead of, the charger's reports (those
// are the OCPP statuses: Downloading, Installed, Uploaded, ...).
const (
	JobRequested = "Requested" // sent; the charger has not reported yet
	JobFailed    = "Failed"    // the command was not answered (offline, timeout, CALLERROR)
)

// FirmwareJob is one firmware update sent to a charger and the statuses it
// reported (FirmwareStatusNotification) since.
type FirmwareJob struct {
	ID         string `json:"id"`
	ChargerID  string `json:"chargerId"`
	FirmwareID string `json:"firmwareId,omitempty"` // when Joule hosts the file
	FirmwareUpdate
	// Signed is set for a signed firmware update (SignedUpdateFirmware);
	// its statuses come from SignedFirmwareStatusNotification.
	Signed    *SignedFirmware `json:"signed,omitempty"`
	CommandID string          `json:"commandId"`
	Status    string          `json:"status"` // JobRequested, JobFailed, or the last reported status
	Error     string          `json:"error,omitempty"`
	History   []JobStatus     `json:"history"` // oldest first
	CreatedAt time.Time       `json:"createdAt"`
}

// DiagnosticsJob is one GetDiagnostics sent to a charger, the statuses it
// reported (DiagnosticsStatusNotification) and the file it uploaded.
type DiagnosticsJob struct {
	ID        string `json:"id"`
	ChargerID string `json:"chargerId"`
	// Token names the job's upload URL; it is unguessable and accepts one
	// upload. It is never shown through the API.
	Token string `json:"-"`
	// Location is the upload URL sent to the charger; it holds the token.
	Location       string     `json:"-"`
	StartTime      *time.Time `json:"startTime,omitempty"`
	StopTime       *time.Time `json:"stopTime,omitempty"`
	Retries        *int       `json:"retries,omitempty"`
	RetryIntervalS *int       `json:"retryInterval,omitempty"`
	// LogType is set for a GetLog job (DiagnosticsLog or SecurityLog; its
	// statuses come from LogStatusNotification); "" for GetDiagnostics.
	LogType    string      `json:"logType,omitempty"`
	RequestID  int         `json:"requestId,omitempty"` // GetLog's requestId
	CommandID  string      `json:"commandId"`
	Status     string      `json:"status"`
	Error      string      `json:"error,omitempty"`
	History    []JobStatus `json:"history"`
	FileName   string      `json:"fileName,omitempty"` // the charger's answer to GetDiagnostics
	SizeBytes  int64       `json:"sizeBytes"`          // of the uploaded file
	SHA256     string      `json:"sha256,omitempty"`
	UploadedAt *time.Time  `json:"uploadedAt,omitempty"` // nil until the file arrived
	CreatedAt  time.Time   `json:"createdAt"`
}

// FirmwareStore keeps uploaded firmware and the firmware and diagnostics
// jobs. Lists are newest first (CreatedAt, then ID) and hold at most 100.
type FirmwareStore interface {
	SaveFirmware(ctx context.Context, f Firmware) error
	GetFirmware(ctx context.Context, id string) (Firmware, error)
	ListFirmware(ctx context.Context) ([]Firmware, error)

	// SaveFirmwareJob inserts or overwrites the job with the same ID.
	SaveFirmwareJob(ctx context.Context, j FirmwareJob) error
	ListFirmwareJobs(ctx context.Context, chargerID string) ([]FirmwareJob, error)

	// SaveDiagnosticsJob inserts or overwrites the job with the same ID.
	SaveDiagnosticsJob(ctx context.Context, j DiagnosticsJob) error
	GetDiagnosticsJob(ctx context.Context, id string) (DiagnosticsJob, error)
	GetDiagnosticsJobByToken(ctx context.Context, token string) (DiagnosticsJob, error)
	ListDiagnosticsJobs(ctx context.Context, chargerID string) ([]DiagnosticsJob, error)
}
