// Package node wires one Joule process: the store, the bus, the domain
// service, the charger gateway and the HTTP API on one listener. cmd/joule
// parses flags into a Config and calls Run; tests and benchmarks start real
// nodes the same way.
package node

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/auth"
	"github.com/nats-io/nats.go"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/cluster"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/metrics"
	"github.com/joule-ev/joule/internal/natsbus"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soapcs"
	"github.com/joule-ev/joule/internal/payment"
	"github.com/joule-ev/joule/internal/pki"
	"github.com/joule-ev/joule/internal/postgres"
	"github.com/joule-ev/joule/internal/sqlite"
	"github.com/joule-ev/joule/web"
)

// Config is everything a node can be told; zero durations take defaults.
type Config struct {
	Data              string // directory of the embedded SQLite database
	HeartbeatInterval time.Duration
	CallTimeout       time.Duration
	PendingTimeout    time.Duration
	// MeterRetention is how long the samples of ended sessions are kept
	// (0: forever).
	MeterRetention time.Duration
	// ShutdownTimeout bounds the drain on shutdown: chargers answered and
	// closed, the API's requests finished (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// LostSessionGrace is how long a connector may be reported Available
	// under an active session before it ends as lost (0: never).
	LostSessionGrace time.Duration
	StartTimeout     time.Duration
	PingInterval     time.Duration
	SweepInterval    time.Duration // how often expired pending sessions are failed
	// Smart charging's timing (csms.Config: SmartDelay, SmartInterval,
	// SmartLease, SiteLoadEvery); zero values take csms's defaults.
	SmartDelay, SmartInterval, SmartLease, SiteLoadEvery time.Duration
	RejectUnknownIDTags                                  bool
	// PublicURL is the base URL chargers reach Joule at (firmware downloads,
	// diagnostics uploads); "" means the Host of the API request.
	PublicURL string
	// SOAPChargerNetworks are the networks Joule calls SOAP chargers in;
	// empty: every address but link-local, unspecified and multicast
	// (soapcs.Networks).
	SOAPChargerNetworks soapcs.Networks

	// ChargerRegistration is the policy for unknown charger ids
	// (charging.RegistrationOpen, the default, Approve or Closed).
	ChargerRegistration string
	// TLS: certificate and key files (pairs, e.g. an RSA and an ECDSA
	// one) make the listener serve TLS; TLSCertificates adds loaded ones
	// (tests). TLSClientCAFiles are CAs for charger client certificates
	// besides Joule's own CA. TLSMinVersion defaults to TLS 1.2.
	TLSCertFiles     []string
	TLSKeyFiles      []string
	TLSCertificates  []tls.Certificate
	TLSClientCAFiles []string
	TLSMinVersion    uint16
	// ClientCertOrg, when set, is the O a profile 3 certificate must name.
	ClientCertOrg string
	// CACertFile and CAKeyFile name the CA that signs chargers'
	// certificate requests; "" uses Joule's own CA in <Data>/ca.
	CACertFile, CAKeyFile string
	// Gateway tunes the charger gateway's limits (zero: defaults).
	Gateway gateway.Options
	// PlainListener, when set, serves the same handlers without TLS beside
	// a TLS listener: one port per transport (OCPP A00.FR.006), for profile
	// 0 and 1 chargers on a trusted network. Run closes it.
	PlainListener net.Listener

	// People (accounts): DriverSignupClosed refuses driver sign-up
	// (--driver-signup closed); CORSOrigins may call the API from a
	// browser with bearer tokens; OIDC, when its Issuer is set, lets staff
	// sign in through the operator's identity provider (RedirectURL
	// defaults to PublicURL + /api/v1/auth/oidc/callback).
	DriverSignupClosed bool
	CORSOrigins        []string
	OIDC               auth.OIDCConfig
	// PasswordParams are the argon2id parameters (zero: auth.DefaultParams).
	PasswordParams auth.Params

	// Postgres, when set, is the PostgreSQL connection URL of the store
	// (instead of SQLite in Data). NATS, when set (it needs Postgres),
	// makes this node one of a cluster: commands, charger ownership and
	// events go over NATS, background work runs on one elected node.
	// NodeID names this node (metrics, routing); default "joule".
	Postgres string
	NATS     string
	NodeID   string
	// StripeKey, when set, lets drivers save cards and pay with them at
	// Stripe (StripeURL: the API's base URL, default Stripe's); without
	// it they pay from their wallet. The key is never logged.
	StripeKey string
	StripeURL string
	// PaymentHold is what an app start holds on a tariff without a
	// maximum price (default csms.DefaultPaymentHold); Seller is printed
	// on receipts.
	PaymentHold charging.Decimal
	Seller      charging.Seller
	// ClusterName prefixes the cluster's names on NATS (event stream,
	// ownership bucket, command subjects); default "joule". Two clusters
	// sharing one NATS need different names.
	ClusterName string
}

// DefaultShutdownTimeout bounds a node's drain.
const DefaultShutdownTimeout = 15 * time.Second

// Run runs Joule on ln until ctx is cancelled, then drains, in order:
// new chargers are refused, each connected charger gets the answer to the
// CALL it sent, then a close frame (1001); the API finishes its requests;
// the store closes. ShutdownTimeout bounds it all.
func Run(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger) error {
	closeListeners := func() {
		ln.Close()
		if cfg.PlainListener != nil {
			cfg.PlainListener.Close()
		}
	}
	// The store is open before the metrics exist: its batches are observed
	// from the moment they are.
	var observer atomic.Pointer[metrics.Metrics]
	st, err := openStore(ctx, cfg, &observer)
	if err != nil {
		closeListeners()
		return fmt.Errorf("open store: %w", err)
	}
	store := st.Store
	defer store.Close()
	if cfg.NATS == "" {
		// One node: no connection survives a restart. (In a cluster the
		// other nodes' chargers are online; this node's own from before a
		// crash are released by the cluster router.)
		if err := store.SetAllOffline(ctx); err != nil {
			closeListeners()
			return fmt.Errorf("store: %w", err)
		}
	}
	ca, err := loadCA(cfg)
	if err != nil {
		closeListeners()
		return err
	}
	acc, err := newAccounts(ctx, cfg, store, log)
	if err != nil {
		closeListeners()
		return err
	}
	if path, err := acc.Bootstrap(ctx, cfg.Data); err != nil {
		closeListeners()
		return fmt.Errorf("first run: %w", err)
	} else if path != "" {
		log.Info("first run: created the admin account; its API token is in the admin-token file (sign in to /operator with it once to set a password, or send it as Authorization: Bearer)", "file", path)
	}
	var nc *nats.Conn
	var bus nodeBus
	if cfg.NATS != "" {
		if st.pg == nil {
			closeListeners()
			return errors.New("a cluster (NATS) needs the PostgreSQL store")
		}
		if nc, err = connectNATS(cfg, log); err != nil {
			closeListeners()
			return err
		}
		defer nc.Close()
		nb, err := newClusterBus(ctx, cfg, nc, log)
		if err != nil {
			closeListeners()
			return fmt.Errorf("event bus: %w", err)
		}
		defer nb.Close()
		bus = nb
	} else {
		bus = inmem.NewBus()
	}
	// In a cluster, background work runs on the node holding the leader
	// lock; a single node always leads.
	var leader func() bool
	leaderCtx, stopLeading := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLeading()
	if nc != nil {
		key, err := st.pg.LeaderKey(ctx)
		if err != nil {
			closeListeners()
			return err
		}
		leader = st.pg.NewLeader(leaderCtx, key, 0, log).IsLeader
	}
	// Payments: the wallet always; cards when a Stripe key is given.
	var cards *payment.Stripe
	if cfg.StripeKey != "" {
		var err error
		if cards, err = payment.NewStripe(payment.StripeConfig{SecretKey: cfg.StripeKey, APIURL: cfg.StripeURL}, store); err != nil {
			closeListeners()
			return err
		}
		log.Info("card payments are enabled (Stripe)", "url", cmp.Or(cfg.StripeURL, payment.DefaultStripeURL))
	}
	svc := csms.New(store, bus, nil, log, nil, csms.Config{
		Payments:            payment.NewRouter(store, cards),
		PaymentHold:         cfg.PaymentHold,
		Seller:              cfg.Seller,
		HeartbeatInterval:   cfg.HeartbeatInterval,
		PendingTimeout:      cfg.PendingTimeout,
		SweepInterval:       cfg.SweepInterval,
		RejectUnknownIDTags: cfg.RejectUnknownIDTags,
		Registration:        cfg.ChargerRegistration,
		ClientCertOrg:       cfg.ClientCertOrg,
		Signer:              ca,
		MeterRetention:      cfg.MeterRetention,
		LostSessionGrace:    cmp.Or(cfg.LostSessionGrace, -1),
		Leader:              leader,
		SmartDelay:          cfg.SmartDelay,
		SmartInterval:       cfg.SmartInterval,
		SmartLease:          cfg.SmartLease,
		SiteLoadEvery:       cfg.SiteLoadEvery,
	})
	if st.lazyLive {
		// Live values are written lazily: after a crash, rebuild them
		// from the meter log before any charger reports again.
		if n, err := svc.RebuildLive(ctx); err != nil {
			closeListeners()
			return fmt.Errorf("rebuild live values: %w", err)
		} else if n > 0 {
			log.Info("rebuilt the live values of active sessions from the meter log", "sessions", n)
		}
	}
	scheme := "ws"
	if tlsConf, err := serverTLS(cfg, ca); err != nil {
		closeListeners()
		return err
	} else if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "wss"
	}
	var gw *gateway.Gateway
	met := metrics.New(metrics.Sources{
		ConnectedChargers: func() int { return gw.Count() },
		// The bus's subscribers less the balancer's own (csms).
		SSESubscribers:    func() int { return max(0, bus.Subscribers()-svc.Subscriptions()) },
		EventsPublished:   bus.LastID,
		EventsDropped:     bus.Dropped,
		UnbootedStrangers: func() int { return gw.Strangers() },
		StoreWrites:       st.writes,
		NodeID:            nodeLabel(cfg),
		Leader:            leader,
	})
	observer.Store(met)
	gwOpts := cfg.Gateway
	gwOpts.Logger, gwOpts.CallTimeout, gwOpts.PingInterval = log, cfg.CallTimeout, cfg.PingInterval
	gwOpts.Admitter, gwOpts.SecurityEvent, gwOpts.Observer, gwOpts.ConnObserver = svc, svc.SecurityEvent, met, met
	gwOpts.VersionPolicy = versionPolicy(store)
	events := &lateEvents{domainEvents: svc}
	gw = gateway.New(events, gwOpts, ocpp201Protocol(), ocpp16Protocol())
	var readyChecks []httpapi.ReadyCheck
	var router *cluster.Router
	if nc != nil {
		router, err = newRouter(ctx, cfg, nc, gw, log)
		if err != nil {
			closeListeners()
			return fmt.Errorf("cluster: %w", err)
		}
		defer router.Close()
		events.clustered = router.Events(svc)
		svc.SetCommander(router)
		readyChecks = append(readyChecks,
			httpapi.ReadyCheck{Name: "nats", Check: bus.(*natsbus.Bus).Ping},
			httpapi.ReadyCheck{Name: "cluster", Check: router.Ping})
		go reconcilePresence(leaderCtx, svc, store, router, leader, soapSilence(cfg), log)
	} else {
		svc.SetCommander(gw)
	}
	api := httpapi.NewServer(svc, bus, httpapi.Options{Logger: log, StartTimeout: cfg.StartTimeout, ReadyChecks: readyChecks,
		FilesDir: cfg.Data, PublicURL: cfg.PublicURL, Accounts: acc, CORSOrigins: cfg.CORSOrigins})

	mux := http.NewServeMux()
	mux.Handle("/ocpp/{chargerId}", gw)
	// OCPP 1.5 and 1.6 over SOAP: one endpoint for every charger, which
	// names itself in the envelope. It is more specific than the
	// WebSocket pattern above, which would otherwise take "soap" for a
	// charger id.
	soapSrv := soapcs.NewServer(soapcs.Options{Events: events, Admit: gw.AdmitHTTP,
		Addresses: svc, Sessions: svc, Logger: log,
		Silence: soapSilence(cfg), Attacher: gw, CallTimeout: cfg.CallTimeout, Observer: met,
		HTTP: soapChargerClient(ca, cfg.SOAPChargerNetworks)})
	mux.Handle("POST /ocpp/soap", soapSrv)
	if nets := cfg.SOAPChargerNetworks.String(); nets != "" {
		log.Info("Joule calls SOAP chargers only in these networks", "networks", nets)
	}
	apiHandler := api.Handler()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/livez", apiHandler)
	mux.Handle("/readyz", apiHandler)
	mux.Handle("GET /metrics", met.Handler())
	mux.Handle("/", web.Handler())

	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request within a minute (event streams and file uploads
		// set their own deadlines; WebSocket upgrades clear them); an idle
		// keep-alive connection is closed after two.
		ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return base },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); _ = svc.Run(runCtx) }()
	// Each node marks offline the SOAP chargers it holds (it heard them
	// last) once they fall silent; in a cluster the leader's presence
	// pass covers the ones no node holds.
	soapDone := make(chan struct{})
	go func() { defer close(soapDone); soapSrv.Run(runCtx) }()
	defer func() { <-soapDone }()
	accDone := make(chan struct{})
	go func() { defer close(accDone); _ = acc.Run(runCtx) }()
	defer func() { stopRun(); <-accDone }()
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	if cfg.PlainListener != nil {
		go func() { serveErr <- srv.Serve(cfg.PlainListener) }()
		log.Info("joule serving plain ws:// beside TLS, for profile 0 and 1 chargers on a trusted network", "addr", cfg.PlainListener.Addr().String())
	}
	log.Info("joule serving", "addr", ln.Addr().String(), "data", cfg.Data, "ocpp", scheme+"://"+ln.Addr().String()+"/ocpp/{chargerId}")
	policy := cmp.Or(cfg.ChargerRegistration, charging.RegistrationOpen)
	if policy == charging.RegistrationOpen {
		log.Warn("charger registration is open: unknown chargers are accepted without credentials; register them (POST /api/v1/chargers) or use --charger-registration approve|closed on a network", "registration", policy)
	} else {
		log.Info("charger registration", "registration", policy)
	}

	select {
	case err := <-serveErr:
		stopRun()
		<-sweepDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	api.SetShuttingDown()
	shutCtx, cancel := context.WithTimeout(context.Background(), cmp.Or(cfg.ShutdownTimeout, DefaultShutdownTimeout))
	defer cancel()
	if err := gw.Shutdown(shutCtx); err != nil {
		log.Warn("chargers did not all disconnect in time", "err", err)
	}
	if router != nil {
		// Chargers that left with the drain released themselves; this
		// releases what is left, so the other nodes take them at once.
		if err := router.ReleaseAll(shutCtx); err != nil {
			log.Warn("cluster: release chargers", "err", err)
		}
	}
	cancelBase() // ends live event streams
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	stopRun()
	<-sweepDone
	log.Info("stopped")
	return nil
}

// openedStore is the store a node runs on, with what differs by kind.
type openedStore struct {
	charging.Store
	// lazyLive: the store keeps live values in memory and writes them
	// later (SQLite), so they are rebuilt from the meter log at start-up.
	lazyLive bool
	// writes counts committed writes and commits (SQLite's group commit);
	// nil where the store does not count them.
	writes func() (uint64, uint64)
	pg     *postgres.Store // nil on SQLite
}

// openStore opens PostgreSQL when cfg names it, else SQLite in cfg.Data.
func openStore(ctx context.Context, cfg Config, observer *atomic.Pointer[metrics.Metrics]) (openedStore, error) {
	if cfg.Postgres != "" {
		pg, err := postgres.Open(ctx, cfg.Postgres)
		if err != nil {
			return openedStore{}, err
		}
		return openedStore{Store: pg, pg: pg}, nil
	}
	lite, err := sqlite.Open(ctx, filepath.Join(cfg.Data, "joule.db"), sqlite.WithBatchHook(func(b sqlite.BatchInfo) {
		if m := observer.Load(); m != nil {
			m.ObserveStoreBatch(b.Writes, b.Duration, b.Run, b.Meter, b.Commit)
		}
	}))
	if err != nil {
		return openedStore{}, err
	}
	return openedStore{Store: lite, lazyLive: true, writes: func() (uint64, uint64) {
		st := lite.Stats()
		return st.Writes, st.Batches
	}}, nil
}

// nodeLabel is the node label of metrics: the node id in a cluster, none
// on a single node.
func nodeLabel(cfg Config) string {
	if cfg.NATS == "" {
		return ""
	}
	return cmp.Or(cfg.NodeID, "joule")
}

// ocpp16Protocol plugs OCPP 1.6J into the gateway.
func ocpp16Protocol() gateway.Protocol {
	return gateway.Protocol{
		Subprotocol: charging.OCPP16,
		Dialect:     ocppj.Dialect16,
		NewStation: func(id string, conn *ocppj.Conn, events charging.StationEvents, log *slog.Logger) gateway.Station {
			return ocpp16.NewStation(id, conn, events, log)
		},
	}
}

// ocpp201Protocol plugs OCPP 2.0.1 into the gateway.
func ocpp201Protocol() gateway.Protocol {
	return gateway.Protocol{
		Subprotocol: charging.OCPP201,
		Dialect:     ocppj.Dialect201,
		NewStation: func(id string, conn *ocppj.Conn, events charging.StationEvents, log *slog.Logger) gateway.Station {
			return ocpp201.NewStation(id, conn, events, log)
		},
	}
}

// loadCA returns the CA that signs chargers' certificates: the operator's
// files, or Joule's own in <Data>/ca (created on first use).
func loadCA(cfg Config) (*pki.CA, error) {
	if cfg.CACertFile != "" {
		ca, err := pki.LoadCA(cfg.CACertFile, cfg.CAKeyFile)
		if err != nil {
			return nil, fmt.Errorf("certificate authority: %w", err)
		}
		return ca, nil
	}
	ca, err := pki.LoadOrCreateCA(filepath.Join(cfg.Data, "ca"))
	if err != nil {
		return nil, fmt.Errorf("certificate authority: %w", err)
	}
	return ca, nil
}

// serverTLS builds the listener's TLS configuration, or nil without
// certificates. Charger client certificates are verified against Joule's
// CA and the operator's client CAs.
func serverTLS(cfg Config, ca *pki.CA) (*tls.Config, error) {
	certs := slices.Clone(cfg.TLSCertificates)
	for i, f := range cfg.TLSCertFiles {
		if i >= len(cfg.TLSKeyFiles) {
			return nil, fmt.Errorf("tls: no key file for %s", f)
		}
		c, err := tls.LoadX509KeyPair(f, cfg.TLSKeyFiles[i])
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil
	}
	pool := ca.Pool()
	for _, f := range cfg.TLSClientCAFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("tls client CA: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("tls client CA: %s holds no PEM certificate", f)
		}
	}
	return gateway.ServerTLSConfig(certs, pool, cfg.TLSMinVersion), nil
}

// versionPolicy reads a charger's OCPP version override from the store; a
// charger Joule does not know (or a failed read) may choose.
func versionPolicy(store charging.Store) gateway.VersionPolicy {
	return func(ctx context.Context, chargerID string) string {
		c, err := store.GetCharger(ctx, chargerID)
		if err != nil {
			return ""
		}
		return c.OCPPVersionOverride
	}
}

// newAccounts builds the accounts service, with single sign-on when an
// issuer is configured (its discovery runs now: a wrong issuer fails the
// start, not the first sign-in).
func newAccounts(ctx context.Context, cfg Config, store charging.Store, log *slog.Logger) (*accounts.Service, error) {
	ac := accounts.Config{DriverSignup: !cfg.DriverSignupClosed, Params: cfg.PasswordParams, Logger: log}
	if cfg.OIDC.Issuer != "" {
		oc := cfg.OIDC
		if oc.RedirectURL == "" {
			if cfg.PublicURL == "" {
				return nil, errors.New("single sign-on (--oidc-issuer) needs --public-url: the identity provider redirects the browser back to <public-url>/api/v1/auth/oidc/callback")
			}
			oc.RedirectURL = strings.TrimRight(cfg.PublicURL, "/") + "/api/v1/auth/oidc/callback"
		}
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		o, err := auth.NewOIDC(dctx, oc)
		if err != nil {
			return nil, fmt.Errorf("single sign-on: %w", err)
		}
		ac.OIDC = o
	}
	return accounts.New(store, ac), nil
}

// soapChargerClient calls SOAP chargers' own services: TLS 1.2 or later,
// trusting the system's roots and Joule's CA (a charger may serve a
// certificate Joule issued), no redirects (a charger's address is the one
// it gave), and no proxy from the environment (chargers are on the
// operator's network; a proxy set for, say, the card provider must not
// carry their calls). It dials only addresses in nets: a charger names
// its own address, and must not make Joule call, say, the cloud's
// metadata service.
func soapChargerClient(ca *pki.CA, nets soapcs.Networks) *http.Client {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if ca != nil {
		roots.AddCert(ca.Certificate())
	}
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: nets.Control}).DialContext,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// soapSilence is how long a SOAP charger may be silent before it is
// offline: two heartbeat intervals and a minute.
func soapSilence(cfg Config) time.Duration {
	return 2*cmp.Or(cfg.HeartbeatInterval, 5*time.Minute) + time.Minute
}
