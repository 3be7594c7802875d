package ocppj_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// TestGoAwayAnswersTheCallInFlight: a node draining lets the CALL being
// handled finish and be answered, then sends 1001; GoAway waits for it.
func TestGoAwayAnswersTheCallInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := startServer(t, ocppj.Options{PingInterval: time.Hour, Handler: func(ctx context.Context, action string, _ json.RawMessage) (any, error) {
		close(entered)
		<-release
		if err := ctx.Err(); err != nil {
			return nil, err // the handler must still have a live context
		}
		return map[string]string{"status": "Accepted"}, nil
	}})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	p.send(`[2,"slow","StatusNotification",{}]`)
	<-entered
	done := make(chan error, 1)
	go func() { done <- c.GoAway(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("GoAway returned (%v) while the CALL was being handled", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if f := p.next(); !strings.HasPrefix(f, `[3,"slow",`) || !strings.Contains(f, "Accepted") {
		t.Fatalf("answer = %s, want the CALLRESULT for slow", f)
	}
	if err := p.closeErr(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("after the answer: %v, want close 1001", err)
	}
	if err := <-done; err != nil {
		t.Errorf("GoAway = %v, want nil", err)
	}
	if err := s.serveErr(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

// TestGoAwayBounded: a handler that does not finish in time does not hold
// the drain: GoAway closes when its context ends.
func TestGoAwayBounded(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	s := startServer(t, ocppj.Options{PingInterval: time.Hour, Handler: func(ctx context.Context, action string, _ json.RawMessage) (any, error) {
		close(entered)
		<-release
		return map[string]string{}, nil
	}})
	defer close(release)
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	p.send(`[2,"stuck","Heartbeat",{}]`)
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.GoAway(ctx); err != context.DeadlineExceeded {
		t.Errorf("GoAway = %v, want DeadlineExceeded", err)
	}
	if err := p.closeErr(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("peer: %v, want close 1001", err)
	}
}

// TestGoAwayIdle: an idle connection gets 1001 at once; a second GoAway is
// a no-op.
func TestGoAwayIdle(t *testing.T) {
	s := startServer(t, ocppj.Options{PingInterval: time.Hour})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	if err := c.GoAway(context.Background()); err != nil {
		t.Fatalf("GoAway = %v", err)
	}
	if err := p.closeErr(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("peer: %v, want close 1001", err)
	}
	if err := c.GoAway(context.Background()); err != nil {
		t.Errorf("second GoAway = %v, want nil", err)
	}
}
