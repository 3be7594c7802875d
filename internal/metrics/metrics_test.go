package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsExposition(t *testing.T) {
	m := New(Sources{
		ConnectedChargers: func() int { return 3 },
		SSESubscribers:    func() int { return 1 },
		EventsDropped:     func() uint64 { return 2 },
		StoreWrites:       func() (uint64, uint64) { return 10, 4 },
		UnbootedStrangers: func() int { return 5 },
	})
	m.ConnectionRefused("unauthenticated")
	m.ConnectionRefused("unauthenticated")
	m.ConnectionReplaced()
	m.ConnectionClosed("boot_timeout")
	m.ObserveCall(Inbound, "MeterValues", "ok", 2*time.Millisecond)
	m.ObserveCall(Outbound, "RemoteStartTransaction", "timeout", 30*time.Second)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		"joule_chargers_connected 3",
		"joule_sse_subscribers 1",
		"joule_events_dropped_total 2",
		"joule_store_writes_total 10",
		"joule_store_commits_total 4",
		`joule_ocpp_calls_total{action="MeterValues",direction="inbound",result="ok"} 1`,
		`joule_ocpp_calls_total{action="RemoteStartTransaction",direction="outbound",result="timeout"} 1`,
		`joule_ocpp_call_duration_seconds_bucket{action="MeterValues",direction="inbound",le="0.0025"} 1`,
		`joule_charger_connections_refused_total{reason="unauthenticated"} 2`,
		"joule_charger_connections_replaced_total 1",
		`joule_charger_connections_closed_total{reason="boot_timeout"} 1`,
		"joule_charger_connections_unbooted 5",
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
