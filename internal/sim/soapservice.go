package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// This file is a SOAP charger's own service, the charge-point service of
// its version's WSDL, which the central system calls at the address the
// charger gives in wsa:From. Each request is checked (envelope, namespace,
// identity, operation, schema), turned into the 1.6 JSON CALL the OCPP-J
// charger's handler answers (handle), and the answer turned back into the
// version's typed response. An operation the version's WSDL lacks (1.5:
// TriggerMessage, the charging profiles) is refused with
// wsa:ActionNotSupported, as is everything of the security extension,
// which OCPP-S does not have.
//
// The service runs as long as Run does, sessions or not: between sessions
// the charger is still there, as a real one behind a flaky network is, and
// answers from its state; what an answer queues (a StartTransaction, a
// status) goes out once a session has booted.

// defaultSOAPListen is Config.SOAPListen's default.
const defaultSOAPListen = "127.0.0.1:0"

// shutdownWait bounds how long stopping the service waits for the answers
// in progress.
const shutdownWait = 5 * time.Second

// startService starts the charger's service until stop is called. Requests
// are handled with contexts of ctx, which must end before stop is called:
// a handler that waits (Behaviour.IgnoreCalls) waits for ctx.
func (c *Charger) startService(ctx context.Context) (stop func(), err error) {
	addr := c.cfg.SOAPListen
	if addr == "" {
		addr = defaultSOAPListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("charge point service: %w", err)
	}
	address, err := c.serviceAddress(ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(c.serveSOAP),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelDebug),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // ErrServerClosed once stopped
	}()
	c.mu.Lock()
	c.service = address
	c.mu.Unlock()
	c.log.Info("charge point service", "listen", ln.Addr().String(), "address", address)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		<-served
		c.mu.Lock()
		c.service = ""
		c.mu.Unlock()
	}, nil
}

// serviceAddress is the address the charger gives the central system for
// its service listening on addr: Config.SOAPAdvertise (with addr's port if
// it names none), else http://addr/<ID>, with the loopback address for an
// unspecified one (listening on every interface, the charger cannot know
// which address the central system reaches: SOAPAdvertise says).
func (c *Charger) serviceAddress(addr net.Addr) (string, error) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", err
	}
	if a := c.cfg.SOAPAdvertise; a != "" {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("SOAPAdvertise must be an http:// or https:// URL, got %q", a)
		}
		if u.Port() == "" {
			u.Host = net.JoinHostPort(u.Hostname(), port)
		}
		return u.String(), nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/" + c.cfg.ID}
	return u.String(), nil
}

// serveSOAP answers one request of the central system. Every path of the
// listener is the service: it belongs to this charger alone.
func (c *Charger) serveSOAP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "the charge point service takes SOAP requests by POST", http.StatusMethodNotAllowed)
		return
	}
	own := soap.Namespace(c.soapV, soap.ChargePoint)
	msg, o, req, f := soapjson.ReadRequest(r, soap.ChargePoint, 0, func(msg *soap.Message) *soap.Fault {
		switch {
		case msg.Version != c.soapV:
			return soap.SenderFault(msg.Body.Space, soap.SubcodeNotSupported,
				fmt.Sprintf("this charge point speaks OCPP %s, not %s", c.soapV, msg.Version))
		case msg.ChargeBoxIdentity != c.cfg.ID:
			return soap.SenderFault(own, soap.SubcodeIdentityMismatch,
				fmt.Sprintf("this charge point is %q, not %q", c.cfg.ID, msg.ChargeBoxIdentity))
		}
		return nil
	})
	if f != nil {
		relates := ""
		if msg != nil {
			relates = msg.MessageID
		}
		c.soapFault(w, f, relates, msg)
		return
	}
	ns := msg.Body.Space
	ctx := r.Context()
	payload, err := soapjson.ToJSON(ctx, req, nil)
	if err != nil {
		// Valid in 1.5 but beyond what the 1.6 charger inside takes (a
		// string longer than 1.6 allows) is the sender's to fix.
		f, internal := soapjson.RequestJSONFault(ns, err)
		if internal {
			c.log.Error("SOAP: converting a request", "operation", msg.Operation, "err", err)
		}
		c.soapFault(w, f, msg.MessageID, msg)
		return
	}
	// One request at a time, as an OCPP-J connection reads one CALL at a
	// time: a handler that hangs (Behaviour.IgnoreCalls) holds the rest.
	select {
	case c.inbound <- struct{}{}:
	case <-ctx.Done():
		c.soapFault(w, soap.ReceiverFault(ns, soap.SubcodeInternalError, "the charge point is stopping"), msg.MessageID, msg)
		return
	}
	out, err := c.handle(ctx, msg.Operation, payload)
	<-c.inbound
	if err != nil {
		c.soapFault(w, soapjson.CallErrorFault(ns, err), msg.MessageID, msg)
		return
	}
	resp, err := soapjson.Response(o, out)
	if u, ok := errors.AsType[*soapjson.UnsupportedError](err); ok {
		// The 1.6 answer has no 1.5 counterpart: the request is one
		// this charger cannot answer in its version.
		c.soapFault(w, soap.ReceiverFault(ns, soap.SubcodeNotSupported, u.Error()), msg.MessageID, msg)
		return
	} else if err != nil {
		c.log.Error("SOAP: converting an answer", "operation", msg.Operation, "err", err)
		c.soapFault(w, soap.ReceiverFault(ns, soap.SubcodeInternalError, "internal error"), msg.MessageID, msg)
		return
	}
	if err := soap.WriteResponse(w, msg.Reply(resp)); err != nil {
		c.log.Debug("SOAP: answer not written", "operation", msg.Operation, "err", err)
	}
}

// soapFault answers f to the request whose wsa:MessageID is relatesTo.
func (c *Charger) soapFault(w http.ResponseWriter, f *soap.Fault, relatesTo string, msg *soap.Message) {
	attrs := []any{"fault", f.Error()}
	if msg != nil {
		attrs = append(attrs, "action", msg.Action, "identity", msg.ChargeBoxIdentity)
	}
	c.log.Warn("SOAP: answered a fault", attrs...)
	if err := soap.WriteFault(w, f, relatesTo); err != nil {
		c.log.Debug("SOAP: fault not written", "err", err)
	}
}
