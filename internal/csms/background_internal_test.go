package csms

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestFollowUpSuperseded: a newer follow-up of the same kind for the same
// charger cancels the pending one (a charger that boots twice in a row gets
// its profiles re-sent once, after the last boot).
func TestFollowUpSuperseded(t *testing.T) {
	s := New(nil, nil, nil, nil, nil, Config{FollowUpDelay: 50 * time.Millisecond})
	stop := s.startFollowUps(context.Background())
	var first, second, other atomic.Int32
	s.later("CP-1", "after boot", func(context.Context) error { first.Add(1); return nil })
	s.later("CP-2", "after boot", func(context.Context) error { other.Add(1); return nil })
	s.later("CP-1", "after boot", func(context.Context) error { second.Add(1); return nil })
	stop()
	if first.Load() != 0 || second.Load() != 1 || other.Load() != 1 {
		t.Fatalf("runs: superseded %d, latest %d, other charger %d; want 0, 1, 1", first.Load(), second.Load(), other.Load())
	}
}
