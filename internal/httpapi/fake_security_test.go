package httpapi_test

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// The SecurityService methods of fakeService. Registration, admission and
// profiles change f.chargers; the commands answer Accepted unless an error
// is injected by method name; every call's arguments are recorded here.

// fakePassword is the password the fake "generates".
const fakePassword = "0123456789abcdef0123456789abcdef01234567"

type securityCalls struct {
	registered  charging.ChargerRegistration
	password    string // SetChargerPassword's argument
	passwordFor string
	profile     struct {
		id             string
		profile        int
		allowDowngrade bool
		calls          int
	}
	eventQuery   charging.SecurityEventQuery
	events       []charging.SecurityEvent
	install      struct{ chargerID, certType, certPEM string }
	certTypes    []string
	certTypesSet bool
	deleted      charging.CertificateHashData
	renewed      string
	trigger      struct {
		chargerID, message string
		connectorID        int
	}
	caPEM        string
	logRequest   charging.LogRequest
	signed       *charging.SignedFirmware
	signedUpdate charging.FirmwareUpdate
}

func (f *fakeService) RegisterCharger(ctx context.Context, r charging.ChargerRegistration) (charging.Charger, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.registered = r
	if err := f.fail("RegisterCharger"); err != nil {
		return charging.Charger{}, "", err
	}
	if _, ok := f.chargers[r.ID]; ok {
		return charging.Charger{}, "", charging.Errorf(charging.ECONFLICT, "charger %s exists", r.ID)
	}
	c := charging.Charger{ID: r.ID, SecurityProfile: r.SecurityProfile, Admission: charging.AdmissionAccepted,
		OCPPVersionOverride: r.OCPPVersionOverride, Connectors: []charging.Connector{}}
	generated := ""
	if (r.SecurityProfile == charging.ProfileBasic || r.SecurityProfile == charging.ProfileTLS) && r.Password == "" {
		generated = fakePassword
	}
	f.chargers[r.ID] = c
	return c, generated, nil
}

func (f *fakeService) SetChargerPassword(ctx context.Context, chargerID, password string) (charging.PasswordResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.passwordFor, f.sec.password = chargerID, password
	if err := f.fail("SetChargerPassword"); err != nil {
		return charging.PasswordResult{}, err
	}
	c, ok := f.chargers[chargerID]
	if !ok {
		return charging.PasswordResult{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	c.PasswordPending = true
	f.chargers[chargerID] = c
	if password != "" {
		return charging.PasswordResult{Password: password, Delivery: charging.DeliveryNotSent}, nil
	}
	return charging.PasswordResult{Password: fakePassword, Delivery: string(charging.CommandAccepted)}, nil
}

func (f *fakeService) AcceptCharger(ctx context.Context, chargerID string) (charging.Charger, *charging.PasswordResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("AcceptCharger"); err != nil {
		return charging.Charger{}, nil, err
	}
	c, ok := f.chargers[chargerID]
	if !ok {
		return charging.Charger{}, nil, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	c.Admission = charging.AdmissionAccepted
	var pw *charging.PasswordResult
	if c.SecurityProfile == charging.ProfileNone {
		c.SecurityProfile, c.PasswordPending = charging.ProfileBasic, true
		pw = &charging.PasswordResult{Password: fakePassword, Delivery: charging.DeliveryOffline}
	}
	f.chargers[chargerID] = c
	return c, pw, nil
}

func (f *fakeService) RejectCharger(ctx context.Context, chargerID string) (charging.Charger, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("RejectCharger"); err != nil {
		return charging.Charger{}, err
	}
	c, ok := f.chargers[chargerID]
	if !ok {
		return charging.Charger{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	c.Admission = charging.AdmissionRejected
	f.chargers[chargerID] = c
	return c, nil
}

func (f *fakeService) DeleteCharger(ctx context.Context, chargerID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("DeleteCharger"); err != nil {
		return err
	}
	if _, ok := f.chargers[chargerID]; !ok {
		return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	delete(f.chargers, chargerID)
	return nil
}

func (f *fakeService) SetSecurityProfile(ctx context.Context, chargerID string, profile int, allowDowngrade bool) (charging.Charger, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.profile.id, f.sec.profile.profile, f.sec.profile.allowDowngrade = chargerID, profile, allowDowngrade
	f.sec.profile.calls++
	if err := f.fail("SetSecurityProfile"); err != nil {
		return charging.Charger{}, err
	}
	c, ok := f.chargers[chargerID]
	if !ok {
		return charging.Charger{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	if profile < c.MinSecurityProfile {
		if !allowDowngrade {
			return charging.Charger{}, charging.Errorf(charging.ECONFLICT,
				"charger %s has connected at security profile %d; going back to %d needs allowDowngrade", chargerID, c.MinSecurityProfile, profile)
		}
		c.MinSecurityProfile = profile
	}
	c.SecurityProfile = profile
	f.chargers[chargerID] = c
	return c, nil
}

func (f *fakeService) ListSecurityEvents(ctx context.Context, q charging.SecurityEventQuery) (charging.Page[charging.SecurityEvent], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.eventQuery = q
	if err := f.fail("ListSecurityEvents"); err != nil {
		return charging.Page[charging.SecurityEvent]{}, err
	}
	var p charging.Page[charging.SecurityEvent]
	for _, e := range f.sec.events {
		if (q.ChargerID == "" || e.ChargerID == q.ChargerID) && (q.Source == "" || e.Source == q.Source) && (q.Type == "" || e.Type == q.Type) {
			p.Items = append(p.Items, e)
		}
	}
	return p, nil
}

func (f *fakeService) InstallCertificate(ctx context.Context, chargerID, certType, certPEM string) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.install.chargerID, f.sec.install.certType, f.sec.install.certPEM = chargerID, certType, certPEM
	return charging.CommandAccepted, f.fail("InstallCertificate")
}

func (f *fakeService) GetInstalledCertificateIDs(ctx context.Context, chargerID string, certTypes []string) (charging.InstalledCertificates, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.certTypes, f.sec.certTypesSet = certTypes, true
	if err := f.fail("GetInstalledCertificateIDs"); err != nil {
		return charging.InstalledCertificates{}, err
	}
	if _, ok := f.chargers[chargerID]; !ok {
		return charging.InstalledCertificates{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	return charging.InstalledCertificates{Status: charging.CommandAccepted, Certificates: []charging.CertificateHashData{{
		HashAlgorithm: "SHA256", IssuerNameHash: "aa11", IssuerKeyHash: "bb22", SerialNumber: "01", CertificateType: charging.CertCentralSystemRoot,
	}}}, nil
}

func (f *fakeService) DeleteCertificate(ctx context.Context, chargerID string, h charging.CertificateHashData) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.deleted = h
	return charging.CommandAccepted, f.fail("DeleteCertificate")
}

func (f *fakeService) RenewCertificate(ctx context.Context, chargerID string) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.renewed = chargerID
	return charging.CommandAccepted, f.fail("RenewCertificate")
}

func (f *fakeService) ExtendedTriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sec.trigger.chargerID, f.sec.trigger.message, f.sec.trigger.connectorID = chargerID, message, connectorID
	return charging.CommandAccepted, f.fail("ExtendedTriggerMessage")
}

func (f *fakeService) CACertificate(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sec.caPEM == "" {
		return "", charging.Errorf(charging.ENOTFOUND, "Joule has no certificate authority configured")
	}
	return f.sec.caPEM, nil
}

func (f *fakeService) RequestLog(ctx context.Context, chargerID string, r charging.LogRequest, uploadURL func(token string) string) (charging.DiagnosticsJob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.RequestID, r.Location = 7, uploadURL("tok-1")
	f.sec.logRequest = r
	if err := f.fail("RequestLog"); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	return charging.DiagnosticsJob{ID: "L1", ChargerID: chargerID, Token: "tok-1", Location: r.Location,
		LogType: r.LogType, RequestID: r.RequestID, Retries: r.Retries, RetryIntervalS: r.RetryIntervalS,
		Status: charging.JobRequested, History: []charging.JobStatus{}}, nil
}

func (f *fakeService) UpdateFirmwareSigned(ctx context.Context, chargerID, firmwareID string, u charging.FirmwareUpdate, s charging.SignedFirmware) (charging.FirmwareJob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.RequestID = 9
	f.sec.signed, f.sec.signedUpdate = &s, u
	return charging.FirmwareJob{ID: "FJ1", ChargerID: chargerID, FirmwareID: firmwareID, FirmwareUpdate: u, Signed: &s,
		CommandID: "C1", Status: charging.JobRequested, History: []charging.JobStatus{}}, f.fail("UpdateFirmwareSigned")
}
