package httpapi

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/charging"
)

// This file holds charger identity: registration, passwords, admission,
// security profiles, security events and certificates (OCPP security
// profiles 1–3; 2.0.1 blocks A and M, the 1.6 security extension).
//
// Passwords: only the response that issued a password shows it. Bodies
// that may hold one are decoded with decodeSecretJSON, whose errors never
// quote the body, and no handler here logs a request body.

// maxCertificateChars is OCPP's bound on a PEM certificate in
// InstallCertificate and SignedUpdateFirmware (string[0..5500]).
const maxCertificateChars = 5500

// statusView is the answer of a certificate command: the charger's status.
type statusView struct {
	Status charging.CommandStatus `json:"status"`
}

// registeredView is the answer to a registration; Password is set only
// when Joule generated one, and is shown this once.
type registeredView struct {
	Charger  charging.Charger `json:"charger"`
	Password string           `json:"password,omitempty"`
}

// acceptedView is the answer to an acceptance: the charger, and the
// password Joule issued for it (with its delivery) when it issued one.
type acceptedView struct {
	Charger  charging.Charger `json:"charger"`
	Password string           `json:"password,omitempty"`
	Delivery string           `json:"delivery,omitempty"`
}

// chargerView is {"charger": ...}, the answer to a rejection.
type chargerView struct {
	Charger charging.Charger `json:"charger"`
}

// validChargerID applies charging.ValidChargerID, naming the field and
// quoting the id.
func validChargerID(id string) error {
	if err := charging.ValidChargerID(id); err != nil {
		msg := strings.Replace(charging.ErrorMessage(err), "charger id", "id", 1)
		if id != "" && utf8.ValidString(id) {
			msg += ", got " + quote(id)
		}
		return invalidf("%s", msg)
	}
	return nil
}

func validProfile(p int) error {
	if p < charging.ProfileNone || p > charging.ProfileMTLS {
		return invalidf("securityProfile must be 0, 1, 2 or 3, got %d", p)
	}
	return nil
}

func validVersionOverride(v string) error {
	switch v {
	case "", charging.OCPP16, charging.OCPP201:
		return nil
	}
	return invalidf("ocppVersionOverride must be %q, %q or \"\", got %s", charging.OCPP16, charging.OCPP201, quote(v))
}

// validPassword checks an operator-chosen password. Its errors never
// quote it (charging.ValidPassword's do not either).
func validPassword(pw string) error {
	if err := charging.ValidPassword(pw); err != nil {
		msg := charging.ErrorMessage(err)
		if !strings.HasPrefix(msg, "password") {
			msg = "password: " + msg
		}
		return invalidf("%s", msg)
	}
	return nil
}

// POST /api/v1/chargers {id, securityProfile?, password?, ocppVersionOverride?}
func (s *Server) registerCharger(w http.ResponseWriter, r *http.Request) {
	var b struct {
		ID                  string `json:"id"`
		SecurityProfile     *int   `json:"securityProfile"` // absent: 1
		Password            string `json:"password"`
		OCPPVersionOverride string `json:"ocppVersionOverride"`
	}
	if err := decodeSecretJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	reg := charging.ChargerRegistration{ID: b.ID, SecurityProfile: charging.ProfileBasic,
		Password: b.Password, OCPPVersionOverride: b.OCPPVersionOverride}
	if b.SecurityProfile != nil {
		reg.SecurityProfile = *b.SecurityProfile
	}
	err := validChargerID(reg.ID)
	if err == nil {
		err = validProfile(reg.SecurityProfile)
	}
	if err == nil {
		err = validVersionOverride(reg.OCPPVersionOverride)
	}
	if err == nil && reg.Password != "" {
		if reg.SecurityProfile != charging.ProfileBasic && reg.SecurityProfile != charging.ProfileTLS {
			err = invalidf("password: security profile %d uses no password (only profiles 1 and 2 do)", reg.SecurityProfile)
		} else {
			err = validPassword(reg.Password)
		}
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	c, generated, err := s.svc.RegisterCharger(r.Context(), reg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/chargers/"+url.PathEscape(c.ID))
	writeJSON(w, http.StatusCreated, registeredView{Charger: c, Password: generated})
}

// DELETE /api/v1/chargers/{id}
func (s *Server) deleteCharger(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteCharger(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// POST /api/v1/chargers/{id}/password {password?}: no body (or no
// password) lets Joule generate one and send it to the charger.
func (s *Server) setChargerPassword(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Password string `json:"password"`
	}
	if r.ContentLength != 0 {
		if err := decodeSecretJSON(w, r, &b); err != nil {
			s.reject(w, r, err)
			return
		}
	}
	if b.Password != "" {
		if err := validPassword(b.Password); err != nil {
			s.reject(w, r, err)
			return
		}
	}
	// Sending a generated password waits for the charger.
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	res, err := s.svc.SetChargerPassword(ctx, r.PathValue("id"), b.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// POST /api/v1/chargers/{id}/accept
func (s *Server) acceptCharger(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	c, pw, err := s.svc.AcceptCharger(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := acceptedView{Charger: c}
	if pw != nil {
		v.Password, v.Delivery = pw.Password, pw.Delivery
	}
	writeJSON(w, http.StatusOK, v)
}

// POST /api/v1/chargers/{id}/reject
func (s *Server) rejectCharger(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.RejectCharger(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, chargerView{c})
}

// securityEventQuery parses ?source=&type=&cursor=&limit= (and chargerId,
// unless the path names the charger).
func securityEventQuery(q url.Values, chargerID string) (charging.SecurityEventQuery, error) {
	limit, err := queryLimit(q)
	if err != nil {
		return charging.SecurityEventQuery{}, err
	}
	src := q.Get("source")
	if src != "" && src != charging.SecuritySourceCharger && src != charging.SecuritySourceJoule {
		return charging.SecurityEventQuery{}, invalidf("source must be %s or %s, got %s",
			charging.SecuritySourceCharger, charging.SecuritySourceJoule, quote(src))
	}
	if chargerID == "" {
		chargerID = q.Get("chargerId")
	}
	return charging.SecurityEventQuery{ChargerID: chargerID, Source: src, Type: q.Get("type"),
		Cursor: q.Get("cursor"), Limit: limit}, nil
}

// GET /api/v1/security-events?chargerId=&source=&type=&limit=&cursor=
func (s *Server) listSecurityEvents(w http.ResponseWriter, r *http.Request) {
	s.securityEvents(w, r, "")
}

// GET /api/v1/chargers/{id}/security-events?source=&type=&limit=&cursor=
// The id need not be registered: Joule records refused connections of
// unknown ids, and a deleted charger's events stay.
func (s *Server) listChargerSecurityEvents(w http.ResponseWriter, r *http.Request) {
	s.securityEvents(w, r, r.PathValue("id"))
}

func (s *Server) securityEvents(w http.ResponseWriter, r *http.Request, chargerID string) {
	q, err := securityEventQuery(r.URL.Query(), chargerID)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListSecurityEvents(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// installableCertTypes are the types InstallCertificate takes (M05): the
// charger's trust anchors. Its own certificate arrives by CertificateSigned.
var installableCertTypes = []string{
	charging.CertCentralSystemRoot, charging.CertManufacturerRoot, charging.CertV2GRoot, charging.CertMORoot,
}

// knownCertTypes are the types GetInstalledCertificateIds may ask for.
var knownCertTypes = []string{
	charging.CertCentralSystemRoot, charging.CertManufacturerRoot, charging.CertV2GRoot, charging.CertMORoot,
	charging.CertChargePoint, charging.CertV2G,
}

// certificatePEM checks that field holds PEM-encoded X.509 certificates
// (one, or a chain) within OCPP's length bound.
func certificatePEM(field, p string) error {
	if p == "" {
		return invalidf("%s is required: a PEM-encoded X.509 certificate", field)
	}
	if n := len(p); n > maxCertificateChars {
		return invalidf("%s must be at most %d characters (OCPP's limit), got %d", field, maxCertificateChars, n)
	}
	rest := []byte(p)
	for n := 0; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if n == 0 {
				return invalidf("%s must be a PEM-encoded X.509 certificate (-----BEGIN CERTIFICATE-----)", field)
			}
			if len(bytes.TrimSpace(rest)) > 0 {
				return invalidf("%s has data after its last PEM block", field)
			}
			return nil
		}
		if block.Type != "CERTIFICATE" {
			return invalidf("%s: a PEM block of type %s is not a certificate", field, quote(block.Type))
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return invalidf("%s: not a valid X.509 certificate: %v", field, err)
		}
	}
}

// POST /api/v1/chargers/{id}/certificates {certificateType, certificate}
func (s *Server) installCertificate(w http.ResponseWriter, r *http.Request) {
	var b struct {
		CertificateType string `json:"certificateType"`
		Certificate     string `json:"certificate"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if !slices.Contains(installableCertTypes, b.CertificateType) {
		s.invalid(w, r, "certificateType must be one of "+strings.Join(installableCertTypes, ", ")+"; got "+quote(b.CertificateType))
		return
	}
	if err := certificatePEM("certificate", b.Certificate); err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	st, err := s.svc.InstallCertificate(ctx, r.PathValue("id"), b.CertificateType, b.Certificate)
	s.status(w, r, st, err)
}

// status writes a certificate command's answer, or its error.
func (s *Server) status(w http.ResponseWriter, r *http.Request, st charging.CommandStatus, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, statusView{st})
}

// GET /api/v1/chargers/{id}/certificates?certificateType=A&certificateType=B:
// asks the charger now (GetInstalledCertificateIds).
func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request) {
	types := r.URL.Query()["certificateType"]
	for _, t := range types {
		if !slices.Contains(knownCertTypes, t) {
			s.invalid(w, r, "certificateType must be one of "+strings.Join(knownCertTypes, ", ")+"; got "+quote(t))
			return
		}
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	got, err := s.svc.GetInstalledCertificateIDs(ctx, r.PathValue("id"), types)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if got.Certificates == nil {
		got.Certificates = []charging.CertificateHashData{}
	}
	writeJSON(w, http.StatusOK, got)
}

// POST /api/v1/chargers/{id}/certificates/delete {hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber}
// An item of GET .../certificates (with its certificateType) is accepted as is.
func (s *Server) deleteCertificate(w http.ResponseWriter, r *http.Request) {
	var h charging.CertificateHashData
	if err := decodeJSON(w, r, &h); err != nil {
		s.reject(w, r, err)
		return
	}
	if err := validHashData(h); err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	st, err := s.svc.DeleteCertificate(ctx, r.PathValue("id"), h)
	s.status(w, r, st, err)
}

// validHashData applies CertificateHashDataType's rules (M04).
func validHashData(h charging.CertificateHashData) error {
	switch h.HashAlgorithm {
	case "SHA256", "SHA384", "SHA512":
	default:
		return invalidf("hashAlgorithm must be SHA256, SHA384 or SHA512, got %s", quote(h.HashAlgorithm))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"issuerNameHash", h.IssuerNameHash, 128},
		{"issuerKeyHash", h.IssuerKeyHash, 128},
		{"serialNumber", h.SerialNumber, 40},
	} {
		if f.v == "" || len(f.v) > f.max {
			return invalidf("%s must be 1 to %d characters, got %d", f.name, f.max, len(f.v))
		}
	}
	if h.CertificateType != "" && !slices.Contains(knownCertTypes, h.CertificateType) {
		return invalidf("certificateType must be one of %s; got %s", strings.Join(knownCertTypes, ", "), quote(h.CertificateType))
	}
	return nil
}

// POST /api/v1/chargers/{id}/certificates/renew: the charger is asked to
// send a certificate signing request now; Joule signs it and sends the
// chain back (CertificateSigned).
func (s *Server) renewCertificate(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	st, err := s.svc.RenewCertificate(ctx, r.PathValue("id"))
	s.status(w, r, st, err)
}

// extendedTriggers are ExtendedTriggerMessage's requestedMessage values
// (1.6 security extension, MessageTriggerEnumType); 2.0.1 chargers get
// TriggerMessage with the matching 2.0.1 name.
var extendedTriggers = []string{
	"BootNotification", "LogStatusNotification", "FirmwareStatusNotification", "Heartbeat",
	"MeterValues", "SignChargePointCertificate", "StatusNotification",
}

// POST /api/v1/chargers/{id}/extended-trigger {requestedMessage, connectorId?}
func (s *Server) extendedTrigger(w http.ResponseWriter, r *http.Request) {
	var b struct {
		RequestedMessage string `json:"requestedMessage"`
		ConnectorID      int    `json:"connectorId"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if !slices.Contains(extendedTriggers, b.RequestedMessage) {
		s.invalid(w, r, "requestedMessage must be one of "+strings.Join(extendedTriggers, ", ")+"; got "+quote(b.RequestedMessage))
		return
	}
	if b.ConnectorID < 0 {
		s.reject(w, r, invalidf("connectorId must be 0 (none) or more, got %d", b.ConnectorID))
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	st, err := s.svc.ExtendedTriggerMessage(ctx, r.PathValue("id"), b.RequestedMessage, b.ConnectorID)
	s.status(w, r, st, err)
}

// GET /api/v1/pki/ca.pem: the certificate of the CA that signs chargers'
// certificates, to install as a trust anchor.
func (s *Server) caCertificate(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.CACertificate(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write([]byte(p))
}

// passwordKey reports whether a configuration key is the charger's
// Basic-auth password: 1.6 AuthorizationKey, 2.0.1
// SecurityCtrlr[#instance].BasicAuthPassword. Set through the
// configuration endpoints, it would bypass Joule's credentials (locking the
// charger out) and be kept in the command history and the configuration.
func passwordKey(key string) bool {
	if strings.EqualFold(key, "AuthorizationKey") {
		return true
	}
	comp, variable, ok := strings.Cut(key, ".")
	comp, _, _ = strings.Cut(comp, "#")
	comp, _, _ = strings.Cut(comp, "@")
	variable, _, _ = strings.Cut(variable, "#")
	return ok && strings.EqualFold(comp, "SecurityCtrlr") && strings.EqualFold(variable, "BasicAuthPassword")
}

// errPasswordKey refuses a password set through configuration.
func errPasswordKey(key string) error {
	return invalidf("%s is the charger's password: set it with POST /api/v1/chargers/{id}/password, "+
		"which keeps Joule's credentials in step with the charger and never stores the password in the clear", key)
}

// commandSetsPassword reports whether a generic command's payload sets the
// charger's Basic-auth password (1.6 ChangeConfiguration AuthorizationKey,
// 2.0.1 SetVariables SecurityCtrlr.BasicAuthPassword).
func commandSetsPassword(action string, payload []byte) bool {
	switch action {
	case "ChangeConfiguration":
		var p struct {
			Key string `json:"key"`
		}
		return json.Unmarshal(payload, &p) == nil && passwordKey(p.Key)
	case "SetVariables":
		var p struct {
			SetVariableData []struct {
				Component struct {
					Name string `json:"name"`
				} `json:"component"`
				Variable struct {
					Name string `json:"name"`
				} `json:"variable"`
			} `json:"setVariableData"`
		}
		if json.Unmarshal(payload, &p) != nil {
			return false
		}
		for _, d := range p.SetVariableData {
			if passwordKey(d.Component.Name + "." + d.Variable.Name) {
				return true
			}
		}
	}
	return false
}
