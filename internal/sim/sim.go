package sim

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
)

// Config describes one simulated charger. Zero values take the defaults
// given per field.
type Config struct {
	URL        string // CSMS base, e.g. ws://127.0.0.1:8080/ocpp; the charger connects to URL/ID
	ID         string // charge point identity
	Connectors int    // default 2 (2.0.1: EVSEs, each with connector 1); KindAC only

	// Kind is the hardware: KindAC (the default, "ac"), Connectors Type 2
	// sockets of MaxPowerW each, or KindDC ("dc"), a CCS2 cable of 150 kW
	// and a CHAdeMO cable of 50 kW (outlet.go). RunFleet also takes
	// KindMixed.
	Kind string
	// Outlets, when set, are the connectors' hardware (connector 1
	// first), instead of Kind's; Connectors is their number.
	Outlets []Outlet

	// OCPPVersion is the protocol spoken: OCPP16 ("ocpp1.6", the default),
	// OCPP201 ("ocpp2.0.1"), or OCPP 1.5 or 1.6 over SOAP, OCPP15S
	// ("ocpp1.5s") and OCPP16S ("ocpp1.6s"). RunFleet also takes OCPPMixed.
	OCPPVersion string

	// SOAP chargers (OCPP15S, OCPP16S; soap.go) call the central system's
	// service and host their own, which the central system calls.
	//
	// SOAPURL is the central system's endpoint; default URL with ws://
	// (wss://) turned into http:// (https://) and /soap appended:
	// ws://h/ocpp is http://h/ocpp/soap.
	SOAPURL string
	// SOAPListen is the host:port the charger's own service listens on;
	// default "127.0.0.1:0", a free port.
	SOAPListen string
	// SOAPAdvertise is the service address the charger gives the central
	// system (wsa:From), for when it is reached by another address than
	// the one it listens on (NAT, containers); without a port, the port
	// listened on is used. Default http://<address listened on>/<ID>.
	SOAPAdvertise string

	Vendor, Model, SerialNumber, FirmwareVersion string // default "Joule", "Sim-22", "SN-"+ID, "1.0.0"

	MaxPowerW float64 // per connector of KindAC; default 22000 (3 × 32 A × 230 V)

	// MeterValueSampleInterval is the initial value of that configuration
	// key; default 30s. The wire has seconds granularity, but tests may set
	// sub-second intervals here.
	MeterValueSampleInterval time.Duration
	// HeartbeatInterval, when > 0, overrides the interval the CSMS gives in
	// BootNotification.conf.
	HeartbeatInterval time.Duration

	Behaviour Behaviour

	// ReconnectBackoff is the first wait before reconnecting (doubling up to
	// 30s); default 1s. It is also the base retry interval of transaction
	// messages the CSMS answered with InternalError or did not answer.
	ReconnectBackoff time.Duration
	// CallTimeout bounds each CALL the charger sends; default 30s.
	CallTimeout time.Duration

	// Acknowledged, when set, is told each message the CSMS answered with
	// a valid CALLRESULT: its action and the request as sent (tests keep a
	// journal of what the CSMS promised to have stored). It runs on the
	// charger's worker: it must be quick.
	Acknowledged func(action string, req any)

	// Vehicle is the EV every connector charges (SetVehicle changes one
	// connector's); the zero value is DefaultVehicle().
	Vehicle Vehicle

	Logger *slog.Logger     // default: discard
	Now    func() time.Time // default time.Now; used for timestamps and the energy model

	// Security: how the charger authenticates (OCPP 1.6 security
	// whitepaper, 2.0.1 part 2 A00). The zero values are profile 0, no
	// authentication.

	// SecurityProfile is the profile the charger connects with: 0 none,
	// 1 HTTP Basic over ws://, 2 TLS and HTTP Basic (a wss:// URL), 3 TLS
	// with a client certificate (wss://). The CSMS may raise it (1.6
	// ChangeConfiguration SecurityProfile), never lower it. A SOAP charger
	// sends the same Basic auth with every request (profile 2: to an
	// https:// endpoint); it has no profile 3, nor ClientCert and
	// RequestCertificate, whose messages OCPP-S lacks.
	SecurityProfile int
	// Password is the Basic-auth password of profiles 1 and 2: 1.6's
	// AuthorizationKey (hex digits; the header carries the bytes they
	// stand for) or 2.0.1's BasicAuthPassword (sent as it is). The CSMS
	// may change it (A01). PasswordFor, when set, gives each charger of a
	// fleet its own and takes precedence.
	Password    string
	PasswordFor func(chargerID string) string
	// RootCAs are the CSMS roots trusted for wss://; nil means the
	// system's. CentralSystemRootCertificates installed by the CSMS are
	// trusted too.
	RootCAs *x509.CertPool
	// ClientCert is the charger's certificate for profile 3. One the CSMS
	// signs (SignCertificate, CertificateSigned) replaces it from the next
	// connection on.
	ClientCert *tls.Certificate
	// CertificateOrg is the O of the charger's certificate signing
	// requests (1.6 CpoName, 2.0.1 SecurityCtrlr.OrganizationName);
	// default "Joule Sim".
	CertificateOrg string
	// RequestCertificate sends a SignCertificate after the first accepted
	// boot, as a charger without a certificate does.
	RequestCertificate bool
}

// Behaviour makes the charger misbehave on purpose, for tests.
type Behaviour struct {
	RejectRemoteStart bool // answer RemoteStartTransaction Rejected
	NeverStart        bool // accept RemoteStartTransaction but never send StartTransaction
	// StartBeforeAnswer sends StartTransaction before the answer to
	// RemoteStartTransaction: the answer goes out once the StartTransaction
	// CALL has been handed to the connection (or after 100ms).
	StartBeforeAnswer bool
	// DuplicateStart sends every StartTransaction twice with the same
	// payload, as a charger does after losing the first answer.
	DuplicateStart bool
	// IgnoreCalls never answers a CALL from the CSMS. ocppj answers every
	// CALL a Handler returns from, so the handler blocks until Run's context
	// ends: like hung firmware, the charger then reads nothing more on that
	// connection (its own CALLs time out).
	IgnoreCalls bool
}

// ConnectorState is a snapshot of one connector.
type ConnectorState struct {
	// Status is the connector status as last set: 1.6's ChargePointStatus
	// (e.g. "Charging"), 2.0.1's ConnectorStatus (e.g. "Occupied").
	Status string
	// TransactionID is the CSMS's id of the running transaction; 0 when none
	// runs, negative (a local placeholder) while a transaction started
	// offline has not been confirmed by the CSMS.
	TransactionID int
	IDTag         string
	// TxID is the running transaction's id as the CSMS knows it, for
	// either version: 1.6's CSMS-assigned integer in decimal (empty until
	// confirmed), 2.0.1's station-generated transactionId.
	TxID string
	// ChargingState is 2.0.1's chargingState of the running transaction
	// (Charging, SuspendedEV, ...); empty in 1.6 and without a transaction.
	ChargingState string
	Plugged       bool
	PowerW        float64 // active import power now
	EnergyWh      float64 // energy register, monotonic across sessions
	// LimitW is what the connector offers now: the composite limit of
	// the charging profiles and the outlet's maximum, in W for the phases
	// the vehicle uses.
	LimitW float64
	// TargetW is what the EV would draw without a limit: its vehicle's
	// acceptance (SetPower caps it); without a transaction, SetPower's
	// value.
	TargetW float64
	// Cost is, for 2.0.1, the last cost the CSMS sent about the
	// connector's transaction: the running cost (CostUpdated) or, once it
	// ended, the final one (the TransactionEvent answer's totalCost).
	Cost float64
}

// ErrOffline is returned by SwipeCard when the charger cannot reach the CSMS.
var ErrOffline = errors.New("sim: charger is not connected and booted")

const (
	maxBackoff       = 30 * time.Second
	dialTimeout      = 10 * time.Second
	maxOutbox        = 10000 // transaction messages kept while offline
	maxAttempts      = 5     // TransactionMessageAttempts
	followUpDelay    = 10 * time.Millisecond
	startAnswerDelay = 100 * time.Millisecond
)

// Charger is one simulated OCPP 1.6J charge point or 2.0.1 charging
// station (Config.OCPPVersion). Create it with New and run it with Run;
// the control methods are safe for concurrent use.
type Charger struct {
	cfg    Config
	cfgErr error        // a Config New could not use (Run returns it)
	url    string       // OCPP-J: the WebSocket URL; OCPP-S: the central system's endpoint
	soapV  soap.Version // OCPP-S version; "" for an OCPP-J charger
	log    *slog.Logger
	now    func() time.Time
	wake   chan struct{} // buffered 1: pokes the worker
	// inbound is held while a SOAP charger's service handles a request
	// (buffered 1).
	inbound chan struct{}

	running atomic.Bool

	// Lock order: mu is a leaf; nothing blocking is done while holding it.
	mu           sync.Mutex
	conn         link               // current connection (SOAP: session), nil offline; guarded by mu
	booted       bool               // the current connection's boot was Accepted; guarded by mu
	bootedCh     chan struct{}      // closed when booted becomes true; guarded by mu
	bootNow      bool               // TriggerMessage(BootNotification) while not booted; guarded by mu
	connectors   []*connector       // [0] is the charge point itself; guarded by mu
	outbox       []*message         // ordered; guarded by mu
	holdUntil    time.Time          // the worker sends nothing before (answers first); guarded by mu
	retryAt      time.Time          // the head message is retried at; guarded by mu
	reset        ocpp16.ResetType   // pending Reset; guarded by mu
	reconnectNow bool               // closed on purpose (reset, firmware, credentials): connect again at once; guarded by mu
	keys         map[string]string  // generic configuration values; guarded by mu
	sampled      []ocpp16.Measurand // MeterValuesSampledData; guarded by mu
	meterEvery   time.Duration      // MeterValueSampleInterval; guarded by mu
	beatEvery    time.Duration      // effective heartbeat interval; guarded by mu
	nextSample   time.Time          // guarded by mu
	nextBeat     time.Time          // guarded by mu
	localSeq     int                // last placeholder transaction id (negative); guarded by mu
	v2           *v201State         // OCPP 2.0.1 state; nil for a 1.6 charger; guarded by mu
	profiles     []installedProfile // SetChargingProfile in force (smart.go); guarded by mu
	local        localAuthList      // SendLocalList (locallist.go); guarded by mu

	service   string                 // SOAP: the address of the charger's own service while Run runs; guarded by mu
	sec       securityState          // credentials and certificates (security.go); guarded by mu
	fw        firmwareState          // UpdateFirmware, GetDiagnostics, GetLog (firmware.go); guarded by mu
	fwVersion atomic.Pointer[string] // installed by UpdateFirmware; nil: Config.FirmwareVersion
}

// New returns a charger for cfg with defaults applied. It does not connect:
// call Run.
func New(cfg Config) *Charger {
	if cfg.Connectors <= 0 {
		cfg.Connectors = 2
	}
	if cfg.Vendor == "" {
		cfg.Vendor = "Joule"
	}
	if cfg.Model == "" {
		cfg.Model = "Sim-22"
	}
	if cfg.SerialNumber == "" {
		cfg.SerialNumber = "SN-" + cfg.ID
	}
	if cfg.FirmwareVersion == "" {
		cfg.FirmwareVersion = "1.0.0"
	}
	if cfg.MaxPowerW <= 0 {
		cfg.MaxPowerW = 22000
	}
	outs, outErr := outlets(cfg)
	if outErr != nil {
		cfg.Kind, cfg.Outlets = KindAC, nil
		outs, _ = outlets(cfg) // Run reports outErr
	}
	cfg.Connectors = len(outs)
	if cfg.Kind == KindDC || len(cfg.Outlets) > 0 {
		// The charger's own maximum (connector 0's limit) is its
		// largest outlet's.
		cfg.MaxPowerW = slices.MaxFunc(outs, func(a, b Outlet) int { return cmp.Compare(a.MaxPowerW, b.MaxPowerW) }).MaxPowerW
	}
	if cfg.MeterValueSampleInterval <= 0 {
		cfg.MeterValueSampleInterval = 30 * time.Second
	}
	if cfg.ReconnectBackoff <= 0 {
		cfg.ReconnectBackoff = time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PasswordFor != nil {
		cfg.Password = cfg.PasswordFor(cfg.ID)
	}
	if cfg.CertificateOrg == "" {
		cfg.CertificateOrg = defaultCertificateOrg
	}
	if cfg.Vehicle == (Vehicle{}) {
		cfg.Vehicle = DefaultVehicle()
	}
	if err := cfg.Vehicle.Validate(); err != nil && outErr == nil {
		outErr = err
		cfg.Vehicle = DefaultVehicle() // Run reports err
	}
	c := &Charger{
		cfg:        cfg,
		cfgErr:     outErr,
		url:        strings.TrimRight(cfg.URL, "/") + "/" + url.PathEscape(cfg.ID),
		log:        cfg.Logger.With("charger", cfg.ID),
		now:        cfg.Now,
		wake:       make(chan struct{}, 1),
		inbound:    make(chan struct{}, 1),
		bootedCh:   make(chan struct{}),
		keys:       defaultKeys(),
		sampled:    defaultSampled(),
		meterEvery: cfg.MeterValueSampleInterval,
		sec:        newSecurity(cfg),
	}
	if cfg.OCPPVersion == OCPP201 {
		c.v2 = newV201State()
	}
	if c.soapV = soapVersion(cfg.OCPPVersion); c.soapV != "" {
		endpoint, err := soapEndpoint(cfg)
		if err != nil && c.cfgErr == nil {
			c.cfgErr = err
		}
		c.url = endpoint
		if c.soapV == soap.V15 {
			c.keys[keySupportedFeatureProfiles] = featureProfiles15
		}
	}
	at := c.now()
	c.connectors = make([]*connector, cfg.Connectors+1)
	for i := range c.connectors {
		o := Outlet{MaxPowerW: cfg.MaxPowerW, Phases: defaultPhases} // connector 0: the charger
		if i > 0 {
			o = outs[i-1]
		}
		c.connectors[i] = &connector{
			id:       i,
			outlet:   o,
			status:   ocpp16.ChargePointStatusAvailable,
			targetW:  o.MaxPowerW,
			vehicle:  cfg.Vehicle,
			energyWh: 1000 * float64(i),
			at:       at,
		}
	}
	return c
}

// ID returns the charge point identity.
func (c *Charger) ID() string { return c.cfg.ID }

// Connected reports whether the charger has a WebSocket connection to the
// CSMS (booted or not); for a SOAP charger, whether a session runs (booting
// or booted), which a request that gets no answer at all ends.
func (c *Charger) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// WaitBooted waits until the current connection's BootNotification has been
// Accepted, or ctx is done.
func (c *Charger) WaitBooted(ctx context.Context) error {
	c.mu.Lock()
	ch := c.bootedCh
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sim %s: wait for boot: %w", c.cfg.ID, ctx.Err())
	}
}

// Run connects to the CSMS and behaves as a charger until ctx is done,
// reconnecting with backoff whenever the connection drops; it then closes
// the WebSocket with a close frame and returns nil. A SOAP charger first
// starts its own service, which answers the central system until Run
// returns, and runs sessions instead of connections (soap.go). Run returns
// an error only if it is already running, or for a Config that cannot work.
func (c *Charger) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return fmt.Errorf("sim %s: Run is already running", c.cfg.ID)
	}
	defer c.running.Store(false)
	switch v := c.cfg.OCPPVersion; v {
	case "", OCPP16, OCPP201, OCPP15S, OCPP16S:
	default:
		return fmt.Errorf("sim %s: unknown OCPP version %q (want %q, %q, %q or %q)", c.cfg.ID, v, OCPP16, OCPP201, OCPP15S, OCPP16S)
	}
	if c.cfgErr != nil {
		return fmt.Errorf("sim %s: %w", c.cfg.ID, c.cfgErr)
	}
	if err := c.checkSOAP(); err != nil {
		return fmt.Errorf("sim %s: %w", c.cfg.ID, err)
	}
	if err := c.checkSecurity(); err != nil {
		return fmt.Errorf("sim %s: %w", c.cfg.ID, err)
	}
	if c.soapV != "" {
		stop, err := c.startService(ctx)
		if err != nil {
			return fmt.Errorf("sim %s: %w", c.cfg.ID, err)
		}
		defer stop()
	}
	// What an operator sets in the CSMS for a 1.6 charger, which cannot
	// report it (a 2.0.1 one reports it in its device model).
	c.log.Info("simulated hardware", "outlets", describeOutlets(c.Outlets()))

	backoff := c.cfg.ReconnectBackoff
	for {
		booted, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		c.mu.Lock()
		now := c.reconnectNow
		c.reconnectNow = false
		c.mu.Unlock()
		if now {
			backoff = c.cfg.ReconnectBackoff
			continue
		}
		if booted {
			backoff = c.cfg.ReconnectBackoff
		}
		// Jitter spreads a fleet's reconnections after a CSMS restart.
		wait := backoff + rand.N(backoff/2+1)
		if ra, ok := errors.AsType[retryAfterError](err); ok {
			wait = max(wait, ra.after) // the CSMS said when
		}
		c.log.Info("disconnected, reconnecting", "in", wait.Round(time.Millisecond), "err", err)
		c.idle(ctx, wait)
		backoff = min(2*backoff, max(maxBackoff, c.cfg.ReconnectBackoff))
	}
}

// retryAfterError is a refused connection whose answer said when to try
// again (Retry-After).
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e retryAfterError) Error() string { return e.err.Error() }
func (e retryAfterError) Unwrap() error { return e.err }

// idle waits d while offline, still sampling meters (the values are queued
// for delivery after the next boot).
func (c *Charger) idle(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		now := time.Now()
		if !now.Before(deadline) {
			return
		}
		wait := min(deadline.Sub(now), c.tick(now))
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
	}
}

// session runs one connection: dial, serve, and the worker that boots and
// sends. It returns when the connection has ended, with both goroutines
// done; booted reports whether the CSMS accepted the boot.
func (c *Charger) session(ctx context.Context) (booted bool, err error) {
	var conn link
	if c.soapV != "" {
		conn = c.newSOAPLink()
	} else if conn, err = c.dial(ctx); err != nil {
		return false, err
	}
	c.mu.Lock()
	c.conn = conn
	profile := c.sec.profile
	c.securityLog(fmt.Sprintf("connected with security profile %d", profile))
	service := c.service
	c.mu.Unlock()
	if c.soapV != "" {
		c.log.Info("SOAP session", "url", c.url, "service", service, "security_profile", profile)
	} else {
		c.log.Info("connected", "url", c.url, "security_profile", profile)
	}

	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		booted = c.work(wctx, conn)
	}()
	err = conn.Serve(ctx)
	stop()
	wg.Wait()
	c.disconnected()
	return booted, err
}

// dial opens a WebSocket connection to the CSMS.
func (c *Charger) dial(ctx context.Context) (*ocppj.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	proto, dialect := c.wire()
	d, header := c.dialer(proto)
	conn, resp, err := ocppj.DialWith(dctx, d, c.url, header, ocppj.Options{
		Dialect:     dialect,
		Handler:     c.handle,
		CallTimeout: c.cfg.CallTimeout,
		Logger:      c.log,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != 0 {
			// e.g. 401: wrong credentials; the CSMS's answer says why.
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
			if after := retryAfter(resp); after > 0 {
				// 503 (a node overloaded or draining), 429: come back when told.
				err = retryAfterError{err: err, after: after}
			}
		}
		return nil, err
	}
	return conn, nil
}

// retryAfter is the wait an HTTP answer asks for (Retry-After in
// seconds), or 0.
func retryAfter(resp *http.Response) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// disconnected forgets the connection: volatile messages are dropped (their
// waiters fail), transaction messages stay queued.
func (c *Charger) disconnected() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = nil
	if c.booted {
		c.booted = false
		c.bootedCh = make(chan struct{})
	}
	c.bootNow = false
	c.reset = ""
	c.sec.reconnect = "" // the next connection uses the new credentials anyway
	kept := c.outbox[:0]
	for _, m := range c.outbox {
		if m.durable {
			m.attempts = 0
			kept = append(kept, m)
			continue
		}
		m.fail(ocppj.ErrClosed)
	}
	clear(c.outbox[len(kept):])
	c.outbox = kept
	c.retryAt = time.Time{}
}

// poke wakes the worker (or the offline idle loop).
func (c *Charger) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// connector returns connector n (1..N), or nil.
func (c *Charger) connector(n int) *connector {
	if n < 1 || n >= len(c.connectors) {
		return nil
	}
	return c.connectors[n]
}

// State returns a snapshot of connector n (1..N); the zero value for an
// unknown connector.
func (c *Charger) State(n int) ConnectorState {
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := c.connector(n)
	if cn == nil {
		return ConnectorState{}
	}
	now := c.now()
	c.advance(cn, now)
	s := ConnectorState{
		Status:   string(cn.status),
		Plugged:  cn.plugged,
		PowerW:   cn.powerW,
		EnergyWh: cn.energyWh,
		LimitW:   c.limitAt(cn.id, now, now, time.Time{}, ocpp16.ChargingRateUnitW),
		TargetW:  cn.targetW,
		Cost:     cn.cost,
	}
	if cn.tx != nil {
		d := c.evaluate(cn, now)
		s.LimitW, s.TargetW = math.Round(d.limitW*10)/10, d.acceptW
		s.TransactionID = cn.tx.wireID()
		s.IDTag = cn.tx.idTag
		if cn.tx.id != 0 {
			s.TxID = strconv.Itoa(cn.tx.id)
		}
	}
	if c.v2 != nil {
		c.snapshot201(cn, &s)
	}
	return s
}

// Plug simulates an EV being plugged into connector n: Preparing.
func (c *Charger) Plug(n int) {
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	cn := c.connector(n)
	if cn == nil || cn.plugged {
		return
	}
	cn.plugged = true
	if cn.tx == nil {
		c.setStatus(cn, cn.idleStatus())
	}
	c.log.Info("EV plugged in", "connector", n)
}

// Unplug simulates the EV leaving connector n; a running transaction stops
// with reason EVDisconnected.
func (c *Charger) Unplug(n int) {
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	cn := c.connector(n)
	if cn == nil {
		return
	}
	cn.plugged = false
	if cn.tx != nil {
		c.stopTx(cn, ocpp16.ReasonEVDisconnected)
		return
	}
	c.setStatus(cn, cn.idleStatus())
	c.log.Info("EV unplugged", "connector", n)
}

// SetPower sets the power the EV on connector n would draw; 0 suspends
// charging (SuspendedEV). The connector still caps it at its limit.
func (c *Charger) SetPower(n int, w float64) {
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	cn := c.connector(n)
	if cn == nil {
		return
	}
	c.advance(cn, c.now())
	cn.targetW = max(w, 0)
	c.refresh(cn)
}

// SwipeCard simulates a local RFID start on connector n: Authorize, then,
// if Accepted, StartTransaction. Swiping the tag of the running transaction
// stops it (reason Local) without asking the CSMS.
func (c *Charger) SwipeCard(ctx context.Context, n int, idTag string) error {
	if c.v2 != nil {
		return c.swipeCard201(ctx, n, idTag)
	}
	c.mu.Lock()
	cn := c.connector(n)
	switch {
	case cn == nil:
		c.mu.Unlock()
		return fmt.Errorf("sim %s: no connector %d", c.cfg.ID, n)
	case cn.tx != nil && cn.tx.idTag == idTag:
		c.stopTx(cn, ocpp16.ReasonLocal)
		c.mu.Unlock()
		c.poke()
		return nil
	case cn.tx != nil || cn.inoperative:
		st := cn.status
		c.mu.Unlock()
		return fmt.Errorf("sim %s: connector %d is %s", c.cfg.ID, n, st)
	case !c.booted && !c.localAccepted(idTag):
		c.mu.Unlock()
		return ErrOffline
	case !c.booted:
		// Offline, authorized by the local list (OCPP 1.6 §3.5): the
		// StartTransaction is delivered after the reconnection.
		c.log.Info("id tag authorized by the local list", "id_tag", idTag)
		c.startTx(cn, idTag, nil, nil)
		c.mu.Unlock()
		c.poke()
		return nil
	}
	answer, err := c.authorize(ctx, &ocpp16.AuthorizeRequest{IDTag: idTag}, idTag)
	if err != nil {
		return err
	}
	resp := answer.(*ocpp16.AuthorizeResponse)
	if resp.IDTagInfo.Status != ocpp16.AuthorizationStatusAccepted {
		return fmt.Errorf("sim %s: id tag %s not authorized: %s", c.cfg.ID, idTag, resp.IDTagInfo.Status)
	}
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	if cn.tx != nil || cn.inoperative {
		return fmt.Errorf("sim %s: connector %d became %s", c.cfg.ID, n, cn.status)
	}
	c.startTx(cn, idTag, nil, nil)
	return nil
}

// authorize queues an Authorize CALL (req, for idTag) and waits for its
// answer, the decoded response. Callers hold mu; authorize releases it.
func (c *Charger) authorize(ctx context.Context, req any, idTag string) (any, error) {
	answer := make(chan reply, 1)
	c.push(&message{action: "Authorize", req: req, reply: answer})
	c.mu.Unlock()
	c.poke()

	var r reply
	select {
	case r = <-answer:
	case <-ctx.Done():
		return nil, fmt.Errorf("sim %s: authorize %s: %w", c.cfg.ID, idTag, ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("sim %s: authorize %s: %w", c.cfg.ID, idTag, r.err)
	}
	return r.resp, nil
}

// rampTime is how long the EV takes from 0 to full power: three meter
// samples, so that a test sees the ramp. Callers hold mu.
func (c *Charger) rampTime() time.Duration {
	return min(3*c.meterEvery, time.Minute)
}
