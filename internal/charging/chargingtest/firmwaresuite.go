package chargingtest

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// testFirmware checks the firmware store: uploaded images, firmware jobs
// and diagnostics jobs with their status histories.
func testFirmware(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "FW-1", "FW-2")

	// Firmware images, newest first.
	fw1 := charging.Firmware{ID: "f1", Name: "1.1.0", SizeBytes: 10, SHA256: "aa", CreatedAt: at(0)}
	fw2 := charging.Firmware{ID: "f2", Name: "2.0.0", SizeBytes: 20, SHA256: "bb", CreatedAt: at(time.Second)}
	must(t, s.SaveFirmware(ctx, fw1), "SaveFirmware f1")
	must(t, s.SaveFirmware(ctx, fw2), "SaveFirmware f2")
	got, err := s.GetFirmware(ctx, "f2")
	must(t, err, "GetFirmware f2")
	fw2.CreatedAt = utc(fw2.CreatedAt)
	checkEqual(t, "GetFirmware f2", got, fw2)
	_, err = s.GetFirmware(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetFirmware unknown")
	all, err := s.ListFirmware(ctx)
	must(t, err, "ListFirmware")
	var names []string
	for _, f := range all {
		names = append(names, f.Name)
	}
	checkEqual(t, "ListFirmware names, newest first", names, []string{"2.0.0", "1.1.0"})

	// Firmware jobs: saved, then overwritten with a longer history.
	job := charging.FirmwareJob{ID: "j1", ChargerID: "FW-1", FirmwareID: "f2",
		FirmwareUpdate: charging.FirmwareUpdate{Location: "http://joule/api/v1/firmware/f2/download", RetrieveDate: at(time.Minute), Retries: ptr(3), RetryIntervalS: ptr(30)},
		Status:         charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(0)}
	must(t, s.SaveFirmwareJob(ctx, job), "SaveFirmwareJob j1")
	older := charging.FirmwareJob{ID: "j0", ChargerID: "FW-1", FirmwareUpdate: charging.FirmwareUpdate{Location: "https://x/fw.bin", RetrieveDate: at(-time.Hour)},
		Status: charging.JobFailed, Error: "charger offline", History: []charging.JobStatus{}, CreatedAt: at(-time.Hour)}
	must(t, s.SaveFirmwareJob(ctx, older), "SaveFirmwareJob j0")
	job.CommandID, job.Status = "cmd1", "Downloaded"
	job.History = []charging.JobStatus{{Status: "Downloading", At: at(2 * time.Minute)}, {Status: "Downloaded", At: at(3 * time.Minute)}}
	must(t, s.SaveFirmwareJob(ctx, job), "SaveFirmwareJob j1 again")
	jobs, err := s.ListFirmwareJobs(ctx, "FW-1")
	must(t, err, "ListFirmwareJobs FW-1")
	if len(jobs) != 2 {
		t.Fatalf("ListFirmwareJobs FW-1 = %s, want j1 and j0", show(jobs))
	}
	want := job
	want.RetrieveDate, want.CreatedAt = utc(want.RetrieveDate), utc(want.CreatedAt)
	want.History = []charging.JobStatus{{Status: "Downloading", At: utc(at(2 * time.Minute))}, {Status: "Downloaded", At: utc(at(3 * time.Minute))}}
	checkEqual(t, "newest firmware job", jobs[0], want)
	if jobs[1].ID != "j0" || jobs[1].Retries != nil || jobs[1].Error != "charger offline" || len(jobs[1].History) != 0 {
		t.Errorf("older firmware job = %s, want j0 without retries, with its error and an empty history", show(jobs[1]))
	}
	if other, err := s.ListFirmwareJobs(ctx, "FW-2"); err != nil || len(other) != 0 {
		t.Errorf("ListFirmwareJobs FW-2 = %s, %v; want none", show(other), err)
	}

	// Diagnostics jobs: by id, by token, the upload recorded, and a token
	// is unique.
	d := charging.DiagnosticsJob{ID: "d1", ChargerID: "FW-2", Token: "tok-1", Location: "http://joule/api/v1/diagnostics-uploads/tok-1",
		StartTime: ptr(at(-time.Hour)), StopTime: ptr(at(0)), Retries: ptr(1),
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: at(0)}
	must(t, s.SaveDiagnosticsJob(ctx, d), "SaveDiagnosticsJob d1")
	d.FileName, d.Status, d.SizeBytes, d.SHA256, d.UploadedAt = "diag.log", "Uploaded", 42, "cc", ptr(at(time.Minute))
	d.History = []charging.JobStatus{{Status: "Uploading", At: at(30 * time.Second)}, {Status: "Uploaded", At: at(time.Minute)}}
	must(t, s.SaveDiagnosticsJob(ctx, d), "SaveDiagnosticsJob d1 uploaded")
	wantD := d
	wantD.StartTime, wantD.StopTime, wantD.UploadedAt, wantD.CreatedAt = utcPtr(d.StartTime), utcPtr(d.StopTime), utcPtr(d.UploadedAt), utc(d.CreatedAt)
	wantD.History = []charging.JobStatus{{Status: "Uploading", At: utc(at(30 * time.Second))}, {Status: "Uploaded", At: utc(at(time.Minute))}}
	gotD, err := s.GetDiagnosticsJob(ctx, "d1")
	must(t, err, "GetDiagnosticsJob d1")
	checkEqual(t, "GetDiagnosticsJob d1", gotD, wantD)
	gotD, err = s.GetDiagnosticsJobByToken(ctx, "tok-1")
	must(t, err, "GetDiagnosticsJobByToken")
	checkEqual(t, "GetDiagnosticsJobByToken tok-1", gotD, wantD)
	_, err = s.GetDiagnosticsJobByToken(ctx, "tok-unknown")
	wantCode(t, err, charging.ENOTFOUND, "GetDiagnosticsJobByToken unknown")
	_, err = s.GetDiagnosticsJob(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetDiagnosticsJob unknown")
	dup := charging.DiagnosticsJob{ID: "d2", ChargerID: "FW-2", Token: "tok-1", Location: "x", Status: charging.JobRequested, CreatedAt: at(time.Hour)}
	wantCode(t, s.SaveDiagnosticsJob(ctx, dup), charging.ECONFLICT, "SaveDiagnosticsJob with a used token")
	dup.Token = "tok-2"
	must(t, s.SaveDiagnosticsJob(ctx, dup), "SaveDiagnosticsJob d2")
	ds, err := s.ListDiagnosticsJobs(ctx, "FW-2")
	must(t, err, "ListDiagnosticsJobs")
	var ids []string
	for _, j := range ds {
		ids = append(ids, j.ID)
	}
	checkEqual(t, "diagnostics jobs of FW-2, newest first", ids, []string{"d2", "d1"})
	if ds[0].UploadedAt != nil || ds[0].History == nil {
		t.Errorf("d2 = %s, want no upload and an empty (not nil) history", show(ds[0]))
	}
}
