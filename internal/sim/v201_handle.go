package sim

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// handle201 answers a 2.0.1 CALL from the CSMS; see handle.
func (c *Charger) handle201(ctx context.Context, action string, payload json.RawMessage) (any, error) {
	req, verr := ocpp201.DecodeRequest(action, payload)
	if verr != nil {
		c.log.Warn("invalid call from CSMS", "action", action, "code", string(verr.Code), "err", verr.Description)
		return nil, verr
	}
	defer c.poke()
	switch r := req.(type) {
	case *ocpp201.RequestStartTransactionRequest:
		return c.requestStart201(ctx, r), nil
	case *ocpp201.RequestStopTransactionRequest:
		return c.requestStop201(r), nil
	case *ocpp201.GetTransactionStatusRequest:
		return c.transactionStatus201(r), nil
	case *ocpp201.GetVariablesRequest:
		return c.getVariables201(r), nil
	case *ocpp201.SetVariablesRequest:
		return c.setVariables201(r), nil
	case *ocpp201.GetBaseReportRequest:
		return c.baseReport201(r), nil
	case *ocpp201.ResetRequest:
		return c.reset201(r), nil
	case *ocpp201.TriggerMessageRequest:
		return c.trigger201(r), nil
	case *ocpp201.ChangeAvailabilityRequest:
		return c.changeAvailability201(r), nil
	case *ocpp201.UnlockConnectorRequest:
		return c.unlock201(r), nil
	case *ocpp201.ClearCacheRequest:
		return &ocpp201.ClearCacheResponse{Status: ocpp201.ClearCacheStatusEnumAccepted}, nil
	case *ocpp201.DataTransferRequest:
		return &ocpp201.DataTransferResponse{Status: ocpp201.DataTransferStatusEnumUnknownVendorId}, nil
	case *ocpp201.CostUpdatedRequest:
		c.mu.Lock()
		if cn := c.txConnector201(r.TransactionID); cn != nil {
			cn.cost = r.TotalCost // a display would show it
			c.log.Info("running cost", "connector", cn.id, "tx", r.TransactionID, "total", r.TotalCost)
		}
		c.mu.Unlock()
		return &ocpp201.CostUpdatedResponse{}, nil
	}
	if resp, ok := c.handleSmart201(req); ok {
		return resp, nil
	}
	if resp, ok := c.handleSecurity201(req); ok {
		return resp, nil
	}
	return nil, ocppj.Errorf(ocppj.NotSupported, "the simulator does not support %s", action)
}

// transactionStatus201 answers GetTransactionStatus (E14): whether the
// transaction still runs, and whether TransactionEvents (of it, or of any
// transaction) wait in the outbox.
func (c *Charger) transactionStatus201(r *ocpp201.GetTransactionStatusRequest) *ocpp201.GetTransactionStatusResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp := &ocpp201.GetTransactionStatusResponse{}
	if r.TransactionID != nil {
		resp.OngoingIndicator = ptr(c.txConnector201(*r.TransactionID) != nil)
	}
	resp.MessagesInQueue = slices.ContainsFunc(c.outbox, func(m *message) bool {
		ev, ok := m.req.(*ocpp201.TransactionEventRequest)
		return ok && (r.TransactionID == nil || ev.TransactionInfo.TransactionID == *r.TransactionID)
	})
	return resp
}

// reset201 applies Reset (B11, B12). Immediate stops the transactions
// (Ended with stoppedReason ImmediateReset, delivered before the
// connection closes: the worker's soft-reset path) and reboots; OnIdle
// reboots now if nothing charges, otherwise it is Scheduled for when the
// last transaction ends. Resetting a single EVSE is not supported.
func (c *Charger) reset201(r *ocpp201.ResetRequest) *ocpp201.ResetResponse {
	if r.EvseID != nil && *r.EvseID != 0 {
		c.log.Info("reset rejected: resetting one EVSE is not supported", "evse", *r.EvseID)
		return &ocpp201.ResetResponse{Status: ocpp201.ResetStatusEnumRejected}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	status := ocpp201.ResetStatusEnumAccepted
	if r.Type == ocpp201.ResetEnumOnIdle && c.transacting() {
		c.v2.resetOnIdle = true
		status = ocpp201.ResetStatusEnumScheduled
	} else {
		c.resetNow201()
		c.holdUntil = time.Now().Add(followUpDelay)
	}
	c.log.Info("reset requested", "type", string(r.Type), "status", string(status))
	return &ocpp201.ResetResponse{Status: status}
}

// evseTargets returns the connectors an optional EVSE designates: the
// one given, or all when evse is nil or 0 (the whole station); ok is false
// for an unknown EVSE or connector. Callers hold mu.
func (c *Charger) evseTargets(evse *ocpp201.EVSE) (targets []*connector, ok bool) {
	if evse == nil || evse.ID == 0 {
		return c.connectors[1:], true
	}
	cn := c.connector(evse.ID)
	if cn == nil || (evse.ConnectorID != nil && *evse.ConnectorID != 1) {
		return nil, false
	}
	return []*connector{cn}, true
}

// trigger201 answers TriggerMessage (F06).
func (c *Charger) trigger201(r *ocpp201.TriggerMessageRequest) *ocpp201.TriggerMessageResponse {
	rejected := &ocpp201.TriggerMessageResponse{Status: ocpp201.TriggerMessageStatusEnumRejected}
	c.mu.Lock()
	defer c.mu.Unlock()
	targets, ok := c.evseTargets(r.Evse)
	if !ok {
		return rejected
	}
	switch r.RequestedMessage {
	case ocpp201.MessageTriggerEnumBootNotification:
		c.v2.bootReason = ocpp201.BootReasonEnumTriggered
		if c.booted {
			serial, fw := c.cfg.SerialNumber, c.FirmwareVersion()
			c.push(&message{action: "BootNotification", req: &ocpp201.BootNotificationRequest{
				ChargingStation: ocpp201.ChargingStation{Model: c.cfg.Model, VendorName: c.cfg.Vendor, SerialNumber: &serial, FirmwareVersion: &fw},
				Reason:          ocpp201.BootReasonEnumTriggered,
			}})
		} else {
			c.bootNow = true
		}
	case ocpp201.MessageTriggerEnumHeartbeat:
		c.push(&message{action: "Heartbeat", req: &ocpp201.HeartbeatRequest{}})
	case ocpp201.MessageTriggerEnumStatusNotification:
		if !c.booted {
			return rejected
		}
		for _, cn := range targets {
			c.queueStatus201(cn, true)
		}
	case ocpp201.MessageTriggerEnumMeterValues:
		if !c.booted {
			return rejected
		}
		for _, cn := range targets {
			c.push(&message{action: "MeterValues", req: &ocpp201.MeterValuesRequest{
				EvseID:     cn.id,
				MeterValue: []ocpp201.MeterValue{c.meterValue201(cn, ocpp16.ReadingContextTrigger)},
			}})
		}
	case ocpp201.MessageTriggerEnumTransactionEvent:
		n := 0
		for _, cn := range targets {
			if cn.tx != nil {
				c.queueTxUpdated201(cn, ocpp16.ReadingContextTrigger)
				n++
			}
		}
		if n == 0 {
			return rejected // no transaction to report on
		}
	case ocpp201.MessageTriggerEnumFirmwareStatusNotification:
		st, id := c.currentFirmwareStatus()
		c.push(&message{action: "FirmwareStatusNotification",
			req: &ocpp201.FirmwareStatusNotificationRequest{Status: ocpp201.FirmwareStatusEnum(st), RequestID: id}})
	case ocpp201.MessageTriggerEnumLogStatusNotification:
		st, id := c.currentLogStatus()
		c.push(&message{action: "LogStatusNotification",
			req: &ocpp201.LogStatusNotificationRequest{Status: ocpp201.UploadLogStatusEnum(st), RequestID: id}})
	case ocpp201.MessageTriggerEnumSignChargingStationCertificate:
		if err := c.queueCSR(nil); err != nil {
			c.log.Error("certificate signing request", "err", err)
			return rejected
		}
	default:
		return &ocpp201.TriggerMessageResponse{Status: ocpp201.TriggerMessageStatusEnumNotImplemented}
	}
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("message triggered", "message", string(r.RequestedMessage))
	return &ocpp201.TriggerMessageResponse{Status: ocpp201.TriggerMessageStatusEnumAccepted}
}

// changeAvailability201 applies ChangeAvailability (G03, G04) with the
// 1.6 rules: the whole station or one EVSE; an EVSE with a transaction
// changes when it ends (Scheduled).
func (c *Charger) changeAvailability201(r *ocpp201.ChangeAvailabilityRequest) *ocpp201.ChangeAvailabilityResponse {
	n := 0
	if r.Evse != nil {
		c.mu.Lock()
		_, ok := c.evseTargets(r.Evse)
		c.mu.Unlock()
		if !ok {
			return &ocpp201.ChangeAvailabilityResponse{Status: ocpp201.ChangeAvailabilityStatusEnumRejected}
		}
		n = r.Evse.ID
	}
	typ := ocpp16.AvailabilityTypeOperative
	if r.OperationalStatus == ocpp201.OperationalStatusEnumInoperative {
		typ = ocpp16.AvailabilityTypeInoperative
	}
	resp := c.changeAvailability(&ocpp16.ChangeAvailabilityRequest{ConnectorID: n, Type: typ})
	return &ocpp201.ChangeAvailabilityResponse{Status: ocpp201.ChangeAvailabilityStatusEnum(resp.Status)}
}

// unlock201 answers UnlockConnector (F05): a connector with a running
// (authorized) transaction stays locked.
func (c *Charger) unlock201(r *ocpp201.UnlockConnectorRequest) *ocpp201.UnlockConnectorResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := c.connector(r.EvseID)
	switch {
	case cn == nil || r.ConnectorID != 1:
		return &ocpp201.UnlockConnectorResponse{Status: ocpp201.UnlockStatusEnumUnknownConnector}
	case cn.tx != nil:
		return &ocpp201.UnlockConnectorResponse{Status: ocpp201.UnlockStatusEnumOngoingAuthorizedTransaction}
	}
	c.holdUntil = time.Now().Add(followUpDelay)
	cn.plugged = false
	c.setStatus(cn, cn.idleStatus())
	c.log.Info("connector unlocked", "connector", cn.id)
	return &ocpp201.UnlockConnectorResponse{Status: ocpp201.UnlockStatusEnumUnlocked}
}
