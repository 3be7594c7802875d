package postgres

// Helpers of the station-management methods (command log, reservations,
// profiles, configuration, local lists, firmware).

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/joule-ev/joule/internal/charging"
)

// opsConstraint returns the constraint a PostgreSQL error names ("" for
// none or another error).
func opsConstraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

// opsMissingCharger maps the foreign key violation of a write to a table
// that references chargers to ENOTFOUND naming the charger; other errors
// are returned as they are.
func opsMissingCharger(err error, chargerID string) error {
	if isCode(err, codeForeignKeyViolation) {
		return fmt.Errorf("%w: %w", charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID), err)
	}
	return err
}

// opsExec runs a method's single write statement. Outside a unit of work
// it is one autocommitted statement on the pool. Inside one it runs in a
// savepoint of its own, so that a statement that fails (a conflict, a
// missing charger) leaves the unit's transaction usable and nothing of
// itself behind: SAVEPOINT, the statement and RELEASE go in one round
// trip, and only a failure costs a second one (ROLLBACK TO SAVEPOINT).
// The error is the driver's, for the caller to map.
func (s *Store) opsExec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if s.tx == nil {
		return s.pool.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT ops_write`)
	b.Queue(sql, args...)
	b.Queue(`RELEASE SAVEPOINT ops_write`)
	br := s.tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return pgconn.CommandTag{}, err // no savepoint: the unit's transaction was failed already
	}
	tag, err := br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The statement failed, so the RELEASE was skipped: undo the
		// statement, and leave no savepoint behind.
		rctx := context.WithoutCancel(ctx)
		if _, rerr := s.tx.Exec(rctx, `ROLLBACK TO SAVEPOINT ops_write`); rerr != nil {
			return pgconn.CommandTag{}, fmt.Errorf("%w (and rolling back to its savepoint: %v)", err, rerr)
		}
		if _, rerr := s.tx.Exec(rctx, `RELEASE SAVEPOINT ops_write`); rerr != nil {
			return pgconn.CommandTag{}, fmt.Errorf("%w (and releasing its savepoint: %v)", err, rerr)
		}
		return pgconn.CommandTag{}, err
	}
	return tag, nil
}
