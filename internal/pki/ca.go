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
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Files of the built-in CA in its directory.
const (
	CACertFile = "ca.pem"
	CAKeyFile  = "ca-key.pem"
)

const (
	caYears = 10
	// clockSkew backdates NotBefore, so that a charger whose clock is a
	// little behind accepts a certificate issued a moment ago.
	clockSkew = 5 * time.Minute
	// leafValidity is the lifetime of the certificates the CA issues.
	leafValidity = 365 * 24 * time.Hour
)

// CA is a certificate authority: its certificate and signing key. Its
// methods are safe for concurrent use (it is never modified after Load).
type CA struct {
	cert    *x509.Certificate
	certPEM string
	key     crypto.Signer
}

var _ charging.CertificateSigner = (*CA)(nil)

// LoadOrCreateCA loads the built-in CA kept in dir (ca.pem and ca-key.pem),
// creating it on first use: an ECDSA P-256 key, a self-signed certificate
// (O "Joule", CN "Joule charger CA") valid for ten years. The directory is
// created with mode 0700 and the key file with 0600.
func LoadOrCreateCA(dir string) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	_, errC := os.Stat(certFile)
	_, errK := os.Stat(keyFile)
	switch {
	case errC == nil && errK == nil:
		return LoadCA(certFile, keyFile)
	case errC != nil && !errors.Is(errC, fs.ErrNotExist):
		return nil, fmt.Errorf("pki: %w", errC)
	case errK != nil && !errors.Is(errK, fs.ErrNotExist):
		return nil, fmt.Errorf("pki: %w", errK)
	case errC == nil || errK == nil:
		// Creating a new CA now would silently invalidate every
		// certificate the old one issued.
		return nil, fmt.Errorf("pki: %s holds only one of %s and %s: restore the other, or remove both to create a new CA",
			dir, CACertFile, CAKeyFile)
	}
	if err := createCA(dir, certFile, keyFile); err != nil {
		return nil, err
	}
	// Read back what is on disk: should two processes have created the
	// CA at once, the pair check in LoadCA catches a mixed pair.
	return LoadCA(certFile, keyFile)
}

func createCA(dir, certFile, keyFile string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: create CA directory: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Joule"}, CommonName: "Joule charger CA"},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.AddDate(caYears, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs end-entity certificates only
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("pki: create CA certificate: %w", err)
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return err
	}
	// The key first: a certificate without its key is the state
	// LoadOrCreateCA refuses to paper over.
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFileAtomic writes data to a temporary file in name's directory with
// mode perm, then renames it over name.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: write %s: %w", name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

// LoadCA loads an operator's CA: a PEM certificate and its PEM private key
// (RSA or ECDSA; PKCS#1, PKCS#8 or SEC1). The certificate must be a CA
// allowed to sign certificates, unexpired, with a key of at least 112-bit
// strength that matches the key file.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	certs, err := parseCertificates(certPEM)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("pki: CA certificate %s: no PEM certificate found (%v)", certFile, err)
	}
	cert := certs[0]
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key %s: %w", keyFile, err)
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("pki: CA key %s does not belong to the certificate %s", keyFile, certFile)
	}
	switch {
	case !cert.BasicConstraintsValid || !cert.IsCA:
		return nil, fmt.Errorf("pki: %s is not a CA certificate (basicConstraints CA:TRUE missing)", certFile)
	case cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, fmt.Errorf("pki: %s may not sign certificates (keyUsage lacks keyCertSign)", certFile)
	case time.Now().After(cert.NotAfter):
		return nil, fmt.Errorf("pki: CA certificate %s expired on %s", certFile, cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := checkKeyStrength(cert.PublicKey); err != nil {
		return nil, fmt.Errorf("pki: CA certificate %s: %w", certFile, err)
	}
	return &CA{
		cert:    cert,
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		key:     key,
	}, nil
}

// CACertificatePEM returns the CA's certificate in PEM: what chargers
// install (InstallCertificate CentralSystemRootCertificate, or by hand) to
// trust certificates the CA issued, and what Joule trusts client
// certificates with.
func (ca *CA) CACertificatePEM() string { return ca.certPEM }

// Certificate returns the CA's certificate. Callers must not modify it.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool returns a new pool holding the CA's certificate, e.g. for
// tls.Config.ClientCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// parseCertificates parses every CERTIFICATE block of a PEM text.
func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return out, nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// parsePrivateKey reads the first private key of a PEM text: PKCS#8
// ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY",
// possibly after an "EC PARAMETERS" block as openssl writes it). Only RSA
// and ECDSA keys are accepted: the algorithms OCPP's cipher suites use.
func parsePrivateKey(b []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		if block.Headers["Proc-Type"] != "" || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("the key is encrypted: decrypt it first (e.g. openssl pkey -in key.pem -out plain.pem)")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", block.Type, err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("unsupported key type %T: use RSA or ECDSA", key)
	}
}

// marshalKey encodes a private key as PEM PKCS#8.
func marshalKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// checkKeyStrength enforces OCPP's minimum of 112-bit security
// (whitepaper A00.FR.501–503): RSA of at least 2048 bits, elliptic curves
// of at least 256 bits (P-256, P-384, P-521).
func checkKeyStrength(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Errorf("RSA key of %d bits is too weak: at least 2048 are required", n)
		}
		return nil
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Errorf("EC key on a %d-bit curve is too weak: P-256 or stronger is required", n)
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T: use RSA or ECDSA", pub)
}

// randomSerial returns a random positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}
