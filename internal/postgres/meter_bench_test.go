package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/postgres"
)

// BenchmarkMeterUnit measures what a MeterValues costs the store: one unit
// of work that reads the session, stores one element of ten samples and
// sets the session's live values, run by 64 chargers at once (each on a
// session of its own), so units commit side by side as on a busy node.
// Run: JOULE_TEST_POSTGRES_URL=... go test -run '^$' -bench MeterUnit ./internal/postgres/
func BenchmarkMeterUnit(b *testing.B) {
	// The pool's default (the larger of 4 and the CPUs), and more.
	for _, conns := range []int32{4, 16} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) { benchMeterUnit(b, conns) })
	}
}

func benchMeterUnit(b *testing.B, conns int32) {
	ctx := context.Background()
	s := openTest(b, postgres.WithMaxConns(conns))
	const chargers = 64
	base := time.Now().UTC()
	for i := range chargers {
		id := fmt.Sprintf("CP-%03d", i)
		if err := s.SaveCharger(ctx, charging.Charger{ID: id, OCPPVersion: charging.OCPP16, CreatedAt: base}); err != nil {
			b.Fatal(err)
		}
		x := charging.Session{ID: "S-" + id, ChargerID: id, ConnectorID: 1, Status: charging.SessionActive,
			TransactionID: fmt.Sprint(i + 1), CreatedAt: base, UpdatedAt: base}
		if err := s.CreateSession(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	measurands := []string{charging.MeasurandEnergyActiveImportRegister, charging.MeasurandPowerActiveImport,
		"Current.Import", "Voltage", charging.MeasurandSoC, "Current.Offered", "Power.Offered", "Temperature",
		"Frequency", "Power.Factor"}
	var next atomic.Int64
	var seq atomic.Int64
	b.SetParallelism(chargers / 2) // × GOMAXPROCS (2 here) goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("CP-%03d", next.Add(1)%chargers)
		sid := "S-" + id
		for pb.Next() {
			ts := base.Add(time.Duration(seq.Add(1)) * time.Millisecond)
			el := make([]charging.MeterSample, len(measurands))
			for k, m := range measurands {
				el[k] = charging.MeterSample{SessionID: sid, ChargerID: id, ConnectorID: 1, TransactionID: sid,
					Timestamp: ts, Measurand: m, Unit: "Wh", Value: float64(k) * 1.5}
			}
			err := s.Update(ctx, func(tx charging.Tx) error {
				ses, err := tx.GetSession(ctx, sid)
				if err != nil {
					return err
				}
				if err := tx.AddMeterSamples(ctx, el, nil); err != nil {
					return err
				}
				return tx.SetSessionLive(ctx, charging.SessionLive{SessionID: ses.ID, UpdatedAt: ts, EnergyWh: 1, PowerW: 2})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "units/s")
}
