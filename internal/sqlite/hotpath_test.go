package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestSaveConnectorStatusKeepsOperatorFields(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.SaveConnectorStatus(ctx, "NOPE", charging.Connector{ConnectorID: 1, Status: charging.StatusAvailable}); charging.ErrorCode(err) != charging.ENOTFOUND {
		t.Fatalf("unknown charger: err = %v, want ENOTFOUND", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SaveConnectorStatus(ctx, "CP", charging.Connector{ConnectorID: 1, Status: charging.StatusAvailable, UpdatedAt: now})
	if err != nil || got.Status != charging.StatusAvailable || got.Type != "" || !got.UpdatedAt.Equal(now) {
		t.Fatalf("new connector = %+v, %v", got, err)
	}
	if err := s.SaveConnector(ctx, "CP", charging.Connector{ConnectorID: 1, Status: charging.StatusAvailable, Type: "CCS2", MaxPowerW: 150000, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	got, err = s.SaveConnectorStatus(ctx, "CP", charging.Connector{ConnectorID: 1, Status: charging.StatusFaulted, ErrorCode: "GroundFailure", UpdatedAt: now.Add(time.Second)})
	if err != nil || got.Status != charging.StatusFaulted || got.ErrorCode != "GroundFailure" || got.Type != "CCS2" || got.MaxPowerW != 150000 {
		t.Fatalf("updated connector = %+v, %v; want Faulted/GroundFailure keeping CCS2 150000", got, err)
	}
	c, err := s.GetCharger(ctx, "CP")
	if err != nil || len(c.Connectors) != 1 || c.Connectors[0] != got {
		t.Fatalf("GetCharger connectors = %+v, %v; want [%+v]", c.Connectors, err, got)
	}
}

func TestMeterSamplesManyRowsAndLiveOnlyGuard(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	start := 0.0
	ses := charging.Session{ID: "S1", ChargerID: "CP", ConnectorID: 1, TransactionID: "7", Status: charging.SessionActive,
		Origin: charging.OriginLocal, CreatedAt: now, UpdatedAt: now, StartedAt: &now, MeterStartWh: &start}
	if err := s.CreateSession(ctx, ses); err != nil {
		t.Fatal(err)
	}
	// 37 samples in one write.
	var samples []charging.MeterSample
	for i := range 37 {
		samples = append(samples, charging.MeterSample{SessionID: "S1", ChargerID: "CP", ConnectorID: 1, TransactionID: "7",
			Timestamp: now.Add(time.Duration(i) * time.Second), Measurand: charging.MeasurandPowerActiveImport, Value: float64(i)})
	}
	next := ses
	next.PowerW, next.EnergyWh, next.UpdatedAt = 36, 100, now.Add(time.Minute)
	if err := s.AddMeterSamplesIfUnchanged(ctx, samples, &next, &ses); err != nil {
		t.Fatalf("guarded write: %v", err)
	}
	// Repeats are skipped; a fresh one is added.
	more := append(samples[:3:3], charging.MeterSample{SessionID: "S1", ChargerID: "CP", ConnectorID: 1, TransactionID: "7",
		Timestamp: now.Add(time.Hour), Measurand: charging.MeasurandPowerActiveImport, Value: 99})
	if err := s.AddMeterSamples(ctx, more, nil); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S1", Limit: 1000})
	if err != nil || len(page.Items) != 38 || page.Items[37].Value != 99 {
		t.Fatalf("samples = %d, %v; want 38 ending with 99", len(page.Items), err)
	}
	got, err := s.GetSession(ctx, "S1")
	if err != nil || got.PowerW != 36 || got.EnergyWh != 100 || !got.UpdatedAt.Equal(next.UpdatedAt) || got.Status != charging.SessionActive {
		t.Fatalf("session = %+v, %v", got, err)
	}
	// A guarded write that changes more than the live values is refused.
	bad := next
	bad.Status = charging.SessionFinished
	if err := s.AddMeterSamplesIfUnchanged(ctx, nil, &bad, &next); charging.ErrorCode(err) != charging.EINVALID {
		t.Fatalf("non-live change: err = %v, want EINVALID", err)
	}
	// A stale previous state is a conflict.
	if err := s.AddMeterSamplesIfUnchanged(ctx, nil, &next, &ses); charging.ErrorCode(err) != charging.ECONFLICT {
		t.Fatalf("stale prev: err = %v, want ECONFLICT", err)
	}
}
