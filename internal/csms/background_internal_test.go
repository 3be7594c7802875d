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

// TestFollowUpBeforeRun: a follow-up scheduled before Run starts (a
// charger that connected while the node was starting) runs once Run
// starts; one scheduled after Run ended is dropped.
func TestFollowUpBeforeRun(t *testing.T) {
	s := New(nil, nil, nil, nil, nil, Config{FollowUpDelay: 10 * time.Millisecond})
	var early, late atomic.Int32
	s.later("CP-1", "after boot", func(context.Context) error { early.Add(1); return nil })
	stop := s.startFollowUps(context.Background())
	stop()
	s.later("CP-1", "after boot", func(context.Context) error { late.Add(1); return nil })
	time.Sleep(30 * time.Millisecond)
	if early.Load() != 1 || late.Load() != 0 {
		t.Fatalf("runs: before Run %d, after Run %d; want 1, 0", early.Load(), late.Load())
	}
}

// TestBootFollowUpOnlyForTheBootingConnection: a new connection cancels
// the follow-up of the previous connection's boot (its commands must not
// reach a later connection).
func TestBootFollowUpOnlyForTheBootingConnection(t *testing.T) {
	s := New(nil, nil, nil, nil, nil, Config{FollowUpDelay: 50 * time.Millisecond})
	stop := s.startFollowUps(context.Background())
	var ran atomic.Int32
	s.later("CP-1", followUpBoot, func(context.Context) error { ran.Add(1); return nil })
	s.cancelLater("CP-1", followUpBoot) // what Connected does
	stop()
	if ran.Load() != 0 {
		t.Fatalf("the boot follow-up ran %d times after a new connection, want 0", ran.Load())
	}
}
