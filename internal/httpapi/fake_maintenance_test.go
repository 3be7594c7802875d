package httpapi_test

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// The local-list and firmware methods of fakeService.

func (f *fakeService) SendLocalList(ctx context.Context, chargerID, updateType string, entries []charging.LocalListEntry) (charging.LocalListOutcome, error) {
	return charging.LocalListOutcome{CommandOutcome: charging.CommandOutcome{Status: charging.CommandAccepted}, Entries: len(entries)}, f.fail("SendLocalList")
}
func (f *fakeService) GetLocalListVersion(ctx context.Context, chargerID string) (charging.LocalListVersion, error) {
	return charging.LocalListVersion{ChargerID: chargerID}, f.fail("GetLocalListVersion")
}
func (f *fakeService) ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error) {
	return []charging.LocalListVersion{}, f.fail("ListLocalListVersions")
}

func (f *fakeService) AddFirmware(ctx context.Context, name string, sizeBytes int64, sha256 string) (charging.Firmware, error) {
	return charging.Firmware{ID: "fw1", Name: name, SizeBytes: sizeBytes, SHA256: sha256}, f.fail("AddFirmware")
}
func (f *fakeService) GetFirmware(ctx context.Context, id string) (charging.Firmware, error) {
	return charging.Firmware{ID: id}, f.fail("GetFirmware")
}
func (f *fakeService) ListFirmware(ctx context.Context) ([]charging.Firmware, error) {
	return []charging.Firmware{}, f.fail("ListFirmware")
}
func (f *fakeService) UpdateFirmware(ctx context.Context, chargerID, firmwareID string, u charging.FirmwareUpdate) (charging.FirmwareJob, error) {
	return charging.FirmwareJob{ID: "FJ1", ChargerID: chargerID, FirmwareID: firmwareID, FirmwareUpdate: u, CommandID: "C1",
		Status: charging.JobRequested, History: []charging.JobStatus{}}, f.fail("UpdateFirmware")
}
func (f *fakeService) ListFirmwareJobs(ctx context.Context, chargerID string) ([]charging.FirmwareJob, error) {
	return []charging.FirmwareJob{}, f.fail("ListFirmwareJobs")
}
func (f *fakeService) RequestDiagnostics(ctx context.Context, chargerID string, d charging.DiagnosticsRequest, uploadURL func(string) string) (charging.DiagnosticsJob, error) {
	return charging.DiagnosticsJob{ID: "D1", ChargerID: chargerID, Location: uploadURL("t"), CommandID: "C1",
		Status: charging.JobRequested, History: []charging.JobStatus{}}, f.fail("RequestDiagnostics")
}
func (f *fakeService) DiagnosticsUploadJob(ctx context.Context, token string) (charging.DiagnosticsJob, error) {
	return charging.DiagnosticsJob{Token: token}, f.fail("DiagnosticsUploadJob")
}
func (f *fakeService) DiagnosticsUploaded(ctx context.Context, token string, sizeBytes int64, sha256 string) (charging.DiagnosticsJob, error) {
	return charging.DiagnosticsJob{Token: token, SizeBytes: sizeBytes, SHA256: sha256}, f.fail("DiagnosticsUploaded")
}
func (f *fakeService) GetDiagnosticsJob(ctx context.Context, id string) (charging.DiagnosticsJob, error) {
	return charging.DiagnosticsJob{ID: id}, f.fail("GetDiagnosticsJob")
}
func (f *fakeService) ListDiagnosticsJobs(ctx context.Context, chargerID string) ([]charging.DiagnosticsJob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]charging.DiagnosticsJob{}, f.diagJobs...), f.fail("ListDiagnosticsJobs")
}
