package httpapi_test

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// The station-management methods of fakeService: they answer errors
// injected by method name and otherwise small values of the shape the
// store gives (the answers are checked against the OpenAPI document).

func (f *fakeService) SaveIDTags(ctx context.Context, tags []charging.IDTag) ([]charging.IDTag, error) {
	for i := range tags {
		if tags[i].Status == "" {
			tags[i].Status = charging.AuthAccepted // the service's default
		}
	}
	return tags, f.fail("SaveIDTags")
}
func (f *fakeService) GetIDTag(ctx context.Context, idTag string) (charging.IDTag, error) {
	return charging.IDTag{IDTag: idTag, Status: charging.AuthAccepted}, f.fail("GetIDTag")
}
func (f *fakeService) ListIDTags(ctx context.Context, q charging.IDTagQuery) (charging.Page[charging.IDTag], error) {
	return charging.Page[charging.IDTag]{}, f.fail("ListIDTags")
}
func (f *fakeService) DeleteIDTag(ctx context.Context, idTag string) error {
	return f.fail("DeleteIDTag")
}
func (f *fakeService) ListCommands(ctx context.Context, q charging.CommandQuery) (charging.Page[charging.CommandRecord], error) {
	return charging.Page[charging.CommandRecord]{}, f.fail("ListCommands")
}
func (f *fakeService) Reset(ctx context.Context, chargerID string, hard bool) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: charging.CommandAccepted}, f.fail("Reset")
}
func (f *fakeService) UnlockConnector(ctx context.Context, chargerID string, connectorID int) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: "Unlocked"}, f.fail("UnlockConnector")
}
func (f *fakeService) ChangeAvailability(ctx context.Context, chargerID string, connectorID int, operative bool) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: charging.CommandAccepted}, f.fail("ChangeAvailability")
}
func (f *fakeService) TriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: charging.CommandAccepted}, f.fail("TriggerMessage")
}
func (f *fakeService) GetConfiguration(ctx context.Context, chargerID string) (charging.ChargerConfiguration, error) {
	return charging.ChargerConfiguration{ChargerID: chargerID}, f.fail("GetConfiguration")
}
func (f *fakeService) ReadConfiguration(ctx context.Context, chargerID string, keys []string) (charging.ChargerConfiguration, error) {
	return charging.ChargerConfiguration{ChargerID: chargerID}, f.fail("ReadConfiguration")
}
func (f *fakeService) ChangeConfiguration(ctx context.Context, chargerID, key, value string) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: charging.CommandAccepted}, f.fail("ChangeConfiguration")
}
func (f *fakeService) ListDesiredSettings(ctx context.Context, chargerID string) ([]charging.DesiredSetting, error) {
	return []charging.DesiredSetting{}, f.fail("ListDesiredSettings")
}
func (f *fakeService) SetDesiredSetting(ctx context.Context, chargerID, key, value string) (charging.DesiredSetting, error) {
	return charging.DesiredSetting{ChargerID: chargerID, Key: key, Value: value}, f.fail("SetDesiredSetting")
}
func (f *fakeService) DeleteDesiredSetting(ctx context.Context, chargerID, key string) error {
	return f.fail("DeleteDesiredSetting")
}
func (f *fakeService) Reserve(ctx context.Context, r httpapi.ReserveRequest) (charging.Reservation, error) {
	return charging.Reservation{ID: 1, ChargerID: r.ChargerID, ConnectorID: r.ConnectorID, IDTag: r.IDTag, ExpiresAt: r.ExpiresAt,
		Status: charging.ReservationActive, ChargerAnswer: "Accepted"}, f.fail("Reserve")
}
func (f *fakeService) GetReservation(ctx context.Context, id int) (charging.Reservation, error) {
	return charging.Reservation{ID: id, ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-1", Status: charging.ReservationActive}, f.fail("GetReservation")
}
func (f *fakeService) ListReservations(ctx context.Context, q charging.ReservationQuery) (charging.Page[charging.Reservation], error) {
	return charging.Page[charging.Reservation]{}, f.fail("ListReservations")
}
func (f *fakeService) CancelReservation(ctx context.Context, id int) (charging.Reservation, error) {
	return charging.Reservation{ID: id, ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG-1", Status: charging.ReservationCancelled}, f.fail("CancelReservation")
}
func (f *fakeService) SaveChargingProfile(ctx context.Context, p charging.ChargingProfile) (charging.ChargingProfile, error) {
	return p, f.fail("SaveChargingProfile")
}
func (f *fakeService) GetChargingProfile(ctx context.Context, id int) (charging.ChargingProfile, error) {
	return charging.ChargingProfile{ID: id, Purpose: "TxDefaultProfile", Kind: "Absolute",
		Schedule: charging.ChargingSchedule{RateUnit: "W", Periods: []charging.SchedulePeriod{{Limit: 11000}}}}, f.fail("GetChargingProfile")
}
func (f *fakeService) ListChargingProfiles(ctx context.Context, q charging.ProfileQuery) (charging.Page[charging.ChargingProfile], error) {
	return charging.Page[charging.ChargingProfile]{}, f.fail("ListChargingProfiles")
}
func (f *fakeService) ListInstalledProfiles(ctx context.Context, chargerID string) ([]charging.InstalledProfile, error) {
	return []charging.InstalledProfile{}, f.fail("ListInstalledProfiles")
}
func (f *fakeService) ApplyChargingProfile(ctx context.Context, chargerID string, connectorID, profileID int, sessionID string) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: charging.CommandAccepted}, f.fail("ApplyChargingProfile")
}
func (f *fakeService) ClearChargingProfiles(ctx context.Context, chargerID string, fl charging.ProfileFilter) (charging.CommandOutcome, error) {
	return charging.CommandOutcome{Status: charging.CommandAccepted}, f.fail("ClearChargingProfiles")
}
func (f *fakeService) CompositeSchedule(ctx context.Context, chargerID string, connectorID, durationS int, unit string) (charging.CompositeSchedule, error) {
	return charging.CompositeSchedule{Status: "Accepted", ConnectorID: connectorID}, f.fail("CompositeSchedule")
}
