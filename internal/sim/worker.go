package sim

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// message is one CALL waiting in the outbox.
type message struct {
	action string
	req    any  // *ocpp16.<Action>Request
	tx     *txn // StartTransaction: receives the id; MeterValues, StopTransaction: the id is filled in when sent
	// durable messages (transaction-related) survive disconnections and
	// are retried; the others are dropped when the connection ends.
	durable  bool
	picked   chan struct{} // closed when the worker takes the message (StartBeforeAnswer)
	reply    chan reply    // buffered 1: the answer, for a waiting caller (Authorize)
	attempts int
}

type reply struct {
	resp any // decoded, validated *ocpp16.<Action>Response
	err  error
}

// fail gives up on m, telling whoever waits.
func (m *message) fail(err error) {
	if m.reply != nil {
		m.reply <- reply{err: err}
		m.reply = nil
	}
	if m.picked != nil {
		close(m.picked)
		m.picked = nil
	}
}

// push appends m to the outbox. Callers hold mu.
func (c *Charger) push(m *message) { c.outbox = append(c.outbox, m) }

// work is the connection's worker: it boots, then drains the outbox and
// queues heartbeats and meter samples until the connection ends. It
// reports whether the boot was accepted.
func (c *Charger) work(ctx context.Context, conn link) bool {
	if !c.boot(ctx, conn) {
		return false
	}
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		if !c.drain(ctx, conn) {
			return true
		}
		if c.doReset(ctx, conn) || c.doReconnect(ctx, conn) || c.doFirmware(ctx, conn) {
			return true
		}
		wait := c.tick(time.Now())
		if wait <= 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return true
		case <-conn.Done():
			return true
		case <-t.C:
		case <-c.wake:
		}
	}
}

// boot sends BootNotification until the CSMS accepts it, waiting the
// interval it gives while Pending or Rejected (OCPP 1.6 §4.2). It returns
// false when the connection or ctx ends first.
func (c *Charger) boot(ctx context.Context, conn link) bool {
	if c.v2 != nil {
		return c.boot201(ctx, conn)
	}
	return c.bootLoop(ctx, conn, func() any { return c.bootRequest() }, func(raw json.RawMessage) (bootAnswer, *ocppj.Error) {
		resp, verr := ocpp16.DecodeBootNotificationResponse(raw)
		if verr != nil {
			return bootAnswer{}, verr
		}
		return bootAnswer{accepted: resp.Status == ocpp16.RegistrationStatusAccepted, status: string(resp.Status), interval: resp.Interval}, nil
	}, c.onBooted)
}

// bootAnswer is what the boot loop needs of a BootNotification answer,
// whatever the version.
type bootAnswer struct {
	accepted bool
	status   string
	interval int // s
}

// bootLoop is the version-independent BootNotification loop: it sends
// request() until the CSMS accepts it, waiting the interval it gives while
// Pending or Rejected (or 10s), or until TriggerMessage(BootNotification).
// decode reads an answer; onAccepted records the accepted boot with its
// interval. It returns false when the connection or ctx ends first.
func (c *Charger) bootLoop(ctx context.Context, conn link, request func() any,
	decode func(json.RawMessage) (bootAnswer, *ocppj.Error), onAccepted func(interval int)) bool {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		wait := 10 * time.Second
		raw, err := conn.Call(ctx, "BootNotification", request())
		if err != nil {
			if errors.Is(err, ocppj.ErrClosed) || ctx.Err() != nil {
				return false
			}
			c.log.Warn("boot notification failed", "err", err)
		} else if resp, verr := decode(raw); verr != nil {
			c.log.Warn("invalid answer from CSMS", "action", "BootNotification", "code", string(verr.Code), "err", verr.Description)
		} else if resp.accepted {
			onAccepted(resp.interval)
			return true
		} else {
			if resp.interval > 0 {
				wait = time.Duration(resp.interval) * time.Second
			}
			c.log.Info("boot not accepted", "status", resp.status, "retry_in", wait)
		}
		t.Reset(wait)
		if !c.bootWait(ctx, conn, t) {
			return false
		}
	}
}

// bootWait waits for t, or for TriggerMessage(BootNotification); false
// when the connection or ctx ends first.
func (c *Charger) bootWait(ctx context.Context, conn link, t *time.Timer) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-conn.Done():
			return false
		case <-t.C:
			return true
		case <-c.wake:
			c.mu.Lock()
			now := c.bootNow
			c.bootNow = false
			c.mu.Unlock()
			if now {
				t.Stop()
				return true
			}
		}
	}
}

func (c *Charger) bootRequest() *ocpp16.BootNotificationRequest {
	serial, fw := c.cfg.SerialNumber, c.FirmwareVersion()
	return &ocpp16.BootNotificationRequest{
		ChargePointVendor:       c.cfg.Vendor,
		ChargePointModel:        c.cfg.Model,
		ChargePointSerialNumber: &serial,
		FirmwareVersion:         &fw,
	}
}

// onBooted records an accepted boot, then reports every connector's status.
func (c *Charger) onBooted(interval int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.booted = true
	close(c.bootedCh)
	c.bootNow = false
	c.applyBootInterval(interval)
	for _, cn := range c.connectors {
		c.queueStatus(cn)
	}
	c.bootedOnce()
	c.log.Info("boot accepted", "heartbeat_interval", c.beatEvery)
}

// applyBootInterval sets the heartbeat interval from a BootNotification
// answer unless Config.HeartbeatInterval overrides it. Callers hold mu.
func (c *Charger) applyBootInterval(s int) {
	switch {
	case c.cfg.HeartbeatInterval > 0:
		c.beatEvery = c.cfg.HeartbeatInterval
	case s > 0:
		c.beatEvery = time.Duration(s) * time.Second
	default:
		c.beatEvery = 5 * time.Minute
	}
	c.nextBeat = time.Now().Add(c.beatEvery)
}

// tick queues what is due (a heartbeat, meter samples) and returns how long
// the caller may sleep; <= 0 means the outbox can be drained now. It also
// runs offline, where only meter samples are queued.
func (c *Charger) tick(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.booted && c.beatEvery > 0 && !now.Before(c.nextBeat) {
		if !slices.ContainsFunc(c.outbox, func(m *message) bool { return m.action == "Heartbeat" }) {
			c.push(&message{action: "Heartbeat", req: c.heartbeatRequest()})
		}
		c.nextBeat = now.Add(c.beatEvery)
	}
	// The status follows the model between samples too: a schedule
	// period, an expired profile or a full battery.
	c.refreshAll()
	if c.meterEvery > 0 && !c.nextSample.IsZero() && !now.Before(c.nextSample) {
		charging := false
		for _, cn := range c.connectors[1:] {
			if cn.tx != nil {
				c.queueMeterValues(cn, ocpp16.ReadingContextSamplePeriodic)
				charging = true
			}
		}
		c.nextSample = time.Time{}
		if charging {
			c.nextSample = now.Add(c.meterEvery)
		}
	}

	wait := time.Hour
	until := func(t time.Time) {
		if !t.IsZero() {
			wait = min(wait, t.Sub(now))
		}
	}
	if c.booted {
		if c.beatEvery > 0 {
			until(c.nextBeat)
		}
		if len(c.outbox) > 0 || c.reset != "" {
			wait = min(wait, max(c.holdUntil.Sub(now), c.retryAt.Sub(now), 0))
		}
		until(c.firmwareDue())
	}
	until(c.nextSample)
	if c.transacting() {
		wait = min(wait, statusCheckEvery)
	}
	return wait
}

// drain sends the outbox in order, one CALL at a time. It returns false
// when the connection has ended.
func (c *Charger) drain(ctx context.Context, conn link) bool {
	for {
		c.mu.Lock()
		now := time.Now()
		if len(c.outbox) == 0 || now.Before(c.holdUntil) || now.Before(c.retryAt) {
			c.mu.Unlock()
			return true
		}
		m := c.outbox[0]
		c.outbox[0] = nil
		c.outbox = c.outbox[1:]
		if len(c.outbox) == 0 {
			c.outbox = nil // let the backing array go
		}
		if m.tx != nil && m.action != "StartTransaction" {
			if m.tx.failed || m.tx.id == 0 {
				c.mu.Unlock()
				c.log.Warn("dropping message of a transaction the CSMS never confirmed", "action", m.action, "connector", m.tx.connector)
				m.fail(errors.New("transaction not confirmed by the CSMS"))
				continue
			}
			switch r := m.req.(type) {
			case *ocpp16.MeterValuesRequest:
				id := m.tx.id
				r.TransactionID = &id
			case *ocpp16.StopTransactionRequest:
				r.TransactionID = m.tx.id
			}
		}
		picked := m.picked
		m.picked = nil
		c.mu.Unlock()
		if picked != nil {
			close(picked)
		}
		raw, err := conn.Call(ctx, m.action, m.req)
		if !c.answered(ctx, m, raw, err) {
			return false
		}
	}
}

// answered handles the outcome of one CALL; false means the connection is
// gone.
func (c *Charger) answered(ctx context.Context, m *message, raw json.RawMessage, err error) bool {
	var ce *ocppj.Error
	switch {
	case err == nil:
		resp, verr := c.decodeResponse(m.action, raw)
		if verr != nil {
			c.log.Warn("invalid answer from CSMS", "action", m.action, "code", string(verr.Code), "err", verr.Description)
			c.dropped(m, verr)
			return true
		}
		if c.cfg.Acknowledged != nil {
			c.cfg.Acknowledged(m.action, m.req)
		}
		c.onAnswer(m, resp)
		return true
	case errors.Is(err, ocppj.ErrClosed) || ctx.Err() != nil:
		c.requeue(m, false)
		return false
	case errors.Is(err, errUnsayable):
		// A SOAP charger's version lacks it: sending it again would not help.
		c.log.Warn("message not sent", "action", m.action, "err", err)
		c.dropped(m, err)
		return true
	case errors.As(err, &ce) && ce.Code != ocppj.InternalError,
		errors.Is(err, ocppj.ErrBadAnswer):
		// The CSMS refused the message itself: sending it again would not help.
		c.log.Warn("CSMS refused message", "action", m.action, "err", err)
		c.dropped(m, err)
		return true
	}
	// No answer, or InternalError: the CSMS could not process it now
	// (OCPP 1.6, "Error responses to transaction-related messages": retry).
	c.log.Warn("message not processed, will retry", "action", m.action, "err", err, "durable", m.durable)
	c.requeue(m, true)
	return true
}

// dropped gives up on m for good.
func (c *Charger) dropped(m *message, err error) {
	if m.action == "StartTransaction" {
		c.mu.Lock()
		if m.tx.id == 0 {
			m.tx.failed = true
		}
		c.mu.Unlock()
	}
	m.fail(err)
}

// requeue puts a durable m back at the head of the outbox; attempt counts
// towards TransactionMessageAttempts (a lost connection does not).
func (c *Charger) requeue(m *message, attempt bool) {
	if !m.durable {
		m.fail(ocppj.ErrClosed)
		return
	}
	if attempt {
		m.attempts++
		if m.attempts >= maxAttempts {
			c.log.Warn("giving up on message", "action", m.action, "attempts", m.attempts)
			c.dropped(m, errors.New("too many attempts"))
			return
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outbox = slices.Insert(c.outbox, 0, m)
	if attempt {
		c.retryAt = time.Now().Add(time.Duration(m.attempts) * c.cfg.ReconnectBackoff)
	}
}

// onAnswer applies a validated answer, then hands it to whoever waits for
// it (Authorize).
func (c *Charger) onAnswer(m *message, resp any) {
	if c.v2 != nil {
		c.onAnswer201(m, resp)
	} else {
		c.onAnswer16(m, resp)
	}
	if m.reply != nil {
		m.reply <- reply{resp: resp}
		m.reply = nil
	}
}

// onAnswer16 applies a validated 1.6 answer.
func (c *Charger) onAnswer16(m *message, resp any) {
	switch r := resp.(type) {
	case *ocpp16.StartTransactionResponse:
		c.mu.Lock()
		tx := m.tx
		if tx.id != 0 && tx.id != r.TransactionID {
			c.log.Warn("CSMS gave a repeated StartTransaction a new id", "tx", tx.id, "new_tx", r.TransactionID)
		}
		tx.id = r.TransactionID
		cn := c.connectors[tx.connector]
		if r.IDTagInfo.Status != ocpp16.AuthorizationStatusAccepted && cn.tx == tx {
			c.log.Info("transaction not authorized", "connector", tx.connector, "tx", tx.id, "status", string(r.IDTagInfo.Status))
			c.stopTx(cn, ocpp16.ReasonDeAuthorized)
		}
		c.mu.Unlock()
		c.log.Info("transaction started", "connector", tx.connector, "tx", r.TransactionID, "id_tag", tx.idTag, "status", string(r.IDTagInfo.Status))
	case *ocpp16.BootNotificationResponse: // a triggered one
		c.onTriggeredBoot(r.Status == ocpp16.RegistrationStatusAccepted, r.Interval)
	case *ocpp16.SignCertificateResponse:
		c.onSignCertificate(string(r.Status))
	}
}

// onTriggeredBoot applies the answer to a triggered BootNotification: an
// accepted one sets the heartbeat interval.
func (c *Charger) onTriggeredBoot(accepted bool, interval int) {
	if accepted {
		c.mu.Lock()
		c.applyBootInterval(interval)
		c.mu.Unlock()
	}
}

// doReset carries out a pending Reset: transactions stop, a soft reset
// delivers their StopTransaction first, and the connection closes so that
// Run reconnects and boots again. A hard reset closes at once: the
// StopTransactions go out after the reboot (OCPP 1.6 §5.14).
func (c *Charger) doReset(ctx context.Context, conn link) bool {
	c.mu.Lock()
	typ := c.reset
	if typ == "" {
		c.mu.Unlock()
		return false
	}
	c.reset = ""
	c.mu.Unlock()

	if !afterAnswer(ctx, conn) {
		return true
	}
	c.mu.Lock()
	reason := ocpp16.ReasonSoftReset
	if typ == ocpp16.ResetTypeHard {
		reason = ocpp16.ReasonHardReset
	}
	for _, cn := range c.connectors[1:] {
		c.stopTx(cn, reason)
		cn.plugged = false
	}
	c.reconnectNow = true
	c.mu.Unlock()
	c.log.Info("resetting", "type", string(typ))
	if typ == ocpp16.ResetTypeSoft && !c.drain(ctx, conn) {
		return true
	}
	_ = conn.Close(websocket.CloseNormalClosure, "reset")
	return true
}
