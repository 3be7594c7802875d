// Package node wires one Joule process: the store, the bus, the domain
// service, the charger gateway and the HTTP API on one listener. cmd/joule
// parses flags into a Config and calls Run; tests and benchmarks start real
// nodes the same way.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/metrics"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/sqlite"
	"github.com/joule-ev/joule/web"
)

// Config is everything a node can be told; zero durations take defaults.
type Config struct {
	Data                string // directory of the embedded SQLite database
	HeartbeatInterval   time.Duration
	CallTimeout         time.Duration
	PendingTimeout      time.Duration
	StartTimeout        time.Duration
	PingInterval        time.Duration
	SweepInterval       time.Duration // how often expired pending sessions are failed
	RejectUnknownIDTags bool
	// PublicURL is the base URL chargers reach Joule at (firmware downloads,
	// diagnostics uploads); "" means the Host of the API request.
	PublicURL string
}

// Run runs Joule on ln until ctx is cancelled, then shuts down in
// order: chargers get a close frame, the API drains, the store closes.
func Run(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger) error {
	store, err := sqlite.Open(ctx, filepath.Join(cfg.Data, "joule.db"))
	if err != nil {
		ln.Close()
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()
	if err := store.SetAllOffline(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("store: %w", err)
	}
	bus := inmem.NewBus()
	svc := csms.New(store, bus, nil, log, nil, csms.Config{
		HeartbeatInterval:   cfg.HeartbeatInterval,
		PendingTimeout:      cfg.PendingTimeout,
		SweepInterval:       cfg.SweepInterval,
		RejectUnknownIDTags: cfg.RejectUnknownIDTags,
	})
	var gw *gateway.Gateway
	met := metrics.New(metrics.Sources{
		ConnectedChargers: func() int { return gw.Count() },
		SSESubscribers:    bus.Subscribers,
		EventsPublished:   bus.LastID,
		EventsDropped:     bus.Dropped,
		StoreWrites:       func() (uint64, uint64) { st := store.Stats(); return st.Writes, st.Batches },
	})
	gw = gateway.New(svc, gateway.Options{Logger: log, CallTimeout: cfg.CallTimeout, PingInterval: cfg.PingInterval,
		VersionPolicy: versionPolicy(store), Observer: met}, ocpp201Protocol(), ocpp16Protocol())
	svc.SetCommander(gw)
	api := httpapi.NewServer(svc, bus, httpapi.Options{Logger: log, StartTimeout: cfg.StartTimeout,
		FilesDir: cfg.Data, PublicURL: cfg.PublicURL})

	mux := http.NewServeMux()
	mux.Handle("/ocpp/{chargerId}", gw)
	apiHandler := api.Handler()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/livez", apiHandler)
	mux.Handle("/readyz", apiHandler)
	mux.Handle("GET /metrics", met.Handler())
	mux.Handle("/", web.Handler())

	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); _ = svc.Run(runCtx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("joule serving", "addr", ln.Addr().String(), "data", cfg.Data, "ocpp", "ws://"+ln.Addr().String()+"/ocpp/{chargerId}")

	select {
	case err := <-serveErr:
		stopRun()
		<-sweepDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	api.SetShuttingDown()
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := gw.Shutdown(shutCtx); err != nil {
		log.Warn("chargers did not all disconnect in time", "err", err)
	}
	cancelBase() // ends live event streams
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	stopRun()
	<-sweepDone
	log.Info("stopped")
	return nil
}

// ocpp16Protocol plugs OCPP 1.6J into the gateway.
func ocpp16Protocol() gateway.Protocol {
	return gateway.Protocol{
		Subprotocol: charging.OCPP16,
		Dialect:     ocppj.Dialect16,
		NewStation: func(id string, conn *ocppj.Conn, events charging.StationEvents, log *slog.Logger) gateway.Station {
			return ocpp16.NewStation(id, conn, events, log)
		},
	}
}

// ocpp201Protocol plugs OCPP 2.0.1 into the gateway.
func ocpp201Protocol() gateway.Protocol {
	return gateway.Protocol{
		Subprotocol: charging.OCPP201,
		Dialect:     ocppj.Dialect201,
		NewStation: func(id string, conn *ocppj.Conn, events charging.StationEvents, log *slog.Logger) gateway.Station {
			return ocpp201.NewStation(id, conn, events, log)
		},
	}
}

// versionPolicy reads a charger's OCPP version override from the store; a
// charger Joule does not know (or a failed read) may choose.
func versionPolicy(store charging.Store) gateway.VersionPolicy {
	return func(ctx context.Context, chargerID string) string {
		c, err := store.GetCharger(ctx, chargerID)
		if err != nil {
			return ""
		}
		return c.OCPPVersionOverride
	}
}
