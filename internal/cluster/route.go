package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/joule-ev/joule/internal/charging"
)

// request is what a node sends the owner of a charger.
type request struct {
	Method    string          `json:"method"`
	ChargerID string          `json:"chargerId"`
	Args      json.RawMessage `json:"args,omitempty"`
	// WaitMS is how long the requester waits for the answer.
	WaitMS int64 `json:"waitMs"`
	// ID names the request for a later cancel.
	ID string `json:"id,omitempty"`
	// Cancel, in a message without a reply subject, cancels the request
	// with this ID: its caller gave up (the context was cancelled). It
	// travels on the same subject, so it cannot overtake its request.
	Cancel string `json:"cancel,omitempty"`
}

// reply is the owner's answer.
type reply struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
	// NotHere: the charger is not connected to this node; nothing was sent.
	NotHere bool `json:"notHere,omitempty"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Detail is a non-domain error's text, for the requester's log.
	Detail string `json:"detail,omitempty"`
}

// op is one routed method: its name on the wire and how it runs on a
// gateway. The same call serves the local path and the owner's handler,
// so the two cannot differ.
type op[A, R any] struct {
	name string
	call func(ctx context.Context, l Local, chargerID string, a A) (R, error)
	// fix, if set, restores what JSON does not carry (nil vs "null").
	fix func(*R)
}

// server is the untyped face of an op, for the dispatch table.
type server interface {
	opName() string
	serve(ctx context.Context, l Local, chargerID string, args json.RawMessage) (json.RawMessage, error)
}

func (o op[A, R]) opName() string { return o.name }

func (o op[A, R]) serve(ctx context.Context, l Local, chargerID string, args json.RawMessage) (json.RawMessage, error) {
	var a A
	if len(args) > 0 {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, fmt.Errorf("cluster: decode %s arguments: %w", o.name, err)
		}
	}
	res, err := o.call(ctx, l, chargerID, a)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("cluster: encode %s result: %w", o.name, err)
	}
	return out, nil
}

// dispatch is the owner's table: method name → op.
var dispatch = func() map[string]server {
	m := map[string]server{}
	for _, s := range []server{
		opRemoteStart, opRemoteStop, opCommand, opTransactionStatus,
		opReset, opUnlockConnector, opChangeAvailability, opGetConfiguration,
		opChangeConfiguration, opTriggerMessage, opReserveNow, opCancelReservation,
		opSetChargingProfile, opClearChargingProfile, opGetCompositeSchedule,
		opSendLocalList, opGetLocalListVersion, opUpdateFirmware, opGetDiagnostics,
		opSetPassword, opCertificateSigned, opInstallCertificate,
		opGetInstalledCertificateIDs, opDeleteCertificate, opExtendedTriggerMessage,
		opGetLog, opSignedUpdateFirmware, opDisconnect,
	} {
		if _, dup := m[s.opName()]; dup {
			panic("cluster: duplicate op " + s.opName())
		}
		m[s.opName()] = s
	}
	return m
}()

// handle answers a request of another node: at once "not here" when the
// charger is not connected to this node, else on a goroutine of its own
// (at most MaxInFlight at once; the subscription's queue holds the rest).
func (r *Router) handle(msg *nats.Msg) {
	received := time.Now()
	var req request
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		r.respond(msg, reply{Error: &wireError{Code: charging.EINTERNAL, Message: "internal error",
			Detail: "cluster: invalid request: " + err.Error()}})
		return
	}
	if req.Cancel != "" {
		r.mu.Lock()
		cancel := r.inflight[req.Cancel]
		r.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return
	}
	if !r.local.Connected(req.ChargerID) {
		r.respond(msg, reply{NotHere: true})
		return
	}
	s, ok := dispatch[req.Method]
	if !ok {
		r.respond(msg, reply{Error: &wireError{Code: charging.EINTERNAL, Message: "internal error",
			Detail: fmt.Sprintf("cluster: node %s does not know method %q", r.opts.NodeID, req.Method)}})
		return
	}
	deadline := received.Add(time.Duration(req.WaitMS)*time.Millisecond - r.opts.ReplyMargin)
	ctx, cancel := context.WithDeadline(r.ctx, deadline)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		cancel()
		return // the requester sees a timeout
	}
	r.wg.Add(1)
	if req.ID != "" {
		r.inflight[req.ID] = cancel
	}
	r.mu.Unlock()
	done := func() {
		cancel()
		if req.ID != "" {
			r.mu.Lock()
			delete(r.inflight, req.ID)
			r.mu.Unlock()
		}
		r.wg.Done()
	}
	select {
	case r.sem <- struct{}{}:
	case <-r.ctx.Done():
		done()
		return
	}
	go func() {
		defer done()
		defer func() { <-r.sem }()
		if ctx.Err() != nil {
			// Cancelled, or too late to be of use: do not send at all.
			r.respond(msg, reply{Error: &wireError{Code: charging.ETIMEOUT,
				Message: fmt.Sprintf("charger %s: no time left to send %s", req.ChargerID, req.Method)}})
			return
		}
		res, err := s.serve(ctx, r.local, req.ChargerID, req.Args)
		if err != nil {
			r.respond(msg, reply{Error: toWire(req.ChargerID, err)})
			if charging.ErrorCode(err) == charging.EINTERNAL && !errors.Is(ctx.Err(), context.Canceled) {
				r.log.Error("cluster: routed command failed", "charger", req.ChargerID, "method", req.Method, "err", err)
			}
			return
		}
		r.respond(msg, reply{Result: res})
	}()
}

func (r *Router) respond(msg *nats.Msg, rep reply) {
	data, err := json.Marshal(rep)
	if err != nil {
		r.log.Error("cluster: encode reply", "err", err)
		return
	}
	if err := msg.Respond(data); err != nil {
		r.log.Warn("cluster: reply", "err", err)
	}
}

// toWire turns an error of the local gateway into its code and message.
func toWire(chargerID string, err error) *wireError {
	var ce *charging.Error
	switch {
	case errors.As(err, &ce):
		return &wireError{Code: ce.Code, Message: ce.Message}
	case errors.Is(err, context.DeadlineExceeded):
		return &wireError{Code: charging.ETIMEOUT, Message: fmt.Sprintf("charger %s did not answer in time", chargerID)}
	}
	return &wireError{Code: charging.EINTERNAL, Message: "internal error", Detail: err.Error()}
}

// offline is the gateway's error for a charger it does not hold.
func offline(chargerID string) error {
	return charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", chargerID)
}

// errNotHere says the owner does not hold the charger (or is gone): the
// command was not sent.
var errNotHere = errors.New("not here")

// route runs the op for the charger: on the local gateway when the charger
// is connected here, else on its owner's.
func route[A, R any](ctx context.Context, r *Router, o op[A, R], chargerID string, a A) (R, error) {
	if r.local.Connected(chargerID) {
		return o.call(ctx, r.local, chargerID, a)
	}
	var zero R
	node, ok := r.Owner(chargerID)
	if !ok {
		return zero, offline(chargerID)
	}
	refreshed := false
	if node == r.opts.NodeID {
		// Our own claim, yet the charger is not here: it left, or another
		// node's claim is on its way to the cache. Ask the bucket.
		fresh, ok, err := r.refresh(ctx, chargerID)
		switch {
		case err != nil:
			return zero, fmt.Errorf("cluster: read the owner of %s: %w", chargerID, err)
		case !ok || fresh == r.opts.NodeID:
			return zero, offline(chargerID)
		}
		node, refreshed = fresh, true
	}
	args, err := json.Marshal(a)
	if err != nil {
		return zero, fmt.Errorf("cluster: encode %s arguments: %w", o.name, err)
	}
	var raw json.RawMessage
	for {
		raw, err = r.remote(ctx, node, o.name, chargerID, args)
		if !errors.Is(err, errNotHere) {
			break
		}
		// The cache was stale or the owner is gone; nothing was sent.
		// Read the owner again and try once more if it changed.
		if refreshed {
			return zero, offline(chargerID)
		}
		refreshed = true
		fresh, ok, rerr := r.refresh(ctx, chargerID)
		switch {
		case rerr != nil:
			return zero, fmt.Errorf("cluster: read the owner of %s: %w", chargerID, rerr)
		case !ok || fresh == node:
			return zero, offline(chargerID)
		case fresh == r.opts.NodeID:
			if r.local.Connected(chargerID) {
				return o.call(ctx, r.local, chargerID, a)
			}
			return zero, offline(chargerID)
		}
		node = fresh
	}
	if err != nil {
		return zero, err
	}
	var res R
	if err := json.Unmarshal(raw, &res); err != nil {
		return zero, fmt.Errorf("cluster: decode %s result from node %s: %w", o.name, node, err)
	}
	if o.fix != nil {
		o.fix(&res)
	}
	return res, nil
}

// remote sends one request to a node and waits for its answer, as long as
// ctx allows and RequestTimeout at most. errNotHere: the node answered that
// it does not hold the charger, or no one listens on its subject.
func (r *Router) remote(ctx context.Context, node, method, chargerID string, args json.RawMessage) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(chargerID, node, err)
	}
	rctx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	dl, _ := rctx.Deadline()
	id := requestID()
	data, err := json.Marshal(request{Method: method, ChargerID: chargerID, Args: args,
		WaitMS: time.Until(dl).Milliseconds(), ID: id})
	if err != nil {
		return nil, err
	}
	msg, err := r.nc.RequestWithContext(rctx, r.subject(node), data)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		// Tell the owner, so that it does not send a command no one waits
		// for any more (or stops waiting for the charger's answer).
		cancelMsg, _ := json.Marshal(request{Cancel: id})
		if perr := r.nc.Publish(r.subject(node), cancelMsg); perr != nil {
			r.log.Warn("cluster: send cancel", "node", node, "err", perr)
		}
	}
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, errNotHere
	case err != nil && ctx.Err() != nil:
		return nil, ctxError(chargerID, node, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
		return nil, charging.Errorf(charging.ETIMEOUT, "charger %s: node %s did not answer in time", chargerID, node)
	case err != nil:
		return nil, fmt.Errorf("cluster: %s to charger %s via node %s: %w", method, chargerID, node, err)
	}
	var rep reply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return nil, fmt.Errorf("cluster: invalid reply from node %s: %w", node, err)
	}
	switch {
	case rep.NotHere:
		return nil, errNotHere
	case rep.Error != nil:
		ce := &charging.Error{Code: rep.Error.Code, Message: rep.Error.Message}
		if rep.Error.Detail != "" {
			return nil, fmt.Errorf("node %s: %s: %w", node, rep.Error.Detail, ce)
		}
		return nil, ce
	}
	return rep.Result, nil
}

// requestID returns a random id for a request.
func requestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ctxError is the error of a request the caller's context ended: a
// deadline is ETIMEOUT (and context.DeadlineExceeded), a cancellation the
// context's error.
func ctxError(chargerID, node string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", charging.Errorf(charging.ETIMEOUT, "charger %s did not answer in time", chargerID), err)
	}
	return fmt.Errorf("cluster: command to charger %s via node %s: %w", chargerID, node, err)
}
