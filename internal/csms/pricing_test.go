package csms_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/payment"
	"github.com/joule-ev/joule/internal/sqlite"
)

// Issue 14: sessions are priced by the tariff where they run, live and at
// the end; a driver's start holds a payment, the end captures it.

// energyTariff is 0.30 EUR per kWh (the seed's), VAT as given ("" none).
func priceTariff(id, price, vat string) charging.Tariff {
	return charging.Tariff{ID: id, Currency: "EUR", Elements: []charging.TariffElement{{
		PriceComponents: []charging.PriceComponent{{Type: charging.DimensionEnergy, Price: charging.Decimal(price), VAT: charging.Decimal(vat), StepSize: 1}},
	}}}
}

// priceCharger stores the tariff and assigns it to CP-1.
func (f *fixture) priceCharger(t *testing.T, tr charging.Tariff) {
	t.Helper()
	ctx := context.Background()
	must(t, f.store.CreateTariff(ctx, tr))
	must(t, f.store.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{TariffID: tr.ID}))
}

// meter reports connector 1's energy register (and power) at the clock's time.
func (f *fixture) meter(t *testing.T, txID string, registerWh, powerW float64) {
	t.Helper()
	ts := f.clock.now()
	must(t, f.svc.MeterValues(context.Background(), "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: txID, Samples: []charging.MeterSample{
		{Timestamp: ts, Measurand: charging.MeasurandPowerActiveImport, Unit: "W", Value: powerW},
		{Timestamp: ts, Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: registerWh},
	}}))
}

func (f *fixture) session(t *testing.T, id string) charging.Session {
	t.Helper()
	s, err := f.svc.GetSession(context.Background(), id)
	must(t, err)
	return s
}

// TestSessionPricedLiveAndFinal: the seed's 6,379 Wh at 0.30 EUR/kWh is
// 1.91 EUR; the running cost follows the meter; the final cost is kept
// when the tariff changes later; a start at the charger is priced too.
func TestSessionPricedLiveAndFinal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.priceCharger(t, priceTariff("STD", "0.30", ""))

	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-1"})
	must(t, err)
	if ses.TariffID != "STD" || ses.Cost == nil || ses.Cost.Total != "0.00" || ses.Payment != nil {
		t.Fatalf("pending session: tariff %q cost %+v payment %+v; want STD, 0.00, no payment (a bare id tag)", ses.TariffID, ses.Cost, ses.Payment)
	}
	res := f.started(t, 1, "TAG-1", 1000)
	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()
	f.clock.add(10 * time.Minute)
	f.meter(t, res.TransactionID, 4000, 11000)
	if c := f.session(t, ses.ID).Cost; c == nil || c.Total != "0.90" || c.Final {
		t.Fatalf("running cost = %+v, want 0.90 (3,000 Wh), not final", c)
	}
	// The event stream carries it too.
	var meterCost *charging.Cost
	for len(sub.Events()) > 0 {
		if e := <-sub.Events(); e.Type == charging.EventSessionMeter && e.Session != nil {
			meterCost = e.Session.Cost
		}
	}
	if meterCost == nil || meterCost.Total != "0.90" {
		t.Fatalf("session.meter event cost = %+v, want the running 0.90", meterCost)
	}
	f.clock.add(10 * time.Minute)
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 7379, Timestamp: f.clock.now(), Reason: "Remote"})
	must(t, err)
	got := f.session(t, ses.ID)
	if got.EnergyWh != 6379 || got.Cost == nil || !got.Cost.Final || got.Cost.Total != "1.91" || got.Cost.Energy != "1.91" || got.Cost.Tax != "0.00" {
		t.Fatalf("final: energy %v cost %+v, want 6379 Wh costing 1.91 EUR, final", got.EnergyWh, got.Cost)
	}

	// A later price change does not reprice it.
	upd := priceTariff("STD", "0.50", "")
	must(t, f.store.SaveTariff(ctx, upd))
	if c := f.session(t, ses.ID).Cost; c.Total != "1.91" {
		t.Fatalf("after the tariff changed the session costs %s, want the stored 1.91", c.Total)
	}

	// A start at the charger (RFID) is priced at the new price.
	local := f.started(t, 2, "RFID-9", 500)
	f.clock.add(time.Minute)
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: local.TransactionID, MeterStopWh: 2500, Timestamp: f.clock.now()})
	must(t, err)
	if c := f.session(t, local.SessionID).Cost; c == nil || c.Total != "1.00" || c.TariffID != "STD" {
		t.Fatalf("local session cost = %+v, want 1.00 (2 kWh at 0.50)", c)
	}
}

// TestFinalCostReadsTheMeterLog: a tariff that is cheaper at night prices
// each stretch by when its energy was delivered, from the meter log.
func TestFinalCostReadsTheMeterLog(t *testing.T) {
	f := newFixture(t) // the clock starts at 10:00 UTC
	ctx := context.Background()
	tr := charging.Tariff{ID: "TOU", Currency: "EUR", Elements: []charging.TariffElement{
		{PriceComponents: []charging.PriceComponent{{Type: charging.DimensionEnergy, Price: "0.40", StepSize: 1}},
			Restrictions: &charging.TariffRestrictions{StartTime: "10:00", EndTime: "10:30"}},
		{PriceComponents: []charging.PriceComponent{{Type: charging.DimensionEnergy, Price: "0.20", StepSize: 1}}},
	}}
	f.priceCharger(t, tr)
	res := f.started(t, 1, "TAG-1", 0)
	f.clock.add(30 * time.Minute)
	f.meter(t, res.TransactionID, 5000, 10000) // 5 kWh at 0.40 before 10:30
	f.clock.add(30 * time.Minute)
	_, err := f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 10000, Timestamp: f.clock.now()})
	must(t, err)
	if c := f.session(t, res.SessionID).Cost; c == nil || c.Total != "3.00" || len(c.Periods) != 2 {
		t.Fatalf("cost = %+v, want 3.00 (5 kWh at 0.40, 5 kWh at 0.20) in 2 periods", c)
	}
}

// TestTransactionEventEndedAnswersTotalCost: a 2.0.1 Ended event's answer
// carries the final cost.
func TestTransactionEventEndedAnswersTotalCost(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.priceCharger(t, priceTariff("STD", "0.30", "19"))
	reg := func(v float64, c string) []charging.MeterSample {
		return []charging.MeterSample{{Timestamp: f.clock.now(), Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: v, Context: c}}
	}
	_, err := f.svc.TransactionEvent(ctx, "CP-1", charging.TransactionEvent{EventType: charging.TxEventStarted, TransactionID: "T-1", SeqNo: 0,
		Timestamp: f.clock.now(), ConnectorID: 1, IDTag: "TAG-1", Samples: reg(1000, "Transaction.Begin")})
	must(t, err)
	f.clock.add(time.Hour)
	res, err := f.svc.TransactionEvent(ctx, "CP-1", charging.TransactionEvent{EventType: charging.TxEventEnded, TransactionID: "T-1", SeqNo: 1,
		Timestamp: f.clock.now(), ConnectorID: 1, StoppedReason: "EVDisconnected", Samples: reg(11000, "Transaction.End")})
	must(t, err)
	// 10 kWh at 0.30 = 3.00, VAT 19 % = 0.57.
	if res.TotalCost != "3.57" {
		t.Fatalf("Ended answer totalCost = %q, want 3.57", res.TotalCost)
	}
	again, err := f.svc.TransactionEvent(ctx, "CP-1", charging.TransactionEvent{EventType: charging.TxEventEnded, TransactionID: "T-1", SeqNo: 1,
		Timestamp: f.clock.now(), ConnectorID: 1, StoppedReason: "EVDisconnected", Samples: reg(11000, "Transaction.End")})
	must(t, err)
	if !again.Duplicate || again.TotalCost != "3.57" {
		t.Fatalf("repeated Ended = %+v, want a duplicate answered 3.57 again", again)
	}
}

// payFixture is a fixture whose service takes payments through the real
// wallet provider (and, when flaky is set, through it for captures).
type payFixture struct {
	*fixture
	router *payment.Router
	flaky  *flakyProvider
}

// flakyProvider is the wallet provider with captures that fail while fail is set.
type flakyProvider struct {
	charging.PaymentProvider
	mu       sync.Mutex
	fail     bool
	captures int
}

func (p *flakyProvider) Capture(ctx context.Context, ref string, amount charging.Decimal, currency string) error {
	p.mu.Lock()
	p.captures++
	fail := p.fail
	p.mu.Unlock()
	if fail {
		return errors.New("connection reset by peer")
	}
	return p.PaymentProvider.Capture(ctx, ref, amount, currency)
}

// flakyRouter routes everyone to the flaky wallet.
type flakyRouter struct {
	*payment.Router
	p *flakyProvider
}

func (r flakyRouter) For(ctx context.Context, userID string) (charging.PaymentProvider, error) {
	return r.p, nil
}

func (r flakyRouter) Provider(name string) (charging.PaymentProvider, bool) {
	return r.p, name == r.p.Name()
}

// newPayFixture returns a fixture with a driver D-1 (id tag DRV-1, driver
// group members) whose wallet holds balance EUR, and tariff tr on CP-1.
func newPayFixture(t *testing.T, balance string, tr charging.Tariff) *payFixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	router := payment.NewRouter(f.store, nil)
	wallet, ok := router.Provider("wallet")
	if !ok {
		t.Fatal("no wallet provider")
	}
	pf := &payFixture{fixture: f, router: router, flaky: &flakyProvider{PaymentProvider: wallet}}
	f.svc = csms.New(f.store, f.bus, f.cmd, nil, f.clock.now, csms.Config{PendingTimeout: time.Minute,
		Payments: flakyRouter{router, pf.flaky}, Seller: charging.Seller{Name: "Joule Charging GmbH", VATID: "DE123456789"}})
	must(t, f.store.CreateUser(ctx, charging.User{ID: "D-1", Email: "d1@example.com", Name: "Dana", Role: charging.RoleDriver, DriverGroup: "members",
		CreatedAt: f.clock.now(), UpdatedAt: f.clock.now()}, &charging.IDTag{IDTag: "DRV-1", Status: charging.AuthAccepted, OwnerID: "D-1",
		CreatedAt: f.clock.now(), UpdatedAt: f.clock.now()}, nil))
	if balance != "" {
		n, err := charging.MinorUnits("amount", charging.Decimal(balance), "EUR")
		must(t, err)
		_, err = f.store.AddWalletEntry(ctx, charging.WalletEntry{ID: "TOPUP-1", UserID: "D-1", Currency: "EUR", Kind: charging.WalletTopup,
			Amount: n, CreatedBy: "test", CreatedAt: f.clock.now()})
		must(t, err)
	}
	f.priceCharger(t, tr)
	return pf
}

func (f *payFixture) wallet(t *testing.T) charging.WalletView {
	t.Helper()
	w, err := f.store.GetWallet(context.Background(), "D-1", "EUR")
	must(t, err)
	return w.View()
}

func (f *payFixture) settle(t *testing.T) {
	t.Helper()
	_, err := f.svc.SettlePayments(context.Background())
	must(t, err)
}

// TestWalletPaysTheSession: a start holds 30.00 from the wallet; the
// stop's final cost is captured by the payment worker, the session gets a
// numbered receipt and the wallet is debited exactly that.
func TestWalletPaysTheSession(t *testing.T) {
	f := newPayFixture(t, "50.00", priceTariff("STD", "0.30", ""))
	ctx := context.Background()
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "DRV-1"})
	must(t, err)
	if p := ses.Payment; p == nil || p.Provider != "wallet" || p.Status != charging.PaymentAuthorized || p.Authorized != "30.00" {
		t.Fatalf("payment at start = %+v, want 30.00 authorized from the wallet", p)
	}
	if w := f.wallet(t); w.Available != "20.00" || w.Held != "30.00" {
		t.Fatalf("wallet after the hold = %+v, want 20.00 available, 30.00 held", w)
	}
	res := f.started(t, 1, "DRV-1", 1000)
	f.clock.add(20 * time.Minute)
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 7379, Timestamp: f.clock.now()})
	must(t, err)
	f.settle(t)
	got := f.session(t, ses.ID)
	if p := got.Payment; p.Status != charging.PaymentCaptured || p.Captured != "1.91" || p.ReceiptNumber != "R-2026-000001" {
		t.Fatalf("payment after the stop = %+v, want 1.91 captured with receipt R-2026-000001", p)
	}
	if w := f.wallet(t); w.Balance != "48.09" || w.Held != "0.00" || w.Available != "48.09" {
		t.Fatalf("wallet after the capture = %+v, want 48.09 (50.00 - 1.91), nothing held", w)
	}
	rc, err := f.svc.Receipt(ctx, ses.ID)
	must(t, err)
	if rc.Number != "R-2026-000001" || rc.Total != "1.91" || rc.Paid != "1.91" || rc.Seller.Name != "Joule Charging GmbH" ||
		rc.Buyer.Email != "d1@example.com" || len(rc.Lines) != 1 || rc.Lines[0].Quantity != "6.379" || rc.Lines[0].Amount != "1.91" {
		t.Fatalf("receipt = %+v", rc)
	}

	// A second run settles nothing more.
	n, err := f.svc.SettlePayments(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("a second settle run settled %d sessions, want 0", n)
	}

	// A refund credits the wallet back and is recorded.
	ref, err := f.svc.RefundSession(ctx, ses.ID, "1.00", "slow charging")
	must(t, err)
	if p := ref.Payment; p.Status != charging.PaymentRefunded || p.Refunded != "1.00" {
		t.Fatalf("after the refund: %+v", p)
	}
	if w := f.wallet(t); w.Balance != "49.09" {
		t.Fatalf("wallet after a 1.00 refund = %s, want 49.09", w.Balance)
	}
	_, err = f.svc.RefundSession(ctx, ses.ID, "1.00", "")
	wantCode(t, err, charging.EINVALID)                  // only 0.91 is left
	all, err := f.svc.RefundSession(ctx, ses.ID, "", "") // what is left
	must(t, err)
	if all.Payment.Refunded != "1.91" {
		t.Fatalf("refunded = %s after refunding what was left, want 1.91", all.Payment.Refunded)
	}
	_, err = f.svc.RefundSession(ctx, ses.ID, "0.01", "")
	wantCode(t, err, charging.EINVALID) // nothing left
	totals, err := f.svc.SessionTotals(ctx, charging.SessionQuery{OwnerID: "D-1"})
	must(t, err)
	if totals.Sessions != 1 || len(totals.Costs) != 1 || totals.Costs[0].Amount != "1.91" || totals.Paid[0].Amount != "0.00" {
		t.Fatalf("totals = %+v, want one session costing 1.91, paid 0.00 after all was refunded", totals)
	}
}

// TestWalletWithoutBalanceCannotStart: a hold the wallet cannot cover
// refuses the start with EPAYMENT; nothing is created or sent.
func TestWalletWithoutBalanceCannotStart(t *testing.T) {
	f := newPayFixture(t, "10.00", priceTariff("STD", "0.30", ""))
	sent := 0
	f.cmd.start = func(charging.RemoteStart) (charging.CommandStatus, error) {
		sent++
		return charging.CommandAccepted, nil
	}
	_, err := f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "DRV-1"})
	wantCode(t, err, charging.EPAYMENT)
	if msg := charging.ErrorMessage(err); !strings.Contains(msg, "10.00") || !strings.Contains(msg, "30.00") {
		t.Errorf("refusal %q does not name the balance and the hold", msg)
	}
	page, err := f.store.ListSessions(context.Background(), charging.SessionQuery{})
	must(t, err)
	if len(page.Items) != 0 || sent != 0 {
		t.Fatalf("a refused payment left %d sessions and sent %d remote starts", len(page.Items), sent)
	}
}

// TestRefusedStartReleasesTheHold: the charger refuses the remote start;
// the worker gives the hold back.
func TestRefusedStartReleasesTheHold(t *testing.T) {
	f := newPayFixture(t, "50.00", priceTariff("STD", "0.30", ""))
	f.cmd.start = func(charging.RemoteStart) (charging.CommandStatus, error) { return charging.CommandRejected, nil }
	_, err := f.svc.StartSession(context.Background(), charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "DRV-1"})
	wantCode(t, err, charging.EREJECTED)
	f.settle(t)
	page, err := f.store.ListSessions(context.Background(), charging.SessionQuery{})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].Payment.Status != charging.PaymentReleased || page.Items[0].Cost != nil {
		t.Fatalf("refused session = %+v, want its payment released and no cost", page.Items)
	}
	if w := f.wallet(t); w.Available != "50.00" || w.Held != "0.00" {
		t.Fatalf("wallet = %+v, want the hold given back", w)
	}
}

// TestFailedCaptureIsUnpaidAndRetried: a capture that fails leaves the
// session unpaid with the error and a next attempt; after the delay it is
// retried and succeeds.
func TestFailedCaptureIsUnpaidAndRetried(t *testing.T) {
	f := newPayFixture(t, "50.00", priceTariff("STD", "0.30", ""))
	ctx := context.Background()
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "DRV-1"})
	must(t, err)
	res := f.started(t, 1, "DRV-1", 0)
	f.clock.add(time.Minute)
	_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID, MeterStopWh: 10000, Timestamp: f.clock.now()})
	must(t, err)
	f.flaky.fail = true
	f.settle(t)
	p := f.session(t, ses.ID).Payment
	if p.Status != charging.PaymentUnpaid || p.Attempts != 1 || !strings.Contains(p.LastError, "connection reset") || p.NextAttemptAt == nil {
		t.Fatalf("after a failed capture: %+v, want unpaid, 1 attempt, the error and a next attempt", p)
	}
	unpaid, err := f.svc.ListSessions(ctx, charging.SessionQuery{PaymentStatus: []charging.PaymentStatus{charging.PaymentUnpaid}})
	must(t, err)
	if len(unpaid.Items) != 1 {
		t.Fatalf("the operator's unpaid list has %d sessions, want 1", len(unpaid.Items))
	}
	f.flaky.fail = false
	f.settle(t) // too early: not retried yet
	if f.flaky.captures != 1 {
		t.Fatalf("captures = %d before the retry delay, want 1", f.flaky.captures)
	}
	f.clock.add(2 * time.Minute)
	f.settle(t)
	if p := f.session(t, ses.ID).Payment; p.Status != charging.PaymentCaptured || p.Captured != "3.00" || p.LastError != "" {
		t.Fatalf("after the retry: %+v, want 3.00 captured", p)
	}
	if w := f.wallet(t); w.Balance != "47.00" {
		t.Fatalf("wallet = %s, want 47.00", w.Balance)
	}
}

// TestDriverGroupPaysItsTariff: a driver group's override wins over the
// charger's tariff for its members.
func TestDriverGroupPaysItsTariff(t *testing.T) {
	f := newPayFixture(t, "50.00", priceTariff("STD", "0.30", ""))
	ctx := context.Background()
	must(t, f.store.CreateTariff(ctx, priceTariff("MEMBERS", "0.20", "")))
	must(t, f.store.SaveChargerDetails(ctx, "CP-1", charging.ChargerDetails{TariffID: "STD", GroupTariffs: map[string]string{"members": "MEMBERS"}}))
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "DRV-1"})
	must(t, err)
	if ses.TariffID != "MEMBERS" {
		t.Fatalf("a member's session is priced by %q, want MEMBERS", ses.TariffID)
	}
	other, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 2, IDTag: "GUEST"})
	must(t, err)
	if other.TariffID != "STD" {
		t.Fatalf("a guest's session is priced by %q, want STD", other.TariffID)
	}
}

// run runs the service's background work (follow-ups, sweeps) until the
// test ends.
func (f *fixture) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (f *fakeCommander) sent() (stops, commands []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.stops...), append([]string(nil), f.commands...)
}

// TestStopAtPaymentHold: a session whose running cost reaches what its
// payment holds is stopped by Joule, once, and flagged.
func TestStopAtPaymentHold(t *testing.T) {
	f := newPayFixture(t, "50.00", priceTariff("STD", "0.30", ""))
	f.svc = csms.New(f.store, f.bus, f.cmd, nil, f.clock.now, csms.Config{PendingTimeout: time.Minute,
		Payments: flakyRouter{f.router, f.flaky}, PaymentHold: "5.00", FollowUpDelay: time.Millisecond})
	f.run(t)
	ctx := context.Background()
	ses, err := f.svc.StartSession(ctx, charging.StartRequest{ChargerID: "CP-1", ConnectorID: 1, IDTag: "DRV-1"})
	must(t, err)
	res := f.started(t, 1, "DRV-1", 0)
	f.clock.add(10 * time.Minute)
	f.meter(t, res.TransactionID, 10000, 22000) // 3.00: below the hold
	f.clock.add(10 * time.Minute)
	f.meter(t, res.TransactionID, 17000, 22000) // 5.10: the hold is reached
	f.clock.add(time.Minute)
	f.meter(t, res.TransactionID, 17300, 22000) // still charging until the stop arrives
	deadline := time.Now().Add(5 * time.Second)
	for {
		stops, _ := f.cmd.sent()
		if len(stops) == 1 && stops[0] == res.TransactionID {
			break
		}
		if time.Now().After(deadline) || len(stops) > 1 {
			t.Fatalf("remote stops sent = %v, want one for %s", stops, res.TransactionID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := f.session(t, ses.ID)
	for got.StopRequestedAt == nil && time.Now().Before(deadline) { // the charger's answer is recorded after it is sent
		time.Sleep(10 * time.Millisecond)
		got = f.session(t, ses.ID)
	}
	if got.StopRequestedAt == nil || !slices.ContainsFunc(got.Flags, func(s string) bool { return strings.Contains(s, "5.00 EUR held") }) {
		t.Fatalf("session after the stop at its hold: stop requested %v, flags %q", got.StopRequestedAt, got.Flags)
	}
}

// TestCostUpdatedFor201: a 2.0.1 charger is sent the running cost of its
// transaction (CostUpdated), at most once per interval.
func TestCostUpdatedFor201(t *testing.T) {
	f := newFixture(t)
	f.svc = csms.New(f.store, f.bus, f.cmd, nil, f.clock.now, csms.Config{PendingTimeout: time.Minute, FollowUpDelay: time.Millisecond, CostUpdateInterval: time.Hour})
	ctx := context.Background()
	must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP201))
	f.run(t)
	f.priceCharger(t, priceTariff("STD", "0.30", ""))
	reg := func(v float64) []charging.MeterSample {
		return []charging.MeterSample{{Timestamp: f.clock.now(), Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: v}}
	}
	_, err := f.svc.TransactionEvent(ctx, "CP-1", charging.TransactionEvent{EventType: charging.TxEventStarted, TransactionID: "T-9", SeqNo: 0,
		Timestamp: f.clock.now(), ConnectorID: 1, IDTag: "TAG-1", Samples: reg(0)})
	must(t, err)
	for i, wh := range []float64{2000, 3000, 4000} {
		f.clock.add(time.Minute)
		_, err := f.svc.TransactionEvent(ctx, "CP-1", charging.TransactionEvent{EventType: charging.TxEventUpdated, TransactionID: "T-9", SeqNo: i + 1,
			Timestamp: f.clock.now(), ConnectorID: 1, Samples: reg(wh)})
		must(t, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var costs []string
	for time.Now().Before(deadline) {
		_, commands := f.cmd.sent()
		costs = costs[:0]
		for _, c := range commands {
			if strings.HasPrefix(c, "CostUpdated ") {
				costs = append(costs, strings.TrimPrefix(c, "CostUpdated "))
			}
		}
		if len(costs) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a second one would have been sent by now
	_, commands := f.cmd.sent()
	n := 0
	for _, c := range commands {
		if strings.HasPrefix(c, "CostUpdated ") {
			n++
		}
	}
	if len(costs) == 0 || costs[0] != `{"totalCost":0.6,"transactionId":"T-9"}` || n != 1 {
		t.Fatalf("CostUpdated sent: %q (%d in all), want one with totalCost 0.6 for T-9", costs, n)
	}
}

// TestRunWarmsReportRollups: once a node does the background work, it
// builds the report roll-ups of UTC and of each site's time zone, so the
// first dashboard does not wait for them.
func TestRunWarmsReportRollups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "joule.db")
	store, err := sqlite.Open(ctx, path)
	must(t, err)
	t.Cleanup(func() { store.Close() })
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	must(t, store.CreateSite(ctx, charging.Site{ID: "S-1", Name: "Depot", TimeZone: "Europe/Berlin", CreatedAt: now, UpdatedAt: now}))
	f := &fixture{svc: csms.New(store, inmem.NewBus(), &fakeCommander{}, nil, nil, csms.Config{}), store: store}
	f.run(t)
	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var zones []string
		rows, err := db.QueryContext(ctx, `SELECT zone FROM report_zones ORDER BY zone`)
		if err == nil {
			for rows.Next() {
				var z string
				if rows.Scan(&z) == nil {
					zones = append(zones, z)
				}
			}
			rows.Close()
		}
		if strings.Join(zones, ",") == "Europe/Berlin,UTC" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("report roll-ups built for %v (err %v), want Europe/Berlin and UTC", zones, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
