package node_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// TestMetrics checks /metrics reflects a connected charger and its calls.
func TestMetrics(t *testing.T) {
	n := startNode(t, node.Config{})
	startSim(t, sim.Config{URL: n.WS, ID: "MET-1", MeterValueSampleInterval: time.Hour})
	scrape := func() string {
		resp, err := http.Get(n.Base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := scrape()
	wants := []string{
		"joule_chargers_connected 1",
		`joule_ocpp_calls_total{action="BootNotification",direction="inbound",result="ok"} 1`,
		`joule_ocpp_call_duration_seconds_count{action="StatusNotification",direction="inbound"}`,
		"joule_sse_subscribers 0",
	}
	if _, pg := nodeSchemas.Load(n.Data); !pg {
		// SQLite's group commit (PostgreSQL groups its commits itself).
		wants = append(wants, "joule_store_commits_total", `joule_store_batch_duration_seconds_count{phase="commit"}`, "joule_store_batch_writes_count")
	}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var res map[string]any
	call(t, http.MethodPost, n.Base+"/api/v1/chargers/MET-1/commands/ClearCache", map[string]any{}, &res)
	if body := scrape(); !strings.Contains(body, `joule_ocpp_calls_total{action="ClearCache",direction="outbound",result="ok"} 1`) {
		t.Errorf("/metrics does not count the outbound ClearCache")
	}
}
