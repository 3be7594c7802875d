package pki_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/pki"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(filepath.Join(t.TempDir(), "ca"))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func csr(t *testing.T, cn, org string, key crypto.Signer) string {
	t.Helper()
	s, err := pki.NewCSR(cn, org, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// chain parses a PEM chain.
func chain(t *testing.T, s string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	rest := []byte(s)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

func TestLoadOrCreateCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ca1, err := pki.LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca2, err := pki.LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ca1.CACertificatePEM() != ca2.CACertificatePEM() {
		t.Error("second LoadOrCreateCA made a new CA, want the one on disk")
	}
	c := ca1.Certificate()
	if c.Subject.CommonName != "Joule charger CA" || len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != "Joule" {
		t.Errorf("CA subject = %v, want O=Joule, CN=Joule charger CA", c.Subject)
	}
	if !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 || c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("CA: IsCA %v, KeyUsage %b, signature %v; want a CA with keyCertSign signed with ECDSA-SHA256", c.IsCA, c.KeyUsage, c.SignatureAlgorithm)
	}
	if years := c.NotAfter.Sub(c.NotBefore).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("CA validity = %.1f years, want 10", years)
	}
	if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("CA key = %T, want ECDSA P-256", c.PublicKey)
	}
	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, pki.CAKeyFile): 0o600} {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("mode of %s = %o, want %o", name, got, want)
			}
		}
	}

	// Half a CA is refused rather than silently replaced.
	if err := os.Remove(filepath.Join(dir, pki.CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := pki.LoadOrCreateCA(dir); err == nil || !strings.Contains(err.Error(), pki.CAKeyFile) {
		t.Errorf("LoadOrCreateCA without the key = %v, want an error naming %s", err, pki.CAKeyFile)
	}
}

func TestSignCSR(t *testing.T) {
	ca := newCA(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, key := range map[string]crypto.Signer{"ECDSA P-256": ecKey, "RSA 2048": rsaKey} {
		t.Run(name, func(t *testing.T) {
			got, err := ca.SignCSR(csr(t, "CP-1", "Acme CPO", key), []string{"CP-0", "CP-1"})
			if err != nil {
				t.Fatal(err)
			}
			certs := chain(t, got)
			if len(certs) != 2 || !certs[1].Equal(ca.Certificate()) {
				t.Fatalf("chain of %d certificates, want the charger's then the CA's", len(certs))
			}
			leaf := certs[0]
			if leaf.Subject.CommonName != "CP-1" || len(leaf.Subject.Organization) != 1 || leaf.Subject.Organization[0] != "Acme CPO" {
				t.Errorf("subject = %v, want CN=CP-1, O=Acme CPO", leaf.Subject)
			}
			if !leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
				t.Error("the certificate's key is not the CSR's")
			}
			if leaf.IsCA || leaf.KeyUsage != x509.KeyUsageDigitalSignature || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
				t.Errorf("IsCA %v, KeyUsage %b, ExtKeyUsage %v; want a client-auth end-entity certificate", leaf.IsCA, leaf.KeyUsage, leaf.ExtKeyUsage)
			}
			if leaf.SignatureAlgorithm != x509.ECDSAWithSHA256 {
				t.Errorf("signature algorithm = %v, want ECDSA-SHA256", leaf.SignatureAlgorithm)
			}
			if n := leaf.SerialNumber.BitLen(); n < 64 || n > 128 {
				t.Errorf("serial number of %d bits, want a random 128-bit one", n)
			}
			if d := leaf.NotAfter.Sub(leaf.NotBefore); d < 364*24*time.Hour || d > 366*24*time.Hour {
				t.Errorf("validity %v, want a year", d)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("chain does not verify for client auth: %v", err)
			}
		})
	}
}

func TestSignCSRRefuses(t *testing.T) {
	ca := newCA(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)

	// Tampered: same length CN changed after signing.
	good := csr(t, "CP-1", "", ecKey)
	block, _ := pem.Decode([]byte(good))
	der := bytes.Replace(block.Bytes, []byte("CP-1"), []byte("CP-2"), 1)
	tampered := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))

	for _, tc := range []struct {
		name, csr string
		want      string // in the error message
	}{
		{"wrong CN", csr(t, "CP-9", "", ecKey), `"CP-9" is not allowed (allowed: "CP-1")`},
		{"weak RSA", csr(t, "CP-1", "", weak), "1024 bits is too weak"},
		{"P-224", csr(t, "CP-1", "", p224), "224-bit curve is too weak"},
		{"tampered", tampered, "signature"},
		{"garbage", "hello", "no PEM certificate signing request"},
		{"bad DER", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1, 2, 3}})), "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ca.SignCSR(tc.csr, []string{"CP-1"})
			if charging.ErrorCode(err) != charging.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SignCSR = %v, want an EINVALID error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadCAOperatorFiles(t *testing.T) {
	// An operator's RSA CA in PKCS#1, as openssl genrsa writes it.
	src := newCA(t)
	dir := t.TempDir()
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{
		SerialNumber: src.Certificate().SerialNumber, Subject: src.Certificate().Subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(caKey)}))
	ca, err := pki.LoadCA(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	got, err := ca.SignCSR(csr(t, "CP-1", "", ecKey), []string{"CP-1"})
	if err != nil {
		t.Fatal(err)
	}
	leaf := chain(t, got)[0]
	if leaf.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", leaf.SignatureAlgorithm)
	}
	if leaf.NotAfter.After(ca.Certificate().NotAfter) {
		t.Errorf("leaf NotAfter %v outlives the CA's %v", leaf.NotAfter, ca.Certificate().NotAfter)
	}

	// SEC1 EC key after EC PARAMETERS (openssl ecparam -genkey).
	ecCA, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ = x509.CreateCertificate(rand.Reader, tmpl, tmpl, ecCA.Public(), ecCA)
	sec1, _ := x509.MarshalECPrivateKey(ecCA)
	write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(t, keyFile, append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 5, 43, 129, 4, 0, 34}}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...))
	if _, err := pki.LoadCA(certFile, keyFile); err != nil {
		t.Errorf("SEC1 key: %v", err)
	}

	// A key that is not the certificate's.
	write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(caKey)}))
	if _, err := pki.LoadCA(certFile, keyFile); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("mismatched key: %v, want an error saying so", err)
	}
	// A certificate that is not a CA.
	leafPEM, leafKey, err := src.IssueClientCert("CP-1", "", pki.KeyECDSA, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, certFile, leafPEM)
	write(t, keyFile, leafKey)
	if _, err := pki.LoadCA(certFile, keyFile); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("end-entity certificate as CA: %v, want an error saying so", err)
	}
}

func write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIssueServerAndClientCerts(t *testing.T) {
	ca := newCA(t)
	for _, kt := range []string{pki.KeyECDSA, pki.KeyRSA} {
		certPEM, keyPEM, err := ca.IssueServerCert([]string{"localhost", "127.0.0.1"}, kt)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatalf("%s server pair: %v", kt, err)
		}
		leaf := pair.Leaf
		if leaf.Subject.CommonName != "localhost" || len(leaf.IPAddresses) != 1 || len(leaf.DNSNames) != 1 {
			t.Errorf("%s server cert: CN %q, DNS %v, IP %v; want CN localhost, DNS localhost, IP 127.0.0.1", kt, leaf.Subject.CommonName, leaf.DNSNames, leaf.IPAddresses)
		}
		for _, host := range []string{"localhost", "127.0.0.1"} {
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: host}); err != nil {
				t.Errorf("%s server cert for %s: %v", kt, host, err)
			}
		}
		if kt == pki.KeyRSA && leaf.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
			t.Error("RSA server certificate lacks keyEncipherment (needed by TLS_RSA_WITH_* suites)")
		}
	}
	if _, _, err := ca.IssueServerCert(nil, pki.KeyECDSA); err == nil {
		t.Error("IssueServerCert without hosts = nil error")
	}
	if _, _, err := ca.IssueServerCert([]string{"x"}, "dsa"); err == nil {
		t.Error("IssueServerCert with key type dsa = nil error")
	}

	past := time.Now().Add(-48 * time.Hour)
	certPEM, keyPEM, err := ca.IssueClientCert("CP-1", "Acme", pki.KeyRSA, past, past.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pair.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("verify an expired client certificate = %v, want an expiry error", err)
	}
}
