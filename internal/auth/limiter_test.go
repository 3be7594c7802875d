package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func wantAllow(t *testing.T, l *Limiter, key string, now time.Time, wantOK bool, wantRetry time.Duration) {
	t.Helper()
	ok, retry := l.Allow(key, now)
	if ok != wantOK || retry != wantRetry {
		t.Errorf("Allow(%q, t0+%v) = %v, %v; want %v, %v", key, now.Sub(t0), ok, retry, wantOK, wantRetry)
	}
}

func TestLimiterSlidingWindow(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	wantAllow(t, l, "a", at(0), true, 0)
	l.Fail("a", at(0))
	l.Fail("a", at(10*time.Second))
	wantAllow(t, l, "a", at(15*time.Second), true, 0)
	l.Fail("a", at(20*time.Second))
	// Three failures within the minute: locked until the first leaves it.
	wantAllow(t, l, "a", at(20*time.Second), false, 40*time.Second)
	wantAllow(t, l, "a", at(30*time.Second), false, 30*time.Second)
	// Other keys are independent.
	wantAllow(t, l, "b", at(30*time.Second), true, 0)
	// Rounded up to whole seconds, at least one.
	wantAllow(t, l, "a", at(30*time.Second+200*time.Millisecond), false, 30*time.Second)
	wantAllow(t, l, "a", at(59*time.Second+100*time.Millisecond), false, time.Second)
	wantAllow(t, l, "a", at(time.Minute-time.Nanosecond), false, time.Second)
	// At exactly t0+1m the first failure has left the window.
	wantAllow(t, l, "a", at(time.Minute), true, 0)
	// A new failure locks again, now until the second one (t0+10s) leaves.
	l.Fail("a", at(time.Minute))
	wantAllow(t, l, "a", at(time.Minute+time.Second), false, 9*time.Second)
	wantAllow(t, l, "a", at(70*time.Second), true, 0)
	// Long after, everything has left and the key is forgotten.
	wantAllow(t, l, "a", at(time.Hour), true, 0)
	if n := l.Len(); n != 0 {
		t.Errorf("Len after the window = %d, want 0", n)
	}
}

func TestLimiterFailuresPastMaxSlideTheWindow(t *testing.T) {
	l := NewLimiter(2, time.Minute)
	l.Fail("a", at(0))
	l.Fail("a", at(10*time.Second))
	l.Fail("a", at(30*time.Second)) // while locked: still counted
	// The newest two (t0+10s, t0+30s) decide.
	wantAllow(t, l, "a", at(65*time.Second), false, 5*time.Second)
	wantAllow(t, l, "a", at(70*time.Second), true, 0)
	if got := len(l.keys["a"].Value.(*limiterEntry).times); got != 1 {
		t.Errorf("kept %d timestamps, want 1", got)
	}
}

func TestLimiterOutOfOrderFailures(t *testing.T) {
	l := NewLimiter(2, time.Minute)
	l.Fail("a", at(10*time.Second))
	l.Fail("a", at(5*time.Second))
	wantAllow(t, l, "a", at(20*time.Second), false, 45*time.Second)
	// Older than both kept ones: changes nothing.
	l.Fail("a", at(time.Second))
	wantAllow(t, l, "a", at(20*time.Second), false, 45*time.Second)
	l.Fail("a", at(15*time.Second))
	wantAllow(t, l, "a", at(20*time.Second), false, 50*time.Second)
}

func TestLimiterReset(t *testing.T) {
	l := NewLimiter(1, time.Hour)
	l.Fail("alice@example.com", at(0))
	l.Fail("bob@example.com", at(0))
	wantAllow(t, l, "alice@example.com", at(time.Second), false, 3599*time.Second)
	l.Reset("alice@example.com")
	wantAllow(t, l, "alice@example.com", at(time.Second), true, 0)
	wantAllow(t, l, "bob@example.com", at(time.Second), false, 3599*time.Second)
	l.Reset("nobody") // no-op
	if n := l.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}

func TestLimiterAllowRecordsNothing(t *testing.T) {
	l := NewLimiter(1, time.Minute)
	for i := range 100 {
		wantAllow(t, l, fmt.Sprint("k", i), at(0), true, 0)
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len after Allow only = %d, want 0", n)
	}
}

func TestLimiterEvictsStalest(t *testing.T) {
	l := NewLimiter(1, time.Hour)
	l.maxKeys = 3
	l.Fail("a", at(0))
	l.Fail("b", at(time.Second))
	l.Fail("c", at(2*time.Second))
	l.Fail("a", at(3*time.Second)) // a is now the freshest
	l.Fail("d", at(4*time.Second)) // evicts b
	if n := l.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	wantAllow(t, l, "b", at(5*time.Second), true, 0)
	wantAllow(t, l, "a", at(5*time.Second), false, 3598*time.Second)
	wantAllow(t, l, "c", at(5*time.Second), false, 3597*time.Second)
	wantAllow(t, l, "d", at(5*time.Second), false, 3599*time.Second)
}

func TestLimiterSweepsExpiredKeys(t *testing.T) {
	l := NewLimiter(5, time.Minute)
	l.Fail("k1", at(0))
	l.Fail("k2", at(0))
	l.Fail("k3", at(0))
	l.Fail("x", at(2*time.Minute)) // sweeps the two stalest expired keys
	if n := l.Len(); n != 2 {
		t.Errorf("Len = %d, want 2 (k3 and x)", n)
	}
	if _, ok := l.keys["k3"]; !ok {
		t.Error("k3 was swept too early")
	}
}

func TestLimiterMemoryCap(t *testing.T) {
	l := NewLimiter(1, time.Hour)
	const extra = 10
	for i := range MaxLimiterKeys + extra {
		l.Fail(fmt.Sprint("10.0.", i/256, ".", i%256), at(time.Duration(i)*time.Millisecond))
	}
	if n := l.Len(); n != MaxLimiterKeys {
		t.Fatalf("Len = %d, want %d", n, MaxLimiterKeys)
	}
	if n := l.lru.Len(); n != MaxLimiterKeys {
		t.Fatalf("LRU list has %d entries, want %d", n, MaxLimiterKeys)
	}
	now := at(200 * time.Second)
	for i := range extra {
		wantAllow(t, l, fmt.Sprint("10.0.", i/256, ".", i%256), now, true, 0) // evicted
	}
	last := MaxLimiterKeys + extra - 1
	if ok, _ := l.Allow(fmt.Sprint("10.0.", last/256, ".", last%256), now); ok {
		t.Error("the newest key was evicted")
	}
	if ok, _ := l.Allow(fmt.Sprint("10.0.", extra/256, ".", extra%256), now); ok {
		t.Error("the oldest kept key was evicted")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := NewLimiter(100, time.Minute)
	now := at(0)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprint("k", i%4)
				l.Allow(key, now)
				l.Fail(key, now.Add(time.Duration(g)*time.Millisecond))
				if i%50 == 49 {
					l.Reset(fmt.Sprint("other", g))
				}
				l.Fail(fmt.Sprint("other", g), now)
				l.Len()
			}
		})
	}
	wg.Wait()
	// 800 failures per k-key, of which only the newest 100 are kept.
	for i := range 4 {
		key := fmt.Sprint("k", i)
		e := l.keys[key].Value.(*limiterEntry)
		if len(e.times) != 100 {
			t.Errorf("%s keeps %d timestamps, want 100", key, len(e.times))
		}
		for j := 1; j < len(e.times); j++ {
			if e.times[j] < e.times[j-1] {
				t.Fatalf("%s timestamps out of order at %d", key, j)
			}
		}
		// The newest 100 include all 50 of the last goroutine (t0+15ms).
		if got := time.Unix(0, e.times[len(e.times)-1]).Sub(now); got != 15*time.Millisecond {
			t.Errorf("%s newest failure at t0+%v, want t0+15ms", key, got)
		}
		wantAllow(t, l, key, now.Add(time.Second), false, time.Minute)
	}
	if n := l.Len(); n != 4+16 {
		t.Errorf("Len = %d, want 20", n)
	}
}

func TestNewLimiterPanicsOnNonsense(t *testing.T) {
	for _, tc := range []struct {
		max    int
		window time.Duration
	}{{0, time.Minute}, {5, 0}, {-1, -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewLimiter(%d, %v) did not panic", tc.max, tc.window)
				}
			}()
			NewLimiter(tc.max, tc.window)
		}()
	}
}
