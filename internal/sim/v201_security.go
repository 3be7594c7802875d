package sim

import (
	"strconv"

	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
)

// OCPP 2.0.1 security (blocks A and M), firmware (L01) and logs (N01),
// read and answered here; the rules are in security.go and firmware.go.

// handleSecurity201 answers the 2.0.1 CALLs of this file; ok is false for
// the others.
func (c *Charger) handleSecurity201(req any) (resp any, ok bool) {
	switch r := req.(type) {
	case *ocpp201.CertificateSignedRequest:
		return c.certificateSigned201(r), true
	case *ocpp201.InstallCertificateRequest:
		return c.installCertificate201(r), true
	case *ocpp201.GetInstalledCertificateIdsRequest:
		return c.installedCertificateIDs201(r), true
	case *ocpp201.DeleteCertificateRequest:
		return c.deleteCertificate201(r), true
	case *ocpp201.GetLogRequest:
		name := c.getLog(string(r.LogType), r.RequestID, r.Log.RemoteLocation, r.Retries, r.RetryInterval)
		return &ocpp201.GetLogResponse{Status: ocpp201.LogStatusEnumAccepted, Filename: &name}, true
	case *ocpp201.UpdateFirmwareRequest:
		return c.updateFirmware201(r), true
	}
	return nil, false
}

// certType201 maps a 2.0.1 certificate type to the simulator's (1.6)
// name, and certTypeTo201 back.
func certType201(t string) string {
	if t == string(ocpp201.InstallCertificateUseEnumCSMSRootCertificate) {
		return certCSMSRoot
	}
	return t
}

func certTypeTo201(t string) ocpp201.GetCertificateIDUseEnum {
	if t == certCSMSRoot {
		return ocpp201.GetCertificateIDUseEnumCSMSRootCertificate
	}
	return ocpp201.GetCertificateIDUseEnum(t)
}

// certificateSigned201 answers CertificateSigned (A02): the station
// requests ChargingStationCertificates only; a V2GCertificate (ISO 15118)
// is Rejected.
func (c *Charger) certificateSigned201(r *ocpp201.CertificateSignedRequest) *ocpp201.CertificateSignedResponse {
	rejected := &ocpp201.CertificateSignedResponse{Status: ocpp201.CertificateSignedStatusEnumRejected}
	if r.CertificateType != nil && *r.CertificateType != ocpp201.CertificateSigningUseEnumChargingStationCertificate {
		c.log.Info("signed certificate rejected: not a ChargingStationCertificate", "type", string(*r.CertificateType))
		return rejected
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.certificateSigned(r.CertificateChain) != nil {
		return rejected
	}
	return &ocpp201.CertificateSignedResponse{Status: ocpp201.CertificateSignedStatusEnumAccepted}
}

// installCertificate201 answers InstallCertificate (M05).
func (c *Charger) installCertificate201(r *ocpp201.InstallCertificateRequest) *ocpp201.InstallCertificateResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.installCertificate(certType201(string(r.CertificateType)), r.Certificate)
	return &ocpp201.InstallCertificateResponse{Status: ocpp201.InstallCertificateStatusEnum(st)}
}

// installedCertificateIDs201 answers GetInstalledCertificateIds (M03): the
// installed certificates of the types asked for (every type when none
// is), NotFound when there are none.
func (c *Charger) installedCertificateIDs201(r *ocpp201.GetInstalledCertificateIdsRequest) *ocpp201.GetInstalledCertificateIdsResponse {
	var types []string
	for _, t := range r.CertificateType {
		types = append(types, certType201(string(t)))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, typs := c.installedIDs(types)
	if len(ids) == 0 {
		return &ocpp201.GetInstalledCertificateIdsResponse{Status: ocpp201.GetInstalledCertificateStatusEnumNotFound}
	}
	resp := &ocpp201.GetInstalledCertificateIdsResponse{Status: ocpp201.GetInstalledCertificateStatusEnumAccepted}
	for i, id := range ids {
		resp.CertificateHashDataChain = append(resp.CertificateHashDataChain, ocpp201.CertificateHashDataChain{
			CertificateType: certTypeTo201(typs[i]),
			CertificateHashData: ocpp201.CertificateHashData{
				HashAlgorithm: ocpp201.HashAlgorithmEnum(id.alg), IssuerNameHash: id.nameHash, IssuerKeyHash: id.keyHash, SerialNumber: id.serial,
			},
		})
	}
	return resp
}

// deleteCertificate201 answers DeleteCertificate (M04).
func (c *Charger) deleteCertificate201(r *ocpp201.DeleteCertificateRequest) *ocpp201.DeleteCertificateResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := r.CertificateHashData
	if !c.deleteCertificate(certID{alg: string(h.HashAlgorithm), nameHash: h.IssuerNameHash, keyHash: h.IssuerKeyHash, serial: h.SerialNumber}) {
		return &ocpp201.DeleteCertificateResponse{Status: ocpp201.DeleteCertificateStatusEnumNotFound}
	}
	return &ocpp201.DeleteCertificateResponse{Status: ocpp201.DeleteCertificateStatusEnumAccepted}
}

// updateFirmware201 accepts UpdateFirmware (L01, L02). A signed update
// (with a signature) reports SignatureVerified after the download; the
// simulator does not check the signature.
func (c *Charger) updateFirmware201(r *ocpp201.UpdateFirmwareRequest) *ocpp201.UpdateFirmwareResponse {
	status := c.scheduleUpdate(&firmwareUpdate{location: r.Firmware.Location, at: r.Firmware.RetrieveDateTime,
		signed: r.Firmware.Signature != nil, requestID: ptr(r.RequestID)}, r.Retries, r.RetryInterval)
	return &ocpp201.UpdateFirmwareResponse{Status: ocpp201.UpdateFirmwareStatusEnum(status)}
}

// Device-model variables of SecurityCtrlr (v201_devicemodel.go).

func securityProfileVar(c *Charger, _ *connector) string { return strconv.Itoa(c.sec.profile) }

func certificateEntriesVar(c *Charger, _ *connector) string {
	n := len(c.sec.installed)
	if c.sec.cert != nil {
		n++
	}
	return strconv.Itoa(n)
}

func organizationNameVar(c *Charger, _ *connector) string { return c.sec.org }

func setOrganizationName(c *Charger, v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	c.sec.org = v
	return true
}

// setBasicAuthPassword takes a new BasicAuthPassword (A01); the station
// reconnects with it when it uses one.
func setBasicAuthPassword(c *Charger, v string) bool {
	if !validBasicAuthPassword(v) {
		return false
	}
	c.setPassword(v, "BasicAuthPassword")
	return true
}
