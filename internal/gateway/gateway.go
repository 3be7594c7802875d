package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
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
	// (its stored override), or "" to let it choose; see negotiate.go.
	VersionPolicy VersionPolicy
}

// Gateway serves chargers. Build it with New, mount it at /ocpp/.
type Gateway struct {
	events    charging.StationEvents
	protocols []Protocol
	opts      Options
	log       *slog.Logger
	upgrader  websocket.Upgrader

	ctx    context.Context // cancelled by Shutdown: every connection closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per served connection

	mu    sync.Mutex
	conns map[string]*conn // by charger id; guarded by mu
}

type conn struct {
	rpc     *ocppj.Conn
	station Station
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
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		events: events, protocols: protocols, opts: opts, log: opts.Logger,
		ctx: ctx, cancel: cancel, conns: map[string]*conn{},
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
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("chargerId")
	if id == "" {
		id = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	}
	if err := validChargerID(id); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if g.ctx.Err() != nil {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	log := g.connLogger(id, "")
	proto, ok := g.negotiateFor(r.Context(), id, websocket.Subprotocols(r))
	hdr := http.Header{}
	if ok {
		hdr.Set("Sec-WebSocket-Protocol", proto.Subprotocol)
	}
	ws, err := g.upgrader.Upgrade(w, r, hdr)
	if err != nil {
		log.Warn("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !ok {
		// OCPP-J: complete the handshake without a subprotocol, then close.
		log.Warn("charger offered no supported OCPP version", "offered", websocket.Subprotocols(r))
		msg := websocket.FormatCloseMessage(websocket.CloseProtocolError, "no supported OCPP subprotocol offered")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	log = g.connLogger(id, proto.Subprotocol)
	c := &conn{}
	c.rpc = ocppj.NewConn(ws, ocppj.Options{
		Dialect: proto.Dialect,
		Handler: func(ctx context.Context, action string, payload json.RawMessage) (any, error) {
			return handleOffloaded(ctx, c.station, action, payload)
		},
		CallTimeout:   g.opts.CallTimeout,
		PingInterval:  g.opts.PingInterval,
		MaxFrameBytes: g.opts.MaxFrameBytes,
		Observer:      g.opts.Observer,
		Logger:        log,
	})
	c.station = proto.NewStation(id, c.rpc, g.events, log)

	g.wg.Add(1)
	old := g.register(id, c)
	if old != nil {
		log.Info("new connection replaces the previous one")
		_ = old.rpc.Close(websocket.ClosePolicyViolation, "replaced by a newer connection")
	}
	if err := g.events.Connected(g.ctx, id, proto.Subprotocol); err != nil {
		log.Error("record connection", "err", err)
		g.unregister(id, c)
		_ = c.rpc.Close(websocket.CloseInternalServerErr, "internal error")
		g.wg.Done()
		return
	}
	log.Info("charger connected", "remote", r.RemoteAddr)
	// Serve on a goroutine of our own and return: net/http's goroutine
	// holds the request, its 4 KiB read and write buffers and a stack grown
	// by the upgrade and Connected, for as long as ServeHTTP runs; the
	// connection lives for days (see offload.go).
	go g.serve(id, c, log)
}

// serve runs a registered connection until it ends.
func (g *Gateway) serve(id string, c *conn, log *slog.Logger) {
	defer g.wg.Done()
	err := c.rpc.Serve(g.ctx)
	if g.unregister(id, c) {
		// Only the current connection's end makes the charger offline.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(g.ctx), 5*time.Second)
		if derr := g.events.Disconnected(ctx, id); derr != nil {
			log.Error("record disconnection", "err", derr)
		}
		cancel()
	}
	log.Info("charger disconnected", "err", err)
}

// validChargerID applies OCPP's identity rules: non-empty, at most 48
// characters, no ':' (it separates the identity in basic auth).
func validChargerID(id string) error {
	switch {
	case id == "":
		return errors.New("missing charger id: connect to /ocpp/{chargerId}")
	case len(id) > 48:
		return errors.New("charger id longer than 48 characters")
	case strings.ContainsAny(id, ":/ "):
		return errors.New("charger id must not contain ':', '/' or spaces")
	}
	return nil
}

func (g *Gateway) register(id string, c *conn) (old *conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old = g.conns[id]
	g.conns[id] = c
	return old
}

// unregister removes c if it is still the charger's current connection.
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

// Count returns the number of connected chargers.
func (g *Gateway) Count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Shutdown closes every charger connection with a close frame (going away),
// so chargers reconnect, possibly to another node, and waits for them to end.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.cancel()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

// Command implements charging.Commander.
func (g *Gateway) Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return charging.CommandResult{}, err
	}
	return c.station.Command(ctx, action, payload)
}
