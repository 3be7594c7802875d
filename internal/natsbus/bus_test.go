package natsbus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/natsbus"
)

var ctx = context.Background()

// cluster is one test's stream: every bus made with node shares it, like
// the nodes of a Joule cluster.
type cluster struct {
	t      *testing.T
	url    string
	stream string
	prefix string
}

// newCluster returns a cluster with its own stream and subject prefix; the
// stream is deleted at cleanup.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	url := os.Getenv("JOULE_TEST_NATS_URL")
	if url == "" {
		t.Skip("JOULE_TEST_NATS_URL not set: natsbus tests need a NATS server with JetStream (e.g. nats://127.0.0.1:4222)")
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	c := &cluster{t: t, url: url, stream: "JOULE_TEST_" + strings.ToUpper(id), prefix: "joule.test." + id}
	t.Cleanup(func() {
		nc := c.conn()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := js.DeleteStream(dctx, c.stream); err != nil {
			t.Errorf("cleanup: delete stream %s: %v", c.stream, err)
		}
	})
	return c
}

// conn returns a new connection, closed at cleanup.
func (c *cluster) conn() *nats.Conn {
	c.t.Helper()
	nc, err := nats.Connect(c.url, nats.Name("joule-natsbus-test"))
	if err != nil {
		c.t.Fatalf("connect %s: %v", c.url, err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}

// node returns a bus on its own connection, closed at cleanup.
func (c *cluster) node(opts natsbus.Options) *natsbus.Bus {
	c.t.Helper()
	opts.Stream = c.stream
	opts.SubjectPrefix = c.prefix
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(tWriter{c.t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = 64 << 20
	}
	b, err := natsbus.New(ctx, c.conn(), opts)
	if err != nil {
		c.t.Fatalf("natsbus.New: %v", err)
	}
	c.t.Cleanup(b.Close)
	return b
}

// tWriter writes the bus's log to the test's.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func TestBusSuite(t *testing.T) {
	chargingtest.EventBusSuite(t, func(t *testing.T, buffer int) chargingtest.Bus {
		return newCluster(t).node(natsbus.Options{Buffer: buffer})
	})
}

// Two nodes see each other's events, in the same order, with the same ids.
func TestTwoNodesSameOrder(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(natsbus.Options{Buffer: 1024}), c.node(natsbus.Options{Buffer: 1024})
	subA := a.Subscribe(charging.EventFilter{})
	subB := b.Subscribe(charging.EventFilter{})
	defer subA.Close()
	defer subB.Close()

	const each = 200
	var wg sync.WaitGroup
	for i, n := range []*natsbus.Bus{a, b} {
		wg.Go(func() {
			for j := range each {
				n.Publish(ctx, charging.Event{Type: "x", ChargerID: []string{"CP-A", "CP-B"}[i], ConnectorID: j})
			}
		})
	}
	wg.Wait()
	gotA := chargingtest.RecvEvents(t, subA, 2*each)
	gotB := chargingtest.RecvEvents(t, subB, 2*each)
	if !reflect.DeepEqual(gotA, gotB) {
		t.Fatalf("the nodes saw different events:\nA %v\nB %v", chargingtest.EventIDs(gotA), chargingtest.EventIDs(gotB))
	}
	next := map[string]int{}
	for i, e := range gotA {
		if e.ID != uint64(i)+1 {
			t.Fatalf("event %d has id %d, want %d", i, e.ID, i+1)
		}
		// Each node's own publish order is kept.
		if e.ConnectorID != next[e.ChargerID] {
			t.Fatalf("%s: event %d after %d", e.ChargerID, e.ConnectorID, next[e.ChargerID]-1)
		}
		next[e.ChargerID]++
	}
	if a.LastID() != 2*each || b.LastID() != 2*each {
		t.Errorf("LastID = %d, %d, want %d", a.LastID(), b.LastID(), 2*each)
	}
}

// A client that read up to some id on one node resumes on another.
func TestResumeOnOtherNode(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(natsbus.Options{}), c.node(natsbus.Options{})
	subA := a.Subscribe(charging.EventFilter{SessionID: "S-1"})
	for i := range 10 {
		sess := "S-1"
		if i%2 == 1 {
			sess = "S-2"
		}
		a.Publish(ctx, charging.Event{Type: charging.EventSessionMeter, ChargerID: "CP-1", SessionID: sess})
	}
	got := chargingtest.RecvEvents(t, subA, 3) // ids 1, 3, 5
	chargingtest.WantIDs(t, got, 1, 3, 5)
	subA.Close()
	chargingtest.WaitLastID(t, b, 10)

	sub, complete := b.ResumeFrom(charging.EventFilter{SessionID: "S-1"}, got[2].ID)
	defer sub.Close()
	if !complete {
		t.Fatal("complete = false, want true")
	}
	a.Publish(ctx, charging.Event{Type: charging.EventSessionStopped, ChargerID: "CP-1", SessionID: "S-1"}) // 11
	chargingtest.WantIDs(t, chargingtest.RecvEvents(t, sub, 3), 7, 9, 11)
}

// A client may resume on a node that has not yet received its last event
// (another node published it a moment ago): that node skips it.
func TestResumeAheadOfNode(t *testing.T) {
	c := newCluster(t)
	a := c.node(natsbus.Options{})
	b := c.node(natsbus.Options{})
	for range 3 {
		a.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	}
	chargingtest.WaitLastID(t, a, 3)
	// b may or may not have seen 1..3 yet; either way it resumes after 3.
	sub, complete := b.ResumeFrom(charging.EventFilter{}, 3)
	defer sub.Close()
	if !complete {
		t.Fatal("complete = false, want true")
	}
	a.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	chargingtest.WantIDs(t, chargingtest.RecvEvents(t, sub, 1), 4)
}

// ResumeFrom reports a reset when the events after the id expired or the
// id was never issued, and the feed is then live only.
func TestResumeReset(t *testing.T) {
	c := newCluster(t)
	b := c.node(natsbus.Options{MaxMsgs: 5})
	for range 10 {
		b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	}
	chargingtest.WaitLastID(t, b, 10)
	for _, tc := range []struct {
		name     string
		after    uint64
		complete bool
	}{
		{"too old", 2, false},
		{"just too old", 4, false},
		{"oldest kept", 5, true},
		{"up to date", 10, true},
		{"never issued", 11, false},
		{"never issued, far", 1 << 40, false},
	} {
		sub, ok := b.ResumeFrom(charging.EventFilter{}, tc.after)
		if ok != tc.complete {
			t.Errorf("%s: complete = %v, want %v", tc.name, ok, tc.complete)
		}
		sub.Close()
	}
	old, ok := b.ResumeFrom(charging.EventFilter{}, 1)
	defer old.Close()
	if ok {
		t.Fatal("complete = true for an expired id")
	}
	b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	chargingtest.WantIDs(t, chargingtest.RecvEvents(t, old, 1), 11) // no replay
}

// Charger ids may hold characters that NATS subjects do not allow; a
// filtered catch-up reads the charger's subject.
func TestChargerIDsInSubjects(t *testing.T) {
	c := newCluster(t)
	b := c.node(natsbus.Options{})
	ids := []string{"CP.1", "CP.*", "CP>", "Ladesäule-7", "cp-1", "CP-1", ""}
	for _, id := range ids {
		b.Publish(ctx, charging.Event{Type: "x", ChargerID: id})
	}
	chargingtest.WaitLastID(t, b, uint64(len(ids)))
	for i, id := range ids {
		if id == "" {
			continue
		}
		sub, ok := b.ResumeFrom(charging.EventFilter{ChargerID: id}, 0)
		if !ok {
			t.Errorf("%q: complete = false", id)
		}
		got := chargingtest.RecvEvents(t, sub, 1)
		if got[0].ChargerID != id || got[0].ID != uint64(i)+1 {
			t.Errorf("%q: got %q id %d, want id %d", id, got[0].ChargerID, got[0].ID, i+1)
		}
		if more, _ := chargingtest.DrainEvents(sub); len(more) > 0 {
			t.Errorf("%q: also got %v", id, chargingtest.EventIDs(more))
		}
		sub.Close()
	}
}

func ptr[T any](v T) *T { return &v }

// fullEvent returns an event with every field of it and of its parts set
// (and pointers to zero values and empty slices without omitempty, which
// clients tell from nil).
func fullEvent() charging.Event {
	t0 := time.Date(2026, 12, 6, 7, 8, 9, 123456789, time.UTC)
	spec := charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, Format: "Cable", PowerType: "DC", MaxPowerW: 150000}
	conn := charging.Connector{ConnectorID: 1, Status: charging.StatusCharging, ErrorCode: "NoError", Info: "info",
		VendorErrorCode: "V42", EVSEID: "DE*ABC*E123456*1", ConnectorType: charging.ConnectorCCS2, Format: "Cable",
		PowerType: "DC", MaxPowerW: 150000, Type: "CCS2", Operator: spec, Reported: charging.ConnectorSpec{MaxPowerW: 1}, UpdatedAt: t0}
	return charging.Event{
		ID: 0, Type: charging.EventSessionMeter, Time: t0, ChargerID: "CP.1*>", ConnectorID: 1,
		SessionID: "S-1", SiteID: "site-1",
		Charger: &charging.Charger{ID: "CP.1*>", Name: "Bay 1", SiteID: "site-1", Vendor: "V", Model: "M",
			SerialNumber: "SN", FirmwareVersion: "1.2.3", ICCID: "icc", IMSI: "imsi", MeterType: "mt",
			MeterSerialNumber: "msn", OCPPVersion: charging.OCPP201, OCPPVersionOverride: charging.OCPP16,
			Online: true, LastSeenAt: ptr(t0), LastBootAt: ptr(t0.Add(-time.Hour)),
			RegistrationStatus: charging.RegistrationAccepted, SecurityProfile: 2, MinSecurityProfile: 1,
			Admission: charging.AdmissionAccepted, PasswordSetAt: ptr(t0), PasswordPending: true,
			Status: charging.StatusAvailable, FirmwareStatus: "Installed", DiagnosticsStatus: "Uploaded",
			CreatedAt: t0, Connectors: []charging.Connector{conn, {ConnectorID: 2}}},
		Connector: &conn,
		Session: &charging.Session{ID: "S-1", ChargerID: "CP.1*>", ConnectorID: 1, IDTag: "TAG", OwnerID: "u1",
			TransactionID: "42", Status: "Active", Origin: charging.OriginRemote, CreatedAt: t0, UpdatedAt: t0,
			StartedAt: ptr(t0), StoppedAt: nil, MeterStartWh: ptr(0.0), MeterStopWh: ptr(12.5), EnergyWh: 12.5,
			PowerW: 7000, CurrentA: ptr(0.0), VoltageV: ptr(230.0), SoCPercent: ptr(55.5), StopReason: "Remote",
			FailureReason: "none", StopRequestedAt: ptr(t0), RemoteStartID: 7, ReservationID: 3,
			IdempotencyKey: "idem-1", Flags: []string{"duplicate-start"}, ClosedBy: charging.ClosedByOperator},
		Site: &charging.Site{ID: "site-1", Name: "Depot",
			Address:     charging.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115", State: "BE", Country: "DEU"},
			Coordinates: &charging.Coordinates{Latitude: 52.52, Longitude: 13.4}, TimeZone: "Europe/Berlin",
			OpeningTimes: &charging.OpeningTimes{TwentyFourSeven: true,
				RegularHours:        []charging.RegularHours{{Weekday: 1, PeriodBegin: "08:00", PeriodEnd: "20:00"}},
				ExceptionalOpenings: []charging.ExceptionalPeriod{{PeriodBegin: t0, PeriodEnd: t0.Add(time.Hour)}},
				ExceptionalClosings: nil}, // omitempty: JSON (and so clients) cannot tell nil from empty
			Notes: "gate 4711", CreatedAt: t0, UpdatedAt: t0},
		Samples: []charging.MeterSample{{ID: 9, SessionID: "S-1", ChargerID: "CP.1*>", ConnectorID: 1,
			TransactionID: "42", Timestamp: t0, Measurand: "Energy.Active.Import.Register", Phase: "L1",
			Location: "Outlet", Context: "Sample.Periodic", Format: "Raw", Unit: "Wh", Value: 12.5, Raw: "12.5"}},
	}
}

// An event arrives as it was published: every field, the ones JSON
// leaves out included, on this node and on another.
func TestRoundTrip(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(natsbus.Options{}), c.node(natsbus.Options{})
	subB := b.Subscribe(charging.EventFilter{})
	defer subB.Close()
	want := fullEvent()
	a.Publish(ctx, want)
	want.ID = 1

	got := chargingtest.RecvEvents(t, subB, 1)[0]
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("round trip:\ngot  %s\nwant %s\nidempotency %q, want %q", gj, wj, got.Session.IdempotencyKey, want.Session.IdempotencyKey)
	}
	// And through a catch-up read.
	sub, _ := a.ResumeFrom(charging.EventFilter{ChargerID: want.ChargerID}, 0)
	defer sub.Close()
	if got := chargingtest.RecvEvents(t, sub, 1)[0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("catch-up round trip differs: %+v", got)
	}
}

// A meter value of NaN (a charger may send "NaN") cannot be JSON: the
// event still goes through.
func TestNonFiniteValues(t *testing.T) {
	c := newCluster(t)
	b := c.node(natsbus.Options{})
	sub := b.Subscribe(charging.EventFilter{})
	defer sub.Close()
	b.Publish(ctx, charging.Event{Type: charging.EventSessionMeter, ChargerID: "CP-1", SessionID: "S-1",
		Samples: []charging.MeterSample{{Value: math.NaN()}, {Value: math.Inf(-1)}},
		Session: &charging.Session{ID: "S-1", PowerW: math.Inf(1), IdempotencyKey: "k"}})
	b.Publish(ctx, charging.Event{Type: "after", ChargerID: "CP-1"})
	got := chargingtest.RecvEvents(t, sub, 2)
	chargingtest.WantIDs(t, got, 1, 2)
	e := got[0]
	if len(e.Samples) != 2 || !math.IsNaN(e.Samples[0].Value) || !math.IsInf(e.Samples[1].Value, -1) ||
		e.Session == nil || !math.IsInf(e.Session.PowerW, 1) || e.Session.IdempotencyKey != "k" {
		t.Errorf("event = %+v", e)
	}
}

// A slow subscriber on one node is dropped while fast ones go on; Publish
// on another node never waits for it.
func TestSlowSubscriberAcrossNodes(t *testing.T) {
	c := newCluster(t)
	a := c.node(natsbus.Options{})
	b := c.node(natsbus.Options{Buffer: 4})
	slow := b.Subscribe(charging.EventFilter{})
	fast := b.Subscribe(charging.EventFilter{})
	onA := a.Subscribe(charging.EventFilter{})
	defer fast.Close()
	defer onA.Close()
	start := time.Now()
	for i := range 10 {
		a.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
		chargingtest.WantIDs(t, chargingtest.RecvEvents(t, fast, 1), uint64(i)+1)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("10 publishes took %v", d)
	}
	chargingtest.WantIDs(t, chargingtest.RecvEvents(t, onA, 10)[9:], 10)
	var n int
	for range slow.Events() {
		n++
	}
	if n != 4 {
		t.Errorf("slow subscriber got %d events before the drop, want 4", n)
	}
	if b.Dropped() != 1 || a.Dropped() != 0 {
		t.Errorf("Dropped = %d on b, %d on a; want 1, 0", b.Dropped(), a.Dropped())
	}
}

// A subscriber that falls behind during its catch-up is dropped too.
func TestSlowSubscriberDuringCatchUp(t *testing.T) {
	c := newCluster(t)
	b := c.node(natsbus.Options{Buffer: 4})
	for range 20 {
		b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	}
	chargingtest.WaitLastID(t, b, 20)
	sub, ok := b.ResumeFrom(charging.EventFilter{}, 0)
	if !ok {
		t.Fatal("complete = false")
	}
	for range 20 { // live events queue while nobody reads
		b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	}
	chargingtest.WaitLastID(t, b, 40)
	var last uint64
	for e := range sub.Events() {
		if e.ID != last+1 {
			t.Fatalf("id %d after %d", e.ID, last)
		}
		last = e.ID
	}
	if last >= 40 {
		t.Errorf("got every event (last %d), want a drop", last)
	}
	if b.Dropped() != 1 || b.Subscribers() != 0 {
		t.Errorf("Dropped = %d, Subscribers = %d; want 1, 0", b.Dropped(), b.Subscribers())
	}
	sub.Close()
}

// Close during a catch-up ends it and closes the channel.
func TestCloseDuringCatchUp(t *testing.T) {
	c := newCluster(t)
	b := c.node(natsbus.Options{Buffer: 2})
	for range 50 {
		b.Publish(ctx, charging.Event{Type: "x"})
	}
	chargingtest.WaitLastID(t, b, 50)
	sub := b.SubscribeFrom(charging.EventFilter{}, 0)
	other := b.SubscribeFrom(charging.EventFilter{}, 0)
	chargingtest.RecvEvents(t, sub, 1)
	sub.Close()
	for range sub.Events() {
	}
	b.Close() // ends other's catch-up
	for range other.Events() {
	}
	if b.Subscribers() != 0 || b.Dropped() != 0 {
		t.Errorf("Subscribers = %d, Dropped = %d; want 0, 0", b.Subscribers(), b.Dropped())
	}
}

// A node started later continues the ids; Ping answers; a bus on a closed
// connection does not block Publish.
func TestRestartPingAndOutage(t *testing.T) {
	c := newCluster(t)
	a := c.node(natsbus.Options{})
	for range 3 {
		a.Publish(ctx, charging.Event{Type: "x"})
	}
	chargingtest.WaitLastID(t, a, 3)
	a.Close()

	nc := c.conn()
	b, err := natsbus.New(ctx, nc, natsbus.Options{Stream: c.stream, SubjectPrefix: c.prefix, MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.LastID() != 3 {
		t.Errorf("LastID after restart = %d, want 3", b.LastID())
	}
	if err := b.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	sub, ok := b.ResumeFrom(charging.EventFilter{}, 1)
	if !ok {
		t.Error("resume across a restart: complete = false")
	}
	chargingtest.WantIDs(t, chargingtest.RecvEvents(t, sub, 2), 2, 3)

	nc.Close() // NATS gone for this node
	start := time.Now()
	for range 10_000 {
		b.Publish(ctx, charging.Event{Type: "x"})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Publish with NATS down took %v for 10000 events", d)
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := b.Ping(pctx); err == nil {
		t.Error("Ping with NATS down = nil, want an error")
	}
	if _, ok := b.ResumeFrom(charging.EventFilter{}, 3); ok {
		t.Error("ResumeFrom with NATS down: complete = true, want false")
	}
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close with NATS down did not return")
	}
	for range sub.Events() {
	}
	if b.Lost() == 0 {
		t.Error("Lost = 0 after publishing with NATS down")
	}
}

// Several nodes may create the stream at once.
func TestConcurrentNew(t *testing.T) {
	c := newCluster(t)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			nc, err := nats.Connect(c.url)
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			b, err := natsbus.New(ctx, nc, natsbus.Options{Stream: c.stream, SubjectPrefix: c.prefix, MaxBytes: 64 << 20})
			if err != nil {
				t.Error(err)
				return
			}
			b.Close()
		})
	}
	wg.Wait()
}

// natsServer runs a nats-server of the test's own (for an outage), on
// port with its store in dir; it is stopped at cleanup.
func natsServer(t *testing.T, port int, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
		if err == nil {
			js, _ := jetstream.New(nc)
			_, err = js.AccountInfo(ctx)
			nc.Close()
			if err == nil {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server on port %d not ready: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// While NATS is down Publish returns at once; when it is back every node
// continues, in order, without duplicates, from where it was.
func TestOutage(t *testing.T) {
	if os.Getenv("JOULE_TEST_NATS_URL") == "" {
		t.Skip("JOULE_TEST_NATS_URL not set: natsbus tests need NATS")
	}
	if _, err := exec.LookPath("nats-server"); err != nil {
		t.Skip("nats-server not in PATH: the outage test runs a server of its own")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	srv := natsServer(t, port, dir)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	node := func(opts ...natsbus.Options) *natsbus.Bus {
		nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		o := natsbus.Options{MaxBytes: 64 << 20, PublishTimeout: time.Second, RequestTimeout: time.Second,
			Logger: slog.New(slog.NewTextHandler(tWriter{t}, nil))}
		if len(opts) > 0 {
			o.Buffer = opts[0].Buffer
		}
		b, err := natsbus.New(ctx, nc, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b
	}
	a, b := node(), node()
	b.Close() // b is the reader: a large buffer, for the burst after the restart
	b = node(natsbus.Options{Buffer: 4096})
	sub := b.Subscribe(charging.EventFilter{})
	defer sub.Close()
	for range 5 {
		a.Publish(ctx, charging.Event{Type: "before"})
	}
	chargingtest.WantIDs(t, chargingtest.RecvEvents(t, sub, 5), 1, 2, 3, 4, 5)

	_ = srv.Process.Kill()
	_ = srv.Wait()
	start := time.Now()
	for range 1000 {
		a.Publish(ctx, charging.Event{Type: "during"})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("1000 publishes with NATS down took %v", d)
	}
	pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	if err := a.Ping(pctx); err == nil {
		t.Error("Ping with NATS down = nil, want an error")
	}
	cancel()

	natsServer(t, port, dir)
	// Publish until b sees an event published after the restart; what
	// was published during the outage may or may not have been stored.
	var last uint64 = 5
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatalf("subscription closed after id %d", last)
			}
			if e.ID != last+1 {
				t.Fatalf("id %d after %d: want consecutive ids", e.ID, last)
			}
			last = e.ID
			if e.Type == "after" {
				if err := a.Ping(ctx); err != nil {
					t.Errorf("Ping after the restart: %v", err)
				}
				return
			}
		case <-tick.C:
			a.Publish(ctx, charging.Event{Type: "after"})
		case <-deadline:
			t.Fatalf("no event after the restart (last id %d, a lost %d)", last, a.Lost())
		}
	}
}
