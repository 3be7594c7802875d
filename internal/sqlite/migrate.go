package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
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
		return nil, fmt.Errorf("sqlite: read migrations: %w", err)
	}
	var files []migrationFile
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("sqlite: migration file %q: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(migrationFS, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlite: read migration %s: %w", e.Name(), err)
		}
		files = append(files, migrationFile{version: v, name: m[2], sql: string(b)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	// Versions are unique and start at 1; gaps are allowed, because features
	// developed in parallel reserve their numbers (0010 is OCPP 2.0.1's), and
	// Migrate applies every file it has not recorded, whatever its number.
	for i, f := range files {
		if f.version < 1 || i > 0 && f.version == files[i-1].version {
			return nil, fmt.Errorf("sqlite: migration %04d_%s: versions must be unique and start at 1", f.version, f.name)
		}
	}
	return files, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// Migrate applies pending migrations in version order, each in its own
// transaction together with its schema_migrations row. Open calls it unless
// WithMigrate(false) was given; a Store opened that way must be reopened
// after Migrate before its data methods are used.
func (s *Store) Migrate(ctx context.Context) error {
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	if err := s.write(ctx, "migrate", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, createMigrationsTable)
		return err
	}); err != nil {
		return err
	}
	if err := s.checkSchemaNotNewer(ctx); err != nil {
		return err
	}
	for _, f := range files {
		op := fmt.Sprintf("migrate %04d_%s", f.version, f.name)
		err := s.write(ctx, op, func(tx *sql.Tx) error {
			// Checked inside the write transaction: another process
			// migrating the same file cannot apply it twice.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, f.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, f.sql); err != nil {
				return err
			}
			if step := migrationSteps[f.version]; step != nil {
				if err := step(ctx, s, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				f.version, f.name, toMicro(time.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkSchemaNotNewer fails when the database has migrations this binary
// does not know: running old code on a newer schema could corrupt data.
func (s *Store) checkSchemaNotNewer(ctx context.Context) error {
	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Unknown {
			return fmt.Errorf("sqlite: database has migration %04d_%s, which this binary does not know; upgrade Joule", m.Version, m.Name)
		}
	}
	return nil
}

// MigrationStatus lists the embedded migrations, in version order, with the
// time each was applied (nil when pending), followed by any migrations the
// database records but this binary does not have.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	files, err := migrationFiles()
	if err != nil {
		return nil, err
	}
	applied := map[int]Migration{}
	var exists int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("sqlite: migration status: %w", err)
	}
	if exists > 0 {
		rows, err := s.w.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return nil, fmt.Errorf("sqlite: migration status: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m Migration
			var at int64
			if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
				return nil, fmt.Errorf("sqlite: migration status: %w", err)
			}
			t := fromMicro(at)
			m.AppliedAt = &t
			applied[m.Version] = m
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: migration status: %w", err)
		}
	}
	var out []Migration
	for _, f := range files {
		m := Migration{Version: f.version, Name: f.name}
		if a, ok := applied[f.version]; ok {
			m.AppliedAt = a.AppliedAt
			delete(applied, f.version)
		}
		out = append(out, m)
	}
	var unknown []Migration
	for _, m := range applied {
		m.Unknown = true
		unknown = append(unknown, m)
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].Version < unknown[j].Version })
	return append(out, unknown...), nil
}
