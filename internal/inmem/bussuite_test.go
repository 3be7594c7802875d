package inmem_test

import (
	"testing"

	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/inmem"
)

// TestBusSuite runs the behaviour every event bus shares (natsbus runs it
// too).
func TestBusSuite(t *testing.T) {
	chargingtest.EventBusSuite(t, func(t *testing.T, buffer int) chargingtest.Bus {
		return inmem.NewBus(inmem.WithBuffer(buffer))
	})
}
