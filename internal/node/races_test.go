package node_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

func startSession(t *testing.T, n *testNode, charger string, connector int, tag string, hdr ...string) (int, charging.Session, problem) {
	t.Helper()
	var raw map[string]any
	code, _ := call(t, http.MethodPost, fmt.Sprintf("%s/api/v1/chargers/%s/connectors/%d/start", n.Base, charger, connector), map[string]any{"idTag": tag}, &raw, hdr...)
	var s charging.Session
	var p problem
	if code == http.StatusAccepted {
		jsonRoundTrip(t, raw, &s)
	} else {
		jsonRoundTrip(t, raw, &p)
	}
	return code, s, p
}

func getSession(t *testing.T, n *testNode, id string) charging.Session {
	t.Helper()
	var s charging.Session
	if code, _ := call(t, http.MethodGet, n.Base+"/api/v1/sessions/"+id, nil, &s); code != 200 {
		t.Fatalf("GET session %s = %d", id, code)
	}
	return s
}

func listSessions(t *testing.T, n *testNode, query string) []charging.Session {
	t.Helper()
	var p page[charging.Session]
	call(t, http.MethodGet, n.Base+"/api/v1/sessions?"+query, nil, &p)
	return p.Items
}

// TestStartRaces covers the remote-start races against the real simulator.
func TestStartRaces(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: time.Second, StartTimeout: 3 * time.Second,
		PendingTimeout: time.Second, SweepInterval: 100 * time.Millisecond})

	t.Run("StartTransaction before the answer", func(t *testing.T) {
		startSim(t, sim.Config{URL: n.WS, ID: "RACE-1", Behaviour: sim.Behaviour{StartBeforeAnswer: true}})
		code, s, p := startSession(t, n, "RACE-1", 1, "T1")
		if code != http.StatusAccepted {
			t.Fatalf("start = %d %+v, want 202", code, p)
		}
		eventually(t, 5*time.Second, "active", func() bool { return getSession(t, n, s.ID).Status == charging.SessionActive })
		if all := listSessions(t, n, "chargerId=RACE-1"); len(all) != 1 {
			t.Fatalf("sessions = %+v, want exactly one", all)
		}
	})

	t.Run("duplicate StartTransaction", func(t *testing.T) {
		cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "RACE-2", Behaviour: sim.Behaviour{DuplicateStart: true}})
		code, s, p := startSession(t, n, "RACE-2", 1, "T2")
		if code != http.StatusAccepted {
			t.Fatalf("start = %d %+v, want 202", code, p)
		}
		eventually(t, 5*time.Second, "active with power", func() bool { return getSession(t, n, s.ID).PowerW > 0 })
		got := getSession(t, n, s.ID)
		if all := listSessions(t, n, "chargerId=RACE-2"); len(all) != 1 {
			t.Fatalf("sessions = %+v, want exactly one: the duplicate must get the same transaction", all)
		}
		if fmt.Sprint(cp.State(1).TransactionID) != got.TransactionID {
			t.Fatalf("charger runs transaction %d, session has %s", cp.State(1).TransactionID, got.TransactionID)
		}
	})

	t.Run("refused", func(t *testing.T) {
		startSim(t, sim.Config{URL: n.WS, ID: "RACE-3", Behaviour: sim.Behaviour{RejectRemoteStart: true}})
		code, _, p := startSession(t, n, "RACE-3", 1, "T3")
		if code != http.StatusConflict || !strings.Contains(p.Detail, "Rejected") {
			t.Fatalf("start = %d %+v, want 409 saying Rejected", code, p)
		}
		all := listSessions(t, n, "chargerId=RACE-3")
		if len(all) != 1 || all[0].Status != charging.SessionFailed || all[0].FailureReason == "" {
			t.Fatalf("sessions = %+v, want one failed with a reason", all)
		}
	})

	t.Run("never started", func(t *testing.T) {
		startSim(t, sim.Config{URL: n.WS, ID: "RACE-4", Behaviour: sim.Behaviour{NeverStart: true}})
		code, s, p := startSession(t, n, "RACE-4", 1, "T4")
		if code != http.StatusAccepted || s.Status != charging.SessionPending {
			t.Fatalf("start = %d %+v %+v, want 202 pending", code, s, p)
		}
		eventually(t, 5*time.Second, "failed after the pending timeout", func() bool {
			got := getSession(t, n, s.ID)
			return got.Status == charging.SessionFailed && strings.Contains(got.FailureReason, "did not start")
		})
	})

	t.Run("no answer", func(t *testing.T) {
		startSim(t, sim.Config{URL: n.WS, ID: "RACE-5", Behaviour: sim.Behaviour{IgnoreCalls: true}})
		code, _, p := startSession(t, n, "RACE-5", 1, "T5")
		if code != http.StatusGatewayTimeout {
			t.Fatalf("start = %d %+v, want 504", code, p)
		}
	})

	t.Run("offline", func(t *testing.T) {
		_, stop := startSim(t, sim.Config{URL: n.WS, ID: "RACE-6"})
		stop()
		eventually(t, 5*time.Second, "offline", func() bool {
			var c charging.Charger
			call(t, http.MethodGet, n.Base+"/api/v1/chargers/RACE-6", nil, &c)
			return !c.Online
		})
		code, _, p := startSession(t, n, "RACE-6", 1, "T6")
		if code != http.StatusConflict || !strings.Contains(p.Detail, "offline") {
			t.Fatalf("start = %d %+v, want 409 saying offline", code, p)
		}
	})

	t.Run("unknown charger and connector", func(t *testing.T) {
		if code, _, _ := startSession(t, n, "NOPE", 1, "T"); code != http.StatusNotFound {
			t.Errorf("unknown charger = %d, want 404", code)
		}
		if code, _, _ := startSession(t, n, "RACE-1", 9, "T"); code != http.StatusNotFound {
			t.Errorf("unknown connector = %d, want 404", code)
		}
	})

	t.Run("idempotency key", func(t *testing.T) {
		startSim(t, sim.Config{URL: n.WS, ID: "RACE-7"})
		c1, s1, _ := startSession(t, n, "RACE-7", 2, "T7", "Idempotency-Key", "k-42")
		c2, s2, _ := startSession(t, n, "RACE-7", 2, "T7", "Idempotency-Key", "k-42")
		if c1 != http.StatusAccepted || c2 != http.StatusAccepted || s1.ID != s2.ID {
			t.Fatalf("retried start = %d %s, %d %s; want 202 twice with one session", c1, s1.ID, c2, s2.ID)
		}
	})

	t.Run("RFID start at the charger", func(t *testing.T) {
		cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "RACE-8"})
		if err := cp.SwipeCard(t.Context(), 1, "RFID-CARD"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "local session", func() bool {
			all := listSessions(t, n, "chargerId=RACE-8&status=active")
			return len(all) == 1 && all[0].Origin == charging.OriginLocal && all[0].IDTag == "RFID-CARD"
		})
		cp.Unplug(1)
		eventually(t, 5*time.Second, "finished EVDisconnected", func() bool {
			all := listSessions(t, n, "chargerId=RACE-8")
			return len(all) == 1 && all[0].Status == charging.SessionFinished && all[0].StopReason == "EVDisconnected"
		})
	})
}
