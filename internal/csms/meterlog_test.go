package csms_test

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
)

// A crash loses live values not yet flushed; RebuildLive gets them back
// from the meter log, which holds every acknowledged sample.
func TestRebuildLiveFromMeterLog(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ts := f.clock.now()
	res, err := f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: 1, IDTag: "TAG", MeterStartWh: 1000, Timestamp: ts})
	if err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: the samples in the log, the session without
	// their live values (as if SetSessionLive never flushed).
	mk := func(at time.Time, m string, v float64) charging.MeterSample {
		return charging.MeterSample{SessionID: res.SessionID, ChargerID: "CP-1", ConnectorID: 1, TransactionID: res.TransactionID,
			Timestamp: at, Measurand: m, Value: v}
	}
	samples := []charging.MeterSample{
		mk(ts.Add(time.Minute), charging.MeasurandEnergyActiveImportRegister, 1500),
		mk(ts.Add(time.Minute), charging.MeasurandSoC, 40),
		mk(ts.Add(2*time.Minute), charging.MeasurandEnergyActiveImportRegister, 2100),
		mk(ts.Add(2*time.Minute), charging.MeasurandPowerActiveImport, 7400),
	}
	if err := f.store.AddMeterSamples(ctx, samples, nil); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.RebuildLive(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RebuildLive = %d, %v; want 1 session corrected", n, err)
	}
	got, err := f.svc.GetSession(ctx, res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if got.EnergyWh != 1100 || got.PowerW != 7400 || got.SoCPercent == nil || *got.SoCPercent != 40 {
		t.Fatalf("rebuilt session: energy %v, power %v, soc %v; want 1100, 7400, 40 (the last reading of each)", got.EnergyWh, got.PowerW, got.SoCPercent)
	}
	if n, err := f.svc.RebuildLive(ctx); err != nil || n != 0 {
		t.Fatalf("second RebuildLive = %d, %v; want nothing to correct", n, err)
	}
}

// Meter retention deletes the samples of sessions that ended before the
// window and keeps their totals; running sessions keep everything.
func TestMeterRetention(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.svc = csms.New(f.store, f.bus, f.cmd, nil, f.clock.now, csms.Config{PendingTimeout: time.Minute, MeterRetention: 24 * time.Hour})
	ts := f.clock.now()
	start := func(conn int) charging.TransactionStartResult {
		r, err := f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: conn, IDTag: "TAG", Timestamp: ts})
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: conn, TransactionID: r.TransactionID, Samples: []charging.MeterSample{
			{Timestamp: ts.Add(time.Minute), Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: 500},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	old, running := start(1), start(2)
	if _, err := f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: old.TransactionID, MeterStopWh: 800, Timestamp: ts.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	count := func(id string) int {
		page, err := f.svc.ListMeterSamples(ctx, charging.MeterQuery{SessionID: id})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	if n, err := f.svc.PurgeMeterLog(ctx); err != nil || n != 0 {
		t.Fatalf("purge within the window = %d, %v; want 0", n, err)
	}
	f.clock.add(25 * time.Hour)
	if n, err := f.svc.PurgeMeterLog(ctx); err != nil || n != 1 {
		t.Fatalf("purge after the window = %d, %v; want 1 element", n, err)
	}
	if c := count(old.SessionID); c != 0 {
		t.Errorf("ended session keeps %d samples, want 0", c)
	}
	if c := count(running.SessionID); c != 1 {
		t.Errorf("running session has %d samples, want 1", c)
	}
	got, err := f.svc.GetSession(ctx, old.SessionID)
	if err != nil || got.EnergyWh != 800 || got.MeterStopWh == nil || *got.MeterStopWh != 800 {
		t.Fatalf("ended session after purge = %+v, %v; want its totals", got, err)
	}
}
