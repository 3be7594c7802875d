package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// This file holds firmware updates and log uploads: 1.6 UpdateFirmware and
// SignedUpdateFirmware, 2.0.1 UpdateFirmware (download over HTTP at the
// retrieve date, install, reboot with the new version), 1.6 GetDiagnostics
// and GetLog of both versions (upload a generated log with HTTP PUT). The
// worker carries them out, so the status notifications go out in order
// with the charger's other CALLs.

// transferTimeout bounds one download or upload attempt.
const transferTimeout = time.Minute

// firmwareState is the charger's pending firmware work. The fields are
// guarded by Charger.mu.
type firmwareState struct {
	update  *firmwareUpdate // UpdateFirmware to carry out
	uploads []logUpload
	// status is the firmware status last reported during an update
	// ("" when none runs: Idle), with its update's requestId, for a
	// triggered status notification.
	status    string
	statusReq *int
	uploading *logUpload // the upload in progress, nil if none
}

type firmwareUpdate struct {
	location  string
	at        time.Time // retrieveDate
	retries   int
	interval  time.Duration
	attempted int
	// signed updates (1.6 SignedUpdateFirmware, 2.0.1 UpdateFirmware with
	// a signature) report SignatureVerified; requestID is the request's
	// requestId (1.6 SignedUpdateFirmware, 2.0.1), nil for 1.6
	// UpdateFirmware.
	signed    bool
	requestID *int
}

// logUpload is a file to upload: for GetDiagnostics (getLog false:
// DiagnosticsStatusNotification) or GetLog (LogStatusNotification with the
// requestId).
type logUpload struct {
	location  string
	fileName  string
	retries   int
	interval  time.Duration
	getLog    bool
	requestID int
	security  bool // GetLog SecurityLog: the security log
}

// Firmware statuses, spelled alike in 1.6 (FirmwareStatus and the security
// extension's FirmwareStatusEnum) and 2.0.1.
const (
	fwDownloading       = "Downloading"
	fwDownloaded        = "Downloaded"
	fwDownloadFailed    = "DownloadFailed"
	fwSignatureVerified = "SignatureVerified"
	fwInstalling        = "Installing"
	fwInstalled         = "Installed"
	fwIdle              = "Idle"
)

// FirmwareVersion returns the firmware version the charger reports at boot.
func (c *Charger) FirmwareVersion() string {
	if v := c.fwVersion.Load(); v != nil {
		return *v
	}
	return c.cfg.FirmwareVersion
}

func retryPolicy(retries, intervalS *int) (int, time.Duration) {
	n := max(deref(retries), 0)
	return n, time.Duration(max(deref(intervalS), 0)) * time.Second
}

// updateFirmware accepts UpdateFirmware (its answer carries nothing): the
// worker downloads the file at retrieveDate.
func (c *Charger) updateFirmware(r *ocpp16.UpdateFirmwareRequest) *ocpp16.UpdateFirmwareResponse {
	c.scheduleUpdate(&firmwareUpdate{location: r.Location, at: r.RetrieveDate}, r.Retries, r.RetryInterval)
	return &ocpp16.UpdateFirmwareResponse{}
}

// signedUpdateFirmware accepts SignedUpdateFirmware (1.6 security
// extension, L01). The simulator does not check the signature: it reports
// SignatureVerified after the download.
func (c *Charger) signedUpdateFirmware(r *ocpp16.SignedUpdateFirmwareRequest) *ocpp16.SignedUpdateFirmwareResponse {
	status := c.scheduleUpdate(&firmwareUpdate{location: r.Firmware.Location, at: r.Firmware.RetrieveDateTime,
		signed: true, requestID: ptr(r.RequestID)}, r.Retries, r.RetryInterval)
	return &ocpp16.SignedUpdateFirmwareResponse{Status: ocpp16.UpdateFirmwareStatusEnum(status)}
}

// scheduleUpdate makes u the update the worker carries out at its
// retrieve date. It returns Accepted, or AcceptedCanceled when u replaces
// an update that had not finished (the security extension's and 2.0.1's
// statuses).
func (c *Charger) scheduleUpdate(u *firmwareUpdate, retries, intervalS *int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	u.retries, u.interval = retryPolicy(retries, intervalS)
	status := "Accepted"
	if c.fw.update != nil {
		status = "AcceptedCanceled"
	}
	c.fw.update = u
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("firmware update scheduled", "location", u.location, "retrieve_date", u.at, "signed", u.signed, "request_id", deref(u.requestID))
	return status
}

// getDiagnostics answers GetDiagnostics with a file name; the worker
// uploads the file.
func (c *Charger) getDiagnostics(r *ocpp16.GetDiagnosticsRequest) *ocpp16.GetDiagnosticsResponse {
	name := c.queueUpload(logUpload{location: r.Location}, "diagnostics", r.Retries, r.RetryInterval)
	return &ocpp16.GetDiagnosticsResponse{FileName: &name}
}

// getLog answers GetLog (1.6 security extension, 2.0.1 N01) with a file
// name; the worker uploads the file.
func (c *Charger) getLog(logType string, requestID int, location string, retries, intervalS *int) string {
	up := logUpload{location: location, getLog: true, requestID: requestID, security: logType == "SecurityLog"}
	kind := "diagnostics"
	if up.security {
		kind = "security"
	}
	return c.queueUpload(up, kind, retries, intervalS)
}

// queueUpload queues up with a generated file name and returns the name.
func (c *Charger) queueUpload(up logUpload, kind string, retries, intervalS *int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	up.fileName = fmt.Sprintf("%s-%s-%s.log", c.cfg.ID, kind, c.now().UTC().Format("20060102T150405Z"))
	up.retries, up.interval = retryPolicy(retries, intervalS)
	c.fw.uploads = append(c.fw.uploads, up)
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("log upload requested", "file", up.fileName, "request_id", up.requestID)
	return up.fileName
}

// nextAttempt is when the update's next download attempt is due.
func (u *firmwareUpdate) nextAttempt() time.Time {
	return u.at.Add(time.Duration(u.attempted) * u.interval)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// firmwareDue returns when the worker has firmware work to do (zero: none).
// Callers hold mu.
func (c *Charger) firmwareDue() time.Time {
	var due time.Time
	if len(c.fw.uploads) > 0 {
		due = later(c.holdUntil, time.Now())
	}
	if u := c.fw.update; u != nil {
		if at := later(u.nextAttempt(), c.holdUntil); due.IsZero() || at.Before(due) {
			due = at
		}
	}
	return due
}

// doFirmware carries out due diagnostics uploads and a due firmware update.
// It returns true when the connection has ended (a lost connection, or the
// reboot after an installation).
func (c *Charger) doFirmware(ctx context.Context, conn link) bool {
	for {
		c.mu.Lock()
		if len(c.fw.uploads) == 0 || time.Now().Before(c.holdUntil) {
			c.mu.Unlock()
			break
		}
		up := c.fw.uploads[0]
		c.fw.uploads = c.fw.uploads[1:]
		c.fw.uploading = &up
		c.mu.Unlock()
		ok := c.uploadLog(ctx, conn, up)
		c.mu.Lock()
		c.fw.uploading = nil
		c.mu.Unlock()
		if !ok {
			return true
		}
	}
	c.mu.Lock()
	u := c.fw.update
	if u == nil || time.Now().Before(later(u.nextAttempt(), c.holdUntil)) {
		c.mu.Unlock()
		return false
	}
	u.attempted++
	last := u.attempted > u.retries
	c.mu.Unlock()
	return c.installFirmware(ctx, conn, u, last)
}

// notify sends a status notification; false means the connection ended.
func (c *Charger) notify(ctx context.Context, conn link, action string, req any) bool {
	_, err := conn.Call(ctx, action, req)
	if err != nil {
		if errors.Is(err, ocppj.ErrClosed) || ctx.Err() != nil {
			return false
		}
		c.log.Warn("status notification not answered", "action", action, "err", err)
	}
	return true
}

// firmwareStatus reports status st of update u in the charger's version:
// 1.6 FirmwareStatusNotification, or SignedFirmwareStatusNotification for
// a signed update; 2.0.1 FirmwareStatusNotification with the requestId.
func (c *Charger) firmwareStatus(ctx context.Context, conn link, u *firmwareUpdate, st string) bool {
	c.mu.Lock()
	c.fw.status, c.fw.statusReq = st, u.requestID
	switch st {
	case fwInstalled, fwDownloadFailed:
		c.fw.status, c.fw.statusReq = "", nil // the update is over: Idle
	}
	action, req := c.firmwareStatusRequest(u.signed, st, u.requestID)
	c.mu.Unlock()
	c.log.Info("firmware status", "status", st, "request_id", deref(u.requestID))
	if c.unsayable(action, st) {
		return true
	}
	return c.notify(ctx, conn, action, req)
}

// firmwareStatusRequest builds a firmware status notification. Callers
// hold mu.
func (c *Charger) firmwareStatusRequest(signed bool, st string, requestID *int) (action string, req any) {
	switch {
	case c.v2 != nil:
		return "FirmwareStatusNotification", &ocpp201.FirmwareStatusNotificationRequest{Status: ocpp201.FirmwareStatusEnum(st), RequestID: requestID}
	case signed:
		return "SignedFirmwareStatusNotification", &ocpp16.SignedFirmwareStatusNotificationRequest{Status: ocpp16.FirmwareStatusEnum(st), RequestID: requestID}
	}
	return "FirmwareStatusNotification", &ocpp16.FirmwareStatusNotificationRequest{Status: ocpp16.FirmwareStatus(st)}
}

// currentFirmwareStatus is the status a triggered notification reports:
// that of the update in progress, else Idle. Callers hold mu.
func (c *Charger) currentFirmwareStatus() (string, *int) {
	if c.fw.status == "" {
		return fwIdle, nil
	}
	return c.fw.status, c.fw.statusReq
}

// currentLogStatus is the status a triggered LogStatusNotification
// reports: Uploading with the requestId during a GetLog upload, else
// Idle. Callers hold mu.
func (c *Charger) currentLogStatus() (string, *int) {
	if up := c.fw.uploading; up != nil && up.getLog {
		return "Uploading", ptr(up.requestID)
	}
	return "Idle", nil
}

// installFirmware downloads the update; on success it installs it and
// reboots (closing the connection, so that Run boots with the new version).
// A failed download is retried while retries remain; the last failure is
// reported as DownloadFailed.
func (c *Charger) installFirmware(ctx context.Context, conn link, u *firmwareUpdate, last bool) bool {
	if !c.firmwareStatus(ctx, conn, u, fwDownloading) {
		return true
	}
	version, err := download(ctx, c.httpClient(), u.location)
	if err != nil {
		c.log.Warn("firmware download failed", "location", u.location, "err", err, "final", last)
		if last {
			c.clearUpdate(u)
			return !c.firmwareStatus(ctx, conn, u, fwDownloadFailed)
		}
		return false // retried after the retry interval
	}
	c.clearUpdate(u)
	steps := []string{fwDownloaded, fwInstalling}
	if u.signed {
		steps = []string{fwDownloaded, fwSignatureVerified, fwInstalling}
	}
	for _, st := range steps {
		if !c.firmwareStatus(ctx, conn, u, st) {
			return true
		}
	}
	c.fwVersion.Store(&version)
	if !c.firmwareStatus(ctx, conn, u, fwInstalled) {
		return true
	}
	// Reboot into the new firmware: transactions end (their
	// StopTransaction goes out after the boot).
	c.mu.Lock()
	for _, cn := range c.connectors[1:] {
		c.stopTx(cn, ocpp16.ReasonReboot)
		cn.plugged = false
	}
	if c.v2 != nil {
		c.v2.bootReason = ocpp201.BootReasonEnumFirmwareUpdate
	}
	c.securityLog("firmware updated to " + version)
	c.reconnectNow = true
	c.mu.Unlock()
	c.log.Info("rebooting into new firmware", "version", version)
	_ = conn.Close(websocket.CloseNormalClosure, "firmware installed")
	return true
}

// clearUpdate forgets u unless a newer UpdateFirmware replaced it.
func (c *Charger) clearUpdate(u *firmwareUpdate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fw.update == u {
		c.fw.update = nil
	}
}

// download fetches a firmware file and returns its version: the file name
// the server gives (Content-Disposition), else the URL's last path element.
func download(ctx context.Context, client *http.Client, location string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return "", err
	}
	req.Close = true // one transfer: keep no idle connection behind
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", location, resp.Status)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", fmt.Errorf("GET %s: %w", location, err)
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		return params["filename"], nil
	}
	u, _ := url.Parse(location)
	return path.Base(u.Path), nil
}

// uploadLog uploads a generated log, with Uploading and then Uploaded or
// UploadFailed (GetDiagnostics) / UploadFailure (GetLog); false means the
// connection ended.
func (c *Charger) uploadLog(ctx context.Context, conn link, up logUpload) bool {
	status := func(st string) bool {
		c.log.Info("log upload status", "status", st, "file", up.fileName)
		switch {
		case !up.getLog && c.unsayable("DiagnosticsStatusNotification", st):
			return true
		case !up.getLog:
			return c.notify(ctx, conn, "DiagnosticsStatusNotification", &ocpp16.DiagnosticsStatusNotificationRequest{Status: ocpp16.DiagnosticsStatus(st)})
		case c.v2 != nil:
			return c.notify(ctx, conn, "LogStatusNotification", &ocpp201.LogStatusNotificationRequest{Status: ocpp201.UploadLogStatusEnum(st), RequestID: ptr(up.requestID)})
		}
		return c.notify(ctx, conn, "LogStatusNotification", &ocpp16.LogStatusNotificationRequest{Status: ocpp16.UploadLogStatusEnum(st), RequestID: ptr(up.requestID)})
	}
	failed := string(ocpp16.DiagnosticsStatusUploadFailed)
	if up.getLog {
		failed = string(ocpp16.UploadLogStatusEnumUploadFailure)
	}
	if !status("Uploading") {
		return false
	}
	client := c.httpClient()
	body := c.diagnosticsLog()
	if up.security {
		body = c.securityLogFile()
	}
	var err error
	for attempt := 0; ; attempt++ {
		if err = upload(ctx, client, up.location, up.fileName, body); err == nil || attempt >= up.retries {
			break
		}
		c.log.Warn("log upload failed, retrying", "err", err, "in", up.interval)
		t := time.NewTimer(up.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-conn.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
	if err != nil {
		c.log.Warn("log upload failed", "err", err)
		return status(failed)
	}
	return status("Uploaded")
}

// diagnosticsLog generates the charger's diagnostics file: its identity
// and each connector's state.
func (c *Charger) diagnosticsLog() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	now := c.now().UTC().Format(time.RFC3339)
	fmt.Fprintf(&b, "%s charger=%s vendor=%s model=%s firmware=%s\n", now, c.cfg.ID, c.cfg.Vendor, c.cfg.Model, c.FirmwareVersion())
	for _, cn := range c.connectors {
		fmt.Fprintf(&b, "%s connector=%d status=%s energy_wh=%.0f\n", now, cn.id, cn.status, cn.energyWh)
	}
	return b.Bytes()
}

// upload PUTs a file to location.
func upload(ctx context.Context, client *http.Client, location, fileName string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, location, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Close = true
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName}))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: %s", strings.SplitN(location, "?", 2)[0], resp.Status)
	}
	return nil
}
