package ocpp16

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Station adapts one 1.6 charger: it answers the charger's CALLs by
// translating them into charging.StationEvents, and sends Joule's commands
// as 1.6 CALLs. Every message is decoded once and validated against the
// OCA schema by the generated code.
type Station struct {
	id     string
	conn   ocppdomain.Caller // nil: the charger gets no commands
	events charging.StationEvents
	log    *slog.Logger

	mu        sync.Mutex
	reg       charging.RegistrationStatus // "" until known; guarded by mu (see gate.go)
	booted    charging.RegistrationStatus // the answer to the last BootNotification; guarded by mu
	bootAsker ocppdomain.BootAsker        // asks a Pending charger to boot, once

	noStopReason bool // the charger's protocol has no stop reason (OCPP 1.5 through soapcs)
}

// NewStation returns the adapter for one charger. conn carries Joule's
// commands: the charger's *ocppj.Conn over OCPP-J, a soapcs.Caller for a
// charger speaking OCPP 1.5 or 1.6 over SOAP (which has no connection: the
// caller posts to the charger's own service). With a nil conn HandleCall
// still serves the charger's requests, and every command answers
// EUNAVAILABLE.
func NewStation(chargerID string, conn ocppdomain.Caller, events charging.StationEvents, log *slog.Logger) *Station {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Station{id: chargerID, conn: conn, events: events, log: log}
}

// NoStopReasons tells the Station that its charger's protocol has no
// StopTransaction reason (OCPP 1.5, whose messages soapcs hands over as
// 1.6): an absent reason is then unstated, not 1.6's Local. Call it before
// the Station serves the charger.
func (s *Station) NoStopReasons() { s.noStopReason = true }

// csmsActions are the actions the Central System sends; a charger sending
// one of them gets NotSupported, and only these may go out as commands.
var csmsActions = map[string]bool{
	"CancelReservation": true, "CertificateSigned": true, "ChangeAvailability": true, "ChangeConfiguration": true,
	"ClearCache": true, "ClearChargingProfile": true, "DataTransfer": true, "DeleteCertificate": true,
	"ExtendedTriggerMessage": true, "GetCompositeSchedule": true, "GetConfiguration": true, "GetDiagnostics": true,
	"GetInstalledCertificateIds": true, "GetLocalListVersion": true, "GetLog": true, "InstallCertificate": true,
	"RemoteStartTransaction": true, "RemoteStopTransaction": true, "ReserveNow": true, "Reset": true,
	"SendLocalList": true, "SetChargingProfile": true, "SignedUpdateFirmware": true, "TriggerMessage": true,
	"UnlockConnector": true, "UpdateFirmware": true,
}

// HandleCall answers one CALL from the charger. Errors are *ocppj.Error
// (validation, unknown action) or domain errors, mapped once here.
func (s *Station) HandleCall(ctx context.Context, action string, payload json.RawMessage) (any, error) {
	if err := s.gate(ctx, action); err != nil {
		return nil, err
	}
	req, verr := DecodeRequest(action, payload)
	if verr != nil {
		if verr.Code == ocppj.NotImplemented && csmsActions[action] && action != "DataTransfer" {
			return nil, ocppj.Errorf(ocppj.NotSupported, "%s is sent by the Central System, not by a Charge Point", action)
		}
		return nil, verr
	}
	resp, err := s.handle(ctx, req)
	if err != nil {
		return nil, ocppdomain.CallError(action, err)
	}
	return resp, nil
}

func (s *Station) handle(ctx context.Context, req any) (any, error) {
	switch r := req.(type) {
	case *BootNotificationRequest:
		return s.bootNotification(ctx, r)
	case *HeartbeatRequest:
		now, err := s.events.Heartbeat(ctx, s.id)
		return &HeartbeatResponse{CurrentTime: now.UTC()}, err
	case *StatusNotificationRequest:
		return s.statusNotification(ctx, r)
	case *AuthorizeRequest:
		info, err := s.events.Authorize(ctx, s.id, r.IDTag)
		return &AuthorizeResponse{IDTagInfo: idTagInfo(info)}, err
	case *StartTransactionRequest:
		return s.startTransaction(ctx, r)
	case *MeterValuesRequest:
		return s.meterValues(ctx, r)
	case *StopTransactionRequest:
		return s.stopTransaction(ctx, r)
	case *DataTransferRequest:
		res, err := s.events.DataTransfer(ctx, s.id, charging.DataTransfer{VendorID: r.VendorID, MessageID: deref(r.MessageID), Data: deref(r.Data)})
		if err != nil {
			return nil, err
		}
		out := &DataTransferResponse{Status: DataTransferStatus(res.Status)}
		if res.Data != "" {
			out.Data = &res.Data
		}
		return out, nil
	case *DiagnosticsStatusNotificationRequest:
		return &DiagnosticsStatusNotificationResponse{}, s.events.DiagnosticsStatus(ctx, s.id, string(r.Status))
	case *FirmwareStatusNotificationRequest:
		return &FirmwareStatusNotificationResponse{}, s.events.FirmwareStatus(ctx, s.id, string(r.Status))
	// The Security Extension (station_security.go).
	case *SignCertificateRequest:
		return s.signCertificate(ctx, r)
	case *SecurityEventNotificationRequest:
		return s.securityEvent(ctx, r)
	case *LogStatusNotificationRequest:
		return &LogStatusNotificationResponse{}, s.events.LogStatus(ctx, s.id, string(r.Status), deref(r.RequestID))
	case *SignedFirmwareStatusNotificationRequest:
		return &SignedFirmwareStatusNotificationResponse{}, s.events.SignedFirmwareStatus(ctx, s.id, string(r.Status), deref(r.RequestID))
	}
	return nil, ocppj.Errorf(ocppj.NotSupported, "Joule does not handle %T yet", req)
}

func (s *Station) bootNotification(ctx context.Context, r *BootNotificationRequest) (any, error) {
	serial := deref(r.ChargePointSerialNumber)
	if serial == "" {
		serial = deref(r.ChargeBoxSerialNumber)
	}
	res, err := s.events.Booted(ctx, s.id, charging.BootInfo{
		Vendor: r.ChargePointVendor, Model: r.ChargePointModel, SerialNumber: serial,
		FirmwareVersion: deref(r.FirmwareVersion), ICCID: deref(r.Iccid), IMSI: deref(r.Imsi),
		MeterType: deref(r.MeterType), MeterSerialNumber: deref(r.MeterSerialNumber),
	})
	if err != nil {
		return nil, err
	}
	s.setRegistration(res.Status)
	return &BootNotificationResponse{
		Status:      RegistrationStatus(res.Status),
		CurrentTime: res.Now.UTC(),
		Interval:    int(res.Interval / time.Second),
	}, nil
}

func (s *Station) statusNotification(ctx context.Context, r *StatusNotificationRequest) (any, error) {
	rep := charging.StatusReport{
		ConnectorID: r.ConnectorID, Status: charging.ConnectorStatus(r.Status), ErrorCode: string(r.ErrorCode),
		Info: deref(r.Info), VendorErrorCode: deref(r.VendorErrorCode),
	}
	if r.Timestamp != nil {
		rep.Timestamp = r.Timestamp.UTC()
	}
	return &StatusNotificationResponse{}, s.events.StatusChanged(ctx, s.id, rep)
}

func (s *Station) startTransaction(ctx context.Context, r *StartTransactionRequest) (any, error) {
	t := charging.TransactionStart{
		ConnectorID: r.ConnectorID, IDTag: r.IDTag, MeterStartWh: float64(r.MeterStart), Timestamp: r.Timestamp.UTC(),
	}
	if r.ReservationID != nil {
		t.ReservationID = *r.ReservationID
	}
	res, err := s.events.TransactionStarted(ctx, s.id, t)
	if err != nil {
		return nil, err
	}
	tx, err := strconv.Atoi(res.TransactionID)
	if err != nil {
		return nil, fmt.Errorf("transaction id %q is not a 1.6 integer: %w", res.TransactionID, err)
	}
	return &StartTransactionResponse{TransactionID: tx, IDTagInfo: idTagInfo(res.IDTagInfo)}, nil
}

func (s *Station) meterValues(ctx context.Context, r *MeterValuesRequest) (any, error) {
	rep := charging.MeterReport{ConnectorID: r.ConnectorID, Samples: samples(r.MeterValue)}
	if r.TransactionID != nil {
		rep.TransactionID = strconv.Itoa(*r.TransactionID)
	}
	if err := s.events.MeterValues(ctx, s.id, rep); err != nil {
		return nil, err
	}
	return &MeterValuesResponse{}, nil
}

func (s *Station) stopTransaction(ctx context.Context, r *StopTransactionRequest) (any, error) {
	info, err := s.events.TransactionStopped(ctx, s.id, charging.TransactionStop{
		TransactionID: strconv.Itoa(r.TransactionID), IDTag: deref(r.IDTag),
		MeterStopWh: float64(r.MeterStop), Timestamp: r.Timestamp.UTC(),
		Reason: string(deref(r.Reason)), Samples: samples(r.TransactionData),
		ReasonUnstated: s.noStopReason && r.Reason == nil,
	})
	if err != nil {
		return nil, err
	}
	out := &StopTransactionResponse{}
	if r.IDTag != nil {
		ti := idTagInfo(info)
		out.IDTagInfo = &ti
	}
	return out, nil
}

func idTagInfo(i charging.IDTagInfo) IDTagInfo {
	out := IDTagInfo{Status: AuthorizationStatus(i.Status), ExpiryDate: i.ExpiryDate}
	if i.ParentIDTag != "" {
		p := i.ParentIDTag
		out.ParentIDTag = &p
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
