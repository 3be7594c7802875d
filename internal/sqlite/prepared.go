package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps statements prepared on the reader pool, by SQL text, so
// that a hot read is parsed once per connection instead of on every call
// (SQLite's parser was 14% of the meter path's CPU). database/sql prepares
// a Stmt lazily on each pooled connection it runs on and keeps it there.
//
// Only the reader pool is cached lazily: preparing on the single writer
// connection would wait for the connection the committer holds. Writer
// statements are prepared once at Open (see Store.prepare).
//
// Preparing takes a connection of the reader pool, so it is never done
// with mu held, nor inside a read transaction (txQueryRow): a transaction
// already holds a connection, and with every connection held by one that
// waits for another (or for mu, held by a caller who waits for one), none
// comes back until contexts end. After a restart, when every charger
// reconnects at once and Admit reads each one's charger, that stalled the
// node for seconds (found by internal/crashtest).
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt // guarded by mu
}

// get returns the cached statement for query, or nil.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// put caches st for query and returns it, unless another caller cached
// one first: then st is closed and theirs returned.
func (c *stmtCache) put(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	old, ok := c.m[query]
	if !ok {
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[query] = st
	}
	c.mu.Unlock()
	if ok {
		st.Close()
		return old
	}
	return st
}

// readStmt returns the statement for query on the reader pool, preparing
// it on first use. The caller must not hold a reader connection (be in a
// read transaction): preparing waits for one.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := s.stmts.get(query); st != nil {
		return st, nil
	}
	if s.r == s.w {
		return nil, errNoCache // ":memory:": one connection, maybe held by the committer
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.stmts.put(query, st), nil
}

var errNoCache = errors.New("no statement cache")

// unitReadSQL are the reads that units of work run on every inbound
// message (a MeterValues finds its session by transaction id). They are
// prepared on the writer connection at Open, while nobody holds it: a unit
// runs on that connection, inside the committer's transaction, where a
// statement cannot be prepared lazily for later units.
var unitReadSQL = []string{
	getSessionSQL + sessionByTransaction,
}

// readSQL are the reads run inside read transactions (txQueryRow), which
// may not prepare statements themselves: they are prepared on the reader
// pool at Open.
var readSQL = []string{
	getChargerSQL,
}

// queryRow runs a one-row read through the statement cache.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.tx != nil {
		if st := s.unitReads[query]; st != nil {
			// Reused on the writer connection the unit runs on, not prepared again.
			return s.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
		}
		return s.tx.QueryRowContext(ctx, query, args...)
	}
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return s.rd().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a many-row read through the statement cache (outside a unit
// of work; inside one, on the unit's transaction).
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.tx != nil {
		return s.tx.QueryContext(ctx, query, args...)
	}
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return s.rd().QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// txQueryRow is queryRow inside a read transaction from readTx. It uses a
// cached statement (readSQL are prepared at Open) but never prepares one:
// the transaction holds a reader connection already (see stmtCache).
func (s *Store) txQueryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	tx, ok := q.(*sql.Tx)
	if !ok || tx == s.tx {
		return q.QueryRowContext(ctx, query, args...)
	}
	if st := s.stmts.get(query); st != nil {
		// Prepared again, if need be, on the transaction's own connection.
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	c.m = nil
	return errors.Join(errs...)
}
