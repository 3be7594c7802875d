package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// Units of work. Update hands the caller's function to the committer like
// any other write (commit.go): it runs inside its own SAVEPOINT of the
// batch's transaction, on the committer goroutine, and its caller is
// answered after the COMMIT that holds it. The function gets a Store whose
// tx is that transaction, so every method it calls reads what the unit
// wrote so far and writes into the same transaction: the unit commits or
// rolls back as one.

// querier is what reads need: the reader pool, a read transaction or the
// unit's write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// rd returns where reads run: the unit's transaction inside a unit of
// work, else the reader pool.
func (s *Store) rd() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.r
}

// readTx returns a read transaction (one snapshot for several queries) and
// the function that ends it; inside a unit of work, the unit's transaction.
func (s *Store) readTx(ctx context.Context) (querier, func(), error) {
	if s.tx != nil {
		return s.tx, func() {}, nil
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return tx, func() { _ = tx.Rollback() }, nil
}

// nested runs fn on the unit's transaction inside a SAVEPOINT of its own:
// a write method that fails midway leaves nothing of itself behind, and
// the unit's function decides whether the whole unit fails.
func (s *Store) nested(fn func(tx *sql.Tx) error) error {
	bg := context.Background()
	if _, err := s.tx.ExecContext(bg, "SAVEPOINT u"); err != nil {
		return err
	}
	mark, umark := s.gc.mb.mark(), s.unit.mark()
	ferr := fn(s.tx)
	if ferr != nil {
		s.unit.undo(umark)
		if _, err := s.tx.ExecContext(bg, "ROLLBACK TO u"); err != nil {
			return fmt.Errorf("%w (and rolling back: %w)", ferr, err)
		}
		if err := s.gc.mb.undo(mark); err != nil {
			return fmt.Errorf("%w (and rolling back the meter log: %w)", ferr, err)
		}
	}
	if _, err := s.tx.ExecContext(bg, "RELEASE u"); err != nil && ferr == nil {
		return err
	}
	return ferr
}

// Update runs fn as one unit of work: everything fn writes through tx is
// durable together when Update returns nil, and none of it is when fn (or
// the commit) fails. fn runs on the store's committer goroutine, shared
// with other writers' work in one group commit, so it must be quick, use
// only tx (never the Store it came from, which would deadlock), and may
// run more than once if the shared transaction is lost before the unit's
// outcome is final: it must not have effects outside tx until Update
// returns. Inside a unit, Update nests (a savepoint).
func (s *Store) Update(ctx context.Context, fn func(tx charging.Tx) error) error {
	if fn == nil {
		return nil
	}
	if s.tx != nil {
		return s.nested(func(*sql.Tx) error { return fn(s) })
	}
	return s.gc.do(ctx, func(tx *sql.Tx) error {
		u := &Store{core: s.core, tx: tx, unit: &unitState{}} // afresh if fn runs again
		if err := fn(u); err != nil {
			return err
		}
		// Its effects outside SQL go with the batch's COMMIT (commit.go).
		s.gc.staged = append(s.gc.staged, u.unit)
		return nil
	})
}

// unitState is what a unit of work does outside SQL and the meter log,
// applied when it committed: live values and last-seen times. Its marks
// mirror the unit's savepoints, so a nested unit that fails takes its part
// back.
type unitState struct {
	lives     []charging.SessionLive
	presences []chargerPresence // TouchCharger, SetChargerPresence
}

type chargerPresence struct {
	id string
	p  presence
}

type unitMark struct{ lives, presences int }

func (u *unitState) mark() unitMark {
	if u == nil {
		return unitMark{}
	}
	return unitMark{lives: len(u.lives), presences: len(u.presences)}
}

func (u *unitState) undo(m unitMark) {
	if u == nil {
		return
	}
	u.lives, u.presences = u.lives[:m.lives], u.presences[:m.presences]
}
