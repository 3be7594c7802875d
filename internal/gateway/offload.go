package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// Memory per idle charger is mostly its connection goroutine's stack. A
// goroutine's stack grows to the deepest call it ever made (the service's
// SQLite reads and the schema validation go 20–30 KiB deep) and shrinks
// only by halves at garbage collections, which an idle node rarely runs.
// So the connection goroutine only reads and writes frames; everything deep
// runs on a worker goroutine (handleOffloaded), and the connection
// goroutine waits for it. The deep stacks live on the workers, which are
// shared by all connections and number as many as CALLs were handled at
// once lately, not as chargers are connected. Frames of one charger are still
// handled one at a time and in order, and the answer is still written
// after the handler returned (after the store has the data).
//
// Handing a CALL over costs no allocation: the call struct, with the
// channel its worker signals, is reused (callPool), and an idle worker is
// waiting for it (offloadPool).

// workerIdle is the offload pool's sweep period: a worker that waited for a
// call that long (up to twice that) exits, so after a burst the pool
// shrinks back and the workers' grown stacks are freed.
const workerIdle = 30 * time.Second

// offloadPool runs the gateway's offloaded calls.
var offloadPool = newWorkerPool(workerIdle)

// callPool recycles call structs, so that a CALL costs no allocation to
// hand over.
var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// A call is one CALL handed to a worker: HandleCall's arguments, then its
// outcome. The worker signals done once it has finished with the call and
// does not touch it again.
type call struct {
	ctx     context.Context
	station Station
	action  string
	payload json.RawMessage

	resp     any
	err      error
	panicked string // non-empty if HandleCall panicked: the value and the worker's stack

	done chan struct{} // buffered 1; made once, reused with the call
}

// run runs the call on the current (worker) goroutine. A panic is recorded
// rather than raised: it must reach the caller, on the caller's goroutine.
func (c *call) run() {
	defer func() {
		if p := recover(); p != nil {
			c.panicked = fmt.Sprintf("%v\n%s", p, debug.Stack())
		}
	}()
	c.resp, c.err = handleCall(c.ctx, c.station, c.action, c.payload)
}

// handleOffloaded runs a station's HandleCall and encodes its answer off the
// connection goroutine, on a worker (see above). The answer is returned as
// encoded JSON, which ocppj sends as is. A panic in HandleCall is raised
// again on the caller's goroutine, with the worker's stack, so the caller's
// recover (ocppj turns a handler panic into InternalError) still works.
func handleOffloaded(ctx context.Context, st Station, action string, payload json.RawMessage) (any, error) {
	c := callPool.Get().(*call)
	c.ctx, c.station, c.action, c.payload = ctx, st, action, payload
	offloadPool.run(c)
	resp, err, panicked := c.resp, c.err, c.panicked
	*c = call{done: c.done} // keep nothing alive from the pool
	callPool.Put(c)
	if panicked != "" {
		panic(panicked)
	}
	return resp, err
}

// handleCall runs a station's HandleCall and encodes its answer: a
// json.RawMessage, or nil for an empty answer ({}).
func handleCall(ctx context.Context, st Station, action string, payload json.RawMessage) (any, error) {
	resp, err := st.HandleCall(ctx, action, payload)
	if err != nil {
		return resp, err
	}
	switch resp.(type) {
	case nil, json.RawMessage, []byte:
		return resp, nil
	}
	b, err := json.Marshal(resp)
	switch {
	case err != nil:
		return nil, fmt.Errorf("encode response: %w", err)
	case string(b) == "null": // a nil pointer or map: ocppj sends {}
		return nil, nil
	}
	return json.RawMessage(b), nil
}

// A workerPool runs calls on long-lived goroutines, its workers. It has no
// fixed size: a call that finds no worker idle starts a new one, so calls
// that block (on a disk commit, say) never wait for each other.
//
// Idle workers wait on a stack, and the one that went idle last takes the
// next call: under a steady load the same few workers (and their grown
// stacks) serve, and those a burst left over stay at the bottom. A sweep
// every idle period stops the workers that stayed idle through the whole
// period (the bottom of the stack, down to its lowest since the last
// sweep), so a worker exits after between idle and twice that. Nothing is
// timed per call, and the sweep's timer is armed only while workers run.
type workerPool struct {
	idle time.Duration // the sweep period

	mu       sync.Mutex
	idlers   []*worker   // idle workers, the last to go idle on top; guarded by mu
	lowIdle  int         // fewest idle workers since the last sweep; guarded by mu
	live     int         // workers running; guarded by mu
	sweeping bool        // the sweep timer is armed; guarded by mu
	sweeper  *time.Timer // made by the first worker's start; guarded by mu
}

// A worker is one goroutine of a pool; an idle worker waits for its next
// call on calls.
type worker struct {
	calls chan *call // buffered 1, so handing over never blocks; nil stops the worker
}

func newWorkerPool(idle time.Duration) *workerPool {
	return &workerPool{idle: idle}
}

// run runs c on a worker and returns once the worker has finished with it.
func (p *workerPool) run(c *call) {
	p.mu.Lock()
	if n := len(p.idlers); n > 0 {
		w := p.idlers[n-1]
		p.idlers[n-1] = nil
		p.idlers = p.idlers[:n-1]
		p.lowIdle = min(p.lowIdle, n-1)
		p.mu.Unlock()
		w.calls <- c
	} else {
		p.live++
		if !p.sweeping {
			p.sweeping = true
			if p.sweeper == nil {
				p.sweeper = time.AfterFunc(p.idle, p.sweep)
			} else {
				p.sweeper.Reset(p.idle)
			}
		}
		p.mu.Unlock()
		go p.work(&worker{calls: make(chan *call, 1)}, c)
	}
	<-c.done
}

// work is worker w's goroutine: it runs c, then every call it is handed,
// until it is stopped.
func (p *workerPool) work(w *worker, c *call) {
	// A call that ends its goroutine (runtime.Goexit) ends the worker; its
	// caller must still be released (the worker's deferred calls run).
	defer func() {
		if c != nil {
			p.mu.Lock()
			p.live--
			p.mu.Unlock()
			c.done <- struct{}{}
		}
	}()
	for c != nil {
		c.run()
		// Idle before the caller is released, so that its next call (the
		// charger's next frame) finds this worker.
		p.mu.Lock()
		p.idlers = append(p.idlers, w)
		p.mu.Unlock()
		done := c.done
		c = nil // the caller owns it again once signalled
		done <- struct{}{}
		c = <-w.calls
	}
}

// sweep stops the workers that stayed idle since the last sweep and arms
// the next sweep while workers remain.
func (p *workerPool) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	stale := p.lowIdle
	for _, w := range p.idlers[:stale] {
		w.calls <- nil // an idle worker's channel is empty
	}
	n := copy(p.idlers, p.idlers[stale:])
	clear(p.idlers[n:])
	p.idlers = p.idlers[:n]
	p.live -= stale
	p.lowIdle = n
	if p.live > 0 {
		p.sweeper.Reset(p.idle)
	} else {
		p.sweeping = false
	}
}

// workers reports how many workers are running.
func (p *workerPool) workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}
