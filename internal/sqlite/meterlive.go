package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// updateSessionIfSQL is updateSessionSQL guarded by the whole row the
// caller last wrote: its arguments are sessionArgs of the new session
// with the id moved last, then sessionArgs of the previous one without
// its id. IS compares NULLs as equal.
var updateSessionIfSQL = func() string {
	cols := strings.Split(sessionColumns, ",")[1:] // without id
	guard := make([]string, len(cols))
	for i, c := range cols {
		guard[i] = strings.TrimSpace(c) + " IS ?"
	}
	return updateSessionSQL + " AND " + strings.Join(guard, " AND ")
}()

// AddMeterSamplesIfUnchanged is AddMeterSamples for a caller that holds
// the session in memory instead of reading it first (csms's hot meter
// path): sess is written only if the stored session is still exactly prev
// (as the caller last wrote or read it). If anyone changed or removed the
// session since, nothing is written and the error is an ECONFLICT: the
// caller reads the session again and retries with AddMeterSamples.
func (s *Store) AddMeterSamplesIfUnchanged(ctx context.Context, samples []charging.MeterSample, sess, prev *charging.Session) error {
	if sess == nil || prev == nil || prev.ID != sess.ID {
		return fmt.Errorf("sqlite: add meter samples: %w", charging.Errorf(charging.EINVALID, "guarded write needs the session and its previous state"))
	}
	if s.insertSample == nil || s.updateSessionIf == nil {
		return fmt.Errorf("sqlite: add meter samples: %w", errNotMigrated)
	}
	args, err := sessionArgs(sess)
	if err != nil {
		return fmt.Errorf("sqlite: add meter samples: session %s: %w", sess.ID, err)
	}
	old, err := sessionArgs(prev)
	if err != nil {
		return fmt.Errorf("sqlite: add meter samples: session %s: %w", sess.ID, err)
	}
	args = append(append(args[1:], sess.ID), old[1:]...)
	return s.write(ctx, "add meter samples", func(tx *sql.Tx) error {
		// The guard first: a stale session costs no inserts.
		res, err := tx.StmtContext(ctx, s.updateSessionIf).ExecContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("session %s: %w", sess.ID, sessionConflict(err, sess))
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ECONFLICT, "session %s changed since it was read", sess.ID)
		}
		ins := tx.StmtContext(ctx, s.insertSample)
		for i := range samples {
			m := &samples[i]
			if _, err := ins.ExecContext(ctx, m.SessionID, m.ChargerID, m.ConnectorID, m.TransactionID, toMicro(m.Timestamp),
				m.Measurand, m.Phase, m.Location, m.Context, m.Format, m.Unit, m.Value, m.Raw); err != nil {
				return fmt.Errorf("sample %d: %w", i, err)
			}
		}
		return nil
	})
}
