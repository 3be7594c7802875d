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
//
// Each method of a Store is atomic and durable on its own when it returns
// nil. A use case that writes more than once (an OCPP message that ends a
// session, stores its samples and frees its reservation) runs its writes
// in one unit of work with Update instead, so that all of them are durable
// before the charger gets its answer, or none is.
type Store interface {
	Tx

	// Update runs fn as one unit of work. Everything fn does through tx
	// reads the unit's own writes, and is durable together when Update
	// returns nil; when fn returns an error (or the commit fails), none of
	// it is and Update returns that error. Units of work are isolated from
	// each other: one never sees another's writes before they commit.
	//
	// fn may run more than once (a store may retry a unit whose shared
	// transaction was lost), and may run on another goroutine, holding the
	// store's writer: it must only use tx (never the Store, which can
	// deadlock), must not keep tx, must be quick (no network calls), and
	// must have no effect outside tx (events, caches) until Update
	// returned nil. A write method of tx that fails leaves nothing of
	// itself behind, so fn may handle its error and go on.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// Ping checks that the store can serve requests (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// Tx is everything a Store reads and writes: the Store itself outside a
// unit of work, and the unit's view of it inside one (Store.Update).
type Tx interface {
	DeviceModelStore // OCPP 2.0.1 device model, charger events, transaction events

	// GetCharger returns the charger with its connectors (ordered by id,
	// resolved: Connector.Resolve).
	GetCharger(ctx context.Context, id string) (Charger, error)
	// ListChargers returns chargers ordered by id, with their connectors.
	ListChargers(ctx context.Context, q ChargerQuery) (Page[Charger], error)
	// SaveCharger inserts or updates the charger's own fields (not its connectors).
	SaveCharger(ctx context.Context, c Charger) error
	// TouchCharger sets the charger's last-seen time, if it exists.
	TouchCharger(ctx context.Context, id string, at time.Time) error
	// SetChargerPresence records that a charger connected (Online, with
	// the OCPP version it speaks) or disconnected, at At, which is also
	// its last-seen time. Like TouchCharger it is presence, not a record
	// a charger was promised: a store may keep it in memory and write it
	// later (sqlite: within two seconds, and at Close; SetAllOffline at
	// start-up covers a crash). Reads return it at once. It never undoes
	// a write of the charger made after At; an unknown charger is ignored.
	SetChargerPresence(ctx context.Context, id string, p ChargerPresence) error
	// SetAllOffline marks every charger offline (at start-up: no connection survives a restart).
	SetAllOffline(ctx context.Context) error
	// SaveConnector inserts or updates one connector of an existing
	// charger: what the charger reported (status, error code, info, vendor
	// error code, Reported) and the operator's fields (EVSEID, Operator);
	// the effective fields are not stored. An EVSEID another connector has
	// is ECONFLICT.
	SaveConnector(ctx context.Context, chargerID string, c Connector) error
	// SaveConnectorStatus records what a charger reported about one of its
	// connectors without reading the charger first: the reported fields
	// (status, error code, info, vendor error code, updated at) are
	// written, the rest (EVSEID, Operator, Reported) kept, and the whole
	// connector returned, resolved. A charger that does not exist is
	// ENOTFOUND.
	SaveConnectorStatus(ctx context.Context, chargerID string, c Connector) (Connector, error)

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
	// NextReceiptNumber returns the next receipt number (1, 2, ...):
	// gapless, since taken inside a unit of work that rolls back it is
	// given back.
	NextReceiptNumber(ctx context.Context) (int64, error)

	// AddMeterSamples stores samples in the meter log and, when s is not
	// nil, overwrites that session, in one write. Samples are kept by
	// meterValue element: consecutive samples with the same session,
	// charger, connector, transaction and timestamp. An element that is
	// already stored exactly (a charger retrying its message) is skipped;
	// one taken at the same timestamp with any other value is kept.
	AddMeterSamples(ctx context.Context, samples []MeterSample, s *Session) error
	// ListMeterSamples returns a session's samples ordered by timestamp, then ID.
	ListMeterSamples(ctx context.Context, q MeterQuery) (Page[MeterSample], error)
	// LastMeterSamples returns the samples of a session's last n meterValue
	// elements (the latest timestamps), ordered by timestamp, then ID.
	LastMeterSamples(ctx context.Context, sessionID string, n int) ([]MeterSample, error)
	// SetSessionLive records an active session's live values, as a meter
	// report left them. Unlike other writes they need not be durable when
	// it returns: a store may keep them in memory and write them with a
	// later commit (sqlite: within two seconds, and at Close), which is
	// what lets a meter report cost one append. Reads return them at once.
	// They never overwrite a session that is no longer active or was
	// written at or after l.UpdatedAt. Inside a unit of work they take
	// effect when the unit commits. Values a crash lost are rebuilt from
	// the meter log (LastMeterSamples) by csms at start-up.
	SetSessionLive(ctx context.Context, l SessionLive) error
	// PurgeMeterSamples deletes the meter samples of sessions that ended
	// (finished or failed, last written) before before, and of samples
	// stored without a session timestamped before it; sessions keep their
	// totals. It works through at most limit sessions per call, oldest
	// first, and returns how many meterValue elements it deleted and
	// whether there are more sessions to do. A session is done once: its
	// samples stay deleted, and a later call does not read it again.
	PurgeMeterSamples(ctx context.Context, before time.Time, limit int) (deleted int, more bool, err error)

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
	SiteStore     // site.go
	WalletStore   // wallet.go: prepaid wallets and saved cards
	TariffStore   // tariffstore.go
	ReportStore   // report.go
	SiteLoadStore // smart.go
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// ChargerQuery selects chargers. Cursor is a NextCursor from an earlier page.
type ChargerQuery struct {
	Admission Admission // "" matches every charger
	SiteID    string    // "" matches every charger
	Cursor    string
	Limit     int // 0 means 100
}

// SessionQuery selects sessions; empty fields match everything.
type SessionQuery struct {
	ChargerID   string
	ConnectorID int // 0 matches every connector
	IDTag       string
	OwnerID     string // "" matches every owner
	SiteID      string // "" matches every site; else sessions of the site's chargers
	Status      []SessionStatus
	// PaymentStatus matches sessions whose payment has one of these
	// statuses (the payment worker's queue: authorized, unpaid).
	PaymentStatus []PaymentStatus
	CreatedFrom   time.Time // created at or after it; zero matches every time
	CreatedBefore time.Time // created strictly before it; zero matches every time
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

// ChargerPresence is what a charger's connection says about it.
type ChargerPresence struct {
	Online      bool
	OCPPVersion string // "" keeps the stored one
	At          time.Time
}
