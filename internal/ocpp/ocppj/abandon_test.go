package ocppj_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// callAsync runs c.Call on its own goroutine and returns its result channel.
func callAsync(c *ocppj.Conn, ctx context.Context, action string) <-chan error {
	errc := make(chan error, 1)
	go func() { _, err := c.Call(ctx, action, nil); errc <- err }()
	return errc
}

// result waits for a Call's result.
func result(t *testing.T, errc <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(wait):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// abandonFirst sends a first CALL, cancels its caller, and checks that the
// caller returns promptly with context.Canceled and that a second Call then
// waits for the slot (the first CALL still holds it) without sending.
func abandonFirst(t *testing.T, s *server, p *peer, c *ocppj.Conn) (firstID string, second <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	first := callAsync(c, ctx, "First")
	firstID, _, _ = parseCall(t, p.next())
	cancel()
	if err := result(t, first, "the cancelled Call"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Call = %v, want context.Canceled", err)
	}
	second = callAsync(c, context.Background(), "Second")
	eventually(t, "second call to queue behind the abandoned one", func() bool { return ocppj.Queued(c) == 2 })
	p.none(100 * time.Millisecond) // the first CALL is unanswered: no second CALL
	return firstID, second
}

// TestCallAbandonedHoldsSlot: a Call whose ctx ends returns at once, but its
// CALL keeps the in-flight slot until the peer answers it; the answer is
// consumed quietly and the next CALL goes out.
func TestCallAbandonedHoldsSlot(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"callresult", `[3,"%s",{"status":"Accepted"}]`},
		{"callerror", `[4,"%s","InternalError","too late",{}]`},
		{"malformed answer", `[3,"%s",[]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16, CallTimeout: time.Minute})
			p := dialPeer(t, s.url, "ocpp1.6", true)
			c := s.conn(t)
			firstID, second := abandonFirst(t, s, p, c)

			p.send(strings.Replace(tc.answer, "%s", firstID, 1))
			id, action, _ := parseCall(t, p.next())
			if action != "Second" {
				t.Fatalf("next CALL is %s, want Second", action)
			}
			p.send(`[3,"` + id + `",{}]`)
			if err := result(t, second, "the second Call"); err != nil {
				t.Errorf("second Call = %v", err)
			}
			logs := s.logs.String()
			if !strings.Contains(logs, `level=DEBUG msg="answer to an abandoned call consumed" action=First msg_id=`+firstID) {
				t.Errorf("logs lack the consumed answer to %s:\n%s", firstID, logs)
			}
			if strings.Contains(logs, "dropping answer to no pending call") {
				t.Errorf("the answer to the abandoned call was treated as unknown:\n%s", logs)
			}
		})
	}
}

// TestCallAbandonedTimeout: an abandoned CALL the peer never answers keeps
// the slot until its CallTimeout; then the next CALL goes out, and a later
// answer to the first is unknown.
func TestCallAbandonedTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect201, CallTimeout: timeout})
	p := dialPeer(t, s.url, "ocpp2.0.1", true)
	c := s.conn(t)
	sent := time.Now()
	firstID, second := abandonFirst(t, s, p, c)

	id, action, _ := parseCall(t, p.next())
	if waited := time.Since(sent); action != "Second" || waited < timeout {
		t.Fatalf("next CALL %s after %v, want Second after the first CALL's timeout (%v)", action, waited, timeout)
	}
	p.send(`[3,"` + firstID + `",{}]`) // too late: the call has expired
	p.send(`[3,"` + id + `",{}]`)
	if err := result(t, second, "the second Call"); err != nil {
		t.Errorf("second Call = %v", err)
	}
	for _, want := range []string{
		`level=WARN msg="call timed out" action=First msg_id=` + firstID, // logged as the slot passes on
		`level=WARN msg="dropping answer to no pending call (late or unknown id)" msg_id=` + firstID,
	} {
		eventually(t, "the log line "+want, func() bool { return strings.Contains(s.logs.String(), want) })
	}
}

// TestCallAbandonedClose: the slot of an abandoned CALL is freed when the
// connection ends, and the Call waiting for it returns ErrClosed.
func TestCallAbandonedClose(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16, CallTimeout: time.Minute})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	_, second := abandonFirst(t, s, p, c)
	p.ws.NetConn().Close()
	if err := result(t, second, "the queued Call"); !errors.Is(err, ocppj.ErrClosed) {
		t.Errorf("queued Call = %v, want ErrClosed", err)
	}
	s.serveErr(t)
	if n := ocppj.Queued(c); n != 0 {
		t.Errorf("%d Calls hold or wait for the slot of an ended connection, want 0", n)
	}
}
