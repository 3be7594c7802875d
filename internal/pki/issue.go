package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Key types for IssueServerCert and IssueClientCert.
const (
	KeyECDSA = "ecdsa" // P-256
	KeyRSA   = "rsa"   // 2048 bits
)

// SignCSR signs a charger's certificate signing request (PEM PKCS#10): it
// checks the request's signature, its key strength and that its subject CN
// is one of allowedCNs, then issues a client certificate for one year
// (keeping the requested O and CN) and returns the chain: the charger's
// certificate, then the CA's. A bad request is a charging EINVALID error.
func (ca *CA) SignCSR(csrPEM string, allowedCNs []string) (string, error) {
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return "", err
	}
	if err := csr.CheckSignature(); err != nil {
		return "", charging.Errorf(charging.EINVALID, "the certificate signing request's signature does not verify: %v", err)
	}
	if err := checkKeyStrength(csr.PublicKey); err != nil {
		return "", charging.Errorf(charging.EINVALID, "certificate signing request: %v", err)
	}
	cn := csr.Subject.CommonName
	if !slices.Contains(allowedCNs, cn) {
		return "", charging.Errorf(charging.EINVALID, "certificate signing request: subject CN %q is not allowed (allowed: %s)",
			cn, quoted(allowedCNs))
	}
	der, err := ca.issue(clientTemplate(cn, csr.Subject.Organization), csr.PublicKey, time.Time{}, time.Time{})
	if err != nil {
		return "", err
	}
	return string(pemCert(der)) + ca.certPEM, nil
}

func quoted(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// parseCSR decodes a PEM PKCS#10 request ("CERTIFICATE REQUEST", or the
// older "NEW CERTIFICATE REQUEST").
func parseCSR(csrPEM string) (*x509.CertificateRequest, error) {
	rest := []byte(csrPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, charging.Errorf(charging.EINVALID, "no PEM certificate signing request found (want a CERTIFICATE REQUEST block)")
		}
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			continue
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return nil, charging.Errorf(charging.EINVALID, "malformed certificate signing request: %v", err)
		}
		return csr, nil
	}
}

// clientTemplate is a charger certificate (security profile 3): CN the
// charger's identity, O its operator (whitepaper A00.FR.509/511).
func clientTemplate(cn string, org []string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: slices.Clone(org)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
}

// issue signs tmpl for pub with a random serial number. A zero notBefore
// means now (backdated by a few minutes for chargers' clocks), a zero
// notAfter a year after it; notAfter never passes the CA's own.
func (ca *CA) issue(tmpl *x509.Certificate, pub crypto.PublicKey, notBefore, notAfter time.Time) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-clockSkew)
	}
	if notAfter.IsZero() {
		notAfter = notBefore.Add(clockSkew + leafValidity)
	}
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	// SHA-256 whatever the CA's key (A00.FR.506). An RSA CA signs with
	// PKCS#1 v1.5, which every charger's TLS stack verifies; the built-in
	// CA is ECDSA, as A00.FR.505 recommends.
	tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	if _, ok := ca.key.(*rsa.PrivateKey); ok {
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("pki: sign certificate: %w", err)
	}
	return der, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// NewKey generates a key of keyType: KeyECDSA (P-256) or KeyRSA (2048
// bits).
func NewKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case KeyECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyRSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("pki: key type %q: want %s or %s", keyType, KeyECDSA, KeyRSA)
}

// IssueServerCert issues a TLS server certificate for Joule (security
// profiles 2 and 3) with a new key of keyType (KeyECDSA or KeyRSA), valid
// for a year: CN the first host (A00.FR.510: the CSMS's FQDN), every host
// as a subjectAltName (IP addresses as such), O the CA's. It returns the
// certificate (without the CA) and the key (PKCS#8), both PEM.
func (ca *CA) IssueServerCert(hosts []string, keyType string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 || slices.Contains(hosts, "") {
		return nil, nil, fmt.Errorf("pki: a server certificate needs host names, got %q", hosts)
	}
	key, err := NewKey(keyType)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: hosts[0], Organization: slices.Clone(ca.cert.Subject.Organization)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if keyType == KeyRSA {
		// TLS_RSA_WITH_AES_*_GCM_* (A00.FR.317) encrypt the pre-master
		// secret with the certificate's key.
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := ca.issue(tmpl, key.Public(), time.Time{}, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemCert(der), keyPEM, nil
}

// IssueClientCert issues a charger certificate (security profile 3) with a
// new key of keyType: CN cn, O org (none when ""), valid from notBefore to
// notAfter (zero values: now and a year later; tests pass past dates for
// an expired certificate). It returns the certificate (without the CA) and
// the key (PKCS#8), both PEM.
func (ca *CA) IssueClientCert(cn, org, keyType string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	if cn == "" {
		return nil, nil, fmt.Errorf("pki: a charger certificate needs a CN (the charger's identity)")
	}
	key, err := NewKey(keyType)
	if err != nil {
		return nil, nil, err
	}
	var orgs []string
	if org != "" {
		orgs = []string{org}
	}
	der, err := ca.issue(clientTemplate(cn, orgs), key.Public(), notBefore, notAfter)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemCert(der), keyPEM, nil
}

// NewCSR returns a PEM PKCS#10 certificate signing request for key with
// subject CN cn and O org (none when ""), as a charger sends in
// SignCertificate.
func NewCSR(cn, org string, key crypto.Signer) (string, error) {
	subject := pkix.Name{CommonName: cn}
	if org != "" {
		subject.Organization = []string{org}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		return "", fmt.Errorf("pki: create certificate signing request: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}
