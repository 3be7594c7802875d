package sim_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/sim"
)

// fakeSOAPCS is a tiny SOAP central system over real HTTP, built from
// package soap and the generated 1.5 and 1.6 types: it decodes every
// request a charger posts, fails the test on one its WSDL forbids, records
// it, and answers like a well-behaved central system of the request's
// version unless told otherwise.
type fakeSOAPCS struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	recs   []soapRecord // every request, in order; guarded by mu
	nextTx int          // guarded by mu
	// down makes every request fail with 503 and Retry-After: 1, as a
	// central system that is restarting; guarded by mu.
	down bool
	// override, if set, may answer a request instead (a body or a
	// *soap.Fault; ok true); guarded by mu.
	override func(r soapRecord) (answer any, ok bool)
}

// soapRecord is one request from a charger.
type soapRecord struct {
	charger string
	op      string
	version soap.Version
	from    string // wsa:From
	auth    string // the Authorization header
	path    string
	tls     bool // it came over TLS
	req     any  // *ocpp16s.<Op>Request or *ocpp15.<Op>Request
}

func newFakeSOAPCS(t *testing.T) *fakeSOAPCS {
	t.Helper()
	return newFakeSOAPCSTLS(t, nil)
}

// newFakeSOAPCSTLS is a fake central system serving https with tc (plain
// http when tc is nil).
func newFakeSOAPCSTLS(t *testing.T, tc *tls.Config) *fakeSOAPCS {
	t.Helper()
	f := &fakeSOAPCS{t: t, nextTx: 500}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	if tc != nil {
		f.srv.TLS = tc
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	t.Cleanup(f.srv.Close)
	return f
}

// url is the WebSocket-style base a charger is configured with; the
// charger derives the SOAP endpoint, base + /soap, from it.
func (f *fakeSOAPCS) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ocpp" }

func (f *fakeSOAPCS) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	down, override := f.down, f.override
	f.mu.Unlock()
	if down {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "restarting", http.StatusServiceUnavailable)
		return
	}
	msg, err := soap.ReadRequest(r, 0)
	if err != nil {
		f.t.Errorf("central system got an envelope it cannot decode: %v", err)
		_ = soap.WriteFault(w, soap.FaultFor(err, ""), "")
		return
	}
	if msg.Service != soap.CentralSystem || msg.Response {
		f.t.Errorf("central system got %s in %s", msg.Action, msg.Body.Space)
		_ = soap.WriteFault(w, soap.ActionNotSupported(msg.Action), msg.MessageID)
		return
	}
	req, ok := newCSRequest(msg.Version, msg.Operation)
	if !ok {
		f.t.Errorf("charger %s sent %s, which OCPP %s over SOAP lacks", msg.ChargeBoxIdentity, msg.Operation, msg.Version)
		_ = soap.WriteFault(w, soap.ActionNotSupported(msg.Action), msg.MessageID)
		return
	}
	if err := msg.UnmarshalBody(req); err != nil {
		f.t.Errorf("charger %s sent an undecodable %s: %v\n%s", msg.ChargeBoxIdentity, msg.Operation, err, msg.BodyXML)
		return
	}
	if err := req.Validate(); err != nil {
		f.t.Errorf("charger %s sent an invalid %s: %v\n%s", msg.ChargeBoxIdentity, msg.Operation, err, msg.BodyXML)
	}
	rec := soapRecord{charger: msg.ChargeBoxIdentity, op: msg.Operation, version: msg.Version, from: msg.From,
		auth: r.Header.Get("Authorization"), path: r.URL.Path, tls: r.TLS != nil, req: req}
	f.mu.Lock()
	f.recs = append(f.recs, rec)
	f.mu.Unlock()
	var answer any
	overridden := false
	if override != nil {
		answer, overridden = override(rec)
	}
	if !overridden {
		answer = f.answer(req)
	}
	if fault, isFault := answer.(*soap.Fault); isFault {
		_ = soap.WriteFault(w, fault, msg.MessageID)
		return
	}
	if err := soap.WriteResponse(w, msg.Reply(answer)); err != nil {
		f.t.Errorf("write %s answer: %v", msg.Operation, err)
	}
}

// newCSRequest returns an empty request of a central-system operation.
func newCSRequest(v soap.Version, op string) (interface{ Validate() error }, bool) {
	if v == soap.V15 {
		for _, o := range ocpp15.CentralSystemOperations {
			if o.Name == op {
				return o.NewRequest(), true
			}
		}
		return nil, false
	}
	for _, o := range ocpp16s.CentralSystemOperations {
		if o.Name == op {
			return o.NewRequest(), true
		}
	}
	return nil, false
}

func (f *fakeSOAPCS) txID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextTx++
	return f.nextTx
}

// answer is a well-behaved central system's answer: boots accepted with a
// 1s heartbeat interval, every id tag accepted.
func (f *fakeSOAPCS) answer(req any) any {
	now := time.Now().UTC().Truncate(time.Second)
	ok16 := ocpp16s.IDTagInfo{Status: ocpp16s.AuthorizationStatusAccepted}
	ok15 := ocpp15.IDTagInfo{Status: ocpp15.AuthorizationStatusAccepted}
	switch req.(type) {
	case *ocpp16s.BootNotificationRequest:
		return &ocpp16s.BootNotificationResponse{Status: ocpp16s.RegistrationStatusAccepted, CurrentTime: now, Interval: 1}
	case *ocpp16s.HeartbeatRequest:
		return &ocpp16s.HeartbeatResponse{CurrentTime: now}
	case *ocpp16s.StatusNotificationRequest:
		return &ocpp16s.StatusNotificationResponse{}
	case *ocpp16s.AuthorizeRequest:
		return &ocpp16s.AuthorizeResponse{IDTagInfo: ok16}
	case *ocpp16s.StartTransactionRequest:
		return &ocpp16s.StartTransactionResponse{TransactionID: f.txID(), IDTagInfo: ok16}
	case *ocpp16s.MeterValuesRequest:
		return &ocpp16s.MeterValuesResponse{}
	case *ocpp16s.StopTransactionRequest:
		return &ocpp16s.StopTransactionResponse{IDTagInfo: &ok16}
	case *ocpp16s.FirmwareStatusNotificationRequest:
		return &ocpp16s.FirmwareStatusNotificationResponse{}
	case *ocpp16s.DiagnosticsStatusNotificationRequest:
		return &ocpp16s.DiagnosticsStatusNotificationResponse{}
	case *ocpp15.BootNotificationRequest:
		return &ocpp15.BootNotificationResponse{Status: ocpp15.RegistrationStatusAccepted, CurrentTime: now, HeartbeatInterval: 1}
	case *ocpp15.HeartbeatRequest:
		return &ocpp15.HeartbeatResponse{CurrentTime: now}
	case *ocpp15.StatusNotificationRequest:
		return &ocpp15.StatusNotificationResponse{}
	case *ocpp15.AuthorizeRequest:
		return &ocpp15.AuthorizeResponse{IDTagInfo: ok15}
	case *ocpp15.StartTransactionRequest:
		return &ocpp15.StartTransactionResponse{TransactionID: f.txID(), IDTagInfo: ok15}
	case *ocpp15.MeterValuesRequest:
		return &ocpp15.MeterValuesResponse{}
	case *ocpp15.StopTransactionRequest:
		return &ocpp15.StopTransactionResponse{IDTagInfo: &ok15}
	case *ocpp15.FirmwareStatusNotificationRequest:
		return &ocpp15.FirmwareStatusNotificationResponse{}
	case *ocpp15.DiagnosticsStatusNotificationRequest:
		return &ocpp15.DiagnosticsStatusNotificationResponse{}
	}
	return soap.ActionNotSupported(fmt.Sprintf("%T", req))
}

func (f *fakeSOAPCS) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeSOAPCS) setOverride(o func(soapRecord) (any, bool)) {
	f.mu.Lock()
	f.override = o
	f.mu.Unlock()
}

func (f *fakeSOAPCS) records(id string) []soapRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []soapRecord
	for _, r := range f.recs {
		if r.charger == id {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeSOAPCS) sent(id string) []any {
	var out []any
	for _, r := range f.records(id) {
		out = append(out, r.req)
	}
	return out
}

func (f *fakeSOAPCS) dump(id string) string {
	var b strings.Builder
	for i, r := range f.records(id) {
		x, _ := xml.Marshal(r.req)
		fmt.Fprintf(&b, "  #%d %s %s\n", i, r.op, x)
	}
	return b.String()
}

// runSOAPSim runs a SOAP charger against f until the test ends.
func runSOAPSim(t *testing.T, f *fakeSOAPCS, cfg sim.Config) *sim.Charger {
	t.Helper()
	if cfg.URL == "" && cfg.SOAPURL == "" {
		cfg.URL = f.url()
	}
	if cfg.ID == "" {
		cfg.ID = "CP-S"
	}
	if cfg.OCPPVersion == "" {
		cfg.OCPPVersion = sim.OCPP16S
	}
	if cfg.ReconnectBackoff == 0 {
		cfg.ReconnectBackoff = 50 * time.Millisecond
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t, slog.LevelWarn)
	}
	ch := sim.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return 10s after its context was cancelled")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for ch.SOAPAddress() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the charger's service did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ch
}

// startSOAPSim runs a SOAP charger and waits for its boot to be accepted.
func startSOAPSim(t *testing.T, f *fakeSOAPCS, cfg sim.Config) *sim.Charger {
	t.Helper()
	ch := runSOAPSim(t, f, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ch.WaitBooted(ctx); err != nil {
		t.Fatal(err)
	}
	return ch
}

// cpClient calls a charger's own service, as the central system does.
type cpClient struct {
	t  *testing.T
	ch *sim.Charger
	ns string
	id string // chargeBoxIdentity sent
	c  soap.Client
}

func newCPClient(t *testing.T, ch *sim.Charger, v soap.Version) *cpClient {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &cpClient{t: t, ch: ch, ns: soap.Namespace(v, soap.ChargePoint), id: ch.ID(),
		c: soap.Client{HTTP: &http.Client{Transport: tr}, Timeout: 5 * time.Second}}
}

// call sends op with body and returns the answer or the fault.
func (c *cpClient) call(op string, body any) (*soap.Message, error) {
	c.t.Helper()
	return c.c.Call(context.Background(), soap.Request{Namespace: c.ns, Operation: op, ChargeBoxIdentity: c.id,
		To: c.ch.SOAPAddress(), Body: body})
}

// mustCall sends op and decodes the answer into out, which must be valid.
func (c *cpClient) mustCall(op string, body any, out interface{ Validate() error }) {
	c.t.Helper()
	m, err := c.call(op, body)
	if err != nil {
		c.t.Fatalf("%s to %s: %v", op, c.id, err)
	}
	if err := m.UnmarshalBody(out); err != nil {
		c.t.Fatalf("%s answer: %v", op, err)
	}
	if err := out.Validate(); err != nil {
		c.t.Fatalf("%s answer breaks the WSDL: %v\n%s", op, err, m.BodyXML)
	}
}

// wantFault sends op and checks that the answer is a fault with code and
// innermost subcode.
func (c *cpClient) wantFault(op string, body any, code, subcode string) {
	c.t.Helper()
	_, err := c.call(op, body)
	f, ok := err.(*soap.Fault)
	if !ok || f.Code != code || f.Subcode() != subcode {
		c.t.Errorf("%s: %v, want a %s/%s fault", op, err, code, subcode)
	}
}

func basicHeader(user string, password []byte) string {
	return "Basic " + base64.StdEncoding.EncodeToString(append([]byte(user+":"), password...))
}

func hasMeasurand16(mv ocpp16s.MeterValue, m ocpp16s.Measurand, ctx ocpp16s.ReadingContext) bool {
	for _, sv := range mv.SampledValue {
		if sv.Measurand != nil && *sv.Measurand == m && sv.Context != nil && *sv.Context == ctx {
			return true
		}
	}
	return false
}
