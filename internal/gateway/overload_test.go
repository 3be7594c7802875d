package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestMaxChargers: over the node's maximum a new charger gets 503 with a
// Retry-After; once one leaves, a new one gets in.
func TestMaxChargers(t *testing.T) {
	h := newHarness(t, Options{MaxChargers: 2}, nil)
	a := h.mustDial("MAX-1", nil, true)
	h.mustDial("MAX-2", nil, true)
	_, resp, err := h.dial("MAX-3", nil, true)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third charger: %v %v, want 503", resp, err)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 30 || s > 60 {
		t.Errorf("Retry-After = %q, want 30 to 60 s", resp.Header.Get("Retry-After"))
	}
	if refused, _, _ := h.obs.get(); refused[RefusedOverloaded] != 1 {
		t.Errorf("refused = %v, want one overloaded", refused)
	}
	a.ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for h.g.Count() >= 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	h.mustDial("MAX-3", nil, true)
}

// TestUpgradeRate: a burst of upgrades above the node's rate is answered
// 503 with spread Retry-After values, at once, instead of queueing.
func TestUpgradeRate(t *testing.T) {
	h := newHarness(t, Options{UpgradeRate: Rate{Burst: 3, Every: time.Hour}, MaxStrangersPerIP: -1}, nil)
	for i := range 3 {
		h.mustDial("RATE-"+strconv.Itoa(i), nil, true)
	}
	seen := map[string]bool{}
	for i := range 20 {
		start := time.Now()
		_, resp, err := h.dial("RATE-X"+strconv.Itoa(i), nil, true)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("upgrade over the rate: %v %v, want 503", resp, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("refusal took %s, want at once", d)
		}
		seen[resp.Header.Get("Retry-After")] = true
	}
	if len(seen) < 2 {
		t.Errorf("Retry-After values %v: want them spread", seen)
	}
	h.clock.Add(time.Hour)
	h.mustDial("RATE-LATER", nil, true)
}

// TestShutdownDrains: while the gateway drains, a new charger gets 503
// with a Retry-After; the connected charger gets the answer to the CALL it
// is being handled for, then 1001.
func TestShutdownDrains(t *testing.T) {
	h := newHarness(t, Options{}, nil)
	c := h.mustDial("DRAIN-1", nil, true)
	c.send(`[2,"slow","Sleep",{"ms":1500}]`)
	time.Sleep(100 * time.Millisecond) // the handler is running
	done := make(chan error, 1)
	go func() { done <- h.g.Shutdown(context.Background()) }()
	deadline := time.Now().Add(time.Second)
	for {
		_, resp, err := h.dial("DRAIN-NEW", nil, true)
		if err != nil && resp != nil && resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a new charger while draining: %v %v, want 503 with Retry-After", resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if f := c.next(); !strings.HasPrefix(f, `[3,"slow"`) {
		t.Fatalf("answer while draining = %s, want the CALLRESULT", f)
	}
	if err := c.closeErr(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("after the answer: %v, want close 1001", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}
