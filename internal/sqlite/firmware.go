package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// jobListLimit is how many jobs (and firmware images) a list returns.
const jobListLimit = 100

// SaveFirmware inserts or overwrites an uploaded firmware image's record.
func (s *Store) SaveFirmware(ctx context.Context, f charging.Firmware) error {
	return s.write(ctx, "save firmware "+f.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO firmware (id, name, size_bytes, sha256, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, size_bytes = excluded.size_bytes, sha256 = excluded.sha256`,
			f.ID, f.Name, f.SizeBytes, f.SHA256, toMicro(f.CreatedAt))
		return err
	})
}

const firmwareColumns = `id, name, size_bytes, sha256, created_at`

func scanFirmware(row interface{ Scan(...any) error }) (charging.Firmware, error) {
	var f charging.Firmware
	var created int64
	err := row.Scan(&f.ID, &f.Name, &f.SizeBytes, &f.SHA256, &created)
	f.CreatedAt = fromMicro(created)
	return f, err
}

// GetFirmware returns an uploaded firmware image's record.
func (s *Store) GetFirmware(ctx context.Context, id string) (charging.Firmware, error) {
	f, err := scanFirmware(s.rd().QueryRowContext(ctx, `SELECT `+firmwareColumns+` FROM firmware WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, charging.Errorf(charging.ENOTFOUND, "firmware %s not found", id)
	}
	if err != nil {
		return f, fmt.Errorf("sqlite: get firmware %s: %w", id, err)
	}
	return f, nil
}

// ListFirmware returns the newest uploaded firmware images.
func (s *Store) ListFirmware(ctx context.Context) ([]charging.Firmware, error) {
	rows, err := s.rd().QueryContext(ctx, `SELECT `+firmwareColumns+` FROM firmware ORDER BY created_at DESC, id DESC LIMIT ?`, jobListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list firmware: %w", err)
	}
	defer rows.Close()
	out := []charging.Firmware{}
	for rows.Next() {
		f, err := scanFirmware(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list firmware: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list firmware: %w", err)
	}
	return out, nil
}

// history is a job's status history as stored: times in microseconds.
type storedStatus struct {
	Status string `json:"status"`
	AtUs   int64  `json:"atUs"`
}

func encodeHistory(h []charging.JobStatus) string {
	out := make([]storedStatus, len(h))
	for i, st := range h {
		out[i] = storedStatus{st.Status, toMicro(st.At)}
	}
	b, _ := json.Marshal(out) // strings and integers: cannot fail
	return string(b)
}

func decodeHistory(s string) ([]charging.JobStatus, error) {
	var in []storedStatus
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	out := make([]charging.JobStatus, len(in))
	for i, st := range in {
		out[i] = charging.JobStatus{Status: st.Status, At: fromMicro(st.AtUs)}
	}
	return out, nil
}

func nullInt(p *int) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

const firmwareJobColumns = `id, charger_id, firmware_id, location, retrieve_date, retries, retry_interval, command_id, status, error, history, created_at, signed`

// storedSigned is a signed firmware update as stored: the install date in
// microseconds, like every other time.
type storedSigned struct {
	RequestID          int    `json:"requestId"`
	SigningCertificate string `json:"signingCertificate"`
	Signature          string `json:"signature"`
	InstallDateUs      *int64 `json:"installDateUs,omitempty"`
}

func encodeSigned(sf *charging.SignedFirmware) sql.NullString {
	if sf == nil {
		return sql.NullString{}
	}
	st := storedSigned{RequestID: sf.RequestID, SigningCertificate: sf.SigningCertificate, Signature: sf.Signature}
	if sf.InstallDate != nil {
		us := toMicro(*sf.InstallDate)
		st.InstallDateUs = &us
	}
	b, _ := json.Marshal(st) // strings and integers: cannot fail
	return sql.NullString{String: string(b), Valid: true}
}

func decodeSigned(ns sql.NullString) (*charging.SignedFirmware, error) {
	if !ns.Valid {
		return nil, nil
	}
	var st storedSigned
	if err := json.Unmarshal([]byte(ns.String), &st); err != nil {
		return nil, fmt.Errorf("signed: %w", err)
	}
	sf := &charging.SignedFirmware{RequestID: st.RequestID, SigningCertificate: st.SigningCertificate, Signature: st.Signature}
	if st.InstallDateUs != nil {
		t := fromMicro(*st.InstallDateUs)
		sf.InstallDate = &t
	}
	return sf, nil
}

// SaveFirmwareJob inserts or overwrites a firmware job.
func (s *Store) SaveFirmwareJob(ctx context.Context, j charging.FirmwareJob) error {
	return s.write(ctx, "save firmware job "+j.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO firmware_jobs (`+firmwareJobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET firmware_id = excluded.firmware_id, location = excluded.location,
				retrieve_date = excluded.retrieve_date, retries = excluded.retries, retry_interval = excluded.retry_interval,
				command_id = excluded.command_id, status = excluded.status, error = excluded.error, history = excluded.history,
				signed = excluded.signed`,
			j.ID, j.ChargerID, j.FirmwareID, j.Location, toMicro(j.RetrieveDate), nullInt(j.Retries), nullInt(j.RetryIntervalS),
			j.CommandID, j.Status, j.Error, encodeHistory(j.History), toMicro(j.CreatedAt), encodeSigned(j.Signed))
		return err
	})
}

// ListFirmwareJobs returns a charger's newest firmware jobs.
func (s *Store) ListFirmwareJobs(ctx context.Context, chargerID string) ([]charging.FirmwareJob, error) {
	rows, err := s.rd().QueryContext(ctx, `SELECT `+firmwareJobColumns+` FROM firmware_jobs WHERE charger_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, chargerID, jobListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list firmware jobs of %s: %w", chargerID, err)
	}
	defer rows.Close()
	out := []charging.FirmwareJob{}
	for rows.Next() {
		var j charging.FirmwareJob
		var retrieve, created int64
		var retries, interval sql.NullInt64
		var hist string
		var signed sql.NullString
		if err := rows.Scan(&j.ID, &j.ChargerID, &j.FirmwareID, &j.Location, &retrieve, &retries, &interval,
			&j.CommandID, &j.Status, &j.Error, &hist, &created, &signed); err != nil {
			return nil, fmt.Errorf("sqlite: list firmware jobs of %s: %w", chargerID, err)
		}
		j.RetrieveDate, j.CreatedAt, j.Retries, j.RetryIntervalS = fromMicro(retrieve), fromMicro(created), intPtr(retries), intPtr(interval)
		if j.History, err = decodeHistory(hist); err != nil {
			return nil, fmt.Errorf("sqlite: firmware job %s: %w", j.ID, err)
		}
		if j.Signed, err = decodeSigned(signed); err != nil {
			return nil, fmt.Errorf("sqlite: firmware job %s: %w", j.ID, err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list firmware jobs of %s: %w", chargerID, err)
	}
	return out, nil
}

const diagnosticsJobColumns = `id, charger_id, token, location, start_time, stop_time, retries, retry_interval, command_id,
	status, error, history, file_name, size_bytes, sha256, uploaded_at, created_at, log_type, request_id`

// SaveDiagnosticsJob inserts or overwrites a diagnostics job.
func (s *Store) SaveDiagnosticsJob(ctx context.Context, j charging.DiagnosticsJob) error {
	return s.write(ctx, "save diagnostics job "+j.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO diagnostics_jobs (`+diagnosticsJobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET token = excluded.token, location = excluded.location, start_time = excluded.start_time,
				stop_time = excluded.stop_time, retries = excluded.retries, retry_interval = excluded.retry_interval,
				command_id = excluded.command_id, status = excluded.status, error = excluded.error, history = excluded.history,
				file_name = excluded.file_name, size_bytes = excluded.size_bytes, sha256 = excluded.sha256, uploaded_at = excluded.uploaded_at,
				log_type = excluded.log_type, request_id = excluded.request_id`,
			j.ID, j.ChargerID, j.Token, j.Location, nullTime(j.StartTime), nullTime(j.StopTime), nullInt(j.Retries), nullInt(j.RetryIntervalS),
			j.CommandID, j.Status, j.Error, encodeHistory(j.History), j.FileName, j.SizeBytes, j.SHA256, nullTime(j.UploadedAt), toMicro(j.CreatedAt),
			j.LogType, j.RequestID)
		if isUnique(err) {
			return charging.Errorf(charging.ECONFLICT, "diagnostics upload token already used by another job")
		}
		return err
	})
}

func scanDiagnosticsJob(row interface{ Scan(...any) error }) (charging.DiagnosticsJob, error) {
	var j charging.DiagnosticsJob
	var start, stop, uploaded, retries, interval sql.NullInt64
	var created int64
	var hist string
	if err := row.Scan(&j.ID, &j.ChargerID, &j.Token, &j.Location, &start, &stop, &retries, &interval, &j.CommandID,
		&j.Status, &j.Error, &hist, &j.FileName, &j.SizeBytes, &j.SHA256, &uploaded, &created, &j.LogType, &j.RequestID); err != nil {
		return j, err
	}
	j.StartTime, j.StopTime, j.UploadedAt = timePtr(start), timePtr(stop), timePtr(uploaded)
	j.Retries, j.RetryIntervalS, j.CreatedAt = intPtr(retries), intPtr(interval), fromMicro(created)
	var err error
	j.History, err = decodeHistory(hist)
	return j, err
}

// GetDiagnosticsJob returns a diagnostics job by id.
func (s *Store) GetDiagnosticsJob(ctx context.Context, id string) (charging.DiagnosticsJob, error) {
	return s.getDiagnosticsJob(ctx, "id", id)
}

// GetDiagnosticsJobByToken returns the diagnostics job an upload token belongs to.
func (s *Store) GetDiagnosticsJobByToken(ctx context.Context, token string) (charging.DiagnosticsJob, error) {
	return s.getDiagnosticsJob(ctx, "token", token)
}

// getDiagnosticsJob reads the job whose column (id or token) is v.
func (s *Store) getDiagnosticsJob(ctx context.Context, column, v string) (charging.DiagnosticsJob, error) {
	j, err := scanDiagnosticsJob(s.rd().QueryRowContext(ctx, `SELECT `+diagnosticsJobColumns+` FROM diagnostics_jobs WHERE `+column+` = ?`, v))
	if errors.Is(err, sql.ErrNoRows) {
		if column == "token" {
			return j, charging.Errorf(charging.ENOTFOUND, "no diagnostics job has this upload token")
		}
		return j, charging.Errorf(charging.ENOTFOUND, "diagnostics job %s not found", v)
	}
	if err != nil {
		return j, fmt.Errorf("sqlite: get diagnostics job: %w", err)
	}
	return j, nil
}

// ListDiagnosticsJobs returns a charger's newest diagnostics jobs.
func (s *Store) ListDiagnosticsJobs(ctx context.Context, chargerID string) ([]charging.DiagnosticsJob, error) {
	rows, err := s.rd().QueryContext(ctx, `SELECT `+diagnosticsJobColumns+` FROM diagnostics_jobs WHERE charger_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, chargerID, jobListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list diagnostics jobs of %s: %w", chargerID, err)
	}
	defer rows.Close()
	out := []charging.DiagnosticsJob{}
	for rows.Next() {
		j, err := scanDiagnosticsJob(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list diagnostics jobs of %s: %w", chargerID, err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list diagnostics jobs of %s: %w", chargerID, err)
	}
	return out, nil
}
