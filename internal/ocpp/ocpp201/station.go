package ocpp201

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Station adapts one 2.0.1 charging station: it answers the station's CALLs
// by translating them into charging.StationEvents, and sends Joule's
// commands as 2.0.1 CALLs. Every message is decoded once and validated
// against the OCA schema by the generated code.
type Station struct {
	id     string
	conn   *ocppj.Conn
	events charging.StationEvents
	log    *slog.Logger

	// The fields below are used by HandleCall only, which runs on the
	// connection's read goroutine, one CALL at a time; mu makes them safe
	// to read from tests and commands too.
	mu         sync.Mutex
	reg        charging.RegistrationStatus // "" until known; guarded by mu
	booted     charging.RegistrationStatus // the answer to the last BootNotification; guarded by mu
	wantReport bool                        // ask for a base report after the boot answer went out; guarded by mu
	bootAsker  ocppdomain.BootAsker        // asks a Pending charger to boot, once

	requestID atomic.Int64 // requestId of GetBaseReport and other reports

	reports reportWaiters // GetConfiguration without keys waits here for its NotifyReports
}

// NewStation returns the adapter for one connection.
func NewStation(chargerID string, conn *ocppj.Conn, events charging.StationEvents, log *slog.Logger) *Station {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Station{id: chargerID, conn: conn, events: events, log: log}
	s.requestID.Store(time.Now().Unix() % 1_000_000) // distinct across reconnects, well inside int32
	return s
}

// csmsActions are the actions the CSMS sends; a station sending one of them
// gets NotSupported, and only these may go out as commands.
var csmsActions = map[string]bool{
	"CancelReservation": true, "CertificateSigned": true, "ChangeAvailability": true, "ClearCache": true,
	"ClearChargingProfile": true, "ClearDisplayMessage": true, "ClearVariableMonitoring": true, "CostUpdated": true,
	"CustomerInformation": true, "DataTransfer": true, "DeleteCertificate": true, "GetBaseReport": true,
	"GetChargingProfiles": true, "GetCompositeSchedule": true, "GetDisplayMessages": true,
	"GetInstalledCertificateIds": true, "GetLocalListVersion": true, "GetLog": true, "GetMonitoringReport": true,
	"GetReport": true, "GetTransactionStatus": true, "GetVariables": true, "InstallCertificate": true,
	"PublishFirmware": true, "RequestStartTransaction": true, "RequestStopTransaction": true, "ReserveNow": true,
	"Reset": true, "SendLocalList": true, "SetChargingProfile": true, "SetDisplayMessage": true,
	"SetMonitoringBase": true, "SetMonitoringLevel": true, "SetNetworkProfile": true,
	"SetVariableMonitoring": true, "SetVariables": true, "TriggerMessage": true, "UnlockConnector": true,
	"UnpublishFirmware": true, "UpdateFirmware": true,
}

// HandleCall answers one CALL from the station. Errors are *ocppj.Error
// (validation, unknown action, registration) or domain errors, mapped once here.
func (s *Station) HandleCall(ctx context.Context, action string, payload json.RawMessage) (any, error) {
	s.askBaseReport(ctx)
	if action != "BootNotification" {
		// OCPP 2.0.1 B02 (Pending) and B03 (Rejected): until its boot is
		// Accepted, the CSMS answers anything but a BootNotification with
		// SecurityError.
		reg, err := s.registration(ctx)
		if err != nil {
			return nil, ocppdomain.CallError(action, err)
		}
		if reg != charging.RegistrationAccepted {
			s.bootAsker.Ask(ctx, s.conn, s.log, reg, &TriggerMessageRequest{RequestedMessage: MessageTriggerEnumBootNotification})
			return nil, ocppj.Errorf(ocppj.SecurityError, "%s before the BootNotification was Accepted (registration %s)", action, reg)
		}
	}
	if csmsActions[action] && action != "DataTransfer" {
		return nil, ocppj.Errorf(ocppj.NotSupported, "%s is sent by the CSMS, not by a Charging Station", action)
	}
	req, verr := DecodeRequest(action, payload)
	if verr != nil {
		return nil, verr // NotImplemented for an action 2.0.1 does not have (a 1.6 one, say)
	}
	resp, err := s.handle(ctx, action, req, payload)
	if err != nil {
		return nil, ocppdomain.CallError(action, err)
	}
	return resp, nil
}

// registration returns the station's registration, asking the domain once
// per connection (a station that reconnects without rebooting keeps it).
func (s *Station) registration(ctx context.Context) (charging.RegistrationStatus, error) {
	s.mu.Lock()
	reg := s.reg
	s.mu.Unlock()
	if reg != "" {
		return reg, nil
	}
	reg, err := s.events.Registration(ctx, s.id)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.reg == "" {
		s.reg = reg
	}
	reg = s.reg
	s.mu.Unlock()
	return reg, nil
}

// Registration returns the status of the last BootNotification answered on
// this connection, "" before the first. The registration Joule stored
// earlier, which HandleCall uses for a station that reconnects without
// booting, does not count: the gateway lifts its limits for strangers on
// an Accepted boot only. Safe to call from any goroutine.
func (s *Station) Registration() charging.RegistrationStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.booted
}

// askBaseReport sends GetBaseReport (FullInventory) when the last boot
// asked for it. It runs at the start of the CALL after the boot: by then
// the BootNotification answer has been written, so the station knows it is
// Accepted. The CALL goes out from its own goroutine (a Handler must not
// Call on its connection); Call ends when the connection does.
func (s *Station) askBaseReport(ctx context.Context) {
	s.mu.Lock()
	want := s.wantReport
	s.wantReport = false
	s.mu.Unlock()
	if !want {
		return
	}
	go func() {
		req := &GetBaseReportRequest{RequestID: int(s.requestID.Add(1)), ReportBase: ReportBaseEnumFullInventory}
		resp, err := call[GetBaseReportResponse](ctx, s, "GetBaseReport", req)
		if err != nil {
			s.log.Warn("base report not requested", "err", err)
			return
		}
		s.log.Info("base report requested", "request_id", req.RequestID, "status", string(resp.Status))
	}()
}

func (s *Station) handle(ctx context.Context, action string, req any, raw json.RawMessage) (any, error) {
	switch r := req.(type) {
	case *BootNotificationRequest:
		return s.bootNotification(ctx, r, raw)
	case *HeartbeatRequest:
		now, err := s.events.Heartbeat(ctx, s.id)
		return &HeartbeatResponse{CurrentTime: now.UTC()}, err
	case *StatusNotificationRequest:
		return s.statusNotification(ctx, r)
	case *AuthorizeRequest:
		info, err := s.events.Authorize(ctx, s.id, r.IDToken.IDToken)
		return &AuthorizeResponse{IDTokenInfo: idTokenInfo(info)}, err
	case *TransactionEventRequest:
		return s.transactionEvent(ctx, r)
	case *MeterValuesRequest:
		err := s.events.MeterValues(ctx, s.id, charging.MeterReport{ConnectorID: r.EvseID, Samples: samples(r.MeterValue)})
		return &MeterValuesResponse{}, err
	case *NotifyReportRequest:
		vs := variables(r.ReportData)
		rep := charging.DeviceReport{Variables: vs, Connectors: connectorReports(vs)}
		if err := s.events.DeviceModelReported(ctx, s.id, rep); err != nil {
			return nil, err
		}
		s.reports.deliver(r, vs)
		return &NotifyReportResponse{}, nil
	case *NotifyEventRequest:
		return &NotifyEventResponse{}, s.events.ChargerEventsReported(ctx, s.id, notifyEvents(r))
	case *SecurityEventNotificationRequest:
		return s.securityEvent(ctx, r, raw)
	case *SignCertificateRequest:
		return s.signCertificate(ctx, r)
	case *FirmwareStatusNotificationRequest:
		// Every 2.0.1 firmware update is the signed kind (L01: UpdateFirmware
		// carries the signature), tracked by its requestId as 1.6's
		// SignedUpdateFirmware is; 0 when the station sent none (Idle).
		if err := s.events.SignedFirmwareStatus(ctx, s.id, string(r.Status), deref(r.RequestID)); err != nil {
			return nil, err
		}
		return &FirmwareStatusNotificationResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{Kind: string(r.Status)})
	case *LogStatusNotificationRequest:
		// 2.0.1's log upload is GetLog, tracked by its requestId as 1.6's
		// security extension GetLog is (0: none given).
		if err := s.events.LogStatus(ctx, s.id, string(r.Status), deref(r.RequestID)); err != nil {
			return nil, err
		}
		return &LogStatusNotificationResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{Kind: string(r.Status)})
	case *DataTransferRequest:
		return s.dataTransfer(ctx, r, raw)
	case *NotifyChargingLimitRequest:
		return &NotifyChargingLimitResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{
			Kind: string(r.ChargingLimit.ChargingLimitSource), EVSEID: deref(r.EvseID)})
	case *ClearedChargingLimitRequest:
		return &ClearedChargingLimitResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{
			Kind: string(r.ChargingLimitSource), EVSEID: deref(r.EvseID)})
	case *ReportChargingProfilesRequest:
		return &ReportChargingProfilesResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{
			Kind: string(r.ChargingLimitSource), EVSEID: r.EvseID,
			Summary: fmt.Sprintf("request %d: %d profiles", r.RequestID, len(r.ChargingProfile))})
	case *ReservationStatusUpdateRequest:
		return &ReservationStatusUpdateResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{
			Kind: string(r.ReservationUpdateStatus), Summary: fmt.Sprintf("reservation %d %s", r.ReservationID, r.ReservationUpdateStatus)})
	case *NotifyEVChargingNeedsRequest:
		// Stored; Joule computes no ISO 15118 schedule, so it answers
		// Rejected ("service not available") rather than promise one.
		err := s.record(ctx, action, raw, charging.ChargerEvent{EVSEID: r.EvseID, Kind: string(r.ChargingNeeds.RequestedEnergyTransfer)})
		return &NotifyEVChargingNeedsResponse{Status: NotifyEVChargingNeedsStatusEnumRejected}, err
	case *NotifyEVChargingScheduleRequest:
		return &NotifyEVChargingScheduleResponse{Status: GenericStatusEnumAccepted}, s.record(ctx, action, raw, charging.ChargerEvent{EVSEID: r.EvseID})
	case *NotifyMonitoringReportRequest:
		return &NotifyMonitoringReportResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{})
	case *NotifyCustomerInformationRequest:
		return &NotifyCustomerInformationResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{})
	case *NotifyDisplayMessagesRequest:
		return &NotifyDisplayMessagesResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{})
	case *PublishFirmwareStatusNotificationRequest:
		return &PublishFirmwareStatusNotificationResponse{}, s.record(ctx, action, raw, charging.ChargerEvent{Kind: string(r.Status)})
	}
	return nil, ocppj.Errorf(ocppj.NotSupported, "Joule does not handle %s yet", action)
}

// record stores a notification as a charger event, with the message as sent.
func (s *Station) record(ctx context.Context, action string, raw json.RawMessage, e charging.ChargerEvent) error {
	e.Action, e.Payload = action, raw
	return s.events.ChargerEventsReported(ctx, s.id, []charging.ChargerEvent{e})
}

func (s *Station) bootNotification(ctx context.Context, r *BootNotificationRequest, raw json.RawMessage) (any, error) {
	cs := r.ChargingStation
	info := charging.BootInfo{
		Vendor: cs.VendorName, Model: cs.Model, SerialNumber: deref(cs.SerialNumber), FirmwareVersion: deref(cs.FirmwareVersion),
	}
	if cs.Modem != nil {
		info.ICCID, info.IMSI = deref(cs.Modem.Iccid), deref(cs.Modem.Imsi)
	}
	res, err := s.events.Booted(ctx, s.id, info)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, "BootNotification", raw, charging.ChargerEvent{Kind: string(r.Reason), Summary: "registration " + string(res.Status)}); err != nil {
		return nil, err
	}
	want := false
	if res.Status == charging.RegistrationAccepted {
		if want, err = s.events.NeedsDeviceReport(ctx, s.id); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.reg, s.booted, s.wantReport = res.Status, res.Status, want
	s.mu.Unlock()
	return &BootNotificationResponse{
		Status:      RegistrationStatusEnum(res.Status),
		CurrentTime: res.Now.UTC(),
		Interval:    int(res.Interval / time.Second),
	}, nil
}

// statusNotification records a connector's status. The domain's connector
// is the EVSE (1.6 connector N is EVSE N); a station with several
// connectors per EVSE reports each, and the last report is the EVSE's status.
func (s *Station) statusNotification(ctx context.Context, r *StatusNotificationRequest) (any, error) {
	rep := charging.StatusReport{
		ConnectorID: r.EvseID, Status: charging.ConnectorStatus(r.ConnectorStatus), ErrorCode: "NoError",
		Timestamp: r.Timestamp.UTC(),
	}
	if r.ConnectorID > 1 {
		rep.Info = fmt.Sprintf("connector %d", r.ConnectorID)
	}
	if r.ConnectorStatus == ConnectorStatusEnumFaulted {
		// 2.0.1 reports the cause with NotifyEvent, not here.
		rep.ErrorCode = "OtherError"
	}
	return &StatusNotificationResponse{}, s.events.StatusChanged(ctx, s.id, rep)
}

func (s *Station) transactionEvent(ctx context.Context, r *TransactionEventRequest) (any, error) {
	tx := r.TransactionInfo
	e := charging.TransactionEvent{
		EventType: string(r.EventType), TransactionID: tx.TransactionID, SeqNo: r.SeqNo, Timestamp: r.Timestamp.UTC(),
		TriggerReason: string(r.TriggerReason), RemoteStartID: deref(tx.RemoteStartID), ReservationID: deref(r.ReservationID),
		Offline: deref(r.Offline), NumberOfPhasesUsed: deref(r.NumberOfPhasesUsed),
		ChargingState: string(deref(tx.ChargingState)), StoppedReason: string(deref(tx.StoppedReason)),
		Samples: samples(r.MeterValue),
	}
	if r.Evse != nil {
		e.ConnectorID = r.Evse.ID
	}
	if r.IDToken != nil && r.IDToken.Type != IDTokenEnumNoAuthorization {
		e.IDTag = r.IDToken.IDToken
	}
	res, err := s.events.TransactionEvent(ctx, s.id, e)
	if err != nil {
		return nil, err
	}
	out := &TransactionEventResponse{}
	if res.TotalCost != "" {
		// OCPP's totalCost is a JSON number; a decimal of at most a few
		// places reads back exactly as the same number.
		total, _ := res.TotalCost.Rat().Float64()
		out.TotalCost = &total
	}
	if res.IDTagInfo != nil {
		info := idTokenInfo(*res.IDTagInfo)
		out.IDTokenInfo = &info
	}
	return out, nil
}

func (s *Station) dataTransfer(ctx context.Context, r *DataTransferRequest, raw json.RawMessage) (any, error) {
	if err := s.record(ctx, "DataTransfer", raw, charging.ChargerEvent{Kind: r.VendorID, Summary: deref(r.MessageID)}); err != nil {
		return nil, err
	}
	res, err := s.events.DataTransfer(ctx, s.id, charging.DataTransfer{VendorID: r.VendorID, MessageID: deref(r.MessageID), Data: string(r.Data)})
	if err != nil {
		return nil, err
	}
	out := &DataTransferResponse{Status: DataTransferStatusEnum(res.Status)}
	if res.Data != "" {
		out.Data, _ = json.Marshal(res.Data)
	}
	return out, nil
}

func idTokenInfo(i charging.IDTagInfo) IDTokenInfo {
	out := IDTokenInfo{Status: AuthorizationStatusEnum(i.Status), CacheExpiryDateTime: i.ExpiryDate}
	if i.ParentIDTag != "" {
		out.GroupIDToken = &IDToken{IDToken: i.ParentIDTag, Type: IDTokenEnumCentral}
	}
	return out
}

// variables flattens NotifyReport's reportData into domain variables, one
// per attribute.
func variables(rds []ReportData) []charging.Variable {
	var out []charging.Variable
	for _, rd := range rds {
		base := charging.Variable{
			Component: rd.Component.Name, ComponentInstance: deref(rd.Component.Instance),
			Variable: rd.Variable.Name, VariableInstance: deref(rd.Variable.Instance),
		}
		if e := rd.Component.Evse; e != nil {
			base.EVSEID, base.ConnectorID = e.ID, deref(e.ConnectorID)
		}
		if c := rd.VariableCharacteristics; c != nil {
			base.DataType, base.Unit, base.ValuesList = string(c.DataType), deref(c.Unit), deref(c.ValuesList)
			base.MinLimit, base.MaxLimit, base.SupportsMonitoring = c.MinLimit, c.MaxLimit, c.SupportsMonitoring
		}
		for _, a := range rd.VariableAttribute {
			v := base
			v.AttributeType = string(deref(a.Type))
			v.Value = deref(a.Value)
			v.Mutability = string(deref(a.Mutability))
			v.Persistent, v.Constant = deref(a.Persistent), deref(a.Constant)
			out = append(out, v)
		}
	}
	return out
}

// notifyEvents turns NotifyEvent's eventData into charger events.
func notifyEvents(r *NotifyEventRequest) []charging.ChargerEvent {
	out := make([]charging.ChargerEvent, 0, len(r.EventData))
	for _, ed := range r.EventData {
		raw, _ := json.Marshal(ed)
		e := charging.ChargerEvent{
			Action: "NotifyEvent", Kind: string(ed.Trigger), Timestamp: ed.Timestamp, Payload: raw,
			Summary: fmt.Sprintf("%s.%s = %q (%s, %s)", ed.Component.Name, ed.Variable.Name, ed.ActualValue, ed.Trigger, ed.EventNotificationType),
		}
		if deref(ed.Cleared) {
			e.Summary += " cleared"
		}
		if ev := ed.Component.Evse; ev != nil {
			e.EVSEID = ev.ID
		}
		out = append(out, e)
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
