package csms_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/sqlite"
)

// TestLostSessionGrace: an active session whose connector the charger
// reports Available ends once the grace period has passed since that
// report, with its last known reading; a stop the charger sends later
// still wins.
func TestLostSessionGrace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.started(t, 1, "TAG-L", 1000)
	f.clock.add(time.Minute)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: []charging.MeterSample{
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandEnergyActiveImportRegister, Value: 1250, Unit: "Wh"},
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandPowerActiveImport, Value: 7000, Unit: "W"},
	}}))
	f.clock.add(time.Minute)
	available := f.clock.now()
	must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: 1, Status: charging.StatusAvailable, ErrorCode: "NoError"}))

	f.clock.add(csms.DefaultLostSessionGrace - time.Second)
	n, err := f.svc.ReconcileLostSessions(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("ended %d sessions before the grace ran out, want 0", n)
	}
	f.clock.add(time.Second)
	n, err = f.svc.ReconcileLostSessions(ctx)
	must(t, err)
	got, err := f.svc.GetSession(ctx, res.SessionID)
	must(t, err)
	if n != 1 || got.Status != charging.SessionFinished || got.ClosedBy != charging.ClosedByJoule || got.EnergyWh != 250 ||
		got.MeterStopWh == nil || *got.MeterStopWh != 1250 || got.PowerW != 0 || !got.StoppedAt.Equal(available) || !hasFlag(got, "Available") {
		t.Fatalf("after the grace: ended %d, session %+v; want finished by joule at the Available report with 250 Wh", n, got)
	}

	// The charger's queued stop arrives after all: its reading wins.
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 1300,
		Timestamp: available.Add(-30 * time.Second), Reason: "PowerLoss"})
	must(t, err)
	got, err = f.svc.GetSession(ctx, res.SessionID)
	must(t, err)
	if got.ClosedBy != "" || got.EnergyWh != 300 || got.StopReason != "PowerLoss" || !hasFlag(got, "replaces the last known") {
		t.Fatalf("after the late stop: %+v, want its 300 Wh and reason, closedBy cleared, flagged", got)
	}
	// A repeat of that stop changes nothing more.
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 1400, Timestamp: available})
	must(t, err)
	again, err := f.svc.GetSession(ctx, res.SessionID)
	must(t, err)
	if again.EnergyWh != 300 {
		t.Fatalf("a repeated stop changed the session: %+v", again)
	}
}

// TestLostSessionNotWhileCharging: an Available report older than the
// session's last meter values (a stale or out-of-order status) ends
// nothing; nor does a connector that is Charging.
func TestLostSessionNotWhileCharging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.started(t, 1, "TAG-C", 0)
	must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: 1, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	f.clock.add(time.Second)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: []charging.MeterSample{
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandEnergyActiveImportRegister, Value: 10, Unit: "Wh"},
	}}))
	res2 := f.started(t, 2, "TAG-D", 0)
	must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: 2, Status: "Charging", ErrorCode: "NoError"}))
	f.clock.add(time.Hour)
	n, err := f.svc.ReconcileLostSessions(ctx)
	must(t, err)
	for _, id := range []string{res.SessionID, res2.SessionID} {
		got, err := f.svc.GetSession(ctx, id)
		must(t, err)
		if n != 0 || got.Status != charging.SessionActive {
			t.Fatalf("ended %d; session %s is %s, want active", n, id, got.Status)
		}
	}
}

// TestLostSessionGraceNever: a negative grace never ends a session.
func TestLostSessionGraceNever(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "joule.db"))
	must(t, err)
	defer store.Close()
	svc := csms.New(store, nil, nil, nil, nil, csms.Config{LostSessionGrace: -1})
	n, err := svc.ReconcileLostSessions(context.Background())
	if n != 0 || err != nil {
		t.Fatalf("ReconcileLostSessions = %d, %v; want 0, nil", n, err)
	}
}

// TestNewTransactionOnLostConnectorAccepted: the charger lost a
// transaction and starts a new one on the same connector for the same
// idTag. The old session is superseded, so the idTag is not involved in
// *another* transaction: Accepted, not ConcurrentTx. On another connector
// the same idTag still is ConcurrentTx.
func TestNewTransactionOnLostConnectorAccepted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.store.SaveIDTag(ctx, charging.IDTag{IDTag: "RFID-1", Status: charging.AuthAccepted}))
	old := f.started(t, 1, "RFID-1", 100)
	f.clock.add(time.Minute)
	again := f.started(t, 1, "RFID-1", 500)
	if again.IDTagInfo.Status != charging.AuthAccepted || again.SessionID == old.SessionID {
		t.Fatalf("new transaction on the lost connector = %+v, want Accepted, a new session", again)
	}
	prev, err := f.svc.GetSession(ctx, old.SessionID)
	must(t, err)
	if prev.Status != charging.SessionFinished || prev.ClosedBy != charging.ClosedByJoule || !hasFlag(prev, "superseded") {
		t.Fatalf("superseded session = %+v, want finished by joule, flagged", prev)
	}
	other := f.started(t, 2, "RFID-1", 0)
	if other.IDTagInfo.Status != charging.AuthConcurrentTx {
		t.Fatalf("the same idTag on connector 2 = %s, want ConcurrentTx", other.IDTagInfo.Status)
	}
}

// TestCloseSession: the service side of an operator's close.
func TestCloseSession(t *testing.T) {
	f := newFixture(t)
	ctx := charging.WithRequestedBy(context.Background(), "user:ops@example.com")
	_, err := f.svc.CloseSession(ctx, "missing", "x")
	wantCode(t, err, charging.ENOTFOUND)
	pending, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 2, IDTag: "P"})
	must(t, err)
	_, err = f.svc.CloseSession(ctx, pending.ID, "")
	wantCode(t, err, charging.EINVALID)
	got, err := f.svc.CloseSession(ctx, pending.ID, "the car left")
	must(t, err)
	if got.Status != charging.SessionFailed || got.ClosedBy != charging.ClosedByOperator || !strings.Contains(got.FailureReason, "ops@example.com") {
		t.Fatalf("closed pending session = %+v, want failed by the operator, naming them", got)
	}
	_, err = f.svc.CloseSession(ctx, pending.ID, "again")
	wantCode(t, err, charging.ECONFLICT)
}

// TestOfflineSessionNoPower: a charger that disconnects leaves its active
// sessions at 0 W with no current or voltage until it reports again.
func TestOfflineSessionNoPower(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.started(t, 1, "TAG-O", 0)
	f.clock.add(time.Second)
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: []charging.MeterSample{
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandPowerActiveImport, Value: 7000, Unit: "W"},
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandCurrentImport, Value: 32, Unit: "A"},
		{Timestamp: f.clock.now(), Measurand: charging.MeasurandEnergyActiveImportRegister, Value: 20, Unit: "Wh"},
	}}))
	f.clock.add(time.Second)
	f.cmd.setOffline(true) // the gateway removed the connection
	must(t, f.svc.Disconnected(ctx, "CP-1"))
	got, err := f.svc.GetSession(ctx, res.SessionID)
	must(t, err)
	if got.Status != charging.SessionActive || got.PowerW != 0 || got.CurrentA != nil || got.EnergyWh != 20 {
		t.Fatalf("session of the offline charger = %+v, want active at 0 W, no current, 20 Wh kept", got)
	}
}

// TestForgedStopDoesNotTakeATransactionID: a StopTransaction for
// transactions Joule never saw start is kept under the charger's ids; the
// sequence then skips those ids, so every real transaction of the charger
// has an id of its own.
func TestForgedStopDoesNotTakeATransactionID(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		_, err := f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: id, MeterStopWh: 10, Timestamp: f.clock.now()})
		must(t, err)
	}
	res := f.started(t, 1, "REAL", 0)
	switch res.TransactionID {
	case "1", "2", "3", "4", "5":
		t.Fatalf("a real transaction got id %s, which a forged stop holds", res.TransactionID)
	}
	got, err := f.store.GetSessionByTransaction(ctx, "CP-1", res.TransactionID)
	must(t, err)
	if got.ID != res.SessionID || got.Status != charging.SessionActive {
		t.Fatalf("session of transaction %s = %+v, want the new active one", res.TransactionID, got)
	}
}
