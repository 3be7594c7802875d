package cluster

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// Events wraps the node's charging.StationEvents (the csms Service) for
// its gateway, so that the connection lifecycle drives ownership:
//
//   - Connected claims the charger, then records the connection. A failed
//     claim fails Connected, and the gateway closes the connection (the
//     charger retries, maybe on another node): a charger the cluster cannot
//     route to should not look online.
//   - Disconnected releases the charger, then records the disconnection,
//     unless another node holds the charger now: after a takeover the new
//     node's Connected recorded it online, and the old connection's end
//     must not mark it offline. A failed release is logged, and the
//     disconnection recorded anyway.
//
// Every other event goes to inner unchanged.
func (r *Router) Events(inner charging.StationEvents) charging.StationEvents {
	return &events{StationEvents: inner, r: r}
}

type events struct {
	charging.StationEvents
	r *Router
}

func (e *events) Connected(ctx context.Context, chargerID, ocppVersion string) error {
	if err := e.r.Claim(ctx, chargerID); err != nil {
		return err
	}
	return e.StationEvents.Connected(ctx, chargerID, ocppVersion)
}

func (e *events) Disconnected(ctx context.Context, chargerID string) error {
	elsewhere, err := e.r.release(ctx, chargerID)
	if err != nil {
		e.r.log.Error("cluster: release a disconnected charger", "charger", chargerID, "err", err)
	}
	if elsewhere {
		e.r.log.Info("cluster: charger disconnected here, connected to another node", "charger", chargerID)
		return nil
	}
	return e.StationEvents.Disconnected(ctx, chargerID)
}
