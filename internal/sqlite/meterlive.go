package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// liveColumns are the session columns a meter report changes, by their
// index in sessionColumns (and sessionArgs).
var liveColumns = []int{8, 13, 14, 15, 16, 17} // updated_at, energy_wh, power_w, current_a, voltage_v, soc_percent

// updateSessionIfSQL writes only the live columns, guarded by the whole
// row the caller last wrote: its arguments are the live columns' values
// of the new session, its id, then sessionArgs of the previous one without
// its id. IS compares NULLs as equal. owner_id (not in sessionColumns) is
// neither written nor compared: the store may have filled it from the id
// tag after the caller's copy was made, which is no reason to refuse the
// live values, and the guard's write cannot change it.
var updateSessionIfSQL = func() string {
	cols := strings.Split(sessionColumns, ",")
	set := make([]string, len(liveColumns))
	for i, c := range liveColumns {
		set[i] = strings.TrimSpace(cols[c]) + " = ?"
	}
	guard := make([]string, len(cols)-1)
	for i, c := range cols[1:] { // without id
		guard[i] = strings.TrimSpace(c) + " IS ?"
	}
	return "UPDATE sessions SET " + strings.Join(set, ", ") + " WHERE id = ? AND " + strings.Join(guard, " AND ")
}()

// AddMeterSamplesIfUnchanged is AddMeterSamples for a caller that holds
// the session in memory instead of reading it first (csms's hot meter
// path): sess is written only if the stored session is still exactly prev
// (as the caller last wrote or read it). If anyone changed or removed the
// session since, nothing is written and the error is an ECONFLICT: the
// caller reads the session again and retries with AddMeterSamples.
// Only the live values (energy, power, current, voltage, SoC, updated at)
// may differ between sess and prev: anything else is an EINVALID.
func (s *Store) AddMeterSamplesIfUnchanged(ctx context.Context, samples []charging.MeterSample, sess, prev *charging.Session) error {
	if sess == nil || prev == nil || prev.ID != sess.ID {
		return fmt.Errorf("sqlite: add meter samples: %w", charging.Errorf(charging.EINVALID, "guarded write needs the session and its previous state"))
	}
	if sess.OwnerID != prev.OwnerID {
		return fmt.Errorf("sqlite: add meter samples: %w", charging.Errorf(charging.EINVALID,
			"guarded write of session %s changes more than its live values", sess.ID))
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
	live := 0
	for i := range args {
		if live < len(liveColumns) && liveColumns[live] == i {
			args[live] = args[i]
			live++
		} else if args[i] != old[i] {
			return fmt.Errorf("sqlite: add meter samples: %w", charging.Errorf(charging.EINVALID,
				"guarded write of session %s changes more than its live values", sess.ID))
		}
	}
	args = append(append(args[:live], sess.ID), old[1:]...)
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
		return s.insertSamples(ctx, tx, samples)
	})
}
