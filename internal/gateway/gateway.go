package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Protocol is one OCPP version: its subprotocol name, its CALLERROR
// dialect, and an adapter per connection. cmd/joule builds one per version
// package, which keeps the gateway and the version packages apart.
type Protocol struct {
	Subprotocol string // "ocpp1.6", "ocpp2.0.1"
	Dialect     ocppj.Dialect
	// NewStation returns the adapter for one connected charger: it answers
	// the charger's CALLs (through events) and sends Joule's commands.
	NewStation func(chargerID string, conn *ocppj.Conn, events charging.StationEvents, log *slog.Logger) Station
}

// Station is one connected charger, spoken to in its version. A Station
// should also implement StationCommands (commands.go) for the typed
// station-management commands; without it they answer EINVALID.
type Station interface {
	HandleCall(ctx context.Context, action string, payload json.RawMessage) (any, error)
	RemoteStart(ctx context.Context, r charging.RemoteStart) (charging.CommandStatus, error)
	RemoteStop(ctx context.Context, transactionID string) (charging.CommandStatus, error)
	Command(ctx context.Context, action string, payload json.RawMessage) (charging.CommandResult, error)
}

// Options tune the gateway; zero values take the defaults.
type Options struct {
	Logger        *slog.Logger
	CallTimeout   time.Duration // default 30s
	PingInterval  time.Duration // default 30s; negative disables pings
	MaxFrameBytes int64         // default 64 KiB
	// Observer is told every OCPP call's outcome and duration (metrics).
	Observer ocppj.Observer
	// VersionPolicy, when set, returns the subprotocol a charger must use
	// (its stored override), or "" to let it choose; see negotiate.go. It
	// is not consulted when Admitter is set: Admitted.OCPPVersionOverride
	// comes with the admission (one read of the charger per connect).
	VersionPolicy VersionPolicy

	// Admitter decides whether a connection may speak for a charger, and
	// at which security profile (admit.go). nil admits everyone at profile
	// 0 as trusted (for tests of other packages): no authentication, but
	// the takeover rule still holds.
	Admitter charging.ChargerAdmitter
	// SecurityEvent receives Joule's own security events (refusals,
	// replacements, boot timeouts), one call per event. It must not block;
	// nil drops them.
	SecurityEvent func(charging.SecurityEvent)
	// ConnObserver is told how connection attempts end (metrics); nil: no one.
	ConnObserver ConnObserver

	// StrangerBootTimeout is how long a stranger (a connection Admit did
	// not mark Trusted: an unknown or Pending charger) has to get a
	// BootNotification answered (Accepted or Pending) before it is closed
	// with 1008. Default 60s; negative: no deadline.
	StrangerBootTimeout time.Duration
	// StrangerMaxFrameBytes is a stranger's frame limit until its boot is
	// Accepted. Default 8 KiB; negative: MaxFrameBytes.
	StrangerMaxFrameBytes int64
	// MaxStrangersPerIP bounds the strangers connected from one address
	// (IPv6: one /64) that are not yet Accepted; over it an upgrade is
	// refused with 429. Default 32; negative: no limit.
	MaxStrangersPerIP int
	// FailedAuthLimit bounds failed authentications per address: once its
	// bucket is empty, requests from there are refused with 429 before
	// Admit runs. Default 20 at once, then one per 3s (20 a minute).
	FailedAuthLimit Rate
	// ReplaceLimit bounds how often an authenticated connection may
	// replace a live one of the same charger (429 beyond). Default 3 at
	// once, then one per 10s.
	ReplaceLimit Rate
	// ProbeTimeout is how long a live connection has to answer a ping
	// before a newcomer that may not displace a live connection takes its
	// place anyway. Default min(5s, PingInterval).
	ProbeTimeout time.Duration
	// MaxChargers bounds the chargers connected to this node: over it a
	// new charger's upgrade is answered 503 with a Retry-After (a charger
	// already connected may still replace its own connection). 0: no limit.
	MaxChargers int
	// UpgradeRate bounds WebSocket upgrades per node (all addresses
	// together): over it the request is answered 503 with a Retry-After,
	// spread so that the chargers do not come back at once, instead of
	// piling up until the kernel resets connections. Default 500 at once,
	// then 1,000 a second; a negative Burst: no limit.
	UpgradeRate Rate
	// Now is the clock of the rate limits; default time.Now.
	Now func() time.Time
}

// ConnObserver is told how connection attempts end, for metrics
// (internal/metrics implements it). It must be safe for concurrent use and
// fast.
type ConnObserver interface {
	// ConnectionRefused counts an upgrade request answered with an HTTP
	// error; reason is one of the Refused* constants.
	ConnectionRefused(reason string)
	// ConnectionReplaced counts a connection that replaced an older one of
	// the same charger.
	ConnectionReplaced()
	// ConnectionClosed counts a connection the gateway closed; reason is
	// one of the Closed* constants.
	ConnectionClosed(reason string)
}

// Reasons a connection was closed by the gateway.
const (
	ClosedBootTimeout = "boot_timeout" // a stranger sent no answered BootNotification in time
	ClosedOperator    = "operator"     // Disconnect (the charger was deleted or rejected)
)

// Gateway serves chargers. Build it with New, mount it at /ocpp/.
type Gateway struct {
	events    charging.StationEvents
	protocols []Protocol
	opts      Options
	log       *slog.Logger
	upgrader  websocket.Upgrader

	failedAuth *limiter  // by remote address
	replaces   *limiter  // by charger id
	upgrades   *limiter  // one bucket (""): the node's upgrade rate
	refusalLog logQuotas // by remote address

	ctx    context.Context // cancelled by Shutdown: every connection closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per served connection and per armed boot deadline

	mu        sync.Mutex
	closed    bool             // Shutdown has begun: no more registrations; guarded by mu
	conns     map[string]*conn // by charger id; guarded by mu
	soap      int              // entries of conns without a connection (SOAP chargers, soap.go); guarded by mu
	claims    map[string]bool  // charger ids with an upgrade between its takeover check and register; guarded by mu
	strangers map[string]int   // unbooted strangers by address key; guarded by mu
}

type conn struct {
	rpc     *ocppj.Conn // nil for a SOAP charger's entry (soap.go)
	station Station
	profile int  // the security profile the connection proved
	trusted bool // Admitted.Trusted: not a stranger
	remote  string
	quota   logQuota

	// Stranger state, guarded by Gateway.mu.
	strangerKey string      // address key counted in Gateway.strangers; "" once not counted
	bootTimer   *time.Timer // the boot deadline; nil when none
	bootDone    bool        // the deadline was stopped or has fired
}

var _ charging.Commander = (*Gateway)(nil)

// New returns a gateway speaking the given protocols (at least one).
func New(events charging.StationEvents, opts Options, protocols ...Protocol) *Gateway {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.PingInterval < 0 {
		opts.PingInterval = 0
	}
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = 64 << 10
	}
	if opts.StrangerBootTimeout == 0 {
		opts.StrangerBootTimeout = 60 * time.Second
	}
	if opts.StrangerMaxFrameBytes == 0 {
		opts.StrangerMaxFrameBytes = 8 << 10
	}
	if opts.StrangerMaxFrameBytes < 0 || opts.StrangerMaxFrameBytes > opts.MaxFrameBytes {
		opts.StrangerMaxFrameBytes = opts.MaxFrameBytes
	}
	if opts.MaxStrangersPerIP == 0 {
		opts.MaxStrangersPerIP = 32
	}
	opts.FailedAuthLimit = opts.FailedAuthLimit.orDefault(Rate{Burst: 20, Every: 3 * time.Second})
	opts.ReplaceLimit = opts.ReplaceLimit.orDefault(Rate{Burst: 3, Every: 10 * time.Second})
	opts.UpgradeRate = opts.UpgradeRate.orDefault(Rate{Burst: 500, Every: time.Millisecond})
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 5 * time.Second
		if opts.PingInterval > 0 {
			opts.ProbeTimeout = min(opts.ProbeTimeout, opts.PingInterval)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		events: events, protocols: protocols, opts: opts, log: opts.Logger,
		failedAuth: newLimiter(opts.FailedAuthLimit, opts.Now),
		replaces:   newLimiter(opts.ReplaceLimit, opts.Now),
		upgrades:   newLimiter(opts.UpgradeRate, opts.Now),
		ctx:        ctx, cancel: cancel,
		conns: map[string]*conn{}, claims: map[string]bool{}, strangers: map[string]int{},
	}
	g.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// OCPP frames are small; a larger frame is read through the buffer
		// straight into the message. The read buffer lives as long as the
		// connection; the write buffer is pooled between writes.
		ReadBufferSize:  256,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		// Chargers are not browsers: they send no Origin worth checking.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return g
}

// Negotiate picks the subprotocol: the charger's most preferred offer that
// Joule speaks. ok is false when there is none.
func (g *Gateway) Negotiate(offers []string) (Protocol, bool) {
	return g.negotiate(offers, "")
}

// ServeHTTP accepts a charger's WebSocket at /ocpp/{chargerId}.
//
// In order: the id is checked (400); a node shutting down answers 503; an
// address with too many failed authentications gets 429 before anything
// else runs; Admit decides with what the request proved (TLS, client
// certificate, Basic credentials) and its refusals map to 401, 403, 404,
// 409, 503; a stranger over its address's budget gets 429; the takeover
// rule may refuse the newcomer (409 or 429, see takeover); only then is
// the connection upgraded and registered. A refused request is never
// upgraded, so no frame meant for the charger can reach it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := chargerID(r)
	a := attempt{id: id, remote: r.RemoteAddr, ip: ipKey(r.RemoteAddr)}
	if err := charging.ValidChargerID(id); err != nil {
		a.id = ""
		text := charging.ErrorMessage(err)
		if id == "" {
			text += ": connect to /ocpp/{chargerId}"
		}
		g.refuse(w, a, refusal{status: http.StatusBadRequest, reason: RefusedInvalidID,
			event: charging.SecUnknownCharger, text: text,
			techInfo: "invalid charger id " + quoteShort(id)})
		return
	}
	if g.draining() {
		g.refuse(w, a, refusal{status: http.StatusServiceUnavailable, reason: RefusedShutdown,
			text: "shutting down", retryAfter: 5 * time.Second})
		return
	}
	if rf := g.overloaded(id); rf != nil {
		g.refuse(w, a, *rf)
		return
	}
	if ok, wait := g.failedAuth.check(a.ip); !ok {
		g.refuse(w, a, refusal{status: http.StatusTooManyRequests, reason: RefusedAuthRateLimited,
			event: charging.SecFailedAuth, text: "too many failed authentications from this address",
			techInfo: "refused before authentication: too many failures from this address", retryAfter: wait})
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		g.refuse(w, a, refusal{status: http.StatusBadRequest, reason: RefusedNotWebSocket,
			text: "not a WebSocket upgrade request"})
		return
	}
	adm, rf := g.admit(r, a)
	if rf != nil {
		g.refuse(w, a, *rf)
		return
	}

	offers := websocket.Subprotocols(r)
	proto, ok := g.negotiateFor(r.Context(), id, offers, adm)
	if !ok {
		g.refuseSubprotocol(w, r, a, offers)
		return
	}

	var strangerKey string
	if !adm.Trusted {
		if !g.reserveStranger(a.ip) {
			g.refuse(w, a, refusal{status: http.StatusTooManyRequests, reason: RefusedStrangerBudget,
				event: charging.SecStrangerBudget, text: "too many unregistered chargers connecting from this address",
				techInfo:   fmt.Sprintf("more than %d unbooted connections from this address", g.opts.MaxStrangersPerIP),
				retryAfter: g.strangerRetryAfter()})
			return
		}
		strangerKey = a.ip
	}
	unreserve := func() {
		if strangerKey != "" {
			g.mu.Lock()
			g.uncountStranger(strangerKey)
			g.mu.Unlock()
		}
	}

	// From here until register, the takeover's claim on the id keeps other
	// newcomers for it out (409), so the decision holds when we register.
	old, replaced, rf := g.takeover(r.Context(), a, adm)
	if rf != nil {
		unreserve()
		g.refuse(w, a, *rf)
		return
	}

	hdr := http.Header{}
	hdr.Set("Sec-WebSocket-Protocol", proto.Subprotocol)
	ws, err := g.upgrader.Upgrade(w, r, hdr)
	if err != nil {
		g.unclaim(id)
		unreserve()
		g.refusalLogger(a.ip).Warn("websocket upgrade failed", "charger", id, "remote", a.remote, "err", err)
		return
	}
	c := &conn{profile: adm.Profile, trusted: adm.Trusted, remote: a.remote, strangerKey: strangerKey}
	log := g.sampledConnLogger(id, proto.Subprotocol, &c.quota)
	maxFrame := g.opts.MaxFrameBytes
	if !adm.Trusted {
		maxFrame = g.opts.StrangerMaxFrameBytes
	}
	c.rpc = ocppj.NewConn(ws, ocppj.Options{
		Dialect: proto.Dialect,
		Handler: func(ctx context.Context, action string, payload json.RawMessage) (any, error) {
			resp, err := handleOffloaded(ctx, c.station, action, payload)
			if !c.trusted && action == "BootNotification" {
				g.bootAnswered(id, c)
			}
			return resp, err
		},
		CallTimeout:   g.opts.CallTimeout,
		PingInterval:  g.opts.PingInterval,
		MaxFrameBytes: maxFrame,
		Observer:      g.opts.Observer,
		Logger:        log,
	})
	c.station = proto.NewStation(id, c.rpc, g.events, log)

	// What register displaces is what the takeover decided about (the claim
	// kept other newcomers out), unless it ended meanwhile: then nothing.
	old, ok = g.register(id, c)
	g.unclaim(id)
	if !ok { // Shutdown began after the check above
		unreserve()
		_ = c.rpc.Close(websocket.CloseGoingAway, "")
		return
	}
	if !adm.Trusted {
		g.armBootDeadline(id, c)
	}
	lifecycle := g.connLogger(id, proto.Subprotocol)
	if err := g.events.Connected(g.ctx, id, proto.Subprotocol); err != nil {
		lifecycle.Error("record connection", "err", err)
		g.unregister(id, c)
		g.endStranger(c)
		_ = c.rpc.Close(websocket.CloseInternalServerErr, "internal error")
		if old != nil {
			old.closeReplaced()
		}
		g.wg.Done()
		return
	}
	lifecycle.Info("charger connected", "remote", a.remote, "profile", adm.Profile, "trusted", adm.Trusted)
	// Serve on a goroutine of our own and return: net/http's goroutine
	// holds the request, its 4 KiB read and write buffers and a stack grown
	// by the upgrade and Connected, for as long as ServeHTTP runs; the
	// connection lives for days (see offload.go).
	go g.serve(id, c, lifecycle)
	if old != nil {
		// After the newcomer is served: closing may wait on a dead peer's
		// full send buffer (up to the write timeout).
		g.replaced(id, a, old, replaced)
	}
}

// serve runs a registered connection until it ends.
func (g *Gateway) serve(id string, c *conn, log *slog.Logger) {
	defer g.wg.Done()
	err := c.rpc.Serve(g.ctx)
	g.endStranger(c)
	if g.unregister(id, c) {
		// Only the current connection's end makes the charger offline.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(g.ctx), 5*time.Second)
		if derr := g.events.Disconnected(ctx, id); derr != nil {
			log.Error("record disconnection", "err", derr)
		}
		cancel()
	}
	if n := c.quota.flush(); n > 0 {
		log.Info("charger disconnected", "err", err, "log_suppressed", n)
		return
	}
	log.Info("charger disconnected", "err", err)
}

// chargerID returns the charger id a request names: the {chargerId} path
// value when the Gateway is mounted at /ocpp/{chargerId}, else (mounted at
// /ocpp/) the last segment of the escaped path, unescaped. Cutting the
// escaped path, not r.URL.Path, keeps an escaped '/' inside the id, as the
// pattern does: "/ocpp/a%2Fb" names "a/b" (which ValidChargerID refuses),
// not "b". A segment that does not unescape names "" (refused).
func chargerID(r *http.Request) string {
	if id := r.PathValue("chargerId"); id != "" {
		return id
	}
	p := r.URL.EscapedPath()
	id, err := url.PathUnescape(p[strings.LastIndexByte(p, '/')+1:])
	if err != nil {
		return ""
	}
	return id
}

// register makes c the charger's connection, counts it in g.wg (Serve's
// goroutine will be its owner) and returns the one it replaces. ok is false
// once Shutdown has begun: a WaitGroup must not gain its first count while
// Wait runs.
func (g *Gateway) register(id string, c *conn) (old *conn, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false
	}
	g.wg.Add(1)
	old = g.conns[id]
	g.conns[id] = c
	if old != nil && old.rpc == nil {
		g.soap--
	}
	return old, true
}

// unregister removes c if it is still the charger's current connection: a
// replaced connection's late end never touches its successor.
func (g *Gateway) unregister(id string, c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conns[id] != c {
		return false
	}
	delete(g.conns, id)
	return true
}

func (g *Gateway) lookup(id string) (*conn, error) {
	g.mu.Lock()
	c := g.conns[id]
	g.mu.Unlock()
	if c == nil {
		return nil, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", id)
	}
	return c, nil
}

// Disconnect closes the charger's connection with 1008 (policy violation)
// and reason, e.g. when an operator deletes or rejects it. It reports
// whether the charger was connected to this node. A SOAP charger's entry
// is detached instead (soap.go).
func (g *Gateway) Disconnect(chargerID, reason string) bool {
	c, err := g.lookup(chargerID)
	if err != nil {
		return false
	}
	if c.rpc == nil {
		return g.disconnectSOAP(chargerID, reason)
	}
	g.connLogger(chargerID, c.subprotocol()).Info("disconnecting charger", "reason", reason)
	g.observeClosed(ClosedOperator)
	_ = c.rpc.Close(websocket.ClosePolicyViolation, reason)
	return true
}

// ConnectionInfo returns the security profile the charger's connection
// proved; ok is false when it is not connected to this node, and for a
// SOAP charger, which has no connection (each message is admitted alone).
func (g *Gateway) ConnectionInfo(chargerID string) (profile int, ok bool) {
	c, err := g.lookup(chargerID)
	if err != nil || c.rpc == nil {
		return 0, false
	}
	return c.profile, true
}

// Strangers returns the number of stranger connections not yet Accepted.
func (g *Gateway) Strangers() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, k := range g.strangers {
		n += k
	}
	return n
}

// Count returns the number of connected chargers, SOAP chargers attached
// (online, heard by this node) included.
func (g *Gateway) Count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Shutdown drains the gateway: new connections are refused (503), every
// charger's connection answers the CALL it is handling, if any, then gets
// a close frame (1001, going away) so the charger reconnects, possibly to
// another node; Shutdown waits for them to end. When ctx ends first, what
// is left is closed at once and Shutdown returns ctx's error.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	conns := make([]*conn, 0, len(g.conns))
	for id, c := range g.conns {
		if c.rpc == nil {
			// A SOAP charger has no connection to drain; no more
			// commands go to it from here. It stays online: its next
			// message reaches whichever node serves it.
			delete(g.conns, id)
			continue
		}
		conns = append(conns, c)
	}
	g.soap = 0
	g.mu.Unlock()
	var drained sync.WaitGroup
	for _, c := range conns {
		drained.Add(1)
		go func() {
			defer drained.Done()
			_ = c.rpc.GoAway(ctx)
		}()
	}
	drained.Wait()
	g.cancel() // connections that came between (register refuses them now) and the boot deadlines
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// overloaded refuses an upgrade the node should not take now: over
// MaxChargers (unless the charger is connected already and replaces its
// own connection) or over the upgrade rate. The Retry-After is spread over
// a window that grows with the overload, so refused chargers return in a
// trickle rather than together.
func (g *Gateway) overloaded(id string) *refusal {
	if max := g.opts.MaxChargers; max > 0 {
		g.mu.Lock()
		_, known := g.conns[id]
		n := len(g.conns) - g.soap // a SOAP charger holds no connection
		g.mu.Unlock()
		if n >= max && !known {
			return &refusal{status: http.StatusServiceUnavailable, reason: RefusedOverloaded,
				text:       fmt.Sprintf("this node serves its maximum of %d chargers; try again later (or another node)", max),
				retryAfter: spread(30*time.Second, 60*time.Second)}
		}
	}
	if ok, wait := g.upgrades.take(""); !ok {
		return &refusal{status: http.StatusServiceUnavailable, reason: RefusedOverloaded,
			text:       "too many chargers connecting at once; try again later",
			retryAfter: wait + spread(time.Second, 30*time.Second)}
	}
	return nil
}

// spread returns a random duration in [lo, hi).
func spread(lo, hi time.Duration) time.Duration {
	return lo + rand.N(hi-lo)
}

// draining reports whether Shutdown has begun.
func (g *Gateway) draining() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Connected reports whether the charger is connected to this node.
func (g *Gateway) Connected(chargerID string) bool {
	_, err := g.lookup(chargerID)
	return err == nil
}

// RemoteStart implements charging.Commander.
func (g *Gateway) RemoteStart(ctx context.Context, chargerID string, r charging.RemoteStart) (charging.CommandStatus, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return "", err
	}
	return c.station.RemoteStart(ctx, r)
}

// RemoteStop implements charging.Commander.
func (g *Gateway) RemoteStop(ctx context.Context, chargerID, transactionID string) (charging.CommandStatus, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return "", err
	}
	return c.station.RemoteStop(ctx, transactionID)
}

// transactionStatuser is a Station that can ask about one transaction
// (2.0.1).
type transactionStatuser interface {
	TransactionStatus(ctx context.Context, transactionID string) (charging.TransactionStatus, error)
}

var _ charging.TransactionStatusAsker = (*Gateway)(nil)

// TransactionStatus implements charging.TransactionStatusAsker.
func (g *Gateway) TransactionStatus(ctx context.Context, chargerID, transactionID string) (charging.TransactionStatus, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return charging.TransactionStatus{}, err
	}
	ts, ok := c.station.(transactionStatuser)
	if !ok {
		return charging.TransactionStatus{}, charging.Errorf(charging.EINVALID, "charger %s's OCPP version has no GetTransactionStatus", chargerID)
	}
	return ts.TransactionStatus(ctx, transactionID)
}

// Command implements charging.Commander.
func (g *Gateway) Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return charging.CommandResult{}, err
	}
	return c.station.Command(ctx, action, payload)
}
