package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/inmem"
)

// frame is one SSE block: the lines up to a blank line.
type frame struct {
	id, event, data, retry string
	comments               []string
}

type stream struct {
	t      *testing.T
	res    *http.Response
	r      *bufio.Reader
	frames chan frame
	errc   chan error
}

// openStream GETs path as an event stream and reads frames in the
// background until the body ends; the test's cleanup closes it.
func (e *testEnv) openStream(t *testing.T, path string, header ...string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status = %d, want 200", path, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q, want text/event-stream", ct)
	}
	s := &stream{t: t, res: res, r: bufio.NewReader(res.Body), frames: make(chan frame, 100), errc: make(chan error, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.errc <- s.read()
		close(s.frames)
	}()
	t.Cleanup(func() {
		cancel()
		res.Body.Close()
		<-done
	})
	// The first frame is the retry hint, written after the subscription is
	// in place: publishing after it cannot be missed.
	if f := s.next(); f.retry != "2000" {
		t.Fatalf("first frame = %+v, want retry: 2000", f)
	}
	return s
}

func (s *stream) read() error {
	var f frame
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			s.frames <- f
			f = frame{}
		case strings.HasPrefix(line, ":"):
			f.comments = append(f.comments, strings.TrimSpace(line[1:]))
		default:
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				f.id = v
			case "event":
				f.event = v
			case "data":
				f.data = v
			case "retry":
				f.retry = v
			default:
				s.t.Errorf("unexpected SSE line %q", line)
			}
		}
	}
}

func (s *stream) next() frame {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatalf("stream ended (%v), want a frame", <-s.errc)
		}
		return f
	case <-time.After(5 * time.Second):
		s.t.Fatal("no frame within 5s")
	}
	return frame{}
}

// nextEvent skips heartbeats and returns the next event, decoded.
func (s *stream) nextEvent() (frame, charging.Event) {
	s.t.Helper()
	for {
		f := s.next()
		if f.data == "" {
			continue
		}
		var e charging.Event
		if err := json.Unmarshal([]byte(f.data), &e); err != nil {
			s.t.Fatalf("data %q: %v", f.data, err)
		}
		return f, e
	}
}

// wantEnd waits for the server to end the stream.
func (s *stream) wantEnd() {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.frames:
			if !ok {
				return
			}
		case <-deadline:
			s.t.Fatal("stream still open after 5s, want it ended")
		}
	}
}

// wantEventIDs reads events and checks their ids.
func (s *stream) wantEventIDs(ids ...uint64) {
	s.t.Helper()
	for _, id := range ids {
		f, e := s.nextEvent()
		if e.ID != id || f.id != jsonNumber(id) || f.event != e.Type {
			s.t.Fatalf("event = id %s type %s (data id %d), want id %d with matching id: and event: lines", f.id, f.event, e.ID, id)
		}
	}
}

func jsonNumber(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var bg = context.Background()

func TestEventsLive(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	s := e.openStream(t, "/api/v1/events")
	if got := s.res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := s.res.Header.Get("X-Accel-Buffering"); got != "no" {
		t.Errorf("X-Accel-Buffering = %q, want no", got)
	}

	sess := charging.Session{ID: "S-1", ChargerID: "CP-1", Status: charging.SessionActive, Origin: charging.OriginRemote, PowerW: 7208}
	e.bus.Publish(bg, charging.Event{Type: charging.EventSessionStarted, ChargerID: "CP-1", SessionID: "S-1", Session: &sess})
	f, ev := s.nextEvent()
	if f.id != "1" || f.event != "session.started" {
		t.Errorf("frame = %+v, want id 1 event session.started", f)
	}
	if ev.Session == nil || ev.Session.PowerW != 7208 || ev.ChargerID != "CP-1" || ev.Time.IsZero() {
		t.Errorf("event = %+v, want the published session with a time", ev)
	}
	if !strings.Contains(f.data, `"powerW":7208`) || !strings.Contains(f.data, `"chargerId":"CP-1"`) {
		t.Errorf("data = %s, want the Event JSON (camelCase)", f.data)
	}
	e.bus.Publish(bg, charging.Event{Type: charging.EventChargerDisconnected, ChargerID: "CP-2"})
	s.wantEventIDs(2)
}

func TestEventsFilter(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	byCharger := e.openStream(t, "/api/v1/events?chargerId=CP-1")
	bySession := e.openStream(t, "/api/v1/events?sessionId=S-2")

	e.bus.Publish(bg, charging.Event{Type: "charger.connected", ChargerID: "CP-2"})                 // 1
	e.bus.Publish(bg, charging.Event{Type: "session.started", ChargerID: "CP-1", SessionID: "S-1"}) // 2
	e.bus.Publish(bg, charging.Event{Type: "session.meter", ChargerID: "CP-3", SessionID: "S-2"})   // 3
	e.bus.Publish(bg, charging.Event{Type: "charger.disconnected", ChargerID: "CP-1"})              // 4
	e.bus.Publish(bg, charging.Event{Type: "session.stopped", ChargerID: "CP-3", SessionID: "S-2"}) // 5

	byCharger.wantEventIDs(2, 4)
	bySession.wantEventIDs(3, 5)
}

func TestEventsLastEventIDReplay(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for i := range 5 {
		cp := "CP-1"
		if i == 3 {
			cp = "CP-2"
		}
		e.bus.Publish(bg, charging.Event{Type: "connector.status", ChargerID: cp})
	}

	t.Run("header", func(t *testing.T) {
		s := e.openStream(t, "/api/v1/events?chargerId=CP-1", "Last-Event-ID", "2")
		e.bus.Publish(bg, charging.Event{Type: "connector.status", ChargerID: "CP-1"}) // 6
		s.wantEventIDs(3, 5, 6)
	})
	t.Run("query", func(t *testing.T) {
		s := e.openStream(t, "/api/v1/events?lastEventId=4")
		s.wantEventIDs(5, 6)
	})
	t.Run("header wins over query", func(t *testing.T) {
		s := e.openStream(t, "/api/v1/events?lastEventId=1", "Last-Event-ID", "5")
		s.wantEventIDs(6)
	})
	t.Run("bad id", func(t *testing.T) {
		p := wantProblem(t, e.do(t, "GET", "/api/v1/events", "", "Last-Event-ID", "abc"), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, "Last-Event-ID") {
			t.Errorf("detail = %q, want it to name Last-Event-ID", p.Detail)
		}
	})
}

// subscribeOnly hides inmem.Bus's SubscribeFrom: a bus without history.
type subscribeOnly struct{ charging.EventBus }

func TestEventsBusWithoutReplay(t *testing.T) {
	bus := inmem.NewBus(inmem.WithFirstID(1))
	e := newEnvBus(t, subscribeOnly{bus}, bus, httpapi.Options{})
	bus.Publish(bg, charging.Event{Type: charging.EventChargerConnected, ChargerID: "CP-1"}) // 1: not replayed
	s := e.openStream(t, "/api/v1/events", "Last-Event-ID", "0")
	s.wantReset() // it cannot replay: the client is told to reload
	bus.Publish(bg, charging.Event{Type: charging.EventChargerDisconnected, ChargerID: "CP-1"})
	s.wantEventIDs(2)
}

// wantReset reads the retry hint and the reset event that tells a client
// to reload its state.
func (s *stream) wantReset() {
	s.t.Helper()
	for {
		f := s.next()
		if f.event == "reset" {
			if f.id != "" || !strings.Contains(f.data, "reload") {
				s.t.Errorf("reset frame = %+v, want no id and a reason saying reload", f)
			}
			return
		}
		if f.data != "" {
			s.t.Fatalf("frame %+v before the reset", f)
		}
	}
}

// TestEventsResumeAcrossRestart: ids keep growing across a restart (a new
// bus), and a Last-Event-ID from before it, or older than the history,
// gets a reset event first (never a silent skip), then the live events.
func TestEventsResumeAcrossRestart(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	before := inmem.NewBus(inmem.WithClock(func() time.Time { return t0 }))
	before.Publish(bg, charging.Event{Type: charging.EventChargerConnected, ChargerID: "CP-1"})
	old := before.LastID()

	bus := inmem.NewBus(inmem.WithHistory(2), inmem.WithClock(func() time.Time { return t0.Add(time.Minute) }))
	e := newEnvBus(t, bus, bus, httpapi.Options{})
	for range 3 {
		bus.Publish(bg, charging.Event{Type: charging.EventChargerConnected, ChargerID: "CP-1"})
	}
	last := bus.LastID()
	if last <= old {
		t.Fatalf("ids went back across the restart: %d then %d", old, last)
	}
	s := e.openStream(t, "/api/v1/events", "Last-Event-ID", fmt.Sprint(old))
	s.wantReset()
	s.wantEventIDs(last-1, last) // what is kept, then live
	bus.Publish(bg, charging.Event{Type: charging.EventChargerDisconnected, ChargerID: "CP-1"})
	s.wantEventIDs(last + 1)

	// Older than the history (2 kept): reset too.
	s2 := e.openStream(t, "/api/v1/events", "Last-Event-ID", fmt.Sprint(last-3))
	s2.wantReset()
	// Within the history: a plain resume.
	s3 := e.openStream(t, "/api/v1/events", "Last-Event-ID", fmt.Sprint(last))
	bus.Publish(bg, charging.Event{Type: charging.EventChargerDisconnected, ChargerID: "CP-1"})
	s3.wantEventIDs(last+1, last+2)
}

// TestEventsSlowClientDropped: a client that stops reading does not pin
// its stream: the bus drops it once its buffer is full, and the stream
// ends (told why, with a later retry) instead of waiting on the client.
func TestEventsSlowClientDropped(t *testing.T) {
	bus := inmem.NewBus(inmem.WithFirstID(1), inmem.WithBuffer(4))
	e := newEnvBus(t, bus, bus, httpapi.Options{})
	s := e.openStream(t, "/api/v1/events")
	// The client reads nothing more while events pile up; the reader
	// goroutine of openStream is what the stream writes into, so fill
	// the bus faster than one event at a time can be written.
	for i := range 10000 {
		bus.Publish(bg, charging.Event{Type: charging.EventChargerConnected, ChargerID: fmt.Sprint("CP-", i)})
		if bus.Dropped() > 0 {
			break
		}
	}
	if bus.Dropped() == 0 {
		t.Skip("the stream kept up with 10,000 events: nothing to drop on this machine")
	}
	for {
		f := s.next()
		if f.event == "dropped" {
			if f.retry == "" || !strings.Contains(f.data, "Last-Event-ID") {
				t.Errorf("dropped frame = %+v, want a retry hint and a reason naming Last-Event-ID", f)
			}
			break
		}
	}
	s.wantEnd()
	for deadline := time.Now().Add(5 * time.Second); bus.Subscribers() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Subscribers = %d after the drop, want 0", bus.Subscribers())
		}
	}
}

func TestEventsHeartbeat(t *testing.T) {
	e := newEnv(t, httpapi.Options{HeartbeatInterval: 10 * time.Millisecond})
	s := e.openStream(t, "/api/v1/events")
	f := s.next()
	if len(f.comments) != 1 || f.comments[0] != "ping" || f.data != "" {
		t.Errorf("frame = %+v, want the comment \": ping\" alone", f)
	}
	e.bus.Publish(bg, charging.Event{Type: charging.EventChargerConnected, ChargerID: "CP-1"})
	s.wantEventIDs(1) // events still flow between heartbeats
}

func TestEventsClientGoneUnsubscribes(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	ctx, cancel := context.WithCancel(bg)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.bus.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d while streaming, want 1", n)
	}
	cancel()
	res.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for e.bus.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.bus.Subscribers(); n != 0 {
		t.Errorf("Subscribers = %d after the client left, want 0", n)
	}
}

func TestEventsEndWhenSubscriptionDropped(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	s := e.openStream(t, "/api/v1/events")
	e.bus.Close() // closes every subscription, as a drop does
	s.wantEnd()
}

func TestEventsEndOnShutdown(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	s := e.openStream(t, "/api/v1/events")
	e.api.SetShuttingDown()
	s.wantEnd()
	if n := e.bus.Subscribers(); n != 0 {
		// The handler returned, so its deferred Close ran.
		t.Errorf("Subscribers = %d after shutdown, want 0", n)
	}
}

// TestEventsEndWhenSignInRevoked: a stream whose token is revoked ends at
// the next heartbeat.
func TestEventsEndWhenSignInRevoked(t *testing.T) {
	e := newEnv(t, httpapi.Options{HeartbeatInterval: 50 * time.Millisecond})
	ses, err := e.acc.Signup(bg, "d@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	st := e.openStream(t, "/api/v1/events", "Authorization", "Bearer "+ses.Token)
	p, err := e.acc.Authenticate(bg, ses.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.acc.Logout(bg, p); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-st.errc:
			if err != io.EOF {
				t.Errorf("stream ended with %v, want the server's end (EOF)", err)
			}
			return
		case <-st.frames:
		case <-deadline:
			t.Fatal("the stream of a signed-out token is still open after 5s")
		}
	}
}
