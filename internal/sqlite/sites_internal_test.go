package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// TestMigration0014Upgrade opens a database whose connectors have the
// operator's free-text type of before 0014: the names the web app offered
// become OCPI connector types, other text stays (shown as the type), and
// every other column is kept.
func TestMigration0014Upgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "joule.db")
	raw, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	files, err := migrationFiles()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.version >= 14 {
			continue
		}
		if _, err := raw.Exec(f.sql); err != nil {
			t.Fatalf("migration %04d_%s: %v", f.version, f.name, err)
		}
		if step := migrationSteps[f.version]; step != nil && f.version != 13 { // 13 moves samples: none here
			t.Fatalf("migration %04d has a Go step this test does not run", f.version)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, f.version, f.name); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	if _, err := raw.Exec(`INSERT INTO chargers (id, vendor, created_at) VALUES ('CP-1', 'V', ?)`, toMicro(now)); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []string{"CCS2", "Type 2", "chademo", "Schuko-ish", ""} {
		if _, err := raw.Exec(`INSERT INTO connectors (charger_id, connector_id, status, error_code, type, max_power_w, updated_at)
			VALUES ('CP-1', ?, 'Available', 'NoError', ?, ?, ?)`, i+1, typ, 1000*float64(i+1), toMicro(now)); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open (migrating 0014): %v", err)
	}
	defer s.Close()
	c, err := s.GetCharger(ctx, "CP-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "" || c.SiteID != "" || c.Vendor != "V" {
		t.Errorf("charger = %+v, want vendor V, no name, no site", c)
	}
	want := []struct {
		op   charging.ConnectorType
		eff  charging.ConnectorType
		typ  string
		maxW float64
	}{
		{charging.ConnectorCCS2, charging.ConnectorCCS2, "CCS2", 1000},
		{charging.ConnectorType2, charging.ConnectorType2, "Type2", 2000},
		{charging.ConnectorCHAdeMO, charging.ConnectorCHAdeMO, "CHAdeMO", 3000},
		{"Schuko-ish", "", "Schuko-ish", 4000},
		{"", "", "", 5000},
	}
	if len(c.Connectors) != len(want) {
		t.Fatalf("connectors = %+v, want %d", c.Connectors, len(want))
	}
	for i, w := range want {
		k := c.Connectors[i]
		if k.Operator.ConnectorType != w.op || k.ConnectorType != w.eff || k.Type != w.typ || k.MaxPowerW != w.maxW ||
			k.Status != charging.StatusAvailable || k.EVSEID != "" || k.Reported != (charging.ConnectorSpec{}) {
			t.Errorf("connector %d = %+v; want operator type %q, effective %q, type %q, %v W", i+1, k, w.op, w.eff, w.typ, w.maxW)
		}
	}
	var check string
	if err := s.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", check, err)
	}
}
