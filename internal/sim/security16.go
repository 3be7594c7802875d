package sim

import (
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// The OCPP 1.6 security extension's CALLs (security whitepaper ed. 3),
// read and answered here; the rules are in security.go and firmware.go.

// certificateSigned16 answers CertificateSigned (A02).
func (c *Charger) certificateSigned16(r *ocpp16.CertificateSignedRequest) *ocpp16.CertificateSignedResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.certificateSigned(r.CertificateChain) != nil {
		return &ocpp16.CertificateSignedResponse{Status: ocpp16.CertificateSignedStatusEnumRejected}
	}
	return &ocpp16.CertificateSignedResponse{Status: ocpp16.CertificateSignedStatusEnumAccepted}
}

// installCertificate16 answers InstallCertificate (M05).
func (c *Charger) installCertificate16(r *ocpp16.InstallCertificateRequest) *ocpp16.InstallCertificateResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.installCertificate(string(r.CertificateType), r.Certificate)
	return &ocpp16.InstallCertificateResponse{Status: ocpp16.InstallCertificateStatusEnum(st)}
}

// installedCertificateIDs16 answers GetInstalledCertificateIds (M03):
// NotFound when no certificate of the type is installed.
func (c *Charger) installedCertificateIDs16(r *ocpp16.GetInstalledCertificateIdsRequest) *ocpp16.GetInstalledCertificateIdsResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, _ := c.installedIDs([]string{string(r.CertificateType)})
	if len(ids) == 0 {
		return &ocpp16.GetInstalledCertificateIdsResponse{Status: ocpp16.GetInstalledCertificateStatusEnumNotFound}
	}
	resp := &ocpp16.GetInstalledCertificateIdsResponse{Status: ocpp16.GetInstalledCertificateStatusEnumAccepted}
	for _, id := range ids {
		resp.CertificateHashData = append(resp.CertificateHashData, ocpp16.CertificateHashData{
			HashAlgorithm: ocpp16.HashAlgorithmEnum(id.alg), IssuerNameHash: id.nameHash, IssuerKeyHash: id.keyHash, SerialNumber: id.serial,
		})
	}
	return resp
}

// deleteCertificate16 answers DeleteCertificate (M04).
func (c *Charger) deleteCertificate16(r *ocpp16.DeleteCertificateRequest) *ocpp16.DeleteCertificateResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := r.CertificateHashData
	if !c.deleteCertificate(certID{alg: string(h.HashAlgorithm), nameHash: h.IssuerNameHash, keyHash: h.IssuerKeyHash, serial: h.SerialNumber}) {
		return &ocpp16.DeleteCertificateResponse{Status: ocpp16.DeleteCertificateStatusEnumNotFound}
	}
	return &ocpp16.DeleteCertificateResponse{Status: ocpp16.DeleteCertificateStatusEnumAccepted}
}

// getLog16 answers GetLog (N01 of the extension).
func (c *Charger) getLog16(r *ocpp16.GetLogRequest) *ocpp16.GetLogResponse {
	name := c.getLog(string(r.LogType), r.RequestID, r.Log.RemoteLocation, r.Retries, r.RetryInterval)
	return &ocpp16.GetLogResponse{Status: ocpp16.LogStatusEnumAccepted, Filename: &name}
}

// extendedTrigger answers ExtendedTriggerMessage (F06 of the extension):
// the messages TriggerMessage also knows go the same way; a triggered
// FirmwareStatusNotification is the extension's
// SignedFirmwareStatusNotification.
func (c *Charger) extendedTrigger(r *ocpp16.ExtendedTriggerMessageRequest) *ocpp16.ExtendedTriggerMessageResponse {
	switch r.RequestedMessage {
	case ocpp16.MessageTriggerEnumBootNotification, ocpp16.MessageTriggerEnumHeartbeat,
		ocpp16.MessageTriggerEnumMeterValues, ocpp16.MessageTriggerEnumStatusNotification:
		resp := c.trigger(&ocpp16.TriggerMessageRequest{RequestedMessage: ocpp16.MessageTrigger(r.RequestedMessage), ConnectorID: r.ConnectorID})
		return &ocpp16.ExtendedTriggerMessageResponse{Status: ocpp16.TriggerMessageStatusEnum(resp.Status)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.ConnectorID != nil && (*r.ConnectorID < 0 || *r.ConnectorID >= len(c.connectors)) {
		return &ocpp16.ExtendedTriggerMessageResponse{Status: ocpp16.TriggerMessageStatusEnumRejected}
	}
	switch r.RequestedMessage {
	case ocpp16.MessageTriggerEnumFirmwareStatusNotification:
		st, id := c.currentFirmwareStatus()
		c.push(&message{action: "SignedFirmwareStatusNotification",
			req: &ocpp16.SignedFirmwareStatusNotificationRequest{Status: ocpp16.FirmwareStatusEnum(st), RequestID: id}})
	case ocpp16.MessageTriggerEnumLogStatusNotification:
		st, id := c.currentLogStatus()
		c.push(&message{action: "LogStatusNotification",
			req: &ocpp16.LogStatusNotificationRequest{Status: ocpp16.UploadLogStatusEnum(st), RequestID: id}})
	case ocpp16.MessageTriggerEnumSignChargePointCertificate:
		if err := c.queueCSR(nil); err != nil {
			c.log.Error("certificate signing request", "err", err)
			return &ocpp16.ExtendedTriggerMessageResponse{Status: ocpp16.TriggerMessageStatusEnumRejected}
		}
	default:
		return &ocpp16.ExtendedTriggerMessageResponse{Status: ocpp16.TriggerMessageStatusEnumNotImplemented}
	}
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("message triggered", "message", string(r.RequestedMessage), "extended", true)
	return &ocpp16.ExtendedTriggerMessageResponse{Status: ocpp16.TriggerMessageStatusEnumAccepted}
}
