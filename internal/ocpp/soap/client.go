package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrRelatesTo: an answer whose wsa:RelatesTo is not the request's
// wsa:MessageID, or whose action is not the operation's response.
var ErrRelatesTo = errors.New("answer does not match the request")

// DefaultTimeout bounds a call when neither the Client nor the context
// does.
const DefaultTimeout = 30 * time.Second

// Client posts envelopes to a peer's service and decodes the answers. The
// zero value is usable.
type Client struct {
	// HTTP sends the requests; nil means http.DefaultClient. Its transport
	// carries TLS settings and any Basic auth round tripper.
	HTTP *http.Client
	// Timeout bounds each call, on top of the context's deadline; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds an answer; zero means DefaultMaxBytes.
	MaxBytes int64
}

// Call posts r to r.To and returns the decoded response. A fault answered
// by the peer is returned as a *Fault error (errors.As); an answer that
// relates to another message, or to another operation, as ErrRelatesTo; a
// call that runs out of time wraps context.DeadlineExceeded.
func (c *Client) Call(ctx context.Context, r Request) (*Message, error) {
	data, id, err := EncodeRequest(r)
	if err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.To, bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("soap: %s to %q: %w", r.Operation, r.To, err)
	}
	// SOAP 1.2 Part 2 §7.1.4 and RFC 3902: the action travels as a media
	// type parameter, not in SOAPAction (that header is SOAP 1.1's).
	req.Header.Set("Content-Type", fmt.Sprintf("%s; action=%q", ContentType, RequestAction(r.Operation)))
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("soap: %s: %w", r.Operation, err)
	}
	defer resp.Body.Close()
	m, err := read(resp.Header.Get("Content-Type"), resp.Body, c.MaxBytes)
	if err != nil {
		if resp.StatusCode/100 != 2 {
			return nil, fmt.Errorf("soap: %s: HTTP %d: %w", r.Operation, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("soap: %s: answer: %w", r.Operation, err)
	}
	if m.RelatesTo != "" && m.RelatesTo != id {
		return nil, fmt.Errorf("soap: %s: %w: RelatesTo %q, want %q", r.Operation, ErrRelatesTo, m.RelatesTo, id)
	}
	if m.Fault != nil {
		return m, m.Fault
	}
	// A response must name the request it answers (WS-Addressing 1.0 Core
	// §3.4); a fault may lack it when the peer could not read the id.
	if m.RelatesTo == "" {
		return nil, fmt.Errorf("soap: %s: %w: no RelatesTo", r.Operation, ErrRelatesTo)
	}
	if !m.Response || m.Operation != r.Operation {
		return nil, fmt.Errorf("soap: %s: %w: action %q", r.Operation, ErrRelatesTo, m.Action)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("soap: %s: HTTP %d with a response", r.Operation, resp.StatusCode)
	}
	return m, nil
}
