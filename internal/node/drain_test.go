package node_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/node"
)

// TestShutdownDrainsUnderLoad stops a node (as SIGTERM does) while 30
// chargers send StatusNotifications back to back. Draining, the node
// answers every CALL it handled: no CALLERROR, every charger is closed
// with 1001, and what the store holds for each charger is exactly its last
// answered report — a report handled but left unanswered (the charger
// would send it again and count it twice) would show as a newer one.
func TestShutdownDrainsUnderLoad(t *testing.T) {
	const chargers = 30
	data := t.TempDir()
	n := startNode(t, node.Config{Data: data, ShutdownTimeout: 10 * time.Second})

	type result struct {
		lastAnswered int
		callErrors   []string
		closeCode    int
		err          error
	}
	results := make([]result, chargers)
	var ready, wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range chargers {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			d := websocket.Dialer{Subprotocols: []string{"ocpp1.6"}, HandshakeTimeout: 5 * time.Second}
			ws, _, err := d.Dial(fmt.Sprintf("%s/DRAIN-%02d", n.WS, i), nil)
			if err != nil {
				r.err = err
				ready.Done()
				return
			}
			defer ws.Close()
			call := func(id, action, payload string) ([]json.RawMessage, error) {
				if err := ws.WriteMessage(websocket.TextMessage, []byte(`[2,"`+id+`","`+action+`",`+payload+`]`)); err != nil {
					return nil, err
				}
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				for {
					_, b, err := ws.ReadMessage()
					if err != nil {
						return nil, err
					}
					var f []json.RawMessage
					if err := json.Unmarshal(b, &f); err != nil {
						return nil, err
					}
					if string(f[0]) == "2" { // a CALL of the node's (a follow-up): answer it
						_ = ws.WriteMessage(websocket.TextMessage, []byte(`[3,`+string(f[1])+`,{"status":"Accepted"}]`))
						continue
					}
					return f, nil
				}
			}
			if _, err := call("boot", "BootNotification", `{"chargePointVendor":"V","chargePointModel":"M"}`); err != nil {
				r.err = err
				ready.Done()
				return
			}
			ready.Done()
			for seq := 1; ; seq++ {
				f, err := call("s"+strconv.Itoa(seq), "StatusNotification",
					fmt.Sprintf(`{"connectorId":1,"status":"Available","errorCode":"NoError","info":"%d"}`, seq))
				if err != nil {
					if ce, ok := err.(*websocket.CloseError); ok {
						r.closeCode = ce.Code
					} else {
						r.err = err
					}
					return
				}
				if string(f[0]) == "4" {
					r.callErrors = append(r.callErrors, string(f[2])+" "+string(f[3]))
					continue
				}
				r.lastAnswered = seq
				select {
				case <-stop:
					// Keep going: the node is stopping under us.
				default:
				}
			}
		}()
	}
	ready.Wait()
	time.Sleep(300 * time.Millisecond) // load
	close(stop)
	n.Stop()
	wg.Wait()

	restarted := startNode(t, node.Config{Data: data})
	for i, r := range results {
		id := fmt.Sprintf("DRAIN-%02d", i)
		if r.err != nil {
			t.Errorf("%s: %v", id, r.err)
			continue
		}
		if len(r.callErrors) > 0 {
			t.Errorf("%s: CALLERRORs while draining: %q", id, r.callErrors)
		}
		if r.closeCode != websocket.CloseGoingAway {
			t.Errorf("%s: closed with %d, want 1001", id, r.closeCode)
		}
		var c charging.Charger
		if code, _ := call(t, http.MethodGet, restarted.Base+"/api/v1/chargers/"+id, nil, &c); code != http.StatusOK || len(c.Connectors) != 1 {
			t.Errorf("%s: GET = %d %+v", id, code, c)
			continue
		}
		if got := c.Connectors[0].Info; got != strconv.Itoa(r.lastAnswered) {
			t.Errorf("%s: stored report %q, last answered %d: a report was handled but not answered", id, got, r.lastAnswered)
		}
	}
}

// TestConnectStormOverLimit: a storm of chargers above the node's connect
// rate gets 503 with a Retry-After, each answered at once; none is left
// to pile up until the kernel resets it.
func TestConnectStormOverLimit(t *testing.T) {
	n := startNode(t, node.Config{Gateway: gateway.Options{UpgradeRate: gateway.Rate{Burst: 10, Every: time.Hour}, MaxStrangersPerIP: -1}})
	const storm = 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var errs []error
	for i := range storm {
		wg.Go(func() {
			d := websocket.Dialer{Subprotocols: []string{"ocpp1.6"}, HandshakeTimeout: 10 * time.Second}
			ws, resp, err := d.Dial(fmt.Sprintf("%s/STORM-%03d", n.WS, i), nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				statuses[http.StatusSwitchingProtocols]++
				ws.Close()
			case resp != nil:
				statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusServiceUnavailable {
					if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
						errs = append(errs, fmt.Errorf("503 without a Retry-After: %q", resp.Header.Get("Retry-After")))
					}
				}
			default:
				errs = append(errs, err) // a reset or a timeout: what the limit prevents
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if statuses[http.StatusSwitchingProtocols] != 10 || statuses[http.StatusServiceUnavailable] != storm-10 {
		t.Errorf("statuses %v, want 10 upgraded and %d refused with 503", statuses, storm-10)
	}
}
