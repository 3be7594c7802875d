package ocppj

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Handler answers an inbound CALL.
//
// The returned response is JSON-encoded as the CALLRESULT payload; a
// json.RawMessage or []byte is sent as is, and nil (or a nil pointer) is
// sent as {}. An error that is (errors.As) a *Error answers a CALLERROR with
// its code, description and details; any other error answers InternalError
// with a generic description, and the real error is logged.
//
// payload points into the buffer the frame was read into, which is reused
// for other frames once the Handler returned (and its answer was written):
// a Handler that keeps payload, or a part of it, beyond its return must
// copy it. The response may alias payload.
//
// A Handler runs on the connection's read goroutine, so frames from that
// peer are handled one at a time and in order; it should answer quickly. It
// MUST NOT call Call on the same connection synchronously: the answer to
// that CALL would be read by the goroutine that is blocked in the Handler,
// so the Call could only time out. Start such follow-up calls from another
// goroutine (which the caller owns).
type Handler func(ctx context.Context, action string, payload json.RawMessage) (any, error)

// Options configure a Conn. The zero value is usable.
type Options struct {
	Dialect Dialect // CALLERROR spelling
	Handler Handler // nil: every CALL answers NotImplemented

	// CallTimeout bounds each outbound Call from the moment it is sent;
	// default 30s. A timeout frees the in-flight slot; a late answer is
	// dropped with a log line. A Call whose ctx ends first returns at
	// once, but its CALL keeps the slot until the peer answers it, this
	// timeout passes or the connection ends (see Call).
	CallTimeout time.Duration
	// PingInterval, when > 0, sends a WebSocket ping every interval and
	// closes the connection when nothing (a pong or any other frame) was
	// read for 2*PingInterval. Default 0: no pings (clients).
	PingInterval time.Duration
	// WriteTimeout bounds each frame write; default 10s.
	WriteTimeout time.Duration
	// MaxFrameBytes is the largest frame read; a larger one closes the
	// connection with 1009 (message too big). Default 65536. It can be
	// changed on a live connection with SetMaxFrameBytes.
	MaxFrameBytes int64
	// Logger receives frame and peer-misbehaviour logs; default: discard.
	Logger *slog.Logger
	// Observer, when set, is told the outcome and duration of every
	// inbound CALL (the Handler's time) and outbound Call (until the answer).
	Observer Observer
}

const (
	defaultCallTimeout   = 30 * time.Second
	defaultWriteTimeout  = 10 * time.Second
	defaultMaxFrameBytes = 65536

	// closeWait is how long Close and a cancelled Serve wait for the peer's
	// answering close frame before dropping the TCP connection (RFC 6455
	// §7.1.1: the server should close TCP after the closing handshake).
	closeWait = 2 * time.Second

	// maxDescription is the longest errorDescription sent (OCPP 2.0.1 Part 4
	// §4.3: string[0..255]).
	maxDescription = 255

	// frameBufSize is the capacity of a new frame buffer; most OCPP frames
	// fit in it.
	frameBufSize = 4 << 10
	// maxPooledBuf is the capacity beyond which a buffer grown by a large
	// frame is dropped rather than pooled: large frames are rare, and the
	// pool must not hoard their buffers.
	maxPooledBuf = 32 << 10
)

// frameBufs holds the buffers frames are read into and written from. They
// are shared by all connections: one is taken per frame and put back once
// the frame is handled, so an idle connection holds none. Pointers are
// pooled, so that Put does not allocate.
var frameBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, frameBufSize)
	return &b
}}

// getBuf takes an empty buffer from frameBufs.
func getBuf() *[]byte { return frameBufs.Get().(*[]byte) }

// putBuf returns a buffer to frameBufs; nothing may use it afterwards.
func putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	frameBufs.Put(b)
}

// Conn is one OCPP-J connection. Serve must run for inbound frames to be
// read (including the answers to Call); all methods are safe for concurrent
// use.
type Conn struct {
	ws       *websocket.Conn
	opts     Options
	log      *slog.Logger
	idPrefix string        // random per connection, so ids are unique across reconnects
	idSeq    atomic.Uint64 // message id counter
	done     chan struct{} // closed when the connection has ended
	start    time.Time     // when NewConn ran; alive counts from it (monotonic)

	maxFrame atomic.Int64 // the read limit; the read goroutine applies it before each read
	alive    atomic.Int64 // time.Since(start) when a Probe was last answered; -1 before
	probing  atomic.Bool  // probe is non-nil: touch must take mu to wake the probers
	handling atomic.Bool  // the read goroutine is in the Handler (it reads no pong meanwhile)

	// Lock order: wmu before mu; never take wmu while holding mu.

	// wmu serializes frame writes (gorilla allows one concurrent writer)
	// including pings and the close frame, so no data frame follows ours.
	wmu sync.Mutex

	// hmu is held while an inbound CALL is handled and answered; GoAway
	// takes it to let that answer out before its close frame.
	hmu sync.Mutex

	mu      sync.Mutex
	serving bool            // Serve has started; guarded by mu
	closing bool            // we sent (or are sending) a close frame; written with wmu and mu held, read with either
	ended   bool            // the connection has ended and done is closed; guarded by mu
	busy    bool            // an outbound CALL holds the in-flight slot; guarded by mu
	waiters []chan struct{} // Calls waiting for the slot, FIFO; guarded by mu
	pending *pendingCall    // the CALL in flight, nil if none; guarded by mu

	probe chan struct{} // closed by the next frame read, for Probe; guarded by mu

	pingTimer   *time.Timer    // written once by Serve under mu
	pingStopped bool           // guarded by mu
	pingWG      sync.WaitGroup // one count per armed or running ping callback
}

type pendingCall struct {
	id, action string
	ch         chan callResult // buffered 1; receives exactly one result

	// abandoned: the caller gave up (its ctx ended) before the answer; the
	// call still holds the in-flight slot, and whoever ends it (deliver,
	// expire or finish) releases the slot. Guarded by mu.
	abandoned bool
	expiry    *time.Timer // set with abandoned: runs expire at the call's timeout
}

type callResult struct {
	payload json.RawMessage
	err     error
}

// Observer receives call outcomes, for metrics. direction is "inbound" or
// "outbound"; result is "ok", a canonical CALLERROR code, "timeout",
// "closed" or "canceled". It must be safe for concurrent use and fast.
type Observer interface {
	ObserveCall(direction, action, result string, d time.Duration)
}

// NewConn wraps an established WebSocket connection (server or client side).
// Run Serve to start reading.
func NewConn(ws *websocket.Conn, opts Options) *Conn {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = defaultCallTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = defaultWriteTimeout
	}
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = defaultMaxFrameBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ws.SetReadLimit(opts.MaxFrameBytes)
	var p [6]byte
	rand.Read(p[:]) // never fails (crypto/rand, Go 1.24+)
	c := &Conn{
		ws:       ws,
		opts:     opts,
		log:      opts.Logger,
		idPrefix: hex.EncodeToString(p[:]) + "-",
		done:     make(chan struct{}),
		start:    time.Now(),
	}
	c.maxFrame.Store(opts.MaxFrameBytes)
	c.alive.Store(-1)
	return c
}

// SetMaxFrameBytes changes the largest frame read (n <= 0: the default,
// 65536). It is safe to call from any goroutine, a Handler included; the
// new limit applies from the next frame whose reading has not yet begun
// (called from a Handler: the peer's next frame). The gateway keeps the
// limit small for a charger it does not yet trust and lifts it once the
// charger is accepted.
func (c *Conn) SetMaxFrameBytes(n int64) {
	if n <= 0 {
		n = defaultMaxFrameBytes
	}
	c.maxFrame.Store(n)
}

// MaxFrameBytes returns the current frame limit.
func (c *Conn) MaxFrameBytes() int64 { return c.maxFrame.Load() }

// Dial opens a client connection to url (ws:// or wss://), offering
// subprotocols in order. When subprotocols were offered and the server
// selected none of them, Dial fails with an error wrapping ErrNoSubprotocol.
// header carries e.g. Basic auth (security profiles 1 and 2). The returned
// Conn is not yet served: run Serve.
func Dial(ctx context.Context, url string, subprotocols []string, header http.Header, opts Options) (*Conn, *http.Response, error) {
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 30 * time.Second,
		Subprotocols:     subprotocols,
	}
	return DialWith(ctx, &d, url, header, opts)
}

// DialWith is Dial with a caller-configured dialer, e.g. with a TLS client
// certificate (security profile 3). The offered subprotocols are
// d.Subprotocols.
func DialWith(ctx context.Context, d *websocket.Dialer, url string, header http.Header, opts Options) (*Conn, *http.Response, error) {
	ws, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		return nil, resp, fmt.Errorf("ocppj: dial %s: %w", url, err)
	}
	if len(d.Subprotocols) > 0 && !slices.Contains(d.Subprotocols, ws.Subprotocol()) {
		ws.Close()
		return nil, resp, fmt.Errorf("%w (offered %q, selected %q)", ErrNoSubprotocol, d.Subprotocols, ws.Subprotocol())
	}
	return NewConn(ws, opts), resp, nil
}

// Subprotocol returns the negotiated WebSocket subprotocol, e.g. "ocpp1.6".
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() string { return c.ws.RemoteAddr().String() }

// Done returns a channel that is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Serve reads and handles frames until ctx is cancelled, the peer goes away
// or Close is called. Inbound CALLs run the Handler with ctx on this
// goroutine. When ctx is cancelled Serve first sends a close frame (1001,
// going away).
//
// Serve returns nil when the connection closed normally: we closed it (Close
// or ctx), or the peer sent a close frame with 1000 or 1001. It returns an
// error when the peer vanished, stopped answering pings or sent a frame
// larger than MaxFrameBytes, and ErrClosed when called on a closed or
// already served Conn. Serve owns every goroutine it starts (a ping timer
// callback and a context watcher) and returns only after they have exited.
func (c *Conn) Serve(ctx context.Context) error {
	c.mu.Lock()
	if c.serving || c.closing || c.ended {
		c.mu.Unlock()
		return ErrClosed
	}
	c.serving = true
	c.mu.Unlock()

	// Pongs and the peer's pings count as signs of life, for the ping
	// deadline and for Probe.
	c.ws.SetPongHandler(func(string) error { c.touch(); return nil })
	answer := c.ws.PingHandler()
	c.ws.SetPingHandler(func(data string) error { c.touch(); return answer(data) })
	if c.opts.PingInterval > 0 {
		c.armReadDeadline()
		c.pingWG.Add(1)
		c.mu.Lock() // the callback reads pingTimer under mu and may fire at once
		c.pingTimer = time.AfterFunc(c.opts.PingInterval, c.ping)
		c.mu.Unlock()
	}

	stopped := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		defer close(stopped)
		c.Close(websocket.CloseGoingAway, "")
	})

	err := c.readLoop(ctx)

	c.ws.Close()
	c.finish()
	if !stopWatch() {
		<-stopped
	}
	c.stopPinger()
	return err
}

func (c *Conn) readLoop(ctx context.Context) error {
	limit := c.opts.MaxFrameBytes // applied by NewConn
	for {
		// gorilla's read limit is a plain field read by this goroutine, so
		// SetMaxFrameBytes only stores the wish and it is applied here.
		if n := c.maxFrame.Load(); n != limit {
			limit = n
			c.ws.SetReadLimit(n)
		}
		typ, buf, err := c.readFrame()
		if err != nil {
			return c.readError(err)
		}
		c.touch()
		if typ == websocket.TextMessage {
			c.handle(ctx, *buf)
		} else {
			c.log.Warn("dropping non-text frame", "bytes", len(*buf))
		}
		putBuf(buf)
	}
}

// readFrame reads the next data frame (message) whole into a buffer from
// frameBufs, which the caller puts back. Like ReadMessage it is bounded by
// the read limit: gorilla fails a larger frame with ErrReadLimit and closes
// the connection with 1009 (message too big).
func (c *Conn) readFrame() (typ int, buf *[]byte, err error) {
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return 0, nil, err
	}
	buf = getBuf()
	b := *buf
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, 1)
		}
		var n int
		n, err = r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	*buf = b
	if err != io.EOF {
		putBuf(buf)
		return 0, nil, err
	}
	return typ, buf, nil
}

// readError classifies the error that ended the read loop.
func (c *Conn) readError(err error) error {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	switch {
	case closing:
		return nil // we closed: the peer's close frame, our deadline or a dropped TCP connection
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		return nil
	case errors.Is(err, websocket.ErrReadLimit):
		return fmt.Errorf("ocppj: frame larger than %d bytes: %w", c.maxFrame.Load(), err)
	case c.opts.PingInterval > 0 && isTimeout(err):
		return fmt.Errorf("ocppj: peer silent for %v: %w", 2*c.opts.PingInterval, err)
	}
	return fmt.Errorf("ocppj: read: %w", err)
}

// isTimeout reports a read deadline expiry (gorilla rewraps it as its own
// net.Error, hiding os.ErrDeadlineExceeded).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// touch records that something (a frame, a pong, a ping) was read: it wakes
// Probes and pushes the read deadline out, unless we are closing (then
// Close's short deadline stands).
func (c *Conn) touch() {
	if c.opts.PingInterval <= 0 && !c.probing.Load() {
		return
	}
	c.mu.Lock()
	if c.probe != nil {
		c.alive.Store(int64(time.Since(c.start)))
		close(c.probe)
		c.probe = nil
		c.probing.Store(false)
	}
	if c.opts.PingInterval > 0 && !c.closing {
		c.ws.SetReadDeadline(time.Now().Add(2 * c.opts.PingInterval))
	}
	c.mu.Unlock()
}

// armReadDeadline sets the first ping deadline, when Serve starts.
func (c *Conn) armReadDeadline() {
	c.mu.Lock()
	if !c.closing {
		c.ws.SetReadDeadline(time.Now().Add(2 * c.opts.PingInterval))
	}
	c.mu.Unlock()
}

// Probe reports whether the peer is still there: it sends a WebSocket ping
// and waits up to window for anything (the pong or any other frame) to be
// read. A connection busy in its Handler when the window ends counts as
// alive (its reader reads no pong meanwhile, and it just got a CALL); one
// that has ended or is closing does not, nor one whose peer closed it
// meanwhile (the reader sees that at once). If ctx ends first, Probe
// returns true: not knowing is not evidence of death.
//
// Concurrent Probes share one ping, and a Probe answered less than window
// ago answers the next ones at once, so a flood of Probes costs the peer
// few pings. A frame read without a Probe does not count: a peer that just
// sent a frame and then closed or lost its connection must be found out.
// Serve must be running for the answer to be read.
//
// The gateway uses it to tell a live charger from a half-open connection
// before letting a newcomer take its place.
func (c *Conn) Probe(ctx context.Context, window time.Duration) bool {
	if last := c.alive.Load(); last >= 0 && time.Since(c.start)-time.Duration(last) < window {
		return true
	}
	c.mu.Lock()
	if c.closing || c.ended {
		c.mu.Unlock()
		return false
	}
	// Again under mu: a pong that answered another probe while this one
	// waited for mu has just been recorded (alive is set under mu before
	// the probe is cleared), and it answers this probe too.
	if last := c.alive.Load(); last >= 0 && time.Since(c.start)-time.Duration(last) < window {
		c.mu.Unlock()
		return true
	}
	ch, first := c.probe, c.probe == nil
	if first {
		ch = make(chan struct{})
		c.probe = ch
		c.probing.Store(true)
	}
	c.mu.Unlock()
	if first {
		// Not under wmu: gorilla lets WriteControl run concurrently with a
		// data write and honours its deadline while waiting for one, so a
		// writer stuck on a peer that stopped reading cannot stall the probe.
		if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(window)); err != nil {
			c.log.Debug("probe ping failed", "err", err)
			c.mu.Lock()
			if c.probe == ch { // the next Probe tries its own ping
				c.probe = nil
				c.probing.Store(false)
			}
			c.mu.Unlock()
			return false
		}
	}
	t := time.NewTimer(window)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-c.done:
		return false
	case <-ctx.Done():
		return true
	case <-t.C:
		return c.handling.Load()
	}
}

// ping is the ping timer's callback; it re-arms the timer until stopPinger.
func (c *Conn) ping() {
	defer c.pingWG.Done()
	c.wmu.Lock()
	closing := c.closing
	var err error
	if !closing {
		err = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.opts.WriteTimeout))
	}
	c.wmu.Unlock()
	if closing {
		return
	}
	if err != nil {
		c.log.Debug("ping failed", "err", err)
		c.ws.Close() // the connection cannot be written: end Serve's read
		return
	}
	c.mu.Lock()
	if !c.pingStopped {
		c.pingWG.Add(1)
		c.pingTimer.Reset(c.opts.PingInterval)
	}
	c.mu.Unlock()
}

func (c *Conn) stopPinger() {
	if c.pingTimer == nil {
		return
	}
	c.mu.Lock()
	c.pingStopped = true
	if c.pingTimer.Stop() {
		c.pingWG.Done() // the armed callback will not run
	}
	c.mu.Unlock()
	c.pingWG.Wait()
}

// finish marks the connection ended: waiting and in-flight Calls return
// ErrClosed, and an abandoned call gives up the slot.
func (c *Conn) finish() {
	c.mu.Lock()
	if !c.ended {
		c.ended = true
		if p := c.pending; p != nil && p.abandoned {
			p.expiry.Stop()
			c.releaseLocked()
		}
		c.pending = nil
		close(c.done)
	}
	c.mu.Unlock()
}

// Close sends a close frame with code and reason (truncated to fit a control
// frame) and ends Serve: Serve returns once the peer answers the close or
// after a short wait. Close does not wait for Serve to return (it may be
// called from a Handler); use Done. Closing a Conn that is not being served
// drops the connection at once. Close on a closed Conn returns ErrClosed.
func (c *Conn) Close(code int, reason string) error {
	c.wmu.Lock()
	c.mu.Lock()
	if c.closing || c.ended {
		c.mu.Unlock()
		c.wmu.Unlock()
		return ErrClosed
	}
	c.closing = true
	serving := c.serving
	c.mu.Unlock()
	err := c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(code, truncate(strings.ToValidUTF8(reason, "\uFFFD"), 123)),
		time.Now().Add(c.opts.WriteTimeout))
	c.wmu.Unlock()

	if !serving {
		c.ws.Close()
		c.finish()
		return err
	}
	wait := closeWait
	if err != nil {
		wait = 0
	}
	c.mu.Lock()
	c.ws.SetReadDeadline(time.Now().Add(wait))
	c.mu.Unlock()
	return err
}

// GoAway ends the connection gracefully (a node draining): it waits for
// the inbound CALL being handled, if any, to be answered, then sends a
// close frame (1001, going away) as Close does. A CALL read after that
// frame is not handled: nothing may follow a close frame, and the charger
// sends it again when it reconnects. If ctx ends first, GoAway closes at
// once (that CALL's answer is lost) and returns ctx's error. Serve's ctx
// must stay alive while GoAway waits: the Handler runs with it.
func (c *Conn) GoAway(ctx context.Context) error {
	locked := make(chan struct{})
	go func() { c.hmu.Lock(); close(locked) }()
	select {
	case <-locked:
		err := c.Close(websocket.CloseGoingAway, "")
		c.hmu.Unlock()
		if errors.Is(err, ErrClosed) {
			return nil // it had ended, or was closing, already
		}
		return err
	case <-ctx.Done():
		_ = c.Close(websocket.CloseGoingAway, "")
		go func() { <-locked; c.hmu.Unlock() }()
		return ctx.Err()
	}
}

// isClosing reports whether a close frame was sent (or the connection ended).
func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing || c.ended
}

// Call sends a CALL and waits for its CALLRESULT payload.
//
// At most one outbound CALL is in flight per connection (OCPP-J 1.6 §4.1.1,
// 2.0.1 Part 4 §4.1.1); other Calls wait for the slot in FIFO order, giving
// up when ctx is done. Once sent, a Call is bounded by CallTimeout
// (ErrTimeout) and by ctx. When ctx ends first, Call returns ctx's error at
// once but the CALL, which the peer may still be working on, keeps the slot
// until its answer arrives (and is dropped, logged at debug level), its
// CallTimeout passes or the connection ends: the next Call's CALL is not
// sent while it is unanswered. A CALLERROR answer is returned as a *Error whose
// Code is parsed through the Dialect. If the connection ends, Call returns
// ErrClosed (wrapped when a write failed). payload is any JSON-marshalable
// value; a json.RawMessage or []byte is sent as is and nil as {}.
func (c *Conn) Call(ctx context.Context, action string, payload any) (json.RawMessage, error) {
	if c.opts.Observer == nil {
		return c.call(ctx, action, payload)
	}
	start := time.Now()
	raw, err := c.call(ctx, action, payload)
	c.opts.Observer.ObserveCall("outbound", action, resultOf(err), time.Since(start))
	return raw, err
}

// resultOf names a call's outcome for an Observer: "ok", the canonical
// CALLERROR code, "timeout", "closed" or "canceled".
func resultOf(err error) string {
	var e *Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &e):
		return string(e.Code)
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return string(InternalError)
}

func (c *Conn) call(ctx context.Context, action string, payload any) (json.RawMessage, error) {
	body, err := marshalPayload(payload)
	if err != nil {
		return nil, fmt.Errorf("ocppj: %s: encode payload: %w", action, err)
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}

	// From here every return settles p (frees the slot) or abandons it (the
	// slot stays held until the CALL is answered, times out or the
	// connection ends).
	p := &pendingCall{id: c.newID(), action: action, ch: make(chan callResult, 1)}
	c.mu.Lock()
	if c.ended {
		c.releaseLocked()
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.pending = p
	c.mu.Unlock()

	buf := getBuf()
	*buf = AppendCall(*buf, p.id, action, body)
	err = c.write(*buf)
	putBuf(buf)
	if err != nil {
		c.settle(p)
		return nil, err
	}
	deadline := time.Now().Add(c.opts.CallTimeout)
	t := time.NewTimer(c.opts.CallTimeout)
	defer t.Stop()
	select {
	case r := <-p.ch:
		c.settle(p)
		return r.payload, r.err
	case <-t.C:
		c.settle(p)
		c.log.Warn("call timed out", "action", action, "msg_id", p.id, "err", ErrTimeout)
		return nil, ErrTimeout
	case <-ctx.Done():
		c.abandon(p, deadline)
		return nil, ctx.Err()
	case <-c.done:
		c.settle(p)
		select {
		case r := <-p.ch: // answered just before the end
			return r.payload, r.err
		default:
			return nil, ErrClosed
		}
	}
}

// newID returns a message id unique per connection and across reconnects:
// 12 random hex digits, '-', a counter (at most 33 characters).
func (c *Conn) newID() string {
	return c.idPrefix + strconv.FormatUint(c.idSeq.Add(1), 10)
}

// acquire takes the in-flight slot, waiting in FIFO order.
func (c *Conn) acquire(ctx context.Context) error {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.busy {
		c.busy = true
		c.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	c.waiters = append(c.waiters, ch)
	c.mu.Unlock()

	var err error
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-c.done:
		err = ErrClosed
	}
	c.mu.Lock()
	if i := slices.Index(c.waiters, ch); i >= 0 {
		c.waiters = slices.Delete(c.waiters, i, i+1)
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	c.release() // the slot was handed to us as we gave up: pass it on
	return err
}

// release frees the in-flight slot, handing it to the longest waiter.
func (c *Conn) release() {
	c.mu.Lock()
	c.releaseLocked()
	c.mu.Unlock()
}

// releaseLocked is release with mu held.
func (c *Conn) releaseLocked() {
	if len(c.waiters) > 0 {
		close(c.waiters[0])
		c.waiters[0] = nil
		c.waiters = c.waiters[1:]
		if len(c.waiters) == 0 {
			c.waiters = nil
		}
	} else {
		c.busy = false
	}
}

// settle ends the call p whose caller is returning: p is no longer pending
// and the slot passes on.
func (c *Conn) settle(p *pendingCall) {
	c.mu.Lock()
	if c.pending == p {
		c.pending = nil
	}
	c.releaseLocked()
	c.mu.Unlock()
}

// abandon is settle for a caller that gave up (its ctx ended) while p's
// CALL is unanswered: the peer may still be working on it, and OCPP-J
// allows one unanswered CALL, so p stays pending and keeps the slot until
// its answer arrives (deliver), deadline passes (expire) or the connection
// ends (finish); whichever comes first releases the slot.
func (c *Conn) abandon(p *pendingCall, deadline time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != p { // answered meanwhile, or the connection ended
		c.releaseLocked()
		return
	}
	p.abandoned = true
	p.expiry = time.AfterFunc(time.Until(deadline), func() { c.expire(p) })
}

// expire ends the abandoned call p at its timeout, unless it ended before.
func (c *Conn) expire(p *pendingCall) {
	c.mu.Lock()
	if c.pending != p {
		c.mu.Unlock()
		return
	}
	c.pending = nil
	c.releaseLocked()
	c.mu.Unlock()
	c.log.Warn("call timed out", "action", p.action, "msg_id", p.id, "err", ErrTimeout, "abandoned", true)
}

// deliver hands an answer to the pending call with that id, or drops it.
// r.payload may point into the read buffer: the call gets a copy.
func (c *Conn) deliver(id string, r callResult) {
	c.mu.Lock()
	p := c.pending
	if p == nil || p.id != id {
		c.mu.Unlock()
		c.log.Warn("dropping answer to no pending call (late or unknown id)", "msg_id", id, "err", r.err)
		return
	}
	c.pending = nil
	if p.abandoned {
		p.expiry.Stop()
		c.releaseLocked()
		c.mu.Unlock()
		c.log.Debug("answer to an abandoned call consumed", "action", p.action, "msg_id", id, "err", r.err)
		return
	}
	c.mu.Unlock()
	r.payload = bytes.Clone(r.payload)
	p.ch <- r // buffered, and only one result per call
}

// write sends one text frame; frame is not used after write returns (gorilla
// copies or sends it before WriteMessage returns), so it may be pooled.
//
// A text frame must be valid UTF-8 (RFC 6455 §8.1: a strict peer, a browser
// say, fails the connection with 1007), and gorilla does not check what it
// sends. Strings Joule encodes are made valid by appendString and
// encoding/json, but raw payloads and details (a Handler's json.RawMessage,
// a Call's) are sent as given: their invalid bytes, which in JSON can only
// sit inside strings, become U+FFFD here.
func (c *Conn) write(frame []byte) error {
	if !utf8.Valid(frame) {
		frame = bytes.ToValidUTF8(frame, []byte("\uFFFD"))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing {
		return ErrClosed
	}
	c.ws.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		// gorilla makes write errors sticky: the connection is unusable.
		c.ws.Close()
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return nil
}

// handle processes one inbound text frame on the read goroutine. msg is a
// pooled buffer, reused once handle returns: the frame's strings are
// copies, but its payloads alias msg, so what outlives handle (an answer
// handed to a Call) is copied.
func (c *Conn) handle(ctx context.Context, msg []byte) {
	f, answerTo, perr := ParseFrame(msg)
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.Debug("frame in", "msg_id", f.ID, "action", f.Action, "bytes", len(msg))
	}
	if perr != nil {
		if answerTo != "" {
			c.log.Warn("malformed frame", "msg_id", answerTo, "code", string(perr.Code), "err", perr.Description, "bytes", len(msg))
			c.sendError(answerTo, perr.Code, perr.Description, nil)
			return
		}
		if f.ID != "" && (f.Type == MessageCallResult || f.Type == MessageCallError) {
			c.log.Warn("malformed answer", "msg_id", f.ID, "code", string(perr.Code), "err", perr.Description, "bytes", len(msg))
			c.deliver(f.ID, callResult{err: fmt.Errorf("%w: %s", ErrBadAnswer, perr.Description)})
			return
		}
		c.log.Warn("dropping malformed frame", "code", string(perr.Code), "err", perr.Description, "bytes", len(msg))
		return
	}
	switch f.Type {
	case MessageCall:
		c.dispatch(ctx, f)
	case MessageCallResult:
		c.deliver(f.ID, callResult{payload: f.Payload})
	case MessageCallError:
		c.deliver(f.ID, callResult{err: &Error{
			Code:        c.opts.Dialect.Parse(f.ErrorCode),
			Description: f.ErrorDescription,
			Details:     bytes.Clone(f.ErrorDetails), // nil stays nil: the peer omitted it
		}})
	}
}

// dispatch runs the Handler for an inbound CALL and sends its answer.
func (c *Conn) dispatch(ctx context.Context, f Frame) {
	if c.opts.Handler == nil {
		c.log.Warn("callerror sent", "action", f.Action, "msg_id", f.ID, "code", string(NotImplemented))
		c.sendError(f.ID, NotImplemented, "unknown action "+f.Action+" (no handler)", nil)
		return
	}
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if c.isClosing() {
		// We said goodbye (GoAway, Close): no answer could follow our close
		// frame, so the CALL is not run; the charger sends it again.
		c.log.Debug("call not handled: closing", "action", f.Action, "msg_id", f.ID)
		return
	}
	c.handling.Store(true)
	resp, err := c.runHandler(ctx, f)
	c.handling.Store(false)
	var body []byte
	if err == nil {
		body, err = marshalPayload(resp)
		if err != nil {
			err = fmt.Errorf("encode response: %w", err)
		}
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			c.log.Warn("callerror sent", "action", f.Action, "msg_id", f.ID, "code", string(e.Code), "err", e.Description)
			c.sendError(f.ID, e.Code, e.Description, e.Details)
			return
		}
		c.log.Error("handler failed", "action", f.Action, "msg_id", f.ID, "code", string(InternalError), "err", err)
		c.sendError(f.ID, InternalError, "internal error", nil)
		return
	}
	buf := getBuf()
	*buf = AppendCallResult(*buf, f.ID, body)
	if err := c.write(*buf); err != nil {
		c.log.Debug("callresult not sent", "action", f.Action, "msg_id", f.ID, "err", err)
	}
	putBuf(buf)
}

// runHandler calls the Handler, turning a panic into an error so that one
// bad message cannot take the gateway down.
func (c *Conn) runHandler(ctx context.Context, f Frame) (resp any, err error) {
	if c.opts.Observer != nil {
		start := time.Now()
		defer func() { c.opts.Observer.ObserveCall("inbound", f.Action, resultOf(err), time.Since(start)) }()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.opts.Handler(ctx, f.Action, f.Payload)
}

func (c *Conn) sendError(id string, code ErrorCode, description string, details []byte) {
	// Replace invalid UTF-8 before truncating, so that the description the
	// peer decodes is at most maxDescription bytes (appendString would turn
	// each invalid byte into a 3-byte U+FFFD).
	description = truncate(strings.ToValidUTF8(description, "\uFFFD"), maxDescription)
	name := c.opts.Dialect.Name(code)
	buf := getBuf()
	*buf = AppendCallError(*buf, id, name, description, details)
	if err := c.write(*buf); err != nil {
		c.log.Debug("callerror not sent", "msg_id", id, "code", name, "err", err)
	}
	putBuf(buf)
}

// marshalPayload encodes a CALL or CALLRESULT payload.
func marshalPayload(v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return v, nil
	case []byte:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" { // a nil pointer or map
		return nil, nil
	}
	return b, nil
}

// truncate shortens s, valid UTF-8, to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
