package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
)

// admitStrangers admits every charger as an untrusted stranger, except
// those whose id starts with "TRUSTED".
func admitStrangers(_ context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
	return charging.Admitted{Trusted: strings.HasPrefix(a.ChargerID, "TRUSTED")}, nil
}

func bootFrame(status string) string {
	return `[2,"boot","BootNotification",{"status":"` + status + `"}]`
}

func bigFrame(id string, n int) string {
	return `[2,"` + id + `","Echo",{"a":"` + strings.Repeat("x", n) + `"}]`
}

// TestStrangerBootDeadline: a stranger whose boot is not answered in time is
// closed with 1008; one answered Accepted or Pending is not.
func TestStrangerBootDeadline(t *testing.T) {
	h := newHarness(t, Options{StrangerBootTimeout: 200 * time.Millisecond}, admitStrangers)
	silent := h.mustDial("CP-1", nil, true)
	err := silent.closeErr()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Errorf("silent stranger ended with %v, want close 1008", err)
	}
	if n := h.sec.count(charging.SecBootTimeout); n != 1 {
		t.Errorf("%d %s events, want 1", n, charging.SecBootTimeout)
	}
	if _, closed, _ := h.obs.get(); closed[ClosedBootTimeout] != 1 {
		t.Errorf("closed = %v, want one %s", closed, ClosedBootTimeout)
	}

	for _, status := range []string{"Accepted", "Pending"} {
		c := h.mustDial("CP-"+status, nil, true)
		c.send(bootFrame(status))
		if got := c.next(); !strings.HasPrefix(got, `[3,"boot",`) {
			t.Fatalf("boot answer %s, want a CALLRESULT", got)
		}
		c0 := h.current("CP-" + status)
		h.g.mu.Lock()
		done := c0.bootDone
		h.g.mu.Unlock()
		if !done {
			t.Errorf("%s: boot deadline still armed after the boot was answered", status)
		}
	}
}

// TestStrangerFrameLimit: before its boot is Accepted a stranger's frames
// are limited to StrangerMaxFrameBytes (1009 beyond); after, to MaxFrameBytes.
func TestStrangerFrameLimit(t *testing.T) {
	h := newHarness(t, Options{StrangerMaxFrameBytes: 1024}, admitStrangers)

	before := h.mustDial("CP-1", nil, true)
	before.send(bigFrame("big", 2000))
	if err := before.closeErr(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("big frame before boot: %v, want close 1009", err)
	}

	accepted := h.mustDial("CP-2", nil, true)
	accepted.send(bootFrame("Accepted"))
	accepted.next()
	accepted.send(bigFrame("big", 2000))
	if got := accepted.next(); !strings.HasPrefix(got, `[3,"big",`) {
		t.Errorf("big frame after an Accepted boot: got %.40s, want a CALLRESULT", got)
	}

	pending := h.mustDial("CP-3", nil, true)
	pending.send(bootFrame("Pending"))
	pending.next()
	pending.send(bigFrame("big", 2000))
	if err := pending.closeErr(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("big frame after a Pending boot: %v, want close 1009", err)
	}

	// A trusted charger has the normal limit from the start.
	h2 := newHarness(t, Options{StrangerMaxFrameBytes: 1024}, admitAll)
	trusted := h2.mustDial("CP-1", nil, true)
	trusted.send(bigFrame("big", 2000))
	if got := trusted.next(); !strings.HasPrefix(got, `[3,"big",`) {
		t.Errorf("big frame from a trusted charger: got %.40s, want a CALLRESULT", got)
	}
}

// TestStrangerBudget: an address may have MaxStrangersPerIP strangers that
// are not yet Accepted; an Accepted boot or a disconnection frees a place.
func TestStrangerBudget(t *testing.T) {
	h := newHarness(t, Options{MaxStrangersPerIP: 2}, admitStrangers)
	s1 := h.mustDial("CP-1", nil, true)
	s2 := h.mustDial("CP-2", nil, true)
	s2.send(bootFrame("Pending")) // Pending still counts
	s2.next()
	resp := h.refused("CP-3", nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third stranger: %s, Retry-After %q; want 429 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	if n := h.sec.count(charging.SecStrangerBudget); n != 1 {
		t.Errorf("%d %s events, want 1", n, charging.SecStrangerBudget)
	}
	s1.send(bootFrame("Accepted"))
	s1.next()
	if n := h.g.Strangers(); n != 1 {
		t.Errorf("Strangers() = %d after an Accepted boot, want 1", n)
	}
	h.mustDial("CP-3", nil, true)

	// A trusted charger does not count.
	h.mustDial("TRUSTED-1", nil, true)
}
