package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
)

// Reasons an upgrade request was refused (the reason label of
// joule_charger_connections_refused_total).
const (
	RefusedInvalidID          = "invalid_id"           // 400: the id breaks OCPP's identity rules
	RefusedShutdown           = "shutdown"             // 503: the node is shutting down
	RefusedOverloaded         = "overloaded"           // 503: over MaxChargers or the upgrade rate
	RefusedAuthRateLimited    = "auth_rate_limited"    // 429: too many failed authentications from the address
	RefusedNotWebSocket       = "not_websocket"        // 400: not a WebSocket upgrade request
	RefusedUnauthenticated    = "unauthenticated"      // 401: Admit: EUNAUTHENTICATED, or a malformed Authorization header
	RefusedForbidden          = "forbidden"            // 403: Admit: EFORBIDDEN
	RefusedNotFound           = "not_found"            // 404: Admit: ENOTFOUND
	RefusedUnavailable        = "unavailable"          // 503: Admit: EUNAVAILABLE
	RefusedConflict           = "conflict"             // 409: Admit: ECONFLICT
	RefusedInternal           = "internal"             // 500: Admit failed otherwise
	RefusedNoSubprotocol      = "no_subprotocol"       // upgraded without a subprotocol, then closed (OCPP-J)
	RefusedStrangerBudget     = "stranger_budget"      // 429: too many unbooted strangers from the address
	RefusedDuplicate          = "duplicate"            // 409: may not displace the charger's live connection
	RefusedReplaceRateLimited = "replace_rate_limited" // 429: the charger's connection was replaced too often
)

// Registrar is what a Station implements to tell the gateway how its
// charger's BootNotification was answered on this connection: Accepted,
// Pending, Rejected, or "" before one was answered. After each
// BootNotification of a stranger the gateway asks: Accepted lifts the
// stranger's limits, Pending stops its boot deadline. A Station without it
// leaves strangers strangers: they are closed at their boot deadline.
type Registrar interface {
	Registration() charging.RegistrationStatus
}

// admitTimeout bounds Admit (a store read).
const admitTimeout = 10 * time.Second

// authChallenge is the 401's challenge (RFC 7617; charset because 2.0.1
// passwords are UTF-8).
const authChallenge = `Basic realm="Joule OCPP", charset="UTF-8"`

// attempt is what ServeHTTP knows of a request before Admit.
type attempt struct {
	id     string // "" when the request named no valid id
	remote string // host:port
	ip     string // ipKey(remote)
}

// refusal is an HTTP answer that refuses an upgrade.
type refusal struct {
	status     int
	reason     string // Refused*
	event      string // charging.Sec*; "" reports no security event
	text       string // response body
	techInfo   string // the security event's techInfo: never credentials
	retryAfter time.Duration
	err        error // an internal error, logged
}

// admit gathers what the request proved and asks the Admitter. A refusal
// of the credentials counts against the address's failed-auth budget.
func (g *Gateway) admit(r *http.Request, a attempt) (charging.Admitted, *refusal) {
	if g.opts.Admitter == nil {
		return charging.Admitted{Profile: charging.ProfileNone, Trusted: true}, nil
	}
	ca := charging.ConnectAttempt{ChargerID: a.id, RemoteAddr: a.remote}
	if r.TLS != nil {
		ca.TLS, ca.TLSVersion = true, r.TLS.Version
		// Only a verified certificate: the TLS layer checked its chain
		// against the client CAs (ServerTLSConfig).
		if len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
			ca.ClientCert = r.TLS.VerifiedChains[0][0]
		}
	}
	if len(r.Header.Values("Authorization")) > 0 {
		// BasicAuth splits the decoded bytes at the first colon and keeps
		// them as they are: a 1.6 AuthorizationKey is binary.
		user, pass, ok := r.BasicAuth()
		if !ok {
			g.failedAuth.take(a.ip)
			return charging.Admitted{}, &refusal{status: http.StatusUnauthorized, reason: RefusedUnauthenticated,
				event: charging.SecFailedAuth, text: "malformed Authorization header: want Basic credentials",
				techInfo: "malformed Authorization header"}
		}
		ca.BasicAuth, ca.Username, ca.Password = true, user, []byte(pass)
	}
	ctx, cancel := context.WithTimeout(r.Context(), admitTimeout)
	defer cancel()
	adm, err := g.opts.Admitter.Admit(ctx, ca)
	if err == nil {
		return adm, nil
	}
	msg := charging.ErrorMessage(err)
	rf := &refusal{text: msg, techInfo: msg}
	switch charging.ErrorCode(err) {
	case charging.EUNAUTHENTICATED:
		g.failedAuth.take(a.ip)
		rf.status, rf.reason, rf.event = http.StatusUnauthorized, RefusedUnauthenticated, charging.SecFailedAuth
	case charging.EFORBIDDEN:
		rf.status, rf.reason, rf.event = http.StatusForbidden, RefusedForbidden, charging.SecProfileMismatch
	case charging.ENOTFOUND:
		rf.status, rf.reason, rf.event = http.StatusNotFound, RefusedNotFound, charging.SecUnknownCharger
	case charging.EUNAVAILABLE:
		rf.status, rf.reason, rf.event = http.StatusServiceUnavailable, RefusedUnavailable, charging.SecStrangerBudget
		rf.retryAfter = time.Minute
	case charging.ECONFLICT:
		rf.status, rf.reason, rf.event = http.StatusConflict, RefusedConflict, charging.SecDuplicateConnection
	default:
		return charging.Admitted{}, &refusal{status: http.StatusInternalServerError, reason: RefusedInternal,
			text: "internal error", err: err}
	}
	// EFORBIDDEN stands for several causes (profile mismatch, downgrade,
	// rejected charger, bad certificate): an error may name its event type.
	var typed interface{ SecurityEventType() string }
	if errors.As(err, &typed) && typed.SecurityEventType() != "" {
		rf.event = typed.SecurityEventType()
	}
	return charging.Admitted{}, rf
}

// endGrace is how long a newcomer waits for a recently active old
// connection to end before an unauthenticated takeover is refused.
const endGrace = 300 * time.Millisecond

// takeover applies the rule for a charger that is already connected
// (research/reliability.md §3.8): only a newcomer that passed Admit may
// replace a connection, and
//
//   - one without authentication (profile 0) never displaces a live
//     connection (409): the old one is probed, and replaced only if it
//     answers neither the ping nor with any frame within ProbeTimeout
//     (half-open);
//   - an authenticated one (profile ≥ 1) replaces it, at most ReplaceLimit
//     times (beyond: 429, unless the old one is found dead).
//
// On success it returns the connection to replace (nil: none) with a note
// for the event, and holds the id's claim until unclaim; on refusal it
// holds nothing. A second newcomer for the same id while a claim is held is
// refused (409).
func (g *Gateway) takeover(ctx context.Context, a attempt, adm charging.Admitted) (old *conn, why string, rf *refusal) {
	g.mu.Lock()
	if g.claims[a.id] {
		g.mu.Unlock()
		return nil, "", &refusal{status: http.StatusConflict, reason: RefusedDuplicate,
			event: charging.SecDuplicateConnection, text: "another connection attempt for this charger is in progress",
			techInfo: "concurrent connection attempt", retryAfter: time.Second}
	}
	g.claims[a.id] = true
	old = g.conns[a.id]
	g.mu.Unlock()
	if old == nil {
		return nil, "", nil
	}
	if old.rpc == nil {
		// A SOAP charger's entry: the newest transport wins (soap.go).
		return old, soapReplaced, nil
	}
	const dead = "the previous connection answered no ping (half-open)"
	if adm.Profile == charging.ProfileNone {
		if !old.rpc.Probe(ctx, g.opts.ProbeTimeout) {
			return old, dead, nil
		}
		// A charger that dropped its socket and dialled again at once:
		// the old connection's last frame is recent, but its end (EOF)
		// may be a moment behind. It gets that moment before a refusal.
		select {
		case <-old.rpc.Done():
			return old, "the previous connection ended", nil
		case <-time.After(endGrace):
		case <-ctx.Done():
		}
		g.unclaim(a.id)
		return nil, "", &refusal{status: http.StatusConflict, reason: RefusedDuplicate,
			event: charging.SecDuplicateConnection, text: "charger is connected: an unauthenticated connection cannot replace it",
			techInfo: "unauthenticated connection for a connected charger, previous from " + old.remote}
	}
	if ok, _ := g.replaces.take(a.id); ok {
		return old, fmt.Sprintf("replaced by a connection authenticated at profile %d", adm.Profile), nil
	}
	if !old.rpc.Probe(ctx, g.opts.ProbeTimeout) {
		return old, dead, nil
	}
	g.unclaim(a.id)
	_, wait := g.replaces.check(a.id)
	return nil, "", &refusal{status: http.StatusTooManyRequests, reason: RefusedReplaceRateLimited,
		event: charging.SecReplaceRateLimited, text: "this charger's connection was replaced too often: retry later",
		techInfo: "replacement rate limit, previous from " + old.remote, retryAfter: wait}
}

func (g *Gateway) unclaim(id string) {
	g.mu.Lock()
	delete(g.claims, id)
	g.mu.Unlock()
}

// replaced closes the connection a newcomer replaced, and reports it.
func (g *Gateway) replaced(id string, a attempt, old *conn, why string) {
	if g.opts.ConnObserver != nil {
		g.opts.ConnObserver.ConnectionReplaced()
	}
	if old.rpc == nil && why == "" {
		why = soapReplaced // attached after the takeover looked
	}
	g.securityEvent(id, a.remote, charging.SecConnectionReplaced, why+", previous from "+old.remote)
	g.connLogger(id, old.subprotocol()).Info("new connection replaces the previous one",
		"remote", a.remote, "previous_remote", old.remote, "why", why)
	old.closeReplaced()
}

// refuse answers a refused upgrade, counts it, reports its security event
// and logs it (rate-limited per address).
func (g *Gateway) refuse(w http.ResponseWriter, a attempt, rf refusal) {
	g.observeRefused(rf.reason)
	if rf.event != "" {
		g.securityEvent(a.id, a.remote, rf.event, rf.techInfo)
	}
	log := g.refusalLogger(a.ip)
	attrs := []any{"charger", a.id, "remote", a.remote, "status", rf.status, "reason", rf.reason}
	switch {
	case rf.err != nil:
		log.Error("charger connection refused", append(attrs, "err", rf.err)...)
	case rf.reason == RefusedShutdown:
		log.Info("charger connection refused", attrs...)
	default:
		log.Warn("charger connection refused", append(attrs, "detail", rf.techInfo)...)
	}
	if rf.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", authChallenge)
	}
	if rf.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(rf.retryAfter)))
	}
	http.Error(w, rf.text, rf.status)
}

// refuseSubprotocol handles a charger that offers no OCPP version Joule
// speaks: OCPP-J wants the handshake completed without a subprotocol, then
// the connection closed.
func (g *Gateway) refuseSubprotocol(w http.ResponseWriter, r *http.Request, a attempt, offers []string) {
	g.observeRefused(RefusedNoSubprotocol)
	log := g.refusalLogger(a.ip)
	ws, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		log.Warn("websocket upgrade failed", "charger", a.id, "remote", a.remote, "err", err)
		return
	}
	log.Warn("charger offered no supported OCPP version", "charger", a.id, "remote", a.remote, "offered", offers)
	msg := websocket.FormatCloseMessage(websocket.CloseProtocolError, "no supported OCPP subprotocol offered")
	_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	_ = ws.Close()
}

// refusalLogger is the log for refusals from one address, rate-limited.
func (g *Gateway) refusalLogger(ip string) *slog.Logger {
	return slog.New(&quotaHandler{h: g.log.Handler(), q: g.refusalLog.get(ip, time.Now())})
}

// securityEvent reports one of Joule's own security events.
func (g *Gateway) securityEvent(chargerID, remote, typ, techInfo string) {
	if g.opts.SecurityEvent == nil {
		return
	}
	now := g.opts.Now().UTC()
	g.opts.SecurityEvent(charging.SecurityEvent{
		ChargerID: chargerID, Source: charging.SecuritySourceJoule, Type: typ,
		Timestamp: now, TechInfo: truncate(techInfo, 255), Remote: remote, Count: 1, ReceivedAt: now,
	})
}

func (g *Gateway) observeRefused(reason string) {
	if g.opts.ConnObserver != nil {
		g.opts.ConnObserver.ConnectionRefused(reason)
	}
}

func (g *Gateway) observeClosed(reason string) {
	if g.opts.ConnObserver != nil {
		g.opts.ConnObserver.ConnectionClosed(reason)
	}
}

// quoteShort quotes a peer-supplied string for a log or an event, cut to
// 64 bytes first.
func quoteShort(s string) string {
	return strconv.Quote(truncate(s, 64))
}

// truncate shortens s to at most n bytes, on a rune boundary when s is
// valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
