package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Defaults for NewBus.
const (
	DefaultBuffer  = 256  // events buffered per subscriber before it is dropped
	DefaultHistory = 1024 // events kept for SubscribeFrom
)

// Bus is an in-process charging.EventBus. Publish assigns each event the next
// id and hands it to every matching subscriber without
// waiting: a subscriber whose buffer is full is dropped (its channel is
// closed) and counted in Dropped. The zero Bus is not usable; call NewBus.
type Bus struct {
	buffer int
	now    func() time.Time

	mu      sync.Mutex
	lastID  uint64                     // guarded by mu; id of the last published event
	firstID uint64                     // the id of this bus's first event (ids are consecutive from it)
	history []charging.Event           // guarded by mu; ring of the last len(history) events
	next    int                        // guarded by mu; where the next event goes in history
	kept    int                        // guarded by mu; how many history slots are filled
	subs    map[*subscription]struct{} // guarded by mu
	dropped uint64                     // guarded by mu
	closed  bool                       // guarded by mu
}

var _ charging.EventBus = (*Bus)(nil)

// Option configures a Bus.
type Option func(*Bus)

// WithBuffer sets how many events a subscriber may have pending before it is
// dropped. Values below 1 keep the default.
func WithBuffer(n int) Option {
	return func(b *Bus) {
		if n > 0 {
			b.buffer = n
		}
	}
}

// WithHistory sets how many recent events are kept for SubscribeFrom.
// 0 keeps none; negative values keep the default.
func WithHistory(n int) Option {
	return func(b *Bus) {
		if n >= 0 {
			b.history = make([]charging.Event, n)
		}
	}
}

// WithClock sets the clock that stamps events published with a zero Time.
func WithClock(now func() time.Time) Option {
	return func(b *Bus) {
		if now != nil {
			b.now = now
		}
	}
}

// NewBus returns an empty Bus.
func NewBus(opts ...Option) *Bus {
	b := &Bus{
		buffer:  DefaultBuffer,
		now:     time.Now,
		history: make([]charging.Event, DefaultHistory),
		subs:    make(map[*subscription]struct{}),
	}
	for _, o := range opts {
		o(b)
	}
	// Ids continue across restarts: they start at the clock's microseconds,
	// so a Last-Event-ID from an earlier process is below every id of this
	// one (as long as it published under a million events a second), and
	// ResumeFrom can tell the client that it missed what happened between.
	if b.firstID == 0 {
		b.firstID = uint64(b.now().UnixMicro())
	}
	b.lastID = b.firstID - 1
	return b
}

// WithFirstID sets the id of the bus's first event (tests; 0 keeps the
// clock-based default).
func WithFirstID(id uint64) Option {
	return func(b *Bus) { b.firstID = id }
}

// Publish assigns e the next id, stamps it with the current UTC time when
// e.Time is zero, records it in the history and delivers it to every
// matching subscriber. It never blocks; ctx is unused. Publishing on a
// closed Bus does nothing.
func (b *Bus) Publish(_ context.Context, e charging.Event) {
	if e.Time.IsZero() {
		e.Time = b.now().UTC()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.lastID++
	e.ID = b.lastID
	if len(b.history) > 0 {
		b.history[b.next] = e
		b.next = (b.next + 1) % len(b.history)
		b.kept = min(b.kept+1, len(b.history))
	}
	// Sending under mu keeps every subscriber's feed in id order even when
	// several goroutines publish at once; the sends never block.
	for s := range b.subs {
		if !s.filter.Match(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			b.dropLocked(s)
			b.dropped++
		}
	}
}

// Subscribe returns a feed of the events published from now on that match f.
func (b *Bus) Subscribe(f charging.EventFilter) charging.Subscription {
	return b.subscribe(f, nil)
}

// SubscribeFrom is Subscribe preceded by a replay of the kept events with an
// id above afterID that match f, so a client resuming after afterID sees
// every event once, in order, with no gap between replay and live events
// (unless more than the history size were published meanwhile: then the
// replay starts at the oldest event kept). An afterID the bus never issued
// (from before a restart) replays the whole history.
func (b *Bus) SubscribeFrom(f charging.EventFilter, afterID uint64) charging.Subscription {
	sub, _ := b.ResumeFrom(f, afterID)
	return sub
}

// ResumeFrom is SubscribeFrom that also reports whether the replay is
// complete: every event after afterID is still kept (or none was
// published). It is not when afterID is from before this bus started (a
// restart), is one the bus never issued, or is older than the history:
// the client missed events and should reload its state.
func (b *Bus) ResumeFrom(f charging.EventFilter, afterID uint64) (charging.Subscription, bool) {
	b.mu.Lock()
	oldest := b.lastID + 1 - uint64(b.kept) // the id of the oldest event kept
	complete := afterID <= b.lastID && afterID+1 >= b.firstID && afterID+1 >= oldest
	b.mu.Unlock()
	return b.subscribe(f, &afterID), complete
}

func (b *Bus) subscribe(f charging.EventFilter, afterID *uint64) *subscription {
	b.mu.Lock()
	defer b.mu.Unlock()
	var replay []charging.Event
	if afterID != nil {
		after := *afterID
		if after > b.lastID {
			after = 0
		}
		for i := range b.kept {
			e := b.history[(b.next-b.kept+i+len(b.history))%len(b.history)]
			if e.ID > after && f.Match(e) {
				replay = append(replay, e)
			}
		}
	}
	// The replay goes into the buffer first, so the buffer is enlarged by its
	// length: a resuming client gets the same room for live events as a new one.
	s := &subscription{bus: b, filter: f, ch: make(chan charging.Event, b.buffer+len(replay))}
	for _, e := range replay {
		s.ch <- e
	}
	if b.closed {
		close(s.ch)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// dropLocked removes s and closes its channel; b.mu must be held.
func (b *Bus) dropLocked(s *subscription) {
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	close(s.ch)
}

// Dropped returns how many subscribers were dropped for falling behind.
func (b *Bus) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Subscribers returns how many subscriptions are open.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// LastID returns the id of the last published event (the first id less
// one before the first).
func (b *Bus) LastID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastID
}

// Close closes every subscription (their readers see a closed channel, so
// SSE streams end) and makes later Publish calls do nothing and later
// subscriptions start closed. It is safe to call more than once.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.dropLocked(s)
	}
}

// subscription is one subscriber's feed.
type subscription struct {
	bus    *Bus
	filter charging.EventFilter
	ch     chan charging.Event // closed by the bus, under bus.mu, exactly once
}

func (s *subscription) Events() <-chan charging.Event { return s.ch }

// Close ends the subscription; it is safe to call more than once and after
// the subscription was dropped.
func (s *subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	s.bus.dropLocked(s)
}
