package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one schema migration, from migrations/NNNN_name.sql.
type Migration struct {
	Version   int
	Name      string
	AppliedAt *time.Time // nil while pending
	// Unknown is set for a migration recorded in the database that this
	// binary does not have (applied by a newer Joule).
	Unknown bool
}

type migrationFile struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// migrationFiles returns the embedded migrations in version order.
func migrationFiles() ([]migrationFile, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	var files []migrationFile
	seen := map[int]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("postgres: migration file %q: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("postgres: migrations %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(migrationFS, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", e.Name(), err)
		}
		files = append(files, migrationFile{version: v, name: m[2], sql: string(b)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	return files, nil
}

// migrateLock is the advisory lock key that serialises migrations of one
// database: nodes starting together migrate once, one after the other.
const migrateLock = 0x6a6f756c65 // "joule"

const createMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies every embedded migration the database has not recorded,
// each in its own transaction with its record, under an advisory lock.
// A database migrated by a newer Joule (a version this binary lacks) is
// refused: this binary would not know its schema.
func (s *Store) Migrate(ctx context.Context) error {
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLock))
	if _, err := conn.Exec(ctx, createMigrations); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	applied, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if err := newerSchema(files, applied); err != nil {
		return err
	}
	for _, f := range files {
		if _, ok := applied[f.version]; ok {
			continue
		}
		err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, f.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", f.version, f.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %04d_%s: %w", f.version, f.name, err)
		}
	}
	return nil
}

// appliedVersions returns the recorded migrations: version → applied at.
func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]time.Time, error) {
	rows, err := conn.Query(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	applied := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: read migrations: %w", err)
		}
		applied[v] = at.UTC()
	}
	return applied, rows.Err()
}

// newerSchema refuses a database that recorded a migration this binary
// does not have.
func newerSchema(files []migrationFile, applied map[int]time.Time) error {
	known := map[int]bool{}
	for _, f := range files {
		known[f.version] = true
	}
	for v := range applied {
		if !known[v] {
			return fmt.Errorf("postgres: the database was migrated by a newer Joule (migration %04d is unknown to this binary); run that version or newer", v)
		}
	}
	return nil
}

// checkSchemaNotNewer is the newer-schema check without migrating.
func (s *Store) checkSchemaNotNewer(ctx context.Context) error {
	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Unknown {
			return fmt.Errorf("postgres: the database was migrated by a newer Joule (migration %04d is unknown to this binary); run that version or newer", m.Version)
		}
	}
	return nil
}

// MigrationStatus lists every migration this binary has, applied or
// pending, and any the database recorded that it lacks. It creates nothing.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	files, err := migrationFiles()
	if err != nil {
		return nil, err
	}
	applied := map[int]time.Time{}
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	if exists {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("postgres: read migrations: %w", err)
		}
		applied, err = appliedVersions(ctx, conn.Conn())
		conn.Release()
		if err != nil {
			return nil, err
		}
	}
	var out []Migration
	known := map[int]bool{}
	for _, f := range files {
		known[f.version] = true
		m := Migration{Version: f.version, Name: f.name}
		if at, ok := applied[f.version]; ok {
			m.AppliedAt = &at
		}
		out = append(out, m)
	}
	for v, at := range applied {
		if !known[v] {
			at := at
			out = append(out, Migration{Version: v, AppliedAt: &at, Unknown: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
