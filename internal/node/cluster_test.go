package node_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/postgres/pgtest"
	"github.com/joule-ev/joule/internal/sim"
)

// clusterEnv is a cluster of nodes on one PostgreSQL schema and one NATS,
// under a name of its own, behind a TCP balancer.
type clusterEnv struct {
	t       testing.TB
	pg, nat string
	name    string
	nodes   []*testNode
	lb      *tcpBalancer
}

// newCluster starts n nodes; node 0 bootstraps the admin, whose token
// every node's API calls use.
func newCluster(t testing.TB, n int) *clusterEnv {
	t.Helper()
	natsURL := os.Getenv("JOULE_TEST_NATS_URL")
	if natsURL == "" {
		t.Skip("JOULE_TEST_NATS_URL is not set: skipping the cluster test (set it to a NATS server with JetStream, e.g. nats://127.0.0.1:4222)")
	}
	c := &clusterEnv{t: t, pg: pgtest.URL(t), nat: natsURL}
	var b [4]byte
	rand.Read(b[:])
	c.name = "jt" + hex.EncodeToString(b[:])
	t.Cleanup(c.deleteNATSState)
	var backends []string
	for i := range n {
		nd := startNode(t, c.config(i))
		if i > 0 {
			// The admin token is the first node's (the cluster's one admin).
			nodeData.Store(strings.TrimPrefix(nd.Base, "http://"), c.nodes[0].Data)
		} else if _, err := adminToken(nd.Data); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, nd)
		backends = append(backends, strings.TrimPrefix(nd.Base, "http://"))
	}
	for _, nd := range c.nodes {
		eventually(t, 15*time.Second, "node "+nd.Base+" ready", func() bool {
			resp, err := http.Get(nd.Base + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	}
	c.lb = newBalancer(t, backends...)
	return c
}

func (c *clusterEnv) config(i int) node.Config {
	return node.Config{Postgres: c.pg, NATS: c.nat, ClusterName: c.name, NodeID: fmt.Sprintf("n%d", i+1),
		CallTimeout: 5 * time.Second, PasswordParams: cheapParams}
}

// deleteNATSState deletes the cluster's stream and buckets.
func (c *clusterEnv) deleteNATSState() {
	nc, err := nats.Connect(c.nat)
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = js.DeleteStream(ctx, c.name+"_events")
	_ = js.DeleteKeyValue(ctx, c.name+"_chargers")
	_ = js.DeleteKeyValue(ctx, c.name+"_chargers_nodes")
}

// host is a node's host:port, as the balancer knows it.
func host(n *testNode) string { return strings.TrimPrefix(n.Base, "http://") }

// connectedOn is the node's joule_chargers_connected metric.
func connectedOn(t testing.TB, n *testNode) int {
	t.Helper()
	return metricOn(t, n, "joule_chargers_connected")
}

// metricOn reads one of the node's gauges (labelled by node).
func metricOn(t testing.TB, n *testNode, name string) int {
	t.Helper()
	resp, err := http.Get(n.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+"{") {
			var v int
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%d", &v)
			return v
		}
	}
	t.Fatalf("%s/metrics has no %s", n.Base, name)
	return 0
}

// journal keeps the meterValue timestamps of every message the CSMS
// acknowledged, per charger: what Joule promised to have stored.
type journal struct {
	mu    sync.Mutex
	stamp map[string][]time.Time
}

func (j *journal) hook(chargerID string) func(action string, req any) {
	return func(action string, req any) {
		b, err := json.Marshal(req)
		if err != nil {
			return
		}
		var m struct {
			MeterValue      []struct{ Timestamp time.Time } `json:"meterValue"`
			TransactionData []struct{ Timestamp time.Time } `json:"transactionData"`
		}
		if json.Unmarshal(b, &m) != nil {
			return
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		for _, e := range append(m.MeterValue, m.TransactionData...) {
			j.stamp[chargerID] = append(j.stamp[chargerID], e.Timestamp)
		}
	}
}

func (j *journal) stamps(chargerID string) []time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]time.Time(nil), j.stamp[chargerID]...)
}

// TestCluster is the scale-out done-when: three nodes on one PostgreSQL
// and one NATS; a 1.6J and a 2.0.1 charger on different nodes; the seed
// flow with every API call on a node other than the charger's; the
// charger's node fails mid-session (crash for one charger, a half-open
// connection and a takeover for the other); each charger reconnects to
// another node, its session finishes there, and every meter value Joule
// acknowledged is stored.
func TestCluster(t *testing.T) {
	c := newCluster(t, 3)
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	ws := "ws://" + c.lb.Addr() + "/ocpp"
	j := &journal{stamp: map[string][]time.Time{}}

	// Events of both chargers, followed on two nodes neither charger is on
	// at the end.
	ev1 := subscribe(t, n1.Base+"/api/v1/events")
	ev3 := subscribe(t, n3.Base+"/api/v1/events?chargerId=CL-16")

	c.lb.Prefer(host(n2))
	cpA, _ := startSimAt(t, sim.Config{URL: ws, ID: "CL-16", OCPPVersion: sim.OCPP16, Connectors: 2, Acknowledged: j.hook("CL-16")}, n1.Base)
	c.lb.Prefer(host(n3))
	cpB, _ := startSimAt(t, sim.Config{URL: ws, ID: "CL-201", OCPPVersion: sim.OCPP201, Connectors: 2, Acknowledged: j.hook("CL-201")}, n2.Base)

	// Each charger is on the node the balancer chose.
	for _, w := range []struct {
		n    *testNode
		want int
	}{{n1, 0}, {n2, 1}, {n3, 1}} {
		if got := connectedOn(t, w.n); got != w.want {
			t.Fatalf("%s holds %d chargers, want %d", w.n.Base, got, w.want)
		}
	}

	// One node leads the background work.
	leaders := 0
	for _, nd := range c.nodes {
		leaders += metricOn(t, nd, "joule_cluster_leader")
	}
	if leaders != 1 {
		t.Errorf("%d nodes lead, want 1", leaders)
	}

	// Each node knows both chargers online.
	for _, nd := range c.nodes {
		for _, id := range []string{"CL-16", "CL-201"} {
			eventually(t, 10*time.Second, id+" online on "+nd.Base, func() bool {
				var ch charging.Charger
				call(t, http.MethodGet, nd.Base+"/api/v1/chargers/"+id, nil, &ch)
				return ch.Online
			})
		}
	}

	// A command from another node: GetConfiguration on CL-16 (on n2), asked on n3.
	var cfg struct {
		Keys []struct{ Key string } `json:"keys"`
	}
	if code, _ := call(t, http.MethodPost, n3.Base+"/api/v1/chargers/CL-16/configuration/read", map[string]any{"keys": []string{}}, &cfg); code != 200 || len(cfg.Keys) == 0 {
		t.Fatalf("read configuration of CL-16 through n3 = %d %+v, want the charger's keys", code, cfg)
	}

	// Start a session on each charger from a node it is not on.
	start := func(base, chargerID, tag string) charging.Session {
		t.Helper()
		var s charging.Session
		if code, _ := call(t, http.MethodPost, base+"/api/v1/chargers/"+chargerID+"/connectors/1/start", map[string]any{"idTag": tag}, &s); code != http.StatusAccepted {
			t.Fatalf("start %s through %s = %d %+v, want 202", chargerID, base, code, s)
		}
		return s
	}
	sA := start(n1.Base, "CL-16", "tag-a")  // CL-16 is on n2
	sB := start(n1.Base, "CL-201", "tag-b") // CL-201 is on n3
	get := func(base, id string) charging.Session {
		var s charging.Session
		if code, _ := call(t, http.MethodGet, base+"/api/v1/sessions/"+id, nil, &s); code != 200 {
			t.Fatalf("GET session %s = %d", id, code)
		}
		return s
	}
	for _, id := range []string{sA.ID, sB.ID} {
		eventually(t, 15*time.Second, "session "+id+" charging", func() bool {
			s := get(n1.Base, id)
			return s.Status == "active" && s.EnergyWh >= 3
		})
	}
	// The other nodes' streams saw CL-16's session live.
	for _, rec := range []*sseRecorder{ev1, ev3} {
		eventually(t, 10*time.Second, "session.meter of "+sA.ID+" on a node the charger is not on", func() bool { return rec.has("session.meter", sA.ID) })
	}

	// CL-16's node crashes (the charger's connection dies with it); CL-201
	// loses its connection to n3 without n3 noticing (half-open): both
	// reconnect through the balancer to a node still up.
	c.lb.Down(host(n2))
	n2.Stop()
	c.lb.Blackhole(host(n3))
	for _, id := range []string{"CL-16", "CL-201"} {
		eventually(t, 20*time.Second, id+" reconnected to n1", func() bool {
			var ch charging.Charger
			code, _ := call(t, http.MethodGet, n1.Base+"/api/v1/chargers/"+id, nil, &ch)
			return code == 200 && ch.Online
		})
	}
	_ = cpA
	_ = cpB
	// n3 let go of CL-201's half-open connection when n1 claimed it (a
	// takeover), long before its pings would have told it.
	eventually(t, 5*time.Second, "n3 lets go of CL-201", func() bool { return connectedOn(t, n3) == 0 })
	if got := connectedOn(t, n1); got != 2 {
		t.Errorf("n1 holds %d chargers, want both", got)
	}
	// The sessions go on: more energy after the move.
	moved := map[string]float64{sA.ID: get(n1.Base, sA.ID).EnergyWh, sB.ID: get(n1.Base, sB.ID).EnergyWh}
	for id, e := range moved {
		eventually(t, 15*time.Second, "session "+id+" charging on its new node", func() bool {
			s := get(n3.Base, id)
			return s.Status == "active" && s.EnergyWh > e
		})
	}

	// Stop both from a node other than the one each charger is on now (n1).
	for _, id := range []string{sA.ID, sB.ID} {
		// The old node may still hold the half-open CL-201 until the
		// takeover reaches it: a 409 then is the charger being offline
		// for a moment, tried again.
		eventually(t, 15*time.Second, "stop "+id+" accepted", func() bool {
			code, _ := call(t, http.MethodPost, n3.Base+"/api/v1/sessions/"+id+"/stop", nil, nil)
			return code == http.StatusAccepted
		})
	}
	for _, id := range []string{sA.ID, sB.ID} {
		eventually(t, 15*time.Second, "session "+id+" finished", func() bool { return get(n1.Base, id).Status == "finished" })
		if s := get(n3.Base, id); s.StopReason != "Remote" || s.MeterStopWh == nil || s.EnergyWh <= moved[id] {
			t.Errorf("finished session = %+v, want Remote with a final reading past %v Wh", s, moved[id])
		}
	}

	// Every meter value Joule acknowledged is stored, on whichever node.
	checkAcked(t, n1.Base+"/api/v1", sA.ID, j.stamps("CL-16"))
	checkAcked(t, n1.Base+"/api/v1", sB.ID, j.stamps("CL-201"))
	// The streams on the nodes still up told the stop.
	for _, rec := range []*sseRecorder{ev1, ev3} {
		eventually(t, 10*time.Second, "session.stopped of "+sA.ID, func() bool { return rec.has("session.stopped", sA.ID) })
	}
	// Both charger's event ids are the same on every node.
	ids := map[string]string{}
	for _, e := range ev1.all() {
		if e.Data["chargerId"] == "CL-16" {
			ids[e.ID] = e.Type
		}
	}
	for _, e := range ev3.all() {
		if typ, ok := ids[e.ID]; ok && typ != e.Type {
			t.Errorf("event %s is %s on n1 and %s on n3", e.ID, typ, e.Type)
		}
	}
}

// TestClusterRollingDeploy restarts each node of a three-node cluster in
// turn, as a rolling deploy does (drain with SIGTERM's path, start the new
// one on the same data directory), while a 1.6J and a 2.0.1 charger charge
// throughout: the sessions survive every move, finish, and every meter
// value Joule acknowledged is stored.
func TestClusterRollingDeploy(t *testing.T) {
	c := newCluster(t, 3)
	ws := "ws://" + c.lb.Addr() + "/ocpp"
	j := &journal{stamp: map[string][]time.Time{}}
	startSimAt(t, sim.Config{URL: ws, ID: "RD-16", OCPPVersion: sim.OCPP16, Connectors: 2, Acknowledged: j.hook("RD-16")}, c.nodes[0].Base)
	startSimAt(t, sim.Config{URL: ws, ID: "RD-201", OCPPVersion: sim.OCPP201, Connectors: 2, Acknowledged: j.hook("RD-201")}, c.nodes[0].Base)
	api := func() string { return c.nodes[0].Base + "/api/v1" }
	var sessions []string
	for _, id := range []string{"RD-16", "RD-201"} {
		var s charging.Session
		if code, _ := call(t, http.MethodPost, api()+"/chargers/"+id+"/connectors/1/start", map[string]any{"idTag": "tag-" + id}, &s); code != http.StatusAccepted {
			t.Fatalf("start %s = %d", id, code)
		}
		sessions = append(sessions, s.ID)
	}
	energy := func(id string) float64 {
		var s charging.Session
		call(t, http.MethodGet, api()+"/sessions/"+id, nil, &s)
		if s.Status != "active" {
			return -1
		}
		return s.EnergyWh
	}
	for _, id := range sessions {
		eventually(t, 15*time.Second, "session "+id+" charging", func() bool { return energy(id) >= 3 })
	}
	for i := range c.nodes {
		old := c.nodes[i]
		before := map[string]float64{}
		for _, id := range sessions {
			before[id] = energy(id)
		}
		c.lb.Drain(host(old))
		old.Stop()
		cfg := c.config(i)
		cfg.Data = old.Data
		nd := startNode(t, cfg)
		nodeData.Store(host(nd), c.nodes[0].Data)
		if i == 0 {
			nodeData.Store(host(nd), old.Data)
		}
		c.nodes[i] = nd
		eventually(t, 15*time.Second, "restarted node ready", func() bool {
			resp, err := http.Get(nd.Base + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
		c.lb.Replace(host(old), host(nd))
		c.lb.Up(host(nd))
		for _, id := range sessions {
			eventually(t, 20*time.Second, fmt.Sprintf("session %s charging after node %d restarted", id, i+1), func() bool {
				return energy(id) > before[id]
			})
		}
	}
	for _, id := range sessions {
		eventually(t, 15*time.Second, "stop "+id+" accepted", func() bool {
			code, _ := call(t, http.MethodPost, api()+"/sessions/"+id+"/stop", nil, nil)
			return code == http.StatusAccepted
		})
	}
	for k, id := range sessions {
		eventually(t, 15*time.Second, "session "+id+" finished", func() bool {
			var s charging.Session
			call(t, http.MethodGet, api()+"/sessions/"+id, nil, &s)
			return s.Status == "finished"
		})
		charger := []string{"RD-16", "RD-201"}[k]
		checkAcked(t, api(), id, j.stamps(charger))
	}
}

// checkAcked fails the test unless every acknowledged meterValue timestamp
// is among the session's stored samples.
func checkAcked(t testing.TB, api, sessionID string, acked []time.Time) {
	t.Helper()
	stored := map[time.Time]bool{}
	cursor := ""
	for {
		var p page[charging.MeterSample]
		url := api + "/sessions/" + sessionID + "/meter-values?limit=1000"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		if code, _ := call(t, http.MethodGet, url, nil, &p); code != 200 {
			t.Fatalf("GET meter values = %d", code)
		}
		for _, x := range p.Items {
			stored[x.Timestamp.UTC()] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(acked) < 5 {
		t.Errorf("session %s: only %d meter values acknowledged: the charger did not charge", sessionID, len(acked))
	}
	missing := 0
	for _, ts := range acked {
		if !stored[ts.UTC()] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("session %s: %d of %d acknowledged meter values are not stored", sessionID, missing, len(acked))
	}
	t.Logf("session %s: %d acknowledged meter values, all stored", sessionID, len(acked))
}
