package soapcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// Caller sends Joule's commands to one SOAP charger: it posts each to the
// ChargePoint service at the charger's address (the wsa:From of its
// messages) and waits for the answer in the HTTP response. It is the
// ocppdomain.Caller of the charger's ocpp16.Station, as *ocppj.Conn is
// for an OCPP-J charger, and keeps the same rules: the payload is the 1.6
// JSON of the action (converted to the version's typed body, 1.5 mapped),
// one call is in flight per charger and the others wait their turn in
// FIFO order, each call is bounded by the call timeout, and the outcome
// comes back as ocppj's: a fault as a *ocppj.Error (a CALLERROR), no
// answer in time as ocppj.ErrTimeout.
//
// What cannot go out is refused before anything is sent: an action the
// version's WSDL lacks (OCPP 1.5 has no SetChargingProfile; neither SOAP
// version has the 1.6 Security Extension) or a value it cannot carry is
// charging.ECONFLICT naming the version. A charger that cannot be reached
// at its address is charging.EUNAVAILABLE.
type Caller struct {
	version  soap.Version
	id       string
	client   *soap.Client
	timeout  time.Duration
	observer ocppj.Observer
	log      *slog.Logger

	mu      sync.Mutex
	address string          // guarded by mu
	busy    bool            // a call holds the slot; guarded by mu
	waiters []chan struct{} // FIFO; guarded by mu
}

var _ ocppdomain.Caller = (*Caller)(nil)

// CallerOptions configure a Caller; zero values take the defaults.
type CallerOptions struct {
	// HTTP posts the envelopes (TLS settings for https addresses); nil:
	// http.DefaultClient.
	HTTP *http.Client
	// Timeout bounds each call once sent (default soap.DefaultTimeout,
	// the gateway's default CallTimeout too).
	Timeout time.Duration
	// MaxBytes bounds an answer (soap.DefaultMaxBytes if <= 0).
	MaxBytes int64
	// Observer is told each call's outcome and duration (metrics), as
	// ocppj.Options.Observer is for OCPP-J calls.
	Observer ocppj.Observer
	Logger   *slog.Logger
}

// NewCaller returns the caller of charger chargerID speaking version v,
// whose service listens at address ("" when it sent none: every call is
// then EUNAVAILABLE until SetAddress).
func NewCaller(v soap.Version, chargerID, address string, opts CallerOptions) *Caller {
	if opts.Timeout <= 0 {
		opts.Timeout = soap.DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Caller{version: v, id: chargerID, address: address, timeout: opts.Timeout, observer: opts.Observer,
		client: &soap.Client{HTTP: opts.HTTP, Timeout: opts.Timeout, MaxBytes: opts.MaxBytes}, log: log}
}

// Version is the charger's OCPP version.
func (c *Caller) Version() soap.Version { return c.version }

// Address returns the service address calls go to.
func (c *Caller) Address() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.address
}

// SetAddress changes the service address: the charger named another in
// its wsa:From. A call in flight finishes at the old one.
func (c *Caller) SetAddress(address string) {
	c.mu.Lock()
	c.address = address
	c.mu.Unlock()
}

// Supports reports whether the charger's version has action among its
// ChargePoint operations. ocpp16.Station asks it before it would ask a
// Pending charger to boot with TriggerMessage.
func (c *Caller) Supports(action string) bool {
	_, ok := soapjson.Lookup(c.version, soap.ChargePoint, action)
	return ok
}

// versionName names the version in messages.
func versionName(v soap.Version) string {
	if v == soap.V15 {
		return "OCPP 1.5"
	}
	return "OCPP " + string(v) + " over SOAP"
}

// Call sends action with payload, the 1.6 JSON request (a json.RawMessage,
// or a value that marshals to it such as a generated ocpp16 request), and
// returns the answer as 1.6 JSON. Errors: charging.ECONFLICT or EINVALID
// when the request cannot go out in the charger's version (nothing is
// sent), a *ocppj.Error for a fault, ocppj.ErrTimeout when no answer came
// within the timeout, charging.EUNAVAILABLE when the charger cannot be
// reached, charging.EINTERNAL for an answer Joule cannot read or say in
// 1.6, ctx's error when ctx ends first.
//
// When ctx ends while the call is out, Call returns at once, but the call
// keeps the charger's slot until its answer arrives or its timeout passes,
// as an OCPP-J CALL does: the charger may still be working on it.
func (c *Caller) Call(ctx context.Context, action string, payload any) (json.RawMessage, error) {
	o, body, err := c.request(action, payload)
	if err != nil {
		c.log.Warn("soap: command not sent", "charger", c.id, "operation", action, "err", charging.ErrorMessage(err))
		return nil, err
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	address := c.Address()
	if address == "" {
		c.release()
		err := charging.Errorf(charging.EUNAVAILABLE, "Joule has no address to call charger %s at: its messages carry no wsa:From", c.id)
		c.log.Warn("soap: command not sent", "charger", c.id, "operation", action, "err", err.Message)
		return nil, err
	}
	start := time.Now()
	done := make(chan result, 1)
	go func() {
		// The call outlives ctx (see above); its timeout bounds it.
		defer c.release()
		done <- c.post(context.WithoutCancel(ctx), o, address, body)
	}()
	select {
	case r := <-done:
		c.observe(action, r.err, time.Since(start))
		if r.err != nil {
			return nil, r.err
		}
		return r.payload, nil
	case <-ctx.Done():
		c.observe(action, ctx.Err(), time.Since(start))
		return nil, ctx.Err()
	}
}

type result struct {
	payload json.RawMessage
	err     error
}

// request finds the version's operation and builds its typed body from
// the 1.6 JSON, checked against the version's WSDL.
func (c *Caller) request(action string, payload any) (soapjson.Operation, soapjson.Body, error) {
	o, ok := soapjson.Lookup(c.version, soap.ChargePoint, action)
	if !ok {
		return o, nil, charging.Errorf(charging.ECONFLICT, "%s has no %s", versionName(c.version), action)
	}
	var raw []byte
	switch p := payload.(type) {
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	case nil:
		raw = []byte("{}")
	default:
		var err error
		if raw, err = json.Marshal(p); err != nil {
			return o, nil, fmt.Errorf("soap: %s: encode payload: %w", action, err)
		}
	}
	body := o.NewRequest()
	if err := soapjson.FromJSON(raw, body); err != nil {
		// What the version has no place for (a charging profile in a 1.5
		// RemoteStartTransaction) is refused rather than dropped.
		var u *soapjson.UnsupportedError
		if errors.As(err, &u) {
			return o, nil, charging.Errorf(charging.ECONFLICT, "%s", u.Error())
		}
		return o, nil, charging.Errorf(charging.EINVALID, "%s: %v", action, err)
	}
	if err := body.Validate(); err != nil {
		if c.version == soap.V15 {
			return o, nil, charging.Errorf(charging.ECONFLICT, "%s cannot carry this %s: %v", versionName(c.version), action, err)
		}
		return o, nil, charging.Errorf(charging.EINVALID, "%s: the OCPP 1.6 WSDL does not allow %v", action, err)
	}
	return o, body, nil
}

// post makes the HTTP exchange and turns its outcome into ocppj's terms.
func (c *Caller) post(ctx context.Context, o soapjson.Operation, address string, body soapjson.Body) result {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	m, err := c.client.Call(ctx, soap.Request{Namespace: soap.Namespace(c.version, soap.ChargePoint), Operation: o.Name,
		ChargeBoxIdentity: c.id, To: address, Body: body})
	var f *soap.Fault
	switch {
	case errors.As(err, &f):
		ce := soapjson.FaultCallError(f)
		c.log.Warn("soap: charger answered a fault", "charger", c.id, "operation", o.Name, "code", string(ce.Code), "fault", f.Error())
		return result{err: ce}
	case err != nil && ctx.Err() != nil:
		c.log.Warn("soap: call timed out", "charger", c.id, "operation", o.Name, "timeout", c.timeout.String())
		return result{err: ocppj.ErrTimeout}
	case errors.Is(err, soap.ErrRelatesTo):
		// A SOAP answer, but to another message or operation.
		c.log.Warn("soap: charger answered another message", "charger", c.id, "operation", o.Name, "err", redact(err, address))
		return result{err: badAnswer(c.id, o.Name, "the answer is not this request's")}
	case errors.Is(err, ErrAddressRefused):
		// Nothing was sent: the address is outside the allowed networks.
		c.log.Warn("soap: charger's address is outside the networks Joule calls chargers in", "charger", c.id, "operation", o.Name,
			"address", redactedAddress(address), "err", redact(err, address))
		return result{err: charging.Errorf(charging.EUNAVAILABLE, "charger %s's SOAP address is outside the networks Joule calls chargers in (--soap-charger-networks)", c.id)}
	case err != nil:
		// No SOAP answer at all: refused, unreachable, TLS failed, or an
		// HTTP error or a page that is not an envelope. The address and
		// its error stay in the log (without credentials).
		c.log.Warn("soap: charger cannot be reached", "charger", c.id, "operation", o.Name,
			"address", redactedAddress(address), "err", redact(err, address))
		return result{err: charging.Errorf(charging.EUNAVAILABLE, "charger %s cannot be reached at its SOAP address", c.id)}
	}
	resp := o.NewResponse()
	if err := m.UnmarshalBody(resp); err != nil {
		c.log.Warn("soap: unreadable answer", "charger", c.id, "operation", o.Name, "err", err)
		return result{err: badAnswer(c.id, o.Name, err.Error())}
	}
	if err := resp.Validate(); err != nil {
		// As over OCPP-J, the 1.6 schema has the last word on an answer
		// (the domain refuses what it breaks); this is for the log.
		c.log.Warn("soap: answer breaks the WSDL", "charger", c.id, "operation", o.Name, "err", err)
	}
	out, err := soapjson.ToJSON(ctx, resp, nil)
	if err != nil {
		// A value 1.6 cannot say (a 1.5 configuration value longer than
		// 1.6 allows).
		c.log.Warn("soap: answer has no 1.6 JSON form", "charger", c.id, "operation", o.Name, "err", err)
		return result{err: badAnswer(c.id, o.Name, err.Error())}
	}
	return result{payload: out}
}

// badAnswer is the error of an answer Joule cannot use, as
// ocppdomain.Call reports an OCPP-J answer that breaks the schema.
func badAnswer(chargerID, op, why string) error {
	return charging.Errorf(charging.EINTERNAL, "charger %s answered %s with an invalid payload: %s", chargerID, op, why)
}

// observe reports a call that went out.
func (c *Caller) observe(action string, err error, d time.Duration) {
	if c.observer == nil {
		return
	}
	var ce *ocppj.Error
	res := "ok"
	switch {
	case err == nil:
	case errors.As(err, &ce):
		res = string(ce.Code)
	case errors.Is(err, ocppj.ErrTimeout):
		res = "timeout"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		res = "canceled"
	case charging.ErrorCode(err) == charging.EUNAVAILABLE:
		res = "unreachable"
	default:
		res = string(ocppj.InternalError)
	}
	c.observer.ObserveCall("outbound", action, res, d)
}

// acquire takes the charger's slot, waiting in FIFO order until ctx ends.
func (c *Caller) acquire(ctx context.Context) error {
	c.mu.Lock()
	if !c.busy {
		c.busy = true
		c.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	c.waiters = append(c.waiters, ch)
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	if i := slices.Index(c.waiters, ch); i >= 0 {
		c.waiters = slices.Delete(c.waiters, i, i+1)
		c.mu.Unlock()
		return ctx.Err()
	}
	c.mu.Unlock()
	c.release() // the slot was handed over as ctx ended: pass it on
	return ctx.Err()
}

// release hands the slot to the longest waiter, or frees it.
func (c *Caller) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		c.busy = false
		return
	}
	ch := c.waiters[0]
	c.waiters = c.waiters[1:]
	close(ch)
}

// redactedAddress is address without its password, for the log.
func redactedAddress(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

// redact is err's text with the address (which may carry credentials)
// replaced by its redacted form.
func redact(err error, address string) string {
	s := err.Error()
	if address == "" {
		return s
	}
	return strings.ReplaceAll(s, address, redactedAddress(address))
}
