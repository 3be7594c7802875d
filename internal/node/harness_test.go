package node_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/httpapi/openapitest"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/postgres"
	"github.com/joule-ev/joule/internal/postgres/pgtest"
	"github.com/joule-ev/joule/internal/sim"
	"github.com/joule-ev/joule/internal/sqlite"
)

// The app API needs credentials. Tests act as the node's first-run admin:
// every request through http.DefaultClient to a node started here carries
// the admin-token of that node's data directory, unless the request sets
// its own Authorization (tests of authentication do). The token is read as
// an operator would, from <data>/admin-token.
var nodeData sync.Map // host:port -> data directory

// nodeSchemas: with JOULE_TEST_NODE_POSTGRES set, each data directory's
// PostgreSQL URL (a schema of its own).
var nodeSchemas sync.Map

type adminTransport struct{ next http.RoundTripper }

func (a adminTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	dir, ok := nodeData.Load(r.URL.Host)
	if !ok || r.Header.Get("Authorization") != "" || r.Header.Get("X-Test-Anonymous") != "" {
		if r.Header.Get("X-Test-Anonymous") != "" {
			r = r.Clone(r.Context())
			r.Header.Del("X-Test-Anonymous")
		}
		return a.next.RoundTrip(r)
	}
	tok, err := adminToken(dir.(string))
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return a.next.RoundTrip(r)
}

// adminToken reads <dir>/admin-token, waiting for a starting node to write it.
func adminToken(dir string) (string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		tok, err := accounts.ReadAdminToken(dir)
		if err == nil || time.Now().After(deadline) {
			return tok, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cheapParams keep argon2id fast under -race (the auth package measures the real ones).
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func init() {
	http.DefaultClient.Transport = adminTransport{next: openAPITransport{next: http.DefaultTransport}}
}

// Every answer a test gets through http.DefaultClient from a node started
// here is checked against the OpenAPI document the node serves; a mismatch
// fails the test that started the node. (The simulator's own firmware
// downloads and log uploads use its own client and are not checked.)
var (
	apiDoc = sync.OnceValues(func() (*openapitest.Checker, error) {
		return openapitest.New(context.Background(), httpapi.OpenAPIDocument())
	})
	nodeTests sync.Map // host:port -> *testing.T of the test that started the node there
)

type openAPITransport struct{ next http.RoundTripper }

func (o openAPITransport) RoundTrip(r *http.Request) (*http.Response, error) {
	v, ok := nodeTests.Load(r.URL.Host)
	if !ok {
		return o.next.RoundTrip(r)
	}
	c, err := apiDoc()
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	t := v.(testing.TB)
	return c.Transport(o.next, func(_ *http.Request, err error) { t.Errorf("%v", err) }).RoundTrip(r)
}

// checkAnswers makes the answers of the node at addr checked, and
// reported to t, until t ends.
func checkAnswers(t testing.TB, addr string) {
	nodeTests.Store(addr, t)
	t.Cleanup(func() { nodeTests.CompareAndDelete(addr, t) })
}

// TestMain loads the OpenAPI document before any test (under -race that
// takes a second or more, which a test with a short deadline must not
// pay), runs the tests, then says how many answers were checked.
func TestMain(m *testing.M) {
	_, _ = apiDoc() // an error is reported by the first call that needs it
	code := m.Run()
	if c, err := apiDoc(); err == nil {
		c.Report(os.Stdout, testing.Verbose())
	}
	os.Exit(code)
}

// testNode is a real Joule node on a loopback port.
type testNode struct {
	t      testing.TB
	Base   string // http://127.0.0.1:port
	WS     string // ws://127.0.0.1:port/ocpp
	Data   string
	cancel context.CancelFunc
	done   chan error
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("JOULE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startNode runs a node until the test ends (or Stop is called).
func startNode(t testing.TB, cfg node.Config) *testNode {
	t.Helper()
	return startNodeAt(t, "127.0.0.1:0", cfg, nil)
}

// startNodeAt is startNode on a given address, logging to log (nil: the
// test's logger).
func startNodeAt(t testing.TB, addr string, cfg node.Config, log *slog.Logger) *testNode {
	t.Helper()
	if log == nil {
		log = testLogger(t)
	}
	if cfg.Data == "" {
		cfg.Data = t.TempDir()
	}
	if cfg.Postgres == "" && os.Getenv("JOULE_TEST_NODE_POSTGRES") != "" {
		// Every node test on PostgreSQL (docs/testing.md): one schema per
		// data directory, so a restarted node finds its state again.
		v, ok := nodeSchemas.Load(cfg.Data)
		if !ok {
			v, _ = nodeSchemas.LoadOrStore(cfg.Data, pgtest.URL(t))
		}
		cfg.Postgres = v.(string)
	}
	if cfg.PasswordParams == (auth.Params{}) {
		cfg.PasswordParams = cheapParams
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &testNode{t: t, Base: "http://" + ln.Addr().String(), WS: "ws://" + ln.Addr().String() + "/ocpp",
		Data: cfg.Data, cancel: cancel, done: make(chan error, 1)}
	nodeData.Store(ln.Addr().String(), cfg.Data)
	checkAnswers(t, ln.Addr().String())
	go func() { n.done <- node.Run(ctx, cfg, ln, log) }()
	t.Cleanup(n.Stop)
	return n
}

// Stop shuts the node down gracefully and waits for it.
func (n *testNode) Stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	select {
	case err := <-n.done:
		if err != nil {
			n.t.Errorf("node.Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		n.t.Error("node did not stop within 30s")
	}
}

// startSim runs a simulated charger until the test ends; it returns once
// the charger's boot was accepted.
func startSim(t testing.TB, cfg sim.Config) (*sim.Charger, context.CancelFunc) {
	t.Helper()
	return startSimAt(t, cfg, "http://"+strings.TrimSuffix(strings.TrimPrefix(cfg.URL, "ws://"), "/ocpp"))
}

// startSimAt is startSim for a charger whose URL is not the API's (wss://):
// base is the API's http:// base.
func startSimAt(t testing.TB, cfg sim.Config, base string) (*sim.Charger, context.CancelFunc) {
	t.Helper()
	if cfg.MeterValueSampleInterval == 0 {
		cfg.MeterValueSampleInterval = 200 * time.Millisecond
	}
	if cfg.ReconnectBackoff == 0 {
		cfg.ReconnectBackoff = 100 * time.Millisecond
	}
	c := sim.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := c.WaitBooted(wctx); err != nil {
		t.Fatalf("charger %s did not boot: %v", cfg.ID, err)
	}
	// Wait until Joule knows every connector (the StatusNotifications after boot).
	want := cmp.Or(cfg.Connectors, 2)
	eventually(t, 10*time.Second, "connectors of "+cfg.ID+" reported", func() bool {
		var ch struct {
			Connectors []struct{ Status string } `json:"connectors"`
		}
		call(t, http.MethodGet, base+"/api/v1/chargers/"+cfg.ID, nil, &ch)
		return len(ch.Connectors) == want
	})
	return c, stop
}

// call does an HTTP request with a JSON body (nil for none) and decodes a
// JSON answer into out (nil to skip). It returns the status and headers.
func call(t testing.TB, method, url string, body any, out any, hdr ...string) (int, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

// eventually polls cond until it is true or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID   string
	Type string
	Data map[string]any
}

// sseRecorder collects the events of one /api/v1/events stream.
type sseRecorder struct {
	mu     sync.Mutex
	events []sseEvent
}

func (r *sseRecorder) all() []sseEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sseEvent(nil), r.events...)
}

// has reports whether an event of the type for the session was seen.
func (r *sseRecorder) has(typ, sessionID string) bool {
	for _, e := range r.all() {
		if e.Type == typ && (sessionID == "" || e.Data["sessionId"] == sessionID) {
			return true
		}
	}
	return false
}

// subscribe opens an SSE stream and records it until the test ends.
func subscribe(t testing.TB, url string, hdr ...string) *sseRecorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		cancel()
		t.Fatalf("GET %s = %d %s, want 200 text/event-stream", url, resp.StatusCode, ct)
	}
	rec := &sseRecorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Type != "" {
					rec.mu.Lock()
					rec.events = append(rec.events, ev)
					rec.mu.Unlock()
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Type = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.Data)
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return rec
}

// jsonRoundTrip re-decodes a generic JSON value into out.
func jsonRoundTrip(t *testing.T, in any, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		t.Fatalf("re-decode %v: %v", in, err)
	}
}

// openNodeStore opens the store of a stopped node: its SQLite database,
// or its PostgreSQL schema when the node tests run on PostgreSQL.
func openNodeStore(n *testNode) (charging.Store, error) {
	if v, ok := nodeSchemas.Load(n.Data); ok {
		return postgres.Open(context.Background(), v.(string))
	}
	return sqlite.Open(context.Background(), filepath.Join(n.Data, "joule.db"))
}
