package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/pki"
)

const certsUsage = `usage:
  joule certs server  [--data DIR] [--host localhost,127.0.0.1] [--key-type both|ecdsa|rsa] [--out DIR]
                      a TLS server certificate for joule serve (security profiles 2 and 3)
  joule certs charger --id CHARGER [--data DIR] [--org ORG] [--key-type ecdsa|rsa] [--out DIR]
                      a charger client certificate (security profile 3)
  joule certs ca      [--data DIR]
                      print the CA certificate that chargers install to trust Joule

The certificates are signed by Joule's own CA in <data>/ca (created on first
use), or by the CA of --ca-cert and --ca-key, as joule serve does.
`

// certs runs `joule certs server|charger|ca`: certificates signed by the
// CA joule serve uses, so that TLS takes a few commands.
func certs(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return certsCmd(args, os.Getenv, stdout, stderr)
}

func certsCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, certsUsage)
		return errors.New("certs needs server, charger or ca")
	}
	switch args[0] {
	case "server":
		return certsServer(args[1:], getenv, stdout, stderr)
	case "charger":
		return certsCharger(args[1:], getenv, stdout, stderr)
	case "ca":
		return certsCA(args[1:], getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, certsUsage)
		return nil
	}
	fmt.Fprint(stderr, certsUsage)
	return fmt.Errorf("unknown certs command %q", args[0])
}

// caFlags are the flags that choose the CA, named as joule serve's.
type caFlags struct {
	data, caCert, caKey string
}

func (c *caFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", "./joule-data", "data directory of joule serve; Joule's CA is in <data>/ca")
	fs.StringVar(&c.caCert, "ca-cert", "", "PEM certificate of the operator's CA (default: Joule's own CA)")
	fs.StringVar(&c.caKey, "ca-key", "", "PEM private key of --ca-cert")
}

func (c *caFlags) load() (*pki.CA, error) {
	switch {
	case (c.caCert == "") != (c.caKey == ""):
		return nil, errors.New("--ca-cert and --ca-key go together")
	case c.caCert != "":
		return pki.LoadCA(c.caCert, c.caKey)
	case c.data == "":
		return nil, errors.New("--data must not be empty")
	}
	return pki.LoadOrCreateCA(filepath.Join(c.data, "ca"))
}

func certsServer(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		ca                  caFlags
		hosts, keyType, out string
		force               bool
	)
	fs := flag.NewFlagSet("certs server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ca.add(fs)
	fs.StringVar(&hosts, "host", "localhost,127.0.0.1", "comma-separated host names and IP addresses chargers reach Joule at; the first is the CN")
	fs.StringVar(&keyType, "key-type", "both", "both (an RSA and an ECDSA certificate: OCPP's cipher suites need both kinds), ecdsa or rsa")
	fs.StringVar(&out, "out", "", "directory to write the files to (default <data>/tls)")
	fs.BoolVar(&force, "force", false, "overwrite existing files (a running joule serve keeps the old ones until restarted)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	var errs []error
	var hostList []string
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hostList = append(hostList, h)
		}
	}
	if len(hostList) == 0 {
		errs = append(errs, errors.New("--host must name at least one host"))
	}
	types := map[string][]string{"both": {pki.KeyRSA, pki.KeyECDSA}, pki.KeyECDSA: {pki.KeyECDSA}, pki.KeyRSA: {pki.KeyRSA}}[keyType]
	if types == nil {
		errs = append(errs, fmt.Errorf("--key-type must be both, ecdsa or rsa, got %q", keyType))
	}
	if out == "" {
		out = filepath.Join(ca.data, "tls")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	authority, err := ca.load()
	if err != nil {
		return err
	}

	var files []outFile
	var flags []string
	for _, kt := range types {
		certPEM, keyPEM, err := authority.IssueServerCert(hostList, kt)
		if err != nil {
			return err
		}
		cert, key := filepath.Join(out, "server-"+kt+".pem"), filepath.Join(out, "server-"+kt+".key")
		files = append(files, outFile{cert, certPEM, 0o644}, outFile{key, keyPEM, 0o600})
		flags = append(flags, "--tls-cert "+shellQuote(cert), "--tls-key "+shellQuote(key))
	}
	if err := writeOutFiles(out, files, force); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f.name)
	}
	fmt.Fprintf(stdout, "\nServer certificates for %s, signed by %s.\nServe TLS with:\n  joule serve --data %s %s\n",
		strings.Join(hostList, ", "), authority.Certificate().Subject.CommonName, shellQuote(ca.data), strings.Join(flags, " "))
	fmt.Fprintf(stdout, "Chargers trust Joule with the CA certificate: joule certs ca --data %s\n", shellQuote(ca.data))
	return nil
}

func certsCharger(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		ca                    caFlags
		id, org, keyType, out string
		force                 bool
	)
	fs := flag.NewFlagSet("certs charger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ca.add(fs)
	fs.StringVar(&id, "id", "", "the charger's identity (its certificate's CN)")
	fs.StringVar(&org, "org", "", "the charger operator's organisation (its certificate's O); joule serve --tls-client-org checks it")
	fs.StringVar(&keyType, "key-type", pki.KeyECDSA, "ecdsa or rsa")
	fs.StringVar(&out, "out", "", "directory to write the files to (default <data>/chargers)")
	fs.BoolVar(&force, "force", false, "overwrite existing files")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	var errs []error
	idErr := charging.ValidChargerID(id) // the gateway's rule: a certificate for another id is useless
	switch {
	case id == "":
		errs = append(errs, errors.New("--id is required"))
	case idErr != nil:
		errs = append(errs, fmt.Errorf("--id %q: %s", id, charging.ErrorMessage(idErr)))
	case strings.ContainsRune(id, '\\'):
		errs = append(errs, fmt.Errorf("--id %q: the id names the certificate's files, so it must not contain '\\'", id))
	}
	if keyType != pki.KeyECDSA && keyType != pki.KeyRSA {
		errs = append(errs, fmt.Errorf("--key-type must be ecdsa or rsa, got %q", keyType))
	}
	if out == "" {
		out = filepath.Join(ca.data, "chargers")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	authority, err := ca.load()
	if err != nil {
		return err
	}
	certPEM, keyPEM, err := authority.IssueClientCert(id, org, keyType, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	cert, key, caFile := filepath.Join(out, id+".pem"), filepath.Join(out, id+".key"), filepath.Join(out, "ca.pem")
	files := []outFile{{cert, certPEM, 0o644}, {key, keyPEM, 0o600}}
	if existing, err := os.ReadFile(caFile); err != nil || string(existing) != authority.CACertificatePEM() {
		files = append(files, outFile{caFile, []byte(authority.CACertificatePEM()), 0o644})
	}
	if err := writeOutFiles(out, files, force); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f.name)
	}
	leaf, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(leaf.Bytes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nCertificate of charger %s (%s), valid until %s, signed by %s.\n",
		id, c.Subject, c.NotAfter.UTC().Format("2006-01-02"), authority.Certificate().Subject.CommonName)
	fmt.Fprintf(stdout, "For joule sim (security profile 3): --security-profile 3 --client-cert %s --client-key %s --tls-ca %s\n",
		shellQuote(cert), shellQuote(key), shellQuote(caFile))
	return nil
}

func certsCA(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var ca caFlags
	fs := flag.NewFlagSet("certs ca", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ca.add(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	authority, err := ca.load()
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, authority.CACertificatePEM())
	return err
}

type outFile struct {
	name string
	data []byte
	perm os.FileMode
}

// writeOutFiles writes files into dir (created 0700), refusing to replace
// any existing one unless force: a key in use must not vanish by accident.
func writeOutFiles(dir string, files []outFile, force bool) error {
	if !force {
		var exist []string
		for _, f := range files {
			if _, err := os.Stat(f.name); err == nil {
				exist = append(exist, f.name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if len(exist) > 0 {
			return fmt.Errorf("%s already exist: use --force to replace them, or --out for another directory", strings.Join(exist, ", "))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, f := range files {
		// Remove first, so a replaced key gets the new mode.
		if err := os.Remove(f.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.WriteFile(f.name, f.data, f.perm); err != nil {
			return err
		}
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,:=@+", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
