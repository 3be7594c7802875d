package ocppj_test

import (
	"bytes"
	"context"
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

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 5 * time.Second // upper bound for things that should happen promptly

// server is a CSMS-side test server: every WebSocket it accepts becomes an
// ocppj.Conn served until the test ends.
type server struct {
	url    string
	conns  chan *ocppj.Conn
	errs   chan error // Serve's results
	cancel context.CancelFunc
	logs   *logBuffer
}

func startServer(t *testing.T, opts ocppj.Options) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{conns: make(chan *ocppj.Conn, 16), errs: make(chan error, 16), cancel: cancel, logs: &logBuffer{}}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var wg sync.WaitGroup
	up := websocket.Upgrader{Subprotocols: []string{"ocpp2.0.1", "ocpp1.6"}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1) // before the hijack, so hs.Close orders it before wg.Wait
		defer wg.Done()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := ocppj.NewConn(ws, opts)
		s.conns <- c
		s.errs <- c.Serve(ctx)
	}))
	s.url = "ws" + strings.TrimPrefix(hs.URL, "http")
	t.Cleanup(func() {
		cancel()
		hs.Close()
		wg.Wait()
	})
	return s
}

// conn returns the next accepted connection.
func (s *server) conn(t *testing.T) *ocppj.Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(wait):
		t.Fatal("no connection accepted")
		return nil
	}
}

// serveErr waits for a Serve call to return.
func (s *server) serveErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-time.After(wait):
		t.Fatal("Serve did not return")
		return nil
	}
}

// peer is a raw WebSocket client standing in for a charger: it sends and
// receives frames verbatim.
type peer struct {
	t       *testing.T
	ws      *websocket.Conn
	in      chan string // text frames read
	readErr chan error  // the error that ended reading
	pings   atomic.Int32
	done    chan struct{}
}

// dialPeer connects a raw peer offering subprotocol; if read is false it
// never reads (so it answers no pings).
func dialPeer(t *testing.T, url, subprotocol string, read bool) *peer {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{subprotocol}}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	p := &peer{t: t, ws: ws, in: make(chan string, 64), readErr: make(chan error, 1), done: make(chan struct{})}
	answer := ws.PingHandler()
	ws.SetPingHandler(func(s string) error { p.pings.Add(1); return answer(s) })
	if read {
		go func() {
			defer close(p.done)
			for {
				_, b, err := ws.ReadMessage()
				if err != nil {
					p.readErr <- err
					return
				}
				p.in <- string(b)
			}
		}()
	} else {
		close(p.done)
	}
	t.Cleanup(func() {
		ws.Close()
		<-p.done
	})
	return p
}

func (p *peer) send(frame string) {
	p.t.Helper()
	if err := p.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		p.t.Fatalf("peer send %s: %v", frame, err)
	}
}

// next returns the next frame the peer received.
func (p *peer) next() string {
	p.t.Helper()
	select {
	case f := <-p.in:
		return f
	case err := <-p.readErr:
		// The reader queues every frame before it reports the end, but
		// select picks at random among ready cases: frames come first.
		p.readErr <- err // for closeErr
		select {
		case f := <-p.in:
			return f
		default:
		}
		p.t.Fatalf("peer: connection ended while waiting for a frame: %v", err)
	case <-time.After(wait):
		p.t.Fatal("peer: no frame received")
	}
	return ""
}

// none fails if a frame arrives within d.
func (p *peer) none(d time.Duration) {
	p.t.Helper()
	select {
	case f := <-p.in:
		p.t.Fatalf("peer received %s, want nothing", f)
	case <-time.After(d):
	}
}

// closeErr waits for the peer's read to end and returns its error.
func (p *peer) closeErr() error {
	p.t.Helper()
	select {
	case err := <-p.readErr:
		return err
	case <-time.After(wait):
		p.t.Fatal("peer: connection not closed")
		return nil
	}
}

// call parses a CALL frame the peer received.
func parseCall(t *testing.T, frame string) (id, action string, payload json.RawMessage) {
	t.Helper()
	f, _, perr := ocppj.ParseFrame([]byte(frame))
	if perr != nil || f.Type != ocppj.MessageCall {
		t.Fatalf("peer received %s, want a CALL (err %v)", frame, perr)
	}
	return f.ID, f.Action, f.Payload
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventually polls cond until it holds or wait elapses.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// startBenchServer is startServer for benchmarks: an echoing ocppj server.
func startBenchServer(b *testing.B) string {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	up := websocket.Upgrader{Subprotocols: []string{"ocpp1.6"}}
	echo := func(ctx context.Context, action string, payload json.RawMessage) (any, error) { return payload, nil }
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ocppj.NewConn(ws, ocppj.Options{Handler: echo}).Serve(ctx)
	}))
	b.Cleanup(func() {
		cancel()
		hs.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}
