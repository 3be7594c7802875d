package charging

import (
	"context"
	"time"
)

// ChargerConfiguration is a charger's last known configuration: what it
// answered to the last GetConfiguration, with accepted changes applied since.
type ChargerConfiguration struct {
	ChargerID   string             `json:"chargerId"`
	Keys        []ConfigurationKey `json:"keys"`
	UnknownKeys []string           `json:"unknownKeys,omitempty"`
	ReadAt      *time.Time         `json:"readAt"` // nil: never read
}

// DesiredSetting is a configuration value the operator wants a charger to
// have. Joule applies it when the charger boots (and when it is set while the
// charger is online) and records the charger's answer.
type DesiredSetting struct {
	ChargerID string `json:"chargerId"`
	Key       string `json:"key"`
	Value     string `json:"value"`
	// Status is the charger's last answer to ChangeConfiguration with this
	// value (Accepted, Rejected, RebootRequired, NotSupported), "failed" when
	// it could not be sent, "" before the first attempt.
	Status    string     `json:"status"`
	AppliedAt *time.Time `json:"appliedAt,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// ConfigStore keeps chargers' last known and desired configuration.
type ConfigStore interface {
	// SaveConfiguration replaces the charger's last known configuration
	// when keys is the full list (all true), or merges keys into it.
	SaveConfiguration(ctx context.Context, c ChargerConfiguration, all bool) error
	// GetConfiguration returns the last known configuration (no keys and a
	// nil ReadAt when it was never read).
	GetConfiguration(ctx context.Context, chargerID string) (ChargerConfiguration, error)
	// SaveDesiredSetting inserts or updates one desired setting (by charger and key).
	SaveDesiredSetting(ctx context.Context, d DesiredSetting) error
	DeleteDesiredSetting(ctx context.Context, chargerID, key string) error
	// ListDesiredSettings returns a charger's desired settings ordered by key.
	ListDesiredSettings(ctx context.Context, chargerID string) ([]DesiredSetting, error)
}
