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
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// This file holds the 1.6 FirmwareManagement profile: UpdateFirmware
// (download over HTTP at retrieveDate, install, reboot with the new
// version) and GetDiagnostics (upload a generated log with HTTP PUT). The
// worker carries both out, so the status notifications go out in order
// with the charger's other CALLs.

// transferTimeout bounds one download or upload attempt.
const transferTimeout = time.Minute

// firmwareState is the charger's pending firmware work. The fields are
// guarded by Charger.mu.
type firmwareState struct {
	update  *firmwareUpdate // UpdateFirmware to carry out
	uploads []diagnosticsUpload
}

type firmwareUpdate struct {
	location  string
	at        time.Time // retrieveDate
	retries   int
	interval  time.Duration
	attempted int
}

type diagnosticsUpload struct {
	location string
	fileName string
	retries  int
	interval time.Duration
}

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
	c.mu.Lock()
	defer c.mu.Unlock()
	n, every := retryPolicy(r.Retries, r.RetryInterval)
	c.fw.update = &firmwareUpdate{location: r.Location, at: r.RetrieveDate, retries: n, interval: every}
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("firmware update scheduled", "location", r.Location, "retrieve_date", r.RetrieveDate)
	return &ocpp16.UpdateFirmwareResponse{}
}

// getDiagnostics answers GetDiagnostics with a file name; the worker
// uploads the file.
func (c *Charger) getDiagnostics(r *ocpp16.GetDiagnosticsRequest) *ocpp16.GetDiagnosticsResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := fmt.Sprintf("%s-diagnostics-%s.log", c.cfg.ID, c.now().UTC().Format("20060102T150405Z"))
	n, every := retryPolicy(r.Retries, r.RetryInterval)
	c.fw.uploads = append(c.fw.uploads, diagnosticsUpload{location: r.Location, fileName: name, retries: n, interval: every})
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("diagnostics requested", "file", name)
	return &ocpp16.GetDiagnosticsResponse{FileName: &name}
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
func (c *Charger) doFirmware(ctx context.Context, conn *ocppj.Conn) bool {
	for {
		c.mu.Lock()
		if len(c.fw.uploads) == 0 || time.Now().Before(c.holdUntil) {
			c.mu.Unlock()
			break
		}
		up := c.fw.uploads[0]
		c.fw.uploads = c.fw.uploads[1:]
		c.mu.Unlock()
		if !c.uploadDiagnostics(ctx, conn, up) {
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
func (c *Charger) notify(ctx context.Context, conn *ocppj.Conn, action string, req any) bool {
	_, err := conn.Call(ctx, action, req)
	if err != nil {
		if errors.Is(err, ocppj.ErrClosed) || ctx.Err() != nil {
			return false
		}
		c.log.Warn("status notification not answered", "action", action, "err", err)
	}
	return true
}

func (c *Charger) firmwareStatus(ctx context.Context, conn *ocppj.Conn, st ocpp16.FirmwareStatus) bool {
	c.log.Info("firmware status", "status", string(st))
	return c.notify(ctx, conn, "FirmwareStatusNotification", &ocpp16.FirmwareStatusNotificationRequest{Status: st})
}

// installFirmware downloads the update; on success it installs it and
// reboots (closing the connection, so that Run boots with the new version).
// A failed download is retried while retries remain; the last failure is
// reported as DownloadFailed.
func (c *Charger) installFirmware(ctx context.Context, conn *ocppj.Conn, u *firmwareUpdate, last bool) bool {
	if !c.firmwareStatus(ctx, conn, ocpp16.FirmwareStatusDownloading) {
		return true
	}
	version, err := download(ctx, u.location)
	if err != nil {
		c.log.Warn("firmware download failed", "location", u.location, "err", err, "final", last)
		if last {
			c.clearUpdate(u)
			return !c.firmwareStatus(ctx, conn, ocpp16.FirmwareStatusDownloadFailed)
		}
		return false // retried after the retry interval
	}
	c.clearUpdate(u)
	for _, st := range []ocpp16.FirmwareStatus{ocpp16.FirmwareStatusDownloaded, ocpp16.FirmwareStatusInstalling} {
		if !c.firmwareStatus(ctx, conn, st) {
			return true
		}
	}
	c.fwVersion.Store(&version)
	if !c.firmwareStatus(ctx, conn, ocpp16.FirmwareStatusInstalled) {
		return true
	}
	// Reboot into the new firmware: transactions end (their
	// StopTransaction goes out after the boot).
	c.mu.Lock()
	for _, cn := range c.connectors[1:] {
		c.stopTx(cn, ocpp16.ReasonReboot)
		cn.plugged = false
	}
	c.rebooting = true
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
func download(ctx context.Context, location string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return "", err
	}
	req.Close = true // one transfer: keep no idle connection behind
	resp, err := http.DefaultClient.Do(req)
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

// uploadDiagnostics uploads a generated log, with Uploading and then
// Uploaded or UploadFailed; false means the connection ended.
func (c *Charger) uploadDiagnostics(ctx context.Context, conn *ocppj.Conn, up diagnosticsUpload) bool {
	status := func(st ocpp16.DiagnosticsStatus) bool {
		c.log.Info("diagnostics status", "status", string(st), "file", up.fileName)
		return c.notify(ctx, conn, "DiagnosticsStatusNotification", &ocpp16.DiagnosticsStatusNotificationRequest{Status: st})
	}
	if !status(ocpp16.DiagnosticsStatusUploading) {
		return false
	}
	body := c.diagnosticsLog()
	var err error
	for attempt := 0; ; attempt++ {
		if err = upload(ctx, up.location, up.fileName, body); err == nil || attempt >= up.retries {
			break
		}
		c.log.Warn("diagnostics upload failed, retrying", "err", err, "in", up.interval)
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
		c.log.Warn("diagnostics upload failed", "err", err)
		return status(ocpp16.DiagnosticsStatusUploadFailed)
	}
	return status(ocpp16.DiagnosticsStatusUploaded)
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
func upload(ctx context.Context, location, fileName string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, location, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Close = true
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName}))
	resp, err := http.DefaultClient.Do(req)
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
