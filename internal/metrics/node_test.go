package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/metrics"
)

// TestNodeLabel: in a cluster every metric carries the node id.
func TestNodeLabel(t *testing.T) {
	m := metrics.New(metrics.Sources{NodeID: "joule-2", ConnectedChargers: func() int { return 7 }})
	m.ObserveCall(metrics.Inbound, "Heartbeat", "ok", 0)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`joule_chargers_connected{node="joule-2"} 7`,
		`joule_ocpp_calls_total{action="Heartbeat",direction="inbound",node="joule-2",result="ok"} 1`,
		`go_goroutines{node="joule-2"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "joule_") && !strings.Contains(line, `node="joule-2"`) {
			t.Errorf("metric without the node label: %s", line)
		}
	}
}
