package cluster

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/gateway"
)

// The gateway is what the node passes as Local.
var _ Local = (*gateway.Gateway)(nil)

// Every router's goroutines (watchers, heartbeat, request handlers,
// takeover disconnects) end with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
