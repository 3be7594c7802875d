package postgres

// Stubs of the ops area, replaced by their implementation.

import (
	"context"
	"encoding/json"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

var _ = time.Now
var _ json.RawMessage
var _ context.Context

func (s *Store) CreateReservation(_ context.Context, _ charging.Reservation) (r0 error) {
	return notYet("CreateReservation")
}

func (s *Store) DeleteDesiredSetting(_ context.Context, _ string, _ string) (r0 error) {
	return notYet("DeleteDesiredSetting")
}

func (s *Store) GetChargingProfile(_ context.Context, _ int) (r0 charging.ChargingProfile, r1 error) {
	return r0, notYet("GetChargingProfile")
}

func (s *Store) GetConfiguration(_ context.Context, _ string) (r0 charging.ChargerConfiguration, r1 error) {
	return r0, notYet("GetConfiguration")
}

func (s *Store) GetDiagnosticsJob(_ context.Context, _ string) (r0 charging.DiagnosticsJob, r1 error) {
	return r0, notYet("GetDiagnosticsJob")
}

func (s *Store) GetDiagnosticsJobByToken(_ context.Context, _ string) (r0 charging.DiagnosticsJob, r1 error) {
	return r0, notYet("GetDiagnosticsJobByToken")
}

func (s *Store) GetFirmware(_ context.Context, _ string) (r0 charging.Firmware, r1 error) {
	return r0, notYet("GetFirmware")
}

func (s *Store) GetReservation(_ context.Context, _ int) (r0 charging.Reservation, r1 error) {
	return r0, notYet("GetReservation")
}

func (s *Store) InstallProfile(_ context.Context, _ charging.InstalledProfile) (r0 error) {
	return notYet("InstallProfile")
}

func (s *Store) ListChargingProfiles(_ context.Context, _ charging.ProfileQuery) (r0 charging.Page[charging.ChargingProfile], r1 error) {
	return r0, notYet("ListChargingProfiles")
}

func (s *Store) ListCommands(_ context.Context, _ charging.CommandQuery) (r0 charging.Page[charging.CommandRecord], r1 error) {
	return r0, notYet("ListCommands")
}

func (s *Store) ListDesiredSettings(_ context.Context, _ string) (r0 []charging.DesiredSetting, r1 error) {
	return r0, notYet("ListDesiredSettings")
}

func (s *Store) ListDiagnosticsJobs(_ context.Context, _ string) (r0 []charging.DiagnosticsJob, r1 error) {
	return r0, notYet("ListDiagnosticsJobs")
}

func (s *Store) ListFirmware(_ context.Context) (r0 []charging.Firmware, r1 error) {
	return r0, notYet("ListFirmware")
}

func (s *Store) ListFirmwareJobs(_ context.Context, _ string) (r0 []charging.FirmwareJob, r1 error) {
	return r0, notYet("ListFirmwareJobs")
}

func (s *Store) ListInstalledProfiles(_ context.Context, _ string) (r0 []charging.InstalledProfile, r1 error) {
	return r0, notYet("ListInstalledProfiles")
}

func (s *Store) ListLocalListVersions(_ context.Context) (r0 []charging.LocalListVersion, r1 error) {
	return r0, notYet("ListLocalListVersions")
}

func (s *Store) ListReservations(_ context.Context, _ charging.ReservationQuery) (r0 charging.Page[charging.Reservation], r1 error) {
	return r0, notYet("ListReservations")
}

func (s *Store) NextChargingProfileID(_ context.Context) (r0 int, r1 error) {
	return r0, notYet("NextChargingProfileID")
}

func (s *Store) NextLocalListVersion(_ context.Context) (r0 int, r1 error) {
	return r0, notYet("NextLocalListVersion")
}

func (s *Store) NextReservationID(_ context.Context) (r0 int, r1 error) {
	return r0, notYet("NextReservationID")
}

func (s *Store) SaveChargingProfile(_ context.Context, _ charging.ChargingProfile) (r0 error) {
	return notYet("SaveChargingProfile")
}

func (s *Store) SaveCommand(_ context.Context, _ charging.CommandRecord) (r0 error) {
	return notYet("SaveCommand")
}

func (s *Store) SaveConfiguration(_ context.Context, _ charging.ChargerConfiguration, _ bool) (r0 error) {
	return notYet("SaveConfiguration")
}

func (s *Store) SaveDesiredSetting(_ context.Context, _ charging.DesiredSetting) (r0 error) {
	return notYet("SaveDesiredSetting")
}

func (s *Store) SaveDiagnosticsJob(_ context.Context, _ charging.DiagnosticsJob) (r0 error) {
	return notYet("SaveDiagnosticsJob")
}

func (s *Store) SaveFirmware(_ context.Context, _ charging.Firmware) (r0 error) {
	return notYet("SaveFirmware")
}

func (s *Store) SaveFirmwareJob(_ context.Context, _ charging.FirmwareJob) (r0 error) {
	return notYet("SaveFirmwareJob")
}

func (s *Store) SaveLocalListVersion(_ context.Context, _ string, _ int, _ time.Time) (r0 error) {
	return notYet("SaveLocalListVersion")
}

func (s *Store) SaveReportedLocalListVersion(_ context.Context, _ string, _ int, _ time.Time) (r0 error) {
	return notYet("SaveReportedLocalListVersion")
}

func (s *Store) UninstallProfiles(_ context.Context, _ string, _ charging.ProfileFilter) (r0 int, r1 error) {
	return r0, notYet("UninstallProfiles")
}

func (s *Store) UpdateReservation(_ context.Context, _ charging.Reservation) (r0 error) {
	return notYet("UpdateReservation")
}
