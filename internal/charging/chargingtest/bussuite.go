package chargingtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Bus is what the API and the node use of an event bus (inmem.Bus,
// natsbus.Bus).
type Bus interface {
	charging.EventBus
	SubscribeFrom(f charging.EventFilter, afterID uint64) charging.Subscription
	ResumeFrom(f charging.EventFilter, afterID uint64) (charging.Subscription, bool)
	Subscribers() int
	LastID() uint64
	Dropped() uint64
	Close()
}

// busWait bounds every wait for an event: a bus may deliver
// asynchronously (natsbus), so the suite waits for what it expects rather
// than reading what is buffered.
const busWait = 10 * time.Second

// EventBusSuite runs the behaviour every event bus shares. newBus returns
// an empty bus whose subscribers buffer the given number of events
// (0: the bus's default); the suite closes it. Ids are checked relative
// to the bus's LastID before the test's first event.
func EventBusSuite(t *testing.T, newBus func(t *testing.T, buffer int) Bus) {
	ctx := context.Background()
	ev := func(typ, charger, session string) charging.Event {
		return charging.Event{Type: typ, ChargerID: charger, SessionID: session}
	}

	t.Run("IDsAndTime", func(t *testing.T) {
		b := newBus(t, 0)
		defer b.Close()
		base := b.LastID()
		sub := b.Subscribe(charging.EventFilter{})
		defer sub.Close()
		given := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		before := time.Now()
		b.Publish(ctx, charging.Event{Type: charging.EventChargerConnected, ChargerID: "CP-1", ID: 99})
		b.Publish(ctx, charging.Event{Type: charging.EventChargerBooted, ChargerID: "CP-1", Time: given})
		got := RecvEvents(t, sub, 2)
		after := time.Now()
		WantIDs(t, got, base+1, base+2)
		if got[0].Time.Before(before.Add(-time.Second)) || got[0].Time.After(after) || got[0].Time.Location() != time.UTC {
			t.Errorf("stamped time = %v, want now (%v..%v) in UTC", got[0].Time, before, after)
		}
		if !got[1].Time.Equal(given) {
			t.Errorf("given time = %v, want %v kept", got[1].Time, given)
		}
		if got[0].Type != charging.EventChargerConnected || got[1].Type != charging.EventChargerBooted || got[1].ChargerID != "CP-1" {
			t.Errorf("events = %+v", got)
		}
		if b.LastID() != base+2 {
			t.Errorf("LastID = %d, want %d", b.LastID(), base+2)
		}
	})

	t.Run("Filter", func(t *testing.T) {
		b := newBus(t, 0)
		defer b.Close()
		base := b.LastID()
		all := b.Subscribe(charging.EventFilter{})
		cp1 := b.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
		s1 := b.Subscribe(charging.EventFilter{SessionID: "S-1"})
		both := b.Subscribe(charging.EventFilter{ChargerID: "CP-1", SessionID: "S-2"})
		defer all.Close()
		defer cp1.Close()
		defer s1.Close()
		defer both.Close()
		b.Publish(ctx, ev("a", "CP-1", ""))    // 1
		b.Publish(ctx, ev("b", "CP-2", "S-1")) // 2
		b.Publish(ctx, ev("c", "CP-1", "S-2")) // 3
		b.Publish(ctx, ev("d", "", ""))        // 4: a site event
		WantIDs(t, RecvEvents(t, all, 4), base+1, base+2, base+3, base+4)
		// Every subscriber got event 4's turn by now: read what is buffered.
		for _, tc := range []struct {
			name string
			sub  charging.Subscription
			want []uint64
		}{
			{"charger", cp1, []uint64{base + 1, base + 3}},
			{"session", s1, []uint64{base + 2}},
			{"charger and session", both, []uint64{base + 3}},
		} {
			got, closed := DrainEvents(tc.sub)
			if closed {
				t.Errorf("%s: closed", tc.name)
			}
			if !equalIDs(EventIDs(got), tc.want) {
				t.Errorf("%s: ids = %v, want %v", tc.name, EventIDs(got), tc.want)
			}
		}
	})

	t.Run("DropsSlowSubscriber", func(t *testing.T) {
		b := newBus(t, 2)
		defer b.Close()
		base := b.LastID()
		slow := b.Subscribe(charging.EventFilter{})
		fast := b.Subscribe(charging.EventFilter{})
		defer fast.Close()
		start := time.Now()
		for i := range 3 {
			b.Publish(ctx, ev("x", "CP-1", ""))
			WantIDs(t, RecvEvents(t, fast, 1), base+uint64(i)+1)
		}
		if d := time.Since(start); d > busWait/2 {
			t.Errorf("3 publishes took %v", d)
		}
		got := readUntilClosed(t, slow)
		if !equalIDs(EventIDs(got), []uint64{base + 1, base + 2}) {
			t.Errorf("slow subscriber got %v before the drop, want [%d %d]", EventIDs(got), base+1, base+2)
		}
		if b.Dropped() != 1 {
			t.Errorf("Dropped = %d, want 1", b.Dropped())
		}
		if b.Subscribers() != 1 {
			t.Errorf("Subscribers = %d, want 1 (the fast one)", b.Subscribers())
		}
		slow.Close() // closing a dropped subscription is a no-op
		slow.Close()
		if b.Dropped() != 1 {
			t.Errorf("Dropped after Close = %d, want 1", b.Dropped())
		}
	})

	t.Run("SubscriptionCloseIdempotent", func(t *testing.T) {
		b := newBus(t, 0)
		defer b.Close()
		base := b.LastID()
		sub := b.Subscribe(charging.EventFilter{})
		sub.Close()
		sub.Close()
		readUntilClosed(t, sub)
		b.Publish(ctx, ev("x", "CP-1", "")) // must not panic on the closed channel
		WaitLastID(t, b, base+1)
		if b.Subscribers() != 0 {
			t.Errorf("Subscribers = %d, want 0", b.Subscribers())
		}
		if b.Dropped() != 0 {
			t.Errorf("Dropped = %d, want 0 (Close is not a drop)", b.Dropped())
		}
	})

	t.Run("SubscribeFromReplaysThenLive", func(t *testing.T) {
		b := newBus(t, 0)
		defer b.Close()
		base := b.LastID()
		for range 5 {
			b.Publish(ctx, ev("x", "CP-1", ""))
		}
		b.Publish(ctx, ev("x", "CP-2", "")) // 6
		WaitLastID(t, b, base+6)
		sub := b.SubscribeFrom(charging.EventFilter{ChargerID: "CP-1"}, base+3)
		defer sub.Close()
		b.Publish(ctx, ev("x", "CP-1", "")) // 7
		WantIDs(t, RecvEvents(t, sub, 3), base+4, base+5, base+7)
		b.Publish(ctx, ev("x", "CP-2", "")) // 8
		b.Publish(ctx, ev("x", "CP-1", "")) // 9
		WantIDs(t, RecvEvents(t, sub, 1), base+9)
	})

	t.Run("ResumeFrom", func(t *testing.T) {
		b := newBus(t, 0)
		defer b.Close()
		base := b.LastID()
		for range 5 {
			b.Publish(ctx, ev("x", "CP-1", ""))
		}
		last := WaitLastID(t, b, base+5)
		for _, tc := range []struct {
			name     string
			after    uint64
			complete bool
			replay   []uint64
		}{
			{"up to date", last, true, nil},
			{"within the history", last - 2, true, []uint64{last - 1, last}},
			{"from before the first event", base, true, []uint64{base + 1, base + 2, base + 3, base + 4, base + 5}},
			{"never issued", last + 1, false, nil},
		} {
			sub, ok := b.ResumeFrom(charging.EventFilter{}, tc.after)
			if ok != tc.complete {
				t.Errorf("%s: complete = %v, want %v", tc.name, ok, tc.complete)
			}
			if tc.complete {
				WantIDs(t, RecvEvents(t, sub, len(tc.replay)), tc.replay...)
			}
			sub.Close()
		}
	})

	t.Run("ReplayLargerThanBuffer", func(t *testing.T) {
		b := newBus(t, 2)
		defer b.Close()
		base := b.LastID()
		for range 8 {
			b.Publish(ctx, ev("x", "CP-1", ""))
		}
		WaitLastID(t, b, base+8)
		sub := b.SubscribeFrom(charging.EventFilter{}, base)
		defer sub.Close()
		b.Publish(ctx, ev("x", "CP-1", ""))
		b.Publish(ctx, ev("x", "CP-1", ""))
		WaitLastID(t, b, base+10)
		got := RecvEvents(t, sub, 10)
		want := make([]uint64, 10)
		for i := range want {
			want[i] = base + uint64(i) + 1
		}
		WantIDs(t, got, want...)
	})

	// A resume while events are being published: the replay hands over to
	// live delivery without a gap or a duplicate.
	t.Run("ResumeWhilePublishing", func(t *testing.T) {
		b := newBus(t, 1024)
		defer b.Close()
		base := b.LastID()
		for range 50 {
			b.Publish(ctx, ev("x", "CP-1", ""))
		}
		WaitLastID(t, b, base+50)
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 100 {
				b.Publish(ctx, ev("y", "CP-1", ""))
			}
		})
		subs := make([]charging.Subscription, 0, 10)
		for i := range 10 {
			subs = append(subs, b.SubscribeFrom(charging.EventFilter{ChargerID: "CP-1"}, base+uint64(i)*5))
		}
		wg.Wait()
		for i, sub := range subs {
			from := base + uint64(i)*5 + 1
			got := RecvEvents(t, sub, int(base+150-from+1))
			want := make([]uint64, 0, len(got))
			for id := from; id <= base+150; id++ {
				want = append(want, id)
			}
			WantIDs(t, got, want...)
			sub.Close()
		}
	})

	t.Run("Close", func(t *testing.T) {
		b := newBus(t, 0)
		base := b.LastID()
		b.Publish(ctx, ev("x", "CP-1", ""))
		last := WaitLastID(t, b, base+1)
		sub := b.Subscribe(charging.EventFilter{})
		b.Close()
		b.Close()
		readUntilClosed(t, sub)
		sub.Close()
		b.Publish(ctx, ev("x", "CP-1", ""))
		if b.LastID() != last {
			t.Errorf("LastID = %d after publishing on a closed bus, want %d", b.LastID(), last)
		}
		late := b.Subscribe(charging.EventFilter{})
		readUntilClosed(t, late)
		late.Close()
		resumed, _ := b.ResumeFrom(charging.EventFilter{}, 0)
		readUntilClosed(t, resumed)
		resumed.Close()
		if b.Subscribers() != 0 {
			t.Errorf("Subscribers = %d after Close, want 0", b.Subscribers())
		}
	})

	// Publishing, subscribing, resuming and closing from many goroutines
	// (run with -race): every subscriber sees increasing ids.
	t.Run("Concurrent", func(t *testing.T) {
		b := newBus(t, 64)
		defer b.Close()
		stop := make(chan struct{})
		var pub sync.WaitGroup
		for range 4 {
			pub.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						b.Publish(ctx, ev("x", "CP-1", ""))
						time.Sleep(200 * time.Microsecond)
					}
				}
			})
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for range 10 {
					var sub charging.Subscription
					if i%2 == 0 {
						sub = b.Subscribe(charging.EventFilter{})
					} else {
						sub = b.SubscribeFrom(charging.EventFilter{}, b.LastID()/2)
					}
					var last uint64
					timeout := time.After(busWait)
				read:
					for range 30 {
						select {
						case e, ok := <-sub.Events():
							if !ok {
								break read
							}
							if e.ID <= last {
								t.Errorf("id %d after %d, want increasing", e.ID, last)
							}
							last = e.ID
						case <-timeout:
							t.Error("no event in time")
							break read
						}
					}
					sub.Close()
					sub.Close()
				}
			})
		}
		wg.Wait()
		close(stop)
		pub.Wait()
		if n := b.Subscribers(); n != 0 {
			t.Errorf("Subscribers = %d after every Close, want 0", n)
		}
	})
}

// RecvEvents waits for n events on sub (busWait at most).
func RecvEvents(t testing.TB, sub charging.Subscription, n int) []charging.Event {
	t.Helper()
	out := make([]charging.Event, 0, n)
	timeout := time.After(busWait)
	for len(out) < n {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatalf("subscription closed after %d of %d events (ids %v)", len(out), n, EventIDs(out))
			}
			out = append(out, e)
		case <-timeout:
			t.Fatalf("got %d of %d events in %v (ids %v)", len(out), n, busWait, EventIDs(out))
		}
	}
	return out
}

// DrainEvents returns the events buffered in sub without waiting.
func DrainEvents(sub charging.Subscription) (events []charging.Event, closed bool) {
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				return events, true
			}
			events = append(events, e)
		default:
			return events, false
		}
	}
}

// readUntilClosed returns what sub delivers until its channel is closed
// (busWait at most).
func readUntilClosed(t testing.TB, sub charging.Subscription) []charging.Event {
	t.Helper()
	var out []charging.Event
	timeout := time.After(busWait)
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				return out
			}
			out = append(out, e)
		case <-timeout:
			t.Fatalf("subscription still open after %v (got ids %v)", busWait, EventIDs(out))
		}
	}
}

// WaitLastID waits until b.LastID() is at least id and returns it.
func WaitLastID(t testing.TB, b interface{ LastID() uint64 }, id uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(busWait)
	for {
		if last := b.LastID(); last >= id {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("LastID = %d after %v, want %d", b.LastID(), busWait, id)
		}
		time.Sleep(time.Millisecond)
	}
}

// EventIDs returns the events' ids.
func EventIDs(events []charging.Event) []uint64 {
	out := make([]uint64, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// WantIDs fails t unless the events have the ids, in order.
func WantIDs(t testing.TB, events []charging.Event, want ...uint64) {
	t.Helper()
	if got := EventIDs(events); !equalIDs(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
}

func equalIDs(got, want []uint64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
