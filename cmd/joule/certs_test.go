package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func runCerts(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := run(t.Context(), append([]string{"certs"}, args...), &out, io.Discard)
	return out.String(), err
}

func TestCertsCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "joule-data")
	out, err := runCerts(t, "server", "--data", data, "--host", "localhost,127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := runCerts(t, "ca", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatalf("certs ca printed no PEM certificate: %q", caPEM)
	}
	dir := filepath.Join(data, "tls")
	for _, kt := range []string{"rsa", "ecdsa"} {
		certFile, keyFile := filepath.Join(dir, "server-"+kt+".pem"), filepath.Join(dir, "server-"+kt+".key")
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatalf("%s pair: %v", kt, err)
		}
		for _, host := range []string{"localhost", "127.0.0.1"} {
			if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
				t.Errorf("%s certificate for %s: %v", kt, host, err)
			}
		}
		if !strings.Contains(out, "--tls-cert "+certFile) || !strings.Contains(out, "--tls-key "+keyFile) {
			t.Errorf("output does not show the joule serve flags for %s:\n%s", kt, out)
		}
		if fi, err := os.Stat(keyFile); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Errorf("key file %s: %v, mode %v; want 0600", keyFile, err, fi.Mode().Perm())
		}
	}
	if _, err := runCerts(t, "server", "--data", data, "--key-type", "ecdsa"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwriting without --force = %v, want an error naming --force", err)
	}
	if _, err := runCerts(t, "server", "--data", data, "--key-type", "ecdsa", "--force"); err != nil {
		t.Errorf("with --force: %v", err)
	}

	out, err = runCerts(t, "charger", "--data", data, "--id", "CP-1", "--org", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	chargers := filepath.Join(data, "chargers")
	pair, err := tls.LoadX509KeyPair(filepath.Join(chargers, "CP-1.pem"), filepath.Join(chargers, "CP-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	if s := pair.Leaf.Subject; s.CommonName != "CP-1" || len(s.Organization) != 1 || s.Organization[0] != "Acme" {
		t.Errorf("charger certificate subject = %v, want CN=CP-1, O=Acme", s)
	}
	if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("charger certificate does not verify for client auth: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(chargers, "ca.pem")); err != nil || string(b) != caPEM {
		t.Errorf("chargers/ca.pem = %q, %v; want the CA certificate", b, err)
	}
	if !strings.Contains(out, "--security-profile 3") {
		t.Errorf("output does not show the joule sim flags:\n%s", out)
	}
	// A second charger shares ca.pem without --force.
	if _, err := runCerts(t, "charger", "--data", data, "--id", "CP-2"); err != nil {
		t.Errorf("second charger: %v", err)
	}

	// The files work with joule sim's flags.
	c, err := parseSim([]string{"--url", "wss://localhost:8443/ocpp", "--security-profile", "3",
		"--client-cert", filepath.Join(chargers, "CP-1.pem"), "--client-key", filepath.Join(chargers, "CP-1.key"),
		"--tls-ca", filepath.Join(chargers, "ca.pem")}, func(string) string { return "" }, io.Discard)
	if err != nil || c.clientCert == nil || c.rootCAs == nil {
		t.Errorf("parseSim with the charger's files = %v (certificate %v, roots %v)", err, c.clientCert != nil, c.rootCAs != nil)
	}

	for _, args := range [][]string{
		{"server", "--data", data, "--key-type", "dsa"},
		{"server", "--data", data, "--host", ","},
		{"charger", "--data", data},
		{"charger", "--data", data, "--id", "a:b"},
		{"charger", "--data", data, "--id", "a b"}, // the gateway refuses it too
		{"charger", "--data", data, "--id", `a\b`}, // the id names files
		{"charger", "--data", data, "--id", strings.Repeat("x", 49)},
		{"server", "--ca-cert", "x.pem"},
		{"nonsense"},
		{},
	} {
		if _, err := runCerts(t, args...); err == nil {
			t.Errorf("certs %q = nil error, want one", args)
		}
	}
}

func TestParseSimSecurity(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // in the error; "" for none
	}{
		{[]string{"--security-profile", "1", "--password", "0123456789abcdef0123456789abcdef"}, nil, ""},
		{[]string{"--security-profile", "1"}, map[string]string{"JOULE_PASSWORD": "0123456789abcdef0123456789abcdef"}, ""},
		{[]string{"--security-profile", "1"}, nil, "--password"},
		{[]string{"--security-profile", "2", "--password", "0123456789abcdef0123456789abcdef"}, nil, "wss://"},
		{[]string{"--security-profile", "3", "--url", "wss://localhost/ocpp"}, nil, "--client-cert"},
		{[]string{"--security-profile", "7"}, nil, "--security-profile must be"},
		{[]string{"--client-cert", "a.pem"}, nil, "go together"},
		{[]string{"--tls-ca", filepath.Join(t.TempDir(), "missing.pem")}, nil, "--tls-ca"},
	} {
		c, err := parseSim(tc.args, env(tc.env), io.Discard)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("parseSim(%q) = %v, want no error", tc.args, err)
		case tc.want == "" && c.Password == "":
			t.Errorf("parseSim(%q): no password", tc.args)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("parseSim(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
