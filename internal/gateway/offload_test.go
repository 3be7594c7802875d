package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Workers outlive their calls by offloadPool.idle, and TestMain's leak
// check runs right after the last test: let idle workers go at once.
func init() { offloadPool.idle = 10 * time.Millisecond }

// funcStation answers CALLs with a function.
type funcStation struct {
	Station // nil: only HandleCall is used
	fn      func() (any, error)
}

func (s funcStation) HandleCall(context.Context, string, json.RawMessage) (any, error) { return s.fn() }

func TestOffloadPanicReachesCaller(t *testing.T) {
	boom := funcStation{fn: func() (any, error) { panic("boom") }}
	func() {
		defer func() {
			r := recover()
			if s, _ := r.(string); !strings.Contains(s, "boom") || !strings.Contains(s, "funcStation.HandleCall") {
				t.Fatalf("recover() = %v, want a panic mentioning boom, with the worker's stack", r)
			}
		}()
		handleOffloaded(context.Background(), boom, "X", nil)
		t.Fatal("handleOffloaded returned after a panic")
	}()
	// The call struct that carried the panic is reused clean.
	for range 3 {
		resp, err := handleOffloaded(context.Background(), handleStation{}, "X", nil)
		if resp != nil || err != nil {
			t.Fatalf("after a panic: %v, %v; want nil, nil", resp, err)
		}
	}
}

// TestHandleOffloadedGoexit checks that a handler ending its goroutine
// releases its caller (with an empty answer, as a goroutine of its own did)
// and that the pool goes on.
func TestHandleOffloadedGoexit(t *testing.T) {
	exit := funcStation{fn: func() (any, error) { runtime.Goexit(); return nil, nil }}
	resp, err := handleOffloaded(context.Background(), exit, "X", nil)
	if resp != nil || err != nil {
		t.Fatalf("after Goexit: %v, %v; want nil, nil", resp, err)
	}
	want := json.RawMessage(`{}`)
	if resp, err := handleOffloaded(context.Background(), handleStation{resp: want}, "X", nil); err != nil || !bytes.Equal(resp.(json.RawMessage), want) {
		t.Fatalf("after Goexit: %s, %v; want {}", resp, err)
	}
}

// TestWorkerPoolGrows checks that calls blocked in their handlers never
// wait for each other (the pool grows to the demand) and that the workers
// exit once idle.
func TestWorkerPoolGrows(t *testing.T) {
	const n = 50
	p := newWorkerPool(20 * time.Millisecond)
	var entered sync.WaitGroup
	entered.Add(n)
	release := make(chan struct{})
	blocked := funcStation{fn: func() (any, error) {
		entered.Done()
		<-release
		return nil, nil
	}}
	var callers sync.WaitGroup
	for range n {
		callers.Go(func() {
			c := &call{ctx: context.Background(), station: blocked, done: make(chan struct{}, 1)}
			p.run(c)
		})
	}
	entered.Wait() // all n handlers run at once
	if got := p.workers(); got != n {
		t.Errorf("%d workers for %d blocked calls, want %d", got, n, n)
	}
	close(release)
	callers.Wait()
	waitIdle(t, p)
}

// TestWorkerPoolReuses checks that a worker runs call after call: one
// caller at a time needs one worker, not one per call.
func TestWorkerPoolReuses(t *testing.T) {
	p := newWorkerPool(20 * time.Millisecond) // sweeps stop no worker in use
	c := &call{ctx: context.Background(), station: handleStation{}, done: make(chan struct{}, 1)}
	for range 1000 {
		p.run(c)
	}
	if got := p.workers(); got != 1 {
		t.Errorf("%d workers for one caller, want 1", got)
	}
	waitIdle(t, p)
}

// TestWorkerPoolShrinksUnderLoad checks that the workers a burst started
// exit although calls keep coming: the same worker takes them all.
func TestWorkerPoolShrinksUnderLoad(t *testing.T) {
	const burst = 20
	idle := 20 * time.Millisecond
	p := newWorkerPool(idle)
	var entered sync.WaitGroup
	entered.Add(burst)
	release := make(chan struct{})
	blocked := funcStation{fn: func() (any, error) {
		entered.Done()
		<-release
		return nil, nil
	}}
	var callers sync.WaitGroup
	for range burst {
		callers.Go(func() { p.run(&call{ctx: context.Background(), station: blocked, done: make(chan struct{}, 1)}) })
	}
	entered.Wait()
	close(release)
	callers.Wait()

	c := &call{ctx: context.Background(), station: handleStation{}, done: make(chan struct{}, 1)}
	deadline := time.Now().Add(wait)
	for p.workers() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers left under a steady load of one caller, want 1", p.workers())
		}
		p.run(c)
		time.Sleep(idle / 10)
	}
	waitIdle(t, p)
}

// waitIdle waits for p's workers to exit.
func waitIdle(t *testing.T, p *workerPool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for p.workers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still running after idling", p.workers())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHandleOffloadedAllocs checks that handing a CALL to a worker costs no
// allocation: no goroutine, channel or closure per message.
func TestHandleOffloadedAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	var st Station = handleStation{resp: json.RawMessage(`{}`)}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := handleOffloaded(ctx, st, "Heartbeat", nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("handleOffloaded: %v allocations per call, want 0", allocs)
	}
}

type handleStation struct {
	Station // nil: only HandleCall is used
	resp    any
	err     error
}

func (s handleStation) HandleCall(context.Context, string, json.RawMessage) (any, error) {
	return s.resp, s.err
}

func TestHandleOffloaded(t *testing.T) {
	type conf struct {
		Status string `json:"status"`
	}
	errBad := errors.New("bad")
	tests := []struct {
		name    string
		st      handleStation
		want    any
		wantErr error
	}{
		{"struct is encoded", handleStation{resp: conf{Status: "Accepted"}}, json.RawMessage(`{"status":"Accepted"}`), nil},
		{"raw passes", handleStation{resp: json.RawMessage(`{}`)}, json.RawMessage(`{}`), nil},
		{"nil pointer is empty", handleStation{resp: (*conf)(nil)}, nil, nil},
		{"nil", handleStation{}, nil, nil},
		{"error", handleStation{err: errBad}, nil, errBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handleOffloaded(context.Background(), tt.st, "X", nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(tt.want)
			if !bytes.Equal(gb, wb) {
				t.Fatalf("resp = %s, want %s", gb, wb)
			}
		})
	}
	if _, err := handleOffloaded(context.Background(), handleStation{resp: func() {}}, "X", nil); err == nil {
		t.Fatal("unencodable response: no error")
	}
}

func TestConnLoggerAddsConnectionAttrs(t *testing.T) {
	var buf bytes.Buffer
	g := &Gateway{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))}
	g.connLogger("CP1", "ocpp1.6").Info("hello", "k", 1)
	g.connLogger("CP2", "").With("x", 2).Warn("bye")
	want := "level=INFO msg=hello charger=CP1 ocpp=ocpp1.6 k=1\nlevel=WARN msg=bye charger=CP2 x=2\n"
	if buf.String() != want {
		t.Fatalf("log =\n%s\nwant\n%s", buf.String(), want)
	}
}

// BenchmarkHandleOffloaded measures handing one CALL to another goroutine
// and waiting for its answer, with a trivial station.
func BenchmarkHandleOffloaded(b *testing.B) {
	var st Station = handleStation{resp: json.RawMessage(`{"status":"Accepted"}`)}
	ctx := context.Background()
	payload := json.RawMessage(`{}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handleOffloaded(ctx, st, "Heartbeat", payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleOffloadedParallel is BenchmarkHandleOffloaded from many
// connections at once.
func BenchmarkHandleOffloadedParallel(b *testing.B) {
	var st Station = handleStation{resp: json.RawMessage(`{"status":"Accepted"}`)}
	ctx := context.Background()
	payload := json.RawMessage(`{}`)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := handleOffloaded(ctx, st, "Heartbeat", payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkServeOffloaded measures the gateway's connection path for one
// inbound CALL: a raw WebSocket client sends a Heartbeat over loopback, an
// ocppj.Conn reads it and hands it to a trivial station off the connection
// goroutine (as the gateway's Handler does), and the client reads the
// answer. The client reuses its buffers, so the numbers are mostly the
// server's.
func BenchmarkServeOffloaded(b *testing.B) {
	var st Station = handleStation{resp: json.RawMessage(`{"currentTime":"2026-01-01T00:00:00Z"}`)}
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
		ocppj.NewConn(ws, ocppj.Options{
			Dialect: ocppj.Dialect16,
			Handler: func(ctx context.Context, action string, payload json.RawMessage) (any, error) {
				return handleOffloaded(ctx, st, action, payload)
			},
		}).Serve(ctx)
	}))
	defer func() {
		cancel()
		hs.Close()
		wg.Wait()
	}()
	d := websocket.Dialer{Subprotocols: []string{"ocpp1.6"}}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	frame := []byte(`[2,"a1f3c0de-000124","Heartbeat",{}]`)
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		_, r, err := ws.NextReader()
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.ReadFull(r, buf)
		if err != io.ErrUnexpectedEOF {
			b.Fatalf("answer %q: %v", buf[:n], err)
		}
	}
}
