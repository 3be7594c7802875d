package node_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/sim"
)

// BenchmarkClusterCommand measures a command's round trip through the API
// (POST /chargers/{id}/configuration/read: a GetConfiguration CALL
// answered by the simulator) when the API node is the charger's (local) and when it
// is another node (remote: NATS request/reply to the owner). It reports
// p50 and p99 in milliseconds besides ns/op. It needs
// JOULE_TEST_POSTGRES_URL and JOULE_TEST_NATS_URL.
//
//	go test -run '^$' -bench ClusterCommand -benchtime 2000x ./internal/node/
func BenchmarkClusterCommand(b *testing.B) {
	c := newCluster(b, 2)
	owner, other := c.nodes[0], c.nodes[1]
	c.lb.Prefer(host(owner))
	startSimAt(b, sim.Config{URL: "ws://" + c.lb.Addr() + "/ocpp", ID: "BC-1", OCPPVersion: sim.OCPP16, Connectors: 1}, owner.Base)
	for _, bc := range []struct {
		name string
		api  string
	}{{"local", owner.Base}, {"remote", other.Base}} {
		b.Run(bc.name, func(b *testing.B) {
			url := bc.api + "/api/v1/chargers/BC-1/configuration/read"
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				if code, _ := call(b, http.MethodPost, url, map[string]any{"keys": []string{"HeartbeatInterval"}}, nil); code != 200 {
					b.Fatalf("read configuration through %s = %d", bc.name, code)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}
