package auth

import (
	"container/list"
	"fmt"
	"sync"
	"time"
)

// MaxLimiterKeys is how many keys a Limiter tracks at most. Past it, adding
// a key evicts the one whose last failure is the oldest. A full limiter
// holds about 30 MB with max = 10 (keys of ~20 bytes).
const MaxLimiterKeys = 100_000

// Limiter limits sign-in attempts: at most max failures per key within a
// sliding window. Use one per account (reset on a successful sign-in) and
// one per client address. It is safe for concurrent use.
//
// Its memory is bounded: it tracks at most MaxLimiterKeys keys, each with
// at most max timestamps. Keys whose failures have all left the window are
// dropped as they are met, and the stalest key is evicted when the limiter
// is full; so an attacker spraying more keys than that can make the limiter
// forget the stalest ones, but never exhaust memory.
type Limiter struct {
	max     int
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of *limiterEntry
	lru  *list.List               // front: least recently failed
}

type limiterEntry struct {
	key   string
	times []int64 // unix nanoseconds of the failures in the window, ascending; len <= max
}

// NewLimiter returns a Limiter allowing max failures per key within window.
// It panics if max < 1 or window <= 0.
func NewLimiter(max int, window time.Duration) *Limiter {
	if max < 1 || window <= 0 {
		panic(fmt.Sprintf("auth: NewLimiter(%d, %v): max must be >= 1 and window > 0", max, window))
	}
	return &Limiter{
		max:     max,
		window:  window,
		maxKeys: MaxLimiterKeys,
		keys:    make(map[string]*list.Element),
		lru:     list.New(),
	}
}

// Allow reports whether key may try now: whether it has fewer than max
// failures within the window ending at now. When it may not, retryAfter is
// how long until the oldest of those failures leaves the window, rounded up
// to whole seconds and at least 1s (ready for a Retry-After header). Allow
// records nothing; call Fail for each failed (or each) attempt.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el := l.keys[key]
	if el == nil {
		return true, 0
	}
	e := el.Value.(*limiterEntry)
	l.prune(e, now)
	if len(e.times) == 0 {
		l.remove(el)
		return true, 0
	}
	if len(e.times) < l.max {
		return true, 0
	}
	wait := time.Unix(0, e.times[0]).Add(l.window).Sub(now)
	return false, roundUpSeconds(wait)
}

// Fail counts one failure (or attempt) of key at now.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var e *limiterEntry
	if el := l.keys[key]; el != nil {
		e = el.Value.(*limiterEntry)
		l.lru.MoveToBack(el)
		l.prune(e, now)
	} else {
		for len(l.keys) >= l.maxKeys {
			l.remove(l.lru.Front())
		}
		e = &limiterEntry{key: key, times: make([]int64, 0, min(l.max, 4))}
		l.keys[key] = l.lru.PushBack(e)
	}
	t := now.UnixNano()
	if len(e.times) == l.max {
		// Only the newest max failures decide; forget the oldest.
		if t <= e.times[0] {
			return
		}
		copy(e.times, e.times[1:])
		e.times = e.times[:l.max-1]
	}
	// Insert in order: callers take now before the lock, so concurrent
	// failures can arrive slightly out of order.
	i := len(e.times)
	for i > 0 && e.times[i-1] > t {
		i--
	}
	e.times = append(e.times, 0)
	copy(e.times[i+1:], e.times[i:])
	e.times[i] = t
}

// Reset forgets key's failures, e.g. an account's after it signed in.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el := l.keys[key]; el != nil {
		l.remove(el)
	}
}

// Len returns how many keys the limiter tracks now.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// prune drops e's failures that have left the window ending at now.
func (l *Limiter) prune(e *limiterEntry, now time.Time) {
	cutoff := now.Add(-l.window).UnixNano()
	n := 0
	for n < len(e.times) && e.times[n] <= cutoff {
		n++
	}
	if n > 0 {
		e.times = append(e.times[:0], e.times[n:]...)
	}
}

// sweep drops a few of the stalest keys whose failures have all left the
// window, so that memory follows the number of active keys.
func (l *Limiter) sweep(now time.Time) {
	cutoff := now.Add(-l.window).UnixNano()
	for range 2 {
		el := l.lru.Front()
		if el == nil {
			return
		}
		e := el.Value.(*limiterEntry)
		if len(e.times) > 0 && e.times[len(e.times)-1] > cutoff {
			return
		}
		l.remove(el)
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*limiterEntry).key)
	l.lru.Remove(el)
}

func roundUpSeconds(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}
