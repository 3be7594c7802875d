package sim

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
)

// txEvent201 builds the next TransactionEvent of tx, taking its seqNo
// (OCPP 2.0.1 E01: incremented by one per event of the transaction). An
// event that happens while the charger is offline says so (offline: true)
// and keeps its own timestamp, whenever it is delivered. Callers hold mu.
func (c *Charger) txEvent201(tx *txn, typ ocpp201.TransactionEventEnum, trigger ocpp201.TriggerReasonEnum, at time.Time) *ocpp201.TransactionEventRequest {
	req := &ocpp201.TransactionEventRequest{
		EventType:       typ,
		Timestamp:       at,
		TriggerReason:   trigger,
		SeqNo:           tx.v2.seqNo,
		TransactionInfo: ocpp201.Transaction{TransactionID: tx.v2.id},
	}
	tx.v2.seqNo++
	if !c.booted {
		req.Offline = ptr(true)
	}
	return req
}

// startTx201 starts a transaction on cn and queues TransactionEvent
// Started with the Transaction.Begin register reading and, on AC, the
// phases the vehicle uses. profile and picked are as for startTx. Callers
// hold mu.
func (c *Charger) startTx201(cn *connector, token ocpp201.IDToken, profile *ocpp16.ChargingProfile, trigger ocpp201.TriggerReasonEnum, remoteStartID *int, picked chan struct{}) {
	now := c.now()
	c.advance(cn, now)
	cn.plugged = true
	if picked == nil {
		c.setStatus(cn, ocpp16.ChargePointStatusPreparing) // see startTx
	}
	tx := &txn{
		connector:  cn.id,
		idTag:      token.IDToken,
		ev:         cn.vehicle,
		socPercent: cn.vehicle.SoCPercent,
		startedAt:  now.UTC().Truncate(time.Millisecond),
		startWh:    cn.energyWh,
		meterStart: int(math.Floor(cn.energyWh)),
		v2: &tx201{
			id:            newUUID(),
			remoteStartID: remoteStartID,
			token:         token,
		},
	}
	cn.tx = tx
	cn.lastTx = tx.v2.id
	cn.powerW = 0
	if profile != nil {
		// Installed before the Started event so that its chargingState
		// and phases are the profile's; the energy so far is untouched
		// (the transaction starts now).
		c.put(cn.id, *profile)
	}
	tx.v2.chargingState = c.chargingState201(cn)
	req := c.txEvent201(tx, ocpp201.TransactionEventEnumStarted, trigger, tx.startedAt)
	req.TransactionInfo.ChargingState = ptr(tx.v2.chargingState)
	req.TransactionInfo.RemoteStartID = remoteStartID
	req.IDToken = &tx.v2.token
	req.Evse = &ocpp201.EVSE{ID: cn.id, ConnectorID: ptr(1)}
	c.notePhases201(cn, req)
	req.MeterValue = []ocpp201.MeterValue{{Timestamp: tx.startedAt, SampledValue: []ocpp201.SampledValue{
		energy201(tx.startWh, ocpp201.ReadingContextEnumTransactionBegin)}}}
	c.push(&message{action: "TransactionEvent", req: req, durable: true, picked: picked})
	if c.cfg.Behaviour.DuplicateStart {
		// The same event, same seqNo: as if the first answer was lost.
		c.push(&message{action: "TransactionEvent", req: req, durable: true})
	}
	if c.nextSample.IsZero() || c.nextSample.After(time.Now().Add(c.meterEvery)) {
		c.nextSample = time.Now().Add(c.meterEvery)
	}
	d := c.evaluate(cn, now)
	c.setStatus(cn, d.status)
	c.log.Info("transaction starting", "connector", cn.id, "tx", tx.v2.id, "id_tag", token.IDToken,
		"trigger", string(trigger), "meter_start_wh", tx.meterStart, "limit_w", math.Round(d.limitW), "soc", tx.socPercent)
}

// stopReason201 translates the internal (1.6) stop reason into 2.0.1's
// stoppedReason and the triggerReason of the Ended event.
func stopReason201(r ocpp16.Reason) (ocpp201.ReasonEnum, ocpp201.TriggerReasonEnum) {
	switch r {
	case ocpp16.ReasonEVDisconnected:
		return ocpp201.ReasonEnumEVDisconnected, ocpp201.TriggerReasonEnumEVCommunicationLost
	case ocpp16.ReasonLocal:
		return ocpp201.ReasonEnumLocal, ocpp201.TriggerReasonEnumStopAuthorized
	case ocpp16.ReasonRemote:
		return ocpp201.ReasonEnumRemote, ocpp201.TriggerReasonEnumRemoteStop
	case ocpp16.ReasonDeAuthorized:
		return ocpp201.ReasonEnumDeAuthorized, ocpp201.TriggerReasonEnumDeauthorized
	case ocpp16.ReasonHardReset, ocpp16.ReasonSoftReset:
		return ocpp201.ReasonEnumImmediateReset, ocpp201.TriggerReasonEnumResetCommand
	case ocpp16.ReasonReboot:
		return ocpp201.ReasonEnumReboot, ocpp201.TriggerReasonEnumResetCommand
	case ocpp16.ReasonUnlockCommand:
		return ocpp201.ReasonEnumOther, ocpp201.TriggerReasonEnumUnlockCommand
	case ocpp16.ReasonEmergencyStop:
		return ocpp201.ReasonEnumEmergencyStop, ocpp201.TriggerReasonEnumAbnormalCondition
	case ocpp16.ReasonPowerLoss:
		return ocpp201.ReasonEnumPowerLoss, ocpp201.TriggerReasonEnumAbnormalCondition
	}
	return ocpp201.ReasonEnumOther, ocpp201.TriggerReasonEnumAbnormalCondition
}

// stopTx201 ends cn's transaction and queues TransactionEvent Ended with
// the Transaction.End register reading; the connector then goes back to
// Available as in stopTx. A pending Reset OnIdle fires when the last
// transaction has ended. stopTx calls it for the running transaction tx,
// the energy counted up to end. Callers hold mu.
func (c *Charger) stopTx201(cn *connector, tx *txn, end time.Time, reason ocpp16.Reason) {
	stopped, trigger := stopReason201(reason)
	state := ocpp201.ChargingStateEnumEVConnected
	if reason == ocpp16.ReasonEVDisconnected {
		state = ocpp201.ChargingStateEnumIdle
	}
	req := c.txEvent201(tx, ocpp201.TransactionEventEnumEnded, trigger, end)
	req.TransactionInfo.StoppedReason = &stopped
	req.TransactionInfo.ChargingState = &state
	req.TransactionInfo.TimeSpentCharging = ptr(int(end.Sub(tx.startedAt).Seconds()))
	if reason == ocpp16.ReasonLocal {
		req.IDToken = &tx.v2.token // the same card stopped it
	}
	req.MeterValue = []ocpp201.MeterValue{{Timestamp: end, SampledValue: []ocpp201.SampledValue{
		energy201(cn.energyWh, ocpp201.ReadingContextEnumTransactionEnd)}}}
	c.push(&message{action: "TransactionEvent", req: req, durable: true})
	c.endTx(cn, reason)
	c.log.Info("transaction stopped", "connector", cn.id, "tx", tx.v2.id, "reason", string(stopped),
		"energy_wh", math.Round((cn.energyWh-tx.startWh)*10)/10)
	if c.v2.resetOnIdle && !c.transacting() {
		c.v2.resetOnIdle = false
		c.resetNow201()
	}
}

// resetNow201 makes the worker reset the charger: it runs 1.6's soft
// reset, which stops the transactions and delivers their Ended events
// before closing the connection (B12: the station ends transactions before
// it resets), then reconnects and boots with reason RemoteReset. Callers
// hold mu.
func (c *Charger) resetNow201() {
	c.reset = ocpp16.ResetTypeSoft
	c.v2.bootReason = ocpp201.BootReasonEnumRemoteReset
}

// transacting reports whether any connector runs a transaction. Callers
// hold mu.
func (c *Charger) transacting() bool {
	for _, cn := range c.connectors[1:] {
		if cn.tx != nil {
			return true
		}
	}
	return false
}

// queueTxUpdated201 queues TransactionEvent Updated with a meter sample of
// cn's transaction: periodic (MeterValuePeriodic, Sample.Periodic) or
// triggered (Trigger). Both are transaction-related, so both survive
// disconnections. Callers hold mu.
func (c *Charger) queueTxUpdated201(cn *connector, rc ocpp16.ReadingContext) {
	tx := cn.tx
	if tx == nil || tx.v2 == nil {
		return
	}
	if len(c.outbox) >= maxOutbox {
		c.log.Warn("outbox full: dropping meter values", "connector", cn.id)
		return
	}
	trigger := ocpp201.TriggerReasonEnumMeterValuePeriodic
	if rc == ocpp16.ReadingContextTrigger {
		trigger = ocpp201.TriggerReasonEnumTrigger
	}
	mv := c.meterValue201(cn, rc)
	req := c.txEvent201(tx, ocpp201.TransactionEventEnumUpdated, trigger, mv.Timestamp)
	tx.v2.chargingState = c.chargingState201(cn)
	req.TransactionInfo.ChargingState = ptr(tx.v2.chargingState)
	c.notePhases201(cn, req)
	req.MeterValue = []ocpp201.MeterValue{mv}
	c.push(&message{action: "TransactionEvent", req: req, durable: true})
	if trigger == ocpp201.TriggerReasonEnumMeterValuePeriodic {
		c.log.Info("meter sample", "connector", cn.id, "tx", tx.v2.id,
			"power_w", math.Round(cn.powerW), "energy_wh", math.Round(cn.energyWh*10)/10)
	}
}

// meterValue201 samples cn now, with the measurands of
// SampledDataCtrlr.TxUpdatedMeasurands. It is the 1.6 sample translated:
// the measurand, context, phase and location names are the same in both
// versions; 2.0.1 values are numbers and units are unitOfMeasure objects.
// Callers hold mu.
func (c *Charger) meterValue201(cn *connector, rc ocpp16.ReadingContext) ocpp201.MeterValue {
	mv := c.meterValue(cn, rc)
	out := ocpp201.MeterValue{Timestamp: mv.Timestamp}
	for _, sv := range mv.SampledValue {
		v, _ := strconv.ParseFloat(sv.Value, 64) // formatted by decimal
		s := ocpp201.SampledValue{Value: v}
		if sv.Context != nil {
			s.Context = ptr(ocpp201.ReadingContextEnum(*sv.Context))
		}
		if sv.Measurand != nil {
			s.Measurand = ptr(ocpp201.MeasurandEnum(*sv.Measurand))
		}
		if sv.Location != nil {
			s.Location = ptr(ocpp201.LocationEnum(*sv.Location))
		}
		if sv.Phase != nil {
			s.Phase = ptr(ocpp201.PhaseEnum(*sv.Phase))
		}
		if sv.Unit != nil {
			s.UnitOfMeasure = &ocpp201.UnitOfMeasure{Unit: ptr(string(*sv.Unit))}
		}
		out.SampledValue = append(out.SampledValue, s)
	}
	return out
}

// energy201 is an Energy.Active.Import.Register reading in Wh.
func energy201(wh float64, rc ocpp201.ReadingContextEnum) ocpp201.SampledValue {
	return ocpp201.SampledValue{
		Value:         math.Round(wh*10) / 10,
		Context:       ptr(rc),
		Measurand:     ptr(ocpp201.MeasurandEnumEnergyActiveImportRegister),
		Location:      ptr(ocpp201.LocationEnumOutlet),
		UnitOfMeasure: &ocpp201.UnitOfMeasure{Unit: ptr("Wh")},
	}
}

// requestStart201 obeys RequestStartTransaction (OCPP 2.0.1 F01/F02): on
// the EVSE asked for or the first free one, the transaction starts at once
// (TxStartPoint Authorized) with triggerReason RemoteStart and the
// request's remoteStartId. Behaviour flags act as for 1.6.
func (c *Charger) requestStart201(ctx context.Context, r *ocpp201.RequestStartTransactionRequest) *ocpp201.RequestStartTransactionResponse {
	p := r.ChargingProfile
	ok := p == nil || p.ChargingProfilePurpose == ocpp201.ChargingProfilePurposeEnumTxProfile && len(p.ChargingSchedule) > 0
	var profile *ocpp16.ChargingProfile
	if p != nil && ok {
		profile = ptr(profile16(*p, ocpp16.ChargingProfilePurposeTxProfile))
	}
	log := c.log.With("id_tag", r.IDToken.IDToken, "remote_start_id", r.RemoteStartID)
	start := func(cn *connector, picked chan struct{}) {
		id := r.RemoteStartID
		c.startTx201(cn, r.IDToken, profile, ocpp201.TriggerReasonEnumRemoteStart, &id, picked)
	}
	if !c.acceptRemoteStart(ctx, log, r.EvseID, ok, "EVSE", start) {
		return &ocpp201.RequestStartTransactionResponse{Status: ocpp201.RequestStartStopStatusEnumRejected}
	}
	return &ocpp201.RequestStartTransactionResponse{Status: ocpp201.RequestStartStopStatusEnumAccepted}
}

// requestStop201 obeys RequestStopTransaction (F03): Ended with
// stoppedReason Remote, triggerReason RemoteStop.
func (c *Charger) requestStop201(r *ocpp201.RequestStopTransactionRequest) *ocpp201.RequestStopTransactionResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.acceptRemoteStop(c.txConnector201(r.TransactionID), r.TransactionID) {
		return &ocpp201.RequestStopTransactionResponse{Status: ocpp201.RequestStartStopStatusEnumRejected}
	}
	return &ocpp201.RequestStopTransactionResponse{Status: ocpp201.RequestStartStopStatusEnumAccepted}
}

// swipeCard201 is SwipeCard in 2.0.1: Authorize (idToken of type
// ISO14443), then, if Accepted, TransactionEvent Started with
// triggerReason Authorized. The tag of the running transaction stops it
// (stoppedReason Local, triggerReason StopAuthorized).
func (c *Charger) swipeCard201(ctx context.Context, n int, idTag string) error {
	token := ocpp201.IDToken{IDToken: idTag, Type: ocpp201.IDTokenEnumISO14443}
	c.mu.Lock()
	cn := c.connector(n)
	switch {
	case cn == nil:
		c.mu.Unlock()
		return fmt.Errorf("sim %s: no EVSE %d", c.cfg.ID, n)
	case cn.tx != nil && cn.tx.idTag == idTag:
		c.stopTx(cn, ocpp16.ReasonLocal)
		c.mu.Unlock()
		c.poke()
		return nil
	case cn.tx != nil || cn.inoperative:
		st := connectorStatus201(cn.status)
		c.mu.Unlock()
		return fmt.Errorf("sim %s: EVSE %d is %s", c.cfg.ID, n, st)
	case !c.booted:
		c.mu.Unlock()
		return ErrOffline
	}
	answer, err := c.authorize(ctx, &ocpp201.AuthorizeRequest{IDToken: token}, idTag)
	if err != nil {
		return err
	}
	resp := answer.(*ocpp201.AuthorizeResponse)
	if resp.IDTokenInfo.Status != ocpp201.AuthorizationStatusEnumAccepted {
		return fmt.Errorf("sim %s: id token %s not authorized: %s", c.cfg.ID, idTag, resp.IDTokenInfo.Status)
	}
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	if cn.tx != nil || cn.inoperative {
		return fmt.Errorf("sim %s: EVSE %d became %s", c.cfg.ID, n, connectorStatus201(cn.status))
	}
	c.startTx201(cn, token, nil, ocpp201.TriggerReasonEnumAuthorized, nil, nil)
	return nil
}
