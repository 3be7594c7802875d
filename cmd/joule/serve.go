package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/ocpp/soapcs"
	"github.com/joule-ev/joule/internal/payment"
)

// serveConfig is everything `joule serve` can be told.
type serveConfig struct {
	Addr                string
	Data                string
	LogLevel            slog.Level
	LogFormat           string
	HeartbeatInterval   time.Duration
	CallTimeout         time.Duration
	PendingTimeout      time.Duration
	MeterRetention      time.Duration
	LostSessionGrace    time.Duration
	SmartLease          time.Duration
	ShutdownTimeout     time.Duration
	MaxChargers         int
	MaxConnectRate      int
	MaxStrangersPerIP   int
	StartTimeout        time.Duration
	RejectUnknownIDTags bool
	PublicURL           string
	SOAPChargerNetworks listFlag

	// Charger security (docs/api.md, "Charger security").
	ChargerRegistration string // open, approve, closed; "" until defaulted from Addr
	TLSCert             listFlag
	TLSKey              listFlag
	TLSClientCA         listFlag
	TLSMinVersion       string
	ClientCertOrg       string
	CACert              string
	CAKey               string
	PlainAddr           string

	// People (docs/api.md, "People and authorization").
	DriverSignup     string // open or closed
	CORSOrigins      listFlag
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCRoleClaim    string
	OIDCRoles        listFlag // claim value=role
	OIDCDefaultRole  string
	OIDCRedirectURL  string

	// Payments: cards at Stripe (the wallet needs nothing).
	StripeKey string // never logged
	StripeURL string
	// What an app start holds when its tariff has no maximum price, and
	// the seller printed on receipts.
	PaymentHold   string
	SellerName    string
	SellerAddress string
	SellerVATID   string
	SellerEmail   string

	// Scale-out (docs/deployment.md).
	Postgres string
	NATS     string
	NodeID   string
}

// listFlag is a flag that may be given several times, or once with
// comma-separated values (the environment variable's form).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address for the API (/api/v1) and the chargers (/ocpp/{chargerId}); use :8080 to listen on every interface")
	fs.StringVar(&c.Data, "data", "./joule-data", "directory of the embedded SQLite database")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat-interval", 5*time.Minute, "heartbeat interval given to chargers at boot")
	fs.DurationVar(&c.CallTimeout, "call-timeout", 30*time.Second, "how long Joule waits for a charger's answer to a command")
	fs.DurationVar(&c.PendingTimeout, "pending-timeout", 2*time.Minute, "how long an accepted remote start may wait for the charger's transaction")
	fs.IntVar(&c.MaxStrangersPerIP, "max-strangers-per-ip", 32, "how many chargers from one address (IPv6: one /64) may be connected before their boot is accepted; -1 for no limit (a test rig of simulated chargers behind one address)")
	fs.IntVar(&c.MaxChargers, "max-chargers", 0, "most chargers this node serves at once; a new one over it gets 503 with Retry-After (0: no limit)")
	fs.IntVar(&c.MaxConnectRate, "max-connect-rate", 1000, "most charger connections accepted per second (bursts up to half of it); over it a connection gets 503 with a spread Retry-After instead of piling up until the kernel resets connections (0: no limit)")
	fs.DurationVar(&c.MeterRetention, "meter-retention", 0, "how long the meter samples of ended sessions are kept, e.g. 2160h (0 keeps them all; sessions keep their totals)")
	fs.DurationVar(&c.SmartLease, "smart-lease", csms.DefaultSmartLease, "how long a site limit Joule sends a charger (a TxProfile) stays valid without Joule; renewed at half of it. Within one lease of Joule becoming unreachable, chargers fall back to the site's safe share")
	fs.DurationVar(&c.LostSessionGrace, "lost-session-grace", csms.DefaultLostSessionGrace, "how long a connector may be reported Available under an active session before Joule ends the session as lost (finished, flagged, last known reading); 0 never ends one")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", node.DefaultShutdownTimeout, "on SIGTERM or Ctrl-C: how long to drain (answer the CALLs chargers sent, close them with 1001 so they reconnect elsewhere, finish API requests) before stopping anyway")
	fs.DurationVar(&c.StartTimeout, "start-timeout", 35*time.Second, "how long a start or stop request waits for the charger's answer")
	fs.BoolVar(&c.RejectUnknownIDTags, "reject-unknown-id-tags", false, "answer Invalid for id tags Joule does not know (default: accept them)")
	fs.Var(&c.SOAPChargerNetworks, "soap-charger-networks", "networks (CIDR, comma-separated or repeated) Joule may call SOAP chargers' own services in, at the address each names in its messages; default: any address but link-local (cloud metadata services), unspecified and multicast")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL chargers reach Joule at, for firmware downloads and diagnostics uploads (default: the Host of the API request)")
	fs.StringVar(&c.ChargerRegistration, "charger-registration", "", "what to do with charger ids Joule does not know: open (accept and record them), approve (let them wait, Pending, for an operator) or closed (refuse them); default open on a loopback --addr, approve otherwise")
	fs.Var(&c.TLSCert, "tls-cert", "PEM certificate (chain) file: serve https:// and wss://; give it twice (or comma-separated) for an RSA and an ECDSA certificate")
	fs.Var(&c.TLSKey, "tls-key", "PEM private key file of each --tls-cert, in the same order")
	fs.Var(&c.TLSClientCA, "tls-client-ca", "PEM file of a CA that signs charger client certificates (security profile 3), besides Joule's own CA; may be repeated")
	fs.StringVar(&c.TLSMinVersion, "tls-min-version", "1.2", "lowest TLS version accepted: 1.2 or 1.3 (OCPP forbids older ones for 2.0.1)")
	fs.StringVar(&c.ClientCertOrg, "tls-client-org", "", "when set, a charger certificate's O must be this (the operator's organisation, OCPP A00.FR.404)")
	fs.StringVar(&c.CACert, "ca-cert", "", "PEM certificate of the CA that signs chargers' certificate requests (default: Joule's own CA, created in <data>/ca)")
	fs.StringVar(&c.CAKey, "ca-key", "", "PEM private key of --ca-cert")
	fs.StringVar(&c.PlainAddr, "plain-addr", "", "with TLS: a second listen address served without TLS, for security profile 0 and 1 chargers on a trusted network (e.g. a VPN)")
	fs.StringVar(&c.DriverSignup, "driver-signup", "open", "whether anyone may create a driver account in the app: open or closed")
	fs.Var(&c.CORSOrigins, "cors-origins", "web origins (https://app.example.com) that may call the API from a browser with bearer tokens; comma-separated or repeated; default none")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", "", "OpenID Connect issuer URL: staff sign in through this identity provider (authorization code + PKCE)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", "", "client id Joule is registered with at --oidc-issuer")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", "", "client secret for --oidc-client-id (prefer the JOULE_OIDC_CLIENT_SECRET environment variable: flags show in ps)")
	fs.StringVar(&c.OIDCRoleClaim, "oidc-role-claim", "groups", "ID token claim holding the user's groups or roles (a.b reads b inside object a, e.g. realm_access.roles)")
	fs.Var(&c.OIDCRoles, "oidc-roles", "which claim value gives which Joule role, e.g. joule-admins=admin,noc=operator,support=viewer")
	fs.StringVar(&c.OIDCDefaultRole, "oidc-default-role", "", "role of a signed-in user no --oidc-roles entry matches: viewer, operator, admin, or empty to refuse them")
	fs.StringVar(&c.OIDCRedirectURL, "oidc-redirect-url", "", "callback URL registered at the provider (default <public-url>/api/v1/auth/oidc/callback)")
	fs.StringVar(&c.StripeKey, "stripe-key", "", "Stripe secret API key (sk_live_..., sk_test_... or a restricted rk_ key): drivers can save cards and pay sessions with them; without it they pay from their prepaid wallet (prefer the JOULE_STRIPE_KEY environment variable: flags show in ps)")
	fs.StringVar(&c.StripeURL, "stripe-url", payment.DefaultStripeURL, "base URL of Stripe's API (a stripe-mock in tests)")
	fs.StringVar(&c.PaymentHold, "payment-hold", string(csms.DefaultPaymentHold), "amount held from a driver's card or wallet before an app start on a tariff without a maximum price, in the tariff's currency")
	fs.StringVar(&c.SellerName, "seller-name", "", "seller's name printed on receipts (the operator's company)")
	fs.StringVar(&c.SellerAddress, "seller-address", "", "seller's postal address printed on receipts")
	fs.StringVar(&c.SellerVATID, "seller-vat-id", "", "seller's VAT identification number printed on receipts")
	fs.StringVar(&c.SellerEmail, "seller-email", "", "seller's contact email printed on receipts")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL connection URL (postgres://user:password@host/db): keep state there instead of the embedded SQLite database (prefer the JOULE_POSTGRES environment variable: flags show in ps)")
	fs.StringVar(&c.NATS, "nats", "", "NATS server URL(s), comma-separated (nats://host:4222): run as one node of a cluster sharing --postgres, with commands, charger ownership and live events over NATS JetStream")
	fs.StringVar(&c.NodeID, "node-id", defaultNodeID(), "this node's name in a cluster (letters, digits, - and _), unique per node: it labels metrics and routes commands")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	// Report every problem at once, before anything listens.
	var errs []error
	if c.NATS != "" && c.Postgres == "" {
		errs = append(errs, errors.New("--nats needs --postgres: the nodes of a cluster share one PostgreSQL database"))
	}
	if !validNodeID(c.NodeID) {
		errs = append(errs, fmt.Errorf("--node-id must be 1 to 64 letters, digits, - or _, got %q", c.NodeID))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	if c.MaxStrangersPerIP == 0 || c.MaxStrangersPerIP < -1 {
		errs = append(errs, fmt.Errorf("--max-strangers-per-ip must be positive or -1 (no limit), got %d", c.MaxStrangersPerIP))
	}
	if c.MeterRetention < 0 || c.MeterRetention > 0 && c.MeterRetention < time.Hour {
		errs = append(errs, fmt.Errorf("--meter-retention must be 0 (keep everything) or at least 1h, got %s", c.MeterRetention))
	}
	if c.MaxChargers < 0 {
		errs = append(errs, fmt.Errorf("--max-chargers must be 0 (no limit) or positive, got %d", c.MaxChargers))
	}
	if c.MaxConnectRate < 0 {
		errs = append(errs, fmt.Errorf("--max-connect-rate must be 0 (no limit) or positive, got %d", c.MaxConnectRate))
	}
	if c.SmartLease < time.Minute || c.SmartLease > 24*time.Hour {
		errs = append(errs, fmt.Errorf("--smart-lease must be from 1m to 24h, got %s", c.SmartLease))
	}
	if c.LostSessionGrace < 0 {
		errs = append(errs, fmt.Errorf("--lost-session-grace must be 0 (never) or positive, got %s", c.LostSessionGrace))
	}
	for name, d := range map[string]time.Duration{"heartbeat-interval": c.HeartbeatInterval, "call-timeout": c.CallTimeout,
		"pending-timeout": c.PendingTimeout, "start-timeout": c.StartTimeout, "shutdown-timeout": c.ShutdownTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, got %s", name, d))
		}
	}
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("--public-url must be an absolute http or https URL, got %q", c.PublicURL))
	}
	if _, err := soapcs.ParseNetworks(c.SOAPChargerNetworks); err != nil {
		errs = append(errs, fmt.Errorf("--soap-charger-networks: %w", err))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %w", c.Addr, err))
	}
	switch c.ChargerRegistration {
	case "":
		c.ChargerRegistration = charging.RegistrationApprove
		if loopback(c.Addr) {
			c.ChargerRegistration = charging.RegistrationOpen
		}
	case charging.RegistrationOpen, charging.RegistrationApprove, charging.RegistrationClosed:
	default:
		errs = append(errs, fmt.Errorf("--charger-registration must be open, approve or closed, got %q", c.ChargerRegistration))
	}
	if len(c.TLSCert) != len(c.TLSKey) {
		errs = append(errs, fmt.Errorf("--tls-cert and --tls-key must come in pairs: got %d certificates and %d keys", len(c.TLSCert), len(c.TLSKey)))
	}
	if len(c.TLSClientCA) > 0 && len(c.TLSCert) == 0 {
		errs = append(errs, errors.New("--tls-client-ca needs --tls-cert and --tls-key (client certificates need TLS)"))
	}
	if c.TLSMinVersion != "1.2" && c.TLSMinVersion != "1.3" {
		errs = append(errs, fmt.Errorf("--tls-min-version must be 1.2 or 1.3, got %q", c.TLSMinVersion))
	}
	if c.PlainAddr != "" {
		if len(c.TLSCert) == 0 {
			errs = append(errs, errors.New("--plain-addr is for running plain ws:// beside TLS: give --tls-cert and --tls-key too"))
		} else if _, _, err := net.SplitHostPort(c.PlainAddr); err != nil {
			errs = append(errs, fmt.Errorf("--plain-addr %q: %w", c.PlainAddr, err))
		}
	}
	if (c.CACert == "") != (c.CAKey == "") {
		errs = append(errs, errors.New("--ca-cert and --ca-key go together"))
	}
	if d, err := charging.ParseDecimal(c.PaymentHold); err != nil || d.Sign() <= 0 {
		errs = append(errs, fmt.Errorf("--payment-hold must be a decimal amount above 0 such as 30.00, got %q", c.PaymentHold))
	}
	if c.StripeKey != "" {
		if _, err := payment.NewStripe(payment.StripeConfig{SecretKey: c.StripeKey, APIURL: c.StripeURL}, nil); err != nil {
			errs = append(errs, fmt.Errorf("--stripe-url: %q is not an absolute http or https URL", c.StripeURL))
		}
	}
	if c.DriverSignup != "open" && c.DriverSignup != "closed" {
		errs = append(errs, fmt.Errorf("--driver-signup must be open or closed, got %q", c.DriverSignup))
	}
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
			errs = append(errs, fmt.Errorf("--cors-origins: %q is not an origin such as https://app.example.com", o))
		}
	}
	if c.OIDCIssuer != "" {
		if c.OIDCClientID == "" {
			errs = append(errs, errors.New("--oidc-issuer needs --oidc-client-id"))
		}
		if c.PublicURL == "" && c.OIDCRedirectURL == "" {
			errs = append(errs, errors.New("--oidc-issuer needs --public-url (or --oidc-redirect-url): the provider sends the browser back to Joule's callback"))
		}
		if _, err := c.oidcRoleMap(); err != nil {
			errs = append(errs, err)
		}
		if r := charging.Role(c.OIDCDefaultRole); r != "" && !r.Staff() {
			errs = append(errs, fmt.Errorf("--oidc-default-role must be admin, operator, viewer or empty, got %q", c.OIDCDefaultRole))
		}
	}
	return c, errors.Join(errs...)
}

// defaultNodeID is the host name, made a valid node id (dots become -).
func defaultNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "joule"
	}
	h = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, h)
	if len(h) > 64 {
		h = h[:64]
	}
	return h
}

// validNodeID: a node id is a NATS subject token and a metric label value.
func validNodeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// oidcRoleMap parses --oidc-roles (value=role pairs).
func (c serveConfig) oidcRoleMap() (map[string]charging.Role, error) {
	m := map[string]charging.Role{}
	for _, kv := range c.OIDCRoles {
		v, role, ok := strings.Cut(kv, "=")
		r := charging.Role(strings.TrimSpace(role))
		if !ok || strings.TrimSpace(v) == "" || !r.Valid() {
			return nil, fmt.Errorf("--oidc-roles: %q must be claim-value=role with role admin, operator, viewer or driver", kv)
		}
		m[strings.TrimSpace(v)] = r
	}
	return m, nil
}

// loopback reports whether a listen address accepts only local connections.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if addr := os.Getenv("JOULE_PPROF_ADDR"); addr != "" {
		// Profiling for benchmarks (bench/run.sh), on its own listener:
		// never on the API's address. Loopback only.
		if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
			return fmt.Errorf("JOULE_PPROF_ADDR must be a loopback host:port, got %q", addr)
		}
		pl, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		defer pl.Close()
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { _ = http.Serve(pl, mux) }()
		log.Warn("profiling endpoints are served", "addr", addr)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	var plain net.Listener
	if cfg.PlainAddr != "" {
		if plain, err = net.Listen("tcp", cfg.PlainAddr); err != nil {
			ln.Close()
			return err
		}
	}
	roles, _ := cfg.oidcRoleMap()                                // checked by parseServe
	soapNets, _ := soapcs.ParseNetworks(cfg.SOAPChargerNetworks) // checked by parseServe
	minTLS := uint16(tls.VersionTLS12)
	if cfg.TLSMinVersion == "1.3" {
		minTLS = tls.VersionTLS13
	}
	return node.Run(ctx, node.Config{
		Data: cfg.Data, HeartbeatInterval: cfg.HeartbeatInterval, CallTimeout: cfg.CallTimeout,
		PendingTimeout: cfg.PendingTimeout, MeterRetention: cfg.MeterRetention, LostSessionGrace: cfg.LostSessionGrace,
		ShutdownTimeout: cfg.ShutdownTimeout, SmartLease: cfg.SmartLease,
		Gateway: cfg.gatewayOptions(), StartTimeout: cfg.StartTimeout, RejectUnknownIDTags: cfg.RejectUnknownIDTags,
		PublicURL: cfg.PublicURL, ChargerRegistration: cfg.ChargerRegistration, SOAPChargerNetworks: soapNets,
		TLSCertFiles: cfg.TLSCert, TLSKeyFiles: cfg.TLSKey, TLSClientCAFiles: cfg.TLSClientCA, TLSMinVersion: minTLS,
		ClientCertOrg: cfg.ClientCertOrg, CACertFile: cfg.CACert, CAKeyFile: cfg.CAKey, PlainListener: plain,
		DriverSignupClosed: cfg.DriverSignup == "closed", CORSOrigins: cfg.CORSOrigins,
		OIDC: auth.OIDCConfig{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: cfg.OIDCRedirectURL, RoleClaim: cfg.OIDCRoleClaim, RoleMap: roles, DefaultRole: charging.Role(cfg.OIDCDefaultRole)},
		Postgres: cfg.Postgres, NATS: cfg.NATS, NodeID: cfg.NodeID,
		StripeKey: cfg.StripeKey, StripeURL: cfg.StripeURL, PaymentHold: charging.Decimal(cfg.PaymentHold),
		Seller: charging.Seller{Name: cfg.SellerName, Address: cfg.SellerAddress, VATID: cfg.SellerVATID, Email: cfg.SellerEmail},
	}, ln, log)
}

// connectRate is the gateway's upgrade rate for --max-connect-rate: n a
// second, bursts of n/2; 0 is no limit.
func connectRate(n int) gateway.Rate {
	if n == 0 {
		return gateway.Rate{Burst: -1}
	}
	return gateway.Rate{Burst: max(1, n/2), Every: time.Second / time.Duration(n)}
}

// gatewayOptions are the charger endpoint's limits from the flags.
func (c serveConfig) gatewayOptions() gateway.Options {
	return gateway.Options{MaxStrangersPerIP: c.MaxStrangersPerIP, MaxChargers: c.MaxChargers, UpgradeRate: connectRate(c.MaxConnectRate)}
}
