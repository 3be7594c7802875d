package ocpp16

import (
	"context"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// This file holds the FirmwareManagement half of charging.StationMaintenance.

// UpdateFirmware sends UpdateFirmware; its answer carries nothing.
func (s *Station) UpdateFirmware(ctx context.Context, u charging.FirmwareUpdate) error {
	req := &UpdateFirmwareRequest{Location: u.Location, RetrieveDate: u.RetrieveDate.UTC(), Retries: u.Retries, RetryInterval: u.RetryIntervalS}
	_, err := call[UpdateFirmwareResponse](ctx, s, "UpdateFirmware", req)
	return err
}

// GetDiagnostics sends GetDiagnostics and returns the file name the charger
// answered ("" when it has no diagnostics).
func (s *Station) GetDiagnostics(ctx context.Context, d charging.DiagnosticsRequest) (string, error) {
	req := &GetDiagnosticsRequest{Location: d.Location, Retries: d.Retries, RetryInterval: d.RetryIntervalS,
		StartTime: utcPtr(d.StartTime), StopTime: utcPtr(d.StopTime)}
	resp, err := call[GetDiagnosticsResponse](ctx, s, "GetDiagnostics", req)
	if err != nil {
		return "", err
	}
	return deref(resp.FileName), nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
