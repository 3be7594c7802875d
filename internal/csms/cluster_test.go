package csms_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

// Scale-out: several nodes share one store. These tests play a second
// node that writes at the worst moment, and check that no write of it is
// lost to a stale copy, that a charger that moved to another node is left
// alone by the node it left, and that only the leader sweeps.

// racingStore is a store through which another node writes at the worst
// moments for a read-modify-write: right after every read made outside a
// unit of work, and right before every unit of work starts. A use case
// that writes back what it read outside a unit loses that write; one that
// reads and writes inside one unit (a serializable transaction on
// PostgreSQL) keeps it. Reads inside a unit go straight to the wrapped
// store's unit.
type racingStore struct {
	charging.Store

	mu    sync.Mutex
	race  func(ctx context.Context, n int) // the other node's write; nil: none
	fires int
}

// armed sets the other node's write and resets its count; nil stops it
// and keeps the count.
func (r *racingStore) armed(race func(ctx context.Context, n int)) {
	r.mu.Lock()
	r.race = race
	if race != nil {
		r.fires = 0
	}
	r.mu.Unlock()
}

// fired returns how many times the other node wrote since armed.
func (r *racingStore) fired() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fires
}

func (r *racingStore) fire(ctx context.Context) {
	r.mu.Lock()
	race := r.race
	if race != nil {
		r.fires++
	}
	n := r.fires
	r.mu.Unlock()
	if race != nil {
		race(ctx, n)
	}
}

func (r *racingStore) Update(ctx context.Context, fn func(tx charging.Tx) error) error {
	r.fire(ctx)
	return r.Store.Update(ctx, fn)
}

func (r *racingStore) GetSession(ctx context.Context, id string) (charging.Session, error) {
	x, err := r.Store.GetSession(ctx, id)
	r.fire(ctx)
	return x, err
}

func (r *racingStore) GetCharger(ctx context.Context, id string) (charging.Charger, error) {
	x, err := r.Store.GetCharger(ctx, id)
	r.fire(ctx)
	return x, err
}

func (r *racingStore) GetReservation(ctx context.Context, id int) (charging.Reservation, error) {
	x, err := r.Store.GetReservation(ctx, id)
	r.fire(ctx)
	return x, err
}

func (r *racingStore) GetDiagnosticsJob(ctx context.Context, id string) (charging.DiagnosticsJob, error) {
	x, err := r.Store.GetDiagnosticsJob(ctx, id)
	r.fire(ctx)
	return x, err
}

func (r *racingStore) GetDiagnosticsJobByToken(ctx context.Context, token string) (charging.DiagnosticsJob, error) {
	x, err := r.Store.GetDiagnosticsJobByToken(ctx, token)
	r.fire(ctx)
	return x, err
}

// raceFixture is a node (svc, over a racingStore) with charger CP-1
// connected and booted, as newFixture; f.store is the shared SQLite store.
type raceFixture struct {
	*fixture
	rs *racingStore
}

func newRaceFixture(t *testing.T) *raceFixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rs := &racingStore{Store: store}
	f := &fixture{store: store, cmd: &fakeCommander{}, bus: inmem.NewBus(), clock: &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}
	f.svc = csms.New(rs, f.bus, f.cmd, nil, f.clock.now, csms.Config{PendingTimeout: time.Minute})
	must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP16))
	_, err = f.svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"})
	must(t, err)
	for _, n := range []int{0, 1, 2} {
		must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: n, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	}
	return &raceFixture{fixture: f, rs: rs}
}

// flagSession is the other node's write: a flag on the session.
func (f *raceFixture) flagSession(t *testing.T, id string) func(context.Context, int) {
	return func(ctx context.Context, n int) {
		ses, err := f.store.GetSession(ctx, id)
		if err != nil {
			return // not there yet
		}
		ses.Flags = append(ses.Flags, fmt.Sprintf("node B %d", n))
		if err := f.store.UpdateSession(ctx, ses); err != nil {
			t.Errorf("node B: %v", err)
		}
	}
}

// keptFlags checks that the session holds every flag the other node wrote.
func (f *raceFixture) keptFlags(t *testing.T, ses charging.Session) {
	t.Helper()
	n := 0
	for _, fl := range ses.Flags {
		if strings.HasPrefix(fl, "node B ") {
			n++
		}
	}
	if fired := f.rs.fired(); fired == 0 || n != fired {
		t.Errorf("the other node wrote %d times, the session keeps %d of its writes (%q)", fired, n, ses.Flags)
	}
}

// TestRaceStopRequestKeepsOtherNode: the stop request is recorded in one
// unit with the read it is based on: nothing another node wrote meanwhile
// is overwritten.
func TestRaceStopRequestKeepsOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	res := f.started(t, 1, "TAG-1", 0)
	f.rs.armed(f.flagSession(t, res.SessionID))
	got, err := f.svc.StopSession(ctx, res.SessionID)
	must(t, err)
	f.rs.armed(nil)
	if got.StopRequestedAt == nil {
		t.Fatal("StopSession returned no stop request")
	}
	stored, err := f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if stored.StopRequestedAt == nil {
		t.Error("stored session has no stop request")
	}
	f.keptFlags(t, stored)
}

// TestRaceStopRequestAfterStopOnOtherNode: the charger's StopTransaction,
// handled by another node between the answer and its recording, stays.
func TestRaceStopRequestAfterStopOnOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	nodeB := csms.New(f.store, f.bus, &fakeCommander{}, nil, f.clock.now, csms.Config{})
	res := f.started(t, 1, "TAG-1", 0)
	var once sync.Once
	f.rs.armed(func(ctx context.Context, n int) {
		if n < 2 { // after StopSession's first read: the remote stop is sent
			return
		}
		once.Do(func() {
			if _, err := nodeB.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 500, Timestamp: f.clock.now()}); err != nil {
				t.Errorf("node B: %v", err)
			}
		})
	})
	_, err := f.svc.StopSession(ctx, res.SessionID)
	must(t, err)
	f.rs.armed(nil)
	stored, err := f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if stored.Status != charging.SessionFinished || stored.EnergyWh != 500 || stored.StopRequestedAt != nil {
		t.Errorf("session = %s, %v Wh, stop requested %v; want finished by node B, 500 Wh, no stop request", stored.Status, stored.EnergyWh, stored.StopRequestedAt)
	}
}

// TestRaceFailPendingKeepsOtherNode: the pending sweep decides and writes
// in one unit.
func TestRaceFailPendingKeepsOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-P"})
	must(t, err)
	f.clock.add(2 * time.Minute)
	f.rs.armed(f.flagSession(t, ses.ID))
	must(t, f.svc.ExpirePending(ctx))
	f.rs.armed(nil)
	stored, err := f.store.GetSession(ctx, ses.ID)
	must(t, err)
	if stored.Status != charging.SessionFailed {
		t.Errorf("status = %s, want failed", stored.Status)
	}
	f.keptFlags(t, stored)
}

// TestRaceFailPendingAfterStartOnOtherNode: a transaction another node
// bound to the pending session meanwhile is never failed.
func TestRaceFailPendingAfterStartOnOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	nodeB := csms.New(f.store, f.bus, &fakeCommander{}, nil, f.clock.now, csms.Config{})
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-P"})
	must(t, err)
	f.clock.add(2 * time.Minute)
	var once sync.Once
	f.rs.armed(func(ctx context.Context, n int) {
		once.Do(func() {
			if _, err := nodeB.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: 1, IDTag: "TAG-P", Timestamp: f.clock.now()}); err != nil {
				t.Errorf("node B: %v", err)
			}
		})
	})
	must(t, f.svc.ExpirePending(ctx))
	f.rs.armed(nil)
	stored, err := f.store.GetSession(ctx, ses.ID)
	must(t, err)
	if stored.Status != charging.SessionActive {
		t.Errorf("status = %s, want active (bound by node B)", stored.Status)
	}
}

// TestRaceReservationKeepsOtherNode: expiring a reservation reads and
// writes it in one unit.
func TestRaceReservationKeepsOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	now := f.clock.now()
	must(t, f.store.CreateReservation(ctx, charging.Reservation{ID: 7, ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-R",
		ExpiresAt: now.Add(time.Minute), Status: charging.ReservationActive, CreatedAt: now, UpdatedAt: now}))
	f.clock.add(2 * time.Minute)
	f.rs.armed(func(ctx context.Context, n int) {
		r, err := f.store.GetReservation(ctx, 7)
		if err != nil {
			t.Errorf("node B: %v", err)
			return
		}
		r.ChargerAnswer = fmt.Sprintf("node B %d", n)
		if err := f.store.UpdateReservation(ctx, r); err != nil {
			t.Errorf("node B: %v", err)
		}
	})
	must(t, f.svc.ExpireReservations(ctx))
	fired := f.rs.fired()
	f.rs.armed(nil)
	r, err := f.store.GetReservation(ctx, 7)
	must(t, err)
	if r.Status != charging.ReservationExpired || r.ChargerAnswer != fmt.Sprintf("node B %d", fired) || fired == 0 {
		t.Errorf("reservation %s, answer %q; want expired, node B's last write %d", r.Status, r.ChargerAnswer, fired)
	}
}

// TestRaceReservationUsedOnOtherNode: a reservation another node marked
// used meanwhile is not expired over.
func TestRaceReservationUsedOnOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	now := f.clock.now()
	must(t, f.store.CreateReservation(ctx, charging.Reservation{ID: 8, ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-R",
		ExpiresAt: now.Add(time.Minute), Status: charging.ReservationActive, CreatedAt: now, UpdatedAt: now}))
	f.clock.add(2 * time.Minute)
	f.rs.armed(func(ctx context.Context, n int) {
		r, err := f.store.GetReservation(ctx, 8)
		if err != nil || r.Status != charging.ReservationActive {
			return
		}
		r.Status, r.SessionID = charging.ReservationUsed, "S-B"
		if err := f.store.UpdateReservation(ctx, r); err != nil {
			t.Errorf("node B: %v", err)
		}
	})
	must(t, f.svc.ExpireReservations(ctx))
	f.rs.armed(nil)
	r, err := f.store.GetReservation(ctx, 8)
	must(t, err)
	if r.Status != charging.ReservationUsed {
		t.Errorf("reservation %s, want used (by node B)", r.Status)
	}
}

// TestRaceDiagnosticsUploadKeepsOtherNode: recording an upload reads and
// writes the job in one unit.
func TestRaceDiagnosticsUploadKeepsOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	must(t, f.store.SaveDiagnosticsJob(ctx, charging.DiagnosticsJob{ID: "J-1", ChargerID: "CP-1", Token: "tok", Status: charging.JobRequested,
		History: []charging.JobStatus{}, CreatedAt: f.clock.now()}))
	f.rs.armed(func(ctx context.Context, n int) {
		j, err := f.store.GetDiagnosticsJob(ctx, "J-1")
		if err != nil {
			t.Errorf("node B: %v", err)
			return
		}
		j.Error = fmt.Sprintf("node B %d", n)
		if err := f.store.SaveDiagnosticsJob(ctx, j); err != nil {
			t.Errorf("node B: %v", err)
		}
	})
	_, err := f.svc.DiagnosticsUploaded(ctx, "tok", 10, "abc")
	must(t, err)
	fired := f.rs.fired()
	f.rs.armed(nil)
	j, err := f.store.GetDiagnosticsJob(ctx, "J-1")
	must(t, err)
	if j.UploadedAt == nil || j.Error != fmt.Sprintf("node B %d", fired) || fired == 0 {
		t.Errorf("job uploaded %v, error %q; want uploaded, node B's last write %d", j.UploadedAt, j.Error, fired)
	}
}

// TestRaceChargerKeepsOtherNode: an operator's change to a charger reads
// and writes it in one unit.
func TestRaceChargerKeepsOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newRaceFixture(t)
	f.rs.armed(func(ctx context.Context, n int) {
		c, err := f.store.GetCharger(ctx, "CP-1")
		if err != nil {
			t.Errorf("node B: %v", err)
			return
		}
		c.FirmwareVersion = fmt.Sprintf("node B %d", n)
		if err := f.store.SaveCharger(ctx, c); err != nil {
			t.Errorf("node B: %v", err)
		}
	})
	_, err := f.svc.SetSecurityProfile(ctx, "CP-1", charging.ProfileMTLS, false)
	must(t, err)
	fired := f.rs.fired()
	f.rs.armed(nil)
	c, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	if c.SecurityProfile != charging.ProfileMTLS || c.FirmwareVersion != fmt.Sprintf("node B %d", fired) || fired == 0 {
		t.Errorf("charger profile %d, firmware %q; want 3, node B's last write %d", c.SecurityProfile, c.FirmwareVersion, fired)
	}
}

// TestBootAfterRejectOnOtherNode: an operator rejects a charger on another
// node between its connect and its boot: the boot reads the charger again
// and is answered Rejected.
func TestBootAfterRejectOnOtherNode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	nodeB := csms.New(f.store, f.bus, &fakeCommander{}, nil, f.clock.now, csms.Config{})
	must(t, f.svc.Connected(ctx, "CP-9", charging.OCPP16))
	_, err := nodeB.RejectCharger(ctx, "CP-9")
	must(t, err)
	res, err := f.svc.Booted(ctx, "CP-9", charging.BootInfo{Vendor: "V", Model: "M"})
	must(t, err)
	c, err := f.store.GetCharger(ctx, "CP-9")
	must(t, err)
	if res.Status != charging.RegistrationRejected || c.Admission != charging.AdmissionRejected {
		t.Errorf("boot answered %s, admission %s; want Rejected, Rejected", res.Status, c.Admission)
	}
}

func socSample(ts time.Time, soc float64) []charging.MeterSample {
	return []charging.MeterSample{{Timestamp: ts, Measurand: charging.MeasurandSoC, Unit: "Percent", Value: soc}}
}

// TestLiveCacheDroppedOnConnect: a charger that charged through another
// node and came back starts from the store, not from the session the node
// cached before it left: what the other node recorded is kept.
func TestLiveCacheDroppedOnConnect(t *testing.T) {
	for _, via := range []string{"connect", "disconnect"} {
		t.Run(via, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			nodeB := csms.New(f.store, f.bus, &fakeCommander{}, nil, f.clock.now, csms.Config{})
			res := f.started(t, 1, "TAG-1", 1000)
			f.clock.add(time.Second)
			must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: energySample(f.clock.now(), 1010)}))
			if via == "disconnect" {
				// The old connection's end is noticed after the charger
				// reached node B.
				must(t, f.svc.Disconnected(ctx, "CP-1"))
			}
			f.clock.add(time.Second)
			must(t, nodeB.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: socSample(f.clock.now(), 80)}))
			if via == "connect" {
				must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP16))
			}
			f.clock.add(time.Second)
			must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: energySample(f.clock.now(), 1030)}))
			got, err := f.store.GetSession(ctx, res.SessionID)
			must(t, err)
			if got.SoCPercent == nil || *got.SoCPercent != 80 || got.EnergyWh != 30 {
				t.Errorf("SoC %v, energy %v; want node B's 80 kept, 30 Wh", got.SoCPercent, got.EnergyWh)
			}
		})
	}
}

// TestStaleCacheNeverRevivesSession: a session another node finished
// while this node still caches it stays finished: the meter path writes
// only live values, which never overwrite a session that is no longer
// active or written later (charging.Tx.SetSessionLive).
func TestStaleCacheNeverRevivesSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	nodeB := csms.New(f.store, f.bus, &fakeCommander{}, nil, f.clock.now, csms.Config{})
	res := f.started(t, 1, "TAG-1", 1000)
	f.clock.add(time.Second)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: energySample(f.clock.now(), 1010)}))
	f.clock.add(time.Second)
	_, err := nodeB.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 1020, Timestamp: f.clock.now()})
	must(t, err)
	f.clock.add(time.Second)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: energySample(f.clock.now(), 1050)}))
	got, err := f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if got.Status != charging.SessionFinished || got.EnergyWh != 20 {
		t.Errorf("session %s, %v Wh; want finished by node B, 20 Wh", got.Status, got.EnergyWh)
	}
}

// TestDisconnectedAfterMove: the end of a connection is noticed after the
// charger connected to another node (the commander, cluster-wide, says it
// is connected): the charger stays online and its sessions untouched, and
// no disconnection is published. Once it is connected nowhere, the same
// call marks it offline.
func TestDisconnectedAfterMove(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	res := f.started(t, 1, "TAG-1", 0)
	f.clock.add(time.Second)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: []charging.MeterSample{
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandPowerActiveImport, Value: 7000, Unit: "W"},
	}}))
	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()
	f.clock.add(time.Second)

	must(t, f.svc.Disconnected(ctx, "CP-1")) // the fake commander: connected (elsewhere)
	c, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	ses, err := f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if !c.Online || ses.PowerW != 7000 {
		t.Errorf("after a moved charger's old connection ended: online %v, power %v W; want online, 7000 W", c.Online, ses.PowerW)
	}
	if n := drain(sub); n != 0 {
		t.Errorf("%d events published for a moved charger's old connection, want none", n)
	}

	f.cmd.setOffline(true)
	must(t, f.svc.Disconnected(ctx, "CP-1"))
	c, err = f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	ses, err = f.store.GetSession(ctx, res.SessionID)
	must(t, err)
	if c.Online || ses.PowerW != 0 {
		t.Errorf("after the last connection ended: online %v, power %v W; want offline, 0 W", c.Online, ses.PowerW)
	}
}

// TestSweepOnlyOnLeader: Run sweeps only at the ticks at which Leader
// says this node leads; the loop keeps ticking meanwhile.
func TestSweepOnlyOnLeader(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	var leader atomic.Bool
	var asked atomic.Int32
	svc := csms.New(store, inmem.NewBus(), &fakeCommander{}, nil, clk.now, csms.Config{
		PendingTimeout: time.Minute, SweepInterval: 5 * time.Millisecond,
		Leader: func() bool { asked.Add(1); return leader.Load() },
	})
	must(t, svc.Connected(ctx, "CP-1", charging.OCPP16))
	_, err = svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"})
	must(t, err)
	must(t, svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: 1, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	ses, err := svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-P"})
	must(t, err)
	now := clk.now()
	must(t, store.CreateReservation(ctx, charging.Reservation{ID: 3, ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG-R",
		ExpiresAt: now.Add(time.Minute), Status: charging.ReservationActive, CreatedAt: now, UpdatedAt: now}))
	clk.add(2 * time.Minute) // both are due

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(5 * time.Second)
	for asked.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if asked.Load() < 10 {
		t.Fatalf("Leader asked %d times, want the loop to keep ticking", asked.Load())
	}
	got, err := store.GetSession(ctx, ses.ID)
	must(t, err)
	r, err := store.GetReservation(ctx, 3)
	must(t, err)
	if got.Status != charging.SessionPending || r.Status != charging.ReservationActive {
		t.Fatalf("not the leader: session %s, reservation %s; want both untouched", got.Status, r.Status)
	}

	leader.Store(true)
	for time.Now().Before(deadline) {
		got, err = store.GetSession(ctx, ses.ID)
		must(t, err)
		r, err = store.GetReservation(ctx, 3)
		must(t, err)
		if got.Status == charging.SessionFailed && r.Status == charging.ReservationExpired {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("the leader: session %s, reservation %s; want failed, expired", got.Status, r.Status)
}

// TestNoReadModifyWriteOutsideUnits: the use cases that read a session,
// reservation or charger and write it back do both in a unit of work:
// nothing but presence and the command log is written outside one.
func TestNoReadModifyWriteOutsideUnits(t *testing.T) {
	ctx := context.Background()
	f := newFaultFixture(t, charging.OCPP16)
	res := f.start16(t, 1, "TAG-1", 0, f.clock.now())
	now := f.clock.now()
	must(t, f.store.CreateReservation(ctx, charging.Reservation{ID: 5, ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG-R",
		ExpiresAt: now.Add(time.Minute), Status: charging.ReservationActive, CreatedAt: now, UpdatedAt: now}))
	f.fs.ResetOutsideWrites()

	_, err := f.svc.StopSession(ctx, res.SessionID)
	must(t, err)
	must(t, f.svc.RemoteStopAnswered(ctx, "CP-1", res.TransactionID, charging.CommandAccepted))
	must(t, f.svc.RemoteStartAnswered(ctx, "CP-1", charging.RemoteStart{ConnectorID: 2, IDTag: "TAG-X"}, charging.CommandAccepted))
	f.clock.add(2 * time.Hour)
	must(t, f.svc.ExpirePending(ctx))
	must(t, f.svc.ExpireReservations(ctx))
	_, err = f.svc.CloseSession(ctx, res.SessionID, "test")
	must(t, err)
	f.cmd.setOffline(true)
	must(t, f.svc.Disconnected(ctx, "CP-1"))
	f.cmd.setOffline(false)
	must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP16))
	_, err = f.svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M2"})
	must(t, err)
	_, err = f.svc.SetSecurityProfile(ctx, "CP-1", charging.ProfileMTLS, false)
	must(t, err)

	allowed := map[string]bool{"SaveCommand": true, "SetChargerPresence": true, "TouchCharger": true, "NextRemoteStartID": true, "AddSecurityEvent": true}
	for _, m := range f.fs.OutsideWrites() {
		if !allowed[m] {
			t.Errorf("written outside a unit of work: %s (all: %q)", m, f.fs.OutsideWrites())
		}
	}
	ses := f.session(t, res.SessionID)
	r, err := f.store.GetReservation(ctx, 5)
	must(t, err)
	if ses.Status != charging.SessionFinished || ses.StopRequestedAt == nil || r.Status != charging.ReservationExpired {
		t.Errorf("session %s (stop requested %v), reservation %s; want finished by hand after a stop request, expired", ses.Status, ses.StopRequestedAt, r.Status)
	}
}
