package ocpp201

import (
	"context"
	"encoding/json"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// This file is 2.0.1's security use cases (blocks A, L, M, N):
// gateway.SecurityCommands (charging.SecurityCommander without the charger
// id) and the station's security messages. The domain speaks the 1.6
// security extension's words; each is translated here:
//
//	SetPassword                  SetVariables SecurityCtrlr.BasicAuthPassword (A01)
//	CertificateSigned            CertificateSigned, ChargingStationCertificate|V2GCertificate (A02/A03)
//	InstallCertificate           InstallCertificate (M05); CentralSystemRootCertificate
//	                             is CSMSRootCertificate
//	GetInstalledCertificateIDs   GetInstalledCertificateIds (M03), flattened
//	DeleteCertificate            DeleteCertificate (M04)
//	ExtendedTriggerMessage       TriggerMessage (F06); SignChargePointCertificate is
//	                             SignChargingStationCertificate
//	GetLog                       GetLog (N01)
//	SignedUpdateFirmware         UpdateFirmware with signingCertificate and signature (L01)

// The device model variable of the Basic-auth password. Its value is a
// secret: it is never logged, nor booked as a configuration value.
const (
	securityCtrlr     = "SecurityCtrlr"
	basicAuthPassword = "BasicAuthPassword"
)

// SetPassword sets SecurityCtrlr.BasicAuthPassword with SetVariables. The
// SetVariableStatus maps as ChangeConfiguration's does: Accepted, Rejected
// and RebootRequired as they are, UnknownComponent, UnknownVariable and
// NotSupportedAttributeType as NotSupported.
func (s *Station) SetPassword(ctx context.Context, password string) (charging.CommandStatus, error) {
	resp, err := call[SetVariablesResponse](ctx, s, "SetVariables", &SetVariablesRequest{SetVariableData: []SetVariableData{{
		Component: Component{Name: securityCtrlr}, Variable: Variable{Name: basicAuthPassword}, AttributeValue: password}}})
	if err != nil {
		return "", err
	}
	if len(resp.SetVariableResult) == 0 {
		return "", charging.Errorf(charging.EINTERNAL, "charger %s answered SetVariables without a result", s.id)
	}
	return setVariableStatus(resp.SetVariableResult[0].AttributeStatus), nil
}

// isSecret reports whether a device model variable holds a secret.
func isSecret(c Component, v Variable) bool {
	return c.Name == securityCtrlr && v.Name == basicAuthPassword
}

// CertificateSigned sends the station its signed chain: the charging
// station certificate (certType charging.CertChargePoint, or "") or its V2G
// certificate (charging.CertV2G). The answer is Accepted or Rejected.
func (s *Station) CertificateSigned(ctx context.Context, chainPEM, certType string) (charging.CommandStatus, error) {
	var use CertificateSigningUseEnum
	switch certType {
	case "", charging.CertChargePoint:
		use = CertificateSigningUseEnumChargingStationCertificate
	case charging.CertV2G:
		use = CertificateSigningUseEnumV2GCertificate
	default:
		return "", charging.Errorf(charging.EINVALID, "CertificateSigned: certificate type %q does not exist in OCPP 2.0.1 (%s or %s)",
			certType, charging.CertChargePoint, charging.CertV2G)
	}
	resp, err := call[CertificateSignedResponse](ctx, s, "CertificateSigned", &CertificateSignedRequest{CertificateChain: chainPEM, CertificateType: &use})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// installUses maps the domain's root certificate types to 2.0.1's.
var installUses = map[string]InstallCertificateUseEnum{
	charging.CertCentralSystemRoot: InstallCertificateUseEnumCSMSRootCertificate,
	charging.CertManufacturerRoot:  InstallCertificateUseEnumManufacturerRootCertificate,
	charging.CertV2GRoot:           InstallCertificateUseEnumV2GRootCertificate,
	charging.CertMORoot:            InstallCertificateUseEnumMORootCertificate,
}

// InstallCertificate sends InstallCertificate of a root certificate. The
// answer is Accepted, Rejected or Failed.
func (s *Station) InstallCertificate(ctx context.Context, certType, certPEM string) (charging.CommandStatus, error) {
	use, ok := installUses[certType]
	if !ok {
		return "", charging.Errorf(charging.EINVALID, "InstallCertificate: certificate type %q does not exist in OCPP 2.0.1 (%s, %s, %s or %s)",
			certType, charging.CertCentralSystemRoot, charging.CertManufacturerRoot, charging.CertV2GRoot, charging.CertMORoot)
	}
	resp, err := call[InstallCertificateResponse](ctx, s, "InstallCertificate", &InstallCertificateRequest{CertificateType: use, Certificate: certPEM})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// listUses maps the domain's certificate types to the ones
// GetInstalledCertificateIds lists; the V2G certificate is listed with its
// chain (V2GCertificateChain).
var listUses = map[string]GetCertificateIDUseEnum{
	charging.CertCentralSystemRoot: GetCertificateIDUseEnumCSMSRootCertificate,
	charging.CertManufacturerRoot:  GetCertificateIDUseEnumManufacturerRootCertificate,
	charging.CertV2GRoot:           GetCertificateIDUseEnumV2GRootCertificate,
	charging.CertMORoot:            GetCertificateIDUseEnumMORootCertificate,
	charging.CertV2G:               GetCertificateIDUseEnumV2GCertificateChain,
}

func fromListUse(u GetCertificateIDUseEnum) string {
	for k, v := range listUses {
		if v == u {
			return k
		}
	}
	return string(u)
}

// GetInstalledCertificateIDs sends GetInstalledCertificateIds for the given
// types (none: every type). The answer's chains are flattened: each
// certificate, and each child certificate of a V2G chain, with the
// domain's name of the type it was listed under.
func (s *Station) GetInstalledCertificateIDs(ctx context.Context, certTypes []string) (charging.InstalledCertificates, error) {
	req := &GetInstalledCertificateIdsRequest{}
	for _, t := range certTypes {
		use, ok := listUses[t]
		if !ok {
			return charging.InstalledCertificates{}, charging.Errorf(charging.EINVALID,
				"GetInstalledCertificateIds: OCPP 2.0.1 cannot list certificates of type %q (%s, %s, %s, %s or %s)", t,
				charging.CertCentralSystemRoot, charging.CertManufacturerRoot, charging.CertV2GRoot, charging.CertMORoot, charging.CertV2G)
		}
		if !contains(req.CertificateType, use) {
			req.CertificateType = append(req.CertificateType, use)
		}
	}
	resp, err := call[GetInstalledCertificateIdsResponse](ctx, s, "GetInstalledCertificateIds", req)
	if err != nil {
		return charging.InstalledCertificates{}, err
	}
	out := charging.InstalledCertificates{Status: charging.CommandStatus(resp.Status), Certificates: []charging.CertificateHashData{}}
	for _, c := range resp.CertificateHashDataChain {
		t := fromListUse(c.CertificateType)
		out.Certificates = append(out.Certificates, hashData(c.CertificateHashData, t))
		for _, child := range c.ChildCertificateHashData {
			out.Certificates = append(out.Certificates, hashData(child, t))
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

func hashData(h CertificateHashData, certType string) charging.CertificateHashData {
	return charging.CertificateHashData{HashAlgorithm: string(h.HashAlgorithm), IssuerNameHash: h.IssuerNameHash,
		IssuerKeyHash: h.IssuerKeyHash, SerialNumber: h.SerialNumber, CertificateType: certType}
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

// extendedTriggers maps the 1.6 security extension's trigger names that
// 2.0.1 spells differently; the others (BootNotification,
// LogStatusNotification, FirmwareStatusNotification, Heartbeat,
// MeterValues, StatusNotification) are the same in both.
var extendedTriggers = map[string]MessageTriggerEnum{
	"SignChargePointCertificate":       MessageTriggerEnumSignChargingStationCertificate,
	"SignedFirmwareStatusNotification": MessageTriggerEnumFirmwareStatusNotification,
}

// ExtendedTriggerMessage sends TriggerMessage with the 2.0.1 name of the
// message (a 2.0.1 name, such as SignV2GCertificate, is taken as it is);
// connectorID > 0 designates EVSE connectorID. A name 2.0.1 lacks is EINVALID.
func (s *Station) ExtendedTriggerMessage(ctx context.Context, message string, connectorID int) (charging.CommandStatus, error) {
	m, ok := extendedTriggers[message]
	if !ok {
		m = MessageTriggerEnum(message)
	}
	if !m.IsValid() {
		return "", charging.Errorf(charging.EINVALID, "TriggerMessage: OCPP 2.0.1 cannot trigger %q (%s)", message, genMessageTriggerEnumAllowed)
	}
	return s.trigger(ctx, m, connectorID)
}

// GetLog sends GetLog. The answer is Accepted, Rejected or AcceptedCanceled,
// with the file name the station will upload.
func (s *Station) GetLog(ctx context.Context, r charging.LogRequest) (charging.LogResult, error) {
	req := &GetLogRequest{LogType: LogEnum(r.LogType), RequestID: r.RequestID, Retries: r.Retries, RetryInterval: r.RetryIntervalS,
		Log: LogParameters{RemoteLocation: r.Location, OldestTimestamp: utcPtr(r.OldestTimestamp), LatestTimestamp: utcPtr(r.LatestTimestamp)}}
	resp, err := call[GetLogResponse](ctx, s, "GetLog", req)
	if err != nil {
		return charging.LogResult{}, err
	}
	return charging.LogResult{Status: charging.CommandStatus(resp.Status), FileName: deref(resp.Filename)}, nil
}

// SignedUpdateFirmware sends UpdateFirmware with the signing certificate
// and signature. The answer is Accepted, Rejected, AcceptedCanceled,
// InvalidCertificate or RevokedCertificate; the progress follows as
// FirmwareStatusNotification with the requestId.
func (s *Station) SignedUpdateFirmware(ctx context.Context, u charging.FirmwareUpdate, sf charging.SignedFirmware) (charging.CommandStatus, error) {
	req := &UpdateFirmwareRequest{RequestID: sf.RequestID, Retries: u.Retries, RetryInterval: u.RetryIntervalS,
		Firmware: Firmware{Location: u.Location, RetrieveDateTime: u.RetrieveDate.UTC(), InstallDateTime: utcPtr(sf.InstallDate),
			SigningCertificate: &sf.SigningCertificate, Signature: &sf.Signature}}
	resp, err := call[UpdateFirmwareResponse](ctx, s, "UpdateFirmware", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// signCertificate passes the station's CSR on (A02/A03): Accepted when
// Joule will send the signed chain (as CertificateSigned, after this
// answer), Rejected otherwise.
func (s *Station) signCertificate(ctx context.Context, r *SignCertificateRequest) (any, error) {
	cr := charging.CertificateRequest{CSR: r.Csr, Type: charging.CertChargePoint}
	if r.CertificateType != nil && *r.CertificateType == CertificateSigningUseEnumV2GCertificate {
		cr.Type = charging.CertV2G
	}
	st, err := s.events.SignCertificate(ctx, s.id, cr)
	if err != nil {
		return nil, err
	}
	out := &SignCertificateResponse{Status: GenericStatusEnumRejected}
	if st == charging.CommandStatus(GenericStatusEnumAccepted) {
		out.Status = GenericStatusEnumAccepted
	}
	return out, nil
}

// securityEvent stores a SecurityEventNotification as a security event and,
// as before, as a charger event with the message as sent; both before it
// is answered.
func (s *Station) securityEvent(ctx context.Context, r *SecurityEventNotificationRequest, raw json.RawMessage) (any, error) {
	err := s.events.SecurityEventReported(ctx, s.id, charging.SecurityEvent{ChargerID: s.id, Source: charging.SecuritySourceCharger,
		Type: r.Type, Timestamp: r.Timestamp.UTC(), TechInfo: deref(r.TechInfo)})
	if err != nil {
		return nil, err
	}
	err = s.record(ctx, "SecurityEventNotification", raw, charging.ChargerEvent{Kind: r.Type, Timestamp: r.Timestamp, Summary: deref(r.TechInfo)})
	if err != nil {
		return nil, err
	}
	return &SecurityEventNotificationResponse{}, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
