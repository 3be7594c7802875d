package csms_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

// One inbound message, one atomic write: these tests make the second half
// of a message's unit of work fail (a store wrapper that fails on demand),
// check that the store shows nothing of the message, retry it as the
// charger would, and find the complete result; a third copy changes
// nothing.

// errDisk is the failure the FaultStore injects.
var errDisk = errors.New("disk I/O error")

// faultFixture is a fixture whose service writes through a FaultStore
// around the SQLite store; f.store reads the SQLite store directly.
type faultFixture struct {
	*fixture
	fs *chargingtest.FaultStore
}

// newFaultFixture returns a service over a FaultStore with charger CP-1
// (two Available connectors) connected with version and booted. Message
// timestamps come from f.clock; the service's clock ticks (see below).
func newFaultFixture(t *testing.T, version string) *faultFixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	fs := chargingtest.NewFaultStore(store)
	f := &fixture{store: store, cmd: &fakeCommander{}, bus: inmem.NewBus(), clock: &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}
	// The service's clock moves on by a microsecond every time it is read,
	// as a real one does between a unit's writes: a session and the live
	// values computed after it in the same unit are not taken at the same
	// instant (charging.Tx.SetSessionLive keeps the session written last).
	tick := func() time.Time { f.clock.add(time.Microsecond); return f.clock.now() }
	f.svc = csms.New(fs, f.bus, f.cmd, nil, tick, csms.Config{PendingTimeout: time.Hour})
	must(t, f.svc.Connected(ctx, "CP-1", version))
	if _, err := f.svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 2} {
		must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: n, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	}
	return &faultFixture{fixture: f, fs: fs}
}

// meter returns a meterValue element: an energy register reading and the
// active power, taken at ts. A new slice every call, as the gateway
// decodes every copy of a message afresh.
func meter(ts time.Time, readingContext string, energyWh, powerW float64) []charging.MeterSample {
	return []charging.MeterSample{
		{Timestamp: ts, Measurand: charging.MeasurandEnergyActiveImportRegister, Context: readingContext, Unit: "Wh", Value: energyWh},
		{Timestamp: ts, Measurand: charging.MeasurandPowerActiveImport, Context: readingContext, Unit: "W", Value: powerW},
	}
}

func (f *faultFixture) start16(t *testing.T, connector int, tag string, meterStart float64, ts time.Time) charging.TransactionStartResult {
	t.Helper()
	res, err := f.svc.TransactionStarted(context.Background(), "CP-1", charging.TransactionStart{
		ConnectorID: connector, IDTag: tag, MeterStartWh: meterStart, Timestamp: ts,
	})
	must(t, err)
	return res
}

func (f *faultFixture) meter16(t *testing.T, txID string, ts time.Time, energyWh, powerW float64) {
	t.Helper()
	must(t, f.svc.MeterValues(context.Background(), "CP-1", charging.MeterReport{
		ConnectorID: 1, TransactionID: txID, Samples: meter(ts, "Sample.Periodic", energyWh, powerW),
	}))
}

// event201 is a transaction event on EVSE 1 with one meterValue element.
func event201(typ, txID string, seq int, ts time.Time, energyWh, powerW float64) charging.TransactionEvent {
	readingContext := "Sample.Periodic"
	switch typ {
	case charging.TxEventStarted:
		readingContext = "Transaction.Begin"
	case charging.TxEventEnded:
		readingContext = "Transaction.End"
	}
	return charging.TransactionEvent{
		EventType: typ, TransactionID: txID, SeqNo: seq, Timestamp: ts, TriggerReason: "MeterValuePeriodic",
		ConnectorID: 1, NumberOfPhasesUsed: 3, ChargingState: "Charging",
		Samples: meter(ts, readingContext, energyWh, powerW),
	}
}

func (f *faultFixture) apply201(t *testing.T, e charging.TransactionEvent) charging.TransactionEventResult {
	t.Helper()
	res, err := f.svc.TransactionEvent(context.Background(), "CP-1", e)
	must(t, err)
	return res
}

// reserve stores an active reservation of a connector for tag.
func (f *faultFixture) reserve(t *testing.T, connector int, tag string) charging.Reservation {
	t.Helper()
	ctx := context.Background()
	id, err := f.store.NextReservationID(ctx)
	must(t, err)
	now := f.clock.now()
	r := charging.Reservation{ID: id, ChargerID: "CP-1", ConnectorID: connector, IDTag: tag, ExpiresAt: now.Add(time.Hour),
		Status: charging.ReservationActive, ChargerAnswer: "Accepted", CreatedAt: now, UpdatedAt: now}
	must(t, f.store.CreateReservation(ctx, r))
	return r
}

// pending opens a pending remote start (the app's session, waiting for the
// charger's transaction).
func (f *faultFixture) pending(t *testing.T, connector int, tag string) charging.Session {
	t.Helper()
	ses, err := f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: connector, IDTag: tag})
	must(t, err)
	if ses.Status != charging.SessionPending {
		t.Fatalf("remote start: %+v, want a pending session", ses)
	}
	return ses
}

func (f *faultFixture) session(t *testing.T, id string) charging.Session {
	t.Helper()
	ses, err := f.store.GetSession(context.Background(), id)
	must(t, err)
	return ses
}

func (f *faultFixture) sessionOf(t *testing.T, txID string) charging.Session {
	t.Helper()
	ses, err := f.store.GetSessionByTransaction(context.Background(), "CP-1", txID)
	must(t, err)
	return ses
}

// energies returns the energy register readings of a session's samples,
// in listed order, and checks that every sample belongs to the session.
func (f *faultFixture) energies(t *testing.T, ses charging.Session) []float64 {
	t.Helper()
	page, err := f.store.ListMeterSamples(context.Background(), charging.MeterQuery{SessionID: ses.ID})
	must(t, err)
	var out []float64
	for _, x := range page.Items {
		if x.SessionID != ses.ID || x.TransactionID != ses.TransactionID || x.ChargerID != "CP-1" {
			t.Errorf("sample %+v, want one of session %s, transaction %s", x, ses.ID, ses.TransactionID)
		}
		if x.Measurand == charging.MeasurandEnergyActiveImportRegister {
			out = append(out, x.Value)
		}
	}
	return out
}

func (f *faultFixture) sessionCount(t *testing.T) int {
	t.Helper()
	page, err := f.store.ListSessions(context.Background(), charging.SessionQuery{ChargerID: "CP-1", Limit: 1000})
	must(t, err)
	return len(page.Items)
}

func (f *faultFixture) txEvents(t *testing.T, txID string) []charging.TransactionEventRecord {
	t.Helper()
	evs, err := f.store.ListTransactionEvents(context.Background(), "CP-1", txID)
	must(t, err)
	return evs
}

func flagged(s charging.Session, part string) bool {
	return slices.ContainsFunc(s.Flags, func(f string) bool { return strings.Contains(f, part) })
}

func equalTime(p *time.Time, want time.Time) bool { return p != nil && p.Equal(want) }
func equalWh(p *float64, want float64) bool       { return p != nil && *p == want }

// storeState is what the store shows of charger CP-1's transactions.
type storeState struct {
	Sessions     map[string]charging.Session
	Samples      map[string][]charging.MeterSample            // by session id
	TxEvents     map[string][]charging.TransactionEventRecord // by transaction id
	Reservations []charging.Reservation
}

// unitTxIDs are the transaction ids the cases use, looked up even when no
// session has them.
var unitTxIDs = []string{"tx-1", "tx-9", "4711"}

func (f *faultFixture) state(t *testing.T) storeState {
	t.Helper()
	ctx := context.Background()
	st := storeState{Sessions: map[string]charging.Session{}, Samples: map[string][]charging.MeterSample{}, TxEvents: map[string][]charging.TransactionEventRecord{}}
	page, err := f.store.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-1", Limit: 1000})
	must(t, err)
	txIDs := slices.Clone(unitTxIDs)
	for _, s := range page.Items {
		st.Sessions[s.ID] = s
		samples, err := f.store.ListMeterSamples(ctx, charging.MeterQuery{SessionID: s.ID})
		must(t, err)
		if len(samples.Items) > 0 {
			st.Samples[s.ID] = samples.Items
		}
		if s.TransactionID != "" && !slices.Contains(txIDs, s.TransactionID) {
			txIDs = append(txIDs, s.TransactionID)
		}
	}
	for _, tx := range txIDs {
		if evs := f.txEvents(t, tx); len(evs) > 0 {
			st.TxEvents[tx] = evs
		}
	}
	rs, err := f.store.ListReservations(ctx, charging.ReservationQuery{ChargerID: "CP-1"})
	must(t, err)
	st.Reservations = rs.Items
	return st
}

// withoutUpdatedAt drops the sessions' write times.
func (st storeState) withoutUpdatedAt() storeState {
	out := st
	out.Sessions = map[string]charging.Session{}
	for id, s := range st.Sessions {
		s.UpdatedAt = time.Time{}
		out.Sessions[id] = s
	}
	return out
}

// diffState describes how got differs from want ("" when it does not).
func diffState(want, got storeState) string {
	var d []string
	for id, w := range want.Sessions {
		if g, ok := got.Sessions[id]; !ok {
			d = append(d, fmt.Sprintf("session %s is gone", id))
		} else if !reflect.DeepEqual(g, w) {
			d = append(d, fmt.Sprintf("session %s is\n\t%+v\nwas\n\t%+v", id, g, w))
		}
	}
	for id, g := range got.Sessions {
		if _, ok := want.Sessions[id]; !ok {
			d = append(d, fmt.Sprintf("new session %+v", g))
		}
	}
	for _, id := range keys(want.Samples, got.Samples) {
		if w, g := want.Samples[id], got.Samples[id]; !reflect.DeepEqual(g, w) {
			d = append(d, fmt.Sprintf("samples of session %s: %d, were %d:\n\t%+v", id, len(g), len(w), g))
		}
	}
	for _, tx := range keys(want.TxEvents, got.TxEvents) {
		if w, g := want.TxEvents[tx], got.TxEvents[tx]; !reflect.DeepEqual(g, w) {
			d = append(d, fmt.Sprintf("transaction events of %s: %+v, were %+v", tx, g, w))
		}
	}
	if !reflect.DeepEqual(got.Reservations, want.Reservations) {
		d = append(d, fmt.Sprintf("reservations %+v, were %+v", got.Reservations, want.Reservations))
	}
	return strings.Join(d, "\n")
}

func keys[V any](a, b map[string]V) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// drain counts the events a subscription holds.
func drain(sub charging.Subscription) int {
	n := 0
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return n
			}
			n++
		default:
			return n
		}
	}
}

// unitMsg is one message as a case prepared it.
type unitMsg struct {
	// send hands a fresh copy of the message to the service, as the
	// gateway does, and returns its answer.
	send func(ctx context.Context) (any, error)
	// check finds the complete result of the message, answered with answer.
	check func(t *testing.T, answer any)
}

type unitCase struct {
	name    string
	version string
	// setup brings the store to where the message arrives.
	setup func(t *testing.T, f *faultFixture) unitMsg
	// writes is how many writes the message's unit makes, last the one
	// that fails (the second half when there are two or more).
	writes int
	last   string
	// liveRefresh: a repeat sets the session's live values again (1.6
	// MeterValues carry no message id to recognise a repeat by; the
	// samples themselves are not stored twice).
	liveRefresh bool
}

func unitCases() []unitCase {
	return []unitCase{
		{
			name: "1.6 StartTransaction binds a pending remote start", version: charging.OCPP16,
			writes: 2, last: "UpdateSession", // NextTransactionID, UpdateSession
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				p := f.pending(t, 1, "TAG-1")
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: 1, IDTag: "TAG-1", MeterStartWh: 1000, Timestamp: ts})
					},
					check: func(t *testing.T, answer any) {
						res := answer.(charging.TransactionStartResult)
						if res.SessionID != p.ID || res.TransactionID == "" || res.IDTagInfo.Status != charging.AuthAccepted {
							t.Fatalf("answer %+v, want bound to %s with a transaction id, Accepted", res, p.ID)
						}
						got := f.session(t, p.ID)
						if got.Status != charging.SessionActive || got.TransactionID != res.TransactionID || got.Origin != charging.OriginRemote ||
							got.ConnectorID != 1 || !equalWh(got.MeterStartWh, 1000) || !equalTime(got.StartedAt, ts) {
							t.Errorf("session %+v, want the remote start active with transaction %s from 1000 Wh at %v", got, res.TransactionID, ts)
						}
						if n := f.sessionCount(t); n != 1 {
							t.Errorf("%d sessions, want 1", n)
						}
					},
				}
			},
		},
		{
			name: "1.6 StartTransaction with a reservation", version: charging.OCPP16,
			writes: 3, last: "UpdateReservation", // NextTransactionID, CreateSession, UpdateReservation
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				r := f.reserve(t, 1, "TAG-R")
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: 1, IDTag: "TAG-R", MeterStartWh: 500, Timestamp: ts, ReservationID: r.ID})
					},
					check: func(t *testing.T, answer any) {
						res := answer.(charging.TransactionStartResult)
						got := f.session(t, res.SessionID)
						if got.Status != charging.SessionActive || got.ReservationID != r.ID || len(got.Flags) != 0 || !equalWh(got.MeterStartWh, 500) {
							t.Errorf("session %+v, want active with reservation %d, no flags", got, r.ID)
						}
						used, err := f.store.GetReservation(context.Background(), r.ID)
						must(t, err)
						if used.Status != charging.ReservationUsed || used.SessionID != res.SessionID {
							t.Errorf("reservation %+v, want used by session %s", used, res.SessionID)
						}
					},
				}
			},
		},
		{
			name: "1.6 StartTransaction local", version: charging.OCPP16,
			writes: 2, last: "CreateSession", // NextTransactionID, CreateSession
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: 2, IDTag: "RFID-1", MeterStartWh: 42, Timestamp: ts})
					},
					check: func(t *testing.T, answer any) {
						res := answer.(charging.TransactionStartResult)
						got := f.session(t, res.SessionID)
						if got.Status != charging.SessionActive || got.Origin != charging.OriginLocal || got.TransactionID != res.TransactionID ||
							got.ConnectorID != 2 || got.IDTag != "RFID-1" || !equalWh(got.MeterStartWh, 42) {
							t.Errorf("session %+v, want a local active session on connector 2", got)
						}
					},
				}
			},
		},
		{
			name: "1.6 StartTransaction local superseding a session left behind", version: charging.OCPP16,
			writes: 3, last: "CreateSession", // NextTransactionID, UpdateSession (the old one), CreateSession
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				old := f.start16(t, 1, "RFID-OLD", 100, t0)
				f.meter16(t, old.TransactionID, t0.Add(30*time.Second), 160, 7200) // cached
				f.clock.add(time.Minute)
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{ConnectorID: 1, IDTag: "RFID-NEW", MeterStartWh: 900, Timestamp: ts})
					},
					check: func(t *testing.T, answer any) {
						res := answer.(charging.TransactionStartResult)
						if got := f.session(t, res.SessionID); got.Status != charging.SessionActive || got.IDTag != "RFID-NEW" {
							t.Errorf("new session %+v, want active", got)
						}
						o := f.session(t, old.SessionID)
						if o.Status != charging.SessionFinished || !equalTime(o.StoppedAt, ts) || !flagged(o, "superseded by transaction "+res.TransactionID) {
							t.Errorf("old session %+v, want finished at %v, flagged superseded by %s", o, ts, res.TransactionID)
						}
					},
				}
			},
		},
		{
			name: "1.6 MeterValues first of its transaction", version: charging.OCPP16,
			writes: 2, last: "SetSessionLive", liveRefresh: true, // AddMeterSamples, SetSessionLive
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				res := f.start16(t, 1, "TAG-1", 1000, t0)
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return nil, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID,
							Samples: meter(t0.Add(30*time.Second), "Sample.Periodic", 1060, 7200)})
					},
					check: func(t *testing.T, _ any) {
						got := f.session(t, res.SessionID)
						if got.EnergyWh != 60 || got.PowerW != 7200 {
							t.Errorf("session %+v, want 60 Wh at 7200 W", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1060}) {
							t.Errorf("energy samples %v, want [1060]", e)
						}
					},
				}
			},
		},
		{
			name: "1.6 MeterValues of a cached session", version: charging.OCPP16,
			writes: 2, last: "SetSessionLive", liveRefresh: true,
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				res := f.start16(t, 1, "TAG-1", 1000, t0)
				f.meter16(t, res.TransactionID, t0.Add(30*time.Second), 1060, 7200) // caches the session
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return nil, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID,
							Samples: meter(t0.Add(60*time.Second), "Sample.Periodic", 1120, 7300)})
					},
					check: func(t *testing.T, _ any) {
						got := f.session(t, res.SessionID)
						if got.EnergyWh != 120 || got.PowerW != 7300 || got.Status != charging.SessionActive {
							t.Errorf("session %+v, want active, 120 Wh at 7300 W", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1060, 1120}) {
							t.Errorf("energy samples %v, want [1060 1120]", e)
						}
					},
				}
			},
		},
		{
			name: "1.6 MeterValues without a transaction id", version: charging.OCPP16,
			writes: 2, last: "SetSessionLive", liveRefresh: true,
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				res := f.start16(t, 1, "TAG-1", 1000, t0)
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return nil, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1,
							Samples: meter(t0.Add(30*time.Second), "Sample.Periodic", 1030, 3600)})
					},
					check: func(t *testing.T, _ any) {
						got := f.session(t, res.SessionID)
						if got.EnergyWh != 30 || got.PowerW != 3600 {
							t.Errorf("session %+v, want 30 Wh at 3600 W", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1030}) {
							t.Errorf("energy samples %v, want [1030]", e)
						}
					},
				}
			},
		},
		{
			name: "1.6 StopTransaction with transaction data", version: charging.OCPP16,
			writes: 1, last: "AddMeterSamples", // the samples and the session in one write
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				res := f.start16(t, 1, "TAG-1", 1000, t0)
				f.meter16(t, res.TransactionID, t0.Add(30*time.Second), 1060, 7200) // caches the session
				stopTS := t0.Add(2 * time.Minute)
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{
							TransactionID: res.TransactionID, IDTag: "TAG-1", MeterStopWh: 1500, Timestamp: stopTS, Reason: "EVDisconnected",
							Samples: append(meter(t0.Add(90*time.Second), "Sample.Periodic", 1300, 7000), meter(stopTS, "Transaction.End", 1500, 0)...),
						})
					},
					check: func(t *testing.T, answer any) {
						if info := answer.(charging.IDTagInfo); info.Status != charging.AuthAccepted {
							t.Errorf("answer %+v, want Accepted", info)
						}
						got := f.session(t, res.SessionID)
						if got.Status != charging.SessionFinished || !equalWh(got.MeterStopWh, 1500) || !equalTime(got.StoppedAt, stopTS) ||
							got.EnergyWh != 500 || got.PowerW != 0 || got.StopReason != "EVDisconnected" {
							t.Errorf("session %+v, want finished at %v, meterStop 1500, 500 Wh, EVDisconnected", got, stopTS)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1060, 1300, 1500}) {
							t.Errorf("energy samples %v, want [1060 1300 1500]", e)
						}
					},
				}
			},
		},
		{
			name: "1.6 StopTransaction of an unknown transaction with transaction data", version: charging.OCPP16,
			writes: 2, last: "AddMeterSamples", // CreateSession, AddMeterSamples
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				stopTS := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{
							TransactionID: "4711", IDTag: "TAG-X", MeterStopWh: 2500, Timestamp: stopTS,
							Samples: append(meter(stopTS.Add(-time.Minute), "Sample.Periodic", 2400, 7000), meter(stopTS, "Transaction.End", 2500, 0)...),
						})
					},
					check: func(t *testing.T, _ any) {
						got := f.sessionOf(t, "4711")
						if got.Status != charging.SessionFinished || !equalWh(got.MeterStopWh, 2500) || !equalTime(got.StoppedAt, stopTS) ||
							got.StopReason != "Local" || got.IDTag != "TAG-X" || !flagged(got, "never saw start") {
							t.Errorf("session %+v, want finished, flagged, meterStop 2500 at %v, Local", got, stopTS)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{2400, 2500}) {
							t.Errorf("energy samples %v, want [2400 2500]", e)
						}
						if n := f.sessionCount(t); n != 1 {
							t.Errorf("%d sessions, want 1", n)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 TransactionEvent Started with samples", version: charging.OCPP201,
			writes: 4, last: "AddTransactionEvent", // CreateSession, AddMeterSamples, SetSessionLive, AddTransactionEvent
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						e := event201(charging.TxEventStarted, "tx-1", 0, ts, 1000, 7000)
						e.IDTag, e.TriggerReason = "TAG-2", "Authorized"
						return f.svc.TransactionEvent(ctx, "CP-1", e)
					},
					check: func(t *testing.T, answer any) {
						res := answer.(charging.TransactionEventResult)
						got := f.sessionOf(t, "tx-1")
						if res.SessionID != got.ID || res.Duplicate || res.IDTagInfo == nil || res.IDTagInfo.Status != charging.AuthAccepted {
							t.Errorf("answer %+v, want session %s, Accepted", res, got.ID)
						}
						if got.Status != charging.SessionActive || got.ConnectorID != 1 || got.IDTag != "TAG-2" || !equalWh(got.MeterStartWh, 1000) ||
							!equalTime(got.StartedAt, ts) || got.PowerW != 7000 || len(got.Flags) != 0 {
							t.Errorf("session %+v, want active on EVSE 1 from 1000 Wh at 7000 W, no flags", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1000}) {
							t.Errorf("energy samples %v, want [1000]", e)
						}
						if evs := f.txEvents(t, "tx-1"); len(evs) != 1 || evs[0].EventType != charging.TxEventStarted || evs[0].SessionID != got.ID ||
							evs[0].TriggerReason != "Authorized" || evs[0].ChargingState != "Charging" {
							t.Errorf("transaction events %+v, want the Started event of session %s", evs, got.ID)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 TransactionEvent Started binds a remote start with a reservation", version: charging.OCPP201,
			writes: 5, last: "AddTransactionEvent", // UpdateSession, UpdateReservation, AddMeterSamples, SetSessionLive, AddTransactionEvent
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				r := f.reserve(t, 1, "TAG-R")
				p := f.pending(t, 1, "TAG-R")
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						e := event201(charging.TxEventStarted, "tx-1", 0, ts, 1000, 7000)
						e.IDTag, e.TriggerReason, e.RemoteStartID, e.ReservationID = "TAG-R", "RemoteStart", p.RemoteStartID, r.ID
						return f.svc.TransactionEvent(ctx, "CP-1", e)
					},
					check: func(t *testing.T, answer any) {
						if res := answer.(charging.TransactionEventResult); res.SessionID != p.ID {
							t.Errorf("answer %+v, want the remote start's session %s", res, p.ID)
						}
						got := f.session(t, p.ID)
						if got.Status != charging.SessionActive || got.TransactionID != "tx-1" || got.ReservationID != r.ID || got.Origin != charging.OriginRemote ||
							len(got.Flags) != 0 {
							t.Errorf("session %+v, want the remote start active with tx-1 and reservation %d", got, r.ID)
						}
						used, err := f.store.GetReservation(context.Background(), r.ID)
						must(t, err)
						if used.Status != charging.ReservationUsed || used.SessionID != p.ID {
							t.Errorf("reservation %+v, want used by session %s", used, p.ID)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1000}) {
							t.Errorf("energy samples %v, want [1000]", e)
						}
						if evs := f.txEvents(t, "tx-1"); len(evs) != 1 || evs[0].SessionID != p.ID {
							t.Errorf("transaction events %+v, want the Started event of session %s", evs, p.ID)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 TransactionEvent Updated with samples", version: charging.OCPP201,
			writes: 3, last: "AddTransactionEvent", // AddMeterSamples, SetSessionLive, AddTransactionEvent
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				f.apply201(t, event201(charging.TxEventStarted, "tx-1", 0, t0, 1000, 7000))
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionEvent(ctx, "CP-1", event201(charging.TxEventUpdated, "tx-1", 1, t0.Add(time.Minute), 1100, 7400))
					},
					check: func(t *testing.T, _ any) {
						got := f.sessionOf(t, "tx-1")
						if got.Status != charging.SessionActive || got.EnergyWh != 100 || got.PowerW != 7400 || len(got.Flags) != 0 {
							t.Errorf("session %+v, want active, 100 Wh at 7400 W, no flags", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1000, 1100}) {
							t.Errorf("energy samples %v, want [1000 1100]", e)
						}
						if evs := f.txEvents(t, "tx-1"); len(evs) != 2 || evs[1].SeqNo != 1 || evs[1].EventType != charging.TxEventUpdated {
							t.Errorf("transaction events %+v, want Started and Updated", evs)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 TransactionEvent Updated first (its Started lost)", version: charging.OCPP201,
			writes: 5, last: "AddTransactionEvent", // CreateSession, AddMeterSamples, SetSessionLive, UpdateSession (flags), AddTransactionEvent
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				ts := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return f.svc.TransactionEvent(ctx, "CP-1", event201(charging.TxEventUpdated, "tx-1", 1, ts, 1100, 7000))
					},
					check: func(t *testing.T, _ any) {
						got := f.sessionOf(t, "tx-1")
						if got.Status != charging.SessionActive || !flagged(got, "was Updated (seqNo 1), not Started") {
							t.Errorf("session %+v, want active, flagged", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1100}) {
							t.Errorf("energy samples %v, want [1100]", e)
						}
						if evs := f.txEvents(t, "tx-1"); len(evs) != 1 {
							t.Errorf("transaction events %+v, want the Updated one", evs)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 TransactionEvent Ended with samples", version: charging.OCPP201,
			writes: 2, last: "AddTransactionEvent", // AddMeterSamples (samples and session), AddTransactionEvent
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				f.apply201(t, event201(charging.TxEventStarted, "tx-1", 0, t0, 1000, 7000))
				f.apply201(t, event201(charging.TxEventUpdated, "tx-1", 1, t0.Add(time.Minute), 1100, 7000)) // caches the session
				stopTS := t0.Add(2 * time.Minute)
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						e := event201(charging.TxEventEnded, "tx-1", 2, stopTS, 1250, 0)
						e.StoppedReason, e.TriggerReason, e.ChargingState = "EVDisconnected", "EVCommunicationLost", "Idle"
						return f.svc.TransactionEvent(ctx, "CP-1", e)
					},
					check: func(t *testing.T, _ any) {
						got := f.sessionOf(t, "tx-1")
						if got.Status != charging.SessionFinished || !equalWh(got.MeterStopWh, 1250) || !equalTime(got.StoppedAt, stopTS) ||
							got.EnergyWh != 250 || got.PowerW != 0 || got.StopReason != "EVDisconnected" || len(got.Flags) != 0 {
							t.Errorf("session %+v, want finished at %v, meterStop 1250, 250 Wh, EVDisconnected", got, stopTS)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1000, 1100, 1250}) {
							t.Errorf("energy samples %v, want [1000 1100 1250]", e)
						}
						if evs := f.txEvents(t, "tx-1"); len(evs) != 3 || evs[2].EventType != charging.TxEventEnded || evs[2].StoppedReason != "EVDisconnected" {
							t.Errorf("transaction events %+v, want Started, Updated, Ended", evs)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 TransactionEvent Ended of an unknown transaction with samples", version: charging.OCPP201,
			writes: 3, last: "AddTransactionEvent", // CreateSession, AddMeterSamples, AddTransactionEvent
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				stopTS := f.clock.now()
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						e := event201(charging.TxEventEnded, "tx-9", 3, stopTS, 3000, 0)
						e.IDTag, e.StoppedReason = "TAG-9", "Local"
						return f.svc.TransactionEvent(ctx, "CP-1", e)
					},
					check: func(t *testing.T, _ any) {
						got := f.sessionOf(t, "tx-9")
						if got.Status != charging.SessionFinished || !equalWh(got.MeterStopWh, 3000) || !equalTime(got.StoppedAt, stopTS) ||
							got.StopReason != "Local" || got.IDTag != "TAG-9" || !flagged(got, "never saw start") {
							t.Errorf("session %+v, want finished, flagged, meterStop 3000 at %v", got, stopTS)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{3000}) {
							t.Errorf("energy samples %v, want [3000]", e)
						}
						if evs := f.txEvents(t, "tx-9"); len(evs) != 1 || evs[0].SessionID != got.ID || evs[0].EventType != charging.TxEventEnded {
							t.Errorf("transaction events %+v, want the Ended event of session %s", evs, got.ID)
						}
					},
				}
			},
		},
		{
			name: "2.0.1 MeterValues during a transaction", version: charging.OCPP201,
			writes: 2, last: "SetSessionLive", liveRefresh: true,
			setup: func(t *testing.T, f *faultFixture) unitMsg {
				t0 := f.clock.now()
				f.apply201(t, event201(charging.TxEventStarted, "tx-1", 0, t0, 1000, 7000))
				return unitMsg{
					send: func(ctx context.Context) (any, error) {
						return nil, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, Samples: meter(t0.Add(30*time.Second), "Sample.Periodic", 1050, 6000)})
					},
					check: func(t *testing.T, _ any) {
						got := f.sessionOf(t, "tx-1")
						if got.EnergyWh != 50 || got.PowerW != 6000 {
							t.Errorf("session %+v, want 50 Wh at 6000 W", got)
						}
						if e := f.energies(t, got); !slices.Equal(e, []float64{1000, 1050}) {
							t.Errorf("energy samples %v, want [1000 1050]", e)
						}
					},
				}
			},
		},
	}
}

// TestUnitFaultTransactionMessages: for every transaction message of both
// versions, the second half of its unit of work fails (its last write, or
// its commit): the charger gets an error and the store shows nothing of
// the message; the charger's retry finds the complete result; a third copy
// changes nothing and stores no sample twice.
func TestUnitFaultTransactionMessages(t *testing.T) {
	for _, tc := range unitCases() {
		for _, mode := range []string{"last write fails", "commit fails"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				f := newFaultFixture(t, tc.version)
				ctx := context.Background()
				m := tc.setup(t, f)
				before := f.state(t)
				sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
				defer sub.Close()

				// The message, whose unit fails in its second half.
				f.fs.ResetOutsideWrites()
				want := tc.last
				if mode == "commit fails" {
					f.fs.FailCommit(errDisk)
					want = "commit"
				} else {
					f.fs.FailLastWrite(errDisk)
				}
				f.clock.add(time.Second)
				if _, err := m.send(ctx); !errors.Is(err, errDisk) {
					t.Fatalf("the message whose write failed returned %v, want the store's error (a CALLERROR)", err)
				}
				writes := f.fs.Writes()
				if fired := f.fs.Fired(); !slices.Equal(fired, []string{want}) {
					t.Fatalf("failed %v (unit's writes %v), want %s", fired, writes, want)
				}
				if len(writes) != tc.writes || writes[len(writes)-1] != tc.last {
					t.Errorf("the unit wrote %v, want %d writes, the last %s", writes, tc.writes, tc.last)
				}
				if ow := f.fs.OutsideWrites(); len(ow) > 0 {
					t.Errorf("wrote %v outside its unit of work", ow)
				}
				if d := diffState(before, f.state(t)); d != "" {
					t.Errorf("the store shows a message that failed:\n%s", d)
				}
				if n := drain(sub); n > 0 {
					t.Errorf("%d events published for a message that failed", n)
				}

				// The charger's retry.
				f.fs.Disarm()
				f.clock.add(5 * time.Second)
				answer, err := m.send(ctx)
				must(t, err)
				if ow := f.fs.OutsideWrites(); len(ow) > 0 {
					t.Errorf("wrote %v outside its unit of work", ow)
				}
				if drain(sub) == 0 {
					t.Errorf("no event published for the retry")
				}
				m.check(t, answer)
				done := f.state(t)

				// A third copy (the charger did not get the answer).
				f.clock.add(5 * time.Second)
				again, err := m.send(ctx)
				must(t, err)
				sameAnswer(t, answer, again)
				after := f.state(t)
				if tc.liveRefresh {
					done, after = done.withoutUpdatedAt(), after.withoutUpdatedAt()
				}
				if d := diffState(done, after); d != "" {
					t.Errorf("a repeat changed the store:\n%s", d)
				}
			})
		}
	}
}

// sameAnswer checks that a repeat got the answer of the message it repeats.
func sameAnswer(t *testing.T, first, again any) {
	t.Helper()
	switch a := first.(type) {
	case charging.TransactionEventResult:
		b := again.(charging.TransactionEventResult)
		if !b.Duplicate || b.SessionID != a.SessionID {
			t.Errorf("repeat answered %+v, want Duplicate of session %s", b, a.SessionID)
		}
	default:
		if !reflect.DeepEqual(first, again) {
			t.Errorf("repeat answered %+v, want %+v", again, first)
		}
	}
}

// TestUnitFaultRepeatedSampleKept: a reading taken at the timestamp of an
// earlier one, of the same measurand, with another value, is kept (both
// readings are listed), also when its first delivery failed; its exact
// repeat is not stored twice.
func TestUnitFaultRepeatedSampleKept(t *testing.T) {
	for _, version := range []string{charging.OCPP16, charging.OCPP201} {
		t.Run(version, func(t *testing.T) {
			f := newFaultFixture(t, version)
			ctx := context.Background()
			t0 := f.clock.now()
			ts := t0.Add(30 * time.Second)
			var (
				ses  func() charging.Session
				send func() error // the reading at ts again, with another energy value
				want []float64
			)
			switch version {
			case charging.OCPP16:
				res := f.start16(t, 1, "TAG-1", 1000, t0)
				f.meter16(t, res.TransactionID, ts, 1060, 7200)
				ses = func() charging.Session { return f.session(t, res.SessionID) }
				send = func() error {
					return f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: res.TransactionID,
						Samples: meter(ts, "Sample.Periodic", 1065, 7200)})
				}
				want = []float64{1060, 1065}
			case charging.OCPP201:
				f.apply201(t, event201(charging.TxEventStarted, "tx-1", 0, t0, 1000, 7000))
				f.apply201(t, event201(charging.TxEventUpdated, "tx-1", 1, ts, 1060, 7200))
				ses = func() charging.Session { return f.sessionOf(t, "tx-1") }
				send = func() error {
					_, err := f.svc.TransactionEvent(ctx, "CP-1", event201(charging.TxEventUpdated, "tx-1", 2, ts, 1065, 7200))
					return err
				}
				want = []float64{1000, 1060, 1065}
			}
			if e := f.energies(t, ses()); !slices.Equal(e, want[:len(want)-1]) {
				t.Fatalf("energy samples %v before the repeated reading, want %v", e, want[:len(want)-1])
			}
			f.fs.FailLastWrite(errDisk)
			if err := send(); !errors.Is(err, errDisk) {
				t.Fatalf("failed delivery returned %v, want %v", err, errDisk)
			}
			if e := f.energies(t, ses()); !slices.Equal(e, want[:len(want)-1]) {
				t.Fatalf("energy samples %v after a failed delivery, want %v", e, want[:len(want)-1])
			}
			f.fs.Disarm()
			for range 2 { // the retry, and its repeat
				must(t, send())
				got := ses()
				if e := f.energies(t, got); !slices.Equal(e, want) {
					t.Errorf("energy samples %v, want %v (both readings at %v, once each)", e, want, ts)
				}
				if got.EnergyWh != 65 {
					t.Errorf("session energy %v Wh, want 65 (the reading delivered last)", got.EnergyWh)
				}
			}
		})
	}
}

// TestUnitFaultStatusNotification: a StatusNotification is one unit of
// work: the connector's status and the charger's last-seen time. When the
// second write fails the charger gets an error, nothing is stored and
// nobody hears of the status; the retry stores and publishes it, and a
// repeat stores the same.
func TestUnitFaultStatusNotification(t *testing.T) {
	f := newFaultFixture(t, charging.OCPP16)
	ctx := context.Background()
	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()
	report := charging.StatusReport{ConnectorID: 1, Status: charging.StatusPreparing, ErrorCode: "NoError"}
	before, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	k0, _ := before.Connector(1)
	f.fs.ResetOutsideWrites()
	f.fs.Arm(chargingtest.Fault{Method: "TouchCharger", Err: errDisk})
	if err := f.svc.StatusChanged(ctx, "CP-1", report); !errors.Is(err, errDisk) {
		t.Fatalf("StatusChanged = %v, want %v", err, errDisk)
	}
	if ow := f.fs.OutsideWrites(); len(ow) > 0 {
		t.Errorf("writes outside the unit: %v", ow)
	}
	if w := f.fs.Writes(); !slices.Equal(w, []string{"SaveConnectorStatus", "TouchCharger"}) {
		t.Errorf("unit writes %v, want SaveConnectorStatus, TouchCharger", w)
	}
	if n := drain(sub); n > 0 {
		t.Errorf("%d events published for a message that failed", n)
	}
	c, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	if k, _ := c.Connector(1); k.Status != k0.Status {
		t.Errorf("after the failure connector 1 is %s, want %s as before", k.Status, k0.Status)
	}
	f.fs.Disarm()
	for i := range 2 { // the retry, and its repeat
		must(t, f.svc.StatusChanged(ctx, "CP-1", report))
		if n := drain(sub); n != 1 {
			t.Errorf("copy %d: %d events, want 1", i+1, n)
		}
		c, err := f.svc.GetCharger(ctx, "CP-1")
		must(t, err)
		if k, ok := c.Connector(1); !ok || k.Status != charging.StatusPreparing {
			t.Errorf("copy %d: connector 1 is %+v, want Preparing", i+1, k)
		}
	}
}

// TestUnitFaultStartIntent: an app's start is one write — the pending
// session and the pending record of its RemoteStartTransaction. When the
// record fails, no session is left pending, nothing is sent and the
// connector stays free for the retry.
func TestUnitFaultStartIntent(t *testing.T) {
	f := newFaultFixture(t, charging.OCPP16)
	ctx := context.Background()
	var sent atomic.Int32
	f.cmd.start = func(charging.RemoteStart) (charging.CommandStatus, error) {
		sent.Add(1)
		return charging.CommandAccepted, nil
	}
	req := charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-1"}
	f.fs.ResetOutsideWrites()
	f.fs.Arm(chargingtest.Fault{Method: "SaveCommand", Err: errDisk})
	if _, err := f.svc.StartSession(ctx, req); !errors.Is(err, errDisk) {
		t.Fatalf("StartSession = %v, want %v", err, errDisk)
	}
	if w := f.fs.Writes(); !slices.Equal(w, []string{"CreateSession", "SaveCommand"}) {
		t.Errorf("unit writes %v, want CreateSession, SaveCommand", w)
	}
	// The remote start id comes from a block the store reserves once per
	// thousand ids and hands out from memory; an id reserved and not used
	// is only a gap in the sequence.
	if ow := slices.DeleteFunc(f.fs.OutsideWrites(), func(m string) bool { return m == "NextRemoteStartID" }); len(ow) > 0 {
		t.Errorf("writes outside the unit: %v", ow)
	}
	if n := f.sessionCount(t); n != 0 {
		t.Errorf("%d sessions after the failed start, want none", n)
	}
	if sent.Load() != 0 {
		t.Errorf("RemoteStartTransaction sent %d times for an intent that was not stored", sent.Load())
	}
	f.fs.Disarm()
	ses := f.pending(t, 1, "TAG-1")
	if sent.Load() != 1 {
		t.Errorf("RemoteStartTransaction sent %d times on the retry, want 1", sent.Load())
	}
	cmds, err := f.store.ListCommands(ctx, charging.CommandQuery{ChargerID: "CP-1", Action: "RemoteStartTransaction"})
	must(t, err)
	if len(cmds.Items) != 1 || cmds.Items[0].Status != charging.ResultAnswered {
		t.Errorf("command history %+v, want one answered RemoteStartTransaction", cmds.Items)
	}
	if got := f.session(t, ses.ID); got.Status != charging.SessionPending {
		t.Errorf("session %s is %s, want pending", got.ID, got.Status)
	}
}

// TestUnitFaultFirmwareStatus: a FirmwareStatusNotification sets the
// charger's firmware status and adds to its job's history in one write.
// When the job's write fails the charger's status is not changed either;
// the retry records both, with one entry in the history (the failed copy
// left none).
func TestUnitFaultFirmwareStatus(t *testing.T) {
	f := newFaultFixture(t, charging.OCPP16)
	ctx := context.Background()
	job := charging.FirmwareJob{
		ID: "FW-1", ChargerID: "CP-1", Status: charging.JobRequested, CreatedAt: f.clock.now(),
		FirmwareUpdate: charging.FirmwareUpdate{Location: "https://example.com/fw.bin", RetrieveDate: f.clock.now()},
	}
	must(t, f.store.SaveFirmwareJob(ctx, job))
	before, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	f.fs.ResetOutsideWrites()
	f.fs.Arm(chargingtest.Fault{Method: "SaveFirmwareJob", Err: errDisk})
	if err := f.svc.FirmwareStatus(ctx, "CP-1", "Downloading"); !errors.Is(err, errDisk) {
		t.Fatalf("FirmwareStatus = %v, want %v", err, errDisk)
	}
	if w := f.fs.Writes(); !slices.Equal(w, []string{"SaveCharger", "SaveFirmwareJob"}) {
		t.Errorf("unit writes %v, want SaveCharger, SaveFirmwareJob", w)
	}
	if ow := f.fs.OutsideWrites(); len(ow) > 0 {
		t.Errorf("writes outside the unit: %v", ow)
	}
	c, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	if c.FirmwareStatus != before.FirmwareStatus {
		t.Errorf("after the failure the charger's firmware status is %q, want %q as before", c.FirmwareStatus, before.FirmwareStatus)
	}
	f.fs.Disarm()
	must(t, f.svc.FirmwareStatus(ctx, "CP-1", "Downloading"))
	c, err = f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	jobs, err := f.store.ListFirmwareJobs(ctx, "CP-1")
	must(t, err)
	if c.FirmwareStatus != "Downloading" || len(jobs) != 1 || jobs[0].Status != "Downloading" || len(jobs[0].History) != 1 {
		t.Errorf("retry: charger status %q, jobs %+v; want Downloading, once in the job's history", c.FirmwareStatus, jobs)
	}
}
