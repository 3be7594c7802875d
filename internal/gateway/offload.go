package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
)

// Memory per idle charger is mostly its connection goroutine's stack. A
// goroutine's stack grows to the deepest call it ever made (the service's
// SQLite reads and the schema validation go 20–30 KiB deep) and shrinks
// only by halves at garbage collections, which an idle node rarely runs.
// So the connection goroutine only reads and writes frames; everything deep
// runs on a short-lived goroutine of its own (offload), and the connection
// goroutine waits for it. Frames of one charger are still handled one at a
// time and in order, and the answer is still written after the handler
// returned (after the store has the data).

// offload runs fn on a new goroutine and waits for it. A panic in fn is
// raised again on the caller's goroutine, with fn's stack, so the callers'
// recover (ocppj turns a handler panic into InternalError) still works.
func offload(fn func()) {
	done := make(chan struct{})
	var p any
	var stack []byte
	go func() {
		defer close(done)
		defer func() {
			if p = recover(); p != nil {
				stack = debug.Stack()
			}
		}()
		fn()
	}()
	<-done
	if p != nil {
		panic(fmt.Sprintf("%v\n%s", p, stack))
	}
}

// handleOffloaded runs a station's HandleCall and encodes its answer off the
// connection goroutine (see offload). The answer is returned as encoded
// JSON, which ocppj sends as is.
func handleOffloaded(ctx context.Context, st Station, action string, payload json.RawMessage) (resp any, err error) {
	offload(func() {
		resp, err = st.HandleCall(ctx, action, payload)
		if err != nil {
			return
		}
		switch resp.(type) {
		case nil, json.RawMessage, []byte:
			return
		}
		b, merr := json.Marshal(resp)
		switch {
		case merr != nil:
			resp, err = nil, fmt.Errorf("encode response: %w", merr)
		case string(b) == "null": // a nil pointer or map: ocppj sends {}
			resp = nil
		default:
			resp = json.RawMessage(b)
		}
	})
	return resp, err
}
