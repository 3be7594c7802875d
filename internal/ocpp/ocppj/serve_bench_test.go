package ocppj_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// BenchmarkServeCall measures the server side of one inbound CALL: a raw
// WebSocket client (reusing its buffers, so that the numbers are mostly the
// server's) sends a CALL over loopback, an ocppj.Conn handles it with a
// trivial Handler and the client reads the CALLRESULT.
func BenchmarkServeCall(b *testing.B) {
	var accepted any = json.RawMessage(`{"status":"Accepted"}`) // boxed once: the Handler costs nothing
	handler := func(context.Context, string, json.RawMessage) (any, error) { return accepted, nil }
	for _, bc := range []struct {
		name  string
		frame []byte
	}{
		{"Heartbeat", []byte(`[2,"a1f3c0de-000124","Heartbeat",{}]`)},
		{"MeterValues", meterValues},
	} {
		b.Run(bc.name, func(b *testing.B) {
			url := startHandlerServer(b, ocppj.Options{Handler: handler})
			d := websocket.Dialer{Subprotocols: []string{"ocpp1.6"}}
			ws, _, err := d.Dial(url, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ws.Close()
			buf := make([]byte, 0, 1024)
			b.SetBytes(int64(len(bc.frame)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ws.WriteMessage(websocket.TextMessage, bc.frame); err != nil {
					b.Fatal(err)
				}
				_, r, err := ws.NextReader()
				if err != nil {
					b.Fatal(err)
				}
				if buf, err = readInto(buf[:0], r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if !strings.HasPrefix(string(buf), `[3,`) {
				b.Fatalf("answer %s, want a CALLRESULT", buf)
			}
		})
	}
}

// readInto appends everything r yields to buf.
func readInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// startHandlerServer serves every WebSocket it accepts as an ocppj.Conn with
// opts until the benchmark ends, and returns its ws:// URL.
func startHandlerServer(b *testing.B, opts ocppj.Options) string {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	up := websocket.Upgrader{Subprotocols: []string{"ocpp1.6"}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ocppj.NewConn(ws, opts).Serve(ctx)
	}))
	b.Cleanup(func() {
		cancel()
		hs.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}
