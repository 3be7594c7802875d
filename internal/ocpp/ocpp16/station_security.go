package ocpp16

import (
	"context"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// This file is the 1.6 Security Extension (security whitepaper ed. 3):
// gateway.SecurityCommands (charging.SecurityCommander without the charger
// id) and the charger's security messages, which handle passes to
// charging.SecurityEvents.
//
//	SetPassword                  ChangeConfiguration AuthorizationKey (A01)
//	CertificateSigned            CertificateSigned (A02); ChargePointCertificate only
//	InstallCertificate           InstallCertificate (M05); the two 1.6 roots
//	GetInstalledCertificateIDs   GetInstalledCertificateIds (M03), one CALL per type
//	DeleteCertificate            DeleteCertificate (M04)
//	ExtendedTriggerMessage       ExtendedTriggerMessage (F06)
//	GetLog                       GetLog (N01)
//	SignedUpdateFirmware         SignedUpdateFirmware (L01)

// authorizationKey is the configuration key of the Basic-auth password. Its
// value is a secret: it is never logged, nor booked as a configuration value.
const authorizationKey = "AuthorizationKey"

// SetPassword sends ChangeConfiguration AuthorizationKey. The answer is the
// charger's ConfigurationStatus (Accepted, Rejected, RebootRequired,
// NotSupported); after Accepted the old password must stop working (A01.FR.03).
func (s *Station) SetPassword(ctx context.Context, password string) (charging.CommandStatus, error) {
	resp, err := call[ChangeConfigurationResponse](ctx, s, "ChangeConfiguration", &ChangeConfigurationRequest{Key: authorizationKey, Value: password})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// CertificateSigned sends the charger its signed certificate chain. 1.6
// knows only the Charge Point's own certificate: certType must be
// charging.CertChargePoint or "".
func (s *Station) CertificateSigned(ctx context.Context, chainPEM, certType string) (charging.CommandStatus, error) {
	if certType != "" && certType != charging.CertChargePoint {
		return "", charging.Errorf(charging.EINVALID, "CertificateSigned: OCPP 1.6 installs only the %s this way, not a %s", charging.CertChargePoint, certType)
	}
	resp, err := call[CertificateSignedResponse](ctx, s, "CertificateSigned", &CertificateSignedRequest{CertificateChain: chainPEM})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// certificateUse maps a domain certificate type to 1.6's CertificateUseEnum.
func certificateUse(action, certType string) (CertificateUseEnum, error) {
	switch certType {
	case charging.CertCentralSystemRoot:
		return CertificateUseEnumCentralSystemRootCertificate, nil
	case charging.CertManufacturerRoot:
		return CertificateUseEnumManufacturerRootCertificate, nil
	}
	return "", charging.Errorf(charging.EINVALID, "%s: certificate type %q does not exist in OCPP 1.6 (%s or %s)",
		action, certType, charging.CertCentralSystemRoot, charging.CertManufacturerRoot)
}

// InstallCertificate sends InstallCertificate of a root certificate. The
// answer is Accepted, Failed or Rejected.
func (s *Station) InstallCertificate(ctx context.Context, certType, certPEM string) (charging.CommandStatus, error) {
	use, err := certificateUse("InstallCertificate", certType)
	if err != nil {
		return "", err
	}
	resp, err := call[InstallCertificateResponse](ctx, s, "InstallCertificate", &InstallCertificateRequest{CertificateType: use, Certificate: certPEM})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// GetInstalledCertificateIDs lists the installed root certificates of the
// given types (none: both 1.6 types). 1.6's GetInstalledCertificateIds takes
// one type, so it sends one CALL per type and merges the answers: Accepted
// when any type had certificates, NotFound otherwise. Each certificate
// carries the type it was listed under.
func (s *Station) GetInstalledCertificateIDs(ctx context.Context, certTypes []string) (charging.InstalledCertificates, error) {
	if len(certTypes) == 0 {
		certTypes = []string{charging.CertCentralSystemRoot, charging.CertManufacturerRoot}
	}
	var uses []CertificateUseEnum
	for _, t := range certTypes {
		use, err := certificateUse("GetInstalledCertificateIds", t)
		if err != nil {
			return charging.InstalledCertificates{}, err
		}
		if !contains(uses, use) {
			uses = append(uses, use)
		}
	}
	out := charging.InstalledCertificates{Status: charging.CommandStatus(GetInstalledCertificateStatusEnumNotFound), Certificates: []charging.CertificateHashData{}}
	for _, use := range uses {
		resp, err := call[GetInstalledCertificateIdsResponse](ctx, s, "GetInstalledCertificateIds", &GetInstalledCertificateIdsRequest{CertificateType: use})
		if err != nil {
			return charging.InstalledCertificates{}, err
		}
		if resp.Status == GetInstalledCertificateStatusEnumAccepted {
			out.Status = charging.CommandStatus(GetInstalledCertificateStatusEnumAccepted)
		}
		for _, h := range resp.CertificateHashData {
			d := hashData(h)
			d.CertificateType = string(use)
			out.Certificates = append(out.Certificates, d)
		}
	}
	return out, nil
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func hashData(h CertificateHashData) charging.CertificateHashData {
	return charging.CertificateHashData{HashAlgorithm: string(h.HashAlgorithm), IssuerNameHash: h.IssuerNameHash,
		IssuerKeyHash: h.IssuerKeyHash, SerialNumber: h.SerialNumber}
}

// DeleteCertificate sends DeleteCertificate (h.CertificateType is not part
// of the request). The answer is Accepted, Failed or NotFound.
func (s *Station) DeleteCertificate(ctx context.Context, h charging.CertificateHashData) (charging.CommandStatus, error) {
	req := &DeleteCertificateRequest{CertificateHashData: CertificateHashData{HashAlgorithm: HashAlgorithmEnum(h.HashAlgorithm),
		IssuerNameHash: h.IssuerNameHash, IssuerKeyHash: h.IssuerKeyHash, SerialNumber: h.SerialNumber}}
	resp, err := call[DeleteCertificateResponse](ctx, s, "DeleteCertificate", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// ExtendedTriggerMessage sends ExtendedTriggerMessage; connectorID 0 sends
// none. SignedFirmwareStatusNotification is asked for as
// FirmwareStatusNotification, which triggers it in the extension; a name
// the extension lacks (DiagnosticsStatusNotification: use TriggerMessage)
// is EINVALID.
func (s *Station) ExtendedTriggerMessage(ctx context.Context, message string, connectorID int) (charging.CommandStatus, error) {
	m := MessageTriggerEnum(message)
	if message == "SignedFirmwareStatusNotification" {
		m = MessageTriggerEnumFirmwareStatusNotification
	}
	if !m.IsValid() {
		return "", charging.Errorf(charging.EINVALID, "ExtendedTriggerMessage: OCPP 1.6 cannot trigger %q (%s)", message, genMessageTriggerEnumAllowed)
	}
	req := &ExtendedTriggerMessageRequest{RequestedMessage: m}
	if connectorID > 0 {
		req.ConnectorID = &connectorID
	}
	resp, err := call[ExtendedTriggerMessageResponse](ctx, s, "ExtendedTriggerMessage", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// GetLog sends GetLog. The answer is Accepted, Rejected or AcceptedCanceled,
// with the file name the charger will upload.
func (s *Station) GetLog(ctx context.Context, r charging.LogRequest) (charging.LogResult, error) {
	req := &GetLogRequest{LogType: LogEnum(r.LogType), RequestID: r.RequestID, Retries: r.Retries, RetryInterval: r.RetryIntervalS,
		Log: LogParameters{RemoteLocation: r.Location, OldestTimestamp: utcPtr(r.OldestTimestamp), LatestTimestamp: utcPtr(r.LatestTimestamp)}}
	resp, err := call[GetLogResponse](ctx, s, "GetLog", req)
	if err != nil {
		return charging.LogResult{}, err
	}
	return charging.LogResult{Status: charging.CommandStatus(resp.Status), FileName: deref(resp.Filename)}, nil
}

// SignedUpdateFirmware sends SignedUpdateFirmware. The answer is Accepted,
// Rejected, AcceptedCanceled, InvalidCertificate or RevokedCertificate; the
// progress follows as SignedFirmwareStatusNotification.
func (s *Station) SignedUpdateFirmware(ctx context.Context, u charging.FirmwareUpdate, sf charging.SignedFirmware) (charging.CommandStatus, error) {
	req := &SignedUpdateFirmwareRequest{RequestID: sf.RequestID, Retries: u.Retries, RetryInterval: u.RetryIntervalS,
		Firmware: Firmware{Location: u.Location, RetrieveDateTime: u.RetrieveDate.UTC(), InstallDateTime: utcPtr(sf.InstallDate),
			SigningCertificate: sf.SigningCertificate, Signature: sf.Signature}}
	resp, err := call[SignedUpdateFirmwareResponse](ctx, s, "SignedUpdateFirmware", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// signCertificate passes the charger's CSR on (A02): Accepted when Joule
// will send the signed chain (as CertificateSigned, after this answer),
// Rejected otherwise.
func (s *Station) signCertificate(ctx context.Context, r *SignCertificateRequest) (any, error) {
	st, err := s.events.SignCertificate(ctx, s.id, charging.CertificateRequest{CSR: r.Csr, Type: charging.CertChargePoint})
	if err != nil {
		return nil, err
	}
	out := &SignCertificateResponse{Status: GenericStatusEnumRejected}
	if st == charging.CommandStatus(GenericStatusEnumAccepted) {
		out.Status = GenericStatusEnumAccepted
	}
	return out, nil
}

// securityEvent stores a SecurityEventNotification before it is answered.
func (s *Station) securityEvent(ctx context.Context, r *SecurityEventNotificationRequest) (any, error) {
	err := s.events.SecurityEventReported(ctx, s.id, charging.SecurityEvent{ChargerID: s.id, Source: charging.SecuritySourceCharger,
		Type: r.Type, Timestamp: r.Timestamp.UTC(), TechInfo: deref(r.TechInfo)})
	if err != nil {
		return nil, err
	}
	return &SecurityEventNotificationResponse{}, nil
}

// isSecretKey reports whether a configuration key holds a secret. It
// compares without case, as chargers that match keys so would.
func isSecretKey(key string) bool {
	return strings.EqualFold(key, authorizationKey)
}
