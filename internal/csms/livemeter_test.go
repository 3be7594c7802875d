package csms_test

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func energySample(ts time.Time, wh float64) []charging.MeterSample {
	return []charging.MeterSample{{Timestamp: ts, Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: wh}}
}

// TestMeterValuesKeepsOtherSessionChanges: the meter path keeps active
// sessions in memory, but a change made by anyone else between two
// MeterValues (here a stop request written straight to the store, with the
// same clock reading) is kept, and a stopped session stays finished.
func TestMeterValuesKeepsOtherSessionChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	res := f.started(t, 1, "TAG-1", 1000)
	tx := res.TransactionID

	for i, wh := range []float64{1010, 1020} {
		f.clock.add(time.Second)
		must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: tx, Samples: energySample(f.clock.now(), wh)}))
		got, err := f.store.GetSession(ctx, res.SessionID)
		must(t, err)
		if want := wh - 1000; got.EnergyWh != want {
			t.Fatalf("after MeterValues %d: EnergyWh = %v, want %v", i, got.EnergyWh, want)
		}
	}

	// Someone else writes the session, at the same clock reading.
	ses, err := f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	req := f.clock.now()
	ses.StopRequestedAt = &req
	ses.Flags = append(ses.Flags, "written by someone else")
	ses.UpdatedAt = f.clock.now()
	must(t, f.store.UpdateSession(ctx, ses))

	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: tx, Samples: energySample(f.clock.now().Add(time.Second), 1030)}))
	got, err := f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if got.StopRequestedAt == nil || len(got.Flags) != 1 {
		t.Errorf("after MeterValues: StopRequestedAt = %v, Flags = %q; want the other writer's %v, [written by someone else]", got.StopRequestedAt, got.Flags, req)
	}
	if got.EnergyWh != 30 {
		t.Errorf("after MeterValues: EnergyWh = %v, want 30", got.EnergyWh)
	}
	page, err := f.store.ListMeterSamples(ctx, charging.MeterQuery{SessionID: res.SessionID})
	must(t, err)
	if len(page.Items) != 3 {
		t.Errorf("stored samples = %d, want 3 (each report once)", len(page.Items))
	}

	// Stopped: a late report is stored but leaves the session finished.
	f.clock.add(time.Minute)
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: tx, MeterStopWh: 1040, Timestamp: f.clock.now()})
	must(t, err)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: tx, Samples: energySample(f.clock.now().Add(time.Second), 1050)}))
	got, err = f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if got.Status != charging.SessionFinished || got.EnergyWh != 40 {
		t.Errorf("after a late MeterValues: status %s, EnergyWh %v; want finished, 40", got.Status, got.EnergyWh)
	}
}
