package inmem_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/inmem"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var ctx = context.Background()

// drain returns the events buffered in sub without waiting.
func drain(sub charging.Subscription) (events []charging.Event, closed bool) {
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

func ids(events []charging.Event) []uint64 {
	out := make([]uint64, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
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

func TestBusAssignsIncreasingIDsAndTime(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	b := inmem.NewBus(inmem.WithFirstID(1), inmem.WithClock(func() time.Time { return now }))
	sub := b.Subscribe(charging.EventFilter{})
	defer sub.Close()

	given := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b.Publish(ctx, charging.Event{Type: charging.EventChargerConnected, ChargerID: "CP-1", ID: 99})
	b.Publish(ctx, charging.Event{Type: charging.EventChargerBooted, ChargerID: "CP-1", Time: given})

	got, closed := drain(sub)
	if closed {
		t.Fatal("subscription closed, want open")
	}
	if !equalIDs(ids(got), []uint64{1, 2}) {
		t.Fatalf("ids = %v, want [1 2]", ids(got))
	}
	if !got[0].Time.Equal(now) || got[0].Time.Location() != time.UTC {
		t.Errorf("stamped time = %v, want %v in UTC", got[0].Time, now.UTC())
	}
	if !got[1].Time.Equal(given) {
		t.Errorf("given time = %v, want %v kept", got[1].Time, given)
	}
	if b.LastID() != 2 {
		t.Errorf("LastID = %d, want 2", b.LastID())
	}
}

func TestBusFilter(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1))
	all := b.Subscribe(charging.EventFilter{})
	cp1 := b.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	s1 := b.Subscribe(charging.EventFilter{SessionID: "S-1"})
	defer all.Close()
	defer cp1.Close()
	defer s1.Close()

	b.Publish(ctx, charging.Event{Type: "a", ChargerID: "CP-1"})                   // 1
	b.Publish(ctx, charging.Event{Type: "b", ChargerID: "CP-2", SessionID: "S-1"}) // 2
	b.Publish(ctx, charging.Event{Type: "c", ChargerID: "CP-1", SessionID: "S-2"}) // 3

	for _, tc := range []struct {
		name string
		sub  charging.Subscription
		want []uint64
	}{
		{"all", all, []uint64{1, 2, 3}},
		{"charger", cp1, []uint64{1, 3}},
		{"session", s1, []uint64{2}},
	} {
		got, _ := drain(tc.sub)
		if !equalIDs(ids(got), tc.want) {
			t.Errorf("%s: ids = %v, want %v", tc.name, ids(got), tc.want)
		}
	}
}

func TestBusDropsSlowSubscriber(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1), inmem.WithBuffer(2))
	slow := b.Subscribe(charging.EventFilter{})
	fast := b.Subscribe(charging.EventFilter{})
	defer fast.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 {
			b.Publish(ctx, charging.Event{Type: "x"})
			drain(fast)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a full subscriber")
	}

	got, closed := drain(slow)
	if !closed {
		t.Fatal("slow subscriber still open, want dropped (channel closed)")
	}
	if !equalIDs(ids(got), []uint64{1, 2}) {
		t.Errorf("slow subscriber got %v before the drop, want [1 2]", ids(got))
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
}

func TestSubscriptionCloseIdempotent(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1))
	sub := b.Subscribe(charging.EventFilter{})
	sub.Close()
	sub.Close()
	if _, ok := <-sub.Events(); ok {
		t.Fatal("Events not closed after Close")
	}
	b.Publish(ctx, charging.Event{Type: "x"}) // must not panic on the closed channel
	if b.Subscribers() != 0 {
		t.Errorf("Subscribers = %d, want 0", b.Subscribers())
	}
	if b.Dropped() != 0 {
		t.Errorf("Dropped = %d, want 0 (Close is not a drop)", b.Dropped())
	}
}

func TestSubscribeFromReplaysThenLive(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1))
	for range 5 {
		b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"})
	}
	b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-2"}) // 6

	sub := b.SubscribeFrom(charging.EventFilter{ChargerID: "CP-1"}, 3)
	defer sub.Close()
	b.Publish(ctx, charging.Event{Type: "x", ChargerID: "CP-1"}) // 7

	got, _ := drain(sub)
	if want := []uint64{4, 5, 7}; !equalIDs(ids(got), want) {
		t.Errorf("ids = %v, want %v", ids(got), want)
	}
}

func TestSubscribeFromCases(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history int
		publish int
		after   uint64
		want    []uint64
	}{
		{"up to date", 10, 5, 5, nil},
		{"from zero", 10, 3, 0, []uint64{1, 2, 3}},
		{"older than history", 3, 6, 1, []uint64{4, 5, 6}},
		{"ring wrapped", 4, 9, 6, []uint64{7, 8, 9}},
		{"unknown future id", 4, 2, 100, []uint64{1, 2}},
		{"no history", 0, 3, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := inmem.NewBus(inmem.WithFirstID(1), inmem.WithHistory(tc.history))
			for range tc.publish {
				b.Publish(ctx, charging.Event{Type: "x"})
			}
			sub := b.SubscribeFrom(charging.EventFilter{}, tc.after)
			defer sub.Close()
			got, _ := drain(sub)
			if !equalIDs(ids(got), tc.want) {
				t.Errorf("ids = %v, want %v", ids(got), tc.want)
			}
		})
	}
}

func TestSubscribeFromReplayLargerThanBuffer(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1), inmem.WithBuffer(2), inmem.WithHistory(10))
	for range 8 {
		b.Publish(ctx, charging.Event{Type: "x"})
	}
	sub := b.SubscribeFrom(charging.EventFilter{}, 0)
	defer sub.Close()
	b.Publish(ctx, charging.Event{Type: "x"})
	b.Publish(ctx, charging.Event{Type: "x"})
	got, closed := drain(sub)
	if closed {
		t.Fatal("dropped during replay, want the buffer to make room for the replay")
	}
	if len(got) != 10 || got[0].ID != 1 || got[9].ID != 10 {
		t.Errorf("ids = %v, want 1..10", ids(got))
	}
}

func TestBusClose(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1))
	sub := b.Subscribe(charging.EventFilter{})
	b.Close()
	b.Close()
	if _, ok := <-sub.Events(); ok {
		t.Error("subscription open after Bus.Close")
	}
	sub.Close()
	b.Publish(ctx, charging.Event{Type: "x"})
	if b.LastID() != 0 {
		t.Errorf("LastID = %d after publishing on a closed bus, want 0", b.LastID())
	}
	late := b.Subscribe(charging.EventFilter{})
	if _, ok := <-late.Events(); ok {
		t.Error("subscription on a closed bus is open, want closed")
	}
	late.Close()
}

// TestBusConcurrent publishes, subscribes and closes from many goroutines
// (run with -race) and checks each subscriber sees increasing ids.
func TestBusConcurrent(t *testing.T) {
	b := inmem.NewBus(inmem.WithFirstID(1), inmem.WithBuffer(64), inmem.WithHistory(32))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 500 {
				b.Publish(ctx, charging.Event{Type: "x"})
			}
		})
	}
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				var sub charging.Subscription
				if i%2 == 0 {
					sub = b.Subscribe(charging.EventFilter{})
				} else {
					sub = b.SubscribeFrom(charging.EventFilter{}, b.LastID()/2)
				}
				var last uint64
				for n := 0; n < 50; n++ {
					e, ok := <-sub.Events()
					if !ok {
						break
					}
					if e.ID <= last {
						t.Errorf("id %d after %d, want increasing", e.ID, last)
					}
					last = e.ID
					if b.LastID() >= 2000 {
						break
					}
				}
				sub.Close()
				sub.Close()
			}
		})
	}
	// Readers may wait for events after publishers finished; keep publishing
	// until every reader is done.
	stop := make(chan struct{})
	var pub sync.WaitGroup
	pub.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				b.Publish(ctx, charging.Event{Type: "tick"})
				time.Sleep(100 * time.Microsecond)
			}
		}
	})
	wg.Wait()
	close(stop)
	pub.Wait()
	if n := b.Subscribers(); n != 0 {
		t.Errorf("Subscribers = %d after every Close, want 0", n)
	}
}

// TestResumeFrom: a replay is complete only when every event after the
// client's id is still kept; ids continue across a restart (a new bus),
// so an id from before it is recognised as such.
func TestResumeFrom(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	b := inmem.NewBus(inmem.WithHistory(3), inmem.WithClock(func() time.Time { return now }))
	first := b.LastID() + 1
	if first != uint64(now.UnixMicro()) {
		t.Fatalf("first id = %d, want the clock's microseconds %d", first, now.UnixMicro())
	}
	for range 5 {
		b.Publish(context.Background(), charging.Event{Type: "x"})
	}
	last := b.LastID()
	for _, tc := range []struct {
		name     string
		after    uint64
		complete bool
	}{
		{"up to date", last, true},
		{"within the history", last - 3, true},
		{"just older than the history", last - 4, false},
		{"from before the bus started", first - 1, false},
		{"never issued", last + 1, false},
	} {
		sub, ok := b.ResumeFrom(charging.EventFilter{}, tc.after)
		sub.Close()
		if ok != tc.complete {
			t.Errorf("%s: complete = %v, want %v", tc.name, ok, tc.complete)
		}
	}
	// A restart: the new bus's ids are above the old ones.
	later := inmem.NewBus(inmem.WithClock(func() time.Time { return now.Add(time.Second) }))
	if later.LastID() < last {
		t.Errorf("after a restart the ids start at %d, below the old %d", later.LastID()+1, last)
	}
	if _, ok := later.ResumeFrom(charging.EventFilter{}, last); ok {
		t.Error("an id from before the restart resumed as complete")
	}
}
