package node

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/cluster"
	"github.com/joule-ev/joule/internal/natsbus"
)

// Names on NATS: a cluster's event stream, ownership bucket and command
// subjects. ClusterName (default "joule") prefixes them, so that two
// clusters (or parallel tests) can share one NATS.
func streamName(cfg Config) string  { return cmp.Or(cfg.ClusterName, "joule") + "_events" }
func eventPrefix(cfg Config) string { return cmp.Or(cfg.ClusterName, "joule") + ".events" }
func ownerBucket(cfg Config) string { return cmp.Or(cfg.ClusterName, "joule") + "_chargers" }
func nodePrefix(cfg Config) string  { return cmp.Or(cfg.ClusterName, "joule") + ".node" }

// natsSetupTimeout bounds creating the stream, the buckets and the
// watchers at start-up (their lifetime is the node's, not this).
const natsSetupTimeout = 30 * time.Second

// connectNATS connects to the cluster's NATS, reconnecting for ever: a
// NATS outage makes /readyz fail and cross-node commands answer offline,
// it does not stop the node.
func connectNATS(cfg Config, log *slog.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(cfg.NATS,
		nats.Name("joule "+cmp.Or(cfg.NodeID, "joule")),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats: disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats: reconnected", "server", c.ConnectedUrlRedacted())
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	return nc, nil
}

// newClusterBus is the cluster's event bus on JetStream.
func newClusterBus(ctx context.Context, cfg Config, nc *nats.Conn, log *slog.Logger) (*natsbus.Bus, error) {
	ctx, cancel := context.WithTimeout(ctx, natsSetupTimeout)
	defer cancel()
	return natsbus.New(ctx, nc, natsbus.Options{Stream: streamName(cfg), SubjectPrefix: eventPrefix(cfg), Logger: log})
}

// newRouter is this node's part of the cluster's charger ownership and
// command routing, in front of its gateway.
func newRouter(ctx context.Context, cfg Config, nc *nats.Conn, gw cluster.Local, log *slog.Logger) (*cluster.Router, error) {
	ctx, cancel := context.WithTimeout(ctx, natsSetupTimeout)
	defer cancel()
	return cluster.New(ctx, nc, gw, cluster.Options{
		NodeID: cmp.Or(cfg.NodeID, "joule"), Bucket: ownerBucket(cfg), SubjectPrefix: nodePrefix(cfg),
		RequestTimeout: cfg.CallTimeout + 5*time.Second, Logger: log,
	})
}

// lateEvents are the gateway's station events: the domain's, and in a
// cluster the router's wrapper around them (cluster.Router.Events: a
// charger is claimed for this node before its connection is recorded and
// released before its end is), set once the router exists: the router
// needs the gateway, the gateway its events. Nothing connects before the
// listener serves, after both exist.
type lateEvents struct {
	domainEvents
	clustered charging.StationEvents // nil on a single node
}

// domainEvents are the events the version adapters give the domain:
// charging.StationEvents, and charging.CommandEvents, which a Station
// looks for with a type assertion (so a wrapper must keep it).
type domainEvents interface {
	charging.StationEvents
	charging.CommandEvents
}

func (e *lateEvents) Connected(ctx context.Context, chargerID, ocppVersion string) error {
	if e.clustered != nil {
		return e.clustered.Connected(ctx, chargerID, ocppVersion)
	}
	return e.domainEvents.Connected(ctx, chargerID, ocppVersion)
}

func (e *lateEvents) Disconnected(ctx context.Context, chargerID string) error {
	if e.clustered != nil {
		return e.clustered.Disconnected(ctx, chargerID)
	}
	return e.domainEvents.Disconnected(ctx, chargerID)
}

// nodeBus is what a node needs of its event bus: inmem.Bus on one node,
// natsbus.Bus in a cluster.
type nodeBus interface {
	charging.EventBus
	ResumeFrom(f charging.EventFilter, afterID uint64) (charging.Subscription, bool)
	Subscribers() int
	LastID() uint64
	Dropped() uint64
}

// presenceEvery is how often the leader looks for chargers the store says
// are online but no live node holds (their node died).
const presenceEvery = 30 * time.Second

// reconcilePresence, on the leader, records as disconnected every charger
// the store says is online that no live node of the cluster holds: the
// chargers of a node that crashed (its claims lapse with its heartbeat)
// and did not reconnect elsewhere. A charger seen in the last minute is
// left alone: it may be connecting right now (claimed a moment after this
// read).
func reconcilePresence(ctx context.Context, events charging.StationEvents, store charging.Store, router *cluster.Router, leader func() bool, soapSilence time.Duration, log *slog.Logger) {
	t := time.NewTicker(presenceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if leader != nil && !leader() {
			continue
		}
		now := time.Now()
		n, err := reconcilePresenceOnce(ctx, events, store, router, now.Add(-time.Minute), now.Add(-soapSilence))
		if err != nil {
			log.Warn("cluster: reconcile charger presence", "err", err)
		} else if n > 0 {
			log.Info("cluster: chargers no node holds marked offline", "chargers", n)
		}
	}
}

// reconcilePresenceOnce is one pass of reconcilePresence over the chargers
// last seen before seenBefore; a SOAP charger, which no node holds a
// connection for, before soapSeenBefore (its heartbeats stopped).
func reconcilePresenceOnce(ctx context.Context, events charging.StationEvents, store charging.Store, router *cluster.Router, seenBefore, soapSeenBefore time.Time) (int, error) {
	n := 0
	q := charging.ChargerQuery{Limit: 500}
	for {
		page, err := store.ListChargers(ctx, q)
		if err != nil {
			return n, err
		}
		for _, c := range page.Items {
			before := seenBefore
			if c.SOAPAddress != "" {
				before = soapSeenBefore
			}
			if !c.Online || router.Connected(c.ID) || (c.LastSeenAt != nil && c.LastSeenAt.After(before)) {
				continue
			}
			if err := events.Disconnected(ctx, c.ID); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == "" {
			return n, nil
		}
		q.Cursor = page.NextCursor
	}
}
