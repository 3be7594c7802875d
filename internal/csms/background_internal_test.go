package csms

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
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

// TestBootFollowUpOnlyForTheBootingConnection: a charger that boots and
// then connects again (a new connection) loses the first boot's follow-up:
// its commands must not reach the later connection. Booted and Connected
// are the real ones, on a real store.
func TestBootFollowUpOnlyForTheBootingConnection(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(store, inmem.NewBus(), nil, nil, nil, Config{FollowUpDelay: time.Hour})
	runCtx, cancel := context.WithCancel(ctx)
	stop := s.startFollowUps(runCtx)
	defer stop()
	defer cancel() // before stop: the hour-long tasks end with Run's context
	pending := func() *followUp {
		s.follow.mu.Lock()
		defer s.follow.mu.Unlock()
		return s.follow.pending["CP-1\x00"+followUpBoot]
	}
	if err := s.Connected(ctx, "CP-1", charging.OCPP16); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"}); err != nil {
		t.Fatal(err)
	}
	task := pending()
	if task == nil {
		t.Fatal("no follow-up after the boot")
	}
	if err := s.Connected(ctx, "CP-1", charging.OCPP16); err != nil {
		t.Fatal(err)
	}
	if task.ctx.Err() == nil {
		t.Fatal("the boot's follow-up is still pending after a new connection")
	}
}
