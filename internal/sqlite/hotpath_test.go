package sqlite_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/sqlite"
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
	if err := s.SaveConnector(ctx, "CP", charging.Connector{ConnectorID: 1, Status: charging.StatusAvailable, EVSEID: "DE*JOU*E1*1",
		Operator: charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, MaxPowerW: 150000}, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	got, err = s.SaveConnectorStatus(ctx, "CP", charging.Connector{ConnectorID: 1, Status: charging.StatusFaulted, ErrorCode: "GroundFailure", UpdatedAt: now.Add(time.Second)})
	if err != nil || got.Status != charging.StatusFaulted || got.ErrorCode != "GroundFailure" || got.Type != "CCS2" || got.MaxPowerW != 150000 ||
		got.EVSEID != "DE*JOU*E1*1" || got.PowerType != charging.PowerDC {
		t.Fatalf("updated connector = %+v, %v; want Faulted/GroundFailure keeping DE*JOU*E1*1 CCS2 (DC) 150000", got, err)
	}
	c, err := s.GetCharger(ctx, "CP")
	if err != nil || len(c.Connectors) != 1 || !reflect.DeepEqual(c.Connectors[0], got) {
		t.Fatalf("GetCharger connectors = %+v, %v; want [%+v]", c.Connectors, err, got)
	}
}

func TestMeterLogManySamplesAndLiveValues(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
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
	// 37 elements and one element of 1,500 samples (stored as two rows).
	var samples []charging.MeterSample
	for i := range 37 {
		samples = append(samples, charging.MeterSample{SessionID: "S1", ChargerID: "CP", ConnectorID: 1, TransactionID: "7",
			Timestamp: now.Add(time.Duration(i) * time.Second), Measurand: charging.MeasurandPowerActiveImport, Value: float64(i)})
	}
	for i := range 1500 {
		samples = append(samples, charging.MeterSample{SessionID: "S1", ChargerID: "CP", ConnectorID: 1, TransactionID: "7",
			Timestamp: now.Add(time.Minute), Measurand: "Temperature", Location: "Body", Unit: "Celsius", Value: float64(i)})
	}
	live := charging.SessionLive{SessionID: "S1", UpdatedAt: now.Add(time.Minute), PowerW: 36, EnergyWh: 100}
	err := s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.AddMeterSamples(ctx, samples, nil); err != nil {
			return err
		}
		return tx.SetSessionLive(ctx, live)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Repeats are skipped; a fresh one is added.
	more := append(samples[:3:3], charging.MeterSample{SessionID: "S1", ChargerID: "CP", ConnectorID: 1, TransactionID: "7",
		Timestamp: now.Add(time.Hour), Measurand: charging.MeasurandPowerActiveImport, Value: 99})
	if err := s.AddMeterSamples(ctx, more, nil); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S1", Limit: 2000})
	if err != nil || len(page.Items) != 1538 || page.Items[1537].Value != 99 || page.Items[1536].Value != 1499 {
		t.Fatalf("samples = %d, %v; want 1538 ending with 1499, 99", len(page.Items), err)
	}
	for i := 1; i < len(page.Items); i++ {
		if page.Items[i].ID <= page.Items[i-1].ID {
			t.Fatalf("sample %d id %d after %d: ids must grow in log order", i, page.Items[i].ID, page.Items[i-1].ID)
		}
	}
	// The live values are read back at once, before any flush ...
	got, err := s.GetSession(ctx, "S1")
	if err != nil || got.PowerW != 36 || got.EnergyWh != 100 || !got.UpdatedAt.Equal(live.UpdatedAt) || got.Status != charging.SessionActive {
		t.Fatalf("session = %+v, %v", got, err)
	}
	// ... and are on disk after Close.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := reopen(t, path)
	got, err = s2.GetSession(ctx, "S1")
	if err != nil || got.PowerW != 36 || got.EnergyWh != 100 {
		t.Fatalf("after reopen: session = %+v, %v", got, err)
	}
	// Live values never overwrite a session written since, nor a finished one.
	got.Status, got.UpdatedAt, got.EnergyWh = charging.SessionFinished, now.Add(2*time.Minute), 120
	if err := s2.UpdateSession(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s2.SetSessionLive(ctx, charging.SessionLive{SessionID: "S1", UpdatedAt: now.Add(3 * time.Minute), PowerW: 1, EnergyWh: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := reopen(t, path)
	if got, err := s3.GetSession(ctx, "S1"); err != nil || got.EnergyWh != 120 || got.Status != charging.SessionFinished {
		t.Fatalf("finished session = %+v, %v; want its final 120 Wh", got, err)
	}
}

// reopen opens the store at path again and closes it when the test ends.
func reopen(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
