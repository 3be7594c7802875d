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
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// readStmt returns the statement for query on the reader pool.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if s.r == s.w {
		return nil, errNoCache // ":memory:": one connection, maybe held by the committer
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
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

// txQueryRow is queryRow inside a read transaction from readTx.
func (s *Store) txQueryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	tx, ok := q.(*sql.Tx)
	if !ok || tx == s.tx {
		return q.QueryRowContext(ctx, query, args...)
	}
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return tx.QueryRowContext(ctx, query, args...)
	}
	return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
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
