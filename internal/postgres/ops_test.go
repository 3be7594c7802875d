package postgres_test

// Checks of the station-management methods beyond the conformance suite:
// what PostgreSQL does differently (json bytes kept, savepoints around a
// failing write in a unit, the local list counter under concurrency).

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestOps(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for _, id := range []string{"A", "B"} {
		if err := s.SaveCharger(ctx, charging.Charger{ID: id, OCPPVersion: charging.OCPP16, CreatedAt: time.Now()}); err != nil {
			t.Fatalf("SaveCharger %s: %v", id, err)
		}
	}
	zone := time.FixedZone("X", 5*3600)
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 123456789, zone)
	us := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	p := func(t time.Time) *time.Time { return &t }
	ip := func(i int) *int { return &i }
	fp := func(f float64) *float64 { return &f }

	// Profile round trip.
	prof := charging.ChargingProfile{ID: 5, StackLevel: 2, Purpose: charging.PurposeTxDefault, Kind: charging.KindRecurring, RecurrencyKind: charging.RecurDaily,
		ValidFrom: p(t0), ValidTo: p(t0.Add(time.Hour)), Schedule: charging.ChargingSchedule{DurationS: ip(86400), StartSchedule: p(t0), RateUnit: "W",
			Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: 0.1}, {StartPeriodS: 60, Limit: 1e21, NumberPhases: ip(3)}}, MinChargingRate: fp(1.5)},
		TransactionID: "", CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveChargingProfile(ctx, prof); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetChargingProfile(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := prof
	want.ValidFrom, want.ValidTo, want.Schedule.StartSchedule = p(us(t0)), p(us(t0.Add(time.Hour))), p(us(t0))
	want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("profile\n got %+v\nwant %+v", got, want)
	}

	// Commands keep their bytes.
	req := json.RawMessage(`{ "b": 1,  "a" : "<x>" }`)
	if err := s.SaveCommand(ctx, charging.CommandRecord{ID: "c", ChargerID: "A", Action: "X", Request: req, Status: "pending", RequestedAt: t0}); err != nil {
		t.Fatal(err)
	}
	cp, err := s.ListCommands(ctx, charging.CommandQuery{ChargerID: "A"})
	if err != nil || len(cp.Items) != 1 || string(cp.Items[0].Request) != string(req) || cp.Items[0].Response != nil {
		t.Errorf("commands %+v %v", cp, err)
	}
	if err := s.SaveCommand(ctx, charging.CommandRecord{ID: "bad", ChargerID: "A", Action: "X", Request: json.RawMessage(`{`), Status: "pending", RequestedAt: t0}); charging.ErrorCode(err) != charging.EINVALID {
		t.Errorf("bad json: %v", err)
	}
	if _, err := s.ListCommands(ctx, charging.CommandQuery{ChargerID: "A", Cursor: "!!"}); charging.ErrorCode(err) != charging.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}

	// Signed firmware job.
	job := charging.FirmwareJob{ID: "j", ChargerID: "A", FirmwareUpdate: charging.FirmwareUpdate{Location: "x", RetrieveDate: t0},
		Signed: &charging.SignedFirmware{RequestID: 7, SigningCertificate: "PEM", Signature: "sig", InstallDate: p(t0)}, Status: "Requested", CreatedAt: t0}
	if err := s.SaveFirmwareJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.ListFirmwareJobs(ctx, "A")
	if err != nil || len(jobs) != 1 || jobs[0].Signed == nil || !reflect.DeepEqual(*jobs[0].Signed, charging.SignedFirmware{RequestID: 7, SigningCertificate: "PEM", Signature: "sig", InstallDate: p(us(t0))}) ||
		jobs[0].History == nil || len(jobs[0].History) != 0 {
		t.Errorf("jobs %+v %v", jobs, err)
	}

	// Missing charger.
	if err := s.SaveDesiredSetting(ctx, charging.DesiredSetting{ChargerID: "nope", Key: "k", Value: "v", UpdatedAt: t0}); charging.ErrorCode(err) != charging.ENOTFOUND {
		t.Errorf("desired setting of a missing charger: %v", err)
	}
	if err := s.CreateReservation(ctx, charging.Reservation{ID: 1, ChargerID: "nope", ConnectorID: 1, Status: "pending", ExpiresAt: t0, CreatedAt: t0, UpdatedAt: t0}); charging.ErrorCode(err) != charging.ENOTFOUND {
		t.Errorf("reservation of a missing charger: %v", err)
	}
	if err := s.InstallProfile(ctx, charging.InstalledProfile{ChargerID: "nope", ConnectorID: 1, ProfileID: 1, Purpose: "TxProfile", InstalledAt: t0}); charging.ErrorCode(err) != charging.ENOTFOUND {
		t.Errorf("install on a missing charger: %v", err)
	}
	// Configuration: duplicates in one save, no keys.
	if err := s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: "A", Keys: []charging.ConfigurationKey{{Key: "Ab", Value: strPtr("1")}, {Key: "aB", Value: strPtr("2"), Readonly: true}}}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: "A"}, false); err != nil {
		t.Fatal(err)
	}
	c, err := s.GetConfiguration(ctx, "A")
	if err != nil || len(c.Keys) != 1 || c.Keys[0].Key != "Ab" || *c.Keys[0].Value != "2" || !c.Keys[0].Readonly || c.ReadAt != nil || c.UnknownKeys != nil {
		t.Errorf("config %+v %v", c, err)
	}
	if err := s.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: "B", ReadAt: p(t0)}, true); err != nil {
		t.Fatal(err)
	}
	c, err = s.GetConfiguration(ctx, "B")
	if err != nil || len(c.Keys) != 0 || c.Keys == nil || c.ReadAt == nil || !c.ReadAt.Equal(us(t0)) || c.UnknownKeys == nil {
		t.Errorf("config B %+v %v", c, err)
	}

	// Failed writes inside a unit leave it usable.
	err = s.Update(ctx, func(tx charging.Tx) error {
		r := charging.Reservation{ID: 100, ChargerID: "A", ConnectorID: 1, Status: "pending", ExpiresAt: t0, CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateReservation(ctx, r); err != nil {
			return err
		}
		r.ID = 101
		if err := tx.CreateReservation(ctx, r); charging.ErrorCode(err) != charging.ECONFLICT {
			t.Errorf("second open reservation in a unit: %v", err)
		}
		if err := tx.InstallProfile(ctx, charging.InstalledProfile{ChargerID: "nope", ConnectorID: 1, ProfileID: 1, Purpose: "TxProfile", InstalledAt: t0}); charging.ErrorCode(err) != charging.ENOTFOUND {
			t.Errorf("install on a missing charger in a unit: %v", err)
		}
		if err := tx.SaveDiagnosticsJob(ctx, charging.DiagnosticsJob{ID: "d1", ChargerID: "A", Token: "t", Status: "x", CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.SaveDiagnosticsJob(ctx, charging.DiagnosticsJob{ID: "d2", ChargerID: "A", Token: "t", Status: "x", CreatedAt: t0}); charging.ErrorCode(err) != charging.ECONFLICT {
			t.Errorf("token conflict in a unit: %v", err)
		}
		r.ConnectorID = 2
		return tx.CreateReservation(ctx, r)
	})
	if err != nil {
		t.Fatalf("unit: %v", err)
	}
	rp, err := s.ListReservations(ctx, charging.ReservationQuery{ChargerID: "A", Status: []charging.ReservationStatus{"active", "pending"}, Limit: 1})
	if err != nil || len(rp.Items) != 1 || rp.Items[0].ID != 101 || rp.NextCursor == "" {
		t.Fatalf("reservations %+v %v", rp, err)
	}
	rp, err = s.ListReservations(ctx, charging.ReservationQuery{ChargerID: "A", Cursor: rp.NextCursor})
	if err != nil || len(rp.Items) != 1 || rp.Items[0].ID != 100 || rp.NextCursor != "" {
		t.Fatalf("reservations page 2 %+v %v", rp, err)
	}
	if _, err := s.ListReservations(ctx, charging.ReservationQuery{Status: []charging.ReservationStatus{"nope"}}); charging.ErrorCode(err) != charging.EINVALID {
		t.Errorf("unknown status: %v", err)
	}

	// Local list versions: concurrent callers get distinct versions.
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				v, err := s.NextLocalListVersion(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[v] {
					t.Errorf("version %d twice", v)
				}
				seen[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// and in units
	for range 4 {
		wg.Go(func() {
			for range 10 {
				var v int
				err := s.Update(ctx, func(tx charging.Tx) error {
					var err error
					v, err = tx.NextLocalListVersion(ctx)
					if err != nil {
						return err
					}
					return tx.SaveLocalListVersion(ctx, "A", v, t0)
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[v] {
					t.Errorf("version %d twice", v)
				}
				seen[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func strPtr(s string) *string { return &s }
