package main

// The probe (--probe): one extra charger, owned by the probe, measures two
// app-facing latencies while the other chargers load the server:
//
//	startMs  from the app's POST /api/v1/chargers/{id}/connectors/1/start
//	         to the RemoteStartTransaction CALL arriving on the probe
//	         charger's WebSocket;
//	sseMs    from the probe charger's MeterValues send to the session.meter
//	         event arriving at an /api/v1/events?chargerId={id} subscriber.
//
// Each round: POST start → answer RemoteStartTransaction Accepted →
// StartTransaction → MeterValues (timed against the SSE stream) → POST stop
// → answer RemoteStopTransaction Accepted → StopTransaction, so the
// connector is free for the next round. Rounds are --probe-interval apart.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

type probeOut struct {
	Rounds   int        `json:"rounds"`
	Errors   int        `json:"errors"`
	StartMs  latencyOut `json:"startMs"`
	SSEMs    latencyOut `json:"sseMs"`
	FirstErr string     `json:"firstError,omitempty"`
}

// frame is one WebSocket message read by the probe's reader, with the
// time it arrived.
type frame struct {
	msg []byte
	at  time.Time
	err error
}

type prober struct {
	token  string // the API's bearer token ("" sends none)
	c      config
	api    string // http://host:port
	id     string
	ws     *websocket.Conn
	frames chan frame
	sse    chan time.Time
	seq    int
	client *http.Client
}

// apiBase turns ws://host:port/ocpp into http://host:port.
func apiBase(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	return scheme + "://" + u.Host, nil
}

// runProbe sets up the probe charger and its SSE subscriber under setupCtx
// (a loaded server may take longer than the run to boot it), then runs
// rounds until ctx ends.
func runProbe(setupCtx, ctx context.Context, c config, d *websocket.Dialer, measureFrom time.Time) probeOut {
	var out probeOut
	fail := func(err error) {
		out.Errors++
		if out.FirstErr == "" {
			out.FirstErr = err.Error()
		}
	}
	api := c.API
	if api == "" {
		var err error
		if api, err = apiBase(c.URL); err != nil {
			fail(err)
			return out
		}
	}
	var token string
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			fail(fmt.Errorf("probe token: %w", err))
			return out
		}
		token = strings.TrimSpace(string(b))
	}
	p := &prober{c: c, api: strings.TrimRight(api, "/"), id: c.IDPrefix + "probe", token: token,
		frames: make(chan frame, 16), sse: make(chan time.Time, 16),
		client: &http.Client{Timeout: c.CallTimeout}}
	ws, _, err := d.DialContext(setupCtx, strings.TrimRight(c.URL, "/")+"/"+p.id, http.Header{})
	if err != nil {
		fail(fmt.Errorf("probe dial: %w", err))
		return out
	}
	p.ws = ws
	defer ws.Close()
	go p.read()
	if _, err := p.call(setupCtx, "BootNotification", `{"chargePointVendor":"Joule","chargePointModel":"Probe"}`); err != nil {
		fail(fmt.Errorf("probe boot: %w", err))
		return out
	}
	if _, err := p.call(setupCtx, "StatusNotification", `{"connectorId":1,"errorCode":"NoError","status":"Available"}`); err != nil {
		fail(fmt.Errorf("probe status: %w", err))
		return out
	}
	sseCtx, stopSSE := context.WithCancel(setupCtx)
	defer stopSSE()
	ready := make(chan error, 1)
	go p.subscribe(sseCtx, ready)
	if err := <-ready; err != nil {
		fail(fmt.Errorf("probe events: %w", err))
		return out
	}

	var startH, sseH hist
	tick := time.NewTicker(c.ProbeInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		began := time.Now()
		startD, sseD, err := p.round(ctx)
		switch {
		case began.Before(measureFrom):
		case err != nil && ctx.Err() == nil:
			fail(err)
		case err == nil:
			out.Rounds++
			startH.record(startD)
			sseH.record(sseD)
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	out.StartMs = latencyOut{P50: startH.quantile(0.5), P90: startH.quantile(0.9), P99: startH.quantile(0.99), Max: startH.maxMs()}
	out.SSEMs = latencyOut{P50: sseH.quantile(0.5), P90: sseH.quantile(0.9), P99: sseH.quantile(0.99), Max: sseH.maxMs()}
	return out
}

// read hands every message of the probe's connection to the probe loop.
func (p *prober) read() {
	for {
		_, msg, err := p.ws.ReadMessage()
		at := time.Now()
		p.frames <- frame{msg: msg, at: at, err: err}
		if err != nil {
			return
		}
	}
}

// subscribe follows /api/v1/events for the probe charger and reports the
// arrival time of every session.meter event.
func (p *prober) subscribe(ctx context.Context, ready chan<- error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.api+"/api/v1/events?chargerId="+url.QueryEscape(p.id), nil)
	p.auth(req)
	if err != nil {
		ready <- err
		return
	}
	resp, err := (&http.Client{}).Do(req) // no timeout: a stream
	if err != nil {
		ready <- err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ready <- fmt.Errorf("HTTP %d", resp.StatusCode)
		return
	}
	ready <- nil
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if sc.Text() == "event: session.meter" {
			select {
			case p.sse <- time.Now():
			default:
			}
		}
	}
}

// next returns the next frame, answering the server's CALLs other than
// the one wanted (action, "" for none) with Accepted.
func (p *prober) next(ctx context.Context, deadline time.Time, want string) (f []json.RawMessage, at time.Time, err error) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		var fr frame
		select {
		case fr = <-p.frames:
		case <-t.C:
			return nil, time.Time{}, fmt.Errorf("timed out waiting for %s", cmpOr(want, "an answer"))
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		}
		if fr.err != nil {
			p.frames <- fr // keep the error for the next caller
			return nil, time.Time{}, fr.err
		}
		if err := json.Unmarshal(fr.msg, &f); err != nil || len(f) < 3 {
			return nil, time.Time{}, fmt.Errorf("bad frame %q", fr.msg)
		}
		if string(f[0]) == "2" {
			var action string
			_ = json.Unmarshal(f[2], &action)
			if action == want && want != "" {
				return f, fr.at, nil
			}
			if err := p.answer(f); err != nil {
				return nil, time.Time{}, err
			}
			continue
		}
		return f, fr.at, nil
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// answer answers the server's CALL f.
func (p *prober) answer(f []json.RawMessage) error {
	p.ws.SetWriteDeadline(time.Now().Add(p.c.CallTimeout))
	return p.ws.WriteMessage(websocket.TextMessage, callResult(f[1], f[2]))
}

// call sends a CALL from the probe charger and returns its CALLRESULT
// payload, answering the server's CALLs meanwhile.
func (p *prober) call(ctx context.Context, action, payload string) (json.RawMessage, error) {
	p.seq++
	id := "p" + strconv.Itoa(p.seq)
	p.ws.SetWriteDeadline(time.Now().Add(p.c.CallTimeout))
	if err := p.ws.WriteMessage(websocket.TextMessage, []byte(`[2,"`+id+`","`+action+`",`+payload+`]`)); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(p.c.CallTimeout)
	for {
		f, _, err := p.next(ctx, deadline, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", action, err)
		}
		var got string
		_ = json.Unmarshal(f[1], &got)
		if got != id {
			continue
		}
		if string(f[0]) == "4" {
			return nil, fmt.Errorf("%s: CALLERROR %s", action, f)
		}
		return f[2], nil
	}
}

// post POSTs body to path on a goroutine; the result arrives on the channel.
func (p *prober) post(ctx context.Context, path, body string) <-chan postResult {
	res := make(chan postResult, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.api+path, strings.NewReader(body))
		if err != nil {
			res <- postResult{err: err}
			return
		}
		req.Header.Set("Content-Type", "application/json")
		p.auth(req)
		resp, err := p.client.Do(req)
		if err != nil {
			res <- postResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			res <- postResult{err: fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, bytes.TrimSpace(b))}
			return
		}
		res <- postResult{body: b}
	}()
	return res
}

type postResult struct {
	body []byte
	err  error
}

// round runs one start → meter → stop cycle.
func (p *prober) round(ctx context.Context) (start, sse time.Duration, err error) {
	deadline := time.Now().Add(p.c.CallTimeout)
	sent := time.Now()
	posted := p.post(ctx, "/api/v1/chargers/"+url.PathEscape(p.id)+"/connectors/1/start", `{"idTag":"PROBE"}`)
	f, at, err := p.next(ctx, deadline, "RemoteStartTransaction")
	if err != nil {
		return 0, 0, err
	}
	start = at.Sub(sent)
	if err := p.answer(f); err != nil {
		return 0, 0, err
	}
	var pr postResult
	select {
	case pr = <-posted:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	if pr.err != nil {
		return 0, 0, pr.err
	}
	var ses struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(pr.body, &ses); err != nil || ses.ID == "" {
		return 0, 0, fmt.Errorf("start: no session id in %q", pr.body)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	b, err := p.call(ctx, "StartTransaction", `{"connectorId":1,"idTag":"PROBE","meterStart":0,"timestamp":"`+now+`"}`)
	if err != nil {
		return 0, 0, err
	}
	var st struct {
		TransactionID int64 `json:"transactionId"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, 0, fmt.Errorf("StartTransaction: %w", err)
	}
	tx := strconv.FormatInt(st.TransactionID, 10)

	// Only meter events of this round count.
	for len(p.sse) > 0 {
		<-p.sse
	}
	mvSent := time.Now()
	if _, err := p.call(ctx, "MeterValues", `{"connectorId":1,"transactionId":`+tx+`,"meterValue":[{"timestamp":"`+now+
		`","sampledValue":[{"value":"7351.2","measurand":"Power.Active.Import","unit":"W"},{"value":"100","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}`); err != nil {
		return 0, 0, err
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case got := <-p.sse:
		sse = got.Sub(mvSent)
	case <-t.C:
		return 0, 0, fmt.Errorf("no session.meter event")
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}

	stopped := p.post(ctx, "/api/v1/sessions/"+url.PathEscape(ses.ID)+"/stop", `{}`)
	f, _, err = p.next(ctx, deadline, "RemoteStopTransaction")
	if err != nil {
		return 0, 0, err
	}
	if err := p.answer(f); err != nil {
		return 0, 0, err
	}
	if _, err := p.call(ctx, "StopTransaction", `{"transactionId":`+tx+`,"meterStop":100,"timestamp":"`+
		time.Now().UTC().Format(time.RFC3339)+`","reason":"Remote"}`); err != nil {
		return 0, 0, err
	}
	select {
	case pr = <-stopped:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	if pr.err != nil {
		return 0, 0, pr.err
	}
	return start, sse, nil
}

// auth sets the API token on req.
func (p *prober) auth(req *http.Request) {
	if req != nil && p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
}
