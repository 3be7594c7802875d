package csms_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

// fakeCommander plays the charger's side of commands.
type fakeCommander struct {
	mu        sync.Mutex
	offline   bool
	start     func(r charging.RemoteStart) (charging.CommandStatus, error)
	stops     []string
	stopReply charging.CommandStatus
	commands  []string // action and payload of each Command
}

func (f *fakeCommander) RemoteStart(ctx context.Context, id string, r charging.RemoteStart) (charging.CommandStatus, error) {
	if f.start != nil {
		return f.start(r)
	}
	return charging.CommandAccepted, nil
}

func (f *fakeCommander) RemoteStop(ctx context.Context, id, tx string) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops = append(f.stops, tx)
	if f.stopReply != "" {
		return f.stopReply, nil
	}
	return charging.CommandAccepted, nil
}

func (f *fakeCommander) Command(ctx context.Context, id, action string, p json.RawMessage) (charging.CommandResult, error) {
	f.mu.Lock()
	f.commands = append(f.commands, action+" "+string(p))
	f.mu.Unlock()
	return charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"status":"Accepted"}`)}, nil
}

// setOffline says whether the charger's connection is gone (the gateway
// removes it before it calls Disconnected).
func (f *fakeCommander) setOffline(offline bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offline = offline
}

func (f *fakeCommander) Connected(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.offline
}

type fixture struct {
	svc   *csms.Service
	store *sqlite.Store
	cmd   *fakeCommander
	bus   *inmem.Bus
	clock *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newFixture returns a service over a real SQLite store with charger CP-1
// (two Available connectors) connected and booted.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{store: store, cmd: &fakeCommander{}, bus: inmem.NewBus(), clock: &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}
	f.svc = csms.New(store, f.bus, f.cmd, nil, f.clock.now, csms.Config{PendingTimeout: time.Minute})
	must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP16))
	res, err := f.svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"})
	must(t, err)
	if res.Status != charging.RegistrationAccepted {
		t.Fatalf("boot status = %s, want Accepted", res.Status)
	}
	for _, n := range []int{0, 1, 2} {
		must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: n, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	}
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := charging.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func (f *fixture) started(t *testing.T, connector int, tag string, meterStart float64) charging.TransactionStartResult {
	t.Helper()
	res, err := f.svc.TransactionStarted(context.Background(), "CP-1", charging.TransactionStart{
		ConnectorID: connector, IDTag: tag, MeterStartWh: meterStart, Timestamp: f.clock.now(),
	})
	must(t, err)
	return res
}

func TestSeedFlow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()

	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-1"})
	must(t, err)
	if ses.Status != charging.SessionPending || ses.Origin != charging.OriginRemote || ses.ConnectorID != 1 {
		t.Fatalf("after start: %+v, want pending remote session on connector 1", ses)
	}
	res := f.started(t, 1, "TAG-1", 1000)
	if res.SessionID != ses.ID || res.TransactionID == "" || res.IDTagInfo.Status != charging.AuthAccepted {
		t.Fatalf("TransactionStarted = %+v, want bound to %s with a transaction id, Accepted", res, ses.ID)
	}
	f.clock.add(30 * time.Second)
	ts := f.clock.now()
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID, Samples: []charging.MeterSample{
		{Timestamp: ts, Measurand: charging.MeasurandPowerActiveImport, Unit: "W", Value: 7200},
		{Timestamp: ts, Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: 1060},
		{Timestamp: ts, Measurand: charging.MeasurandVoltage, Phase: "L1-N", Unit: "V", Value: 229},
		{Timestamp: ts, Measurand: charging.MeasurandVoltage, Phase: "L2-N", Unit: "V", Value: 231},
		{Timestamp: ts, Measurand: charging.MeasurandCurrentImport, Phase: "L1", Unit: "A", Value: 10.5},
	}}))
	got, err := f.svc.GetSession(ctx, ses.ID)
	must(t, err)
	if got.Status != charging.SessionActive || got.PowerW != 7200 || got.EnergyWh != 60 || *got.VoltageV != 230 || *got.CurrentA != 10.5 {
		t.Fatalf("live session = %+v, want active, 7200 W, 60 Wh, 230 V, 10.5 A", got)
	}
	stopped, err := f.svc.StopSession(ctx, ses.ID)
	must(t, err)
	if stopped.StopRequestedAt == nil || len(f.cmd.stops) != 1 || f.cmd.stops[0] != res.TransactionID {
		t.Fatalf("stop: session %+v, stops sent %v", stopped, f.cmd.stops)
	}
	f.clock.add(time.Minute)
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 1500, Timestamp: f.clock.now(), Reason: "Remote"})
	must(t, err)
	got, err = f.svc.GetSession(ctx, ses.ID)
	must(t, err)
	if got.Status != charging.SessionFinished || got.EnergyWh != 500 || got.StopReason != "Remote" || got.PowerW != 0 || *got.MeterStopWh != 1500 {
		t.Fatalf("finished session = %+v, want finished, 500 Wh, Remote", got)
	}
	var types []string
	for len(sub.Events()) > 0 {
		e := <-sub.Events()
		if e.SessionID == ses.ID {
			types = append(types, e.Type)
		}
	}
	want := []string{charging.EventSessionPending, charging.EventSessionStarted, charging.EventSessionMeter, charging.EventSessionUpdated, charging.EventSessionStopped}
	if len(types) != len(want) {
		t.Fatalf("session events = %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("session events = %v, want %v", types, want)
		}
	}
}

func TestStartTransactionBeforeAnswer(t *testing.T) {
	f := newFixture(t)
	var bound charging.TransactionStartResult
	f.cmd.start = func(r charging.RemoteStart) (charging.CommandStatus, error) {
		bound = f.started(t, r.ConnectorID, r.IDTag, 0) // the charger's StartTransaction overtakes its answer
		return charging.CommandAccepted, nil
	}
	ses, err := f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: 2, IDTag: "T"})
	must(t, err)
	if ses.Status != charging.SessionActive || ses.ID != bound.SessionID || ses.TransactionID != bound.TransactionID {
		t.Fatalf("session = %+v, want the active session %s", ses, bound.SessionID)
	}
}

func TestTwoStartsOnOneConnector(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A"})
	must(t, err)
	_, err = f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "B"})
	wantCode(t, err, charging.ECONFLICT)
	// The other connector is free.
	_, err = f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 2, IDTag: "B"})
	must(t, err)
}

func TestConcurrentStartsOneWins(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, err, charging.ECONFLICT)
		}
	}
	if ok != 1 {
		t.Fatalf("%d starts succeeded, want exactly 1", ok)
	}
}

func TestDuplicateStartTransaction(t *testing.T) {
	f := newFixture(t)
	first := f.started(t, 1, "RFID-1", 42)
	again := f.started(t, 1, "RFID-1", 42)
	if again.TransactionID != first.TransactionID || again.SessionID != first.SessionID {
		t.Fatalf("repeat = %+v, want the same transaction as %+v", again, first)
	}
	ses, err := f.svc.GetSession(context.Background(), first.SessionID)
	must(t, err)
	if ses.Origin != charging.OriginLocal || ses.Status != charging.SessionActive {
		t.Fatalf("RFID session = %+v, want active local", ses)
	}
	// A different start on the same connector is a new transaction that supersedes the old one.
	f.clock.add(time.Second)
	next := f.started(t, 1, "RFID-2", 50)
	if next.TransactionID == first.TransactionID {
		t.Fatalf("a new start got the old transaction id %s", first.TransactionID)
	}
	old, err := f.svc.GetSession(context.Background(), first.SessionID)
	must(t, err)
	if old.Status != charging.SessionFinished || len(old.Flags) == 0 {
		t.Fatalf("superseded session = %+v, want finished and flagged", old)
	}
}

func TestStartRefusedOrUnanswered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status charging.CommandStatus
		err    error
		code   string
	}{
		{"rejected", charging.CommandRejected, nil, charging.EREJECTED},
		{"timeout", "", charging.Errorf(charging.ETIMEOUT, "no answer"), charging.ETIMEOUT},
		{"gone", "", charging.Errorf(charging.EUNAVAILABLE, "went offline"), charging.EUNAVAILABLE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.cmd.start = func(charging.RemoteStart) (charging.CommandStatus, error) { return tc.status, tc.err }
			_, err := f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A"})
			wantCode(t, err, tc.code)
			page, err := f.svc.ListSessions(context.Background(), charging.SessionQuery{ChargerID: "CP-1"})
			must(t, err)
			if len(page.Items) != 1 || page.Items[0].Status != charging.SessionFailed || page.Items[0].FailureReason == "" {
				t.Fatalf("sessions = %+v, want one failed session with a reason", page.Items)
			}
			// The connector is free again.
			f.cmd.start = nil
			_, err = f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A"})
			must(t, err)
		})
	}
}

func TestNeverStartedExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A"})
	must(t, err)
	must(t, f.svc.ExpirePending(ctx))
	if got, _ := f.svc.GetSession(ctx, ses.ID); got.Status != charging.SessionPending {
		t.Fatalf("status before the timeout = %s, want pending", got.Status)
	}
	f.clock.add(2 * time.Minute)
	must(t, f.svc.ExpirePending(ctx))
	got, err := f.svc.GetSession(ctx, ses.ID)
	must(t, err)
	if got.Status != charging.SessionFailed || got.FailureReason == "" {
		t.Fatalf("session = %+v, want failed with a reason", got)
	}
}

func TestStartValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  charging.StartRequest
		code string
	}{
		{"no idTag", charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1}, charging.EINVALID},
		{"long idTag", charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "123456789012345678901"}, charging.EINVALID},
		{"unknown charger", charging.StartRequest{ChargerID: "CP-9", ConnectorID: 1, IDTag: "A"}, charging.ENOTFOUND},
		{"unknown connector", charging.StartRequest{ChargerID: "CP-1", ConnectorID: 7, IDTag: "A"}, charging.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.StartSession(ctx, tc.req)
			wantCode(t, err, tc.code)
		})
	}
	t.Run("offline", func(t *testing.T) {
		f.cmd.offline = true
		defer func() { f.cmd.offline = false }()
		_, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A"})
		wantCode(t, err, charging.EUNAVAILABLE)
	})
	t.Run("blocked tag", func(t *testing.T) {
		must(t, f.store.SaveIDTag(ctx, charging.IDTag{IDTag: "BAD", Status: charging.AuthBlocked}))
		_, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "BAD"})
		wantCode(t, err, charging.EINVALID)
	})
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	calls := 0
	f.cmd.start = func(charging.RemoteStart) (charging.CommandStatus, error) {
		calls++
		return charging.CommandAccepted, nil
	}
	a, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A", IdempotencyKey: "k1"})
	must(t, err)
	b, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "A", IdempotencyKey: "k1"})
	must(t, err)
	if a.ID != b.ID || calls != 1 {
		t.Fatalf("retry gave session %s (first %s) after %d remote starts, want the same session and 1 start", b.ID, a.ID, calls)
	}
	// The same key for a different request is refused, and nothing is sent.
	for _, r := range []charging.StartRequest{
		{ChargerID: "CP-1", ConnectorID: 2, IDTag: "A", IdempotencyKey: "k1"},
		{ChargerID: "CP-1", ConnectorID: 1, IDTag: "B", IdempotencyKey: "k1"},
		{ChargerID: "CP-2", ConnectorID: 1, IDTag: "A", IdempotencyKey: "k1"},
	} {
		_, err := f.svc.StartSession(ctx, r)
		if charging.ErrorCode(err) != charging.EUNPROCESSABLE {
			t.Errorf("start %+v with a used key = %v, want %s", r, err, charging.EUNPROCESSABLE)
		}
	}
	if calls != 1 {
		t.Errorf("%d remote starts, want still 1", calls)
	}
}

func TestStopTransactionEdgeCases(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A stop for a transaction Joule never saw is kept, flagged.
	_, err := f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: "999", MeterStopWh: 10, Timestamp: f.clock.now()})
	must(t, err)
	page, err := f.svc.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-1"})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].Status != charging.SessionFinished || len(page.Items[0].Flags) == 0 || page.Items[0].StopReason != "Local" {
		t.Fatalf("sessions = %+v, want one flagged finished session with reason Local", page.Items)
	}
	// A repeated stop changes nothing.
	res := f.started(t, 2, "T", 100)
	stop := charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 300, Timestamp: f.clock.now(), Reason: "EVDisconnected"}
	_, err = f.svc.TransactionStopped(ctx, "CP-1", stop)
	must(t, err)
	stop.MeterStopWh = 400
	_, err = f.svc.TransactionStopped(ctx, "CP-1", stop)
	must(t, err)
	got, err := f.svc.GetSession(ctx, res.SessionID)
	must(t, err)
	if got.EnergyWh != 200 || got.StopReason != "EVDisconnected" {
		t.Fatalf("session = %+v, want 200 Wh, EVDisconnected", got)
	}
	// Stopping a finished session is a conflict.
	_, err = f.svc.StopSession(ctx, res.SessionID)
	wantCode(t, err, charging.ECONFLICT)
}

func TestConnectorZeroIsTheCharger(t *testing.T) {
	f := newFixture(t)
	c, err := f.svc.GetCharger(context.Background(), "CP-1")
	must(t, err)
	if c.Status != charging.StatusAvailable || len(c.Connectors) != 2 || c.Connectors[0].ConnectorID != 1 {
		t.Fatalf("charger = %+v, want status Available and connectors 1, 2", c)
	}
}

// TestIDTagLengthInCharacters: an IdToken's 20 are characters, as the
// schemas' maxLength counts them, not bytes.
func TestIDTagLengthInCharacters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	twenty := strings.Repeat("ü", 20) // 40 bytes
	if _, err := f.svc.SaveIDTags(ctx, []charging.IDTag{{IDTag: twenty, Status: charging.AuthAccepted}}); err != nil {
		t.Fatalf("20-character id tag of 40 bytes: %v, want it accepted", err)
	}
	_, err := f.svc.SaveIDTags(ctx, []charging.IDTag{{IDTag: twenty + "a", Status: charging.AuthAccepted}})
	if charging.ErrorCode(err) != charging.EINVALID {
		t.Fatalf("21-character id tag: %v, want %s", err, charging.EINVALID)
	}
}
