package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/joule-ev/joule/internal/charging"
)

// testCluster is n routers on one NATS, each with its own connection and
// fake gateway, sharing a bucket and subject prefix of their own.
type testCluster struct {
	t       *testing.T
	url     string
	bucket  string
	prefix  string
	routers []*Router
	fakes   []*fakeLocal
	conns   []*nats.Conn
}

func natsURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("JOULE_TEST_NATS_URL")
	if url == "" {
		t.Skip("JOULE_TEST_NATS_URL is not set: these tests need a NATS server with JetStream (e.g. nats://127.0.0.1:4222)")
	}
	return url
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect to NATS at %s: %v", url, err)
	}
	return nc
}

func newCluster(t *testing.T, nodes ...string) *testCluster {
	t.Helper()
	url := natsURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	c := &testCluster{t: t, url: url, bucket: "jtest_" + suffix, prefix: "jtest." + suffix}
	t.Cleanup(func() {
		for _, r := range c.routers {
			r.Close()
		}
		nc := connect(t, url)
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, name := range []string{c.bucket, c.bucket + "_nodes"} {
			if err := js.DeleteKeyValue(ctx, name); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
				t.Errorf("delete bucket %s: %v", name, err)
			}
		}
		for _, nc := range c.conns {
			nc.Close()
		}
	})
	for _, n := range nodes {
		c.add(n, nil)
	}
	return c
}

// add starts one more node; tune may change its options.
func (c *testCluster) add(node string, tune func(*Options)) (*Router, *fakeLocal) {
	c.t.Helper()
	nc := connect(c.t, c.url)
	c.conns = append(c.conns, nc)
	f := newFake()
	opts := Options{NodeID: node, Bucket: c.bucket, SubjectPrefix: c.prefix,
		RequestTimeout: 5 * time.Second, HeartbeatInterval: 100 * time.Millisecond, NodeTTL: time.Second}
	if tune != nil {
		tune(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := New(ctx, nc, f, opts)
	if err != nil {
		c.t.Fatalf("New(%s): %v", node, err)
	}
	c.routers = append(c.routers, r)
	c.fakes = append(c.fakes, f)
	return r, f
}

// claim makes node i hold the charger (its fake is connected) and waits
// until every router's cache knows.
func (c *testCluster) claim(i int, ids ...string) {
	c.t.Helper()
	c.fakes[i].connect(ids...)
	for _, id := range ids {
		if err := c.routers[i].Claim(context.Background(), id); err != nil {
			c.t.Fatalf("Claim(%s): %v", id, err)
		}
	}
	node := c.routers[i].NodeID()
	for _, id := range ids {
		eventually(c.t, fmt.Sprintf("every node sees %s owned by %s", id, node), func() bool {
			for _, r := range c.routers {
				if r.ctx.Err() != nil {
					continue
				}
				if o, ok := r.Owner(id); !ok || o != node {
					return false
				}
			}
			return true
		})
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ce *charging.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *charging.Error %s", err, err, code)
	}
	if ce.Code != code || (msg != "" && ce.Message != msg) {
		t.Fatalf("err = %s %q, want %s %q", ce.Code, ce.Message, code, msg)
	}
}

func TestRouteToOwner(t *testing.T) {
	c := newCluster(t, "A", "B")
	a, b := c.routers[0], c.fakes[1]
	c.claim(1, "CP-1")
	ctx := context.Background()

	b.setAnswer(func(_ context.Context, method, id string, args []any) (any, error) {
		if hard := args[0].(bool); hard {
			return charging.CommandStatus("Accepted-hard"), nil
		}
		return charging.CommandStatus("Accepted-soft"), nil
	})
	st, err := a.Reset(ctx, "CP-1", true)
	if err != nil || st != "Accepted-hard" {
		t.Fatalf("Reset = %q, %v; want B's answer", st, err)
	}
	if n := len(b.callsOf("Reset")); n != 1 {
		t.Fatalf("B's gateway got %d Resets, want 1", n)
	}
	if n := len(c.fakes[0].callsOf("")); n != 0 {
		t.Fatalf("A's gateway got %d calls, want 0", n)
	}
	if !a.Connected("CP-1") {
		t.Fatal("A: Connected(CP-1) = false for a charger B holds")
	}

	// A domain error keeps its code and message.
	b.setAnswer(func(context.Context, string, string, []any) (any, error) {
		return nil, charging.Errorf(charging.EREJECTED, "charger CP-1 answered Reset with NotSupported: no")
	})
	_, err = a.Reset(ctx, "CP-1", false)
	wantCode(t, err, charging.EREJECTED, "charger CP-1 answered Reset with NotSupported: no")

	// Any other error is EINTERNAL "internal error", the detail in the chain's text.
	b.setAnswer(func(context.Context, string, string, []any) (any, error) {
		return nil, errors.New("disk on fire")
	})
	_, err = a.Reset(ctx, "CP-1", false)
	wantCode(t, err, charging.EINTERNAL, "internal error")
	if !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the owner's detail", err)
	}

	// A charger connected to A itself goes straight to A's gateway.
	c.claim(0, "CP-A")
	c.fakes[0].setAnswer(func(context.Context, string, string, []any) (any, error) {
		return charging.CommandStatus("local"), nil
	})
	if st, err := a.Reset(ctx, "CP-A", true); err != nil || st != "local" {
		t.Fatalf("local Reset = %q, %v", st, err)
	}
	if n := len(b.callsOf("Reset")); n != 3 {
		t.Fatalf("B's gateway got %d Resets, want 3", n)
	}
}

func TestUnknownCharger(t *testing.T) {
	c := newCluster(t, "A", "B")
	a := c.routers[0]
	_, err := a.RemoteStop(context.Background(), "nobody", "tx")
	wantCode(t, err, charging.EUNAVAILABLE, "charger nobody is offline")
	if a.Connected("nobody") {
		t.Fatal("Connected(nobody) = true")
	}
	if a.Disconnect("nobody", "x") {
		t.Fatal("Disconnect(nobody) = true")
	}
	// A's own stale claim (the charger left A without a Release) is offline too.
	if err := a.Claim(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	_, err = a.RemoteStop(context.Background(), "gone", "tx")
	wantCode(t, err, charging.EUNAVAILABLE, "charger gone is offline")
	if a.Connected("gone") {
		t.Fatal("Connected(gone) = true for a stale claim of this node")
	}
}

func TestOwnerGone(t *testing.T) {
	c := newCluster(t, "A", "B", "C")
	a := c.routers[0]
	c.claim(1, "CP-B")
	c.claim(2, "CP-C")

	// B leaves without releasing (Close): no responders on its subject.
	c.routers[1].Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := a.Reset(ctx, "CP-B", false)
	wantCode(t, err, charging.EUNAVAILABLE, "charger CP-B is offline")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Reset took %v; a gone owner must fail fast", d)
	}
	eventually(t, "A sees CP-B offline (B said goodbye)", func() bool { return !a.Connected("CP-B") })

	// C crashes: its connection drops, its heartbeat stays until NodeTTL.
	// NATS answers "no responders" once the server has dropped C's
	// subscription; on a loaded machine a request can still reach it
	// before that and time out, so each try has a short deadline: a
	// command to CP-C ends as offline, at the latest when C's heartbeat
	// expires.
	c.conns[2].Close()
	eventually(t, "a command to CP-C fails as offline", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := a.Reset(ctx, "CP-C", false)
		return charging.ErrorCode(err) == charging.EUNAVAILABLE
	})
	eventually(t, "A sees CP-C offline (C's heartbeat expired)", func() bool { return !a.Connected("CP-C") })
	if len(c.fakes[1].callsOf("Reset"))+len(c.fakes[2].callsOf("Reset")) != 0 {
		t.Fatal("a gone node's gateway got a command")
	}
}

func TestTakeover(t *testing.T) {
	c := newCluster(t, "A", "B", "C")
	a, b, cr := c.routers[0], c.routers[1], c.routers[2]
	fb, fc := c.fakes[1], c.fakes[2]
	ctx := context.Background()
	c.claim(1, "CP-1")
	a.mu.Lock()
	staleRev := a.owners["CP-1"].rev
	a.mu.Unlock()

	// The charger reconnects to C before B noticed: B lets go.
	c.claim(2, "CP-1")
	eventually(t, "B disconnects CP-1", func() bool { return len(fb.callsOf("Disconnect")) == 1 })
	if got := fb.callsOf("Disconnect")[0].Args[0]; got != "connected to node C" {
		t.Fatalf("B's Disconnect reason = %q", got)
	}
	if fb.Connected("CP-1") {
		t.Fatal("B still holds CP-1")
	}
	if len(fc.callsOf("Disconnect")) != 0 {
		t.Fatal("C disconnected its own charger")
	}

	// B's late Release leaves C's claim alone.
	if err := b.Release(ctx, "CP-1"); err != nil {
		t.Fatal(err)
	}
	e, err := cr.kv.Get(ctx, "CP-1")
	if err != nil {
		t.Fatalf("C's claim was erased: %v", err)
	}
	var v claimValue
	if err := json.Unmarshal(e.Value(), &v); err != nil || v.Node != "C" {
		t.Fatalf("claim = %s, want node C", e.Value())
	}

	fc.setAnswer(func(context.Context, string, string, []any) (any, error) {
		return charging.CommandStatus("from C"), nil
	})
	for _, r := range []*Router{a, b} {
		if st, err := r.RemoteStop(ctx, "CP-1", "tx"); err != nil || st != "from C" {
			t.Fatalf("%s: RemoteStop = %q, %v; want C's answer", r.NodeID(), st, err)
		}
	}

	// A stale cache (A still believes B): B answers "not here", A reads
	// the owner again and sends the command once, to C.
	a.mu.Lock()
	a.owners["CP-1"] = owner{node: "B", rev: staleRev}
	a.mu.Unlock()
	before := len(fc.callsOf("RemoteStop"))
	if st, err := a.RemoteStop(ctx, "CP-1", "tx2"); err != nil || st != "from C" {
		t.Fatalf("RemoteStop with a stale cache = %q, %v", st, err)
	}
	if n := len(fc.callsOf("RemoteStop")) - before; n != 1 {
		t.Fatalf("C got %d RemoteStops, want 1", n)
	}
	if n := len(fb.callsOf("RemoteStop")); n != 0 {
		t.Fatalf("B's gateway got %d RemoteStops, want 0", n)
	}

	// C releases: everyone sees it offline.
	fc.mu.Lock()
	delete(fc.connected, "CP-1")
	fc.mu.Unlock()
	if err := cr.Release(ctx, "CP-1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A sees CP-1 released", func() bool { _, ok := a.Owner("CP-1"); return !ok })
	_, err = a.RemoteStop(ctx, "CP-1", "tx3")
	wantCode(t, err, charging.EUNAVAILABLE, "charger CP-1 is offline")
}

// A charger that comes back to the node it left must not be disconnected
// by the stale event of the other node's claim.
func TestClaimBackIsKept(t *testing.T) {
	c := newCluster(t, "B", "C")
	ctx := context.Background()
	c.claim(0, "CP-1")
	c.claim(1, "CP-1")
	eventually(t, "B lets go", func() bool { return !c.fakes[0].Connected("CP-1") })
	c.fakes[1].mu.Lock()
	delete(c.fakes[1].connected, "CP-1")
	c.fakes[1].mu.Unlock()
	c.claim(0, "CP-1")
	time.Sleep(200 * time.Millisecond)
	if !c.fakes[0].Connected("CP-1") {
		t.Fatal("B disconnected the charger that came back to it")
	}
	if err := c.routers[1].Release(ctx, "CP-1"); err != nil { // C's late Release
		t.Fatal(err)
	}
	if o, ok := c.routers[1].Owner("CP-1"); !ok || o != "B" {
		t.Fatalf("C sees owner %q, %v; want B", o, ok)
	}
}

func TestReleaseAll(t *testing.T) {
	c := newCluster(t, "A", "B")
	a, b := c.routers[0], c.routers[1]
	c.claim(1, "x1", "x2", "x3")
	c.claim(0, "y1")
	if err := b.ReleaseAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x1", "x2", "x3"} {
		eventually(t, "A sees "+id+" released", func() bool { _, ok := a.Owner(id); return !ok })
	}
	if o, ok := b.Owner("y1"); !ok || o != "A" {
		t.Fatalf("B sees y1 owned by %q, %v; want A", o, ok)
	}
	if err := b.Release(context.Background(), "never-claimed"); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentCommands(t *testing.T) {
	c := newCluster(t, "A", "B", "C")
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("CP-%02d", i)
		ids = append(ids, id)
		c.claim(1+i%2, id)
	}
	var inFlight, maxInFlight atomic.Int32
	for _, f := range c.fakes[1:] {
		f.setAnswer(func(_ context.Context, method, id string, args []any) (any, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			return charging.CommandStatus("ok:" + id + ":" + args[0].(string)), nil
		})
	}
	const n = 400
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, tx := ids[i%len(ids)], fmt.Sprintf("tx-%d", i)
			r := c.routers[i%3] // some local, most remote
			st, err := r.RemoteStop(context.Background(), id, tx)
			if err != nil {
				errs <- fmt.Errorf("%s %s: %w", id, tx, err)
				return
			}
			if want := "ok:" + id + ":" + tx; string(st) != want {
				errs <- fmt.Errorf("answer %q, want %q", st, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]int{}
	for _, f := range c.fakes {
		for _, call := range f.callsOf("RemoteStop") {
			seen[call.Args[0].(string)]++
		}
	}
	for i := range n {
		if k := seen[fmt.Sprintf("tx-%d", i)]; k != 1 {
			t.Errorf("tx-%d ran %d times, want once", i, k)
		}
	}
	if maxInFlight.Load() < 2 {
		t.Errorf("at most %d commands ran at once: the owners do not handle requests concurrently", maxInFlight.Load())
	}
}

func TestContextPropagates(t *testing.T) {
	c := newCluster(t, "A", "B")
	a, b := c.routers[0], c.fakes[1]
	c.claim(1, "CP-1")
	var sawDeadline atomic.Bool
	ended := make(chan error, 10)
	b.setAnswer(func(ctx context.Context, _, _ string, _ []any) (any, error) {
		if _, ok := ctx.Deadline(); ok {
			sawDeadline.Store(true)
		}
		<-ctx.Done() // a charger that never answers
		ended <- ctx.Err()
		return nil, ctx.Err()
	})

	// The caller's deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := a.Reset(ctx, "CP-1", false)
	if charging.ErrorCode(err) != charging.ETIMEOUT {
		t.Fatalf("err = %v, want ETIMEOUT", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("Reset took %v with an 800ms deadline", d)
	}
	if !sawDeadline.Load() {
		t.Fatal("the owner ran the command without a deadline")
	}
	if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the owner's context ended with %v, want its deadline", err)
	}

	// Cancellation.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	_, err = a.Reset(ctx, "CP-1", false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Reset took %v after a cancel at 200ms", d)
	}
	// The owner's command was cancelled too, long before its deadline.
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the owner's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the cancel did not reach the owner")
	}

	// No deadline: RequestTimeout bounds it; the owner gives up first and
	// says ETIMEOUT.
	a2, _ := c.add("A2", func(o *Options) { o.RequestTimeout = 700 * time.Millisecond; o.ReplyMargin = 200 * time.Millisecond })
	eventually(t, "A2 sees CP-1", func() bool { _, ok := a2.Owner("CP-1"); return ok })
	start = time.Now()
	_, err = a2.Reset(context.Background(), "CP-1", false)
	wantCode(t, err, charging.ETIMEOUT, "charger CP-1 did not answer in time")
	if d := time.Since(start); d > 1200*time.Millisecond {
		t.Fatalf("Reset took %v with RequestTimeout 700ms", d)
	}

	// An already ended context sends nothing.
	n := len(b.callsOf("Reset"))
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := a.Reset(ctx, "CP-1", false); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(b.callsOf("Reset")) != n {
		t.Fatal("a command with an ended context was sent")
	}
}

// JSON must not turn nil raw messages into "null".
func TestRawMessagesKeepNil(t *testing.T) {
	c := newCluster(t, "A", "B")
	a, b := c.routers[0], c.fakes[1]
	c.claim(1, "CP-1")
	b.setAnswer(func(_ context.Context, method string, _ string, args []any) (any, error) {
		if method == "Command" {
			return charging.CommandResult{Status: charging.ResultCallError, Error: &charging.CallError{Code: "NotImplemented"}}, nil
		}
		return charging.CommandAccepted, nil
	})
	res, err := a.Command(context.Background(), "CP-1", "DataTransfer", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.Details != nil || res.Response != nil {
		t.Fatalf("result = %+v, want nil Details and Response", res)
	}
	if p := b.callsOf("Command")[0].Args[1].(json.RawMessage); p != nil {
		t.Fatalf("payload = %q, want nil", p)
	}
	if _, err := a.RemoteStart(context.Background(), "CP-1", charging.RemoteStart{IDTag: "t"}); err != nil {
		t.Fatal(err)
	}
	if rs := b.callsOf("RemoteStart")[0].Args[0].(charging.RemoteStart); rs.ChargingProfile != nil || rs.Profile != nil || rs.IDTag != "t" {
		t.Fatalf("RemoteStart = %+v", rs)
	}
}

func TestKeyEscaping(t *testing.T) {
	for _, id := range []string{"CP-1", "cp_1", "CP.1", "a=b", "*>", "Zähler-7", "x..y", "=3D", strings.Repeat("é", 20)} {
		key, err := keyFor(id)
		if err != nil {
			t.Fatal(err)
		}
		back, err := idFor(key)
		if err != nil || back != id {
			t.Fatalf("idFor(keyFor(%q)) = %q, %v", id, back, err)
		}
		if strings.Trim(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=") != "" {
			t.Fatalf("keyFor(%q) = %q: not a safe KV key", id, key)
		}
	}
	if _, err := keyFor(""); err == nil {
		t.Fatal("keyFor(\"\") did not fail")
	}
	c := newCluster(t, "A", "B")
	c.claim(1, "CP.1/x*>") // claim waits until A's cache knows the id
}

func TestPingAndOptions(t *testing.T) {
	c := newCluster(t, "A")
	a := c.routers[0]
	if err := a.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	a.Close()
	if err := a.Ping(context.Background()); err == nil {
		t.Fatal("Ping after Close: nil")
	}
	for _, id := range []string{"", "a.b", "a b", "*"} {
		if _, err := New(context.Background(), c.conns[0], newFake(), Options{NodeID: id}); err == nil {
			t.Errorf("New with NodeID %q: no error", id)
		}
	}
}

type entry struct {
	key string
	val []byte
	rev uint64
	op  jetstream.KeyValueOp
}

func (e entry) Bucket() string                  { return "test" }
func (e entry) Key() string                     { return e.key }
func (e entry) Value() []byte                   { return e.val }
func (e entry) Revision() uint64                { return e.rev }
func (e entry) Created() time.Time              { return time.Time{} }
func (e entry) Delta() uint64                   { return 0 }
func (e entry) Operation() jetstream.KeyValueOp { return e.op }

// The watcher's takeover rule, event by event: only a newer claim of
// another node, with no claim of this node in progress, lets go.
func TestTakeoverRule(t *testing.T) {
	c := newCluster(t, "B")
	b, fb := c.routers[0], c.fakes[0]
	claimBy := func(node string, rev uint64) entry {
		v, _ := json.Marshal(claimValue{Node: node})
		return entry{key: "CP=2E1", val: v, rev: rev, op: jetstream.KeyValuePut}
	}
	fb.connect("CP.1")
	b.applyOwner(claimBy("B", 1000))
	b.applyOwner(claimBy("C", 999)) // older news
	b.mu.Lock()
	b.claiming["CP.1"] = 1 // B's own claim is on its way
	b.mu.Unlock()
	b.applyOwner(claimBy("C", 1001))
	if n := len(fb.callsOf("Disconnect")); n != 0 {
		t.Fatalf("B let go %d times on stale news or during its own claim", n)
	}
	b.mu.Lock()
	delete(b.claiming, "CP.1")
	b.mu.Unlock()
	b.applyOwner(claimBy("C", 1002))
	eventually(t, "B lets go after C's newer claim", func() bool { return len(fb.callsOf("Disconnect")) == 1 })
	if o, _ := b.Owner("CP.1"); o != "C" {
		t.Fatalf("owner %q, want C", o)
	}
	b.applyOwner(entry{key: "CP=2E1", rev: 1003, op: jetstream.KeyValueDelete})
	if _, ok := b.Owner("CP.1"); ok {
		t.Fatal("a deleted key still has an owner")
	}
}

// recEvents records Connected and Disconnected; other events are not used.
type recEvents struct {
	charging.StationEvents
	mu   sync.Mutex
	seen []string
}

func (e *recEvents) Connected(_ context.Context, id, _ string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, "connected "+id)
	return nil
}

func (e *recEvents) Disconnected(_ context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, "disconnected "+id)
	return nil
}

func TestEvents(t *testing.T) {
	c := newCluster(t, "B", "C")
	ctx := context.Background()
	rb, rc := &recEvents{}, &recEvents{}
	eb, ec := c.routers[0].Events(rb), c.routers[1].Events(rc)

	if err := eb.Connected(ctx, "CP-1", "ocpp1.6"); err != nil {
		t.Fatal(err)
	}
	if o, ok := c.routers[0].Owner("CP-1"); !ok || o != "B" {
		t.Fatalf("after Connected on B: owner %q, %v", o, ok)
	}
	// Takeover: C's Connected, then B's late Disconnected must not record
	// the charger offline.
	if err := ec.Connected(ctx, "CP-1", "ocpp1.6"); err != nil {
		t.Fatal(err)
	}
	if err := eb.Disconnected(ctx, "CP-1"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rb.seen); got != "[connected CP-1]" {
		t.Fatalf("B recorded %s", got)
	}
	// C's own disconnection is recorded and releases the charger.
	if err := ec.Disconnected(ctx, "CP-1"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rc.seen); got != "[connected CP-1 disconnected CP-1]" {
		t.Fatalf("C recorded %s", got)
	}
	eventually(t, "B sees CP-1 released", func() bool { _, ok := c.routers[0].Owner("CP-1"); return !ok })
}

// A stale cache is corrected once, on "no responders" (the cached owner is
// gone) and on this node's own stale claim; each time the command runs
// exactly once, on the real owner.
func TestStaleCacheRetries(t *testing.T) {
	c := newCluster(t, "A", "B", "C")
	a, fc := c.routers[0], c.fakes[2]
	ctx := context.Background()
	c.claim(1, "CP-1")
	c.routers[1].Close() // B gone, its claim stays
	c.claim(2, "CP-1")
	fc.setAnswer(func(context.Context, string, string, []any) (any, error) {
		return charging.CommandStatus("from C"), nil
	})

	for _, stale := range []string{"B", "A"} {
		a.mu.Lock()
		a.owners["CP-1"] = owner{node: stale, rev: 1}
		a.mu.Unlock()
		before := len(fc.callsOf("Reset"))
		if st, err := a.Reset(ctx, "CP-1", true); err != nil || st != "from C" {
			t.Fatalf("cache naming %s: Reset = %q, %v; want C's answer", stale, st, err)
		}
		if n := len(fc.callsOf("Reset")) - before; n != 1 {
			t.Fatalf("cache naming %s: C got %d Resets, want 1", stale, n)
		}
		if o, _ := a.Owner("CP-1"); o != "C" {
			t.Fatalf("cache naming %s: not corrected, owner %q", stale, o)
		}
	}
}
