package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/postgres"
	"github.com/joule-ev/joule/internal/postgres/pgtest"
)

// TestTouchesWritten checks last-seen times noted in memory: this node
// reads them at once, another node once they are flushed, and Close
// writes what is left.
func TestTouchesWritten(t *testing.T) {
	ctx := context.Background()
	schema, _ := pgtest.Schema(t)
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, pgtest.BaseURL(t), postgres.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	defer b.Close()
	if err := a.SaveCharger(ctx, charging.Charger{ID: "CP-1", OCPPVersion: charging.OCPP16, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	seen := func(s *postgres.Store) *time.Time {
		t.Helper()
		c, err := s.GetCharger(ctx, "CP-1")
		if err != nil {
			t.Fatal(err)
		}
		return c.LastSeenAt
	}
	t1 := time.Now().UTC().Truncate(time.Microsecond)
	if err := a.TouchCharger(ctx, "CP-1", t1); err != nil {
		t.Fatal(err)
	}
	if got := seen(a); got == nil || !got.Equal(t1) {
		t.Fatalf("this node reads %v, want %v at once", got, t1)
	}
	deadline := time.Now().Add(10 * time.Second)
	for got := seen(b); got == nil || !got.Equal(t1); got = seen(b) {
		if time.Now().After(deadline) {
			t.Fatalf("the other node still reads %v, want %v after the flush", got, t1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// An older time noted later does not go back; Close writes a newer one.
	if err := a.TouchCharger(ctx, "CP-1", t1.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	t2 := t1.Add(time.Minute)
	if err := a.TouchCharger(ctx, "CP-1", t2); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := seen(b); got == nil || !got.Equal(t2) {
		t.Errorf("after Close the other node reads %v, want %v", got, t2)
	}
}
