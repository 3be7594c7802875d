package httpapi

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// This file holds the firmware and diagnostics endpoints. The API keeps
// the files (Options.FilesDir), the service their records: firmware is
// stored by its SHA-256, a diagnostics upload by its job id.

// MaxFileBytes is the largest firmware or diagnostics file the API accepts (256 MiB).
const MaxFileBytes = 256 << 20

// firmwareView is a firmware image with the URL chargers download it from.
type firmwareView struct {
	charging.Firmware
	DownloadURL string `json:"downloadUrl"`
}

// diagnosticsView is a diagnostics job with the URL of its uploaded file.
type diagnosticsView struct {
	charging.DiagnosticsJob
	DownloadURL string `json:"downloadUrl,omitempty"` // set once the file arrived
}

// publicBase returns the base of absolute URLs: Options.PublicURL, else the
// request's scheme and Host.
func (s *Server) publicBase(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// uploadURL returns the function that makes a diagnostics or log job's
// upload URL from its token: /api/v1/diagnostics-uploads/{token} under
// publicBase.
func (s *Server) uploadURL(r *http.Request) func(token string) string {
	base := s.publicBase(r)
	return func(token string) string { return base + "/api/v1/diagnostics-uploads/" + url.PathEscape(token) }
}

func (s *Server) firmwareView(r *http.Request, f charging.Firmware) firmwareView {
	return firmwareView{f, s.publicBase(r) + "/api/v1/firmware/" + url.PathEscape(f.ID) + "/download"}
}

func (s *Server) diagnosticsView(r *http.Request, j charging.DiagnosticsJob) diagnosticsView {
	v := diagnosticsView{DiagnosticsJob: j}
	if j.UploadedAt != nil {
		v.DownloadURL = s.publicBase(r) + "/api/v1/diagnostics/" + url.PathEscape(j.ID) + "/file"
	}
	return v
}

// filesDir returns FilesDir/sub, or refuses when the server keeps no files.
func (s *Server) filesDir(w http.ResponseWriter, r *http.Request, sub string) (string, bool) {
	if s.opts.FilesDir == "" {
		s.problem(w, r, http.StatusServiceUnavailable, charging.EUNAVAILABLE, "this server has no data directory for files")
		return "", false
	}
	return filepath.Join(s.opts.FilesDir, sub), true
}

// fileReadTimeout bounds the upload of one file.
const fileReadTimeout = 30 * time.Minute

// receivedFile is an uploaded file, hashed, in a temporary file of its directory.
type receivedFile struct {
	tmp       string
	name      string // the multipart part's file name, if any
	sizeBytes int64
	sha256    string
}

// receiveFile stores the request's file in a temporary file under dir: the
// raw body, or for multipart/form-data the part named field (else the
// first part with a file name). The caller renames or removes it.
func receiveFile(w http.ResponseWriter, r *http.Request, dir, field string) (receivedFile, error) {
	var out receivedFile
	// A firmware image or a charger's diagnostics over a slow link may take
	// longer than the server's ReadTimeout: a file gets its own bound.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(fileReadTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, MaxFileBytes)
	src := io.Reader(r.Body)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return out, invalidf("multipart body: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return out, invalidf("multipart body has no %q file part", field)
			}
			if err != nil {
				return out, uploadError(err)
			}
			if p.FormName() == field || p.FileName() != "" {
				out.name, src = p.FileName(), p
				break
			}
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return out, fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return out, fmt.Errorf("create upload file: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), src)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write upload file: %w", cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return out, uploadError(err)
	}
	out.tmp, out.sizeBytes, out.sha256 = f.Name(), n, hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// uploadError maps a failure to read an upload: too large is 413, a broken
// body 400.
func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &badRequest{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			detail: fmt.Sprintf("file is larger than %d bytes", MaxFileBytes)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidf("upload body is truncated")
	case strings.HasPrefix(err.Error(), "multipart:"):
		return invalidf("multipart body: %v", err)
	}
	return err
}

// POST /api/v1/firmware?name=2.0.0 with the file as the body, or multipart
// with a "file" part (its file name is the default name).
func (s *Server) uploadFirmware(w http.ResponseWriter, r *http.Request) {
	dir, ok := s.filesDir(w, r, "firmware")
	if !ok {
		return
	}
	isMultipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if name == "" && !isMultipart {
		s.reject(w, r, invalidf("name is required: POST /api/v1/firmware?name=VERSION with the file as the body"))
		return
	}
	got, err := receiveFile(w, r, dir, "file")
	if err != nil {
		s.reject(w, r, err)
		return
	}
	name = cmp.Or(name, strings.TrimSpace(got.name))
	if name == "" || got.sizeBytes == 0 {
		os.Remove(got.tmp)
		s.reject(w, r, invalidf("a firmware upload needs a name (?name= or the file's name) and a non-empty file"))
		return
	}
	// Content-addressed: the same image uploaded twice is one file.
	if err := os.Rename(got.tmp, filepath.Join(dir, got.sha256)); err != nil {
		os.Remove(got.tmp)
		s.fail(w, r, fmt.Errorf("store firmware file: %w", err))
		return
	}
	f, err := s.svc.AddFirmware(r.Context(), name, got.sizeBytes, got.sha256)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/firmware/"+url.PathEscape(f.ID)+"/download")
	writeJSON(w, http.StatusCreated, s.firmwareView(r, f))
}

// GET /api/v1/firmware
func (s *Server) listFirmware(w http.ResponseWriter, r *http.Request) {
	all, err := s.svc.ListFirmware(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]firmwareView, len(all))
	for i, f := range all {
		items[i] = s.firmwareView(r, f)
	}
	writeJSON(w, http.StatusOK, struct {
		Items []firmwareView `json:"items"`
	}{items})
}

// serveFile serves a stored file as an attachment named name, with ranges
// (a charger may resume a download).
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, path, name string, modified time.Time) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		s.problem(w, r, http.StatusNotFound, charging.ENOTFOUND, "the file is missing from the data directory")
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("open %s: %w", path, err))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	http.ServeContent(w, r, name, modified, f)
}

// GET /api/v1/firmware/{id}/download: what chargers fetch.
func (s *Server) downloadFirmware(w http.ResponseWriter, r *http.Request) {
	dir, ok := s.filesDir(w, r, "firmware")
	if !ok {
		return
	}
	f, err := s.svc.GetFirmware(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", `"`+f.SHA256+`"`)
	s.serveFile(w, r, filepath.Join(dir, f.SHA256), f.Name, f.CreatedAt)
}

// maxSignatureChars is OCPP's bound on a firmware signature (string[0..800]).
const maxSignatureChars = 800

// POST /api/v1/chargers/{id}/firmware-updates {firmwareId | location,
// retrieveDate?, retries?, retryInterval?, signingCertificate?, signature?, installDate?}.
// With signingCertificate and signature it is a signed update (1.6
// SignedUpdateFirmware, 2.0.1 UpdateFirmware).
func (s *Server) updateFirmware(w http.ResponseWriter, r *http.Request) {
	var b struct {
		FirmwareID         string  `json:"firmwareId"`
		Location           string  `json:"location"`
		RetrieveDate       *string `json:"retrieveDate"`
		Retries            *int    `json:"retries"`
		RetryInterval      *int    `json:"retryInterval"`
		SigningCertificate string  `json:"signingCertificate"`
		Signature          string  `json:"signature"`
		InstallDate        *string `json:"installDate"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if (b.FirmwareID == "") == (b.Location == "") {
		s.reject(w, r, invalidf("give exactly one of firmwareId (firmware uploaded to Joule) and location (a URL)"))
		return
	}
	retrieve, err := bodyTime("retrieveDate", b.RetrieveDate)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	install, err := bodyTime("installDate", b.InstallDate)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	signed := b.SigningCertificate != "" || b.Signature != ""
	if err := validSigned(b.SigningCertificate, b.Signature, install); err != nil {
		s.reject(w, r, err)
		return
	}
	u := charging.FirmwareUpdate{Location: b.Location, Retries: b.Retries, RetryIntervalS: b.RetryInterval}
	if retrieve != nil {
		u.RetrieveDate = *retrieve
	}
	if b.FirmwareID != "" {
		f, err := s.svc.GetFirmware(r.Context(), b.FirmwareID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		u.Location = s.firmwareView(r, f).DownloadURL
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	var job charging.FirmwareJob
	if signed {
		// The service assigns the requestId.
		job, err = s.svc.UpdateFirmwareSigned(ctx, r.PathValue("id"), b.FirmwareID, u, charging.SignedFirmware{
			SigningCertificate: b.SigningCertificate, Signature: b.Signature, InstallDate: install,
		})
	} else {
		job, err = s.svc.UpdateFirmware(ctx, r.PathValue("id"), b.FirmwareID, u)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, job)
}

// validSigned checks the signed-update fields: both or neither of
// signingCertificate and signature, installDate only with them.
func validSigned(cert, sig string, installDate *time.Time) error {
	switch {
	case cert == "" && sig == "":
		if installDate != nil {
			return invalidf("installDate is for signed updates: give signingCertificate and signature too")
		}
		return nil
	case cert == "":
		return invalidf("signingCertificate is required with signature (a signed update needs both)")
	case sig == "":
		return invalidf("signature is required with signingCertificate (a signed update needs both)")
	}
	if err := certificatePEM("signingCertificate", cert); err != nil {
		return err
	}
	if len(sig) > maxSignatureChars {
		return invalidf("signature must be at most %d characters (OCPP's limit), got %d", maxSignatureChars, len(sig))
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(sig); err != nil {
		return invalidf("signature must be base64 (standard alphabet, padded): %v", err)
	}
	return nil
}

// GET /api/v1/chargers/{id}/firmware-updates
func (s *Server) listFirmwareJobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.svc.ListFirmwareJobs(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []charging.FirmwareJob `json:"items"`
	}{jobs})
}

// POST /api/v1/chargers/{id}/diagnostics {startTime?, stopTime?, retries?, retryInterval?}
func (s *Server) requestDiagnostics(w http.ResponseWriter, r *http.Request) {
	var b struct {
		StartTime     *time.Time `json:"startTime"`
		StopTime      *time.Time `json:"stopTime"`
		Retries       *int       `json:"retries"`
		RetryInterval *int       `json:"retryInterval"`
	}
	if r.ContentLength != 0 { // every field is optional: no body is {}
		if err := decodeJSON(w, r, &b); err != nil {
			s.reject(w, r, err)
			return
		}
	}
	if _, ok := s.filesDir(w, r, "diagnostics"); !ok {
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	job, err := s.svc.RequestDiagnostics(ctx, r.PathValue("id"),
		charging.DiagnosticsRequest{StartTime: b.StartTime, StopTime: b.StopTime, Retries: b.Retries, RetryIntervalS: b.RetryInterval},
		s.uploadURL(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.diagnosticsView(r, job))
}

// GET /api/v1/chargers/{id}/diagnostics
func (s *Server) listDiagnosticsJobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.svc.ListDiagnosticsJobs(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]diagnosticsView, len(jobs))
	for i, j := range jobs {
		items[i] = s.diagnosticsView(r, j)
	}
	writeJSON(w, http.StatusOK, struct {
		Items []diagnosticsView `json:"items"`
	}{items})
}

// logTypes are GetLog's logType values (1.6 security extension, 2.0.1 N01).
var logTypes = []string{"DiagnosticsLog", "SecurityLog"}

// POST /api/v1/chargers/{id}/logs {logType, oldestTimestamp?, latestTimestamp?, retries?, retryInterval?}:
// GetLog with a single-use upload URL, tracked as a diagnostics job with
// the log type; the charger uploads to /api/v1/diagnostics-uploads/{token}.
func (s *Server) requestLog(w http.ResponseWriter, r *http.Request) {
	var b struct {
		LogType         string  `json:"logType"`
		OldestTimestamp *string `json:"oldestTimestamp"`
		LatestTimestamp *string `json:"latestTimestamp"`
		Retries         *int    `json:"retries"`
		RetryInterval   *int    `json:"retryInterval"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	oldest, err := bodyTime("oldestTimestamp", b.OldestTimestamp)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	latest, err := bodyTime("latestTimestamp", b.LatestTimestamp)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	switch {
	case !slices.Contains(logTypes, b.LogType):
		err = invalidf("logType must be DiagnosticsLog or SecurityLog, got %s", quote(b.LogType))
	case oldest != nil && latest != nil && latest.Before(*oldest):
		err = invalidf("latestTimestamp must not be before oldestTimestamp")
	case b.Retries != nil && *b.Retries < 0:
		err = invalidf("retries must be 0 or more, got %d", *b.Retries)
	case b.RetryInterval != nil && *b.RetryInterval < 0:
		err = invalidf("retryInterval must be 0 or more seconds, got %d", *b.RetryInterval)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	if _, ok := s.filesDir(w, r, "diagnostics"); !ok {
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	// The service assigns the requestId and sets Location from uploadURL.
	job, err := s.svc.RequestLog(ctx, r.PathValue("id"), charging.LogRequest{
		LogType: b.LogType, OldestTimestamp: oldest, LatestTimestamp: latest,
		Retries: b.Retries, RetryIntervalS: b.RetryInterval,
	}, s.uploadURL(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.diagnosticsView(r, job))
}

// GET /api/v1/chargers/{id}/logs: the charger's diagnostics jobs that are
// GetLog requests (those with a logType).
func (s *Server) listLogs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.svc.ListDiagnosticsJobs(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := []diagnosticsView{}
	for _, j := range jobs {
		if j.LogType != "" {
			items = append(items, s.diagnosticsView(r, j))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Items []diagnosticsView `json:"items"`
	}{items})
}

// PUT|POST /api/v1/diagnostics-uploads/{token}: the charger's upload, the
// raw body or multipart (a "file" part, else the first file). A token
// accepts one upload.
func (s *Server) uploadDiagnostics(w http.ResponseWriter, r *http.Request) {
	dir, ok := s.filesDir(w, r, "diagnostics")
	if !ok {
		return
	}
	token := r.PathValue("token")
	if _, err := s.svc.DiagnosticsUploadJob(r.Context(), token); err != nil {
		s.fail(w, r, err)
		return
	}
	got, err := receiveFile(w, r, dir, "file")
	if err != nil {
		s.reject(w, r, err)
		return
	}
	// Claim the token first, so that of two uploads only one file is kept.
	job, err := s.svc.DiagnosticsUploaded(r.Context(), token, got.sizeBytes, got.sha256)
	if err != nil {
		os.Remove(got.tmp)
		s.fail(w, r, err)
		return
	}
	if err := os.Rename(got.tmp, filepath.Join(dir, job.ID)); err != nil {
		os.Remove(got.tmp)
		s.fail(w, r, fmt.Errorf("store diagnostics file: %w", err))
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		ID        string `json:"id"`
		SizeBytes int64  `json:"sizeBytes"`
		SHA256    string `json:"sha256"`
	}{job.ID, job.SizeBytes, job.SHA256})
}

// GET /api/v1/diagnostics/{jobId}/file
func (s *Server) downloadDiagnostics(w http.ResponseWriter, r *http.Request) {
	dir, ok := s.filesDir(w, r, "diagnostics")
	if !ok {
		return
	}
	j, err := s.svc.GetDiagnosticsJob(r.Context(), r.PathValue("jobId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if j.UploadedAt == nil {
		s.problem(w, r, http.StatusNotFound, charging.ENOTFOUND, "diagnostics job "+j.ID+" has no uploaded file yet (status "+j.Status+")")
		return
	}
	s.serveFile(w, r, filepath.Join(dir, j.ID), cmp.Or(j.FileName, j.ID), *j.UploadedAt)
}
