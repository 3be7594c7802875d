package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// TestDiskFull: a write that fails because the database cannot grow (the
// disk is full; here SQLite's page limit stands in for it) is
// ESTORAGEFULL, writes nothing, and makes Ping report the store not ready
// until a write succeeds again.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	s, _ := openFile(t)
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	flags := []string{strings.Repeat("x", 4000)} // a session that needs pages of its own
	var full error
	for i := range 200 {
		ses := charging.Session{ID: fmt.Sprintf("S-%d", i), ChargerID: "CP-1", Status: charging.SessionFinished,
			CreatedAt: now, UpdatedAt: now, Flags: flags}
		if err := s.CreateSession(ctx, ses); err != nil {
			full = err
			if _, gerr := s.GetSession(ctx, ses.ID); charging.ErrorCode(gerr) != charging.ENOTFOUND {
				t.Errorf("the failed session was stored: %v", gerr)
			}
			break
		}
	}
	if charging.ErrorCode(full) != charging.ESTORAGEFULL {
		t.Fatalf("write on a full database = %v (code %q), want storage_full", full, charging.ErrorCode(full))
	}
	if err := s.Ping(ctx); charging.ErrorCode(err) != charging.ESTORAGEFULL {
		t.Errorf("Ping while full = %v, want storage_full", err)
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, charging.Session{ID: "S-after", ChargerID: "CP-1", Status: charging.SessionFinished, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatalf("write after space came back: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after a write succeeded = %v, want ready", err)
	}
}
