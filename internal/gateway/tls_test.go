package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
)

// testPKI is a CA with RSA and ECDSA server certificates for 127.0.0.1, a
// charger certificate it issued and one it did not.
type testPKI struct {
	caPool      *x509.CertPool
	serverRSA   tls.Certificate
	serverECDSA tls.Certificate
	charger     tls.Certificate // CN CP-TLS, issued by the CA
	rogue       tls.Certificate // CN CP-TLS, self-signed
}

var serial int64

func issue(t *testing.T, tmpl *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, tls.Certificate) {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey := ecKey(t)
	ca, _ := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "Joule test CA", Organization: []string{"Joule"}},
		IsCA:    true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, caKey, nil, nil)
	p := &testPKI{caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	server := func() *x509.Certificate {
		return &x509.Certificate{
			Subject:     pkix.Name{CommonName: "127.0.0.1"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		}
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, p.serverRSA = issue(t, server(), rsaKey, ca, caKey)
	_, p.serverECDSA = issue(t, server(), ecKey(t), ca, caKey)
	client := func() *x509.Certificate {
		return &x509.Certificate{
			Subject:     pkix.Name{CommonName: "CP-TLS", Organization: []string{"Joule CPO"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			KeyUsage:    x509.KeyUsageDigitalSignature,
		}
	}
	_, p.charger = issue(t, client(), ecKey(t), ca, caKey)
	_, p.rogue = issue(t, client(), ecKey(t), nil, nil)
	return p
}

// tlsHarness is a harness on a TLS server configured by ServerTLSConfig.
func tlsHarness(t *testing.T, p *testPKI, admit admitFunc) *harness {
	return startHarness(t, Options{}, admit, func(hs *httptest.Server) {
		hs.TLS = ServerTLSConfig([]tls.Certificate{p.serverRSA, p.serverECDSA}, p.caPool, 0)
		hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
		hs.StartTLS()
	})
}

// handshake runs a bare TLS handshake against the harness.
func handshake(h *harness, cfg *tls.Config) (tls.ConnectionState, error) {
	c, err := tls.Dial("tcp", h.hs.Listener.Addr().String(), cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.ConnectionState(), nil
}

func TestServerTLSConfig(t *testing.T) {
	c := ServerTLSConfig(nil, nil, tls.VersionTLS10)
	if c.MinVersion != tls.VersionTLS12 || c.ClientAuth != tls.NoClientCert {
		t.Errorf("MinVersion %x, ClientAuth %v; want TLS 1.2 and no client certificate", c.MinVersion, c.ClientAuth)
	}
	if c := ServerTLSConfig(nil, x509.NewCertPool(), tls.VersionTLS13); c.MinVersion != tls.VersionTLS13 || c.ClientAuth != tls.VerifyClientCertIfGiven {
		t.Errorf("MinVersion %x, ClientAuth %v; want TLS 1.3 and VerifyClientCertIfGiven", c.MinVersion, c.ClientAuth)
	}
	for _, id := range c.CipherSuites {
		if strings.Contains(tls.CipherSuiteName(id), "CBC") {
			t.Errorf("CBC suite listed: %s", tls.CipherSuiteName(id))
		}
	}
}

// TestTLSHandshakes checks what the chargers' TLS port accepts: OCPP's
// required suites (RSA key exchange included) with the matching
// certificate, and nothing older than TLS 1.2 or CBC-only.
func TestTLSHandshakes(t *testing.T) {
	p := newPKI(t)
	h := tlsHarness(t, p, admitAll)
	base := func() *tls.Config { return &tls.Config{RootCAs: p.caPool, ServerName: "127.0.0.1"} }

	for _, tc := range []struct {
		suite uint16
		key   string // "RSA" or "ECDSA"
	}{
		{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "RSA"},
		{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "RSA"},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDSA"},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDSA"},
		{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "RSA"},
	} {
		cfg := base()
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{tc.suite}
		st, err := handshake(h, cfg)
		if err != nil {
			t.Errorf("TLS 1.2 with %s: %v", tls.CipherSuiteName(tc.suite), err)
			continue
		}
		_, isRSA := st.PeerCertificates[0].PublicKey.(*rsa.PublicKey)
		if st.Version != tls.VersionTLS12 || st.CipherSuite != tc.suite || isRSA != (tc.key == "RSA") {
			t.Errorf("TLS 1.2 with %s: got version %x, %s, RSA certificate %v; want that suite with an %s certificate",
				tls.CipherSuiteName(tc.suite), st.Version, tls.CipherSuiteName(st.CipherSuite), isRSA, tc.key)
		}
	}

	old := base()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := handshake(h, old); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("TLS 1.1 client: %v, want a protocol version failure", err)
	}
	cbc := base()
	cbc.MaxVersion = tls.VersionTLS12
	cbc.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}
	if _, err := handshake(h, cbc); err == nil {
		t.Error("CBC-only client: handshake succeeded, want a failure")
	}
	if n := h.admits.Load(); n != 0 {
		t.Errorf("Admit called %d times, want 0", n)
	}
}

// TestTLSClientCertificate: a verified client certificate reaches Admit; an
// unverifiable one fails the handshake before any HTTP; none is profile 2's
// case (Basic credentials over TLS).
func TestTLSClientCertificate(t *testing.T) {
	p := newPKI(t)
	got := make(chan charging.ConnectAttempt, 4)
	h := tlsHarness(t, p, func(_ context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
		got <- a
		return charging.Admitted{Profile: charging.ProfileMTLS, Trusted: true}, nil
	})
	// GetClientCertificate sends the certificate even when its issuer is
	// not among the CAs the server asks for (Go would send none).
	dialer := func(certs ...tls.Certificate) *websocket.Dialer {
		cfg := &tls.Config{RootCAs: p.caPool}
		if len(certs) > 0 {
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		return &websocket.Dialer{Subprotocols: []string{"ocpp1.6"}, TLSClientConfig: cfg}
	}
	h.url = strings.Replace(h.url, "ws://", "wss://", 1)

	if _, _, err := h.dialWith(dialer(p.charger), "CP-TLS", nil, true); err != nil {
		t.Fatalf("dial with the charger's certificate: %v", err)
	}
	a := <-got
	if !a.TLS || a.TLSVersion != tls.VersionTLS13 || a.ClientCert == nil || a.ClientCert.Subject.CommonName != "CP-TLS" {
		t.Errorf("ConnectAttempt TLS %v, version %x, certificate %v; want TLS 1.3 and CP-TLS's certificate",
			a.TLS, a.TLSVersion, a.ClientCert)
	}

	if _, _, err := h.dialWith(dialer(p.rogue), "CP-ROGUE", nil, true); err == nil {
		t.Error("dial with a certificate the CA did not issue: connected, want a handshake failure")
	}

	if _, _, err := h.dialWith(dialer(), "CP-PW", basic("CP-PW", "secret"), true); err != nil {
		t.Fatalf("dial without a certificate: %v", err)
	}
	a = <-got
	if !a.TLS || a.ClientCert != nil || !a.BasicAuth {
		t.Errorf("ConnectAttempt TLS %v, certificate %v, Basic %v; want TLS, no certificate, Basic", a.TLS, a.ClientCert, a.BasicAuth)
	}
	if n := h.admits.Load(); n != 2 {
		t.Errorf("Admit called %d times, want 2 (not for the rogue certificate)", n)
	}
}
