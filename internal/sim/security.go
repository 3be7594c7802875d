package sim

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
)

// This file is the charger's security, for both versions (OCPP 1.6
// security whitepaper ed. 3; 2.0.1 blocks A and M): the security profile
// and credentials it connects with, password rotation, security profile
// upgrades, its own certificate (CSR, CertificateSigned) and the CA
// certificates installed on it. The 1.6 and 2.0.1 messages are read and
// answered at the edge (security16.go and v201_security.go); this file
// holds the shared state and rules.

// Security profiles (Config.SecurityProfile).
const (
	profileNone  = 0 // no authentication
	profileBasic = 1 // HTTP Basic over ws://
	profileTLS   = 2 // TLS + HTTP Basic
	profileMTLS  = 3 // TLS + client certificate
)

// certCSMSRoot is the type of installed CSMS roots. Installed
// certificates keep the type they were installed with, by its 1.6 name
// (2.0.1's CSMSRootCertificate is CentralSystemRootCertificate here; the
// others are spelled alike, and V2G and MO roots exist in 2.0.1 only).
const certCSMSRoot = "CentralSystemRootCertificate"

const (
	maxInstalledCerts     = 20  // CertificateStoreMaxLength
	maxSecurityLog        = 100 // lines kept for GetLog SecurityLog
	defaultCertificateOrg = "Joule Sim"
)

// securityState is the charger's credentials and certificates. Guarded by
// Charger.mu.
type securityState struct {
	profile int // security profile of the next connection
	// password is the Basic-auth password: 1.6's AuthorizationKey (hex)
	// or 2.0.1's BasicAuthPassword. A secret: never logged.
	password string
	org      string           // O of the CSRs (1.6 CpoName, 2.0.1 SecurityCtrlr.OrganizationName)
	cert     *tls.Certificate // client certificate (profile 3); nil: none
	// csrKey is the key of the last CSR sent, until a certificate for it
	// arrives; waiters are RequestCertificate calls waiting for it.
	csrKey    *ecdsa.PrivateKey
	waiters   []chan certResult
	installed []installedCert
	requested bool // Config.RequestCertificate has been acted on
	// reconnect, when set, is why the worker must close the connection
	// (after the current answer) and connect again with new credentials.
	reconnect string
	events    []string // security log, oldest first
}

type installedCert struct {
	typ  string // certCSMSRoot, ManufacturerRootCertificate, ...
	cert *x509.Certificate
}

type certResult struct {
	cert *x509.Certificate
	err  error
}

// newSecurity sets up the credentials of cfg.
func newSecurity(cfg Config) securityState {
	s := securityState{profile: cfg.SecurityProfile, password: cfg.Password, org: cfg.CertificateOrg}
	if cfg.ClientCert != nil {
		cert := *cfg.ClientCert
		if cert.Leaf == nil && len(cert.Certificate) > 0 {
			cert.Leaf, _ = x509.ParseCertificate(cert.Certificate[0])
		}
		s.cert = &cert
	}
	return s
}

// Password returns the charger's current Basic-auth password (Config's,
// or the last one the CSMS set).
func (c *Charger) Password() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sec.password
}

// SecurityProfile returns the security profile the charger connects with.
func (c *Charger) SecurityProfile() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sec.profile
}

// Certificate returns the charger's client certificate (Config.ClientCert,
// or the last one the CSMS signed), or nil.
func (c *Charger) Certificate() *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sec.cert == nil {
		return nil
	}
	return c.sec.cert.Leaf
}

// tlsURL reports whether the charger talks to the CSMS over TLS: a wss://
// URL, or an https:// SOAP endpoint.
func (c *Charger) tlsURL() bool {
	u := strings.ToLower(c.url)
	return strings.HasPrefix(u, "wss://") || strings.HasPrefix(u, "https://")
}

// checkSecurity reports a configuration that cannot connect, before Run
// dials.
func (c *Charger) checkSecurity() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.credentialsFor(c.sec.profile)
}

// credentialsFor reports why the charger cannot connect with profile p
// (nil if it can). Callers hold mu.
func (c *Charger) credentialsFor(p int) error {
	basic := p == profileBasic || p == profileTLS
	switch {
	case p < profileNone || p > profileMTLS:
		return fmt.Errorf("security profile %d: want 0 to 3", p)
	case p >= profileTLS && !c.tlsURL() && c.soapV != "":
		return fmt.Errorf("security profile %d needs TLS: the SOAP endpoint must be https://, got %s", p, c.url)
	case p >= profileTLS && !c.tlsURL():
		return fmt.Errorf("security profile %d needs TLS: the URL must be wss://, got %s", p, c.cfg.URL)
	case p == profileMTLS && c.soapV != "":
		return errors.New("security profile 3 (a TLS client certificate) is OCPP-J's")
	case basic && c.sec.password == "":
		return fmt.Errorf("security profile %d needs a password", p)
	case basic && strings.Contains(c.cfg.ID, ":"):
		return fmt.Errorf("charger id %q contains a colon, so it cannot be a Basic-auth username", c.cfg.ID)
	case p == profileMTLS && c.sec.cert == nil:
		return errors.New("security profile 3 needs a client certificate")
	}
	return nil
}

// dialer returns the WebSocket dialer and the upgrade request's headers
// for the next connection, from the current credentials.
func (c *Charger) dialer(proto string) (*websocket.Dialer, http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: dialTimeout,
		Subprotocols:     []string{proto},
	}
	if c.tlsURL() {
		d.TLSClientConfig = c.tlsConfig()
	}
	var h http.Header
	if p := c.sec.profile; (p == profileBasic || p == profileTLS) && c.sec.password != "" {
		h = http.Header{"Authorization": {basicAuth(c.cfg.ID, c.basicPassword())}}
	}
	return d, h
}

// tlsConfig is the charger's TLS client configuration: the trusted roots
// and, with profile 3, its certificate. Callers hold mu.
func (c *Charger) tlsConfig() *tls.Config {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.roots()}
	if cert := c.sec.cert; c.sec.profile == profileMTLS && cert != nil {
		// Sent whatever CAs the server names, as a charger with one
		// certificate does.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return tc
}

// httpClient is the client of firmware downloads and log uploads: it
// trusts what the charger's WebSocket connection trusts (an upload URL on
// the CSMS is as https as its wss://).
func (c *Charger) httpClient() *http.Client {
	c.mu.Lock()
	tc := c.tlsConfig()
	c.mu.Unlock()
	// One transfer per client: keep no idle connection behind.
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tc, DisableKeepAlives: true}}
}

// roots is the pool of trusted CSMS roots: Config.RootCAs (nil: the
// system's) and the CentralSystemRootCertificates installed. Callers hold
// mu.
func (c *Charger) roots() *x509.CertPool {
	var extra []*x509.Certificate
	for _, ic := range c.sec.installed {
		if ic.typ == certCSMSRoot {
			extra = append(extra, ic.cert)
		}
	}
	if len(extra) == 0 {
		return c.cfg.RootCAs
	}
	var pool *x509.CertPool
	if c.cfg.RootCAs != nil {
		pool = c.cfg.RootCAs.Clone()
	} else if sys, err := x509.SystemCertPool(); err == nil {
		pool = sys
	} else {
		pool = x509.NewCertPool()
	}
	for _, cert := range extra {
		pool.AddCert(cert)
	}
	return pool
}

// basicPassword is what the Basic-auth header carries as the password.
// OCPP 1.6's AuthorizationKey is hexadecimal, and the OCTT (TC_085) wants
// the bytes the digits stand for, not the digits; a key that is not valid
// hex goes as it is. 2.0.1's BasicAuthPassword is sent as a UTF-8 string
// (A00.FR.205). Callers hold mu.
func (c *Charger) basicPassword() []byte {
	pw := c.sec.password
	if c.v2 == nil {
		if b, err := hex.DecodeString(pw); err == nil && len(b) > 0 {
			return b
		}
	}
	return []byte(pw)
}

func basicAuth(user string, password []byte) string {
	return "Basic " + base64.StdEncoding.EncodeToString(append([]byte(user+":"), password...))
}

// validAuthorizationKey checks a 1.6 AuthorizationKey: 16 to 20 bytes
// written as 32 to 40 hexadecimal digits (WP-1.6 A00.FR.205, §7.2).
func validAuthorizationKey(v string) bool {
	b, err := hex.DecodeString(v)
	return err == nil && len(b) >= 16 && len(b) <= 20
}

// validBasicAuthPassword checks a 2.0.1 BasicAuthPassword: a
// passwordString of 16 to 40 characters (A00.FR.205; 40 is this
// station's maxLimit), without control characters.
func validBasicAuthPassword(v string) bool {
	n := len([]rune(v))
	return n >= 16 && n <= 40 && !strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// setPassword takes a new password from the CSMS (A01) and reconnects
// with it once the answer has gone out, as A01 describes: the CSMS stops
// accepting the old one once the charger accepted the new one (A01.FR.03).
//
// A charger without authentication (profile 0) starts using it: profile
// 1, or 2 on a wss:// URL. That is the onboarding J-1.6 §6.2.2 describes
// (a unique key pushed to a new charger), and what Joule does when an
// operator accepts an unknown charger; a charger that follows the security
// whitepaper to the letter would wait for ChangeConfiguration
// SecurityProfile (A05). Callers hold mu.
func (c *Charger) setPassword(pw, what string) {
	c.sec.password = pw
	c.securityLog(what + " changed")
	if c.sec.profile == profileNone {
		c.sec.profile = profileBasic
		if c.tlsURL() {
			c.sec.profile = profileTLS
		}
		c.securityLog(fmt.Sprintf("security profile raised to %d", c.sec.profile))
	}
	if p := c.sec.profile; p == profileBasic || p == profileTLS {
		c.sec.reconnect = "new " + what
		c.holdUntil = time.Now().Add(followUpDelay)
	}
}

// setSecurityProfile applies a 1.6 ChangeConfiguration of SecurityProfile
// (A05): a higher profile the charger has the credentials for is Accepted
// and used from a new connection at once; lowering it through OCPP is not
// allowed (A00.FR.005). Callers hold mu.
func (c *Charger) setSecurityProfile(v string) ocpp16.ConfigurationStatus {
	p, err := strconv.Atoi(v)
	switch {
	case err != nil || p < profileNone || p > profileMTLS:
		return ocpp16.ConfigurationStatusRejected
	case p < c.sec.profile:
		c.log.Info("security profile downgrade rejected", "profile", c.sec.profile, "asked", p)
		return ocpp16.ConfigurationStatusRejected
	case p == c.sec.profile:
		return ocpp16.ConfigurationStatusAccepted
	}
	if err := c.credentialsFor(p); err != nil {
		c.log.Info("security profile change rejected", "profile", p, "err", err)
		return ocpp16.ConfigurationStatusRejected
	}
	c.sec.profile = p
	c.sec.reconnect = fmt.Sprintf("security profile %d", p)
	c.holdUntil = time.Now().Add(followUpDelay)
	c.securityLog(fmt.Sprintf("security profile raised to %d", p))
	return ocpp16.ConfigurationStatusAccepted
}

// doReconnect closes the connection when new credentials ask for a new
// one, after the answer that set them has gone out; Run then connects at
// once. It returns true when the connection has ended.
func (c *Charger) doReconnect(ctx context.Context, conn link) bool {
	c.mu.Lock()
	why := c.sec.reconnect
	c.sec.reconnect = ""
	c.mu.Unlock()
	if why == "" {
		return false
	}
	if !afterAnswer(ctx, conn) {
		return true
	}
	c.mu.Lock()
	c.reconnectNow = true
	c.mu.Unlock()
	c.log.Info("reconnecting with new credentials", "reason", why)
	_ = conn.Close(websocket.CloseNormalClosure, "new credentials")
	return true
}

// afterAnswer gives the answer to the CALL that asked for a disconnection
// time to go out; false when the connection or ctx ended first.
func afterAnswer(ctx context.Context, conn link) bool {
	t := time.NewTimer(startAnswerDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-conn.Done():
		return false
	case <-t.C:
		return true
	}
}

// securityLog appends a line to the security log. Callers hold mu.
func (c *Charger) securityLog(line string) {
	if len(c.sec.events) >= maxSecurityLog {
		c.sec.events = c.sec.events[1:]
	}
	c.sec.events = append(c.sec.events, c.timestamp().Format(time.RFC3339)+" "+line)
}

// queueSecurityEvent queues a SecurityEventNotification. typ16 and typ201
// are the event's names in each version. Callers hold mu.
func (c *Charger) queueSecurityEvent(typ16, typ201, techInfo string) {
	var info *string
	if techInfo != "" {
		info = ptr(truncate(techInfo, 255))
	}
	if c.v2 != nil {
		c.push(&message{action: "SecurityEventNotification",
			req: &ocpp201.SecurityEventNotificationRequest{Type: typ201, Timestamp: c.timestamp(), TechInfo: info}})
		return
	}
	c.push(&message{action: "SecurityEventNotification",
		req: &ocpp16.SecurityEventNotificationRequest{Type: typ16, Timestamp: c.timestamp(), TechInfo: info}})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// RequestCertificate asks the CSMS for a new client certificate (A02/A03):
// it sends a SignCertificate with a CSR for a new ECDSA P-256 key (CN the
// charger's identity, O Config.CertificateOrg) and waits for the CSMS to
// accept it and send the signed certificate (CertificateSigned), which it
// returns. With security profile 3 the certificate is used from the next
// connection on. It returns ErrOffline when the charger is not booted, and
// an error for a SOAP charger: OCPP-S has no certificate messages.
func (c *Charger) RequestCertificate(ctx context.Context) (*x509.Certificate, error) {
	if c.soapV != "" {
		return nil, fmt.Errorf("sim %s: OCPP-S has no SignCertificate", c.cfg.ID)
	}
	c.mu.Lock()
	if !c.booted {
		c.mu.Unlock()
		return nil, ErrOffline
	}
	answer := make(chan reply, 1)
	signed := make(chan certResult, 1)
	if err := c.queueCSR(answer); err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("sim %s: certificate signing request: %w", c.cfg.ID, err)
	}
	c.sec.waiters = append(c.sec.waiters, signed)
	c.mu.Unlock()
	c.poke()
	defer c.forgetWaiter(signed)

	var r reply
	select {
	case r = <-answer:
	case <-ctx.Done():
		return nil, fmt.Errorf("sim %s: sign certificate: %w", c.cfg.ID, ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("sim %s: sign certificate: %w", c.cfg.ID, r.err)
	}
	if st := signCertificateStatus(r.resp); st != "Accepted" {
		return nil, fmt.Errorf("sim %s: the CSMS answered SignCertificate %s", c.cfg.ID, st)
	}
	select {
	case res := <-signed:
		if res.err != nil {
			return nil, fmt.Errorf("sim %s: %w", c.cfg.ID, res.err)
		}
		return res.cert, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sim %s: wait for CertificateSigned: %w", c.cfg.ID, ctx.Err())
	}
}

// bootedOnce requests a certificate after the first accepted boot when
// Config.RequestCertificate asks for it. Callers hold mu.
func (c *Charger) bootedOnce() {
	if !c.cfg.RequestCertificate || c.sec.requested {
		return
	}
	c.sec.requested = true
	if err := c.queueCSR(nil); err != nil {
		c.log.Error("certificate signing request", "err", err)
	}
}

// onSignCertificate applies the CSMS's answer to SignCertificate.
func (c *Charger) onSignCertificate(status string) {
	if status == "Accepted" {
		c.log.Info("certificate signing request accepted")
		return
	}
	c.log.Warn("certificate signing request not accepted", "status", status)
}

func (c *Charger) forgetWaiter(ch chan certResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.sec.waiters {
		if w == ch {
			c.sec.waiters = append(c.sec.waiters[:i], c.sec.waiters[i+1:]...)
			return
		}
	}
}

func signCertificateStatus(resp any) string {
	switch r := resp.(type) {
	case *ocpp16.SignCertificateResponse:
		return string(r.Status)
	case *ocpp201.SignCertificateResponse:
		return string(r.Status)
	}
	return fmt.Sprintf("%T", resp)
}

// queueCSR generates a new key and queues a SignCertificate with its CSR;
// answer, if not nil, receives the CSMS's answer. Callers hold mu.
func (c *Charger) queueCSR(answer chan reply) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	subject := pkix.Name{CommonName: c.cfg.ID}
	if c.sec.org != "" {
		subject.Organization = []string{c.sec.org}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		return err
	}
	csr := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	c.sec.csrKey = key
	var req any = &ocpp16.SignCertificateRequest{Csr: csr}
	if c.v2 != nil {
		req = &ocpp201.SignCertificateRequest{Csr: csr, CertificateType: ptr(ocpp201.CertificateSigningUseEnumChargingStationCertificate)}
	}
	c.push(&message{action: "SignCertificate", req: req, reply: answer})
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("certificate signing request queued", "cn", c.cfg.ID, "o", c.sec.org)
	return nil
}

// certificateSigned checks and stores the chain of a CertificateSigned
// (A02.FR.06): the first certificate must be for the key of the pending
// CSR, name the charger (CN), be valid now and be signed by the next one
// in the chain, if any. A refused chain is reported with a
// SecurityEventNotification (A02.FR.07). Callers hold mu.
func (c *Charger) certificateSigned(chainPEM string) error {
	certs, err := parseChain(chainPEM)
	if err == nil {
		err = c.checkSigned(certs)
	}
	if err != nil {
		c.log.Warn("signed certificate rejected", "err", err)
		c.securityLog("signed certificate rejected: " + err.Error())
		c.queueSecurityEvent("InvalidChargePointCertificate", "InvalidChargingStationCertificate", err.Error())
		c.holdUntil = time.Now().Add(followUpDelay)
		c.deliverCert(certResult{err: fmt.Errorf("signed certificate rejected: %w", err)})
		return err
	}
	ders := make([][]byte, len(certs))
	for i, cert := range certs {
		ders[i] = cert.Raw
	}
	c.sec.cert = &tls.Certificate{Certificate: ders, PrivateKey: c.sec.csrKey, Leaf: certs[0]}
	c.sec.csrKey = nil
	c.securityLog(fmt.Sprintf("client certificate installed, serial %x, valid until %s", certs[0].SerialNumber, certs[0].NotAfter.UTC().Format(time.RFC3339)))
	c.log.Info("client certificate installed", "serial", fmt.Sprintf("%x", certs[0].SerialNumber), "not_after", certs[0].NotAfter)
	c.deliverCert(certResult{cert: certs[0]})
	return nil
}

// checkSigned checks a signed chain; see certificateSigned. Callers hold
// mu.
func (c *Charger) checkSigned(certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return errors.New("no PEM certificate in the chain")
	}
	leaf := certs[0]
	key := c.sec.csrKey
	now := time.Now()
	switch {
	case key == nil:
		return errors.New("no certificate signing request is pending")
	case !key.PublicKey.Equal(leaf.PublicKey):
		return errors.New("the certificate is not for the key of the last certificate signing request")
	case leaf.Subject.CommonName != c.cfg.ID:
		return fmt.Errorf("the certificate's CN is %q, want the charger's identity %q", leaf.Subject.CommonName, c.cfg.ID)
	case now.Before(leaf.NotBefore) || now.After(leaf.NotAfter):
		return fmt.Errorf("the certificate is valid from %s to %s, not now", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if len(certs) > 1 {
		if err := leaf.CheckSignatureFrom(certs[1]); err != nil {
			return fmt.Errorf("the certificate is not signed by the next one in the chain: %w", err)
		}
	}
	return nil
}

// deliverCert tells the RequestCertificate calls waiting. Callers hold mu.
func (c *Charger) deliverCert(r certResult) {
	for _, w := range c.sec.waiters {
		select {
		case w <- r:
		default:
		}
	}
	c.sec.waiters = nil
}

// parseChain parses the PEM certificates of a text, in order.
func parseChain(s string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("malformed certificate: %w", err)
		}
		out = append(out, cert)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}

// installCertificate installs a CA certificate of type typ (M05) and
// returns the status: Accepted, or Rejected for something that is not a
// PEM certificate or a full store. Installing a certificate again only
// updates its type. Callers hold mu.
func (c *Charger) installCertificate(typ, certPEM string) string {
	certs, err := parseChain(certPEM)
	if err != nil {
		c.log.Info("certificate installation rejected", "type", typ, "err", err)
		return "Rejected"
	}
	cert := certs[0]
	for i, ic := range c.sec.installed {
		if ic.cert.Equal(cert) {
			c.sec.installed[i].typ = typ
			return "Accepted"
		}
	}
	if len(c.sec.installed) >= maxInstalledCerts {
		c.log.Info("certificate installation rejected: the store is full", "type", typ)
		return "Rejected"
	}
	c.sec.installed = append(c.sec.installed, installedCert{typ: typ, cert: cert})
	c.securityLog(fmt.Sprintf("%s installed: %s, serial %x", typ, cert.Subject, cert.SerialNumber))
	c.log.Info("certificate installed", "type", typ, "subject", cert.Subject.String())
	return "Accepted"
}

// certID is a certificate's hash data (M03/M04): the hashes of its
// issuer's name and key, and its serial number, all in hex.
type certID struct {
	alg, nameHash, keyHash, serial string
}

// installedIDs returns the hash data (SHA256) of the installed
// certificates of the given types (all when types is empty), with their
// types. Callers hold mu.
func (c *Charger) installedIDs(types []string) (ids []certID, typs []string) {
	for _, ic := range c.sec.installed {
		if len(types) > 0 && !slices.Contains(types, ic.typ) {
			continue
		}
		id, _ := c.hashData(ic.cert, "SHA256")
		ids = append(ids, id)
		typs = append(typs, ic.typ)
	}
	return ids, typs
}

// deleteCertificate removes the installed certificate with the hash data
// (M04) and reports whether there was one. Callers hold mu.
func (c *Charger) deleteCertificate(want certID) bool {
	for i, ic := range c.sec.installed {
		id, ok := c.hashData(ic.cert, want.alg)
		if !ok || !strings.EqualFold(id.nameHash, want.nameHash) || !strings.EqualFold(id.keyHash, want.keyHash) ||
			normSerial(id.serial) != normSerial(want.serial) {
			continue
		}
		c.sec.installed = append(c.sec.installed[:i], c.sec.installed[i+1:]...)
		c.securityLog(fmt.Sprintf("%s deleted: %s, serial %x", ic.typ, ic.cert.Subject, ic.cert.SerialNumber))
		c.log.Info("certificate deleted", "type", ic.typ, "subject", ic.cert.Subject.String())
		return true
	}
	return false
}

func normSerial(s string) string {
	return strings.TrimLeft(strings.TrimPrefix(strings.ToLower(s), "0x"), "0")
}

// hashData computes cert's hash data with algorithm alg (SHA256, SHA384,
// SHA512): the hash of the issuer's DER-encoded name, the hash of the
// issuer's public key (the subjectPublicKey bits, as OCSP's CertID has
// it) and the serial number in hex without leading zeroes. The issuer is
// the certificate itself for a root, else an installed certificate; the
// simulator uses the certificate's own key when it does not have the
// issuer. Callers hold mu.
func (c *Charger) hashData(cert *x509.Certificate, alg string) (certID, bool) {
	var h func() hash.Hash
	switch alg {
	case "SHA256":
		h = sha256.New
	case "SHA384":
		h = sha512.New384
	case "SHA512":
		h = sha512.New
	default:
		return certID{}, false
	}
	issuer := cert
	if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		for _, ic := range c.sec.installed {
			if bytes.Equal(ic.cert.RawSubject, cert.RawIssuer) {
				issuer = ic.cert
				break
			}
		}
	}
	sum := func(b []byte) string {
		d := h()
		d.Write(b)
		return hex.EncodeToString(d.Sum(nil))
	}
	return certID{
		alg:      alg,
		nameHash: sum(cert.RawIssuer),
		keyHash:  sum(publicKeyBits(issuer)),
		serial:   fmt.Sprintf("%x", cert.SerialNumber),
	}, true
}

// publicKeyBits returns the subjectPublicKey BIT STRING of a certificate.
func publicKeyBits(cert *x509.Certificate) []byte {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		return cert.RawSubjectPublicKeyInfo
	}
	return spki.PublicKey.Bytes
}

// securityLogFile is the body of a SecurityLog upload.
func (c *Charger) securityLogFile() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s charger=%s security_profile=%d\n", c.timestamp().Format(time.RFC3339), c.cfg.ID, c.sec.profile)
	for _, e := range c.sec.events {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
