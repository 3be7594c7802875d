package gateway

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
)

// A charger speaking OCPP 1.5 or 1.6 over SOAP has no connection: it posts
// each message to Joule's OCPP-S service (soapcs), and Joule posts its
// commands to the charger's own service. While such a charger is online,
// the OCPP-S service attaches its Station here, so that this node's
// commands find it as they find a connected charger's: Connected,
// RemoteStart, Command and every StationCommands method work unchanged,
// and a cluster routes a command to the node that heard the charger.
//
// The entry is a conn without rpc. One charger has one entry, and the
// newest transport wins, as the newest connection does between two OCPP-J
// connections: an OCPP-J connection that passed admission replaces a SOAP
// entry (without a probe: there is nothing to probe), and a SOAP charger
// attaching replaces an OCPP-J connection, which is closed with 1008. A
// charger switches transports when it is reconfigured; its messages are
// admitted by the same rules either way (AdmitHTTP).

// AttachSOAP makes st, the Station of a SOAP charger that is online, the
// one Joule's commands for chargerID go to. It reports false, attaching
// nothing, once Shutdown has begun. Attaching the Station attached already
// changes nothing. st must be comparable (a pointer): DetachSOAP compares
// it.
func (g *Gateway) AttachSOAP(chargerID string, st Station) bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	old := g.conns[chargerID]
	if old != nil && old.rpc == nil && old.station == st {
		g.mu.Unlock()
		return true
	}
	g.conns[chargerID] = &conn{station: st, remote: soapRemote}
	if old == nil || old.rpc != nil {
		g.soap++
	}
	if old != nil && old.rpc != nil {
		// Closing may wait on a dead peer's full send buffer: not on the
		// SOAP charger's request. The old connection's end finds it
		// replaced and records no disconnection.
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.replaced(chargerID, attempt{id: chargerID, remote: soapRemote}, old, "replaced by the charger's OCPP-S (SOAP) messages")
		}()
	}
	g.mu.Unlock()
	g.log.Info("SOAP charger attached: commands go to its service", "charger", chargerID)
	return true
}

// DetachSOAP removes st, attached by AttachSOAP: the charger went silent,
// and commands for it answer EUNAVAILABLE (charger offline) again. An
// entry that is not st (an OCPP-J connection, or a newer Station) is left
// alone.
func (g *Gateway) DetachSOAP(chargerID string, st Station) {
	if g.detachSOAP(chargerID, st) {
		g.log.Info("SOAP charger detached: no more commands go to it", "charger", chargerID)
	}
}

// AttachedSOAP reports whether st is still the charger's entry: Disconnect,
// an OCPP-J connection of the same charger or DetachSOAP removes it.
func (g *Gateway) AttachedSOAP(chargerID string, st Station) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.conns[chargerID]
	return c != nil && c.rpc == nil && c.station == st
}

// detachSOAP removes the charger's SOAP entry if it is st (any SOAP entry
// when st is nil); it reports whether it did.
func (g *Gateway) detachSOAP(chargerID string, st Station) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.conns[chargerID]
	if c == nil || c.rpc != nil || (st != nil && c.station != st) {
		return false
	}
	delete(g.conns, chargerID)
	g.soap--
	return true
}

// soapReplaced is why an OCPP-J connection replaced a SOAP entry.
const soapReplaced = "an OCPP-J connection replaced the charger's OCPP-S (SOAP) entry"

// soapRemote stands for a SOAP entry's remote address in events and logs:
// its messages come from wherever the charger posts them.
const soapRemote = "OCPP-S"

// disconnectSOAP is Disconnect for a SOAP charger: its entry goes, so no
// command reaches it, and its disconnection is recorded as a closed
// connection's would be (the domain marks it offline, a cluster releases
// it). Its next admitted message after a silence attaches it again.
func (g *Gateway) disconnectSOAP(chargerID, reason string) bool {
	if !g.detachSOAP(chargerID, nil) {
		return false
	}
	g.log.Info("disconnecting SOAP charger: detached", "charger", chargerID, "reason", reason)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return true
	}
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(g.ctx), 5*time.Second)
		defer cancel()
		if err := g.events.Disconnected(ctx, chargerID); err != nil {
			g.log.Error("record disconnection", "charger", chargerID, "err", err)
		}
	}()
	return true
}

// closeReplaced closes a connection a newcomer replaced; a SOAP entry has
// nothing to close.
func (c *conn) closeReplaced() {
	if c.rpc != nil {
		_ = c.rpc.Close(websocket.ClosePolicyViolation, "replaced by a newer connection")
	}
}

// subprotocol names c's protocol for the log.
func (c *conn) subprotocol() string {
	if c.rpc == nil {
		return "ocpp-s"
	}
	return c.rpc.Subprotocol()
}
