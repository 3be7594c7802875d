// Package sqlite implements charging.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go, no cgo). It is Joule's default store; the
// postgres package implements the same interface, and both pass
// chargingtest.StoreSuite.
//
// It imports charging and the standard library (plus the driver), never
// another adapter (postgres, httpapi, gateway, ...).
//
// # Durability
//
// A nil error from a write means the data is on disk: csms acknowledges an
// OCPP message only after that (persist before acknowledge). The database
// runs in WAL mode with synchronous=FULL, so every commit fsyncs the WAL.
// synchronous=NORMAL would be faster but only survives a crash of the
// process, not a power loss or kernel panic: the last transactions before
// the loss could vanish after the charger was told they were stored, and it
// would never send them again.
//
// # Connections
//
// SQLite allows one writer at a time. Rather than let several connections
// race for the write lock and spin in busy_timeout, the Store has two pools:
//
//   - a writer pool of exactly one connection (SetMaxOpenConns(1)). Writers
//     queue in database/sql for that connection, honouring their context,
//     and its transactions start with BEGIN IMMEDIATE (_txlock=immediate),
//     so a transaction never has to upgrade a read lock to a write lock
//     (which fails with SQLITE_BUSY instead of waiting);
//   - a reader pool of several query_only connections. In WAL mode readers
//     see the last committed snapshot and neither block nor are blocked by
//     the writer. A read that follows a successful write sees it.
//
// busy_timeout (5s) still matters for locks held by another process, such
// as a backup tool or `joule migrate` next to a running server.
//
// ":memory:" databases are private to their connection, so with that path
// both pools are the same single connection.
//
// # Write path and group commit
//
// Every mutation runs through Store.write, which hands the caller's
// function to the Store's committer goroutine (commit.go, stopped by
// Close) and waits. The committer takes everything queued (up to 512
// calls), runs each function inside its own SAVEPOINT of one BEGIN
// IMMEDIATE transaction, commits once (one WAL fsync) and then answers each
// caller with its own result: a function that fails (an ECONFLICT, say) is
// rolled back to its savepoint and only its caller sees the error. A nil
// error still means durable, but under load one fsync is shared by every
// write of the batch instead of capping the node at one transaction per
// fsync (0.6 to 2 ms on the development VM). A caller whose context ends
// while its function is still queued gets the context's error and the
// function never runs. Close runs what is queued before closing. Stats and
// WithBatchHook report batch sizes.
//
// Last-seen times (TouchCharger, every Heartbeat) are presence, not records
// a charger was promised: they are kept in memory, visible at once to
// GetCharger and ListChargers, and written with the next batch (every two
// seconds at the latest, and at Close), so a heartbeat costs no fsync.
//
// Hot statements are prepared once: the meter path's writes at Open on the
// writer connection, frequent reads lazily per reader connection
// (prepared.go).
//
// # Units of work
//
// Update (unit.go) runs a use case's function as one write of the group
// commit: the function gets a Store whose reads and writes all run on the
// batch's transaction, each write method in a savepoint of its own, and
// the whole unit in the savepoint the committer gives every write. So a
// MeterValues or StopTransaction message is one atomic write however many
// tables it touches, and the charger is answered after the COMMIT.
//
// # Meter log and live values
//
// Samples are a log of meterValue elements (meter.go, meterpack.go): one
// row per element, its samples packed into a BLOB, appended in rowid
// order, deduplicated by the element's identity (session, timestamp and a
// digest of the charger, connector, transaction and every sample). A
// session's live values (SetSessionLive) are kept in memory, read back at
// once and written with the timed flush (like last-seen times), at most
// once per session per flush; csms rebuilds them from the log after a
// crash.
//
// # Schema and migrations
//
// migrations/NNNN_name.sql are embedded and applied by Open in version
// order, each in its own transaction with its row in schema_migrations.
// Open refuses a database that records a migration this binary does not
// know (written by a newer Joule). WithMigrate(false), Migrate and
// MigrationStatus serve `joule migrate status|up`.
//
// Tables are STRICT. Times are INTEGER unix microseconds and come back as
// UTC time.Time values; sub-microsecond precision is dropped, as PostgreSQL
// does. Nullable domain fields (*time.Time, *float64) are NULL columns;
// Session.Flags is a JSON array in a TEXT column (NULL when empty), as is
// Site.OpeningTimes (read and written whole, never queried); a tariff is
// JSON in tariffs.tariff, and the driver groups' tariff overrides of a
// site, charger or connector a JSON object in group_tariffs (NULL when
// none), which DeleteTariff searches with json_each. A connector's
// effective type and power are not stored: scanConnector resolves them
// from the operator's and the reported columns (charging.Connector.Resolve).
//
// Rules are enforced by the schema, not by read-then-write checks:
//
//   - one open (pending or active) session per connector > 0: a partial
//     UNIQUE index on sessions (charger_id, connector_id);
//   - unique non-empty idempotency keys: a partial UNIQUE index;
//   - a repeated meterValue element (a charger retrying MeterValues) is
//     skipped by ON CONFLICT DO NOTHING on its identity. That is narrower
//     than INSERT OR IGNORE, which would also swallow NOT NULL and CHECK
//     failures;
//   - a new session or reservation names an existing charger: a trigger
//     (migration 0011), not a foreign key, because sessions and
//     reservations are history that outlives a deleted charger
//     (DeleteCharger); what is only a charger's own (connectors, device
//     model, configuration, ...) goes with it;
//   - an EVSE id is one connector's: a partial UNIQUE index on
//     connectors (evse_id) (migration 0014);
//   - a charger's site exists, and a site with chargers is not deleted: a
//     foreign key chargers.site_id without ON DELETE action (DeleteSite
//     counts the chargers first, to say how many).
//
// One rule is a read-then-write check, which the single writer makes safe:
// a tariff assigned anywhere is not deleted (DeleteTariff looks for it in
// the transaction that deletes; the overrides are JSON, which no foreign
// key can reference).
//
// Violations become *charging.Error values with code ECONFLICT (or
// ENOTFOUND for a missing charger) and a message that says which rule was
// broken.
//
// Charger password hashes are columns of chargers written only by
// SetCredentials: SaveCharger never touches them and GetCharger never
// returns them (only whether a new password is pending).
//
// Id tags compare case-insensitively (COLLATE NOCASE), because OCPP 1.6
// defines IdToken as a CiString20Type.
//
// Lists use keyset pagination: the cursor is base64url-encoded JSON of the
// last item's sort key, opaque to clients, and a bad one is EINVALID.
package sqlite
