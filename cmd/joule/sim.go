package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/sim"
)

// simConfig is everything `joule sim` can be told.
type simConfig struct {
	URL           string
	Chargers      int
	Connectors    int
	IDPrefix      string
	OCPP          string // sim.OCPP16, sim.OCPP201, sim.OCPP15S, sim.OCPP16S or sim.OCPPMixed
	Kind          string // sim.KindAC, sim.KindDC or sim.KindMixed
	MeterInterval time.Duration
	MaxPowerW     float64
	Vehicle       sim.Vehicle // every connector's EV
	LogLevel      slog.Level
	LogFormat     string

	// SOAP chargers (see sim.Config).
	SOAPURL       string
	SOAPListen    string
	SOAPAdvertise string

	// Security (see sim.Config).
	SecurityProfile    int
	Password           string
	TLSCA              string // file of CSMS roots to trust
	ClientCert         string // files of the profile 3 certificate and key
	ClientKey          string
	CertOrg            string
	RequestCertificate bool
	rootCAs            *x509.CertPool   // loaded from TLSCA
	clientCert         *tls.Certificate // loaded from ClientCert, ClientKey
}

func parseSim(args []string, getenv func(string) string, stderr io.Writer) (simConfig, error) {
	var c simConfig
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "ws://localhost:8080/ocpp", "CSMS OCPP endpoint; each charger connects to <url>/<id> (SOAP chargers post to <url>/soap, as http:// or https://)")
	fs.IntVar(&c.Chargers, "chargers", 1, "number of simulated chargers")
	fs.IntVar(&c.Connectors, "connectors", 2, "connectors per charger")
	fs.StringVar(&c.IDPrefix, "id-prefix", "SIM-", "charger ids are this prefix and a 4-digit number (SIM-0001, ...)")
	fs.StringVar(&c.OCPP, "ocpp", "1.6", "OCPP version: 1.6, 2.0.1, 1.5 (over SOAP), 1.6s (1.6 over SOAP), or mixed (the chargers cycle through 1.6, 2.0.1, 1.5 and 1.6s)")
	fs.StringVar(&c.SOAPURL, "soap-url", "", "the CSMS's SOAP endpoint for SOAP chargers (default: --url as http(s):// with /soap appended)")
	fs.StringVar(&c.SOAPListen, "soap-listen", "127.0.0.1:0", "host:port each SOAP charger's own service listens on; port 0 is any free one, a fixed port the first charger's (the next ones count up)")
	fs.StringVar(&c.SOAPAdvertise, "soap-advertise", "", "service URL SOAP chargers give the CSMS, for NAT or containers (default: http://<listen address>/<id>); without a port, each charger's listening port is used, with one, it counts up like --soap-listen's")
	fs.DurationVar(&c.MeterInterval, "meter-interval", 30*time.Second, "initial MeterValueSampleInterval (the CSMS may change it)")
	fs.Float64Var(&c.MaxPowerW, "max-power-w", 22000, "maximum power per connector of an AC charger, in W")
	fs.StringVar(&c.Kind, "kind", sim.KindAC, "hardware: ac (--connectors Type 2 sockets of --max-power-w), dc (a 150 kW CCS2 and a 50 kW CHAdeMO cable), or mixed (odd chargers ac, even dc); 2.0.1 chargers report it in their device model")
	ev := sim.DefaultVehicle()
	var kwh float64
	fs.Float64Var(&kwh, "vehicle-kwh", ev.CapacityWh/1000, "battery capacity of the simulated EVs, in kWh")
	fs.Float64Var(&c.Vehicle.SoCPercent, "vehicle-soc", ev.SoCPercent, "state of charge of the EVs when they plug in, in %; they take less from 80 % and stop when full")
	fs.Float64Var(&c.Vehicle.MaxA, "vehicle-max-a", ev.MaxA, "most current per phase the EVs draw on AC, in A (the charging profiles may allow less)")
	fs.IntVar(&c.Vehicle.Phases, "vehicle-phases", ev.Phases, "AC phases the EVs charge on: 1 (on L1) or 3")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.IntVar(&c.SecurityProfile, "security-profile", 0, "OCPP security profile: 0 none, 1 Basic auth over ws://, 2 TLS and Basic auth (wss://), 3 TLS with a client certificate (wss://)")
	fs.StringVar(&c.Password, "password", "", "Basic-auth password for profiles 1 and 2, the same for every charger (1.6: the AuthorizationKey in hex)")
	fs.StringVar(&c.TLSCA, "tls-ca", "", "PEM file of the CA certificates to trust for wss:// (default: the system's); `joule certs ca` prints Joule's")
	fs.StringVar(&c.ClientCert, "client-cert", "", "PEM certificate file of the charger (profile 3); its CN should be the charger id, so use it with --chargers 1")
	fs.StringVar(&c.ClientKey, "client-key", "", "PEM private key file of --client-cert")
	fs.StringVar(&c.CertOrg, "cert-org", "Joule Sim", "organisation (O) of the chargers' certificate signing requests")
	fs.BoolVar(&c.RequestCertificate, "request-certificate", false, "ask the CSMS to sign a charger certificate (SignCertificate) after the first boot")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	c.Vehicle.CapacityWh = kwh * 1000
	// Report every problem at once, before anything connects.
	var errs []error
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--url must be a ws:// or wss:// URL, got %q", c.URL))
	}
	errs = append(errs, c.parseSecurity(u)...)
	if c.Chargers < 1 {
		errs = append(errs, fmt.Errorf("--chargers must be at least 1, got %d", c.Chargers))
	}
	if c.Connectors < 1 {
		errs = append(errs, fmt.Errorf("--connectors must be at least 1, got %d", c.Connectors))
	}
	if c.IDPrefix == "" {
		errs = append(errs, errors.New("--id-prefix must not be empty"))
	}
	switch c.OCPP {
	case "1.6", sim.OCPP16:
		c.OCPP = sim.OCPP16
	case "2.0.1", sim.OCPP201:
		c.OCPP = sim.OCPP201
	case "1.5", "1.5s", sim.OCPP15S:
		c.OCPP = sim.OCPP15S
	case "1.6s", sim.OCPP16S:
		c.OCPP = sim.OCPP16S
	case sim.OCPPMixed:
	default:
		errs = append(errs, fmt.Errorf("--ocpp must be 1.6, 2.0.1, 1.5, 1.6s or mixed, got %q", c.OCPP))
	}
	errs = append(errs, c.parseSOAP()...)
	switch c.Kind {
	case sim.KindAC, sim.KindDC, sim.KindMixed:
	default:
		errs = append(errs, fmt.Errorf("--kind must be ac, dc or mixed, got %q", c.Kind))
	}
	if c.MeterInterval <= 0 {
		errs = append(errs, fmt.Errorf("--meter-interval must be positive, got %s", c.MeterInterval))
	}
	if c.MaxPowerW <= 0 {
		errs = append(errs, fmt.Errorf("--max-power-w must be positive, got %v", c.MaxPowerW))
	}
	if !(kwh > 0) {
		errs = append(errs, fmt.Errorf("--vehicle-kwh must be positive, got %v", kwh))
	}
	if !(c.Vehicle.SoCPercent >= 0 && c.Vehicle.SoCPercent <= 100) {
		errs = append(errs, fmt.Errorf("--vehicle-soc must be within 0–100, got %v", c.Vehicle.SoCPercent))
	}
	if !(c.Vehicle.MaxA > 0) {
		errs = append(errs, fmt.Errorf("--vehicle-max-a must be positive, got %v", c.Vehicle.MaxA))
	}
	if c.Vehicle.Phases != 1 && c.Vehicle.Phases != 3 {
		errs = append(errs, fmt.Errorf("--vehicle-phases must be 1 or 3, got %d", c.Vehicle.Phases))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat))
	}
	return c, errors.Join(errs...)
}

// parseSecurity checks the security flags and loads their files; u is the
// parsed --url (nil if it did not parse).
func (c *simConfig) parseSecurity(u *url.URL) []error {
	var errs []error
	switch p := c.SecurityProfile; {
	case p < 0 || p > 3:
		errs = append(errs, fmt.Errorf("--security-profile must be 0, 1, 2 or 3, got %d", p))
	case p >= 2 && u != nil && u.Scheme != "wss":
		errs = append(errs, fmt.Errorf("--security-profile %d needs TLS: --url must be wss://, got %q", p, c.URL))
	}
	if (c.SecurityProfile == 1 || c.SecurityProfile == 2) && c.Password == "" {
		errs = append(errs, fmt.Errorf("--security-profile %d needs --password", c.SecurityProfile))
	}
	if c.TLSCA != "" {
		b, err := os.ReadFile(c.TLSCA)
		c.rootCAs = x509.NewCertPool()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--tls-ca: %w", err))
		case !c.rootCAs.AppendCertsFromPEM(b):
			errs = append(errs, fmt.Errorf("--tls-ca: %s holds no PEM certificate", c.TLSCA))
		}
	}
	switch {
	case (c.ClientCert == "") != (c.ClientKey == ""):
		errs = append(errs, errors.New("--client-cert and --client-key go together"))
	case c.ClientCert != "":
		cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("--client-cert, --client-key: %w", err))
		} else {
			c.clientCert = &cert
		}
	case c.SecurityProfile == 3:
		errs = append(errs, errors.New("--security-profile 3 needs --client-cert and --client-key"))
	}
	if c.CertOrg == "" {
		errs = append(errs, errors.New("--cert-org must not be empty"))
	}
	return errs
}

// soap reports whether some chargers speak SOAP.
func (c *simConfig) soap() bool {
	return c.OCPP == sim.OCPP15S || c.OCPP == sim.OCPP16S || c.OCPP == sim.OCPPMixed
}

// parseSOAP checks the SOAP flags, and the security flags SOAP chargers
// cannot use: OCPP-S has no client-certificate profile and no
// certificate messages.
func (c *simConfig) parseSOAP() []error {
	var errs []error
	httpURL := func(flag, v string) {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http:// or https:// URL, got %q", flag, v))
		}
	}
	if c.SOAPURL != "" {
		httpURL("--soap-url", c.SOAPURL)
	}
	if c.SOAPAdvertise != "" {
		httpURL("--soap-advertise", c.SOAPAdvertise)
	}
	if _, _, err := net.SplitHostPort(c.SOAPListen); err != nil {
		errs = append(errs, fmt.Errorf("--soap-listen must be host:port, got %q", c.SOAPListen))
	}
	if !c.soap() {
		return errs
	}
	which := "--ocpp " + strings.TrimPrefix(c.OCPP, "ocpp")
	if c.SecurityProfile == 3 {
		errs = append(errs, fmt.Errorf("--security-profile 3 is OCPP-J's: SOAP chargers (%s) connect with 0, 1 or 2", which))
	}
	if c.ClientCert != "" {
		errs = append(errs, fmt.Errorf("--client-cert is OCPP-J's: SOAP chargers (%s) take no client certificate", which))
	}
	if c.RequestCertificate {
		errs = append(errs, fmt.Errorf("--request-certificate is OCPP-J's: SOAP chargers (%s) have no SignCertificate", which))
	}
	if c.SecurityProfile == 2 && c.SOAPURL != "" && !strings.HasPrefix(c.SOAPURL, "https://") {
		errs = append(errs, fmt.Errorf("--security-profile 2 needs TLS: --soap-url must be https://, got %q", c.SOAPURL))
	}
	return errs
}

// simulate runs `joule sim`: simulated chargers connected to a CSMS until
// interrupted.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseSim(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	log.Info("starting simulated chargers", "url", cfg.URL, "chargers", cfg.Chargers,
		"first", fmt.Sprintf("%s%04d", cfg.IDPrefix, 1), "ocpp", cfg.OCPP, "kind", cfg.Kind, "connectors", cfg.Connectors,
		"meter_interval", cfg.MeterInterval, "max_power_w", cfg.MaxPowerW, "security_profile", cfg.SecurityProfile,
		"vehicle_kwh", cfg.Vehicle.CapacityWh/1000, "vehicle_soc", cfg.Vehicle.SoCPercent,
		"vehicle_max_a", cfg.Vehicle.MaxA, "vehicle_phases", cfg.Vehicle.Phases)
	if cfg.soap() {
		log.Info("SOAP chargers", "soap_url", cfg.SOAPURL, "soap_listen", cfg.SOAPListen, "soap_advertise", cfg.SOAPAdvertise)
	}
	err = sim.RunFleet(ctx, sim.Config{
		URL:                      cfg.URL,
		Connectors:               cfg.Connectors,
		OCPPVersion:              cfg.OCPP,
		SOAPURL:                  cfg.SOAPURL,
		SOAPListen:               cfg.SOAPListen,
		SOAPAdvertise:            cfg.SOAPAdvertise,
		Kind:                     cfg.Kind,
		MaxPowerW:                cfg.MaxPowerW,
		Vehicle:                  cfg.Vehicle,
		MeterValueSampleInterval: cfg.MeterInterval,
		Logger:                   log,
		SecurityProfile:          cfg.SecurityProfile,
		Password:                 cfg.Password,
		RootCAs:                  cfg.rootCAs,
		ClientCert:               cfg.clientCert,
		CertificateOrg:           cfg.CertOrg,
		RequestCertificate:       cfg.RequestCertificate,
	}, cfg.Chargers, cfg.IDPrefix)
	log.Info("simulated chargers stopped")
	return err
}
