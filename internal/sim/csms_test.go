package sim_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/sim"
)

// fakeCSMS is a tiny Central System built from ocppj over a real WebSocket.
// It validates every CALL a charger sends against the 1.6 schema (a test
// fails on the first invalid frame), records them, and answers like a
// well-behaved CSMS unless told otherwise.
type fakeCSMS struct {
	t   *testing.T
	srv *httptest.Server
	ctx context.Context
	wg  sync.WaitGroup // one per served connection

	// proto is the subprotocol it speaks: sim.OCPP16, sim.OCPP201, or
	// sim.OCPPMixed for whichever the charger offers. Set before any
	// charger connects.
	proto string

	mu        sync.Mutex
	conns     map[string]*ocppj.Conn      // current connection by charger id; guarded by mu
	recs      []record                    // every CALL received, in order; guarded by mu
	down      bool                        // refuse new connections (a stopped CSMS); guarded by mu
	nextTx    int                         // guarded by mu
	bootReply []ocpp16.RegistrationStatus // answers to successive boots; then Accepted; guarded by mu
	// override, if set, may answer a CALL instead of the defaults (ok
	// true). It runs on the connection's read goroutine.
	override func(id string, conn *ocppj.Conn, action string, req any) (resp any, err error, ok bool) // guarded by mu
	// auth, if set, decides whether an upgrade request's credentials are
	// good (else 401); nil accepts any.
	auth     func(a upgrade) bool // guarded by mu
	upgrades []upgrade            // every upgrade request, in order; guarded by mu
}

// upgrade is what one WebSocket upgrade request presented.
type upgrade struct {
	charger  string
	basic    bool              // an Authorization: Basic header was sent
	user     string            // its username
	password []byte            // its password, as raw bytes
	cert     *x509.Certificate // the TLS client certificate, nil if none
}

// record is one CALL from a charger.
type record struct {
	seq     int
	charger string
	action  string
	req     any // decoded *ocpp16.<Action>Request
	raw     json.RawMessage
}

func newFakeCSMS(t *testing.T) *fakeCSMS {
	t.Helper()
	return newFakeCSMSTLS(t, nil)
}

// newFakeCSMSTLS is a fake CSMS serving wss:// with tc (plain ws:// when
// tc is nil).
func newFakeCSMSTLS(t *testing.T, tc *tls.Config) *fakeCSMS {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeCSMS{t: t, ctx: ctx, proto: sim.OCPP16, conns: map[string]*ocppj.Conn{}, nextTx: 100}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	if tc != nil {
		f.srv.TLS = tc
		f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	t.Cleanup(func() {
		cancel() // every connection gets a close frame
		f.wg.Wait()
		f.srv.Close()
	})
	return f
}

// url is the base URL the chargers are configured with.
func (f *fakeCSMS) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ocpp" }

func (f *fakeCSMS) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/ocpp/")
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if !ok || id == "" || down || f.ctx.Err() != nil {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	a := upgrade{charger: id}
	if h, found := strings.CutPrefix(r.Header.Get("Authorization"), "Basic "); found {
		if raw, err := base64.StdEncoding.DecodeString(h); err == nil {
			if i := bytes.IndexByte(raw, ':'); i >= 0 {
				a.basic, a.user, a.password = true, string(raw[:i]), raw[i+1:]
			}
		}
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		a.cert = r.TLS.PeerCertificates[0]
	}
	f.mu.Lock()
	f.upgrades = append(f.upgrades, a)
	auth := f.auth
	f.mu.Unlock()
	if auth != nil && !auth(a) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	proto, got := f.proto, websocket.Subprotocols(r)
	if proto == sim.OCPPMixed && len(got) == 1 {
		proto = got[0]
	}
	if len(got) != 1 || got[0] != proto {
		f.t.Errorf("charger %s offered subprotocols %q, want [%s]", id, got, proto)
	}
	up := websocket.Upgrader{Subprotocols: []string{proto}}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("upgrade: %v", err)
		return
	}
	f.wg.Add(1)
	defer f.wg.Done()
	var conn *ocppj.Conn
	dialect := ocppj.Dialect16
	if proto == sim.OCPP201 {
		dialect = ocppj.Dialect201
	}
	conn = ocppj.NewConn(ws, ocppj.Options{
		Dialect:     dialect,
		CallTimeout: 2 * time.Second,
		Handler: func(ctx context.Context, action string, payload json.RawMessage) (any, error) {
			return f.handle(id, conn, action, payload)
		},
		Logger: testLogger(f.t, slog.LevelError),
	})
	f.mu.Lock()
	f.conns[id] = conn
	f.mu.Unlock()
	_ = conn.Serve(f.ctx)
	f.mu.Lock()
	if f.conns[id] == conn {
		delete(f.conns, id)
	}
	f.mu.Unlock()
}

// handle validates and records a CALL from charger id in the connection's
// version, lets the override answer it, else answers it as a well-behaved
// CSMS would (answer16, answer201).
func (f *fakeCSMS) handle(id string, conn *ocppj.Conn, action string, payload json.RawMessage) (any, error) {
	proto := conn.Subprotocol()
	req, verr := decodeRequest(proto, action, payload)
	if verr != nil {
		f.t.Errorf("charger %s sent an invalid %s: %s: %s", id, action, verr.Error(), payload)
		return nil, verr
	}
	f.mu.Lock()
	f.recs = append(f.recs, record{seq: len(f.recs), charger: id, action: action, req: req, raw: append(json.RawMessage(nil), payload...)})
	override := f.override
	f.mu.Unlock()
	if override != nil {
		if resp, err, ok := override(id, conn, action, req); ok {
			return resp, err
		}
	}
	if proto == sim.OCPP201 {
		return f.answer201(action, req)
	}
	return f.answer16(action, req)
}

// nextBootStatus is the status to answer the next BootNotification with:
// the next of bootReply, else Accepted.
func (f *fakeCSMS) nextBootStatus() ocpp16.RegistrationStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bootReply) == 0 {
		return ocpp16.RegistrationStatusAccepted
	}
	status := f.bootReply[0]
	f.bootReply = f.bootReply[1:]
	return status
}

// answer16 is the default answer to a 1.6 CALL.
func (f *fakeCSMS) answer16(action string, req any) (any, error) {
	now := time.Now().UTC()
	accepted := ocpp16.IDTagInfo{Status: ocpp16.AuthorizationStatusAccepted}
	switch req.(type) {
	case *ocpp16.BootNotificationRequest:
		return &ocpp16.BootNotificationResponse{Status: f.nextBootStatus(), CurrentTime: now, Interval: 1}, nil
	case *ocpp16.HeartbeatRequest:
		return &ocpp16.HeartbeatResponse{CurrentTime: now}, nil
	case *ocpp16.StatusNotificationRequest:
		return &ocpp16.StatusNotificationResponse{}, nil
	case *ocpp16.AuthorizeRequest:
		return &ocpp16.AuthorizeResponse{IDTagInfo: accepted}, nil
	case *ocpp16.StartTransactionRequest:
		f.mu.Lock()
		f.nextTx++
		tx := f.nextTx
		f.mu.Unlock()
		return &ocpp16.StartTransactionResponse{TransactionID: tx, IDTagInfo: accepted}, nil
	case *ocpp16.MeterValuesRequest:
		return &ocpp16.MeterValuesResponse{}, nil
	case *ocpp16.StopTransactionRequest:
		return &ocpp16.StopTransactionResponse{IDTagInfo: &accepted}, nil
	case *ocpp16.DiagnosticsStatusNotificationRequest:
		return &ocpp16.DiagnosticsStatusNotificationResponse{}, nil
	case *ocpp16.FirmwareStatusNotificationRequest:
		return &ocpp16.FirmwareStatusNotificationResponse{}, nil
	case *ocpp16.SignedFirmwareStatusNotificationRequest:
		return &ocpp16.SignedFirmwareStatusNotificationResponse{}, nil
	case *ocpp16.LogStatusNotificationRequest:
		return &ocpp16.LogStatusNotificationResponse{}, nil
	case *ocpp16.SecurityEventNotificationRequest:
		return &ocpp16.SecurityEventNotificationResponse{}, nil
	case *ocpp16.SignCertificateRequest:
		return &ocpp16.SignCertificateResponse{Status: ocpp16.GenericStatusEnumAccepted}, nil
	}
	return nil, ocppj.Errorf(ocppj.NotSupported, "fake CSMS does not handle %s", action)
}

func (f *fakeCSMS) setOverride(o func(id string, conn *ocppj.Conn, action string, req any) (any, error, bool)) {
	f.mu.Lock()
	f.override = o
	f.mu.Unlock()
}

func (f *fakeCSMS) setAuth(auth func(upgrade) bool) {
	f.mu.Lock()
	f.auth = auth
	f.mu.Unlock()
}

// upgradesOf returns the upgrade requests of charger id, in order.
func (f *fakeCSMS) upgradesOf(id string) []upgrade {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []upgrade
	for _, u := range f.upgrades {
		if u.charger == id {
			out = append(out, u)
		}
	}
	return out
}

// waitUpgrade waits until charger id has made an upgrade request matching
// pred and returns the first one.
func (f *fakeCSMS) waitUpgrade(t *testing.T, id, what string, pred func(upgrade) bool) upgrade {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		for _, u := range f.upgradesOf(id) {
			if pred(u) {
				return u
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; charger %s made %d upgrade requests", what, id, len(f.upgradesOf(id)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeCSMS) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// drop closes the charger's connection from the CSMS side.
func (f *fakeCSMS) drop(id string) {
	f.mu.Lock()
	conn := f.conns[id]
	f.mu.Unlock()
	if conn != nil {
		_ = conn.Close(websocket.CloseGoingAway, "test drops the connection")
		<-conn.Done()
	}
}

// call sends a CALL to a charger and decodes (validating) its answer.
func call[Resp any](t *testing.T, f *fakeCSMS, id, action string, req any) (*Resp, error) {
	t.Helper()
	f.mu.Lock()
	conn := f.conns[id]
	f.mu.Unlock()
	if conn == nil {
		t.Fatalf("charger %s is not connected", id)
	}
	if _, verr := decodeRequest(conn.Subprotocol(), action, mustJSON(t, req)); verr != nil {
		t.Fatalf("test sends an invalid %s: %v", action, verr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := conn.Call(ctx, action, req)
	if err != nil {
		return nil, err
	}
	resp, verr := decodeResponse(conn.Subprotocol(), action, raw)
	if verr != nil {
		t.Fatalf("charger answered %s with an invalid payload: %v: %s", action, verr, raw)
	}
	return resp.(*Resp), nil
}

// mustCall is call that fails the test on a CALLERROR or timeout.
func mustCall[Resp any](t *testing.T, f *fakeCSMS, id, action string, req any) *Resp {
	t.Helper()
	resp, err := call[Resp](t, f, id, action, req)
	if err != nil {
		t.Fatalf("%s to %s: %v", action, id, err)
	}
	return resp
}

// all returns the recorded requests of type *T from charger id, in order.
func all[T any](f centralSystem, id string) []*T {
	var out []*T
	for _, r := range f.sent(id) {
		if v, ok := r.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

// centralSystem is a fake central system that records what chargers
// send, over OCPP-J (fakeCSMS) or SOAP (fakeSOAPCS).
type centralSystem interface {
	sent(id string) []any  // the requests charger id sent, in order
	dump(id string) string // them, printed for a failure
}

func (f *fakeCSMS) sent(id string) []any {
	var out []any
	for _, r := range f.records(id) {
		out = append(out, r.req)
	}
	return out
}

// records returns a copy of what charger id sent.
func (f *fakeCSMS) records(id string) []record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []record
	for _, r := range f.recs {
		if r.charger == id {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until charger id has sent a *T matching pred, and returns
// the first one.
func waitFor[T any](t *testing.T, f *fakeCSMS, id, what string, pred func(*T) bool) *T {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		for _, r := range all[T](f, id) {
			if pred == nil || pred(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; charger %s sent:\n%s", what, id, f.dump(id))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCount waits until charger id has sent at least n *T matching pred.
func waitCount[T any](t *testing.T, f centralSystem, id, what string, n int, pred func(*T) bool) []*T {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		var got []*T
		for _, r := range all[T](f, id) {
			if pred == nil || pred(r) {
				got = append(got, r)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d × %s (got %d); charger %s sent:\n%s", n, what, len(got), id, f.dump(id))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeCSMS) dump(id string) string {
	var b strings.Builder
	for _, r := range f.records(id) {
		fmt.Fprintf(&b, "  #%d %s %s\n", r.seq, r.action, r.raw)
	}
	return b.String()
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testLogger(t *testing.T, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// startSim runs a charger against f until the test ends and waits for its
// boot to be accepted.
func startSim(t *testing.T, f *fakeCSMS, cfg sim.Config) *sim.Charger {
	t.Helper()
	ch := runSim(t, f, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ch.WaitBooted(ctx); err != nil {
		t.Fatal(err)
	}
	return ch
}

// runSim runs a charger against f until the test ends.
func runSim(t *testing.T, f *fakeCSMS, cfg sim.Config) *sim.Charger {
	t.Helper()
	cfg.URL = f.url()
	if cfg.ID == "" {
		cfg.ID = "CP-1"
	}
	if cfg.ReconnectBackoff == 0 {
		cfg.ReconnectBackoff = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t, slog.LevelWarn)
	}
	ch := sim.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return 10s after its context was cancelled")
		}
	})
	return ch
}

func intp(n int) *int { return &n }

// mustSwipe swipes idTag on connector (EVSE) n of ch, failing the test
// with what if SwipeCard fails within 5s.
func mustSwipe(t *testing.T, ch *sim.Charger, n int, idTag, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ch.SwipeCard(ctx, n, idTag); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
