package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// jobListLimit is how many jobs (and firmware images) a list returns.
const jobListLimit = 100

// SaveFirmware inserts or overwrites an uploaded firmware image's record
// (CreatedAt keeps the first save's value).
func (s *Store) SaveFirmware(ctx context.Context, f charging.Firmware) error {
	_, err := s.opsExec(ctx, `INSERT INTO firmware (id, name, size_bytes, sha256, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, size_bytes = excluded.size_bytes, sha256 = excluded.sha256`,
		f.ID, f.Name, f.SizeBytes, f.SHA256, f.CreatedAt)
	return fail("save firmware "+f.ID, err)
}

const firmwareColumns = `id, name, size_bytes, sha256, created_at`

func scanFirmware(row pgx.Row) (charging.Firmware, error) {
	var f charging.Firmware
	err := row.Scan(&f.ID, &f.Name, &f.SizeBytes, &f.SHA256, &f.CreatedAt)
	f.CreatedAt = utc(f.CreatedAt)
	return f, err
}

// GetFirmware returns an uploaded firmware image's record.
func (s *Store) GetFirmware(ctx context.Context, id string) (charging.Firmware, error) {
	op := "get firmware " + id
	f, err := scanFirmware(s.q().QueryRow(ctx, `SELECT `+firmwareColumns+` FROM firmware WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.Firmware{}, fail(op, charging.Errorf(charging.ENOTFOUND, "firmware %s not found", id))
	}
	return f, fail(op, err)
}

// ListFirmware returns the newest uploaded firmware images.
func (s *Store) ListFirmware(ctx context.Context) ([]charging.Firmware, error) {
	return collectOps(ctx, s.q(), "list firmware", `SELECT `+firmwareColumns+` FROM firmware ORDER BY created_at DESC, id DESC LIMIT $1`,
		[]any{jobListLimit}, scanFirmware)
}

// collectOps runs a query and scans every row, returning an empty (not
// nil) slice when there is none; op names the method in an error.
func collectOps[T any](ctx context.Context, q querier, op, query string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
	if err != nil {
		return nil, fail(op, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// storedStatus is a job status as stored in a history's jsonb array.
type storedStatus struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"` // UTC, to the microsecond
}

func encodeHistory(h []charging.JobStatus) string {
	out := make([]storedStatus, len(h))
	for i, st := range h {
		out[i] = storedStatus{st.Status, usTime(st.At)}
	}
	b, _ := json.Marshal(out) // strings and UTC times: cannot fail
	return string(b)
}

func decodeHistory(b []byte) ([]charging.JobStatus, error) {
	var in []storedStatus
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	out := make([]charging.JobStatus, len(in))
	for i, st := range in {
		out[i] = charging.JobStatus{Status: st.Status, At: utc(st.At)}
	}
	return out, nil
}

// encodeSigned returns the jsonb of a signed update (install date in
// UTC, to the microsecond), nil for an unsigned one.
func encodeSigned(sf *charging.SignedFirmware) *string {
	if sf == nil {
		return nil
	}
	st := *sf
	st.InstallDate = usTimePtr(st.InstallDate)
	b, _ := json.Marshal(st) // strings, an integer and a UTC time: cannot fail
	v := string(b)
	return &v
}

func decodeSigned(b []byte) (*charging.SignedFirmware, error) {
	if b == nil {
		return nil, nil
	}
	var sf charging.SignedFirmware
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("signed: %w", err)
	}
	sf.InstallDate = utcPtr(sf.InstallDate)
	return &sf, nil
}

const firmwareJobColumns = `id, charger_id, firmware_id, location, retrieve_date, retries, retry_interval, command_id, status, error, history, created_at, signed`

// SaveFirmwareJob inserts or overwrites a firmware job (its charger and
// CreatedAt stay those of the first save).
func (s *Store) SaveFirmwareJob(ctx context.Context, j charging.FirmwareJob) error {
	_, err := s.opsExec(ctx, `INSERT INTO firmware_jobs (`+firmwareJobColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET firmware_id = excluded.firmware_id, location = excluded.location,
			retrieve_date = excluded.retrieve_date, retries = excluded.retries, retry_interval = excluded.retry_interval,
			command_id = excluded.command_id, status = excluded.status, error = excluded.error, history = excluded.history,
			signed = excluded.signed`,
		j.ID, j.ChargerID, j.FirmwareID, j.Location, j.RetrieveDate, j.Retries, j.RetryIntervalS,
		j.CommandID, j.Status, j.Error, encodeHistory(j.History), j.CreatedAt, encodeSigned(j.Signed))
	return fail("save firmware job "+j.ID, err)
}

func scanFirmwareJob(row pgx.Row) (charging.FirmwareJob, error) {
	var j charging.FirmwareJob
	var hist, signed []byte
	if err := row.Scan(&j.ID, &j.ChargerID, &j.FirmwareID, &j.Location, &j.RetrieveDate, &j.Retries, &j.RetryIntervalS,
		&j.CommandID, &j.Status, &j.Error, &hist, &j.CreatedAt, &signed); err != nil {
		return j, err
	}
	j.RetrieveDate, j.CreatedAt = utc(j.RetrieveDate), utc(j.CreatedAt)
	var err error
	if j.History, err = decodeHistory(hist); err != nil {
		return j, fmt.Errorf("firmware job %s: %w", j.ID, err)
	}
	if j.Signed, err = decodeSigned(signed); err != nil {
		return j, fmt.Errorf("firmware job %s: %w", j.ID, err)
	}
	return j, nil
}

// ListFirmwareJobs returns a charger's newest firmware jobs.
func (s *Store) ListFirmwareJobs(ctx context.Context, chargerID string) ([]charging.FirmwareJob, error) {
	return collectOps(ctx, s.q(), "list firmware jobs of "+chargerID, `SELECT `+firmwareJobColumns+` FROM firmware_jobs WHERE charger_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, []any{chargerID, jobListLimit}, scanFirmwareJob)
}

const diagnosticsJobColumns = `id, charger_id, token, location, start_time, stop_time, retries, retry_interval, command_id,
	status, error, history, file_name, size_bytes, sha256, uploaded_at, created_at, log_type, request_id`

// SaveDiagnosticsJob inserts or overwrites a diagnostics job (its charger
// and CreatedAt stay those of the first save). A token another job has is
// ECONFLICT.
func (s *Store) SaveDiagnosticsJob(ctx context.Context, j charging.DiagnosticsJob) error {
	op := "save diagnostics job " + j.ID
	_, err := s.opsExec(ctx, `INSERT INTO diagnostics_jobs (`+diagnosticsJobColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (id) DO UPDATE SET token = excluded.token, location = excluded.location, start_time = excluded.start_time,
			stop_time = excluded.stop_time, retries = excluded.retries, retry_interval = excluded.retry_interval,
			command_id = excluded.command_id, status = excluded.status, error = excluded.error, history = excluded.history,
			file_name = excluded.file_name, size_bytes = excluded.size_bytes, sha256 = excluded.sha256, uploaded_at = excluded.uploaded_at,
			log_type = excluded.log_type, request_id = excluded.request_id`,
		j.ID, j.ChargerID, j.Token, j.Location, j.StartTime, j.StopTime, j.Retries, j.RetryIntervalS,
		j.CommandID, j.Status, j.Error, encodeHistory(j.History), j.FileName, j.SizeBytes, j.SHA256, j.UploadedAt, j.CreatedAt,
		j.LogType, j.RequestID)
	if isCode(err, codeUniqueViolation) && opsConstraint(err) == "diagnostics_jobs_token" {
		return fail(op, fmt.Errorf("%w: %w", charging.Errorf(charging.ECONFLICT, "diagnostics upload token already used by another job"), err))
	}
	return fail(op, err)
}

func scanDiagnosticsJob(row pgx.Row) (charging.DiagnosticsJob, error) {
	var j charging.DiagnosticsJob
	var hist []byte
	if err := row.Scan(&j.ID, &j.ChargerID, &j.Token, &j.Location, &j.StartTime, &j.StopTime, &j.Retries, &j.RetryIntervalS,
		&j.CommandID, &j.Status, &j.Error, &hist, &j.FileName, &j.SizeBytes, &j.SHA256, &j.UploadedAt, &j.CreatedAt,
		&j.LogType, &j.RequestID); err != nil {
		return j, err
	}
	j.StartTime, j.StopTime, j.UploadedAt, j.CreatedAt = utcPtr(j.StartTime), utcPtr(j.StopTime), utcPtr(j.UploadedAt), utc(j.CreatedAt)
	var err error
	if j.History, err = decodeHistory(hist); err != nil {
		return j, fmt.Errorf("diagnostics job %s: %w", j.ID, err)
	}
	return j, nil
}

// GetDiagnosticsJob returns a diagnostics job by id.
func (s *Store) GetDiagnosticsJob(ctx context.Context, id string) (charging.DiagnosticsJob, error) {
	op := "get diagnostics job " + id
	j, err := scanDiagnosticsJob(s.q().QueryRow(ctx, `SELECT `+diagnosticsJobColumns+` FROM diagnostics_jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.DiagnosticsJob{}, fail(op, charging.Errorf(charging.ENOTFOUND, "diagnostics job %s not found", id))
	}
	return j, fail(op, err)
}

// GetDiagnosticsJobByToken returns the diagnostics job an upload token
// belongs to.
func (s *Store) GetDiagnosticsJobByToken(ctx context.Context, token string) (charging.DiagnosticsJob, error) {
	op := "get diagnostics job by upload token"
	j, err := scanDiagnosticsJob(s.q().QueryRow(ctx, `SELECT `+diagnosticsJobColumns+` FROM diagnostics_jobs WHERE token = $1`, token))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.DiagnosticsJob{}, fail(op, charging.Errorf(charging.ENOTFOUND, "no diagnostics job has this upload token"))
	}
	return j, fail(op, err)
}

// ListDiagnosticsJobs returns a charger's newest diagnostics jobs.
func (s *Store) ListDiagnosticsJobs(ctx context.Context, chargerID string) ([]charging.DiagnosticsJob, error) {
	return collectOps(ctx, s.q(), "list diagnostics jobs of "+chargerID, `SELECT `+diagnosticsJobColumns+` FROM diagnostics_jobs WHERE charger_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, []any{chargerID, jobListLimit}, scanDiagnosticsJob)
}
