package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// This file is OCPP 1.5 and 1.6 over SOAP (OCPP-S), the charger's side of
// what internal/ocpp/soapcs serves: each request the charger sends is a
// POST of its own to the central system's endpoint (Config.SOAPURL), naming
// the charger in the chargeBoxIdentity header and giving its own service's
// address in wsa:From; the central system calls that service
// (soapservice.go) for the charge-point operations.
//
// The charger inside stays a 1.6 one: its messages are built as OCPP-J 1.6
// values and its handlers answer 1.6 JSON, and package soapjson converts at
// the edge, to and from the typed bodies of the version's WSDL. A 1.5
// charger says what 1.5 can: the conversions map 1.6's statuses and meter
// values to 1.5's, and drop what 1.5 lacks.
//
// A SOAP charger has no connection. A session (soapLink) stands in for one:
// it starts with a BootNotification and ends when a request gets no SOAP
// answer at all (the network or the central system failed) or when the
// charger closes it (a reset, a reboot into new firmware, new credentials).
// Run then starts another after the backoff an OCPP-J charger waits before
// reconnecting, which boots again, so transaction messages are delivered
// after a boot as on a reconnection.

// errUnsayable is a message the charger's OCPP-S version cannot carry: the
// operation is not in its WSDL, or a value has no counterpart there.
var errUnsayable = errors.New("the OCPP version cannot carry this message")

// soapEndpoint is the central system's SOAP endpoint for cfg: SOAPURL, or
// URL's scheme turned from ws(s) to http(s) with /soap appended.
func soapEndpoint(cfg Config) (string, error) {
	if cfg.SOAPURL != "" {
		u, err := url.Parse(cfg.SOAPURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg.SOAPURL, fmt.Errorf("SOAPURL must be an http:// or https:// URL, got %q", cfg.SOAPURL)
		}
		return cfg.SOAPURL, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("URL %q is not a ws:// or wss:// URL to derive the SOAP endpoint from", cfg.URL)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("URL %q is not a ws:// or wss:// URL to derive the SOAP endpoint from", cfg.URL)
	}
	return u.JoinPath("soap").String(), nil
}

// checkSOAP refuses what a SOAP charger cannot do: OCPP-S has neither the
// security extension's certificate messages nor a client-certificate
// profile.
func (c *Charger) checkSOAP() error {
	if c.soapV == "" {
		return nil
	}
	switch {
	case c.cfg.SecurityProfile == profileMTLS:
		return errors.New("security profile 3 (a TLS client certificate) is OCPP-J's: a SOAP charger connects with profile 0, 1 or 2")
	case c.cfg.ClientCert != nil:
		return errors.New("a SOAP charger takes no client certificate (security profile 3 is OCPP-J's)")
	case c.cfg.RequestCertificate:
		return errors.New("OCPP-S has no SignCertificate: RequestCertificate is for OCPP-J chargers")
	}
	return nil
}

// unsayable reports a status notification whose status the charger's
// version lacks: 1.5 has neither 1.6's Downloading, Installing and Idle
// firmware statuses nor its Uploading and Idle diagnostics statuses. The
// charger leaves such notifications out, as a 1.5 charger never sends
// them.
func (c *Charger) unsayable(action, status string) bool {
	if c.soapV != soap.V15 {
		return false
	}
	switch action {
	case "FirmwareStatusNotification":
		return !slices.Contains(ocpp15.FirmwareStatusValues, ocpp15.FirmwareStatus(status))
	case "DiagnosticsStatusNotification":
		return !slices.Contains(ocpp15.DiagnosticsStatusValues, ocpp15.DiagnosticsStatus(status))
	}
	return false
}

// SOAPAddress returns the address of a SOAP charger's own service as the
// charger gives it to the central system (wsa:From), while Run runs; ""
// otherwise and for an OCPP-J charger.
func (c *Charger) SOAPAddress() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.service
}

// soapLink is one OCPP-S session: the link the worker calls the central
// system through.
type soapLink struct {
	version  soap.Version
	ns       string // the central system's namespace
	id       string // chargeBoxIdentity
	to, from string // the central system's endpoint, the charger's service
	client   soap.Client
	tr       *http.Transport

	ctx    context.Context // ends with the session: calls in flight give up
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	closed bool  // guarded by mu
	err    error // why the session ended; nil when closed on purpose; guarded by mu
}

// newSOAPLink starts a session with the current credentials: Basic auth
// (profiles 1 and 2) on every request, and the charger's TLS settings for
// an https endpoint.
func (c *Charger) newSOAPLink() *soapLink {
	c.mu.Lock()
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	if c.tlsURL() {
		tr.TLSClientConfig = c.tlsConfig()
	}
	var auth string
	if p := c.sec.profile; (p == profileBasic || p == profileTLS) && c.sec.password != "" {
		auth = basicAuth(c.cfg.ID, c.basicPassword())
	}
	from := c.service
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	return &soapLink{
		version: c.soapV,
		ns:      soap.Namespace(c.soapV, soap.CentralSystem),
		id:      c.cfg.ID,
		to:      c.url,
		from:    from,
		client: soap.Client{
			HTTP:    &http.Client{Transport: &soapTransport{base: tr, auth: auth}},
			Timeout: c.cfg.CallTimeout,
		},
		tr:     tr,
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
}

// Call sends the 1.6 request req (a typed ocpp16 value or its JSON) as the
// version's SOAP request and returns the answer as 1.6 JSON, as an OCPP-J
// connection would. A SOAP fault is returned as the *ocppj.Error of the
// same name; a request that got no SOAP answer ends the session
// (ocppj.ErrClosed).
func (l *soapLink) Call(ctx context.Context, action string, req any) (json.RawMessage, error) {
	if l.ctx.Err() != nil {
		return nil, ocppj.ErrClosed
	}
	o, ok := soapjson.Lookup(l.version, soap.CentralSystem, action)
	if !ok {
		return nil, fmt.Errorf("%w: OCPP %s over SOAP has no %s", errUnsayable, l.version, action)
	}
	payload, ok := req.(json.RawMessage)
	if !ok {
		var err error
		if payload, err = json.Marshal(req); err != nil {
			return nil, fmt.Errorf("sim: %s: encode payload: %w", action, err)
		}
	}
	body := o.NewRequest()
	if err := soapjson.FromJSON(payload, body); err != nil {
		return nil, fmt.Errorf("%w: %s in OCPP %s: %v", errUnsayable, action, l.version, err)
	}
	if err := body.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s in OCPP %s: %v", errUnsayable, action, l.version, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(l.ctx, cancel)()
	var status httpStatus
	cctx = context.WithValue(cctx, httpStatusKey{}, &status)
	m, err := l.client.Call(cctx, soap.Request{Namespace: l.ns, Operation: action, ChargeBoxIdentity: l.id,
		To: l.to, From: l.from, Body: body})
	if l.ctx.Err() != nil {
		// The session ended meanwhile: keep no connection behind.
		l.tr.CloseIdleConnections()
	}
	if err != nil {
		return nil, l.failed(ctx, action, err, &status)
	}
	resp := o.NewResponse()
	if err := m.UnmarshalBody(resp); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ocppj.ErrBadAnswer, action, err)
	}
	if err := resp.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ocppj.ErrBadAnswer, action, err)
	}
	out, err := soapjson.ToJSON(ctx, resp, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ocppj.ErrBadAnswer, action, err)
	}
	return out, nil
}

// failed sorts out a call that got no response: a fault is the central
// system's refusal, a timeout or a broken answer concerns this message
// only, and no SOAP answer at all ends the session.
func (l *soapLink) failed(ctx context.Context, action string, err error, status *httpStatus) error {
	var f *soap.Fault
	var de *soap.DecodeError
	switch {
	case errors.As(err, &f):
		return soapjson.FaultCallError(f)
	case l.ctx.Err() != nil:
		return ocppj.ErrClosed
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s: %v", ocppj.ErrTimeout, action, err)
	case errors.Is(err, soap.ErrRelatesTo),
		errors.As(err, &de) && status.code/100 == 2:
		return fmt.Errorf("%w: %v", ocppj.ErrBadAnswer, err)
	}
	var cause error = err
	if status.retryAfter > 0 {
		// 503 (a node overloaded or draining), 429: come back when told.
		cause = retryAfterError{err: err, after: status.retryAfter}
	}
	l.end(cause)
	return fmt.Errorf("%w: %v", ocppj.ErrClosed, err)
}

// Done is closed when the session has ended.
func (l *soapLink) Done() <-chan struct{} { return l.done }

// Close ends the session; calls in flight return ErrClosed.
func (l *soapLink) Close(int, string) error {
	if !l.end(nil) {
		return ocppj.ErrClosed
	}
	return nil
}

// Serve waits for the session to end, or ends it with ctx, and returns why
// it ended (nil when closed on purpose).
func (l *soapLink) Serve(ctx context.Context) error {
	select {
	case <-ctx.Done():
		l.end(nil)
	case <-l.done:
	}
	l.tr.CloseIdleConnections()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// end ends the session with cause; false if it had ended.
func (l *soapLink) end(cause error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.closed, l.err = true, cause
	l.cancel()
	close(l.done)
	return true
}

// httpStatus is what the HTTP answer to one request said, recorded by
// soapTransport: soap.Client reports the envelope, not the status line.
type httpStatus struct {
	code       int
	retryAfter time.Duration
}

type httpStatusKey struct{}

// soapTransport adds the Basic auth header to every request and records
// each answer's status in the request's httpStatus.
type soapTransport struct {
	base *http.Transport
	auth string // the Authorization header; "" for none. A secret.
}

func (t *soapTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.auth != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", t.auth)
	}
	resp, err := t.base.RoundTrip(r)
	if st, ok := r.Context().Value(httpStatusKey{}).(*httpStatus); ok && resp != nil {
		st.code, st.retryAfter = resp.StatusCode, retryAfter(resp)
	}
	return resp, err
}
