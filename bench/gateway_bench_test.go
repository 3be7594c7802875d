// Package bench holds Joule's load tools (echo, loadgen, run.sh) and the
// in-process benchmark of the whole gateway path.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/node"
)

// BenchmarkGateway measures the full path of a charger's CALL through a real
// Joule node started in-process: WebSocket frame in, OCPP-J parse, schema
// validation, routing to the domain service, SQLite persistence (durable
// before the answer), CALLRESULT out. A few raw gorilla clients send
// back to back, so ns/op is wall time per message across all of them
// (1e9/ns/op = msgs/s); the clients run in the same process and their cost
// is included. Profile it with:
//
//	go test ./bench -run '^$' -bench Gateway/MeterValues -cpuprofile cpu.out
func BenchmarkGateway(b *testing.B) {
	for _, action := range []string{"MeterValues", "Heartbeat"} {
		for _, n := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/chargers=%d", action, n), func(b *testing.B) {
				benchGateway(b, action, n)
			})
		}
	}
}

func benchGateway(b *testing.B, action string, chargers int) {
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- node.Run(ctx, node.Config{Data: b.TempDir()}, ln, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("node: %v", err)
		}
	}()
	url := "ws://" + ln.Addr().String() + "/ocpp/"

	clients := make([]*client, chargers)
	for i := range clients {
		c, err := dialCharger(url+"BENCH"+strconv.Itoa(i+1), action)
		if err != nil {
			b.Fatal(err)
		}
		defer c.ws.Close()
		clients[i] = c
	}

	var tickets atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, chargers)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tickets.Add(1) <= int64(b.N) {
				if err := c.roundTrip(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// client is one raw charger: pre-encoded frames, one CALL in flight.
type client struct {
	ws             *websocket.Conn
	seq            uint64
	prefix, suffix []byte
	out            []byte
}

func dialCharger(url, action string) (*client, error) {
	d := websocket.Dialer{Subprotocols: []string{"ocpp1.6"}, HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	c := &client{ws: ws, prefix: []byte(`[2,"`)}
	if _, err := c.call("BootNotification", `{"chargePointVendor":"Joule","chargePointModel":"Bench"}`); err != nil {
		ws.Close()
		return nil, err
	}
	switch action {
	case "Heartbeat":
		c.suffix = []byte(`","Heartbeat",{}]`)
	case "MeterValues":
		res, err := c.call("StartTransaction", `{"connectorId":1,"idTag":"BENCH","meterStart":0,"timestamp":"`+time.Now().UTC().Format(time.RFC3339)+`"}`)
		if err != nil {
			ws.Close()
			return nil, err
		}
		var s struct {
			TransactionID int64 `json:"transactionId"`
		}
		if err := json.Unmarshal(res, &s); err != nil {
			ws.Close()
			return nil, err
		}
		c.suffix = []byte(`","MeterValues",{"connectorId":1,"transactionId":` + strconv.FormatInt(s.TransactionID, 10) +
			`,"meterValue":[{"timestamp":"` + time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `","sampledValue":[` +
			`{"value":"230.1","context":"Sample.Periodic","format":"Raw","measurand":"Voltage","phase":"L1","location":"Outlet","unit":"V"},` +
			`{"value":"31.95","context":"Sample.Periodic","format":"Raw","measurand":"Current.Import","phase":"L1","location":"Outlet","unit":"A"},` +
			`{"value":"7351.2","context":"Sample.Periodic","format":"Raw","measurand":"Power.Active.Import","location":"Outlet","unit":"W"},` +
			`{"value":"32","context":"Sample.Periodic","format":"Raw","measurand":"Current.Offered","location":"Outlet","unit":"A"},` +
			`{"value":"12345.6","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"}` +
			`]}]}]`)
	default:
		ws.Close()
		return nil, fmt.Errorf("unknown action %q", action)
	}
	return c, nil
}

// call is for setup: it returns the CALLRESULT payload.
func (c *client) call(action, payload string) (json.RawMessage, error) {
	c.seq++
	id := "s" + strconv.FormatUint(c.seq, 10)
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(`[2,"`+id+`","`+action+`",`+payload+`]`)); err != nil {
		return nil, err
	}
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		var f []json.RawMessage
		if err := json.Unmarshal(msg, &f); err != nil || len(f) < 3 {
			return nil, fmt.Errorf("%s: bad frame %q", action, msg)
		}
		if string(f[1]) != strconv.Quote(id) {
			continue // a CALL from Joule, or an answer to something else
		}
		if string(f[0]) != "3" {
			return nil, fmt.Errorf("%s: %s", action, msg)
		}
		return f[2], nil
	}
}

// roundTrip sends the pre-encoded CALL and waits for its CALLRESULT.
func (c *client) roundTrip() error {
	c.seq++
	c.out = append(c.out[:0], c.prefix...)
	c.out = strconv.AppendUint(c.out, c.seq, 10)
	id := c.out[len(c.prefix):]
	c.out = append(c.out, c.suffix...)
	if err := c.ws.WriteMessage(websocket.TextMessage, c.out); err != nil {
		return err
	}
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return err
		}
		if len(msg) > 4+len(id) && bytes.HasPrefix(msg[4:], id) && msg[4+len(id)] == '"' {
			if msg[1] != '3' {
				return fmt.Errorf("answer: %s", msg)
			}
			return nil
		}
		// anything else (a CALL from Joule) is ignored: this client only
		// measures its own CALLs.
	}
}
