// Package postgres is the PostgreSQL implementation of charging.Store, for
// Joule's scale-out mode: several nodes share one database. It passes the
// same chargingtest.StoreSuite as the embedded SQLite store.
//
// # Units of work
//
// Store.Update runs its function in one SERIALIZABLE transaction. When
// PostgreSQL reports a serialization failure or a deadlock, the whole
// transaction is rolled back and the function runs again (the Store
// contract allows it), so a read-check-write inside a unit can never be
// overwritten by another node's concurrent unit. A write method called
// inside a unit runs in a SAVEPOINT of its own, so that a failing write
// leaves nothing of itself behind and the unit's function may go on.
// Outside a unit, a method that writes once is one autocommitted
// statement; a method that writes more than once runs as a unit of its own.
//
// Durability is PostgreSQL's: a unit is durable when its COMMIT returns
// (synchronous_commit is left as the server has it; Joule's guarantees
// assume on). PostgreSQL groups concurrent commits into one WAL flush by
// itself, so the store does not batch units the way the SQLite store's
// committer does.
//
// # Times and migrations
//
// Times are timestamptz (microseconds, as the SQLite store keeps them) and
// returned in UTC. The schema is migrations/NNNN_name.sql, embedded and
// applied in order under an advisory lock, so several nodes starting at
// once migrate exactly once.
package postgres
