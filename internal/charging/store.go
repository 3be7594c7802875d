package charging

import (
	"context"
	"time"
)

// Store keeps Joule's state. The embedded default is sqlite.Store; a
// PostgreSQL implementation passes the same chargingtest.StoreSuite.
//
// Every method returns an *Error with ENOTFOUND for a missing record and
// ECONFLICT for a broken uniqueness rule; other failures are wrapped errors.
// Times are stored and returned in UTC.
type Store interface {
	DeviceModelStore // OCPP 2.0.1 device model, charger events, transaction events

	// Ping checks that the store can serve requests (readiness).
	Ping(ctx context.Context) error
	Close() error

	// GetCharger returns the charger with its connectors (ordered by id).
	GetCharger(ctx context.Context, id string) (Charger, error)
	// ListChargers returns chargers ordered by id, with their connectors.
	ListChargers(ctx context.Context, q ChargerQuery) (Page[Charger], error)
	// SaveCharger inserts or updates the charger's own fields (not its connectors).
	SaveCharger(ctx context.Context, c Charger) error
	// TouchCharger sets the charger's last-seen time, if it exists.
	TouchCharger(ctx context.Context, id string, at time.Time) error
	// SetAllOffline marks every charger offline (at start-up: no connection survives a restart).
	SetAllOffline(ctx context.Context) error
	// SaveConnector inserts or updates one connector of an existing charger.
	SaveConnector(ctx context.Context, chargerID string, c Connector) error

	// CreateSession inserts a new session. It fails with ECONFLICT when the
	// connector (ConnectorID > 0) already has an open (pending or active)
	// session, or when the IdempotencyKey is already used.
	CreateSession(ctx context.Context, s Session) error
	// UpdateSession overwrites the session with the same ID. Making a session
	// open on a connector that already has another open session is ECONFLICT.
	UpdateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, id string) (Session, error)
	GetSessionByIdempotencyKey(ctx context.Context, key string) (Session, error)
	GetSessionByTransaction(ctx context.Context, chargerID, transactionID string) (Session, error)
	// ListSessions returns matching sessions, newest (CreatedAt, then ID) first.
	ListSessions(ctx context.Context, q SessionQuery) (Page[Session], error)
	// NextTransactionID returns a new, never used OCPP 1.6 transaction id (> 0).
	NextTransactionID(ctx context.Context) (int64, error)

	// AddMeterSamples stores samples (duplicates of an already stored sample,
	// same charger, connector, transaction, timestamp, measurand, phase,
	// location and context, are ignored) and, when s is not nil, overwrites
	// that session, all in one transaction.
	AddMeterSamples(ctx context.Context, samples []MeterSample, s *Session) error
	// ListMeterSamples returns a session's samples ordered by timestamp, then ID.
	ListMeterSamples(ctx context.Context, q MeterQuery) (Page[MeterSample], error)

	GetIDTag(ctx context.Context, idTag string) (IDTag, error)
	// CreateIDTag inserts a new id tag; an existing one (matched as
	// GetIDTag does) is ECONFLICT and stays as it was.
	CreateIDTag(ctx context.Context, t IDTag) error
	// SaveIDTag inserts or updates an id tag.
	SaveIDTag(ctx context.Context, t IDTag) error
	DeleteIDTag(ctx context.Context, idTag string) error
	// ListIDTags returns id tags ordered by IDTag.
	ListIDTags(ctx context.Context, q IDTagQuery) (Page[IDTag], error)

	CommandLog
	ReservationStore
	ProfileStore
	ConfigStore
	LocalListStore
	FirmwareStore // firmware.go
	SecurityStore // security.go
	AccountStore  // account.go
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// ChargerQuery selects chargers. Cursor is a NextCursor from an earlier page.
type ChargerQuery struct {
	Admission Admission // "" matches every charger
	Cursor    string
	Limit     int // 0 means 100
}

// SessionQuery selects sessions; empty fields match everything.
type SessionQuery struct {
	ChargerID     string
	ConnectorID   int // 0 matches every connector
	IDTag         string
	OwnerID       string // "" matches every owner
	Status        []SessionStatus
	CreatedBefore time.Time // zero matches every time
	Cursor        string
	Limit         int // 0 means 100
}

// MeterQuery selects a session's meter samples.
type MeterQuery struct {
	SessionID string
	Cursor    string
	Limit     int // 0 means 1000
}

// IDTagQuery selects id tags.
type IDTagQuery struct {
	OwnerID string // "" matches every tag
	Cursor  string
	Limit   int // 0 means 100
}
