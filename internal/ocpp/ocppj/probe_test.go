package ocppj_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// TestSetMaxFrameBytes checks that the frame limit of a live connection can
// be raised and lowered; the new limit applies from the next frame read.
func TestSetMaxFrameBytes(t *testing.T) {
	s := startServer(t, ocppj.Options{Handler: testHandler, MaxFrameBytes: 1024})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	big := `[2,"big","Echo",{"a":"` + strings.Repeat("x", 2000) + `"}]`

	c.SetMaxFrameBytes(4096)
	if got := c.MaxFrameBytes(); got != 4096 {
		t.Fatalf("MaxFrameBytes() = %d, want 4096", got)
	}
	// The read in progress keeps the old limit; the next one has the new.
	p.send(`[2,"1","Echo",{}]`)
	p.next()
	p.send(big)
	if got := p.next(); !strings.HasPrefix(got, `[3,"big",`) {
		t.Fatalf("after raising the limit: got %.40s, want a CALLRESULT", got)
	}

	c.SetMaxFrameBytes(1024)
	p.send(`[2,"2","Echo",{}]`)
	p.next()
	p.send(big)
	if err := p.closeErr(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("after lowering the limit: peer read error = %v, want close 1009", err)
	}
	if err := s.serveErr(t); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("Serve = %v, want a frame-too-large error naming 1024", err)
	}
}

// TestProbe checks that Probe tells a peer that answers pings from one that
// does not, and that concurrent probes share one ping.
func TestProbe(t *testing.T) {
	ctx := context.Background()
	t.Run("answering peer", func(t *testing.T) {
		s := startServer(t, ocppj.Options{})
		p := dialPeer(t, s.url, "ocpp1.6", true)
		c := s.conn(t)
		var wg sync.WaitGroup
		alive := make([]bool, 10)
		for i := range alive {
			wg.Go(func() { alive[i] = c.Probe(ctx, wait) })
		}
		wg.Wait()
		for i, ok := range alive {
			if !ok {
				t.Errorf("probe %d = false, want true", i)
			}
		}
		if n := p.pings.Load(); n != 1 {
			t.Errorf("peer got %d pings, want 1 (shared by concurrent probes, then recent activity)", n)
		}
	})
	t.Run("a frame is no answer", func(t *testing.T) {
		// A frame read before the probe proves nothing about now: the
		// probe still pings.
		s := startServer(t, ocppj.Options{Handler: testHandler})
		p := dialPeer(t, s.url, "ocpp1.6", true)
		c := s.conn(t)
		p.send(`[2,"1","Echo",{}]`)
		p.next()
		if !c.Probe(ctx, wait) {
			t.Error("Probe = false, want true")
		}
		if n := p.pings.Load(); n != 1 {
			t.Errorf("peer got %d pings, want 1", n)
		}
	})
	t.Run("peer closed", func(t *testing.T) {
		s := startServer(t, ocppj.Options{Handler: testHandler})
		p := dialPeer(t, s.url, "ocpp1.6", true)
		c := s.conn(t)
		p.send(`[2,"1","Echo",{}]`)
		p.next()
		p.ws.UnderlyingConn().Close() // no close frame: just gone
		start := time.Now()
		if c.Probe(ctx, wait) {
			t.Error("Probe = true after the peer closed its socket, want false")
		}
		if d := time.Since(start); d >= wait {
			t.Errorf("Probe took %v, want it to notice the closed socket before the window ends", d)
		}
	})
	t.Run("silent peer", func(t *testing.T) {
		s := startServer(t, ocppj.Options{})
		dialPeer(t, s.url, "ocpp1.6", false) // never reads, so never answers a ping
		c := s.conn(t)
		if c.Probe(ctx, 100*time.Millisecond) {
			t.Error("Probe = true for a peer that does not answer pings, want false")
		}
	})
	t.Run("ended", func(t *testing.T) {
		s := startServer(t, ocppj.Options{})
		dialPeer(t, s.url, "ocpp1.6", true)
		c := s.conn(t)
		c.Close(websocket.CloseNormalClosure, "")
		if c.Probe(ctx, wait) {
			t.Error("Probe = true on a closed connection, want false")
		}
	})
}
