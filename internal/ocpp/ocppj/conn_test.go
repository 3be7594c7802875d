package ocppj_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// testHandler answers by action, covering every kind of Handler answer.
func testHandler(ctx context.Context, action string, payload json.RawMessage) (any, error) {
	switch action {
	case "Heartbeat":
		return struct {
			CurrentTime string `json:"currentTime"`
		}{"2025-01-01T00:00:00Z"}, nil
	case "Echo":
		return payload, nil
	case "Nil":
		return nil, nil
	case "NilPointer":
		return (*struct{ A int })(nil), nil
	case "Property":
		return nil, ocppj.Errorf(ocppj.PropertyConstraintViolation, "connectorId must be >= 0")
	case "Occurrence":
		return nil, ocppj.Errorf(ocppj.OccurrenceConstraintViolation, "idTag is required")
	case "Type":
		return nil, ocppj.Errorf(ocppj.TypeConstraintViolation, "connectorId is not an integer")
	case "Format":
		return nil, ocppj.Errorf(ocppj.FormatViolation, "schema: %s", "bad")
	case "Security":
		return nil, ocppj.Errorf(ocppj.SecurityError, "not authorized")
	case "Details":
		return nil, &ocppj.Error{Code: ocppj.GenericError, Description: "see details", Details: json.RawMessage(`{"field":"x"}`)}
	case "Wrapped":
		return nil, fmt.Errorf("ocpp16: reset: %w", ocppj.Errorf(ocppj.NotSupported, "no hard reset"))
	case "Boom":
		return nil, errors.New("database is down")
	case "Panic":
		panic("handler bug")
	case "Unencodable":
		return make(chan int), nil
	}
	return nil, ocppj.Errorf(ocppj.NotImplemented, "unknown action %s", action)
}

// TestInboundFrames sends raw frames over a real WebSocket and checks the
// exact answer in both dialects.
func TestInboundFrames(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want16  string
		want201 string // "" = same as want16
	}{
		{"call", `[2,"h1","Heartbeat",{}]`, `[3,"h1",{"currentTime":"2025-01-01T00:00:00Z"}]`, ""},
		{"whitespace", " [ 2 , \"h2\" , \"Heartbeat\" , { } ] ", `[3,"h2",{"currentTime":"2025-01-01T00:00:00Z"}]`, ""},
		{"escaped id", `[2,"h\"3","Heartbeat",{}]`, `[3,"h\"3",{"currentTime":"2025-01-01T00:00:00Z"}]`, ""},
		{"raw response", `[2,"r1","Echo",{"a":[1,2]}]`, `[3,"r1",{"a":[1,2]}]`, ""},
		{"nil response", `[2,"r2","Nil",{}]`, `[3,"r2",{}]`, ""},
		{"nil pointer response", `[2,"r3","NilPointer",{}]`, `[3,"r3",{}]`, ""},

		{"not json", `[2,"j1","Heartbeat",{"a":}]`,
			`[4,"j1","FormationViolation","frame is not valid JSON",{}]`,
			`[4,"j1","RpcFrameworkError","frame is not valid JSON",{}]`},
		{"truncated", `[2,"j2","Heartbeat",{}`,
			`[4,"j2","FormationViolation","frame is not valid JSON",{}]`,
			`[4,"j2","RpcFrameworkError","frame is not valid JSON",{}]`},
		{"too few elements", `[2,"c1","Heartbeat"]`,
			`[4,"c1","FormationViolation","CALL must have 4 elements",{}]`,
			`[4,"c1","RpcFrameworkError","CALL must have 4 elements",{}]`},
		{"too many elements", `[2,"c2","Heartbeat",{},{}]`,
			`[4,"c2","FormationViolation","CALL must have 4 elements",{}]`,
			`[4,"c2","RpcFrameworkError","CALL must have 4 elements",{}]`},
		{"action not string", `[2,"a1",7,{}]`,
			`[4,"a1","FormationViolation","action is not a string",{}]`,
			`[4,"a1","RpcFrameworkError","action is not a string",{}]`},
		{"type not number", `["2","t1","Heartbeat",{}]`,
			`[4,"t1","FormationViolation","message type is not a number",{}]`,
			`[4,"t1","RpcFrameworkError","message type is not a number",{}]`},
		{"unknown message type", `[7,"t2","Heartbeat",{}]`,
			`[4,"t2","FormationViolation","message type 7 is not supported",{}]`,
			`[4,"t2","MessageTypeNotSupported","message type 7 is not supported",{}]`},
		{"payload array", `[2,"p1","Heartbeat",[]]`,
			`[4,"p1","FormationViolation","payload is not a JSON object",{}]`,
			`[4,"p1","FormatViolation","payload is not a JSON object",{}]`},
		{"payload string", `[2,"p2","Heartbeat","{}"]`,
			`[4,"p2","FormationViolation","payload is not a JSON object",{}]`,
			`[4,"p2","FormatViolation","payload is not a JSON object",{}]`},

		{"unknown action", `[2,"u1","FooBar",{}]`, `[4,"u1","NotImplemented","unknown action FooBar",{}]`, ""},
		{"property constraint", `[2,"k1","Property",{}]`, `[4,"k1","PropertyConstraintViolation","connectorId must be >= 0",{}]`, ""},
		{"occurrence constraint", `[2,"k2","Occurrence",{}]`,
			`[4,"k2","OccurenceConstraintViolation","idTag is required",{}]`,
			`[4,"k2","OccurrenceConstraintViolation","idTag is required",{}]`},
		{"type constraint", `[2,"k3","Type",{}]`, `[4,"k3","TypeConstraintViolation","connectorId is not an integer",{}]`, ""},
		{"format violation", `[2,"k4","Format",{}]`,
			`[4,"k4","FormationViolation","schema: bad",{}]`,
			`[4,"k4","FormatViolation","schema: bad",{}]`},
		{"security", `[2,"k5","Security",{}]`, `[4,"k5","SecurityError","not authorized",{}]`, ""},
		{"details", `[2,"k6","Details",{}]`, `[4,"k6","GenericError","see details",{"field":"x"}]`, ""},
		{"wrapped error", `[2,"k7","Wrapped",{}]`, `[4,"k7","NotSupported","no hard reset",{}]`, ""},
		{"internal error", `[2,"i1","Boom",{}]`, `[4,"i1","InternalError","internal error",{}]`, ""},
		{"panic", `[2,"i2","Panic",{}]`, `[4,"i2","InternalError","internal error",{}]`, ""},
		{"unencodable response", `[2,"i3","Unencodable",{}]`, `[4,"i3","InternalError","internal error",{}]`, ""},
	}
	for _, d := range []struct {
		dialect ocppj.Dialect
		proto   string
	}{{ocppj.Dialect16, "ocpp1.6"}, {ocppj.Dialect201, "ocpp2.0.1"}} {
		t.Run(d.proto, func(t *testing.T) {
			s := startServer(t, ocppj.Options{Dialect: d.dialect, Handler: testHandler})
			p := dialPeer(t, s.url, d.proto, true)
			if got := s.conn(t).Subprotocol(); got != d.proto {
				t.Fatalf("Subprotocol() = %q, want %q", got, d.proto)
			}
			for _, tt := range tests {
				want := tt.want16
				if d.dialect == ocppj.Dialect201 && tt.want201 != "" {
					want = tt.want201
				}
				p.send(tt.in)
				if got := p.next(); got != want {
					t.Errorf("%s: sent %s\n got %s\nwant %s", tt.name, tt.in, got, want)
				}
			}
			if logs := s.logs.String(); !strings.Contains(logs, `msg="handler failed" action=Boom msg_id=i1 code=InternalError err="database is down"`) {
				t.Errorf("logs lack the handler's real error:\n%s", logs)
			}
		})
	}
}

// TestDroppedFrames sends frames that must not be answered; the connection
// must stay usable after each.
func TestDroppedFrames(t *testing.T) {
	frames := []string{
		`not json`,
		`{"a":1}`,
		`"string"`,
		`17`,
		`[]`,
		`[2]`,
		`[2,17,"Heartbeat",{}]`,
		`[2,null,"Heartbeat",{}]`,
		`[2,"","Heartbeat",{}]`,
		`[7,{},"Heartbeat",{}]`,
		`[3,"nobody",{}]`,                   // answer to no pending call
		`[4,"nobody","GenericError","",{}]`, // same
		`[3,"bad",[]]`,                      // malformed answers are never answered
		`[4,"bad",1,2,{}]`,
		`[3,"bad",{]`,
	}
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect201, Handler: testHandler})
	p := dialPeer(t, s.url, "ocpp2.0.1", true)
	for i, f := range frames {
		p.send(f)
		id := fmt.Sprintf("ok%d", i)
		p.send(`[2,"` + id + `","Nil",{}]`)
		if got, want := p.next(), `[3,"`+id+`",{}]`; got != want {
			t.Errorf("after %s: got %s, want %s (the bad frame must get no answer)", f, got, want)
		}
	}
	if err := p.ws.WriteMessage(websocket.BinaryMessage, []byte(`[2,"bin","Nil",{}]`)); err != nil {
		t.Fatal(err)
	}
	p.send(`[2,"after-binary","Nil",{}]`)
	if got, want := p.next(), `[3,"after-binary",{}]`; got != want {
		t.Errorf("after binary frame: got %s, want %s", got, want)
	}
	logs := s.logs.String()
	for _, want := range []string{`level=WARN msg="dropping malformed frame"`, `level=WARN msg="dropping answer to no pending call (late or unknown id)" msg_id=nobody`, `level=WARN msg="dropping non-text frame"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestNilHandlerNotImplemented(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	p.send(`[2,"1","Heartbeat",{}]`)
	if got, want := p.next(), `[4,"1","NotImplemented","unknown action Heartbeat (no handler)",{}]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestCallOneInFlight checks OCPP's one-outstanding-CALL rule: concurrent
// Calls go out one at a time, in the order they were made.
func TestCallOneInFlight(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)

	type result struct {
		payload string
		err     error
	}
	const n = 4
	results := make([]chan result, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range n {
		results[i] = make(chan result, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := c.Call(context.Background(), fmt.Sprintf("Action%d", i), map[string]int{"n": i})
			results[i] <- result{string(b), err}
		}()
		eventually(t, fmt.Sprintf("call %d to queue", i), func() bool { return ocppj.Queued(c) == i+1 })
	}

	seen := map[string]bool{}
	for i := range n {
		id, action, payload := parseCall(t, p.next())
		if want := fmt.Sprintf("Action%d", i); action != want || string(payload) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("CALL %d: action %s payload %s, want %s {\"n\":%d}", i, action, payload, want, i)
		}
		if seen[id] || len(id) > 36 {
			t.Errorf("CALL %d: id %q reused or longer than 36 characters", i, id)
		}
		seen[id] = true
		p.none(50 * time.Millisecond) // the next CALL waits for this answer
		p.send(fmt.Sprintf(`[3,"%s",{"i":%d}]`, id, i))
		r := <-results[i]
		if r.err != nil || r.payload != fmt.Sprintf(`{"i":%d}`, i) {
			t.Errorf("Call %d = %s, %v; want {\"i\":%d}, nil", i, r.payload, r.err, i)
		}
	}
}

// TestCallQueuedContextCancel checks that a Call giving up while queued
// leaves the queue in order.
func TestCallQueuedContextCancel(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect201})
	p := dialPeer(t, s.url, "ocpp2.0.1", true)
	c := s.conn(t)

	first := make(chan error, 1)
	go func() { _, err := c.Call(context.Background(), "First", nil); first <- err }()
	id1, _, _ := parseCall(t, p.next())

	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() { _, err := c.Call(ctx, "Second", nil); second <- err }()
	eventually(t, "second call to queue", func() bool { return ocppj.Queued(c) == 2 })
	third := make(chan error, 1)
	go func() { _, err := c.Call(context.Background(), "Third", nil); third <- err }()
	eventually(t, "third call to queue", func() bool { return ocppj.Queued(c) == 3 })

	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Errorf("queued Call after cancel: err = %v, want context.Canceled", err)
	}
	p.send(`[3,"` + id1 + `",{}]`)
	if err := <-first; err != nil {
		t.Errorf("first Call: %v", err)
	}
	id3, action, _ := parseCall(t, p.next())
	if action != "Third" {
		t.Errorf("next CALL is %s, want Third", action)
	}
	p.send(`[3,"` + id3 + `",{}]`)
	if err := <-third; err != nil {
		t.Errorf("third Call: %v", err)
	}
}

// TestCallTimeout checks that a timed-out Call frees the slot and that its
// late answer is dropped.
func TestCallTimeout(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16, CallTimeout: 100 * time.Millisecond})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)

	_, err := c.Call(context.Background(), "Reset", map[string]string{"type": "Hard"})
	if !errors.Is(err, ocppj.ErrTimeout) {
		t.Fatalf("Call = %v, want ErrTimeout", err)
	}
	lateID, _, _ := parseCall(t, p.next())

	type result struct {
		payload string
		err     error
	}
	next := make(chan result, 1)
	go func() {
		b, err := c.Call(context.Background(), "GetConfiguration", nil)
		next <- result{string(b), err}
	}()
	id, action, _ := parseCall(t, p.next())
	if action != "GetConfiguration" || id == lateID {
		t.Fatalf("second CALL: action %s id %s, want GetConfiguration with a new id", action, id)
	}
	p.send(`[3,"` + lateID + `",{"status":"Accepted"}]`) // late: must be ignored
	p.send(`[3,"` + id + `",{"configurationKey":[]}]`)
	if r := <-next; r.err != nil || r.payload != `{"configurationKey":[]}` {
		t.Errorf("second Call = %s, %v; want {\"configurationKey\":[]}, nil", r.payload, r.err)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "dropping answer to no pending call (late or unknown id)\" msg_id="+lateID) {
		t.Errorf("logs lack the dropped late answer for %s:\n%s", lateID, logs)
	}
}

// TestCallError checks that a peer's CALLERROR comes back as *Error with
// the code parsed through the Dialect.
func TestCallError(t *testing.T) {
	tests := []struct {
		dialect ocppj.Dialect
		answer  string // %s is the id
		want    ocppj.Error
	}{
		{ocppj.Dialect16, `[4,"%s","OccurenceConstraintViolation","connectorId missing",{"k":1}]`,
			ocppj.Error{Code: ocppj.OccurrenceConstraintViolation, Description: "connectorId missing", Details: json.RawMessage(`{"k":1}`)}},
		{ocppj.Dialect16, `[4,"%s","FormationViolation","bad",{}]`, ocppj.Error{Code: ocppj.FormatViolation, Description: "bad", Details: json.RawMessage(`{}`)}},
		{ocppj.Dialect201, `[4,"%s","FormatViolation","bad",{}]`, ocppj.Error{Code: ocppj.FormatViolation, Description: "bad", Details: json.RawMessage(`{}`)}},
		{ocppj.Dialect201, `[4,"%s","NotSupported","",{}]`, ocppj.Error{Code: ocppj.NotSupported, Details: json.RawMessage(`{}`)}},
		{ocppj.Dialect201, `[4,"%s","VendorSpecific","x",{}]`, ocppj.Error{Code: ocppj.GenericError, Description: "x", Details: json.RawMessage(`{}`)}},
		{ocppj.Dialect16, `[4,"%s","NotImplemented","no details"]`, ocppj.Error{Code: ocppj.NotImplemented, Description: "no details"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%s", tt.dialect, tt.want.Code), func(t *testing.T) {
			s := startServer(t, ocppj.Options{Dialect: tt.dialect})
			p := dialPeer(t, s.url, tt.dialect.String(), true)
			c := s.conn(t)
			errc := make(chan error, 1)
			go func() { _, err := c.Call(context.Background(), "UnlockConnector", nil); errc <- err }()
			id, _, _ := parseCall(t, p.next())
			p.send(fmt.Sprintf(tt.answer, id))
			err := <-errc
			var e *ocppj.Error
			if !errors.As(err, &e) {
				t.Fatalf("Call = %v, want *ocppj.Error", err)
			}
			if e.Code != tt.want.Code || e.Description != tt.want.Description || string(e.Details) != string(tt.want.Details) {
				t.Errorf("Call error = %+v, want %+v", *e, tt.want)
			}
		})
	}
}

func TestCallBadAnswer(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	errc := make(chan error, 1)
	go func() { _, err := c.Call(context.Background(), "Reset", nil); errc <- err }()
	id, _, _ := parseCall(t, p.next())
	p.send(`[3,"` + id + `",["not","an","object"]]`)
	if err := <-errc; !errors.Is(err, ocppj.ErrBadAnswer) {
		t.Errorf("Call = %v, want ErrBadAnswer", err)
	}
	p.none(50 * time.Millisecond) // never answered
}

// TestCallClosed checks that in-flight and queued Calls return ErrClosed
// promptly when the peer goes away, and later Calls at once.
func TestCallClosed(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)

	errs := make(chan error, 2)
	for i := range 2 {
		go func() { _, err := c.Call(context.Background(), "Reset", nil); errs <- err }()
		eventually(t, "call to queue", func() bool { return ocppj.Queued(c) == i+1 })
	}
	p.next()
	p.ws.NetConn().Close() // vanish without a close frame

	for range 2 {
		select {
		case err := <-errs:
			if !errors.Is(err, ocppj.ErrClosed) {
				t.Errorf("Call = %v, want ErrClosed", err)
			}
		case <-time.After(wait):
			t.Fatal("Call did not return after disconnect")
		}
	}
	if err := s.serveErr(t); err == nil {
		t.Error("Serve = nil after abnormal disconnect, want an error")
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed after Serve returned")
	}
	if _, err := c.Call(context.Background(), "Reset", nil); !errors.Is(err, ocppj.ErrClosed) {
		t.Errorf("Call on ended Conn = %v, want ErrClosed", err)
	}
	if err := c.Close(websocket.CloseNormalClosure, ""); !errors.Is(err, ocppj.ErrClosed) {
		t.Errorf("Close on ended Conn = %v, want ErrClosed", err)
	}
}

// TestFrameTooBig checks that a frame over MaxFrameBytes closes the
// connection with 1009.
func TestFrameTooBig(t *testing.T) {
	s := startServer(t, ocppj.Options{Handler: testHandler, MaxFrameBytes: 1024})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	p.send(`[2,"ok","Echo",{"a":"` + strings.Repeat("x", 900) + `"}]`) // fits
	if got := p.next(); !strings.HasPrefix(got, `[3,"ok",`) {
		t.Fatalf("got %s, want a CALLRESULT", got)
	}
	p.send(`[2,"big","Echo",{"a":"` + strings.Repeat("x", 2000) + `"}]`)
	if err := p.closeErr(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("peer read error = %v, want close 1009", err)
	}
	if err := s.serveErr(t); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("Serve = %v, want a frame-too-large error", err)
	}
}

// TestPingKeepalive checks that a server pings, keeps a peer that answers,
// and drops one that does not (a gorilla peer answers pings only while it
// reads).
func TestPingKeepalive(t *testing.T) {
	const interval = 150 * time.Millisecond // generous: -race on a loaded 2-core machine delays pongs
	t.Run("answering peer stays", func(t *testing.T) {
		s := startServer(t, ocppj.Options{PingInterval: interval})
		p := dialPeer(t, s.url, "ocpp1.6", true)
		s.conn(t)
		time.Sleep(10 * interval)
		select {
		case err := <-s.errs:
			t.Fatalf("Serve returned %v while the peer answered pings", err)
		default:
		}
		if n := p.pings.Load(); n < 3 {
			t.Errorf("peer got %d pings in %v, want several", n, 10*interval)
		}
	})
	t.Run("silent peer dropped", func(t *testing.T) {
		s := startServer(t, ocppj.Options{PingInterval: interval})
		dialPeer(t, s.url, "ocpp1.6", false)
		c := s.conn(t)
		// The error names the silence (2 × interval): behaviour, not a timing assertion.
		err := s.serveErr(t)
		if err == nil || !strings.Contains(err.Error(), "silent") {
			t.Errorf("Serve = %v, want a silent-peer error", err)
		}
		<-c.Done()
	})
	t.Run("client without pings", func(t *testing.T) {
		s := startServer(t, ocppj.Options{}) // PingInterval 0
		p := dialPeer(t, s.url, "ocpp1.6", true)
		s.conn(t)
		time.Sleep(5 * interval)
		if n := p.pings.Load(); n != 0 {
			t.Errorf("peer got %d pings, want 0", n)
		}
	})
}

// TestServeContextCancel checks that cancelling Serve's ctx sends 1001 and
// that Serve returns nil.
func TestServeContextCancel(t *testing.T) {
	s := startServer(t, ocppj.Options{PingInterval: time.Hour})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	s.cancel()
	if err := p.closeErr(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("peer read error = %v, want close 1001", err)
	}
	if err := s.serveErr(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	select {
	case <-c.Done():
	case <-time.After(wait):
		t.Error("Done not closed")
	}
}

// TestServeContextCancelSilentPeer checks that Serve still returns when the
// peer never answers the close frame.
func TestServeContextCancelSilentPeer(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	dialPeer(t, s.url, "ocpp1.6", false)
	s.conn(t)
	s.cancel()
	if err := s.serveErr(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestClose(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	// A round trip proves Serve is running (a Close before Serve makes Serve
	// return ErrClosed, which TestCloseUnserved covers).
	p.send(`[2,"rt","Heartbeat",{}]`)
	p.next()
	if err := c.Close(websocket.ClosePolicyViolation, "bad credentials"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	err := p.closeErr()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != "bad credentials" {
		t.Errorf("peer read error = %v, want close 1008 \"bad credentials\"", err)
	}
	if err := s.serveErr(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if err := c.Close(websocket.CloseNormalClosure, ""); !errors.Is(err, ocppj.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

// TestPeerClose checks that a peer's normal close ends Serve with nil.
func TestPeerClose(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	s.conn(t)
	if err := p.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.serveErr(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

// TestDialRoundTrip connects an ocppj client to an ocppj server and calls in
// both directions.
func TestDialRoundTrip(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect201, Handler: testHandler, PingInterval: 20 * time.Millisecond})
	clientHandler := func(ctx context.Context, action string, payload json.RawMessage) (any, error) {
		if action == "Reset" {
			return map[string]string{"status": "Accepted"}, nil
		}
		return nil, ocppj.Errorf(ocppj.NotImplemented, "%s", action)
	}
	ctx, cancel := context.WithCancel(context.Background())
	client, resp, err := ocppj.Dial(ctx, s.url, []string{"ocpp2.0.1", "ocpp1.6"}, http.Header{"X-Test": {"1"}}, ocppj.Options{Dialect: ocppj.Dialect201, Handler: clientHandler})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || client.Subprotocol() != "ocpp2.0.1" {
		t.Fatalf("Dial: status %d subprotocol %q, want 101 ocpp2.0.1", resp.StatusCode, client.Subprotocol())
	}
	served := make(chan error, 1)
	go func() { served <- client.Serve(ctx) }()
	server := s.conn(t)
	if client.RemoteAddr() == "" || server.RemoteAddr() == "" {
		t.Error("RemoteAddr is empty")
	}

	got, err := client.Call(ctx, "Heartbeat", struct{}{})
	if err != nil || string(got) != `{"currentTime":"2025-01-01T00:00:00Z"}` {
		t.Errorf("client Heartbeat = %s, %v", got, err)
	}
	got, err = server.Call(ctx, "Reset", json.RawMessage(`{"type":"Immediate"}`))
	if err != nil || string(got) != `{"status":"Accepted"}` {
		t.Errorf("server Reset = %s, %v", got, err)
	}
	_, err = client.Call(ctx, "Unknown", nil)
	var e *ocppj.Error
	if !errors.As(err, &e) || e.Code != ocppj.NotImplemented {
		t.Errorf("client Unknown = %v, want NotImplemented", err)
	}

	cancel()
	if err := <-served; err != nil {
		t.Errorf("client Serve = %v, want nil", err)
	}
	if err := s.serveErr(t); err != nil {
		t.Errorf("server Serve = %v, want nil (client closed with 1001)", err)
	}
}

func TestDialNoSubprotocol(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	_, _, err := ocppj.Dial(context.Background(), s.url, []string{"ocpp1.5"}, nil, ocppj.Options{})
	if !errors.Is(err, ocppj.ErrNoSubprotocol) {
		t.Errorf("Dial = %v, want ErrNoSubprotocol", err)
	}
	s.serveErr(t) // the server side sees the client hang up
}

// TestCloseUnserved checks that closing a Conn whose Serve never ran ends it.
func TestCloseUnserved(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	client, _, err := ocppj.Dial(context.Background(), s.url, []string{"ocpp1.6"}, nil, ocppj.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Close(websocket.CloseNormalClosure, ""); err != nil {
		t.Errorf("Close = %v", err)
	}
	<-client.Done()
	if err := client.Serve(context.Background()); !errors.Is(err, ocppj.ErrClosed) {
		t.Errorf("Serve after Close = %v, want ErrClosed", err)
	}
	if err := s.serveErr(t); err != nil {
		t.Errorf("server Serve = %v, want nil", err)
	}
}

// TestMessageIDsDifferAcrossConnections checks that a reconnecting charger
// never sees an id it saw on the previous connection.
func TestMessageIDsDifferAcrossConnections(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	ids := map[string]bool{}
	for range 2 {
		p := dialPeer(t, s.url, "ocpp1.6", true)
		c := s.conn(t)
		for range 2 {
			errc := make(chan error, 1)
			go func() { _, err := c.Call(context.Background(), "Heartbeat", nil); errc <- err }()
			id, _, _ := parseCall(t, p.next())
			if ids[id] || len(id) > 36 {
				t.Errorf("id %q reused or longer than 36 characters", id)
			}
			ids[id] = true
			p.send(`[3,"` + id + `",{}]`)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
	}
}
