package crashtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// OCPP versions, spelled as their WebSocket subprotocols.
const (
	ocpp16Proto  = "ocpp1.6"
	ocpp201Proto = "ocpp2.0.1"
)

const (
	callTimeout = 10 * time.Second
	minBackoff  = 25 * time.Millisecond
	maxBackoff  = 400 * time.Millisecond
)

// errRefused is returned by deliver when Joule answered a CALLERROR other
// than InternalError: it refused the message itself, and sending it again
// would not help. The harness's messages are valid, so it is a problem.
var errRefused = errors.New("refused")

// charger is one scripted charger on one connector (1.6) or EVSE (2.0.1).
// Its fields are owned by the goroutine running run; journal, problems and
// the counters are read by the harness after run returned, except acked,
// which the harness reads at every cycle, and open.
type charger struct {
	id, version, password, url string
	pace                       time.Duration // mean wait between two messages
	rng                        *rand.Rand
	gen                        *atomic.Int64 // the joule generation running now
	acked                      *atomic.Int64 // CALLRESULTs, all chargers together

	journal  []entry
	problems []string
	sent     int // CALLs sent, repeats included
	repeats  int // CALLs sent again: no answer, or InternalError
	refused  int
	connects int // connections booted

	conn   *ocppj.Conn
	hangUp func() // ends conn's Serve goroutine and waits for it

	mu   sync.Mutex
	open openTx // the running transaction as acknowledged; guarded by mu

	last     time.Time // the last timestamp given to a message
	register int       // energy register, Wh; only goes up
	txSeq    int       // transactions started (2.0.1 ids)
}

// run charges session after session until stop is closed, then finishes
// the session it is in. It returns when it has, or when ctx is done.
func (c *charger) run(ctx context.Context, stop <-chan struct{}) {
	defer c.disconnect()
	for ctx.Err() == nil && !closed(stop) {
		var err error
		if c.version == ocpp16Proto {
			err = c.session16(ctx, stop)
		} else {
			err = c.session201(ctx, stop)
		}
		if err != nil {
			return // ctx is done
		}
		c.pause(ctx)
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// session16 runs one OCPP 1.6 transaction: StartTransaction, a few
// MeterValues, StopTransaction with its transactionData.
func (c *charger) session16(ctx context.Context, stop <-chan struct{}) error {
	tag := "TAG-" + c.id
	at := c.clock()
	e := entry{Action: "StartTransaction", Kind: kindStart, At: at, MeterWh: float64(c.register)}
	resp, err := c.deliver(ctx, &e, &ocpp16.StartTransactionRequest{ConnectorID: 1, IDTag: tag, MeterStart: c.register, Timestamp: at})
	if err != nil {
		return ignoreRefused(err)
	}
	tx, txID := resp.(*ocpp16.StartTransactionResponse).TransactionID, e.TxID

	for n := 2 + c.rng.IntN(7); n > 0 && !closed(stop); n-- {
		c.pause(ctx)
		var mvs []ocpp16.MeterValue
		e := entry{Action: "MeterValues", Kind: kindMeter, TxID: txID}
		for range 1 + c.rng.IntN(2) { // sometimes two elements in one message
			ts, energy, power := c.reading()
			mvs = append(mvs, ocpp16.MeterValue{Timestamp: ts, SampledValue: []ocpp16.SampledValue{
				{Value: strconv.Itoa(energy), Context: ptr(ocpp16.ReadingContextSamplePeriodic),
					Measurand: ptr(ocpp16.MeasurandEnergyActiveImportRegister), Unit: ptr(ocpp16.UnitOfMeasureWh)},
				{Value: strconv.Itoa(power), Context: ptr(ocpp16.ReadingContextSamplePeriodic),
					Measurand: ptr(ocpp16.MeasurandPowerActiveImport), Unit: ptr(ocpp16.UnitOfMeasureW)},
			}})
			e.Samples = append(e.Samples, energySample(ts, energy), powerSample(ts, power))
		}
		if _, err := c.deliver(ctx, &e, &ocpp16.MeterValuesRequest{ConnectorID: 1, TransactionID: &tx, MeterValue: mvs}); err != nil {
			if err := ignoreRefused(err); err != nil {
				return err
			}
		}
	}

	c.pause(ctx)
	at, stopWh, _ := c.reading()
	req := &ocpp16.StopTransactionRequest{MeterStop: stopWh, Timestamp: at, TransactionID: tx,
		TransactionData: []ocpp16.MeterValue{{Timestamp: at, SampledValue: []ocpp16.SampledValue{
			{Value: strconv.Itoa(stopWh), Context: ptr(ocpp16.ReadingContextTransactionEnd),
				Measurand: ptr(ocpp16.MeasurandEnergyActiveImportRegister), Unit: ptr(ocpp16.UnitOfMeasureWh)},
		}}}}
	if c.rng.IntN(2) == 0 {
		req.IDTag, req.Reason = &tag, ptr(ocpp16.ReasonLocal)
	} else {
		req.Reason = ptr(ocpp16.ReasonEVDisconnected)
	}
	e = entry{Action: "StopTransaction", Kind: kindStop, TxID: txID, At: at, MeterWh: float64(stopWh),
		Samples: []sample{energySample(at, stopWh)}}
	_, err = c.deliver(ctx, &e, req)
	return ignoreRefused(err)
}

// session201 runs one OCPP 2.0.1 transaction: TransactionEvent Started
// (with the Transaction.Begin register), a few Updated, Ended (with the
// Transaction.End register). The station names the transaction.
func (c *charger) session201(ctx context.Context, stop <-chan struct{}) error {
	c.txSeq++
	txID := fmt.Sprintf("%s-T%d", c.id, c.txSeq)
	token := &ocpp201.IDToken{IDToken: "TAG-" + c.id, Type: ocpp201.IDTokenEnumISO14443}
	seq := 0
	event := func(typ ocpp201.TransactionEventEnum, trigger ocpp201.TriggerReasonEnum, at time.Time, mvs []ocpp201.MeterValue) *ocpp201.TransactionEventRequest {
		r := &ocpp201.TransactionEventRequest{EventType: typ, Timestamp: at, TriggerReason: trigger, SeqNo: seq,
			TransactionInfo: ocpp201.Transaction{TransactionID: txID, ChargingState: ptr(ocpp201.ChargingStateEnumCharging)},
			MeterValue:      mvs}
		seq++
		return r
	}

	at := c.clock()
	req := event(ocpp201.TransactionEventEnumStarted, ocpp201.TriggerReasonEnumAuthorized, at,
		[]ocpp201.MeterValue{energy201(at, c.register, ocpp201.ReadingContextEnumTransactionBegin)})
	req.Evse, req.IDToken = &ocpp201.EVSE{ID: 1, ConnectorID: ptr(1)}, token
	e := entry{Action: "TransactionEvent", Kind: kindStart, TxID: txID, At: at, MeterWh: float64(c.register),
		Samples: []sample{energySample(at, c.register)}}
	if _, err := c.deliver(ctx, &e, req); err != nil {
		return ignoreRefused(err)
	}

	for n := 2 + c.rng.IntN(7); n > 0 && !closed(stop); n-- {
		c.pause(ctx)
		var mvs []ocpp201.MeterValue
		e := entry{Action: "TransactionEvent", Kind: kindMeter, TxID: txID}
		for range 1 + c.rng.IntN(2) {
			ts, energy, power := c.reading()
			mv := energy201(ts, energy, ocpp201.ReadingContextEnumSamplePeriodic)
			mv.SampledValue = append(mv.SampledValue, ocpp201.SampledValue{Value: float64(power),
				Context:   ptr(ocpp201.ReadingContextEnumSamplePeriodic),
				Measurand: ptr(ocpp201.MeasurandEnumPowerActiveImport), UnitOfMeasure: &ocpp201.UnitOfMeasure{Unit: ptr("W")}})
			mvs = append(mvs, mv)
			e.Samples = append(e.Samples, energySample(ts, energy), powerSample(ts, power))
		}
		// The first event named the EVSE; later ones may leave it out.
		req := event(ocpp201.TransactionEventEnumUpdated, ocpp201.TriggerReasonEnumMeterValuePeriodic, mvs[0].Timestamp, mvs)
		if _, err := c.deliver(ctx, &e, req); err != nil {
			if err := ignoreRefused(err); err != nil {
				return err
			}
		}
	}

	c.pause(ctx)
	at, stopWh, _ := c.reading()
	req = event(ocpp201.TransactionEventEnumEnded, ocpp201.TriggerReasonEnumStopAuthorized, at,
		[]ocpp201.MeterValue{energy201(at, stopWh, ocpp201.ReadingContextEnumTransactionEnd)})
	req.TransactionInfo.ChargingState = nil
	req.TransactionInfo.StoppedReason = ptr(ocpp201.ReasonEnumLocal)
	req.IDToken = token
	e = entry{Action: "TransactionEvent", Kind: kindStop, TxID: txID, At: at, MeterWh: float64(stopWh),
		Samples: []sample{energySample(at, stopWh)}}
	_, err := c.deliver(ctx, &e, req)
	return ignoreRefused(err)
}

func energy201(at time.Time, wh int, rc ocpp201.ReadingContextEnum) ocpp201.MeterValue {
	return ocpp201.MeterValue{Timestamp: at, SampledValue: []ocpp201.SampledValue{{Value: float64(wh), Context: ptr(rc),
		Measurand: ptr(ocpp201.MeasurandEnumEnergyActiveImportRegister), UnitOfMeasure: &ocpp201.UnitOfMeasure{Unit: ptr("Wh")}}}}
}

// The measurands the chargers send, as the API names them.
const (
	measurandEnergy = "Energy.Active.Import.Register" // Wh
	measurandPower  = "Power.Active.Import"           // W
)

func energySample(at time.Time, wh int) sample {
	return sample{At: at, Measurand: measurandEnergy, Value: float64(wh)}
}

func powerSample(at time.Time, w int) sample {
	return sample{At: at, Measurand: measurandPower, Value: float64(w)}
}

// ignoreRefused makes a refusal (already counted as a problem) not end
// the charger's run.
func ignoreRefused(err error) error {
	if errors.Is(err, errRefused) {
		return nil
	}
	return err
}

// clock returns a timestamp for a new message: now, in whole milliseconds
// (what the API shows), and after every earlier one.
func (c *charger) clock() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(c.last) {
		t = c.last.Add(time.Millisecond)
	}
	c.last = t
	return t
}

// reading advances the energy register and returns a new reading: its
// timestamp, the register (Wh) and the power (W).
func (c *charger) reading() (time.Time, int, int) {
	c.register += 1 + c.rng.IntN(40)
	return c.clock(), c.register, 1000 + c.rng.IntN(21000)
}

// pause waits about c.pace.
func (c *charger) pause(ctx context.Context) {
	sleep(ctx, c.pace/2+time.Duration(c.rng.Int64N(int64(c.pace)+1)))
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// deliver sends req until Joule answers it with a CALLRESULT, reconnecting
// as often as needed, and journals e then. A lost connection, a timeout
// or an InternalError mean "not stored": the same payload goes again. It
// returns the decoded answer, errRefused (wrapped) for any other
// CALLERROR or a malformed or invalid answer, or ctx's error.
func (c *charger) deliver(ctx context.Context, e *entry, req any) (any, error) {
	for tries := 1; ; tries++ {
		conn, err := c.connect(ctx)
		if err != nil {
			return nil, err
		}
		c.sent++
		raw, err := conn.Call(ctx, e.Action, req)
		gen := int(c.gen.Load())
		var ce *ocppj.Error
		switch {
		case err == nil:
			resp, verr := c.decode(e.Action, raw)
			if verr != nil {
				// Still a CALLRESULT: what it acknowledged must be stored.
				c.problem(fmt.Sprintf("%s: invalid CALLRESULT %s: %v", e.Action, raw, verr))
				return nil, fmt.Errorf("%s: %w", e.Action, errRefused)
			}
			if r, ok := resp.(*ocpp16.StartTransactionResponse); ok {
				e.TxID = strconv.Itoa(r.TransactionID)
			}
			e.Gen, e.Tries = gen, tries
			c.journal = append(c.journal, *e)
			c.acked.Add(1)
			c.noteOpen(e)
			return resp, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.As(err, &ce) && ce.Code != ocppj.InternalError, errors.Is(err, ocppj.ErrBadAnswer):
			c.refused++
			c.problem(fmt.Sprintf("%s (tx %s) refused by generation %d: %v", e.Action, e.TxID, gen, err))
			return nil, fmt.Errorf("%s: %w", e.Action, errRefused)
		}
		c.repeats++
		if !errors.Is(err, ocppj.ErrClosed) {
			sleep(ctx, minBackoff) // InternalError or timeout: Joule is there, give it a moment
		}
	}
}

func (c *charger) decode(action string, raw json.RawMessage) (any, *ocppj.Error) {
	if c.version == ocpp16Proto {
		return ocpp16.DecodeResponse(action, raw)
	}
	return ocpp201.DecodeResponse(action, raw)
}

// openTx is a charger's running transaction as far as Joule acknowledged
// it: after a restart, Joule must show the session with at least the
// energy of the last acknowledged register (it rebuilds live values from
// the meter log, ADR 7).
type openTx struct {
	TxID         string // "" when none runs
	MeterStartWh float64
	RegisterWh   float64 // the last acknowledged energy register
}

// noteOpen updates c.open with an acknowledged message.
func (c *charger) noteOpen(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Kind {
	case kindStart:
		c.open = openTx{TxID: e.TxID, MeterStartWh: e.MeterWh, RegisterWh: e.MeterWh}
	case kindMeter:
		for _, x := range e.Samples {
			if e.TxID == c.open.TxID && x.Measurand == measurandEnergy {
				c.open.RegisterWh = max(c.open.RegisterWh, x.Value)
			}
		}
	case kindStop:
		c.open = openTx{}
	}
}

// running returns c.open; safe to call while c runs.
func (c *charger) running() openTx {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

func (c *charger) problem(s string) {
	c.problems = append(c.problems, c.id+": "+s)
}

// connect returns the booted connection, dialling and booting again (with
// backoff) while Joule is away. It fails only when ctx is done.
func (c *charger) connect(ctx context.Context) (*ocppj.Conn, error) {
	if c.conn != nil {
		select {
		case <-c.conn.Done():
			c.disconnect()
		default:
			return c.conn, nil
		}
	}
	backoff := minBackoff
	for {
		if err := c.dial(ctx); err == nil {
			if err = c.boot(ctx); err == nil {
				c.connects++
				return c.conn, nil
			}
			c.disconnect()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sleep(ctx, backoff+rand.N(backoff/2+1))
		backoff = min(2*backoff, maxBackoff)
	}
}

// dial opens a connection at security profile 1 (HTTP Basic, the password
// Joule issued; Joule accepts it as the 1.6 AuthorizationKey's hex digits
// too) and starts serving it.
func (c *charger) dial(ctx context.Context) error {
	dialect := ocppj.Dialect16
	if c.version == ocpp201Proto {
		dialect = ocppj.Dialect201
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(c.id+":"+c.password))
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// No Handler: Joule's own CALLs (e.g. 2.0.1 GetBaseReport) are answered
	// NotImplemented, which it takes in its stride.
	conn, _, err := ocppj.Dial(dctx, c.url, []string{c.version}, http.Header{"Authorization": {auth}},
		ocppj.Options{Dialect: dialect, CallTimeout: callTimeout})
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = conn.Serve(sctx)
	}()
	c.conn = conn
	c.hangUp = func() { stop(); <-served }
	return nil
}

// disconnect ends the current connection, if any, and waits for its
// goroutine.
func (c *charger) disconnect() {
	if c.conn == nil {
		return
	}
	c.hangUp()
	c.conn, c.hangUp = nil, nil
}

// boot sends BootNotification; anything but Accepted is an error.
func (c *charger) boot(ctx context.Context) error {
	var req any = &ocpp16.BootNotificationRequest{ChargePointVendor: "Joule", ChargePointModel: "Crash"}
	if c.version == ocpp201Proto {
		req = &ocpp201.BootNotificationRequest{Reason: ocpp201.BootReasonEnumPowerUp,
			ChargingStation: ocpp201.ChargingStation{VendorName: "Joule", Model: "Crash"}}
	}
	raw, err := c.conn.Call(ctx, "BootNotification", req)
	if err != nil {
		return err
	}
	resp, verr := c.decode("BootNotification", raw)
	if verr != nil {
		return verr
	}
	var status string
	switch r := resp.(type) {
	case *ocpp16.BootNotificationResponse:
		status = string(r.Status)
	case *ocpp201.BootNotificationResponse:
		status = string(r.Status)
	}
	if status != "Accepted" {
		return fmt.Errorf("boot %s", status)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
