package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// openFile opens a store on a new file, closed when the test ends, and
// returns it with the file's path.
func openFile(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "joule.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// TestPragmas pins the settings that "persist before acknowledge" relies on.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, _ := openFile(t)
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"wal_autocheckpoint", "0"}, // the checkpointer copies the WAL, not a COMMIT
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
	s, _ := openFile(t)
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

// TestCheckpointer checks that the WAL is copied back into the database by
// the checkpointer's own connection while the store stays usable, and that
// TRUNCATE empties it.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	s, path := openFile(t)
	for i := range 200 {
		if err := s.SaveCharger(ctx, charging.Charger{ID: fmt.Sprintf("CP-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("WAL after 200 writes: %v, %v; want a non-empty file", fi, err)
	}
	var busy, logPages, done int
	if err := s.cp.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done); err != nil {
		t.Fatal(err)
	}
	if busy != 0 || logPages == 0 || done != logPages {
		t.Errorf("PASSIVE checkpoint: busy %d, %d pages in the WAL, %d copied; want all copied", busy, logPages, done)
	}
	if err := s.cp.checkpoint("TRUNCATE"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != 0 {
		t.Errorf("WAL after TRUNCATE: %v, %v; want an empty file", fi, err)
	}
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-after"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCharger(ctx, "CP-after"); err != nil {
		t.Fatalf("read after checkpoint: %v", err)
	}
}

// TestOneProcessPerDataDirectory: a second Open of the same database fails
// at once with a message that says why, and leaves the first one working.
func TestOneProcessPerDataDirectory(t *testing.T) {
	ctx := context.Background()
	s, path := openFile(t)
	second, err := Open(ctx, path)
	if err == nil {
		second.Close()
		t.Fatal("second Open of the same data directory succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "another joule is using this data directory") {
		t.Errorf("second Open: %v, want it to say another joule uses the directory", err)
	}
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1"}); err != nil {
		t.Errorf("first store after the refused second Open: %v", err)
	}
}

// TestCheckpointMode: the checkpointer copies the WAL without holding the
// writer back while it is small, makes the writer start it over past
// walRestartAt and truncates it past walTruncateAt.
func TestCheckpointMode(t *testing.T) {
	for _, tt := range []struct {
		size int64
		want string
	}{
		{0, ""}, {walRestartAt, ""}, {walRestartAt + 1, "RESTART"}, {walTruncateAt, "RESTART"}, {walTruncateAt + 1, "TRUNCATE"},
	} {
		if got := checkpointAfterPassive(tt.size); got != tt.want {
			t.Errorf("WAL of %d bytes after PASSIVE: %q, want %q", tt.size, got, tt.want)
		}
	}
}
