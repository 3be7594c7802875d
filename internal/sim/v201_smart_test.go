package sim_test

import (
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/sim"
)

// TestV201ReservationsAndProfiles: a 2.0.1 station holds a reservation
// (Reserved) until it is cancelled, and applies a station maximum profile
// in its composite schedule until the profile is cleared.
func TestV201ReservationsAndProfiles(t *testing.T) {
	f := newFakeCSMS201(t)
	startSim201(t, f, sim.Config{ID: "CP-1", Connectors: 2, MaxPowerW: 22000})
	waitFor(t, f, "CP-1", "EVSE 1 Available", evStatus(1, ocpp201.ConnectorStatusEnumAvailable))

	reserve := func(evse *int) ocpp201.ReserveNowStatusEnum {
		return mustCall[ocpp201.ReserveNowResponse](t, f, "CP-1", "ReserveNow", &ocpp201.ReserveNowRequest{
			ID: 5, ExpiryDateTime: time.Now().Add(time.Hour).UTC(), EvseID: evse,
			IDToken: ocpp201.IDToken{IDToken: "ALICE", Type: ocpp201.IDTokenEnumCentral}}).Status
	}
	if got := reserve(nil); got != ocpp201.ReserveNowStatusEnumRejected {
		t.Errorf("ReserveNow without an EVSE = %s, want Rejected (not supported)", got)
	}
	if got := reserve(intp(1)); got != ocpp201.ReserveNowStatusEnumAccepted {
		t.Fatalf("ReserveNow EVSE 1 = %s, want Accepted", got)
	}
	waitFor(t, f, "CP-1", "EVSE 1 Reserved", evStatus(1, ocpp201.ConnectorStatusEnumReserved))
	if got := mustCall[ocpp201.CancelReservationResponse](t, f, "CP-1", "CancelReservation", &ocpp201.CancelReservationRequest{ReservationID: 5}).Status; got != ocpp201.CancelReservationStatusEnumAccepted {
		t.Errorf("CancelReservation = %s, want Accepted", got)
	}
	waitFor(t, f, "CP-1", "EVSE 1 Available again", evStatus(1, ocpp201.ConnectorStatusEnumAvailable))

	set := func(evse int, p ocpp201.ChargingProfile) ocpp201.ChargingProfileStatusEnum {
		return mustCall[ocpp201.SetChargingProfileResponse](t, f, "CP-1", "SetChargingProfile", &ocpp201.SetChargingProfileRequest{EvseID: evse, ChargingProfile: p}).Status
	}
	maxProfile := ocpp201.ChargingProfile{ID: 3, StackLevel: 0, ChargingProfilePurpose: ocpp201.ChargingProfilePurposeEnumChargingStationMaxProfile,
		ChargingProfileKind: ocpp201.ChargingProfileKindEnumRelative, ChargingSchedule: []ocpp201.ChargingSchedule{{ID: 1, ChargingRateUnit: ocpp201.ChargingRateUnitEnumW,
			ChargingSchedulePeriod: []ocpp201.ChargingSchedulePeriod{{StartPeriod: 0, Limit: 7400}}}}}
	if got := set(1, maxProfile); got != ocpp201.ChargingProfileStatusEnumRejected {
		t.Errorf("station max profile on EVSE 1 = %s, want Rejected", got)
	}
	tx := maxProfile
	tx.ID, tx.ChargingProfilePurpose, tx.TransactionID = 4, ocpp201.ChargingProfilePurposeEnumTxProfile, ptr("no-such-tx")
	if got := set(1, tx); got != ocpp201.ChargingProfileStatusEnumRejected {
		t.Errorf("TxProfile without that transaction = %s, want Rejected", got)
	}
	if got := set(0, maxProfile); got != ocpp201.ChargingProfileStatusEnumAccepted {
		t.Fatalf("station max profile = %s, want Accepted", got)
	}
	cs := mustCall[ocpp201.GetCompositeScheduleResponse](t, f, "CP-1", "GetCompositeSchedule", &ocpp201.GetCompositeScheduleRequest{EvseID: 1, Duration: 600})
	if cs.Status != ocpp201.GenericStatusEnumAccepted || cs.Schedule == nil || cs.Schedule.EvseID != 1 || cs.Schedule.Duration != 600 ||
		len(cs.Schedule.ChargingSchedulePeriod) != 1 || cs.Schedule.ChargingSchedulePeriod[0].Limit != 7400 {
		t.Errorf("composite schedule = %+v, want Accepted, one period of 7400 W", cs)
	}
	clear := func(req *ocpp201.ClearChargingProfileRequest) ocpp201.ClearChargingProfileStatusEnum {
		return mustCall[ocpp201.ClearChargingProfileResponse](t, f, "CP-1", "ClearChargingProfile", req).Status
	}
	if got := clear(&ocpp201.ClearChargingProfileRequest{ChargingProfileCriteria: &ocpp201.ClearChargingProfile{
		ChargingProfilePurpose: ptr(ocpp201.ChargingProfilePurposeEnumTxDefaultProfile)}}); got != ocpp201.ClearChargingProfileStatusEnumUnknown {
		t.Errorf("clear TxDefaultProfiles = %s, want Unknown (none)", got)
	}
	if got := clear(&ocpp201.ClearChargingProfileRequest{ChargingProfileID: intp(3)}); got != ocpp201.ClearChargingProfileStatusEnumAccepted {
		t.Errorf("clear profile 3 = %s, want Accepted", got)
	}
	cs = mustCall[ocpp201.GetCompositeScheduleResponse](t, f, "CP-1", "GetCompositeSchedule", &ocpp201.GetCompositeScheduleRequest{EvseID: 1, Duration: 600})
	if cs.Schedule == nil || cs.Schedule.ChargingSchedulePeriod[0].Limit != 22000 {
		t.Errorf("composite schedule after clearing = %+v, want the station's 22000 W", cs.Schedule)
	}
}
