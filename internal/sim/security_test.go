package sim_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/pki"
	"github.com/joule-ev/joule/internal/sim"
)

// testPKI is a CA and a server certificate it issued for 127.0.0.1.
type testPKI struct {
	ca     *pki.CA
	server tls.Certificate
}

func newPKI(t *testing.T) testPKI {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueServerCert([]string{"127.0.0.1", "localhost"}, pki.KeyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	server, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{ca: ca, server: server}
}

// serverTLS is the fake CSMS's TLS configuration: client certificates
// issued by the CA are verified as auth asks.
func (p testPKI) serverTLS(auth tls.ClientAuthType) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: auth, ClientCAs: p.ca.Pool(), MinVersion: tls.VersionTLS12}
}

func (p testPKI) clientCert(t *testing.T, cn string) *tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := p.ca.IssueClientCert(cn, "Acme", pki.KeyECDSA, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBasicAuthHeader(t *testing.T) {
	const key = "00ff10203a4b5c6d7e8f90a1b2c3d4e5f6071829" // 20 bytes as 40 hex digits
	for _, tc := range []struct {
		name, version, password string
		want                    []byte
	}{
		{"1.6 hex key is sent as its bytes (TC_085)", sim.OCPP16, key, mustHex(t, key)},
		{"1.6 upper-case hex key", sim.OCPP16, strings.ToUpper(key), mustHex(t, key)},
		{"1.6 key that is not hex goes as is", sim.OCPP16, "not-hex:password-1", []byte("not-hex:password-1")},
		{"1.6 odd number of hex digits goes as is", sim.OCPP16, "0123456789abcdef0", []byte("0123456789abcdef0")},
		{"2.0.1 password is a UTF-8 string", sim.OCPP201, key, []byte(key)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCSMS(t)
			f.proto = tc.version
			startSim(t, f, sim.Config{OCPPVersion: tc.version, SecurityProfile: 1, Password: tc.password})
			u := f.upgradesOf("CP-1")[0]
			if !u.basic || u.user != "CP-1" || !bytes.Equal(u.password, tc.want) {
				t.Errorf("Basic auth = %v, %q, %x; want CP-1 with password bytes %x", u.basic, u.user, u.password, tc.want)
			}
		})
	}
	t.Run("profile 0 sends none", func(t *testing.T) {
		f := newFakeCSMS(t)
		startSim(t, f, sim.Config{Password: key})
		if u := f.upgradesOf("CP-1")[0]; u.basic {
			t.Errorf("profile 0 sent Basic auth for %q", u.user)
		}
	})
}

func TestSecurityConfigErrors(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name string
		cfg  sim.Config
		want string
	}{
		{"profile 2 on ws://", sim.Config{URL: "ws://127.0.0.1:1/ocpp", SecurityProfile: 2, Password: "0123456789abcdef0123456789abcdef"}, "wss://"},
		{"profile 3 on ws://", sim.Config{URL: "ws://127.0.0.1:1/ocpp", SecurityProfile: 3, ClientCert: p.clientCert(t, "CP-1")}, "wss://"},
		{"profile 1 without a password", sim.Config{URL: "ws://127.0.0.1:1/ocpp", SecurityProfile: 1}, "password"},
		{"profile 3 without a certificate", sim.Config{URL: "wss://127.0.0.1:1/ocpp", SecurityProfile: 3}, "client certificate"},
		{"profile 4", sim.Config{URL: "wss://127.0.0.1:1/ocpp", SecurityProfile: 4}, "0 to 3"},
		{"colon in the id", sim.Config{URL: "ws://127.0.0.1:1/ocpp", ID: "CP:1", SecurityProfile: 1, Password: "0123456789abcdef0123456789abcdef"}, "colon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.ID == "" {
				tc.cfg.ID = "CP-1"
			}
			err := sim.New(tc.cfg).Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPasswordRotation16(t *testing.T) {
	const oldKey, newKey = "0123456789abcdef0123456789abcdef01234567", "f0e1d2c3b4a5968778695a4b3c2d1e0f"
	f := newFakeCSMS(t)
	// The CSMS accepts the old and the new key, as Joule does until the
	// charger has connected with the new one.
	f.setAuth(func(u upgrade) bool {
		return u.basic && u.user == u.charger && (bytes.Equal(u.password, mustHex(t, oldKey)) || bytes.Equal(u.password, mustHex(t, newKey)))
	})
	ch := startSim(t, f, sim.Config{SecurityProfile: 1, Password: oldKey})

	set := func(key, value string) ocpp16.ConfigurationStatus {
		return mustCall[ocpp16.ChangeConfigurationResponse](t, f, "CP-1", "ChangeConfiguration",
			&ocpp16.ChangeConfigurationRequest{Key: key, Value: value}).Status
	}
	for _, bad := range []string{"abc", strings.Repeat("ab", 15), strings.Repeat("ab", 21), strings.Repeat("zz", 16)} {
		if got := set("AuthorizationKey", bad); got != ocpp16.ConfigurationStatusRejected {
			t.Errorf("AuthorizationKey %q = %s, want Rejected (16 to 20 bytes in hex)", bad, got)
		}
	}
	if got := ch.Password(); got != oldKey {
		t.Fatalf("Password() after rejected keys = %q, want the old one", got)
	}
	if got := set("AuthorizationKey", newKey); got != ocpp16.ConfigurationStatusAccepted {
		t.Fatalf("AuthorizationKey = %s, want Accepted", got)
	}
	f.waitUpgrade(t, "CP-1", "a reconnection with the new key", func(u upgrade) bool { return bytes.Equal(u.password, mustHex(t, newKey)) })
	waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "BootNotification after the reconnection", 2, nil)
	if got := ch.Password(); got != newKey {
		t.Errorf("Password() = %q, want the new key", got)
	}
	ups := f.upgradesOf("CP-1")
	if last := ups[len(ups)-1]; !bytes.Equal(last.password, mustHex(t, newKey)) {
		t.Errorf("last connection used %x, want the new key", last.password)
	}

	// The key is write-only; SecurityProfile and CpoName are reported.
	conf := mustCall[ocpp16.GetConfigurationResponse](t, f, "CP-1", "GetConfiguration",
		&ocpp16.GetConfigurationRequest{Key: []string{"AuthorizationKey", "SecurityProfile", "CpoName"}})
	got := map[string]*string{}
	for _, k := range conf.ConfigurationKey {
		got[k.Key] = k.Value
	}
	if v, ok := got["AuthorizationKey"]; !ok || v != nil {
		t.Errorf("GetConfiguration AuthorizationKey: reported %v with value %v, want it reported without a value", ok, deref(v))
	}
	if deref(got["SecurityProfile"]) != "1" || deref(got["CpoName"]) != "Joule Sim" {
		t.Errorf("SecurityProfile, CpoName = %q, %q; want 1, Joule Sim", deref(got["SecurityProfile"]), deref(got["CpoName"]))
	}
	every := mustCall[ocpp16.GetConfigurationResponse](t, f, "CP-1", "GetConfiguration", &ocpp16.GetConfigurationRequest{})
	for _, k := range every.ConfigurationKey {
		if k.Key == "AuthorizationKey" && k.Value != nil {
			t.Errorf("GetConfiguration without keys reveals AuthorizationKey %q", *k.Value)
		}
	}

	// The profile cannot be lowered, nor raised without TLS.
	for _, tc := range []struct {
		value string
		want  ocpp16.ConfigurationStatus
	}{
		{"0", ocpp16.ConfigurationStatusRejected},
		{"2", ocpp16.ConfigurationStatusRejected}, // ws:// URL
		{"1", ocpp16.ConfigurationStatusAccepted},
		{"x", ocpp16.ConfigurationStatusRejected},
	} {
		if got := set("SecurityProfile", tc.value); got != tc.want {
			t.Errorf("SecurityProfile %s = %s, want %s", tc.value, got, tc.want)
		}
	}
}

func TestPasswordRotation201(t *testing.T) {
	const oldPW, newPW = "old-password-0123456789", "new-password-abcdefghij"
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{SecurityProfile: 1, Password: oldPW})

	sec := func(name string) (ocpp201.Component, ocpp201.Variable) {
		return ocpp201.Component{Name: "SecurityCtrlr"}, ocpp201.Variable{Name: name}
	}
	var data []ocpp201.GetVariableData
	for _, n := range []string{"BasicAuthPassword", "SecurityProfile", "OrganizationName", "CertificateEntries"} {
		c, v := sec(n)
		data = append(data, ocpp201.GetVariableData{Component: c, Variable: v})
	}
	get := mustCall[ocpp201.GetVariablesResponse](t, f, "CP-1", "GetVariables", &ocpp201.GetVariablesRequest{GetVariableData: data})
	want := []string{"Rejected:", "Accepted:1", "Accepted:Joule Sim", "Accepted:0"}
	for i, r := range get.GetVariableResult {
		if got := string(r.AttributeStatus) + ":" + deref(r.AttributeValue); got != want[i] {
			t.Errorf("GetVariables SecurityCtrlr.%s = %s, want %s", r.Variable.Name, got, want[i])
		}
	}

	setVar := func(name, value string) ocpp201.SetVariableStatusEnum {
		c, v := sec(name)
		return mustCall[ocpp201.SetVariablesResponse](t, f, "CP-1", "SetVariables", &ocpp201.SetVariablesRequest{
			SetVariableData: []ocpp201.SetVariableData{{Component: c, Variable: v, AttributeValue: value}},
		}).SetVariableResult[0].AttributeStatus
	}
	for _, tc := range []struct {
		name, value string
		want        ocpp201.SetVariableStatusEnum
	}{
		{"BasicAuthPassword", "too-short", ocpp201.SetVariableStatusEnumRejected},
		{"BasicAuthPassword", strings.Repeat("x", 41), ocpp201.SetVariableStatusEnumRejected},
		{"SecurityProfile", "2", ocpp201.SetVariableStatusEnumRejected},
		{"OrganizationName", "Acme CPO", ocpp201.SetVariableStatusEnumAccepted},
	} {
		if got := setVar(tc.name, tc.value); got != tc.want {
			t.Errorf("SetVariables %s=%q = %s, want %s", tc.name, tc.value, got, tc.want)
		}
	}
	if got := setVar("BasicAuthPassword", newPW); got != ocpp201.SetVariableStatusEnumAccepted {
		t.Fatalf("SetVariables BasicAuthPassword = %s, want Accepted", got)
	}
	f.waitUpgrade(t, "CP-1", "a reconnection with the new password", func(u upgrade) bool { return string(u.password) == newPW })
	waitCount[ocpp201.BootNotificationRequest](t, f, "CP-1", "BootNotification after the reconnection", 2, nil)
	if got := ch.Password(); got != newPW {
		t.Errorf("Password() = %q, want %q", got, newPW)
	}

	// The base report lists the password without its value.
	mustCall[ocpp201.GetBaseReportResponse](t, f, "CP-1", "GetBaseReport",
		&ocpp201.GetBaseReportRequest{RequestID: 1, ReportBase: ocpp201.ReportBaseEnumFullInventory})
	reports := waitCount[ocpp201.NotifyReportRequest](t, f, "CP-1", "NotifyReport", 2, nil)
	found := false
	for _, r := range reports {
		for _, d := range r.ReportData {
			if d.Variable.Name == "BasicAuthPassword" {
				found = true
				if a := d.VariableAttribute[0]; a.Value != nil || deref(a.Mutability) != ocpp201.MutabilityEnumWriteOnly {
					t.Errorf("reported BasicAuthPassword = %q, %s; want no value, WriteOnly", deref(a.Value), deref(a.Mutability))
				}
			}
		}
	}
	if !found {
		t.Error("the full inventory does not list SecurityCtrlr.BasicAuthPassword")
	}
}

func TestRunFleetPasswordFor(t *testing.T) {
	f := newFakeCSMS(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.RunFleet(ctx, sim.Config{URL: f.url(), Logger: testLogger(t, slog.LevelWarn), SecurityProfile: 1,
			PasswordFor: func(id string) string { return "pw-for-" + id + "-0123456789" }}, 2, "SIM-")
	}()
	for _, id := range []string{"SIM-0001", "SIM-0002"} {
		f.waitUpgrade(t, id, "connection of "+id, func(u upgrade) bool { return string(u.password) == "pw-for-"+id+"-0123456789" })
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunFleet = %v", err)
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	f := newFakeCSMSTLS(t, p.serverTLS(tls.RequireAndVerifyClientCert))
	cert := p.clientCert(t, "CP-1")
	ch := startSim(t, f, sim.Config{SecurityProfile: 3, ClientCert: cert, RootCAs: p.ca.Pool()})
	u := f.upgradesOf("CP-1")[0]
	if u.cert == nil || u.cert.Subject.CommonName != "CP-1" || u.basic {
		t.Fatalf("upgrade: certificate %v, Basic %v; want CP-1's certificate and no Basic auth", u.cert, u.basic)
	}
	if got := ch.Certificate(); got == nil || !got.Equal(u.cert) {
		t.Errorf("Certificate() = %v, want the configured one", got)
	}
	if ch.SecurityProfile() != 3 {
		t.Errorf("SecurityProfile() = %d, want 3", ch.SecurityProfile())
	}
}

// csrs returns the CSRs charger id sent, in order, in either version.
func csrs(f *fakeCSMS, id string) []string {
	var out []string
	for _, r := range f.records(id) {
		switch req := r.req.(type) {
		case *ocpp16.SignCertificateRequest:
			out = append(out, req.Csr)
		case *ocpp201.SignCertificateRequest:
			out = append(out, req.Csr)
		}
	}
	return out
}

// waitCSR waits for charger id's nth CSR (1-based).
func waitCSR(t *testing.T, f *fakeCSMS, id string, n int) string {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		if c := csrs(f, id); len(c) >= n {
			return c[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for SignCertificate #%d; charger %s sent:\n%s", n, id, f.dump(id))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// certificateSigned sends chain to charger id as CertificateSigned in the
// connection's version and returns the status.
func certificateSigned(t *testing.T, f *fakeCSMS, id, chain string) string {
	t.Helper()
	if f.proto == sim.OCPP201 {
		return string(mustCall[ocpp201.CertificateSignedResponse](t, f, id, "CertificateSigned", &ocpp201.CertificateSignedRequest{
			CertificateChain: chain, CertificateType: ptr(ocpp201.CertificateSigningUseEnumChargingStationCertificate)}).Status)
	}
	return string(mustCall[ocpp16.CertificateSignedResponse](t, f, id, "CertificateSigned",
		&ocpp16.CertificateSignedRequest{CertificateChain: chain}).Status)
}

func parseCSR(t *testing.T, s string) *x509.CertificateRequest {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("CSR is not a PEM CERTIFICATE REQUEST: %q", s)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Fatalf("CSR signature: %v", err)
	}
	return csr
}

func TestCertificateSigning(t *testing.T) {
	for _, version := range []string{sim.OCPP16, sim.OCPP201} {
		t.Run(version, func(t *testing.T) {
			p := newPKI(t)
			f := newFakeCSMS(t)
			f.proto = version
			ch := startSim(t, f, sim.Config{OCPPVersion: version, CertificateOrg: "Acme"})

			type result struct {
				cert *x509.Certificate
				err  error
			}
			done := make(chan result, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
				defer cancel()
				c, err := ch.RequestCertificate(ctx)
				done <- result{c, err}
			}()
			csr := parseCSR(t, waitCSR(t, f, "CP-1", 1))
			if csr.Subject.CommonName != "CP-1" || !slices.Equal(csr.Subject.Organization, []string{"Acme"}) {
				t.Errorf("CSR subject = %v, want CN=CP-1, O=Acme", csr.Subject)
			}
			if k, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
				t.Errorf("CSR key = %T, want ECDSA P-256", csr.PublicKey)
			}
			if version == sim.OCPP201 {
				req := all[ocpp201.SignCertificateRequest](f, "CP-1")[0]
				if deref(req.CertificateType) != ocpp201.CertificateSigningUseEnumChargingStationCertificate {
					t.Errorf("certificateType = %v, want ChargingStationCertificate", req.CertificateType)
				}
			}

			// A chain for another key is refused and reported.
			other, _, err := p.ca.IssueClientCert("CP-1", "Acme", pki.KeyECDSA, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if got := certificateSigned(t, f, "CP-1", string(other)+p.ca.CACertificatePEM()); got != "Rejected" {
				t.Errorf("CertificateSigned for another key = %s, want Rejected", got)
			}
			if r := <-done; r.err == nil || !strings.Contains(r.err.Error(), "not for the key") {
				t.Fatalf("RequestCertificate = %v, %v; want an error about the key", r.cert, r.err)
			}
			wantEvent := map[string]string{sim.OCPP16: "InvalidChargePointCertificate", sim.OCPP201: "InvalidChargingStationCertificate"}[version]
			waitSecurityEvent(t, f, "CP-1", wantEvent)
			if certificateSigned(t, f, "CP-1", "garbage") != "Rejected" {
				t.Error("CertificateSigned garbage was not Rejected")
			}

			// The round trip, started by the CSMS.
			if version == sim.OCPP201 {
				st := mustCall[ocpp201.TriggerMessageResponse](t, f, "CP-1", "TriggerMessage",
					&ocpp201.TriggerMessageRequest{RequestedMessage: ocpp201.MessageTriggerEnumSignChargingStationCertificate}).Status
				if st != ocpp201.TriggerMessageStatusEnumAccepted {
					t.Fatalf("TriggerMessage SignChargingStationCertificate = %s, want Accepted", st)
				}
			} else {
				st := mustCall[ocpp16.ExtendedTriggerMessageResponse](t, f, "CP-1", "ExtendedTriggerMessage",
					&ocpp16.ExtendedTriggerMessageRequest{RequestedMessage: ocpp16.MessageTriggerEnumSignChargePointCertificate}).Status
				if st != ocpp16.TriggerMessageStatusEnumAccepted {
					t.Fatalf("ExtendedTriggerMessage SignChargePointCertificate = %s, want Accepted", st)
				}
			}
			chain, err := p.ca.SignCSR(waitCSR(t, f, "CP-1", 2), []string{"CP-1"})
			if err != nil {
				t.Fatal(err)
			}
			if got := certificateSigned(t, f, "CP-1", chain); got != "Accepted" {
				t.Fatalf("CertificateSigned = %s, want Accepted", got)
			}
			leaf := ch.Certificate()
			if leaf == nil || leaf.Subject.CommonName != "CP-1" {
				t.Fatalf("Certificate() = %v, want the signed CP-1 certificate", leaf)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: p.ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("stored certificate does not verify: %v", err)
			}
		})
	}
}

func waitSecurityEvent(t *testing.T, f *fakeCSMS, id, typ string) {
	t.Helper()
	if f.proto == sim.OCPP201 {
		waitFor(t, f, id, "SecurityEventNotification "+typ, func(r *ocpp201.SecurityEventNotificationRequest) bool { return r.Type == typ })
		return
	}
	waitFor(t, f, id, "SecurityEventNotification "+typ, func(r *ocpp16.SecurityEventNotificationRequest) bool { return r.Type == typ })
}

// TestProfileUpgradeWithSignedCertificate: a profile 2 charger gets a
// certificate, is raised to profile 3 and reconnects with it.
func TestProfileUpgradeWithSignedCertificate(t *testing.T) {
	p := newPKI(t)
	f := newFakeCSMSTLS(t, p.serverTLS(tls.VerifyClientCertIfGiven))
	const key = "0123456789abcdef0123456789abcdef"
	ch := startSim(t, f, sim.Config{SecurityProfile: 2, Password: key, RootCAs: p.ca.Pool(), RequestCertificate: true})
	if u := f.upgradesOf("CP-1")[0]; !u.basic || !bytes.Equal(u.password, mustHex(t, key)) || u.cert != nil {
		t.Fatalf("profile 2 upgrade: Basic %v %x, certificate %v; want the key's bytes and no certificate", u.basic, u.password, u.cert)
	}
	set := func(v string) ocpp16.ConfigurationStatus {
		return mustCall[ocpp16.ChangeConfigurationResponse](t, f, "CP-1", "ChangeConfiguration",
			&ocpp16.ChangeConfigurationRequest{Key: "SecurityProfile", Value: v}).Status
	}
	// Config.RequestCertificate sent a CSR after the boot; until it is
	// signed there is no certificate for profile 3.
	csr := waitCSR(t, f, "CP-1", 1)
	if got := set("3"); got != ocpp16.ConfigurationStatusRejected {
		t.Errorf("SecurityProfile 3 without a certificate = %s, want Rejected", got)
	}
	chain, err := p.ca.SignCSR(csr, []string{"CP-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := certificateSigned(t, f, "CP-1", chain); got != "Accepted" {
		t.Fatalf("CertificateSigned = %s, want Accepted", got)
	}
	if got := set("3"); got != ocpp16.ConfigurationStatusAccepted {
		t.Fatalf("SecurityProfile 3 = %s, want Accepted", got)
	}
	serial := ch.Certificate().SerialNumber
	u := f.waitUpgrade(t, "CP-1", "a profile 3 connection", func(u upgrade) bool { return u.cert != nil })
	if u.cert.SerialNumber.Cmp(serial) != 0 || u.basic {
		t.Errorf("profile 3 connection: certificate serial %x, Basic %v; want the signed certificate %x and no Basic auth", u.cert.SerialNumber, u.basic, serial)
	}
	waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "BootNotification over profile 3", 2, nil)
	if got := set("2"); got != ocpp16.ConfigurationStatusRejected {
		t.Errorf("SecurityProfile 2 after 3 = %s, want Rejected (no downgrade through OCPP)", got)
	}
}

// hashData computes what GetInstalledCertificateIds should report for a
// self-signed certificate.
func hashData(t *testing.T, c *x509.Certificate) (name, key, serial string) {
	t.Helper()
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		t.Fatal(err)
	}
	n := sha256.Sum256(c.RawIssuer)
	k := sha256.Sum256(spki.PublicKey.Bytes)
	return hex.EncodeToString(n[:]), hex.EncodeToString(k[:]), fmt.Sprintf("%x", c.SerialNumber)
}

func TestInstalledCertificates16(t *testing.T) {
	csmsRoot, mfrRoot := newPKI(t).ca, newPKI(t).ca
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{})

	ids := func(typ ocpp16.CertificateUseEnum) *ocpp16.GetInstalledCertificateIdsResponse {
		return mustCall[ocpp16.GetInstalledCertificateIdsResponse](t, f, "CP-1", "GetInstalledCertificateIds",
			&ocpp16.GetInstalledCertificateIdsRequest{CertificateType: typ})
	}
	if r := ids(ocpp16.CertificateUseEnumCentralSystemRootCertificate); r.Status != ocpp16.GetInstalledCertificateStatusEnumNotFound || len(r.CertificateHashData) != 0 {
		t.Errorf("GetInstalledCertificateIds before any install = %+v, want NotFound", r)
	}
	for typ, ca := range map[ocpp16.CertificateUseEnum]*pki.CA{
		ocpp16.CertificateUseEnumCentralSystemRootCertificate: csmsRoot,
		ocpp16.CertificateUseEnumManufacturerRootCertificate:  mfrRoot,
	} {
		r := mustCall[ocpp16.InstallCertificateResponse](t, f, "CP-1", "InstallCertificate",
			&ocpp16.InstallCertificateRequest{CertificateType: typ, Certificate: ca.CACertificatePEM()})
		if r.Status != ocpp16.InstallCertificateStatusEnumAccepted {
			t.Errorf("InstallCertificate %s = %s, want Accepted", typ, r.Status)
		}
	}
	r := ids(ocpp16.CertificateUseEnumCentralSystemRootCertificate)
	name, key, serial := hashData(t, csmsRoot.Certificate())
	want := ocpp16.CertificateHashData{HashAlgorithm: ocpp16.HashAlgorithmEnumSHA256, IssuerNameHash: name, IssuerKeyHash: key, SerialNumber: serial}
	if r.Status != ocpp16.GetInstalledCertificateStatusEnumAccepted || len(r.CertificateHashData) != 1 || r.CertificateHashData[0] != want {
		t.Fatalf("GetInstalledCertificateIds = %+v, want Accepted with %+v", r, want)
	}

	del := func(h ocpp16.CertificateHashData) ocpp16.DeleteCertificateStatusEnum {
		return mustCall[ocpp16.DeleteCertificateResponse](t, f, "CP-1", "DeleteCertificate",
			&ocpp16.DeleteCertificateRequest{CertificateHashData: h}).Status
	}
	upper := want
	upper.IssuerNameHash, upper.IssuerKeyHash = strings.ToUpper(want.IssuerNameHash), strings.ToUpper(want.IssuerKeyHash)
	if got := del(upper); got != ocpp16.DeleteCertificateStatusEnumAccepted {
		t.Errorf("DeleteCertificate (upper-case hashes) = %s, want Accepted", got)
	}
	if got := del(want); got != ocpp16.DeleteCertificateStatusEnumNotFound {
		t.Errorf("DeleteCertificate again = %s, want NotFound", got)
	}
	if r := ids(ocpp16.CertificateUseEnumCentralSystemRootCertificate); r.Status != ocpp16.GetInstalledCertificateStatusEnumNotFound {
		t.Errorf("GetInstalledCertificateIds after delete = %s, want NotFound", r.Status)
	}
	if r := ids(ocpp16.CertificateUseEnumManufacturerRootCertificate); len(r.CertificateHashData) != 1 {
		t.Errorf("manufacturer roots after deleting the CSMS root: %d, want 1", len(r.CertificateHashData))
	}
}

func TestInstalledCertificates201(t *testing.T) {
	root := newPKI(t).ca
	f := newFakeCSMS201(t)
	startSim201(t, f, sim.Config{})
	r := mustCall[ocpp201.InstallCertificateResponse](t, f, "CP-1", "InstallCertificate", &ocpp201.InstallCertificateRequest{
		CertificateType: ocpp201.InstallCertificateUseEnumCSMSRootCertificate, Certificate: root.CACertificatePEM()})
	if r.Status != ocpp201.InstallCertificateStatusEnumAccepted {
		t.Fatalf("InstallCertificate = %s, want Accepted", r.Status)
	}
	ids := mustCall[ocpp201.GetInstalledCertificateIdsResponse](t, f, "CP-1", "GetInstalledCertificateIds", &ocpp201.GetInstalledCertificateIdsRequest{})
	if ids.Status != ocpp201.GetInstalledCertificateStatusEnumAccepted || len(ids.CertificateHashDataChain) != 1 {
		t.Fatalf("GetInstalledCertificateIds = %+v, want one certificate", ids)
	}
	got := ids.CertificateHashDataChain[0]
	name, key, serial := hashData(t, root.Certificate())
	if got.CertificateType != ocpp201.GetCertificateIDUseEnumCSMSRootCertificate || got.CertificateHashData.IssuerNameHash != name ||
		got.CertificateHashData.IssuerKeyHash != key || got.CertificateHashData.SerialNumber != serial {
		t.Errorf("hash data = %+v, want CSMSRootCertificate %s %s %s", got, name, key, serial)
	}
	none := mustCall[ocpp201.GetInstalledCertificateIdsResponse](t, f, "CP-1", "GetInstalledCertificateIds", &ocpp201.GetInstalledCertificateIdsRequest{
		CertificateType: []ocpp201.GetCertificateIDUseEnum{ocpp201.GetCertificateIDUseEnumV2GRootCertificate}})
	if none.Status != ocpp201.GetInstalledCertificateStatusEnumNotFound {
		t.Errorf("GetInstalledCertificateIds V2GRootCertificate = %s, want NotFound", none.Status)
	}
	del := mustCall[ocpp201.DeleteCertificateResponse](t, f, "CP-1", "DeleteCertificate",
		&ocpp201.DeleteCertificateRequest{CertificateHashData: got.CertificateHashData})
	if del.Status != ocpp201.DeleteCertificateStatusEnumAccepted {
		t.Errorf("DeleteCertificate = %s, want Accepted", del.Status)
	}
}

// uploadServer receives uploaded files by HTTP PUT; /fail answers 500.
type uploadServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	files map[string][]byte // by path; guarded by mu
}

func newUploadServer(t *testing.T) *uploadServer {
	u := &uploadServer{files: map[string][]byte{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.files[r.URL.Path] = b
		u.mu.Unlock()
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *uploadServer) file(path string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return string(u.files[path])
}

func TestGetLog(t *testing.T) {
	for _, version := range []string{sim.OCPP16, sim.OCPP201} {
		t.Run(version, func(t *testing.T) {
			up := newUploadServer(t)
			f := newFakeCSMS(t)
			f.proto = version
			startSim(t, f, sim.Config{OCPPVersion: version})

			getLog := func(logType string, requestID int, path string) (status, file string) {
				if version == sim.OCPP201 {
					r := mustCall[ocpp201.GetLogResponse](t, f, "CP-1", "GetLog", &ocpp201.GetLogRequest{
						LogType: ocpp201.LogEnum(logType), RequestID: requestID, Log: ocpp201.LogParameters{RemoteLocation: up.srv.URL + path}})
					return string(r.Status), deref(r.Filename)
				}
				r := mustCall[ocpp16.GetLogResponse](t, f, "CP-1", "GetLog", &ocpp16.GetLogRequest{
					LogType: ocpp16.LogEnum(logType), RequestID: requestID, Log: ocpp16.LogParameters{RemoteLocation: up.srv.URL + path}})
				return string(r.Status), deref(r.Filename)
			}
			// statuses returns the LogStatusNotifications of requestID,
			// waiting until the last is final.
			statuses := func(requestID int) []string {
				t.Helper()
				final := func(st string) bool { return st == "Uploaded" || st == "UploadFailure" }
				deadline := time.Now().Add(8 * time.Second)
				for {
					var got []string
					for _, r := range f.records("CP-1") {
						switch req := r.req.(type) {
						case *ocpp16.LogStatusNotificationRequest:
							if deref(req.RequestID) == requestID {
								got = append(got, string(req.Status))
							}
						case *ocpp201.LogStatusNotificationRequest:
							if deref(req.RequestID) == requestID {
								got = append(got, string(req.Status))
							}
						}
					}
					if len(got) > 0 && final(got[len(got)-1]) {
						return got
					}
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for the upload of request %d; charger sent:\n%s", requestID, f.dump("CP-1"))
					}
					time.Sleep(5 * time.Millisecond)
				}
			}

			st, file := getLog("DiagnosticsLog", 7, "/diag")
			if st != "Accepted" || !strings.HasPrefix(file, "CP-1-diagnostics-") {
				t.Errorf("GetLog DiagnosticsLog = %s, %q; want Accepted with a file name", st, file)
			}
			if got := statuses(7); !slices.Equal(got, []string{"Uploading", "Uploaded"}) {
				t.Errorf("statuses of request 7 = %v, want [Uploading Uploaded]", got)
			}
			if body := up.file("/diag"); !strings.Contains(body, "charger=CP-1") {
				t.Errorf("uploaded diagnostics = %q, want the charger's state", body)
			}

			getLog("SecurityLog", 8, "/security")
			statuses(8)
			if body := up.file("/security"); !strings.Contains(body, "connected with security profile 0") {
				t.Errorf("uploaded security log = %q, want the connection event", body)
			}

			getLog("DiagnosticsLog", 9, "/fail")
			if got := statuses(9); !slices.Equal(got, []string{"Uploading", "UploadFailure"}) {
				t.Errorf("statuses of a failed upload = %v, want [Uploading UploadFailure]", got)
			}
		})
	}
}

// firmwareServer serves firmware files; /missing is 404.
func firmwareServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "firmware image")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSignedFirmware16(t *testing.T) {
	fw := firmwareServer(t)
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{})
	update := func(requestID int, path string, at time.Time) ocpp16.UpdateFirmwareStatusEnum {
		return mustCall[ocpp16.SignedUpdateFirmwareResponse](t, f, "CP-1", "SignedUpdateFirmware", &ocpp16.SignedUpdateFirmwareRequest{
			RequestID: requestID,
			Firmware: ocpp16.Firmware{Location: fw.URL + path, RetrieveDateTime: at,
				SigningCertificate: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", Signature: "c2lnbmF0dXJl"},
		}).Status
	}
	// A later update replaces one that has not run yet.
	if got := update(41, "/fw-1.5.0", time.Now().Add(time.Hour)); got != ocpp16.UpdateFirmwareStatusEnumAccepted {
		t.Errorf("SignedUpdateFirmware = %s, want Accepted", got)
	}
	if got := update(42, "/fw-2.0.0", time.Now()); got != ocpp16.UpdateFirmwareStatusEnumAcceptedCanceled {
		t.Errorf("second SignedUpdateFirmware = %s, want AcceptedCanceled", got)
	}
	waitFor(t, f, "CP-1", "SignedFirmwareStatusNotification Installed", func(r *ocpp16.SignedFirmwareStatusNotificationRequest) bool {
		return r.Status == ocpp16.FirmwareStatusEnumInstalled
	})
	var got []string
	for _, r := range all[ocpp16.SignedFirmwareStatusNotificationRequest](f, "CP-1") {
		if deref(r.RequestID) != 42 {
			t.Errorf("status %s with requestId %v, want 42", r.Status, deref(r.RequestID))
		}
		got = append(got, string(r.Status))
	}
	if want := []string{"Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	boot := waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "BootNotification after the installation", 2, nil)[1]
	if deref(boot.FirmwareVersion) != "fw-2.0.0" || ch.FirmwareVersion() != "fw-2.0.0" {
		t.Errorf("firmware after the reboot = %q (FirmwareVersion() %q), want fw-2.0.0", deref(boot.FirmwareVersion), ch.FirmwareVersion())
	}
	if n := len(all[ocpp16.FirmwareStatusNotificationRequest](f, "CP-1")); n != 0 {
		t.Errorf("%d plain FirmwareStatusNotifications during a signed update, want none", n)
	}

	// A failed download ends with DownloadFailed.
	update(43, "/missing", time.Now())
	waitFor(t, f, "CP-1", "DownloadFailed", func(r *ocpp16.SignedFirmwareStatusNotificationRequest) bool {
		return r.Status == ocpp16.FirmwareStatusEnumDownloadFailed && deref(r.RequestID) == 43
	})
}

func TestUpdateFirmware201(t *testing.T) {
	fw := firmwareServer(t)
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{})
	r := mustCall[ocpp201.UpdateFirmwareResponse](t, f, "CP-1", "UpdateFirmware", &ocpp201.UpdateFirmwareRequest{
		RequestID: 7,
		Firmware: ocpp201.Firmware{Location: fw.URL + "/fw-3.0.0", RetrieveDateTime: time.Now(),
			SigningCertificate: ptr("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), Signature: ptr("c2lnbmF0dXJl")},
	})
	if r.Status != ocpp201.UpdateFirmwareStatusEnumAccepted {
		t.Fatalf("UpdateFirmware = %s, want Accepted", r.Status)
	}
	waitFor(t, f, "CP-1", "FirmwareStatusNotification Installed", func(r *ocpp201.FirmwareStatusNotificationRequest) bool {
		return r.Status == ocpp201.FirmwareStatusEnumInstalled
	})
	var got []string
	for _, r := range all[ocpp201.FirmwareStatusNotificationRequest](f, "CP-1") {
		if deref(r.RequestID) != 7 {
			t.Errorf("status %s with requestId %v, want 7", r.Status, deref(r.RequestID))
		}
		got = append(got, string(r.Status))
	}
	if want := []string{"Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	boot := waitCount[ocpp201.BootNotificationRequest](t, f, "CP-1", "BootNotification after the installation", 2, nil)[1]
	if boot.Reason != ocpp201.BootReasonEnumFirmwareUpdate || deref(boot.ChargingStation.FirmwareVersion) != "fw-3.0.0" {
		t.Errorf("boot after the update: reason %s, firmware %q; want FirmwareUpdate, fw-3.0.0", boot.Reason, deref(boot.ChargingStation.FirmwareVersion))
	}
	if ch.FirmwareVersion() != "fw-3.0.0" {
		t.Errorf("FirmwareVersion() = %q, want fw-3.0.0", ch.FirmwareVersion())
	}
}

func TestExtendedTriggerMessage(t *testing.T) {
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{Connectors: 2})
	trigger := func(m ocpp16.MessageTriggerEnum, connector *int) ocpp16.TriggerMessageStatusEnum {
		return mustCall[ocpp16.ExtendedTriggerMessageResponse](t, f, "CP-1", "ExtendedTriggerMessage",
			&ocpp16.ExtendedTriggerMessageRequest{RequestedMessage: m, ConnectorID: connector}).Status
	}
	accepted := ocpp16.TriggerMessageStatusEnumAccepted
	beats := len(all[ocpp16.HeartbeatRequest](f, "CP-1"))
	if got := trigger(ocpp16.MessageTriggerEnumHeartbeat, nil); got != accepted {
		t.Errorf("Heartbeat = %s, want Accepted", got)
	}
	waitCount[ocpp16.HeartbeatRequest](t, f, "CP-1", "triggered Heartbeat", beats+1, nil)
	statuses := len(all[ocpp16.StatusNotificationRequest](f, "CP-1"))
	trigger(ocpp16.MessageTriggerEnumStatusNotification, intp(2))
	waitCount[ocpp16.StatusNotificationRequest](t, f, "CP-1", "triggered StatusNotification", statuses+1, nil)
	trigger(ocpp16.MessageTriggerEnumMeterValues, intp(1))
	waitFor(t, f, "CP-1", "triggered MeterValues", func(r *ocpp16.MeterValuesRequest) bool { return r.ConnectorID == 1 })
	trigger(ocpp16.MessageTriggerEnumBootNotification, nil)
	waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "triggered BootNotification", 2, nil)
	trigger(ocpp16.MessageTriggerEnumFirmwareStatusNotification, nil)
	fs := waitFor[ocpp16.SignedFirmwareStatusNotificationRequest](t, f, "CP-1", "SignedFirmwareStatusNotification", nil)
	if fs.Status != ocpp16.FirmwareStatusEnumIdle || fs.RequestID != nil {
		t.Errorf("triggered firmware status = %s (requestId %v), want Idle without requestId", fs.Status, fs.RequestID)
	}
	trigger(ocpp16.MessageTriggerEnumLogStatusNotification, nil)
	ls := waitFor[ocpp16.LogStatusNotificationRequest](t, f, "CP-1", "LogStatusNotification", nil)
	if ls.Status != ocpp16.UploadLogStatusEnumIdle {
		t.Errorf("triggered log status = %s, want Idle", ls.Status)
	}
	if got := trigger(ocpp16.MessageTriggerEnumStatusNotification, intp(9)); got != ocpp16.TriggerMessageStatusEnumRejected {
		t.Errorf("StatusNotification for connector 9 = %s, want Rejected", got)
	}
}

// TestUploadTrustsChargerRoots: log uploads (and firmware downloads) over
// https trust what the charger's connection trusts.
func TestUploadTrustsChargerRoots(t *testing.T) {
	p := newPKI(t)
	got := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- string(b):
		default:
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{RootCAs: p.ca.Pool()})
	mustCall[ocpp16.GetLogResponse](t, f, "CP-1", "GetLog", &ocpp16.GetLogRequest{
		LogType: ocpp16.LogEnumDiagnosticsLog, RequestID: 1, Log: ocpp16.LogParameters{RemoteLocation: srv.URL + "/up"}})
	st := waitFor(t, f, "CP-1", "final LogStatusNotification", func(r *ocpp16.LogStatusNotificationRequest) bool {
		return r.Status != ocpp16.UploadLogStatusEnumUploading
	})
	if st.Status != ocpp16.UploadLogStatusEnumUploaded {
		t.Fatalf("upload over https = %s, want Uploaded", st.Status)
	}
	if body := <-got; !strings.Contains(body, "charger=CP-1") {
		t.Errorf("uploaded %q", body)
	}
}

// TestPasswordAtProfile0: a charger without authentication that is given
// a password starts using it (profile 1), as in Joule's onboarding.
func TestPasswordAtProfile0(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{})
	const key = "00112233445566778899aabbccddeeff"
	if got := mustCall[ocpp16.ChangeConfigurationResponse](t, f, "CP-1", "ChangeConfiguration",
		&ocpp16.ChangeConfigurationRequest{Key: "AuthorizationKey", Value: key}).Status; got != ocpp16.ConfigurationStatusAccepted {
		t.Fatalf("AuthorizationKey = %s, want Accepted", got)
	}
	f.waitUpgrade(t, "CP-1", "a reconnection with the key", func(u upgrade) bool { return u.basic && bytes.Equal(u.password, mustHex(t, key)) })
	if p := ch.SecurityProfile(); p != 1 {
		t.Errorf("SecurityProfile() = %d, want 1", p)
	}
}
