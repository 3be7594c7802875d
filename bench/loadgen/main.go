// Command loadgen drives N simulated OCPP 1.6J chargers over real
// WebSockets against a CSMS and prints one JSON line of results.
//
// Every charger dials <url>/<id-prefix><n> with subprotocol ocpp1.6, sends
// BootNotification and waits for it to be answered (Accepted), and — for
// MeterValues — starts a transaction. Then, by --mode:
//
//	closed  each charger sends its next CALL as soon as the previous one is
//	        answered, for --duration (the maximum the server sustains);
//	rate    the chargers together send --rate CALLs per second, each on its
//	        own schedule (latency is measured from the scheduled send time,
//	        so a slow server cannot hide its queueing);
//	idle    the chargers only stay connected for --duration (pings are
//	        answered while reading); the server's RSS is sampled before and
//	        after connecting, giving kbPerCharger.
//
// With --probe (closed and rate modes) one more charger measures the app's
// start → RemoteStartTransaction and MeterValues → SSE latencies while the
// others load the server (probe.go).
//
// Frames are pre-encoded: only the message id changes per CALL, so the
// generator stays light enough to measure a server on another core.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

type config struct {
	URL         string
	Target      string
	Chargers    int
	Mode        string
	Action      string
	Duration    time.Duration
	Rate        float64
	DialConc    int
	ServerPID   int
	IDPrefix    string
	Settle      time.Duration
	Warmup      time.Duration
	CallTimeout time.Duration
	// Probe adds one probe charger (probe.go) in closed and rate modes.
	Probe         bool
	ProbeInterval time.Duration
	API           string
	TokenFile     string // file with the API token the probe sends (--token-file)
}

type result struct {
	Target       string     `json:"target"`
	Mode         string     `json:"mode"`
	Action       string     `json:"action"`
	Chargers     int        `json:"chargers"`
	Connected    int        `json:"connected"`
	DurationS    float64    `json:"durationS"`
	Msgs         uint64     `json:"msgs"`
	MsgsPerS     float64    `json:"msgsPerS"`
	Errors       uint64     `json:"errors"`
	CallErrors   uint64     `json:"callErrors"`
	Latency      latencyOut `json:"latencyMs"`
	ConnectPerS  float64    `json:"connectPerS"`
	ServerRssKB  int64      `json:"serverRssKB,omitempty"`
	RssBeforeKB  int64      `json:"serverRssBeforeKB,omitempty"`
	KBPerCharger float64    `json:"kbPerCharger,omitempty"`
	FirstError   string     `json:"firstError,omitempty"`
	Probe        *probeOut  `json:"probe,omitempty"`
}

type latencyOut struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func main() {
	var c config
	flag.StringVar(&c.URL, "url", "ws://127.0.0.1:8080/ocpp", "OCPP endpoint; the charger id is appended as a path segment")
	flag.StringVar(&c.Target, "target", "", "label of the server under test (reported as is)")
	flag.IntVar(&c.Chargers, "chargers", 1000, "number of chargers")
	flag.StringVar(&c.Mode, "mode", "closed", "closed, rate or idle")
	flag.StringVar(&c.Action, "action", "MeterValues", "MeterValues or Heartbeat")
	flag.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to measure (after setup)")
	flag.Float64Var(&c.Rate, "rate", 1000, "total CALLs per second in rate mode")
	flag.IntVar(&c.DialConc, "dial-concurrency", 500, "concurrent dials (connect + boot) during setup")
	flag.IntVar(&c.ServerPID, "server-pid", 0, "pid of the server, to read its RSS from /proc")
	flag.StringVar(&c.IDPrefix, "id-prefix", "LG", "charger id prefix")
	flag.DurationVar(&c.Warmup, "warmup", 0, "closed and rate modes: load this long before measuring (the run lasts warmup + duration)")
	flag.DurationVar(&c.Settle, "settle", 2*time.Second, "idle mode: wait this long after connecting before reading the RSS")
	flag.DurationVar(&c.CallTimeout, "call-timeout", 30*time.Second, "how long a CALL may wait for its answer")
	flag.BoolVar(&c.Probe, "probe", false, "also run a probe charger measuring app start → RemoteStartTransaction and MeterValues → SSE latency (closed and rate modes)")
	flag.DurationVar(&c.ProbeInterval, "probe-interval", 200*time.Millisecond, "time between probe rounds")
	flag.StringVar(&c.TokenFile, "token-file", "", "file holding the API token the probe sends (joule serve writes <data>/admin-token on first run)")
	flag.StringVar(&c.API, "api", "", "HTTP base URL of the server's API for the probe (default: the --url host)")
	flag.Parse()
	if c.Mode != "closed" && c.Mode != "rate" && c.Mode != "idle" {
		fatalf("--mode must be closed, rate or idle")
	}
	if c.Action != "MeterValues" && c.Action != "Heartbeat" {
		fatalf("--action must be MeterValues or Heartbeat")
	}
	if c.Chargers < 1 || c.DialConc < 1 || (c.Mode == "rate" && c.Rate <= 0) {
		fatalf("--chargers, --dial-concurrency and --rate must be positive")
	}
	if c.Target == "" {
		c.Target = c.URL
	}
	raiseNoFile()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res := run(ctx, c)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", a...)
	os.Exit(2)
}

// raiseNoFile lifts the soft open-file limit to the hard one: every charger
// is a socket.
func raiseNoFile() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// charger is one simulated connection. In closed mode its goroutine owns
// every field. In rate and idle modes a reader goroutine (listen) owns ws's
// reads and in; writes take wmu.
type charger struct {
	id  string
	ws  *websocket.Conn
	seq uint64
	out []byte // the frame being sent
	in  []byte // the frame being read
	tx  int64
	// tsAt is where the meterValue's timestamp sits in the frame's suffix
	// (-1 for a Heartbeat); lastTS is the last one sent.
	tsAt   int
	lastTS time.Time
	hist   *hist // allocated when the charger starts loading
	msgs   uint64
	cerrs  uint64

	// rate mode: the reader hands the answer to the outstanding CALL (want)
	// to the sender over got ('3' result, '4' error); dead closes when the
	// reader stops.
	wmu  sync.Mutex
	want atomic.Uint64
	got  chan byte
	dead chan struct{}
}

type stats struct {
	errors     atomic.Uint64
	firstError atomic.Value // string
}

func (s *stats) fail(err error) {
	s.errors.Add(1)
	s.firstError.CompareAndSwap(nil, err.Error())
}

func run(ctx context.Context, c config) result {
	res := result{Target: c.Target, Mode: c.Mode, Action: c.Action, Chargers: c.Chargers}
	var st stats
	if c.ServerPID > 0 {
		res.RssBeforeKB = readRSS(c.ServerPID)
	}

	// Setup: connect + boot (+ start a transaction) with bounded concurrency.
	dialer := websocket.Dialer{
		Subprotocols:     []string{"ocpp1.6"},
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		WriteBufferPool:  &sync.Pool{},
	}
	chargers := make([]*charger, c.Chargers)
	sem := make(chan struct{}, c.DialConc)
	var wg, idleWG sync.WaitGroup
	idleCtx, stopIdle := context.WithCancel(ctx)
	defer stopIdle()
	setupStart := time.Now()
	for i := range chargers {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			ch := &charger{id: c.IDPrefix + strconv.Itoa(i+1)}
			if err := ch.setup(ctx, &dialer, c); err != nil {
				st.fail(fmt.Errorf("%s: setup: %w", ch.id, err))
				if ch.ws != nil {
					ch.ws.Close()
				}
				return
			}
			chargers[i] = ch
			if c.Mode != "closed" {
				// Read from now on: a long setup must not leave the first
				// chargers deaf to the server's pings and CALLs (a real
				// charger answers GetConfiguration after boot at once, not
				// when its next MeterValues is due).
				ch.got = make(chan byte, 1)
				ch.dead = make(chan struct{})
				idleWG.Add(1)
				go func() { defer idleWG.Done(); ch.listen(idleCtx, &st) }()
			}
		}(i)
	}
	wg.Wait()
	setup := time.Since(setupStart)
	live := chargers[:0:0]
	for _, ch := range chargers {
		if ch != nil {
			live = append(live, ch)
		}
	}
	res.Connected = len(live)
	res.ConnectPerS = round(float64(len(live)) / setup.Seconds())
	defer func() {
		stopIdle() // the readers' errors from here on are the close
		for _, ch := range live {
			ch.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			ch.ws.Close()
		}
	}()
	if len(live) == 0 {
		res.FirstError, _ = st.firstError.Load().(string)
		res.Errors = st.errors.Load()
		return res
	}

	runCtx, cancel := context.WithTimeout(ctx, c.Warmup+c.Duration)
	defer cancel()
	start := time.Now()
	measureFrom := start.Add(c.Warmup) // answers to CALLs sent before it are not counted
	var probeDone chan probeOut
	if c.Probe && c.Mode != "idle" {
		probeDone = make(chan probeOut, 1)
		go func() { probeDone <- runProbe(ctx, runCtx, c, &dialer, measureFrom) }()
	}
	switch c.Mode {
	case "idle":
		// The chargers have been reading since their setup (which keeps
		// answering the server's pings); one that loses its connection
		// counts as an error.
		select {
		case <-time.After(min(c.Settle, c.Duration)):
		case <-runCtx.Done():
		}
		if c.ServerPID > 0 {
			res.ServerRssKB = readRSS(c.ServerPID)
			res.KBPerCharger = round(float64(res.ServerRssKB-res.RssBeforeKB) / float64(len(live)))
		}
		<-runCtx.Done()
		stopIdle()
		for _, ch := range live {
			ch.ws.SetReadDeadline(time.Now()) // ends the reads
		}
		idleWG.Wait()
	case "rate":
		interval := time.Duration(float64(len(live)) / c.Rate * float64(time.Second))
		for i, ch := range live {
			wg.Add(1)
			// Spread the schedules evenly over one interval.
			phase := time.Duration(int64(interval) * int64(i) / int64(len(live)))
			go func() { defer wg.Done(); ch.loadRate(runCtx, c, &st, start.Add(phase), interval, measureFrom) }()
		}
		if c.ServerPID > 0 {
			go func() {
				select {
				case <-time.After(c.Warmup + c.Duration/2):
					res.ServerRssKB = readRSS(c.ServerPID)
				case <-runCtx.Done():
				}
			}()
		}
		wg.Wait()
	default:
		for _, ch := range live {
			wg.Add(1)
			go func() { defer wg.Done(); ch.load(runCtx, c, &st, measureFrom) }()
		}
		if c.ServerPID > 0 {
			go func() {
				select {
				case <-time.After(c.Warmup + c.Duration/2):
					res.ServerRssKB = readRSS(c.ServerPID)
				case <-runCtx.Done():
				}
			}()
		}
		wg.Wait()
	}
	elapsed := time.Since(measureFrom)
	if probeDone != nil {
		po := <-probeDone
		res.Probe = &po
	}
	if c.Mode == "idle" {
		elapsed = c.Duration
	}
	var h hist
	for _, ch := range live {
		if ch.hist != nil {
			h.merge(ch.hist)
		}
		res.Msgs += ch.msgs
		res.CallErrors += ch.cerrs
	}
	res.DurationS = round(elapsed.Seconds())
	res.MsgsPerS = round(float64(res.Msgs) / elapsed.Seconds())
	res.Latency = latencyOut{P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99), Max: h.maxMs()}
	res.Errors = st.errors.Load()
	res.FirstError, _ = st.firstError.Load().(string)
	if c.ServerPID > 0 && res.ServerRssKB == 0 {
		res.ServerRssKB = readRSS(c.ServerPID)
	}
	return res
}

func round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// setup dials, boots and, for MeterValues, starts a transaction.
func (ch *charger) setup(ctx context.Context, d *websocket.Dialer, c config) error {
	u := strings.TrimRight(c.URL, "/") + "/" + ch.id
	ws, resp, err := d.DialContext(ctx, u, http.Header{})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return fmt.Errorf("dial: %w", err)
	}
	ch.ws = ws
	ws.SetReadLimit(64 << 10)
	if ws.Subprotocol() != "ocpp1.6" {
		return fmt.Errorf("server chose subprotocol %q", ws.Subprotocol())
	}
	deadline := time.Now().Add(c.CallTimeout)
	boot, err := ch.call(deadline, "BootNotification",
		`{"chargePointVendor":"Joule","chargePointModel":"Bench","chargePointSerialNumber":"`+ch.id+`","firmwareVersion":"1.0.0"}`)
	if err != nil {
		return fmt.Errorf("BootNotification: %w", err)
	}
	var b struct{ Status string }
	if err := json.Unmarshal(boot, &b); err != nil || b.Status != "Accepted" {
		return fmt.Errorf("BootNotification: not Accepted: %s", boot)
	}
	if c.Action != "MeterValues" || c.Mode == "idle" {
		return nil
	}
	start, err := ch.call(deadline, "StartTransaction",
		`{"connectorId":1,"idTag":"BENCH","meterStart":0,"timestamp":"`+time.Now().UTC().Format(time.RFC3339)+`"}`)
	if err != nil {
		return fmt.Errorf("StartTransaction: %w", err)
	}
	var s struct {
		TransactionID *int64 `json:"transactionId"`
	}
	if err := json.Unmarshal(start, &s); err != nil {
		return fmt.Errorf("StartTransaction: %w", err)
	}
	ch.tx = 1 // the echo server answers {}: any id will do there
	if s.TransactionID != nil {
		ch.tx = *s.TransactionID
	}
	return nil
}

// call sends one CALL and returns the payload of its CALLRESULT. Setup only:
// the load loop uses pre-encoded frames.
func (ch *charger) call(deadline time.Time, action, payload string) (json.RawMessage, error) {
	ch.seq++
	id := "s" + strconv.FormatUint(ch.seq, 10)
	ch.ws.SetWriteDeadline(deadline)
	if err := ch.ws.WriteMessage(websocket.TextMessage, []byte(`[2,"`+id+`","`+action+`",`+payload+`]`)); err != nil {
		return nil, err
	}
	ch.ws.SetReadDeadline(deadline)
	for {
		_, msg, err := ch.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		var f []json.RawMessage
		if err := json.Unmarshal(msg, &f); err != nil || len(f) < 3 {
			return nil, fmt.Errorf("bad frame %q", msg)
		}
		var got string
		_ = json.Unmarshal(f[1], &got)
		switch string(f[0]) {
		case "2": // a CALL from the server: accept it and keep waiting
			if err := ch.answerServerCall(msg); err != nil {
				return nil, err
			}
			continue
		case "3":
			if got == id {
				return f[2], nil
			}
		case "4":
			if got == id {
				return nil, fmt.Errorf("CALLERROR %s", msg)
			}
		}
	}
}

// answerServerCall answers a CALL from the server with a minimal valid
// CALLRESULT (enough for the commands a CSMS may send after boot).
func (ch *charger) answerServerCall(msg []byte) error {
	var f []json.RawMessage
	if err := json.Unmarshal(msg, &f); err != nil || len(f) < 3 {
		return fmt.Errorf("bad CALL %q", msg)
	}
	return ch.ws.WriteMessage(websocket.TextMessage, callResult(f[1], f[2]))
}

// callResult is the CALLRESULT frame answering CALL id of action (a JSON
// string): an empty configuration for GetConfiguration, Accepted otherwise.
func callResult(id, action json.RawMessage) []byte {
	payload := `{"status":"Accepted"}`
	if string(action) == `"GetConfiguration"` {
		payload = `{"configurationKey":[]}`
	}
	return append(append(append(append([]byte(`[3,`), id...), ','), payload...), ']')
}

// tsLayout is the meterValue timestamp's layout: fixed width, so each
// message's is written over the last one's in place.
const tsLayout = "2006-01-02T15:04:05.000Z"

// frameParts returns the pre-encoded frame around the message id. A
// MeterValues' timestamp is set per message (frame): a charger that sent
// the same meterValue again would be retrying it, which the CSMS skips
// instead of storing.
func (ch *charger) frameParts(action string) (prefix, suffix []byte) {
	prefix = []byte(`[2,"`)
	ch.tsAt = -1
	switch action {
	case "Heartbeat":
		suffix = []byte(`","Heartbeat",{}]`)
	default:
		head := `","MeterValues",{"connectorId":1,"transactionId":` + strconv.FormatInt(ch.tx, 10) +
			`,"meterValue":[{"timestamp":"`
		ch.tsAt = len(head)
		ts := time.Now().UTC().Format(tsLayout)
		suffix = []byte(head + ts + `","sampledValue":[` +
			`{"value":"230.1","context":"Sample.Periodic","format":"Raw","measurand":"Voltage","phase":"L1","location":"Outlet","unit":"V"},` +
			`{"value":"31.95","context":"Sample.Periodic","format":"Raw","measurand":"Current.Import","phase":"L1","location":"Outlet","unit":"A"},` +
			`{"value":"7351.2","context":"Sample.Periodic","format":"Raw","measurand":"Power.Active.Import","location":"Outlet","unit":"W"},` +
			`{"value":"32","context":"Sample.Periodic","format":"Raw","measurand":"Current.Offered","location":"Outlet","unit":"A"},` +
			`{"value":"12345.6","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"}` +
			`]}]}]`)
	}
	return prefix, suffix
}

// load sends CALLs back to back until ctx ends (closed mode): the next as
// soon as the previous one is answered.
func (ch *charger) load(ctx context.Context, c config, st *stats, measureFrom time.Time) {
	prefix, suffix := ch.frameParts(c.Action)
	ch.out = make([]byte, 0, len(prefix)+20+len(suffix))
	ch.in = make([]byte, 0, 512)
	ch.hist = new(hist)
	stopDeadline, _ := ctx.Deadline()
	for ctx.Err() == nil {
		sent := time.Now()
		id := ch.frame(prefix, suffix)
		ch.ws.SetWriteDeadline(time.Now().Add(c.CallTimeout))
		if err := ch.ws.WriteMessage(websocket.TextMessage, ch.out); err != nil {
			if ctx.Err() == nil {
				st.fail(fmt.Errorf("%s: write: %w", ch.id, err))
			}
			return
		}
		// The run's end does not cut an answer short: wait for the last one.
		ch.ws.SetReadDeadline(maxTime(time.Now().Add(c.CallTimeout), stopDeadline.Add(time.Second)))
		for {
			if err := ch.read(); err != nil {
				st.fail(fmt.Errorf("%s: read: %w", ch.id, err))
				return
			}
			kind, got, ok := answerTo(ch.in)
			if ok && got == id {
				ch.count(kind, sent, measureFrom)
				break
			}
			if len(ch.in) > 1 && ch.in[1] == '2' {
				if err := ch.answerServerCall(ch.in); err != nil {
					st.fail(fmt.Errorf("%s: %w", ch.id, err))
					return
				}
				continue
			}
			st.fail(fmt.Errorf("%s: unexpected frame %.80q", ch.id, ch.in))
			return
		}
	}
}

// count records the answer (kind '3' result, '4' error) to a CALL sent at
// sent; CALLs sent before measureFrom (the warm-up) are not counted.
func (ch *charger) count(kind byte, sent, measureFrom time.Time) {
	switch {
	case sent.Before(measureFrom):
	case kind == '3':
		ch.msgs++
		ch.hist.record(time.Since(sent))
	default:
		ch.cerrs++
	}
}

// frame builds the next CALL in ch.out and returns its message id.
func (ch *charger) frame(prefix, suffix []byte) uint64 {
	ch.seq++
	ch.out = append(ch.out[:0], prefix...)
	ch.out = strconv.AppendUint(ch.out, ch.seq, 10)
	ch.out = append(ch.out, suffix...)
	if ch.tsAt >= 0 {
		// A new reading: a later timestamp than the last, by at least a
		// millisecond (the layout's precision).
		ts := time.Now().UTC().Truncate(time.Millisecond)
		if !ts.After(ch.lastTS) {
			ts = ch.lastTS.Add(time.Millisecond)
		}
		ch.lastTS = ts
		at := len(ch.out) - len(suffix) + ch.tsAt
		var b [len(tsLayout)]byte
		copy(ch.out[at:at+len(tsLayout)], ts.AppendFormat(b[:0], tsLayout))
	}
	return ch.seq
}

// answerTo parses the head of a CALLRESULT or CALLERROR with a numeric
// message id: [3,"<id>",... or [4,"<id>",...
func answerTo(f []byte) (kind byte, id uint64, ok bool) {
	if len(f) < 6 || f[0] != '[' || (f[1] != '3' && f[1] != '4') || f[2] != ',' || f[3] != '"' {
		return 0, 0, false
	}
	end := bytes.IndexByte(f[4:], '"')
	if end <= 0 {
		return 0, 0, false
	}
	id, err := strconv.ParseUint(string(f[4:4+end]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return f[1], id, true
}

// loadRate sends one CALL per interval from next on until ctx ends (rate
// mode). Latency is measured from the scheduled time, so a slow server
// cannot hide its queueing. The charger's reader (listen) answers the
// server's CALLs meanwhile and hands over the answers.
func (ch *charger) loadRate(ctx context.Context, c config, st *stats, next time.Time, interval time.Duration, measureFrom time.Time) {
	prefix, suffix := ch.frameParts(c.Action)
	ch.out = make([]byte, 0, len(prefix)+20+len(suffix))
	ch.hist = new(hist)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stopDeadline, _ := ctx.Deadline()
	for ctx.Err() == nil {
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		sent := next
		next = next.Add(interval)
		id := ch.frame(prefix, suffix)
		ch.want.Store(id)
		ch.wmu.Lock()
		ch.ws.SetWriteDeadline(time.Now().Add(c.CallTimeout))
		err := ch.ws.WriteMessage(websocket.TextMessage, ch.out)
		ch.wmu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				st.fail(fmt.Errorf("%s: write: %w", ch.id, err))
			}
			return
		}
		// The run's end does not cut an answer short: wait for the last one.
		timer.Reset(time.Until(maxTime(time.Now().Add(c.CallTimeout), stopDeadline.Add(time.Second))))
		select {
		case kind := <-ch.got:
			ch.count(kind, sent, measureFrom)
		case <-timer.C:
			st.fail(fmt.Errorf("%s: no answer to CALL %d in %s", ch.id, id, c.CallTimeout))
			return
		case <-ch.dead:
			return
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// read reads one whole message into ch.in, reusing its buffer.
func (ch *charger) read() error {
	for {
		typ, r, err := ch.ws.NextReader()
		if err != nil {
			return err
		}
		if typ != websocket.TextMessage {
			continue
		}
		ch.in = ch.in[:0]
		for {
			if len(ch.in) == cap(ch.in) {
				ch.in = append(ch.in, 0)[:len(ch.in)]
			}
			n, err := r.Read(ch.in[len(ch.in):cap(ch.in)])
			ch.in = ch.in[:len(ch.in)+n]
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
}

// listen reads the connection until ctx ends: gorilla answers pings while
// reading; listen answers every CALL from the server and hands the answer to
// the outstanding CALL (rate mode) to loadRate.
func (ch *charger) listen(ctx context.Context, st *stats) {
	defer close(ch.dead)
	ch.in = make([]byte, 0, 512)
	ch.ws.SetReadDeadline(time.Time{})
	for {
		if err := ch.read(); err != nil {
			if ctx.Err() == nil {
				st.fail(fmt.Errorf("%s: read: %w", ch.id, err))
			}
			return
		}
		if kind, id, ok := answerTo(ch.in); ok {
			if id == ch.want.Load() {
				ch.want.Store(0)
				ch.got <- kind
				continue
			}
			st.fail(fmt.Errorf("%s: answer to no outstanding CALL %.80q", ch.id, ch.in))
			continue
		}
		if len(ch.in) > 1 && ch.in[1] == '2' {
			ch.wmu.Lock()
			ch.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			err := ch.answerServerCall(ch.in)
			ch.wmu.Unlock()
			if err != nil {
				st.fail(fmt.Errorf("%s: %w", ch.id, err))
				return
			}
			continue
		}
		st.fail(fmt.Errorf("%s: unexpected frame %.80q", ch.id, ch.in))
	}
}

// readRSS returns VmRSS of pid in KiB, or 0.
func readRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// hist is a log-linear latency histogram in microseconds: exact below 64 µs,
// then 32 buckets per power of two (≤ 3% error). Each charger has its own.
type hist struct {
	counts [64 + 32*40]uint32
	max    time.Duration
	n      uint64
}

func bucketOf(us uint64) int {
	if us < 64 {
		return int(us)
	}
	e := bits.Len64(us) - 6 // us >> e is in [32, 64)
	return 64 + (e-1)*32 + int(us>>e) - 32
}

func bucketLow(b int) uint64 {
	if b < 64 {
		return uint64(b)
	}
	e := (b-64)/32 + 1
	return uint64((b-64)%32+32) << e
}

func (h *hist) record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	b := min(bucketOf(us), len(h.counts)-1)
	h.counts[b]++
	h.n++
	h.max = max(h.max, d)
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

func (h *hist) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n-1)) + 1
	var seen uint64
	for b, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			// the bucket's midpoint, in ms
			lo, hi := bucketLow(b), bucketLow(b+1)
			return round(float64(lo+hi) / 2 / 1000)
		}
	}
	return h.maxMs()
}

func (h *hist) maxMs() float64 { return round(float64(h.max) / float64(time.Millisecond)) }
