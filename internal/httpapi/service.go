package httpapi

import (
	"context"
	"encoding/json"

	"github.com/joule-ev/joule/internal/charging"
)

// Service is what the API needs from the domain; csms.Service implements it.
// Methods return *charging.Error values whose codes the API maps to HTTP
// statuses; any other error is an internal error.
type Service interface {
	StationService     // service_station.go
	MaintenanceService // service_maintenance.go: local list, firmware, diagnostics
	SecurityService    // service_security.go: registration, passwords, certificates, logs
	StatsService       // stats.go: the fleet's power history
	ReportService      // service_reports.go: usage reports

	DeviceModelService // OCPP 2.0.1 device model, charger events, version override
	SiteService        // sites.go: sites, a charger's name, site and connectors
	PaymentService     // service_payments.go: wallets and saved cards
	TariffService      // service_tariffs.go: tariffs, and the tariff a driver pays at a connector
	BillingService     // billing.go: receipts, totals, refunds
	SmartService       // smart.go: site load balancing, grid signals, priorities

	// Ready reports whether the service can serve requests (its store answers).
	Ready(ctx context.Context) error
	ListChargers(ctx context.Context, q charging.ChargerQuery) (charging.Page[charging.Charger], error)
	GetCharger(ctx context.Context, id string) (charging.Charger, error)
	// UpdateConnector sets operator-known facts about a connector (type, max power).
	UpdateConnector(ctx context.Context, chargerID string, connectorID int, u charging.ConnectorUpdate) (charging.Connector, error)
	// StartSession asks the charger to start and returns the pending session
	// once the charger accepted; ctx bounds the wait for its answer.
	StartSession(ctx context.Context, r charging.StartRequest) (charging.Session, error)
	// StopSession asks the charger to stop the session's transaction.
	StopSession(ctx context.Context, sessionID string) (charging.Session, error)
	// CloseSession ends an open session by hand (an operator's reason);
	// nothing is sent to the charger.
	CloseSession(ctx context.Context, sessionID, reason string) (charging.Session, error)
	GetSession(ctx context.Context, id string) (charging.Session, error)
	ListSessions(ctx context.Context, q charging.SessionQuery) (charging.Page[charging.Session], error)
	ListMeterSamples(ctx context.Context, q charging.MeterQuery) (charging.Page[charging.MeterSample], error)
	// Command sends an OCPP action with the payload as given; a CALLERROR or
	// a timeout is a result, not an error.
	Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error)
}

// replayer is implemented by buses that keep recent events (inmem.Bus), so
// an SSE client reconnecting with Last-Event-ID misses nothing. complete is
// false when events after afterID are no longer kept (or afterID is from
// before a restart): the client is told to reload.
type replayer interface {
	ResumeFrom(f charging.EventFilter, afterID uint64) (sub charging.Subscription, complete bool)
}
