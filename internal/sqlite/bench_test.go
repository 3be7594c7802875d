package sqlite_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// meterCall returns one MeterValues message's worth of work: 5 samples
// (energy, power, current, voltage, SoC) of the session at second n, and
// the session with its running totals updated.
func meterCall(sess charging.Session, n int64) ([]charging.MeterSample, charging.Session) {
	ts := time.Unix(1_700_000_000+n, 0).UTC()
	mk := func(measurand, unit string, v float64) charging.MeterSample {
		return charging.MeterSample{SessionID: sess.ID, ChargerID: sess.ChargerID, ConnectorID: sess.ConnectorID,
			TransactionID: sess.TransactionID, Timestamp: ts, Measurand: measurand, Location: "Outlet",
			Context: "Sample.Periodic", Unit: unit, Value: v}
	}
	ms := []charging.MeterSample{
		mk(charging.MeasurandEnergyActiveImportRegister, "Wh", float64(n)*2),
		mk(charging.MeasurandPowerActiveImport, "W", 7208),
		mk(charging.MeasurandCurrentImport, "A", 31.4),
		mk(charging.MeasurandVoltage, "V", 230),
		mk(charging.MeasurandSoC, "Percent", 50),
	}
	sess.EnergyWh, sess.PowerW, sess.UpdatedAt = float64(n)*2, 7208, ts
	return ms, sess
}

// meterUnit is a MeterValues message's unit of work as csms runs it: the
// samples appended to the meter log, the session's live values set.
func meterUnit(ctx context.Context, s charging.Store, ms []charging.MeterSample, upd charging.Session) error {
	return s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.AddMeterSamples(ctx, ms, nil); err != nil {
			return err
		}
		return tx.SetSessionLive(ctx, upd.Live())
	})
}

func benchSessions(b *testing.B, s charging.Store, n int) []charging.Session {
	b.Helper()
	ctx := context.Background()
	var out []charging.Session
	for i := range n {
		id := fmt.Sprintf("CP-%04d", i)
		if err := s.SaveCharger(ctx, charging.Charger{ID: id}); err != nil {
			b.Fatal(err)
		}
		sess := charging.Session{ID: "S-" + id, ChargerID: id, ConnectorID: 1, TransactionID: fmt.Sprint(i + 1),
			Status: charging.SessionActive}
		if err := s.CreateSession(ctx, sess); err != nil {
			b.Fatal(err)
		}
		out = append(out, sess)
	}
	return out
}

// BenchmarkAddMeterSamples measures one durable (synchronous=FULL) unit of
// 5 samples plus the session's live values, one caller at a time: the cost of a
// MeterValues message when the writer is idle.
func BenchmarkAddMeterSamples(b *testing.B) {
	s, _ := openTemp(b)
	sess := benchSessions(b, s, 1)[0]
	ctx := context.Background()
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		n++
		ms, upd := meterCall(sess, n)
		if err := meterUnit(ctx, s, ms, upd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*5/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkAddMeterSamplesParallel is the same unit from many chargers at
// once, sharing fsyncs through the group commit.
func BenchmarkAddMeterSamplesParallel(b *testing.B) {
	s, _ := openTemp(b)
	sessions := benchSessions(b, s, 64)
	ctx := context.Background()
	var next, seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4) // 4×GOMAXPROCS callers, as many chargers sending at once
	b.RunParallel(func(pb *testing.PB) {
		sess := sessions[int(next.Add(1)-1)%len(sessions)]
		for pb.Next() {
			ms, upd := meterCall(sess, seq.Add(1))
			if err := meterUnit(ctx, s, ms, upd); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)*5/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkMeterUnitsManyChargers is the meter path's store work under
// the load of many chargers at once (512 callers, one session each): the
// group commit fills its batches, so this is the store's throughput in
// MeterValues messages per second.
func BenchmarkMeterUnitsManyChargers(b *testing.B) {
	s, _ := openTemp(b)
	sessions := benchSessions(b, s, 512)
	ctx := context.Background()
	var next, seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(256) // 256×GOMAXPROCS callers
	b.RunParallel(func(pb *testing.PB) {
		sess := sessions[int(next.Add(1)-1)%len(sessions)]
		for pb.Next() {
			ms, upd := meterCall(sess, seq.Add(1))
			if err := meterUnit(ctx, s, ms, upd); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
