package ocpp16

import (
	"context"
	"strconv"

	"github.com/joule-ev/joule/internal/charging"
)

// This file implements the typed station-management commands of
// charging.StationCommander for 1.6 chargers. Requests are built from domain
// values, checked against the 1.6 schema before they go out, and the typed
// answer is translated back. Domain bookkeeping for them happens in csms,
// which called them; generic commands are booked through answered().

// Reset sends Reset Hard or Soft.
func (s *Station) Reset(ctx context.Context, hard bool) (charging.CommandStatus, error) {
	req := &ResetRequest{Type: ResetTypeSoft}
	if hard {
		req.Type = ResetTypeHard
	}
	resp, err := call[ResetResponse](ctx, s, "Reset", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// UnlockConnector sends UnlockConnector.
func (s *Station) UnlockConnector(ctx context.Context, connectorID int) (charging.CommandStatus, error) {
	resp, err := call[UnlockConnectorResponse](ctx, s, "UnlockConnector", &UnlockConnectorRequest{ConnectorID: connectorID})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// ChangeAvailability sends ChangeAvailability Operative or Inoperative.
func (s *Station) ChangeAvailability(ctx context.Context, connectorID int, operative bool) (charging.CommandStatus, error) {
	req := &ChangeAvailabilityRequest{ConnectorID: connectorID, Type: AvailabilityTypeInoperative}
	if operative {
		req.Type = AvailabilityTypeOperative
	}
	resp, err := call[ChangeAvailabilityResponse](ctx, s, "ChangeAvailability", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// GetConfiguration sends GetConfiguration.
func (s *Station) GetConfiguration(ctx context.Context, keys []string) (charging.ConfigurationReport, error) {
	resp, err := call[GetConfigurationResponse](ctx, s, "GetConfiguration", &GetConfigurationRequest{Key: keys})
	if err != nil {
		return charging.ConfigurationReport{}, err
	}
	return configurationReport(resp), nil
}

func configurationReport(resp *GetConfigurationResponse) charging.ConfigurationReport {
	out := charging.ConfigurationReport{Keys: make([]charging.ConfigurationKey, 0, len(resp.ConfigurationKey)), UnknownKeys: resp.UnknownKey}
	for _, k := range resp.ConfigurationKey {
		out.Keys = append(out.Keys, charging.ConfigurationKey{Key: k.Key, Value: k.Value, Readonly: k.Readonly})
	}
	return out
}

// ChangeConfiguration sends ChangeConfiguration.
func (s *Station) ChangeConfiguration(ctx context.Context, key, value string) (charging.CommandStatus, error) {
	resp, err := call[ChangeConfigurationResponse](ctx, s, "ChangeConfiguration", &ChangeConfigurationRequest{Key: key, Value: value})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// TriggerMessage sends TriggerMessage; connectorID 0 sends none.
func (s *Station) TriggerMessage(ctx context.Context, message string, connectorID int) (charging.CommandStatus, error) {
	req := &TriggerMessageRequest{RequestedMessage: MessageTrigger(message)}
	if connectorID > 0 {
		req.ConnectorID = &connectorID
	}
	resp, err := call[TriggerMessageResponse](ctx, s, "TriggerMessage", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// ReserveNow sends ReserveNow.
func (s *Station) ReserveNow(ctx context.Context, r charging.Reservation) (charging.CommandStatus, error) {
	req := &ReserveNowRequest{ConnectorID: r.ConnectorID, ExpiryDate: r.ExpiresAt.UTC(), IDTag: r.IDTag, ReservationID: r.ID}
	if r.ParentIDTag != "" {
		p := r.ParentIDTag
		req.ParentIDTag = &p
	}
	resp, err := call[ReserveNowResponse](ctx, s, "ReserveNow", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// CancelReservation sends CancelReservation.
func (s *Station) CancelReservation(ctx context.Context, reservationID int) (charging.CommandStatus, error) {
	resp, err := call[CancelReservationResponse](ctx, s, "CancelReservation", &CancelReservationRequest{ReservationID: reservationID})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// SetChargingProfile sends SetChargingProfile.
func (s *Station) SetChargingProfile(ctx context.Context, connectorID int, p charging.ChargingProfile) (charging.CommandStatus, error) {
	cp, err := toProfile(p)
	if err != nil {
		return "", err
	}
	resp, err := call[SetChargingProfileResponse](ctx, s, "SetChargingProfile", &SetChargingProfileRequest{ConnectorID: connectorID, CsChargingProfiles: cp})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// ClearChargingProfile sends ClearChargingProfile.
func (s *Station) ClearChargingProfile(ctx context.Context, f charging.ProfileFilter) (charging.CommandStatus, error) {
	req := &ClearChargingProfileRequest{ConnectorID: f.ConnectorID, StackLevel: f.StackLevel}
	if f.ID != 0 {
		id := f.ID
		req.ID = &id
	}
	if f.Purpose != "" {
		p := ChargingProfilePurpose(f.Purpose)
		req.ChargingProfilePurpose = &p
	}
	resp, err := call[ClearChargingProfileResponse](ctx, s, "ClearChargingProfile", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// GetCompositeSchedule sends GetCompositeSchedule.
func (s *Station) GetCompositeSchedule(ctx context.Context, connectorID, durationS int, unit string) (charging.CompositeSchedule, error) {
	req := &GetCompositeScheduleRequest{ConnectorID: connectorID, Duration: durationS}
	if unit != "" {
		u := ChargingRateUnit(unit)
		req.ChargingRateUnit = &u
	}
	resp, err := call[GetCompositeScheduleResponse](ctx, s, "GetCompositeSchedule", req)
	if err != nil {
		return charging.CompositeSchedule{}, err
	}
	out := charging.CompositeSchedule{Status: string(resp.Status), ConnectorID: deref(resp.ConnectorID), ScheduleStart: resp.ScheduleStart}
	if resp.ChargingSchedule != nil {
		sch := fromSchedule(*resp.ChargingSchedule)
		out.Schedule = &sch
	}
	return out, nil
}

// toProfile converts a domain profile to 1.6's csChargingProfiles.
func toProfile(p charging.ChargingProfile) (ChargingProfile, error) {
	out := ChargingProfile{
		ChargingProfileID: p.ID, StackLevel: p.StackLevel,
		ChargingProfilePurpose: ChargingProfilePurpose(p.Purpose), ChargingProfileKind: ChargingProfileKind(p.Kind),
		ValidFrom: p.ValidFrom, ValidTo: p.ValidTo,
		ChargingSchedule: ChargingSchedule{
			Duration: p.Schedule.DurationS, StartSchedule: p.Schedule.StartSchedule,
			ChargingRateUnit: ChargingRateUnit(p.Schedule.RateUnit), MinChargingRate: p.Schedule.MinChargingRate,
		},
	}
	if p.RecurrencyKind != "" {
		k := RecurrencyKind(p.RecurrencyKind)
		out.RecurrencyKind = &k
	}
	if p.TransactionID != "" {
		tx, err := strconv.Atoi(p.TransactionID)
		if err != nil {
			return out, charging.Errorf(charging.EINVALID, "transaction id %q is not an OCPP 1.6 integer", p.TransactionID)
		}
		out.TransactionID = &tx
	}
	for _, per := range p.Schedule.Periods {
		out.ChargingSchedule.ChargingSchedulePeriod = append(out.ChargingSchedule.ChargingSchedulePeriod,
			ChargingSchedulePeriod{StartPeriod: per.StartPeriodS, Limit: per.Limit, NumberPhases: per.NumberPhases})
	}
	return out, nil
}

// ProfileJSON returns a domain profile in 1.6's JSON shape, for a
// RemoteStartTransaction's chargingProfile.
func ProfileJSON(p charging.ChargingProfile) ([]byte, error) {
	cp, err := toProfile(p)
	if err != nil {
		return nil, err
	}
	return mustJSON(cp), nil
}

// fromProfile converts 1.6's csChargingProfiles to a domain profile.
func fromProfile(p ChargingProfile) charging.ChargingProfile {
	out := charging.ChargingProfile{
		ID: p.ChargingProfileID, StackLevel: p.StackLevel, Purpose: string(p.ChargingProfilePurpose),
		Kind: string(p.ChargingProfileKind), RecurrencyKind: string(deref(p.RecurrencyKind)),
		ValidFrom: p.ValidFrom, ValidTo: p.ValidTo, Schedule: fromSchedule(p.ChargingSchedule),
	}
	if p.TransactionID != nil {
		out.TransactionID = strconv.Itoa(*p.TransactionID)
	}
	return out
}

func fromSchedule(s ChargingSchedule) charging.ChargingSchedule {
	out := charging.ChargingSchedule{DurationS: s.Duration, StartSchedule: s.StartSchedule, RateUnit: string(s.ChargingRateUnit), MinChargingRate: s.MinChargingRate}
	for _, per := range s.ChargingSchedulePeriod {
		out.Periods = append(out.Periods, charging.SchedulePeriod{StartPeriodS: per.StartPeriod, Limit: per.Limit, NumberPhases: per.NumberPhases})
	}
	return out
}

// answered reports a generic command's answer to the domain (through
// charging.CommandEvents, when the StationEvents implement it), so that it
// changes the domain as its typed twin does.
func (s *Station) answered(ctx context.Context, req, resp any) error {
	ce, ok := s.events.(charging.CommandEvents)
	if !ok {
		return nil
	}
	var a charging.AnsweredCommand
	switch r := req.(type) {
	case *ReserveNowRequest:
		a = charging.AnsweredCommand{Action: "ReserveNow", Status: string(resp.(*ReserveNowResponse).Status), Reservation: &charging.Reservation{
			ID: r.ReservationID, ChargerID: s.id, ConnectorID: r.ConnectorID, IDTag: r.IDTag, ParentIDTag: deref(r.ParentIDTag), ExpiresAt: r.ExpiryDate.UTC()}}
	case *CancelReservationRequest:
		a = charging.AnsweredCommand{Action: "CancelReservation", Status: string(resp.(*CancelReservationResponse).Status), ReservationID: r.ReservationID}
	case *SetChargingProfileRequest:
		p := fromProfile(r.CsChargingProfiles)
		a = charging.AnsweredCommand{Action: "SetChargingProfile", Status: string(resp.(*SetChargingProfileResponse).Status), ConnectorID: r.ConnectorID, Profile: &p}
	case *ClearChargingProfileRequest:
		f := charging.ProfileFilter{ID: deref(r.ID), ConnectorID: r.ConnectorID, Purpose: string(deref(r.ChargingProfilePurpose)), StackLevel: r.StackLevel}
		a = charging.AnsweredCommand{Action: "ClearChargingProfile", Status: string(resp.(*ClearChargingProfileResponse).Status), Filter: &f}
	case *GetConfigurationRequest:
		rep := configurationReport(resp.(*GetConfigurationResponse))
		a = charging.AnsweredCommand{Action: "GetConfiguration", Configuration: &rep, Keys: r.Key}
	case *ChangeConfigurationRequest:
		if isSecretKey(r.Key) {
			// A password sent as a generic command: the domain must not
			// store it as a configuration value (A01.FR.08/09).
			return nil
		}
		a = charging.AnsweredCommand{Action: "ChangeConfiguration", Status: string(resp.(*ChangeConfigurationResponse).Status), Key: r.Key, Value: r.Value}
	case *SendLocalListRequest:
		u := localListUpdate(r)
		a = charging.AnsweredCommand{Action: "SendLocalList", Status: string(resp.(*SendLocalListResponse).Status), LocalList: &u}
	case *GetLocalListVersionRequest:
		a = charging.AnsweredCommand{Action: "GetLocalListVersion", ListVersion: resp.(*GetLocalListVersionResponse).ListVersion}
	default:
		return nil
	}
	return ce.CommandAnswered(ctx, s.id, a)
}
