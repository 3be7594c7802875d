package csms_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// txEvent builds a transaction event of transaction "tx-1" on EVSE 1 at
// the fixture's clock plus d, with an energy register reading.
func (f *fixture) txEvent(typ string, seq int, d time.Duration, energyWh float64) charging.TransactionEvent {
	ts := f.clock.now().Add(d)
	ctx := "Sample.Periodic"
	switch typ {
	case charging.TxEventStarted:
		ctx = "Transaction.Begin"
	case charging.TxEventEnded:
		ctx = "Transaction.End"
	}
	return charging.TransactionEvent{
		EventType: typ, TransactionID: "tx-1", SeqNo: seq, Timestamp: ts, TriggerReason: "MeterValuePeriodic",
		ConnectorID: 1, NumberOfPhasesUsed: 3,
		Samples: []charging.MeterSample{
			{Timestamp: ts, Measurand: charging.MeasurandEnergyActiveImportRegister, Context: ctx, Unit: "Wh", Value: energyWh},
			{Timestamp: ts, Measurand: charging.MeasurandPowerActiveImport, Context: ctx, Unit: "W", Value: 7000},
		},
	}
}

func (f *fixture) apply(t *testing.T, e charging.TransactionEvent) charging.TransactionEventResult {
	t.Helper()
	res, err := f.svc.TransactionEvent(context.Background(), "CP-1", e)
	must(t, err)
	return res
}

func hasFlag(s charging.Session, part string) bool {
	return slices.ContainsFunc(s.Flags, func(f string) bool { return strings.Contains(f, part) })
}

// TestTransactionEventRemoteStart: the remoteStartId Joule sent binds the
// charger's transaction to the app's session, even on another EVSE and with
// another id token than a 1.6 correlation would need.
func TestTransactionEventRemoteStart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var sent charging.RemoteStart
	f.cmd.start = func(r charging.RemoteStart) (charging.CommandStatus, error) {
		sent = r
		return charging.CommandAccepted, nil
	}
	other, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG-1"})
	must(t, err)
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", IDTag: "TAG-1"})
	must(t, err)
	if sent.RemoteStartID == 0 || sent.RemoteStartID != ses.RemoteStartID || other.RemoteStartID == ses.RemoteStartID {
		t.Fatalf("remoteStartId sent %d, sessions %d and %d: want one id per session, sent as stored", sent.RemoteStartID, other.RemoteStartID, ses.RemoteStartID)
	}
	e := f.txEvent(charging.TxEventStarted, 0, 0, 1000)
	e.RemoteStartID, e.IDTag, e.TriggerReason = sent.RemoteStartID, "TAG-1", "RemoteStart"
	res := f.apply(t, e)
	if res.SessionID != ses.ID || res.IDTagInfo == nil || res.IDTagInfo.Status != charging.AuthAccepted {
		t.Fatalf("Started = %+v, want bound to %s (by remoteStartId), token Accepted", res, ses.ID)
	}
	got, _ := f.svc.GetSession(ctx, ses.ID)
	if got.Status != charging.SessionActive || got.TransactionID != "tx-1" || got.ConnectorID != 1 || *got.MeterStartWh != 1000 {
		t.Errorf("session = %+v, want active tx-1 on connector 1 from 1000 Wh", got)
	}
	if o, _ := f.svc.GetSession(ctx, other.ID); o.Status != charging.SessionPending {
		t.Errorf("the other pending session is %s, want still pending", o.Status)
	}

	f.apply(t, f.txEvent(charging.TxEventUpdated, 1, time.Minute, 1100))
	got, _ = f.svc.GetSession(ctx, ses.ID)
	if got.EnergyWh != 100 || got.PowerW != 7000 {
		t.Errorf("after Updated: energy %v, power %v; want 100 Wh, 7000 W", got.EnergyWh, got.PowerW)
	}
	end := f.txEvent(charging.TxEventEnded, 2, 2*time.Minute, 1250)
	end.StoppedReason, end.TriggerReason = "Remote", "RemoteStop"
	f.apply(t, end)
	got, _ = f.svc.GetSession(ctx, ses.ID)
	if got.Status != charging.SessionFinished || got.EnergyWh != 250 || *got.MeterStopWh != 1250 || got.StopReason != "Remote" || len(got.Flags) != 0 {
		t.Errorf("after Ended: %+v, want finished, 250 Wh, Remote, no flags", got)
	}
	evs, err := f.store.ListTransactionEvents(ctx, "CP-1", "tx-1")
	must(t, err)
	if len(evs) != 3 || evs[2].EventType != "Ended" || evs[2].StoppedReason != "Remote" || evs[0].NumberOfPhasesUsed != 3 || evs[0].SessionID != ses.ID {
		t.Errorf("stored events = %+v, want Started, Updated, Ended with their details", evs)
	}
}

// TestTransactionEventDuplicates: a repeated (charger, transactionId,
// seqNo) is answered without change.
func TestTransactionEventDuplicates(t *testing.T) {
	for _, typ := range []string{charging.TxEventStarted, charging.TxEventUpdated, charging.TxEventEnded} {
		t.Run(typ, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.apply(t, f.txEvent(charging.TxEventStarted, 0, 0, 1000))
			var e charging.TransactionEvent
			switch typ {
			case charging.TxEventStarted:
				e = f.txEvent(typ, 0, 0, 1000)
			case charging.TxEventUpdated:
				e = f.txEvent(typ, 1, time.Minute, 1100)
				f.apply(t, e)
			case charging.TxEventEnded:
				e = f.txEvent(typ, 1, time.Minute, 1200)
				f.apply(t, e)
			}
			first, _ := f.store.GetSessionByTransaction(ctx, "CP-1", "tx-1")
			dup := e
			dup.Samples = []charging.MeterSample{{Timestamp: e.Timestamp.Add(time.Second), Measurand: charging.MeasurandEnergyActiveImportRegister, Value: 99999}}
			res := f.apply(t, dup)
			if !res.Duplicate || res.SessionID != first.ID {
				t.Fatalf("repeat = %+v, want Duplicate for session %s", res, first.ID)
			}
			after, _ := f.store.GetSessionByTransaction(ctx, "CP-1", "tx-1")
			if after.EnergyWh != first.EnergyWh || after.Status != first.Status || len(after.Flags) != len(first.Flags) {
				t.Errorf("after the repeat: %+v, want unchanged %+v", after, first)
			}
			page, _ := f.svc.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-1"})
			if len(page.Items) != 1 {
				t.Errorf("%d sessions, want 1", len(page.Items))
			}
			samples, _ := f.svc.ListMeterSamples(ctx, charging.MeterQuery{SessionID: first.ID})
			for _, s := range samples.Items {
				if s.Value == 99999 {
					t.Errorf("the repeat's sample was stored: %+v", s)
				}
			}
		})
	}
}

// TestTransactionEventSeqNoGaps: gaps and late events are flagged, never refused.
func TestTransactionEventSeqNoGaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []int
		want []string // flag parts
	}{
		{"in order", []int{0, 1, 2, 3}, nil},
		{"gap", []int{0, 1, 4}, []string{"gap: 2..3 missing before seqNo 4"}},
		{"late", []int{0, 2, 1}, []string{"gap: 1..1 missing before seqNo 2", "seqNo 1 arrived after seqNo 2"}},
		{"first event missing", []int{1, 2}, []string{"was Updated (seqNo 1), not Started"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for i, seq := range tc.seqs {
				typ := charging.TxEventUpdated
				if seq == 0 {
					typ = charging.TxEventStarted
				}
				res := f.apply(t, f.txEvent(typ, seq, time.Duration(i)*time.Minute, 1000+float64(i)))
				if res.Duplicate {
					t.Fatalf("seqNo %d: Duplicate, want applied", seq)
				}
			}
			ses, err := f.store.GetSessionByTransaction(context.Background(), "CP-1", "tx-1")
			must(t, err)
			for _, w := range tc.want {
				if !hasFlag(ses, w) {
					t.Errorf("flags = %q, want one containing %q", ses.Flags, w)
				}
			}
			if len(tc.want) == 0 && len(ses.Flags) != 0 {
				t.Errorf("flags = %q, want none", ses.Flags)
			}
			if ses.Status != charging.SessionActive {
				t.Errorf("status = %s, want active", ses.Status)
			}
		})
	}
}

// TestTransactionEventOfflineReplay: events a charger kept while offline
// arrive late, with old timestamps, possibly out of order; they are stored
// where they happened.
func TestTransactionEventOfflineReplay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.add(time.Hour) // the charger reconnects an hour after it all happened
	var events []charging.TransactionEvent
	for i, typ := range []string{charging.TxEventStarted, charging.TxEventUpdated, charging.TxEventUpdated, charging.TxEventEnded} {
		e := f.txEvent(typ, i, time.Duration(i-60)*time.Minute, 1000+100*float64(i))
		e.Offline = true
		events = append(events, e)
	}
	events[3].StoppedReason = "EVDisconnected"
	// Sent in the order 0, 2, 1, 3.
	for _, i := range []int{0, 2, 1, 3} {
		f.apply(t, events[i])
	}
	ses, err := f.store.GetSessionByTransaction(ctx, "CP-1", "tx-1")
	must(t, err)
	if !ses.StartedAt.Equal(events[0].Timestamp) || !ses.StoppedAt.Equal(events[3].Timestamp) {
		t.Errorf("session %v..%v, want the charger's times %v..%v", ses.StartedAt, ses.StoppedAt, events[0].Timestamp, events[3].Timestamp)
	}
	if ses.Status != charging.SessionFinished || ses.EnergyWh != 300 || ses.StopReason != "EVDisconnected" {
		t.Errorf("session = %+v, want finished with 300 Wh", ses)
	}
	if !hasFlag(ses, "offline") || !hasFlag(ses, "seqNo 1 arrived after seqNo 2") {
		t.Errorf("flags = %q, want offline and the late seqNo flagged", ses.Flags)
	}
	samples, err := f.svc.ListMeterSamples(ctx, charging.MeterQuery{SessionID: ses.ID})
	must(t, err)
	var energy []float64
	for _, s := range samples.Items {
		if s.Measurand == charging.MeasurandEnergyActiveImportRegister {
			energy = append(energy, s.Value)
		}
	}
	if !slices.Equal(energy, []float64{1000, 1100, 1200, 1300}) {
		t.Errorf("energy samples in listed order = %v, want in the order they were taken", energy)
	}
	evs, err := f.store.ListTransactionEvents(ctx, "CP-1", "tx-1")
	must(t, err)
	var seqs []int
	for _, e := range evs {
		seqs = append(seqs, e.SeqNo)
		if !e.Offline {
			t.Errorf("event %d: offline = false, want true", e.SeqNo)
		}
	}
	if !slices.Equal(seqs, []int{0, 1, 2, 3}) {
		t.Errorf("stored events in listed order = %v, want by timestamp", seqs)
	}
}

// TestTransactionEventNoTokenThenAuthorized: a transaction started by
// plugging in (no id token) gets its token from a later Updated.
func TestTransactionEventNoTokenThenAuthorized(t *testing.T) {
	f := newFixture(t)
	e := f.txEvent(charging.TxEventStarted, 0, 0, 500)
	e.TriggerReason = "CablePluggedIn"
	res := f.apply(t, e)
	if res.IDTagInfo != nil {
		t.Errorf("IDTagInfo = %+v for an event without token, want nil", res.IDTagInfo)
	}
	u := f.txEvent(charging.TxEventUpdated, 1, time.Minute, 510)
	u.IDTag, u.TriggerReason = "RFID-7", "Authorized"
	res = f.apply(t, u)
	if res.IDTagInfo == nil || res.IDTagInfo.Status != charging.AuthAccepted {
		t.Fatalf("IDTagInfo = %+v, want Accepted", res.IDTagInfo)
	}
	ses, _ := f.store.GetSessionByTransaction(context.Background(), "CP-1", "tx-1")
	if ses.IDTag != "RFID-7" || len(ses.Flags) != 0 {
		t.Errorf("session = %+v, want idTag RFID-7 and no flags", ses)
	}
}
