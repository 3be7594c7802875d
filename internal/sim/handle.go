package sim

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// handle answers a CALL from the CSMS. It runs on the connection's read
// goroutine, so it only changes state and queues follow-up messages for the
// worker; it never calls the CSMS itself.
func (c *Charger) handle(ctx context.Context, action string, payload json.RawMessage) (any, error) {
	if c.cfg.Behaviour.IgnoreCalls {
		c.log.Info("ignoring call (Behaviour.IgnoreCalls)", "action", action)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if c.v2 != nil {
		return c.handle201(ctx, action, payload)
	}
	req, verr := ocpp16.DecodeRequest(action, payload)
	if verr != nil {
		c.log.Warn("invalid call from CSMS", "action", action, "code", string(verr.Code), "err", verr.Description)
		return nil, verr
	}
	defer c.poke()
	switch r := req.(type) {
	case *ocpp16.RemoteStartTransactionRequest:
		if resp := c.reservedStart(r); resp != nil {
			return resp, nil
		}
		return c.remoteStart(ctx, r), nil
	case *ocpp16.ReserveNowRequest:
		return c.reserveNow(r), nil
	case *ocpp16.CancelReservationRequest:
		return c.cancelReservation(r), nil
	case *ocpp16.SetChargingProfileRequest:
		return c.setChargingProfile(r), nil
	case *ocpp16.ClearChargingProfileRequest:
		return c.clearChargingProfile(r), nil
	case *ocpp16.GetCompositeScheduleRequest:
		return c.compositeSchedule(r), nil
	case *ocpp16.RemoteStopTransactionRequest:
		return c.remoteStop(r), nil
	case *ocpp16.ChangeConfigurationRequest:
		return c.changeConfiguration(r), nil
	case *ocpp16.GetConfigurationRequest:
		return c.getConfiguration(r), nil
	case *ocpp16.ResetRequest:
		c.mu.Lock()
		c.reset = r.Type
		c.holdUntil = time.Now().Add(followUpDelay)
		c.mu.Unlock()
		c.log.Info("reset requested", "type", string(r.Type))
		return &ocpp16.ResetResponse{Status: ocpp16.ResetStatusAccepted}, nil
	case *ocpp16.UnlockConnectorRequest:
		return c.unlock(r), nil
	case *ocpp16.ChangeAvailabilityRequest:
		return c.changeAvailability(r), nil
	case *ocpp16.SendLocalListRequest:
		return c.sendLocalList(r), nil
	case *ocpp16.GetLocalListVersionRequest:
		return c.getLocalListVersion(), nil
	case *ocpp16.UpdateFirmwareRequest:
		return c.updateFirmware(r), nil
	case *ocpp16.GetDiagnosticsRequest:
		return c.getDiagnostics(r), nil
	case *ocpp16.ClearCacheRequest:
		return &ocpp16.ClearCacheResponse{Status: ocpp16.ClearCacheStatusAccepted}, nil
	case *ocpp16.TriggerMessageRequest:
		return c.trigger(r), nil
	case *ocpp16.DataTransferRequest:
		return &ocpp16.DataTransferResponse{Status: ocpp16.DataTransferStatusUnknownVendorId}, nil
	// The security extension (security16.go).
	case *ocpp16.ExtendedTriggerMessageRequest:
		return c.extendedTrigger(r), nil
	case *ocpp16.CertificateSignedRequest:
		return c.certificateSigned16(r), nil
	case *ocpp16.InstallCertificateRequest:
		return c.installCertificate16(r), nil
	case *ocpp16.GetInstalledCertificateIdsRequest:
		return c.installedCertificateIDs16(r), nil
	case *ocpp16.DeleteCertificateRequest:
		return c.deleteCertificate16(r), nil
	case *ocpp16.GetLogRequest:
		return c.getLog16(r), nil
	case *ocpp16.SignedUpdateFirmwareRequest:
		return c.signedUpdateFirmware(r), nil
	}
	return nil, ocppj.Errorf(ocppj.NotSupported, "the simulator does not support %s", action)
}

func (c *Charger) remoteStart(ctx context.Context, r *ocpp16.RemoteStartTransactionRequest) *ocpp16.RemoteStartTransactionResponse {
	log := c.log.With("id_tag", r.IDTag)
	start := func(cn *connector, picked chan struct{}) { c.startTx(cn, r.IDTag, r.ChargingProfile, picked) }
	if !c.acceptRemoteStart(ctx, log, r.ConnectorID, txProfileOK(r.ChargingProfile), "connector", start) {
		return &ocpp16.RemoteStartTransactionResponse{Status: ocpp16.RemoteStartStopStatusRejected}
	}
	return &ocpp16.RemoteStartTransactionResponse{Status: ocpp16.RemoteStartStopStatusAccepted}
}

// acceptRemoteStart is the version-independent part of a remote start (1.6
// RemoteStartTransaction, 2.0.1 RequestStartTransaction) and reports
// whether it is accepted: the Behaviour flags, the usable-profile check
// (profileOK), the choice of connector id (or the first free one) and, for
// StartBeforeAnswer, the wait for the transaction's first CALL. start
// begins the transaction on cn with mu held; unit names the connector in
// the logs ("connector", "EVSE").
func (c *Charger) acceptRemoteStart(ctx context.Context, log *slog.Logger, id *int, profileOK bool, unit string,
	start func(cn *connector, picked chan struct{})) bool {
	if c.cfg.Behaviour.RejectRemoteStart {
		log.Info("remote start rejected (Behaviour.RejectRemoteStart)")
		return false
	}
	if !profileOK {
		log.Info("remote start rejected: charging profile is not a usable TxProfile")
		return false
	}

	c.mu.Lock()
	cn := c.pickConnector(id)
	if cn == nil {
		c.mu.Unlock()
		log.Info("remote start rejected: no free "+unit, strings.ToLower(unit), deref(id))
		return false
	}
	log = log.With("connector", cn.id)
	if c.cfg.Behaviour.NeverStart {
		cn.plugged = true
		c.setStatus(cn, cn.idleStatus())
		c.holdUntil = time.Now().Add(followUpDelay)
		c.mu.Unlock()
		log.Info("remote start accepted; never starting (Behaviour.NeverStart)")
		return true
	}
	var picked chan struct{}
	if c.cfg.Behaviour.StartBeforeAnswer {
		picked = make(chan struct{})
	} else {
		c.holdUntil = time.Now().Add(followUpDelay)
	}
	start(cn, picked)
	c.mu.Unlock()
	log.Info("remote start accepted")
	if picked != nil {
		c.poke()
		waitPicked(ctx, picked)
	}
	return true
}

// waitPicked holds the answer to a remote start until the worker has
// handed the transaction's first CALL to the connection (or 100ms passed),
// for Behaviour.StartBeforeAnswer.
func waitPicked(ctx context.Context, picked chan struct{}) {
	t := time.NewTimer(startAnswerDelay)
	defer t.Stop()
	select {
	case <-picked:
		// The worker is writing the CALL; give it a moment to hit the wire.
		t.Reset(followUpDelay)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	case <-t.C:
	case <-ctx.Done():
	}
}

// pickConnector returns the connector a remote start goes to: the one asked
// for, or the first Available one (then the first Preparing one); nil if it
// is busy, unavailable or unknown. Callers hold mu.
func (c *Charger) pickConnector(id *int) *connector {
	free := func(cn *connector) bool {
		return cn.tx == nil && !cn.inoperative &&
			(cn.status == ocpp16.ChargePointStatusAvailable || cn.status == ocpp16.ChargePointStatusPreparing)
	}
	if id != nil {
		cn := c.connector(*id)
		if cn == nil || !free(cn) {
			return nil
		}
		return cn
	}
	for _, want := range []ocpp16.ChargePointStatus{ocpp16.ChargePointStatusAvailable, ocpp16.ChargePointStatusPreparing} {
		for _, cn := range c.connectors[1:] {
			if cn.status == want && free(cn) {
				return cn
			}
		}
	}
	return nil
}

// txProfileOK reports whether a RemoteStartTransaction may come with
// charging profile p: none, or a TxProfile (OCPP 1.6 §5.11).
func txProfileOK(p *ocpp16.ChargingProfile) bool {
	return p == nil || p.ChargingProfilePurpose == ocpp16.ChargingProfilePurposeTxProfile
}

func (c *Charger) remoteStop(r *ocpp16.RemoteStopTransactionRequest) *ocpp16.RemoteStopTransactionResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var found *connector
	for _, cn := range c.connectors[1:] {
		if cn.tx != nil && cn.tx.id != 0 && cn.tx.id == r.TransactionID {
			found = cn
			break
		}
	}
	if !c.acceptRemoteStop(found, r.TransactionID) {
		return &ocpp16.RemoteStopTransactionResponse{Status: ocpp16.RemoteStartStopStatusRejected}
	}
	return &ocpp16.RemoteStopTransactionResponse{Status: ocpp16.RemoteStartStopStatusAccepted}
}

// acceptRemoteStop is the version-independent part of a remote stop: it
// stops cn's transaction (reason Remote), or rejects the request when the
// transaction tx is unknown (cn nil). Callers hold mu.
func (c *Charger) acceptRemoteStop(cn *connector, tx any) bool {
	if cn == nil {
		c.log.Info("remote stop rejected: unknown transaction", "tx", tx)
		return false
	}
	c.log.Info("remote stop accepted", "connector", cn.id, "tx", tx)
	c.holdUntil = time.Now().Add(followUpDelay)
	c.stopTx(cn, ocpp16.ReasonRemote)
	return true
}

func (c *Charger) unlock(r *ocpp16.UnlockConnectorRequest) *ocpp16.UnlockConnectorResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := c.connector(r.ConnectorID)
	if cn == nil {
		return &ocpp16.UnlockConnectorResponse{Status: ocpp16.UnlockStatusNotSupported}
	}
	c.holdUntil = time.Now().Add(followUpDelay)
	if cn.tx != nil {
		c.stopTx(cn, ocpp16.ReasonUnlockCommand)
	}
	cn.plugged = false
	c.setStatus(cn, cn.idleStatus())
	c.log.Info("connector unlocked", "connector", cn.id)
	return &ocpp16.UnlockConnectorResponse{Status: ocpp16.UnlockStatusUnlocked}
}

// changeAvailability applies ChangeAvailability (OCPP 1.6 §5.2): connector 0
// means the whole charge point; a connector with a transaction changes when
// the transaction ends (Scheduled).
func (c *Charger) changeAvailability(r *ocpp16.ChangeAvailabilityRequest) *ocpp16.ChangeAvailabilityResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var targets []*connector
	switch {
	case r.ConnectorID == 0:
		targets = c.connectors
	case c.connector(r.ConnectorID) != nil:
		targets = []*connector{c.connectors[r.ConnectorID]}
	default:
		return &ocpp16.ChangeAvailabilityResponse{Status: ocpp16.AvailabilityStatusRejected}
	}
	inop := r.Type == ocpp16.AvailabilityTypeInoperative
	status := ocpp16.AvailabilityStatusAccepted
	c.holdUntil = time.Now().Add(followUpDelay)
	for _, cn := range targets {
		if cn.tx != nil {
			if inop {
				v := true
				cn.scheduled = &v
				status = ocpp16.AvailabilityStatusScheduled
			} else {
				cn.scheduled = nil
			}
			continue
		}
		cn.inoperative = inop
		cn.scheduled = nil
		c.setStatus(cn, cn.idleStatus())
	}
	c.log.Info("availability changed", "connector", r.ConnectorID, "type", string(r.Type), "status", string(status))
	return &ocpp16.ChangeAvailabilityResponse{Status: status}
}

func (c *Charger) trigger(r *ocpp16.TriggerMessageRequest) *ocpp16.TriggerMessageResponse {
	rejected := &ocpp16.TriggerMessageResponse{Status: ocpp16.TriggerMessageStatusRejected}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The connectors the request is about: the one given, or all.
	targets := c.connectors
	if r.ConnectorID != nil {
		if *r.ConnectorID < 0 || *r.ConnectorID >= len(c.connectors) {
			return rejected
		}
		targets = []*connector{c.connectors[*r.ConnectorID]}
	}
	switch r.RequestedMessage {
	case ocpp16.MessageTriggerBootNotification:
		if c.booted {
			c.push(&message{action: "BootNotification", req: c.bootRequest()})
		} else {
			c.bootNow = true
		}
	case ocpp16.MessageTriggerHeartbeat:
		c.push(&message{action: "Heartbeat", req: &ocpp16.HeartbeatRequest{}})
	case ocpp16.MessageTriggerStatusNotification:
		if !c.booted {
			return rejected
		}
		for _, cn := range targets {
			c.queueStatus(cn)
		}
	case ocpp16.MessageTriggerMeterValues:
		if !c.booted || (r.ConnectorID != nil && *r.ConnectorID == 0) {
			return rejected
		}
		for _, cn := range targets {
			if cn.id > 0 {
				c.queueMeterValues(cn, ocpp16.ReadingContextTrigger)
			}
		}
	case ocpp16.MessageTriggerDiagnosticsStatusNotification:
		c.push(&message{action: "DiagnosticsStatusNotification",
			req: &ocpp16.DiagnosticsStatusNotificationRequest{Status: ocpp16.DiagnosticsStatusIdle}})
	case ocpp16.MessageTriggerFirmwareStatusNotification:
		c.push(&message{action: "FirmwareStatusNotification",
			req: &ocpp16.FirmwareStatusNotificationRequest{Status: ocpp16.FirmwareStatusIdle}})
	default:
		return &ocpp16.TriggerMessageResponse{Status: ocpp16.TriggerMessageStatusNotImplemented}
	}
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("message triggered", "message", string(r.RequestedMessage))
	return &ocpp16.TriggerMessageResponse{Status: ocpp16.TriggerMessageStatusAccepted}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
