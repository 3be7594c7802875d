package csms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// This file holds the FirmwareManagement use cases: firmware Joule hosts,
// firmware updates and diagnostics uploads tracked as jobs with the
// statuses the charger reports.

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// AddFirmware records a firmware image whose file the caller has stored.
func (s *Service) AddFirmware(ctx context.Context, name string, sizeBytes int64, sha256 string) (charging.Firmware, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return charging.Firmware{}, charging.Errorf(charging.EINVALID, "firmware name is required (?name= or the uploaded file's name)")
	case len(name) > 100:
		return charging.Firmware{}, charging.Errorf(charging.EINVALID, "firmware name must be at most 100 characters")
	case sizeBytes <= 0:
		return charging.Firmware{}, charging.Errorf(charging.EINVALID, "firmware file is empty")
	case !sha256Hex.MatchString(sha256):
		return charging.Firmware{}, charging.Errorf(charging.EINVALID, "sha256 must be 64 lower-case hex digits")
	}
	f := charging.Firmware{ID: newID(), Name: name, SizeBytes: sizeBytes, SHA256: sha256, CreatedAt: s.utcNow()}
	return f, s.store.SaveFirmware(ctx, f)
}

// GetFirmware returns an uploaded firmware image.
func (s *Service) GetFirmware(ctx context.Context, id string) (charging.Firmware, error) {
	return s.store.GetFirmware(ctx, id)
}

// ListFirmware returns the newest uploaded firmware images.
func (s *Service) ListFirmware(ctx context.Context) ([]charging.Firmware, error) {
	return s.store.ListFirmware(ctx)
}

// transferURL checks a location a charger downloads from or uploads to:
// an absolute http or https URL. FTP is not supported.
func transferURL(field, loc string) error {
	u, err := url.Parse(loc)
	switch {
	case loc == "":
		return charging.Errorf(charging.EINVALID, "%s is required", field)
	case err != nil:
		return charging.Errorf(charging.EINVALID, "%s is not a URL: %v", field, err)
	case strings.EqualFold(u.Scheme, "ftp") || strings.EqualFold(u.Scheme, "ftps") || strings.EqualFold(u.Scheme, "sftp"):
		return charging.Errorf(charging.EINVALID, "%s: FTP is not supported; Joule transfers files over HTTP(S) only", field)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return charging.Errorf(charging.EINVALID, "%s must be an absolute http or https URL, got %q", field, loc)
	case len(loc) > 512:
		return charging.Errorf(charging.EINVALID, "%s must be at most 512 characters (OCPP anyURI)", field)
	}
	return nil
}

func validRetries(retries, intervalS *int) error {
	if retries != nil && *retries < 0 {
		return charging.Errorf(charging.EINVALID, "retries must be 0 or more, got %d", *retries)
	}
	if intervalS != nil && *intervalS < 0 {
		return charging.Errorf(charging.EINVALID, "retryInterval must be 0 or more seconds, got %d", *intervalS)
	}
	return nil
}

// UpdateFirmware sends a charger UpdateFirmware and records it as a job;
// firmwareID names the Joule-hosted firmware at u.Location ("" for a
// location elsewhere). A zero RetrieveDate means now.
func (s *Service) UpdateFirmware(ctx context.Context, chargerID, firmwareID string, u charging.FirmwareUpdate) (charging.FirmwareJob, error) {
	if err := transferURL("location", u.Location); err != nil {
		return charging.FirmwareJob{}, err
	}
	if err := validRetries(u.Retries, u.RetryIntervalS); err != nil {
		return charging.FirmwareJob{}, err
	}
	if u.RetrieveDate.IsZero() {
		u.RetrieveDate = s.utcNow()
	}
	u.RetrieveDate = u.RetrieveDate.UTC()
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.FirmwareJob{}, err
	}
	sm, err := s.maintenance(chargerID)
	if err != nil {
		return charging.FirmwareJob{}, err
	}
	// The job exists before the command goes out, so that the charger's
	// first FirmwareStatusNotification finds it.
	job := charging.FirmwareJob{ID: newID(), ChargerID: chargerID, FirmwareID: firmwareID, FirmwareUpdate: u,
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: s.utcNow()}
	if err := s.store.SaveFirmwareJob(ctx, job); err != nil {
		return charging.FirmwareJob{}, err
	}
	cmdID, sendErr := s.record(ctx, chargerID, "UpdateFirmware", u, func(ctx context.Context) (any, error) {
		return struct{}{}, sm.UpdateFirmware(ctx, chargerID, u)
	})
	out, err := s.updateFirmwareJob(context.WithoutCancel(ctx), chargerID, job.ID, func(j *charging.FirmwareJob) {
		j.CommandID = cmdID
		if sendErr != nil {
			j.Status, j.Error = charging.JobFailed, charging.ErrorMessage(sendErr)
		}
	})
	if sendErr != nil {
		return out, sendErr
	}
	return out, err
}

// updateFirmwareJob changes a stored job under the charger's lock; id ""
// means the charger's latest job.
func (s *Service) updateFirmwareJob(ctx context.Context, chargerID, id string, change func(*charging.FirmwareJob)) (charging.FirmwareJob, error) {
	return updateJob(s, ctx, chargerID, charging.Tx.ListFirmwareJobs, charging.Tx.SaveFirmwareJob,
		func(j *charging.FirmwareJob) bool { return id == "" || j.ID == id }, change)
}

// updateJob changes, under the charger's lock, the newest of the charger's
// jobs that match; ENOTFOUND when none does.
func updateJob[J any](s *Service, ctx context.Context, chargerID string, list func(charging.Tx, context.Context, string) ([]J, error),
	save func(charging.Tx, context.Context, J) error, match func(*J) bool, change func(*J)) (J, error) {
	unlock := s.lock(chargerID)
	defer unlock()
	var j J
	err := s.update(ctx, func(u *unit) (err error) {
		j, err = changeJob(ctx, u.tx, chargerID, list, save, match, change)
		return err
	})
	return j, err
}

// changeJob changes, through tx, the newest of the charger's jobs that
// match; ENOTFOUND when none does. Callers hold the charger's lock.
func changeJob[J any](ctx context.Context, tx charging.Tx, chargerID string, list func(charging.Tx, context.Context, string) ([]J, error),
	save func(charging.Tx, context.Context, J) error, match func(*J) bool, change func(*J)) (J, error) {
	var zero J
	jobs, err := list(tx, ctx, chargerID)
	if err != nil {
		return zero, err
	}
	for _, j := range jobs {
		if match(&j) {
			change(&j)
			return j, save(tx, ctx, j)
		}
	}
	return zero, charging.Errorf(charging.ENOTFOUND, "no matching job for charger %s", chargerID)
}

// finalFirmware are the statuses that end a firmware update.
var finalFirmware = map[string]bool{"Installed": true, "InstallationFailed": true, "DownloadFailed": true, charging.JobFailed: true}

// finalDiagnostics are the statuses that end a diagnostics upload.
var finalDiagnostics = map[string]bool{"Uploaded": true, "UploadFailed": true, charging.JobFailed: true}

// appendStatus adds a reported status to a job's history. An Idle after
// the job ended (the answer to a TriggerMessage, say) says nothing about
// the job and is not added.
func appendStatus(status string, history *[]charging.JobStatus, jobStatus *string, final map[string]bool, at charging.JobStatus) {
	if status == "Idle" && final[*jobStatus] {
		return
	}
	*history = append(*history, at)
	*jobStatus = status
}

// FirmwareStatus records a firmware update's progress: the charger's last
// status, and the history of its latest firmware job.
func (s *Service) FirmwareStatus(ctx context.Context, chargerID, status string) error {
	return stationStatus(s, ctx, chargerID, func(c *charging.Charger) { c.FirmwareStatus = status },
		charging.Tx.ListFirmwareJobs, charging.Tx.SaveFirmwareJob,
		func(*charging.FirmwareJob) bool { return true },
		func(j *charging.FirmwareJob) {
			appendStatus(status, &j.History, &j.Status, finalFirmware, charging.JobStatus{Status: status, At: s.utcNow()})
		})
}

// ListFirmwareJobs returns a charger's newest firmware jobs.
func (s *Service) ListFirmwareJobs(ctx context.Context, chargerID string) ([]charging.FirmwareJob, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return nil, err
	}
	return s.store.ListFirmwareJobs(ctx, chargerID)
}

// newToken returns an unguessable upload token (256 bits).
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RequestDiagnostics sends a charger GetDiagnostics with a new single-use
// upload URL, uploadURL(token), and records it as a job with the file name
// the charger answered.
func (s *Service) RequestDiagnostics(ctx context.Context, chargerID string, d charging.DiagnosticsRequest, uploadURL func(token string) string) (charging.DiagnosticsJob, error) {
	if err := validRetries(d.Retries, d.RetryIntervalS); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	if d.StartTime != nil && d.StopTime != nil && d.StopTime.Before(*d.StartTime) {
		return charging.DiagnosticsJob{}, charging.Errorf(charging.EINVALID, "stopTime is before startTime")
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	sm, err := s.maintenance(chargerID)
	if err != nil {
		return charging.DiagnosticsJob{}, err
	}
	token := newToken()
	d.Location = uploadURL(token)
	if err := transferURL("upload location", d.Location); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	job := charging.DiagnosticsJob{ID: newID(), ChargerID: chargerID, Token: token, Location: d.Location,
		StartTime: d.StartTime, StopTime: d.StopTime, Retries: d.Retries, RetryIntervalS: d.RetryIntervalS,
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: s.utcNow()}
	if err := s.store.SaveDiagnosticsJob(ctx, job); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	var fileName string
	// The recorded request leaves the upload URL out: its token is a secret.
	logged := d
	logged.Location = "(upload URL)"
	cmdID, sendErr := s.record(ctx, chargerID, "GetDiagnostics", logged, func(ctx context.Context) (any, error) {
		name, err := sm.GetDiagnostics(ctx, chargerID, d)
		fileName = name
		return map[string]string{"fileName": name}, err
	})
	out, err := s.updateDiagnosticsJob(context.WithoutCancel(ctx), chargerID, job.ID, func(j *charging.DiagnosticsJob) {
		j.CommandID, j.FileName = cmdID, fileName
		switch {
		case sendErr != nil:
			j.Status, j.Error = charging.JobFailed, charging.ErrorMessage(sendErr)
		case fileName == "" && j.Status == charging.JobRequested:
			j.Status, j.Error = charging.JobFailed, "the charger has no diagnostics to upload (no fileName)"
		}
	})
	if sendErr != nil {
		return out, sendErr
	}
	return out, err
}

// updateDiagnosticsJob changes a stored job under the charger's lock; id
// "" means the charger's latest job.
func (s *Service) updateDiagnosticsJob(ctx context.Context, chargerID, id string, change func(*charging.DiagnosticsJob)) (charging.DiagnosticsJob, error) {
	if id == "" {
		return updateJob(s, ctx, chargerID, charging.Tx.ListDiagnosticsJobs, charging.Tx.SaveDiagnosticsJob,
			func(*charging.DiagnosticsJob) bool { return true }, change)
	}
	unlock := s.lock(chargerID)
	defer unlock()
	var j charging.DiagnosticsJob
	err := s.update(ctx, func(u *unit) (err error) {
		if j, err = u.tx.GetDiagnosticsJob(ctx, id); err != nil {
			return err
		}
		change(&j)
		return u.tx.SaveDiagnosticsJob(ctx, j)
	})
	return j, err
}

// DiagnosticsStatus records a diagnostics upload's progress: the charger's
// last status, and the history of its latest diagnostics job.
func (s *Service) DiagnosticsStatus(ctx context.Context, chargerID, status string) error {
	return stationStatus(s, ctx, chargerID, func(c *charging.Charger) { c.DiagnosticsStatus = status },
		charging.Tx.ListDiagnosticsJobs, charging.Tx.SaveDiagnosticsJob,
		func(*charging.DiagnosticsJob) bool { return true },
		func(j *charging.DiagnosticsJob) {
			appendStatus(status, &j.History, &j.Status, finalDiagnostics, charging.JobStatus{Status: status, At: s.utcNow()})
		})
}

// DiagnosticsUploadJob returns the job an upload token belongs to, if the
// token has not been used: ENOTFOUND for an unknown token, ECONFLICT for a
// used one.
func (s *Service) DiagnosticsUploadJob(ctx context.Context, token string) (charging.DiagnosticsJob, error) {
	if token == "" {
		return charging.DiagnosticsJob{}, charging.Errorf(charging.ENOTFOUND, "no diagnostics job has this upload token")
	}
	j, err := s.store.GetDiagnosticsJobByToken(ctx, token)
	if err != nil {
		return j, err
	}
	if j.UploadedAt != nil {
		return j, charging.Errorf(charging.ECONFLICT, "this upload URL was used already; request diagnostics again")
	}
	return j, nil
}

// DiagnosticsUploaded records the file uploaded with a token, which is
// used up: a second upload is ECONFLICT. The caller keeps the file only
// when this succeeds.
func (s *Service) DiagnosticsUploaded(ctx context.Context, token string, sizeBytes int64, sha256 string) (charging.DiagnosticsJob, error) {
	j, err := s.DiagnosticsUploadJob(ctx, token)
	if err != nil {
		return j, err
	}
	unlock := s.lock(j.ChargerID)
	defer unlock()
	// Read again in the unit: a concurrent upload (on any node) may have won.
	id := j.ID
	err = s.update(ctx, func(u *unit) (err error) {
		if j, err = u.tx.GetDiagnosticsJob(ctx, id); err != nil {
			return err
		}
		if j.UploadedAt != nil {
			return charging.Errorf(charging.ECONFLICT, "this upload URL was used already; request diagnostics again")
		}
		now := s.utcNow()
		j.UploadedAt, j.SizeBytes, j.SHA256 = &now, sizeBytes, sha256
		return u.tx.SaveDiagnosticsJob(ctx, j)
	})
	return j, err
}

// GetDiagnosticsJob returns a diagnostics job.
func (s *Service) GetDiagnosticsJob(ctx context.Context, id string) (charging.DiagnosticsJob, error) {
	return s.store.GetDiagnosticsJob(ctx, id)
}

// ListDiagnosticsJobs returns a charger's newest diagnostics jobs.
func (s *Service) ListDiagnosticsJobs(ctx context.Context, chargerID string) ([]charging.DiagnosticsJob, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return nil, err
	}
	return s.store.ListDiagnosticsJobs(ctx, chargerID)
}
