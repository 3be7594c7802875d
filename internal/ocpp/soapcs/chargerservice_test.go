package soapcs

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

const wait = 5 * time.Second // upper bound for what should happen promptly

// received is one request a chargerService got.
type received struct {
	op, identity, to string
	body             soapjson.Body // the version's typed request
}

// chargerService is a charger's own SOAP service (its ChargePoint
// service) on a real HTTP server: it decodes each envelope with
// soap.ReadRequest into the version's typed request, records it, and
// answers what answer returns (a typed response, or a fault).
type chargerService struct {
	t       *testing.T
	version soap.Version
	srv     *httptest.Server
	answer  func(r *http.Request, op string, req soapjson.Body) (soapjson.Body, *soap.Fault)

	mu   sync.Mutex
	got  []received
	seen chan struct{} // buffered: a request was recorded

	inflight, maxInflight atomic.Int32
}

func newChargerService(t *testing.T, v soap.Version, answer func(r *http.Request, op string, req soapjson.Body) (soapjson.Body, *soap.Fault)) *chargerService {
	t.Helper()
	cs := &chargerService{t: t, version: v, answer: answer, seen: make(chan struct{}, 64)}
	cs.srv = httptest.NewServer(http.HandlerFunc(cs.serve))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *chargerService) serve(w http.ResponseWriter, r *http.Request) {
	n := cs.inflight.Add(1)
	defer cs.inflight.Add(-1)
	for {
		m := cs.maxInflight.Load()
		if n <= m || cs.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	msg, err := soap.ReadRequest(r, 0)
	if err != nil {
		cs.t.Errorf("charger service: %v", err)
		_ = soap.WriteFault(w, soap.FaultFor(err, ""), "")
		return
	}
	if msg.Version != cs.version || msg.Service != soap.ChargePoint || msg.Response {
		cs.t.Errorf("charger service: got a %s %s message (response %v), want an OCPP %s ChargePoint request", msg.Version, msg.Service, msg.Response, cs.version)
	}
	o, ok := soapjson.Lookup(cs.version, soap.ChargePoint, msg.Operation)
	if !ok {
		cs.t.Errorf("charger service: operation %q is not in the OCPP %s ChargePoint service", msg.Operation, cs.version)
		_ = soap.WriteFault(w, soap.ActionNotSupported(msg.Action), msg.MessageID)
		return
	}
	req := o.NewRequest()
	if err := msg.UnmarshalBody(req); err != nil {
		cs.t.Errorf("charger service: %s body: %v", msg.Operation, err)
	} else if err := req.Validate(); err != nil {
		cs.t.Errorf("charger service: %s body breaks the WSDL: %v", msg.Operation, err)
	}
	cs.mu.Lock()
	cs.got = append(cs.got, received{op: msg.Operation, identity: msg.ChargeBoxIdentity, to: msg.To, body: req})
	cs.mu.Unlock()
	cs.seen <- struct{}{}
	resp, fault := cs.answer(r, msg.Operation, req)
	if fault != nil {
		_ = soap.WriteFault(w, fault, msg.MessageID)
		return
	}
	if resp == nil {
		return // the answer is no answer: the test cancelled or timed out
	}
	if err := soap.WriteResponse(w, msg.Reply(resp)); err != nil {
		cs.t.Logf("charger service: write: %v", err)
	}
}

// requests returns what the service got so far.
func (cs *chargerService) requests() []received {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]received(nil), cs.got...)
}

// waitRequests waits until the service got n requests.
func (cs *chargerService) waitRequests(n int) []received {
	cs.t.Helper()
	deadline := time.After(wait)
	for {
		if got := cs.requests(); len(got) >= n {
			return got
		}
		select {
		case <-cs.seen:
		case <-deadline:
			cs.t.Fatalf("charger service got %d requests, want %d", len(cs.requests()), n)
		}
	}
}

// xmlOf is a body's XML, to compare bodies (times, pointers and the
// namespace included) by what goes on the wire.
func xmlOf(t *testing.T, v any) string {
	t.Helper()
	b, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }
