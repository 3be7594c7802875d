package gateway

import (
	"net/http"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// AdmitHTTP applies the admission rules of a WebSocket upgrade to one plain
// HTTP request that speaks for chargerID: an OCPP-S (SOAP) message, whose
// charger has no connection to keep. The same checks run in the same order
// (valid id, shutdown, the failed-auth budget of the address, then the
// Admitter: registration policy, Basic auth, TLS for profile 2), and a
// refusal is answered, counted and reported exactly as for an upgrade: a
// SOAP charger authenticates at the HTTP layer, so a 401 with its
// challenge is the answer its HTTP stack understands. It reports whether
// the request may go on; when it returns false the answer is written.
//
// The limits that exist for connections (strangers per address, boot
// deadline, takeover) do not apply: a SOAP message holds nothing open.
func (g *Gateway) AdmitHTTP(w http.ResponseWriter, r *http.Request, chargerID string) bool {
	a := attempt{id: chargerID, remote: r.RemoteAddr, ip: ipKey(r.RemoteAddr)}
	if err := charging.ValidChargerID(chargerID); err != nil {
		a.id = ""
		g.refuse(w, a, refusal{status: http.StatusBadRequest, reason: RefusedInvalidID,
			event: charging.SecUnknownCharger, text: charging.ErrorMessage(err),
			techInfo: "invalid charger id " + quoteShort(chargerID)})
		return false
	}
	if g.draining() {
		g.refuse(w, a, refusal{status: http.StatusServiceUnavailable, reason: RefusedShutdown,
			text: "shutting down", retryAfter: 5 * time.Second})
		return false
	}
	if ok, wait := g.failedAuth.check(a.ip); !ok {
		g.refuse(w, a, refusal{status: http.StatusTooManyRequests, reason: RefusedAuthRateLimited,
			event: charging.SecFailedAuth, text: "too many failed authentications from this address",
			techInfo: "refused before authentication: too many failures from this address", retryAfter: wait})
		return false
	}
	if _, rf := g.admit(r, a); rf != nil {
		g.refuse(w, a, *rf)
		return false
	}
	return true
}
