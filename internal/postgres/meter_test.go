package postgres_test

// Checks of the meter log beyond the conformance suite: day partitions,
// the default partition and its rows moved out, retention dropping a
// whole partition, and values JSON cannot hold.

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/postgres"
)

// partitionOf returns the partition that holds a session's elements.
func partitionsOf(t *testing.T, s *postgres.Store, sessionID string) []string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(),
		`SELECT DISTINCT tableoid::regclass::text FROM meter_elements WHERE session_id = $1 ORDER BY 1`, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func partitionExists(t *testing.T, s *postgres.Store, name string) bool {
	t.Helper()
	var ok bool
	if err := s.Pool().QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func meterSession(t *testing.T, s *postgres.Store, id string, connector int, status charging.SessionStatus, updated time.Time) {
	t.Helper()
	x := charging.Session{ID: id, ChargerID: "CP-1", ConnectorID: connector, Status: status, TransactionID: id,
		CreatedAt: updated, UpdatedAt: updated}
	if err := s.CreateSession(context.Background(), x); err != nil {
		t.Fatalf("CreateSession %s: %v", id, err)
	}
}

func meterElement(session string, ts time.Time, v float64) []charging.MeterSample {
	return []charging.MeterSample{
		{SessionID: session, ChargerID: "CP-1", ConnectorID: 1, TransactionID: session, Timestamp: ts,
			Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: v},
		{SessionID: session, ChargerID: "CP-1", ConnectorID: 1, TransactionID: session, Timestamp: ts,
			Measurand: charging.MeasurandPowerActiveImport, Unit: "W", Value: v / 10},
	}
}

func TestMeterPartitions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1", OCPPVersion: charging.OCPP16, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	day := func(t time.Time) string { return "meter_elements_p" + t.Format("20060102") }

	// Open created today's partition and the days ahead; today's elements
	// go there.
	for _, d := range []time.Time{now.AddDate(0, 0, -1), now, now.AddDate(0, 0, 7)} {
		if !partitionExists(t, s, day(d)) {
			t.Errorf("partition %s missing after Open", day(d))
		}
	}
	meterSession(t, s, "TODAY", 1, charging.SessionActive, now)
	if err := s.AddMeterSamples(ctx, meterElement("TODAY", now, 1000), nil); err != nil {
		t.Fatal(err)
	}
	if got := partitionsOf(t, s, "TODAY"); len(got) != 1 || got[0] != day(now) {
		t.Errorf("today's element in %v, want [%s]", got, day(now))
	}

	// An element of a day without a partition goes to the default one;
	// creating the day's partition moves it, and it reads back the same.
	old := now.AddDate(0, 0, -40).Truncate(time.Microsecond)
	meterSession(t, s, "OLD-FIN", 2, charging.SessionActive, old)
	if err := s.AddMeterSamples(ctx, meterElement("OLD-FIN", old, 5), nil); err != nil {
		t.Fatal(err)
	}
	if got := partitionsOf(t, s, "OLD-FIN"); len(got) != 1 || got[0] != "meter_elements_default" {
		t.Fatalf("old element in %v, want [meter_elements_default]", got)
	}
	before, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "OLD-FIN"})
	if err != nil {
		t.Fatal(err)
	}
	var created int
	if err := s.Pool().QueryRow(ctx, `SELECT ensure_meter_partitions($1::date, 1)`, old).Scan(&created); err != nil || created != 1 {
		t.Fatalf("ensure_meter_partitions = %d, %v; want 1 created", created, err)
	}
	if got := partitionsOf(t, s, "OLD-FIN"); len(got) != 1 || got[0] != day(old) {
		t.Fatalf("old element in %v after its partition was created, want [%s]", got, day(old))
	}
	after, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "OLD-FIN"})
	if err != nil || len(after.Items) != 2 || len(before.Items) != 2 || after.Items[0] != before.Items[0] || after.Items[1] != before.Items[1] {
		t.Fatalf("samples after the move %+v (%v), want %+v", after.Items, err, before.Items)
	}
	// The partition is made once.
	if err := s.Pool().QueryRow(ctx, `SELECT ensure_meter_partitions($1::date, 1)`, old).Scan(&created); err != nil || created != 0 {
		t.Fatalf("ensure_meter_partitions again = %d, %v; want 0", created, err)
	}

	// The old day also holds a session still active: retention must not
	// drop the partition, only delete the ended session's samples.
	meterSession(t, s, "OLD-ACT", 3, charging.SessionActive, old)
	if err := s.AddMeterSamples(ctx, meterElement("OLD-ACT", old.Add(time.Minute), 6), nil); err != nil {
		t.Fatal(err)
	}
	end := func(id string) {
		t.Helper()
		x, err := s.GetSession(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		x.Status, x.StoppedAt, x.UpdatedAt = charging.SessionFinished, &old, old.Add(time.Hour)
		if err := s.UpdateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	end("OLD-FIN")
	// The day after holds only an ended session: the blocked day before it
	// does not keep it from being dropped.
	next := old.AddDate(0, 0, 1)
	if err := s.Pool().QueryRow(ctx, `SELECT ensure_meter_partitions($1::date, 1)`, next).Scan(&created); err != nil || created != 1 {
		t.Fatalf("ensure_meter_partitions(next day) = %d, %v; want 1 created", created, err)
	}
	meterSession(t, s, "NEXT-FIN", 4, charging.SessionActive, next)
	if err := s.AddMeterSamples(ctx, meterElement("NEXT-FIN", next, 7), nil); err != nil {
		t.Fatal(err)
	}
	end("NEXT-FIN")
	cutoff := now.AddDate(0, 0, -10)
	n, more, err := s.PurgeMeterSamples(ctx, cutoff, 100)
	if err != nil || n != 2 || more {
		t.Fatalf("PurgeMeterSamples = %d, %v, %v; want 2 elements (NEXT-FIN's day dropped, OLD-FIN's deleted), false", n, more, err)
	}
	if !partitionExists(t, s, day(old)) {
		t.Fatalf("partition %s dropped while OLD-ACT is active", day(old))
	}
	if partitionExists(t, s, day(next)) {
		t.Fatalf("partition %s kept: only its day before is blocked", day(next))
	}
	// OLD-ACT ends: the next purge drops the partition whole.
	end("OLD-ACT")
	n, more, err = s.PurgeMeterSamples(ctx, cutoff, 100)
	if err != nil || n != 1 || more {
		t.Fatalf("PurgeMeterSamples after OLD-ACT ended = %d, %v, %v; want 1 element, false", n, more, err)
	}
	if partitionExists(t, s, day(old)) {
		t.Errorf("partition %s still there after every session in it ended before the cutoff", day(old))
	}
	if p, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "OLD-ACT"}); err != nil || len(p.Items) != 0 {
		t.Errorf("OLD-ACT's samples after the drop: %d (%v), want 0", len(p.Items), err)
	}
	if p, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "TODAY"}); err != nil || len(p.Items) != 2 {
		t.Errorf("TODAY's samples after the drop: %d (%v), want 2", len(p.Items), err)
	}
	// Nothing left to do; recent partitions stay.
	if n, more, err := s.PurgeMeterSamples(ctx, cutoff, 100); err != nil || n != 0 || more {
		t.Errorf("PurgeMeterSamples again = %d, %v, %v; want 0, false", n, more, err)
	}
	if !partitionExists(t, s, day(now)) {
		t.Errorf("today's partition dropped")
	}
}

// TestMeterNonFinite checks values JSON has no number for.
func TestMeterNonFinite(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1", OCPPVersion: charging.OCPP16, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	meterSession(t, s, "S", 1, charging.SessionActive, now)
	el := meterElement("S", now, 0)
	el = append(el, el[0], el[0])
	el[0].Value, el[1].Value, el[2].Value, el[3].Value = math.NaN(), math.Inf(1), math.Inf(-1), -0.5
	if err := s.AddMeterSamples(ctx, el, nil); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S"})
	if err != nil || len(p.Items) != 4 {
		t.Fatalf("ListMeterSamples = %d, %v", len(p.Items), err)
	}
	if !math.IsNaN(p.Items[0].Value) || !math.IsInf(p.Items[1].Value, 1) || !math.IsInf(p.Items[2].Value, -1) || p.Items[3].Value != -0.5 {
		t.Errorf("values %v %v %v %v, want NaN +Inf -Inf -0.5", p.Items[0].Value, p.Items[1].Value, p.Items[2].Value, p.Items[3].Value)
	}
	// Retried: skipped like any element.
	if err := s.AddMeterSamples(ctx, el, nil); err != nil {
		t.Fatal(err)
	}
	if p, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S"}); err != nil || len(p.Items) != 4 {
		t.Errorf("after the retry: %d samples (%v), want 4", len(p.Items), err)
	}
}
