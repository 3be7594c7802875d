package gateway

import (
	"math"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Rate is a token bucket: Burst events at once, then one per Every.
// A negative Burst means no limit.
type Rate struct {
	Burst int
	Every time.Duration
}

func (r Rate) orDefault(d Rate) Rate {
	if r.Burst == 0 {
		r.Burst = d.Burst
	}
	if r.Every <= 0 {
		r.Every = d.Every
	}
	return r
}

// limiter keeps a token bucket per key (a remote address, a charger id).
// Buckets that have refilled are forgotten by a sweep once per refill
// time, so the map holds only keys seen recently: an attacker spraying
// addresses makes it grow with its request rate, not without bound.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket // guarded by mu
	swept   time.Time          // guarded by mu
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, buckets: map[string]*bucket{}}
}

// check reports whether key has a token, without taking it; when it has
// none, wait is how long until it will.
func (l *limiter) check(key string) (ok bool, wait time.Duration) {
	return l.use(key, false)
}

// take takes a token from key's bucket when it has one.
func (l *limiter) take(key string) (ok bool, wait time.Duration) {
	return l.use(key, true)
}

func (l *limiter) use(key string, take bool) (bool, time.Duration) {
	if l.rate.Burst < 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		if !take {
			return true, 0 // a full bucket: nothing to remember yet
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
	}
	if take {
		b.tokens--
	}
	return true, 0
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+float64(d)/float64(l.rate.Every))
		b.at = now
	}
}

// sweep forgets full buckets, at most once per refill time; l.mu is held.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(l.rate.Burst) * l.rate.Every
	if now.Sub(l.swept) < full {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
}

// ipKey is the key of the per-address limits: the IP of a host:port, with
// IPv6 addresses reduced to their /64 (one subscriber's share: counting
// each address of it apart would give an attacker 2^64 budgets).
func ipKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// retryAfter renders a wait as a Retry-After value: whole seconds, at
// least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
