package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// TestPragmas pins the settings that "persist before acknowledge" relies on.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	} {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("writer PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
	var qo string
	if err := s.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
		t.Errorf("reader PRAGMA query_only = %q, %v; want 1", qo, err)
	}
}

// TestConflictMessages checks that each unique index maps to its own message.
func TestConflictMessages(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1"}); err != nil {
		t.Fatal(err)
	}
	open := charging.Session{ID: "S-1", ChargerID: "CP-1", ConnectorID: 1, Status: charging.SessionActive, IdempotencyKey: "K"}
	if err := s.CreateSession(ctx, open); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		s    charging.Session
		want string
	}{
		{charging.Session{ID: "S-2", ChargerID: "CP-1", ConnectorID: 1, Status: charging.SessionPending},
			"connector 1 of charger CP-1 already has an open session"},
		{charging.Session{ID: "S-2", ChargerID: "CP-1", ConnectorID: 2, Status: charging.SessionPending, IdempotencyKey: "K"},
			`idempotency key "K" is already used by another session`},
		{charging.Session{ID: "S-1", ChargerID: "CP-1", ConnectorID: 2, Status: charging.SessionPending},
			"session S-1 already exists"},
		{charging.Session{ID: "S-3", ChargerID: "CP-9", ConnectorID: 2, Status: charging.SessionPending},
			"charger CP-9 not found"},
	} {
		err := s.CreateSession(ctx, tt.s)
		if got := charging.ErrorMessage(err); got != tt.want {
			t.Errorf("CreateSession(%s): message %q (err %v), want %q", tt.s.ID, got, err, tt.want)
		}
	}
}
