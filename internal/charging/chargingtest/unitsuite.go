package chargingtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Units of work (charging.Store.Update) and the meter log (AddMeterSamples,
// ListMeterSamples, LastMeterSamples, SetSessionLive, PurgeMeterSamples).
//
// A unit's function may run on another goroutine, holding the store's
// writer: it must never call t.Fatal (runtime.Goexit on that goroutine) nor
// the Store itself. The functions below only use their tx and report what
// they find wrong by returning an error, which fails the unit and the test.

// errUnit is what the units of work of these tests fail with on purpose.
var errUnit = errors.New("unit of work failed on purpose")

// updater is a Tx that runs a nested unit of work (Update inside a unit).
type updater interface {
	Update(ctx context.Context, fn func(tx charging.Tx) error) error
}

// expectCode returns an error unless err has the code; for use inside a
// unit's function, where t.Fatal must not be called.
func expectCode(err error, code, what string) error {
	if got := charging.ErrorCode(err); got != code {
		return fmt.Errorf("%s: error code = %q (err %v), want %q", what, got, err, code)
	}
	return nil
}

// expectSession returns an error unless tx reads the session as want.
func expectSession(ctx context.Context, tx charging.Tx, want charging.Session, what string) error {
	got, err := tx.GetSession(ctx, want.ID)
	if err != nil {
		return fmt.Errorf("%s: GetSession %s: %w", what, want.ID, err)
	}
	if g, w := normSession(got), normSession(want); !sameValue(g, w) {
		return fmt.Errorf("%s: GetSession %s\ngot  %s\nwant %s", what, want.ID, show(g), show(w))
	}
	return nil
}

func sameValue[T any](a, b T) bool { return show(a) == show(b) }

// normReservation returns r as a store should return it.
func normReservation(r charging.Reservation) charging.Reservation {
	r.ExpiresAt, r.CreatedAt, r.UpdatedAt = utc(r.ExpiresAt), utc(r.CreatedAt), utc(r.UpdatedAt)
	return r
}

func normTxEvent(r charging.TransactionEventRecord) charging.TransactionEventRecord {
	r.Timestamp, r.ReceivedAt = utc(r.Timestamp), utc(r.ReceivedAt)
	return r
}

func normSamples(ms []charging.MeterSample) []charging.MeterSample {
	out := []charging.MeterSample{}
	for _, m := range ms {
		out = append(out, normSample(m))
	}
	return out
}

// element returns the n samples of one meterValue element of session S-1
// (transaction "1") taken at at(ts), measurands M0..Mn-1, all of value v.
func element(ts time.Duration, n int, v float64) []charging.MeterSample {
	var ms []charging.MeterSample
	for k := range n {
		ms = append(ms, sample("S-1", "1", at(ts), fmt.Sprintf("M%d", k), v))
	}
	return ms
}

// txEvent is a transaction event of charger CP-1.
func txEvent(txID string, seq int, sessionID string) charging.TransactionEventRecord {
	return charging.TransactionEventRecord{ChargerID: "CP-1", TransactionID: txID, SeqNo: seq, EventType: "Started",
		Timestamp: at(time.Duration(seq) * time.Second), TriggerReason: "Authorized", SessionID: sessionID, ReceivedAt: at(time.Minute)}
}

// testUpdateCommit checks that writes of different kinds in one unit are
// all durable when Update returns nil.
func testUpdateCommit(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	must(t, s.SaveConnector(ctx, "CP-1", connector(1, charging.StatusAvailable)), "SaveConnector")

	sess := session("S-1", "CP-1", 1, charging.SessionActive)
	sess.TransactionID = "1"
	ms := append(element(time.Minute, 2, 1000), element(2*time.Minute, 1, 1100)...)
	ev := txEvent("1", 0, "S-1")
	var res charging.Reservation
	var txID int64
	err := s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		upd := sess
		upd.EnergyWh, upd.PowerW, upd.UpdatedAt = 100, 7000, at(2*time.Minute)
		if err := tx.AddMeterSamples(ctx, ms, &upd); err != nil {
			return err
		}
		id, err := tx.NextReservationID(ctx)
		if err != nil {
			return err
		}
		res = charging.Reservation{ID: id, ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG-1", ExpiresAt: at(time.Hour),
			Status: charging.ReservationActive, ChargerAnswer: "Accepted", CreatedAt: at(0), UpdatedAt: at(0)}
		if err := tx.CreateReservation(ctx, res); err != nil {
			return err
		}
		if err := tx.AddTransactionEvent(ctx, ev); err != nil {
			return err
		}
		if err := tx.SaveConnector(ctx, "CP-1", connector(1, charging.StatusCharging)); err != nil {
			return err
		}
		txID, err = tx.NextTransactionID(ctx)
		return err
	})
	must(t, err, "Update")

	want := sess
	want.EnergyWh, want.PowerW, want.UpdatedAt = 100, 7000, at(2*time.Minute)
	got, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after the unit")
	checkEqual(t, "session after the unit", normSession(got), normSession(want))
	checkEqual(t, "samples after the unit", stripIDs(t, listSamples(t, s, "S-1", 0)), normSamples(ms))
	gotRes, err := s.GetReservation(ctx, res.ID)
	must(t, err, "GetReservation after the unit")
	checkEqual(t, "reservation after the unit", gotRes, normReservation(res))
	evs, err := s.ListTransactionEvents(ctx, "CP-1", "1")
	must(t, err, "ListTransactionEvents after the unit")
	checkEqual(t, "transaction events after the unit", evs, []charging.TransactionEventRecord{normTxEvent(ev)})
	c, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger after the unit")
	if k, ok := c.Connector(1); !ok || k.Status != charging.StatusCharging {
		t.Errorf("connector 1 after the unit = %+v, %v; want Charging", k, ok)
	}
	// The unit's transaction id was used: the next one is another.
	next, err := s.NextTransactionID(ctx)
	must(t, err, "NextTransactionID")
	if next == txID {
		t.Errorf("NextTransactionID = %d, handed out by the unit already", next)
	}
}

// testUpdateReadsOwnWrites checks that a unit reads what it wrote, through
// every kind of read, and that its constraints and dedup see its writes.
func testUpdateReadsOwnWrites(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	sess := session("S-1", "CP-1", 1, charging.SessionActive)
	sess.TransactionID = "1"
	ms := append(element(time.Minute, 2, 1000), element(2*time.Minute, 3, 1100)...)
	ev := txEvent("1", 0, "S-1")
	tag := charging.IDTag{IDTag: "TAG-U", Status: charging.AuthAccepted, CreatedAt: t0, UpdatedAt: t0}
	err := s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := expectSession(ctx, tx, sess, "after CreateSession"); err != nil {
			return err
		}
		if got, err := tx.GetSessionByTransaction(ctx, "CP-1", "1"); err != nil || got.ID != "S-1" {
			return fmt.Errorf("GetSessionByTransaction in the unit = %s, %v; want S-1", got.ID, err)
		}
		page, err := tx.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-1"})
		if err != nil || !slices.Equal(sessionIDs(page), []string{"S-1"}) {
			return fmt.Errorf("ListSessions in the unit = %v, %v; want [S-1]", sessionIDs(page), err)
		}
		// The unit's open session holds the connector for the unit too.
		if err := expectCode(tx.CreateSession(ctx, session("S-2", "CP-1", 1, charging.SessionPending)), charging.ECONFLICT,
			"CreateSession on the connector the unit's session holds"); err != nil {
			return err
		}

		upd := sess
		upd.EnergyWh, upd.UpdatedAt = 100, at(2*time.Minute)
		if err := tx.AddMeterSamples(ctx, ms, &upd); err != nil {
			return err
		}
		if err := expectSession(ctx, tx, upd, "after AddMeterSamples"); err != nil {
			return err
		}
		// A retry within the unit is a duplicate of the unit's own elements.
		if err := tx.AddMeterSamples(ctx, ms, nil); err != nil {
			return err
		}
		mp, err := tx.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-1"})
		if err != nil {
			return err
		}
		if len(mp.Items) != len(ms) || mp.NextCursor != "" {
			return fmt.Errorf("ListMeterSamples in the unit: %d samples (cursor %q), want %d", len(mp.Items), mp.NextCursor, len(ms))
		}
		last, err := tx.LastMeterSamples(ctx, "S-1", 1)
		if err != nil {
			return err
		}
		if len(last) != 3 || !last[0].Timestamp.Equal(at(2*time.Minute)) {
			return fmt.Errorf("LastMeterSamples(1) in the unit: %d samples, want the 3 at +2m", len(last))
		}

		id, err := tx.NextReservationID(ctx)
		if err != nil {
			return err
		}
		res := charging.Reservation{ID: id, ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG-1", ExpiresAt: at(time.Hour),
			Status: charging.ReservationPending, CreatedAt: at(0), UpdatedAt: at(0)}
		if err := tx.CreateReservation(ctx, res); err != nil {
			return err
		}
		if got, err := tx.GetReservation(ctx, id); err != nil || !sameValue(got, normReservation(res)) {
			return fmt.Errorf("GetReservation in the unit = %s, %v; want %s", show(got), err, show(normReservation(res)))
		}
		if err := tx.AddTransactionEvent(ctx, ev); err != nil {
			return err
		}
		if has, err := tx.HasTransactionEvent(ctx, "CP-1", "1", 0); err != nil || !has {
			return fmt.Errorf("HasTransactionEvent in the unit = %v, %v; want true", has, err)
		}
		if err := expectCode(tx.AddTransactionEvent(ctx, ev), charging.ECONFLICT, "AddTransactionEvent again in the unit"); err != nil {
			return err
		}
		if err := tx.SaveIDTag(ctx, tag); err != nil {
			return err
		}
		if got, err := tx.GetIDTag(ctx, "TAG-U"); err != nil || !sameValue(normIDTag(got), normIDTag(tag)) {
			return fmt.Errorf("GetIDTag in the unit = %s, %v", show(got), err)
		}
		if err := tx.SaveConnector(ctx, "CP-1", connector(1, charging.StatusCharging)); err != nil {
			return err
		}
		c, err := tx.GetCharger(ctx, "CP-1")
		if err != nil {
			return err
		}
		if k, ok := c.Connector(1); !ok || k.Status != charging.StatusCharging {
			return fmt.Errorf("GetCharger in the unit: connector 1 = %+v, %v; want Charging", k, ok)
		}
		return nil
	})
	must(t, err, "Update")
	if got := listSamples(t, s, "S-1", 0); len(got) != len(ms) {
		t.Errorf("after the unit: %d samples, want %d (the retry inside the unit skipped)", len(got), len(ms))
	}
	if _, err := s.GetIDTag(ctx, "TAG-U"); err != nil {
		t.Errorf("GetIDTag after the unit: %v", err)
	}
}

// testUpdateRollback checks that none of a unit's writes is durable when
// its function fails, that Update returns the function's error, and that
// nothing of the unit is left behind.
func testUpdateRollback(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	must(t, s.SaveConnector(ctx, "CP-1", connector(1, charging.StatusAvailable)), "SaveConnector")
	old := session("S-0", "CP-1", 2, charging.SessionActive)
	old.TransactionID, old.EnergyWh = "0", 10
	must(t, s.CreateSession(ctx, old), "CreateSession S-0")
	oldSamples := []charging.MeterSample{sample("S-0", "0", at(time.Minute), charging.MeasurandEnergyActiveImportRegister, 10)}
	must(t, s.AddMeterSamples(ctx, oldSamples, nil), "AddMeterSamples S-0")
	before, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")

	sess := session("S-1", "CP-1", 1, charging.SessionActive)
	sess.TransactionID = "1"
	ms := append(element(time.Minute, 2, 1000), element(2*time.Minute, 1, 1100)...)
	ev := txEvent("1", 0, "S-1")
	tag := charging.IDTag{IDTag: "TAG-R", Status: charging.AuthAccepted, CreatedAt: t0, UpdatedAt: t0}
	var res charging.Reservation
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.AddMeterSamples(ctx, ms, nil); err != nil {
			return err
		}
		upd := old
		upd.EnergyWh, upd.UpdatedAt = 999, at(time.Hour)
		more := []charging.MeterSample{sample("S-0", "0", at(2*time.Minute), charging.MeasurandEnergyActiveImportRegister, 999)}
		if err := tx.AddMeterSamples(ctx, more, &upd); err != nil {
			return err
		}
		id, err := tx.NextReservationID(ctx)
		if err != nil {
			return err
		}
		res = charging.Reservation{ID: id, ChargerID: "CP-1", ConnectorID: 3, IDTag: "TAG-1", ExpiresAt: at(time.Hour),
			Status: charging.ReservationPending, CreatedAt: at(0), UpdatedAt: at(0)}
		if err := tx.CreateReservation(ctx, res); err != nil {
			return err
		}
		if err := tx.AddTransactionEvent(ctx, ev); err != nil {
			return err
		}
		if err := tx.SaveConnector(ctx, "CP-1", connector(1, charging.StatusCharging)); err != nil {
			return err
		}
		c := charger("CP-1")
		c.FirmwareVersion = "9.9.9"
		if err := tx.SaveCharger(ctx, c); err != nil {
			return err
		}
		if err := tx.SaveIDTag(ctx, tag); err != nil {
			return err
		}
		if _, err := tx.NextTransactionID(ctx); err != nil {
			return err
		}
		// The unit sees its writes...
		if err := expectSession(ctx, tx, sess, "in the unit"); err != nil {
			return err
		}
		// ...and fails after all of them.
		return fmt.Errorf("handler: %w", errUnit)
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want the function's error (errors.Is %v)", err, errUnit)
	}

	_, err = s.GetSession(ctx, "S-1")
	wantCode(t, err, charging.ENOTFOUND, "GetSession of the rolled-back unit's session")
	got, err := s.GetSession(ctx, "S-0")
	must(t, err, "GetSession S-0")
	checkEqual(t, "session updated by the rolled-back unit", normSession(got), normSession(old))
	if got := listSamples(t, s, "S-1", 0); len(got) != 0 {
		t.Errorf("samples of the rolled-back unit: %d stored, want none", len(got))
	}
	checkEqual(t, "samples of S-0 after the rolled-back unit", stripIDs(t, listSamples(t, s, "S-0", 0)), normSamples(oldSamples))
	_, err = s.GetReservation(ctx, res.ID)
	wantCode(t, err, charging.ENOTFOUND, "GetReservation of the rolled-back unit's reservation")
	has, err := s.HasTransactionEvent(ctx, "CP-1", "1", 0)
	must(t, err, "HasTransactionEvent")
	if has {
		t.Error("the rolled-back unit's transaction event is stored")
	}
	after, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "charger after the rolled-back unit", normCharger(after), normCharger(before))
	_, err = s.GetIDTag(ctx, "TAG-R")
	wantCode(t, err, charging.ENOTFOUND, "GetIDTag of the rolled-back unit's tag")

	// Nothing was left behind: the same writes succeed, and the samples
	// are stored (not skipped as repeats of the rolled-back ones).
	must(t, s.CreateSession(ctx, sess), "CreateSession after the rollback")
	must(t, s.AddMeterSamples(ctx, ms, nil), "AddMeterSamples after the rollback")
	checkEqual(t, "samples stored after the rollback", stripIDs(t, listSamples(t, s, "S-1", 0)), normSamples(ms))
	must(t, s.CreateReservation(ctx, res), "CreateReservation after the rollback")
	must(t, s.AddTransactionEvent(ctx, ev), "AddTransactionEvent after the rollback")

	// A domain error returned by the function is Update's, code and all.
	err = s.Update(ctx, func(tx charging.Tx) error {
		return tx.CreateSession(ctx, session("S-2", "CP-1", 1, charging.SessionPending)) // S-1 holds connector 1
	})
	wantCode(t, err, charging.ECONFLICT, "Update whose function returns CreateSession's conflict")
}

// testUpdateRollbackTouchCharger checks that a last-seen time recorded by
// a unit that failed is not kept.
func testUpdateRollbackTouchCharger(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	before, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.TouchCharger(ctx, "CP-1", at(5*time.Hour)); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	after, err := s.GetCharger(ctx, "CP-1")
	must(t, err, "GetCharger")
	checkEqual(t, "charger after a rolled-back TouchCharger", normCharger(after), normCharger(before))
}

// testUpdateFailedWriteContinues checks that a write method that fails
// inside a unit leaves nothing of itself behind, and that the unit's
// other writes commit when its function handles the error.
func testUpdateFailedWriteContinues(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	s1 := session("S-1", "CP-1", 1, charging.SessionActive)
	s1.TransactionID = "1"
	must(t, s.CreateSession(ctx, s1), "CreateSession S-1")
	pending := session("S-K", "CP-1", 0, charging.SessionPending)
	pending.IdempotencyKey = "K-1"
	must(t, s.CreateSession(ctx, pending), "CreateSession S-K")

	ms := element(time.Minute, 3, 1000)
	s3 := session("S-3", "CP-1", 2, charging.SessionActive)
	s3Samples := []charging.MeterSample{sample("S-3", "3", at(time.Minute), charging.MeasurandSoC, 40)}
	err := s.Update(ctx, func(tx charging.Tx) error {
		// A session on the busy connector: ECONFLICT, and no session.
		err := tx.CreateSession(ctx, session("S-2", "CP-1", 1, charging.SessionActive))
		if err := expectCode(err, charging.ECONFLICT, "CreateSession on a busy connector in a unit"); err != nil {
			return err
		}
		_, err = tx.GetSession(ctx, "S-2")
		if err := expectCode(err, charging.ENOTFOUND, "GetSession of the session that conflicted"); err != nil {
			return err
		}
		// A used idempotency key: ECONFLICT.
		dup := session("S-2", "CP-1", 3, charging.SessionPending)
		dup.IdempotencyKey = "K-1"
		if err := expectCode(tx.CreateSession(ctx, dup), charging.ECONFLICT, "CreateSession with a used key in a unit"); err != nil {
			return err
		}
		// Samples with a session update that conflicts: the samples, the
		// first part of the write, are undone with it.
		busy := pending
		busy.ConnectorID, busy.Status = 1, charging.SessionActive
		if err := expectCode(tx.AddMeterSamples(ctx, ms, &busy), charging.ECONFLICT, "AddMeterSamples with a conflicting session in a unit"); err != nil {
			return err
		}
		if p, err := tx.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-1"}); err != nil || len(p.Items) != 0 {
			return fmt.Errorf("after a failed AddMeterSamples in a unit: %d samples (err %v), want 0", len(p.Items), err)
		}
		if err := expectSession(ctx, tx, pending, "after a failed AddMeterSamples in a unit"); err != nil {
			return err
		}
		// An update of a missing session: ENOTFOUND.
		if err := expectCode(tx.UpdateSession(ctx, session("nope", "CP-1", 4, charging.SessionActive)), charging.ENOTFOUND,
			"UpdateSession of a missing session in a unit"); err != nil {
			return err
		}
		// The unit goes on.
		if err := tx.CreateSession(ctx, s3); err != nil {
			return err
		}
		if err := tx.AddMeterSamples(ctx, ms, nil); err != nil {
			return err // not a duplicate: the failed call left nothing
		}
		return tx.AddMeterSamples(ctx, s3Samples, nil)
	})
	must(t, err, "Update that handled its failed writes")

	_, err = s.GetSession(ctx, "S-2")
	wantCode(t, err, charging.ENOTFOUND, "GetSession of the session that conflicted")
	got, err := s.GetSession(ctx, "S-3")
	must(t, err, "GetSession S-3")
	checkEqual(t, "session created after the failed writes", normSession(got), normSession(s3))
	got, err = s.GetSession(ctx, "S-K")
	must(t, err, "GetSession S-K")
	checkEqual(t, "session of the failed AddMeterSamples", normSession(got), normSession(pending))
	checkEqual(t, "samples of S-1", stripIDs(t, listSamples(t, s, "S-1", 0)), normSamples(ms))
	checkEqual(t, "samples of S-3", stripIDs(t, listSamples(t, s, "S-3", 0)), normSamples(s3Samples))
}

// testUpdateNested checks Update inside a unit: a nested unit that fails
// is undone alone, and the outer unit goes on and commits.
func testUpdateNested(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	nests := true
	err := s.Update(ctx, func(tx charging.Tx) error {
		u, ok := tx.(updater)
		if !ok {
			nests = false
			return nil
		}
		if err := tx.CreateSession(ctx, session("S-1", "CP-1", 1, charging.SessionActive)); err != nil {
			return err
		}
		err := u.Update(ctx, func(tx charging.Tx) error {
			if err := tx.CreateSession(ctx, session("S-2", "CP-1", 2, charging.SessionActive)); err != nil {
				return err
			}
			if err := tx.AddMeterSamples(ctx, element(time.Minute, 2, 5), nil); err != nil {
				return err
			}
			// The nested unit sees the outer one's writes.
			if err := expectSession(ctx, tx, session("S-1", "CP-1", 1, charging.SessionActive), "outer session in the nested unit"); err != nil {
				return err
			}
			return errUnit
		})
		if !errors.Is(err, errUnit) {
			return fmt.Errorf("nested Update = %v, want %v", err, errUnit)
		}
		if _, err := tx.GetSession(ctx, "S-2"); charging.ErrorCode(err) != charging.ENOTFOUND {
			return fmt.Errorf("after the nested unit failed: GetSession S-2 = %v, want ENOTFOUND", err)
		}
		if p, err := tx.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-1"}); err != nil || len(p.Items) != 0 {
			return fmt.Errorf("after the nested unit failed: %d samples (err %v), want 0", len(p.Items), err)
		}
		// S-2's connector is free again.
		if err := tx.CreateSession(ctx, session("S-3", "CP-1", 2, charging.SessionActive)); err != nil {
			return err
		}
		return u.Update(ctx, func(tx charging.Tx) error {
			return tx.AddMeterSamples(ctx, element(2*time.Minute, 1, 6), nil)
		})
	})
	if !nests {
		t.Skip("the store's Tx does not run nested units of work")
	}
	must(t, err, "outer Update")
	for _, id := range []string{"S-1", "S-3"} {
		_, err := s.GetSession(ctx, id)
		must(t, err, "GetSession "+id+" of the outer unit")
	}
	_, err = s.GetSession(ctx, "S-2")
	wantCode(t, err, charging.ENOTFOUND, "GetSession S-2 of the nested unit that failed")
	checkEqual(t, "samples after the nested units", stripIDs(t, listSamples(t, s, "S-1", 0)), normSamples(element(2*time.Minute, 1, 6)))

	// A nested unit that committed is undone with the outer unit.
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.(updater).Update(ctx, func(tx charging.Tx) error {
			return tx.CreateSession(ctx, session("S-4", "CP-1", 3, charging.SessionActive))
		}); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	_, err = s.GetSession(ctx, "S-4")
	wantCode(t, err, charging.ENOTFOUND, "GetSession of a nested unit whose outer unit failed")
}

// testUpdateConcurrent runs units of work concurrently, half of which
// fail, while other goroutines read: each unit's result is complete and
// its own, the failed ones leave nothing, no reader ever sees a unit's
// writes before it commits, and transaction ids handed out to committed
// units are distinct.
func testUpdateConcurrent(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const n, perUnit = 16, 3
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("CU-%02d", i)
	}
	saveChargers(t, s, ids...)
	samplesOf := func(i int, txID string) []charging.MeterSample {
		var ms []charging.MeterSample
		for k := range perUnit {
			m := sample("S-"+ids[i], txID, at(time.Minute), fmt.Sprintf("M%d", k), float64(i*100+k))
			m.ChargerID = ids[i]
			ms = append(ms, m)
		}
		return ms
	}
	liveOf := func(i int) charging.SessionLive {
		return charging.SessionLive{SessionID: "S-" + ids[i], UpdatedAt: at(2 * time.Minute), EnergyWh: float64(i) + 0.5, PowerW: float64(i)}
	}

	txIDs := make([]int64, n)
	errs := make([]error, n)
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				for i, id := range ids {
					got, err := s.GetSession(ctx, "S-"+id)
					if charging.ErrorCode(err) == charging.ENOTFOUND {
						continue
					}
					if err != nil {
						t.Errorf("reader: GetSession S-%s: %v", id, err)
						return
					}
					if i%2 == 1 {
						t.Errorf("reader: session S-%s of a unit that failed is visible", id)
						return
					}
					if got.Status != charging.SessionActive || got.TransactionID == "" {
						t.Errorf("reader: session S-%s visible before its unit committed: %s", id, show(got))
						return
					}
					p, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-" + id})
					if err != nil || len(p.Items) != perUnit {
						t.Errorf("reader: session S-%s committed with %d samples (err %v), want %d", id, len(p.Items), err, perUnit)
						return
					}
				}
			}
		})
	}

	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var txID int64
			errs[i] = s.Update(ctx, func(tx charging.Tx) error {
				sess := session("S-"+ids[i], ids[i], 1, charging.SessionPending)
				if err := tx.CreateSession(ctx, sess); err != nil {
					return err
				}
				var err error
				if txID, err = tx.NextTransactionID(ctx); err != nil {
					return err
				}
				sess.Status, sess.TransactionID = charging.SessionActive, strconv.FormatInt(txID, 10)
				sess.EnergyWh, sess.UpdatedAt = float64(i), at(time.Minute)
				if err := tx.AddMeterSamples(ctx, samplesOf(i, sess.TransactionID), &sess); err != nil {
					return err
				}
				if err := tx.SetSessionLive(ctx, liveOf(i)); err != nil {
					return err
				}
				// A unit that failed never shows, not even to another unit.
				for j := 1; j < n; j += 2 {
					if j == i {
						continue
					}
					if _, err := tx.GetSession(ctx, "S-"+ids[j]); charging.ErrorCode(err) != charging.ENOTFOUND {
						return fmt.Errorf("unit %d: session S-%s of a failed unit: GetSession = %v, want ENOTFOUND", i, ids[j], err)
					}
				}
				if i%2 == 1 {
					return fmt.Errorf("unit %d: %w", i, errUnit)
				}
				return nil
			})
			txIDs[i] = txID // the last run's: the one that committed
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()

	used := map[int64]int{}
	for i, id := range ids {
		sid := "S-" + id
		if i%2 == 1 {
			if !errors.Is(errs[i], errUnit) {
				t.Errorf("unit %d: Update = %v, want %v", i, errs[i], errUnit)
			}
			_, err := s.GetSession(ctx, sid)
			wantCode(t, err, charging.ENOTFOUND, "GetSession "+sid+" of a failed unit")
			if got := listSamples(t, s, sid, 0); len(got) != 0 {
				t.Errorf("failed unit %d: %d samples stored", i, len(got))
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("unit %d: Update: %v", i, errs[i])
			continue
		}
		if j, ok := used[txIDs[i]]; ok {
			t.Errorf("units %d and %d both committed transaction id %d", j, i, txIDs[i])
		}
		used[txIDs[i]] = i
		txID := strconv.FormatInt(txIDs[i], 10)
		want := session(sid, id, 1, charging.SessionActive)
		want.TransactionID, want.EnergyWh, want.UpdatedAt = txID, float64(i), at(time.Minute)
		want = withLive(want, liveOf(i))
		got, err := s.GetSession(ctx, sid)
		must(t, err, "GetSession "+sid)
		checkEqual(t, "session of unit "+strconv.Itoa(i), normSession(got), normSession(want))
		checkEqual(t, "samples of unit "+strconv.Itoa(i), stripIDs(t, listSamples(t, s, sid, 0)), normSamples(samplesOf(i, txID)))
	}
	// Ids handed out later are not the committed units'.
	for range 5 {
		id, err := s.NextTransactionID(ctx)
		must(t, err, "NextTransactionID")
		if j, ok := used[id]; ok {
			t.Errorf("NextTransactionID = %d, committed by unit %d already", id, j)
		}
		used[id] = -1
	}
}

// testRemoteStartIDsInUnits checks that remoteStartIds handed out in a unit
// that failed do not make the store hand out an id twice afterwards.
func testRemoteStartIDsInUnits(t *testing.T, s charging.Store) {
	ctx := context.Background()
	seen := map[int]string{}
	for i := range 3 {
		err := s.Update(ctx, func(tx charging.Tx) error {
			if _, err := tx.NextRemoteStartID(ctx); err != nil {
				return err
			}
			return errUnit
		})
		if !errors.Is(err, errUnit) {
			t.Fatalf("Update %d = %v, want %v", i, err, errUnit)
		}
	}
	// Enough calls to outlast any block of ids a store keeps in memory.
	for i := range 2500 {
		id, err := s.NextRemoteStartID(ctx)
		must(t, err, "NextRemoteStartID")
		if id <= 0 {
			t.Fatalf("NextRemoteStartID = %d, want > 0", id)
		}
		if w, ok := seen[id]; ok {
			t.Fatalf("call %d: NextRemoteStartID = %d, handed out already by %s", i, id, w)
		}
		seen[id] = fmt.Sprintf("call %d", i)
	}
	var id int
	err := s.Update(ctx, func(tx charging.Tx) error {
		var err error
		id, err = tx.NextRemoteStartID(ctx)
		return err
	})
	must(t, err, "Update")
	if w, ok := seen[id]; ok {
		t.Errorf("NextRemoteStartID in a unit = %d, handed out already by %s", id, w)
	}
}

// testMeterLogPaging checks the order of samples (timestamp, then ID) and
// keyset paging with page sizes that cut elements anywhere.
func testMeterLogPaging(t *testing.T, s charging.Store) {
	ctx := context.Background()
	meterFixture(t, s)
	// Messages out of timestamp order, elements of 1 to 5 samples, several
	// elements at one timestamp (in one message or across messages).
	other := element(3*time.Minute, 1, 99)
	other[0].ConnectorID = 2 // a distinct element at +3m in the same message
	msgs := [][]charging.MeterSample{
		slices.Concat(element(5*time.Minute, 5, 1), element(time.Minute, 1, 2)),
		slices.Concat(element(3*time.Minute, 1, 3), other),
		slices.Concat(element(2*time.Minute, 1, 4), element(4*time.Minute, 1, 5), element(6*time.Minute, 1, 6),
			element(7*time.Minute, 1, 7), element(8*time.Minute, 1, 8)),
		slices.Concat(element(3*time.Minute, 2, 10), element(0, 5, 11), element(9*time.Minute, 1, 12)),
		element(5*time.Minute, 1, 13),
	}
	var stored []charging.MeterSample
	for i, msg := range msgs {
		must(t, s.AddMeterSamples(ctx, msg, nil), fmt.Sprintf("AddMeterSamples message %d", i))
		stored = append(stored, msg...)
	}
	// IDs grow in the order stored: within a timestamp, samples come in
	// the order they were stored.
	want := normSamples(stored)
	slices.SortStableFunc(want, func(a, b charging.MeterSample) int { return a.Timestamp.Compare(b.Timestamp) })

	all := listSamples(t, s, "S-1", 0)
	checkEqual(t, "ListMeterSamples", stripIDs(t, all), want)
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if b.Timestamp.Before(a.Timestamp) || (b.Timestamp.Equal(a.Timestamp) && b.ID <= a.ID) {
			t.Fatalf("samples %d and %d out of order: (%v, %d) then (%v, %d)", i-1, i, a.Timestamp, a.ID, b.Timestamp, b.ID)
		}
	}
	for limit := 1; limit <= len(all)+1; limit++ {
		checkEqual(t, fmt.Sprintf("samples over pages of %d", limit), listSamples(t, s, "S-1", limit), all)
	}
}

// testMeterLogPagingSingleSamples pages through elements of one sample
// each (a charger that sends only its energy register).
func testMeterLogPagingSingleSamples(t *testing.T, s charging.Store) {
	ctx := context.Background()
	meterFixture(t, s)
	var ms []charging.MeterSample
	for i := range 6 {
		ms = append(ms, element(time.Duration(i)*time.Minute, 1, float64(i))...)
	}
	must(t, s.AddMeterSamples(ctx, ms, nil), "AddMeterSamples")
	all := listSamples(t, s, "S-1", 0)
	checkEqual(t, "ListMeterSamples", stripIDs(t, all), normSamples(ms))
	for limit := 1; limit <= len(ms)+1; limit++ {
		got := listSamples(t, s, "S-1", limit)
		if len(got) != len(all) {
			t.Errorf("pages of %d: %d samples, want %d", limit, len(got), len(all))
			continue
		}
		checkEqual(t, fmt.Sprintf("samples over pages of %d", limit), got, all)
	}
}

// testMeterLogDedup checks which repeated elements the meter log skips.
func testMeterLogDedup(t *testing.T, s charging.Store) {
	ctx := context.Background()
	meterFixture(t, s)
	m := func(ts time.Duration, measurand string, v float64) charging.MeterSample {
		return sample("S-1", "1", at(ts), measurand, v)
	}
	const e, p, soc = charging.MeasurandEnergyActiveImportRegister, charging.MeasurandPowerActiveImport, charging.MeasurandSoC
	// One message of three elements.
	msg := []charging.MeterSample{m(time.Minute, e, 1000), m(time.Minute, p, 7000), m(2*time.Minute, e, 1100),
		m(3*time.Minute, e, 1200), m(3*time.Minute, soc, 50)}
	must(t, s.AddMeterSamples(ctx, msg, nil), "AddMeterSamples")
	// The charger retries the whole message: skipped.
	must(t, s.AddMeterSamples(ctx, msg, nil), "AddMeterSamples retried")
	// A message repeating one element and bringing a new one.
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{msg[3], msg[4], m(4*time.Minute, e, 1300)}, nil), "AddMeterSamples partly repeated")
	// A new value at a timestamp and measurand already stored: a new
	// reading, kept; then retried, skipped.
	again := m(2*time.Minute, e, 1105)
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{again}, nil), "AddMeterSamples new value")
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{again}, nil), "AddMeterSamples new value retried")
	// An element that differs only in its connector, or only in its
	// transaction, is another element.
	conn := msg[2]
	conn.ConnectorID = 2
	txn := msg[2]
	txn.TransactionID = "2"
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{conn}, nil), "AddMeterSamples other connector")
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{txn}, nil), "AddMeterSamples other transaction")
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{conn, txn}, nil), "AddMeterSamples both retried")

	want := normSamples([]charging.MeterSample{msg[0], msg[1], msg[2], again, conn, txn, msg[3], msg[4], m(4*time.Minute, e, 1300)})
	checkEqual(t, "ListMeterSamples", stripIDs(t, listSamples(t, s, "S-1", 0)), want)

	// A retry inside a unit of work is skipped too; a unit that failed
	// leaves no element behind to skip a later one.
	must(t, s.Update(ctx, func(tx charging.Tx) error { return tx.AddMeterSamples(ctx, msg, nil) }), "Update retrying the message")
	fresh := m(5*time.Minute, e, 1400)
	err := s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.AddMeterSamples(ctx, []charging.MeterSample{fresh}, nil); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{fresh}, nil), "AddMeterSamples after the failed unit")
	checkEqual(t, "ListMeterSamples after the units", stripIDs(t, listSamples(t, s, "S-1", 0)), append(want, normSample(fresh)))
}

// testLastMeterSamples checks the samples of a session's last elements.
func testLastMeterSamples(t *testing.T, s charging.Store) {
	ctx := context.Background()
	meterFixture(t, s)
	must(t, s.CreateSession(ctx, session("S-2", "CP-1", 2, charging.SessionActive)), "CreateSession S-2")
	must(t, s.AddMeterSamples(ctx, slices.Concat(element(time.Minute, 2, 1), element(3*time.Minute, 1, 3)), nil), "AddMeterSamples")
	must(t, s.AddMeterSamples(ctx, element(2*time.Minute, 3, 2), nil), "AddMeterSamples older") // out of order
	later := sample("S-2", "2", at(time.Hour), charging.MeasurandSoC, 80)                       // another session's
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{later}, nil), "AddMeterSamples S-2")

	all := listSamples(t, s, "S-1", 0)
	if len(all) != 6 {
		t.Fatalf("ListMeterSamples: %d samples, want 6", len(all))
	}
	for _, tt := range []struct {
		n    int
		want []charging.MeterSample
	}{
		{1, all[5:]},  // the element at +3m
		{2, all[2:]},  // +2m (3 samples), +3m
		{3, all},      // every element
		{100, all},    // more than stored
		{1000, all},   // far more
		{4, all[0:6]}, // one more than stored
	} {
		got, err := s.LastMeterSamples(ctx, "S-1", tt.n)
		must(t, err, "LastMeterSamples")
		checkEqual(t, fmt.Sprintf("LastMeterSamples(%d)", tt.n), got, tt.want)
	}
	// Two more elements at the latest timestamp: the last element is the
	// one stored last.
	other := element(3*time.Minute, 1, 4)
	other[0].ConnectorID = 2
	must(t, s.AddMeterSamples(ctx, element(3*time.Minute, 2, 5), nil), "AddMeterSamples at +3m")
	must(t, s.AddMeterSamples(ctx, other, nil), "AddMeterSamples at +3m, connector 2")
	all = listSamples(t, s, "S-1", 0)
	if len(all) != 9 {
		t.Fatalf("ListMeterSamples: %d samples, want 9", len(all))
	}
	checkEqual(t, "ListMeterSamples at +3m", stripIDs(t, all[5:]),
		normSamples(slices.Concat(element(3*time.Minute, 1, 3), element(3*time.Minute, 2, 5), other)))
	for _, tt := range []struct {
		n    int
		want []charging.MeterSample
	}{
		{1, all[8:]}, // connector 2's, stored last
		{2, all[6:]}, // the two stored last at +3m
		{3, all[5:]}, // the three at +3m
		{4, all[2:]}, // and +2m
		{6, all},
	} {
		got, err := s.LastMeterSamples(ctx, "S-1", tt.n)
		must(t, err, "LastMeterSamples")
		checkEqual(t, fmt.Sprintf("LastMeterSamples(%d) with three elements at the latest timestamp", tt.n), got, tt.want)
	}

	got, err := s.LastMeterSamples(ctx, "S-2", 5)
	must(t, err, "LastMeterSamples S-2")
	checkEqual(t, "LastMeterSamples of S-2", stripIDs(t, got), []charging.MeterSample{normSample(later)})
	got, err = s.LastMeterSamples(ctx, "nope", 3)
	must(t, err, "LastMeterSamples of an unknown session")
	if len(got) != 0 {
		t.Errorf("LastMeterSamples of an unknown session: %d samples, want none", len(got))
	}
}

// live returns live values of session id computed at at(d).
func live(id string, d time.Duration, wh float64) charging.SessionLive {
	return charging.SessionLive{SessionID: id, UpdatedAt: at(d), EnergyWh: wh, PowerW: wh * 10,
		CurrentA: ptr(wh / 100), VoltageV: ptr(230.5), SoCPercent: ptr(wh / 10)}
}

// withLive returns s with l's values.
func withLive(s charging.Session, l charging.SessionLive) charging.Session {
	s.UpdatedAt, s.EnergyWh, s.PowerW = l.UpdatedAt, l.EnergyWh, l.PowerW
	s.CurrentA, s.VoltageV, s.SoCPercent = l.CurrentA, l.VoltageV, l.SoCPercent
	return s
}

// checkSessions checks the sessions through GetSession and ListSessions.
func checkSessions(t *testing.T, s charging.Store, what string, want ...charging.Session) {
	t.Helper()
	ctx := context.Background()
	for _, w := range want {
		got, err := s.GetSession(ctx, w.ID)
		must(t, err, what+": GetSession "+w.ID)
		checkEqual(t, what+": GetSession "+w.ID, normSession(got), normSession(w))
		page, err := s.ListSessions(ctx, charging.SessionQuery{ChargerID: w.ChargerID, ConnectorID: w.ConnectorID})
		must(t, err, what+": ListSessions")
		found := false
		for _, x := range page.Items {
			if x.ID == w.ID {
				found = true
				checkEqual(t, what+": ListSessions item "+w.ID, normSession(x), normSession(w))
			}
		}
		if !found {
			t.Errorf("%s: ListSessions does not return %s", what, w.ID)
		}
	}
}

// testSessionLive checks SetSessionLive: read back at once, never applied
// to a session that is not active or was written since.
func testSessionLive(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	a := session("S-A", "CP-1", 1, charging.SessionActive)
	a.TransactionID, a.EnergyWh, a.MeterStartWh = "1", 10, ptr(5000.0)
	p := session("S-P", "CP-1", 2, charging.SessionPending)
	f := session("S-F", "CP-1", 3, charging.SessionFinished)
	f.EnergyWh = 5
	for _, x := range []charging.Session{a, p, f} {
		must(t, s.CreateSession(ctx, x), "CreateSession "+x.ID)
	}
	set := func(l charging.SessionLive) {
		t.Helper()
		must(t, s.SetSessionLive(ctx, l), "SetSessionLive")
	}

	set(live("S-A", time.Minute, 100))
	wantA := withLive(a, live("S-A", time.Minute, 100))
	checkSessions(t, s, "live values", wantA)
	set(live("S-A", 30*time.Second, 50)) // older than the last ones
	checkSessions(t, s, "older live values", wantA)
	set(live("S-A", 2*time.Minute, 200))
	wantA = withLive(a, live("S-A", 2*time.Minute, 200))
	checkSessions(t, s, "newer live values", wantA)

	// Sessions that are not active take none.
	set(live("S-P", time.Minute, 1))
	set(live("S-F", time.Minute, 1))
	checkSessions(t, s, "live values of sessions not active", p, f)

	// A write of the session wins over live values computed before it.
	upd := wantA
	upd.UpdatedAt, upd.EnergyWh, upd.PowerW, upd.CurrentA, upd.SoCPercent = at(3*time.Minute), 300, 0, nil, nil
	upd.StopRequestedAt = ptr(at(3 * time.Minute))
	must(t, s.UpdateSession(ctx, upd), "UpdateSession")
	wantA = upd
	checkSessions(t, s, "after UpdateSession", wantA)
	set(live("S-A", 150*time.Second, 250))
	checkSessions(t, s, "live values older than the session's write", wantA)
	set(live("S-A", 4*time.Minute, 400))
	wantA = withLive(upd, live("S-A", 4*time.Minute, 400))
	checkSessions(t, s, "live values newer than the session's write", wantA)

	// AddMeterSamples writes the session too.
	withSamples := wantA
	withSamples.UpdatedAt, withSamples.EnergyWh = at(5*time.Minute), 500
	ms := []charging.MeterSample{sample("S-A", "1", at(5*time.Minute), charging.MeasurandEnergyActiveImportRegister, 5500)}
	must(t, s.AddMeterSamples(ctx, ms, &withSamples), "AddMeterSamples with the session")
	wantA = withSamples
	checkSessions(t, s, "after AddMeterSamples with the session", wantA)
	set(live("S-A", 270*time.Second, 450))
	checkSessions(t, s, "live values older than AddMeterSamples' write", wantA)

	// The session ends, at a time before the newest live values: it is
	// not active, so they do not apply.
	set(live("S-A", 7*time.Minute, 700))
	fin := wantA
	fin.Status, fin.UpdatedAt, fin.EnergyWh, fin.MeterStopWh, fin.StoppedAt = charging.SessionFinished, at(6*time.Minute), 600, ptr(5600.0), ptr(at(6*time.Minute))
	must(t, s.UpdateSession(ctx, fin), "UpdateSession finished")
	wantA = fin
	checkSessions(t, s, "after the session ended", wantA)
	set(live("S-A", 8*time.Minute, 800))
	checkSessions(t, s, "live values of an ended session", wantA)

	// Live values need not be written at once (sqlite writes them within
	// two seconds): what reads return does not change when they are.
	time.Sleep(2500 * time.Millisecond)
	checkSessions(t, s, "after live values were written", wantA, p, f)

	// Live values for a session that does not exist: no session appears.
	set(live("nope", time.Minute, 1))
	_, err := s.GetSession(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetSession after SetSessionLive of a missing session")
}

// testSessionLiveSameTime checks that live values computed at the time the
// session was written do not overwrite it ("written at or after
// l.UpdatedAt").
func testSessionLiveSameTime(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	a := session("S-A", "CP-1", 1, charging.SessionActive)
	a.UpdatedAt, a.EnergyWh = at(time.Minute), 100
	must(t, s.CreateSession(ctx, a), "CreateSession")
	must(t, s.SetSessionLive(ctx, live("S-A", time.Minute, 50)), "SetSessionLive")
	checkSessions(t, s, "live values computed when the session was written", a)
}

// testSessionLiveInUnits checks SetSessionLive inside units of work: it
// takes effect when the unit commits, and not at all when it fails.
func testSessionLiveInUnits(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	a := session("S-A", "CP-1", 1, charging.SessionActive)
	must(t, s.CreateSession(ctx, a), "CreateSession")

	err := s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.SetSessionLive(ctx, live("S-A", time.Minute, 100)); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	checkSessions(t, s, "live values of a failed unit", a)

	must(t, s.Update(ctx, func(tx charging.Tx) error {
		return tx.SetSessionLive(ctx, live("S-A", 2*time.Minute, 200))
	}), "Update")
	want := withLive(a, live("S-A", 2*time.Minute, 200))
	checkSessions(t, s, "live values of a committed unit", want)

	// A unit that handled a failed write commits its live values.
	must(t, s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.SetSessionLive(ctx, live("S-A", 3*time.Minute, 300)); err != nil {
			return err
		}
		return expectCode(tx.CreateSession(ctx, session("S-X", "CP-1", 1, charging.SessionActive)), charging.ECONFLICT, "CreateSession on a busy connector")
	}), "Update")
	want = withLive(a, live("S-A", 3*time.Minute, 300))
	checkSessions(t, s, "live values of a unit that handled a failed write", want)

	// A unit that failed after a later one wrote: still nothing.
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.SetSessionLive(ctx, live("S-A", 4*time.Minute, 400)); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	checkSessions(t, s, "live values of another failed unit", want)
}

// testSessionLiveNested checks SetSessionLive in nested units of work.
// Each case has a session of its own.
func testSessionLiveNested(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	a := session("S-A", "CP-1", 1, charging.SessionActive)
	b := session("S-B", "CP-1", 2, charging.SessionActive)
	c := session("S-C", "CP-1", 3, charging.SessionActive)
	for _, x := range []charging.Session{a, b, c} {
		must(t, s.CreateSession(ctx, x), "CreateSession "+x.ID)
	}
	nests := true
	nested := func(tx charging.Tx, fn func(tx charging.Tx) error) error {
		u, ok := tx.(updater)
		if !ok {
			nests = false
			return nil
		}
		return u.Update(ctx, fn)
	}
	setLive := func(l charging.SessionLive, err error) func(tx charging.Tx) error {
		return func(tx charging.Tx) error {
			if e := tx.SetSessionLive(ctx, l); e != nil {
				return e
			}
			return err
		}
	}

	// The nested unit fails, the outer one commits: no live values.
	err := s.Update(ctx, func(tx charging.Tx) error {
		if err := nested(tx, setLive(live("S-A", time.Minute, 100), errUnit)); !errors.Is(err, errUnit) && nests {
			return fmt.Errorf("nested Update = %v, want %v", err, errUnit)
		}
		return nil
	})
	if !nests {
		t.Skip("the store's Tx does not run nested units of work")
	}
	must(t, err, "Update")
	checkSessions(t, s, "live values of a nested unit that failed", a)

	// The nested unit commits, the outer one fails: none either.
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := nested(tx, setLive(live("S-B", time.Minute, 200), nil)); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	checkSessions(t, s, "live values of a nested unit whose outer unit failed", b)

	// Both commit.
	must(t, s.Update(ctx, func(tx charging.Tx) error {
		return nested(tx, setLive(live("S-C", time.Minute, 300), nil))
	}), "Update")
	checkSessions(t, s, "live values of a committed nested unit", withLive(c, live("S-C", time.Minute, 300)))
}

// purgeSession creates a session with the status and UpdatedAt, and n
// elements of samples.
func purgeSession(t *testing.T, s charging.Store, id string, connectorID int, status charging.SessionStatus, updated time.Duration, n int) charging.Session {
	t.Helper()
	ctx := context.Background()
	x := session(id, "CP-1", connectorID, status)
	x.TransactionID, x.UpdatedAt, x.EnergyWh, x.MeterStartWh = id, at(updated), 1234.5, ptr(100.0)
	if status == charging.SessionFinished || status == charging.SessionFailed {
		x.MeterStopWh, x.StoppedAt = ptr(1334.5), ptr(at(updated))
	}
	must(t, s.CreateSession(ctx, x), "CreateSession "+id)
	var ms []charging.MeterSample
	for i := range n {
		ms = append(ms, sample(id, id, at(time.Duration(i)*time.Minute), charging.MeasurandEnergyActiveImportRegister, float64(i)),
			sample(id, id, at(time.Duration(i)*time.Minute), charging.MeasurandPowerActiveImport, float64(i)))
	}
	must(t, s.AddMeterSamples(ctx, ms, nil), "AddMeterSamples "+id)
	return x
}

// purgeAll calls PurgeMeterSamples until it has nothing more to do and
// returns the elements it deleted; each call may delete at most maxPerCall.
func purgeAll(t *testing.T, s charging.Store, before time.Time, limit, maxPerCall int) int {
	t.Helper()
	total := 0
	for calls := 0; ; calls++ {
		if calls > 50 {
			t.Fatalf("PurgeMeterSamples(limit %d): still more to do after 50 calls (%d elements deleted)", limit, total)
		}
		n, more, err := s.PurgeMeterSamples(context.Background(), before, limit)
		must(t, err, "PurgeMeterSamples")
		if n < 0 || maxPerCall > 0 && n > maxPerCall {
			t.Errorf("PurgeMeterSamples(limit %d) call %d deleted %d elements, want 0..%d", limit, calls, n, maxPerCall)
		}
		total += n
		if !more {
			return total
		}
	}
}

// checkSampleCounts checks how many samples each session has.
func checkSampleCounts(t *testing.T, s charging.Store, what string, want map[string]int) {
	t.Helper()
	for id, n := range want {
		if got := len(listSamples(t, s, id, 0)); got != n {
			t.Errorf("%s: session %s has %d samples, want %d", what, id, got, n)
		}
	}
}

// testPurgeMeterSamples checks meter log retention.
func testPurgeMeterSamples(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	sessions := []charging.Session{
		purgeSession(t, s, "P-FIN", 1, charging.SessionFinished, time.Hour, 2),      // ended before the cutoff: purged
		purgeSession(t, s, "P-FAIL", 1, charging.SessionFailed, 2*time.Hour, 1),     // ended before the cutoff: purged
		purgeSession(t, s, "P-ACT", 2, charging.SessionActive, time.Hour, 2),        // not ended
		purgeSession(t, s, "P-PEND", 3, charging.SessionPending, time.Hour, 1),      // not ended
		purgeSession(t, s, "P-NEW", 1, charging.SessionFinished, 10*time.Hour, 1),   // ended after the cutoff
		purgeSession(t, s, "P-EDGE", 1, charging.SessionFinished, 5*time.Hour, 1),   // ended at the cutoff (not before)
		purgeSession(t, s, "P-NOS", 1, charging.SessionFinished, 30*time.Minute, 0), // ended, no samples
	}
	// Samples without a session: two elements before the cutoff, one after.
	bare := func(ts time.Duration, measurand string) charging.MeterSample {
		m := sample("", "", at(ts), measurand, 1)
		return m
	}
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{bare(time.Hour, charging.MeasurandEnergyActiveImportRegister),
		bare(time.Hour, charging.MeasurandPowerActiveImport), bare(2*time.Hour, charging.MeasurandSoC), bare(6*time.Hour, charging.MeasurandSoC)}, nil),
		"AddMeterSamples without a session")

	cutoff := at(5 * time.Hour)
	n, more, err := s.PurgeMeterSamples(ctx, cutoff, 100)
	must(t, err, "PurgeMeterSamples")
	if n != 2+1+2 || more {
		t.Errorf("PurgeMeterSamples = %d, %v; want 5 elements (2 of P-FIN, 1 of P-FAIL, 2 without a session), false", n, more)
	}
	checkSampleCounts(t, s, "after the purge", map[string]int{"P-FIN": 0, "P-FAIL": 0, "P-ACT": 4, "P-PEND": 2, "P-NEW": 2, "P-EDGE": 2})
	// Sessions keep their rows and totals.
	checkSessions(t, s, "after the purge", sessions...)

	// Again: nothing to do.
	n, more, err = s.PurgeMeterSamples(ctx, cutoff, 100)
	must(t, err, "PurgeMeterSamples again")
	if n != 0 || more {
		t.Errorf("PurgeMeterSamples again = %d, %v; want 0, false", n, more)
	}

	// A later cutoff takes the sessions that ended since, and the rest of
	// the samples without a session.
	if got := purgeAll(t, s, at(11*time.Hour), 100, 0); got != 1+1+1 {
		t.Errorf("PurgeMeterSamples with a later cutoff deleted %d elements, want 3 (P-NEW, P-EDGE, one without a session)", got)
	}
	checkSampleCounts(t, s, "after the second purge", map[string]int{"P-ACT": 4, "P-PEND": 2, "P-NEW": 0, "P-EDGE": 0})
	checkSessions(t, s, "after the second purge", sessions...)
}

// testPurgeMeterSamplesLateEnd checks that a session that ends after a
// purge, last written before that purge's cutoff, is purged by the next.
func testPurgeMeterSamplesLateEnd(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	act := purgeSession(t, s, "P-ACT", 2, charging.SessionActive, time.Hour, 2)
	purgeSession(t, s, "P-FIN", 1, charging.SessionFinished, time.Hour, 1)
	cutoff := at(5 * time.Hour)
	if got := purgeAll(t, s, cutoff, 100, 0); got != 1 {
		t.Errorf("PurgeMeterSamples deleted %d elements, want 1 (P-FIN)", got)
	}
	checkSampleCounts(t, s, "after the purge", map[string]int{"P-ACT": 4, "P-FIN": 0})

	act.Status, act.UpdatedAt, act.StoppedAt = charging.SessionFinished, at(2*time.Hour), ptr(at(2*time.Hour))
	must(t, s.UpdateSession(ctx, act), "UpdateSession finished")
	if got := purgeAll(t, s, cutoff, 100, 0); got != 2 {
		t.Errorf("PurgeMeterSamples after P-ACT ended (at +2h, before the cutoff +5h) deleted %d elements, want 2", got)
	}
	checkSampleCounts(t, s, "after P-ACT ended and the next purge", map[string]int{"P-ACT": 0})
}

// testPurgeMeterSamplesPaging purges with small limits, calling until
// there is no more to do.
func testPurgeMeterSamplesPaging(t *testing.T, s charging.Store) {
	saveChargers(t, s, "CP-1")
	var ended []string
	for i := range 7 {
		id := fmt.Sprintf("P-%d", i)
		status := charging.SessionFinished
		if i%3 == 2 {
			status = charging.SessionFailed
		}
		purgeSession(t, s, id, 1, status, time.Duration(i+1)*time.Hour, 2)
		ended = append(ended, id)
	}
	purgeSession(t, s, "P-ACT", 2, charging.SessionActive, time.Hour, 2)
	purgeSession(t, s, "P-NEW", 1, charging.SessionFinished, 20*time.Hour, 1)

	cutoff := at(10 * time.Hour)
	// At most one session's 2 elements per call.
	if got := purgeAll(t, s, cutoff, 1, 2); got != 2*len(ended) {
		t.Errorf("PurgeMeterSamples with limit 1 deleted %d elements in all, want %d", got, 2*len(ended))
	}
	want := map[string]int{"P-ACT": 4, "P-NEW": 2}
	for _, id := range ended {
		want[id] = 0
	}
	checkSampleCounts(t, s, "after purging with limit 1", want)
	if got := purgeAll(t, s, cutoff, 1, 0); got != 0 {
		t.Errorf("PurgeMeterSamples again deleted %d elements, want 0", got)
	}
}

// testPurgeMeterSamplesPagingSameTime purges, with small limits, more
// sessions that ended at the same time than a call works through.
func testPurgeMeterSamplesPagingSameTime(t *testing.T, s charging.Store) {
	saveChargers(t, s, "CP-1")
	purgeSession(t, s, "P-ACT", 2, charging.SessionActive, time.Hour, 1)
	round := func(limit int, updated, before time.Duration) {
		t.Helper()
		want := map[string]int{"P-ACT": 2}
		const n = 5
		for i := range n {
			id := fmt.Sprintf("P-%d-%d", limit, i)
			purgeSession(t, s, id, 1, charging.SessionFinished, updated, 1) // all at the same time
			want[id] = 0
		}
		if got := purgeAll(t, s, at(before), limit, limit); got != n {
			t.Errorf("PurgeMeterSamples with limit %d deleted %d elements in all, want %d", limit, got, n)
		}
		checkSampleCounts(t, s, fmt.Sprintf("after purging with limit %d", limit), want)
	}
	round(2, time.Hour, 5*time.Hour)
	round(1, 6*time.Hour, 10*time.Hour)
}

// testPurgeMeterSamplesInFailedUnit checks that a purge inside a unit of
// work that fails (or a nested unit that fails) deletes nothing.
func testPurgeMeterSamplesInFailedUnit(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	purgeSession(t, s, "P-FIN", 1, charging.SessionFinished, time.Hour, 2)
	bare := sample("", "", at(time.Hour), charging.MeasurandEnergyActiveImportRegister, 1)
	must(t, s.AddMeterSamples(ctx, []charging.MeterSample{bare}, nil), "AddMeterSamples without a session")

	var deleted int
	err := s.Update(ctx, func(tx charging.Tx) error {
		n, _, err := tx.PurgeMeterSamples(ctx, at(5*time.Hour), 100)
		if err != nil {
			return err
		}
		deleted = n
		if p, err := tx.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "P-FIN"}); err != nil || len(p.Items) != 0 {
			return fmt.Errorf("in the unit, after the purge: %d samples of P-FIN (err %v), want 0", len(p.Items), err)
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Update = %v, want %v", err, errUnit)
	}
	if deleted != 3 {
		t.Errorf("PurgeMeterSamples in the unit deleted %d elements, want 3 (2 of P-FIN, 1 without a session)", deleted)
	}
	checkSampleCounts(t, s, "after a purge in a unit that failed", map[string]int{"P-FIN": 4})

	if nests := func() (ok bool) {
		err := s.Update(ctx, func(tx charging.Tx) error {
			var u updater
			if u, ok = tx.(updater); !ok {
				return nil
			}
			err := u.Update(ctx, func(tx charging.Tx) error {
				if _, _, err := tx.PurgeMeterSamples(ctx, at(5*time.Hour), 100); err != nil {
					return err
				}
				return errUnit
			})
			if !errors.Is(err, errUnit) {
				return fmt.Errorf("nested Update = %v, want %v", err, errUnit)
			}
			return nil
		})
		must(t, err, "Update")
		return ok
	}(); nests {
		checkSampleCounts(t, s, "after a purge in a nested unit that failed", map[string]int{"P-FIN": 4})
	}

	// The purge itself works afterwards, and so does one in a unit that commits.
	must(t, s.Update(ctx, func(tx charging.Tx) error {
		_, _, err := tx.PurgeMeterSamples(ctx, at(5*time.Hour), 100)
		return err
	}), "Update purging")
	checkSampleCounts(t, s, "after a purge in a unit that committed", map[string]int{"P-FIN": 0})
	if got := purgeAll(t, s, at(5*time.Hour), 100, 0); got != 0 {
		t.Errorf("PurgeMeterSamples after the committed purge deleted %d elements, want 0", got)
	}
}

// testUpdateSeenWhole checks, with a reader polling while units of work
// commit one after the other, that a reader never sees part of a unit:
// its samples without its session, or its session without the live
// values the unit set.
func testUpdateSeenWhole(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	const units = 30
	sid := func(k int) string { return fmt.Sprintf("S-%02d", k) }
	done := make(chan struct{})
	var reader sync.WaitGroup
	var samplesOnly, withoutLive []int // units seen in part
	reader.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			for k := range units {
				p, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: sid(k)})
				if err != nil {
					t.Errorf("reader: ListMeterSamples: %v", err)
					return
				}
				if len(p.Items) == 0 {
					continue
				}
				got, err := s.GetSession(ctx, sid(k))
				switch {
				case charging.ErrorCode(err) == charging.ENOTFOUND:
					samplesOnly = append(samplesOnly, k)
				case err != nil:
					t.Errorf("reader: GetSession: %v", err)
					return
				case got.EnergyWh != float64(k+1):
					withoutLive = append(withoutLive, k)
				}
			}
		}
	})
	for k := range units {
		err := s.Update(ctx, func(tx charging.Tx) error {
			if err := tx.CreateSession(ctx, session(sid(k), "CP-1", k+1, charging.SessionActive)); err != nil {
				return err
			}
			ms := []charging.MeterSample{sample(sid(k), "", at(time.Minute), charging.MeasurandEnergyActiveImportRegister, float64(k))}
			if err := tx.AddMeterSamples(ctx, ms, nil); err != nil {
				return err
			}
			return tx.SetSessionLive(ctx, charging.SessionLive{SessionID: sid(k), UpdatedAt: at(time.Minute), EnergyWh: float64(k + 1)})
		})
		if err != nil {
			t.Errorf("Update %d: %v", k, err)
			break
		}
	}
	close(done)
	reader.Wait()
	if len(samplesOnly) > 0 {
		t.Errorf("a reader saw the samples of a unit without its session (written by the same unit) %d times, units %v",
			len(samplesOnly), slices.Compact(samplesOnly))
	}
	if len(withoutLive) > 0 {
		t.Errorf("a reader saw the session of a unit without the live values the unit set %d times, units %v",
			len(withoutLive), slices.Compact(withoutLive))
	}
}
