package sim

import (
	"math"
	"strconv"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// Electrical constants of a simulated AC outlet (outlet.go has DC's).
const (
	nominalVoltageV = 230.0 // line to neutral
	defaultPhases   = 3
)

// connector is one outlet and the EV behind it. Every field is guarded by
// Charger.mu.
type connector struct {
	id          int
	cost        float64 // 2.0.1: the last cost the CSMS sent (CostUpdated, or an Ended answer's totalCost)
	lastTx      string  // 2.0.1: the id of the connector's last transaction (its Ended event names no EVSE)
	outlet      Outlet  // the hardware; never changes after New
	status      ocpp16.ChargePointStatus
	plugged     bool
	inoperative bool    // ChangeAvailability Inoperative in force
	scheduled   *bool   // availability change waiting for the transaction to end: true = inoperative
	targetW     float64 // SetPower: the most the EV asks for, on top of the vehicle model
	powerW      float64
	vehicle     Vehicle   // the vehicle of the next transaction (SetVehicle)
	energyWh    float64   // Energy.Active.Import.Register
	at          time.Time // when energyWh was last integrated
	tx          *txn
	reserved    *reservation // ReserveNow in force (reservation.go)
}

// txn is a transaction as the charger knows it.
type txn struct {
	local      int // placeholder id, negative, until the CSMS assigns one
	id         int // the CSMS's transactionId; 0 until StartTransaction.conf
	failed     bool
	connector  int
	idTag      string
	ev         Vehicle // the vehicle charging
	socPercent float64 // its state of charge now
	startedAt  time.Time
	startWh    float64
	meterStart int
	v2         *tx201 // OCPP 2.0.1: the station's transactionId, seqNo, ...; nil in 1.6
}

// wireID is the id to report: the CSMS's, or the placeholder.
func (t *txn) wireID() int {
	if t.id != 0 {
		return t.id
	}
	return t.local
}

// idleStatus is the status of a connector without a transaction.
func (cn *connector) idleStatus() ocpp16.ChargePointStatus {
	switch {
	case cn.inoperative:
		return ocpp16.ChargePointStatusUnavailable
	case cn.reserved != nil && !cn.plugged:
		return ocpp16.ChargePointStatusReserved
	case cn.plugged:
		return ocpp16.ChargePointStatusPreparing
	}
	return ocpp16.ChargePointStatusAvailable
}

// setStatus changes a connector's status and reports it. Callers hold mu.
func (c *Charger) setStatus(cn *connector, s ocpp16.ChargePointStatus) {
	if cn.status == s {
		return
	}
	cn.status = s
	c.queueStatus(cn)
}

// queueStatus reports a connector's status. Offline (or before boot) the
// report is dropped: every status is reported after the next boot anyway.
// Callers hold mu.
func (c *Charger) queueStatus(cn *connector) {
	if c.v2 != nil {
		c.queueStatus201(cn, false)
		return
	}
	if !c.booted {
		return
	}
	ts := c.timestamp()
	c.push(&message{action: "StatusNotification", req: &ocpp16.StatusNotificationRequest{
		ConnectorID: cn.id,
		ErrorCode:   ocpp16.ChargePointErrorCodeNoError,
		Status:      cn.status,
		Timestamp:   &ts,
	}})
}

// timestamp is now in UTC, to the millisecond.
func (c *Charger) timestamp() time.Time {
	return c.now().UTC().Truncate(time.Millisecond)
}

// startTx starts a transaction on cn and queues StartTransaction: the
// connector's vehicle plugs in with its state of charge. profile, if not
// nil, is the TxProfile of a remote start, installed for the transaction.
// picked, if not nil, is closed when the worker hands the CALL to the
// connection. Callers hold mu.
func (c *Charger) startTx(cn *connector, idTag string, profile *ocpp16.ChargingProfile, picked chan struct{}) {
	now := c.now()
	c.advance(cn, now)
	cn.plugged = true
	if picked == nil {
		// StartBeforeAnswer skips Preparing: its StatusNotification would be
		// in flight, unanswerable while the RemoteStart handler waits.
		c.setStatus(cn, ocpp16.ChargePointStatusPreparing)
	}
	c.localSeq--
	tx := &txn{
		local:      c.localSeq,
		connector:  cn.id,
		idTag:      idTag,
		ev:         cn.vehicle,
		socPercent: cn.vehicle.SoCPercent,
		startedAt:  now.UTC().Truncate(time.Millisecond),
		startWh:    cn.energyWh,
		meterStart: int(math.Floor(cn.energyWh)),
	}
	cn.tx = tx
	cn.powerW = 0
	req := &ocpp16.StartTransactionRequest{
		ConnectorID: cn.id,
		IDTag:       idTag,
		MeterStart:  tx.meterStart,
		Timestamp:   tx.startedAt,
	}
	c.push(&message{action: "StartTransaction", req: req, tx: tx, durable: true, picked: picked})
	if c.cfg.Behaviour.DuplicateStart {
		c.push(&message{action: "StartTransaction", req: req, tx: tx, durable: true})
	}
	if c.nextSample.IsZero() || c.nextSample.After(time.Now().Add(c.meterEvery)) {
		c.nextSample = time.Now().Add(c.meterEvery)
	}
	if profile != nil {
		c.put(cn.id, *profile) // only this transaction is concerned, and it starts now
	}
	d := c.evaluate(cn, now)
	c.setStatus(cn, d.status)
	c.log.Info("transaction starting", "connector", cn.id, "id_tag", idTag, "meter_start_wh", tx.meterStart,
		"limit_w", math.Round(d.limitW), "soc", tx.socPercent)
}

// stopTx ends cn's transaction and queues StopTransaction with the begin
// and end readings. The EV leaves: Finishing, then Available (or
// Unavailable if an availability change was waiting). Callers hold mu.
func (c *Charger) stopTx(cn *connector, reason ocpp16.Reason) {
	tx := cn.tx
	if tx == nil {
		return
	}
	// The energy up to now counts; end is the stop's timestamp.
	now := c.now()
	c.advance(cn, now)
	end := now.UTC().Truncate(time.Millisecond)
	if c.v2 != nil {
		c.stopTx201(cn, tx, end, reason)
		return
	}
	meterStop := max(int(math.Floor(cn.energyWh)), tx.meterStart)
	idTag := tx.idTag
	req := &ocpp16.StopTransactionRequest{
		IDTag:         &idTag,
		MeterStop:     meterStop,
		Timestamp:     end,
		TransactionID: tx.wireID(), // replaced by the CSMS's id when sent
		Reason:        &reason,
		TransactionData: []ocpp16.MeterValue{
			{Timestamp: tx.startedAt, SampledValue: []ocpp16.SampledValue{
				energySample(tx.startWh, ocpp16.ReadingContextTransactionBegin)}},
			{Timestamp: end, SampledValue: []ocpp16.SampledValue{
				energySample(cn.energyWh, ocpp16.ReadingContextTransactionEnd)}},
		},
	}
	c.push(&message{action: "StopTransaction", req: req, tx: tx, durable: true})
	c.endTx(cn, reason)
	c.log.Info("transaction stopped", "connector", cn.id, "tx", tx.wireID(), "reason", string(reason),
		"meter_stop_wh", meterStop, "energy_wh", meterStop-tx.meterStart)
}

// endTx frees cn after its transaction stopped for reason, whatever the
// version: Finishing (the driver takes the cable) unless the EV left, a
// scheduled availability change, then the idle status. Callers hold mu.
func (c *Charger) endTx(cn *connector, reason ocpp16.Reason) {
	cn.tx = nil
	cn.powerW = 0
	c.dropTxProfiles(cn.id)
	if reason != ocpp16.ReasonEVDisconnected {
		c.setStatus(cn, ocpp16.ChargePointStatusFinishing)
		cn.plugged = false // the driver takes the cable
	}
	if cn.scheduled != nil {
		cn.inoperative = *cn.scheduled
		cn.scheduled = nil
	}
	c.setStatus(cn, cn.idleStatus())
}

// measurands the simulator can sample, in the order it reports them.
var measurands = []ocpp16.Measurand{
	ocpp16.MeasurandVoltage,
	ocpp16.MeasurandCurrentImport,
	ocpp16.MeasurandPowerActiveImport,
	ocpp16.MeasurandCurrentOffered,
	ocpp16.MeasurandEnergyActiveImportRegister,
	ocpp16.MeasurandSoC,
}

func defaultSampled() []ocpp16.Measurand { return append([]ocpp16.Measurand(nil), measurands...) }

// acPhases names the AC phases for per-phase readings.
var acPhases = [3]ocpp16.Phase{ocpp16.PhaseL1, ocpp16.PhaseL2, ocpp16.PhaseL3}

// meterValue samples cn now. On AC, Current.Import is per phase (0 on the
// phases the vehicle does not use) and Current.Offered is the limit per
// phase; the vehicle's SoC is sampled while a transaction runs. Callers
// hold mu.
func (c *Charger) meterValue(cn *connector, rc ocpp16.ReadingContext) ocpp16.MeterValue {
	now := c.now()
	c.advance(cn, now)
	d := c.evaluate(cn, now)
	if cn.tx == nil {
		// No vehicle: what is on offer is the composite limit without a
		// transaction.
		d.limitW = c.limitAt(cn.id, now, now, time.Time{}, ocpp16.ChargingRateUnitW)
		d.offeredA = c.limitAt(cn.id, now, now, time.Time{}, ocpp16.ChargingRateUnitA)
	}
	// A little voltage sag under load keeps the numbers lifelike.
	voltage := cn.outlet.voltageV() - 2*cn.powerW/max(cn.outlet.MaxPowerW, 1)
	mv := ocpp16.MeterValue{Timestamp: c.timestamp()}
	add := func(m ocpp16.Measurand, v float64, unit ocpp16.UnitOfMeasure, loc ocpp16.Location, phase *ocpp16.Phase) {
		mv.SampledValue = append(mv.SampledValue, ocpp16.SampledValue{
			Value:     decimal(v),
			Context:   ptr(rc),
			Format:    ptr(ocpp16.ValueFormatRaw),
			Measurand: ptr(m),
			Phase:     phase,
			Location:  ptr(loc),
			Unit:      ptr(unit),
		})
	}
	out := ocpp16.LocationOutlet
	for _, m := range c.sampled {
		switch m {
		case ocpp16.MeasurandVoltage:
			add(m, voltage, ocpp16.UnitOfMeasureV, out, nil)
		case ocpp16.MeasurandCurrentImport:
			a := cn.currents(d.phases)
			if cn.outlet.DC() {
				add(m, a[0], ocpp16.UnitOfMeasureA, out, nil)
				break
			}
			for i, ph := range acPhases {
				add(m, a[i], ocpp16.UnitOfMeasureA, out, ptr(ph))
			}
		case ocpp16.MeasurandPowerActiveImport:
			add(m, cn.powerW, ocpp16.UnitOfMeasureW, out, nil)
		case ocpp16.MeasurandCurrentOffered:
			offered := d.offeredA
			if cn.outlet.DC() {
				offered = d.limitW / dcVoltageV
			}
			add(m, offered, ocpp16.UnitOfMeasureA, out, nil)
		case ocpp16.MeasurandEnergyActiveImportRegister:
			add(m, cn.energyWh, ocpp16.UnitOfMeasureWh, out, nil)
		case ocpp16.MeasurandSoC:
			if cn.tx != nil {
				add(m, cn.tx.socPercent, ocpp16.UnitOfMeasurePercent, ocpp16.LocationEV, nil)
			}
		}
	}
	if len(mv.SampledValue) == 0 { // the schema wants at least one
		mv.SampledValue = append(mv.SampledValue, energySample(cn.energyWh, rc))
	}
	return mv
}

// queueMeterValues queues a MeterValues for cn (with its transaction if
// any). Periodic samples of a transaction are durable; triggered ones are
// not. Callers hold mu.
func (c *Charger) queueMeterValues(cn *connector, rc ocpp16.ReadingContext) {
	if c.v2 != nil {
		c.queueTxUpdated201(cn, rc)
		return
	}
	mv := c.meterValue(cn, rc)
	req := &ocpp16.MeterValuesRequest{ConnectorID: cn.id, MeterValue: []ocpp16.MeterValue{mv}}
	m := &message{action: "MeterValues", req: req, tx: cn.tx}
	if cn.tx != nil {
		id := cn.tx.wireID()
		req.TransactionID = &id
		m.durable = rc != ocpp16.ReadingContextTrigger
	}
	if m.durable && len(c.outbox) >= maxOutbox {
		c.log.Warn("outbox full: dropping meter values", "connector", cn.id)
		return
	}
	if !m.durable && !c.booted {
		return
	}
	c.push(m)
	if rc == ocpp16.ReadingContextSamplePeriodic && cn.tx != nil {
		c.log.Info("meter sample", "connector", cn.id, "tx", cn.tx.wireID(),
			"power_w", math.Round(cn.powerW), "energy_wh", math.Round(cn.energyWh*10)/10)
	}
}

func energySample(wh float64, rc ocpp16.ReadingContext) ocpp16.SampledValue {
	return ocpp16.SampledValue{
		Value:     decimal(wh),
		Context:   ptr(rc),
		Format:    ptr(ocpp16.ValueFormatRaw),
		Measurand: ptr(ocpp16.MeasurandEnergyActiveImportRegister),
		Location:  ptr(ocpp16.LocationOutlet),
		Unit:      ptr(ocpp16.UnitOfMeasureWh),
	}
}

// decimal formats a reading with one decimal.
func decimal(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
}
