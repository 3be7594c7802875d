// Package metrics exposes Joule's Prometheus metrics (prefix joule_, base
// units, _total counters). Components report through small hook
// interfaces (ocppj.Observer for OCPP calls, gateway.ConnObserver for
// charger connections; Metrics implements both without importing either)
// or are read when scraped
// (connected chargers, SSE subscribers, store batches); the package holds
// no global state: each node has its own registry.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one node's registry and the instruments fed by hooks.
type Metrics struct {
	reg     *prometheus.Registry
	wrapped prometheus.Registerer // reg, with the node label in a cluster

	calls        *prometheus.CounterVec   // direction, action, result
	callDuration *prometheus.HistogramVec // direction, action

	connRefused  *prometheus.CounterVec // reason
	connReplaced prometheus.Counter
	connClosed   *prometheus.CounterVec // reason

	batchDuration *prometheus.HistogramVec // phase
	batchWrites   prometheus.Histogram
}

// Sources are read at scrape time; a nil func is not exported.
type Sources struct {
	ConnectedChargers func() int
	SSESubscribers    func() int
	EventsPublished   func() uint64
	EventsDropped     func() uint64
	// StoreWrites returns the number of committed write operations and of
	// commits (batches); writes/batches is the mean batch size.
	StoreWrites func() (writes, batches uint64)
	// UnbootedStrangers returns the charger connections not yet trusted
	// whose boot was not yet Accepted (gateway.Strangers).
	UnbootedStrangers func() int
	// Leader, when set (a cluster), reports whether this node runs the
	// cluster's background work.
	Leader func() bool
	// NodeID, when set (a cluster), labels every Joule metric with
	// node="<id>", so that one dashboard can tell the nodes apart.
	NodeID string
}

// New returns a registry with Go and process collectors and Joule's metrics.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	var r prometheus.Registerer = reg
	if src.NodeID != "" {
		r = prometheus.WrapRegistererWith(prometheus.Labels{"node": src.NodeID}, reg)
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg, wrapped: r,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "joule_ocpp_calls_total",
			Help: "OCPP CALLs handled (direction=inbound, from chargers) or sent (direction=outbound), by action and result (ok, a CALLERROR code, timeout, closed).",
		}, []string{"direction", "action", "result"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "joule_ocpp_call_duration_seconds",
			Help:    "Time to answer an inbound CALL (decode, validate, persist) or to get the answer to an outbound CALL.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"direction", "action"}),
	}
	m.connRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "joule_charger_connections_refused_total",
		Help: "Charger WebSocket upgrade requests refused, by reason (invalid_id, unauthenticated, forbidden, not_found, auth_rate_limited, duplicate, replace_rate_limited, stranger_budget, ...).",
	}, []string{"reason"})
	m.connReplaced = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "joule_charger_connections_replaced_total",
		Help: "Charger connections replaced by a newer connection of the same charger (authenticated, or the old one was half-open).",
	})
	m.connClosed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "joule_charger_connections_closed_total",
		Help: "Charger connections closed by Joule, by reason (boot_timeout, operator).",
	}, []string{"reason"})
	m.batchDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "joule_store_batch_duration_seconds",
		Help:    "Group-commit batches of the store, by phase: total (BEGIN to the end of COMMIT), run (the writes), meter (the meter log's synced commit), commit (the database's COMMIT and fsync).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"phase"})
	m.batchWrites = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "joule_store_batch_writes",
		Help:    "Writes per group-commit batch of the store.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
	})
	r.MustRegister(m.calls, m.callDuration, m.connRefused, m.connReplaced, m.connClosed, m.batchDuration, m.batchWrites)
	gauge := func(name, help string, f func() int) {
		if f != nil {
			r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f()) }))
		}
	}
	counter := func(name, help string, f func() uint64) {
		if f != nil {
			r.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) }))
		}
	}
	if src.Leader != nil {
		gauge("joule_cluster_leader", "1 on the node that runs the cluster's background work (sweeps, expiries, retention), 0 on the others.", func() int {
			if src.Leader() {
				return 1
			}
			return 0
		})
	}
	gauge("joule_chargers_connected", "Chargers with a live WebSocket connection to this node.", src.ConnectedChargers)
	gauge("joule_charger_connections_unbooted", "Charger connections of unknown or pending chargers whose boot was not yet Accepted.", src.UnbootedStrangers)
	gauge("joule_sse_subscribers", "Live event streams (SSE) open on this node.", src.SSESubscribers)
	counter("joule_events_published_total", "Domain events published on the bus.", src.EventsPublished)
	counter("joule_events_dropped_total", "Event subscribers dropped for being too slow.", src.EventsDropped)
	if src.StoreWrites != nil {
		counter("joule_store_writes_total", "Write operations committed by the store.", func() uint64 { w, _ := src.StoreWrites(); return w })
		counter("joule_store_commits_total", "Store commits (each one fsync); writes per commit is the group-commit batch size.", func() uint64 { _, b := src.StoreWrites(); return b })
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry, for components that register their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Registerer is where components register their own metrics: the
// registry, labelled with the node id in a cluster.
func (m *Metrics) Registerer() prometheus.Registerer { return m.wrapped }

// Directions of an OCPP call.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
)

// ObserveCall records one OCPP call. result is "ok" or the CALLERROR code,
// "timeout" or "closed".
func (m *Metrics) ObserveCall(direction, action, result string, d time.Duration) {
	m.calls.WithLabelValues(direction, action, result).Inc()
	m.callDuration.WithLabelValues(direction, action).Observe(d.Seconds())
}

// ObserveStoreBatch records one group-commit batch of the store: its
// writes, its whole duration and the time of its phases.
func (m *Metrics) ObserveStoreBatch(writes int, total, run, meter, commit time.Duration) {
	m.batchWrites.Observe(float64(writes))
	m.batchDuration.WithLabelValues("total").Observe(total.Seconds())
	m.batchDuration.WithLabelValues("run").Observe(run.Seconds())
	m.batchDuration.WithLabelValues("meter").Observe(meter.Seconds())
	m.batchDuration.WithLabelValues("commit").Observe(commit.Seconds())
}

// ConnectionRefused counts a refused charger upgrade (gateway.ConnObserver).
func (m *Metrics) ConnectionRefused(reason string) { m.connRefused.WithLabelValues(reason).Inc() }

// ConnectionReplaced counts a replaced charger connection.
func (m *Metrics) ConnectionReplaced() { m.connReplaced.Inc() }

// ConnectionClosed counts a charger connection Joule closed.
func (m *Metrics) ConnectionClosed(reason string) { m.connClosed.WithLabelValues(reason).Inc() }
