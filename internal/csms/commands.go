package csms

import (
	"context"
	"encoding/json"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// stations returns the typed commander for a connected charger.
func (s *Service) stations(chargerID string) (charging.StationCommander, error) {
	sc, ok := s.cmd.(charging.StationCommander)
	if !ok {
		return nil, charging.Errorf(charging.EINVALID, "this node cannot send station-management commands")
	}
	if !s.cmd.Connected(chargerID) {
		return nil, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", chargerID)
	}
	return sc, nil
}

// record sends a command through send and keeps it in the command
// history: a pending record before it goes out, then the answer (resp, as
// JSON) or the failure, with its timing. The requester comes from ctx
// (charging.RequestedBy). It returns the record's id.
func (s *Service) record(ctx context.Context, chargerID, action string, req any, send func(context.Context) (any, error)) (string, error) {
	rec, err := s.newRecord(ctx, chargerID, action, req)
	if err != nil {
		return "", err
	}
	if err := s.store.SaveCommand(ctx, rec); err != nil {
		return "", err
	}
	return rec.ID, s.sendRecorded(ctx, &rec, send)
}

// newRecord is the pending record of a command about to be sent.
func (s *Service) newRecord(ctx context.Context, chargerID, action string, req any) (charging.CommandRecord, error) {
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return charging.CommandRecord{}, err
	}
	return charging.CommandRecord{
		ID: newID(), ChargerID: chargerID, Action: action, Request: reqJSON,
		Status: charging.ResultPending, RequestedBy: charging.RequestedBy(ctx), RequestedAt: s.utcNow(),
	}, nil
}

// sendRecorded sends a command whose pending record is durable, then
// records its answer.
func (s *Service) sendRecorded(ctx context.Context, rec *charging.CommandRecord, send func(context.Context) (any, error)) error {
	start := time.Now()
	resp, sendErr := send(ctx)
	s.finish(ctx, rec, start, resp, sendErr)
	return sendErr
}

// finish records a command's answer or failure. A failure to record is
// logged, not returned: the command itself went out and was answered.
func (s *Service) finish(ctx context.Context, rec *charging.CommandRecord, start time.Time, resp any, sendErr error) {
	s.settle(rec, start, resp, sendErr)
	if err := s.store.SaveCommand(context.WithoutCancel(ctx), *rec); err != nil {
		s.log.Error("record command answer", "charger", rec.ChargerID, "action", rec.Action, "err", err)
	}
}

// settle fills in a command record's answer or failure.
func (s *Service) settle(rec *charging.CommandRecord, start time.Time, resp any, sendErr error) {
	now := s.utcNow()
	rec.DurationMs = time.Since(start).Milliseconds()
	switch charging.ErrorCode(sendErr) {
	case "":
		rec.Status = charging.ResultAnswered
		rec.AnsweredAt = &now
		if raw, ok := resp.(json.RawMessage); ok {
			rec.Response = raw
		} else if b, err := json.Marshal(resp); err == nil {
			rec.Response = b
		}
	case charging.ETIMEOUT:
		rec.Status, rec.Error = charging.ResultTimeout, charging.ErrorMessage(sendErr)
	case charging.EREJECTED:
		rec.Status, rec.Error = charging.ResultCallError, charging.ErrorMessage(sendErr)
		rec.AnsweredAt = &now
	default:
		rec.Status, rec.Error = charging.ResultFailed, charging.ErrorMessage(sendErr)
	}
}

// statusOf wraps a command's status as its recorded answer.
type statusAnswer struct {
	Status charging.CommandStatus `json:"status"`
}

// simple sends a command whose answer is a status, recorded under action.
func (s *Service) simple(ctx context.Context, chargerID, action string, req any, send func(context.Context, charging.StationCommander) (charging.CommandStatus, error)) (charging.CommandOutcome, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.CommandOutcome{}, err
	}
	sc, err := s.stations(chargerID)
	if err != nil {
		return charging.CommandOutcome{}, err
	}
	var status charging.CommandStatus
	id, err := s.record(ctx, chargerID, action, req, func(ctx context.Context) (any, error) {
		st, err := send(ctx, sc)
		status = st
		return statusAnswer{st}, err
	})
	return charging.CommandOutcome{CommandID: id, Status: status}, err
}

// ListCommands returns a charger's command history, newest first.
func (s *Service) ListCommands(ctx context.Context, q charging.CommandQuery) (charging.Page[charging.CommandRecord], error) {
	if _, err := s.store.GetCharger(ctx, q.ChargerID); err != nil {
		return charging.Page[charging.CommandRecord]{}, err
	}
	return s.store.ListCommands(ctx, q)
}

// Reset asks a charger to reboot (Hard) or to restart its software (Soft).
func (s *Service) Reset(ctx context.Context, chargerID string, hard bool) (charging.CommandOutcome, error) {
	typ := "Soft"
	if hard {
		typ = "Hard"
	}
	return s.simple(ctx, chargerID, "Reset", map[string]string{"type": typ}, func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
		return sc.Reset(ctx, chargerID, hard)
	})
}

// UnlockConnector asks a charger to unlock a connector.
func (s *Service) UnlockConnector(ctx context.Context, chargerID string, connectorID int) (charging.CommandOutcome, error) {
	if connectorID < 1 {
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "connectorId must be 1 or more, got %d", connectorID)
	}
	return s.simple(ctx, chargerID, "UnlockConnector", map[string]int{"connectorId": connectorID}, func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
		return sc.UnlockConnector(ctx, chargerID, connectorID)
	})
}

// ChangeAvailability makes a connector (0: the charger) operative or not;
// a connector with a transaction answers Scheduled and changes when it ends.
func (s *Service) ChangeAvailability(ctx context.Context, chargerID string, connectorID int, operative bool) (charging.CommandOutcome, error) {
	if connectorID < 0 {
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "connectorId must be 0 (the charger) or more, got %d", connectorID)
	}
	typ := "Inoperative"
	if operative {
		typ = "Operative"
	}
	return s.simple(ctx, chargerID, "ChangeAvailability", map[string]any{"connectorId": connectorID, "type": typ}, func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
		return sc.ChangeAvailability(ctx, chargerID, connectorID, operative)
	})
}

// triggerable lists the messages a 1.6 TriggerMessage may request.
var triggerable = map[string]bool{
	"BootNotification": true, "DiagnosticsStatusNotification": true, "FirmwareStatusNotification": true,
	"Heartbeat": true, "MeterValues": true, "StatusNotification": true,
}

// TriggerMessage asks a charger to send a message now; connectorID 0 means
// none given (all connectors, or the charger).
func (s *Service) TriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandOutcome, error) {
	if !triggerable[message] {
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "requestedMessage must be one of BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification, Heartbeat, MeterValues, StatusNotification; got %q", message)
	}
	if connectorID < 0 {
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "connectorId must be 0 or more, got %d", connectorID)
	}
	req := map[string]any{"requestedMessage": message}
	if connectorID > 0 {
		req["connectorId"] = connectorID
	}
	return s.simple(ctx, chargerID, "TriggerMessage", req, func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
		return sc.TriggerMessage(ctx, chargerID, message, connectorID)
	})
}

// CommandAnswered applies a generic command's answer to the domain, as the
// typed command would (charging.CommandEvents).
func (s *Service) CommandAnswered(ctx context.Context, chargerID string, a charging.AnsweredCommand) error {
	switch a.Action {
	case "ReserveNow":
		return s.reserveAnswered(ctx, chargerID, *a.Reservation, a.Status)
	case "CancelReservation":
		if a.Status == string(charging.CommandAccepted) {
			return s.setReservationStatus(ctx, a.ReservationID, chargerID, charging.ReservationCancelled, "")
		}
	case "SetChargingProfile":
		if a.Status == string(charging.CommandAccepted) {
			return s.installed(ctx, chargerID, a.ConnectorID, *a.Profile)
		}
	case "ClearChargingProfile":
		if a.Status == string(charging.CommandAccepted) {
			_, err := s.store.UninstallProfiles(ctx, chargerID, *a.Filter)
			return err
		}
	case "GetConfiguration":
		return s.saveConfiguration(ctx, chargerID, *a.Configuration, len(a.Keys) == 0)
	case "ChangeConfiguration":
		return s.configurationChanged(ctx, chargerID, a.Key, a.Value, a.Status)
	case "SendLocalList":
		return s.localListAnswered(ctx, chargerID, *a.LocalList, a.Status)
	case "GetLocalListVersion":
		return s.store.SaveReportedLocalListVersion(ctx, chargerID, a.ListVersion, s.utcNow())
	}
	return nil
}

var _ charging.CommandEvents = (*Service)(nil)

// commandRecorded sends a generic command and records it with the OCPP
// payloads as given and answered.
func (s *Service) commandRecorded(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error) {
	rec := charging.CommandRecord{
		ID: newID(), ChargerID: chargerID, Action: action, Request: payload,
		Status: charging.ResultPending, RequestedBy: charging.RequestedBy(ctx), RequestedAt: s.utcNow(),
	}
	if err := s.store.SaveCommand(ctx, rec); err != nil {
		return charging.CommandResult{}, err
	}
	start := time.Now()
	res, err := s.cmd.Command(ctx, chargerID, action, payload)
	if err != nil {
		s.finish(ctx, &rec, start, nil, err)
		return res, err
	}
	rec.DurationMs = time.Since(start).Milliseconds()
	rec.Status = res.Status
	now := s.utcNow()
	switch res.Status {
	case charging.ResultAnswered:
		rec.Response, rec.AnsweredAt = res.Response, &now
	case charging.ResultCallError:
		rec.AnsweredAt = &now
		if res.Error != nil {
			rec.Error = res.Error.Code + ": " + res.Error.Description
		}
	case charging.ResultTimeout:
		rec.Error = "the charger did not answer in time"
	}
	if err := s.store.SaveCommand(context.WithoutCancel(ctx), rec); err != nil {
		s.log.Error("record command answer", "charger", chargerID, "action", action, "err", err)
	}
	return res, nil
}

// remoteStartRequest is what the command history shows of a remote start.
func remoteStartRequest(r charging.RemoteStart) map[string]any {
	req := map[string]any{"idTag": r.IDTag}
	if r.ConnectorID > 0 {
		req["connectorId"] = r.ConnectorID
	}
	if r.Profile != nil {
		req["chargingProfileId"] = r.Profile.ID
	} else if len(r.ChargingProfile) > 0 {
		req["chargingProfile"] = r.ChargingProfile
	}
	return req
}

// sendRemoteStart sends a remote start whose pending record is durable.
func (s *Service) sendRemoteStart(ctx context.Context, rec *charging.CommandRecord, r charging.RemoteStart) (charging.CommandStatus, error) {
	var status charging.CommandStatus
	err := s.sendRecorded(ctx, rec, func(ctx context.Context) (any, error) {
		st, err := s.cmd.RemoteStart(ctx, rec.ChargerID, r)
		status = st
		return statusAnswer{st}, err
	})
	return status, err
}

// remoteStop sends a recorded RemoteStopTransaction.
func (s *Service) remoteStop(ctx context.Context, chargerID, transactionID string) (charging.CommandStatus, error) {
	var status charging.CommandStatus
	_, err := s.record(ctx, chargerID, "RemoteStopTransaction", map[string]string{"transactionId": transactionID}, func(ctx context.Context) (any, error) {
		st, err := s.cmd.RemoteStop(ctx, chargerID, transactionID)
		status = st
		return statusAnswer{st}, err
	})
	return status, err
}
