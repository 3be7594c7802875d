package gateway

import (
	"context"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// VersionPolicy returns the OCPP subprotocol ("ocpp1.6", "ocpp2.0.1") a
// charger must use, or "" when it may choose. It is looked up before every
// upgrade; an error-free empty answer is the default.
type VersionPolicy func(ctx context.Context, chargerID string) string

// negotiate picks the subprotocol: override when the charger offers it
// and Joule speaks it, else the charger's most preferred offer that Joule
// speaks (RFC 6455 §4.2.2: the client lists its offers by preference).
// ok is false when there is none.
func (g *Gateway) negotiate(offers []string, override string) (Protocol, bool) {
	if override != "" {
		for _, o := range offers {
			if strings.EqualFold(strings.TrimSpace(o), override) {
				for _, p := range g.protocols {
					if strings.EqualFold(p.Subprotocol, override) {
						return p, true
					}
				}
			}
		}
	}
	for _, o := range offers {
		for _, p := range g.protocols {
			if strings.EqualFold(strings.TrimSpace(o), p.Subprotocol) {
				return p, true
			}
		}
	}
	return Protocol{}, false
}

// negotiateFor applies the charger's override, if any. An override the
// charger does not offer is ignored (with a log line): refusing the charger
// would leave it unreachable, and the operator can see the version it uses.
//
// With an Admitter, the override is Admitted.OCPPVersionOverride, read with
// the credentials. Without one, the VersionPolicy (a store read) is
// consulted only when the charger offers more than one version Joule
// speaks: with a single common version there is no choice to override, and
// most chargers offer one.
func (g *Gateway) negotiateFor(ctx context.Context, chargerID string, offers []string, adm charging.Admitted) (Protocol, bool) {
	override := ""
	switch {
	case g.opts.Admitter != nil:
		override = adm.OCPPVersionOverride
	case g.opts.VersionPolicy != nil && g.common(offers) > 1:
		override = g.opts.VersionPolicy(ctx, chargerID)
	}
	p, ok := g.negotiate(offers, override)
	if ok && override != "" && !strings.EqualFold(p.Subprotocol, override) {
		g.log.Warn("charger does not offer its OCPP version override", "charger", chargerID, "override", override, "offered", offers, "ocpp", p.Subprotocol)
	}
	return p, ok
}

// common counts the versions Joule speaks among the offers.
func (g *Gateway) common(offers []string) int {
	n := 0
	for _, p := range g.protocols {
		for _, o := range offers {
			if strings.EqualFold(strings.TrimSpace(o), p.Subprotocol) {
				n++
				break
			}
		}
	}
	return n
}
