package postgres_test

import (
	"context"
	"testing"
	"time"
)

// TestLeader: of two nodes one leads; when it stops, the other takes over.
func TestLeader(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	key, err := s.LeaderKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctxA, stopA := context.WithCancel(ctx)
	defer stopA()
	a := s.NewLeader(ctxA, key, 50*time.Millisecond, nil)
	waitFor(t, "a leads", a.IsLeader)
	ctxB, stopB := context.WithCancel(ctx)
	defer stopB()
	b := s.NewLeader(ctxB, key, 50*time.Millisecond, nil)
	time.Sleep(300 * time.Millisecond)
	if b.IsLeader() || !a.IsLeader() {
		t.Fatalf("a=%v b=%v, want only a", a.IsLeader(), b.IsLeader())
	}
	stopA()
	<-a.Done()
	if a.IsLeader() {
		t.Fatal("a still leads after it stopped")
	}
	waitFor(t, "b takes over", b.IsLeader)
	stopB()
	<-b.Done()
}

// TestLeaderKeyPerSchema: deployments in other schemas elect apart.
func TestLeaderKeyPerSchema(t *testing.T) {
	a, b := openTest(t), openTest(t)
	ka, err := a.LeaderKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.LeaderKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ka == kb {
		t.Fatalf("two schemas share leader key %d", ka)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
