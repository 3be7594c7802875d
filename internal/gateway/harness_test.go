package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 5 * time.Second // upper bound for things that should happen promptly

// admitFunc is a ChargerAdmitter made of a function.
type admitFunc func(ctx context.Context, a charging.ConnectAttempt) (charging.Admitted, error)

func (f admitFunc) Admit(ctx context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
	return f(ctx, a)
}

// fakeEvents records connections; nothing else is called by the gateway.
type fakeEvents struct {
	charging.StationEvents // nil: any other call panics
	mu                     sync.Mutex
	connected              []string
	disconnected           []string
	notify                 chan struct{} // buffered 1: something was connected
}

func (e *fakeEvents) Connected(_ context.Context, id, _ string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.connected = append(e.connected, id)
	select {
	case e.notify <- struct{}{}:
	default:
	}
	return nil
}

// waitConnected waits until n connections were recorded: the gateway
// registers a connection after the client saw its upgrade answer.
func (e *fakeEvents) waitConnected(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(wait)
	for {
		if c, _ := e.counts(); c >= n {
			return
		}
		select {
		case <-e.notify:
		case <-timeout:
			t.Fatalf("%d connections recorded, want %d", len(e.connected), n)
		}
	}
}

func (e *fakeEvents) Disconnected(_ context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.disconnected = append(e.disconnected, id)
	return nil
}

func (e *fakeEvents) counts() (connected, disconnected int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.connected), len(e.disconnected)
}

// fakeStation echoes CALLs; a BootNotification {"status": S} is answered S
// and becomes its Registration. Command sends a CALL to the charger.
type fakeStation struct {
	Station // nil: RemoteStart and RemoteStop are not used
	conn    *ocppj.Conn
	mu      sync.Mutex
	reg     charging.RegistrationStatus
}

var _ Registrar = (*fakeStation)(nil)

func (s *fakeStation) HandleCall(_ context.Context, action string, payload json.RawMessage) (any, error) {
	if action == "BootNotification" {
		var p struct{ Status charging.RegistrationStatus }
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.reg = p.Status
		s.mu.Unlock()
		return map[string]any{"status": p.Status, "interval": 60, "currentTime": "2026-01-01T00:00:00Z"}, nil
	}
	if action == "Sleep" { // a slow handler: {"ms": n}
		var p struct{ MS int }
		_ = json.Unmarshal(payload, &p)
		time.Sleep(time.Duration(p.MS) * time.Millisecond)
	}
	return payload, nil
}

func (s *fakeStation) Registration() charging.RegistrationStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reg
}

func (s *fakeStation) Command(ctx context.Context, action string, payload json.RawMessage) (charging.CommandResult, error) {
	raw, err := s.conn.Call(ctx, action, payload)
	if err != nil {
		return charging.CommandResult{}, err
	}
	return charging.CommandResult{Status: charging.ResultAnswered, Response: raw}, nil
}

func fakeProtocol() Protocol {
	return Protocol{
		Subprotocol: "ocpp1.6",
		Dialect:     ocppj.Dialect16,
		NewStation: func(_ string, conn *ocppj.Conn, _ charging.StationEvents, _ *slog.Logger) Station {
			return &fakeStation{conn: conn}
		},
	}
}

// fakeClock is the clock of the rate limits.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// secEvents collects security events.
type secEvents struct {
	mu sync.Mutex
	ev []charging.SecurityEvent
}

func (s *secEvents) add(e charging.SecurityEvent) {
	s.mu.Lock()
	s.ev = append(s.ev, e)
	s.mu.Unlock()
}

func (s *secEvents) count(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.ev {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func (s *secEvents) all() []charging.SecurityEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]charging.SecurityEvent(nil), s.ev...)
}

// fakeObserver counts ConnObserver calls.
type fakeObserver struct {
	mu       sync.Mutex
	refused  map[string]int
	closed   map[string]int
	replaced int
}

func (o *fakeObserver) ConnectionRefused(reason string) {
	o.mu.Lock()
	o.refused[reason]++
	o.mu.Unlock()
}

func (o *fakeObserver) ConnectionReplaced() {
	o.mu.Lock()
	o.replaced++
	o.mu.Unlock()
}

func (o *fakeObserver) ConnectionClosed(reason string) {
	o.mu.Lock()
	o.closed[reason]++
	o.mu.Unlock()
}

func (o *fakeObserver) get() (refused, closed map[string]int, replaced int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cp := func(m map[string]int) map[string]int {
		c := map[string]int{}
		for k, v := range m {
			c[k] = v
		}
		return c
	}
	return cp(o.refused), cp(o.closed), o.replaced
}

// harness is a gateway on a real HTTP server.
type harness struct {
	t      *testing.T
	g      *Gateway
	hs     *httptest.Server
	url    string // ws://host/ocpp/
	events *fakeEvents
	sec    *secEvents
	obs    *fakeObserver
	clock  *fakeClock
	admits atomic.Int32 // Admit calls
}

// newHarness starts a gateway with opts (Admitter, SecurityEvent,
// ConnObserver, Now and the protocols are filled in) and admit as the
// Admitter's policy (nil: no Admitter). tlsStart, when set, starts the
// server with TLS instead.
func newHarness(t *testing.T, opts Options, admit admitFunc) *harness {
	return startHarness(t, opts, admit, nil)
}

func startHarness(t *testing.T, opts Options, admit admitFunc, start func(*httptest.Server)) *harness {
	t.Helper()
	h := &harness{
		t: t, events: &fakeEvents{notify: make(chan struct{}, 1)}, sec: &secEvents{},
		obs:   &fakeObserver{refused: map[string]int{}, closed: map[string]int{}},
		clock: &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if admit != nil {
		opts.Admitter = admitFunc(func(ctx context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
			h.admits.Add(1)
			return admit(ctx, a)
		})
	}
	opts.SecurityEvent = h.sec.add
	opts.ConnObserver = h.obs
	opts.Now = h.clock.Now
	if opts.Logger == nil && testing.Verbose() {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	h.g = New(h.events, opts, fakeProtocol())
	mux := http.NewServeMux()
	mux.Handle("/ocpp/{chargerId}", h.g)
	h.hs = httptest.NewUnstartedServer(mux)
	if start == nil {
		h.hs.Start()
	} else {
		start(h.hs)
	}
	h.url = "ws" + strings.TrimPrefix(h.hs.URL, "http") + "/ocpp/"
	t.Cleanup(h.shutdown)
	return h
}

// shutdown closes every connection and waits for the gateway to be idle.
func (h *harness) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.g.Shutdown(ctx); err != nil {
		h.t.Errorf("Shutdown: %v", err)
	}
	h.hs.Close()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// basic is an Authorization header with Basic credentials as raw bytes.
func basic(user, pass string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
}

// client is a charger's WebSocket: it records frames and pings.
type client struct {
	t       *testing.T
	ws      *websocket.Conn
	in      chan string
	readErr chan error
	pings   atomic.Int32
	done    chan struct{}
}

// dial connects to /ocpp/id, offering ocpp1.6. On a refused upgrade it
// returns the response and a nil client.
func (h *harness) dial(id string, hdr http.Header, read bool) (*client, *http.Response, error) {
	return h.dialWith(&websocket.Dialer{Subprotocols: []string{"ocpp1.6"}}, id, hdr, read)
}

func (h *harness) dialWith(d *websocket.Dialer, id string, hdr http.Header, read bool) (*client, *http.Response, error) {
	ws, resp, err := d.Dial(h.url+id, hdr)
	if err != nil {
		return nil, resp, err
	}
	c := &client{t: h.t, ws: ws, in: make(chan string, 64), readErr: make(chan error, 1), done: make(chan struct{})}
	answer := ws.PingHandler()
	ws.SetPingHandler(func(s string) error { c.pings.Add(1); return answer(s) })
	if read {
		go func() {
			defer close(c.done)
			for {
				_, b, err := ws.ReadMessage()
				if err != nil {
					c.readErr <- err
					return
				}
				c.in <- string(b)
			}
		}()
	} else {
		close(c.done)
	}
	h.t.Cleanup(func() {
		ws.Close()
		<-c.done
	})
	return c, resp, nil
}

// mustDial connects or fails the test, and waits until the gateway has
// registered the connection.
func (h *harness) mustDial(id string, hdr http.Header, read bool) *client {
	h.t.Helper()
	n, _ := h.events.counts()
	c, resp, err := h.dial(id, hdr, read)
	if err != nil {
		h.t.Fatalf("dial %s: %v (status %s)", id, err, status(resp))
	}
	h.events.waitConnected(h.t, n+1)
	return c
}

// refused dials, expects a refusal and returns its response.
func (h *harness) refused(id string, hdr http.Header) *http.Response {
	h.t.Helper()
	c, resp, err := h.dial(id, hdr, false)
	if err == nil {
		c.ws.Close()
		h.t.Fatalf("dial %s: connected, want a refusal", id)
	}
	if resp == nil {
		h.t.Fatalf("dial %s: %v, want an HTTP refusal", id, err)
	}
	return resp
}

func status(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

func (c *client) send(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("client send: %v", err)
	}
}

// next returns the next frame the client received.
func (c *client) next() string {
	c.t.Helper()
	select {
	case f := <-c.in:
		return f
	case err := <-c.readErr:
		// The reader queues every frame before it reports the end, but
		// select picks at random among ready cases: frames come first.
		c.readErr <- err // for closeErr
		select {
		case f := <-c.in:
			return f
		default:
		}
		c.t.Fatalf("client: connection ended while waiting for a frame: %v", err)
	case <-time.After(wait):
		c.t.Fatal("client: no frame received")
	}
	return ""
}

// closeErr waits for the client's read to end and returns its error.
func (c *client) closeErr() error {
	c.t.Helper()
	select {
	case err := <-c.readErr:
		return err
	case <-time.After(wait):
		c.t.Fatal("client: connection not closed")
		return nil
	}
}

// open fails if the client's connection has ended.
func (c *client) open() {
	c.t.Helper()
	select {
	case err := <-c.readErr:
		c.t.Fatalf("client connection ended: %v", err)
	default:
	}
}

// command sends a CALL through the gateway and checks that this client
// receives it (and answers it).
func (h *harness) command(id string, c *client) {
	h.t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := h.g.Command(context.Background(), id, "Probe", json.RawMessage(`{}`))
		errc <- err
	}()
	f, _, perr := ocppj.ParseFrame([]byte(c.next()))
	if perr != nil || f.Type != ocppj.MessageCall || f.Action != "Probe" {
		h.t.Fatalf("client received %+v (err %v), want the Probe CALL", f, perr)
	}
	c.send(`[3,"` + f.ID + `",{}]`)
	if err := <-errc; err != nil {
		h.t.Fatalf("Command: %v", err)
	}
}

// current returns the charger's registered connection (nil if none).
func (h *harness) current(id string) *conn {
	h.g.mu.Lock()
	defer h.g.mu.Unlock()
	return h.g.conns[id]
}
