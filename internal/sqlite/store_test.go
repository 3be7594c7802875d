package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/sqlite"
)

// openTemp opens a store on a new file in a temp directory and closes it
// when the test ends.
func openTemp(t testing.TB, opts ...sqlite.Option) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "joule.db") // "data" does not exist yet
	s, err := sqlite.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestStoreSuite(t *testing.T) {
	chargingtest.StoreSuite(t, func(t *testing.T) charging.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestStoreSuiteMemory(t *testing.T) {
	chargingtest.StoreSuite(t, func(t *testing.T) charging.Store {
		s, err := sqlite.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatalf("Open(:memory:): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "joule.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	c := charging.Charger{ID: "CP-1", Vendor: "V", Online: true, CreatedAt: now}
	sess := charging.Session{ID: "S-1", ChargerID: "CP-1", ConnectorID: 1, Status: charging.SessionActive, CreatedAt: now, UpdatedAt: now}
	m := charging.MeterSample{SessionID: "S-1", ChargerID: "CP-1", ConnectorID: 1, Timestamp: now, Measurand: "Energy.Active.Import.Register", Value: 42}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"SaveCharger", func() error { return s.SaveCharger(ctx, c) }},
		{"SaveConnector", func() error {
			return s.SaveConnector(ctx, "CP-1", charging.Connector{ConnectorID: 1, Status: charging.StatusCharging, UpdatedAt: now})
		}},
		{"CreateSession", func() error { return s.CreateSession(ctx, sess) }},
		{"AddMeterSamples", func() error { return s.AddMeterSamples(ctx, []charging.MeterSample{m}, &sess) }},
		{"SaveIDTag", func() error {
			return s.SaveIDTag(ctx, charging.IDTag{IDTag: "TAG", Status: charging.AuthAccepted, CreatedAt: now, UpdatedAt: now})
		}},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
	}
	tx1, err := s.NextTransactionID(ctx)
	if err != nil {
		t.Fatalf("NextTransactionID: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	gc, err := s.GetCharger(ctx, "CP-1")
	if err != nil || gc.Vendor != "V" || len(gc.Connectors) != 1 || !gc.CreatedAt.Equal(now) {
		t.Errorf("after reopen: GetCharger = %+v, %v; want vendor V, 1 connector, created %v", gc, err, now)
	}
	gs, err := s.GetSession(ctx, "S-1")
	if err != nil || gs.Status != charging.SessionActive {
		t.Errorf("after reopen: GetSession = %+v, %v; want active", gs, err)
	}
	page, err := s.ListMeterSamples(ctx, charging.MeterQuery{SessionID: "S-1"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Value != 42 {
		t.Errorf("after reopen: ListMeterSamples = %+v, %v; want one sample of 42", page.Items, err)
	}
	if _, err := s.GetIDTag(ctx, "TAG"); err != nil {
		t.Errorf("after reopen: GetIDTag: %v", err)
	}
	tx2, err := s.NextTransactionID(ctx)
	if err != nil || tx2 <= tx1 {
		t.Errorf("after reopen: NextTransactionID = %d, %v; want > %d", tx2, err, tx1)
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "joule.db")

	// Without migrating: everything pending, data methods refuse.
	s, err := sqlite.Open(ctx, path, sqlite.WithMigrate(false))
	if err != nil {
		t.Fatalf("Open without migrating: %v", err)
	}
	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "init" {
		t.Fatalf("MigrationStatus = %+v, want 0001_init first", ms)
	}
	for _, m := range ms {
		if m.AppliedAt != nil {
			t.Errorf("migration %04d_%s applied at %v before Migrate, want pending", m.Version, m.Name, *m.AppliedAt)
		}
	}
	if err := s.AddMeterSamples(ctx, []charging.MeterSample{{ChargerID: "CP-1"}}, nil); err == nil {
		t.Errorf("AddMeterSamples on an unmigrated database: nil error, want one")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again (a no-op): %v", err)
	}
	ms, err = s.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version || m.AppliedAt == nil || m.Unknown || m.AppliedAt.Location() != time.UTC {
			t.Errorf("after Migrate: migration %d = %+v, want versions increasing, applied (UTC), known", i, m)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Reopening applies nothing new and works normally.
	s2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	ms2, err := s2.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	for i := range ms2 {
		if !ms2[i].AppliedAt.Equal(*ms[i].AppliedAt) {
			t.Errorf("migration %d reapplied: applied at %v, first at %v", ms2[i].Version, *ms2[i].AppliedAt, *ms[i].AppliedAt)
		}
	}
	if err := s2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// A migration this binary does not know (from a newer Joule) stops Open.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s3, err := sqlite.Open(ctx, path); err == nil {
		s3.Close()
		t.Errorf("Open of a database with an unknown migration: nil error, want one")
	}
}

func TestJournalModeAndDurability(t *testing.T) {
	_, path := openTemp(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := sqlite.Open(ctx, ""); err == nil {
		t.Errorf("Open(\"\"): nil error, want one")
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.WithReadConns(0)); err == nil {
		t.Errorf("Open with 0 read conns: nil error, want one")
	}
	// A path whose directory is a file cannot be created.
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, filepath.Join(f, "x.db")); err == nil {
		t.Errorf("Open under a file: nil error, want one")
	}
}

func TestPathWithQuestionMark(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "we?ird#dir", "joule.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer s.Close()
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1"}); err != nil {
		t.Fatalf("SaveCharger: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %s: %v", path, err)
	}
}

// TestRemoteStartIDsUniqueAcrossReopen: ids reserved in blocks never
// repeat after a reopen; and one database is one Store at a time (the
// meter log's lock): a second Open fails clearly instead of sharing it.
func TestRemoteStartIDsUniqueAcrossReopen(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	if b, err := sqlite.Open(ctx, path); err == nil {
		b.Close()
		t.Fatal("a second Open of a database in use succeeded, want an error")
	} else if !strings.Contains(err.Error(), "lock") {
		t.Errorf("second Open: %v, want it to name the lock", err)
	}
	seen := map[int]bool{}
	take := func(s *sqlite.Store, n int) {
		t.Helper()
		for range n {
			id, err := s.NextRemoteStartID(ctx)
			if err != nil {
				t.Fatalf("NextRemoteStartID: %v", err)
			}
			if id <= 0 || seen[id] {
				t.Fatalf("NextRemoteStartID = %d, want a new id > 0", id)
			}
			seen[id] = true
		}
	}
	take(a, 3)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	take(c, 3)
	err = c.Update(ctx, func(tx charging.Tx) error {
		take(tx.(*sqlite.Store), 2)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	take(c, 1)
}
