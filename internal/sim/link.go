package sim

import (
	"context"
	"encoding/json"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// link is one session with the CSMS, as the worker, the boot loop, the
// firmware and reset code use it, whatever the transport: an OCPP-J
// WebSocket (*ocppj.Conn) or an OCPP-S session (soapLink). Its calls take
// and return OCPP-J payloads of the charger's JSON version (1.6 for both
// SOAP versions), so that code stays free of versions and transports.
type link interface {
	// Call sends a request (a typed value or a json.RawMessage) and
	// returns the answer's payload. A refusal is an *ocppj.Error; an error
	// wrapping ocppj.ErrClosed means the session is over.
	Call(ctx context.Context, action string, req any) (json.RawMessage, error)
	// Done is closed when the session has ended.
	Done() <-chan struct{}
	// Close ends the session (a reset, a reboot, new credentials); code is
	// the WebSocket close code, which OCPP-S has no use for.
	Close(code int, reason string) error
	// Serve runs the session until ctx is done or it ends; it returns nil
	// when it was closed on purpose, else why it ended.
	Serve(ctx context.Context) error
}

var _ link = (*ocppj.Conn)(nil)
