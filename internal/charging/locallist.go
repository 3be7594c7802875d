package charging

import (
	"context"
	"time"
)

// Local authorization list update types (OCPP 1.6 SendLocalList.req).
const (
	LocalListFull         = "Full"
	LocalListDifferential = "Differential"
)

// LocalListEntry is one id tag in a charger's local authorization list.
// In a differential update an entry without Status removes the id tag.
type LocalListEntry struct {
	IDTag       string              `json:"idTag"`
	Status      AuthorizationStatus `json:"status,omitempty"`
	ExpiryDate  *time.Time          `json:"expiryDate,omitempty"`
	ParentIDTag string              `json:"parentIdTag,omitempty"`
}

// LocalListUpdate is a SendLocalList: the version the charger's list has
// after it, and a Full replacement or a Differential change.
type LocalListUpdate struct {
	Version    int              `json:"listVersion"`
	UpdateType string           `json:"updateType"`
	Entries    []LocalListEntry `json:"entries"`
}

// LocalListVersion is what Joule knows of a charger's local list.
type LocalListVersion struct {
	ChargerID string `json:"chargerId"`
	// Version is the last list version the charger accepted in a
	// SendLocalList (0: none).
	Version int `json:"version"`
	// LatestVersion is the newest version any charger accepted; a charger
	// whose Version is below it is behind.
	LatestVersion int  `json:"latestVersion"`
	Behind        bool `json:"behind"`
	// ReportedVersion is the charger's last answer to GetLocalListVersion
	// (-1: the charger does not support a local list), nil before one.
	ReportedVersion *int       `json:"reportedVersion,omitempty"`
	ReportedAt      *time.Time `json:"reportedAt,omitempty"`
	UpdatedAt       *time.Time `json:"updatedAt,omitempty"` // when Version was accepted
}

// LocalListStore keeps each charger's local list version.
type LocalListStore interface {
	// NextLocalListVersion returns a list version newer than every version
	// handed out or accepted before (> 0).
	NextLocalListVersion(ctx context.Context) (int, error)
	// SaveLocalListVersion records that the charger accepted a list version.
	SaveLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error
	// SaveReportedLocalListVersion records the charger's answer to GetLocalListVersion.
	SaveReportedLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error
	// ListLocalListVersions returns the versions of every charger Joule
	// knows, ordered by charger id, with LatestVersion and Behind set.
	// A charger that never accepted a list has Version 0.
	ListLocalListVersions(ctx context.Context) ([]LocalListVersion, error)
}

// StationMaintenance is the typed, version-free extension of Commander for
// the 1.6 LocalAuthListManagement and FirmwareManagement profiles. The
// gateway implements it; its errors are those of StationCommander.
type StationMaintenance interface {
	// SendLocalList sends a list update (answers Accepted, Failed,
	// NotSupported, VersionMismatch).
	SendLocalList(ctx context.Context, chargerID string, u LocalListUpdate) (CommandStatus, error)
	// GetLocalListVersion asks for the charger's list version (-1: no
	// local list support, 0: empty list).
	GetLocalListVersion(ctx context.Context, chargerID string) (int, error)
	// UpdateFirmware sends UpdateFirmware (its answer has no status).
	UpdateFirmware(ctx context.Context, chargerID string, u FirmwareUpdate) error
	// GetDiagnostics sends GetDiagnostics and returns the name of the file
	// the charger will upload ("": no diagnostics available).
	GetDiagnostics(ctx context.Context, chargerID string, d DiagnosticsRequest) (string, error)
}

// LocalListOutcome is the answer to a SendLocalList: the charger's status,
// the command's record and the list version that was sent.
type LocalListOutcome struct {
	CommandOutcome
	Version int `json:"listVersion"`
	Entries int `json:"entries"` // how many entries were sent
}
