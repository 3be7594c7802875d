package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// schemaOf returns the SQL of every index and trigger on the tables, by name.
func schemaOf(t *testing.T, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, tables ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range tables {
		rows, err := db.QueryContext(context.Background(),
			`SELECT type || ' ' || name, sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`, tbl)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, q string
			if err := rows.Scan(&name, &q); err != nil {
				t.Fatal(err)
			}
			out[name] = q
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestMigration0011Upgrade opens a database holding data at the schema
// before 0011 (every migration numbered below it, as a fresh database
// applies them) and checks what the rebuild of sessions and reservations
// must keep: every row and column, every index exactly as it was (so an
// index a migration below 0011 adds to these tables must be recreated
// there too: this test fails until it is), the rules those indexes
// enforce, and no foreign key left to chargers.
func TestMigration0011Upgrade(t *testing.T) {
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
		if f.version >= 11 {
			continue
		}
		if _, err := raw.Exec(f.sql); err != nil {
			t.Fatalf("migration %04d_%s: %v", f.version, f.name, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, f.version, f.name); err != nil {
			t.Fatal(err)
		}
	}
	before := schemaOf(t, raw, "sessions", "reservations")
	if len(before) < 9 {
		t.Fatalf("indexes before 0011: %v, want at least the 9 of 0001, 0003 and 0010", before)
	}

	now := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, id := range []string{"CP-1", "CP-2"} {
		if _, err := raw.Exec(`INSERT INTO chargers (id, vendor, created_at) VALUES (?, 'V', ?)`, id, toMicro(now)); err != nil {
			t.Fatal(err)
		}
	}
	full := charging.Session{ID: "S-1", ChargerID: "CP-1", ConnectorID: 1, IDTag: "TAG", TransactionID: "7",
		Status: charging.SessionActive, Origin: charging.OriginRemote, CreatedAt: now, UpdatedAt: now.Add(time.Minute),
		StartedAt: ptr(now), MeterStartWh: ptr(10.5), EnergyWh: 100, PowerW: 7000, CurrentA: ptr(16.0), VoltageV: ptr(230.0),
		SoCPercent: ptr(50.0), StopRequestedAt: ptr(now.Add(time.Second)), ReservationID: 3, IdempotencyKey: "K-1",
		Flags: []string{"late_stop"}, RemoteStartID: 42}
	done := charging.Session{ID: "S-2", ChargerID: "CP-2", ConnectorID: 2, Status: charging.SessionFinished,
		CreatedAt: now.Add(-time.Hour), UpdatedAt: now, StoppedAt: ptr(now), MeterStopWh: ptr(20.0), StopReason: "Local"}
	for _, s := range []charging.Session{full, done} {
		args, err := sessionArgs(&s)
		if err != nil {
			t.Fatal(err)
		}
		// The columns sessions has before 0011 (and after it, until 0014).
		cols := sessionColumns[:strings.Index(sessionColumns, ", closed_by")]
		if _, err := raw.Exec(`INSERT INTO sessions (`+cols+`) VALUES (`+placeholders(25)+`)`, args[:25]...); err != nil {
			t.Fatalf("insert session %s: %v", s.ID, err)
		}
	}
	openRes := charging.Reservation{ID: 1, ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG", ParentIDTag: "P",
		ExpiresAt: now.Add(time.Hour), Status: charging.ReservationActive, ChargerAnswer: "Accepted", CreatedAt: now, UpdatedAt: now}
	if _, err := raw.Exec(`INSERT INTO reservations (`+reservationColumns+`) VALUES (`+placeholders(11)+`)`, reservationArgs(openRes)...); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open (migrating 0011): %v", err)
	}
	defer s.Close()

	// Every index as it was, plus the triggers that check the charger
	// (Open has applied the later migrations too: without their indexes).
	after := schemaOf(t, s.w, "sessions", "reservations")
	delete(after, "index sessions_owner_created") // 0012
	for _, ix := range []string{"sessions_open_created", "sessions_pending_created", "sessions_transaction_created",
		"reservations_open", "sessions_ended"} {
		delete(after, "index "+ix) // 0013
	}
	delete(after, "index sessions_active_created")       // 0015
	delete(after, "index sessions_payment_open")         // 0016
	delete(after, "trigger report_dirty_session_insert") // 0019
	delete(after, "trigger report_dirty_session_update") // 0019
	delete(after, "index sessions_active")               // 0021
	delete(before, "index sessions_transaction")         // replaced by sessions_transaction_created in 0013
	for name, q := range before {
		if after[name] != q {
			t.Errorf("%s after 0011:\n%q\nwant as before:\n%q", name, after[name], q)
		}
	}
	for _, name := range []string{"trigger sessions_charger_insert", "trigger sessions_charger_update",
		"trigger reservations_charger_insert", "trigger reservations_charger_update"} {
		if after[name] == "" {
			t.Errorf("%s missing after 0011", name)
		}
	}
	if len(after) != len(before)+4 {
		t.Errorf("indexes and triggers after 0011: %d, want the %d before and 4 triggers", len(after), len(before))
	}
	for _, tbl := range []string{"sessions", "reservations"} {
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_list(?)`, tbl).Scan(&n); err != nil || n != 0 {
			t.Errorf("foreign keys of %s after 0011: %d, %v; want none", tbl, n, err)
		}
	}
	var check string
	if err := s.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", check, err)
	}
	if rows, err := s.w.QueryContext(ctx, `PRAGMA foreign_key_check`); err != nil {
		t.Errorf("foreign_key_check: %v", err)
	} else {
		if rows.Next() {
			t.Errorf("foreign_key_check reports a violation")
		}
		rows.Close()
	}

	// The rows, every column.
	for _, want := range []charging.Session{full, done} {
		got, err := s.GetSession(ctx, want.ID)
		if err != nil {
			t.Fatalf("GetSession %s: %v", want.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("session after 0011:\ngot  %+v\nwant %+v", got, want)
		}
	}
	gotRes, err := s.GetReservation(ctx, 1)
	if err != nil || !reflect.DeepEqual(gotRes, openRes) {
		t.Errorf("reservation after 0011 = %+v, %v; want %+v", gotRes, err, openRes)
	}

	// Existing chargers: accepted, profile 0, no password.
	c, err := s.GetCharger(ctx, "CP-1")
	if err != nil || c.Admission != charging.AdmissionAccepted || c.SecurityProfile != 0 || c.MinSecurityProfile != 0 ||
		c.PasswordSetAt != nil || c.PasswordPending {
		t.Errorf("charger after 0011 = %+v, %v; want Accepted, profiles 0, no password", c, err)
	}
	if cr, err := s.GetCredentials(ctx, "CP-1"); err != nil || cr != (charging.Credentials{}) {
		t.Errorf("credentials after 0011 = %+v, %v; want none", cr, err)
	}

	// The rules the recreated indexes and the triggers enforce.
	for _, tt := range []struct {
		what string
		err  error
		code string
	}{
		{"session on a busy connector", s.CreateSession(ctx, charging.Session{ID: "S-3", ChargerID: "CP-1", ConnectorID: 1, Status: charging.SessionPending}), charging.ECONFLICT},
		{"used idempotency key", s.CreateSession(ctx, charging.Session{ID: "S-3", ChargerID: "CP-1", ConnectorID: 3, Status: charging.SessionPending, IdempotencyKey: "K-1"}), charging.ECONFLICT},
		{"session on a missing charger", s.CreateSession(ctx, charging.Session{ID: "S-3", ChargerID: "CP-9", ConnectorID: 1, Status: charging.SessionPending}), charging.ENOTFOUND},
		{"session moved to a missing charger", s.UpdateSession(ctx, charging.Session{ID: "S-2", ChargerID: "CP-9", ConnectorID: 2, Status: charging.SessionFinished}), charging.ENOTFOUND},
		{"reservation on a busy connector", s.CreateReservation(ctx, charging.Reservation{ID: 2, ChargerID: "CP-1", ConnectorID: 2, IDTag: "T", Status: charging.ReservationPending}), charging.ECONFLICT},
		{"reservation on a missing charger", s.CreateReservation(ctx, charging.Reservation{ID: 2, ChargerID: "CP-9", ConnectorID: 2, IDTag: "T", Status: charging.ReservationPending}), charging.ENOTFOUND},
	} {
		if got := charging.ErrorCode(tt.err); got != tt.code {
			t.Errorf("%s: code %q (err %v), want %q", tt.what, got, tt.err, tt.code)
		}
	}
	if got, err := s.GetSessionByTransaction(ctx, "CP-1", "7"); err != nil || got.ID != "S-1" {
		t.Errorf("GetSessionByTransaction after 0011 = %s, %v; want S-1", got.ID, err)
	}

	// And what the rebuild was for.
	if err := s.DeleteCharger(ctx, "CP-1"); err != nil {
		t.Fatalf("DeleteCharger on the upgraded database: %v", err)
	}
	p, err := s.ListSessions(ctx, charging.SessionQuery{ChargerID: "CP-1"})
	if err != nil || len(p.Items) != 1 || p.Items[0].ID != "S-1" {
		t.Errorf("sessions of the deleted charger = %+v, %v; want S-1", p.Items, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSecurityValidation: values the schema's CHECKs would refuse are
// EINVALID with a reason, before any write.
func TestSecurityValidation(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		what string
		err  error
	}{
		{"admission Bogus", s.SaveCharger(ctx, charging.Charger{ID: "CP-1", Admission: "Bogus"})},
		{"security profile 4", s.SaveCharger(ctx, charging.Charger{ID: "CP-1", SecurityProfile: 4})},
		{"minimum security profile -1", s.SaveCharger(ctx, charging.Charger{ID: "CP-1", MinSecurityProfile: -1})},
		{"list by admission Bogus", func() error {
			_, err := s.ListChargers(ctx, charging.ChargerQuery{Admission: "Bogus"})
			return err
		}()},
		{"security event without a type", s.AddSecurityEvent(ctx, charging.SecurityEvent{ChargerID: "CP-1", Source: charging.SecuritySourceJoule})},
		{"security event with count -1", s.AddSecurityEvent(ctx, charging.SecurityEvent{Type: "X", Count: -1})},
	} {
		if got := charging.ErrorCode(tt.err); got != charging.EINVALID {
			t.Errorf("%s: code %q (err %v), want %q", tt.what, got, tt.err, charging.EINVALID)
		}
	}
	if _, err := s.GetCharger(ctx, "CP-1"); charging.ErrorCode(err) != charging.ENOTFOUND {
		t.Errorf("GetCharger after refused saves: %v, want ENOTFOUND", err)
	}
}

// TestChargersPendingIndex: listing the chargers waiting for approval reads
// the partial index, not the whole table.
func TestChargersPendingIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := "CP-1"
	query, args, err := listChargersQuery(charging.AdmissionPending, "", &after, 10)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if want := "USING INDEX chargers_pending"; !strings.Contains(plan, want) {
		t.Errorf("query plan of the pending list:\n%s\nwant %q", plan, want)
	}
}
