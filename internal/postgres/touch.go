package postgres

import (
	"context"
	"sync"
	"time"
)

// A Heartbeat changes one thing: the charger's last-seen time. Written at
// once, each was a commit of its own (a WAL flush) for a value nobody
// promised the charger: the contract lets a store keep presence in memory
// and write it later. TouchCharger outside a unit of work notes the time
// here; a flusher writes what it noted every touchInterval in one
// statement, and Close writes the rest. This node's reads see the noted
// times at once (withTouches); other nodes see them with the next flush.
// A crash loses at most touchInterval of last-seen times, which the
// charger's next message sets again.

// touchInterval is how often noted last-seen times are written.
const touchInterval = time.Second

// touches are last-seen times not written yet.
type touches struct {
	mu      sync.Mutex
	pending map[string]time.Time
	stop    chan struct{}
	done    chan struct{}
}

// note keeps the later of at and the time already noted for id.
func (t *touches) note(id string, at time.Time) {
	t.mu.Lock()
	if cur, ok := t.pending[id]; !ok || at.After(cur) {
		if t.pending == nil {
			t.pending = map[string]time.Time{}
		}
		t.pending[id] = at
	}
	t.mu.Unlock()
}

// latest returns the time noted for id, if any.
func (t *touches) latest(id string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.pending[id]
	return at, ok
}

// forget drops the time noted for id.
func (t *touches) forget(id string) {
	t.mu.Lock()
	delete(t.pending, id)
	t.mu.Unlock()
}

// take returns the noted times and forgets them.
func (t *touches) take() map[string]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pending
	t.pending = nil
	return p
}

// putBack notes again times a failed flush did not write.
func (t *touches) putBack(p map[string]time.Time) {
	for id, at := range p {
		t.note(id, at)
	}
}

// startTouches runs the flusher until Close.
func (s *Store) startTouches() {
	s.touch.stop, s.touch.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.touch.done)
		tick := time.NewTicker(touchInterval)
		defer tick.Stop()
		for {
			select {
			case <-s.touch.stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_ = s.flushTouches(ctx) // put back; the next tick retries
				cancel()
			}
		}
	}()
}

// stopTouches stops the flusher and writes what is left.
func (s *Store) stopTouches() error {
	if s.touch.stop == nil {
		return nil
	}
	close(s.touch.stop)
	<-s.touch.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.flushTouches(ctx)
}

// flushTouches writes the noted last-seen times in one statement, each
// only over an earlier one (a later write of the charger wins).
func (s *Store) flushTouches(ctx context.Context) error {
	p := s.touch.take()
	if len(p) == 0 {
		return nil
	}
	ids, ats := make([]string, 0, len(p)), make([]time.Time, 0, len(p))
	for id, at := range p {
		ids, ats = append(ids, id), append(ats, at)
	}
	_, err := s.pool.Exec(ctx, `UPDATE chargers c SET last_seen_at = v.at
		FROM unnest($1::text[], $2::timestamptz[]) AS v (id, at)
		WHERE c.id = v.id AND (c.last_seen_at IS NULL OR c.last_seen_at < v.at)`, ids, ats)
	if err != nil {
		s.touch.putBack(p)
		return fail("write last-seen times", err)
	}
	return nil
}
