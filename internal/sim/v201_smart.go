package sim

import (
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
)

// Reservations (H01, H02) and smart charging (K01, K08, K10) for the 2.0.1
// simulator. They run on the 1.6 simulator's state and rules (one
// reservation per EVSE, the same profile stack and composite schedule):
// each request is translated to its 1.6 twin and the answer back, as
// changeAvailability201 does. Limits: a reservation needs an evseId (a
// reservation of "any EVSE" or a connectorType is Rejected), profiles keep
// their first chargingSchedule only, and ChargingStationExternalConstraints
// profiles are Rejected.

// handleSmart201 answers the actions of this file; ok is false for others.
func (c *Charger) handleSmart201(req any) (resp any, ok bool) {
	switch r := req.(type) {
	case *ocpp201.ReserveNowRequest:
		return c.reserveNow201(r), true
	case *ocpp201.CancelReservationRequest:
		resp := c.cancelReservation(&ocpp16.CancelReservationRequest{ReservationID: r.ReservationID})
		return &ocpp201.CancelReservationResponse{Status: ocpp201.CancelReservationStatusEnum(resp.Status)}, true
	case *ocpp201.SetChargingProfileRequest:
		return c.setChargingProfile201(r), true
	case *ocpp201.ClearChargingProfileRequest:
		return c.clearChargingProfile201(r), true
	case *ocpp201.GetCompositeScheduleRequest:
		return c.compositeSchedule201(r), true
	}
	return nil, false
}

func (c *Charger) reserveNow201(r *ocpp201.ReserveNowRequest) *ocpp201.ReserveNowResponse {
	if r.EvseID == nil || *r.EvseID == 0 || r.ConnectorType != nil {
		c.log.Info("reserve now rejected: only reservations of a given EVSE are supported", "reservation", r.ID)
		return &ocpp201.ReserveNowResponse{Status: ocpp201.ReserveNowStatusEnumRejected}
	}
	req := &ocpp16.ReserveNowRequest{ConnectorID: *r.EvseID, ExpiryDate: r.ExpiryDateTime, IDTag: r.IDToken.IDToken, ReservationID: r.ID}
	if r.GroupIDToken != nil {
		req.ParentIDTag = ptr(r.GroupIDToken.IDToken)
	}
	return &ocpp201.ReserveNowResponse{Status: ocpp201.ReserveNowStatusEnum(c.reserveNow(req).Status)}
}

// purpose16 maps 2.0.1 profile purposes to the simulator's (1.6) ones.
var purpose16 = map[ocpp201.ChargingProfilePurposeEnum]ocpp16.ChargingProfilePurpose{
	ocpp201.ChargingProfilePurposeEnumChargingStationMaxProfile: ocpp16.ChargingProfilePurposeChargePointMaxProfile,
	ocpp201.ChargingProfilePurposeEnumTxDefaultProfile:          ocpp16.ChargingProfilePurposeTxDefaultProfile,
	ocpp201.ChargingProfilePurposeEnumTxProfile:                 ocpp16.ChargingProfilePurposeTxProfile,
}

func (c *Charger) setChargingProfile201(r *ocpp201.SetChargingProfileRequest) *ocpp201.SetChargingProfileResponse {
	rejected := &ocpp201.SetChargingProfileResponse{Status: ocpp201.ChargingProfileStatusEnumRejected}
	p := r.ChargingProfile
	purpose, ok := purpose16[p.ChargingProfilePurpose]
	if !ok || len(p.ChargingSchedule) == 0 {
		return rejected
	}
	if purpose == ocpp16.ChargingProfilePurposeTxProfile {
		// 2.0.1 transaction ids are the station's strings; the 1.6 rules
		// compare integers, so the binding is checked here.
		c.mu.Lock()
		cn := c.connector(r.EvseID)
		bound := cn != nil && cn.tx != nil && cn.tx.v2 != nil && (p.TransactionID == nil || *p.TransactionID == cn.tx.v2.id)
		c.mu.Unlock()
		if !bound {
			return rejected
		}
	}
	cp := profile16(p, purpose)
	resp := c.setChargingProfile(&ocpp16.SetChargingProfileRequest{ConnectorID: r.EvseID, CsChargingProfiles: cp})
	if resp.Status != ocpp16.ChargingProfileStatusAccepted {
		return rejected
	}
	return &ocpp201.SetChargingProfileResponse{Status: ocpp201.ChargingProfileStatusEnumAccepted}
}

// profile16 translates a 2.0.1 profile with at least one schedule into
// the simulator's (1.6) form, with purpose; its first schedule only.
func profile16(p ocpp201.ChargingProfile, purpose ocpp16.ChargingProfilePurpose) ocpp16.ChargingProfile {
	sch := p.ChargingSchedule[0]
	cp := ocpp16.ChargingProfile{
		ChargingProfileID: p.ID, StackLevel: p.StackLevel, ChargingProfilePurpose: purpose,
		ChargingProfileKind: ocpp16.ChargingProfileKind(p.ChargingProfileKind), ValidFrom: p.ValidFrom, ValidTo: p.ValidTo,
		ChargingSchedule: ocpp16.ChargingSchedule{Duration: sch.Duration, StartSchedule: sch.StartSchedule,
			ChargingRateUnit: ocpp16.ChargingRateUnit(sch.ChargingRateUnit), MinChargingRate: sch.MinChargingRate},
	}
	if p.RecurrencyKind != nil {
		cp.RecurrencyKind = ptr(ocpp16.RecurrencyKind(*p.RecurrencyKind))
	}
	for _, per := range sch.ChargingSchedulePeriod {
		cp.ChargingSchedule.ChargingSchedulePeriod = append(cp.ChargingSchedule.ChargingSchedulePeriod,
			ocpp16.ChargingSchedulePeriod{StartPeriod: per.StartPeriod, Limit: per.Limit, NumberPhases: per.NumberPhases})
	}
	return cp
}

func (c *Charger) clearChargingProfile201(r *ocpp201.ClearChargingProfileRequest) *ocpp201.ClearChargingProfileResponse {
	req := &ocpp16.ClearChargingProfileRequest{ID: r.ChargingProfileID}
	if cr := r.ChargingProfileCriteria; cr != nil && r.ChargingProfileID == nil {
		req.ConnectorID, req.StackLevel = cr.EvseID, cr.StackLevel
		if cr.ChargingProfilePurpose != nil {
			p, ok := purpose16[*cr.ChargingProfilePurpose]
			if !ok {
				return &ocpp201.ClearChargingProfileResponse{Status: ocpp201.ClearChargingProfileStatusEnumUnknown}
			}
			req.ChargingProfilePurpose = &p
		}
	}
	resp := c.clearChargingProfile(req)
	return &ocpp201.ClearChargingProfileResponse{Status: ocpp201.ClearChargingProfileStatusEnum(resp.Status)}
}

func (c *Charger) compositeSchedule201(r *ocpp201.GetCompositeScheduleRequest) *ocpp201.GetCompositeScheduleResponse {
	req := &ocpp16.GetCompositeScheduleRequest{ConnectorID: r.EvseID, Duration: r.Duration}
	if r.ChargingRateUnit != nil {
		req.ChargingRateUnit = ptr(ocpp16.ChargingRateUnit(*r.ChargingRateUnit))
	}
	resp := c.compositeSchedule(req)
	if resp.Status != ocpp16.GetCompositeScheduleStatusAccepted || resp.ChargingSchedule == nil || resp.ScheduleStart == nil {
		return &ocpp201.GetCompositeScheduleResponse{Status: ocpp201.GenericStatusEnumRejected}
	}
	sch := resp.ChargingSchedule
	out := &ocpp201.CompositeSchedule{EvseID: r.EvseID, Duration: r.Duration, ScheduleStart: *resp.ScheduleStart,
		ChargingRateUnit: ocpp201.ChargingRateUnitEnum(sch.ChargingRateUnit)}
	for _, per := range sch.ChargingSchedulePeriod {
		out.ChargingSchedulePeriod = append(out.ChargingSchedulePeriod,
			ocpp201.ChargingSchedulePeriod{StartPeriod: per.StartPeriod, Limit: per.Limit, NumberPhases: per.NumberPhases})
	}
	return &ocpp201.GetCompositeScheduleResponse{Status: ocpp201.GenericStatusEnumAccepted, Schedule: out}
}
