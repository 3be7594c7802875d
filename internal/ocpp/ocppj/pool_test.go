package ocppj_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// TestAnswersOutliveReadBuffer checks that what a Call returns does not
// point into the pooled buffer its answer was read into: frames read later
// reuse that buffer.
func TestAnswersOutliveReadBuffer(t *testing.T) {
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16, Handler: testHandler})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	ctx := context.Background()

	type answer struct {
		raw []byte
		err error
	}
	call := func(reply string) answer {
		t.Helper()
		ch := make(chan answer, 1)
		go func() {
			raw, err := c.Call(ctx, "DataTransfer", nil)
			ch <- answer{raw, err}
		}()
		id, _, _ := parseCall(t, p.next())
		p.send(fmt.Sprintf(reply, id))
		return <-ch
	}
	result := call(`[3,"%s",{"data":"result-payload"}]`)
	callErr := call(`[4,"%s","GenericError","failed",{"data":"error-details"}]`)
	if result.err != nil {
		t.Fatalf("Call = %v, want a CALLRESULT", result.err)
	}
	var e *ocppj.Error
	if !errors.As(callErr.err, &e) {
		t.Fatalf("Call = %v, want a CALLERROR", callErr.err)
	}

	// Frames of the same shape overwrite the buffers the answers were in.
	for i := range 20 {
		p.send(fmt.Sprintf(`[2,"%d","Echo",{"xxxx":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`, i))
		p.next()
	}
	if got, want := string(result.raw), `{"data":"result-payload"}`; got != want {
		t.Errorf("CALLRESULT payload = %s after later frames, want %s", got, want)
	}
	if got, want := string(e.Details), `{"data":"error-details"}`; got != want {
		t.Errorf("CALLERROR details = %s after later frames, want %s", got, want)
	}
}

// TestFrameSizes checks frames around the pooled buffers' sizes and the
// read limit, whole and fragmented (continuation frames).
func TestFrameSizes(t *testing.T) {
	const limit = 64 << 10
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect16, Handler: testHandler, MaxFrameBytes: limit})
	whole := dialPeer(t, s.url, "ocpp1.6", true)
	fragmented := dialPeerWith(t, s.url, websocket.Dialer{Subprotocols: []string{"ocpp1.6"}, WriteBufferSize: 1000})
	// echo is a CALL of exactly n bytes and the CALLRESULT it is answered with.
	echo := func(id string, n int) (call, result string) {
		payload := `{"a":"` + strings.Repeat("x", n-len(`[2,"`+id+`","Echo",{"a":""}]`)) + `"}`
		return `[2,"` + id + `","Echo",` + payload + `]`, `[3,"` + id + `",` + payload + `]`
	}
	for _, n := range []int{100, 4 << 10, 4<<10 + 1, 20 << 10, 40 << 10, limit} {
		for _, p := range []*peer{whole, fragmented} {
			call, want := echo(fmt.Sprint(n), n)
			p.send(call)
			if got := p.next(); got != want {
				t.Fatalf("%d-byte CALL: answer %.60s… (%d bytes), want %.60s… (%d bytes)", n, got, len(got), want, len(want))
			}
		}
	}
	call, _ := echo("big", limit+1)
	fragmented.send(call)
	if err := fragmented.closeErr(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("fragmented frame over the limit: peer read error = %v, want close 1009", err)
	}
	if err := s.serveErr(t); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("larger than %d bytes", limit)) {
		t.Errorf("Serve = %v, want a frame-too-large error", err)
	}
}

// dialPeerWith is dialPeer (reading) with a dialer of the caller's, e.g. one
// with a small write buffer, which makes gorilla fragment larger frames.
func dialPeerWith(t *testing.T, url string, d websocket.Dialer) *peer {
	t.Helper()
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	p := &peer{t: t, ws: ws, in: make(chan string, 64), readErr: make(chan error, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				p.readErr <- err
				return
			}
			p.in <- string(b)
		}
	}()
	t.Cleanup(func() {
		ws.Close()
		<-p.done
	})
	return p
}
