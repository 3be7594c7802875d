package gateway

import (
	"fmt"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
)

// A stranger is a connection Admit did not mark Trusted: an unknown charger
// under an open or approve registration policy, or a Pending one. Anyone
// can be a stranger, so until its BootNotification is answered it costs
// little and cannot stay idle:
//
//   - its frames are limited to StrangerMaxFrameBytes (a larger one closes
//     the connection with 1009) until its boot is Accepted;
//   - if no BootNotification was answered Accepted or Pending within
//     StrangerBootTimeout, it is closed with 1008 (SecBootTimeout);
//   - one address has at most MaxStrangersPerIP of them that are not yet
//     Accepted (a Pending one keeps counting: it waits for an operator).

// reserveStranger counts one more stranger from ip, unless ip is at its
// budget.
func (g *Gateway) reserveStranger(ip string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opts.MaxStrangersPerIP > 0 && g.strangers[ip] >= g.opts.MaxStrangersPerIP {
		return false
	}
	g.strangers[ip]++
	return true
}

// uncountStranger undoes reserveStranger; g.mu is held.
func (g *Gateway) uncountStranger(ip string) {
	if g.strangers[ip] <= 1 {
		delete(g.strangers, ip)
		return
	}
	g.strangers[ip]--
}

// strangerRetryAfter is the Retry-After of a refusal over the budget: by
// then every stranger counted now has booted or been closed, unless Pending.
func (g *Gateway) strangerRetryAfter() time.Duration {
	if g.opts.StrangerBootTimeout > 0 {
		return g.opts.StrangerBootTimeout
	}
	return time.Minute
}

// armBootDeadline starts a stranger's boot deadline. The timer's callback
// is counted in g.wg until it ran or was stopped.
func (g *Gateway) armBootDeadline(id string, c *conn) {
	if g.opts.StrangerBootTimeout < 0 {
		return
	}
	g.wg.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	c.bootTimer = time.AfterFunc(g.opts.StrangerBootTimeout, func() {
		defer g.wg.Done()
		g.mu.Lock()
		done := c.bootDone
		c.bootDone = true
		g.mu.Unlock()
		if done {
			return // stopped while firing
		}
		why := fmt.Sprintf("no BootNotification answered within %v", g.opts.StrangerBootTimeout)
		g.observeClosed(ClosedBootTimeout)
		g.securityEvent(id, c.remote, charging.SecBootTimeout, why)
		c.rpc.Close(websocket.ClosePolicyViolation, why)
	})
}

// stopBootDeadline stops c's boot deadline; g.mu is held.
func (g *Gateway) stopBootDeadline(c *conn) {
	if c.bootTimer == nil || c.bootDone {
		return
	}
	c.bootDone = true
	if c.bootTimer.Stop() {
		g.wg.Done() // the callback will not run
	}
}

// endStranger ends c's stranger state: its boot deadline and its place in
// its address's budget. It runs when the boot is Accepted and when the
// connection ends.
func (g *Gateway) endStranger(c *conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopBootDeadline(c)
	if c.strangerKey != "" {
		g.uncountStranger(c.strangerKey)
		c.strangerKey = ""
	}
}

// bootAnswered runs after a stranger's BootNotification was handled (on
// the connection's read goroutine, before the next frame is read).
func (g *Gateway) bootAnswered(id string, c *conn) {
	r, ok := c.station.(Registrar)
	if !ok {
		return
	}
	switch r.Registration() {
	case charging.RegistrationAccepted:
		g.endStranger(c)
		c.rpc.SetMaxFrameBytes(g.opts.MaxFrameBytes)
	case charging.RegistrationPending:
		g.mu.Lock()
		g.stopBootDeadline(c)
		g.mu.Unlock()
	}
}
